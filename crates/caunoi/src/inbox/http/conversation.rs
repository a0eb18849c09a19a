//! One conversation: the page (thread, timeline, citizen panel, forms), the thread fragment,
//! and what the page shows after an action.

use super::common::*;
use super::queues::{FilterQuery, ListPane, list_pane};
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
use caunoi_core::inbox::{InboxFilter, Status};
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::Action;
use caunoi_core::units::UnitPath;

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
    /// A shared location: the map link and the coordinates in words.
    pub place: Option<Place>,
}

/// A location a citizen shared, as a link to OpenStreetMap.
#[derive(Clone)]
pub struct Place {
    pub map_url: String,
    /// "20.95730, 107.04360".
    pub text: String,
    pub at: i64,
}

impl Place {
    /// Reads a location message's stored text ("20.957300,107.043600", as the channels store
    /// it); `None` unless it is two numbers within the Earth's range.
    pub fn parse(text: &str, at: i64) -> Option<Place> {
        let (lat, lon) = text.trim().split_once(',')?;
        let (lat, lon) = (lat.trim().parse::<f64>().ok()?, lon.trim().parse::<f64>().ok()?);
        if !(lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
            return None;
        }
        Some(Place {
            map_url: format!("https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=17/{lat:.6}/{lon:.6}"),
            text: format!("{lat:.5}, {lon:.5}"),
            at,
        })
    }
}

/// A photo of the conversation for the citizen panel's gallery.
pub struct Photo {
    pub url: String,
    pub at: i64,
}

/// Most photos and places the citizen panel shows (the newest).
const PANEL_ITEMS: usize = 12;

/// The citizen panel's shared places and photos, newest first, from the thread.
fn places_and_photos(items: &[ThreadItem]) -> (Vec<Place>, Vec<Photo>) {
    let places = items.iter().rev().filter_map(|i| i.place.clone()).take(PANEL_ITEMS).collect();
    let photos = items
        .iter()
        .rev()
        .filter(|i| i.kind == "image" && !i.media.is_empty())
        .map(|i| Photo { url: i.media.clone(), at: i.at })
        .take(PANEL_ITEMS)
        .collect();
    (places, photos)
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
                (_, "bot") => ("bot", t.tr("Trợ lý tự động", "Automatic assistant").to_string()),
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
                ThreadItem {
                    class,
                    who,
                    place: if m.kind == "location" { Place::parse(&m.text, m.created_at) } else { None },
                    text: m.text,
                    kind: m.kind,
                    media,
                    at: m.created_at,
                    failed,
                },
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
                place: None,
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
    /// The filled text the "insert" button puts into the reply box.
    pub text: String,
}

