//! Routes of the web chat. Thin: each handler finds the unit and the session, parses the input
//! and calls one `service` function. The session token is read from the `X-Chat-Token` header
//! (the widget), the `t` query parameter (EventSource and `<img>` cannot send headers), or the
//! HttpOnly cookie scoped to the chat path, in that order.

use super::ChatError;
use super::media::MAX_VIDEO_BYTES;
use super::service::{self, Post, SESSION_DAYS, Viewer};
use super::store::SessionRow;
use crate::app::App;
use crate::conversations::store::HistoryRow;
use crate::media::upload::Upload;
use crate::media::{Area, FileType};
use crate::units::store::Unit;
use crate::web::auth::{SESSION_COOKIE, read_cookie};
use crate::web::client_ip::ClientAddr;
use crate::web::error::render;
use crate::web::{Chrome, PageLang, T, WebError};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, FromRequest, Json, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use caunoi_core::inbox::Status;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;

/// The session cookie; its path is the unit's chat, so each unit has its own.
pub const COOKIE: &str = "caunoi_chat";
/// How often a live stream looks at the database when nothing woke it.
pub const LIVE_POLL: Duration = Duration::from_secs(2);

/// The only policy under which a caunoi page may be framed by any site: the chat, for the widget.
const FRAMEABLE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors *";

/// The largest upload request: the largest video and room for the multipart framing.
const MAX_UPLOAD_BODY: u64 = MAX_VIDEO_BYTES + 1024 * 1024;

static WIDGET_JS: &str = include_str!("../../../static/widget.js");

pub fn routes() -> Router<App> {
    Router::new()
        .route("/u/{code}/chat", get(page))
        .route("/u/{code}/chat/session", post(session))
        .route("/u/{code}/chat/messages", post(send))
        .route("/u/{code}/chat/events", get(events))
        .route("/u/{code}/chat/upload", post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY as usize)))
        .route("/u/{code}/chat/media/{id}", get(media_file))
        .route("/widget.js", get(widget))
}

/// A body sent as JSON (`fetch`) or as a form (a plain `<form>`); anything else is refused
/// as not being text.
pub struct JsonOrForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonOrForm<T> {
    type Rejection = ChatError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.trim_start().starts_with("application/json"));
        let too_large = |status: StatusCode| {
            if status == StatusCode::PAYLOAD_TOO_LARGE { ChatError::TooLong } else { ChatError::NotText }
        };
        if json {
            Json::<T>::from_request(req, state).await.map(|Json(v)| JsonOrForm(v)).map_err(|e| too_large(e.status()))
        } else {
            Form::<T>::from_request(req, state).await.map(|Form(v)| JsonOrForm(v)).map_err(|e| too_large(e.status()))
        }
    }
}

#[derive(Deserialize, Default)]
struct TokenQuery {
    t: Option<String>,
}

fn presented_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    headers
        .get("x-chat-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.map(str::to_string))
        .or_else(|| read_cookie(headers, COOKIE))
        .filter(|t| !t.is_empty())
}

async fn unit_of(app: &App, code: &str) -> Result<Unit, ChatError> {
    crate::units::service::get_public(app, code).await?.ok_or(ChatError::NotFound)
}

async fn chat_session(
    app: &App,
    code: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(Unit, SessionRow), ChatError> {
    let unit = unit_of(app, code).await?;
    let token = presented_token(headers, query).ok_or(ChatError::NoSession)?;
    let session = service::resume(app, &unit, &token).await?.ok_or(ChatError::NoSession)?;
    Ok((unit, session))
}

fn session_cookie(app: &App, code: &str, token: &str) -> String {
    let secure = if app.config.tls() { "; Secure" } else { "" };
    let age = SESSION_DAYS * 24 * 3600;
    format!("{COOKIE}={token}; Path=/u/{code}/chat; HttpOnly; SameSite=Lax; Max-Age={age}{secure}")
}

#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage {
    chrome: Chrome,
    unit: Unit,
    embed: bool,
    has_session: bool,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    embed: Option<String>,
}

