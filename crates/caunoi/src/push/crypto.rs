//! The cryptography of Web Push, and nothing else: message encryption (RFC 8291, the
//! `aes128gcm` content coding of RFC 8188 with one record) and the VAPID authorization of the
//! application server (RFC 8292, an ES256 JWT). Pure functions over bytes; no I/O, no clock
//! (times come in as values), no database.
//!
//! Invariants: every message is encrypted with a fresh ephemeral key and a fresh salt; a
//! plaintext longer than [`MAX_PLAINTEXT`] is refused here, so nothing larger than the 4,096
//! octets every push service must accept can leave; a subscription's keys are checked when parsed
//! ([`SubscriptionKeys::parse`]), so a bad key is refused when it is posted, not at send time.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::RngCore;
use sha2::Sha256;

/// The record size announced in the header. One record carries the whole message, so any
/// value larger than the message works; 4,096 is what RFC 8291's example and the browsers use.
const RECORD_SIZE: u32 = 4096;

/// salt (16) + record size (4) + key id length (1) + key id (the 65-octet sender key).
pub const HEADER_LEN: usize = 16 + 4 + 1 + 65;

/// AES-GCM's authentication tag.
const TAG_LEN: usize = 16;

/// The largest message body a push service must accept (RFC 8291 §4: "at least 4096 octets").
pub const MAX_BODY: usize = 4096;

/// The largest plaintext that still fits [`MAX_BODY`]: the header, the padding delimiter octet
/// and the tag come on top.
pub const MAX_PLAINTEXT: usize = MAX_BODY - HEADER_LEN - 1 - TAG_LEN;

/// The longest a VAPID token may live (RFC 8292 §2: no more than 24 hours from the request).
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 24 * 3600;

/// Why a key or a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushCryptoError {
    /// `p256dh` is not the base64url of an uncompressed point on P-256 (65 octets, 0x04 first).
    #[error("p256dh is not an uncompressed P-256 public key")]
    BadPublicKey,
    /// `auth` is not the base64url of 16 octets.
    #[error("auth is not a 16-octet secret")]
    BadAuthSecret,
    /// The plaintext would not fit the 4,096 octets every push service accepts.
    #[error("the message is {0} bytes; at most {MAX_PLAINTEXT} fit a push message")]
    TooLarge(usize),
    /// A stored application server key that does not parse.
    #[error("the application server key is not a P-256 private key")]
    BadServerKey,
}

/// The keys of a browser's push subscription (`PushSubscription.getKey('p256dh')`, `('auth')`).
#[derive(Clone, PartialEq, Eq)]
pub struct SubscriptionKeys {
    /// The user agent's public key, uncompressed (65 octets).
    pub ua_public: [u8; 65],
    /// The authentication secret (16 octets).
    pub auth: [u8; 16],
}

impl std::fmt::Debug for SubscriptionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubscriptionKeys(..)")
    }
}

impl SubscriptionKeys {
    /// Parses the two keys as browsers give them (base64url, with or without padding) and checks
    /// that `p256dh` is a point on the curve.
    pub fn parse(p256dh: &str, auth: &str) -> Result<SubscriptionKeys, PushCryptoError> {
        let ua = decode_b64url(p256dh).ok_or(PushCryptoError::BadPublicKey)?;
        let ua_public: [u8; 65] = ua.try_into().map_err(|_| PushCryptoError::BadPublicKey)?;
        if ua_public[0] != 0x04 || PublicKey::from_sec1_bytes(&ua_public).is_err() {
            return Err(PushCryptoError::BadPublicKey);
        }
        let auth = decode_b64url(auth).ok_or(PushCryptoError::BadAuthSecret)?;
        let auth: [u8; 16] = auth.try_into().map_err(|_| PushCryptoError::BadAuthSecret)?;
        Ok(SubscriptionKeys { ua_public, auth })
    }

