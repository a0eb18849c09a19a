//! Inbox use cases: where a conversation changes hands and where an officer's words leave.
//!
//! Every move (assign, transfer, close, reopen) goes through `caunoi_core::inbox::transition`,
//! is written with a conditional update on the state that was read, and appends a
//! `conversation_events` row in the same transaction. An officer's reply is stored as a message
//! and queued in the outbox in one transaction (idempotency key `officer:{message id}`); a Zalo
//! reply outside the window is refused before anything is written. Reads and changes are
//! limited to the officer's scope: a conversation elsewhere does not exist for them (404).

use super::media::{Attachment, AttachmentError};
use super::store::{self, NewEvent};
use crate::app::App;
use crate::conversations::service::{
    self as conversations, ConversationView, Expected, Fingerprint, MessageRow, OtherConversation, QueueRow,
    SearchQuery, UnitMode,
};
use crate::conversations::store::NewMessage;
use crate::db::StoreError;
use crate::error::ServiceError;
use crate::outbox::Payload;
use crate::outbox::store::NewOutbox;
use caunoi_core::audit::AuditAction;
use caunoi_core::conversations::{Author, Channel, ContactId, ConversationId, Direction, MessageId};
use caunoi_core::inbox::search::like_pattern;
use caunoi_core::inbox::{
    AssignedFilter, CannedVars, ConversationState, ConversationSummary, InboxFilter, Queue, QueueFilter, ReopenBy,
    ReplyCost, ReplyWindow, SearchText, Status, TransferTarget, Transition, UnitScope, may_be_assigned, may_transfer,
    parents_in_reach, pick_assignee, queue_order, render_canned, reply_cost, reply_window, validate_canned,
};
use caunoi_core::input::{FieldErrors, InvalidInput, text_field};
use caunoi_core::staff::{Action, OfficerId, Scope};
use caunoi_core::units::{UnitId, UnitPath};
use std::collections::HashMap;

/// Longest officer reply, in characters (one Zalo consultation message holds 2,000).
pub const MAX_REPLY_CHARS: usize = 2000;
/// Longest internal note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;
/// Longest preview of the last message in a queue row.
const PREVIEW_CHARS: usize = 90;

fn invalid(field: &'static str, vi: impl Into<String>, en: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(FieldErrors(vec![InvalidInput::new(field, vi, en)]))
}

fn conflict() -> ServiceError {
    invalid(
        "action",
        "Cuộc trò chuyện vừa được cán bộ khác thay đổi. Vui lòng xem lại rồi thao tác lại.",
        "Another officer has just changed this conversation. Please check it and try again.",
    )
}

fn require_work(scope: &Scope, path: &UnitPath) -> Result<(), ServiceError> {
    Ok(scope.require(Action::WorkConversations, path)?)
}

fn require_direct(scope: &Scope, path: &UnitPath) -> Result<(), ServiceError> {
    Ok(scope.require(Action::DirectWork, path)?)
}

fn ts(micros: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_microsecond(micros).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// One row of a queue, ready to show: the preview is masked (phone and ID numbers hidden).
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub id: ConversationId,
    pub urgent: bool,
    pub contact_id: ContactId,
    pub contact_name: Option<String>,
    pub channel: Channel,
    pub unit_name: String,
    pub preview: String,
    pub last_kind: String,
    pub at: i64,
    pub status: Status,
    pub assignee_name: Option<String>,
}

fn summary_of(r: &QueueRow, status: Status) -> ConversationSummary {
    ConversationSummary {
        status,
        unit_path: UnitPath::from_stored(r.unit_path.clone()),
        assignee: r.assignee_id.map(OfficerId),
        urgent: r.urgent,
        waiting_since: if status.is_with_officers() { r.waiting_since.map(ts) } else { None },
    }
}

/// Masks personal data and shortens a message for a list.
pub fn preview(text: &str) -> String {
    let masked = caunoi_text::normalize::mask_personal_data(text.trim());
    let mut out: String = masked.chars().take(PREVIEW_CHARS).collect();
    if masked.chars().count() > PREVIEW_CHARS {
        out.push('…');
    }
    out
}

/// The conversations of one inbox tab, urgent first, then the longest wait
/// (`caunoi_core::inbox::queue_order`). "My unit" means the units the officer holds a grant on.
pub async fn queue(app: &App, scope: &Scope, q: Queue) -> Result<Vec<QueueItem>, ServiceError> {
    let filters: Vec<QueueFilter> = scope.grants.iter().map(|g| q.filter(scope.officer_id, &g.unit_path)).collect();
    let Some(first) = filters.first() else { return Ok(Vec::new()) };
    let statuses: Vec<&str> = first.statuses.iter().map(|s| s.as_str()).collect();
    let mode = match first.unit {
        UnitScope::Exactly(_) => UnitMode::GrantUnits,
        UnitScope::Any | UnitScope::Subtree(_) => UnitMode::Scope,
    };
    let rows = conversations::queue(&app.db, scope.officer_id, &statuses, mode, first.assignee, 300).await?;
    let mut items: Vec<(ConversationSummary, QueueRow, Status)> = rows
        .into_iter()
        .filter_map(|r| {
            let status = r.status;
            let s = summary_of(&r, status);
            filters.iter().any(|f| f.matches(&s)).then_some((s, r, status))
        })
        .collect();
    items.sort_by(|a, b| queue_order(&a.0, &b.0));
    Ok(items.into_iter().map(|(_, r, _)| item_of(r)).collect())
}

fn item_of(r: QueueRow) -> QueueItem {
    QueueItem {
        id: r.id,
        urgent: r.urgent,
        contact_id: r.contact_id,
        contact_name: r.contact_name.filter(|n| !n.trim().is_empty()),
        channel: r.channel,
        unit_name: r.unit_name,
        // A shared location's coordinates are not a preview (and the masker would take the
        // longitude for an ID number): the list names the kind instead.
        preview: if r.last_kind.as_deref() == Some("location") {
            String::new()
        } else {
            preview(r.last_text.as_deref().unwrap_or(""))
        },
        last_kind: r.last_kind.unwrap_or_default(),
        at: r.last_at.unwrap_or(r.updated_at),
        status: r.status,
        assignee_name: r.assignee_name,
    }
}

