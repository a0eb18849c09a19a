//! One case (`/cases/{id}`): what was reported, where and when, the evidence, who reported it
//! (as far as the mode allows), the legal clock, the timeline, duplicate suggestions, the link
//! to the chat it came from, and the forms of every action. Also its evidence route and the
//! page shown after an action (a notice, or the page again with the error and 422).

use super::labels::*;
use crate::app::App;
use crate::cases::handling::{self, Delivery};
use crate::cases::service::{self, CaseView, ReporterDetails};
use crate::cases::store;
use crate::error::ServiceError;
use crate::web::error::render_form;
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::response::Response;
use caunoi_core::cases::duplicates::{self, Candidate};
use caunoi_core::cases::{EventKind, ReporterMode, Status, next_statuses};
use caunoi_core::input::{FieldErrors, Lang};
use caunoi_core::staff::Action;
use serde::Deserialize;

/// What an action left to show on the page it returns to.
#[derive(Default)]
pub(super) struct Shown {
    pub notice: String,
    pub errors: FieldErrors,
    /// What the officer typed, kept on a refused form: (field, text).
    pub drafts: Vec<(&'static str, String)>,
    /// The decrypted identity, right after an approved "Xem danh tính".
    pub identity: Option<ReporterDetails>,
}

pub struct EventLine {
    pub at: i64,
    pub label: String,
    pub by: String,
    pub text: String,
    /// `citizen` (the reporter sees it), `internal`, or empty.
    pub class: &'static str,
}

pub struct Evidence {
    pub url: String,
    pub is_video: bool,
    pub received_at: i64,
    pub gps: String,
}

pub struct Suggestion {
    pub code: String,
    pub id: i64,
    pub received_at: i64,
}

pub struct RequestLine {
    pub id: i64,
    pub officer: String,
    pub reason: String,
    pub at: i64,
    pub decision: String,
    pub pending: bool,
    pub mine: bool,
}

#[derive(Template)]
#[template(path = "cases_case.html")]
struct CasePage {
    chrome: Chrome,
    id: i64,
    code: String,
    urgent: bool,
    status: &'static str,
    status_class: &'static str,
    is_new: bool,
    is_open: bool,
    category: String,
    sensitive: bool,
    channel: &'static str,
    unit_name: String,
    assignee: String,
    description: String,
    address: String,
    map_url: String,
    point_text: String,
    place_unknown: bool,
    place_to_confirm: bool,
    occurred: String,
    attributes: Vec<(String, String)>,
    evidence: Vec<Evidence>,
    mode: ReporterMode,
    mode_label: &'static str,
    reporter_name: String,
    reporter_phone: String,
    clock_badge: String,
    clock_class: &'static str,
    due: String,
    received_at: i64,
    suspended: bool,
    ack: String,
    ack_class: &'static str,
    first_reply_late: bool,
    window_class: &'static str,
    window_text: String,
    conversation: Option<i64>,
    duplicate_of: Option<Suggestion>,
    events: Vec<EventLine>,
    suggestions: Vec<Suggestion>,
    statuses: Vec<Opt>,
    officers: Vec<Opt>,
    units: Vec<Opt>,
    requests: Vec<RequestLine>,
    can_request: bool,
    can_decide: bool,
    can_view_identity: bool,
    identity: Option<ReporterDetails>,
    notice: String,
    errors: FieldErrors,
    drafts: Vec<(&'static str, String)>,
}

impl CasePage {
    /// What was typed into `field` before a refusal.
    fn draft(&self, field: &str) -> &str {
        self.drafts.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    done: Option<String>,
    delivery: Option<String>,
}

fn done_notice(t: &T, done: Option<&str>, delivery: Option<&str>) -> String {
    let (vi, en) = match done {
        Some("ack") => ("Đơn vị đã nhận xử lý tin báo.", "The unit has taken the report."),
        Some("status") => ("Đã đổi trạng thái.", "Status changed."),
        Some("note") => {
            ("Đã thêm ghi chú nội bộ (người báo không thấy).", "Internal note added (not shown to the reporter).")
        }
        Some("reply") => ("Đã gửi trả lời người báo.", "Reply sent to the reporter."),
        Some("assign") => ("Đã giao cán bộ.", "Assigned."),
        Some("extend") => ("Đã gia hạn thời hạn giải quyết.", "Deadline extended."),
        Some("suspend") => ("Đã tạm đình chỉ; thời hạn ngừng tính.", "Suspended; the deadline clock stopped."),
        Some("resume") => ("Đã tiếp tục giải quyết; thời hạn tính tiếp.", "Resumed; the deadline clock runs again."),
        Some("merge") => ("Đã gộp vào tin báo chính.", "Merged into the primary report."),
        Some("forward") => {
            ("Đã chuyển tin báo; đơn vị nhận cần xác nhận.", "Forwarded; the receiving unit must acknowledge.")
        }
        Some("requested") => {
            ("Đã gửi đề nghị xem danh tính; chờ lãnh đạo đơn vị duyệt.", "Request sent; waiting for the unit's leader.")
        }
        Some("decided") => ("Đã ghi quyết định.", "Decision recorded."),
        _ => return String::new(),
    };
    let mut s = t.tr(vi, en).to_string();
    match delivery {
        Some("window_closed") => s.push_str(t.tr(
            " Lưu ý: cửa sổ trả lời Zalo đã đóng (quá 7 ngày kể từ lần cuối người dân nhắn), tin chỉ lưu trong tin báo — hãy gọi điện cho người báo nếu cần.",
            " Note: the Zalo reply window has closed (7 days since the citizen last wrote); the message is kept on the report only — call the reporter if needed.",
        )),
        Some("recorded") => s.push_str(t.tr(
            " Người báo xem được khi tra cứu tin báo bằng mã.",
            " The reporter reads it when looking the report up by its code.",
        )),
        _ => {}
    }
    s
}

pub(super) fn delivery_key(d: Delivery) -> &'static str {
    match d {
        Delivery::Sent => "sent",
        Delivery::Recorded => "recorded",
        Delivery::WindowClosed => "window_closed",
    }
}

fn event_line(t: &T, e: store::EventRow) -> EventLine {
    let kind = EventKind::parse(&e.kind);
    let label = match (kind, t.lang) {
        (Some(k), Lang::Vi) => k.label_vi().to_string(),
        (Some(k), Lang::En) => k.label_en().to_string(),
        (None, _) => e.kind.clone(),
    };
    let by = match (e.officer_name, e.unit_name) {
        (Some(o), Some(u)) => format!("{o} · {u}"),
        (Some(o), None) => o,
        (None, Some(u)) => u,
        (None, None) => t.tr("Hệ thống", "System").to_string(),
    };
    let mut text = e.text;
    match kind {
        Some(EventKind::Forwarded) | Some(EventKind::Routed) | Some(EventKind::Returned) => {
            if let Some(to) = e.to_unit_name {
                text = if text.is_empty() { format!("→ {to}") } else { format!("→ {to}: {text}") };
            }
        }
        Some(EventKind::StatusChanged) => {
            let v: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
            let status = |k: &str| v.get(k).and_then(|s| s.as_str()).and_then(Status::parse);
            if let (Some(from), Some(to)) = (status("from"), status("to")) {
                let moved = format!("{} → {}", status_label(t, from), status_label(t, to));
                text = if text.is_empty() { moved } else { format!("{moved}: {text}") };
            }
        }
        _ => {}
    }
    let class = match kind {
        Some(k) if k.citizen_visible() => "citizen",
        Some(_) => "internal",
        None => "",
    };
    EventLine { at: e.at, label, by, text, class }
}

/// Open cases in scope that may be the same matter, nearest first (never a case the officer
/// could not open).
async fn suggestions(app: &App, me: &CurrentOfficer, case: &CaseView) -> Result<Vec<Suggestion>, WebError> {
    let Some(point) = case.point else { return Ok(Vec::new()) };
    if !case.status.is_open() {
        return Ok(Vec::new());
    }
    let window = duplicates::window_micros(case.urgent);
    let rows =
        store::nearby_candidates(&app.db, &case.category.key, case.received_at - window, case.received_at + window)
            .await?;
    let this = Candidate {
        id: case.id,
        category: &case.category.key,
        open: true,
        received_at: case.received_at,
        point: Some(point),
    };
    let others: Vec<Candidate> = rows
        .iter()
        .map(|(id, at, lat, lon, _)| Candidate {
            id: caunoi_core::cases::CaseId(*id),
            category: &case.category.key,
            open: true,
            received_at: *at,
            point: Some((*lat, *lon)),
        })
        .collect();
    let mut out = Vec::new();
    for s in duplicates::suggestions(&this, &others, case.urgent).into_iter().take(5) {
        if service::get(app, &me.scope, s.id.0).await.is_ok()
            && let Some((id, at, _, _, code)) = rows.iter().find(|r| r.0 == s.id.0)
        {
            out.push(Suggestion { id: *id, code: code.clone(), received_at: *at });
        }
    }
    Ok(out)
}

pub(super) async fn case_view(app: &App, me: &CurrentOfficer, id: i64, shown: Shown) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let case = handling::open(app, &me.scope, id).await?;
    let now = app.clock.now_micros();
    let countdown = case.countdown(now);
    let (ack, ack_class) = ack_label(&t, case.status, case.ack_due_at, now);
    let mut window = ("", String::new());
    if let Some(conv) = case.conversation
        && let Some(view) = crate::conversations::service::view_any(&app.db, conv.0).await?
    {
        use crate::inbox::service::WindowInfo;
        window = match crate::inbox::service::window_info(&view, now) {
            WindowInfo::NoWindow => ("", String::new()),
            WindowInfo::Free { free_until, .. } => (
                "ok",
                format!(
                    "{} {}.",
                    t.tr("Trả lời qua Zalo miễn phí đến", "Zalo replies are free until"),
                    t.time(&free_until)
                ),
            ),
            WindowInfo::Billed { closes_at } => (
                "warn",
                format!(
                    "{} {}.",
                    t.tr(
                        "Đã quá 48 giờ: mỗi tin trả lời qua Zalo bị tính phí; cửa sổ trả lời đóng lúc",
                        "More than 48 hours: each Zalo reply is billed; the window closes at"
                    ),
                    t.time(&closes_at)
                ),
            ),
            WindowInfo::Closed => (
                "err",
                t.tr(
                    "Cửa sổ trả lời Zalo đã đóng (quá 7 ngày kể từ lần cuối người dân nhắn): trả lời chỉ được lưu trong tin báo, không gửi được qua Zalo. Hãy gọi điện cho người báo nếu cần.",
                    "The Zalo reply window has closed (7 days since the citizen last wrote): replies are kept on the report but cannot reach Zalo. Call the reporter if needed.",
                )
                .to_string(),
            ),
        };
    }
    let evidence = service::media(app, case.id)
        .await?
        .into_iter()
        .map(|m| Evidence {
            url: format!("/cases/{}/media/{}", case.id, m.id),
            is_video: m.kind == "video",
            received_at: m.received_at,
            gps: match (m.gps_lat, m.gps_lon) {
                (Some(a), Some(b)) => format!("{a:.5}, {b:.5}"),
                _ => String::new(),
            },
        })
        .collect();
    let attributes = case
        .attributes
        .iter()
        .map(|(k, v)| {
            let q = case.category.questions.iter().find(|q| &q.code == k);
            let label = q.map(|q| t.tr(&q.label_vi, &q.label_en).to_string()).unwrap_or_else(|| k.clone());
            let answer = q
                .and_then(|q| q.choices.iter().find(|(key, _)| key == v))
                .map(|(_, label)| label.clone())
                .unwrap_or_else(|| v.clone());
            (label, answer)
        })
        .collect();
    let events = service::timeline(app, case.id).await?.into_iter().map(|e| event_line(&t, e)).collect();
    let statuses = next_statuses(case.status)
        .into_iter()
        .filter(|s| *s != Status::Duplicate)
        .map(|s| Opt {
            value: s.as_str().to_string(),
            label: status_label(&t, s).to_string(),
            selected: shown.drafts.iter().any(|(f, v)| *f == "status" && v == s.as_str()),
        })
        .collect();
    let officers = crate::staff::service::colleagues_for_unit(app, case.unit_path.as_str())
        .await?
        .into_iter()
        .map(|o| Opt {
            selected: Some(o.id) == case.assignee.map(|a| a.0),
            value: o.id.to_string(),
            label: o.display_name,
        })
        .collect();
    let units = handling::forward_targets(app, &case)
        .await?
        .into_iter()
        .map(|u| Opt {
            selected: shown.drafts.iter().any(|(f, v)| *f == "unit" && *v == u.code),
            label: format!("{}{}", "· ".repeat(u.depth.saturating_sub(1)), u.name),
            value: u.code,
        })
        .collect();
    let assignee = match case.assignee {
        Some(a) => crate::staff::service::colleagues_for_unit(app, case.unit_path.as_str())
            .await?
            .into_iter()
            .find(|c| c.id == a.0)
            .map(|c| c.display_name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let approved = handling::approved_request(app, &me.scope, case.id).await?;
    let can_decide = me.scope.can(Action::ApproveIdentity, &case.unit_path);
    let requests: Vec<RequestLine> = if case.has_sealed_identity {
        store::identity_requests(&app.db, case.id)
            .await?
            .into_iter()
            .map(|r| {
                let decision = match (r.approved, &r.decided_by_name) {
                    (None, _) => t.tr("Đang chờ duyệt", "Waiting").to_string(),
                    (Some(true), by) => format!(
                        "{} ({}): {}",
                        t.tr("Đã duyệt", "Approved"),
                        by.clone().unwrap_or_default(),
                        r.decision_reason.clone().unwrap_or_default()
                    ),
                    (Some(false), by) => format!(
                        "{} ({}): {}",
                        t.tr("Từ chối", "Denied"),
                        by.clone().unwrap_or_default(),
                        r.decision_reason.clone().unwrap_or_default()
                    ),
                };
                RequestLine {
                    id: r.id,
                    mine: r.officer_id == me.id.0,
                    officer: r.officer_name,
                    reason: r.reason,
                    at: r.requested_at,
                    pending: r.approved.is_none(),
                    decision,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let can_request = case.has_sealed_identity && !requests.iter().any(|r| r.mine && r.pending) && approved.is_none();
    let (reporter_name, reporter_phone) = match &case.reporter {
        Some(r) => (r.name.clone().unwrap_or_default(), r.phone.clone().unwrap_or_default()),
        None => (String::new(), String::new()),
    };
    let suggestions = suggestions(app, me, &case).await?;
    let duplicate_of = match case.duplicate_of {
        Some(p) => service::get(app, &me.scope, p.0).await.ok().map(|c| Suggestion {
            id: c.id.0,
            code: c.code.to_string(),
            received_at: c.received_at,
        }),
        None => None,
    };
    let page = CasePage {
        chrome: me.chrome("cases", format!("/cases/{id}")),
        id,
        code: case.code.to_string(),
        urgent: case.urgent,
        status: status_label(&t, case.status),
        status_class: case.status.as_str(),
        is_new: case.status == Status::New,
        is_open: case.status.is_open(),
        category: category_label(&t, &case.category),
        sensitive: case.category.is_sensitive(),
        channel: match t.lang {
            Lang::Vi => case.channel.label_vi(),
            Lang::En => case.channel.label_en(),
        },
        unit_name: case.unit_name.clone(),
        assignee,
        description: case.description.clone(),
        address: case.address.clone().unwrap_or_default(),
        map_url: case
            .point
            .map(|(lat, lon)| {
                format!("https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=17/{lat:.6}/{lon:.6}")
            })
            .unwrap_or_default(),
        point_text: case.point.map(|(lat, lon)| format!("{lat:.5}, {lon:.5}")).unwrap_or_default(),
        place_unknown: case.place_unknown,
        place_to_confirm: case.place_to_confirm,
        occurred: case.occurred.clone().unwrap_or_default(),
        attributes,
        evidence,
        mode: case.mode,
        mode_label: mode_label(&t, case.mode),
        reporter_name,
        reporter_phone,
        clock_badge: countdown_label(&t, countdown),
        clock_class: countdown.class(),
        due: case.clock.due().map(|d| t.time(&d)).unwrap_or_default(),
        received_at: case.received_at,
        suspended: case.clock.suspended_since.is_some(),
        ack,
        ack_class,
        first_reply_late: case.first_reply_late(now),
        window_class: window.0,
        window_text: window.1,
        conversation: case.conversation.map(|c| c.0),
        duplicate_of,
        events,
        suggestions,
        statuses,
        officers,
        units,
        requests,
        can_request,
        can_decide,
        can_view_identity: approved.is_some(),
        identity: shown.identity,
        notice: shown.notice,
        errors: shown.errors,
        drafts: shown.drafts,
    };
    render_form(&page, &page.errors)
}

pub(super) async fn case_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let notice = done_notice(&T::new(me.lang), q.done.as_deref(), q.delivery.as_deref());
    case_view(&app, &me, id, Shown { notice, ..Default::default() }).await
}

/// After an action: back to the page with a notice (303), or the page again with the error
/// and what was typed (422).
pub(super) async fn after<V>(
    app: &App,
    me: &CurrentOfficer,
    id: i64,
    r: Result<V, ServiceError>,
    done: &str,
    delivery: impl FnOnce(&V) -> Option<Delivery>,
    drafts: Vec<(&'static str, String)>,
) -> Result<Response, WebError> {
    match form::posted(r)? {
        Posted::Saved(v) => {
            let to = match delivery(&v) {
                Some(d) => format!("/cases/{id}?done={done}&delivery={}", delivery_key(d)),
                None => format!("/cases/{id}?done={done}"),
            };
            form::see_other(&to)
        }
        Posted::Refused(errors) => case_view(app, me, id, Shown { errors, drafts, ..Default::default() }).await,
    }
}

/// A photo or video of the case's evidence, for officers who may open the case; elsewhere it
/// does not exist (404). Streamed with byte ranges.
pub(super) async fn media_file(
    State(app): State<App>,
    me: CurrentOfficer,
    Path((id, media)): Path<(i64, i64)>,
    req: Request,
) -> Result<Response, WebError> {
    let case = service::get(&app, &me.scope, id).await?;
    let m = service::media(&app, case.id).await?.into_iter().find(|m| m.id == media).ok_or(WebError::NotFound)?;
    app.config.media_store.serve(&m.media_ref, req).await.ok_or(WebError::NotFound)
}
