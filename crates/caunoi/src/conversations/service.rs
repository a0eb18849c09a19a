//! Conversation use cases: the only door to contacts, conversations, messages, reply buttons and
//! the inbound event log for every other feature: the web chat's history and media ownership,
//! the webhook's event log, the inbox's queues, threads and moves, the cases' links to a
//! conversation. It calls no other feature (processing a citizen's message, which does, is
//! [`super::processing`]).

use super::store::{self, ContactKey, HistoryRow, MediaRow, NewInbound, NewMessage};
pub use super::store::{
    ConversationView, Expected, Fingerprint, MessageRow, OtherConversation, QueueRow, SearchQuery, UnitMode,
};
use crate::db::{Db, StoreError, Tx};
use caunoi_core::conversations::{Channel, ContactId, ConversationId, Direction, MessageId};
use caunoi_core::inbox::ConversationState;
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;

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

/// Folds messages and contact names stored before the inbox search matched folded text
/// (migration 0022), `batch` rows at a time, until none is left or `rounds` batches ran; how
/// many rows it folded. The housekeeping calls it; new rows are folded when written.
pub async fn fold_backlog(db: &Db, batch: i64, rounds: usize) -> Result<usize, StoreError> {
    let mut done = 0;
    for _ in 0..rounds {
        match store::fold_backlog(db, batch).await? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}
