//! The durable outbound queue (hàng đợi gửi đi): every message caunoi sends to a citizen —
//! bot answers, officers' replies, later notifications — is first a row in `outbox`, written in
//! the same transaction as the decision that produced it, then delivered by a worker
//! (`channels::delivery`, which knows the channels' senders).
//!
//! Invariants: a row's `idempotency_key` is unique, so replaying a decision queues nothing new;
//! a row is only settled (`sent`, rescheduled, `dead`) by the worker holding its lease; a worker
//! that dies leaves the row `sending` until its lease runs out, then another worker takes it
//! (delivery is therefore at-least-once towards the provider: Zalo has no idempotency key).

pub mod http;
pub mod service;
pub mod store;

use serde::{Deserialize, Serialize};

/// Where a row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    /// Waiting for its time (`run_at`).
    Pending,
    /// Leased by a worker (until `locked_until`).
    Sending,
    /// Delivered.
    Sent,
    /// Given up on: a dead letter an officer can send again.
    Dead,
}

impl OutboxStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Dead => "dead",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<OutboxStatus> {
        [OutboxStatus::Pending, OutboxStatus::Sending, OutboxStatus::Sent, OutboxStatus::Dead]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

caunoi_core::stored_name!(OutboxStatus, "outbox status");

/// What a row asks the channel to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    /// A text message (already rendered for the channel: at most 2,000 characters on Zalo).
    Text {
        text: String,
        /// The citizen's message this answers (Zalo `quote_message_id`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quote_message_id: Option<String>,
    },
    /// A photo (JPEG/PNG, at most 1 MB for Zalo) stored under `<data_dir>/media/`, with an
    /// optional caption. Zalo: uploaded, then sent as a `media` template.
    Image {
        media_ref: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    /// A document (PDF/DOC/DOCX, at most 5 MB) stored under `<data_dir>/media/`, with the file
    /// name the citizen sees. Zalo: uploaded for a file token, then sent.
    File { media_ref: String, name: String },
}

/// Delay before attempt `attempts + 1`: exponential from 2 s, capped at 15 minutes, with
/// "equal jitter" (half fixed, half random) so a burst of failures does not retry in lockstep.
pub fn backoff_micros(attempts: i64, jitter: f64) -> i64 {
    const BASE: i64 = 2_000_000;
    const CAP: i64 = 15 * 60 * 1_000_000;
    let exp = attempts.clamp(1, 20) - 1;
    let full = BASE.saturating_mul(1_i64 << exp).min(CAP);
    let jitter = jitter.clamp(0.0, 1.0);
    full / 2 + ((full / 2) as f64 * jitter) as i64
}

/// After this many attempts a row that keeps failing becomes a dead letter.
pub const MAX_ATTEMPTS: i64 = 10;

/// How a channel send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// May succeed later: retry with backoff.
    #[error("{0}")]
    Retry(String),
    /// Will not succeed: dead letter.
    #[error("{0}")]
    Permanent(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_cap() {
        assert_eq!(backoff_micros(1, 0.0), 1_000_000);
        assert_eq!(backoff_micros(1, 1.0), 2_000_000);
        assert_eq!(backoff_micros(3, 1.0), 8_000_000);
        assert_eq!(backoff_micros(30, 1.0), 15 * 60 * 1_000_000);
        assert!(backoff_micros(4, 0.5) > backoff_micros(4, 0.0));
    }

    #[test]
    fn payload_json_is_tagged_by_kind() {
        let p = Payload::Text { text: "Xin chào".into(), quote_message_id: None };
        let json = serde_json::to_string(&p).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"text","text":"Xin chào"}"#);
        assert_eq!(serde_json::from_str::<Payload>(&json).ok(), Some(p));
    }

    #[test]
    fn media_payloads_are_tagged_and_text_rows_keep_parsing() {
        let image = Payload::Image { media_ref: "officer/ab.jpg".into(), caption: Some("Sơ đồ".into()) };
        let json = serde_json::to_string(&image).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"image","media_ref":"officer/ab.jpg","caption":"Sơ đồ"}"#);
        assert_eq!(serde_json::from_str::<Payload>(&json).ok(), Some(image));
        let file = Payload::File { media_ref: "officer/cd.pdf".into(), name: "mau-ct01.pdf".into() };
        let json = serde_json::to_string(&file).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Payload>(&json).ok(), Some(file));
        let old = r#"{"kind":"text","text":"Dạ","quote_message_id":"a1"}"#;
        assert!(matches!(serde_json::from_str::<Payload>(old), Ok(Payload::Text { .. })));
    }
}
