//! Routes of Web Push: the service worker (`/sw.js`, served from the root so it may control the
//! whole console) and the web app manifest, the officer's device page (`/account/alarms`: list,
//! remove, "Gửi thử"), and the JSON calls of `static/push.js` (the public key, storing and
//! removing this browser's subscription). Every route but the two files needs a signed-in
//! officer, and every POST passes the CSRF check of `web::routes` like any other. Thin: each
//! handler parses and calls one `service` function.

use super::service;
use super::store::DeviceRow;
use super::subscription::NewSubscription;
use crate::app::App;
use crate::error::ServiceError;
use crate::web::error::render;
use crate::web::{Chrome, CurrentOfficer, T, WebError};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use caunoi_core::input::Lang;
use serde::Deserialize;

static SERVICE_WORKER: &str = include_str!("../../static/sw.js");
static MANIFEST: &str = include_str!("../../static/manifest.webmanifest");

/// The largest JSON a browser posts here (a subscription is about 500 bytes).
const MAX_JSON: usize = 8 * 1024;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/sw.js", get(service_worker))
        .route("/manifest.webmanifest", get(manifest))
        .route("/account/alarms", get(devices_page))
        .route("/account/alarms/{id}/delete", post(remove_device))
        .route("/account/alarms/{id}/test", post(send_test))
        .route("/push/key", get(public_key))
        .route("/push/subscriptions", post(subscribe))
        .route("/push/subscriptions/status", post(status))
        .route("/push/subscriptions/remove", post(unsubscribe))
}

async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // Browsers check for a new worker at most daily anyway; never let a cache hold an
            // old one longer.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SERVICE_WORKER,
    )
        .into_response()
}

async fn manifest() -> Response {
    ([(header::CONTENT_TYPE, "application/manifest+json"), (header::CACHE_CONTROL, "public, max-age=3600")], MANIFEST)
        .into_response()
}

/// A device as the page lists it.
pub struct DeviceView {
    pub id: i64,
    pub device: String,
    /// The push service's host ("fcm.googleapis.com"): which browser family delivers.
    pub service: String,
    pub added: String,
    pub last_success: String,
    pub failing: bool,
}

impl DeviceView {
    fn of(d: DeviceRow) -> DeviceView {
        let service =
            reqwest::Url::parse(&d.endpoint).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
        DeviceView {
            id: d.id,
            device: d.device,
            service,
            added: crate::app::format_local(d.created_at),
            last_success: d.last_success_at.map(crate::app::format_local).unwrap_or_default(),
            failing: d.last_failure_at.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "push_devices.html")]
struct DevicesPage {
    chrome: Chrome,
    devices: Vec<DeviceView>,
    notice: String,
}

#[derive(Deserialize, Default)]
struct DevicesQuery {
    removed: Option<String>,
    tested: Option<String>,
}

async fn devices_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<DevicesQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = if q.removed.is_some() {
        t.tr(
            "Đã gỡ thiết bị. Thiết bị đó sẽ không nhận báo động nữa.",
            "Device removed. It will receive no more alarms.",
        )
    } else if q.tested.is_some() {
        t.tr(
            "Đã gửi báo động thử. Thông báo sẽ hiện trên thiết bị trong giây lát.",
            "Test alarm sent. The notification will show on the device in a moment.",
        )
    } else {
        ""
    };
    let devices = service::devices(&app, me.id).await?.into_iter().map(DeviceView::of).collect();
    render(&DevicesPage { chrome: me.chrome("account", "/account/alarms"), devices, notice: notice.to_string() })
}

async fn remove_device(State(app): State<App>, me: CurrentOfficer, Path(id): Path<i64>) -> Result<Response, WebError> {
    service::remove_device(&app, me.id, id).await?;
    Ok(Redirect::to("/account/alarms?removed=1").into_response())
}

async fn send_test(State(app): State<App>, me: CurrentOfficer, Path(id): Path<i64>) -> Result<Response, WebError> {
    service::send_test(&app, me.id, id, me.lang).await?;
    Ok(Redirect::to("/account/alarms?tested=1").into_response())
}

