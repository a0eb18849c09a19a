//! A test push service: what Google's, Mozilla's or Apple's push service is to a browser, on
//! 127.0.0.1. It hands out subscriptions (an endpoint and the keys a browser would make, with
//! the private key kept here), and for every message posted to an endpoint it does what the
//! push service and the browser do together: checks the VAPID authorization (RFC 8292: an
//! ES256 JWT whose `aud` is the endpoint's origin, `exp` in the future and at most 24 hours
//! ahead, a `sub` contact, signed by the key in `k`) and decrypts the body exactly as RFC 8291
//! says (ECDH P-256 with the subscription's private key, HKDF-SHA-256, the `aes128gcm` content
//! coding of RFC 8188). It records what it received and answers as a test tells it to (201 by
//! default; 410, 503 or 429 on demand).
//!
//! Written apart from caunoi's own `push::crypto`, with the RFCs as the only common source, so
//! the two cannot agree on a mistake.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::RngCore;
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// A subscription as a browser would post it, with its private key kept by the service.
#[derive(Debug, Clone)]
pub struct TestSubscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

impl TestSubscription {
    /// `PushSubscription.toJSON()`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "endpoint": self.endpoint, "expirationTime": null,
            "keys": { "p256dh": self.p256dh, "auth": self.auth } })
    }
}

/// One message the service accepted, decrypted and checked.
#[derive(Debug, Clone)]
pub struct Received {
    /// Which subscription (the last segment of its endpoint).
    pub subscription: String,
    /// The decrypted plaintext.
    pub plaintext: Vec<u8>,
    pub ttl: Option<u64>,
    pub urgency: Option<String>,
    pub topic: Option<String>,
    /// The JWT's claims and the `k` of the authorization.
    pub claims: serde_json::Value,
    pub vapid_key: String,
    /// When the request arrived, before any check (Unix microseconds, the machine's clock).
    pub at_micros: i64,
}

impl Received {
    /// The plaintext as JSON (caunoi's alarms are JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.plaintext).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct Inner {
    keys: HashMap<String, (SecretKey, [u8; 16])>,
    /// Statuses to answer before the next success, per subscription.
    scripted: HashMap<String, VecDeque<u16>>,
    received: Vec<Received>,
    /// Requests that failed a check, with the reason.
    rejected: Vec<String>,
    requests: usize,
}

