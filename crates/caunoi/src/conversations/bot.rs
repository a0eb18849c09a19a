//! The bot call, in one place: how the inbound worker asks `caunoi_core::bot::respond` for a
//! turn, with the unit's live knowledge base (`app.kb`, overrides applied, placeholders filled
//! from the unit's page) and the conversation state moved by `caunoi_core::inbox`.

use crate::app::App;
use crate::channels::zalo::MenuButton;
use crate::conversations::service::UnitContext;
use caunoi_core::bot::{self as core_bot, BotAction, BotMemory, KbAnswer, KbView, ReviewReason};
use caunoi_core::inbox::{ConversationState, ReopenBy, Status, Transition, after_bot_turn, transition};

pub use caunoi_core::bot::{Incoming, MediaKind, UnitFacts};

/// One reply; the channel renders buttons its own way (Zalo: a numbered list without the call
/// buttons; the web chat: tappable buttons, `tel:` as call links, feedback as thumbs).
#[derive(Debug, Clone)]
pub struct Reply {
    pub text: String,
    pub buttons: Vec<MenuButton>,
    /// The entry this reply asks "was this helpful?" about.
    pub feedback_for: Option<String>,
}

/// The result of one bot turn: at most two replies, the new memory and conversation state,
/// and what to log for the unanswered-question review.
#[derive(Debug, Clone)]
pub struct Turn {
    pub replies: Vec<Reply>,
    pub memory: BotMemory,
    pub state: ConversationState,
    pub action: BotAction,
    pub review: Option<(ReviewReason, Option<String>)>,
}

/// The media kind of a stored message kind (`image`, `video`…).
pub fn media_kind(kind: &str) -> MediaKind {
    match kind {
        "image" => MediaKind::Image,
        "gif" => MediaKind::Gif,
        "video" => MediaKind::Video,
        "audio" => MediaKind::Audio,
        "link" => MediaKind::Link,
        "business_card" => MediaKind::BusinessCard,
        _ => MediaKind::File,
    }
}

/// Runs one bot turn for a message to `unit`. A closed conversation is reopened by the citizen
/// writing again. `known` is the knowledge base's decision on one text, taken ahead (outside
/// the transaction); any other text the bot asks about is decided here.
pub fn respond(
    app: &App,
    context: &UnitContext,
    memory: &BotMemory,
    state: &ConversationState,
    incoming: Incoming<'_>,
    known: Option<(&str, &caunoi_text::matcher::Decision)>,
) -> Turn {
    let unit = context.unit.as_ref();
    let state = if state.status == Status::Closed {
        transition(state, &Transition::Reopen { by: ReopenBy::Citizen }).unwrap_or_else(|_| state.clone())
    } else {
        state.clone()
    };
    let effective = unit.map(|u| app.kb.effective(&u.path));
    let decide = |text: &str| {
        if let Some((taken, decision)) = known
            && taken == text
        {
            return decision.clone();
        }
        match &effective {
            Some(e) => e.matcher.decide(text),
            None => {
                caunoi_text::matcher::Decision::HandOff { reason: caunoi_text::matcher::HandOffReason::LowConfidence }
            }
        }
    };
    let entry = |id: &str| {
        let e = effective.as_ref()?.entry(id)?;
        Some(KbAnswer {
            id: e.id.to_string(),
            title: e.title.clone(),
            answer: caunoi_core::kb::fill_placeholders(&e.answer, &context.placeholders),
        })
    };
    let turn = core_bot::respond(
        memory,
        state.status,
        incoming,
        &context.facts,
        &unit.map(|u| app.bot_settings.for_path(&u.path)).unwrap_or_default(),
        &KbView { decide: &decide, entry: &entry },
    );
    let new_state = after_bot_turn(&state, &turn.action);
    let review = turn.review.map(|r| {
        let entry = match &turn.action {
            BotAction::Feedback { entry_id, .. } => Some(entry_id.clone()),
            _ => memory.last_answer.clone().filter(|_| r == ReviewReason::Unhelpful),
        };
        (r, entry)
    });
    Turn {
        replies: turn
            .replies
            .into_iter()
            .map(|r| Reply {
                text: r.text,
                buttons: r.buttons.into_iter().map(|b| MenuButton { label: b.label, payload: b.payload }).collect(),
                feedback_for: r.feedback_for,
            })
            .collect(),
        memory: turn.memory,
        state: new_state,
        action: turn.action,
        review,
    }
}
