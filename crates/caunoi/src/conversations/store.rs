//! Conversation queries: the inbound event log, contacts, conversations and messages. SQL only;
//! the rules (what an event means, what the bot answers) live in `service.rs` and the core.
//!
//! Claims (PostgreSQL): inbound events are leased (`locked_until`) by a single statement whose
//! inner select takes `FOR UPDATE SKIP LOCKED`, so the workers of several instances never wait
//! on each other. SQLite has one process and one worker, which reads pending events without
//! leasing them; there `locked_until` only holds back an event that failed until its retry.

use crate::db::{Db, StoreError, Tx};
use crate::{db_read, db_write, in_scope};
use caunoi_core::bot::Button;
use caunoi_core::conversations::{Author, Channel, ContactId, ConversationId, Direction, MessageId, StoredMemory};
use caunoi_core::inbox::ConversationState;
use caunoi_core::inbox::Status;
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;
use std::collections::HashMap;

/// A stored webhook event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboundEvent {
    pub id: i64,
    pub channel: String,
    pub oa_id: String,
    pub unit_id: i64,
    pub event_name: String,
    pub dedupe_key: String,
    pub raw_body: String,
    pub received_at: i64,
    pub attempts: i64,
}

/// A webhook event to store.
#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    pub channel: &'a str,
    pub oa_id: &'a str,
    pub unit_id: i64,
    pub event_name: &'a str,
    pub dedupe_key: &'a str,
    pub raw_body: &'a str,
    pub received_at: i64,
    /// Set for events with nothing to process (`service::needs_processing`): stored as done.
    pub processed_at: Option<i64>,
}

const INSERT_INBOUND_HEAD: &str = "INSERT INTO inbound_events \
     (channel, oa_id, unit_id, event_name, dedupe_key, raw_body, received_at, processed_at) VALUES";
const INSERT_INBOUND_TAIL: &str = "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key";

use crate::db::{MAX_ROWS_PER_STATEMENT, values_list};

/// The columns of an [`InboundEvent`] but `attempts`.
macro_rules! inbound_columns {
    () => {
        "id, channel, oa_id, unit_id, event_name, dedupe_key, raw_body, received_at"
    };
}

const CLAIM_SQLITE: &str = concat!(
    "UPDATE inbound_events SET locked_until = $1, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM inbound_events WHERE processed_at IS NULL \
     AND (locked_until IS NULL OR locked_until < $2) ORDER BY id LIMIT $3) RETURNING ",
    inbound_columns!(),
    ", attempts"
);

const CLAIM_POSTGRES: &str = concat!(
    "UPDATE inbound_events SET locked_until = $1, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM inbound_events WHERE processed_at IS NULL \
     AND (locked_until IS NULL OR locked_until < $2) ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING ",
    inbound_columns!(),
    ", attempts"
);

/// Up to `limit` unprocessed events not resting after a failure, oldest first, read without
/// taking them (SQLite's one worker, see `worker`); `attempts` counts this attempt too.
pub async fn pending_inbound(db: &Db, now: i64, limit: i64) -> Result<Vec<InboundEvent>, StoreError> {
    let db = &db.inbound_log();
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT ", inbound_columns!(), ", attempts + 1 AS attempts FROM inbound_events \
         WHERE processed_at IS NULL AND (locked_until IS NULL OR locked_until < $1) ORDER BY id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// Leases up to `limit` unprocessed events whose lease (if any) ran out, oldest first.
pub async fn claim_inbound(db: &Db, now: i64, lease_until: i64, limit: i64) -> Result<Vec<InboundEvent>, StoreError> {
    let db = &db.inbound_log();
    let mut rows: Vec<InboundEvent> = match db {
        Db::Sqlite(s) => {
            let mut tx = s.write.begin_with("BEGIN IMMEDIATE").await?;
            let rows = sqlx::query_as(CLAIM_SQLITE).bind(lease_until).bind(now).bind(limit).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            rows
        }
        Db::Postgres(p) => sqlx::query_as(CLAIM_POSTGRES).bind(lease_until).bind(now).bind(limit).fetch_all(p).await?,
    };
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Records a failed processing attempt (the `attempt`-th): the event rests until `retry_at`.
pub async fn record_inbound_failure(
    db: &Db,
    id: i64,
    attempt: i64,
    retry_at: i64,
    error: &str,
) -> Result<(), StoreError> {
    let db = &db.inbound_log();
    db_write!(db, pool => sqlx::query(
        "UPDATE inbound_events SET last_error = $1, attempts = $2, locked_until = $3 WHERE id = $4"
    )
    .bind(error)
    .bind(attempt)
    .bind(retry_at)
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Gives up on an event that failed too often: it stays stored with its error, unprocessed
/// events no longer include it.
pub async fn abandon_inbound(db: &Db, id: i64, now: i64, error: &str) -> Result<(), StoreError> {
    let db = &db.inbound_log();
    db_write!(db, pool => sqlx::query(
        "UPDATE inbound_events SET processed_at = $1, last_error = $2 WHERE id = $3 AND processed_at IS NULL"
    )
    .bind(now)
    .bind(error)
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// SQLite: marks events processed in the inbound log once their effects (and their record in
/// `inbound_applied`) are committed in the main file. Until then, or when this fails, the event
/// is simply read again and skipped as already applied. PostgreSQL: done in the transaction.
pub async fn log_applied(db: &Db, ids: &[i64], now: i64) -> Result<(), StoreError> {
    let Db::Sqlite(log) = db.inbound_log() else { return Ok(()) };
    for chunk in ids.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE inbound_events SET processed_at = ?, last_error = NULL WHERE id IN ({}) AND processed_at IS NULL",
            crate::db::param_list(chunk.len(), crate::db::Placeholders::Anonymous)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for id in chunk {
            q = q.bind(id);
        }
        q.execute(&log.write).await?;
    }
    Ok(())
}

/// Counts of the inbound log (tests, metrics, the bench).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboundCounts {
    pub total: i64,
    pub unprocessed: i64,
}

pub async fn inbound_counts(db: &Db) -> Result<InboundCounts, StoreError> {
    let db = &db.inbound_log();
    let (total, unprocessed): (i64, i64) = db_read!(db, pool => sqlx::query_as(
        "SELECT COUNT(*), COUNT(*) - COUNT(processed_at) FROM inbound_events"
    )
    .fetch_one(pool)
    .await)?;
    Ok(InboundCounts { total, unprocessed })
}

/// A conversation as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    #[sqlx(try_from = "i64")]
    pub id: ConversationId,
    #[sqlx(try_from = "i64")]
    pub unit_id: UnitId,
    #[sqlx(try_from = "i64")]
    pub contact_id: ContactId,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub urgent: bool,
    pub bot_memory: String,
    pub last_citizen_message_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A stored message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    #[sqlx(try_from = "i64")]
    pub id: MessageId,
    #[sqlx(try_from = "i64")]
    pub conversation_id: ConversationId,
    #[sqlx(try_from = "String")]
    pub direction: Direction,
    #[sqlx(try_from = "String")]
    pub author: Author,
    pub officer_id: Option<i64>,
    /// The officer who wrote it, for officers' messages written in the console.
    pub officer_name: Option<String>,
    pub kind: String,
    pub text: String,
    /// The stored file of a photo, video or document (see `media::resolve`).
    pub media_ref: Option<String>,
    pub media_url: Option<String>,
    pub channel_message_id: Option<String>,
    pub created_at: i64,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub conversation_id: ConversationId,
    pub direction: Direction,
    pub author: Author,
    pub officer_id: Option<i64>,
    /// `text`, `image`, `video`, `file`, `location`, `sticker`, `follow`, …
    pub kind: &'a str,
    pub text: &'a str,
    pub media_ref: Option<&'a str>,
    pub media_url: Option<&'a str>,
    pub channel_message_id: Option<&'a str>,
    pub created_at: i64,
}

const CONVERSATION_COLUMNS: &str = "id, unit_id, contact_id, channel, status, assignee_id, urgent, bot_memory, \
     last_citizen_message_at, created_at, updated_at";

/// The open conversation of a Zalo user with an OA, if any (tests and the bench).
pub async fn open_conversation_of(
    db: &Db,
    channel: &str,
    account: &str,
    external_id: &str,
) -> Result<Option<ConversationRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT c.id, c.unit_id, c.contact_id, c.channel, c.status, c.assignee_id, c.urgent, c.bot_memory, \
         c.last_citizen_message_at, c.created_at, c.updated_at FROM conversations c \
         JOIN contacts k ON k.id = c.contact_id \
         WHERE k.channel = $1 AND k.channel_account = $2 AND k.external_id = $3 AND c.status <> 'closed' \
         ORDER BY c.id DESC LIMIT 1"
    )
    .bind(channel)
    .bind(account)
    .bind(external_id)
    .fetch_optional(pool)
    .await)?)
}