/// The running service; stops when dropped.
pub struct TestPushService {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestPushService {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestPushService {
    pub async fn start() -> TestPushService {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().route("/push/{id}", post(receive)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the test push service");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestPushService { addr, inner, server }
    }

    /// The origin of every endpoint (the `aud` a VAPID token must name).
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A new subscription, as a browser's `pushManager.subscribe()` makes: a fresh P-256 key
    /// pair and a 16-octet authentication secret.
    pub fn subscribe(&self) -> TestSubscription {
        let mut id = [0u8; 12];
        rand::rng().fill_bytes(&mut id);
        let id = URL_SAFE_NO_PAD.encode(id);
        let secret = loop {
            let mut b = [0u8; 32];
            rand::rng().fill_bytes(&mut b);
            if let Ok(k) = SecretKey::from_slice(&b) {
                break k;
            }
        };
        let mut auth = [0u8; 16];
        rand::rng().fill_bytes(&mut auth);
        let public = secret.public_key().to_encoded_point(false);
        let sub = TestSubscription {
            endpoint: format!("{}/push/{id}", self.origin()),
            p256dh: URL_SAFE_NO_PAD.encode(public.as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(auth),
        };
        self.lock().keys.insert(id, (secret, auth));
        sub
    }

    /// Answers the next messages to `sub` with these statuses, in order, then 201 again.
    pub fn script(&self, sub: &TestSubscription, statuses: &[u16]) {
        let id = last_segment(&sub.endpoint);
        self.lock().scripted.entry(id).or_default().extend(statuses.iter().copied());
    }

    /// Forgets `sub`: every later message gets 410 Gone, as when a browser unsubscribed.
    pub fn revoke(&self, sub: &TestSubscription) {
        self.lock().keys.remove(&last_segment(&sub.endpoint));
    }

    /// What was accepted so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// Requests that failed a check (decryption or VAPID), with the reasons.
    pub fn rejected(&self) -> Vec<String> {
        self.lock().rejected.clone()
    }

    /// Every request that reached the service, whatever it was answered.
    pub fn requests(&self) -> usize {
        self.lock().requests
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn last_segment(endpoint: &str) -> String {
    endpoint.rsplit('/').next().unwrap_or_default().to_string()
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let arrived = jiff::Timestamp::now().as_microsecond();
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    inner.requests += 1;
    let Some((secret, auth)) = inner.keys.get(&id).cloned() else {
        return StatusCode::GONE.into_response();
    };
    if let Some(status) = inner.scripted.get_mut(&id).and_then(|q| q.pop_front()) {
        let mut resp = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR).into_response();
        if status == 429 {
            resp.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("1"));
        }
        return resp;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let host = header("host").unwrap_or_default();
    let now = jiff::Timestamp::now().as_second();
    let checked = check_vapid(header("authorization").as_deref(), &format!("http://{host}"), now).and_then(|v| {
        if header("content-encoding").as_deref() != Some("aes128gcm") {
            return Err("Content-Encoding is not aes128gcm".to_string());
        }
        decrypt(&secret, &auth, &body).map(|plaintext| (v, plaintext))
    });
    match checked {
        Ok(((claims, vapid_key), plaintext)) => {
            inner.received.push(Received {
                subscription: id,
                plaintext,
                ttl: header("ttl").and_then(|t| t.parse().ok()),
                urgency: header("urgency"),
                topic: header("topic"),
                claims,
                vapid_key,
                at_micros: arrived,
            });
            StatusCode::CREATED.into_response()
        }
        Err(reason) => {
            inner.rejected.push(reason.clone());
            (StatusCode::BAD_REQUEST, reason).into_response()
        }
    }
}

/// Checks `Authorization: vapid t=<jwt>, k=<key>` (RFC 8292 §2–3); returns the claims and `k`.
pub fn check_vapid(
    authorization: Option<&str>,
    origin: &str,
    now_secs: i64,
) -> Result<(serde_json::Value, String), String> {
    let value = authorization.ok_or("no Authorization header")?;
    let params = value.strip_prefix("vapid ").ok_or("the Authorization scheme is not vapid")?;
    let mut t = None;
    let mut k = None;
    for part in params.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.trim()),
            Some(("k", v)) => k = Some(v.trim()),
            _ => {}
        }
    }
    let (t, k) = (t.ok_or("no t= in the authorization")?, k.ok_or("no k= in the authorization")?);
    let b64 = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| format!("not base64url: {s}"));
    let key = VerifyingKey::from_sec1_bytes(&b64(k)?).map_err(|_| "k is not a P-256 public key")?;
    let parts: Vec<&str> = t.split('.').collect();
    let [head, claims, signature] = parts[..] else { return Err("the token does not have three parts".into()) };
    let head: serde_json::Value = serde_json::from_slice(&b64(head)?).map_err(|_| "bad JWT header")?;
    if head["alg"] != "ES256" {
        return Err(format!("alg is {}, not ES256", head["alg"]));
    }
    let signature = Signature::from_slice(&b64(signature)?).map_err(|_| "the signature is not r || s")?;
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .map_err(|_| "the signature does not verify with k")?;
    let claims: serde_json::Value = serde_json::from_slice(&b64(claims)?).map_err(|_| "bad JWT claims")?;
    if claims["aud"] != origin {
        return Err(format!("aud is {}, not the endpoint's origin {origin}", claims["aud"]));
    }
    let exp = claims["exp"].as_i64().ok_or("no exp")?;
    if exp <= now_secs || exp > now_secs + 24 * 3600 {
        return Err(format!("exp {exp} is not within the next 24 hours of {now_secs}"));
    }
    let sub = claims["sub"].as_str().ok_or("no sub")?;
    if !(sub.starts_with("mailto:") || sub.starts_with("https://")) {
        return Err(format!("sub {sub} is neither mailto: nor https:"));
    }
    Ok((claims, k.to_string()))
}

/// Decrypts an `aes128gcm` body for the holder of `secret` and `auth` (RFC 8291 §3, RFC 8188).
pub fn decrypt(secret: &SecretKey, auth: &[u8; 16], body: &[u8]) -> Result<Vec<u8>, String> {
    // Header: salt (16) | rs (4) | idlen (1) | keyid (idlen), here the sender's public key.
    if body.len() < 21 {
        return Err("body shorter than the aes128gcm header".into());
    }
    let salt = &body[..16];
    let rs = u32::from_be_bytes([body[16], body[17], body[18], body[19]]) as usize;
    let idlen = body[20] as usize;
    if idlen != 65 || body.len() < 21 + idlen {
        return Err(format!("key id of {idlen} octets, not an uncompressed P-256 key"));
    }
    let as_public_bytes = &body[21..21 + idlen];
    let records = &body[21 + idlen..];
    if rs < 18 || records.len() > rs {
        return Err(format!("record size {rs} does not hold the {}-octet record", records.len()));
    }
    if records.len() + 21 + idlen > 4096 {
        return Err("body over 4096 octets".into());
    }
    let as_public = PublicKey::from_sec1_bytes(as_public_bytes).map_err(|_| "key id is not on P-256")?;
    let ua_public = secret.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), as_public.as_affine());
    // RFC 8291 §3.4: PRK_key = HMAC(auth_secret, ecdh_secret);
    // IKM = HMAC(PRK_key, "WebPush: info" || 0x00 || ua_public || as_public || 0x01).
    let mut key_info = b"WebPush: info\x00".to_vec();
    key_info.extend_from_slice(ua_public.as_bytes());
    key_info.extend_from_slice(as_public_bytes);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|e| e.to_string())?;
    // RFC 8188 §2.2–2.3: PRK = HMAC(salt, IKM); CEK and NONCE from it.
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\x00", &mut cek).map_err(|e| e.to_string())?;
    prk.expand(b"Content-Encoding: nonce\x00", &mut nonce).map_err(|e| e.to_string())?;
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|e| e.to_string())?;
    // One record, sequence number 0: the nonce is NONCE itself.
    let mut padded = cipher.decrypt(Nonce::from_slice(&nonce), records).map_err(|_| "AES-GCM authentication failed")?;
    // Strip the padding: trailing zeros, then the delimiter, which must be 0x02 (last record).
    while padded.last() == Some(&0) {
        padded.pop();
    }
    match padded.pop() {
        Some(2) => Ok(padded),
        other => Err(format!("padding delimiter {other:?}, not 0x02 (last record)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    #[test]
    fn decrypts_the_message_of_rfc_8291_section_5() {
        let ua_private = SecretKey::from_slice(&b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")).unwrap();
        let auth: [u8; 16] = b64("BTBZMqHH6r4Tts7J_aSIgg").try_into().unwrap();
        let body = b64(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
        );
        assert_eq!(decrypt(&ua_private, &auth, &body).unwrap(), b"When I grow up, I want to be a watermelon");
        let mut tampered = body.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(decrypt(&ua_private, &auth, &tampered).is_err());
    }

    #[test]
    fn vapid_tokens_are_checked() {
        assert!(check_vapid(None, "http://x", 0).is_err());
        assert!(check_vapid(Some("Bearer abc"), "http://x", 0).is_err());
        assert!(check_vapid(Some("vapid t=a.b.c, k=AAAA"), "http://x", 0).is_err());
    }
}
