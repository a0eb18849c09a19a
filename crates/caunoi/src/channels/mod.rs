//! Channels: how citizens' messages arrive and how our replies leave. `zalo` holds the Zalo OA
//! webhook (verify, store raw, answer 200) and the sender that the outbox calls; `webchat` the
//! citizen's chat page, its widget and live stream. What a message *means* is decided in `conversations`, what leaves is
//! queued in `outbox`; a channel only translates between the wire and those two.
//!
//! [`Channels`] is the runtime part kept in the [`App`]: the wake-up signals of the background
//! workers and the per-OA Zalo clients. [`start_workers`] starts the inbound and outbox workers
//! unless the configuration turns them off (`CAUNOI_WORKERS=off`).

pub mod bench;
pub mod delivery;
pub mod webchat;
pub mod zalo;

use crate::app::App;
use axum::Router;
use std::sync::Arc;
use tokio::sync::Notify;

/// Runtime state of the channels, shared through the [`App`].
pub struct Channels {
    /// Woken when an inbound event was stored.
    pub inbound_wake: Arc<Notify>,
    /// Woken when outbox rows were written or became due.
    pub outbox_wake: Arc<Notify>,
    /// Zalo OpenAPI clients per OA and their rate limits.
    pub zalo: zalo::sender::ZaloRuntime,
    /// Wakes the web chat's live streams.
    pub web: webchat::Notifier,
    /// Stores webhook events before they are acknowledged (group commit on SQLite).
    pub inbound_writer: zalo::webhook::InboundWriter,
}

impl Channels {
    pub fn new(config: &crate::config::Config) -> Channels {
        Channels {
            inbound_wake: Arc::new(Notify::new()),
            outbox_wake: Arc::new(Notify::new()),
            zalo: zalo::sender::ZaloRuntime::new(config),
            web: webchat::Notifier::default(),
            inbound_writer: zalo::webhook::InboundWriter::default(),
        }
    }
}

impl App {
    /// The channels' runtime: worker wake-ups, Zalo clients, the web chat's notifier.
    pub fn channels(&self) -> &Channels {
        self.runtime()
    }
}

/// The channels' HTTP routes: the webhooks, which carry their own authentication (signatures),
/// so `web::router` exempts the `/channels/` prefix from the CSRF check, and Zalo's connection
/// pages in the console (which do not start with `/channels/` and keep the CSRF check).
pub fn routes() -> Router<App> {
    zalo::routes()
}

/// How often the SQLite write-ahead log is checkpointed (see `Db::checkpoint`).
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

async fn checkpoints(app: App) {
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if let Err(e) = app.db.checkpoint().await {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// The background workers of this process; dropping it stops them.
pub struct Workers(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Workers {
    fn drop(&mut self) {
        for h in &self.0 {
            h.abort();
        }
    }
}

/// Starts the inbound-event and outbox workers (none when `config.workers` is off). One
/// inbound worker per process, so a citizen's events are processed in order (on PostgreSQL it
/// splits each claim into parallel transactions by citizen, see `conversations::worker`). On
/// PostgreSQL several outbox workers run, claiming rows with `FOR UPDATE SKIP LOCKED`; on
/// SQLite one, since every write goes through the one writer connection anyway.
pub fn start_workers(app: &App) -> Workers {
    if !app.config.workers {
        tracing::info!("background workers are off (CAUNOI_WORKERS=off)");
        return Workers(Vec::new());
    }
    let outbox_workers = match app.db.engine() {
        crate::db::Engine::Sqlite => 1,
        crate::db::Engine::Postgres => 4,
    };
    let mut handles = vec![tokio::spawn(crate::conversations::worker::run(app.clone(), 0))];
    if app.db.engine() == crate::db::Engine::Sqlite {
        handles.push(tokio::spawn(checkpoints(app.clone())));
    }
    for i in 0..outbox_workers {
        handles.push(tokio::spawn(delivery::run(app.clone(), i)));
    }
    handles.push(tokio::spawn(crate::inbox::alarms::run(app.clone())));
    handles.push(tokio::spawn(crate::cases::worker::run(app.clone())));
    Workers(handles)
}