/// Who wrote, as `contacts` keys them: Zalo (OA id, user id), web chat (unit code, session id);
/// also the contact `upsert_contacts` creates or refreshes.
#[derive(Debug, Clone, Copy)]
pub struct CitizenRef<'a> {
    pub unit_id: i64,
    /// Also the outbox channel of the replies.
    pub channel: Channel,
    pub account: &'a str,
    pub external_id: &'a str,
    pub interaction_at: Option<i64>,
}

impl CitizenRef<'_> {
    pub fn key(&self) -> ContactKey {
        (self.channel.as_str().to_string(), self.account.to_string(), self.external_id.to_string())
    }
}

/// How a contact is keyed: (channel, channel account, external id).
pub type ContactKey = (String, String, String);

/// A conversation to open with the bot.
#[derive(Debug, Clone, Copy)]
pub struct NewConversation {
    pub unit_id: i64,
    pub contact_id: ContactId,
    pub channel: Channel,
}

/// The buttons of one reply (on channels that show them) and the entry it asks feedback on.
#[derive(Debug, Clone, Copy)]
pub struct ReplyButtons<'a> {
    pub message_id: MessageId,
    pub buttons: &'a [Button],
    pub feedback_for: Option<&'a str>,
}

/// A conversation's state after a turn (see `update_conversations`).
#[derive(Debug, Clone)]
pub struct ConversationUpdate<'a> {
    pub id: ConversationId,
    pub status: Status,
    pub urgent: bool,
    pub bot_memory: &'a str,
    pub last_citizen_message_at: Option<i64>,
}

/// A comma-separated list of integers, written into a statement (ids are never text, so this
/// cannot carry SQL).
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Stores events in one statement, each unless one with the same dedupe key exists (also
/// earlier in `events`), for the webhook's group commit: one statement, atomic by itself, on
/// the ingest pool `db` (no transaction round trips). `Some(id)` for each new one.
pub async fn insert_inbound_many(db: &Db, events: &[NewInbound<'_>]) -> Result<Vec<Option<i64>>, StoreError> {
    let style = db.placeholders();
    db_write!(db, conn => {
        let mut stored = vec![None; events.len()];
        for chunk in (0..events.len()).collect::<Vec<_>>().chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!("{INSERT_INBOUND_HEAD} {} {INSERT_INBOUND_TAIL}", values_list(chunk.len(), 8, style));
            let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
            for &i in chunk {
                let e = &events[i];
                q = q
                    .bind(e.channel)
                    .bind(e.oa_id)
                    .bind(e.unit_id)
                    .bind(e.event_name)
                    .bind(e.dedupe_key)
                    .bind(e.raw_body)
                    .bind(e.received_at)
                    .bind(e.processed_at);
            }
            for (id, key) in q.fetch_all(conn).await? {
                // A key twice in one group: the first delivery is the stored one.
                if let Some(&i) = chunk.iter().find(|&&i| events[i].dedupe_key == key && stored[i].is_none()) {
                    stored[i] = Some(id);
                }
            }
        }
        Ok(stored)
    })
}

/// Records that the events' effects are committed (with them, in the same transaction) and
/// returns those this call recorded: an event already applied is not among them (then do
/// nothing for it). PostgreSQL marks the events themselves processed, which also row-locks
/// them until the transaction ends; SQLite, whose inbound log is a file of its own, records
/// them in `inbound_applied` and the log follows after the commit ([`log_applied`]).
pub async fn mark_processed(tx: &mut Tx, ids: &[i64], now: i64) -> Result<std::collections::HashSet<i64>, StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let mut marked = std::collections::HashSet::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_ROWS_PER_STATEMENT) {
            let (sql, binds) = match style {
                crate::db::Placeholders::Anonymous => (
                    format!(
                        "INSERT INTO inbound_applied (event_id, applied_at) VALUES {} \
                         ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                        values_list(chunk.len(), 2, style)
                    ),
                    chunk.iter().flat_map(|&id| [id, now]).collect::<Vec<i64>>(),
                ),
                crate::db::Placeholders::Numbered => (
                    format!(
                        "UPDATE inbound_events SET processed_at = $1, last_error = NULL \
                         WHERE id IN ({}) AND processed_at IS NULL RETURNING id",
                        id_list(chunk)
                    ),
                    vec![now],
                ),
            };
            let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
            for b in binds {
                q = q.bind(b);
            }
            marked.extend(q.persistent(style == crate::db::Placeholders::Anonymous).fetch_all(&mut *conn).await?);
        }
        Ok(marked)
    })
}

