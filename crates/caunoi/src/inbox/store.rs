//! Inbox queries: queues, one conversation with its contact and unit, the thread (messages and
//! internal notes), the event timeline, canned replies, duty shifts and the change fingerprint
//! the live updates poll. SQL only; the rules live in `service.rs` and `caunoi_core::inbox`.
//!
//! Every read an officer makes takes the officer id as `$1` and filters the conversation's unit
//! with [`in_scope!`]. Writes that move a conversation are conditional on the state that was
//! read (optimistic concurrency), so two officers acting at once cannot both win.

use crate::db::{Db, StoreError, Tx};
use crate::{db_read, in_scope};
use caunoi_core::inbox::ConversationState;
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;

/// One row of a queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_path: String,
    pub channel: String,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub urgent: bool,
    pub contact_id: i64,
    pub contact_name: Option<String>,
    pub updated_at: i64,
    pub last_text: Option<String>,
    pub last_kind: Option<String>,
    pub last_at: Option<i64>,
    /// The first citizen message no officer has answered yet.
    pub waiting_since: Option<i64>,
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
        "SELECT c.id, c.unit_id, u.name AS unit_name, u.path AS unit_path, c.channel, c.status, c.assignee_id, \
         a.display_name AS assignee_name, c.urgent, c.contact_id, k.display_name AS contact_name, c.updated_at, \
         (SELECT m.text FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1) AS last_text, \
         (SELECT m.kind FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1) AS last_kind, \
         (SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1) AS last_at, \
         (SELECT MIN(m.created_at) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in' \
            AND m.id > COALESCE((SELECT MAX(o.id) FROM messages o WHERE o.conversation_id = c.id \
            AND o.author = 'officer'), 0)) AS waiting_since \
         FROM conversations c JOIN units u ON u.id = c.unit_id JOIN contacts k ON k.id = c.contact_id \
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

/// One conversation with what the page needs about its unit and contact.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_path: String,
    pub unit_hotline: Option<String>,
    pub unit_duty_phone: Option<String>,
    pub channel: String,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub urgent: bool,
    pub contact_id: i64,
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
    pub id: i64,
    pub status: String,
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

/// A message of the thread with its officer's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThreadMessage {
    pub id: i64,
    pub direction: String,
    pub author: String,
    pub officer_name: Option<String>,
    pub kind: String,
    pub text: String,
    /// The stored file of a photo, video or document (see `inbox::media::resolve`).
    pub media_ref: Option<String>,
    pub created_at: i64,
}

/// The messages of a conversation, oldest first (callers check scope on the conversation).
pub async fn messages(db: &Db, conversation: i64) -> Result<Vec<ThreadMessage>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT m.id, m.direction, m.author, o.display_name AS officer_name, m.kind, m.text, m.media_ref, \
         m.created_at FROM messages m LEFT JOIN officers o ON o.id = m.officer_id WHERE m.conversation_id = $1 \
         ORDER BY m.id"
    )
    .bind(conversation)
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

/// An internal note.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: i64,
    pub officer_name: String,
    pub text: String,
    pub created_at: i64,
}

pub async fn notes(db: &Db, conversation: i64) -> Result<Vec<NoteRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT n.id, o.display_name AS officer_name, n.text, n.created_at FROM conversation_notes n \
         JOIN officers o ON o.id = n.officer_id WHERE n.conversation_id = $1 ORDER BY n.id"
    )
    .bind(conversation)
    .fetch_all(pool)
    .await)?)
}

/// One line of the conversation's timeline.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub at: i64,
    pub action: String,
    pub officer_name: Option<String>,
    pub from_status: String,
    pub to_status: String,
    pub from_unit: String,
    pub to_unit: String,
    pub assignee_name: Option<String>,
    pub reason: String,
}

pub async fn events(db: &Db, conversation: i64) -> Result<Vec<EventRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT e.at, e.action, o.display_name AS officer_name, e.from_status, e.to_status, \
         fu.name AS from_unit, tu.name AS to_unit, a.display_name AS assignee_name, e.reason \
         FROM conversation_events e JOIN units fu ON fu.id = e.from_unit_id JOIN units tu ON tu.id = e.to_unit_id \
         LEFT JOIN officers o ON o.id = e.officer_id LEFT JOIN officers a ON a.id = e.assignee_id \
         WHERE e.conversation_id = $1 ORDER BY e.id DESC"
    )
    .bind(conversation)
    .fetch_all(pool)
    .await)?)
}

/// An officer who can work a unit's conversations: a grant other than analyst on the unit or
/// above it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Colleague {
    pub id: i64,
    pub display_name: String,
}

pub async fn officers_for_unit(db: &Db, unit_path: &str) -> Result<Vec<Colleague>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT DISTINCT o.id, o.display_name FROM officers o JOIN role_grants g ON g.officer_id = o.id \
         JOIN units gu ON gu.id = g.unit_id WHERE $1 LIKE gu.path || '%' AND g.role <> 'analyst' \
         AND o.disabled = $2 ORDER BY o.display_name"
    )
    .bind(unit_path)
    .bind(false)
    .fetch_all(pool)
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

/// A stored duty shift with names for the roster page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShiftRow {
    pub id: i64,
    pub unit_id: i64,
    pub officer_id: i64,
    pub officer_name: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// Shifts of a unit that end after `from`, earliest first.