/// Most conversations one list shows (the search narrows further).
pub const LIST_LIMIT: i64 = 200;
/// Tab counts stop here: the tab shows "999+" rather than counting a province's history.
pub const COUNT_CAP: i64 = 1000;

/// A filter with its text and unit looked up once for every tab.
struct Resolved {
    pattern: Option<String>,
    /// The words folded to ASCII, as a pattern for the folded columns.
    folded: Option<String>,
    ids: [Option<i64>; 2],
    unit_path: Option<String>,
    /// A unit was asked for that does not exist: nothing matches.
    nothing: bool,
}

async fn resolve(app: &App, f: &InboxFilter) -> Result<Resolved, ServiceError> {
    let mut r = Resolved { pattern: None, folded: None, ids: [None, None], unit_path: None, nothing: false };
    match f.search() {
        SearchText::None => {}
        SearchText::Number(n) => {
            r.ids[0] = Some(n);
            r.pattern = Some(like_pattern(&f.q));
        }
        SearchText::Words(w) => {
            r.pattern = Some(like_pattern(&w));
            r.folded = folded_pattern(&w);
            // A report code finds the conversation it was made from (scope still applies).
            if let Ok(code) = caunoi_core::cases::CaseCode::parse(&w) {
                r.ids[1] = crate::cases::service::by_code(app, &code).await?.and_then(|c| c.conversation).map(|c| c.0);
            }
        }
    }
    if !f.unit.is_empty() {
        match crate::units::service::locate(&app.db, &f.unit).await? {
            Some((_, path)) => r.unit_path = Some(path.as_str().to_string()),
            None => r.nothing = true,
        }
    }
    Ok(r)
}

/// The words folded as the stored columns are (`caunoi_text::normalize::fold`: lowercase
/// ASCII letters, digits and single spaces), as a `LIKE` pattern; `None` when nothing is left
/// (punctuation only), which then matches nothing there. The fold never yields `%`, `_` or `\`.
fn folded_pattern(words: &str) -> Option<String> {
    let folded = caunoi_text::normalize::fold(words);
    (!folded.is_empty()).then(|| format!("%{folded}%"))
}

fn search_query<'a>(
    f: &InboxFilter,
    r: &'a Resolved,
    tab: Queue,
    me: OfficerId,
    statuses: &'a [&'a str],
) -> SearchQuery<'a> {
    SearchQuery {
        statuses,
        mode: Some(match tab {
            Queue::WaitingForHuman | Queue::MyUnit => UnitMode::GrantUnits,
            Queue::Mine | Queue::MySubtree => UnitMode::Scope,
        }),
        assignee: (tab == Queue::Mine).then_some(me),
        assigned: match f.assigned {
            AssignedFilter::Anyone => 0,
            AssignedFilter::Me => 1,
            AssignedFilter::Nobody => 2,
        },
        channel: f.channel.map(|c| c.as_str()),
        unit_path: r.unit_path.as_deref(),
        urgent_only: f.urgent,
        pattern: r.pattern.as_deref(),
        folded: r.folded.as_deref(),
        ids: r.ids,
    }
}

fn status_names(f: &InboxFilter, tab: Queue) -> Vec<&'static str> {
    f.status.statuses(tab).into_iter().map(|s| s.as_str()).collect()
}

/// The conversations of the filter's tab that match its search and filters, in the officer's
/// scope only: urgent first, then the longest wait, then the most recent.
pub async fn search(app: &App, scope: &Scope, f: &InboxFilter) -> Result<Vec<QueueItem>, ServiceError> {
    let r = resolve(app, f).await?;
    if r.nothing || scope.grants.is_empty() {
        return Ok(Vec::new());
    }
    let statuses = status_names(f, f.queue);
    let q = search_query(f, &r, f.queue, scope.officer_id, &statuses);
    let rows = conversations::search(&app.db, scope.officer_id, &q, LIST_LIMIT).await?;
    let mut items: Vec<(ConversationSummary, QueueRow)> =
        rows.into_iter().map(|row| (summary_of(&row, row.status), row)).collect();
    items.sort_by(|a, b| queue_order(&a.0, &b.0));
    Ok(items.into_iter().map(|(_, row)| item_of(row)).collect())
}

/// How many conversations each tab holds with the same search and filters (at most
/// [`COUNT_CAP`]).
pub async fn tab_counts(app: &App, scope: &Scope, f: &InboxFilter) -> Result<Vec<(Queue, i64)>, ServiceError> {
    let r = resolve(app, f).await?;
    let mut out = Vec::with_capacity(Queue::ALL.len());
    for tab in Queue::ALL {
        let n = if r.nothing || scope.grants.is_empty() {
            0
        } else {
            let statuses = status_names(f, tab);
            let q = search_query(f, &r, tab, scope.officer_id, &statuses);
            conversations::search_count(&app.db, scope.officer_id, &q, COUNT_CAP).await?
        };
        out.push((tab, n));
    }
    Ok(out)
}

/// One conversation, if it belongs to the officer's units.
pub async fn get(app: &App, scope: &Scope, id: i64) -> Result<ConversationView, ServiceError> {
    let view = conversations::view_in_scope(&app.db, scope.officer_id, id).await?.ok_or(ServiceError::NotFound)?;
    scope.require(Action::ViewUnit, &UnitPath::from_stored(view.unit_path.clone()))?;
    Ok(view)
}

fn state_of(view: &ConversationView) -> ConversationState {
    ConversationState {
        status: view.status,
        unit_id: view.unit_id,
        assignee: view.assignee_id.map(OfficerId),
        urgent: view.urgent,
    }
}

fn transition_error(e: caunoi_core::inbox::TransitionError) -> ServiceError {
    let m = e.message();
    invalid("action", m.vi, m.en)
}

