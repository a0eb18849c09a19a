//! `POST /channels/zalo/{oa_id}/webhook`: Zalo's webhook. It finds the unit bound to the OA,
//! checks the signature over the raw bytes, stores the raw event in `inbound_events` (a repeat
//! delivery with the same dedupe key stores nothing) and answers 200 — well inside Zalo's 2 s.
//! Everything else happens later in the inbound worker, from the stored row.
//!
//! Refusals never store anything: unknown OA or bad signature → 401, not JSON or not UTF-8 →
//! 400, wrong content type → 415, body over 1 MB → 413, a known event lacking its fields → 400.
//! Each refusal counts in `caunoi_webhook_rejected_total{reason}`. Unknown event kinds are
//! stored (and later ignored), never refused. The route is exempt from the CSRF layer: Zalo
//! posts cross-site, the signature is the authentication.
//!
//! `permission_revoked` marks the OA disconnected (`service::mark_lost`) before the answer. A
//! signed event also notes when the OA was last heard from, at most once a minute per OA and
//! off the answer's path (`ZaloRuntime::heard_from`).
//!
//! The 200 is only sent once the event is committed ([`InboundWriter`]): concurrent deliveries
//! are grouped into one statement (one commit for many acks, instead of each waiting for the
//! SQLite writer behind the workers, or for its own WAL flush on PostgreSQL), written through a
//! small PostgreSQL pool of their own.

use crate::app::App;
use crate::conversations::store::NewInbound;
use crate::db::{Db, StoreError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use caunoi_core::conversations::Channel;
use caunoi_zalo::signature::{self, SignatureError, SignedRequest};
use caunoi_zalo::{AppId, Event, EventError, EventKind, OaId, Secret, WebhookCredentials};
use std::sync::OnceLock;
use tokio::sync::{mpsc, oneshot};

/// The event Zalo sends when the OA admin revokes the App's access (§3.4).
pub const PERMISSION_REVOKED: &str = "permission_revoked";

/// Largest webhook body accepted. Zalo events are a few hundred bytes.
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/channels/zalo/{oa_id}/webhook", post(receive).get(probe))
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES))
}

/// Some checkers open the URL with GET; answer it without side effects.
async fn probe() -> Response {
    json(StatusCode::OK, "ok")
}

fn json(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], serde_json::json!({ "status": message }).to_string())
        .into_response()
}

fn reject(status: StatusCode, reason: &'static str) -> Response {
    metrics::counter!("caunoi_webhook_rejected_total", "reason" => reason).increment(1);
    tracing::warn!(reason, status = status.as_u16(), "zalo webhook refused");
    json(status, reason)
}

