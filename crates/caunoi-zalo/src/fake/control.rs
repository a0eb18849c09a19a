//! The fake's test-control surface under `/__fake/…`: play a citizen, read what the OA sent,
//! register webhook URLs, inject faults, move the clock, and serve media files. Nothing here
//! exists on real Zalo.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State as AxumState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{FakeError, Fault, Shared, webhook};
use crate::ids::OaId;

type App = AxumState<Arc<Shared>>;

pub(super) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__fake/users/{user_id}/send", post(user_send))
        .route("/__fake/messages", get(messages))
        .route("/__fake/faults", post(faults))
        .route("/__fake/webhooks", post(set_webhook))
        .route("/__fake/webhooks/release", post(release))
        .route("/__fake/clock", post(clock))
        .route("/__fake/stats", get(stats))
        .route("/__fake/media/{name}", get(media))
        .route("/__fake/oas/{oa_id}/revoke", post(revoke))
}

pub(super) fn apply_fault(shared: &Shared, fault: Fault) {
    let mut state = shared.lock();
    match fault {
        Fault::RateLimit { count } => state.faults.rate_limit += count,
        Fault::TokenExpired { count } => state.faults.token_expired += count,
        Fault::ExpireAccessToken { oa_id } => {
            let now = state.now_ms();
            let oa = OaId::new(oa_id);
            for info in state.access_tokens.values_mut() {
                if info.oa_id == oa {
                    info.expires_at_ms = now;
                }
            }
        }
        Fault::Error { code, message, count } => {
            for _ in 0..count {
                state.faults.errors.push_back((code, message.clone()));
            }
        }
        Fault::Delay { ms, count } => {
            for _ in 0..count {
                state.faults.delays.push_back(ms);
            }
        }
        Fault::DuplicateWebhooks { copies, count } => state.faults.duplicate = Some((copies, count)),
        Fault::ReorderWebhooks { count } => state.faults.reorder = count,
        Fault::CloseWindow { oa_id, user_id } => {
            if let Some(user) = state.users.get_mut(&(OaId::new(oa_id), crate::ids::UserId::new(user_id))) {
                user.last_interaction_ms = None;
            }
        }
        Fault::OauthError { code, message, count } => {
            for _ in 0..count {
                state.faults.oauth_errors.push_back((code, message.clone()));
            }
        }
        Fault::NextConsent { consent } => state.faults.next_consent = Some(consent),
        Fault::Clear => state.faults = Default::default(),
    }
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn user_send(
    AxumState(shared): App,
    Path(user_id): Path<String>,
    Json(action): Json<webhook::UserAction>,
) -> Response {
    match webhook::user_sends(&shared, &user_id, action).await {
        Ok(delivery) => Json(delivery).into_response(),
        Err(e @ FakeError::UnknownOa(_)) => error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e @ FakeError::NoWebhookUrl(_)) => error(StatusCode::CONFLICT, e.to_string()),
        Err(e @ FakeError::InvalidAction(_)) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

/// The OA admin revokes the App's access (tokens die, `permission_revoked` is delivered).
async fn revoke(AxumState(shared): App, Path(oa_id): Path<String>) -> Response {
    match webhook::revoke_permission(&shared, &oa_id).await {
        Ok(delivery) => Json(delivery).into_response(),
        Err(e @ FakeError::UnknownOa(_)) => error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e) => error(StatusCode::CONFLICT, e.to_string()),
    }
}

async fn messages(AxumState(shared): App, Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    let state = shared.lock();
    let list: Vec<_> = state
        .sent
        .iter()
        .filter(|m| q.get("user_id").is_none_or(|u| &m.user_id == u))
        .filter(|m| q.get("oa_id").is_none_or(|o| &m.oa_id == o))
        .cloned()
        .collect();
    Json(json!(list))
}

/// Accepts one fault object or an array of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum Faults {
    One(Fault),
    Many(Vec<Fault>),
}

async fn faults(AxumState(shared): App, Json(faults): Json<Faults>) -> Json<Value> {
    let list = match faults {
        Faults::One(f) => vec![f],
        Faults::Many(fs) => fs,
    };
    for fault in list {
        apply_fault(&shared, fault);
    }
    Json(json!({ "ok": true }))
}

#[derive(Deserialize)]
struct WebhookRegistration {
    oa_id: String,
    url: String,
}

async fn set_webhook(AxumState(shared): App, Json(reg): Json<WebhookRegistration>) -> Response {
    let mut state = shared.lock();
    match state.oas.get_mut(&OaId::new(reg.oa_id.clone())) {
        Some(oa) => {
            oa.webhook_url = Some(reg.url);
            Json(json!({ "ok": true })).into_response()
        }
        None => error(StatusCode::NOT_FOUND, FakeError::UnknownOa(reg.oa_id).to_string()),
    }
}

async fn release(AxumState(shared): App) -> Json<Value> {
    webhook::release_held(&shared).await;
    Json(json!({ "ok": true }))
}

#[derive(Deserialize)]
struct ClockChange {
    advance_ms: i64,
}

async fn clock(AxumState(shared): App, Json(change): Json<ClockChange>) -> Json<Value> {
    let mut state = shared.lock();
    state.clock_offset_ms = state.clock_offset_ms.saturating_add(change.advance_ms);
    Json(json!({ "now_ms": state.now_ms() }))
}

async fn stats(AxumState(shared): App) -> Json<Value> {
    let state = shared.lock();
    let per_oa: HashMap<String, u64> = state.oas.iter().map(|(id, oa)| (id.to_string(), oa.refresh_calls)).collect();
    Json(json!({
        "refresh_calls": state.refresh_calls,
        "refresh_calls_by_oa": per_oa,
        "sent_messages": state.sent.len(),
        "webhook_deliveries": state.deliveries.len(),
        "now_ms": state.now_ms(),
    }))
}

async fn media(AxumState(shared): App, Path(name): Path<String>) -> Response {
    let found = shared.lock().media.get(&name).cloned();
    match found {
        Some((content_type, bytes)) => ([(header::CONTENT_TYPE, content_type)], bytes).into_response(),
        // Avatars and echoed uploads are served as a placeholder image.
        None if name.starts_with("avatar-") || name.starts_with("upload-") => {
            ([(header::CONTENT_TYPE, "image/png".to_owned())], webhook::TINY_PNG.to_vec()).into_response()
        }
        None if name.starts_with("file-") => {
            ([(header::CONTENT_TYPE, "application/pdf".to_owned())], b"%PDF-1.4\n%%EOF\n".to_vec()).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "no such media".into()),
    }
}