/// Creates or refreshes a contact and returns its id. The upsert row-locks the contact on
/// PostgreSQL, which serializes concurrent events of one citizen until commit.
pub async fn upsert_contact(tx: &mut Tx, c: &CitizenRef<'_>, now: i64) -> Result<ContactId, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_scalar::<_, i64>(
            "INSERT INTO contacts (unit_id, channel, channel_account, external_id, last_interaction_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (channel, channel_account, external_id) DO UPDATE SET \
             unit_id = excluded.unit_id, \
             last_interaction_at = COALESCE(excluded.last_interaction_at, contacts.last_interaction_at), \
             updated_at = excluded.updated_at \
             RETURNING id",
        )
        .bind(c.unit_id)
        .bind(c.channel.as_str())
        .bind(c.account)
        .bind(c.external_id)
        .bind(c.interaction_at)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map(ContactId)?)
    })
}

/// The contact's conversation that is not closed, if any.
pub async fn open_conversation(tx: &mut Tx, contact_id: ContactId) -> Result<Option<ConversationRow>, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE contact_id = $1 AND status <> 'closed' \
             ORDER BY id DESC LIMIT 1"
        )))
        .bind(contact_id.0)
        .fetch_optional(&mut *conn)
        .await?)
    })
}

/// Opens a new conversation with the bot.
pub async fn insert_conversation(tx: &mut Tx, c: &NewConversation, now: i64) -> Result<ConversationRow, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO conversations (unit_id, contact_id, channel, status, urgent, bot_memory, created_at, updated_at) \
             VALUES ($1, $2, $3, 'bot', $4, '{{}}', $5, $5) RETURNING {CONVERSATION_COLUMNS}"
        )))
        .bind(c.unit_id)
        .bind(c.contact_id.0)
        .bind(c.channel.as_str())
        .bind(false)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?)
    })
}

/// Stores a message and returns its id.
pub async fn insert_message(tx: &mut Tx, m: &NewMessage<'_>) -> Result<MessageId, StoreError> {
    insert_messages(tx, std::slice::from_ref(m)).await?.get(&m.conversation_id).copied().ok_or(StoreError::NotFound)
}

/// Creates or refreshes contacts (each key at most once) in one statement per 256; their ids
/// by key. Row-locks them on PostgreSQL like [`upsert_contact`].
pub async fn upsert_contacts(
    tx: &mut Tx,
    contacts: &[CitizenRef<'_>],
    now: i64,
) -> Result<HashMap<ContactKey, ContactId>, StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        let mut ids = HashMap::with_capacity(contacts.len());
        for chunk in contacts.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO contacts (unit_id, channel, channel_account, external_id, last_interaction_at, created_at, \
                 updated_at) VALUES {} ON CONFLICT (channel, channel_account, external_id) DO UPDATE SET \
                 unit_id = excluded.unit_id, \
                 last_interaction_at = COALESCE(excluded.last_interaction_at, contacts.last_interaction_at), \
                 updated_at = excluded.updated_at \
                 RETURNING id, channel, channel_account, external_id",
                values_list(chunk.len(), 7, style)
            );
            let mut q = sqlx::query_as::<_, (i64, String, String, String)>(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q.bind(c.unit_id).bind(c.channel.as_str()).bind(c.account).bind(c.external_id).bind(c.interaction_at).bind(now).bind(now);
            }
            for (id, channel, account, external) in q.persistent(true).fetch_all(&mut *conn).await? {
                ids.insert((channel, account, external), ContactId(id));
            }
        }
        Ok(ids)
    })
}

/// The conversation of each contact that has one not closed, or closed after `closed_after`
/// (the newest), by contact id.
pub async fn open_conversations(
    tx: &mut Tx,
    contact_ids: &[ContactId],
    closed_after: i64,
) -> Result<HashMap<ContactId, ConversationRow>, StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        let mut open = HashMap::with_capacity(contact_ids.len());
        if contact_ids.is_empty() {
            return Ok(open);
        }
        for chunk in contact_ids.chunks(MAX_ROWS_PER_STATEMENT) {
            let after = match style {
                crate::db::Placeholders::Anonymous => "?".to_string(),
                crate::db::Placeholders::Numbered => format!("${}", chunk.len() + 1),
            };
            let sql = format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE contact_id IN ({}) \
                 AND (status <> 'closed' OR closed_at > {after}) ORDER BY id DESC",
                crate::db::param_list(chunk.len(), style)
            );
            let mut q = sqlx::query_as::<_, ConversationRow>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            q = q.bind(closed_after);
            for row in q.persistent(true).fetch_all(&mut *conn).await? {
                open.entry(row.contact_id).or_insert(row);
            }
        }
        Ok(open)
    })
}

