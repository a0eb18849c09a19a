//! Conversation use cases. [`process_citizen_message`] is the one channel-neutral path of a
//! citizen's message, all in ONE transaction: (for a webhook, the event is marked processed,)
//! the contact and conversation are upserted, the citizen's message is stored, the bot decides,
//! the conversation's new state and memory are saved and the replies are stored and queued in
//! the outbox, rendered for the channel (numbered lists on Zalo, buttons on the web chat).
//! [`process_inbound`] turns one stored Zalo webhook event into such a message (or, for events
//! without one, refreshes the contact). A crash anywhere before the commit leaves the event
//! unprocessed, and the next attempt starts again from the stored row. Outbox keys derive from
//! the event's dedupe key (or the stored message's id) and the reply's index, so no replay can
//! ever queue a second answer.
//!
//! Also the read side the inbox console and the web chat build on: [`list`], [`get`].

use super::bot::{self, Incoming, UnitFacts};
use super::store::{self, ConversationRow, ConversationSummary, InboundEvent, MessageRow, NewMessage};
use crate::app::App;
use crate::channels::zalo::media::{self, Expect};
use crate::channels::zalo::{CHANNEL, MenuButton, menu_choice, render_reply};
use crate::db::{StoreError, Tx};
use crate::error::ServiceError;
use crate::kb::live::Effective;
use crate::outbox::Payload;
use crate::outbox::store::NewOutbox;
use crate::units::store::Unit;
use caunoi_core::bot::BotMemory;
use caunoi_core::inbox::{ConversationState, Status};
use caunoi_core::kb::UnitPlaceholders;
use caunoi_core::staff::OfficerId;
use caunoi_core::staff::{Action, Scope};
use caunoi_core::units::UnitId;
use caunoi_core::units::UnitPath;
use caunoi_text::matcher::Decision;
use caunoi_zalo::{Attachment, Event, EventKind, MessageKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Replies one citizen message may cause (Zalo's free replies are precious, ARCHITECTURE.md).
pub const REPLY_BUDGET: usize = 2;

/// What `conversations.bot_memory` holds: the bot's own memory (opaque here) and the choices
/// last offered on a channel without buttons, so "2" can be read back as the second choice.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredMemory {
    #[serde(default)]
    pub bot: serde_json::Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub menu: Vec<String>,
}

/// What an inbound event means for the conversation, prepared outside the transaction (media
/// is downloaded before, never inside it).
struct CitizenInput {
    user_id: String,
    interaction_at: Option<i64>,
    message: Option<CitizenMessage>,
    /// A human reply typed in Zalo OA Manager, mirrored into the conversation.
    officer_echo: Option<(String, String)>,
}

/// A citizen's message as a channel hands it over, already parsed (media already stored).
#[derive(Debug, Clone)]
pub struct CitizenMessage {
    /// The stored `messages.kind`: `text`, `image`, `video`, `location`, …
    pub kind: String,
    /// What the conversation shows (for a button tap: the button's label).
    pub text: String,
    pub media_ref: Option<String>,
    pub media_url: Option<String>,
    pub channel_message_id: Option<String>,
    pub incoming: IncomingKind,
}

/// What the bot receives for a message.
#[derive(Debug, Clone, PartialEq)]
pub enum IncomingKind {
    /// Typed text (on Zalo a bare number picks from the last numbered list).
    Text,
    /// A button the bot offered, by payload (`kb:…`, `menu:…`, `fb:yes:…`, `fb:no:…`).
    Choice(String),
    Media,
    Location(f64, f64),
    Follow,
    Sticker,
}

pub use super::store::CitizenRef;

/// What makes a message's effects happen at most once.
#[derive(Debug, Clone, Copy)]
pub enum Once {
    /// A stored webhook event, which the caller has just recorded as applied in the same
    /// transaction (events applied before never get here); reply keys derive from its id,
    /// which the dedupe key makes one per delivered message. Zero-padded, so the keys of new
    /// replies sort after the old ones and the unique index on them grows at its end instead
    /// of touching a random page per reply.
    InboundEvent { event_id: i64 },
    /// A message posted directly (web chat): it is new by construction; reply keys derive from
    /// the stored message's id.
    Posted,
}

/// What [`process_citizen_message`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CitizenTurn {
    /// False when the inbound event had already been processed (nothing was written).
    pub applied: bool,
    /// Outbox rows written.
    pub replies: usize,
    pub conversation_id: Option<i64>,
    /// The stored citizen message.
    pub message_id: Option<i64>,
    /// The conversation's status after the turn (`bot`, `waiting_human`, …).
    pub status: String,
    /// The turn handed the conversation to the officers: it waits for one now and did not
    /// before (the on-duty officer is then picked, once per hand-off).
    pub handed_off: bool,
}

