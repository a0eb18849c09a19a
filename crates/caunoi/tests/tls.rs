//! TLS: every external host is reached over TLS, with the certificate checked. The Zalo
//! client refuses an https host whose certificate no trusted authority signed, saying so; the
//! database connects to PostgreSQL with `sslmode=require`.

use caunoi_testkit::TestApp;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A self-signed certificate for 127.0.0.1 (valid until 2126), as a host impersonating Zalo
/// would present: no authority the system trusts signed it.
const SELF_SIGNED_CERT: &str = "\
-----BEGIN CERTIFICATE-----
MIIDHDCCAgSgAwIBAgIUBtjxouva4tu94GHSs1fO+MDWxcMwDQYJKoZIhvcNAQEL
BQAwFDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwNjE3NTIxNloYDzIxMjYx
MTEyMTc1MjE2WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQDDbQmtHzQFhEfWNJPoPiM4eceZ+gGQfrVP3T1Bxlbs
UAOcBGWuTPy7MVpWD+ZjifA/cI8Mt+gnbkcK6MOD25rB0cMFk7+8P/HlRh17g3f9
rCZoM+BXVfX2idMYslZkyDQzRqBr0g4a0r0jQ9j5rV60ejUOfhOVBcwAbUGDi/AP
tKnZCG7D13qCJwuA+iVPXDu+CkX1pfOS2+WE2CPlXkK6C6TaCLvLjRTPfFyg+4zw
ciZzP3ljbPIbFl2feqoBwF1EPKCnqgBn2jKE3yknwFo9abvmQzxkZ1CFFgS0cXq+
RmuhHFK25shKyolKmjQcQUvlWSsMQFQDyqyJmTWYeQohAgMBAAGjZDBiMB0GA1Ud
DgQWBBSpMRGfMNWdHCLgW/ERJtnuSdzG1TAfBgNVHSMEGDAWgBSpMRGfMNWdHCLg
W/ERJtnuSdzG1TAPBgNVHRMBAf8EBTADAQH/MA8GA1UdEQQIMAaHBH8AAAEwDQYJ
KoZIhvcNAQELBQADggEBABQ0iGEKrsdP/LxwecUab5rsYsiLaVsb8bgIqHlP/d2w
1Ebk/kAJuCA5jdEs2yNpUfJ/Qm9VF5YGEuK2aJ/7NhsnIicGHkiJQ+WMZglxmp+A
jzAKDufm2Nf0wIDIV8BQq8kf7uCUFcrQPujWrwgvwBy3S9UK0x4MIyLC/rBbjbC6
k8usaaAVoKdZHdrHWuA8+tw07LTA4assn/KQO2uXc47kG8Q0LCPmCKpLkdnR0Oa+
ekr8SsKApgBiuN+cRHx28cnnB33+HMqupjHy8Dtwkl0SB5LbVgtcbdf2AiVzUt1f
VW/XmwuyaCHYEPmz3QXSz2CS9ltlh4m8hforIkE+r+Y=
-----END CERTIFICATE-----
";

