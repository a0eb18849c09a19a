//! Conversation use cases: the only door to contacts, conversations, messages, reply buttons and
//! the inbound event log. Every citizen message, whatever its channel, takes one path: its
//! whole effect in ONE transaction ([`turns::write_turns`]), then the hand-off to the officer on
//! duty. The web chat calls [`process_citizen_message`]; stored Zalo webhook events come through
//! the worker, as a [`PreparedBatch`] ([`prepare_batch`], then [`apply_batch`]). A crash
//! anywhere before the commit leaves an event unprocessed, and the next attempt starts again
//! from the stored row.
//!
//! Also what other features read and write of a conversation: the web chat's history and media
//! ownership, the webhook's event log.

use super::store::{self, CitizenRef, ContactKey, HistoryRow, InboundEvent, MediaRow, NewInbound, NewMessage};
pub use super::store::{
    ConversationView, Expected, Fingerprint, MessageRow, OtherConversation, QueueRow, SearchQuery, UnitMode,
};
use super::turns::{self, Once, TurnInput, TurnOutcome};
use super::unit::UnitContext;
use crate::app::App;
use crate::db::{Db, StoreError, Tx};
use crate::kb::live::Effective;
use crate::units::store::Unit;
use caunoi_core::conversations::{
    Channel, CitizenMessage, ContactId, ConversationId, Direction, Inbound, InboundKind, MessageId,
};
use caunoi_core::inbox::ConversationState;
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;
use caunoi_text::matcher::Decision;
use std::collections::HashMap;
use std::sync::Arc;

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
) -> Result<TurnOutcome, StoreError> {
    let decided = to_decide(app, context.unit.as_ref(), msg).map(|(kb, text)| kb.matcher.decide(text));
    let item = TurnInput { context, from: *from, msg, once, decided: decided.as_ref() };
    let mut tx = app.db.begin().await?;
    let mut outcomes = turns::write_turns(&mut tx, app, std::slice::from_ref(&item)).await?;
    tx.commit().await?;
    let outcome = outcomes.pop().unwrap_or_default();
    assign_hand_off(app, &outcome).await;
    Ok(outcome)
}

/// A stored webhook event made ready for its transaction: what it means (parsed once, media
/// downloaded) and the knowledge base's decision on its text.
pub struct PreparedEvent {
    pub event: InboundEvent,
    /// `None` for events with nothing to do.
    pub inbound: Option<Inbound>,
    decided: Option<Decision>,
}

impl PreparedEvent {
    /// The citizen whose conversation the event touches, if any. Events of one citizen must be
    /// applied in their order, by one transaction at a time.
    pub fn citizen(&self) -> Option<&str> {
        self.inbound.as_ref().map(Inbound::user_id)
    }
}

/// Claimed events, prepared outside any transaction, with the units' contexts looked up once
/// per OA.
pub struct PreparedBatch {
    pub events: Vec<PreparedEvent>,
    contexts: HashMap<String, UnitContext>,
}

/// Prepares claimed events (see [`PreparedBatch`]): each body is translated by its channel
/// (Zalo: `channels::zalo::inbound`), media downloaded, the units' contexts looked up, and the
/// matcher's decisions taken on a blocking thread.
pub async fn prepare_batch(app: &App, events: Vec<InboundEvent>) -> Result<PreparedBatch, StoreError> {
    let mut contexts: HashMap<String, UnitContext> = HashMap::new();
    let mut prepared = Vec::with_capacity(events.len());
    for event in events {
        let inbound = crate::channels::zalo::inbound::translate(app, &event.raw_body, event.received_at).await;
        if matches!(inbound, Some(Inbound::Message { .. })) && !contexts.contains_key(&event.oa_id) {
            contexts.insert(event.oa_id.clone(), UnitContext::of_zalo_oa(app, &event.oa_id).await?);
        }
        prepared.push(PreparedEvent { event, inbound, decided: None });
    }
    let jobs: Vec<(usize, Arc<Effective>, String)> = prepared
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let Some(Inbound::Message { message, .. }) = &p.inbound else { return None };
            let unit = contexts.get(&p.event.oa_id)?.unit.as_ref();
            let (kb, text) = to_decide(app, unit, message)?;
            Some((i, kb, text.to_string()))
        })
        .collect();
    for (i, decision) in decide_off_runtime(jobs).await {
        prepared[i].decided = Some(decision);
    }
    Ok(PreparedBatch { events: prepared, contexts })
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

