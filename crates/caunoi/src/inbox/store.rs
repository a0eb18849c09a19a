//! Inbox queries: queues, one conversation with its contact and unit, the thread (messages and
//! internal notes), the event timeline, canned replies, duty shifts and the change fingerprint
//! the live updates poll. SQL only; the rules live in `service.rs` and `caunoi_core::inbox`.
//!
//! Every read an officer makes takes the officer id as `$1` and filters the conversation's unit
//! with [`in_scope!`]. Writes that move a conversation are conditional on the state that was
//! read (optimistic concurrency), so two officers acting at once cannot both win.

use crate::db::{Db, StoreError, Tx};
use crate::{db_read, in_scope};
use caunoi_core::conversations::ConversationId;
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;

/// An internal note.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: i64,
    pub officer_name: String,
    pub text: String,
    pub created_at: i64,
}

pub async fn notes(db: &Db, conversation: ConversationId) -> Result<Vec<NoteRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT n.id, o.display_name AS officer_name, n.text, n.created_at FROM conversation_notes n \
         JOIN officers o ON o.id = n.officer_id WHERE n.conversation_id = $1 ORDER BY n.id"
    )
    .bind(conversation.0)
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

pub async fn events(db: &Db, conversation: ConversationId) -> Result<Vec<EventRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT e.at, e.action, o.display_name AS officer_name, e.from_status, e.to_status, \
         fu.name AS from_unit, tu.name AS to_unit, a.display_name AS assignee_name, e.reason \
         FROM conversation_events e JOIN units fu ON fu.id = e.from_unit_id JOIN units tu ON tu.id = e.to_unit_id \
         LEFT JOIN officers o ON o.id = e.officer_id LEFT JOIN officers a ON a.id = e.assignee_id \
         WHERE e.conversation_id = $1 ORDER BY e.id DESC"
    )
    .bind(conversation.0)
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
    /// The recurring planning it belongs to, if any.
    pub series_id: Option<i64>,
}

/// Shifts of a unit that end after `from` and start before `to`, earliest first.
pub async fn shifts(db: &Db, unit: UnitId, from: i64, to: i64) -> Result<Vec<ShiftRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT s.id, s.unit_id, s.officer_id, o.display_name AS officer_name, s.starts_at, s.ends_at, s.series_id \
         FROM duty_shifts s JOIN officers o ON o.id = s.officer_id \
         WHERE s.unit_id = $1 AND s.ends_at > $2 AND s.starts_at < $3 ORDER BY s.starts_at, s.id"
    )
    .bind(unit.0)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await)?)
}

/// How many shifts of a unit start at or after `from`.
pub async fn shifts_from(db: &Db, unit: UnitId, from: i64) -> Result<i64, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM duty_shifts WHERE unit_id = $1 AND starts_at >= $2"
    )
    .bind(unit.0)
    .bind(from)
    .fetch_one(pool)
    .await)?)
}

/// The officer's shifts at the unit that share a moment with `[from, to)`: (starts, ends).
pub async fn officer_shifts_between(
    db: &Db,
    unit: UnitId,
    officer: OfficerId,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT starts_at, ends_at FROM duty_shifts \
         WHERE unit_id = $1 AND officer_id = $2 AND ends_at > $3 AND starts_at < $4 ORDER BY starts_at"
    )
    .bind(unit.0)
    .bind(officer.0)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await)?)
}

/// A recurring planning with names and how many of its shifts are still to come.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeriesRow {
    pub id: i64,
    pub officer_name: String,
    pub weekdays: i64,
    pub starts_time: String,
    pub ends_time: String,
    pub first_date: String,
    pub until_date: String,
    /// Its shifts that have not ended at the time asked.
    pub remaining: i64,
}

/// The unit's recurring plannings that still have a shift not ended at `now`.
pub async fn series(db: &Db, unit: UnitId, now: i64) -> Result<Vec<SeriesRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT r.id, o.display_name AS officer_name, r.weekdays, r.starts_time, r.ends_time, r.first_date, \
         r.until_date, COUNT(s.id) AS remaining FROM duty_series r JOIN officers o ON o.id = r.officer_id \
         JOIN duty_shifts s ON s.series_id = r.id AND s.ends_at > $2 WHERE r.unit_id = $1 \
         GROUP BY r.id, o.display_name, r.weekdays, r.starts_time, r.ends_time, r.first_date, r.until_date \
         ORDER BY r.first_date, r.id"
    )
    .bind(unit.0)
    .bind(now)
    .fetch_all(pool)
    .await)?)
}

/// A recurring planning to store.
pub struct NewSeries<'a> {
    pub unit: UnitId,
    pub officer: OfficerId,
    pub weekdays: i64,
    pub starts_time: &'a str,
    pub ends_time: &'a str,
    pub first_date: &'a str,
    pub until_date: &'a str,
    pub by: OfficerId,
    pub now: i64,
}

