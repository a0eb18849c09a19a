//! Outbox queries. Rows are inserted inside the transaction that decided them (see
//! [`insert`], which takes the caller's `&mut Tx`); workers lease due rows with one statement
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) and settle each row
//! with a conditional update that only a holder of the lease can make.

use super::OutboxStatus;
use crate::db::{Db, MAX_ROWS_PER_STATEMENT, StoreError, Tx, values_list};
use crate::{db_read, in_scope};
use caunoi_core::conversations::{Channel, ConversationId, MessageId};
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;

/// One queued outbound message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub idempotency_key: String,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "i64")]
    pub unit_id: UnitId,
    pub oa_id: Option<String>,
    pub recipient: String,
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
    pub payload: String,
    #[sqlx(try_from = "String")]
    pub status: OutboxStatus,
    pub attempts: i64,
    pub run_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub provider_message_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewOutbox<'a> {
    /// Unique per logical message: a replay of the same decision inserts nothing.
    pub idempotency_key: &'a str,
    pub channel: Channel,
    pub unit_id: UnitId,
    pub oa_id: Option<&'a str>,
    pub recipient: &'a str,
    pub conversation_id: Option<ConversationId>,
    pub message_id: Option<MessageId>,
    /// JSON, see `outbox::Payload`.
    pub payload: &'a str,
    pub run_at: i64,
}

macro_rules! outbox_columns {
    () => {
        "o.id, o.idempotency_key, o.channel, o.unit_id, o.oa_id, o.recipient, o.conversation_id, o.message_id, \
         o.payload, o.status, o.attempts, o.run_at, o.locked_until, o.last_error, o.provider_message_id, \
         o.created_at, o.updated_at"
    };
}

/// The columns a claim returns.
const CLAIMED_COLUMNS: &str = "id, idempotency_key, channel, unit_id, oa_id, recipient, conversation_id, \
     message_id, payload, status, attempts, run_at, locked_until, last_error, provider_message_id, created_at, updated_at";

/// Leases up to `limit` due rows: pending ones whose time has come, and rows left `sending`
/// by a worker that died (lease expired). Oldest first.
pub async fn claim(db: &Db, now: i64, lease_until: i64, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    let mut rows: Vec<OutboxRow> =
        crate::db::claim_leased(db, "outbox", CLAIMED_COLUMNS, now, lease_until, limit).await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// How one leased row ends its attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Settlement {
    /// Delivered: the provider's id is stamped on the row and on the message it carried.
    Sent { provider_id: String },
    /// Back to the queue, due at `run_at` (a temporary failure).
    Retry { run_at: i64, error: String },
    /// A dead letter, with the reason.
    Dead { error: String },
    /// Not attempted (an earlier message to the same recipient must go first): back to the
    /// queue at `run_at` without spending an attempt.
    Deferred { run_at: i64 },
}

/// Dead letters of the officer's units, newest first.
pub async fn list_dead_in_scope(db: &Db, officer: OfficerId, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT ", outbox_columns!(), " FROM outbox o JOIN units u ON u.id = o.unit_id \
         WHERE o.status = 'dead' AND ", in_scope!(), " ORDER BY o.updated_at DESC, o.id DESC LIMIT $2"
    ))
    .bind(officer.0)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// One row with its unit's path, if it belongs to the officer's units.
pub async fn get_in_scope(db: &Db, officer: OfficerId, id: i64) -> Result<Option<(OutboxRow, String)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct WithPath {
        #[sqlx(flatten)]
        row: OutboxRow,
        unit_path: String,
    }
    let r: Option<WithPath> = db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT ", outbox_columns!(), ", u.path AS unit_path FROM outbox o JOIN units u ON u.id = o.unit_id \
         WHERE o.id = $2 AND ", in_scope!()
    ))
    .bind(officer.0)
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(r.map(|w| (w.row, w.unit_path)))
}

