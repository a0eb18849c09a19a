//! The inbound worker: takes stored webhook events, oldest first, and processes them in
//! batches, one transaction per batch ([`processing::apply_batch`]), falling back to one
//! event per transaction when a batch fails. Woken by the webhook through
//! `app.channels().inbound_wake`, with a polling fallback so nothing waits on a lost wake-up.
//!
//! How it takes events depends on the engine:
//! - **SQLite** has one process and one worker, so nothing needs leasing: the worker reads
//!   pending events from the inbound log's file (`Db::inbound_log`) and reads and prepares the
//!   next batch (its bodies parsed, its texts matched) while the current one is applied. The
//!   main file's writer only runs the batches' transactions, never a claim.
//! - **PostgreSQL** may run several instances: each batch is claimed with a lease
//!   (`store::claim_inbound`, `FOR UPDATE SKIP LOCKED`) that a dead worker's events outlive;
//!   the next batch is claimed and prepared while the current one is applied.
//!
//! Either way the transaction that applies an event records it as applied (`mark_processed`),
//! and a batch skips what is already recorded, so an event read twice is applied once. On
//! SQLite the log's `processed_at` follows after the commit ([`store::log_applied`]). Order: a
//! citizen's events always go to the same lane and are applied in order, so a conversation
//! sees its messages in the order they came.

use super::store::InboundEvent;
use super::turns::TurnOutcome;
use super::{processing, service, store};
use crate::app::App;
use crate::db::Engine;
use crate::db::StoreError;
use std::hash::{Hash, Hasher};
use std::time::Duration;

/// How long a claimed event is reserved for its worker (PostgreSQL); a worker that dies
/// releases it when this runs out. Also how long an event rests after a failed attempt.
pub const LEASE: Duration = Duration::from_secs(30);
/// Events taken at once.
pub const BATCH: i64 = 32;
/// Polling interval when idle.
pub const POLL: Duration = Duration::from_millis(500);
/// After this many failed attempts an event is set aside with its error.
pub const MAX_ATTEMPTS: i64 = 8;

/// Transactions one claim is split into on PostgreSQL (by citizen, so one citizen's events
/// stay in order in one lane and lanes never wait on each other's row locks).
pub const PG_LANES: usize = 4;

pub async fn run(app: App, index: usize) {
    tracing::debug!(index, "inbound worker started");
    match app.db.engine() {
        Engine::Sqlite => run_reading(app).await,
        Engine::Postgres => run_claiming(app).await,
    }
}

/// PostgreSQL: claim a batch and prepare it (media fetched, texts matched), then apply it
/// (split into [`PG_LANES`] transactions) while the next batch is claimed and prepared on a
/// task of its own, as on SQLite: the matcher's time no longer adds to the transactions'. The
/// claim leaves out the events being applied (they are leased), and the next batch is applied
/// only after this one committed, so a citizen's events still apply in order.
async fn run_claiming(app: App) {
    let mut ahead: Option<tokio::task::JoinHandle<Option<Batch>>> = None;
    loop {
        let next = match ahead.take() {
            Some(task) => task.await.unwrap_or_else(|e| {
                // Its events were leased: they come back when the lease runs out.
                tracing::warn!(error = %e, "the claiming task ended");
                None
            }),
            None => claim_and_prepare(&app).await,
        };
        let Some(batch) = next else {
            idle(&app).await;
            continue;
        };
        let claimer = app.clone();
        ahead = Some(tokio::spawn(async move { claim_and_prepare(&claimer).await }));
        let outcome = apply(&app, batch).await;
        log_applied(&app, &outcome.ids).await;
        if outcome.replies > 0 {
            app.channels().outbox_wake.notify_one();
        }
    }
}

/// Claims the next batch (PostgreSQL) and prepares it; `None` when nothing is due.
async fn claim_and_prepare(app: &App) -> Option<Batch> {
    let now = app.clock.now_micros();
    let limit = BATCH * PG_LANES as i64;
    match store::claim_inbound(&app.db, now, now + LEASE.as_micros() as i64, limit).await {
        Ok(events) if !events.is_empty() => Some(prepare(app, events).await),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "inbound claim failed");
            None
        }
    }
}