/// The event name stored for a move.
fn action_name(t: &Transition) -> &'static str {
    match t {
        Transition::HandOff => "hand_off",
        Transition::Assign { .. } => "assign",
        Transition::Transfer { to: TransferTarget::Officer(_), .. } => "transfer_officer",
        Transition::Transfer { to: TransferTarget::Unit(_), .. } => "transfer_unit",
        Transition::Close => "close",
        Transition::Reopen { .. } => "reopen",
        Transition::SetUrgent { .. } => "urgent",
    }
}

/// Applies a move decided by `actor` (`None`: the system, e.g. the duty roster) and records it.
async fn apply(
    app: &App,
    actor: Option<OfficerId>,
    view: &ConversationView,
    t: Transition,
) -> Result<ConversationState, ServiceError> {
    let state = state_of(view);
    let next = caunoi_core::inbox::transition(&state, &t).map_err(transition_error)?;
    let reason = match &t {
        Transition::Transfer { reason, .. } => reason.trim().to_string(),
        _ => String::new(),
    };
    let now = app.clock.now_micros();
    let expected = Expected { status: state.status.as_str(), unit: state.unit_id, assignee: state.assignee };
    let mut tx = app.db.begin().await?;
    let moved = conversations::move_conversation(&mut tx, view.id, expected, &next, now).await?;
    if !moved {
        return Err(conflict());
    }
    let event = NewEvent {
        conversation_id: view.id,
        at: now,
        officer_id: actor,
        action: action_name(&t),
        from_status: state.status.as_str(),
        to_status: next.status.as_str(),
        from_unit: state.unit_id,
        to_unit: next.unit_id,
        assignee: next.assignee,
        reason: &reason,
    };
    store::insert_event(&mut tx, &event).await?;
    // The citizen hears of the move, once, where the channel may still send.
    let facts = caunoi_core::bot::UnitFacts { name: view.unit_name.clone(), ..Default::default() };
    let notice = caunoi_core::conversations::move_notice(&state, &next, actor.is_some(), &facts)
        .filter(|_| window_info(view, now) != WindowInfo::Closed);
    if let Some(notice) = &notice {
        conversations::notify_citizen(&mut tx, view, notice, &format!("{}-{now}", view.id.0), now).await?;
    }
    tx.commit().await?;
    if notice.is_some() {
        app.channels().outbox_wake.notify_one();
    }
    Ok(next)
}

/// The officer's own units (where they hold a role directly) with nobody on duty now:
/// (code, name). The inbox warns that urgent messages there reach nobody.
pub async fn own_units_without_duty(app: &App, scope: &Scope) -> Result<Vec<(String, String)>, StoreError> {
    store::own_units_without_duty(&app.db, scope.officer_id, app.clock.now_micros()).await
}

/// Records the citizen's rating of a closed conversation (the closing notice's buttons) on its
/// timeline, in the caller's transaction (the citizen's turn).
pub async fn record_rating(
    tx: &mut crate::db::Tx,
    conversation: ConversationId,
    state: &ConversationState,
    helpful: bool,
    now: i64,
) -> Result<(), StoreError> {
    let event = NewEvent {
        conversation_id: conversation,
        at: now,
        officer_id: None,
        action: "rated",
        from_status: state.status.as_str(),
        to_status: state.status.as_str(),
        from_unit: state.unit_id,
        to_unit: state.unit_id,
        assignee: state.assignee,
        reason: if helpful { "helpful" } else { "not_helpful" },
    };
    store::insert_event(tx, &event).await?;
    Ok(())
}

/// Whom an assignment goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    Me,
    Officer(OfficerId),
}

/// Assigns the conversation to the officer or to a colleague who works the unit. An assigned
/// conversation changes hands only with a reason (a transfer, per the core rules).
pub async fn assign(
    app: &App,
    scope: &Scope,
    id: i64,
    to: Assignee,
    reason: &str,
) -> Result<ConversationState, ServiceError> {
    let view = get(app, scope, id).await?;
    let path = UnitPath::from_stored(view.unit_path.clone());
    require_work(scope, &path)?;
    let officer = match to {
        Assignee::Me => scope.officer_id,
        Assignee::Officer(o) if o == scope.officer_id => o,
        Assignee::Officer(o) => {
            require_direct(scope, &path)?;
            let colleagues = crate::staff::service::colleagues_for_unit(app, &view.unit_path).await?;
            if !colleagues.iter().any(|c| c.id == o.0) {
                return Err(invalid(
                    "officer",
                    "Cán bộ này không làm việc tại đơn vị của cuộc trò chuyện.",
                    "This officer does not work at the conversation's unit.",
                ));
            }
            o
        }
    };
    if view.status == Status::Assigned && view.assignee_id == Some(officer.0) {
        // "Nhận xử lý" on a conversation the officer already has: nothing to move, no reason asked.
        return Ok(state_of(&view));
    }
    let t = if view.status == Status::Assigned {
        Transition::Transfer { to: TransferTarget::Officer(officer), reason: reason.to_string() }
    } else {
        Transition::Assign { officer }
    };
    apply(app, Some(scope.officer_id), &view, t).await
}

/// Moves the conversation to another unit's queue, with a reason: any unit the officer may
/// work in, or up to the parent of their own unit (`caunoi_core::inbox::reach`). Handed up,
/// the conversation may leave the officer's scope.
pub async fn transfer_to_unit(
    app: &App,
    scope: &Scope,
    id: i64,
    unit_code: &str,
    reason: &str,
) -> Result<ConversationState, ServiceError> {
    let view = get(app, scope, id).await?;
    let from = UnitPath::from_stored(view.unit_path.clone());
    require_work(scope, &from)?;
    let target = crate::units::service::locate(&app.db, unit_code.trim())
        .await?
        .filter(|(_, path)| may_transfer(scope, &from, path))
        .ok_or_else(|| {
            invalid(
                "unit",
                "Hãy chọn một đơn vị được phép chuyển đến: trong phạm vi của bạn hoặc đơn vị cấp trên trực tiếp.",
                "Choose a unit you may transfer to: within your scope or the unit right above yours.",
            )
        })?;
    apply(
        app,
        Some(scope.officer_id),
        &view,
        Transition::Transfer { to: TransferTarget::Unit(target.0), reason: reason.to_string() },
    )
    .await
}

