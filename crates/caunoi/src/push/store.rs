//! Web Push queries, on the push feature's own tables only: `push_vapid_keys`,
//! `push_subscriptions` and `push_outbox` (with a read-only look at `officers.disabled`, so a
//! disabled account's devices ring no more). Rows of the queue are inserted in the caller's
//! transaction; the worker leases due rows with one statement (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, `BEGIN IMMEDIATE` on SQLite) and settles each with an update that only the
//! holder of the lease can make.

use crate::db::{Db, MAX_ROWS_PER_STATEMENT, StoreError, Tx, param_list, values_list};
use crate::{db_read, db_write};
use caunoi_core::staff::OfficerId;

/// The stored key pair: the public key (base64url) and the sealed private key.
pub async fn vapid_keys(db: &Db) -> Result<Option<(String, String)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as("SELECT public_key, private_key FROM push_vapid_keys WHERE id = 1")
        .fetch_optional(pool)
        .await)?)
}

/// Stores the key pair unless one exists (another instance may have been first); the caller
/// reads back whichever won.
pub async fn insert_vapid_keys(db: &Db, public: &str, sealed_private: &str, now: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query(
        "INSERT INTO push_vapid_keys (id, public_key, private_key, created_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO NOTHING"
    )
    .bind(public)
    .bind(sealed_private)
    .bind(now)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A device as its officer sees it in the list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: i64,
    pub endpoint: String,
    pub device: String,
    pub created_at: i64,
    pub last_success_at: Option<i64>,
    pub last_failure_at: Option<i64>,
    pub last_error: Option<String>,
}

/// The devices of one officer, newest first.
pub async fn devices_of(db: &Db, officer: OfficerId) -> Result<Vec<DeviceRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT id, endpoint, device, created_at, last_success_at, last_failure_at, last_error \
         FROM push_subscriptions WHERE officer_id = $1 ORDER BY created_at DESC, id DESC"
    )
    .bind(officer.0)
    .fetch_all(pool)
    .await)?)
}

/// How many devices the officer has, not counting `endpoint` (which a new subscription would
/// replace).
pub async fn count_other_devices(tx: &mut Tx, officer: OfficerId, endpoint: &str) -> Result<i64, StoreError> {
    crate::db_conn!(tx, conn => Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM push_subscriptions WHERE officer_id = $1 AND endpoint <> $2"
    )
    .bind(officer.0)
    .bind(endpoint)
    .fetch_one(&mut *conn)
    .await?))
}

/// A subscription to store.
#[derive(Debug, Clone)]
pub struct NewSubscriptionRow<'a> {
    pub officer: OfficerId,
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
    pub device: &'a str,
    pub now: i64,
}

/// Stores a subscription; the same endpoint posted again refreshes its keys. An endpoint that
/// belonged to another officer (a shared computer) moves to this one, and the messages still
/// queued for the other officer on it go with the old row. Returns the row's id.
pub async fn upsert_subscription(tx: &mut Tx, s: &NewSubscriptionRow<'_>) -> Result<i64, StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1 AND officer_id <> $2")
            .bind(s.endpoint)
            .bind(s.officer.0)
            .execute(&mut *conn)
            .await?;
        Ok(sqlx::query_scalar(
            "INSERT INTO push_subscriptions (officer_id, endpoint, p256dh, auth, device, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, \
             device = excluded.device, last_failure_at = NULL, last_error = NULL \
             RETURNING id",
        )
        .bind(s.officer.0)
        .bind(s.endpoint)
        .bind(s.p256dh)
        .bind(s.auth)
        .bind(s.device)
        .bind(s.now)
        .fetch_one(&mut *conn)
        .await?)
    })
}

