//! What officers do to a case (xử lý tin báo): acknowledge, change its status, note, reply to
//! the reporter, assign, extend or suspend the legal clock, merge duplicates, forward to
//! another unit, and the sealed-identity requests. Also [`tell_reporter`], the one way a case
//! speaks to its reporter.
//!
//! Invariants: every action reads the case within the officer's scope (outside it the case
//! does not exist), checks the move against the rules in `caunoi_core::cases`, and writes the
//! change as a conditional update on the state it read together with its timeline event in one
//! transaction — a refused or stale move changes nothing and says why in Vietnamese. What the
//! reporter is told never names an officer. Every identity request, decision and view is a
//! timeline event and an audit entry.

use super::service::{self, CaseView, ReporterDetails};
use super::store::{self, NewEventRow};
use crate::app::App;
use crate::audit::store::NewEntry;
use crate::db::{StoreError, Tx};
use crate::error::ServiceError;
use caunoi_core::audit::AuditAction;
use caunoi_core::cases::clock::MIN_REASON_CHARS;
use caunoi_core::cases::{CaseCode, CaseId, EventKind, MAX_NOTE_CHARS, Status, transition};
use caunoi_core::conversations::ConversationId;
use caunoi_core::input::{FieldErrors, InvalidInput, text_field};
use caunoi_core::staff::{Action, Forbidden, OfficerId, Scope};
use caunoi_core::units::{UnitId, UnitPath};

const HOUR: i64 = 3_600_000_000;
/// How long an approved identity request lets its requester open the identity.
pub const IDENTITY_APPROVAL_HOURS: i64 = 24;

fn refused(field: &'static str, vi: impl Into<String>, en: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(FieldErrors(vec![InvalidInput::new(field, vi, en)]))
}

fn stale() -> ServiceError {
    refused(
        "action",
        "Tin báo vừa được người khác thay đổi (hoặc đã chuyển đơn vị). Trang đã được tải lại; vui lòng xem và thao tác lại.",
        "Someone else changed this report meanwhile (or it moved to another unit). Please look again and retry.",
    )
}

/// A reason an officer must give (forwarding, extending, suspending, an identity request).
fn reason_text(field: &'static str, raw: &str) -> Result<String, ServiceError> {
    let text = text_field(field, raw, MAX_NOTE_CHARS, false)?;
    if text.chars().count() < MIN_REASON_CHARS {
        return Err(refused(
            field,
            format!("Vui lòng ghi rõ lý do (ít nhất {MIN_REASON_CHARS} ký tự)."),
            format!("Please give a reason (at least {MIN_REASON_CHARS} characters)."),
        ));
    }
    Ok(text)
}

fn audit<'a>(at: i64, officer: OfficerId, action: AuditAction, case: &'a CaseView, detail: &'a str) -> NewEntry<'a> {
    NewEntry { at, officer: Some(officer), action, unit: Some(case.unit), target: case.code.as_str(), detail }
}

/// One step of the sealed-identity procedure, written twice on purpose: on the case's timeline
/// (what officers see) and in the audit log (what inspection reads).
struct IdentityStep<'a> {
    kind: EventKind,
    action: AuditAction,
    text: &'a str,
    data: serde_json::Value,
    detail: String,
}

async fn record_identity_step(
    tx: &mut Tx,
    case: &CaseView,
    officer: OfficerId,
    step: IdentityStep<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let data = step.data.to_string();
    let event = NewEventRow {
        kind: step.kind.as_str(),
        officer: Some(officer),
        unit: Some(case.unit),
        text: step.text,
        data: &data,
        ..Default::default()
    };
    store::insert_event(tx, case.id, now, &event).await?;
    crate::audit::service::record(tx, &audit(now, officer, step.action, case, &step.detail)).await?;
    Ok(())
}

/// Wakes the outbox after a commit that queued messages to reporters.
pub fn wake(app: &App) {
    app.channels().outbox_wake.notify_one();
}

// ---------------------------------------------------------------------------------------------
// Telling the reporter

/// What became of a message to the reporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued to the chat the case came from.
    Sent,
    /// On the case's thread only: the reporter reads it with the code or receipt (no chat).
    Recorded,
    /// The case came from Zalo and the reply window has closed (7 days since the citizen last
    /// wrote): on the thread only; call the reporter or wait for them to write.
    WindowClosed,
}