pub async fn shifts(db: &Db, unit: UnitId, from: i64) -> Result<Vec<ShiftRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT s.id, s.unit_id, s.officer_id, o.display_name AS officer_name, s.starts_at, s.ends_at \
         FROM duty_shifts s JOIN officers o ON o.id = s.officer_id WHERE s.unit_id = $1 AND s.ends_at > $2 \
         ORDER BY s.starts_at, s.id"
    )
    .bind(unit.0)
    .bind(from)
    .fetch_all(pool)
    .await)?)
}

/// One shift with its unit's path, if the unit is in the officer's scope.
pub async fn shift_in_scope(db: &Db, officer: OfficerId, id: i64) -> Result<Option<(i64, String)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT s.id, u.path FROM duty_shifts s JOIN units u ON u.id = s.unit_id WHERE s.id = $2 AND ", in_scope!()
    ))
    .bind(officer.0)
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// A canned reply.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CannedRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub title: String,
    pub body: String,
}

/// Canned replies that apply to the unit at `unit_path`: its own and those of units above it.
pub async fn canned_for_path(db: &Db, unit_path: &str) -> Result<Vec<CannedRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT r.id, r.unit_id, u.name AS unit_name, r.title, r.body FROM canned_replies r \
         JOIN units u ON u.id = r.unit_id WHERE $1 LIKE u.path || '%' ORDER BY length(u.path) DESC, r.title, r.id"
    )
    .bind(unit_path)
    .fetch_all(pool)
    .await)?)
}

/// One canned reply with its unit's path, if the unit is in the officer's scope.
pub async fn canned_in_scope(db: &Db, officer: OfficerId, id: i64) -> Result<Option<(CannedRow, String)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct WithPath {
        #[sqlx(flatten)]
        row: CannedRow,
        unit_path: String,
    }
    let r: Option<WithPath> = db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT r.id, r.unit_id, u.name AS unit_name, r.title, r.body, u.path AS unit_path FROM canned_replies r \
         JOIN units u ON u.id = r.unit_id WHERE r.id = $2 AND ", in_scope!()
    ))
    .bind(officer.0)
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(r.map(|w| (w.row, w.unit_path)))
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
}

pub async fn fingerprint(db: &Db, officer: OfficerId) -> Result<Fingerprint, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT COALESCE(MAX(c.updated_at), 0) AS max_updated_at, \
         COALESCE(SUM(CASE WHEN c.status <> 'closed' THEN 1 ELSE 0 END), 0) AS open, \
         COALESCE(SUM(CASE WHEN c.urgent AND c.status = 'waiting_human' THEN 1 ELSE 0 END), 0) AS urgent_waiting, \
         COALESCE(MAX(c.id), 0) AS max_conversation_id \
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

/// A move of a conversation to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub conversation_id: i64,
    pub at: i64,
    pub officer_id: Option<OfficerId>,
    pub action: &'a str,
    pub from_status: &'a str,
    pub to_status: &'a str,
    pub from_unit: UnitId,
    pub to_unit: UnitId,
    pub assignee: Option<OfficerId>,
    pub reason: &'a str,
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

pub async fn insert_event(tx: &mut Tx, e: &NewEvent<'_>) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO conversation_events (conversation_id, at, officer_id, action, from_status, to_status, \
             from_unit_id, to_unit_id, assignee_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.conversation_id)
        .bind(e.at)
        .bind(e.officer_id.map(|o| o.0))
        .bind(e.action)
        .bind(e.from_status)
        .bind(e.to_status)
        .bind(e.from_unit.0)
        .bind(e.to_unit.0)
        .bind(e.assignee.map(|a| a.0))
        .bind(e.reason)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

pub async fn insert_note(
    tx: &mut Tx,
    conversation: i64,
    officer: OfficerId,
    text: &str,
    now: i64,
) -> Result<i64, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_scalar(
            "INSERT INTO conversation_notes (conversation_id, officer_id, text, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(conversation)
        .bind(officer.0)
        .bind(text)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?)
    })
}

pub async fn insert_canned(
    tx: &mut Tx,
    unit: UnitId,
    title: &str,
    body: &str,
    by: OfficerId,
    now: i64,
) -> Result<i64, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_scalar(
            "INSERT INTO canned_replies (unit_id, title, body, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(unit.0)
        .bind(title)
        .bind(body)
        .bind(by.0)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?)
    })
}

pub async fn delete_canned(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM canned_replies WHERE id = $1").bind(id).execute(&mut *conn).await?;
        Ok(())
    })
}

pub async fn insert_shift(
    tx: &mut Tx,
    unit: UnitId,
    officer: OfficerId,
    starts_at: i64,
    ends_at: i64,
    by: OfficerId,
    now: i64,
) -> Result<i64, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_scalar(
            "INSERT INTO duty_shifts (unit_id, officer_id, starts_at, ends_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(unit.0)
        .bind(officer.0)
        .bind(starts_at)
        .bind(ends_at)
        .bind(by.0)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?)
    })
}

pub async fn delete_shift(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM duty_shifts WHERE id = $1").bind(id).execute(&mut *conn).await?;
        Ok(())
    })
}
