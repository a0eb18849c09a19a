//! Citizens' turns written in the caller's transaction: the contact and its open conversation,
//! the citizen's message, the bot's planned turn ([`super::unit::plan`]), the replies stored and
//! queued in the outbox, the conversation's new state, the unanswered-question log.
//!
//! Messages are written in waves ([`caunoi_core::conversations::waves`]) in which each citizen
//! appears once, with one statement per kind of write per wave; a batch of 32 messages costs a
//! handful of statements, not a hundred. Outbox keys derive from the message's [`Once`] and the
//! reply's index, so no replay can ever queue a second answer.

use super::store::{self, CitizenRef, ConversationRow, NewConversation, NewMessage, ReplyButtons};
use super::unit::{UnitContext, plan};
use crate::app::App;
use crate::db::{StoreError, Tx};
use crate::kb::store::NewUnanswered;
use crate::outbox::Payload;
use crate::outbox::store::NewOutbox;
use caunoi_core::bot::BotAction;
use caunoi_core::conversations::{
    Author, Channel, CitizenMessage, ContactId, ConversationId, Direction, Inbound, MessageId, PlannedTurn,
    StoredMemory, waves,
};
use caunoi_core::inbox::{ConversationState, Status};
use caunoi_core::staff::OfficerId;
use caunoi_text::matcher::Decision;
use std::collections::{HashMap, HashSet};

/// A conversation closed less than this long ago is reopened by the citizen's next message
/// (it keeps its history and the bot's memory: no second greeting, and a rating of the closing
/// notice lands on it); an older one is left closed and a new conversation starts.
pub const REOPEN_WITHIN_MICROS: i64 = 24 * 3_600 * 1_000_000;

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

/// One citizen message to write, with what it needs.
pub struct TurnInput<'a> {
    pub context: &'a UnitContext,
    pub from: CitizenRef<'a>,
    pub msg: &'a CitizenMessage,
    pub once: Once,
    /// The knowledge base's decision on `msg.text`, when taken ahead.
    pub decided: Option<&'a Decision>,
}

/// What one message or event did: the one result type of the inbound path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnOutcome {
    /// False when the inbound event had already been processed (nothing was written).
    pub applied: bool,
    /// Outbox rows written.
    pub replies: usize,
    pub conversation_id: Option<ConversationId>,
    /// The stored citizen message.
    pub message_id: Option<MessageId>,
    /// The conversation's status after the turn.
    pub status: Option<Status>,
    /// The turn handed the conversation to the officers: it waits for one now and did not
    /// before (the on-duty officer is then picked, once per hand-off).
    pub handed_off: bool,
    /// The turn made the conversation urgent (its alarm was raised: the duty desk is alerted
    /// after the commit).
    pub alarm_raised: bool,
}

impl TurnOutcome {
    /// An event that was applied and needed no turn (or found nothing to do).
    pub fn applied() -> TurnOutcome {
        TurnOutcome { applied: true, ..TurnOutcome::default() }
    }
}

/// A turn planned for a conversation, before it is written.
struct Planned {
    conversation: ConversationRow,
    turn: PlannedTurn,
}

/// A reply to queue: which item of the wave it answers, its outbox key and payload, and the
/// stored message it is.
struct QueuedReply {
    item: usize,
    key: String,
    payload: String,
    message_id: MessageId,
}