fn kind_name(k: &MessageKind) -> String {
    match k {
        MessageKind::Text => "text".into(),
        MessageKind::Image => "image".into(),
        MessageKind::Gif => "gif".into(),
        MessageKind::Sticker => "sticker".into(),
        MessageKind::File => "file".into(),
        MessageKind::Audio => "audio".into(),
        MessageKind::Video => "video".into(),
        MessageKind::Link => "link".into(),
        MessageKind::Location => "location".into(),
        MessageKind::BusinessCard => "business_card".into(),
        MessageKind::List => "list".into(),
        MessageKind::Template => "template".into(),
        MessageKind::Other(o) => o.chars().take(40).collect(),
    }
}

/// Downloads the first media attachment; a failure keeps the URL only.
async fn fetch_media(app: &App, attachments: &[Attachment]) -> (Option<String>, Option<String>) {
    let found = attachments.iter().find_map(|a| match a {
        Attachment::Image { url, .. } | Attachment::Gif { url, .. } => Some((url.as_str(), Expect::Image)),
        Attachment::Video { url, .. } | Attachment::Audio { url } | Attachment::File { url, .. } => {
            Some((url.as_str(), Expect::Any))
        }
        _ => None,
    });
    let Some((url, expect)) = found else { return (None, None) };
    match media::download(app, url, expect).await {
        Ok(r) => (Some(r), Some(url.to_string())),
        Err(e) => {
            tracing::warn!(error = %e, "media download failed; the message is kept with its URL");
            metrics::counter!("caunoi_media_download_failed_total").increment(1);
            (None, Some(url.to_string()))
        }
    }
}

/// Whether a webhook event has anything for the inbound worker to do: citizens' messages,
/// follows, taps on "Nhắn tin", shared info and echoes of what a human typed in OA Manager.
/// Echoes of our own API sends, delivery and read receipts, unfollows and unknown kinds are
/// only kept: the webhook stores them already processed, so they never reach the worker
/// (each reply the bot sends comes back as two such events).
pub fn needs_processing(event: &Event) -> bool {
    match &event.kind {
        EventKind::UserMessage(_)
        | EventKind::Follow(_)
        | EventKind::UserClickChatNow { .. }
        | EventKind::UserSubmitInfo(_) => true,
        EventKind::OaEcho(e) => e.admin_id.is_some(),
        EventKind::Unfollow(_)
        | EventKind::MessageReceived(_)
        | EventKind::MessageSeen(_)
        | EventKind::Unknown { .. } => false,
    }
}

async fn prepare(app: &App, event: &Event, received_at: i64) -> Option<CitizenInput> {
    if !needs_processing(event) {
        return None;
    }
    let at = event.timestamp_millis().map(|ms| ms.saturating_mul(1000)).unwrap_or(received_at);
    match &event.kind {
        EventKind::UserMessage(m) => {
            let (media_ref, media_url) = fetch_media(app, &m.attachments).await;
            let incoming = match (&m.kind, m.location()) {
                (_, Some((lat, lon))) => IncomingKind::Location(lat, lon),
                (MessageKind::Text, _) => IncomingKind::Text,
                (MessageKind::Link, _) if m.text.as_deref().is_some_and(|t| !t.trim().is_empty()) => IncomingKind::Text,
                (MessageKind::Sticker, _) => IncomingKind::Sticker,
                _ => IncomingKind::Media,
            };
            Some(CitizenInput {
                user_id: m.user_id.to_string(),
                interaction_at: Some(at),
                message: Some(CitizenMessage {
                    kind: kind_name(&m.kind),
                    text: m.text.clone().unwrap_or_default(),
                    media_ref,
                    media_url,
                    channel_message_id: Some(m.msg_id.to_string()),
                    incoming,
                }),
                officer_echo: None,
            })
        }
        EventKind::Follow(f) => Some(CitizenInput {
            user_id: f.user_id.to_string(),
            interaction_at: Some(at),
            message: Some(CitizenMessage {
                kind: "follow".into(),
                text: String::new(),
                media_ref: None,
                media_url: None,
                channel_message_id: None,
                incoming: IncomingKind::Follow,
            }),
            officer_echo: None,
        }),
        EventKind::UserClickChatNow { user_id, .. } => Some(CitizenInput {
            user_id: user_id.to_string(),
            interaction_at: Some(at),
            message: None,
            officer_echo: None,
        }),
        EventKind::UserSubmitInfo(i) => Some(CitizenInput {
            user_id: i.user_id.to_string(),
            interaction_at: Some(at),
            message: None,
            officer_echo: None,
        }),
        // Echoes of our own API sends carry no admin id; a human in OA Manager does.
        EventKind::OaEcho(e) if e.admin_id.is_some() => Some(CitizenInput {
            user_id: e.user_id.to_string(),
            interaction_at: None,
            message: None,
            officer_echo: Some((e.text.clone().unwrap_or_default(), e.msg_id.to_string())),
        }),
        _ => None,
    }
}

