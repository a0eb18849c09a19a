//! Errors of the outbound side: OpenAPI calls ([`ApiError`]) and the token store ([`TokenError`]).
//!
//! Zalo answers application errors with HTTP 200 and `{"error": <non-zero>, "message": …}`
//! (zalo-oa.md §0 rule 2); [`ZaloErrorKind`] says what a code means for us (§5.6), while the
//! code and Zalo's message are kept verbatim for the log. No token or secret appears in
//! any error text.

/// Which Zalo host answered: the code tables differ (`-100` means "attachment expired" on the
/// OA OpenAPI but "unknown error, retry" on the ZNS/ZBS business host).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZaloHost {
    /// `openapi.zalo.me`.
    OpenApi,
    /// `business.openapi.zalo.me` (ZNS/ZBS by phone).
    Business,
}

/// What a non-zero Zalo `error` code means to caunoi.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZaloErrorKind {
    /// `-32`: app or OA reached its request limit; back off and retry.
    RateLimited,
    /// `-216` (and ZNS `-124`): the access token is not valid; refresh once and retry.
    AccessTokenInvalid,
    /// `-220`: the access token expired or was removed; refresh once and retry.
    AccessTokenExpired,
    /// `-230` / `-232`: the user has not interacted with the OA in the last 7 days; only a
    /// template message (ZBS) can reach them now.
    ReplyWindowClosed,
    /// `-213`: the user does not follow the OA.
    UserNotFollower,
    /// The user blocked the OA or this message type, was banned, or cannot receive
    /// (`-217`, `-227`, `-244`; ZNS `-114`, `-118`, `-119`, `-139`, `-141`).
    UserBlocked,
    /// A parameter is invalid or too long (`-201`, `-210`; ZNS `-108`, `-109`, `-1121`, `-1122`).
    InvalidParams,
    /// `-233`: message type unsupported; fall back to plain text.
    UnsupportedMessageType,
    /// `-100` on the OpenAPI: an uploaded `attachment_id`/token expired (7 days); re-upload.
    AttachmentExpired,
    /// Out of quota (`-211`, `-218`; ZNS `-115`, `-144`, `-147`).
    OutOfQuota,
    /// Not allowed at night (`-234`; ZNS `-133`); reschedule to 06:00.
    NightBan,
    /// The template cannot be sent (`-249` no UID sending, ZNS `-117`, `-131`, `-146`).
    TemplateUnavailable,
    /// Generic send failure, worth a retry with backoff (`-200`; ZNS `-100`).
    SendFailed,
    /// The OA or App is not set up for this call (`-204`, `-205`, `-209`, `-212`, `-219`,
    /// `-221`, `-223`, `-224`, `-240`, `-242`, `-320`, `-321`; ZNS `-135`, `-136`, `-137`);
    /// alert an administrator.
    AccountSetup,
    /// Any other code.
    Other,
}

impl ZaloErrorKind {
    /// Maps a Zalo error code (§5.6).
    pub fn from_code(host: ZaloHost, code: i64) -> Self {
        use ZaloErrorKind::*;
        match (host, code) {
            (_, -32) => RateLimited,
            (_, -216) | (ZaloHost::Business, -124) => AccessTokenInvalid,
            (_, -220) => AccessTokenExpired,
            (_, -230 | -232) => ReplyWindowClosed,
            (_, -213) => UserNotFollower,
            (_, -217 | -227 | -244) => UserBlocked,
            (ZaloHost::Business, -114 | -118 | -119 | -139 | -141) => UserBlocked,
            (_, -201 | -210) => InvalidParams,
            (ZaloHost::Business, -108 | -109 | -1121 | -1122) => InvalidParams,
            (_, -233) => UnsupportedMessageType,
            (ZaloHost::OpenApi, -100) => AttachmentExpired,
            (ZaloHost::Business, -100) => SendFailed,
            (_, -211 | -218) => OutOfQuota,
            (ZaloHost::Business, -115 | -144 | -147) => OutOfQuota,
            (_, -234) | (ZaloHost::Business, -133) => NightBan,
            (_, -249) => TemplateUnavailable,
            (ZaloHost::Business, -117 | -131 | -146) => TemplateUnavailable,
            (_, -200) => SendFailed,
            (_, -204 | -205 | -209 | -212 | -219 | -221 | -223 | -224 | -240 | -242 | -320 | -321) => AccountSetup,
            (ZaloHost::Business, -137..=-135) => AccountSetup,
            _ => Other,
        }
    }

    /// Whether the same request may succeed later without any change.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::RateLimited | Self::SendFailed | Self::OutOfQuota)
    }

    /// Whether the answer means "refresh the access token and retry once".
    pub fn is_token_rejection(self) -> bool {
        matches!(self, Self::AccessTokenInvalid | Self::AccessTokenExpired)
    }
}

/// An OpenAPI call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Zalo answered with `error != 0`.
    #[error("Zalo error {code} ({kind:?}): {message}")]
    Zalo {
        /// What the code means.
        kind: ZaloErrorKind,
        /// Zalo's code, verbatim.
        code: i64,
        /// Zalo's message, verbatim.
        message: String,
    },
    /// No usable access token (refresh failed, persistence failed, reconnect needed).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The request did not complete (connection, timeout).
    #[error("request to Zalo failed: {0}")]
    Transport(String),
    /// Zalo answered with a non-2xx HTTP status.
    #[error("Zalo answered HTTP {0}")]
    HttpStatus(u16),
    /// The answer was not the documented JSON shape.
    #[error("unexpected answer from Zalo: {0}")]
    Decode(String),
}

