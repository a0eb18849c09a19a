//! Secrets at rest and the few primitives around them: authenticated encryption of stored
//! secrets (Zalo app secrets, TOTP seeds) with the instance key, keyed hashes for values that
//! must be matched but never stored (source addresses), Argon2id password hashes, and random
//! tokens. The instance key comes from configuration and never leaves this module.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Length of the instance key in bytes.
pub const KEY_LEN: usize = 32;

/// Encrypts and decrypts small secrets with the instance key (ChaCha20-Poly1305, random nonce).
#[derive(Clone)]
pub struct SecretBox {
    key: [u8; KEY_LEN],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

/// A stored secret that does not decrypt with this instance's key.
#[derive(Debug, thiserror::Error)]
#[error("a stored secret could not be decrypted: is the instance key the one it was written with?")]
pub struct DecryptError;

impl SecretBox {
    pub fn new(key: [u8; KEY_LEN]) -> SecretBox {
        SecretBox { key }
    }

    /// `v1:` followed by base64 of nonce and ciphertext.
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.key));
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and nonce cannot fail for in-memory buffers.
        let ct = cipher.encrypt(Nonce::from_slice(&nonce), plaintext).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("v1:{}", STANDARD.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> Result<Vec<u8>, DecryptError> {
        let raw = stored.strip_prefix("v1:").ok_or(DecryptError)?;
        let bytes = STANDARD.decode(raw).map_err(|_| DecryptError)?;
        if bytes.len() < 12 + 16 {
            return Err(DecryptError);
        }
        let (nonce, ct) = bytes.split_at(12);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.key));
        cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| DecryptError)
    }

    /// HMAC-SHA256 of `data` under a key derived from the instance key, hex encoded: for
    /// values that must be compared but never stored, such as a source IP address.
    pub fn keyed_hash(&self, purpose: &str, data: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable_mac());
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }
}

impl SecretBox {
    /// Argon2id of `data` with a salt derived from the instance key, hex encoded: a value that
    /// must be found again by itself (an anonymous reporter's receipt) yet resist guessing if
    /// the database leaks. Deterministic per instance, so it can be indexed. CPU-heavy (about
    /// 20 ms): call from a blocking task.
    pub fn slow_lookup_hash(&self, purpose: &str, data: &[u8]) -> String {
        let salt = self.keyed_hash(purpose, b"argon2 salt");
        let mut out = [0u8; 32];
        match Argon2::default().hash_password_into(data, &salt.as_bytes()[..32], &mut out) {
            Ok(()) => hex::encode(out),
            // Only impossible parameters fail; fall back to the keyed hash rather than panic.
            Err(_) => self.keyed_hash(purpose, data),
        }
    }
}

fn unreachable_mac() -> Hmac<Sha256> {
    // HMAC accepts keys of any length; this branch exists only to avoid a panic path.
    <Hmac<Sha256> as Mac>::new_from_slice(&[0u8; 32]).unwrap_or_else(|_| unreachable!())
}

/// Parses an instance key given as base64 (standard or URL-safe) of 32 bytes.
pub fn parse_key(text: &str) -> Option<[u8; KEY_LEN]> {
    let t = text.trim();
    let bytes = STANDARD.decode(t).or_else(|_| URL_SAFE_NO_PAD.decode(t.trim_end_matches('='))).ok()?;
    bytes.try_into().ok()
}

pub fn generate_key() -> [u8; KEY_LEN] {
    let mut k = [0u8; KEY_LEN];
    rand::rng().fill_bytes(&mut k);
    k
}

pub fn encode_key(key: &[u8; KEY_LEN]) -> String {
    STANDARD.encode(key)
}

/// A random URL-safe token with 256 bits of entropy (session cookies, one-time links).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// A random password people can type: 16 characters without look-alikes.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char).collect()
}

/// SHA-256 hex of a token, as stored for session look-up.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Argon2id hash in PHC format. CPU-heavy: call from a blocking task.
pub fn hash_password(password: &str) -> String {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).unwrap_or_default()
}

/// Checks a password against a PHC hash; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    !phc.is_empty() && Argon2::default().verify_password(password.as_bytes(), phc).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_lookup_hashes_are_stable_per_key_and_differ_across_keys() {
        let a = SecretBox::new([7; 32]);
        let b = SecretBox::new([8; 32]);
        let h = a.slow_lookup_hash("receipt", b"1234567890123456");
        assert_eq!(h.len(), 64);
        assert_eq!(h, a.slow_lookup_hash("receipt", b"1234567890123456"));
        assert_ne!(h, a.slow_lookup_hash("receipt", b"1234567890123457"));
        assert_ne!(h, b.slow_lookup_hash("receipt", b"1234567890123456"));
        assert_ne!(h, a.slow_lookup_hash("other", b"1234567890123456"));
    }

    #[test]
    fn secrets_round_trip_and_fail_with_another_key() {
        let a = SecretBox::new([7; 32]);
        let b = SecretBox::new([8; 32]);
        let sealed = a.encrypt(b"zalo-secret");
        assert_ne!(sealed, a.encrypt(b"zalo-secret"), "nonces must differ");
        assert_eq!(a.decrypt(&sealed).unwrap(), b"zalo-secret");
        assert!(b.decrypt(&sealed).is_err());
        assert!(a.decrypt("v1:AAAA").is_err());
        assert!(a.decrypt("garbage").is_err());
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("mật khẩu dài đủ");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu dài đủ", &h));
        assert!(!verify_password("wrong password", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn keys_parse_from_base64() {
        let k = generate_key();
        assert_eq!(parse_key(&encode_key(&k)), Some(k));
        assert_eq!(parse_key("short"), None);
    }
}
