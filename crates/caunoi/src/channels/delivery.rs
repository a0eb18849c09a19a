//! Delivery (the outbox worker): leases due rows, hands each to its channel's sender, and settles it —
//! `sent` with the provider's message id, back to `pending` with exponential backoff and jitter
//! for temporary failures (rate limit, network, token refresh trouble), or `dead` with the
//! reason for permanent ones (reply window closed, user blocked, invalid message) and for rows
//! that exhausted [`super::MAX_ATTEMPTS`]. Woken through `app.channels().outbox_wake`, with a
//! polling fallback; due times follow `app.clock`, so tests move time instead of sleeping.
//!
//! A claimed batch is sent side by side per recipient (each OA's request limiter still paces
//! the calls), each row settled as soon as its send returns, together with those that returned
//! at the same moment (a crash never re-sends what was delivered before it). One recipient's messages go one after the other,
//! in the order they were queued; when one fails for now, the ones after it wait for its retry
//! instead of overtaking it (they go back to the queue without spending an attempt).

use crate::app::App;
use crate::outbox::store::{self, Settlement};
use crate::outbox::{MAX_ATTEMPTS, Payload, SendError, backoff_micros};
use caunoi_core::conversations::Channel;
use rand::Rng;
use std::collections::HashMap;
use std::time::Duration;

pub const LEASE: Duration = Duration::from_secs(60);
pub const BATCH: i64 = 32;
pub const POLL: Duration = Duration::from_millis(500);

pub async fn run(app: App, index: usize) {
    tracing::debug!(index, "outbox worker started");
    loop {
        let now = app.clock.now_micros();
        match crate::outbox::service::claim(&app.db, now, now + LEASE.as_micros() as i64, BATCH).await {
            Ok(rows) if !rows.is_empty() => {
                deliver_batch(&app, &rows).await;
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox claim failed"),
        }
        tokio::select! {
            _ = app.channels().outbox_wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn send(app: &App, row: &store::OutboxRow) -> Result<String, SendError> {
    let payload: Payload =
        serde_json::from_str(&row.payload).map_err(|_| SendError::Permanent("invalid payload".into()))?;
    match (row.channel, row.oa_id.as_deref()) {
        (Channel::Zalo, Some(oa)) => app.channels().zalo.send(app, oa, &row.recipient, &payload).await,
        (Channel::Zalo, None) => Err(SendError::Permanent("a Zalo message without its OA".into())),
        // The web chat's reply is already stored; delivering it is marking it sent (below).
        (Channel::Web, _) => Ok(crate::channels::webchat::provider_id(row)),
    }
}

/// Sends leased rows (oldest first): recipients side by side, each recipient's rows in order,
/// stopping at the first that must be retried (module docs). Each outcome goes to the settler as
/// soon as its send returns, and the settler commits whatever has arrived (group commit: one
/// transaction for the outcomes that finished together, never a wait for the batch), so a crash
/// re-sends at most the messages whose commit was in flight, never a batch already delivered.
pub async fn deliver_batch(app: &App, rows: &[store::OutboxRow]) {
    let mut by_recipient: Vec<Vec<&store::OutboxRow>> = Vec::new();
    let mut lane_of: HashMap<(Channel, Option<&str>, &str), usize> = HashMap::new();
    for row in rows {
        let key = (row.channel, row.oa_id.as_deref(), row.recipient.as_str());
        let lane = *lane_of.entry(key).or_insert_with(|| {
            by_recipient.push(Vec::new());
            by_recipient.len() - 1
        });
        by_recipient[lane].push(row);
    }
    let (done, mut arrived) = tokio::sync::mpsc::unbounded_channel();
    let lanes = async move {
        futures::future::join_all(by_recipient.iter().map(|lane| deliver_in_order(app, lane, &done))).await;
    };
    let settler = async {
        while let Some(first) = arrived.recv().await {
            let mut group = vec![first];
            while let Ok(more) = arrived.try_recv() {
                group.push(more);
            }
            settle(app, &group).await;
        }
    };
    futures::future::join(lanes, settler).await;
}

/// An outcome on its way to the settler.
type Done<'a> = tokio::sync::mpsc::UnboundedSender<(&'a store::OutboxRow, Settlement)>;

/// Settles outcomes in ONE transaction, with the channel's ids stamped on the messages
/// delivered; then the web chat's stream may show them. On failure the leases run out and the
/// rows are tried again.
async fn settle(app: &App, outcomes: &[(&store::OutboxRow, Settlement)]) {
    let result = async {
        let mut tx = app.db.begin().await?;
        let sent = crate::outbox::service::settle(&mut tx, outcomes, app.clock.now_micros()).await?;
        let stamps: Vec<(i64, &str)> = sent.iter().map(|(message, id)| (*message, id.as_str())).collect();
        if !stamps.is_empty() {
            crate::conversations::service::record_channel_ids(&mut tx, &stamps).await?;
        }
        tx.commit().await?;
        Ok::<(), crate::db::StoreError>(())
    };
    if let Err(e) = result.await {
        tracing::warn!(rows = outcomes.len(), error = %e, "cannot settle outbox rows");
        return;
    }
    for (row, _) in outcomes {
        if row.channel == Channel::Web {
            app.channels().web.notify_recipient(&row.recipient);
        }
    }
}

/// One recipient's rows, in order, each handed to the settler when its send returns; after a
/// temporary failure the rest are deferred (without spending an attempt).
async fn deliver_in_order<'a>(app: &App, rows: &[&'a store::OutboxRow], done: &Done<'a>) {
    let mut wait_until = None;
    for &row in rows {
        let outcome = match wait_until {
            Some(run_at) => Settlement::Deferred { run_at },
            None => outcome(app, row, send(app, row).await),
        };
        if let Settlement::Retry { run_at, .. } = &outcome {
            wait_until = Some(*run_at);
        }
        // The settler only stops after every lane has finished.
        let _ = done.send((row, outcome));
    }
}

/// What a send's result means for its row.
fn outcome(app: &App, row: &store::OutboxRow, result: Result<String, SendError>) -> Settlement {
    match result {
        Ok(provider_id) => {
            metrics::counter!("caunoi_outbox_sent_total", "channel" => row.channel.as_str()).increment(1);
            Settlement::Sent { provider_id }
        }
        Err(SendError::Retry(reason)) if row.attempts < MAX_ATTEMPTS => {
            let jitter: f64 = rand::rng().random();
            let run_at = app.clock.now_micros() + backoff_micros(row.attempts, jitter);
            tracing::info!(outbox_id = row.id, attempts = row.attempts, reason = %reason, "outbox send will be retried");
            metrics::counter!("caunoi_outbox_retried_total", "channel" => row.channel.as_str()).increment(1);
            Settlement::Retry { run_at, error: reason }
        }
        Err(SendError::Retry(reason) | SendError::Permanent(reason)) => {
            tracing::warn!(outbox_id = row.id, attempts = row.attempts, reason = %reason, "outbox message is a dead letter");
            metrics::counter!("caunoi_outbox_dead_total", "channel" => row.channel.as_str()).increment(1);
            Settlement::Dead { error: reason }
        }
    }
}