/// Tells the reporter `text`: a citizen-visible `message_out` event on the case and, when the
/// case came from a conversation, the text sent into that chat (queued in the outbox in the
/// same transaction; a closed Zalo window keeps it on the thread only). The reporters of cases
/// merged into this one are told too. `key` makes the queued messages idempotent.
pub async fn tell_reporter(
    tx: &mut Tx,
    app: &App,
    case: &CaseView,
    text: &str,
    key: &str,
) -> Result<Delivery, StoreError> {
    tell_reporter_as(tx, app, case, None, text, key).await
}

/// [`tell_reporter`] with the officer who wrote (shown to officers on the timeline only).
pub async fn tell_reporter_as(
    tx: &mut Tx,
    app: &App,
    case: &CaseView,
    officer: Option<OfficerId>,
    text: &str,
    key: &str,
) -> Result<Delivery, StoreError> {
    let now = app.clock.now_micros();
    let delivery =
        tell_one(tx, app, case.id, &case.code, case.unit, case.conversation, officer, text, key, now).await?;
    for dup in store::duplicates_of(&app.db, case.id).await? {
        let code = CaseCode::from_stored(dup.code.clone());
        let conversation = dup.conversation_id.map(ConversationId);
        tell_one(tx, app, CaseId(dup.id), &code, UnitId(dup.unit_id), conversation, officer, text, key, now).await?;
    }
    Ok(delivery)
}