    /// `p256dh` in the canonical form we store: base64url without padding.
    pub fn p256dh_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.ua_public)
    }

    /// `auth` in the canonical form we store.
    pub fn auth_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.auth)
    }
}

/// Base64url with or without padding; standard base64 characters are accepted too, since some
/// libraries hand keys out that way.
pub fn decode_b64url(text: &str) -> Option<Vec<u8>> {
    let t: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(t).ok()
}

/// Encrypts `plaintext` for a subscription (RFC 8291 §3–4): a fresh ephemeral key pair and a
/// fresh 16-octet salt, then [`encrypt_with`].
pub fn encrypt(keys: &SubscriptionKeys, plaintext: &[u8]) -> Result<Vec<u8>, PushCryptoError> {
    let ephemeral = random_secret_key();
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    encrypt_with(keys, plaintext, &ephemeral, &salt)
}

/// The content-encryption key and nonce of one message (RFC 8291 §3.4, RFC 8188 §2.2–2.3), with
/// the intermediate values, which RFC 8291's Appendix A lists and the tests check one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedKeys {
    pub ecdh_secret: [u8; 32],
    pub ikm: [u8; 32],
    pub cek: [u8; 16],
    pub nonce: [u8; 12],
}

/// Derives the content-encryption key and nonce from the shared ECDH secret, the subscription's
/// authentication secret, both public keys and the salt.
pub fn derive(
    ecdh_secret: [u8; 32],
    auth: &[u8; 16],
    ua_public: &[u8; 65],
    as_public: &[u8; 65],
    salt: &[u8; 16],
) -> DerivedKeys {
    // IKM = HKDF(salt = auth_secret, ikm = ecdh_secret, info = "WebPush: info" 0x00 ua_public as_public, 32)
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(as_public);
    let mut ikm = [0u8; 32];
    // Expanding at most 255 blocks never fails; 32 octets is one.
    let _ = Hkdf::<Sha256>::new(Some(auth), &ecdh_secret).expand(&key_info, &mut ikm);
    // RFC 8188: PRK = HMAC-SHA-256(salt, IKM); CEK and NONCE expand from it.
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    let _ = prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek);
    let mut nonce = [0u8; 12];
    let _ = prk.expand(b"Content-Encoding: nonce\0", &mut nonce);
    DerivedKeys { ecdh_secret, ikm, cek, nonce }
}

/// Encrypts with a given sender key and salt (the tests reproduce RFC 8291's example with it).
/// The body is the `aes128gcm` header — salt, record size, the sender's public key as key id —
/// followed by one record: the plaintext, the last-record delimiter 0x02, no padding.
pub fn encrypt_with(
    keys: &SubscriptionKeys,
    plaintext: &[u8],
    sender: &SecretKey,
    salt: &[u8; 16],
) -> Result<Vec<u8>, PushCryptoError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(PushCryptoError::TooLarge(plaintext.len()));
    }
    let ua = PublicKey::from_sec1_bytes(&keys.ua_public).map_err(|_| PushCryptoError::BadPublicKey)?;
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), ua.as_affine());
    let mut ecdh_secret = [0u8; 32];
    ecdh_secret.copy_from_slice(shared.raw_secret_bytes());
    let as_public = uncompressed(&sender.public_key());
    let k = derive(ecdh_secret, &keys.auth, &keys.ua_public, &as_public, salt);

    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(0x02);
    let cipher = Aes128Gcm::new_from_slice(&k.cek).map_err(|_| PushCryptoError::BadServerKey)?;
    // The only record has sequence number 0, so its nonce is NONCE itself (RFC 8188 §2.3).
    let sealed = cipher
        .encrypt(Nonce::from_slice(&k.nonce), Payload { msg: &record, aad: b"" })
        .map_err(|_| PushCryptoError::TooLarge(plaintext.len()))?;

    let mut body = Vec::with_capacity(HEADER_LEN + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// A public key as the 65-octet uncompressed point.
pub fn uncompressed(key: &PublicKey) -> [u8; 65] {
    let point = key.to_encoded_point(false);
    let mut out = [0u8; 65];
    out.copy_from_slice(point.as_bytes());
    out
}

/// A random P-256 private key (32 random octets, drawn again in the astronomically rare case
/// that they are not a valid scalar).
pub fn random_secret_key() -> SecretKey {
    loop {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        if let Ok(key) = SecretKey::from_slice(&bytes) {
            return key;
        }
    }
}

/// The application server's VAPID key pair (RFC 8292 §3.2): the browser subscribes with the
/// public key, and every push request is signed with the private one.
#[derive(Clone)]
pub struct VapidKeys {
    secret: SecretKey,
    public: [u8; 65],
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VapidKeys({})", self.public_key_text())
    }
}