/// Opens new conversations with the bot, one per (unit, contact, channel) given (each
/// contact at most once); by contact id.
pub async fn insert_conversations(
    tx: &mut Tx,
    rows: &[NewConversation],
    now: i64,
) -> Result<HashMap<ContactId, ConversationRow>, StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        let mut out = HashMap::with_capacity(rows.len());
        for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO conversations (unit_id, contact_id, channel, status, urgent, bot_memory, created_at, \
                 updated_at) VALUES {} RETURNING {CONVERSATION_COLUMNS}",
                values_list(chunk.len(), 8, style)
            );
            let mut q = sqlx::query_as::<_, ConversationRow>(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q.bind(c.unit_id).bind(c.contact_id.0).bind(c.channel.as_str()).bind("bot").bind(false).bind("{}").bind(now).bind(now);
            }
            for row in q.persistent(true).fetch_all(&mut *conn).await? {
                out.insert(row.contact_id, row);
            }
        }
        Ok(out)
    })
}

/// Stores messages of distinct conversations in one statement per 256; their ids by
/// conversation id.
pub async fn insert_messages(
    tx: &mut Tx,
    rows: &[NewMessage<'_>],
) -> Result<HashMap<ConversationId, MessageId>, StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        let mut out = HashMap::with_capacity(rows.len());
        for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO messages (conversation_id, direction, author, officer_id, kind, text, media_ref, media_url, \
                 channel_message_id, created_at, text_folded) VALUES {} RETURNING id, conversation_id",
                values_list(chunk.len(), 11, style)
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
            for m in chunk {
                q = q
                    .bind(m.conversation_id.0)
                    .bind(m.direction.as_str())
                    .bind(m.author.as_str())
                    .bind(m.officer_id)
                    .bind(m.kind)
                    .bind(m.text)
                    .bind(m.media_ref)
                    .bind(m.media_url)
                    .bind(m.channel_message_id)
                    .bind(m.created_at)
                    .bind(caunoi_text::normalize::fold(m.text));
            }
            for (id, conversation) in q.persistent(true).fetch_all(&mut *conn).await? {
                out.insert(ConversationId(conversation), MessageId(id));
            }
        }
        Ok(out)
    })
}

/// Saves several conversations' states after their turns, in one statement per 256.
pub async fn update_conversations(tx: &mut Tx, rows: &[ConversationUpdate<'_>], now: i64) -> Result<(), StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "UPDATE conversations SET status = v.column2, urgent = v.column3, bot_memory = v.column4, \
                 last_citizen_message_at = COALESCE(v.column5, conversations.last_citizen_message_at), \
                 updated_at = v.column6, \
                 closed_at = CASE WHEN v.column2 = 'closed' THEN v.column6 ELSE conversations.closed_at END \
                 FROM (VALUES {}) AS v WHERE conversations.id = v.column1",
                values_list(chunk.len(), 6, style)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for u in chunk {
                q = q.bind(u.id.0).bind(u.status.as_str()).bind(u.urgent).bind(u.bot_memory).bind(u.last_citizen_message_at).bind(now);
            }
            q.persistent(true).execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// Stores the buttons of several replies in one statement per 256.
/// Sets the choices a typed number picks in a conversation's stored memory (a notice sent
/// outside a turn, on a channel without buttons).
pub async fn remember_menu(tx: &mut Tx, id: ConversationId, menu: &[String]) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        let stored: Option<(String,)> = sqlx::query_as("SELECT bot_memory FROM conversations WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
        let Some((stored,)) = stored else { return Ok(()) };
        let mut memory = StoredMemory::parse(&stored);
        memory.menu = menu.to_vec();
        sqlx::query("UPDATE conversations SET bot_memory = $1 WHERE id = $2")
            .bind(memory.to_json())
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

pub async fn insert_reply_buttons(tx: &mut Tx, rows: &[ReplyButtons<'_>]) -> Result<(), StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO reply_buttons (message_id, buttons, feedback_for) VALUES {}",
                values_list(chunk.len(), 3, style)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                let list: Vec<serde_json::Value> =
                    r.buttons.iter().map(|b| serde_json::json!({ "label": b.label, "payload": b.payload })).collect();
                q = q.bind(r.message_id.0).bind(serde_json::Value::Array(list).to_string()).bind(r.feedback_for);
            }
            q.persistent(true).execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// A message as the citizen's own chat shows it (the web chat's history).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    #[sqlx(try_from = "i64")]
    pub id: MessageId,
    #[sqlx(try_from = "String")]
    pub direction: Direction,
    #[sqlx(try_from = "String")]
    pub author: Author,
    pub kind: String,
    pub text: String,
    pub media_ref: Option<String>,
    pub created_at: i64,
    /// JSON list of `{label, payload}`.
    pub buttons: Option<String>,
    pub feedback_for: Option<String>,
    /// An outbound message whose outbox row is still queued (the chat waits for it; a dead
    /// letter does not hold the chat back). Filled in by the service from the outbox.
    #[sqlx(skip)]
    pub pending: bool,
}

/// Messages of every conversation of one contact with id above `after`, oldest first, at most
/// `limit`.
pub async fn contact_messages_after(
    db: &Db,
    contact: &ContactKey,
    after: i64,
    limit: i64,
) -> Result<Vec<HistoryRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT m.id, m.direction, m.author, m.kind, m.text, m.media_ref, m.created_at, \
         b.buttons, b.feedback_for \
         FROM messages m \
         JOIN conversations c ON c.id = m.conversation_id \
         JOIN contacts k ON k.id = c.contact_id \
         LEFT JOIN reply_buttons b ON b.message_id = m.id \
         WHERE k.channel = $1 AND k.channel_account = $2 AND k.external_id = $3 AND m.id > $4 \
         ORDER BY m.id LIMIT $5"
    )
    .bind(&contact.0)
    .bind(&contact.1)
    .bind(&contact.2)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// The status of one contact's newest conversation, if it has one.
pub async fn contact_status(db: &Db, contact: &ContactKey) -> Result<Option<Status>, StoreError> {
    let row: Option<(String,)> = db_read!(db, pool => sqlx::query_as(
        "SELECT c.status FROM conversations c JOIN contacts k ON k.id = c.contact_id \
         WHERE k.channel = $1 AND k.channel_account = $2 AND k.external_id = $3 ORDER BY c.id DESC LIMIT 1"
    )
    .bind(&contact.0)
    .bind(&contact.1)
    .bind(&contact.2)
    .fetch_optional(pool)
    .await)?;
    Ok(row.and_then(|(s,)| Status::parse(&s)))
}

/// The id of the `n`-th newest message of one contact (the start of a history window of `n`
/// messages), if it has that many.
pub async fn contact_nth_newest_message_id(db: &Db, contact: &ContactKey, n: i64) -> Result<Option<i64>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         JOIN contacts k ON k.id = c.contact_id \
         WHERE k.channel = $1 AND k.channel_account = $2 AND k.external_id = $3 \
         ORDER BY m.id DESC LIMIT 1 OFFSET $4"
    )
    .bind(&contact.0)
    .bind(&contact.1)
    .bind(&contact.2)
    .bind(n - 1)
    .fetch_optional(pool)
    .await)?)
}

