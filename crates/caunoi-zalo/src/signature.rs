//! Webhook signature check: `X-ZEvent-Signature: mac=<hex sha256(app_id + raw_body + timestamp + secret)>`.
//!
//! This is a plain SHA-256 over a string concatenation, not an HMAC (zalo-oa.md §3.5). It is
//! computed over the raw request bytes before any parsing, and compared in constant time.
//! The points §13.1 lists as unconfirmed (which secret, which first term, where the timestamp
//! comes from, prefix and hex case) are fields of [`SignatureConfig`]; the defaults follow
//! the majority of sources: `app_id` from the body, the OA secret key, `timestamp` from the
//! body, `mac=` prefix tolerated when missing, either hex case.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ids::{AppId, OaId};
use crate::secret::Secret;

/// Header that carries the MAC.
pub const SIGNATURE_HEADER: &str = "X-ZEvent-Signature";
/// A timestamp header some community code reads; Zalo is not known to send it (§3.5).
pub const TIMESTAMP_HEADER: &str = "X-ZEvent-Timestamp";
/// Header Zalo adds on redeliveries.
pub const RETRY_HEADER: &str = "num_retry";
/// Header Zalo adds on ZNS/ZBS events.
pub const SERVER_HEADER: &str = "X-ZEvent-Server";

/// The first term of the MAC input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MacFirstTerm {
    /// The App id (majority of sources).
    #[default]
    AppId,
    /// The OA id (some community code).
    OaId,
}

/// Which secret ends the MAC input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MacSecret {
    /// The OA Secret Key shown in the developer console (majority of sources).
    #[default]
    OaSecretKey,
    /// The App Secret Key (one compiled spec).
    AppSecret,
}

/// One way of computing the MAC.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MacVariant {
    /// First term.
    pub first_term: MacFirstTerm,
    /// Secret.
    pub secret: MacSecret,
}

impl MacVariant {
    /// The order in which diagnostic mode tries variants (§3.5 adapter policy).
    pub const DIAGNOSTIC_ORDER: [MacVariant; 3] = [
        MacVariant { first_term: MacFirstTerm::AppId, secret: MacSecret::OaSecretKey },
        MacVariant { first_term: MacFirstTerm::AppId, secret: MacSecret::AppSecret },
        MacVariant { first_term: MacFirstTerm::OaId, secret: MacSecret::OaSecretKey },
    ];
}

/// Where the timestamp term comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimestampSource {
    /// The body's `timestamp` field, verbatim (documented).
    #[default]
    BodyField,
    /// The `X-ZEvent-Timestamp` header (community myth; kept only to emulate such code).
    Header,
}

/// Whether the `mac=` prefix must be present.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MacPrefix {
    /// Accept with or without `mac=`.
    #[default]
    Optional,
    /// Reject a bare hex value.
    Required,
}

/// Which hex spellings are accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HexCase {
    /// Upper or lower case.
    #[default]
    Any,
    /// Lower case only.
    Lower,
}

/// Strict accepts only the configured variant; diagnostic tries all known variants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VerifyMode {
    /// Only [`SignatureConfig::variant`].
    #[default]
    Strict,
    /// [`MacVariant::DIAGNOSTIC_ORDER`]; the match is returned (and logged) so an operator
    /// can pin the variant that a real OA uses.
    Diagnostic,
}

/// How to verify webhook signatures for one OA.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignatureConfig {
    /// The variant used in strict mode.
    pub variant: MacVariant,
    /// Timestamp source.
    pub timestamp: TimestampSource,
    /// Prefix policy.
    pub prefix: MacPrefix,
    /// Hex case policy.
    pub hex_case: HexCase,
    /// Strict or diagnostic.
    pub mode: VerifyMode,
}

/// The ids and secrets one OA's webhooks are signed with.
#[derive(Clone, Debug)]
pub struct WebhookCredentials {
    /// The App id configured for the OA.
    pub app_id: AppId,
    /// The OA id.
    pub oa_id: OaId,
    /// The OA Secret Key.
    pub oa_secret_key: Secret,
    /// The App Secret Key, needed only for the [`MacSecret::AppSecret`] variant.
    pub app_secret: Option<Secret>,
}

/// What arrived with a webhook request.
#[derive(Clone, Copy, Debug)]
pub struct SignedRequest<'a> {
    /// Raw body bytes, exactly as received.
    pub raw_body: &'a [u8],
    /// Value of `X-ZEvent-Signature`, if present.
    pub signature: Option<&'a str>,
    /// Value of `X-ZEvent-Timestamp`, if present (only read with [`TimestampSource::Header`]).
    pub timestamp_header: Option<&'a str>,
}