/// The unit bound to the OA, as the bot sees it.
async fn unit_context(app: &App, oa_id: &str) -> Result<UnitContext, StoreError> {
    let binding = app.channels.zalo.bindings.get(app, oa_id).await?;
    let unit = match binding {
        Some(b) => crate::units::store::get_public(&app.db, &b.unit_code).await?,
        None => None,
    };
    Ok(UnitContext::of(app, unit))
}

/// A unit as the bot sees it for a batch of messages (or one web chat message), worked out
/// once: its row, the facts the bot may quote about it as of now, and the placeholders its
/// answers are filled with. `unit` is `None` for an OA bound to no unit any more.
#[derive(Debug, Clone, Default)]
pub struct UnitContext {
    pub unit: Option<Unit>,
    pub facts: UnitFacts,
    pub placeholders: UnitPlaceholders,
}

impl UnitContext {
    pub fn of(app: &App, unit: Option<Unit>) -> UnitContext {
        let Some(unit) = unit else { return UnitContext::default() };
        let placeholders = crate::kb::service::placeholders(&unit);
        let d = &unit.details;
        let now = app.clock.now().to_zoned(crate::app::vietnam_tz()).datetime();
        let facts = UnitFacts {
            name: d.name.clone(),
            hotline: d.hotline.as_ref().map(|p| p.display()),
            duty_phone: d.duty_phone.as_ref().map(|p| p.display()),
            open_now: d.opening_hours.is_open_at(now),
            opening_hours_text: placeholders.working_hours.clone().unwrap_or_default(),
            booking_url: None,
            chat_url: Some(format!("{}/u/{}", app.config.public_url, unit.code.as_str())),
        };
        UnitContext { unit: Some(unit), facts, placeholders }
    }
}

/// Fits rendered replies into the budget: as they are when they fit, else joined and split
/// again, keeping the first [`REPLY_BUDGET`] parts.
fn fit_budget(parts: Vec<Vec<String>>) -> Vec<String> {
    let flat: Vec<String> = parts.iter().flatten().cloned().collect();
    if flat.len() <= REPLY_BUDGET {
        return flat;
    }
    let joined = flat.join("\n\n");
    let mut out = caunoi_core::kb::split_for_zalo(&joined, caunoi_core::kb::ZALO_MESSAGE_LIMIT);
    out.truncate(REPLY_BUDGET);
    out
}

/// Why processing failed (the event stays unprocessed and is retried).
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ProcessError {
    fn from(e: sqlx::Error) -> Self {
        ProcessError::Store(StoreError::Sql(e))
    }
}

/// What processing one event did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Processed {
    /// Outbox rows written.
    pub replies: usize,
    /// False when another worker had already processed the event.
    pub applied: bool,
}

/// The bound unit's context per OA, looked up once per batch of events.
type UnitContexts = HashMap<String, UnitContext>;

/// Parses a stored event (once), downloads its media and looks up its unit's context (cached
/// in `contexts`), all outside the transaction.
async fn prepare_inbound(
    app: &App,
    ev: &InboundEvent,
    contexts: &mut UnitContexts,
) -> Result<Option<CitizenInput>, StoreError> {
    let input = match Event::parse(ev.raw_body.as_bytes()) {
        Ok(event) => prepare(app, &event, ev.received_at).await,
        // Validated when received; a body that no longer parses is kept and skipped.
        Err(_) => None,
    };
    if input.as_ref().is_some_and(|i| i.message.is_some()) && !contexts.contains_key(&ev.oa_id) {
        let context = unit_context(app, &ev.oa_id).await?;
        contexts.insert(ev.oa_id.clone(), context);
    }
    Ok(input)
}

/// Processes one stored event (see the module docs). Idempotent.
pub async fn process_inbound(app: &App, ev: &InboundEvent) -> Result<Processed, ProcessError> {
    let batch = prepare_inbound_batch(app, vec![ev.clone()]).await?;
    let done = apply_inbound_batch(app, &batch, &[0]).await?;
    Ok(done.into_iter().next().unwrap_or_default())
}

/// Claimed events made ready for their transaction: each body parsed once, media downloaded,
/// the units' contexts looked up once per OA.
pub struct InboundBatch {
    events: Vec<InboundEvent>,
    inputs: Vec<Option<CitizenInput>>,
    contexts: UnitContexts,
    /// The knowledge base's decision on each text message, taken before the transaction.
    decided: Vec<Option<Decision>>,
}

impl InboundBatch {
    pub fn events(&self) -> &[InboundEvent] {
        &self.events
    }

    /// The citizen whose conversation event `i` touches (`None` for events without one).
    /// Events of one citizen must be applied in their order, by one transaction at a time.
    pub fn citizen(&self, i: usize) -> Option<&str> {
        self.inputs.get(i)?.as_ref().map(|input| input.user_id.as_str())
    }
}

