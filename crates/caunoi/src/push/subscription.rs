//! A browser's push subscription as it arrives from the console, parsed once at the boundary:
//! the endpoint (where the push service takes messages for that browser), its keys, and a short
//! guess of the device from the user agent. Pure code; the rules about which endpoints may be
//! reached live here too ([`EndpointPolicy`]), so the sender checks the same thing again.
//!
//! Invariant: an endpoint that parses is `https` and names a public host (no loopback, private,
//! link-local or otherwise internal address, no `localhost`), unless the test policy allows
//! the loopback address, the one place a test push service listens.

use super::crypto::{PushCryptoError, SubscriptionKeys};
use caunoi_core::input::InvalidInput;
use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest endpoint accepted. Push services hand out URLs of 150–400 characters.
pub const MAX_ENDPOINT_LEN: usize = 1024;

/// Which push endpoints this instance may send to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointPolicy {
    /// Production: `https` to public addresses only.
    PublicOnly,
    /// Tests: also plain `http` to the loopback address (`127.0.0.1`, `::1`, `localhost`),
    /// where a test push service listens. Other private addresses stay refused.
    AllowLoopback,
}

/// A subscription that passed every check.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub endpoint: Url,
    pub keys: SubscriptionKeys,
    /// "Chrome · Android", shown in the device list.
    pub device: String,
}

impl NewSubscription {
    /// Parses what the console posts (`PushSubscription.toJSON()` and the user agent). Each
    /// refusal names the field and says in Vietnamese (and English) what is wrong.
    pub fn parse(
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        user_agent: &str,
        policy: EndpointPolicy,
    ) -> Result<NewSubscription, InvalidInput> {
        let endpoint = parse_endpoint(endpoint, policy)?;
        if p256dh.len() > 200 || auth.len() > 100 {
            return Err(InvalidInput::new(
                "keys",
                "Khóa của thiết bị quá dài; hãy bật lại báo động trên thiết bị này.",
                "The device's keys are too long; turn alarms on again on this device.",
            ));
        }
        let keys = SubscriptionKeys::parse(p256dh, auth).map_err(|e| match e {
            PushCryptoError::BadAuthSecret => InvalidInput::new(
                "auth",
                "Khóa xác thực của thiết bị không hợp lệ (phải đúng 16 byte). Hãy bật lại báo động.",
                "The device's auth secret is not valid (it must be 16 bytes). Turn alarms on again.",
            ),
            _ => InvalidInput::new(
                "p256dh",
                "Khóa công khai của thiết bị không hợp lệ. Hãy bật lại báo động trên thiết bị này.",
                "The device's public key is not valid. Turn alarms on again on this device.",
            ),
        })?;
        Ok(NewSubscription { endpoint, keys, device: device_label(user_agent) })
    }
}

fn bad_endpoint() -> InvalidInput {
    InvalidInput::new(
        "endpoint",
        "Địa chỉ nhận thông báo của trình duyệt không hợp lệ (phải là https tới dịch vụ đẩy công khai).",
        "The browser's push address is not valid (it must be https to a public push service).",
    )
}

/// Parses and checks a push endpoint against `policy` (module docs).
pub fn parse_endpoint(text: &str, policy: EndpointPolicy) -> Result<Url, InvalidInput> {
    if text.len() > MAX_ENDPOINT_LEN {
        return Err(InvalidInput::new(
            "endpoint",
            "Địa chỉ nhận thông báo quá dài (tối đa 1024 ký tự).",
            "The push address is too long (at most 1,024 characters).",
        ));
    }
    let url = Url::parse(text.trim()).map_err(|_| bad_endpoint())?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(bad_endpoint());
    }
    if endpoint_allowed(&url, policy) { Ok(url) } else { Err(bad_endpoint()) }
}

/// Whether `url` may be sent to under `policy`: the scheme and the host as written. (The
/// addresses a name resolves to are checked again when connecting, see `push::delivery`.)
pub fn endpoint_allowed(url: &Url, policy: EndpointPolicy) -> bool {
    let Some(host) = url.host_str() else { return false };
    // The URL parser has already normalized the host: IPv4 in any notation is dotted decimal,
    // IPv6 is in brackets.
    let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
    let loopback = match ip {
        Some(ip) => ip.is_loopback(),
        None => is_loopback_name(host),
    };
    if loopback {
        return policy == EndpointPolicy::AllowLoopback && matches!(url.scheme(), "http" | "https");
    }
    url.scheme() == "https"
        && match ip {
            Some(ip) => is_public_ip(ip),
            None => is_public_name(host),
        }
}

fn is_loopback_name(d: &str) -> bool {
    let d = d.trim_end_matches('.').to_ascii_lowercase();
    d == "localhost" || d.ends_with(".localhost")
}

/// A name that can be a public host: at least two labels, not one of the names reserved for
/// local networks.
fn is_public_name(d: &str) -> bool {
    let d = d.trim_end_matches('.').to_ascii_lowercase();
    const LOCAL_SUFFIXES: [&str; 6] = [".local", ".localhost", ".internal", ".lan", ".home.arpa", ".intranet"];
    d.contains('.') && d != "localhost" && !LOCAL_SUFFIXES.iter().any(|s| d.ends_with(s))
}

