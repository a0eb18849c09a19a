//! The inbound worker: claims stored webhook events (leased, see `store::claim_inbound`) and
//! processes each with [`service::process_inbound`]. Woken by the webhook through
//! `app.channels.inbound_wake`, with a polling fallback so nothing waits on a lost wake-up
//! (another instance may have stored the event).

use super::{service, store};
use crate::app::App;
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
    loop {
        let now = app.clock.now_micros();
        match store::claim_inbound(&app.db, now, now + LEASE.as_micros() as i64, BATCH).await {
            Ok(events) if !events.is_empty() => {
                let mut replies = 0;
                for ev in &events {
                    match service::process_inbound(&app, ev).await {
                        Ok(p) => {
                            replies += p.replies;
                            if p.applied {
                                metrics::counter!("caunoi_inbound_processed_total").increment(1);
                            }
                            if p.replies > 0 {
                                metrics::counter!("caunoi_outbox_enqueued_total").increment(p.replies as u64);
                            }
                        }
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
                        }
                    }
                }
                if replies > 0 {
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
