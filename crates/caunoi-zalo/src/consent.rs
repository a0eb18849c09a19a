//! The OA admin's consent (OAuth v4 for an Official Account, zalo-oa.md §2.1–§2.2): the PKCE
//! pair and the URL of Zalo's permission page. What comes back on the callback (`code`,
//! `oa_id`, `state`) is exchanged with [`crate::OAuthClient::exchange_code`].
//!
//! PKCE is RFC 7636 S256: the verifier is 43 characters of base64url over 32 random bytes,
//! the challenge base64url (no padding) of the verifier's SHA-256. Zalo's permission URL
//! carries no `code_challenge_method`. The caller brings the random bytes (this crate holds no
//! random source) and keeps the verifier server-side until the exchange.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Path of the permission page on the OAuth host.
pub const PERMISSION_PATH: &str = "/v4/oa/permission";

/// The PKCE `code_verifier` made from 32 random bytes (43 base64url characters).
pub fn code_verifier(random: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// The `code_challenge` of a verifier: base64url without padding of SHA-256(verifier).
pub fn code_challenge(code_verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()))
}

/// The address of Zalo's permission page where the OA admin grants the App access to the OA:
/// `<oauth_base>/v4/oa/permission?app_id=…&redirect_uri=…&code_challenge=…&state=…`.
pub fn permission_url(oauth_base: &str, app_id: &str, redirect_uri: &str, code_challenge: &str, state: &str) -> String {
    let base = format!("{}{PERMISSION_PATH}", oauth_base.trim_end_matches('/'));
    match reqwest::Url::parse(&base) {
        Ok(mut url) => {
            url.query_pairs_mut()
                .append_pair("app_id", app_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("code_challenge", code_challenge)
                .append_pair("state", state);
            url.into()
        }
        // A base that is not a URL is a configuration error; the browser will show it.
        Err(_) => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_matches_the_rfc_7636_vector() {
        // RFC 7636 Appendix B, also satisfied by Zalo's PKCEUtil (zalo-oa.md §2.2).
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_is_43_url_safe_characters() {
        let v = code_verifier(&[0xfb; 32]);
        assert_eq!(v.len(), 43);
        assert!(v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{v}");
    }

    #[test]
    fn permission_url_encodes_every_parameter() {
        let url = permission_url(
            "https://oauth.zaloapp.com/",
            "1434927390812345678",
            "https://caunoi.example.vn/zalo/callback",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "a b&c",
        );
        assert_eq!(
            url,
            "https://oauth.zaloapp.com/v4/oa/permission?app_id=1434927390812345678\
             &redirect_uri=https%3A%2F%2Fcaunoi.example.vn%2Fzalo%2Fcallback\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&state=a+b%26c"
        );
    }
}