/// Whether an address is reachable on the public internet: not loopback, private (RFC 1918,
/// unique local), link-local, shared (CGNAT), documentation, benchmarking, multicast,
/// unspecified or broadcast, nor an IPv4 address dressed as IPv6 that is one of those.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1])) // shared address space (CGNAT)
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) // benchmarking
        || o[0] >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64, maps onto IPv4 addresses
        || s[0] == 0x2002) // 6to4, maps onto IPv4 addresses
}

/// A short guess of browser and system from a user agent, for the device list: "Chrome ·
/// Android", "Safari · iPhone", "Firefox · Windows". Never the whole user agent.
pub fn device_label(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") || ua.contains("EdgA/") || ua.contains("EdgiOS/") {
        "Edge"
    } else if ua.contains("OPR/") || ua.contains("Opera") {
        "Opera"
    } else if ua.contains("SamsungBrowser/") {
        "Samsung Internet"
    } else if ua.contains("coc_coc_browser/") {
        "Cốc Cốc"
    } else if ua.contains("Firefox/") || ua.contains("FxiOS/") {
        "Firefox"
    } else if ua.contains("Chromium/") {
        "Chromium"
    } else if ua.contains("Chrome/") || ua.contains("CriOS/") {
        "Chrome"
    } else if ua.contains("Safari/") && ua.contains("Version/") {
        "Safari"
    } else {
        "?"
    };
    let system = if ua.contains("iPhone") {
        "iPhone"
    } else if ua.contains("iPad") {
        "iPad"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        "?"
    };
    match (browser, system) {
        ("?", "?") => "?".to_string(),
        (b, "?") => b.to_string(),
        ("?", s) => s.to_string(),
        (b, s) => format!("{b} · {s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256DH: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    fn ok(url: &str) -> bool {
        parse_endpoint(url, EndpointPolicy::PublicOnly).is_ok()
    }

    #[test]
    fn push_services_of_the_browsers_are_accepted() {
        assert!(ok("https://fcm.googleapis.com/fcm/send/cXyz:APA91bH"));
        assert!(ok("https://updates.push.services.mozilla.com/wpush/v2/gAAAA"));
        assert!(ok("https://web.push.apple.com/QGuQyavXutnMtYJnGfJ"));
        assert!(ok("https://wns2-par02p.notify.windows.com/w/?token=BQYAAAA"));
    }

    #[test]
    fn internal_and_plain_http_endpoints_are_refused() {
        for bad in [
            "http://fcm.googleapis.com/fcm/send/x",
            "https://127.0.0.1/x",
            "https://0x7f000001/x",
            "https://2130706433/x",
            "https://localhost/x",
            "https://push.localhost/x",
            "https://10.0.0.5/x",
            "https://192.168.1.1/x",
            "https://172.16.0.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://[fe80::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://intranet/x",
            "https://printer.local/x",
            "https://metadata.google.internal/x",
            "https://user:pw@fcm.googleapis.com/x",
            "ftp://fcm.googleapis.com/x",
            "javascript:alert(1)",
            "not a url",
            "",
        ] {
            assert!(!ok(bad), "{bad} must be refused");
        }
        let long = format!("https://fcm.googleapis.com/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert!(!ok(&long));
    }

    #[test]
    fn the_test_policy_opens_the_loopback_address_only() {
        let test = EndpointPolicy::AllowLoopback;
        assert!(parse_endpoint("http://127.0.0.1:4567/push/1", test).is_ok());
        assert!(parse_endpoint("http://localhost:4567/push/1", test).is_ok());
        assert!(parse_endpoint("http://[::1]:4567/push/1", test).is_ok());
        assert!(parse_endpoint("http://10.0.0.5/push/1", test).is_err());
        assert!(parse_endpoint("http://fcm.googleapis.com/x", test).is_err());
        assert!(parse_endpoint("http://127.0.0.1:4567/push/1", EndpointPolicy::PublicOnly).is_err());
    }

    #[test]
    fn keys_are_checked_with_a_message_per_field() {
        let ua = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36";
        let ep = "https://fcm.googleapis.com/fcm/send/x";
        let s = NewSubscription::parse(ep, P256DH, AUTH, ua, EndpointPolicy::PublicOnly).unwrap();
        assert_eq!(s.device, "Chrome · Android");
        let e = NewSubscription::parse(ep, "BAAA", AUTH, ua, EndpointPolicy::PublicOnly).unwrap_err();
        assert_eq!(e.field, "p256dh");
        let e = NewSubscription::parse(ep, P256DH, "AAAA", ua, EndpointPolicy::PublicOnly).unwrap_err();
        assert_eq!(e.field, "auth");
        assert!(e.message.vi.contains("16 byte"));
        let e = NewSubscription::parse(ep, &"A".repeat(5000), AUTH, ua, EndpointPolicy::PublicOnly).unwrap_err();
        assert_eq!(e.field, "keys");
    }

    #[test]
    fn devices_are_named_from_the_user_agent() {
        let cases = [
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari · iPhone",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge · Windows",
            ),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox · Linux"),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome · macOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/130.0.0 Chrome/124.0 Safari/537.36",
                "Cốc Cốc · Windows",
            ),
            ("curl/8.5", "?"),
        ];
        for (ua, want) in cases {
            assert_eq!(device_label(ua), want, "{ua}");
        }
    }
}
