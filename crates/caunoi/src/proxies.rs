//! Trusted reverse proxies and the client's IP address behind them, for per-address rate limits
//! and sign-in throttling (the request extractor is `web::client_ip::ClientAddr`). Behind a reverse
//! proxy (nginx) every connection comes from the proxy, so the address it saw is read from
//! `X-Forwarded-For` — but only when the connection comes from a proxy the operator trusts
//! (`CAUNOI_TRUSTED_PROXIES`), since anyone can send that header.
//!
//! Invariants: with no trusted proxy configured the header is ignored; the header is read from
//! the right (the entry the trusted proxy appended) and only across trusted hops, so entries a
//! client wrote itself on the left can never choose its bucket; anything malformed falls back
//! to the socket's peer address. Addresses are used only hashed and are never logged.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// The reverse proxies whose `X-Forwarded-For` is believed: IP addresses and CIDR ranges.
/// Empty (the default) trusts nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A `trusted_proxies` entry that is neither an IP address nor a CIDR range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is neither an IP address nor a CIDR range")]
pub struct InvalidProxy(pub String);

impl FromStr for TrustedProxies {
    type Err = InvalidProxy;

    /// Comma-separated addresses and ranges: `127.0.0.1, 10.0.0.0/8, ::1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| {
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map(|n| n.trunc())
                    .map_err(|_| InvalidProxy(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that reached us from `peer`: when `peer` is a trusted proxy, the
    /// right-most `X-Forwarded-For` entry that is not itself a trusted proxy (or the left-most
    /// entry when every hop is one); otherwise, or when the header is missing or malformed up to
    /// that entry, `peer` itself.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let mut hops = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let Ok(value) = value.to_str() else { return peer };
            hops.extend(value.split(','));
        }
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else { return peer };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>().or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip())).ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(s: &str) -> TrustedProxies {
        s.parse().expect("valid proxies")
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("header value"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn addresses_and_ranges_are_parsed_and_anything_else_is_refused() {
        let p = proxies(" 127.0.0.1, 10.0.0.0/8 ,::1, fd00::/8,");
        assert!(p.contains(ip("127.0.0.1")));
        assert!(p.contains(ip("10.20.30.40")));
        assert!(p.contains(ip("::1")));
        assert!(p.contains(ip("fd12::7")));
        assert!(p.contains(ip("::ffff:10.1.2.3")), "an IPv4-mapped peer is its IPv4 address");
        assert!(!p.contains(ip("11.0.0.1")));
        assert!(!p.contains(ip("127.0.0.2")));
        assert!(proxies("").is_empty());
        assert!(proxies(" , ").is_empty());
        assert_eq!("10.0.0.0/33".parse::<TrustedProxies>(), Err(InvalidProxy("10.0.0.0/33".into())));
        assert!("nginx".parse::<TrustedProxies>().is_err());
        assert!("127.0.0.1 10.0.0.1".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let h = forwarded(&["203.0.113.7"]);
        assert_eq!(TrustedProxies::default().client_ip(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let h = forwarded(&["203.0.113.7"]);
        assert_eq!(proxies("127.0.0.1").client_ip(ip("198.51.100.9"), &h), ip("198.51.100.9"));
    }

    #[test]
    fn the_address_the_trusted_proxy_saw_is_the_client() {
        let p = proxies("127.0.0.1");
        assert_eq!(p.client_ip(ip("127.0.0.1"), &forwarded(&["203.0.113.7"])), ip("203.0.113.7"));
        assert_eq!(p.client_ip(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"), "no header: the peer");
    }

    #[test]
    fn spoofed_left_most_entries_are_ignored() {
        let p = proxies("127.0.0.1");
        let h = forwarded(&["1.1.1.1, 2.2.2.2, 203.0.113.7"]);
        assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("203.0.113.7"));
        // A header the client sent itself and the proxy's appended line, as two header fields.
        let h = forwarded(&["1.1.1.1", "203.0.113.7"]);
        assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("203.0.113.7"));
    }

    #[test]
    fn trusted_hops_are_walked_from_the_right() {
        let p = proxies("127.0.0.1, 10.0.0.0/8");
        let h = forwarded(&["1.1.1.1, 203.0.113.7, 10.0.0.5, 10.0.0.6"]);
        assert_eq!(p.client_ip(ip("127.0.0.1"), &h), ip("203.0.113.7"));
        let all_proxies = forwarded(&["10.0.0.5, 10.0.0.6"]);
        assert_eq!(p.client_ip(ip("127.0.0.1"), &all_proxies), ip("10.0.0.5"));
    }

    #[test]
    fn ipv6_clients_and_proxies_are_understood() {
        let p = proxies("::1, 2001:db8:ffff::/48");
        let h = forwarded(&["2001:db8::42, 2001:db8:ffff::1"]);
        assert_eq!(p.client_ip(ip("::1"), &h), ip("2001:db8::42"));
        assert_eq!(p.client_ip(ip("::1"), &forwarded(&["[2001:db8::42]:5050"])), ip("2001:db8::42"));
        assert_eq!(p.client_ip(ip("::1"), &forwarded(&["::ffff:203.0.113.7"])), ip("203.0.113.7"));
        assert_eq!(
            proxies("127.0.0.1").client_ip(ip("::ffff:127.0.0.1"), &forwarded(&["203.0.113.7"])),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn malformed_headers_fall_back_to_the_peer() {
        let p = proxies("127.0.0.1");
        let peer = ip("127.0.0.1");
        for bad in ["unknown", "", " , ", "203.0.113.7, garbage", "203.0.113.7;for=x", "999.1.1.1", "_hidden"] {
            assert_eq!(p.client_ip(peer, &forwarded(&[bad])), peer, "{bad:?}");
        }
        // Malformed entries left of the client do not matter: they are never reached.
        assert_eq!(p.client_ip(peer, &forwarded(&["garbage, 203.0.113.7"])), ip("203.0.113.7"));
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", axum::http::HeaderValue::from_bytes(b"203.0.113.7\xff").expect("opaque bytes"));
        assert_eq!(p.client_ip(peer, &h), peer);
    }
}