/// Prepares claimed events (see [`InboundBatch`]), outside any transaction.
pub async fn prepare_inbound_batch(app: &App, events: Vec<InboundEvent>) -> Result<InboundBatch, ProcessError> {
    let mut contexts = UnitContexts::new();
    let mut inputs = Vec::with_capacity(events.len());
    for ev in &events {
        inputs.push(prepare_inbound(app, ev, &mut contexts).await?);
    }
    let jobs: Vec<(usize, Arc<Effective>, String)> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| {
            let msg = input.as_ref()?.message.as_ref()?;
            let unit = contexts.get(&events[i].oa_id)?.unit.as_ref();
            let (kb, text) = to_decide(app, unit, msg)?;
            Some((i, kb, text.to_string()))
        })
        .collect();
    let mut decided = vec![None; events.len()];
    for (i, decision) in decide_off_runtime(jobs).await {
        decided[i] = Some(decision);
    }
    Ok(InboundBatch { events, inputs, contexts, decided })
}

/// The matcher's decisions on a batch's texts, taken before the batch's transaction (so the
/// writer is not held while the matcher runs), on a blocking thread: the runtime's threads go
/// on serving requests and driving the writer's transactions. One thread, not one per core:
/// the worker prepares a batch while the previous one is applied, and that transaction is a
/// chain of short round trips that slows down whenever both cores are taken. If the thread
/// fails the texts are left out (the bot then decides them itself, inside the transaction).
async fn decide_off_runtime(jobs: Vec<(usize, Arc<Effective>, String)>) -> Vec<(usize, Decision)> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let decide = move || jobs.into_iter().map(|(i, kb, text)| (i, kb.matcher.decide(&text))).collect();
    tokio::task::spawn_blocking(decide).await.unwrap_or_default()
}

/// The knowledge base's decision on a text message to `unit`, taken ahead of its transaction.
fn decide_ahead(app: &App, unit: Option<&Unit>, msg: &CitizenMessage) -> Option<Decision> {
    let (kb, text) = to_decide(app, unit, msg)?;
    Some(kb.matcher.decide(text))
}

/// What the matcher decides ahead for a message to `unit`: its text against the unit's
/// knowledge base, for text messages to a known unit only.
fn to_decide<'m>(app: &App, unit: Option<&Unit>, msg: &'m CitizenMessage) -> Option<(Arc<Effective>, &'m str)> {
    let unit = unit.filter(|_| msg.incoming == IncomingKind::Text)?;
    Some((app.kb.effective(&unit.path), msg.text.as_str()))
}

/// Applies the events `which` (indices into the batch, in order) in ONE transaction: one commit
/// (one WAL flush) for all of them instead of one per event. Every event keeps its own
/// guarantees (recorded as applied together with its effects, outbox keys from its id), so a
/// replay stays harmless (on SQLite the caller then marks them in the inbound log,
/// `store::log_applied`); when any event fails the whole transaction rolls back and the
/// caller retries the events one by one (`worker`), so one bad event cannot hold back the rest.
pub async fn apply_inbound_batch(
    app: &App,
    batch: &InboundBatch,
    which: &[usize],
) -> Result<Vec<Processed>, ProcessError> {
    let ids: Vec<i64> = which.iter().filter_map(|&i| batch.events.get(i)).map(|ev| ev.id).collect();
    let now = app.clock.now_micros();
    let applied = {
        let mut tx = app.db.begin().await?;
        let value = {
            // One statement marks the batch; what another worker already processed is skipped.
            let fresh = store::mark_processed(&mut tx, &ids, now).await?;
            let mut applied: Vec<(Processed, Option<CitizenTurn>)> = Vec::with_capacity(which.len());
            // Citizens' messages are applied together, a run of consecutive ones at a time; the
            // rare events without a message (taps on "Nhắn tin", echoes of OA Manager) one by one,
            // in their place.
            let mut run: Vec<TurnInput<'_>> = Vec::new();
            let mut run_slots: Vec<usize> = Vec::new();
            for &i in which {
                let (Some(ev), Some(input)) = (batch.events.get(i), batch.inputs.get(i)) else { continue };
                if !fresh.contains(&ev.id) {
                    applied.push((Processed::default(), None));
                    continue;
                }
                if let Some(item) = turn_input(ev, input.as_ref(), &batch.contexts, batch.decided.get(i))? {
                    run_slots.push(applied.len());
                    applied.push((Processed::default(), None));
                    run.push(item);
                    continue;
                }
                if !run.is_empty() {
                    let turns = apply_citizen_messages(&mut tx, app, &run).await?;
                    place(&mut applied, &run_slots, turns);
                    run.clear();
                    run_slots.clear();
                }
                applied.push((apply_event(&mut tx, app, ev, input.as_ref()).await?, None));
            }
            if !run.is_empty() {
                let turns = apply_citizen_messages(&mut tx, app, &run).await?;
                place(&mut applied, &run_slots, turns);
            }
            applied
        };
        tx.commit().await?;
        value
    };
    let mut done = Vec::with_capacity(applied.len());
    for (processed, turn) in applied {
        if let Some(turn) = turn {
            assign_hand_off(app, &turn).await;
        }
        done.push(processed);
    }
    Ok(done)
}

