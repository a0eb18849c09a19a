//! Conversations (hội thoại): one citizen message's turn as pure code. Given the conversation's
//! state and memory and the message, [`plan_turn`] works out what the bot answers, what the
//! conversation becomes (reopened, queued for an officer, urgent) and what the bot remembers, and
//! fits the replies to the channel they leave by. The app stores the result in one transaction;
//! nothing here touches a database or a network.
//!
//! Invariants: a turn never sends more than [`MAX_REPLIES`] messages (Zalo's free replies after
//! a citizen's message are few, `docs/decisions.md`); on a channel without buttons the choices are
//! a numbered list, and the same turn remembers them ([`StoredMemory::menu`]) so that the
//! citizen's "2" is read back as the second choice ([`menu_choice`]).
//!
//! Also the conversation's typed vocabulary: its ids, the channel, a message's direction and
//! author, decoded once when a row is read.

use crate::bot::{
    self, BotAction, BotMemory, BotReply, BotSettings, Button, HandOffReason, Incoming, KbView, MAX_REPLIES, MediaKind,
    RATE_NO, RATE_YES, ReviewReason, UnitFacts,
};
use crate::cases::Category;
use crate::cases::intake::{self, Effect, Intake, IntakeInput};
use crate::inbox::{ConversationState, ReopenBy, Status, Transition, transition};
use crate::kb::{ZALO_MESSAGE_LIMIT, split_for_zalo};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

/// Longest citizen text kept, in characters (Zalo's own message limit): the web chat refuses a
/// longer one; a longer Zalo text, which cannot be refused, is cut.
pub const MAX_TEXT_CHARS: usize = 2000;

/// A conversation's id (`conversations.id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConversationId(pub i64);

/// A stored message's id (`messages.id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageId(pub i64);

/// A citizen's contact on one channel account (`contacts.id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContactId(pub i64);

impl From<i64> for ConversationId {
    fn from(id: i64) -> Self {
        ConversationId(id)
    }
}

impl From<i64> for MessageId {
    fn from(id: i64) -> Self {
        MessageId(id)
    }
}

impl From<i64> for ContactId {
    fn from(id: i64) -> Self {
        ContactId(id)
    }
}

impl fmt::Display for ContactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How a citizen reaches the unit (kênh). Stored as `zalo` / `web` in `contacts.channel`,
/// `conversations.channel` and `outbox.channel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The unit's Zalo Official Account: consultation messages have no buttons.
    Zalo,
    /// caunoi's own chat page and widget: buttons, call links, thumbs for feedback.
    Web,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Zalo => "zalo",
            Channel::Web => "web",
        }
    }

    pub fn parse(raw: &str) -> Option<Channel> {
        match raw {
            "zalo" => Some(Channel::Zalo),
            "web" => Some(Channel::Web),
            _ => None,
        }
    }

    /// Whether the channel shows the bot's buttons; elsewhere they become a numbered list.
    pub fn shows_buttons(self) -> bool {
        match self {
            Channel::Zalo => false,
            Channel::Web => true,
        }
    }
}