impl ApiError {
    /// The Zalo error kind, when Zalo answered `error != 0`.
    pub fn zalo_kind(&self) -> Option<ZaloErrorKind> {
        match self {
            Self::Zalo { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// Whether retrying later may succeed (queue retry with backoff).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Zalo { kind, .. } => kind.is_retryable(),
            Self::Transport(_) => true,
            Self::HttpStatus(status) => *status >= 500 || *status == 429,
            Self::Token(e) => e.is_retryable(),
            Self::Decode(_) => false,
        }
    }
}

/// Getting or refreshing the OA access token failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The OAuth server refused the refresh. Terminal: the grant is lost and the OA admin
    /// must reconnect the OA (§2.1: no code distinguishes "reused" from "expired").
    #[error("Zalo refused the token refresh ({code}): {message}; the OA must be reconnected")]
    RefreshRejected {
        /// Zalo's code.
        code: i64,
        /// Zalo's message.
        message: String,
    },
    /// The refresh token is past its 3-month life; the OA must be reconnected.
    #[error("the refresh token has expired; the OA must be reconnected")]
    RefreshTokenExpired,
    /// The refresh request did not complete; retry later.
    #[error("token refresh request failed: {0}")]
    Transport(String),
    /// The OAuth answer was not the documented shape.
    #[error("unexpected token refresh answer: {0}")]
    Decode(String),
    /// The new pair could not be saved; it is kept in memory and saving is retried before
    /// the new access token is handed out.
    #[error("could not persist the rotated token pair: {0}")]
    Persist(String),
}

impl TokenError {
    /// Whether a later attempt may succeed without human action.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transport(_) | Self::Persist(_))
    }
}

/// Describes a reqwest failure without its URL (which may carry query data).
pub(crate) fn transport_detail(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "request"
    };
    format!("{kind}: {}", e.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::decode_envelope;

    fn kind_of(host: ZaloHost, body: &str) -> Option<(ZaloErrorKind, i64)> {
        match decode_envelope::<serde_json::Value>(host, body.as_bytes()) {
            Err(ApiError::Zalo { kind, code, .. }) => Some((kind, code)),
            _ => None,
        }
    }

    #[test]
    fn http_200_with_nonzero_error_is_a_typed_error() {
        let body = r#"{"error":-216,"message":"Access token is invalid"}"#;
        assert_eq!(kind_of(ZaloHost::OpenApi, body), Some((ZaloErrorKind::AccessTokenInvalid, -216)));
        // `error` as a string is tolerated.
        assert_eq!(
            kind_of(ZaloHost::OpenApi, r#"{"error":"-230","message":"x"}"#),
            Some((ZaloErrorKind::ReplyWindowClosed, -230))
        );
    }

    #[test]
    fn codes_mean_different_things_per_host() {
        assert_eq!(ZaloErrorKind::from_code(ZaloHost::OpenApi, -100), ZaloErrorKind::AttachmentExpired);
        assert_eq!(ZaloErrorKind::from_code(ZaloHost::Business, -100), ZaloErrorKind::SendFailed);
        assert_eq!(ZaloErrorKind::from_code(ZaloHost::Business, -124), ZaloErrorKind::AccessTokenInvalid);
        assert_eq!(ZaloErrorKind::from_code(ZaloHost::OpenApi, -124), ZaloErrorKind::Other);
    }

    #[test]
    fn documented_codes_map_to_kinds() {
        use ZaloErrorKind::*;
        let table = [
            (-32, RateLimited),
            (-216, AccessTokenInvalid),
            (-220, AccessTokenExpired),
            (-230, ReplyWindowClosed),
            (-232, ReplyWindowClosed),
            (-213, UserNotFollower),
            (-217, UserBlocked),
            (-227, UserBlocked),
            (-244, UserBlocked),
            (-201, InvalidParams),
            (-210, InvalidParams),
            (-233, UnsupportedMessageType),
            (-211, OutOfQuota),
            (-234, NightBan),
            (-240, AccountSetup),
            (-249, TemplateUnavailable),
            (-12345, Other),
        ];
        for (code, kind) in table {
            assert_eq!(ZaloErrorKind::from_code(ZaloHost::OpenApi, code), kind, "{code}");
        }
    }

    #[test]
    fn success_envelope_yields_data_and_garbage_is_a_decode_error() {
        let ok: serde_json::Value =
            decode_envelope(ZaloHost::OpenApi, br#"{"data":{"message_id":"m"},"error":0,"message":"Success"}"#)
                .unwrap_or_default();
        assert_eq!(ok["message_id"], "m");
        assert!(matches!(decode_envelope::<serde_json::Value>(ZaloHost::OpenApi, b"<html>"), Err(ApiError::Decode(_))));
        assert!(matches!(
            decode_envelope::<serde_json::Value>(ZaloHost::OpenApi, br#"{"error":0}"#),
            Err(ApiError::Decode(_))
        ));
    }
}