/// Puts the turns of a run of messages in their events' places.
fn place(applied: &mut [(Processed, Option<CitizenTurn>)], slots: &[usize], turns: Vec<CitizenTurn>) {
    for (&slot, turn) in slots.iter().zip(turns) {
        applied[slot] = (Processed { replies: turn.replies, applied: turn.applied }, Some(turn));
    }
}

/// A stored event's citizen message, ready for [`apply_citizen_messages`](sqlite::apply_citizen_messages)
/// (None for events without one).
fn turn_input<'a>(
    ev: &'a InboundEvent,
    input: Option<&'a CitizenInput>,
    contexts: &'a UnitContexts,
    decided: Option<&'a Option<Decision>>,
) -> Result<Option<TurnInput<'a>>, ProcessError> {
    let Some(CitizenInput { message: Some(msg), user_id, interaction_at, .. }) = input else { return Ok(None) };
    let Some(context) = contexts.get(&ev.oa_id) else {
        return Err(ProcessError::Store(StoreError::NotFound));
    };
    Ok(Some(TurnInput {
        context,
        from: CitizenRef {
            unit_id: ev.unit_id,
            channel: CHANNEL,
            account: &ev.oa_id,
            external_id: user_id,
            interaction_at: *interaction_at,
        },
        msg,
        once: Once::InboundEvent { event_id: ev.id },
        decided: decided.and_then(Option::as_ref),
    }))
}

/// One citizen message to apply, with what it needs.
struct TurnInput<'a> {
    context: &'a UnitContext,
    from: CitizenRef<'a>,
    msg: &'a CitizenMessage,
    once: Once,
    /// The knowledge base's decision on `msg.text`, when taken ahead.
    decided: Option<&'a Decision>,
}

/// Splits messages into waves in which each citizen appears at most once, keeping each
/// citizen's messages in order (the k-th message of a citizen goes to wave k). A wave is
/// applied with one statement per kind of write, so it must not hold two turns of one
/// conversation.
fn waves(items: &[TurnInput<'_>]) -> Vec<Vec<usize>> {
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let mut waves: Vec<Vec<usize>> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let count = seen.entry((item.from.channel, item.from.account, item.from.external_id)).or_insert(0);
        if waves.len() <= *count {
            waves.push(Vec::new());
        }
        waves[*count].push(i);
        *count += 1;
    }
    waves
}

/// What the bot decided for one message of a wave, before it is written.
struct Planned {
    conversation: ConversationRow,
    status: String,
    urgent: bool,
    memory_json: String,
    review: Option<(String, String, Option<String>)>,
    outs: Vec<OutText>,
}

/// Runs the bot for one message against its conversation (no I/O).
fn plan_turn(app: &App, item: &TurnInput<'_>, conversation: ConversationRow) -> Planned {
    let msg = item.msg;
    let mut memory: StoredMemory = serde_json::from_str(&conversation.bot_memory).unwrap_or_default();
    let incoming = match &msg.incoming {
        IncomingKind::Text => match menu_choice(&msg.text, &memory.menu) {
            Some(payload) => Incoming::Choice(payload),
            None => Incoming::Text(&msg.text),
        },
        IncomingKind::Choice(payload) => Incoming::Choice(payload),
        IncomingKind::Media => Incoming::Media { kind: bot::media_kind(&msg.kind) },
        IncomingKind::Location(lat, lon) => Incoming::Location { lat: *lat, lon: *lon },
        IncomingKind::Follow => Incoming::Follow,
        IncomingKind::Sticker => Incoming::Sticker,
    };
    let state = ConversationState {
        status: Status::parse(&conversation.status).unwrap_or(Status::Bot),
        unit_id: UnitId(conversation.unit_id),
        assignee: conversation.assignee_id.map(OfficerId),
        urgent: conversation.urgent,
    };
    let bot_memory: BotMemory = serde_json::from_value(memory.bot.clone()).unwrap_or_default();
    let known = item.decided.map(|d| (msg.text.as_str(), d));
    let turn = bot::respond(app, item.context, &bot_memory, &state, incoming, known);
    let review = turn.review.as_ref().and_then(|(reason, entry)| {
        let masked = caunoi_text::normalize::mask_personal_data(&msg.text);
        (!masked.trim().is_empty()).then(|| (masked, reason.as_str().to_string(), entry.clone()))
    });
    memory.menu = turn
        .replies
        .iter()
        .rev()
        .find(|r| r.buttons.iter().any(|b| !b.payload.starts_with("tel:")))
        .map(|r| r.buttons.iter().filter(|b| !b.payload.starts_with("tel:")).map(|b| b.payload.clone()).collect())
        .unwrap_or_default();
    memory.bot = serde_json::to_value(&turn.memory).unwrap_or_default();
    Planned {
        conversation,
        status: turn.state.status.as_str().to_string(),
        urgent: turn.state.urgent,
        memory_json: serde_json::to_string(&memory).unwrap_or_else(|_| "{}".into()),
        review,
        outs: render_for_channel(item.from.channel, &turn.replies),
    }
}