/// What the matcher decides ahead for a message to `unit`: its text against the unit's
/// knowledge base, for text messages to a known unit only.
fn to_decide<'m>(app: &App, unit: Option<&Unit>, msg: &'m CitizenMessage) -> Option<(Arc<Effective>, &'m str)> {
    let unit = unit.filter(|_| msg.inbound == InboundKind::Text)?;
    Some((app.kb().effective(&unit.path), msg.text.as_str()))
}

/// Applies the events `which` of a batch (in their order) in ONE transaction: one commit (one
/// WAL flush) for all of them instead of one per event. Every event keeps its own guarantees
/// (recorded as applied together with its effects, outbox keys from its id), so a replay stays
/// harmless (on SQLite the caller then marks them in the inbound log, [`log_applied`]); when
/// any event fails the whole transaction rolls back and the caller retries the events one by
/// one (`worker`), so one bad event cannot hold back the rest. One outcome per event of `which`.
pub async fn apply_batch(
    app: &App,
    batch: &PreparedBatch,
    which: &[&PreparedEvent],
) -> Result<Vec<TurnOutcome>, StoreError> {
    let ids: Vec<i64> = which.iter().map(|p| p.event.id).collect();
    let mut tx = app.db.begin().await?;
    // One statement marks the batch; what another worker already processed is skipped.
    let fresh = store::mark_processed(&mut tx, &ids, app.clock.now_micros()).await?;
    let mut outcomes: Vec<TurnOutcome> = vec![TurnOutcome::default(); which.len()];
    // Citizens' messages are written together, a run of consecutive ones at a time; the rare
    // events without a message (taps on "Nhắn tin", echoes of OA Manager) one by one, in their
    // place.
    let mut run: Vec<TurnInput<'_>> = Vec::new();
    let mut run_slots: Vec<usize> = Vec::new();
    for (slot, prepared) in which.iter().enumerate() {
        if !fresh.contains(&prepared.event.id) {
            continue;
        }
        if let Some(item) = turn_input(batch, prepared)? {
            run_slots.push(slot);
            run.push(item);
            continue;
        }
        write_run(&mut tx, app, &mut run, &mut run_slots, &mut outcomes).await?;
        outcomes[slot] = match &prepared.inbound {
            Some(inbound) => {
                turns::write_event(&mut tx, app, prepared.event.unit_id, &prepared.event.oa_id, inbound).await?
            }
            None => TurnOutcome::applied(),
        };
    }
    write_run(&mut tx, app, &mut run, &mut run_slots, &mut outcomes).await?;
    tx.commit().await?;
    for outcome in &outcomes {
        assign_hand_off(app, outcome).await;
    }
    Ok(outcomes)
}

/// Writes a run of citizens' messages and puts their outcomes in their events' slots.
async fn write_run(
    tx: &mut Tx,
    app: &App,
    run: &mut Vec<TurnInput<'_>>,
    slots: &mut Vec<usize>,
    outcomes: &mut [TurnOutcome],
) -> Result<(), StoreError> {
    if run.is_empty() {
        return Ok(());
    }
    let written = turns::write_turns(tx, app, run).await?;
    for (&slot, outcome) in slots.iter().zip(written) {
        outcomes[slot] = outcome;
    }
    run.clear();
    slots.clear();
    Ok(())
}