/// Removes one of the officer's devices (and what is queued for it). `false` when the officer
/// has no such device.
pub async fn delete_device(db: &Db, officer: OfficerId, id: i64) -> Result<bool, StoreError> {
    let r = db_write!(db, pool => sqlx::query("DELETE FROM push_subscriptions WHERE id = $1 AND officer_id = $2")
        .bind(id)
        .bind(officer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(r == 1)
}

/// Removes the officer's subscription with this endpoint (the browser turned alarms off).
pub async fn delete_endpoint(db: &Db, officer: OfficerId, endpoint: &str) -> Result<bool, StoreError> {
    let r = db_write!(db, pool => sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1 AND officer_id = $2")
        .bind(endpoint)
        .bind(officer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(r == 1)
}

/// The subscriptions of these officers whose accounts are not disabled.
pub async fn subscription_ids_of(tx: &mut Tx, officers: &[OfficerId]) -> Result<Vec<i64>, StoreError> {
    let style = tx.placeholders();
    let mut ids = Vec::new();
    for chunk in officers.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT s.id FROM push_subscriptions s JOIN officers o ON o.id = s.officer_id \
             WHERE NOT o.disabled AND s.officer_id IN ({}) ORDER BY s.id",
            param_list(chunk.len(), style)
        );
        let found: Vec<i64> = crate::db_conn!(tx, conn => {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            for o in chunk {
                q = q.bind(o.0);
            }
            q.fetch_all(&mut *conn).await?
        });
        ids.extend(found);
    }
    Ok(ids)
}

/// The officer's subscription `id`, if it is theirs.
pub async fn own_subscription(tx: &mut Tx, officer: OfficerId, id: i64) -> Result<Option<i64>, StoreError> {
    crate::db_conn!(tx, conn => Ok(sqlx::query_scalar(
        "SELECT id FROM push_subscriptions WHERE id = $1 AND officer_id = $2"
    )
    .bind(id)
    .bind(officer.0)
    .fetch_optional(&mut *conn)
    .await?))
}

/// A push message to queue for one subscription.
#[derive(Debug, Clone)]
pub struct NewPush<'a> {
    pub subscription_id: i64,
    /// Unique per message and device: a replay queues nothing.
    pub idempotency_key: String,
    /// The plaintext JSON the service worker reads.
    pub payload: &'a str,
    pub topic: &'a str,
    pub ttl_secs: i64,
    pub now: i64,
}

/// Queues messages (one statement per 256), each unless its key is known; how many were new.
pub async fn insert_pushes(tx: &mut Tx, rows: &[NewPush<'_>]) -> Result<usize, StoreError> {
    let style = tx.placeholders();
    let mut new = 0;
    for chunk in rows.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO push_outbox (subscription_id, idempotency_key, payload, topic, ttl_secs, status, attempts, \
             run_at, created_at, updated_at) VALUES {} ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            values_list(chunk.len(), 10, style)
        );
        let ids: Vec<i64> = crate::db_conn!(tx, conn => {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.subscription_id)
                    .bind(&r.idempotency_key)
                    .bind(r.payload)
                    .bind(r.topic)
                    .bind(r.ttl_secs)
                    .bind("pending")
                    .bind(0_i64)
                    .bind(r.now)
                    .bind(r.now)
                    .bind(r.now);
            }
            q.fetch_all(&mut *conn).await?
        });
        new += ids.len();
    }
    Ok(new)
}

/// One queued push message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PushRow {
    pub id: i64,
    pub subscription_id: i64,
    pub idempotency_key: String,
    pub payload: String,
    pub topic: String,
    pub ttl_secs: i64,
    pub status: String,
    pub attempts: i64,
    pub run_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
}

const PUSH_COLUMNS: &str = "id, subscription_id, idempotency_key, payload, topic, ttl_secs, status, attempts, \
     run_at, locked_until, last_error, created_at, updated_at, sent_at";