async fn public_key(State(app): State<App>, _me: CurrentOfficer) -> Result<Response, WebError> {
    Ok(Json(serde_json::json!({ "key": service::public_key(&app).await? })).into_response())
}

/// `PushSubscription.toJSON()`.
#[derive(Deserialize)]
struct SubscriptionJson {
    endpoint: String,
    keys: KeysJson,
}

#[derive(Deserialize)]
struct KeysJson {
    p256dh: String,
    auth: String,
}

#[derive(Deserialize)]
struct EndpointJson {
    endpoint: String,
}

/// A JSON refusal the page shows as it is: `{"ok": false, "field": …, "message": …}`.
struct Refusal {
    status: StatusCode,
    field: &'static str,
    message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "ok": false, "field": self.field, "message": self.message })))
            .into_response()
    }
}

fn parse_json<V: serde::de::DeserializeOwned>(body: &[u8], lang: Lang) -> Result<V, Refusal> {
    let t = T::new(lang);
    if body.len() > MAX_JSON {
        return Err(Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            field: "body",
            message: t.tr("Dữ liệu gửi lên quá lớn.", "The request is too large.").into(),
        });
    }
    serde_json::from_slice(body).map_err(|_| Refusal {
        status: StatusCode::BAD_REQUEST,
        field: "body",
        message: t
            .tr(
                "Trình duyệt gửi đăng ký thông báo không đúng định dạng. Hãy tải lại trang và thử lại.",
                "The browser sent a malformed subscription. Reload the page and try again.",
            )
            .into(),
    })
}

/// Stores this browser's subscription: 201 `{"ok": true, "id": …, "device": …}`, or 422 with
/// the field and a message in the page's language; nothing is stored then.
async fn subscribe(State(app): State<App>, me: CurrentOfficer, headers: HeaderMap, body: Bytes) -> Response {
    let input: SubscriptionJson = match parse_json(&body, me.lang) {
        Ok(v) => v,
        Err(refusal) => return refusal.into_response(),
    };
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let parsed =
        NewSubscription::parse(&input.endpoint, &input.keys.p256dh, &input.keys.auth, user_agent, app.push().policy());
    let result = match parsed {
        Ok(s) => service::subscribe(&app, me.id, &s).await.map(|id| (id, s.device)),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok((id, device)) => {
            (StatusCode::CREATED, Json(serde_json::json!({ "ok": true, "id": id, "device": device }))).into_response()
        }
        Err(ServiceError::Invalid(errors)) => {
            let first = errors.0.first();
            let field = first.map(|e| e.field).unwrap_or("body");
            let message = first.map(|e| e.message.get(me.lang).to_string()).unwrap_or_default();
            Refusal { status: StatusCode::UNPROCESSABLE_ENTITY, field, message }.into_response()
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

/// Whether this browser's subscription is one of the officer's devices: `{"known": …, "id": …}`.
async fn status(State(app): State<App>, me: CurrentOfficer, body: Bytes) -> Response {
    let input: EndpointJson = match parse_json(&body, me.lang) {
        Ok(v) => v,
        Err(refusal) => return refusal.into_response(),
    };
    let devices = match service::devices(&app, me.id).await {
        Ok(d) => d,
        Err(e) => return WebError::from(e).into_response(),
    };
    let id = devices.iter().find(|d| d.endpoint == input.endpoint).map(|d| d.id);
    Json(serde_json::json!({ "known": id.is_some(), "id": id })).into_response()
}

/// Forgets this browser's subscription (the officer turned alarms off on it): 204.
async fn unsubscribe(State(app): State<App>, me: CurrentOfficer, body: Bytes) -> Response {
    let input: EndpointJson = match parse_json(&body, me.lang) {
        Ok(v) => v,
        Err(refusal) => return refusal.into_response(),
    };
    match service::remove_endpoint(&app, me.id, &input.endpoint).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}
