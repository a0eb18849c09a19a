//! Console routes of the inbox: the queues, one conversation and its actions, canned replies,
//! the duty roster, and `/inbox/events`, the server-sent events stream that tells an open page
//! when something in the officer's scope changed. The stream polls the database (not process
//! memory), so it sees changes made by any instance.

use super::media::{Attachment, AttachmentError, MAX_FILE_BYTES};
use super::service::{self, Assignee, WindowInfo};
use super::store;
use crate::app::App;
use crate::conversations::service::{ConversationView, OtherConversation};
use crate::error::ServiceError;
use crate::media::serve::serve_stored_file;
use crate::web::error::{render, render_form};
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use caunoi_core::inbox::{Queue, Status};
use caunoi_core::input::{FieldErrors, Lang};
use caunoi_core::staff::{Action, OfficerId};
use caunoi_core::units::UnitPath;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;

/// How often the live stream looks at the database.
pub const LIVE_POLL: Duration = Duration::from_secs(2);

/// Largest reply request: a document at its limit plus the text and multipart framing.
const REPLY_BODY_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/inbox", get(inbox_page))
        .route("/inbox/list", get(list_fragment))
        .route("/inbox/events", get(events))
        .route("/inbox/next", post(take_next))
        .route("/inbox/canned", get(canned_page).post(canned_create))
        .route("/inbox/canned/{id}/delete", post(canned_delete))
        .route("/inbox/roster", get(roster_page).post(roster_add))
        .route("/inbox/roster/{id}/delete", post(roster_delete))
        .route("/inbox/{id}", get(conversation_page))
        .route("/inbox/{id}/thread", get(thread_fragment))
        .route("/inbox/{id}/reply", post(reply).layer(DefaultBodyLimit::max(REPLY_BODY_LIMIT)))
        .route("/inbox/media/{id}", get(media_file))
        .route("/inbox/{id}/canned", post(reply_canned))
        .route("/inbox/{id}/note", post(note))
        .route("/inbox/{id}/assign", post(assign))
        .route("/inbox/{id}/duty", post(assign_duty))
        .route("/inbox/{id}/transfer", post(transfer))
        .route("/inbox/{id}/close", post(close))
        .route("/inbox/{id}/reopen", post(reopen))
}

fn status_label(t: &T, s: Status) -> &'static str {
    match t.lang {
        Lang::Vi => s.label_vi(),
        Lang::En => s.label_en(),
    }
}

fn channel_label(channel: &str) -> &'static str {
    match channel {
        "zalo" => "Zalo",
        "web" => "Web",
        _ => "?",
    }
}

fn citizen_label(t: &T, name: Option<&str>, contact_id: i64) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => format!("{} #{contact_id}", t.tr("Người dân", "Citizen")),
    }
}

/// A queue row as the list shows it.
pub struct Row {
    pub id: i64,
    pub urgent: bool,
    pub citizen: String,
    pub channel: &'static str,
    pub unit: String,
    pub preview: String,
    pub at: i64,
    pub status: &'static str,
    pub status_class: &'static str,
    pub assignee: String,
}

/// One inbox tab.
pub struct Tab {
    pub key: &'static str,
    pub label: &'static str,
    pub on: bool,
}

#[derive(Deserialize, Default)]
struct QueueQuery {
    #[serde(default)]
    queue: String,
    #[serde(default)]
    none: Option<String>,
}

fn pick_queue(raw: &str) -> Queue {
    Queue::parse(raw).unwrap_or(Queue::WaitingForHuman)
}