/// A stored event's citizen message, ready for [`turns::write_turns`] (`None` for events
/// without one).
fn turn_input<'a>(batch: &'a PreparedBatch, prepared: &'a PreparedEvent) -> Result<Option<TurnInput<'a>>, StoreError> {
    let Some(Inbound::Message { user_id, at, message }) = &prepared.inbound else { return Ok(None) };
    let ev = &prepared.event;
    let context = batch.contexts.get(&ev.oa_id).ok_or(StoreError::NotFound)?;
    Ok(Some(TurnInput {
        context,
        from: CitizenRef {
            unit_id: ev.unit_id,
            channel: Channel::Zalo,
            account: &ev.oa_id,
            external_id: user_id,
            interaction_at: Some(*at),
        },
        msg: message,
        once: Once::InboundEvent { event_id: ev.id },
        decided: prepared.decided.as_ref(),
    }))
}

/// A hand-off goes to the officer on duty with the fewest open conversations (after the
/// commit: the assignment is its own small transaction and may find nobody on duty). Only at
/// the hand-off itself: a conversation that found nobody on duty waits in its unit's queue,
/// and the citizen's further messages while it waits do not look for an officer again (at
/// peak that was three reads per message on the worker's path).
async fn assign_hand_off(app: &App, outcome: &TurnOutcome) {
    if outcome.handed_off
        && let Some(conversation) = outcome.conversation_id
        && let Err(e) = crate::inbox::service::assign_on_duty(app, conversation.0).await
    {
        tracing::warn!(error = %e, "duty assignment failed");
    }
    // After the roster picked someone: the alarm reaches the assignee and the duty desk.
    if outcome.alarm_raised
        && let Some(conversation) = outcome.conversation_id
        && let Err(e) = crate::inbox::alarms::alert_raised(app, conversation).await
    {
        tracing::warn!(error = %e, "urgent alarm not sent");
    }
}