/// The units the officer may transfer this conversation to, by path: those in reach below,
/// then the parents above.
pub async fn transfer_targets(
    app: &App,
    scope: &Scope,
    view: &ConversationView,
) -> Result<Vec<caunoi_core::units::UnitNode>, StoreError> {
    let from = UnitPath::from_stored(view.unit_path.clone());
    let mut out: Vec<caunoi_core::units::UnitNode> = Vec::new();
    for parent in parents_in_reach(scope) {
        if let Some(id) = parent.ids().last()
            && let Some(node) = crate::units::service::node_by_id(&app.db, *id).await?
            && may_transfer(scope, &from, &node.path)
        {
            out.push(node);
        }
    }
    out.extend(
        crate::units::service::list_in_scope(app, scope)
            .await?
            .into_iter()
            .filter(|u| may_transfer(scope, &from, &u.path)),
    );
    Ok(out)
}

/// Who may be assigned the conversation: officers holding a working role on its unit or above,
/// each grant with its role and unit, the nearest unit first.
pub async fn assignable(
    app: &App,
    view: &ConversationView,
) -> Result<Vec<crate::staff::store::ColleagueGrant>, StoreError> {
    let path = UnitPath::from_stored(view.unit_path.clone());
    let mut rows: Vec<_> = crate::staff::service::colleague_grants_for_unit(app, &view.unit_path)
        .await?
        .into_iter()
        .filter(|g| {
            caunoi_core::staff::Role::parse(&g.role)
                .is_ok_and(|r| may_be_assigned(r, &UnitPath::from_stored(g.unit_path.clone()), &path))
        })
        .collect();
    rows.sort_by(|a, b| b.unit_path.len().cmp(&a.unit_path.len()).then_with(|| a.display_name.cmp(&b.display_name)));
    Ok(rows)
}

/// Closes the conversation.
pub async fn close(app: &App, scope: &Scope, id: i64) -> Result<ConversationState, ServiceError> {
    let view = get(app, scope, id).await?;
    require_work(scope, &UnitPath::from_stored(view.unit_path.clone()))?;
    apply(app, Some(scope.officer_id), &view, Transition::Close).await
}

/// Reopens a closed conversation; the officer keeps it.
pub async fn reopen(app: &App, scope: &Scope, id: i64) -> Result<ConversationState, ServiceError> {
    let view = get(app, scope, id).await?;
    require_work(scope, &UnitPath::from_stored(view.unit_path.clone()))?;
    apply(app, Some(scope.officer_id), &view, Transition::Reopen { by: ReopenBy::Officer(scope.officer_id) }).await
}

