//! Queries of the citizen's web side of reports, on its own two tables: `case_public_hits` (the
//! counters behind the throttles) and `case_reporter_sessions` (a reporter "in" a case's thread
//! for a short while). Keys and tokens arrive hashed; nothing here sees an address or a receipt.
//!
//! Invariant: a throttle's check and its count happen in one write transaction that holds the
//! keys' locks (`Tx::lock_key`), so parallel requests cannot all pass the check before any of
//! them is counted.

use crate::db::{Db, StoreError};
use crate::{db_conn, db_read, db_write};

/// One limit of a throttle: at most `max_count` rows and `max_amount` summed amount under `key`
/// since `since`.
#[derive(Debug, Clone, Copy)]
pub struct Limit<'a> {
    pub key: &'a str,
    pub since: i64,
    pub max_count: i64,
    pub max_amount: i64,
}

/// The limit a request reached: its index in the list, and whether its count (else its amount).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    pub index: usize,
    pub by_count: bool,
}

/// Counts a request against `limits`: when every limit still has room for one more row of
/// `amount`, records one row per distinct key and returns their ids (in the order the keys
/// first appear); otherwise records nothing and returns the first limit reached.
/// Rows older than `forget_before` are deleted on the way.
pub async fn reserve(
    db: &Db,
    limits: &[Limit<'_>],
    amount: i64,
    now: i64,
    forget_before: i64,
) -> Result<Result<Vec<i64>, Reached>, StoreError> {
    let mut keys: Vec<&str> = Vec::new();
    for l in limits {
        if !keys.contains(&l.key) {
            keys.push(l.key);
        }
    }
    let mut locks = keys.clone();
    locks.sort_unstable();
    let mut tx = db.begin().await?;
    for k in &locks {
        tx.lock_key(&format!("case-public:{k}")).await?;
    }
    let reached = db_conn!(&mut tx, conn => {
        let mut reached = None;
        for (i, l) in limits.iter().enumerate() {
            let (count, sum): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM case_public_hits \
                 WHERE key = $1 AND at >= $2",
            )
            .bind(l.key)
            .bind(l.since)
            .fetch_one(&mut *conn)
            .await?;
            if count >= l.max_count || sum.saturating_add(amount) > l.max_amount {
                reached = Some(Reached { index: i, by_count: count >= l.max_count });
                break;
            }
        }
        reached
    });
    if let Some(i) = reached {
        return Ok(Err(i));
    }
    let ids = db_conn!(&mut tx, conn => {
        sqlx::query("DELETE FROM case_public_hits WHERE at < $1").bind(forget_before).execute(&mut *conn).await?;
        let mut ids = Vec::with_capacity(keys.len());
        for k in &keys {
            let id: i64 =
                sqlx::query_scalar("INSERT INTO case_public_hits (key, at, amount) VALUES ($1, $2, $3) RETURNING id")
                    .bind(*k)
                    .bind(now)
                    .bind(amount)
                    .fetch_one(&mut *conn)
                    .await?;
            ids.push(id);
        }
        ids
    });
    tx.commit().await?;
    Ok(Ok(ids))
}

/// Gives counted rows back (a refused report, a successful look-up).
pub async fn release(db: &Db, ids: &[i64]) -> Result<(), StoreError> {
    for id in ids {
        db_write!(db, pool => sqlx::query("DELETE FROM case_public_hits WHERE id = $1").bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Settles counted rows to the amount actually used (a report's stored bytes).
pub async fn settle(db: &Db, ids: &[i64], amount: i64) -> Result<(), StoreError> {
    for id in ids {
        db_write!(db, pool => sqlx::query("UPDATE case_public_hits SET amount = $1 WHERE id = $2")
            .bind(amount)
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Starts a reporter's session on a case (expired sessions are deleted on the way).
pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    case_id: i64,
    receipt_mac: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    db_conn!(&mut tx, conn => {
        sqlx::query("DELETE FROM case_reporter_sessions WHERE expires_at < $1").bind(now).execute(&mut *conn).await?;
        sqlx::query(
            "INSERT INTO case_reporter_sessions (token_hash, case_id, receipt_mac, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(case_id)
        .bind(receipt_mac)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    });
    tx.commit().await?;
    Ok(())
}

/// The case and receipt MAC of a live session.
pub async fn session(db: &Db, token_hash: &str, now: i64) -> Result<Option<(i64, String)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT case_id, receipt_mac FROM case_reporter_sessions WHERE token_hash = $1 AND expires_at >= $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await)?)
}

/// Extends a live session.
pub async fn touch_session(db: &Db, token_hash: &str, expires_at: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("UPDATE case_reporter_sessions SET expires_at = $1 WHERE token_hash = $2")
        .bind(expires_at)
        .bind(token_hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends a session.
pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("DELETE FROM case_reporter_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
