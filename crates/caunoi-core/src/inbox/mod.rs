//! The inbox (hộp thư): where a conversation stands between the bot and the officers, and the
//! rules officers work by.
//!
//! What lives here: the conversation [`Status`] and its legal moves ([`transition`], which
//! returns a [`TransitionError`] for an illegal one instead of silently updating; what a bot
//! turn does to it is `conversations::after_bot_turn`), the queues an officer sees ([`queue`]), the
//! duty roster that picks an assignee ([`roster`]), Zalo's reply window ([`window`]) and canned
//! replies with variables ([`canned`]). Storage, notifications and the console live in the app.
//!
//! Invariants: an [`Status::Assigned`] conversation always has an assignee and no other status
//! keeps one; a closed conversation is never urgent. Urgent conversations (emergencies and
//! crime reports) sort before all others in every queue ([`queue::queue_order`]).

pub mod canned;
pub mod queue;
pub mod reach;
pub mod roster;
pub mod search;
pub mod window;

pub use canned::{CannedError, CannedVars, render_canned, validate_canned};
pub use queue::{ConversationSummary, Queue, QueueFilter, UnitScope, queue_order};
pub use reach::{may_be_assigned, may_transfer, parents_in_reach};
pub use roster::{
    DutyShift, HANDOVER_SHOWN_HOURS, MAX_HANDOVER_CHARS, MAX_SPAN_DAYS, Recurrence, Repeat, Weekdays, handover_text,
    pick_assignee, plan, vn_date,
};
pub use search::{AssignedFilter, InboxFilter, RawFilter, SearchText, StatusFilter};
pub use window::{ReplyCost, ReplyWindow, reply_cost, reply_window};

use serde::{Deserialize, Serialize};

use crate::input::Msg;
use crate::staff::OfficerId;
use crate::units::UnitId;

/// Longest transfer reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Where a conversation stands (trạng thái hội thoại).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The bot answers (bot đang trả lời).
    Bot,
    /// Handed off, waiting in the unit's queue for an officer (chờ cán bộ).
    WaitingHuman,
    /// An officer has it (đã giao cán bộ); the bot stays silent except for emergencies.
    Assigned,
    /// Closed (đã đóng); the citizen writing again reopens it to the bot.
    Closed,
}

crate::stored_name!(Status, "conversation status");

impl Status {
    /// Every status, in the order the console lists them.
    pub const ALL: [Status; 4] = [Status::Bot, Status::WaitingHuman, Status::Assigned, Status::Closed];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Bot => "bot",
            Status::WaitingHuman => "waiting_human",
            Status::Assigned => "assigned",
            Status::Closed => "closed",
        }
    }

    /// Reads the stored form.
    pub fn parse(raw: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Status::Bot => "Bot đang trả lời",
            Status::WaitingHuman => "Chờ cán bộ",
            Status::Assigned => "Cán bộ đang xử lý",
            Status::Closed => "Đã đóng",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Status::Bot => "Bot answering",
            Status::WaitingHuman => "Waiting for an officer",
            Status::Assigned => "Officer handling",
            Status::Closed => "Closed",
        }
    }

    /// Whether officers own the conversation (the bot stays silent but for emergencies).
    pub fn is_with_officers(self) -> bool {
        matches!(self, Status::WaitingHuman | Status::Assigned)
    }
}

/// The inbox side of one conversation: what [`transition`] reads and returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationState {
    pub status: Status,
    /// The unit whose inbox holds the conversation.
    pub unit_id: UnitId,
    /// The officer who has it; `Some` exactly when the status is [`Status::Assigned`].
    pub assignee: Option<OfficerId>,
    /// An emergency or a crime report: sorts first in every queue (khẩn).
    pub urgent: bool,
}

impl ConversationState {
    /// A new conversation of `unit_id`, with the bot.
    pub fn new(unit_id: UnitId) -> ConversationState {
        ConversationState { status: Status::Bot, unit_id, assignee: None, urgent: false }
    }
}

/// Where a transfer sends a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "to", content = "id")]
pub enum TransferTarget {
    /// Another officer takes it over (same unit inbox).
    Officer(OfficerId),
    /// Another unit's queue (or back to this unit's queue, releasing the assignee).
    Unit(UnitId),
}

/// Who reopens a closed conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "id")]
pub enum ReopenBy {
    /// The citizen wrote again: back to the bot, which answers the new message.
    Citizen,
    /// An officer reopens it and keeps it.
    Officer(OfficerId),
}

/// A move of a conversation between the bot, the queue and officers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Transition {
    /// The bot hands the conversation to the unit's queue (chuyển cán bộ).
    HandOff,
    /// An officer takes it, or a duty officer gives it to one (giao).
    Assign { officer: OfficerId },
    /// Move to another officer or unit (chuyển tiếp); a reason is required.
    Transfer { to: TransferTarget, reason: String },
    /// Done (đóng).
    Close,
    /// Open again after closing (mở lại).
    Reopen { by: ReopenBy },
    /// Mark or clear the urgent flag.
    SetUrgent { urgent: bool },
}

