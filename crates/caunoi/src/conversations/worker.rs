//! The inbound worker: claims stored webhook events (leased, see `store::claim_inbound`) and
//! processes them in batches, one transaction per batch ([`service::apply_inbound_batch`]),
//! falling back to one event per transaction when a batch fails. Woken by the webhook through
//! `app.channels.inbound_wake`, with a polling fallback so nothing waits on a lost wake-up
//! (another instance may have stored the event).
//!
//! Order: one worker claims per process, oldest first, and a citizen's events always go to the
//! same lane, applied in order, so a conversation sees its messages in the order they came.

use super::store::InboundEvent;
use super::{service, store};
use crate::app::App;
use crate::db::Engine;
use std::hash::{Hash, Hasher};
use std::time::Duration;

/// How long a claimed event is reserved for its worker; a worker that dies releases it when
/// this runs out.
pub const LEASE: Duration = Duration::from_secs(30);
/// Events claimed at once.
pub const BATCH: i64 = 32;
/// Polling interval when idle.
pub const POLL: Duration = Duration::from_millis(500);
/// After this many failed attempts an event is set aside with its error.
pub const MAX_ATTEMPTS: i64 = 8;

pub async fn run(app: App, index: usize) {
    tracing::debug!(index, "inbound worker started");
    let batch = claim_size(&app);
    loop {
        let now = app.clock.now_micros();
        match store::claim_inbound(&app.db, now, now + LEASE.as_micros() as i64, batch).await {
            Ok(events) if !events.is_empty() => {
                if process_claimed(&app, events).await > 0 {
                    app.channels.outbox_wake.notify_one();
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "inbound claim failed"),
        }
        tokio::select! {
            _ = app.channels.inbound_wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Events claimed at once: on SQLite a batch is one transaction on the one writer connection,
/// which webhook acks wait behind, so it stays short (32 events take a few milliseconds); on
/// PostgreSQL the claim is split into [`PG_LANES`] transactions that run side by side.
fn claim_size(app: &App) -> i64 {
    match app.db.engine() {
        Engine::Sqlite => BATCH,
        Engine::Postgres => BATCH * PG_LANES as i64,
    }
}

/// Transactions one claim is split into on PostgreSQL (by citizen, so one citizen's events
/// stay in order in one lane and lanes never wait on each other's row locks).
pub const PG_LANES: usize = 4;

/// Processes claimed events (oldest first): parsed and prepared once, split into lanes by
/// citizen, each lane applied in ONE transaction; a lane that fails is retried event by event,
/// so a bad event is recorded as failed and the others of its batch still go through. Returns
/// the outbox rows written.
pub async fn process_claimed(app: &App, events: Vec<InboundEvent>) -> usize {
    let batch = match service::prepare_inbound_batch(app, events.clone()).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "cannot prepare inbound events; processing them one by one");
            let mut replies = 0;
            for ev in &events {
                replies += settle(app, ev, service::process_inbound(app, ev).await).await;
            }
            return replies;
        }
    };
    let lanes = match app.db.engine() {
        Engine::Sqlite => 1,
        Engine::Postgres => PG_LANES,
    };
    let mut by_lane: Vec<Vec<usize>> = vec![Vec::new(); lanes];
    for (i, ev) in batch.events().iter().enumerate() {
        let mut h = std::hash::DefaultHasher::new();
        (ev.oa_id.as_str(), batch.citizen(i).unwrap_or_default()).hash(&mut h);
        by_lane[(h.finish() % lanes as u64) as usize].push(i);
    }
    let runs = by_lane.iter().filter(|l| !l.is_empty()).map(|lane| process_lane(app, &batch, lane));
    futures::future::join_all(runs).await.into_iter().sum()
}

async fn process_lane(app: &App, batch: &service::InboundBatch, lane: &[usize]) -> usize {
    let events = batch.events();
    match service::apply_inbound_batch(app, batch, lane).await {
        Ok(done) => done.into_iter().map(|p| count(&p)).sum(),
        Err(e) if lane.len() > 1 => {
            tracing::info!(error = %e, events = lane.len(), "inbound batch failed; retrying its events one by one");
            let mut replies = 0;
            for &i in lane {
                let result = service::apply_inbound_batch(app, batch, &[i]).await;
                let result = result.map(|done| done.into_iter().next().unwrap_or_default());
                replies += settle(app, &events[i], result).await;
            }
            replies
        }
        Err(e) => match lane.first() {
            Some(&i) => settle(app, &events[i], Err(e)).await,
            None => 0,
        },
    }
}

fn count(p: &service::Processed) -> usize {
    if p.applied {
        metrics::counter!("caunoi_inbound_processed_total").increment(1);
    }
    if p.replies > 0 {
        metrics::counter!("caunoi_outbox_enqueued_total").increment(p.replies as u64);
    }
    p.replies
}

/// Counts a processed event, or records why it failed (set aside after [`MAX_ATTEMPTS`]).
async fn settle(app: &App, ev: &InboundEvent, result: Result<service::Processed, service::ProcessError>) -> usize {
    match result {
        Ok(p) => count(&p),
        Err(e) => {
            let error = e.to_string();
            tracing::warn!(event_id = ev.id, attempts = ev.attempts, error = %error, "inbound event failed");
            metrics::counter!("caunoi_inbound_failed_total").increment(1);
            let r = if ev.attempts >= MAX_ATTEMPTS {
                store::abandon_inbound(&app.db, ev.id, app.clock.now_micros(), &error).await
            } else {
                store::record_inbound_failure(&app.db, ev.id, &error).await
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, "cannot record an inbound failure");
            }
            0
        }
    }
}