/// One reply as stored and queued: its text, and on the web chat its buttons.
struct OutText {
    text: String,
    buttons: Vec<MenuButton>,
    feedback_for: Option<String>,
}

/// Renders the bot's replies for the channel: on Zalo buttons become numbered lists (call
/// buttons stay in the text) and the replies fit [`REPLY_BUDGET`]; the web chat keeps them.
fn render_for_channel(channel: &str, replies: &[bot::Reply]) -> Vec<OutText> {
    if channel == CHANNEL {
        let rendered = replies
            .iter()
            .map(|r| {
                let buttons: Vec<MenuButton> =
                    r.buttons.iter().filter(|b| !b.payload.starts_with("tel:")).cloned().collect();
                render_reply(&r.text, &buttons)
            })
            .collect();
        fit_budget(rendered).into_iter().map(|text| OutText { text, buttons: Vec::new(), feedback_for: None }).collect()
    } else {
        replies
            .iter()
            .take(REPLY_BUDGET)
            .map(|r| OutText {
                text: r.text.trim().to_string(),
                buttons: r.buttons.clone(),
                feedback_for: r.feedback_for.clone(),
            })
            .collect()
    }
}

/// A citizen's message on any channel, with all its effects in ONE transaction (module docs):
/// the contact and conversation, the stored message, the bot's turn and unanswered-question
/// log, the conversation's state, and the replies stored and queued in the outbox for
/// `from.channel`.
pub async fn process_citizen_message(
    app: &App,
    context: &UnitContext,
    from: &CitizenRef<'_>,
    msg: &CitizenMessage,
    once: Once,
) -> Result<CitizenTurn, ProcessError> {
    let decided = decide_ahead(app, context.unit.as_ref(), msg);
    let item = TurnInput { context, from: *from, msg, once, decided: decided.as_ref() };
    let mut turns = {
        let mut tx = app.db.begin().await?;
        let value = { apply_citizen_messages(&mut tx, app, std::slice::from_ref(&item)).await? };
        tx.commit().await?;
        value
    };
    let result = turns.pop().unwrap_or_default();
    assign_hand_off(app, &result).await;
    Ok(result)
}

/// A hand-off goes to the officer on duty with the fewest open conversations (after the
/// commit: the assignment is its own small transaction and may find nobody on duty). Only at
/// the hand-off itself: a conversation that found nobody on duty waits in its unit's queue,
/// and the citizen's further messages while it waits do not look for an officer again (at
/// peak that was three reads per message on the worker's path).
async fn assign_hand_off(app: &App, turn: &CitizenTurn) {
    if turn.handed_off
        && let Some(conversation) = turn.conversation_id
        && let Err(e) = crate::inbox::service::assign_on_duty(app, conversation).await
    {
        tracing::warn!(error = %e, "duty assignment failed");
    }
}

// The writes of a batch of turns, in the caller's transaction.

/// The effects of a stored event that carries no citizen message: the contact is
/// refreshed, an officer's echo from OA Manager mirrored into the conversation.
async fn apply_event(
    tx: &mut Tx,
    app: &App,
    ev: &InboundEvent,
    input: Option<&CitizenInput>,
) -> Result<Processed, ProcessError> {
    let now = app.clock.now_micros();
    let Some(input) = input else { return Ok(Processed { replies: 0, applied: true }) };
    let contact =
        store::upsert_contact(tx, ev.unit_id, CHANNEL, &ev.oa_id, &input.user_id, input.interaction_at, now).await?;
    if let Some((text, msg_id)) = &input.officer_echo {
        let conv = match store::open_conversation(tx, contact).await? {
            Some(c) => c,
            None => store::insert_conversation(tx, ev.unit_id, contact, CHANNEL, now).await?,
        };
        let m = NewMessage {
            conversation_id: conv.id,
            direction: "out",
            author: "officer",
            officer_id: None,
            kind: "text",
            text,
            media_ref: None,
            media_url: None,
            channel_message_id: Some(msg_id),
            created_at: now,
        };
        store::insert_message(tx, &m).await?;
    }
    Ok(Processed { replies: 0, applied: true })
}