/// A stored media message with who owns it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaRow {
    #[sqlx(try_from = "i64")]
    pub conversation_id: ConversationId,
    pub media_ref: String,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub channel_account: String,
    pub external_id: String,
}

/// The media of a message (none for messages without a stored file).
pub async fn media_of(db: &Db, message_id: i64) -> Result<Option<MediaRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT m.conversation_id, m.media_ref, k.channel, k.channel_account, k.external_id \
         FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         JOIN contacts k ON k.id = c.contact_id \
         WHERE m.id = $1 AND m.media_ref IS NOT NULL"
    )
    .bind(message_id)
    .fetch_optional(pool)
    .await)?)
}

// ---- What officers see: queues, one conversation, its thread, the live marks, and the
// conditional moves the inbox makes. Reads filter by the officer's scope (`in_scope!`). ----

/// One row of a queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    #[sqlx(try_from = "i64")]
    pub id: ConversationId,
    #[sqlx(try_from = "i64")]
    pub unit_id: UnitId,
    pub unit_name: String,
    pub unit_path: String,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub urgent: bool,
    #[sqlx(try_from = "i64")]
    pub contact_id: ContactId,
    pub contact_name: Option<String>,
    pub updated_at: i64,
    pub last_text: Option<String>,
    pub last_kind: Option<String>,
    pub last_at: Option<i64>,
    /// The first citizen message no officer has answered yet.
    pub waiting_since: Option<i64>,
}

/// The columns of a [`QueueRow`] (`c` the conversation, `u` its unit, `k` the contact, `a` the
/// assignee).
macro_rules! queue_columns {
    () => {
        "SELECT c.id, c.unit_id, u.name AS unit_name, u.path AS unit_path, c.channel, c.status, c.assignee_id, \
         a.display_name AS assignee_name, c.urgent, c.contact_id, k.display_name AS contact_name, c.updated_at, \
         (SELECT m.text FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1) AS last_text, \
         (SELECT m.kind FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1) AS last_kind, \
         (SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1) AS last_at, \
         (SELECT MIN(m.created_at) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in' \
            AND m.id > COALESCE((SELECT MAX(o.id) FROM messages o WHERE o.conversation_id = c.id \
            AND o.author = 'officer'), 0)) AS waiting_since"
    };
}

/// Which units a queue query covers (see `caunoi_core::inbox::UnitScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitMode {
    /// Every unit in the officer's scope.
    Scope = 0,
    /// Only the units the officer holds a grant on.
    GrantUnits = 1,
}

/// Open conversations of a queue: status among `statuses` (1 to 3), unit mode, optional
/// assignee. Always limited to the officer's scope. Urgent first, then most recent.
pub async fn queue(
    db: &Db,
    officer: OfficerId,
    statuses: &[&str],
    mode: UnitMode,
    assignee: Option<OfficerId>,
    limit: i64,
) -> Result<Vec<QueueRow>, StoreError> {
    let s = |i: usize| statuses.get(i).or(statuses.first()).copied().unwrap_or("");
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        queue_columns!(),
        " FROM conversations c JOIN units u ON u.id = c.unit_id JOIN contacts k ON k.id = c.contact_id \
         LEFT JOIN officers a ON a.id = c.assignee_id \
         WHERE c.status IN ($2, $3, $4) \
         AND ($5 = 0 OR c.unit_id IN (SELECT g.unit_id FROM role_grants g WHERE g.officer_id = $1)) \
         AND ($6 IS NULL OR c.assignee_id = $6) AND ", in_scope!(),
        " ORDER BY c.urgent DESC, c.updated_at DESC, c.id DESC LIMIT $7"
    ))
    .bind(officer.0)
    .bind(s(0))
    .bind(s(1))
    .bind(s(2))
    .bind(mode as i64)
    .bind(assignee.map(|a| a.0))
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// What the inbox's search and filters ask of a queue (see `caunoi_core::inbox::InboxFilter`).
/// Every field narrows; `None` and empty mean "any".
#[derive(Debug, Clone, Default)]
pub struct SearchQuery<'a> {
    /// Statuses (1 to 4).
    pub statuses: &'a [&'a str],
    pub mode: Option<UnitMode>,
    /// The tab's assignee ("Của tôi").
    pub assignee: Option<OfficerId>,
    /// 0 anyone, 1 the officer looking, 2 nobody.
    pub assigned: i64,
    pub channel: Option<&'a str>,
    /// A unit's path: it and its subtree.
    pub unit_path: Option<&'a str>,
    /// Urgent ones only.
    pub urgent_only: bool,
    /// A lowercased `LIKE` pattern (with `\` escapes) for the citizen's name or a message.
    pub pattern: Option<&'a str>,
    /// The same words folded to ASCII (`caunoi_text::normalize::fold`), as a `LIKE` pattern for
    /// the folded columns, so "nguyen van a" finds "Nguyễn Văn A" (`None`: nothing to fold).
    pub folded: Option<&'a str>,
    /// Conversation ids the search text names (a number, a report code's conversation).
    pub ids: [Option<i64>; 2],
}