/// Stores a group of webhook events with one statement on the ingest pool `db` (see
/// `store::insert_inbound_many`); `Some(id)` for each new one.
pub async fn log_inbound(db: &Db, events: &[NewInbound<'_>]) -> Result<Vec<Option<i64>>, StoreError> {
    store::insert_inbound_many(db, events).await
}

/// SQLite: marks events processed in the inbound log once their effects are committed (see
/// `store::log_applied`).
pub async fn log_applied(db: &Db, ids: &[i64], now: i64) -> Result<(), StoreError> {
    store::log_applied(db, ids, now).await
}

/// The messages of one contact's conversations after message `after` (from the newest
/// `window` when `after` is `None`), oldest first, with whether each reply still waits in the
/// outbox. The citizen's own history: the web chat asks with its session's contact key.
pub async fn contact_history(
    db: &Db,
    contact: &ContactKey,
    after: Option<i64>,
    window: i64,
) -> Result<Vec<HistoryRow>, StoreError> {
    let after = match after {
        Some(a) => a.max(0),
        None => store::contact_nth_newest_message_id(db, contact, window).await?.map(|id| id - 1).unwrap_or(0),
    };
    let mut rows = store::contact_messages_after(db, contact, after, window).await?;
    let outgoing: Vec<i64> = rows.iter().filter(|r| r.direction == Direction::Out).map(|r| r.id.0).collect();
    let queued = crate::outbox::service::still_queued(db, &outgoing).await?;
    for row in &mut rows {
        row.pending = queued.contains(&row.id.0);
    }
    Ok(rows)
}

/// Where the contact's newest conversation stands (the web chat's header).
pub async fn contact_status(db: &Db, contact: &ContactKey) -> Result<Option<caunoi_core::inbox::Status>, StoreError> {
    store::contact_status(db, contact).await
}

/// The stored file of a message and whose it is (none for messages without one).
pub async fn media_of(db: &Db, message_id: i64) -> Result<Option<MediaRow>, StoreError> {
    store::media_of(db, message_id).await
}

/// Citizens' media used only in conversations closed before `closed_before` (see
/// `store::citizen_media_closed_before`).
pub async fn citizen_media_closed_before(db: &Db, closed_before: i64, limit: i64) -> Result<Vec<String>, StoreError> {
    store::citizen_media_closed_before(db, closed_before, limit).await
}

/// Takes a media reference off its messages if they all still lie in conversations closed
/// before `closed_before`; how many messages lost it.
pub async fn forget_media_closed_before(db: &Db, media_ref: &str, closed_before: i64) -> Result<u64, StoreError> {
    store::forget_media_closed_before(db, media_ref, closed_before).await
}

/// Whether any message refers to `media_ref`.
pub async fn media_in_use(db: &Db, media_ref: &str) -> Result<bool, StoreError> {
    store::media_in_use(db, media_ref).await
}

/// Whether the conversation belongs to the officer's units.
pub async fn in_officer_scope(db: &Db, officer: OfficerId, conversation: ConversationId) -> Result<bool, StoreError> {
    Ok(store::get_in_scope(db, officer, conversation.0).await?.is_some())
}

// ---- For the inbox: what officers see of conversations and the moves they make ----

/// Open conversations of a queue (see `store::queue`).
pub async fn queue(
    db: &Db,
    officer: OfficerId,
    statuses: &[&str],
    mode: UnitMode,
    assignee: Option<OfficerId>,
    limit: i64,
) -> Result<Vec<QueueRow>, StoreError> {
    store::queue(db, officer, statuses, mode, assignee, limit).await
}

/// Conversations the inbox's search finds in the officer's scope (see `store::search`).
pub async fn search(db: &Db, officer: OfficerId, s: &SearchQuery<'_>, limit: i64) -> Result<Vec<QueueRow>, StoreError> {
    store::search(db, officer, s, limit).await
}

/// How many conversations the search finds, up to `cap`.
pub async fn search_count(db: &Db, officer: OfficerId, s: &SearchQuery<'_>, cap: i64) -> Result<i64, StoreError> {
    store::search_count(db, officer, s, cap).await
}

/// One conversation with its unit and contact, if it belongs to the officer's units.
pub async fn view_in_scope(db: &Db, officer: OfficerId, id: i64) -> Result<Option<ConversationView>, StoreError> {
    store::get_in_scope(db, officer, id).await
}

/// One conversation with its unit and contact, for system actions (the duty roster).
pub async fn view_any(db: &Db, id: i64) -> Result<Option<ConversationView>, StoreError> {
    store::get_any(db, id).await
}

/// The contact's other conversations within the officer's scope.
pub async fn other_conversations(
    db: &Db,
    officer: OfficerId,
    contact: ContactId,
    except: ConversationId,
) -> Result<Vec<OtherConversation>, StoreError> {
    store::other_conversations(db, officer, contact.0, except.0).await
}

/// A conversation's messages, oldest first (the caller has checked scope on the conversation).
pub async fn thread(db: &Db, conversation: ConversationId) -> Result<Vec<MessageRow>, StoreError> {
    store::messages(db, conversation).await
}

/// The stored file of a message, if its conversation belongs to the officer's units.
pub async fn media_in_scope(db: &Db, officer: OfficerId, message: i64) -> Result<Option<String>, StoreError> {
    store::media_in_scope(db, officer, message).await
}

/// Open conversations per assigned officer (the load the duty roster balances).
pub async fn open_load(db: &Db) -> Result<Vec<(i64, i64)>, StoreError> {
    store::open_load(db).await
}

/// How long the unit's citizens recently waited for a first officer reply (see
/// `store::first_reply_waits`).
pub async fn first_reply_waits(db: &Db, unit: UnitId, since: i64) -> Result<Vec<i64>, StoreError> {
    store::first_reply_waits(db, unit, since).await
}

/// What the inbox's live updates compare (see `store::Fingerprint`).
pub async fn fingerprint(db: &Db, officer: OfficerId) -> Result<Fingerprint, StoreError> {
    store::fingerprint(db, officer).await
}

/// The newest update time and message id of one conversation in the officer's scope.
pub async fn conversation_mark(db: &Db, officer: OfficerId, id: i64) -> Result<Option<(i64, i64)>, StoreError> {
    store::conversation_mark(db, officer, id).await
}

/// Moves a conversation in the caller's transaction if it is still as `expected`; false when
/// someone else changed it first.
pub async fn move_conversation(
    tx: &mut Tx,
    id: ConversationId,
    expected: Expected<'_>,
    next: &ConversationState,
    now: i64,
) -> Result<bool, StoreError> {
    store::move_conversation(tx, id.0, expected, next, now).await
}

/// Marks a conversation as changed (a reply or a note) so live views refresh.
pub async fn touch(tx: &mut Tx, id: ConversationId, now: i64) -> Result<(), StoreError> {
    store::touch_conversation(tx, id.0, now).await
}

/// Stores a message written outside a citizen's turn (an officer's reply) in the caller's
/// transaction; its id.
pub async fn record_message(tx: &mut Tx, message: &NewMessage<'_>) -> Result<MessageId, StoreError> {
    store::insert_message(tx, message).await
}

/// Tells the citizen of a conversation where it stands now (`caunoi_core::conversations::
/// move_notice`), in the caller's transaction: the notice fitted to the channel, stored as the
/// bot's messages (with their buttons on the web chat) and queued in the outbox under `key`.
/// On a channel without buttons the choices are remembered, so that the citizen's "1" is read
/// back. The caller checks that the channel may still send (Zalo's reply window).
pub async fn notify_citizen(
    tx: &mut Tx,
    view: &ConversationView,
    notice: &caunoi_core::bot::BotReply,
    key: &str,
    now: i64,
) -> Result<(), StoreError> {
    let replies = caunoi_core::conversations::fit_to_channel(view.channel, std::slice::from_ref(notice));
    for (k, reply) in replies.iter().enumerate() {
        let message = NewMessage {
            conversation_id: view.id,
            direction: Direction::Out,
            author: caunoi_core::conversations::Author::Bot,
            officer_id: None,
            kind: "text",
            text: &reply.text,
            media_ref: None,
            media_url: None,
            channel_message_id: None,
            created_at: now,
        };
        let message_id = store::insert_message(tx, &message).await?;
        if !reply.buttons.is_empty() {
            let buttons = store::ReplyButtons { message_id, buttons: &reply.buttons, feedback_for: None };
            store::insert_reply_buttons(tx, std::slice::from_ref(&buttons)).await?;
        }
        let payload =
            serde_json::to_string(&crate::outbox::Payload::Text { text: reply.text.clone(), quote_message_id: None })
                .unwrap_or_default();
        let key = format!("notice:{key}:{k}");
        let row = crate::outbox::store::NewOutbox {
            idempotency_key: &key,
            channel: view.channel,
            unit_id: view.unit_id,
            oa_id: (view.channel == Channel::Zalo).then_some(view.contact_account.as_str()),
            recipient: &view.contact_external_id,
            conversation_id: Some(view.id),
            message_id: Some(message_id),
            payload: &payload,
            run_at: now,
        };
        crate::outbox::service::enqueue(tx, std::slice::from_ref(&row)).await?;
    }
    if !view.channel.shows_buttons() {
        let menu: Vec<String> =
            notice.buttons.iter().filter(|b| !b.payload.starts_with("tel:")).map(|b| b.payload.clone()).collect();
        store::remember_menu(tx, view.id, &menu).await?;
    }
    Ok(())
}

/// Stamps the ids the channel gave to delivered messages (the outbox's delivery, in its
/// settling transaction).
pub async fn record_channel_ids(tx: &mut Tx, stamps: &[(i64, &str)]) -> Result<(), StoreError> {
    store::set_channel_message_ids(tx, stamps).await
}