async fn rows(app: &App, me: &CurrentOfficer, q: Queue) -> Result<Vec<Row>, WebError> {
    let t = T::new(me.lang);
    Ok(service::queue(app, &me.scope, q)
        .await?
        .into_iter()
        .map(|i| Row {
            id: i.id,
            urgent: i.urgent,
            citizen: citizen_label(&t, i.contact_name.as_deref(), i.contact_id),
            channel: channel_label(&i.channel),
            unit: i.unit_name,
            preview: if i.preview.is_empty() && !i.last_kind.is_empty() && i.last_kind != "text" {
                format!("[{}]", i.last_kind)
            } else {
                i.preview
            },
            at: i.at,
            status: status_label(&t, i.status),
            status_class: i.status.as_str(),
            assignee: i.assignee_name.unwrap_or_default(),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    queue: &'static str,
    rows: Vec<Row>,
    notice: String,
    /// Whether the officer handles dead letters (admins, leaders, duty officers).
    sees_dead: bool,
    dead_count: usize,
}

async fn inbox_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let queue = pick_queue(&q.queue);
    let tabs = Queue::ALL
        .iter()
        .map(|k| Tab {
            key: k.as_str(),
            label: match t.lang {
                Lang::Vi => k.label_vi(),
                Lang::En => k.label_en(),
            },
            on: *k == queue,
        })
        .collect();
    let notice = if q.none.is_some() {
        t.tr("Không có cuộc trò chuyện nào đang chờ.", "Nobody is waiting.").to_string()
    } else {
        String::new()
    };
    let sees_dead = crate::outbox::service::handles_dead_letters(&me.scope);
    let dead_count = if sees_dead { crate::outbox::service::count_dead(&app, &me.scope).await? } else { 0 };
    render(&InboxPage {
        chrome: me.chrome("inbox", format!("/inbox?queue={}", queue.as_str())),
        tabs,
        queue: queue.as_str(),
        rows: rows(&app, &me, queue).await?,
        notice,
        sees_dead,
        dead_count,
    })
}

#[derive(Template)]
#[template(path = "inbox_list.html")]
struct ListFragment {
    chrome: Chrome,
    rows: Vec<Row>,
}

async fn list_fragment(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let rows = rows(&app, &me, pick_queue(&q.queue)).await?;
    render(&ListFragment { chrome: Chrome::plain(T::new(me.lang)), rows })
}

async fn take_next(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    match service::take_next(&app, &me.scope).await? {
        Some(id) => Ok(Redirect::to(&format!("/inbox/{id}?done=assign")).into_response()),
        None => Ok(Redirect::to("/inbox?queue=waiting&none=1").into_response()),
    }
}

// ---------------------------------------------------------------------------------------------
// Live updates

#[derive(Deserialize, Default)]
struct EventsQuery {
    conversation: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Snapshot {
    scope: crate::conversations::service::Fingerprint,
    conversation: Option<(i64, i64)>,
}

async fn snapshot(app: &App, officer: OfficerId, conversation: Option<i64>) -> Option<Snapshot> {
    match service::live_marks(app, officer, conversation).await {
        Ok((scope, conversation)) => Some(Snapshot { scope, conversation }),
        Err(e) => {
            tracing::warn!(error = %e, "inbox live poll failed");
            None
        }
    }
}

fn change_event(before: &Snapshot, now: &Snapshot) -> Event {
    let data = serde_json::json!({
        "list": before.scope != now.scope,
        "thread": before.conversation != now.conversation,
        "urgent": now.scope.urgent_waiting,
        "urgent_rose": now.scope.urgent_waiting > before.scope.urgent_waiting,
    });
    Event::default().event("change").data(data.to_string())
}

/// `text/event-stream`: `ready` at once, then `change` whenever the officer's scope (or the
/// open conversation) changed, checked every [`LIVE_POLL`].
async fn events(State(app): State<App>, me: CurrentOfficer, Query(q): Query<EventsQuery>) -> Response {
    let officer = me.id;
    let conversation = q.conversation;
    let start = snapshot(&app, officer, conversation).await.unwrap_or_default();
    let first = Event::default().event("ready").data("{}");
    let state = (app, start, Some(first));
    let stream = futures::stream::unfold(state, move |(app, last, pending)| async move {
        if let Some(ev) = pending {
            return Some((Ok::<Event, Infallible>(ev), (app, last, None)));
        }
        loop {
            tokio::time::sleep(LIVE_POLL).await;
            let Some(now) = snapshot(&app, officer, conversation).await else { continue };
            if now != last {
                let ev = change_event(&last, &now);
                return Some((Ok(ev), (app, now, None)));
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

// ---------------------------------------------------------------------------------------------
// One conversation

/// A message or an internal note in the thread.
pub struct ThreadItem {
    /// `citizen`, `bot`, `officer` or `note`.
    pub class: &'static str,
    pub who: String,
    pub text: String,
    pub kind: String,
    /// Where an officer opens the message's photo or file (`/inbox/media/{id}`); empty without.
    pub media: String,
    pub at: i64,
}

async fn thread(app: &App, t: &T, view: &ConversationView) -> Result<Vec<ThreadItem>, WebError> {
    let citizen = citizen_label(t, view.contact_name.as_deref(), view.contact_id);
    let mut items: Vec<(i64, u8, i64, ThreadItem)> = service::thread(app, view)
        .await?
        .into_iter()
        .map(|m| {
            let (class, who) = match (m.direction.as_str(), m.author.as_str()) {
                ("in", _) => ("citizen", citizen.clone()),
                (_, "bot") => ("bot", t.tr("Trợ lý tự động", "Bot").to_string()),
                _ => (
                    "officer",
                    m.officer_name.clone().unwrap_or_else(|| t.tr("Cán bộ (Zalo OA)", "Officer (Zalo OA)").to_string()),
                ),
            };
            let media = m.media_ref.as_ref().map(|_| format!("/inbox/media/{}", m.id)).unwrap_or_default();
            (m.created_at, 0, m.id, ThreadItem { class, who, text: m.text, kind: m.kind, media, at: m.created_at })
        })
        .collect();
    for n in store::notes(&app.db, view.id).await? {
        let who = format!("{} · {}", n.officer_name, t.tr("ghi chú nội bộ", "internal note"));
        items.push((
            n.created_at,
            1,
            n.id,
            ThreadItem {
                class: "note",
                who,
                text: n.text,
                kind: "note".into(),
                media: String::new(),
                at: n.created_at,
            },
        ));
    }
    items.sort_by_key(|(at, order, id, _)| (*at, *order, *id));
    Ok(items.into_iter().map(|(_, _, _, i)| i).collect())
}

/// A line of the timeline.
pub struct EventLine {
    pub at: i64,
    pub text: String,
    pub by: String,
    pub reason: String,
}

fn event_lines(t: &T, events: Vec<store::EventRow>) -> Vec<EventLine> {
    events
        .into_iter()
        .map(|e| {
            let assignee = e.assignee_name.clone().unwrap_or_default();
            let text = match e.action.as_str() {
                "assign" => format!("{} {assignee}", t.tr("Giao cho", "Assigned to")),
                "transfer_officer" => format!("{} {assignee}", t.tr("Chuyển tiếp cho", "Transferred to")),
                "transfer_unit" => {
                    format!("{} {} → {}", t.tr("Chuyển đơn vị:", "Moved to unit:"), e.from_unit, e.to_unit)
                }
                "close" => t.tr("Đóng cuộc trò chuyện", "Closed").to_string(),
                "reopen" => format!("{} ({assignee})", t.tr("Mở lại", "Reopened")),
                other => other.to_string(),
            };
            let by = e.officer_name.unwrap_or_else(|| t.tr("Hệ thống (lịch trực)", "System (duty roster)").to_string());
            EventLine { at: e.at, text, by, reason: e.reason }
        })
        .collect()
}

/// A canned reply offered on the conversation page, with its variables filled.
pub struct CannedChoice {
    pub id: i64,
    pub title: String,
    pub preview: String,
}

#[derive(Template)]
#[template(path = "inbox_conversation.html")]
struct ConversationPage {
    chrome: Chrome,
    id: i64,
    citizen: String,
    channel: &'static str,
    unit_name: String,
    unit_code: String,
    status: &'static str,
    status_class: &'static str,
    is_closed: bool,
    is_assigned: bool,
    urgent: bool,
    assignee: String,
    window_class: &'static str,
    window_text: String,
    can_send: bool,
    can_work: bool,
    can_direct: bool,
    items: Vec<ThreadItem>,
    events: Vec<EventLine>,
    others: Vec<OtherConversation>,
    other_status: Vec<&'static str>,
    canned: Vec<CannedChoice>,
    officers: Vec<Opt>,
    units: Vec<Opt>,
    notice: String,
    errors: FieldErrors,
    draft: String,
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

fn done_notice(t: &T, done: Option<&str>) -> String {
    let (vi, en) = match done {
        Some("reply") => ("Đã gửi trả lời; tin nhắn đang được chuyển đến người dân.", "Reply queued for delivery."),
        Some("note") => ("Đã thêm ghi chú nội bộ (không gửi cho người dân).", "Internal note added (not sent)."),
        Some("assign") => ("Đã giao cuộc trò chuyện.", "Conversation assigned."),
        Some("duty") => ("Đã giao cho cán bộ trực.", "Assigned to the officer on duty."),
        Some("duty_none") => ("Không có cán bộ nào đang trực tại đơn vị.", "Nobody is on duty at the unit."),
        Some("transfer") => ("Đã chuyển cuộc trò chuyện.", "Conversation transferred."),
        Some("close") => ("Đã đóng cuộc trò chuyện.", "Conversation closed."),
        Some("reopen") => ("Đã mở lại cuộc trò chuyện.", "Conversation reopened."),
        _ => return String::new(),
    };
    t.tr(vi, en).to_string()
}

async fn conversation_view(
    app: &App,
    me: &CurrentOfficer,
    id: i64,
    notice: String,
    errors: FieldErrors,
    draft: String,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let view = service::get(app, &me.scope, id).await?;
    let path = UnitPath::from_stored(view.unit_path.clone());
    let status = Status::parse(&view.status).unwrap_or(Status::Bot);
    let now = app.clock.now_micros();
    let window = service::window_info(&view, now);
    let (window_class, window_text) = match window {
        WindowInfo::NoWindow => ("", String::new()),
        WindowInfo::Free { free_until, closes_at } => (
            "ok",
            format!(
                "{} {} ({} {}).",
                t.tr("Cửa sổ trả lời Zalo mở đến", "Zalo reply window open until"),
                t.time(&closes_at),
                t.tr("miễn phí đến", "free until"),
                t.time(&free_until)
            ),
        ),
        WindowInfo::Billed { closes_at } => (
            "warn",
            format!(
                "{} {}.",
                t.tr(
                    "Đã quá 48 giờ: mỗi tin trả lời Zalo bị tính phí. Cửa sổ trả lời đóng lúc",
                    "More than 48 hours: each Zalo reply is billed. The window closes at"
                ),
                t.time(&closes_at)
            ),
        ),
        WindowInfo::Closed => (
            "err",
            t.tr(
                "Cửa sổ trả lời Zalo đã đóng (quá 7 ngày kể từ lần cuối người dân tương tác): không thể gửi tin nhắn. \
                 Hãy gọi điện cho người dân, hoặc chờ họ nhắn lại.",
                "The Zalo reply window has closed (more than 7 days since the citizen last interacted): no message \
                 can be sent. Call the citizen, or wait for them to write again.",
            )
            .to_string(),
        ),
    };
    let vars = service::canned_vars(&view, &me.display_name);
    let canned = service::canned_for(app, &view.unit_path)
        .await?
        .into_iter()
        .map(|c| CannedChoice {
            id: c.id,
            preview: caunoi_core::inbox::render_canned(&c.body, &vars).unwrap_or_else(|e| e.to_string()),
            title: format!("{} ({})", c.title, c.unit_name),
        })
        .collect();
    let can_direct = me.scope.can(Action::DirectWork, &path);
    let officers = crate::staff::service::colleagues_for_unit(app, &view.unit_path)
        .await?
        .into_iter()
        .map(|o| Opt { selected: Some(o.id) == view.assignee_id, value: o.id.to_string(), label: o.display_name })
        .collect();
    let units = crate::units::store::list_in_scope(&app.db, me.id)
        .await?
        .into_iter()
        .filter(|u| u.id.0 != view.unit_id)
        .map(|u| Opt::unit(&u, false))
        .collect();
    let others = service::other_conversations(app, me.id, &view).await?;
    let other_status = others.iter().map(|o| Status::parse(&o.status).map_or("?", |s| status_label(&t, s))).collect();
    let page = ConversationPage {
        chrome: me.chrome("inbox", format!("/inbox/{id}")),
        id,
        citizen: citizen_label(&t, view.contact_name.as_deref(), view.contact_id),
        channel: channel_label(&view.channel),
        unit_name: view.unit_name.clone(),
        unit_code: view.unit_code.clone(),
        status: status_label(&t, status),
        status_class: status.as_str(),
        is_closed: status == Status::Closed,
        is_assigned: status == Status::Assigned,
        urgent: view.urgent,
        assignee: view.assignee_name.clone().unwrap_or_default(),
        can_send: window != WindowInfo::Closed && status != Status::Closed,
        can_work: me.scope.can(Action::WorkConversations, &path),
        can_direct,
        window_class,
        window_text,
        items: thread(app, &t, &view).await?,
        events: event_lines(&t, store::events(&app.db, view.id).await?),
        others,
        other_status,
        canned,
        officers,
        units,
        notice,
        errors,
        draft,
    };
    render_form(&page, &page.errors)
}

async fn conversation_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let notice = done_notice(&T::new(me.lang), q.done.as_deref());
    conversation_view(&app, &me, id, notice, FieldErrors::default(), String::new()).await
}

#[derive(Template)]
#[template(path = "inbox_thread.html")]
struct ThreadFragment {
    chrome: Chrome,
    items: Vec<ThreadItem>,
}

async fn thread_fragment(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let view = service::get(&app, &me.scope, id).await?;
    let items = thread(&app, &t, &view).await?;
    render(&ThreadFragment { chrome: Chrome::plain(t), items })
}

/// After an action: back to the page with a notice, or the page again with the error (422).
async fn after<V>(
    app: &App,
    me: &CurrentOfficer,
    id: i64,
    r: Result<V, ServiceError>,
    done: &str,
    draft: String,
) -> Result<Response, WebError> {
    match form::posted(r)? {
        Posted::Saved(_) => form::see_other(&format!("/inbox/{id}?done={done}")),
        Posted::Refused(errors) => conversation_view(app, me, id, String::new(), errors, draft).await,
    }
}

#[derive(Deserialize)]
struct TextForm {
    #[serde(default)]
    text: String,
}

/// The reply form: urlencoded (text only) or multipart (`text` and an optional `file`). The file
/// is checked here, at the boundary; a refused one is reported, never stored.
struct ReplyInput {
    text: String,
    file: Option<Result<Attachment, AttachmentError>>,
}

impl<S: Send + Sync> FromRequest<S> for ReplyInput {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let is_multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !is_multipart {
            let Form(f) =
                Form::<TextForm>::from_request(req, state).await.map_err(|_| WebError::BadRequest("form".into()))?;
            return Ok(ReplyInput { text: f.text, file: None });
        }
        let mut parts =
            Multipart::from_request(req, state).await.map_err(|_| WebError::BadRequest("multipart".into()))?;
        let mut input = ReplyInput { text: String::new(), file: None };
        let too_large = |head: &[u8]| match crate::media::sniff(head).filter(|t| super::media::accepted(*t)) {
            None => AttachmentError::NotAccepted,
            Some(k) if k.is_image() => AttachmentError::ImageTooLarge,
            Some(_) => AttachmentError::FileTooLarge,
        };
        loop {
            let mut field = match parts.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    input.file = Some(Err(AttachmentError::FileTooLarge));
                    break;
                }
                Err(_) => return Err(WebError::BadRequest("multipart".into())),
            };
            match field.name() {
                Some("text") => {
                    input.text = field.text().await.map_err(|_| WebError::BadRequest("text".into()))?;
                }
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_string();
                    let mut bytes = Vec::new();
                    loop {
                        match field.chunk().await {
                            Ok(Some(chunk)) if bytes.len() + chunk.len() > MAX_FILE_BYTES => {
                                bytes.extend_from_slice(&chunk);
                                input.file = Some(Err(too_large(&bytes)));
                                break;
                            }
                            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                            Ok(None) => {
                                // A form submitted without choosing a file sends an empty part.
                                if !(bytes.is_empty() && name.is_empty()) {
                                    input.file = Some(Attachment::parse(&name, bytes));
                                }
                                break;
                            }
                            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                                input.file = Some(Err(too_large(&bytes)));
                                break;
                            }
                            Err(_) => return Err(WebError::BadRequest("file".into())),
                        }
                    }
                    if matches!(input.file, Some(Err(_))) {
                        break;
                    }
                }
                _ => {}
            }
        }
        Ok(input)
    }
}

async fn reply(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    input: ReplyInput,
) -> Result<Response, WebError> {
    let r = match input.file {
        None => service::reply(&app, &me.scope, id, &input.text).await,
        Some(Ok(attachment)) => service::reply_with_attachment(&app, &me.scope, id, &input.text, attachment).await,
        // The page shown next checks the conversation's scope (404 outside it).
        Some(Err(e)) => Err(service::attachment_refused(e)),
    };
    after(&app, &me, id, r, "reply", input.text).await
}

/// A photo, video or document of a message (a citizen's or an officer's), for officers whose
/// scope holds the conversation; elsewhere it does not exist (404). Streamed with byte ranges.
async fn media_file(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, WebError> {
    let media_ref = service::media_ref(&app, me.id, id).await?.ok_or(WebError::NotFound)?;
    let (path, mime) = crate::media::resolve(&app.config.data_dir, &media_ref).ok_or(WebError::NotFound)?;
    serve_stored_file(&path, mime, req).await.ok_or(WebError::NotFound)
}

#[derive(Deserialize)]
struct CannedForm {
    #[serde(default)]
    canned: String,
}

async fn reply_canned(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<CannedForm>,
) -> Result<Response, WebError> {
    let canned = f.canned.trim().parse::<i64>().unwrap_or(0);
    let r = service::reply_canned(&app, &me.scope, &me.display_name, id, canned).await;
    after(&app, &me, id, r, "reply", String::new()).await
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    note: String,
}

async fn note(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Result<Response, WebError> {
    let r = service::add_note(&app, &me.scope, id, &f.note).await;
    after(&app, &me, id, r, "note", String::new()).await
}

#[derive(Deserialize)]
struct AssignForm {
    /// `me` or an officer id.
    #[serde(default)]
    officer: String,
    #[serde(default)]
    reason: String,
}

async fn assign(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Result<Response, WebError> {
    let to = match f.officer.trim() {
        "me" | "" => Assignee::Me,
        other => match other.parse::<i64>() {
            Ok(n) => Assignee::Officer(OfficerId(n)),
            Err(_) => return Err(WebError::BadRequest("officer".into())),
        },
    };
    let r = service::assign(&app, &me.scope, id, to, &f.reason).await;
    after(&app, &me, id, r, "assign", String::new()).await
}

async fn assign_duty(State(app): State<App>, me: CurrentOfficer, Path(id): Path<i64>) -> Result<Response, WebError> {
    // Scope and role first: the roster assignment itself is a system action.
    let view = service::get(&app, &me.scope, id).await?;
    if !me.scope.can(Action::DirectWork, &UnitPath::from_stored(view.unit_path)) {
        return Err(WebError::Forbidden);
    }
    let done = match service::assign_on_duty(&app, id).await? {
        Some(_) => "duty",
        None => "duty_none",
    };
    Ok(Redirect::to(&format!("/inbox/{id}?done={done}")).into_response())
}

#[derive(Deserialize)]
struct TransferForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    reason: String,
}

async fn transfer(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<TransferForm>,
) -> Result<Response, WebError> {
    let r = service::transfer_to_unit(&app, &me.scope, id, &f.unit, &f.reason).await;
    after(&app, &me, id, r, "transfer", String::new()).await
}

async fn close(State(app): State<App>, me: CurrentOfficer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let r = service::close(&app, &me.scope, id).await;
    after(&app, &me, id, r, "close", String::new()).await
}

async fn reopen(State(app): State<App>, me: CurrentOfficer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let r = service::reopen(&app, &me.scope, id).await;
    after(&app, &me, id, r, "reopen", String::new()).await
}

// ---------------------------------------------------------------------------------------------
// Canned replies and the duty roster

#[derive(Deserialize, Default)]
struct UnitQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    saved: Option<String>,
}

/// The unit a management page is about: the one asked for, else the officer's first unit.
async fn unit_choice(app: &App, me: &CurrentOfficer, asked: &str) -> Result<(Vec<Opt>, String), WebError> {
    let units = crate::units::store::list_in_scope(&app.db, me.id).await?;
    let chosen = if asked.trim().is_empty() {
        units.first().map(|u| u.code.to_string()).ok_or(WebError::NotFound)?
    } else {
        asked.trim().to_string()
    };
    let opts = units.into_iter().map(|u| Opt::unit(&u, u.code.as_str() == chosen)).collect();
    Ok((opts, chosen))
}

#[derive(Template)]
#[template(path = "inbox_canned.html")]
struct CannedPage {
    chrome: Chrome,
    unit_opts: Vec<Opt>,
    unit_code: String,
    unit_name: String,
    can_edit: bool,
    replies: Vec<store::CannedRow>,
    title: String,
    body: String,
    notice: String,
    errors: FieldErrors,
}

async fn canned_view(
    app: &App,
    me: &CurrentOfficer,
    asked: &str,
    form: (String, String),
    notice: String,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let (unit_opts, code) = unit_choice(app, me, asked).await?;
    let unit = crate::units::service::get(app, &me.scope, &code).await?;
    let page = CannedPage {
        chrome: me.chrome("inbox", format!("/inbox/canned?unit={code}")),
        unit_opts,
        can_edit: me.scope.can(Action::DirectWork, &unit.path),
        replies: store::canned_for_path(&app.db, unit.path.as_str()).await?,
        unit_name: unit.details.name,
        unit_code: code,
        title: form.0,
        body: form.1,
        notice,
        errors,
    };
    render_form(&page, &page.errors)
}

async fn canned_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = if q.saved.is_some() { t.tr("Đã lưu.", "Saved.").to_string() } else { String::new() };
    canned_view(&app, &me, &q.unit, Default::default(), notice, FieldErrors::default()).await
}

#[derive(Deserialize)]
struct CannedCreateForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

async fn canned_create(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<CannedCreateForm>,
) -> Result<Response, WebError> {
    match form::posted(service::create_canned(&app, &me.scope, &f.unit, &f.title, &f.body).await)? {
        Posted::Saved(_) => {
            form::see_other(&format!("/inbox/canned?unit={}&saved=1", crate::web::auth::urlencode(&f.unit)))
        }
        Posted::Refused(errors) => canned_view(&app, &me, &f.unit, (f.title, f.body), String::new(), errors).await,
    }
}

#[derive(Deserialize)]
struct BackForm {
    #[serde(default)]
    unit: String,
}

async fn canned_delete(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<BackForm>,
) -> Result<Response, WebError> {
    service::delete_canned(&app, &me.scope, id).await?;
    Ok(Redirect::to(&format!("/inbox/canned?unit={}&saved=1", crate::web::auth::urlencode(&f.unit))).into_response())
}

/// A shift as the roster lists it.
pub struct ShiftLine {
    pub id: i64,
    pub officer: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub on_now: bool,
}

#[derive(Template)]
#[template(path = "inbox_roster.html")]
struct RosterPage {
    chrome: Chrome,
    unit_opts: Vec<Opt>,
    unit_code: String,
    unit_name: String,
    can_edit: bool,
    shifts: Vec<ShiftLine>,
    officers: Vec<Opt>,
    starts_at: String,
    ends_at: String,
    notice: String,
    errors: FieldErrors,
}

async fn roster_view(
    app: &App,
    me: &CurrentOfficer,
    asked: &str,
    form: &RosterForm,
    notice: String,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let (unit_opts, code) = unit_choice(app, me, asked).await?;
    let unit = crate::units::service::get(app, &me.scope, &code).await?;
    let now = app.clock.now_micros();
    let shifts = store::shifts(&app.db, unit.id, now)
        .await?
        .into_iter()
        .map(|s| ShiftLine {
            id: s.id,
            officer: s.officer_name,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            on_now: s.starts_at <= now && now < s.ends_at,
        })
        .collect();
    let officers = crate::staff::service::colleagues_for_unit(app, unit.path.as_str())
        .await?
        .into_iter()
        .map(|o| Opt { selected: o.id.to_string() == form.officer, value: o.id.to_string(), label: o.display_name })
        .collect();
    let page = RosterPage {
        chrome: me.chrome("inbox", format!("/inbox/roster?unit={code}")),
        unit_opts,
        can_edit: me.scope.can(Action::DirectWork, &unit.path),
        unit_name: unit.details.name,
        unit_code: code,
        shifts,
        officers,
        starts_at: form.starts_at.clone(),
        ends_at: form.ends_at.clone(),
        notice,
        errors,
    };
    render_form(&page, &page.errors)
}

#[derive(Deserialize, Default)]
struct RosterForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    officer: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
}

async fn roster_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice =
        if q.saved.is_some() { t.tr("Đã lưu lịch trực.", "Roster saved.").to_string() } else { String::new() };
    roster_view(&app, &me, &q.unit, &RosterForm::default(), notice, FieldErrors::default()).await
}

async fn roster_add(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<RosterForm>,
) -> Result<Response, WebError> {
    let officer = OfficerId(f.officer.trim().parse::<i64>().unwrap_or(0));
    match form::posted(service::add_shift(&app, &me.scope, &f.unit, officer, &f.starts_at, &f.ends_at).await)? {
        Posted::Saved(_) => {
            form::see_other(&format!("/inbox/roster?unit={}&saved=1", crate::web::auth::urlencode(&f.unit)))
        }
        Posted::Refused(errors) => roster_view(&app, &me, &f.unit, &f, String::new(), errors).await,
    }
}

async fn roster_delete(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<BackForm>,
) -> Result<Response, WebError> {
    service::delete_shift(&app, &me.scope, id).await?;
    Ok(Redirect::to(&format!("/inbox/roster?unit={}&saved=1", crate::web::auth::urlencode(&f.unit))).into_response())
}