/// The `FROM … WHERE` of a search (`$1` the officer, then the [`SearchQuery`] fields).
macro_rules! search_where {
    () => {
        concat!(
            " FROM conversations c JOIN units u ON u.id = c.unit_id JOIN contacts k ON k.id = c.contact_id \
             LEFT JOIN officers a ON a.id = c.assignee_id \
             WHERE c.status IN ($2, $3, $4, $5) \
             AND ($6 = 0 OR c.unit_id IN (SELECT g.unit_id FROM role_grants g WHERE g.officer_id = $1)) \
             AND ($7 IS NULL OR c.assignee_id = $7) \
             AND ($8 = 0 OR ($8 = 1 AND c.assignee_id = $1) OR ($8 = 2 AND c.assignee_id IS NULL)) \
             AND ($9 IS NULL OR c.channel = $9) \
             AND ($10 IS NULL OR u.path LIKE $10 || '%') \
             AND ($11 = 0 OR c.urgent = $12) \
             AND (($13 IS NULL AND $14 IS NULL AND $15 IS NULL) OR c.id = $14 OR c.id = $15 \
               OR lower(COALESCE(k.display_name, '')) LIKE $13 ESCAPE '\\' OR k.name_folded LIKE $16 \
               OR EXISTS (SELECT 1 FROM messages sm WHERE sm.conversation_id = c.id \
                          AND (lower(sm.text) LIKE $13 ESCAPE '\\' OR sm.text_folded LIKE $16))) \
             AND ",
            in_scope!()
        )
    };
}

/// Binds a [`SearchQuery`] after the officer (`$1`), in the order [`search_where!`] reads it.
macro_rules! bind_search {
    ($q:expr, $officer:expr, $s:expr) => {{
        let st = |i: usize| $s.statuses.get(i).or($s.statuses.first()).copied().unwrap_or("");
        $q.bind($officer.0)
            .bind(st(0))
            .bind(st(1))
            .bind(st(2))
            .bind(st(3))
            .bind($s.mode.unwrap_or(UnitMode::Scope) as i64)
            .bind($s.assignee.map(|a| a.0))
            .bind($s.assigned)
            .bind($s.channel)
            .bind($s.unit_path)
            .bind(i64::from($s.urgent_only))
            .bind(true)
            .bind($s.pattern)
            .bind($s.ids[0])
            .bind($s.ids[1])
            .bind($s.folded)
    }};
}

/// Conversations the inbox's search finds, within the officer's scope: urgent first, then the
/// most recently changed, at most `limit`.
pub async fn search(db: &Db, officer: OfficerId, s: &SearchQuery<'_>, limit: i64) -> Result<Vec<QueueRow>, StoreError> {
    Ok(db_read!(db, pool => bind_search!(sqlx::query_as(concat!(
        queue_columns!(),
        search_where!(),
        " ORDER BY c.urgent DESC, c.updated_at DESC, c.id DESC LIMIT $17"
    )), officer, s)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// How many conversations the search finds, counting no further than `cap`.
pub async fn search_count(db: &Db, officer: OfficerId, s: &SearchQuery<'_>, cap: i64) -> Result<i64, StoreError> {
    Ok(db_read!(db, pool => bind_search!(sqlx::query_scalar(concat!(
        "SELECT COUNT(*) FROM (SELECT c.id",
        search_where!(),
        " LIMIT $17) found"
    )), officer, s)
    .bind(cap)
    .fetch_one(pool)
    .await)?)
}

/// One conversation with what the page needs about its unit and contact.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationView {
    #[sqlx(try_from = "i64")]
    pub id: ConversationId,
    #[sqlx(try_from = "i64")]
    pub unit_id: UnitId,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_path: String,
    pub unit_hotline: Option<String>,
    pub unit_duty_phone: Option<String>,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub urgent: bool,
    #[sqlx(try_from = "i64")]
    pub contact_id: ContactId,
    pub contact_name: Option<String>,
    pub contact_account: String,
    pub contact_external_id: String,
    pub contact_last_interaction_at: Option<i64>,
    pub last_citizen_message_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

macro_rules! view_select {
    () => {
        "SELECT c.id, c.unit_id, u.code AS unit_code, u.name AS unit_name, u.path AS unit_path, \
         u.hotline AS unit_hotline, u.duty_phone AS unit_duty_phone, c.channel, c.status, c.assignee_id, \
         a.display_name AS assignee_name, c.urgent, c.contact_id, k.display_name AS contact_name, \
         k.channel_account AS contact_account, k.external_id AS contact_external_id, \
         k.last_interaction_at AS contact_last_interaction_at, c.last_citizen_message_at, c.created_at, c.updated_at \
         FROM conversations c JOIN units u ON u.id = c.unit_id JOIN contacts k ON k.id = c.contact_id \
         LEFT JOIN officers a ON a.id = c.assignee_id "
    };
}

/// One conversation, if it belongs to the officer's units.
pub async fn get_in_scope(db: &Db, officer: OfficerId, id: i64) -> Result<Option<ConversationView>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(view_select!(), "WHERE c.id = $2 AND ", in_scope!()))
        .bind(officer.0)
        .bind(id)
        .fetch_optional(pool)
        .await)?)
}

/// One conversation without scope, for system actions (assignment by the duty roster).
pub async fn get_any(db: &Db, id: i64) -> Result<Option<ConversationView>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(view_select!(), "WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await)?)
}

/// Earlier (and later) conversations of the same contact, within the officer's scope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OtherConversation {
    #[sqlx(try_from = "i64")]
    pub id: ConversationId,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub created_at: i64,
    pub unit_name: String,
}