async fn receive(State(app): State<App>, Path(oa_id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let received_at = app.clock.now_micros();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.trim().to_ascii_lowercase().starts_with("application/json") {
        return reject(StatusCode::UNSUPPORTED_MEDIA_TYPE, "content_type");
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return reject(StatusCode::BAD_REQUEST, "not_utf8");
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return reject(StatusCode::BAD_REQUEST, "malformed_json");
    };
    if signature::is_registration_probe(&body) {
        // Zalo probes a new webhook URL with an unsigned `{}` (§3.1).
        return json(StatusCode::OK, "ok");
    }
    let binding = match app.channels().zalo.bindings.get(&app, &oa_id).await {
        Ok(Some(b)) => b,
        Ok(None) => return reject(StatusCode::UNAUTHORIZED, "unknown_oa"),
        Err(e) => {
            tracing::error!(error = %e, "webhook: cannot read the OA binding");
            return json(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        }
    };
    let Some(secrets) = binding.secrets.as_ref() else {
        tracing::error!(oa_id = %oa_id, "webhook: the OA's secrets do not decrypt with the instance key");
        return reject(StatusCode::UNAUTHORIZED, "unknown_oa");
    };
    let app_id = binding.app_id.clone();
    let credentials = WebhookCredentials {
        app_id: AppId::new(app_id),
        oa_id: OaId::new(oa_id.as_str()),
        oa_secret_key: Secret::new(secrets.oa_secret_key.clone()),
        app_secret: Some(Secret::new(secrets.app_secret.clone())),
    };
    let request = SignedRequest {
        raw_body: &body,
        signature: headers.get(signature::SIGNATURE_HEADER).and_then(|v| v.to_str().ok()),
        timestamp_header: headers.get(signature::TIMESTAMP_HEADER).and_then(|v| v.to_str().ok()),
    };
    if let Err(e) = signature::verify(&app.config.zalo_signature, &credentials, &request) {
        return match e {
            SignatureError::MissingBodyField(_) => reject(StatusCode::BAD_REQUEST, "missing_field"),
            SignatureError::MissingSignature => reject(StatusCode::UNAUTHORIZED, "missing_signature"),
            SignatureError::MalformedSignature => reject(StatusCode::UNAUTHORIZED, "malformed_signature"),
            SignatureError::AppMismatch => reject(StatusCode::UNAUTHORIZED, "app_mismatch"),
            SignatureError::MissingTimestampHeader | SignatureError::SecretNotConfigured | SignatureError::Mismatch => {
                reject(StatusCode::UNAUTHORIZED, "bad_signature")
            }
        };
    }
    let event = match Event::from_value(value) {
        Ok(e) => e,
        Err(EventError::MissingField { .. }) => return reject(StatusCode::BAD_REQUEST, "missing_field"),
        Err(EventError::InvalidField { .. }) => return reject(StatusCode::BAD_REQUEST, "invalid_field"),
        Err(EventError::NotAnObject | EventError::InvalidJson { .. }) => {
            return reject(StatusCode::BAD_REQUEST, "malformed_json");
        }
    };
    // A known event must concern the OA whose URL and secret it came with.
    let revoked = event.event_name == PERMISSION_REVOKED;
    if (revoked || !matches!(event.kind, EventKind::Unknown { .. }))
        && event.oa_id().is_some_and(|o| o.as_str() != oa_id)
    {
        return reject(StatusCode::BAD_REQUEST, "other_oa");
    }
    app.channels().zalo.heard_from(&app, &oa_id);
    // The OA admin revoked the App: the OA is disconnected before the event is acknowledged
    // (marking is idempotent, so a redelivery after a failure here does it then).
    if revoked
        && let Err(e) =
            super::service::mark_lost(&app, &oa_id, super::service::Lost::Revoked, "permission_revoked").await
    {
        tracing::error!(error = %e, "webhook: cannot mark the OA disconnected");
        return json(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    }
    let dedupe_key = format!("{}|{}", Channel::Zalo, event.dedupe_key());
    let new = NewInbound {
        channel: Channel::Zalo.as_str(),
        oa_id: &oa_id,
        unit_id: binding.unit_id,
        event_name: &event.event_name,
        dedupe_key: &dedupe_key,
        raw_body: text,
        received_at,
        processed_at: (!super::inbound::needs_processing(&event)).then_some(received_at),
    };
    let settled = new.processed_at.is_some();
    match app.channels().inbound_writer.store(&app.db, new).await {
        Ok(Some(_)) => {
            metrics::counter!("caunoi_webhook_accepted_total").increment(1);
            if settled {
                metrics::counter!("caunoi_inbound_processed_total").increment(1);
            } else {
                app.channels().inbound_wake.notify_one();
            }
            json(StatusCode::OK, "ok")
        }
        Ok(None) => {
            metrics::counter!("caunoi_webhook_duplicates_total").increment(1);
            json(StatusCode::OK, "ok")
        }
        Err(e) => {
            // Not stored: answer an error so Zalo delivers it again.
            tracing::error!(error = %e, "webhook: cannot store the event");
            json(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

/// Most events one group commit stores.
const MAX_GROUP: usize = 256;

/// How the webhook stores events before acknowledging them: a group committer (started on
/// first use, kept in `app.channels()`) writing through `Db::ingest`, so on PostgreSQL acks never
/// wait for the workers' connections either.
#[derive(Default)]
pub struct InboundWriter {
    groups: OnceLock<mpsc::Sender<Pending>>,
}

/// An event waiting for its group's commit, and who to tell.
struct Pending {
    event: OwnedInbound,
    stored: oneshot::Sender<Result<Option<i64>, String>>,
}

struct OwnedInbound {
    channel: String,
    oa_id: String,
    unit_id: i64,
    event_name: String,
    dedupe_key: String,
    raw_body: String,
    received_at: i64,
    processed_at: Option<i64>,
}

impl OwnedInbound {
    fn as_new(&self) -> NewInbound<'_> {
        NewInbound {
            channel: &self.channel,
            oa_id: &self.oa_id,
            unit_id: self.unit_id,
            event_name: &self.event_name,
            dedupe_key: &self.dedupe_key,
            raw_body: &self.raw_body,
            received_at: self.received_at,
            processed_at: self.processed_at,
        }
    }
}

impl InboundWriter {
    /// Stores the event unless its dedupe key is known (`Some(id)` when new). Returns only
    /// after the commit that holds it, so a 200 always means durable.
    pub async fn store(&self, db: &Db, new: NewInbound<'_>) -> Result<Option<i64>, StoreError> {
        let groups = self.groups.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * MAX_GROUP);
            tokio::spawn(commit_groups(db.ingest(), rx));
            tx
        });
        let (stored, answer) = oneshot::channel();
        let event = OwnedInbound {
            channel: new.channel.to_string(),
            oa_id: new.oa_id.to_string(),
            unit_id: new.unit_id,
            event_name: new.event_name.to_string(),
            dedupe_key: new.dedupe_key.to_string(),
            raw_body: new.raw_body.to_string(),
            received_at: new.received_at,
            processed_at: new.processed_at,
        };
        let closed = || StoreError::Conflict("the inbound group committer stopped");
        groups.send(Pending { event, stored }).await.map_err(|_| closed())?;
        match answer.await {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(reason)) => {
                tracing::error!(error = %reason, "webhook: the group commit failed");
                Err(StoreError::Conflict("the inbound group commit failed"))
            }
            Err(_) => Err(closed()),
        }
    }
}

/// The group committer: takes whatever events queued up while the previous group was
/// committing (at most [`MAX_GROUP`]), stores them in one statement (one commit, on PostgreSQL
/// one WAL flush, for the group) and answers each only after the commit. Any failure fails the
/// whole group (nothing of it is acknowledged, Zalo delivers again). Ends when the app (the
/// sender) is dropped.
async fn commit_groups(db: Db, mut queue: mpsc::Receiver<Pending>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while queue.recv_many(&mut group, MAX_GROUP).await > 0 {
        let result = store_group(&db, &group).await;
        for (i, pending) in group.drain(..).enumerate() {
            let answer = match &result {
                Ok(ids) => Ok(ids.get(i).copied().flatten()),
                Err(e) => Err(e.to_string()),
            };
            let _ = pending.stored.send(answer);
        }
    }
}

// A group fits in one statement (see `store_group`).
const _: () = assert!(MAX_GROUP <= crate::db::MAX_ROWS_PER_STATEMENT);

/// Stores a group with ONE statement, which is atomic by itself on both engines: no `BEGIN`
/// and `COMMIT` round trips on the ack's path. (On SQLite the log file's writer connection is
/// its only writer, so the statement's implicit transaction cannot meet a newer snapshot.)
async fn store_group(db: &Db, group: &[Pending]) -> Result<Vec<Option<i64>>, StoreError> {
    let events: Vec<NewInbound<'_>> = group.iter().map(|p| p.event.as_new()).collect();
    crate::conversations::service::log_inbound(db, &events).await
}