/// Citizens' messages with all their effects (see
/// [`process_citizen_message`](super::process_citizen_message)), in waves where each
/// citizen appears once ([`waves`]); one statement per kind of write per wave.
async fn apply_citizen_messages(
    tx: &mut Tx,
    app: &App,
    items: &[TurnInput<'_>],
) -> Result<Vec<CitizenTurn>, ProcessError> {
    let mut turns = vec![CitizenTurn::default(); items.len()];
    for wave in waves(items) {
        apply_wave(tx, app, items, &wave, &mut turns).await?;
    }
    Ok(turns)
}

async fn apply_wave(
    tx: &mut Tx,
    app: &App,
    items: &[TurnInput<'_>],
    wave: &[usize],
    turns: &mut [CitizenTurn],
) -> Result<(), ProcessError> {
    let now = app.clock.now_micros();
    // The contacts, then their open conversations (new ones where there is none).
    let contacts: Vec<CitizenRef<'_>> = wave.iter().map(|&i| items[i].from).collect();
    let contact_ids = store::upsert_contacts(tx, &contacts, now).await?;
    let contact_of = |i: usize| {
        let f = &items[i].from;
        let key = (f.channel.to_string(), f.account.to_string(), f.external_id.to_string());
        contact_ids.get(&key).copied().ok_or(ProcessError::Store(StoreError::NotFound))
    };
    let ids = wave.iter().map(|&i| contact_of(i)).collect::<Result<Vec<i64>, _>>()?;
    let mut conversations = store::open_conversations(tx, &ids).await?;
    let missing: Vec<(i64, i64, &str)> = wave
        .iter()
        .zip(&ids)
        .filter(|(_, contact)| !conversations.contains_key(contact))
        .map(|(&i, &contact)| (items[i].from.unit_id, contact, items[i].from.channel))
        .collect();
    if !missing.is_empty() {
        conversations.extend(store::insert_conversations(tx, &missing, now).await?);
    }
    // The bot's turns, in memory.
    let mut planned = Vec::with_capacity(wave.len());
    for (&i, contact) in wave.iter().zip(&ids) {
        let conversation = conversations.remove(contact).ok_or(ProcessError::Store(StoreError::NotFound))?;
        planned.push(plan_turn(app, &items[i], conversation));
    }
    // The citizens' messages, then the replies (the k-th reply of every turn in one
    // statement, so each statement holds one message per conversation).
    let incoming: Vec<NewMessage<'_>> = wave
        .iter()
        .zip(&planned)
        .map(|(&i, p)| {
            let msg = items[i].msg;
            NewMessage {
                conversation_id: p.conversation.id,
                direction: "in",
                author: "citizen",
                officer_id: None,
                kind: &msg.kind,
                text: &msg.text,
                media_ref: msg.media_ref.as_deref(),
                media_url: msg.media_url.as_deref(),
                channel_message_id: msg.channel_message_id.as_deref(),
                created_at: now,
            }
        })
        .collect();
    let in_ids = store::insert_messages(tx, &incoming).await?;
    let most = planned.iter().map(|p| p.outs.len()).max().unwrap_or(0);
    let mut reply_ids: Vec<HashMap<i64, i64>> = Vec::with_capacity(most);
    for k in 0..most {
        let rows: Vec<NewMessage<'_>> = planned
            .iter()
            .filter_map(|p| p.outs.get(k).map(|out| (p.conversation.id, out)))
            .map(|(conversation_id, out)| NewMessage {
                conversation_id,
                direction: "out",
                author: "bot",
                officer_id: None,
                kind: "text",
                text: &out.text,
                media_ref: None,
                media_url: None,
                channel_message_id: None,
                created_at: now,
            })
            .collect();
        reply_ids.push(store::insert_messages(tx, &rows).await?);
    }
    let reply_id = |p: &Planned, k: usize| {
        reply_ids
            .get(k)
            .and_then(|m| m.get(&p.conversation.id))
            .copied()
            .ok_or(ProcessError::Store(StoreError::NotFound))
    };
    // Buttons (web chat), the questions for the review, the conversations' state.
    let mut buttons: Vec<(i64, &[MenuButton], Option<&str>)> = Vec::new();
    for p in &planned {
        for (k, out) in p.outs.iter().enumerate() {
            if !out.buttons.is_empty() || out.feedback_for.is_some() {
                buttons.push((reply_id(p, k)?, &out.buttons, out.feedback_for.as_deref()));
            }
        }
    }
    if !buttons.is_empty() {
        crate::channels::webchat::store::insert_reply_buttons_many(tx, &buttons).await?;
    }
    let reviews: Vec<(UnitId, &str, &str, Option<&str>)> = planned
        .iter()
        .filter_map(|p| {
            let (text, kind, entry) = p.review.as_ref()?;
            Some((UnitId(p.conversation.unit_id), text.as_str(), kind.as_str(), entry.as_deref()))
        })
        .collect();
    if !reviews.is_empty() {
        crate::kb::store::log_unanswered_many(tx, now, &reviews).await?;
    }
    let updates: Vec<store::ConversationUpdate<'_>> = wave
        .iter()
        .zip(&planned)
        .map(|(&i, p)| store::ConversationUpdate {
            id: p.conversation.id,
            status: &p.status,
            urgent: p.urgent,
            bot_memory: &p.memory_json,
            last_citizen_message_at: items[i].from.interaction_at,
        })
        .collect();
    store::update_conversations(tx, &updates, now).await?;
    // The replies queued in the outbox, keyed so that no replay queues them twice.
    let waiting = Status::WaitingHuman.as_str();
    let mut keyed: Vec<(usize, String, String, i64)> = Vec::new();
    for (&i, p) in wave.iter().zip(&planned) {
        let in_id = in_ids.get(&p.conversation.id).copied().ok_or(ProcessError::Store(StoreError::NotFound))?;
        let key = match items[i].once {
            Once::InboundEvent { event_id } => format!("e{event_id:012}"),
            Once::Posted => format!("m{in_id}"),
        };
        for (k, out) in p.outs.iter().enumerate() {
            let payload = serde_json::to_string(&Payload::Text { text: out.text.clone(), quote_message_id: None })
                .unwrap_or_default();
            keyed.push((i, format!("{}-reply:{key}:{k}", items[i].from.channel), payload, reply_id(p, k)?));
        }
        turns[i] = CitizenTurn {
            applied: true,
            replies: 0,
            conversation_id: Some(p.conversation.id),
            message_id: Some(in_id),
            status: p.status.clone(),
            handed_off: p.status == waiting && p.conversation.status != waiting,
        };
    }
    let rows: Vec<NewOutbox<'_>> = keyed
        .iter()
        .map(|(i, key, payload, message_id)| {
            let from = &items[*i].from;
            NewOutbox {
                idempotency_key: key,
                channel: from.channel,
                unit_id: from.unit_id,
                oa_id: (from.channel == CHANNEL).then_some(from.account),
                recipient: from.external_id,
                conversation_id: turns[*i].conversation_id,
                message_id: Some(*message_id),
                payload,
                run_at: now,
            }
        })
        .collect();
    if !rows.is_empty() {
        let queued: std::collections::HashSet<String> =
            crate::outbox::store::insert_many(tx, &rows).await?.into_iter().map(|(_, key)| key).collect();
        for (i, key, _, _) in &keyed {
            if queued.contains(key) {
                turns[*i].replies += 1;
            }
        }
    }
    Ok(())
}

/// Conversations of the officer's units, optionally by status (`bot`, `waiting_human`,
/// `assigned`, `closed`), urgent first then most recent; at most 200.
pub async fn list(app: &App, scope: &Scope, status: Option<&str>) -> Result<Vec<ConversationSummary>, ServiceError> {
    Ok(store::list_in_scope(&app.db, scope.officer_id, status, 200).await?)
}

/// One conversation with its messages, if it belongs to the officer's units.
pub async fn get(app: &App, scope: &Scope, id: i64) -> Result<(ConversationRow, Vec<MessageRow>), ServiceError> {
    let conv = store::get_in_scope(&app.db, scope.officer_id, id).await?.ok_or(ServiceError::NotFound)?;
    let path = unit_path(app, conv.unit_id).await?;
    scope.require(Action::ViewUnit, &path)?;
    let messages = store::messages(&app.db, conv.id).await?;
    Ok((conv, messages))
}

async fn unit_path(app: &App, unit_id: i64) -> Result<UnitPath, StoreError> {
    Ok(UnitPath::from_stored(store::unit_path(&app.db, unit_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> CitizenMessage {
        CitizenMessage {
            kind: "text".into(),
            text: "xin chào".into(),
            media_ref: None,
            media_url: None,
            channel_message_id: None,
            incoming: IncomingKind::Text,
        }
    }

    #[test]
    fn waves_hold_each_citizen_once_and_keep_their_order() {
        let (context, msg) = (UnitContext::default(), message());
        let item = |account: &'static str, user: &'static str| TurnInput {
            context: &context,
            from: CitizenRef { unit_id: 1, channel: CHANNEL, account, external_id: user, interaction_at: None },
            msg: &msg,
            once: Once::Posted,
            decided: None,
        };
        // a, b, a, (same user id on another OA), a
        let items = [item("oa1", "a"), item("oa1", "b"), item("oa1", "a"), item("oa2", "a"), item("oa1", "a")];
        assert_eq!(waves(&items), vec![vec![0, 1, 3], vec![2], vec![4]]);
        assert!(waves(&[]).is_empty());
    }

    #[test]
    fn replies_over_budget_are_joined_then_cut_to_two() {
        let parts = vec![vec!["a".to_string()], vec!["b".to_string(), "c".to_string()]];
        let out = fit_budget(parts);
        assert_eq!(out, vec!["a\n\nb\n\nc".to_string()]);
        assert_eq!(fit_budget(vec![vec!["x".into()], vec!["y".into()]]).len(), 2);
    }
}