#[allow(clippy::too_many_arguments)]
async fn tell_one(
    tx: &mut Tx,
    app: &App,
    case: CaseId,
    code: &CaseCode,
    unit: UnitId,
    conversation: Option<ConversationId>,
    officer: Option<OfficerId>,
    text: &str,
    key: &str,
    now: i64,
) -> Result<Delivery, StoreError> {
    let event =
        NewEventRow { kind: EventKind::MessageOut.as_str(), officer, unit: Some(unit), text, ..Default::default() };
    let event_id = store::insert_event(tx, case, now, &event).await?;
    let Some(conversation) = conversation else { return Ok(Delivery::Recorded) };
    let Some(view) = crate::conversations::service::view_any(&app.db, conversation.0).await? else {
        return Ok(Delivery::Recorded);
    };
    if crate::inbox::service::window_info(&view, now) == crate::inbox::service::WindowInfo::Closed {
        return Ok(Delivery::WindowClosed);
    }
    let notice =
        caunoi_core::bot::BotReply {
            text: format!("Tin báo {code}: {text}"), buttons: Vec::new(), feedback_for: None
        };
    let key = format!("case{}-{key}-{event_id}", case.0);
    crate::conversations::service::notify_citizen(tx, &view, &notice, &key, now).await?;
    Ok(Delivery::Sent)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// The case for an officer who may work it; records a `viewed` event when a sensitive case is
/// opened (at most one per officer per hour).
pub async fn open(app: &App, scope: &Scope, id: i64) -> Result<CaseView, ServiceError> {
    let case = service::get(app, scope, id).await?;
    // Opened by an officer who can work it (`get` checked): its urgent alarm stops widening.
    super::alarms::acknowledge_on_open(app, case.id, scope.officer_id).await?;
    if case.category.is_sensitive() {
        let now = app.clock.now_micros();
        let last = store::last_viewed(&app.db, case.id, scope.officer_id).await?;
        if last.is_none_or(|at| now - at >= HOUR) {
            let mut tx = app.db.begin().await?;
            let event =
                NewEventRow { kind: EventKind::Viewed.as_str(), officer: Some(scope.officer_id), ..Default::default() };
            store::insert_event(&mut tx, case.id, now, &event).await?;
            tx.commit().await?;
        }
    }
    Ok(case)
}

// ---------------------------------------------------------------------------------------------
// Handling

/// Nhận xử lý: the case's unit takes a new case (a forward's acknowledgement clock stops).
pub async fn acknowledge(app: &App, scope: &Scope, id: i64) -> Result<Delivery, ServiceError> {
    let case = service::get(app, scope, id).await?;
    if case.status != Status::New {
        return Err(refused("action", "Tin báo này đã được nhận xử lý.", "This report has already been acknowledged."));
    }
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    if !store::acknowledge(&mut tx, case.id, case.unit, now).await? {
        return Err(stale());
    }
    let event = NewEventRow {
        kind: EventKind::Acknowledged.as_str(),
        officer: Some(scope.officer_id),
        unit: Some(case.unit),
        ..Default::default()
    };
    store::insert_event(&mut tx, case.id, now, &event).await?;
    super::alarms::acknowledge_in(&mut tx, case.id, scope.officer_id, now).await?;
    if case.assignee.is_none() {
        store::set_assignee(&mut tx, case.id, Some(scope.officer_id), now).await?;
    }
    let text = Status::Acknowledged.citizen_vi(&case.unit_name);
    let delivery = tell_reporter(&mut tx, app, &case, &text, &format!("ack-{now}")).await?;
    tx.commit().await?;
    wake(app);
    Ok(delivery)
}

/// Whether a move to `to` needs an outcome written down.
pub fn needs_outcome(to: Status) -> bool {
    matches!(to, Status::Resolved | Status::Unfounded | Status::Transferred)
}

/// Changes the status along `caunoi_core::cases::transition`; resolved, unfounded and
/// transferred need an outcome. Merging (duplicate) has its own action.
pub async fn change_status(
    app: &App,
    scope: &Scope,
    id: i64,
    to: &str,
    outcome: &str,
) -> Result<Delivery, ServiceError> {
    let case = service::get(app, scope, id).await?;
    let Some(to) = Status::parse(to) else {
        return Err(refused("status", "Vui lòng chọn trạng thái mới.", "Please choose the new status."));
    };
    if to == Status::Duplicate {
        return Err(refused(
            "status",
            "Để đánh dấu trùng, hãy dùng “Gộp vào tin báo khác” và chọn tin báo chính.",
            "To mark a duplicate, use “Merge into another report” and choose the primary report.",
        ));
    }
    transition(case.status, to).map_err(|e| refused("status", e.message_vi(), e.to_string()))?;
    let outcome = text_field("outcome", outcome, MAX_NOTE_CHARS, false)?;
    if needs_outcome(to) && outcome.is_empty() {
        return Err(refused(
            "outcome",
            format!("Cần ghi kết quả xử lý khi chuyển sang “{}”.", to.label_vi()),
            format!("Write down the outcome when moving to “{}”.", to.label_en()),
        ));
    }
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    let moved = if to == Status::Acknowledged {
        store::acknowledge(&mut tx, case.id, case.unit, now).await?
    } else {
        store::guard(&mut tx, case.id, case.unit, case.status.as_str(), now).await?
            && store::set_status(&mut tx, case.id, case.status.as_str(), to.as_str(), !to.is_open(), now).await?
    };
    if !moved {
        return Err(stale());
    }
    let data = serde_json::json!({ "from": case.status.as_str(), "to": to.as_str() }).to_string();
    let event = NewEventRow {
        kind: EventKind::StatusChanged.as_str(),
        officer: Some(scope.officer_id),
        unit: Some(case.unit),
        text: &outcome,
        data: &data,
        ..Default::default()
    };
    store::insert_event(&mut tx, case.id, now, &event).await?;
    let text = to.citizen_vi(&case.unit_name);
    let delivery = tell_reporter(&mut tx, app, &case, &text, &format!("status-{now}")).await?;
    tx.commit().await?;
    wake(app);
    Ok(delivery)
}

/// An internal note (never shown to the reporter).
pub async fn note(app: &App, scope: &Scope, id: i64, text: &str) -> Result<(), ServiceError> {
    let case = service::get(app, scope, id).await?;
    let text = text_field("note", text, MAX_NOTE_CHARS, true)?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    if !store::guard(&mut tx, case.id, case.unit, case.status.as_str(), now).await? {
        return Err(stale());
    }
    let event = NewEventRow {
        kind: EventKind::Note.as_str(),
        officer: Some(scope.officer_id),
        unit: Some(case.unit),
        text: &text,
        ..Default::default()
    };
    store::insert_event(&mut tx, case.id, now, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// A reply to the reporter through the channel the case came from (and on its thread); the
/// first one sets the first-reply time.
pub async fn reply(app: &App, scope: &Scope, id: i64, text: &str) -> Result<Delivery, ServiceError> {
    let case = service::get(app, scope, id).await?;
    let text = text_field("reply", text, MAX_NOTE_CHARS, true)?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    if !store::guard(&mut tx, case.id, case.unit, case.status.as_str(), now).await? {
        return Err(stale());
    }
    let delivery =
        tell_reporter_as(&mut tx, app, &case, Some(scope.officer_id), &text, &format!("reply-{now}")).await?;
    store::mark_first_reply(&mut tx, case.id, now).await?;
    tx.commit().await?;
    wake(app);
    Ok(delivery)
}

/// Gives the case to an officer who works at its unit (or above it).
pub async fn assign(app: &App, scope: &Scope, id: i64, officer: &str) -> Result<(), ServiceError> {
    let case = service::get(app, scope, id).await?;
    if !case.status.is_open() {
        return Err(refused("officer", "Tin báo đã kết thúc, không giao được.", "The report is closed."));
    }
    let colleagues = crate::staff::service::colleagues_for_unit(app, case.unit_path.as_str()).await?;
    let chosen = officer.trim().parse::<i64>().ok().and_then(|n| colleagues.into_iter().find(|c| c.id == n));
    let Some(chosen) = chosen else {
        return Err(refused(
            "officer",
            "Vui lòng chọn một cán bộ của đơn vị xử lý.",
            "Please choose an officer of the handling unit.",
        ));
    };
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    if !store::guard(&mut tx, case.id, case.unit, case.status.as_str(), now).await? {
        return Err(stale());
    }
    store::set_assignee(&mut tx, case.id, Some(OfficerId(chosen.id)), now).await?;
    let data = serde_json::json!({ "assignee": chosen.id }).to_string();
    let event = NewEventRow {
        kind: EventKind::Assigned.as_str(),
        officer: Some(scope.officer_id),
        unit: Some(case.unit),
        text: &chosen.display_name,
        data: &data,
        ..Default::default()
    };
    store::insert_event(&mut tx, case.id, now, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Reads a date (`2026-12-31`, or `31/12/2026`) as the end of that day in Vietnam.
pub fn parse_deadline_date(raw: &str) -> Result<i64, InvalidInput> {
    let bad = || InvalidInput::new("until", "Ngày không hợp lệ (ví dụ 31/12/2026).", "Invalid date (e.g. 2026-12-31).");
    let raw = raw.trim();
    let date: jiff::civil::Date = match raw.parse() {
        Ok(d) => d,
        Err(_) => jiff::civil::Date::strptime("%d/%m/%Y", raw).map_err(|_| bad())?,
    };
    let end = date.at(23, 59, 0, 0).to_zoned(crate::app::vietnam_tz()).map_err(|_| bad())?;
    Ok(end.timestamp().as_microsecond())
}

/// Gia hạn: moves the legal deadline to the end of `until` with a reason (at most two months
/// after receipt, Criminal Procedure Code art. 147).
pub async fn extend(app: &App, scope: &Scope, id: i64, until: &str, reason: &str) -> Result<(), ServiceError> {
    let case = service::get(app, scope, id).await?;
    if !case.status.is_open() {
        return Err(refused("until", "Tin báo đã kết thúc.", "The report is closed."));
    }
    let to = parse_deadline_date(until)?;
    let reason = reason_text("reason", reason)?;
    let clock = case.clock.extend(to, &reason).map_err(|e| refused("until", e.message_vi(), e.to_string()))?;
    move_clock(app, scope, &case, clock, EventKind::DeadlineExtended, &reason).await
}

/// Tạm đình chỉ: the legal clock stops, with a reason.
pub async fn suspend(app: &App, scope: &Scope, id: i64, reason: &str) -> Result<(), ServiceError> {
    let case = service::get(app, scope, id).await?;
    if !case.status.is_open() {
        return Err(refused("reason", "Tin báo đã kết thúc.", "The report is closed."));
    }
    let reason = reason_text("reason", reason)?;
    let now = app.clock.now_micros();
    let clock = case.clock.suspend(now, &reason).map_err(|e| refused("reason", e.message_vi(), e.to_string()))?;
    move_clock(app, scope, &case, clock, EventKind::Suspended, &reason).await
}

/// Tiếp tục giải quyết: the legal clock runs again; the suspended time moves the deadline.
pub async fn resume(app: &App, scope: &Scope, id: i64, reason: &str) -> Result<(), ServiceError> {
    let case = service::get(app, scope, id).await?;
    let reason = reason_text("reason", reason)?;
    let now = app.clock.now_micros();
    let clock = case.clock.resume(now).map_err(|e| refused("reason", e.message_vi(), e.to_string()))?;
    move_clock(app, scope, &case, clock, EventKind::Resumed, &reason).await
}

async fn move_clock(
    app: &App,
    scope: &Scope,
    case: &CaseView,
    clock: caunoi_core::cases::LegalClock,
    kind: EventKind,
    reason: &str,
) -> Result<(), ServiceError> {
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    let moved = store::guard(&mut tx, case.id, case.unit, case.status.as_str(), now).await?
        && store::set_clock_if(
            &mut tx,
            case.id,
            case.clock.extended_to,
            case.clock.suspended_since,
            clock.extended_to,
            clock.suspended_micros,
            clock.suspended_since,
            now,
        )
        .await?;
    if !moved {
        return Err(stale());
    }
    let data = serde_json::json!({ "due": clock.due() }).to_string();
    let event = NewEventRow {
        kind: kind.as_str(),
        officer: Some(scope.officer_id),
        unit: Some(case.unit),
        text: reason,
        data: &data,
        ..Default::default()
    };
    store::insert_event(&mut tx, case.id, now, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Gộp: marks this case a duplicate of `primary` (a code, e.g. `TB-4KX9-M2QD`); both must be
/// open and in the officer's scope. The duplicate's reporter is told, and from then on hears
/// the primary's updates.
pub async fn merge(app: &App, scope: &Scope, id: i64, primary: &str) -> Result<CaseId, ServiceError> {
    let case = service::get(app, scope, id).await?;
    let code = CaseCode::parse(primary).map_err(|mut e| {
        e.field = "primary";
        e
    })?;
    let not_found = || {
        refused(
            "primary",
            "Không tìm thấy tin báo chính với mã này trong phạm vi của đồng chí.",
            "No report with this code in your scope.",
        )
    };
    let found = service::by_code(app, &code).await?.ok_or_else(not_found)?;
    let primary = service::get(app, scope, found.id.0).await.map_err(|_| not_found())?;
    if primary.id == case.id {
        return Err(refused(
            "primary",
            "Không thể gộp tin báo vào chính nó.",
            "A report cannot be merged into itself.",
        ));
    }
    if !case.status.is_open() || !primary.status.is_open() || primary.duplicate_of.is_some() {
        return Err(refused(
            "primary",
            "Chỉ gộp được hai tin báo đang xử lý (tin báo chính chưa kết thúc).",
            "Only two open reports can be merged (the primary must be open).",
        ));
    }
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    if !store::guard(&mut tx, case.id, case.unit, case.status.as_str(), now).await?
        || !store::merge_into(&mut tx, case.id, primary.id, now).await?
    {
        return Err(stale());
    }
    let into = serde_json::json!({ "primary": primary.id.0, "code": primary.code.as_str() }).to_string();
    let event = NewEventRow {
        kind: EventKind::Merged.as_str(),
        officer: Some(scope.officer_id),
        unit: Some(case.unit),
        text: primary.code.as_str(),
        data: &into,
        ..Default::default()
    };
    store::insert_event(&mut tx, case.id, now, &event).await?;
    let from = serde_json::json!({ "duplicate": case.id.0, "code": case.code.as_str() }).to_string();
    let event = NewEventRow {
        kind: EventKind::Merged.as_str(),
        officer: Some(scope.officer_id),
        unit: Some(primary.unit),
        text: case.code.as_str(),
        data: &from,
        ..Default::default()
    };
    store::insert_event(&mut tx, primary.id, now, &event).await?;
    // Told before the merge is visible to `tell_reporter` (the duplicate is not yet among the
    // primary's duplicates in this read), so once.
    let text = Status::Duplicate.citizen_vi(&primary.unit_name);
    tell_one(
        &mut tx,
        app,
        case.id,
        &case.code,
        case.unit,
        case.conversation,
        None,
        &text,
        &format!("merge-{now}"),
        now,
    )
    .await?;
    tx.commit().await?;
    wake(app);
    Ok(primary.id)
}

pub use super::ForwardTarget;

/// The units a case may be forwarded to: every unit of its tree (up to the province, across to
/// sibling wards, down to teams) except its own.
pub async fn forward_targets(app: &App, case: &CaseView) -> Result<Vec<ForwardTarget>, StoreError> {
    let Some(root) = case.unit_path.ids().first().copied() else { return Ok(Vec::new()) };
    let root = UnitPath::root(root);
    Ok(store::units_under(&app.db, root.as_str())
        .await?
        .into_iter()
        .filter(|u| u.id != case.unit.0)
        .map(|u| ForwardTarget {
            id: UnitId(u.id),
            depth: UnitPath::from_stored(u.path).depth(),
            code: u.code,
            name: u.name,
        })
        .collect())
}

/// Chuyển đơn vị: the case becomes new at `to` (a unit code of its tree) with an
/// acknowledgement deadline; the legal clock is untouched. The reporter is told which unit
/// handles it now.
pub async fn forward(app: &App, scope: &Scope, id: i64, to: &str, reason: &str) -> Result<UnitId, ServiceError> {
    let case = service::get(app, scope, id).await?;
    if !case.status.is_open() {
        return Err(refused("unit", "Tin báo đã kết thúc, không chuyển được.", "The report is closed."));
    }
    let target = forward_targets(app, &case).await?.into_iter().find(|u| u.code == to.trim());
    let Some(target) = target else {
        return Err(refused("unit", "Vui lòng chọn đơn vị nhận.", "Please choose the receiving unit."));
    };
    let reason = reason_text("reason", reason)?;
    forward_in(app, &case, &target, &reason, Some(scope.officer_id)).await?;
    Ok(target.id)
}

/// Forwards a case already checked (scope, target, reason): the guarded move, the event, the
/// notice to the reporter. Also the demo's way to forward without a signed-in officer.
pub async fn forward_in(
    app: &App,
    case: &CaseView,
    target: &ForwardTarget,
    reason: &str,
    officer: Option<OfficerId>,
) -> Result<(), ServiceError> {
    let now = app.clock.now_micros();
    let ack = caunoi_core::cases::AckClock::start(now, app.config.case_ack_minutes);
    let mut tx = app.db.begin().await?;
    if !store::forward(&mut tx, case.id, case.unit, target.id, now, Some(ack.due)).await? {
        return Err(stale());
    }
    let data = serde_json::json!({ "ack_due": ack.due }).to_string();
    let event = NewEventRow {
        kind: EventKind::Forwarded.as_str(),
        officer,
        unit: Some(case.unit),
        to_unit: Some(target.id),
        text: reason,
        data: &data,
    };
    store::insert_event(&mut tx, case.id, now, &event).await?;
    // The receiving unit's duty desk hears of it at once: an urgent case rings there (its
    // alarm starts over at that unit), any other gets a push notice.
    let queued = if case.urgent {
        super::alarms::raise_in(&mut tx, app, case.id, target.id, now).await?
    } else {
        super::alarms::notify_forwarded(&mut tx, app, case, target, ack.due, now).await?
    };
    let text = format!("Đã chuyển {} xử lý.", target.name);
    tell_reporter(&mut tx, app, case, &text, &format!("forward-{now}")).await?;
    tx.commit().await?;
    wake(app);
    if queued > 0 {
        app.push().wake();
    }
    if case.urgent {
        crate::inbox::alarms::wake_consoles(app);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Sealed identity

/// Đề nghị xem danh tính: asks the unit's leader to let this officer see a sealed reporter's
/// identity, with a reason of at least 10 characters.
pub async fn request_identity(app: &App, scope: &Scope, id: i64, reason: &str) -> Result<i64, ServiceError> {
    let case = service::get(app, scope, id).await?;
    if !case.has_sealed_identity {
        return Err(refused(
            "identity_reason",
            "Tin báo này không có danh tính được bảo mật.",
            "This report has no sealed identity.",
        ));
    }
    let reason = reason_text("identity_reason", reason)?;
    let pending = store::identity_requests(&app.db, case.id)
        .await?
        .into_iter()
        .any(|r| r.officer_id == scope.officer_id.0 && r.approved.is_none());
    if pending {
        return Err(refused(
            "identity_reason",
            "Đồng chí đã có một đề nghị đang chờ lãnh đạo duyệt.",
            "You already have a request waiting for the leader.",
        ));
    }
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    let request = store::insert_identity_request(&mut tx, case.id, scope.officer_id, &reason, now).await?;
    let step = IdentityStep {
        kind: EventKind::IdentityRequested,
        action: AuditAction::CaseIdentityRequested,
        text: &reason,
        data: serde_json::json!({ "request": request }),
        detail: format!("request={request}"),
    };
    record_identity_step(&mut tx, &case, scope.officer_id, step, now).await?;
    tx.commit().await?;
    Ok(request)
}

/// A leader of the case's unit approves or denies a pending request, with a reason; nobody
/// decides their own request.
pub async fn decide_identity(
    app: &App,
    scope: &Scope,
    id: i64,
    request: i64,
    approve: bool,
    reason: &str,
) -> Result<(), ServiceError> {
    let case = service::get(app, scope, id).await?;
    if !scope.can(Action::ApproveIdentity, &case.unit_path) {
        return Err(Forbidden { action: Action::ApproveIdentity }.into());
    }
    let requests = store::identity_requests(&app.db, case.id).await?;
    let Some(r) = requests.iter().find(|r| r.id == request) else { return Err(ServiceError::NotFound) };
    if r.officer_id == scope.officer_id.0 {
        return Err(refused(
            "decision_reason",
            "Không thể tự duyệt đề nghị của chính mình.",
            "You cannot decide your own request.",
        ));
    }
    let reason = text_field("decision_reason", reason, MAX_NOTE_CHARS, true)?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    if !store::decide_identity_request(&mut tx, request, case.id, scope.officer_id, approve, &reason, now).await? {
        return Err(refused(
            "decision_reason",
            "Đề nghị này đã được quyết định.",
            "This request has already been decided.",
        ));
    }
    let (kind, action) = if approve {
        (EventKind::IdentityApproved, AuditAction::CaseIdentityApproved)
    } else {
        (EventKind::IdentityDenied, AuditAction::CaseIdentityDenied)
    };
    let step = IdentityStep {
        kind,
        action,
        text: &reason,
        data: serde_json::json!({ "request": request, "requester": r.officer_id }),
        detail: format!("request={request} requester={}", r.officer_id),
    };
    record_identity_step(&mut tx, &case, scope.officer_id, step, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The officer's approved request that still lets them see the identity, if any.
pub async fn approved_request(app: &App, scope: &Scope, case: CaseId) -> Result<Option<i64>, StoreError> {
    let now = app.clock.now_micros();
    Ok(store::identity_requests(&app.db, case).await?.into_iter().find_map(|r| {
        let fresh = r.decided_at.is_some_and(|at| now - at <= IDENTITY_APPROVAL_HOURS * HOUR);
        (r.officer_id == scope.officer_id.0 && r.approved == Some(true) && fresh).then_some(r.id)
    }))
}

/// Xem danh tính: decrypts the sealed identity for the requester of an approved request
/// (within [`IDENTITY_APPROVAL_HOURS`] of the approval); the view is an event and an audit
/// entry. Anyone else is refused (403), whatever their role.
pub async fn view_identity(app: &App, scope: &Scope, id: i64) -> Result<ReporterDetails, ServiceError> {
    let case = service::get(app, scope, id).await?;
    let Some(request) = approved_request(app, scope, case.id).await? else {
        return Err(Forbidden { action: Action::ApproveIdentity }.into());
    };
    let sealed = store::sealed_identity(&app.db, case.id).await?.ok_or(ServiceError::NotFound)?;
    let details: ReporterDetails =
        app.secrets.decrypt(&sealed).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).ok_or_else(|| {
            tracing::error!(case = case.id.0, "a sealed identity could not be decrypted");
            ServiceError::NotFound
        })?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    let step = IdentityStep {
        kind: EventKind::IdentityViewed,
        action: AuditAction::CaseIdentityViewed,
        text: "",
        data: serde_json::json!({ "request": request }),
        detail: format!("request={request}"),
    };
    record_identity_step(&mut tx, &case, scope.officer_id, step, now).await?;
    tx.commit().await?;
    Ok(details)
}