pub async fn insert_series(tx: &mut Tx, r: &NewSeries<'_>) -> Result<i64, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_scalar(
            "INSERT INTO duty_series (unit_id, officer_id, weekdays, starts_time, ends_time, first_date, until_date, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(r.unit.0)
        .bind(r.officer.0)
        .bind(r.weekdays)
        .bind(r.starts_time)
        .bind(r.ends_time)
        .bind(r.first_date)
        .bind(r.until_date)
        .bind(r.by.0)
        .bind(r.now)
        .fetch_one(&mut *conn)
        .await?)
    })
}

/// One recurring planning with its unit's path and code, if the unit is in the officer's scope.
pub async fn series_in_scope(
    db: &Db,
    officer: OfficerId,
    id: i64,
) -> Result<Option<(i64, String, String)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT s.id, u.path, u.code FROM duty_series s JOIN units u ON u.id = s.unit_id WHERE s.id = $2 AND ", in_scope!()
    ))
    .bind(officer.0)
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// Ends a recurring planning: its shifts not ended at `now` are removed, those already worked
/// stay on the roster's history as single shifts. Returns how many were removed.
pub async fn end_series(tx: &mut Tx, id: i64, now: i64) -> Result<u64, StoreError> {
    crate::db_conn!(tx, conn => {
        let removed = sqlx::query("DELETE FROM duty_shifts WHERE series_id = $1 AND ends_at > $2")
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        sqlx::query("UPDATE duty_shifts SET series_id = NULL WHERE series_id = $1").bind(id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM duty_series WHERE id = $1").bind(id).execute(&mut *conn).await?;
        Ok(removed)
    })
}

// ---- Shift hand-over notes ----

/// A hand-over note as the inbox shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HandoverRow {
    pub id: i64,
    pub unit_name: String,
    pub author_name: String,
    pub text: String,
    pub created_at: i64,
}

pub async fn insert_handover(
    tx: &mut Tx,
    unit: UnitId,
    author: OfficerId,
    text: &str,
    now: i64,
) -> Result<i64, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_scalar(
            "INSERT INTO duty_handover_notes (unit_id, author_id, text, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(unit.0)
        .bind(author.0)
        .bind(text)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?)
    })
}

/// The notes written since `since` for the units where a shift of `officer` covers `now`, by
/// someone else, that the officer has not dismissed; newest first.
pub async fn handovers_for(db: &Db, officer: OfficerId, now: i64, since: i64) -> Result<Vec<HandoverRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT n.id, u.name AS unit_name, o.display_name AS author_name, n.text, n.created_at \
         FROM duty_handover_notes n JOIN units u ON u.id = n.unit_id JOIN officers o ON o.id = n.author_id \
         WHERE n.created_at >= $3 AND n.author_id <> $1 \
         AND EXISTS (SELECT 1 FROM duty_shifts s WHERE s.unit_id = n.unit_id AND s.officer_id = $1 \
                     AND s.starts_at <= $2 AND s.ends_at > $2) \
         AND NOT EXISTS (SELECT 1 FROM duty_handover_dismissals d WHERE d.note_id = n.id AND d.officer_id = $1) \
         ORDER BY n.created_at DESC, n.id DESC LIMIT 10"
    )
    .bind(officer.0)
    .bind(now)
    .bind(since)
    .fetch_all(pool)
    .await)?)
}

