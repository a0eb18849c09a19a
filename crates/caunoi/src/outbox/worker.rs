//! The outbox worker: leases due rows, hands each to its channel's sender, and settles it —
//! `sent` with the provider's message id, back to `pending` with exponential backoff and jitter
//! for temporary failures (rate limit, network, token refresh trouble), or `dead` with the
//! reason for permanent ones (reply window closed, user blocked, invalid message) and for rows
//! that exhausted [`super::MAX_ATTEMPTS`]. Woken through `app.channels.outbox_wake`, with a
//! polling fallback; due times follow `app.clock`, so tests move time instead of sleeping.

use super::{Payload, backoff_micros, store};
use crate::app::App;
use rand::Rng;
use std::time::Duration;

pub const LEASE: Duration = Duration::from_secs(60);
pub const BATCH: i64 = 32;
pub const POLL: Duration = Duration::from_millis(500);

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

pub async fn run(app: App, index: usize) {
    tracing::debug!(index, "outbox worker started");
    loop {
        let now = app.clock.now_micros();
        match store::claim(&app.db, now, now + LEASE.as_micros() as i64, BATCH).await {
            Ok(rows) if !rows.is_empty() => {
                for row in rows {
                    deliver(&app, row).await;
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox claim failed"),
        }
        tokio::select! {
            _ = app.channels.outbox_wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn send(app: &App, row: &store::OutboxRow) -> Result<String, SendError> {
    let payload: Payload =
        serde_json::from_str(&row.payload).map_err(|_| SendError::Permanent("invalid payload".into()))?;
    match (row.channel.as_str(), row.oa_id.as_deref()) {
        (crate::channels::zalo::CHANNEL, Some(oa)) => app.channels.zalo.send(app, oa, &row.recipient, &payload).await,
        // The web chat's reply is already stored; delivering it is marking it sent (below).
        (crate::channels::webchat::CHANNEL, _) => Ok(crate::channels::webchat::provider_id(row)),
        _ => Err(SendError::Permanent(format!("no sender for channel {}", row.channel))),
    }
}

/// Sends one leased row and settles it.
pub async fn deliver(app: &App, row: store::OutboxRow) {
    let result = send(app, &row).await;
    let now = app.clock.now_micros();
    let settled = match result {
        Ok(provider_id) => {
            metrics::counter!("caunoi_outbox_sent_total", "channel" => row.channel.clone()).increment(1);
            store::mark_sent(&app.db, &row, &provider_id, now).await
        }
        Err(SendError::Retry(reason)) if row.attempts < super::MAX_ATTEMPTS => {
            let jitter: f64 = rand::rng().random();
            let run_at = now + backoff_micros(row.attempts, jitter);
            tracing::info!(outbox_id = row.id, attempts = row.attempts, reason = %reason, "outbox send will be retried");
            metrics::counter!("caunoi_outbox_retried_total", "channel" => row.channel.clone()).increment(1);
            store::reschedule(&app.db, row.id, run_at, &reason, now).await
        }
        Err(SendError::Retry(reason) | SendError::Permanent(reason)) => {
            tracing::warn!(outbox_id = row.id, attempts = row.attempts, reason = %reason, "outbox message is a dead letter");
            metrics::counter!("caunoi_outbox_dead_total", "channel" => row.channel.clone()).increment(1);
            store::mark_dead(&app.db, row.id, &reason, now).await
        }
    };
    if let Err(e) = settled {
        // The lease runs out and the row is tried again.
        tracing::warn!(outbox_id = row.id, error = %e, "cannot settle an outbox row");
    } else if row.channel == crate::channels::webchat::CHANNEL {
        // Settled as sent (or dead): the chat's live stream may show it now.
        app.channels.web.notify_recipient(&row.recipient);
    }
}