pub async fn other_conversations(
    db: &Db,
    officer: OfficerId,
    contact: i64,
    except: i64,
) -> Result<Vec<OtherConversation>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT c.id, c.status, c.created_at, u.name AS unit_name FROM conversations c \
         JOIN units u ON u.id = c.unit_id WHERE c.contact_id = $2 AND c.id <> $3 AND ", in_scope!(),
        " ORDER BY c.id DESC LIMIT 20"
    ))
    .bind(officer.0)
    .bind(contact)
    .bind(except)
    .fetch_all(pool)
    .await)?)
}

/// The stored file of a message, if its conversation belongs to the officer's units.
pub async fn media_in_scope(db: &Db, officer: OfficerId, message: i64) -> Result<Option<String>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(concat!(
        "SELECT m.media_ref FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         JOIN units u ON u.id = c.unit_id WHERE m.id = $2 AND m.media_ref IS NOT NULL AND ", in_scope!()
    ))
    .bind(officer.0)
    .bind(message)
    .fetch_optional(pool)
    .await)?)
}

/// Open conversations assigned to each of `officers` (the load the roster balances).
pub async fn open_load(db: &Db) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT assignee_id, COUNT(*) FROM conversations WHERE status = 'assigned' AND assignee_id IS NOT NULL \
         GROUP BY assignee_id"
    )
    .fetch_all(pool)
    .await)?)
}

/// How long citizens waited for the first officer reply in the unit's conversations opened
/// since `since` (the newest 100 with one), in microseconds: from the citizen's last message
/// before that reply.
pub async fn first_reply_waits(db: &Db, unit: UnitId, since: i64) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(Option<i64>,)> = db_read!(db, pool => sqlx::query_as(
        "SELECT f.first_officer - (SELECT MAX(m2.created_at) FROM messages m2 WHERE m2.conversation_id = f.id \
         AND m2.direction = 'in' AND m2.created_at <= f.first_officer) \
         FROM (SELECT c.id, (SELECT MIN(m.created_at) FROM messages m WHERE m.conversation_id = c.id \
               AND m.author = 'officer') AS first_officer \
               FROM conversations c WHERE c.unit_id = $1 AND c.created_at > $2 ORDER BY c.id DESC LIMIT 400) f \
         WHERE f.first_officer IS NOT NULL LIMIT 100"
    )
    .bind(unit.0)
    .bind(since)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().filter_map(|(w,)| w).collect())
}

/// What the live updates compare: the newest change, the number of open conversations and of
/// urgent ones waiting for an officer and the newest conversation, all within the officer's scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Fingerprint {
    pub max_updated_at: i64,
    pub open: i64,
    pub urgent_waiting: i64,
    /// The newest conversation id (a new conversation may arrive with an old clock).
    pub max_conversation_id: i64,
    /// Urgent conversations that ring for this officer: waiting for an officer in the scope,
    /// or assigned to this officer.
    pub alarm_count: i64,
    /// The newest of them (0 without one): a new alarm raises it.
    pub alarm_max_id: i64,
}

pub async fn fingerprint(db: &Db, officer: OfficerId) -> Result<Fingerprint, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT COALESCE(MAX(c.updated_at), 0) AS max_updated_at, \
         COALESCE(SUM(CASE WHEN c.status <> 'closed' THEN 1 ELSE 0 END), 0) AS open, \
         COALESCE(SUM(CASE WHEN c.urgent AND c.status = 'waiting_human' THEN 1 ELSE 0 END), 0) AS urgent_waiting, \
         COALESCE(MAX(c.id), 0) AS max_conversation_id, \
         COALESCE(SUM(CASE WHEN c.urgent AND (c.status = 'waiting_human' OR (c.status = 'assigned' AND c.assignee_id = $1)) \
           THEN 1 ELSE 0 END), 0) AS alarm_count, \
         COALESCE(MAX(CASE WHEN c.urgent AND (c.status = 'waiting_human' OR (c.status = 'assigned' AND c.assignee_id = $1)) \
           THEN c.id END), 0) AS alarm_max_id \
         FROM conversations c JOIN units u ON u.id = c.unit_id WHERE ", in_scope!()
    ))
    .bind(officer.0)
    .fetch_one(pool)
    .await)?)
}

/// The newest update time and message id of one conversation (live updates of an open page).
pub async fn conversation_mark(db: &Db, officer: OfficerId, id: i64) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT c.updated_at, COALESCE((SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = c.id), 0) \
         FROM conversations c JOIN units u ON u.id = c.unit_id WHERE c.id = $2 AND ", in_scope!()
    ))
    .bind(officer.0)
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// The state a conditional update expects to find.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub status: &'a str,
    pub unit: UnitId,
    pub assignee: Option<OfficerId>,
}

/// Moves a conversation if it is still in the `expected` state; false when someone else
/// changed it first.
pub async fn move_conversation(
    tx: &mut Tx,
    id: i64,
    expected: Expected<'_>,
    next: &ConversationState,
    now: i64,
) -> Result<bool, StoreError> {
    crate::db_conn!(tx, conn => {
        let r = sqlx::query(
            "UPDATE conversations SET status = $1, unit_id = $2, assignee_id = $3, urgent = $4, updated_at = $5, \
             closed_at = CASE WHEN $1 = 'closed' THEN $5 ELSE closed_at END \
             WHERE id = $6 AND status = $7 AND unit_id = $8 AND COALESCE(assignee_id, 0) = $9",
        )
        .bind(next.status.as_str())
        .bind(next.unit_id.0)
        .bind(next.assignee.map(|a| a.0))
        .bind(next.urgent)
        .bind(now)
        .bind(id)
        .bind(expected.status)
        .bind(expected.unit.0)
        .bind(expected.assignee.map(|a| a.0).unwrap_or(0))
        .execute(&mut *conn)
        .await?;
        Ok(r.rows_affected() == 1)
    })
}