/// SQLite: the next batch is read and prepared on a task of its own while the current one is
/// applied; it leaves out the events being applied (they are still pending in its snapshot).
/// The same task first marks the batch applied before them in the inbound log, so that step
/// is not on the writer's path either.
async fn run_reading(app: App) {
    // The next batch read and made ready, or why it could not be read.
    let mut ahead: Option<tokio::task::JoinHandle<Result<Batch, String>>> = None;
    let mut applied: Vec<i64> = Vec::new();
    loop {
        let next = match ahead.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(format!("the reading task ended: {e}"))),
            None => read_and_prepare(app.clone(), std::mem::take(&mut applied), Vec::new()).await,
        };
        match next {
            Err(error) => tracing::warn!(error = %error, "cannot read pending inbound events"),
            Ok(batch) if !batch.is_empty() => {
                let in_flight = batch.ids();
                let done = std::mem::take(&mut applied);
                ahead = Some(tokio::spawn(read_and_prepare(app.clone(), done, in_flight)));
                let outcome = apply(&app, batch).await;
                applied = outcome.ids;
                if outcome.replies > 0 {
                    app.channels().outbox_wake.notify_one();
                }
                continue;
            }
            Ok(_) => {}
        }
        log_applied(&app, &std::mem::take(&mut applied)).await;
        idle(&app).await;
    }
}

/// Marks applied events in the inbound log (SQLite; see `store::log_applied`).
async fn log_applied(app: &App, ids: &[i64]) {
    if let Err(e) = service::log_applied(&app.db, ids, app.clock.now_micros()).await {
        // They are read again, skipped as applied, and marked then.
        tracing::warn!(error = %e, "cannot mark applied events in the inbound log");
    }
}

async fn idle(app: &App) {
    tokio::select! {
        _ = app.channels().inbound_wake.notified() => {}
        _ = tokio::time::sleep(POLL) => {}
    }
}

/// Events ready for their transaction. When preparing them as a batch failed (a unit's context
/// could not be read, say), they are kept as they are and processed one by one.
pub enum Batch {
    Ready(processing::PreparedBatch),
    OneByOne(Vec<InboundEvent>),
}

impl Batch {
    fn is_empty(&self) -> bool {
        match self {
            Batch::Ready(b) => b.events.is_empty(),
            Batch::OneByOne(events) => events.is_empty(),
        }
    }

    fn ids(&self) -> Vec<i64> {
        match self {
            Batch::Ready(b) => b.events.iter().map(|p| p.event.id).collect(),
            Batch::OneByOne(events) => events.iter().map(|ev| ev.id).collect(),
        }
    }
}