/// Writes citizens' messages with all their effects (module docs), in waves where each citizen
/// appears once; the outcomes in the order of `items`.
pub async fn write_turns(tx: &mut Tx, app: &App, items: &[TurnInput<'_>]) -> Result<Vec<TurnOutcome>, StoreError> {
    let mut outcomes = vec![TurnOutcome::default(); items.len()];
    let citizens = items.iter().map(|i| (i.from.channel, i.from.account, i.from.external_id));
    for wave in waves(citizens) {
        write_wave(tx, app, items, &wave, &mut outcomes).await?;
    }
    Ok(outcomes)
}

async fn write_wave(
    tx: &mut Tx,
    app: &App,
    items: &[TurnInput<'_>],
    wave: &[usize],
    outcomes: &mut [TurnOutcome],
) -> Result<(), StoreError> {
    let now = app.clock.now_micros();
    // The contacts, then their open conversations (new ones where there is none).
    let contacts: Vec<CitizenRef<'_>> = wave.iter().map(|&i| items[i].from).collect();
    let contact_ids = store::upsert_contacts(tx, &contacts, now).await?;
    let contact_of = |i: usize| contact_ids.get(&items[i].from.key()).copied().ok_or(StoreError::NotFound);
    let ids = wave.iter().map(|&i| contact_of(i)).collect::<Result<Vec<ContactId>, _>>()?;
    let mut conversations = store::open_conversations(tx, &ids, now - REOPEN_WITHIN_MICROS).await?;
    let missing: Vec<NewConversation> = wave
        .iter()
        .zip(&ids)
        .filter(|(_, contact)| !conversations.contains_key(contact))
        .map(|(&i, &contact_id)| NewConversation {
            unit_id: items[i].from.unit_id,
            contact_id,
            channel: items[i].from.channel,
        })
        .collect();
    if !missing.is_empty() {
        conversations.extend(store::insert_conversations(tx, &missing, now).await?);
    }
    // The bot's turns, in memory.
    let mut planned = Vec::with_capacity(wave.len());
    for (&i, contact) in wave.iter().zip(&ids) {
        let conversation = conversations.remove(contact).ok_or(StoreError::NotFound)?;
        let item = &items[i];
        let state = ConversationState {
            status: conversation.status,
            unit_id: conversation.unit_id,
            assignee: conversation.assignee_id.map(OfficerId),
            urgent: conversation.urgent,
        };
        let memory = StoredMemory::parse(&conversation.bot_memory);
        let known = item.decided.map(|d| (item.msg.text.as_str(), d));
        let turn = plan(app, item.context, item.from.channel, &state, &memory, item.msg, known);
        planned.push(Planned { conversation, turn });
    }
    // The report flow's cases: filed, completed or looked up in this transaction, before the
    // replies that name them are written.
    for p in planned.iter_mut().filter(|p| !p.turn.case_effects.is_empty()) {
        super::case_flow::apply(tx, app, &p.conversation, &mut p.turn, now).await?;
    }
    // The citizens' messages, then the replies (the k-th reply of every turn in one statement,
    // so each statement holds one message per conversation).
    let incoming: Vec<NewMessage<'_>> = wave
        .iter()
        .zip(&planned)
        .map(|(&i, p)| {
            let msg = items[i].msg;
            NewMessage {
                conversation_id: p.conversation.id,
                direction: Direction::In,
                author: Author::Citizen,
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
    let most = planned.iter().map(|p| p.turn.replies.len()).max().unwrap_or(0);
    let mut reply_ids: Vec<HashMap<ConversationId, MessageId>> = Vec::with_capacity(most);
    for k in 0..most {
        let rows: Vec<NewMessage<'_>> = planned
            .iter()
            .filter_map(|p| p.turn.replies.get(k).map(|reply| (p.conversation.id, reply)))
            .map(|(conversation_id, reply)| NewMessage {
                conversation_id,
                direction: Direction::Out,
                author: Author::Bot,
                officer_id: None,
                kind: "text",
                text: &reply.text,
                media_ref: None,
                media_url: None,
                channel_message_id: None,
                created_at: now,
            })
            .collect();
        reply_ids.push(store::insert_messages(tx, &rows).await?);
    }
    let reply_id = |p: &Planned, k: usize| {
        reply_ids.get(k).and_then(|m| m.get(&p.conversation.id)).copied().ok_or(StoreError::NotFound)
    };
    // Buttons (channels that show them), the questions for the review, the conversations' state.
    let mut buttons: Vec<ReplyButtons<'_>> = Vec::new();
    for p in &planned {
        for (k, reply) in p.turn.replies.iter().enumerate() {
            if !reply.buttons.is_empty() || reply.feedback_for.is_some() {
                buttons.push(ReplyButtons {
                    message_id: reply_id(p, k)?,
                    buttons: &reply.buttons,
                    feedback_for: reply.feedback_for.as_deref(),
                });
            }
        }
    }
    if !buttons.is_empty() {
        store::insert_reply_buttons(tx, &buttons).await?;
    }
    let reviews: Vec<NewUnanswered<'_>> = planned
        .iter()
        .filter_map(|p| {
            let review = p.turn.review.as_ref()?;
            Some(NewUnanswered {
                unit: p.conversation.unit_id,
                text: &review.masked_text,
                reason: review.reason.as_str(),
                entry_id: review.entry_id.as_deref(),
            })
        })
        .collect();
    if !reviews.is_empty() {
        crate::kb::service::log_unanswered(tx, now, &reviews).await?;
    }
    let memories: Vec<String> = planned.iter().map(|p| p.turn.memory.to_json()).collect();
    let updates: Vec<store::ConversationUpdate<'_>> = wave
        .iter()
        .zip(&planned)
        .zip(&memories)
        .map(|((&i, p), memory)| store::ConversationUpdate {
            id: p.conversation.id,
            status: p.turn.state.status,
            urgent: p.turn.state.urgent,
            bot_memory: memory,
            last_citizen_message_at: items[i].from.interaction_at,
        })
        .collect();
    store::update_conversations(tx, &updates, now).await?;
    for p in &planned {
        if let BotAction::Rated { helpful } = p.turn.action {
            crate::inbox::service::record_rating(tx, p.conversation.id, &p.turn.state, helpful, now).await?;
        }
        if p.turn.state.urgent && !p.conversation.urgent {
            crate::inbox::alarms::raise(tx, p.conversation.id, p.turn.state.unit_id, now).await?;
        }
    }
    // The replies queued in the outbox, keyed so that no replay queues them twice.
    let mut queued: Vec<QueuedReply> = Vec::new();
    for (&i, p) in wave.iter().zip(&planned) {
        let in_id = in_ids.get(&p.conversation.id).copied().ok_or(StoreError::NotFound)?;
        let key = match items[i].once {
            Once::InboundEvent { event_id } => format!("e{event_id:012}"),
            Once::Posted => format!("m{in_id}"),
        };
        for (k, reply) in p.turn.replies.iter().enumerate() {
            let payload = Payload::Text { text: reply.text.clone(), quote_message_id: None };
            queued.push(QueuedReply {
                item: i,
                key: format!("{}-reply:{key}:{k}", items[i].from.channel),
                payload: serde_json::to_string(&payload).unwrap_or_default(),
                message_id: reply_id(p, k)?,
            });
        }
        outcomes[i] = TurnOutcome {
            applied: true,
            replies: 0,
            conversation_id: Some(p.conversation.id),
            message_id: Some(in_id),
            status: Some(p.turn.state.status),
            handed_off: p.turn.handed_off(p.conversation.status),
            alarm_raised: p.turn.state.urgent && !p.conversation.urgent,
        };
    }
    let rows: Vec<NewOutbox<'_>> = queued
        .iter()
        .map(|q| {
            let from = &items[q.item].from;
            NewOutbox {
                idempotency_key: &q.key,
                channel: from.channel,
                unit_id: caunoi_core::units::UnitId(from.unit_id),
                oa_id: (from.channel == Channel::Zalo).then_some(from.account),
                recipient: from.external_id,
                conversation_id: outcomes[q.item].conversation_id,
                message_id: Some(q.message_id),
                payload: &q.payload,
                run_at: now,
            }
        })
        .collect();
    if !rows.is_empty() {
        let new: HashSet<String> =
            crate::outbox::service::enqueue(tx, &rows).await?.into_iter().map(|(_, key)| key).collect();
        for q in &queued {
            if new.contains(&q.key) {
                outcomes[q.item].replies += 1;
            }
        }
    }
    Ok(())
}

/// The effects of an event that carries no citizen message, on Zalo OA `account` of unit
/// `unit_id`: the contact is refreshed, an officer's echo from OA Manager mirrored into the
/// conversation.
pub async fn write_event(
    tx: &mut Tx,
    app: &App,
    unit_id: i64,
    account: &str,
    inbound: &Inbound,
) -> Result<TurnOutcome, StoreError> {
    let now = app.clock.now_micros();
    let at = match inbound {
        Inbound::Message { at, .. } | Inbound::Interaction { at, .. } => Some(*at),
        Inbound::OfficerEcho { .. } => None,
    };
    let from =
        CitizenRef { unit_id, channel: Channel::Zalo, account, external_id: inbound.user_id(), interaction_at: at };
    let contact = store::upsert_contact(tx, &from, now).await?;
    if let Inbound::OfficerEcho { text, channel_message_id, .. } = inbound {
        let conversation = match store::open_conversation(tx, contact).await? {
            Some(c) => c,
            None => {
                let new = NewConversation { unit_id, contact_id: contact, channel: Channel::Zalo };
                store::insert_conversation(tx, &new, now).await?
            }
        };
        let m = NewMessage {
            conversation_id: conversation.id,
            direction: Direction::Out,
            author: Author::Officer,
            officer_id: None,
            kind: "text",
            text,
            media_ref: None,
            media_url: None,
            channel_message_id: Some(channel_message_id),
            created_at: now,
        };
        store::insert_message(tx, &m).await?;
    }
    Ok(TurnOutcome::applied())
}