impl VapidKeys {
    pub fn generate() -> VapidKeys {
        VapidKeys::from_secret(random_secret_key())
    }

    fn from_secret(secret: SecretKey) -> VapidKeys {
        let public = uncompressed(&secret.public_key());
        VapidKeys { secret, public }
    }

    /// From the 32-octet private scalar, as stored (sealed) in the database.
    pub fn from_private_bytes(bytes: &[u8]) -> Result<VapidKeys, PushCryptoError> {
        SecretKey::from_slice(bytes).map(VapidKeys::from_secret).map_err(|_| PushCryptoError::BadServerKey)
    }

    /// The 32-octet private scalar, for sealing with the instance key.
    pub fn private_bytes(&self) -> Vec<u8> {
        self.secret.to_bytes().to_vec()
    }

    /// The public key, base64url of the uncompressed point: the `applicationServerKey` the
    /// browser subscribes with, and the `k` of the `Authorization` header.
    pub fn public_key_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.public)
    }

    /// The `Authorization` header of a push request to `audience` (the push resource's origin,
    /// `https://host[:port]`), valid until `expires_at` (Unix seconds, at most 24 hours ahead),
    /// naming `subject` (a `mailto:` or `https:` contact) as RFC 8292 §2 asks.
    pub fn authorization(&self, audience: &str, expires_at: i64, subject: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": audience, "exp": expires_at, "sub": subject });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        // ES256 (RFC 7518 §3.4): ECDSA P-256 with SHA-256, the signature as r || s, 64 octets.
        let signature: Signature = SigningKey::from(&self.secret).sign(signing_input.as_bytes());
        let jwt = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        format!("vapid t={jwt}, k={}", self.public_key_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    // RFC 8291 §5 and Appendix A: every input pinned, every intermediate value published.
    const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
    const UA_PUBLIC: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const AS_PUBLIC: &str = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const ECDH_SECRET: &str = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
    const IKM: &str = "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg";
    const CEK: &str = "oIhVW04MRdy2XN9CiKLxTg";
    const NONCE: &str = "4h_95klXJ5E_qnoN";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    fn rfc_keys() -> SubscriptionKeys {
        SubscriptionKeys::parse(UA_PUBLIC, AUTH).unwrap()
    }

    #[test]
    fn encryption_reproduces_rfc_8291_appendix_a() {
        let sender = SecretKey::from_slice(&b64(AS_PRIVATE)).unwrap();
        assert_eq!(uncompressed(&sender.public_key()).to_vec(), b64(AS_PUBLIC));
        let salt: [u8; 16] = b64(SALT).try_into().unwrap();
        let body = encrypt_with(&rfc_keys(), PLAINTEXT.as_bytes(), &sender, &salt).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(&body), BODY);
        assert_eq!(body.len(), HEADER_LEN + PLAINTEXT.len() + 1 + TAG_LEN);
    }

    #[test]
    fn key_schedule_matches_each_intermediate_value_of_appendix_a() {
        let keys = rfc_keys();
        let as_public: [u8; 65] = b64(AS_PUBLIC).try_into().unwrap();
        let salt: [u8; 16] = b64(SALT).try_into().unwrap();
        let ecdh: [u8; 32] = b64(ECDH_SECRET).try_into().unwrap();
        let k = derive(ecdh, &keys.auth, &keys.ua_public, &as_public, &salt);
        assert_eq!(k.ikm.to_vec(), b64(IKM));
        assert_eq!(k.cek.to_vec(), b64(CEK));
        assert_eq!(k.nonce.to_vec(), b64(NONCE));
    }

    #[test]
    fn fresh_messages_differ_and_have_the_expected_length() {
        let a = encrypt(&rfc_keys(), b"x").unwrap();
        let b = encrypt(&rfc_keys(), b"x").unwrap();
        assert_ne!(a, b, "salt and ephemeral key are fresh each time");
        assert_eq!(a.len(), HEADER_LEN + 1 + 1 + TAG_LEN);
    }

    #[test]
    fn plaintexts_over_the_limit_are_refused() {
        let fits = vec![b'a'; MAX_PLAINTEXT];
        assert_eq!(encrypt(&rfc_keys(), &fits).unwrap().len(), MAX_BODY);
        let over = vec![b'a'; MAX_PLAINTEXT + 1];
        assert_eq!(encrypt(&rfc_keys(), &over), Err(PushCryptoError::TooLarge(MAX_PLAINTEXT + 1)));
    }

    #[test]
    fn subscription_keys_are_checked() {
        assert!(SubscriptionKeys::parse(&format!("{UA_PUBLIC}="), &format!("{AUTH}==")).is_ok());
        // Compressed point, wrong length, not on the curve, not base64.
        let compressed = {
            let pk = PublicKey::from_sec1_bytes(&b64(UA_PUBLIC)).unwrap();
            URL_SAFE_NO_PAD.encode(pk.to_encoded_point(true).as_bytes())
        };
        assert_eq!(SubscriptionKeys::parse(&compressed, AUTH), Err(PushCryptoError::BadPublicKey));
        assert_eq!(SubscriptionKeys::parse("BCVx", AUTH), Err(PushCryptoError::BadPublicKey));
        let mut off_curve = b64(UA_PUBLIC);
        off_curve[64] ^= 1;
        assert_eq!(
            SubscriptionKeys::parse(&URL_SAFE_NO_PAD.encode(off_curve), AUTH),
            Err(PushCryptoError::BadPublicKey)
        );
        assert_eq!(SubscriptionKeys::parse("not base64 !", AUTH), Err(PushCryptoError::BadPublicKey));
        assert_eq!(SubscriptionKeys::parse(UA_PUBLIC, "AAAA"), Err(PushCryptoError::BadAuthSecret));
        assert_eq!(
            SubscriptionKeys::parse(UA_PUBLIC, &URL_SAFE_NO_PAD.encode([0u8; 17])),
            Err(PushCryptoError::BadAuthSecret)
        );
    }

    #[test]
    fn vapid_header_carries_a_verifiable_es256_token() {
        let keys = VapidKeys::generate();
        let again = VapidKeys::from_private_bytes(&keys.private_bytes()).unwrap();
        assert_eq!(again.public_key_text(), keys.public_key_text());
        let header = keys.authorization("https://push.example.net", 1_900_000_000, "mailto:trucban@example.vn");
        let rest = header.strip_prefix("vapid t=").unwrap();
        let (jwt, k) = rest.split_once(", k=").unwrap();
        assert_eq!(k, keys.public_key_text());
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let head: serde_json::Value = serde_json::from_slice(&b64(parts[0])).unwrap();
        assert_eq!(head["alg"], "ES256");
        let claims: serde_json::Value = serde_json::from_slice(&b64(parts[1])).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_900_000_000);
        assert_eq!(claims["sub"], "mailto:trucban@example.vn");
        let signature = Signature::from_slice(&b64(parts[2])).unwrap();
        let verifier = VerifyingKey::from_sec1_bytes(&b64(k)).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert!(verifier.verify(signed.as_bytes(), &signature).is_ok());
        assert!(verifier.verify(b"something else", &signature).is_err());
    }
}