impl Transition {
    fn verb_vi(&self) -> &'static str {
        match self {
            Transition::HandOff => "chuyển cho cán bộ",
            Transition::Assign { .. } => "giao cán bộ",
            Transition::Transfer { .. } => "chuyển tiếp",
            Transition::Close => "đóng",
            Transition::Reopen { .. } => "mở lại",
            Transition::SetUrgent { .. } => "đổi mức khẩn",
        }
    }
}

/// An illegal move, with a message for the officer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("Không thể {action} khi cuộc trò chuyện đang ở trạng thái \"{}\".", from.label_vi())]
    NotAllowed { from: Status, action: &'static str },
    #[error("Cần ghi lý do chuyển tiếp.")]
    ReasonRequired,
    #[error("Lý do chuyển tiếp dài quá {MAX_REASON_CHARS} ký tự.")]
    ReasonTooLong,
    #[error("Cuộc trò chuyện đã được giao cho cán bộ này.")]
    SameAssignee,
    #[error("Cuộc trò chuyện đã ở hàng chờ của đơn vị này.")]
    SameUnit,
}

impl TransitionError {
    /// The message in both UI languages.
    pub fn message(&self) -> Msg {
        let en = match self {
            TransitionError::NotAllowed { from, .. } => {
                format!("This is not possible while the conversation is \"{}\".", from.label_en())
            }
            TransitionError::ReasonRequired => "A transfer needs a reason.".to_owned(),
            TransitionError::ReasonTooLong => format!("The reason is longer than {MAX_REASON_CHARS} characters."),
            TransitionError::SameAssignee => "The conversation is already assigned to this officer.".to_owned(),
            TransitionError::SameUnit => "The conversation is already in this unit's queue.".to_owned(),
        };
        Msg::new(self.to_string(), en)
    }
}

/// Applies a move, or says why it is illegal. Legal moves:
///
/// | from | hand_off | assign | transfer | close | reopen | set_urgent |
/// |---|---|---|---|---|---|---|
/// | Bot | → WaitingHuman | → Assigned | ✓ | → Closed | ✗ | ✓ |
/// | WaitingHuman | ✗ | → Assigned | ✓ | → Closed | ✗ | ✓ |
/// | Assigned | ✗ | ✗ (transfer, with a reason) | ✓ | → Closed | ✗ | ✓ |
/// | Closed | ✗ | ✗ | ✗ | ✗ | citizen → Bot, officer → Assigned | ✗ |
///
/// A transfer to an officer makes it [`Status::Assigned`] to them in the same unit; to a unit,
/// [`Status::WaitingHuman`] in that unit's queue with no assignee. Closing clears the urgent
/// flag; a citizen's reopening starts afresh with the bot.
pub fn transition(state: &ConversationState, t: &Transition) -> Result<ConversationState, TransitionError> {
    use Status::*;
    let not_allowed = || TransitionError::NotAllowed { from: state.status, action: t.verb_vi() };
    let mut next = state.clone();
    match (state.status, t) {
        (Bot, Transition::HandOff) => {
            next.status = WaitingHuman;
            next.assignee = None;
        }
        (Bot | WaitingHuman, Transition::Assign { officer }) => {
            next.status = Assigned;
            next.assignee = Some(*officer);
        }
        (Assigned, Transition::Assign { officer }) if state.assignee == Some(*officer) => {
            return Err(TransitionError::SameAssignee);
        }
        (Bot | WaitingHuman | Assigned, Transition::Transfer { to, reason }) => {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(TransitionError::ReasonRequired);
            }
            if reason.chars().count() > MAX_REASON_CHARS {
                return Err(TransitionError::ReasonTooLong);
            }
            match *to {
                TransferTarget::Officer(officer) => {
                    if state.status == Assigned && state.assignee == Some(officer) {
                        return Err(TransitionError::SameAssignee);
                    }
                    next.status = Assigned;
                    next.assignee = Some(officer);
                }
                TransferTarget::Unit(unit) => {
                    if state.status == WaitingHuman && state.unit_id == unit {
                        return Err(TransitionError::SameUnit);
                    }
                    next.status = WaitingHuman;
                    next.assignee = None;
                    next.unit_id = unit;
                }
            }
        }
        (Bot | WaitingHuman | Assigned, Transition::Close) => {
            next.status = Closed;
            next.urgent = false;
        }
        (Closed, Transition::Reopen { by }) => match *by {
            ReopenBy::Citizen => {
                next.status = Bot;
                next.assignee = None;
                next.urgent = false;
            }
            ReopenBy::Officer(officer) => {
                next.status = Assigned;
                next.assignee = Some(officer);
            }
        },
        (Bot | WaitingHuman | Assigned, Transition::SetUrgent { urgent }) => next.urgent = *urgent,
        _ => return Err(not_allowed()),
    }
    // Closed keeps its last assignee for history; every open status keeps the invariant.
    if next.status != Assigned && next.status != Closed {
        next.assignee = None;
    }
    Ok(next)
}

#[cfg(test)]
mod tests;