/// Marks the conversation as changed (a reply or a note) so live views refresh.
pub async fn touch_conversation(tx: &mut Tx, id: i64, now: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

/// The messages of a conversation, oldest first, with the name of the officer who wrote each
/// (callers check scope on the conversation).
pub async fn messages(db: &Db, conversation: ConversationId) -> Result<Vec<MessageRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT m.id, m.conversation_id, m.direction, m.author, m.officer_id, o.display_name AS officer_name, \
         m.kind, m.text, m.media_ref, m.media_url, m.channel_message_id, m.created_at \
         FROM messages m LEFT JOIN officers o ON o.id = m.officer_id WHERE m.conversation_id = $1 ORDER BY m.id"
    )
    .bind(conversation.0)
    .fetch_all(pool)
    .await)?)
}

/// Stamps channel message ids on delivered messages: (message id, the channel's id).
pub async fn set_channel_message_ids(tx: &mut Tx, stamps: &[(i64, &str)]) -> Result<(), StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        for chunk in stamps.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "UPDATE messages SET channel_message_id = v.column2 FROM (VALUES {}) AS v WHERE messages.id = v.column1",
                values_list(chunk.len(), 2, style)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (message_id, channel_id) in chunk {
                q = q.bind(message_id).bind(*channel_id);
            }
            q.persistent(true).execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// Media references of citizens' messages (photos, videos, files they sent) every message of
/// which lies in a conversation closed before `closed_before`, at most `limit`: what a
/// retention period may remove. A file is content-addressed, so one reference can back
/// several messages; one still used by an open or a later-closed conversation is not listed.
pub async fn citizen_media_closed_before(db: &Db, closed_before: i64, limit: i64) -> Result<Vec<String>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT DISTINCT m.media_ref FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE m.media_ref IS NOT NULL AND m.author = 'citizen' \
           AND c.status = 'closed' AND c.closed_at < $1 \
           AND NOT EXISTS (SELECT 1 FROM messages m2 JOIN conversations c2 ON c2.id = m2.conversation_id \
                           WHERE m2.media_ref = m.media_ref \
                             AND NOT (c2.status = 'closed' AND COALESCE(c2.closed_at, $1) < $1)) \
         LIMIT $2"
    )
    .bind(closed_before)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// Takes `media_ref` off every message that has it, if all of them still lie in conversations
/// closed before `closed_before` (one statement, so a conversation reopened meanwhile keeps
/// its file); how many messages lost it.
pub async fn forget_media_closed_before(db: &Db, media_ref: &str, closed_before: i64) -> Result<u64, StoreError> {
    Ok(db_write!(db, pool => sqlx::query(
        "UPDATE messages SET media_ref = NULL WHERE media_ref = $2 \
           AND NOT EXISTS (SELECT 1 FROM messages m2 JOIN conversations c2 ON c2.id = m2.conversation_id \
                           WHERE m2.media_ref = $2 \
                             AND NOT (c2.status = 'closed' AND COALESCE(c2.closed_at, $1) < $1))"
    )
    .bind(closed_before)
    .bind(media_ref)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?)
}

/// Whether any message refers to `media_ref`.
pub async fn media_in_use(db: &Db, media_ref: &str) -> Result<bool, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE media_ref = $1 LIMIT 1) AS used"
    )
    .bind(media_ref)
    .fetch_one(pool)
    .await)?
        > 0)
}

// ----- the chat's report flow (case_flow) ------------------------------------------------------

/// A contact's display name (the name a Zalo user shared), read in the turn's transaction.
pub async fn contact_name_in(tx: &mut Tx, contact: ContactId) -> Result<Option<String>, StoreError> {
    let name: Option<Option<String>> = crate::db_conn!(tx, conn => sqlx::query_scalar(
        "SELECT display_name FROM contacts WHERE id = $1",
    )
    .bind(contact.0)
    .fetch_optional(&mut *conn)
    .await)?;
    Ok(name.flatten())
}

/// The contact a conversation belongs to, read in the turn's transaction.
pub async fn contact_of_conversation_in(tx: &mut Tx, id: ConversationId) -> Result<Option<ContactId>, StoreError> {
    let contact: Option<i64> = crate::db_conn!(tx, conn => sqlx::query_scalar(
        "SELECT contact_id FROM conversations WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await)?;
    Ok(contact.map(ContactId))
}

/// Folds up to `batch` messages and contact names written before the folded columns existed
/// (migration 0022), in one transaction; how many rows it folded (0: nothing is left).
pub async fn fold_backlog(db: &Db, batch: i64) -> Result<usize, StoreError> {
    let messages: Vec<(i64, String)> = db_read!(db, pool => sqlx::query_as(
        "SELECT id, text FROM messages WHERE text_folded IS NULL ORDER BY id LIMIT $1"
    )
    .bind(batch)
    .fetch_all(pool)
    .await)?;
    let names: Vec<(i64, String)> = db_read!(db, pool => sqlx::query_as(
        "SELECT id, display_name FROM contacts WHERE name_folded IS NULL AND display_name IS NOT NULL ORDER BY id LIMIT $1"
    )
    .bind(batch)
    .fetch_all(pool)
    .await)?;
    if messages.is_empty() && names.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    crate::db_conn!(&mut tx, conn => {
        for (id, text) in &messages {
            sqlx::query("UPDATE messages SET text_folded = $1 WHERE id = $2")
                .bind(caunoi_text::normalize::fold(text))
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        for (id, name) in &names {
            sqlx::query("UPDATE contacts SET name_folded = $1 WHERE id = $2")
                .bind(caunoi_text::normalize::fold(name))
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Ok::<(), StoreError>(())
    })?;
    tx.commit().await?;
    Ok(messages.len() + names.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_lists_number_parameters_row_by_row() {
        use crate::db::Placeholders::{Anonymous, Numbered};
        assert_eq!(values_list(1, 2, Numbered), "($1, $2)");
        assert_eq!(values_list(3, 2, Numbered), "($1, $2), ($3, $4), ($5, $6)");
        assert_eq!(values_list(2, 3, Anonymous), "(?, ?, ?), (?, ?, ?)");
        assert_eq!(id_list(&[3, 1, 2]), "3,1,2");
    }
}