/// Takes the next conversation waiting in the officer's units (urgent first, longest wait
/// next). `None` when nobody waits.
pub async fn take_next(app: &App, scope: &Scope) -> Result<Option<i64>, ServiceError> {
    for item in queue(app, scope, Queue::WaitingForHuman).await? {
        match assign(app, scope, item.id.0, Assignee::Me, "").await {
            Ok(_) => return Ok(Some(item.id.0)),
            // Taken by someone else a moment ago, or outside the officer's role: try the next.
            Err(ServiceError::Invalid(_) | ServiceError::Forbidden(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Gives a conversation that waits for an officer (`waiting_human`) to the on-duty officer of
/// its unit with the fewest open conversations (`caunoi_core::inbox::pick_assignee`). For the
/// pipeline to call after a hand-off; no scope (a system action, recorded without an officer).
/// `Ok(None)` when the conversation does not wait, nobody is on duty, or someone took it first.
pub async fn assign_on_duty(app: &App, conversation_id: i64) -> Result<Option<OfficerId>, ServiceError> {
    let Some(view) = conversations::view_any(&app.db, conversation_id).await? else {
        return Err(ServiceError::NotFound);
    };
    if view.status != Status::WaitingHuman {
        return Ok(None);
    }
    let now = app.clock.now_micros();
    let unit = view.unit_id;
    // Only the shifts covering now: a recurring planning stores a year of them.
    let shifts: Vec<caunoi_core::inbox::DutyShift> = store::shifts(&app.db, unit, now, now + 1)
        .await?
        .into_iter()
        .filter_map(|s| {
            caunoi_core::inbox::DutyShift::new(OfficerId(s.officer_id), unit, ts(s.starts_at), ts(s.ends_at)).ok()
        })
        .collect();
    let load: HashMap<OfficerId, usize> = conversations::open_load(&app.db)
        .await?
        .into_iter()
        .map(|(officer, n)| (OfficerId(officer), usize::try_from(n).unwrap_or(usize::MAX)))
        .collect();
    let Some(officer) = pick_assignee(&shifts, unit, ts(now), &load) else { return Ok(None) };
    match apply(app, None, &view, Transition::Assign { officer }).await {
        Ok(_) => Ok(Some(officer)),
        Err(ServiceError::Invalid(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Zalo's reply window as the conversation page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowInfo {
    /// Not a Zalo conversation: no window.
    NoWindow,
    /// Replies are free until `free_until`, possible until `closes_at`.
    Free { free_until: i64, closes_at: i64 },
    /// Replies are billed until `closes_at`.
    Billed { closes_at: i64 },
    /// Closed: no consultation message can reach the citizen.
    Closed,
}

/// The citizen's last interaction with the OA (a message, a follow, "Nhắn tin").
fn last_interaction(view: &ConversationView) -> Option<i64> {
    match (view.contact_last_interaction_at, view.last_citizen_message_at) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

pub fn window_info(view: &ConversationView, now: i64) -> WindowInfo {
    if view.channel != Channel::Zalo {
        return WindowInfo::NoWindow;
    }
    let Some(last) = last_interaction(view) else { return WindowInfo::Closed };
    let closes_at = match reply_window(ts(last), ts(now)) {
        ReplyWindow::Open { closes_at } => closes_at.as_microsecond(),
        ReplyWindow::Closed => return WindowInfo::Closed,
    };
    match reply_cost(ts(last), ts(now)) {
        ReplyCost::Free { until } => WindowInfo::Free { free_until: until.as_microsecond(), closes_at },
        ReplyCost::Billed { .. } => WindowInfo::Billed { closes_at },
        ReplyCost::NotAllowed => WindowInfo::Closed,
    }
}

/// What a reply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub message_id: MessageId,
    pub outbox_id: Option<i64>,
}

/// Sends an officer's reply: one message and one outbox row in one transaction. A conversation
/// the bot or the queue had becomes the officer's (recorded as an assignment).
pub async fn reply(app: &App, scope: &Scope, id: i64, text: &str) -> Result<Sent, ServiceError> {
    let view = get(app, scope, id).await?;
    reply_to(app, scope, &view, text, None).await
}

/// Sends an officer's photo or document, with an optional text (a photo's caption; sent before
/// a document, since a Zalo file message carries no text). The file is stored under
/// `<data_dir>/media/officer/` only once every check passed; the messages and their outbox
/// rows are written in one transaction.
pub async fn reply_with_attachment(
    app: &App,
    scope: &Scope,
    id: i64,
    text: &str,
    attachment: Attachment,
) -> Result<Sent, ServiceError> {
    let view = get(app, scope, id).await?;
    reply_to(app, scope, &view, text, Some(attachment)).await
}

/// Refuses an attachment that did not pass the boundary checks, with the officer's message.
pub fn attachment_refused(e: AttachmentError) -> ServiceError {
    let (vi, en) = e.message();
    invalid("file", vi, en)
}

/// One message of a reply, ready to store and queue.
struct Outgoing {
    kind: &'static str,
    text: String,
    media_ref: Option<String>,
    payload: String,
}

fn outgoing(
    kind: &'static str,
    text: String,
    media_ref: Option<String>,
    p: &Payload,
) -> Result<Outgoing, ServiceError> {
    let payload = serde_json::to_string(p)
        .map_err(|_| invalid("text", "Không tạo được tin nhắn.", "The message could not be prepared."))?;
    Ok(Outgoing { kind, text, media_ref, payload })
}

async fn reply_to(
    app: &App,
    scope: &Scope,
    view: &ConversationView,
    text: &str,
    attachment: Option<Attachment>,
) -> Result<Sent, ServiceError> {
    require_work(scope, &UnitPath::from_stored(view.unit_path.clone()))?;
    let text = text_field("text", text, MAX_REPLY_CHARS, attachment.is_none())?;
    let state = state_of(view);
    if state.status == Status::Closed {
        return Err(invalid(
            "text",
            "Cuộc trò chuyện đã đóng. Hãy mở lại trước khi trả lời.",
            "The conversation is closed. Reopen it before replying.",
        ));
    }
    let now = app.clock.now_micros();
    if window_info(view, now) == WindowInfo::Closed {
        return Err(invalid(
            "text",
            "Đã quá 7 ngày kể từ lần cuối người dân tương tác nên Zalo không cho gửi tin tư vấn; tin nhắn chưa được \
             gửi. Hãy gọi điện cho người dân, hoặc chờ họ nhắn lại để mở lại cửa sổ trả lời.",
            "More than 7 days have passed since the citizen last interacted, so Zalo refuses consultation \
             messages; nothing was sent. Call the citizen, or wait for them to write again.",
        ));
    }
    // Replying takes a conversation that the bot or the queue had.
    let take = match state.status {
        Status::Bot | Status::WaitingHuman => Some(
            caunoi_core::inbox::transition(&state, &Transition::Assign { officer: scope.officer_id })
                .map_err(transition_error)?,
        ),
        _ => None,
    };
    let text_message = |text: String| {
        let p = Payload::Text { text: text.clone(), quote_message_id: None };
        outgoing("text", text, None, &p)
    };
    let messages = match attachment {
        None => vec![text_message(text)?],
        Some(a) => {
            let media_ref = super::media::store(&app.config, &a).await.map_err(attachment_refused)?;
            if a.kind.is_image() {
                let caption = (!text.is_empty()).then(|| text.clone());
                let p = Payload::Image { media_ref: media_ref.clone(), caption };
                vec![outgoing("image", text, Some(media_ref), &p)?]
            } else {
                let p = Payload::File { media_ref: media_ref.clone(), name: a.name.clone() };
                let file = outgoing("file", a.name, Some(media_ref), &p)?;
                if text.is_empty() { vec![file] } else { vec![text_message(text)?, file] }
            }
        }
    };
    let oa_id = (view.channel == Channel::Zalo).then_some(view.contact_account.as_str());
    let sent = {
        let mut tx = app.db.begin().await?;
        let value = {
            if let Some(next) = &take {
                let expected =
                    Expected { status: state.status.as_str(), unit: state.unit_id, assignee: state.assignee };
                let moved = conversations::move_conversation(&mut tx, view.id, expected, next, now).await?;
                if !moved {
                    return Err(conflict());
                }
                let event = NewEvent {
                    conversation_id: view.id,
                    at: now,
                    officer_id: Some(scope.officer_id),
                    action: "assign",
                    from_status: state.status.as_str(),
                    to_status: next.status.as_str(),
                    from_unit: state.unit_id,
                    to_unit: next.unit_id,
                    assignee: next.assignee,
                    reason: "",
                };
                store::insert_event(&mut tx, &event).await?;
            } else {
                conversations::touch(&mut tx, view.id, now).await?;
            }
            let mut sent = Sent { message_id: MessageId(0), outbox_id: None };
            for m in &messages {
                let message = NewMessage {
                    conversation_id: view.id,
                    direction: Direction::Out,
                    author: Author::Officer,
                    officer_id: Some(scope.officer_id.0),
                    kind: m.kind,
                    text: &m.text,
                    media_ref: m.media_ref.as_deref(),
                    media_url: None,
                    channel_message_id: None,
                    created_at: now,
                };
                let message_id = conversations::record_message(&mut tx, &message).await?;
                let key = format!("officer:{message_id}");
                let row = NewOutbox {
                    idempotency_key: &key,
                    channel: view.channel,
                    unit_id: view.unit_id,
                    oa_id,
                    recipient: &view.contact_external_id,
                    conversation_id: Some(view.id),
                    message_id: Some(message_id),
                    payload: &m.payload,
                    run_at: now,
                };
                let outbox_id = crate::outbox::service::enqueue(&mut tx, std::slice::from_ref(&row))
                    .await?
                    .first()
                    .map(|(id, _)| *id);
                sent = Sent { message_id, outbox_id };
            }
            sent
        };
        tx.commit().await?;
        value
    };
    app.channels().outbox_wake.notify_one();
    Ok(sent)
}

/// The values of a canned reply's variables for this conversation and officer. `{hotline}` is
/// the unit's public hotline (what the unit's page and the bot give citizens), never the duty
/// desk's internal phone; a unit without one gets the neutral wording.
pub fn canned_vars(view: &ConversationView, officer_name: &str) -> CannedVars {
    CannedVars {
        citizen_name: view.contact_name.clone(),
        officer_name: Some(officer_name.to_string()),
        unit_name: Some(view.unit_name.clone()),
        hotline: view.unit_hotline.clone().map(|p| caunoi_core::phone::PhoneNumber::from_stored(p).display()),
    }
}

/// The text of a canned reply of the conversation's unit (or a unit above it), variables
/// filled, for the officer to edit in the reply box before sending. Nothing is sent.
pub async fn canned_text(
    app: &App,
    scope: &Scope,
    officer_name: &str,
    id: i64,
    canned_id: i64,
) -> Result<String, ServiceError> {
    let view = get(app, scope, id).await?;
    require_work(scope, &UnitPath::from_stored(view.unit_path.clone()))?;
    let canned = store::canned_for_path(&app.db, &view.unit_path)
        .await?
        .into_iter()
        .find(|c| c.id == canned_id)
        .ok_or_else(|| invalid("canned", "Hãy chọn một câu trả lời mẫu.", "Choose a canned reply."))?;
    render_canned(&canned.body, &canned_vars(&view, officer_name)).map_err(|e| {
        let m = e.message();
        invalid("canned", m.vi, m.en)
    })
}

/// Adds an internal note (never sent to the citizen).
pub async fn add_note(app: &App, scope: &Scope, id: i64, text: &str) -> Result<i64, ServiceError> {
    let view = get(app, scope, id).await?;
    require_work(scope, &UnitPath::from_stored(view.unit_path.clone()))?;
    let text = text_field("note", text, MAX_NOTE_CHARS, true)?;
    let now = app.clock.now_micros();
    let id = {
        let mut tx = app.db.begin().await?;
        let value = {
            conversations::touch(&mut tx, view.id, now).await?;
            store::insert_note(&mut tx, view.id, scope.officer_id, &text, now).await?
        };
        tx.commit().await?;
        value
    };
    Ok(id)
}

/// A unit in scope, found by code, with the officer allowed to direct its work.
async fn directed_unit(app: &App, scope: &Scope, code: &str) -> Result<crate::units::store::Unit, ServiceError> {
    let unit = crate::units::service::find(app, scope, code.trim()).await?.ok_or(ServiceError::NotFound)?;
    require_direct(scope, &unit.path)?;
    Ok(unit)
}

/// Saves a canned reply for a unit; an unknown variable or a stray brace is refused with a
/// message that names it.
pub async fn create_canned(
    app: &App,
    scope: &Scope,
    unit_code: &str,
    title: &str,
    body: &str,
) -> Result<i64, ServiceError> {
    let unit = directed_unit(app, scope, unit_code).await?;
    let mut errs = FieldErrors::default();
    let title = errs.take(text_field("title", title, 120, true));
    let body = errs.take(text_field("body", body, MAX_REPLY_CHARS, true)).and_then(|b| match validate_canned(&b) {
        Ok(()) => Some(b),
        Err(e) => {
            let m = e.message();
            errs.push(InvalidInput::new("body", m.vi, m.en));
            None
        }
    });
    let (Some(title), Some(body)) = (title, body) else { return Err(errs.into()) };
    let now = app.clock.now_micros();
    let id = {
        let mut tx = app.db.begin().await?;
        let value = { store::insert_canned(&mut tx, unit.id, &title, &body, scope.officer_id, now).await? };
        tx.commit().await?;
        value
    };
    Ok(id)
}

pub async fn delete_canned(app: &App, scope: &Scope, id: i64) -> Result<(), ServiceError> {
    let (_, path) = store::canned_in_scope(&app.db, scope.officer_id, id).await?.ok_or(ServiceError::NotFound)?;
    require_direct(scope, &UnitPath::from_stored(path))?;
    let mut tx = app.db.begin().await?;
    store::delete_canned(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Reads a `datetime-local` value as a local date and time.
fn parse_civil(field: &'static str, raw: &str) -> Result<jiff::civil::DateTime, InvalidInput> {
    raw.trim().parse().map_err(|_| {
        InvalidInput::new(
            field,
            "Thời gian không hợp lệ (ngày và giờ, ví dụ 22/11/2026 07:30).",
            "Invalid date and time (e.g. 2026-11-22 07:30).",
        )
    })
}

/// How a planned shift repeats, as the roster form gives it.
#[derive(Debug, Clone, Copy)]
pub struct Repeating<'a> {
    /// `once`, `daily`, `weekend` or `days`.
    pub every: &'a str,
    /// With `days`: the chosen days, 1 Monday … 7 Sunday.
    pub days: &'a [u8],
    /// The last date a shift starts on (`YYYY-MM-DD`), unless once.
    pub until: &'a str,
}

/// Puts an officer on duty at a unit from `starts` to `ends` (local times), once or repeating
/// (every night, every weekend, chosen weekdays) until a date (`caunoi_core::inbox::plan`).
/// Each occurrence is stored as a shift of the planning's series, so every reader of the
/// roster sees it. All shifts or none: one that would overlap a shift the officer already has
/// at the unit refuses the whole planning. Audited.
pub async fn add_shift(
    app: &App,
    scope: &Scope,
    unit_code: &str,
    officer: OfficerId,
    starts: &str,
    ends: &str,
    repeating: Repeating<'_>,
) -> Result<usize, ServiceError> {
    let unit = directed_unit(app, scope, unit_code).await?;
    let mut errs = FieldErrors::default();
    let colleagues = crate::staff::service::colleagues_for_unit(app, unit.path.as_str()).await?;
    if !colleagues.iter().any(|c| c.id == officer.0) {
        errs.push(InvalidInput::new(
            "officer",
            "Hãy chọn một cán bộ làm việc tại đơn vị.",
            "Choose an officer who works at the unit.",
        ));
    }
    let starts = errs.take(parse_civil("starts_at", starts));
    let ends = errs.take(parse_civil("ends_at", ends));
    let repeat = errs.take(caunoi_core::inbox::Repeat::parse(repeating.every, repeating.days));
    let until = match (repeat, repeating.until.trim()) {
        (Some(caunoi_core::inbox::Repeat::Once), _) | (_, "") => None,
        (_, raw) => errs.take(raw.parse::<jiff::civil::Date>().map_err(|_| {
            InvalidInput::new(
                "until",
                "Ngày kết thúc lặp lại không hợp lệ (ví dụ 31/12/2026).",
                "Invalid end date of the repetition (e.g. 2026-12-31).",
            )
        })),
    };
    let mut planned = Vec::new();
    if let (Some(starts), Some(ends), Some(repeat)) = (starts, ends, repeat)
        && errs.is_empty()
    {
        let r = caunoi_core::inbox::Recurrence { starts, ends, repeat, until };
        match caunoi_core::inbox::plan(officer, unit.id, &r, &crate::app::vietnam_tz()) {
            Ok(all) => planned = all,
            Err(err) => errs.push(err),
        }
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let (Some(first), Some(last)) = (planned.first(), planned.last()) else {
        return Err(invalid("starts_at", "Không có ca trực nào để lưu.", "There is no shift to save."));
    };
    let (from, to) = (first.starts_at.as_microsecond(), last.ends_at.as_microsecond());
    let existing = store::officer_shifts_between(&app.db, unit.id, officer, from, to).await?;
    if let Some(p) = planned.iter().find(|p| existing.iter().any(|(s, e)| p.overlaps(ts(*s), ts(*e)))) {
        let when = p.starts_at.to_zoned(crate::app::vietnam_tz()).strftime("%d/%m/%Y %H:%M").to_string();
        return Err(invalid(
            "starts_at",
            format!("Ca trực lúc {when} trùng giờ với một ca đã có của cán bộ này tại đơn vị; không ca nào được lưu."),
            format!("The shift at {when} overlaps one this officer already has at the unit; no shift was saved."),
        ));
    }
    let now = app.clock.now_micros();
    {
        let mut tx = app.db.begin().await?;
        let series = match (repeat, starts, ends, until) {
            (Some(r), Some(s), Some(e), Some(until)) if r != caunoi_core::inbox::Repeat::Once => {
                let new = store::NewSeries {
                    unit: unit.id,
                    officer,
                    weekdays: i64::from(r.bits()),
                    starts_time: &s.time().strftime("%H:%M").to_string(),
                    ends_time: &e.time().strftime("%H:%M").to_string(),
                    first_date: &s.date().to_string(),
                    until_date: &until.to_string(),
                    by: scope.officer_id,
                    now,
                };
                Some(store::insert_series(&mut tx, &new).await?)
            }
            _ => None,
        };
        for shift in &planned {
            let new = store::NewShift {
                unit: unit.id,
                officer,
                starts_at: shift.starts_at.as_microsecond(),
                ends_at: shift.ends_at.as_microsecond(),
                series,
                by: scope.officer_id,
                now,
            };
            store::insert_shift(&mut tx, &new).await?;
        }
        let detail = format!("planned={} officer={}", planned.len(), officer.0);
        audit(&mut tx, scope, AuditAction::DutyRosterChanged, unit.id, unit.code.as_str(), &detail, now).await?;
        tx.commit().await?;
    }
    app.presence().forget_all();
    Ok(planned.len())
}

async fn audit(
    tx: &mut crate::db::Tx,
    scope: &Scope,
    action: AuditAction,
    unit: UnitId,
    target: &str,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    let entry = crate::audit::store::NewEntry {
        at: now,
        officer: Some(scope.officer_id),
        action,
        unit: Some(unit),
        target,
        detail,
    };
    crate::audit::service::record(tx, &entry).await
}

pub async fn delete_shift(app: &App, scope: &Scope, id: i64) -> Result<(), ServiceError> {
    let (_, path) = store::shift_in_scope(&app.db, scope.officer_id, id).await?.ok_or(ServiceError::NotFound)?;
    require_direct(scope, &UnitPath::from_stored(path))?;
    let mut tx = app.db.begin().await?;
    store::delete_shift(&mut tx, id).await?;
    tx.commit().await?;
    app.presence().forget_all();
    Ok(())
}

/// Ends a recurring planning (behind a confirmation box): its shifts still to come (or under
/// way) leave the roster, those worked stay. Audited; returns the unit's code.
pub async fn end_series(app: &App, scope: &Scope, id: i64, confirmed: bool) -> Result<String, ServiceError> {
    let (_, path, code) = store::series_in_scope(&app.db, scope.officer_id, id).await?.ok_or(ServiceError::NotFound)?;
    let path = UnitPath::from_stored(path);
    require_direct(scope, &path)?;
    if !confirmed {
        return Err(invalid(
            "confirm",
            "Chưa bỏ: hãy đánh dấu ô xác nhận rồi bấm \"Bỏ lịch lặp lại\".",
            "Not ended: tick the confirmation box, then press \"End the repetition\".",
        ));
    }
    let unit = crate::units::service::find(app, scope, &code).await?.ok_or(ServiceError::NotFound)?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    let removed = store::end_series(&mut tx, id, now).await?;
    audit(&mut tx, scope, AuditAction::DutyRosterChanged, unit.id, &code, &format!("ended={removed}"), now).await?;
    tx.commit().await?;
    app.presence().forget_all();
    Ok(code)
}

/// A unit's recurring plannings that still have shifts to come.
pub async fn series(app: &App, unit: UnitId) -> Result<Vec<store::SeriesRow>, StoreError> {
    store::series(&app.db, unit, app.clock.now_micros()).await
}

/// Writes the hand-over note for the next officer on duty at the unit (an officer who works
/// the unit's conversations; typically the one ending a shift). Audited without the text.
pub async fn write_handover(app: &App, scope: &Scope, unit_code: &str, text: &str) -> Result<i64, ServiceError> {
    let unit = crate::units::service::find(app, scope, unit_code.trim()).await?.ok_or(ServiceError::NotFound)?;
    require_work(scope, &unit.path)?;
    let text = caunoi_core::inbox::handover_text(text).map_err(|e| ServiceError::Invalid(FieldErrors(vec![e])))?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    let id = store::insert_handover(&mut tx, unit.id, scope.officer_id, &text, now).await?;
    audit(&mut tx, scope, AuditAction::HandoverWritten, unit.id, unit.code.as_str(), &format!("note={id}"), now)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// The hand-over notes the officer has to read: written in the last
/// [`caunoi_core::inbox::HANDOVER_SHOWN_HOURS`] for a unit where the officer's shift covers
/// now, by someone else, not dismissed yet.
pub async fn handovers(app: &App, scope: &Scope) -> Result<Vec<store::HandoverRow>, StoreError> {
    let now = app.clock.now_micros();
    let since = now - caunoi_core::inbox::HANDOVER_SHOWN_HOURS * 3_600_000_000;
    store::handovers_for(&app.db, scope.officer_id, now, since).await
}

/// The unread hand-over notes as every console page shows them at its top
/// ([`crate::web::PageNotes`], registered by `server::assemble`). A failed read shows the page
/// without them.
pub async fn page_notes(app: App, scope: Scope) -> Vec<crate::web::PageNote> {
    match handovers(&app, &scope).await {
        Ok(rows) => rows
            .into_iter()
            .map(|r| crate::web::PageNote {
                id: r.id,
                unit_name: r.unit_name,
                author_name: r.author_name,
                text: r.text,
                created_at: r.created_at,
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "reading hand-over notes failed");
            Vec::new()
        }
    }
}

/// The officer has read the note: it no longer shows for them. Audited once.
pub async fn dismiss_handover(app: &App, scope: &Scope, id: i64) -> Result<(), ServiceError> {
    let (unit, code) = store::handover_in_scope(&app.db, scope.officer_id, id).await?.ok_or(ServiceError::NotFound)?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    if store::dismiss_handover(&mut tx, id, scope.officer_id, now).await? {
        audit(&mut tx, scope, AuditAction::HandoverDismissed, UnitId(unit), &code, &format!("note={id}"), now).await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---- Reads the console's screens make ----

/// What the live updates compare: the fingerprint of the officer's scope and, on a
/// conversation's page, that conversation's newest change and message.
pub async fn live_marks(
    app: &App,
    officer: OfficerId,
    conversation: Option<i64>,
) -> Result<(Fingerprint, Option<(i64, i64)>), StoreError> {
    let scope = conversations::fingerprint(&app.db, officer).await?;
    let mark = match conversation {
        Some(id) => conversations::conversation_mark(&app.db, officer, id).await?,
        None => None,
    };
    Ok((scope, mark))
}

/// A conversation's messages, oldest first (`view` was read within the officer's scope).
pub async fn thread(app: &App, view: &ConversationView) -> Result<Vec<MessageRow>, StoreError> {
    conversations::thread(&app.db, view.id).await
}

/// The contact's other conversations the officer may see.
pub async fn other_conversations(
    app: &App,
    officer: OfficerId,
    view: &ConversationView,
) -> Result<Vec<OtherConversation>, StoreError> {
    conversations::other_conversations(&app.db, officer, view.contact_id, view.id).await
}

/// The stored file of a message, if its conversation is in the officer's scope.
pub async fn media_ref(app: &App, officer: OfficerId, message: i64) -> Result<Option<String>, StoreError> {
    conversations::media_in_scope(&app.db, officer, message).await
}

/// Canned replies that apply to the unit at `unit_path`.
pub async fn canned_for(app: &App, unit_path: &str) -> Result<Vec<store::CannedRow>, StoreError> {
    store::canned_for_path(&app.db, unit_path).await
}

/// A conversation's internal notes, oldest first (`view` was read within the officer's scope).
pub async fn notes(app: &App, view: &ConversationView) -> Result<Vec<store::NoteRow>, StoreError> {
    store::notes(&app.db, view.id).await
}

/// A conversation's timeline of moves, newest first.
pub async fn timeline(app: &App, view: &ConversationView) -> Result<Vec<store::EventRow>, StoreError> {
    store::events(&app.db, view.id).await
}

/// A unit's duty shifts that end after `from` and start before `to`, earliest first.
pub async fn shifts(app: &App, unit: UnitId, from: i64, to: i64) -> Result<Vec<store::ShiftRow>, StoreError> {
    store::shifts(&app.db, unit, from, to).await
}

/// How many of a unit's shifts start at or after `from`.
pub async fn shifts_from(app: &App, unit: UnitId, from: i64) -> Result<i64, StoreError> {
    store::shifts_from(&app.db, unit, from).await
}