/// A dead letter with the name and path of its unit, as the console lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeadLetter {
    #[sqlx(flatten)]
    pub row: OutboxRow,
    pub unit_name: String,
    pub unit_path: String,
}

/// Dead letters of the officer's units with their units, newest first.
pub async fn dead_letters_in_scope(db: &Db, officer: OfficerId, limit: i64) -> Result<Vec<DeadLetter>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT ", outbox_columns!(), ", u.name AS unit_name, u.path AS unit_path \
         FROM outbox o JOIN units u ON u.id = o.unit_id \
         WHERE o.status = 'dead' AND ", in_scope!(), " ORDER BY o.updated_at DESC, o.id DESC LIMIT $2"
    ))
    .bind(officer.0)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// Every row (tests and the bench), oldest first.
pub async fn all(db: &Db) -> Result<Vec<OutboxRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!("SELECT ", outbox_columns!(), " FROM outbox o ORDER BY o.id"))
        .fetch_all(pool)
        .await)?)
}

/// The earliest `run_at` of pending rows, to know how long a worker may sleep.
pub async fn next_due(db: &Db) -> Result<Option<i64>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar("SELECT MIN(run_at) FROM outbox WHERE status = 'pending'")
        .fetch_one(pool)
        .await)?)
}

/// Settles a batch's outcomes with one statement per kind of outcome: sent, dead, back to the
/// queue. A row no longer `sending` (its lease was taken over) is left alone. Returns the
/// messages the rows settled as sent carried, with the provider's id for each, for their
/// owner to stamp in the same transaction.
pub async fn settle_many(
    tx: &mut Tx,
    outcomes: &[(&OutboxRow, Settlement)],
    now: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        let mut stamps: Vec<(i64, String)> = Vec::new();
        let mut sent: Vec<(&OutboxRow, &str)> = Vec::new();
        let mut dead: Vec<(i64, &str)> = Vec::new();
        // (id, run_at, error, attempts given back)
        let mut requeued: Vec<(i64, i64, Option<&str>, i64)> = Vec::new();
        for (row, outcome) in outcomes {
            match outcome {
                Settlement::Sent { provider_id } => sent.push((row, provider_id)),
                Settlement::Dead { error } => dead.push((row.id, error)),
                Settlement::Retry { run_at, error } => requeued.push((row.id, *run_at, Some(error), 0)),
                // A deferred row gets its attempt back and keeps its last error.
                Settlement::Deferred { run_at } => requeued.push((row.id, *run_at, None, 1)),
            }
        }
        for chunk in sent.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "UPDATE outbox SET status = 'sent', provider_message_id = v.column2, sent_at = v.column3, \
                 updated_at = v.column3, locked_until = NULL, last_error = NULL \
                 FROM (VALUES {}) AS v WHERE outbox.id = v.column1 AND outbox.status = 'sending' RETURNING outbox.id",
                values_list(chunk.len(), 3, style)
            );
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            for (row, provider_id) in chunk {
                q = q.bind(row.id).bind(*provider_id).bind(now);
            }
            let settled: Vec<i64> = q.persistent(true).fetch_all(&mut *conn).await?;
            stamps.extend(
                chunk
                    .iter()
                    .filter(|(row, _)| settled.contains(&row.id))
                    .filter_map(|(row, provider_id)| Some((row.message_id?, provider_id.to_string()))),
            );
        }
        for chunk in dead.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "UPDATE outbox SET status = 'dead', last_error = v.column2, locked_until = NULL, updated_at = v.column3 \
                 FROM (VALUES {}) AS v WHERE outbox.id = v.column1 AND outbox.status = 'sending'",
                values_list(chunk.len(), 3, style)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, error) in chunk {
                q = q.bind(id).bind(*error).bind(now);
            }
            q.persistent(true).execute(&mut *conn).await?;
        }
        for chunk in requeued.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "UPDATE outbox SET status = 'pending', run_at = v.column2, \
                 last_error = COALESCE(v.column3, outbox.last_error), attempts = outbox.attempts - v.column4, \
                 locked_until = NULL, updated_at = v.column5 \
                 FROM (VALUES {}) AS v WHERE outbox.id = v.column1 AND outbox.status = 'sending'",
                values_list(chunk.len(), 5, style)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, run_at, error, given_back) in chunk {
                q = q.bind(id).bind(run_at).bind(*error).bind(given_back).bind(now);
            }
            q.persistent(true).execute(&mut *conn).await?;
        }
        Ok(stamps)
    })
}

