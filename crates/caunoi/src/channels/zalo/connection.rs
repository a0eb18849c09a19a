//! What a unit's Zalo OA connection is, as plain data: its stored [`OaStatus`], the secrets
//! sealed with it ([`ZaloSecrets`]), and the [`Health`] the console shows, worked out from the
//! status and the times (no database, no clock: time comes in as a value).
//!
//! The one rule kept here: an OA counts as connected only while Zalo still accepts its tokens
//! and has not announced a revocation. A connected OA that has been silent for a day is still
//! connected (it answers citizens), but the console warns, since a wrong webhook URL looks
//! exactly like that.

use serde::{Deserialize, Serialize};

/// A day, in microseconds: the silence after which a connected OA gets a warning.
pub const QUIET_AFTER_MICROS: i64 = 24 * 3600 * 1_000_000;

/// The stored status of a connection (`zalo_oa_connections.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OaStatus {
    /// Secrets stored, no token yet (only rows from before the consent flow).
    AwaitingConsent,
    /// Zalo granted the App access and the tokens work.
    Connected,
    /// Zalo refused a token refresh (terminal: the refresh token is single-use, §2.3).
    RefreshFailed,
    /// The OA admin revoked the App (`permission_revoked`).
    Revoked,
    /// A unit admin disconnected the OA in the console (its tokens were deleted).
    Disconnected,
}

impl OaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OaStatus::AwaitingConsent => "awaiting_consent",
            OaStatus::Connected => "connected",
            OaStatus::RefreshFailed => "refresh_failed",
            OaStatus::Revoked => "revoked",
            OaStatus::Disconnected => "disconnected",
        }
    }

    /// Reads a stored status; an unknown name reads as lost (never as connected).
    pub fn parse(s: &str) -> OaStatus {
        match s {
            "connected" => OaStatus::Connected,
            "awaiting_consent" => OaStatus::AwaitingConsent,
            "revoked" => OaStatus::Revoked,
            "disconnected" => OaStatus::Disconnected,
            _ => OaStatus::RefreshFailed,
        }
    }
}

/// The secrets of a connected OA, stored encrypted as one JSON value.
#[derive(Clone, Serialize, Deserialize)]
pub struct ZaloSecrets {
    /// The App secret key (header `secret_key` of the OAuth calls).
    pub app_secret: String,
    /// The OA secret key used to verify webhook signatures.
    pub oa_secret_key: String,
}

impl std::fmt::Debug for ZaloSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ZaloSecrets(***)")
    }
}

/// What the console says about a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// No connection at all.
    NotConnected,
    /// Secrets stored, consent never given.
    AwaitingConsent,
    /// Connected, and Zalo has written within the last day (or the connection is younger).
    Connected,
    /// Connected, but no webhook for more than a day: check the webhook URL.
    Quiet,
    /// Zalo refused a token refresh: reconnect ("cần kết nối lại").
    RefreshFailed,
    /// The OA admin revoked the App: reconnect.
    Revoked,
    /// A unit admin disconnected it on purpose: nothing to warn about, reconnect at will.
    Disconnected,
}

impl Health {
    /// The health of a connection with `status`, connected at `connected_at`, last heard from
    /// at `last_webhook_at`, seen `now` (all unix microseconds).
    pub fn of(status: OaStatus, connected_at: Option<i64>, last_webhook_at: Option<i64>, now: i64) -> Health {
        match status {
            OaStatus::AwaitingConsent => Health::AwaitingConsent,
            OaStatus::RefreshFailed => Health::RefreshFailed,
            OaStatus::Revoked => Health::Revoked,
            OaStatus::Disconnected => Health::Disconnected,
            OaStatus::Connected => {
                let heard = last_webhook_at.max(connected_at).unwrap_or(now);
                if now.saturating_sub(heard) > QUIET_AFTER_MICROS { Health::Quiet } else { Health::Connected }
            }
        }
    }

    /// Whether an admin must act (reconnect, or look at the webhook).
    pub fn needs_attention(self) -> bool {
        matches!(self, Health::Quiet | Health::RefreshFailed | Health::Revoked)
    }

    /// Whether the OA is lost until an admin reconnects it.
    pub fn is_lost(self) -> bool {
        matches!(self, Health::RefreshFailed | Health::Revoked)
    }

    /// Whether citizens can reach the unit on Zalo now (the public page advertises the OA).
    pub fn is_live(self) -> bool {
        matches!(self, Health::Connected | Health::Quiet)
    }

    /// The class of its notice or badge (`ok`, `warn`, `err`, or empty).
    pub fn tone(self) -> &'static str {
        match self {
            Health::Connected => "ok",
            Health::Quiet | Health::AwaitingConsent => "warn",
            Health::RefreshFailed | Health::Revoked => "err",
            Health::NotConnected | Health::Disconnected => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600 * 1_000_000;

    #[test]
    fn a_connected_oa_silent_for_a_day_is_quiet_not_lost() {
        let now = 100 * H;
        assert_eq!(Health::of(OaStatus::Connected, Some(now - 2 * H), None, now), Health::Connected);
        assert_eq!(Health::of(OaStatus::Connected, Some(now - 25 * H), None, now), Health::Quiet);
        assert_eq!(Health::of(OaStatus::Connected, Some(now - 90 * H), Some(now - H), now), Health::Connected);
        assert_eq!(Health::of(OaStatus::Connected, Some(now - 90 * H), Some(now - 30 * H), now), Health::Quiet);
        assert!(Health::Quiet.is_live() && Health::Quiet.needs_attention() && !Health::Quiet.is_lost());
    }

    #[test]
    fn refused_refresh_and_revocation_are_lost_whatever_the_times() {
        for status in [OaStatus::RefreshFailed, OaStatus::Revoked] {
            let h = Health::of(status, Some(0), Some(0), 0);
            assert!(h.is_lost() && !h.is_live() && h.needs_attention());
        }
    }

    #[test]
    fn stored_names_round_trip_and_unknown_names_are_never_connected() {
        for s in [
            OaStatus::AwaitingConsent,
            OaStatus::Connected,
            OaStatus::RefreshFailed,
            OaStatus::Revoked,
            OaStatus::Disconnected,
        ] {
            assert_eq!(OaStatus::parse(s.as_str()), s);
        }
        assert_ne!(OaStatus::parse("garbage"), OaStatus::Connected);
    }

    #[test]
    fn a_disconnected_oa_is_neither_live_nor_an_alarm() {
        let h = Health::of(OaStatus::Disconnected, Some(0), Some(0), 0);
        assert_eq!(h, Health::Disconnected);
        assert!(!h.is_live() && !h.needs_attention() && !h.is_lost());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = ZaloSecrets { app_secret: "APP".into(), oa_secret_key: "OA".into() };
        assert_eq!(format!("{s:?}"), "ZaloSecrets(***)");
    }
}