/// Why a webhook signature was rejected. Answer 401 for all of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-ZEvent-Signature` header.
    #[error("the X-ZEvent-Signature header is missing")]
    MissingSignature,
    /// The header is not (`mac=`) + 64 hex digits, or breaks the prefix/case policy.
    #[error("the X-ZEvent-Signature header is malformed")]
    MalformedSignature,
    /// The body lacks `app_id` or `timestamp`, or is not JSON.
    #[error("the webhook body lacks `{0}`")]
    MissingBodyField(&'static str),
    /// The timestamp header is configured as the source but absent.
    #[error("the X-ZEvent-Timestamp header is missing")]
    MissingTimestampHeader,
    /// The body names another App than the one configured for this OA.
    #[error("the webhook names another app")]
    AppMismatch,
    /// The needed secret is not configured (App secret for the App-secret variant).
    #[error("no secret is configured for this signature variant")]
    SecretNotConfigured,
    /// The MAC does not match.
    #[error("the webhook signature does not match")]
    Mismatch,
}

/// SHA-256 of `first_term ‖ raw_body ‖ timestamp ‖ secret`.
pub fn compute_mac(first_term: &str, raw_body: &[u8], timestamp: &str, secret: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(first_term.as_bytes());
    hasher.update(raw_body);
    hasher.update(timestamp.as_bytes());
    hasher.update(secret.as_bytes());
    hasher.finalize().into()
}

/// The header value Zalo sends: `mac=` + lowercase hex MAC.
pub fn signature_header_value(first_term: &str, raw_body: &[u8], timestamp: &str, secret: &str) -> String {
    format!("mac={}", hex::encode(compute_mac(first_term, raw_body, timestamp, secret)))
}

/// Whether a body is the unsigned `{}` probe Zalo sends when a webhook URL is saved (§3.1).
/// Answer it 200 without side effects.
pub fn is_registration_probe(raw_body: &[u8]) -> bool {
    matches!(
        serde_json::from_slice::<serde_json::Value>(raw_body),
        Ok(serde_json::Value::Object(map)) if map.is_empty()
    )
}

#[derive(serde::Deserialize)]
struct MacFields {
    app_id: Option<serde_json::Value>,
    timestamp: Option<serde_json::Value>,
}

fn as_id(v: Option<serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// Verifies one webhook request; returns the variant that matched.
pub fn verify(
    config: &SignatureConfig,
    credentials: &WebhookCredentials,
    request: &SignedRequest<'_>,
) -> Result<MacVariant, SignatureError> {
    let header = request.signature.ok_or(SignatureError::MissingSignature)?.trim();
    let hex_part = match header.strip_prefix("mac=") {
        Some(rest) => rest,
        None if config.prefix == MacPrefix::Required => {
            return Err(SignatureError::MalformedSignature);
        }
        None => header,
    };
    if hex_part.len() != 64 || (config.hex_case == HexCase::Lower && hex_part.bytes().any(|b| b.is_ascii_uppercase())) {
        return Err(SignatureError::MalformedSignature);
    }
    let mut given = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut given).map_err(|_| SignatureError::MalformedSignature)?;

    let fields: MacFields =
        serde_json::from_slice(request.raw_body).map_err(|_| SignatureError::MissingBodyField("app_id"))?;
    let app_id = as_id(fields.app_id).ok_or(SignatureError::MissingBodyField("app_id"))?;
    if app_id != credentials.app_id.as_str() {
        return Err(SignatureError::AppMismatch);
    }
    let timestamp = match config.timestamp {
        TimestampSource::BodyField => as_id(fields.timestamp).ok_or(SignatureError::MissingBodyField("timestamp"))?,
        TimestampSource::Header => {
            request.timestamp_header.ok_or(SignatureError::MissingTimestampHeader)?.trim().to_owned()
        }
    };

    let candidates: &[MacVariant] = match config.mode {
        VerifyMode::Strict => std::slice::from_ref(&config.variant),
        VerifyMode::Diagnostic => &MacVariant::DIAGNOSTIC_ORDER,
    };
    let mut secret_missing = false;
    for variant in candidates {
        let first = match variant.first_term {
            MacFirstTerm::AppId => app_id.as_str(),
            MacFirstTerm::OaId => credentials.oa_id.as_str(),
        };
        let secret = match variant.secret {
            MacSecret::OaSecretKey => Some(&credentials.oa_secret_key),
            MacSecret::AppSecret => credentials.app_secret.as_ref(),
        };
        let Some(secret) = secret else {
            secret_missing = true;
            continue;
        };
        let expected = compute_mac(first, request.raw_body, &timestamp, secret.expose());
        if bool::from(expected.ct_eq(&given)) {
            if config.mode == VerifyMode::Diagnostic {
                tracing::info!(oa_id = %credentials.oa_id, ?variant, "webhook signature variant matched");
            }
            return Ok(*variant);
        }
    }
    if secret_missing && config.mode == VerifyMode::Strict {
        return Err(SignatureError::SecretNotConfigured);
    }
    Err(SignatureError::Mismatch)
}