async fn read_and_prepare(app: App, applied: Vec<i64>, in_flight: Vec<i64>) -> Result<Batch, String> {
    log_applied(&app, &applied).await;
    let limit = BATCH + in_flight.len() as i64;
    match store::pending_inbound(&app.db, app.clock.now_micros(), limit).await {
        Ok(mut events) => {
            events.retain(|ev| !in_flight.contains(&ev.id));
            events.truncate(BATCH as usize);
            Ok(prepare(&app, events).await)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Parses and prepares events (see [`processing::prepare_batch`]).
pub async fn prepare(app: &App, events: Vec<InboundEvent>) -> Batch {
    match processing::prepare_batch(app, events.clone()).await {
        Ok(b) => Batch::Ready(b),
        Err(e) => {
            tracing::warn!(error = %e, "cannot prepare inbound events; processing them one by one");
            Batch::OneByOne(events)
        }
    }
}

/// Processes claimed events (oldest first): [`prepare`], [`apply`], and marks them in the
/// inbound log. Returns the outbox rows written.
pub async fn process_claimed(app: &App, events: Vec<InboundEvent>) -> usize {
    let outcome = apply(app, prepare(app, events).await).await;
    log_applied(app, &outcome.ids).await;
    outcome.replies
}

/// What applying a batch did: outbox rows written, and the events whose transaction committed
/// (applied now or found applied before).
#[derive(Default)]
pub struct Applied {
    pub replies: usize,
    pub ids: Vec<i64>,
}

impl Applied {
    fn add(&mut self, other: Applied) {
        self.replies += other.replies;
        self.ids.extend(other.ids);
    }
}

/// Applies a prepared batch, split into lanes by citizen (one on SQLite, whose one writer runs
/// one transaction at a time anyway), each lane in ONE transaction; a lane that fails is
/// retried event by event, so a bad event is recorded as failed and the others of its batch
/// still go through.
pub async fn apply(app: &App, batch: Batch) -> Applied {
    let batch = match batch {
        Batch::Ready(b) => b,
        Batch::OneByOne(events) => {
            let mut outcome = Applied::default();
            for ev in &events {
                outcome.add(settle(app, ev, process_one(app, ev.clone()).await).await);
            }
            return outcome;
        }
    };
    let lanes = match app.db.engine() {
        Engine::Sqlite => 1,
        Engine::Postgres => PG_LANES,
    };
    let mut by_lane: Vec<Vec<&processing::PreparedEvent>> = vec![Vec::new(); lanes];
    for prepared in &batch.events {
        let mut h = std::hash::DefaultHasher::new();
        (prepared.event.oa_id.as_str(), prepared.citizen().unwrap_or_default()).hash(&mut h);
        by_lane[(h.finish() % lanes as u64) as usize].push(prepared);
    }
    let runs = by_lane.iter().filter(|l| !l.is_empty()).map(|lane| process_lane(app, &batch, lane));
    let mut outcome = Applied::default();
    for lane in futures::future::join_all(runs).await {
        outcome.add(lane);
    }
    outcome
}

async fn process_lane(app: &App, batch: &processing::PreparedBatch, lane: &[&processing::PreparedEvent]) -> Applied {
    match processing::apply_batch(app, batch, lane).await {
        Ok(done) => Applied { replies: done.iter().map(count).sum(), ids: lane.iter().map(|p| p.event.id).collect() },
        Err(e) if lane.len() > 1 => {
            tracing::info!(error = %e, events = lane.len(), "inbound batch failed; retrying its events one by one");
            let mut outcome = Applied::default();
            for &prepared in lane {
                let result = processing::apply_batch(app, batch, &[prepared]).await;
                let result = result.map(|done| done.into_iter().next().unwrap_or_default());
                outcome.add(settle(app, &prepared.event, result).await);
            }
            outcome
        }
        Err(e) => match lane.first() {
            Some(prepared) => settle(app, &prepared.event, Err(e)).await,
            None => Applied::default(),
        },
    }
}

/// One event prepared and applied on its own (when its batch could not be prepared).
async fn process_one(app: &App, event: InboundEvent) -> Result<TurnOutcome, StoreError> {
    let batch = processing::prepare_batch(app, vec![event]).await?;
    let all: Vec<&processing::PreparedEvent> = batch.events.iter().collect();
    Ok(processing::apply_batch(app, &batch, &all).await?.into_iter().next().unwrap_or_default())
}

fn count(p: &TurnOutcome) -> usize {
    if p.applied {
        metrics::counter!("caunoi_inbound_processed_total").increment(1);
    }
    if p.replies > 0 {
        metrics::counter!("caunoi_outbox_enqueued_total").increment(p.replies as u64);
    }
    p.replies
}

/// Counts a processed event, or records why it failed: it rests for [`LEASE`], and is set
/// aside after [`MAX_ATTEMPTS`].
async fn settle(app: &App, ev: &InboundEvent, result: Result<TurnOutcome, StoreError>) -> Applied {
    match result {
        Ok(p) => Applied { replies: count(&p), ids: vec![ev.id] },
        Err(e) => {
            let error = e.to_string();
            tracing::warn!(event_id = ev.id, attempts = ev.attempts, error = %error, "inbound event failed");
            metrics::counter!("caunoi_inbound_failed_total").increment(1);
            let now = app.clock.now_micros();
            let r = if ev.attempts >= MAX_ATTEMPTS {
                store::abandon_inbound(&app.db, ev.id, now, &error).await
            } else {
                let retry_at = now + LEASE.as_micros() as i64;
                store::record_inbound_failure(&app.db, ev.id, ev.attempts, retry_at, &error).await
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, "cannot record an inbound failure");
            }
            Applied::default()
        }
    }
}