/// Puts a dead letter back in the queue, due now, with a fresh attempt budget. `false` when
/// the row is not (or no longer) dead.
pub async fn requeue_dead(tx: &mut Tx, id: i64, now: i64) -> Result<bool, StoreError> {
    crate::db_conn!(tx, conn => {
        let r = sqlx::query(
            "UPDATE outbox SET status = 'pending', attempts = 0, run_at = $1, updated_at = $1, locked_until = NULL \
             WHERE id = $2 AND status = 'dead'",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        Ok(r.rows_affected() == 1)
    })
}

/// Of the given messages, those whose outbox row is still queued (`pending` or `sending`): a
/// dead letter or a sent row is not.
pub async fn still_queued(db: &Db, message_ids: &[i64]) -> Result<std::collections::HashSet<i64>, StoreError> {
    let mut queued = std::collections::HashSet::new();
    for chunk in message_ids.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT message_id FROM outbox WHERE status IN ('pending', 'sending') AND message_id IN ({})",
            crate::db::param_list(chunk.len(), db.placeholders())
        );
        let found: Vec<i64> = db_read!(db, pool => {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(pool).await
        })?;
        queued.extend(found);
    }
    Ok(queued)
}

/// Queues a message unless its idempotency key is known. `Some(id)` when it is new.
pub async fn insert(tx: &mut Tx, o: &NewOutbox<'_>) -> Result<Option<i64>, StoreError> {
    Ok(insert_many(tx, std::slice::from_ref(o)).await?.first().map(|(id, _)| *id))
}

/// Queues messages in one statement per 256, each unless its idempotency key is known;
/// returns the ids and keys of those that were new.
pub async fn insert_many(tx: &mut Tx, rows: &[NewOutbox<'_>]) -> Result<Vec<(i64, String)>, StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        let mut new = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO outbox (idempotency_key, channel, unit_id, oa_id, recipient, conversation_id, message_id, \
                 payload, status, attempts, run_at, created_at, updated_at) VALUES {} \
                 ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key",
                values_list(chunk.len(), 13, style)
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
            for o in chunk {
                q = q
                    .bind(o.idempotency_key)
                    .bind(o.channel.as_str())
                    .bind(o.unit_id.0)
                    .bind(o.oa_id)
                    .bind(o.recipient)
                    .bind(o.conversation_id.map(|c| c.0))
                    .bind(o.message_id.map(|m| m.0))
                    .bind(o.payload)
                    .bind(OutboxStatus::Pending.as_str())
                    .bind(0_i64)
                    .bind(o.run_at)
                    .bind(o.run_at)
                    .bind(o.run_at);
            }
            new.extend(q.persistent(true).fetch_all(&mut *conn).await?);
        }
        Ok(new)
    })
}

/// The messages among `message_ids` whose delivery failed for good (dead letters), with the
/// last error.
pub async fn dead_for_messages(
    db: &Db,
    message_ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, StoreError> {
    let mut dead = std::collections::HashMap::new();
    for chunk in message_ids.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT message_id, COALESCE(last_error, '') FROM outbox WHERE status = 'dead' AND message_id IN ({})",
            crate::db::param_list(chunk.len(), db.placeholders())
        );
        let found: Vec<(i64, String)> = db_read!(db, pool => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(pool).await
        })?;
        dead.extend(found);
    }
    Ok(dead)
}
