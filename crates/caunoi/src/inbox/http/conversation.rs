//! One conversation: the page (thread, timeline, citizen panel, forms), the thread fragment,
//! and what the page shows after an action.

use super::common::*;
use crate::app::App;
use crate::conversations::service::{ConversationView, OtherConversation};
use crate::error::ServiceError;
use crate::inbox::service::{self, WindowInfo};
use crate::inbox::store;
use crate::web::error::{render, render_form};
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use caunoi_core::inbox::Status;
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::Action;
use caunoi_core::units::UnitPath;
use serde::Deserialize;

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
    /// Why the message never reached the citizen, in plain words with what can be done; empty
    /// when it was delivered or is on its way.
    pub failed: String,
}

pub(super) async fn thread(app: &App, t: &T, view: &ConversationView) -> Result<Vec<ThreadItem>, WebError> {
    let citizen = citizen_label(t, view.contact_name.as_deref(), view.contact_id);
    let messages = service::thread(app, view).await?;
    let outgoing: Vec<i64> = messages.iter().filter(|m| m.direction.as_str() == "out").map(|m| m.id.0).collect();
    let undelivered = crate::outbox::service::undelivered(&app.db, &outgoing).await?;
    let mut items: Vec<(i64, u8, i64, ThreadItem)> = messages
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
            let failed = undelivered.get(&m.id.0).map(|e| crate::outbox::http::reason_text(t, e)).unwrap_or_default();
            (
                m.created_at,
                0,
                m.id.0,
                ThreadItem { class, who, text: m.text, kind: m.kind, media, at: m.created_at, failed },
            )
        })
        .collect();
    for n in service::notes(app, view).await? {
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
                failed: String::new(),
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

pub(super) fn event_lines(t: &T, events: Vec<store::EventRow>) -> Vec<EventLine> {
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
                "rated" if e.reason == "helpful" => {
                    t.tr("Người dân đánh giá: hữu ích", "The citizen rated it helpful").to_string()
                }
                "rated" => t.tr("Người dân đánh giá: chưa hữu ích", "The citizen rated it not helpful").to_string(),
                "escalated" => t.tr("Báo động tin khẩn lan rộng", "Urgent alarm widened").to_string(),
                other => other.to_string(),
            };
            let by = match (e.officer_name, e.action.as_str()) {
                (Some(name), _) => name,
                (None, "rated") => t.tr("Người dân", "Citizen").to_string(),
                (None, "escalated") => t.tr("Hệ thống (báo động)", "System (alarm)").to_string(),
                (None, _) => t.tr("Hệ thống (lịch trực)", "System (duty roster)").to_string(),
            };
            let reason = if e.action == "rated" { String::new() } else { e.reason };
            EventLine { at: e.at, text, by, reason }
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
pub(super) struct ConversationPage {
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
    /// The reports made from this conversation (the citizen panel).
    cases: Vec<crate::cases::http::CaseLink>,
    other_status: Vec<&'static str>,
    canned: Vec<CannedChoice>,
    officers: Vec<Opt>,
    units: Vec<Opt>,
    notice: String,
    errors: FieldErrors,
    draft: String,
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    done: Option<String>,
}

pub(super) fn done_notice(t: &T, done: Option<&str>) -> String {
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

pub(super) async fn conversation_view(
    app: &App,
    me: &CurrentOfficer,
    id: i64,
    notice: String,
    errors: FieldErrors,
    draft: String,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let view = service::get(app, &me.scope, id).await?;
    if view.urgent {
        // Opened by an officer who can work it: the alarm stops widening.
        crate::inbox::alarms::acknowledge(app, &me.scope, id, &view.unit_path).await?;
    }
    let path = UnitPath::from_stored(view.unit_path.clone());
    let status = view.status;
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
    let units = crate::units::service::list_in_scope(app, &me.scope)
        .await?
        .into_iter()
        .filter(|u| u.id != view.unit_id)
        .map(|u| Opt::unit(&u, false))
        .collect();
    let others = service::other_conversations(app, me.id, &view).await?;
    let other_status = others.iter().map(|o| status_label(&t, o.status)).collect();
    let cases = crate::cases::http::conversation_cases(app, &t, view.id).await?;
    let page = ConversationPage {
        chrome: me.chrome("inbox", format!("/inbox/{id}")),
        id,
        citizen: citizen_label(&t, view.contact_name.as_deref(), view.contact_id),
        channel: channel_label(view.channel),
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
        events: event_lines(&t, service::timeline(app, &view).await?),
        others,
        cases,
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

pub(super) async fn conversation_page(
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
pub(super) struct ThreadFragment {
    chrome: Chrome,
    items: Vec<ThreadItem>,
}

pub(super) async fn thread_fragment(
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
pub(super) async fn after<V>(
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
