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
use crate::db::StoreError;
use crate::db_tx;
use crate::error::ServiceError;
use crate::outbox::Payload;
use crate::outbox::store::NewOutbox;
use crate::units::store::Unit;
use caunoi_core::bot::BotMemory;
use caunoi_core::inbox::{ConversationState, Status};
use caunoi_core::staff::OfficerId;
use caunoi_core::staff::{Action, Scope};
use caunoi_core::units::UnitId;
use caunoi_core::units::UnitPath;
use caunoi_zalo::{Attachment, Event, EventKind, MessageKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

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

/// Who wrote, as `contacts` keys them: Zalo (OA id, user id), web chat (unit code, session id).
#[derive(Debug, Clone, Copy)]
pub struct CitizenRef<'a> {
    pub unit_id: i64,
    /// `zalo` or `web`; also the outbox channel of the replies.
    pub channel: &'a str,
    pub account: &'a str,
    pub external_id: &'a str,
    pub interaction_at: Option<i64>,
}

/// What makes a message's effects happen at most once.
#[derive(Debug, Clone, Copy)]
pub enum Once<'a> {
    /// A stored webhook event: marked processed in the same transaction; when another worker
    /// already did, nothing happens.
    InboundEvent { id: i64, dedupe_key: &'a str },
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

async fn prepare(app: &App, event: &Event, received_at: i64) -> Option<CitizenInput> {
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

/// The unit bound to the OA and the facts the bot may quote about it.
async fn unit_context(app: &App, oa_id: &str) -> Result<(UnitFacts, Option<Unit>), StoreError> {
    let binding = crate::channels::zalo::store::binding_by_oa(&app.db, oa_id).await?;
    let unit = match binding {
        Some(b) => crate::units::store::get_public(&app.db, &b.unit_code).await?,
        None => None,
    };
    let Some(unit) = unit else { return Ok((UnitFacts::default(), None)) };
    Ok((unit_facts(app, &unit), Some(unit)))
}

/// The facts the bot may quote about a unit, as of now.
pub fn unit_facts(app: &App, unit: &Unit) -> UnitFacts {
    let d = &unit.details;
    let now = app.clock.now().to_zoned(crate::app::vietnam_tz()).datetime();
    UnitFacts {
        name: d.name.clone(),
        hotline: d.hotline.as_ref().map(|p| p.display()),
        duty_phone: d.duty_phone.as_ref().map(|p| p.display()),
        open_now: d.opening_hours.is_open_at(now),
        opening_hours_text: crate::kb::service::placeholders(unit).working_hours.unwrap_or_default(),
        booking_url: None,
        chat_url: Some(format!("{}/u/{}", app.config.public_url, unit.code.as_str())),
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

fn key_of(dedupe_key: &str) -> String {
    hex::encode(&Sha256::digest(dedupe_key.as_bytes())[..16])
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
type UnitContexts = HashMap<String, (UnitFacts, Option<Unit>)>;

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
    Ok(InboundBatch { events, inputs, contexts })
}

/// Applies the events `which` (indices into the batch, in order) in ONE transaction: one commit
/// (one WAL flush) for all of them instead of one per event. Every event keeps its own
/// guarantees (marked processed together with its effects, outbox keys from its dedupe key), so
/// a replay stays harmless; when any event fails the whole transaction rolls back and the
/// caller retries the events one by one (`worker`), so one bad event cannot hold back the rest.
pub async fn apply_inbound_batch(
    app: &App,
    batch: &InboundBatch,
    which: &[usize],
) -> Result<Vec<Processed>, ProcessError> {
    let applied = db_tx!(&app.db, tx, [turn = crate::conversations::service] => {
        let mut applied = Vec::with_capacity(which.len());
        for &i in which {
            let (Some(ev), Some(input)) = (batch.events.get(i), batch.inputs.get(i)) else { continue };
            applied.push(turn::apply_inbound(&mut tx, app, ev, input.as_ref(), &batch.contexts).await?);
        }
        applied
    });
    let mut done = Vec::with_capacity(applied.len());
    for (processed, turn) in applied {
        if let Some(turn) = turn {
            assign_hand_off(app, &turn).await;
        }
        done.push(processed);
    }
    Ok(done)
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
/// `from.channel`. With [`Once::InboundEvent`] the event is marked processed first, and an event
/// another worker already processed changes nothing (`applied` is false).
pub async fn process_citizen_message(
    app: &App,
    unit: Option<&Unit>,
    facts: &UnitFacts,
    from: &CitizenRef<'_>,
    msg: &CitizenMessage,
    once: Once<'_>,
) -> Result<CitizenTurn, ProcessError> {
    let result = db_tx!(&app.db, tx, [turn = crate::conversations::service] => {
        turn::apply_citizen_message(&mut tx, app, unit, facts, from, msg, once).await?
    });
    assign_hand_off(app, &result).await;
    Ok(result)
}

/// A hand-off goes to the officer on duty with the fewest open conversations (after the
/// commit: the assignment is its own small transaction and may find nobody on duty).
async fn assign_hand_off(app: &App, turn: &CitizenTurn) {
    if turn.status == "waiting_human"
        && let Some(conversation) = turn.conversation_id
        && let Err(e) = crate::inbox::service::assign_on_duty(app, conversation).await
    {
        tracing::warn!(error = %e, "duty assignment failed");
    }
}

/// The work of one message or event inside a caller's transaction, written once and compiled
/// per engine (like `engine_fns!`, with this engine's store modules in scope).
macro_rules! turn_fns {
    ($engine:ident, $conn:ty) => {
        mod $engine {
            use super::*;
            use crate::channels::webchat::store::$engine as wc;
            use crate::conversations::store::$engine as cs;
            use crate::kb::store::$engine as ks;
            use crate::outbox::store::$engine as ob;

            type Conn = $conn;

            /// One stored event's effects; the turn is returned when the event carried a
            /// citizen message (for the hand-off after the commit).
            pub(super) async fn apply_inbound(
                conn: &mut Conn,
                app: &App,
                ev: &InboundEvent,
                input: Option<&CitizenInput>,
                contexts: &UnitContexts,
            ) -> Result<(Processed, Option<CitizenTurn>), ProcessError> {
                if let Some(CitizenInput { message: Some(msg), user_id, interaction_at, .. }) = input {
                    let (facts, unit) = match contexts.get(&ev.oa_id) {
                        Some((facts, unit)) => (facts, unit.as_ref()),
                        None => return Err(ProcessError::Store(StoreError::NotFound)),
                    };
                    let from = CitizenRef {
                        unit_id: ev.unit_id,
                        channel: CHANNEL,
                        account: &ev.oa_id,
                        external_id: user_id,
                        interaction_at: *interaction_at,
                    };
                    let once = Once::InboundEvent { id: ev.id, dedupe_key: &ev.dedupe_key };
                    let turn = apply_citizen_message(conn, app, unit, facts, &from, msg, once).await?;
                    return Ok((Processed { replies: turn.replies, applied: turn.applied }, Some(turn)));
                }
                // Events without a citizen message: the contact is refreshed, an officer's echo
                // mirrored.
                let now = app.clock.now_micros();
                let mut done = Processed::default();
                if cs::mark_processed(conn, ev.id, now).await? {
                    done.applied = true;
                    if let Some(input) = input {
                        let contact = cs::upsert_contact(
                            conn,
                            ev.unit_id,
                            CHANNEL,
                            &ev.oa_id,
                            &input.user_id,
                            input.interaction_at,
                            now,
                        )
                        .await?;
                        if let Some((text, msg_id)) = &input.officer_echo {
                            let conv = match cs::open_conversation(conn, contact).await? {
                                Some(c) => c,
                                None => cs::insert_conversation(conn, ev.unit_id, contact, CHANNEL, now).await?,
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
                            cs::insert_message(conn, &m).await?;
                        }
                    }
                }
                Ok((done, None))
            }

            /// See [`process_citizen_message`](super::process_citizen_message).
            pub(super) async fn apply_citizen_message(
                conn: &mut Conn,
                app: &App,
                unit: Option<&Unit>,
                facts: &UnitFacts,
                from: &CitizenRef<'_>,
                msg: &CitizenMessage,
                once: Once<'_>,
            ) -> Result<CitizenTurn, ProcessError> {
                let now = app.clock.now_micros();
                let zalo = from.channel == CHANNEL;
                let mut done = CitizenTurn::default();
                let fresh = match once {
                    Once::InboundEvent { id, .. } => cs::mark_processed(conn, id, now).await?,
                    Once::Posted => true,
                };
                if fresh {
                    done.applied = true;
                    let contact = cs::upsert_contact(
                        conn,
                        from.unit_id,
                        from.channel,
                        from.account,
                        from.external_id,
                        from.interaction_at,
                        now,
                    )
                    .await?;
                    let conv = match cs::open_conversation(conn, contact).await? {
                        Some(c) => c,
                        None => cs::insert_conversation(conn, from.unit_id, contact, from.channel, now).await?,
                    };
                    let m = NewMessage {
                        conversation_id: conv.id,
                        direction: "in",
                        author: "citizen",
                        officer_id: None,
                        kind: &msg.kind,
                        text: &msg.text,
                        media_ref: msg.media_ref.as_deref(),
                        media_url: msg.media_url.as_deref(),
                        channel_message_id: msg.channel_message_id.as_deref(),
                        created_at: now,
                    };
                    let in_id = cs::insert_message(conn, &m).await?;
                    let key = match once {
                        Once::InboundEvent { dedupe_key, .. } => key_of(dedupe_key),
                        Once::Posted => format!("m{in_id}"),
                    };
                    let mut memory: StoredMemory = serde_json::from_str(&conv.bot_memory).unwrap_or_default();
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
                        status: Status::parse(&conv.status).unwrap_or(Status::Bot),
                        unit_id: UnitId(conv.unit_id),
                        assignee: conv.assignee_id.map(OfficerId),
                        urgent: conv.urgent,
                    };
                    let bot_memory: BotMemory = serde_json::from_value(memory.bot.clone()).unwrap_or_default();
                    let turn = bot::respond(app, unit, &bot_memory, &state, incoming, facts);
                    if let Some((reason, entry)) = &turn.review {
                        let masked = caunoi_text::normalize::mask_personal_data(&msg.text);
                        if !masked.trim().is_empty() {
                            ks::log_unanswered(
                                conn,
                                UnitId(conv.unit_id),
                                now,
                                &masked,
                                reason.as_str(),
                                entry.as_deref(),
                            )
                            .await?;
                        }
                    }
                    memory.menu = turn
                        .replies
                        .iter()
                        .rev()
                        .find(|r| r.buttons.iter().any(|b| !b.payload.starts_with("tel:")))
                        .map(|r| {
                            r.buttons
                                .iter()
                                .filter(|b| !b.payload.starts_with("tel:"))
                                .map(|b| b.payload.clone())
                                .collect()
                        })
                        .unwrap_or_default();
                    memory.bot = serde_json::to_value(&turn.memory).unwrap_or_default();
                    let memory_json = serde_json::to_string(&memory).unwrap_or_else(|_| "{}".into());
                    cs::update_conversation(
                        conn,
                        conv.id,
                        turn.state.status.as_str(),
                        turn.state.urgent,
                        &memory_json,
                        from.interaction_at,
                        now,
                    )
                    .await?;
                    done.conversation_id = Some(conv.id);
                    done.message_id = Some(in_id);
                    done.status = turn.state.status.as_str().to_string();
                    for (i, out) in render_for_channel(from.channel, &turn.replies).iter().enumerate() {
                        let reply = NewMessage {
                            conversation_id: conv.id,
                            direction: "out",
                            author: "bot",
                            officer_id: None,
                            kind: "text",
                            text: &out.text,
                            media_ref: None,
                            media_url: None,
                            channel_message_id: None,
                            created_at: now,
                        };
                        let message_id = cs::insert_message(conn, &reply).await?;
                        if !out.buttons.is_empty() || out.feedback_for.is_some() {
                            wc::insert_reply_buttons(conn, message_id, &out.buttons, out.feedback_for.as_deref())
                                .await?;
                        }
                        let payload =
                            serde_json::to_string(&Payload::Text { text: out.text.clone(), quote_message_id: None })
                                .unwrap_or_default();
                        let idempotency_key = format!("{}-reply:{key}:{i}", from.channel);
                        let row = NewOutbox {
                            idempotency_key: &idempotency_key,
                            channel: from.channel,
                            unit_id: from.unit_id,
                            oa_id: zalo.then_some(from.account),
                            recipient: from.external_id,
                            conversation_id: Some(conv.id),
                            message_id: Some(message_id),
                            payload: &payload,
                            run_at: now,
                        };
                        if ob::insert(conn, &row).await?.is_some() {
                            done.replies += 1;
                        }
                    }
                }
                Ok(done)
            }
        }
    };
}
turn_fns!(sqlite, sqlx::SqliteConnection);
turn_fns!(postgres, sqlx::PgConnection);

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

    #[test]
    fn replies_over_budget_are_joined_then_cut_to_two() {
        let parts = vec![vec!["a".to_string()], vec!["b".to_string(), "c".to_string()]];
        let out = fit_budget(parts);
        assert_eq!(out, vec!["a\n\nb\n\nc".to_string()]);
        assert_eq!(fit_budget(vec![vec!["x".into()], vec!["y".into()]]).len(), 2);
    }
}