/// The chat page. A first visit (outside a frame) starts a session and sets its cookie; in the
/// widget's frame the script restores the session from its own storage instead, so framing
/// does not create sessions nobody uses.
async fn page(
    State(app): State<App>,
    PageLang(lang): PageLang,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let unit = crate::units::service::get_public(&app, &code).await?.ok_or(WebError::NotFound)?;
    let embed = q.embed.as_deref().is_some_and(|e| e == "1" || e == "true");
    let mut cookie = None;
    let resumed = match read_cookie(&headers, COOKIE) {
        Some(token) => service::resume(&app, &unit, &token).await.map_err(|_| WebError::Internal)?,
        None => None,
    };
    let has_session = match (resumed, embed) {
        (Some(_), _) => true,
        (None, true) => false,
        (None, false) => match service::start(&app, &unit, &address).await {
            Ok((_, token)) => {
                cookie = Some(session_cookie(&app, unit.code.as_str(), &token));
                true
            }
            // Too many new sessions from this address: the page still opens, posting will say why.
            Err(ChatError::RateLimited) => false,
            Err(_) => return Err(WebError::Internal),
        },
    };
    let mut resp = render(&ChatPage { chrome: Chrome::plain(T::new(lang)), unit, embed, has_session })?;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(FRAMEABLE_CSP));
    // No X-Frame-Options here: the edge adds `DENY` only to responses without their own
    // Content-Security-Policy, and `frame-ancestors *` above is what browsers follow.
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// Starts a session, or confirms the presented one: `{token}` for the widget's storage.
async fn session(
    State(app): State<App>,
    Path(code): Path<String>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
) -> Result<Response, ChatError> {
    let unit = unit_of(&app, &code).await?;
    if let Some(token) = presented_token(&headers, None)
        && service::resume(&app, &unit, &token).await?.is_some()
    {
        return Ok(Json(serde_json::json!({ "token": token, "resumed": true })).into_response());
    }
    let (_, token) = service::start(&app, &unit, &address).await?;
    let cookie = session_cookie(&app, unit.code.as_str(), &token);
    Ok(([(header::SET_COOKIE, cookie)], Json(serde_json::json!({ "token": token, "resumed": false }))).into_response())
}

#[derive(Deserialize, Default)]
struct MessageInput {
    text: Option<String>,
    /// A tapped button's payload, with its label.
    payload: Option<String>,
    label: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
}

fn parse_post(input: MessageInput) -> Result<Post, ChatError> {
    if let Some(payload) = input.payload.as_deref().filter(|p| !p.trim().is_empty()) {
        let payload = service::parse_payload(payload)?;
        let label = input
            .label
            .as_deref()
            .and_then(|l| service::parse_text(l).ok())
            .filter(|l| l.chars().count() <= 200)
            .unwrap_or_else(|| {
                if payload.starts_with("fb:yes:") || payload == caunoi_core::bot::RATE_YES {
                    "👍 Hữu ích".into()
                } else if payload.starts_with("fb:no:") || payload == caunoi_core::bot::RATE_NO {
                    "👎 Chưa hữu ích".into()
                } else {
                    payload.clone()
                }
            });
        return Ok(Post::Tap { payload, label });
    }
    if let (Some(lat), Some(lon)) = (input.lat, input.lon) {
        let (lat, lon) = service::parse_location(lat, lon)?;
        return Ok(Post::Location { lat, lon });
    }
    Ok(Post::Text(service::parse_text(input.text.as_deref().unwrap_or_default())?))
}

/// A citizen's message: `{id, status}` of the stored message; replies follow on the stream.
async fn send(
    State(app): State<App>,
    Path(code): Path<String>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    JsonOrForm(input): JsonOrForm<MessageInput>,
) -> Result<Response, ChatError> {
    let (unit, session) = chat_session(&app, &code, &headers, None).await?;
    let post = parse_post(input)?;
    let turn = service::post(&app, &unit, &session, &address, post).await?;
    Ok(Json(serde_json::json!({ "id": turn.message_id, "status": turn.status })).into_response())
}

/// A photo or video (multipart field `file`), recognized by its content and checked whole,
/// within the session's and address's upload quotas and the media disk's free-space floor.
async fn upload(
    State(app): State<App>,
    Path(code): Path<String>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, ChatError> {
    let (unit, session) = chat_session(&app, &code, &headers, None).await?;
    // The request's size bounds the file's; without one, the largest body the route accepts.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(MAX_UPLOAD_BODY, |n| n.min(MAX_UPLOAD_BODY));
    let claim = service::allow_upload(&app, &session, &address, declared).await?;
    let received = receive_upload(&app, &mut multipart).await;
    let (media_ref, kind, size) = match received {
        Ok(r) => r,
        Err(e) => {
            service::release_upload(&app, claim).await;
            return Err(e);
        }
    };
    service::settle_upload(&app, claim, size).await?;
    let turn = service::post_media(&app, &unit, &session, media_ref, kind).await?;
    Ok(Json(serde_json::json!({ "id": turn.message_id, "status": turn.status, "kind": kind.message_kind() }))
        .into_response())
}

/// Reads the multipart field `file` into the media store: `(media_ref, type, bytes received)`.
/// Nothing stays on disk when it is refused.
async fn receive_upload(app: &App, multipart: &mut Multipart) -> Result<(String, FileType, u64), ChatError> {
    loop {
        let Some(mut field) = multipart.next_field().await.map_err(|_| ChatError::UploadBroken)? else {
            return Err(ChatError::NotMedia);
        };
        if field.name() != Some("file") {
            continue;
        }
        let mut up = Upload::new(&app.config.media_store, Area::Web, super::media::limit);
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if let Err(e) = up.push(&chunk).await {
                        up.discard().await;
                        return Err(service::upload_error(e));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    up.discard().await;
                    return Err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ChatError::VideoTooLarge
                    } else {
                        ChatError::UploadBroken
                    });
                }
            }
        }
        let size = up.size();
        let (media_ref, kind) = up.finish().await.map_err(service::upload_error)?;
        return Ok((media_ref, kind, size));
    }
}