const SELF_SIGNED_KEY: &str = "\
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDDbQmtHzQFhEfW
NJPoPiM4eceZ+gGQfrVP3T1BxlbsUAOcBGWuTPy7MVpWD+ZjifA/cI8Mt+gnbkcK
6MOD25rB0cMFk7+8P/HlRh17g3f9rCZoM+BXVfX2idMYslZkyDQzRqBr0g4a0r0j
Q9j5rV60ejUOfhOVBcwAbUGDi/APtKnZCG7D13qCJwuA+iVPXDu+CkX1pfOS2+WE
2CPlXkK6C6TaCLvLjRTPfFyg+4zwciZzP3ljbPIbFl2feqoBwF1EPKCnqgBn2jKE
3yknwFo9abvmQzxkZ1CFFgS0cXq+RmuhHFK25shKyolKmjQcQUvlWSsMQFQDyqyJ
mTWYeQohAgMBAAECggEAYW08PDdIp5FtgOBgdpF33KF1vZFSc1eAC8tHzUFUt2Yi
jobwrEdMXgR6PVqa6LftcqsqXdRXpETJnSoywstaKVNqbx7cIT0d2sgsTZXa3bgT
w7JNHy1HPLw0ZeUOxhq7T27f7jDgAEZcrbaW9s6UXtRoHAwFti8YJ4RQe4TpzuHJ
R/MG/5uzRxYUTddDdDlMxWidZS1nEDhz+0lFURlnG7PlKwXOHPcXw/Ny/u22iRzq
H4Owjzj5NgdAhqlrv+1CmJ7Q3r8So6wa2vmmuJA6qyLsYLaw7pbk6eame72aDemI
6Qyc5xmKblHgdRHo/lzV/KMiy+X+j9TST+4izcZOQwKBgQD+WmMZgeJm7aO71SmQ
Zu5LwspeW45BYQll24s80VA/kpDJpShlBxIDwtKHFJcvhiegFTzZScr03dLaTSn7
K0olx90jdabueecBJeEPEt+TbWJps08Lq/onJwl+wMwXlzvdp8oLsjiA2O9eEqKz
z1Ylx5MiCxQgMXdXg1iRuZiylwKBgQDEsPlD+8xVaQ4sfrrPEtoUrTXoiTSANEdM
ZpOdoYQd2zDuT0saJrbyQ5tl4lMPk5BrCsPkJZPVz9fy9ce/2XVu2uw1NCzMSoDB
77EMMxdrHeI5fj86ahkRnr2pWEVK3eTNKUwGcxTC2DPp4FJf+UERhXYmiSMQFQJR
SvcCd6IYBwKBgBVYiJCPceypbOBKl15jBQSeqFUa4elit2Mw9ZJ5Dn8HUddaYPV5
jm16YCit9bIrVA//OEgUBVBffV6Ms0U88NAS4eAj84p3+IcEIssdDl5VA7lTLwMP
v8KhaA6XJ4mjS4bimfY5UrydeBkw/y6P6+7nvNVSkLHS9O0HPNud886pAoGAOO7p
GA6YlNh169c7B5lzWqzQf+DHO5zmTm0aqXQJJANAZJq7KHSwW+vJ3XHnjQivsuxI
y488/ZTN81vFV/kADvh7iuLxXKjsIDbbTqazTqQ1yWKLtsLjQsBqMcyFMiiMg/5C
LVO+XK/sRvRRo8ooVYQGMR1c8tjB9Pn4CdTLLJ0CgYEAjB5ZzZcZ0wl5xKxfk0hh
0Fy5zwe3aBd5po4Hzpt3EfuZN0NSgm4DWi/4RJl+xxejeo7lKHqjwuz6Ay3/vU5S
MtCJrfRk9CH162Udwi0yXgmw91icX9BO2pzZHn+ma0wF/z86zqki70GzCbWLfRP5
B5Xu8p4NFY3F5ZFT9LNKUiE=
-----END PRIVATE KEY-----
";

/// An https server on 127.0.0.1 with the self-signed certificate, answering 200 to anything.
async fn impostor_https_server() -> std::net::SocketAddr {
    let cert = CertificateDer::from_pem_slice(SELF_SIGNED_CERT.as_bytes()).expect("certificate");
    let key = PrivateKeyDer::from_pem_slice(SELF_SIGNED_KEY.as_bytes()).expect("key");
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut buf = [0u8; 1024];
                    let _ = tls.read(&mut buf).await;
                    let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").await;
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn the_zalo_client_refuses_an_https_host_with_an_untrusted_certificate() {
    let t = TestApp::spawn().await;
    let addr = impostor_https_server().await;
    let err = t
        .app
        .channels()
        .zalo
        .http()
        .get(format!("https://{addr}/v4/oa/getoa"))
        .send()
        .await
        .expect_err("a certificate no trusted authority signed must be refused");
    assert!(err.is_connect(), "refused while connecting: {err:?}");
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        chain.push_str(&e.to_string());
        chain.push_str(" | ");
        source = e.source();
    }
    assert!(chain.to_lowercase().contains("certificate"), "the reason names the certificate: {chain}");
}

#[tokio::test]
async fn postgres_is_reached_with_tls_when_the_url_requires_it() {
    let Ok(url) = std::env::var("CAUNOI_TEST_DATABASE_URL") else {
        // The SQLite pass of the suite; the PostgreSQL pass runs this test.
        return;
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = caunoi::db::Db::connect(&format!("{url}{sep}sslmode=require")).await.expect("connects over TLS");
    let caunoi::db::Db::Postgres(pool) = &db else { panic!("a PostgreSQL URL opens PostgreSQL") };
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(pool)
        .await
        .expect("pg_stat_ssl");
    assert!(ssl, "the connection is encrypted");
    db.close().await;
}