crate::stored_name!(Channel, "channel");
crate::stored_name!(Direction, "message direction");
crate::stored_name!(Author, "message author");

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which way a message went (`messages.direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the citizen.
    In,
    /// To the citizen.
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    pub fn parse(raw: &str) -> Option<Direction> {
        match raw {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            _ => None,
        }
    }
}

/// Who wrote a message (`messages.author`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Citizen,
    Bot,
    /// An officer, in the console or (on Zalo) in OA Manager.
    Officer,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Citizen => "citizen",
            Author::Bot => "bot",
            Author::Officer => "officer",
        }
    }

    pub fn parse(raw: &str) -> Option<Author> {
        match raw {
            "citizen" => Some(Author::Citizen),
            "bot" => Some(Author::Bot),
            "officer" => Some(Author::Officer),
            _ => None,
        }
    }
}

/// What a citizen's message is, as every channel hands it over.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundKind {
    /// Typed text (where the channel has no buttons, a bare number picks from the last list).
    Text,
    /// A button the bot offered, by payload (`kb:…`, `menu:…`, `fb:yes:…`, `fb:no:…`).
    Choice(String),
    Media(MediaKind),
    Location {
        lat: f64,
        lon: f64,
    },
    /// Followed the unit's page or opened the chat.
    Follow,
    Sticker,
}

/// A citizen's message as a channel hands it over, parsed (media already stored).
#[derive(Debug, Clone, PartialEq)]
pub struct CitizenMessage {
    /// The stored `messages.kind`: `text`, `image`, `video`, `location`, `follow`, …
    pub kind: String,
    /// What the conversation shows (for a button tap: the button's label).
    pub text: String,
    /// The file kept by caunoi, if any.
    pub media_ref: Option<String>,
    /// Where the channel offered the file (Zalo's CDN), if any.
    pub media_url: Option<String>,
    pub channel_message_id: Option<String>,
    pub inbound: InboundKind,
}

/// What one channel event means for the conversations, whatever the channel. `at` is when
/// the citizen interacted (microseconds), which opens the channel's reply window.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// A citizen's message: one turn.
    Message { user_id: String, at: i64, message: CitizenMessage },
    /// The citizen interacted without a message (Zalo: tapped "Nhắn tin", shared their
    /// details): only the contact is refreshed.
    Interaction { user_id: String, at: i64 },
    /// What an officer typed outside caunoi (Zalo OA Manager), mirrored into the conversation.
    OfficerEcho { user_id: String, text: String, channel_message_id: String },
}

impl Inbound {
    /// The citizen's id on the channel.
    pub fn user_id(&self) -> &str {
        match self {
            Inbound::Message { user_id, .. }
            | Inbound::Interaction { user_id, .. }
            | Inbound::OfficerEcho { user_id, .. } => user_id,
        }
    }
}

/// What `conversations.bot_memory` holds: the bot's own memory and the choices last offered as
/// a numbered list, so "2" can be read back as the second choice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMemory {
    #[serde(default)]
    pub bot: BotMemory,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub menu: Vec<String>,
    /// The report flow under way, if any ([`crate::cases::intake`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake: Option<Intake>,
}

impl StoredMemory {
    /// Reads the stored JSON; what does not parse reads as a fresh memory.
    pub fn parse(json: &str) -> StoredMemory {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// A message for the unanswered-question review, personal data masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub masked_text: String,
    pub reason: ReviewReason,
    /// The entry the citizen found unhelpful, or that the feedback was about.
    pub entry_id: Option<String>,
}

/// What one citizen message does, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTurn {
    /// The conversation's state after the turn.
    pub state: ConversationState,
    pub memory: StoredMemory,
    /// The replies as the channel sends them: at most [`MAX_REPLIES`].
    pub replies: Vec<BotReply>,
    pub action: BotAction,
    pub review: Option<Review>,
    /// What the report flow asks the app to do with the case in the same transaction; the
    /// replies may carry [`intake::CODE_PLACEHOLDER`] / [`intake::STATUS_PLACEHOLDER`].
    pub case_effects: Vec<Effect>,
}

impl PlannedTurn {
    /// The turn put the conversation in the officers' queue, where it was not before.
    pub fn handed_off(&self, before: Status) -> bool {
        self.state.status == Status::WaitingHuman && before != Status::WaitingHuman
    }
}

/// What the report flow needs for one turn: the deployment's enabled categories in order, the
/// time (microseconds), and the file the message carries, if any.
#[derive(Debug, Clone, Copy)]
pub struct CaseFlow<'a> {
    pub categories: &'a [Category],
    pub now: i64,
    pub media_ref: Option<&'a str>,
}

/// What the bot needs to know about the unit and its knowledge base for one turn.
pub struct UnitView<'a> {
    pub facts: &'a UnitFacts,
    pub settings: &'a BotSettings,
    pub kb: &'a KbView<'a>,
}

/// Plans one turn (module docs): a closed conversation is reopened by the citizen writing again;
/// a number typed on a channel without buttons picks from the last list; the bot answers; the
/// conversation moves as [`after_bot_turn`] says; the replies are fitted to `channel`.
pub fn plan_turn(
    channel: Channel,
    state: &ConversationState,
    memory: &StoredMemory,
    kind: &InboundKind,
    text: &str,
    unit: &UnitView<'_>,
    flow: &CaseFlow<'_>,
) -> PlannedTurn {
    // A rating of the closing notice leaves the conversation closed.
    if state.status == Status::Closed
        && let Some(helpful) = rating(kind, text, memory)
    {
        let thanks = BotReply {
            text: format!("Dạ, {} cảm ơn anh/chị đã đánh giá.", unit.facts.name),
            buttons: Vec::new(),
            feedback_for: None,
        };
        return PlannedTurn {
            state: state.clone(),
            memory: StoredMemory { bot: memory.bot.clone(), menu: Vec::new(), intake: memory.intake.clone() },
            replies: fit_to_channel(channel, &[thanks]),
            action: BotAction::Rated { helpful },
            review: None,
            case_effects: Vec::new(),
        };
    }
    let state = if state.status == Status::Closed {
        transition(state, &Transition::Reopen { by: ReopenBy::Citizen }).unwrap_or_else(|_| state.clone())
    } else {
        state.clone()
    };
    let incoming = match kind {
        InboundKind::Text => match menu_choice(text, &memory.menu) {
            Some(payload) => Incoming::Choice(payload),
            None => Incoming::Text(text),
        },
        InboundKind::Choice(payload) => Incoming::Choice(payload),
        InboundKind::Media(kind) => Incoming::Media { kind: *kind },
        InboundKind::Location { lat, lon } => Incoming::Location { lat: *lat, lon: *lon },
        InboundKind::Follow => Incoming::Follow,
        InboundKind::Sticker => Incoming::Sticker,
    };
    let ctx = intake::Ctx {
        categories: flow.categories,
        unit_name: &unit.facts.name,
        staffed: intake::Staffed::of(unit.facts.on_duty, unit.facts.open_now),
    };
    let ongoing = memory.intake.clone().filter(|i| !i.expired(flow.now));
    match report_flow(&state, ongoing, incoming, text, flow, &ctx) {
        Flow::Handled(outcome) => flow_turn(channel, state, memory.clone(), outcome),
        Flow::Bot(ongoing) => {
            let mut turn = bot::respond(&memory.bot, state.status, incoming, unit.facts, unit.settings, unit.kb);
            let mut effects = Vec::new();
            let mut next_intake = ongoing;
            match turn.action.clone() {
                BotAction::Urgent { kind } => {
                    // The guidance stays first and as it is; the case is filed at once and the
                    // flow's next question follows in the one message the budget leaves.
                    if let Some(category) = crate::cases::category_for_emergency(&kind)
                        && flow.categories.iter().any(|c| c.key == category)
                        && let Incoming::Text(said) = incoming
                    {
                        let o = intake::start_emergency(&ctx, next_intake.take(), &kind, category, said, flow.now);
                        turn.replies.extend(o.replies);
                        turn.replies.truncate(MAX_REPLIES);
                        effects = o.effects;
                        next_intake = o.intake;
                    }
                }
                BotAction::StartReport { kind } if !state.status.is_with_officers() => {
                    let named = match incoming {
                        Incoming::Text(t) => {
                            matches!(caunoi_text::safety::assess(t), Some(caunoi_text::safety::Safety::Report(_)))
                                && kind != "other"
                        }
                        _ => false,
                    };
                    let category = named.then(|| crate::cases::category_for_report(&kind));
                    let first = if let Incoming::Text(t) = incoming { t } else { "" };
                    let outcome = intake::start(&ctx, category, first, flow.now);
                    return flow_turn(channel, state, StoredMemory { bot: turn.memory, ..memory.clone() }, outcome);
                }
                _ => {}
            }
            bot_turn(channel, state, memory, text, turn, next_intake, effects)
        }
    }
}

/// Whether the report flow reads this message, or the bot does (with the flow as it then is).
enum Flow {
    Handled(intake::Outcome),
    Bot(Option<Intake>),
}

/// Decides who reads a message when a report flow may be under way (see `docs/cases-chat.md`):
/// an emergency always goes to the bot first; a listening flow reads its answers; a question
/// about a report's status is answered; a paused flow resumes on "tiếp tục" or the menu's
/// report entry; anything else is the bot's, and a flow left idle is paused.
fn report_flow(
    state: &ConversationState,
    ongoing: Option<Intake>,
    incoming: Incoming<'_>,
    text: &str,
    flow: &CaseFlow<'_>,
    ctx: &intake::Ctx<'_>,
) -> Flow {
    let now = flow.now;
    let is_emergency = matches!(incoming, Incoming::Text(t)
        if matches!(caunoi_text::safety::assess(t), Some(caunoi_text::safety::Safety::Emergency(_))));
    if is_emergency {
        return Flow::Bot(ongoing);
    }
    let assigned = state.status == Status::Assigned;
    let report_menu = matches!(incoming, Incoming::Choice(p) if p.trim() == bot::MenuKey::Report.payload());
    let input = match incoming {
        Incoming::Text(t) => IntakeInput::Text(t),
        Incoming::Choice(p) => IntakeInput::Choice(p.trim()),
        Incoming::Location { lat, lon } => IntakeInput::Location { lat, lon },
        Incoming::Media { kind } => IntakeInput::Media { kind, media_ref: flow.media_ref },
        Incoming::Follow | Incoming::Sticker => IntakeInput::Other,
    };
    let evidence = matches!(input, IntakeInput::Location { .. } | IntakeInput::Media { .. });
    if let Some(current) = ongoing {
        let ours = match incoming {
            Incoming::Choice(p) => p.trim().starts_with(intake::PREFIX),
            _ => true,
        };
        // A filed case takes a place or a photo whenever it comes, even from a paused flow.
        let filed_evidence = current.case.is_some() && evidence;
        if (current.listening(now) && ours && !assigned) || filed_evidence {
            let mut outcome = intake::step(ctx, current, input, now);
            if assigned {
                // The officer speaks now; the case still gets the evidence.
                outcome.replies.clear();
            }
            return Flow::Handled(outcome);
        }
        let resume = report_menu
            || matches!(incoming, Incoming::Choice(p) if p.trim().starts_with(intake::PREFIX))
            || matches!(incoming, Incoming::Text(t) if intake::asks_to_resume(t));
        if resume && !assigned && current.step != intake::Step::Done {
            return Flow::Handled(intake::resume(ctx, current, now));
        }
        let mut current = current;
        current.paused = true;
        if let (Incoming::Text(t), false) = (incoming, assigned)
            && let Some(code) = intake::asks_status(t)
        {
            return Flow::Handled(status_question(Some(current), code));
        }
        return Flow::Bot(Some(current));
    }
    if let (Incoming::Text(_), false) = (incoming, assigned)
        && let Some(code) = intake::asks_status(text)
    {
        return Flow::Handled(status_question(None, code));
    }
    Flow::Bot(None)
}

fn status_question(ongoing: Option<Intake>, code: Option<crate::cases::CaseCode>) -> intake::Outcome {
    let reply = BotReply { text: intake::STATUS_PLACEHOLDER.to_owned(), buttons: Vec::new(), feedback_for: None };
    intake::Outcome {
        intake: ongoing,
        replies: vec![reply],
        effects: vec![Effect::Status { code: code.map(|c| c.as_str().to_owned()) }],
        hand_off: false,
    }
}

/// A turn the report flow answered.
fn flow_turn(channel: Channel, state: ConversationState, memory: StoredMemory, o: intake::Outcome) -> PlannedTurn {
    let action = match &o.effects.iter().find_map(|e| match e {
        Effect::File(d) => Some(d),
        _ => None,
    }) {
        Some(d) if o.hand_off && d.urgent => BotAction::Urgent { kind: "report".into() },
        Some(_) if o.hand_off => BotAction::HandOff { reason: HandOffReason::Report },
        _ => BotAction::None,
    };
    let mut bot = memory.bot.clone();
    if !o.replies.is_empty() {
        bot.greeted = true;
        bot.failed_turns = 0;
        bot.offered.clear();
        bot.choices =
            o.replies.last().map(|r| r.buttons.iter().map(|b| b.payload.clone()).collect()).unwrap_or_default();
    }
    let replies: Vec<BotReply> = o.replies.into_iter().take(MAX_REPLIES).collect();
    let menu = choices_of(&replies);
    PlannedTurn {
        state: after_bot_turn(&state, &action),
        memory: StoredMemory { bot, menu, intake: o.intake },
        replies: fit_to_channel(channel, &replies),
        action,
        review: None,
        case_effects: o.effects,
    }
}

/// The choices of the last reply that has any, call buttons aside, for a typed number.
fn choices_of(replies: &[BotReply]) -> Vec<String> {
    replies
        .iter()
        .rev()
        .find(|r| r.buttons.iter().any(|b| !is_call(b)))
        .map(|r| r.buttons.iter().filter(|b| !is_call(b)).map(|b| b.payload.clone()).collect())
        .unwrap_or_default()
}

/// A turn the bot answered (with, after an emergency, the flow's message and filing).
fn bot_turn(
    channel: Channel,
    state: ConversationState,
    memory: &StoredMemory,
    text: &str,
    turn: bot::BotTurn,
    intake: Option<Intake>,
    case_effects: Vec<Effect>,
) -> PlannedTurn {
    let review = turn.review.and_then(|reason| {
        let entry_id = match &turn.action {
            BotAction::Feedback { entry_id, .. } => Some(entry_id.clone()),
            _ => memory.bot.last_answer.clone().filter(|_| reason == ReviewReason::Unhelpful),
        };
        let masked_text = caunoi_text::normalize::mask_personal_data(text);
        (!masked_text.trim().is_empty()).then_some(Review { masked_text, reason, entry_id })
    });
    let menu = choices_of(&turn.replies);
    PlannedTurn {
        state: after_bot_turn(&state, &turn.action),
        memory: StoredMemory { bot: turn.memory, menu, intake },
        replies: fit_to_channel(channel, &turn.replies),
        action: turn.action,
        review,
        case_effects,
    }
}

/// The rating a message gives the closing notice: its button, or the number typed for it.
fn rating(kind: &InboundKind, text: &str, memory: &StoredMemory) -> Option<bool> {
    let payload = match kind {
        InboundKind::Choice(payload) => payload.as_str(),
        InboundKind::Text => menu_choice(text, &memory.menu)?,
        _ => return None,
    };
    match payload.trim() {
        RATE_YES => Some(true),
        RATE_NO => Some(false),
        _ => None,
    }
}

/// What the citizen is told when an officer or the duty roster moves the conversation: at
/// most one notice per move, `None` for moves the citizen need not hear of (a transfer between
/// officers, a change of priority). `by_officer` is false for the roster's assignment, which
/// the hand-off notice already announced. Replies by an officer are their own notice and do
/// not come here.
pub fn move_notice(
    before: &ConversationState,
    after: &ConversationState,
    by_officer: bool,
    unit: &UnitFacts,
) -> Option<BotReply> {
    let notice = |text: String, buttons: Vec<Button>| Some(BotReply { text, buttons, feedback_for: None });
    if after.status == Status::Closed && before.status != Status::Closed {
        return notice(
            format!(
                "Cuộc trò chuyện đã kết thúc. Cảm ơn anh/chị đã liên hệ {}.\nAnh/chị thấy lần hỗ trợ này có hữu ích \
                 không? Khi cần hỗ trợ thêm, anh/chị cứ nhắn tin tại đây.",
                unit.name
            ),
            vec![
                Button { label: "Hữu ích".to_owned(), payload: RATE_YES.to_owned() },
                Button { label: "Chưa hữu ích".to_owned(), payload: RATE_NO.to_owned() },
            ],
        );
    }
    if after.unit_id != before.unit_id {
        return notice(
            "Cuộc trò chuyện của anh/chị đã được chuyển tới đơn vị phụ trách; cán bộ sẽ trả lời anh/chị tại đây."
                .to_owned(),
            Vec::new(),
        );
    }
    if after.status == Status::Assigned && before.status == Status::Closed {
        return notice(
            format!("Cán bộ {} đã mở lại cuộc trò chuyện để tiếp tục hỗ trợ anh/chị.", unit.name),
            Vec::new(),
        );
    }
    if after.status == Status::Assigned && before.status != Status::Assigned && by_officer {
        return notice(
            format!("Cán bộ {} đã tiếp nhận cuộc trò chuyện và sẽ trả lời anh/chị tại đây.", unit.name),
            Vec::new(),
        );
    }
    None
}

/// What a bot turn does to the inbox state.
///
/// [`BotAction::HandOff`] moves a bot conversation to the unit's queue. [`BotAction::Urgent`]
/// (emergency) marks it urgent and, if the bot had it, queues it too; an officer who already
/// has it keeps it. [`BotAction::StartReport`] (a report the bot saw while officers have the
/// conversation: the chat's report flow answers the others) queues it without marking it
/// urgent: a noise complaint is not an alarm. Other actions change nothing. [`plan_turn`] reopens a closed conversation ([`Transition::Reopen`] by the citizen)
/// *before* asking the bot, so `state` is normally open; a closed one is treated as the bot's.
pub fn after_bot_turn(state: &ConversationState, action: &BotAction) -> ConversationState {
    let mut next = state.clone();
    let to_queue = |next: &mut ConversationState| {
        if matches!(next.status, Status::Bot | Status::Closed) {
            next.status = Status::WaitingHuman;
            next.assignee = None;
        }
    };
    match action {
        BotAction::None | BotAction::Feedback { .. } | BotAction::Rated { .. } => {}
        BotAction::HandOff { .. } | BotAction::StartReport { .. } => to_queue(&mut next),
        BotAction::Urgent { .. } => {
            to_queue(&mut next);
            next.urgent = true;
        }
    }
    next
}

fn is_call(button: &Button) -> bool {
    button.payload.starts_with("tel:")
}

/// The bot's replies as `channel` sends them. With buttons: as they are, trimmed. Without
/// (Zalo): each reply's buttons become a numbered list (call buttons stay in the text), texts
/// are split only past Zalo's length limit, and the result fits [`MAX_REPLIES`].
pub fn fit_to_channel(channel: Channel, replies: &[BotReply]) -> Vec<BotReply> {
    if channel.shows_buttons() {
        return replies
            .iter()
            .take(MAX_REPLIES)
            .map(|r| BotReply { text: r.text.trim().to_string(), ..r.clone() })
            .collect();
    }
    let rendered = replies
        .iter()
        .map(|r| {
            let choices: Vec<Button> = r.buttons.iter().filter(|b| !is_call(b)).cloned().collect();
            numbered_list(&r.text, &choices)
        })
        .collect();
    fit_budget(rendered).into_iter().map(|text| BotReply { text, buttons: Vec::new(), feedback_for: None }).collect()
}

/// How to answer a numbered list: "Trả lời 1.", "Trả lời 1 hoặc 2.", "Trả lời 1, 2 hoặc 3.".
fn reply_with_a_number(n: usize) -> String {
    match n {
        0 | 1 => "Trả lời 1 để chọn.".to_owned(),
        _ => {
            let firsts: Vec<String> = (1..n).map(|i| i.to_string()).collect();
            format!("Trả lời {} hoặc {n}.", firsts.join(", "))
        }
    }
}

/// One reply as texts for a channel without buttons: the choices become a numbered list the
/// citizen answers with a digit; the text is split only when longer than Zalo's limit.
pub fn numbered_list(text: &str, choices: &[Button]) -> Vec<String> {
    let mut full = text.trim().to_string();
    if !choices.is_empty() {
        full.push('\n');
        for (i, b) in choices.iter().enumerate() {
            full.push_str(&format!("\n{}. {}", i + 1, b.label.trim()));
        }
        full.push_str(&format!("\n\n{}", reply_with_a_number(choices.len())));
    }
    split_for_zalo(&full, ZALO_MESSAGE_LIMIT)
}

/// Reads a citizen's text as a menu choice: a bare number within the last list offered.
pub fn menu_choice<'a>(text: &str, menu: &'a [String]) -> Option<&'a str> {
    let t = text.trim().trim_end_matches('.');
    let n: usize = t.parse().ok()?;
    menu.get(n.checked_sub(1)?).map(String::as_str)
}

/// Fits rendered replies into the budget: as they are when they fit, else joined and split
/// again, keeping the first [`MAX_REPLIES`] parts.
fn fit_budget(parts: Vec<Vec<String>>) -> Vec<String> {
    let flat: Vec<String> = parts.into_iter().flatten().collect();
    if flat.len() <= MAX_REPLIES {
        return flat;
    }
    let mut out = split_for_zalo(&flat.join("\n\n"), ZALO_MESSAGE_LIMIT);
    out.truncate(MAX_REPLIES);
    out
}

/// Splits messages (by their citizens' keys, in arrival order) into waves in which each citizen
/// appears at most once, keeping each citizen's messages in order: the k-th message of a citizen
/// goes to wave k. A wave can be stored with one statement per kind of write, since it never
/// holds two turns of one conversation.
pub fn waves<K: Eq + Hash>(citizens: impl IntoIterator<Item = K>) -> Vec<Vec<usize>> {
    let mut seen: HashMap<K, usize> = HashMap::new();
    let mut waves: Vec<Vec<usize>> = Vec::new();
    for (i, key) in citizens.into_iter().enumerate() {
        let count = seen.entry(key).or_insert(0);
        if waves.len() <= *count {
            waves.push(Vec::new());
        }
        waves[*count].push(i);
        *count += 1;
    }
    waves
}

#[cfg(test)]
mod tests;