/// Leases up to `limit` due rows: pending ones whose time has come and rows left `sending` by
/// a worker that died (lease expired). Oldest first.
pub async fn claim(db: &Db, now: i64, lease_until: i64, limit: i64) -> Result<Vec<PushRow>, StoreError> {
    let mut rows: Vec<PushRow> =
        crate::db::claim_leased(db, "push_outbox", PUSH_COLUMNS, now, lease_until, limit).await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Where and how to encrypt for one subscription.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Target {
    pub id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// The subscriptions with these ids (those that still exist).
pub async fn targets(db: &Db, ids: &[i64]) -> Result<Vec<Target>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE id IN ({})",
            param_list(chunk.len(), db.placeholders())
        );
        let found: Vec<Target> = db_read!(db, pool => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(pool).await
        })?;
        out.extend(found);
    }
    Ok(out)
}

/// How one leased row ends its attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Settlement {
    /// Accepted by the push service.
    Sent,
    /// Back to the queue, due at `run_at`.
    Retry { run_at: i64, error: String },
    /// Given up, with the reason (also shown on the device).
    Dead { error: String },
    /// The push service no longer knows the subscription (404/410): it is removed, with
    /// everything queued for it.
    Gone,
}

/// Settles one row in the caller's transaction; a row no longer `sending` (its lease was taken
/// over) is left alone.
pub async fn settle(tx: &mut Tx, row: &PushRow, outcome: &Settlement, now: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        match outcome {
            Settlement::Sent => {
                let r = sqlx::query(
                    "UPDATE push_outbox SET status = 'sent', sent_at = $1, updated_at = $1, locked_until = NULL, \
                     last_error = NULL WHERE id = $2 AND status = 'sending'",
                )
                .bind(now)
                .bind(row.id)
                .execute(&mut *conn)
                .await?;
                if r.rows_affected() == 1 {
                    sqlx::query(
                        "UPDATE push_subscriptions SET last_success_at = $1, last_failure_at = NULL, last_error = NULL \
                         WHERE id = $2",
                    )
                    .bind(now)
                    .bind(row.subscription_id)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Settlement::Retry { run_at, error } => {
                sqlx::query(
                    "UPDATE push_outbox SET status = 'pending', run_at = $1, last_error = $2, locked_until = NULL, \
                     updated_at = $3 WHERE id = $4 AND status = 'sending'",
                )
                .bind(run_at)
                .bind(error)
                .bind(now)
                .bind(row.id)
                .execute(&mut *conn)
                .await?;
            }
            Settlement::Dead { error } => {
                let r = sqlx::query(
                    "UPDATE push_outbox SET status = 'dead', last_error = $1, locked_until = NULL, updated_at = $2 \
                     WHERE id = $3 AND status = 'sending'",
                )
                .bind(error)
                .bind(now)
                .bind(row.id)
                .execute(&mut *conn)
                .await?;
                if r.rows_affected() == 1 {
                    sqlx::query("UPDATE push_subscriptions SET last_failure_at = $1, last_error = $2 WHERE id = $3")
                        .bind(now)
                        .bind(error)
                        .bind(row.subscription_id)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            Settlement::Gone => {
                sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
                    .bind(row.subscription_id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(())
    })
}

/// Deletes settled messages (sent or dead) last touched before `before`.
pub async fn purge_settled(db: &Db, before: i64) -> Result<u64, StoreError> {
    let r = db_write!(db, pool => sqlx::query(
        "DELETE FROM push_outbox WHERE status IN ('sent', 'dead') AND updated_at < $1"
    )
    .bind(before)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(r)
}

/// The earliest `run_at` of pending rows, to know how long the worker may sleep.
pub async fn next_due(db: &Db) -> Result<Option<i64>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar("SELECT MIN(run_at) FROM push_outbox WHERE status = 'pending'")
        .fetch_one(pool)
        .await)?)
}

/// Every queued message, oldest first (tests and the benchmark).
pub async fn all_pushes(db: &Db) -> Result<Vec<PushRow>, StoreError> {
    let sql = format!("SELECT {PUSH_COLUMNS} FROM push_outbox ORDER BY id");
    Ok(db_read!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await)?)
}
