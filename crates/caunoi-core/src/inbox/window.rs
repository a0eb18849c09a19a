//! Zalo's reply window: when the unit may still send a consultation message (tin tư vấn) to a
//! citizen, per `docs/zalo-oa.md` §5.2 (and rule 7 of §0).
//!
//! The rules, counted from the citizen's last interaction (a message, a follow, a tap on a
//! menu or quick-reply item, "Nhắn tin"; never our own sends or read receipts):
//! - up to 48 hours: allowed and free (unlimited free replies since 2026-01-01; 8 before);
//! - from 48 hours to 7 days: allowed but billed per message;
//! - after 7 days: refused by Zalo with error `-230`.
//!
//! The boundaries are taken as inclusive of the last instant (≤ 48 h, ≤ 7 days), matching the
//! wording of §5.2. Web chat has no such window; this applies to the Zalo channel only.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// Hours after the citizen's last interaction during which replies are free (§5.2).
pub const FREE_REPLY_HOURS: i64 = 48;
/// Hours after the citizen's last interaction after which Zalo refuses replies (§5.2: 7 days).
pub const REPLY_WINDOW_HOURS: i64 = 7 * 24;

/// Whether a consultation reply can still be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ReplyWindow {
    /// Sending is allowed until `closes_at` (7 days after the last interaction); see
    /// [`reply_cost`] for whether a reply is still free.
    Open { closes_at: Timestamp },
    /// More than 7 days: Zalo answers `-230`; only a ZBS template message can reach the citizen.
    Closed,
}

/// What a consultation reply sent now costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "cost")]
pub enum ReplyCost {
    /// Free until `until` (48 h after the last interaction).
    Free { until: Timestamp },
    /// Billed per message, possible until `until` (7 days after the last interaction).
    Billed { until: Timestamp },
    /// The window has closed.
    NotAllowed,
}

fn plus_hours(t: Timestamp, hours: i64) -> Timestamp {
    t.saturating_add(SignedDuration::from_hours(hours)).unwrap_or(Timestamp::MAX)
}

/// The reply window at `now` for a citizen whose last interaction was at
/// `last_citizen_message_at` (§5.2 of `docs/zalo-oa.md`: replies allowed for 7 days).
pub fn reply_window(last_citizen_message_at: Timestamp, now: Timestamp) -> ReplyWindow {
    let closes_at = plus_hours(last_citizen_message_at, REPLY_WINDOW_HOURS);
    if now <= closes_at { ReplyWindow::Open { closes_at } } else { ReplyWindow::Closed }
}

/// The cost of a reply at `now` (§5.2: free up to 48 h, billed up to 7 days, then refused).
pub fn reply_cost(last_citizen_message_at: Timestamp, now: Timestamp) -> ReplyCost {
    let free_until = plus_hours(last_citizen_message_at, FREE_REPLY_HOURS);
    match reply_window(last_citizen_message_at, now) {
        ReplyWindow::Open { .. } if now <= free_until => ReplyCost::Free { until: free_until },
        ReplyWindow::Open { closes_at } => ReplyCost::Billed { until: closes_at },
        ReplyWindow::Closed => ReplyCost::NotAllowed,
    }
}