#[derive(Template)]
#[template(path = "inbox_conversation.html")]
pub(super) struct ConversationPage {
    chrome: Chrome,
    pane: ListPane,
    /// `?{filter}` to keep on every action and link (empty without filters).
    keep: String,
    id: i64,
    citizen: String,
    channel: &'static str,
    unit_name: String,
    unit_code: String,
    status: &'static str,
    status_class: &'static str,
    is_closed: bool,
    is_assigned: bool,
    /// The officer looking has it.
    is_mine: bool,
    urgent: bool,
    assignee: String,
    window_class: &'static str,
    window_text: String,
    can_send: bool,
    can_work: bool,
    can_direct: bool,
    items: Vec<ThreadItem>,
    /// Locations the citizen shared and the conversation's photos, newest first.
    places: Vec<Place>,
    photos: Vec<Photo>,
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

pub(super) fn done_notice(t: &T, done: Option<&str>) -> String {
    let (vi, en) = match done {
        Some("reply") => ("Đã gửi trả lời; tin nhắn đang được chuyển đến người dân.", "Reply queued for delivery."),
        Some("note") => ("Đã thêm ghi chú nội bộ (không gửi cho người dân).", "Internal note added (not sent)."),
        Some("assign") => ("Đã giao cuộc trò chuyện.", "Conversation assigned."),
        Some("duty") => ("Đã giao cho cán bộ trực.", "Assigned to the officer on duty."),
        Some("duty_none") => ("Không có cán bộ nào đang trực tại đơn vị.", "Nobody is on duty at the unit."),
        Some("transfer") => ("Đã chuyển cuộc trò chuyện.", "Conversation transferred."),
        Some("transfer_up") => (
            "Đã chuyển cuộc trò chuyện lên đơn vị cấp trên; cuộc trò chuyện không còn trong hộp thư của bạn.",
            "Conversation handed up to the parent unit; it is no longer in your inbox.",
        ),
        Some("close") => ("Đã đóng cuộc trò chuyện.", "Conversation closed."),
        Some("duty_device") => (
            "Thiết bị này giữ phiên đăng nhập suốt ca trực; khi lâu không dùng, trang sẽ khóa và hỏi lại mật khẩu, tin khẩn vẫn đổ chuông.",
            "This device keeps its session through the shift; when idle, pages lock and ask for the password again, emergencies still ring.",
        ),
        Some("duty_device_refused") => (
            "Đơn vị của bạn chưa cho phép thiết bị trực giữ phiên đăng nhập lâu hơn; hãy đề nghị quản trị đơn vị.",
            "Your unit does not let duty devices keep a longer session; ask the unit's admin.",
        ),
        Some("reopen") => ("Đã mở lại cuộc trò chuyện.", "Conversation reopened."),
        _ => return String::new(),
    };
    t.tr(vi, en).to_string()
}

/// `?{query}` for a non-empty query.
pub(super) fn keep_of(f: &InboxFilter) -> String {
    let q = f.query();
    if q.is_empty() { q } else { format!("?{q}") }
}

/// What the conversation page shows besides the conversation: the filter its list keeps, a
/// notice, errors, and the reply box's draft.
pub(super) struct PageState {
    pub filter: InboxFilter,
    pub notice: String,
    pub errors: FieldErrors,
    pub draft: String,
}

pub(super) async fn conversation_view(
    app: &App,
    me: &CurrentOfficer,
    id: i64,
    st: PageState,
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
        .filter_map(|c| {
            let text = caunoi_core::inbox::render_canned(&c.body, &vars).ok()?;
            Some(CannedChoice { id: c.id, text, title: format!("{} ({})", c.title, c.unit_name) })
        })
        .collect();
    let can_direct = me.scope.can(Action::DirectWork, &path);
    let mut officers: Vec<Opt> = Vec::new();
    for g in service::assignable(app, &view).await? {
        if officers.iter().any(|o| o.value == g.id.to_string()) {
            continue;
        }
        let role = caunoi_core::staff::Role::parse(&g.role)
            .map(|r| if t.lang == caunoi_core::input::Lang::Vi { r.label_vi() } else { r.label_en() })
            .unwrap_or_default();
        officers.push(Opt {
            selected: Some(g.id) == view.assignee_id,
            value: g.id.to_string(),
            label: format!("{} — {role}, {}", g.display_name, g.unit_name),
        });
    }
    let units = service::transfer_targets(app, &me.scope, &view)
        .await?
        .into_iter()
        .map(|u| {
            let mut o = Opt::unit(&u, false);
            if !path.contains(&u.path) && !me.scope.can(Action::WorkConversations, &u.path) {
                o.label = format!("{} ({})", u.name, t.tr("cấp trên", "parent unit"));
            }
            o
        })
        .collect();
    let others = service::other_conversations(app, me.id, &view).await?;
    let other_status = others.iter().map(|o| status_label(&t, o.status)).collect();
    let cases = crate::cases::http::conversation_cases(app, &t, view.id).await?;
    let pane = list_pane(app, me, &st.filter, id).await?;
    let keep = keep_of(&st.filter);
    let items = thread(app, &t, &view).await?;
    let (places, photos) = places_and_photos(&items);
    let page = ConversationPage {
        chrome: me.chrome("inbox", format!("/inbox/{id}{keep}")),
        pane,
        keep,
        id,
        citizen: citizen_label(&t, view.contact_name.as_deref(), view.contact_id),
        channel: channel_label(view.channel),
        unit_name: view.unit_name.clone(),
        unit_code: view.unit_code.clone(),
        status: status_label(&t, status),
        status_class: status.as_str(),
        is_closed: status == Status::Closed,
        is_assigned: status == Status::Assigned,
        is_mine: status == Status::Assigned && view.assignee_id == Some(me.id.0),
        urgent: view.urgent,
        assignee: view.assignee_name.clone().unwrap_or_default(),
        can_send: window != WindowInfo::Closed && status != Status::Closed,
        can_work: me.scope.can(Action::WorkConversations, &path),
        can_direct,
        window_class,
        window_text,
        items,
        places,
        photos,
        events: event_lines(&t, service::timeline(app, &view).await?),
        others,
        cases,
        other_status,
        canned,
        officers,
        units,
        notice: st.notice,
        errors: st.errors,
        draft: st.draft,
    };
    render_form(&page, &page.errors)
}

pub(super) async fn conversation_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<FilterQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let mut st = PageState {
        filter: q.filter(),
        notice: done_notice(&t, q.done.as_deref()),
        errors: FieldErrors::default(),
        draft: String::new(),
    };
    // A canned reply asked for without script: its filled text goes into the reply box.
    if let Some(canned) = q.canned.as_deref().filter(|c| !c.trim().is_empty()) {
        let canned = canned.trim().parse::<i64>().unwrap_or(0);
        match service::canned_text(&app, &me.scope, &me.display_name, id, canned).await {
            Ok(text) => st.draft = text,
            Err(e) => match form::posted::<()>(Err(e))? {
                Posted::Refused(errors) => st.errors = errors,
                Posted::Saved(_) => {}
            },
        }
    }
    conversation_view(&app, &me, id, st).await
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

/// After an action: back to the conversation (keeping the list's filter) at the reply box with
/// a notice, or the page again with the error (422).
pub(super) async fn after<V>(
    app: &App,
    me: &CurrentOfficer,
    id: i64,
    filter: InboxFilter,
    r: Result<V, ServiceError>,
    done: &str,
    draft: String,
) -> Result<Response, WebError> {
    match form::posted(r)? {
        Posted::Saved(_) => {
            let q = filter.query();
            let sep = if q.is_empty() { "" } else { "&" };
            form::see_other(&format!("/inbox/{id}?{q}{sep}done={done}#reply-form"))
        }
        Posted::Refused(errors) => {
            conversation_view(app, me, id, PageState { filter, notice: String::new(), errors, draft }).await
        }
    }
}