/// One note with its unit's id and code, if the unit is in the officer's scope.
pub async fn handover_in_scope(db: &Db, officer: OfficerId, id: i64) -> Result<Option<(i64, String)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT u.id, u.code FROM duty_handover_notes n JOIN units u ON u.id = n.unit_id WHERE n.id = $2 AND ",
        in_scope!()
    ))
    .bind(officer.0)
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// Records that the officer dismissed the note (once; false when already dismissed).
pub async fn dismiss_handover(tx: &mut Tx, note: i64, officer: OfficerId, now: i64) -> Result<bool, StoreError> {
    crate::db_conn!(tx, conn => {
        let done = sqlx::query(
            "INSERT INTO duty_handover_dismissals (note_id, officer_id, dismissed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (note_id, officer_id) DO NOTHING",
        )
        .bind(note)
        .bind(officer.0)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// The units the officer holds a role at directly (not the subtree below) where no duty shift
/// covers `at`: (code, name), by name.
pub async fn own_units_without_duty(db: &Db, officer: OfficerId, at: i64) -> Result<Vec<(String, String)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT DISTINCT u.code, u.name FROM units u JOIN role_grants g ON g.unit_id = u.id WHERE g.officer_id = $1 \
         AND NOT EXISTS (SELECT 1 FROM duty_shifts s WHERE s.unit_id = u.id AND s.starts_at <= $2 AND s.ends_at > $2) \
         ORDER BY u.name"
    )
    .bind(officer.0)
    .bind(at)
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

/// A move of a conversation to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub conversation_id: ConversationId,
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

pub async fn insert_event(tx: &mut Tx, e: &NewEvent<'_>) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO conversation_events (conversation_id, at, officer_id, action, from_status, to_status, \
             from_unit_id, to_unit_id, assignee_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.conversation_id.0)
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
    conversation: ConversationId,
    officer: OfficerId,
    text: &str,
    now: i64,
) -> Result<i64, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_scalar(
            "INSERT INTO conversation_notes (conversation_id, officer_id, text, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(conversation.0)
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

/// A shift to store (`series`: the recurring planning it belongs to).
pub struct NewShift {
    pub unit: UnitId,
    pub officer: OfficerId,
    pub starts_at: i64,
    pub ends_at: i64,
    pub series: Option<i64>,
    pub by: OfficerId,
    pub now: i64,
}

pub async fn insert_shift(tx: &mut Tx, s: &NewShift) -> Result<i64, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_scalar(
            "INSERT INTO duty_shifts (unit_id, officer_id, starts_at, ends_at, series_id, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(s.unit.0)
        .bind(s.officer.0)
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(s.series)
        .bind(s.by.0)
        .bind(s.now)
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

// ---- Alarms (inbox::alarms) ----

/// Raises a conversation's alarm unless it has one.
pub async fn insert_alarm(
    tx: &mut Tx,
    conversation: ConversationId,
    unit: UnitId,
    now: i64,
    next_at: i64,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO conversation_alarms (conversation_id, unit_id, raised_at, level, next_at) \
             VALUES ($1, $2, $3, 0, $4) ON CONFLICT (conversation_id) DO NOTHING",
        )
        .bind(conversation.0)
        .bind(unit.0)
        .bind(now)
        .bind(next_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// Acknowledges a conversation's alarm, if it has one not acknowledged yet.
pub async fn acknowledge_alarm(db: &Db, conversation: i64, officer: OfficerId, now: i64) -> Result<(), StoreError> {
    crate::db_write!(db, pool => sqlx::query(
        "UPDATE conversation_alarms SET acknowledged_at = $1, acknowledged_by = $2, next_at = NULL \
         WHERE conversation_id = $3 AND acknowledged_at IS NULL"
    )
    .bind(now)
    .bind(officer.0)
    .bind(conversation)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The officers whose duty shift at the unit covers `at`.
pub async fn on_duty_officers(db: &Db, unit: UnitId, at: i64) -> Result<Vec<OfficerId>, StoreError> {
    let rows: Vec<(i64,)> = db_read!(db, pool => sqlx::query_as(
        "SELECT DISTINCT officer_id FROM duty_shifts WHERE unit_id = $1 AND starts_at <= $2 AND ends_at > $2"
    )
    .bind(unit.0)
    .bind(at)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| OfficerId(id)).collect())
}

/// Alarms not acknowledged whose step is due, of conversations still urgent and open.
pub async fn alarms_due(db: &Db, now: i64) -> Result<Vec<super::alarms::Due>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT a.conversation_id AS subject, a.unit_id, u.name AS unit_name, a.raised_at, a.level \
         FROM conversation_alarms a JOIN conversations c ON c.id = a.conversation_id JOIN units u ON u.id = a.unit_id \
         WHERE a.next_at IS NOT NULL AND a.next_at <= $1 AND a.acknowledged_at IS NULL \
         AND c.urgent = $2 AND c.status <> 'closed' ORDER BY a.next_at LIMIT 100"
    )
    .bind(now)
    .bind(true)
    .fetch_all(pool)
    .await)?)
}

/// Moves an alarm from `from` to `to` (guarded: false when another instance moved it or an
/// officer acknowledged it first).
pub async fn step_alarm(
    tx: &mut Tx,
    conversation: i64,
    from: i64,
    to: i64,
    next_at: Option<i64>,
) -> Result<bool, StoreError> {
    crate::db_conn!(tx, conn => {
        let done = sqlx::query(
            "UPDATE conversation_alarms SET level = $1, next_at = $2 \
             WHERE conversation_id = $3 AND level = $4 AND acknowledged_at IS NULL",
        )
        .bind(to)
        .bind(next_at)
        .bind(conversation)
        .bind(from)
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Puts an escalation step on the conversation's timeline.
pub async fn record_escalation(
    tx: &mut Tx,
    conversation: ConversationId,
    at: i64,
    reason: &str,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO conversation_events (conversation_id, at, officer_id, action, from_status, to_status, \
             from_unit_id, to_unit_id, assignee_id, reason) \
             SELECT id, $1, NULL, 'escalated', status, status, unit_id, unit_id, assignee_id, $2 \
             FROM conversations WHERE id = $3",
        )
        .bind(at)
        .bind(reason)
        .bind(conversation.0)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// A conversation's alarm: (level, acknowledged_at), if raised.
pub async fn alarm_of(db: &Db, conversation: i64) -> Result<Option<(i64, Option<i64>)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT level, acknowledged_at FROM conversation_alarms WHERE conversation_id = $1"
    )
    .bind(conversation)
    .fetch_optional(pool)
    .await)?)
}