/// A stored photo or video, for its session or an officer whose scope holds the conversation;
/// streamed with byte ranges (a phone's video player asks for them).
async fn media_file(
    State(app): State<App>,
    Path((code, id)): Path<(String, i64)>,
    Query(q): Query<TokenQuery>,
    req: Request,
) -> Result<Response, ChatError> {
    let headers = req.headers();
    let mut found = Err(ChatError::NotFound);
    if let Ok((unit, session)) = chat_session(&app, &code, headers, q.t.as_deref()).await {
        let viewer = Viewer::Session { unit_code: unit.code.as_str(), session_id: session.id };
        found = service::media_file(&app, id, &viewer).await;
    }
    if found.is_err()
        && let Some(token) = read_cookie(headers, SESSION_COOKIE)
        && let Ok(Some(officer)) = crate::staff::service::officer_for_token(&app, &token).await
    {
        found = service::media_file(&app, id, &Viewer::Officer(officer.id)).await;
    }
    let media_ref = found?;
    app.config.media_store.serve(&media_ref, req).await.ok_or(ChatError::NotFound)
}

/// One message on the live stream: `id` is the message id (for `Last-Event-ID`).
fn message_event(code: &str, r: &HistoryRow) -> Event {
    let buttons: serde_json::Value =
        r.buttons.as_deref().and_then(|b| serde_json::from_str(b).ok()).unwrap_or_else(|| serde_json::json!([]));
    let media = r.media_ref.as_ref().map(|_| format!("/u/{code}/chat/media/{}", r.id));
    let data = serde_json::json!({
        "id": r.id,
        "dir": r.direction.as_str(),
        "author": r.author.as_str(),
        "kind": r.kind,
        "text": r.text,
        "at": r.created_at / 1000,
        "buttons": buttons,
        "feedback_for": r.feedback_for,
        "media": media,
    });
    Event::default().id(r.id.to_string()).data(data.to_string())
}

struct Live {
    app: App,
    unit: Unit,
    session: SessionRow,
    last: Option<i64>,
    rx: broadcast::Receiver<i64>,
    queue: VecDeque<Event>,
    ready_sent: bool,
    /// The conversation's status last sent as a `state` event, once one was sent.
    status: Option<Option<Status>>,
}

/// The `state` event: where the conversation stands, for the chat's header.
fn state_event(status: Option<Status>) -> Event {
    let name = status.map(Status::as_str).unwrap_or("new");
    Event::default().event("state").data(serde_json::json!({ "status": name }).to_string())
}

/// Waits until the session is notified or [`LIVE_POLL`] passes.
async fn wait_for(rx: &mut broadcast::Receiver<i64>, session: i64) {
    let deadline = tokio::time::sleep(LIVE_POLL);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return,
            r = rx.recv() => match r {
                Ok(id) if id == session => return,
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => {
                    (&mut deadline).await;
                    return;
                }
            }
        }
    }
}

/// `text/event-stream` of the session's messages: the recent history (or what follows
/// `Last-Event-ID`), then `ready`, then each new message as it becomes visible.
async fn events(
    State(app): State<App>,
    Path(code): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Result<Response, ChatError> {
    let (unit, session) = chat_session(&app, &code, &headers, q.t.as_deref()).await?;
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|s| s.trim().parse::<i64>().ok());
    let rx = app.channels().web.subscribe();
    let live = Live { app, unit, session, last, rx, queue: VecDeque::new(), ready_sent: false, status: None };
    let stream = futures::stream::unfold(live, |mut s| async move {
        loop {
            if let Some(ev) = s.queue.pop_front() {
                return Some((Ok::<Event, Infallible>(ev), s));
            }
            match service::history(&s.app, &s.unit, &s.session, s.last).await {
                Ok(rows) if !rows.is_empty() => {
                    for r in &rows {
                        s.queue.push_back(message_event(s.unit.code.as_str(), r));
                        s.last = Some(r.id.0);
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "web chat stream read failed"),
            }
            match service::status(&s.app, &s.unit, &s.session).await {
                Ok(now) if s.status != Some(now) => {
                    s.status = Some(now);
                    s.queue.push_back(state_event(now));
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "web chat state read failed"),
            }
            if !s.ready_sent {
                s.ready_sent = true;
                return Some((Ok(Event::default().event("ready").data("{}")), s));
            }
            wait_for(&mut s.rx, s.session.id).await;
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

/// The embeddable widget script (see README, "Web chat and widget").
async fn widget() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_locations_and_texts_are_told_apart() {
        let tap = MessageInput { payload: Some("fb:yes:can-cuoc.le-phi".into()), ..Default::default() };
        assert!(matches!(parse_post(tap), Ok(Post::Tap { label, .. }) if label == "👍 Hữu ích"));
        let at = MessageInput { lat: Some(20.96), lon: Some(107.04), ..Default::default() };
        assert!(matches!(parse_post(at), Ok(Post::Location { .. })));
        assert!(matches!(parse_post(MessageInput::default()), Err(ChatError::Empty)));
        let bad = MessageInput { payload: Some("tel:113".into()), ..Default::default() };
        assert!(matches!(parse_post(bad), Err(ChatError::BadChoice)));
    }
}
