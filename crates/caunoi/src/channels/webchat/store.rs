//! Web chat queries: anonymous sessions (by token hash), the rate-limit log and the upload
//! quota log, the tables `webchat_sessions`, `webchat_posts` and `webchat_uploads`. SQL only; the rules (limits, who may read what) live
//! in `service.rs`. A session's messages belong to `conversations`, which finds them through
//! the session's contact.

use crate::db::{Db, StoreError, Tx};
use crate::{db_read, db_write};

/// A stored web chat session (the token itself is never stored).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub unit_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// How many sessions one address may start since when.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimit {
    pub since: i64,
    pub max: i64,
}

/// Creates a session and returns its id, unless the address started `limit.max` sessions since
/// `limit.since` (then `None`, creating nothing). Counted and inserted in one guarded
/// transaction (`Tx::lock_key` on the address), so parallel requests cannot all pass the count.
pub async fn insert_session_within(
    db: &Db,
    unit_id: i64,
    token_hash: &str,
    ip_hash: &str,
    now: i64,
    expires_at: i64,
    limit: SessionLimit,
) -> Result<Option<i64>, StoreError> {
    let mut tx = db.begin().await?;
    tx.lock_key(&format!("webchat-address:{ip_hash}")).await?;
    let id = crate::db_conn!(&mut tx, conn => {
        let started: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webchat_sessions WHERE ip_hash = $1 AND created_at >= $2")
                .bind(ip_hash)
                .bind(limit.since)
                .fetch_one(&mut *conn)
                .await?;
        if started >= limit.max {
            None
        } else {
            Some(
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO webchat_sessions (unit_id, token_hash, ip_hash, created_at, last_seen_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
                )
                .bind(unit_id)
                .bind(token_hash)
                .bind(ip_hash)
                .bind(now)
                .bind(expires_at)
                .fetch_one(&mut *conn)
                .await?,
            )
        }
    });
    if id.is_some() {
        tx.commit().await?;
    }
    Ok(id)
}

/// The unexpired session with this token hash.
pub async fn session_by_token(db: &Db, token_hash: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT id, unit_id, created_at, last_seen_at, expires_at FROM webchat_sessions \
         WHERE token_hash = $1 AND expires_at > $2"
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await)?)
}

/// Forgets expired sessions (their rate-limit log with them). The contact and its
/// conversations stay for the officers; the expired token can no longer open them.
pub async fn purge_expired_sessions(db: &Db, now: i64) -> Result<u64, StoreError> {
    Ok({
        let mut tx = db.begin().await?;
        let value = { crate::channels::webchat::store::purge_expired(&mut tx, now).await? };
        tx.commit().await?;
        value
    })
}

/// Extends a session's life (sliding expiry).
pub async fn touch_session(db: &Db, id: i64, now: i64, expires_at: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("UPDATE webchat_sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
        .bind(now)
        .bind(expires_at)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// The limits of a post: at most `per_session` posts of the session and `per_address` of the
/// address since `since`.
#[derive(Debug, Clone, Copy)]
pub struct PostLimits {
    pub since: i64,
    pub per_session: i64,
    pub per_address: i64,
}

/// Records a post if it is within `limits` (and forgets posts older than `forget_before`);
/// false, recording nothing, when it is not. The count and the insert are one guarded
/// transaction (`Tx::lock_key` on the session, then the address), so parallel posts cannot all
/// pass the count.
pub async fn record_post_within(
    db: &Db,
    session_id: i64,
    ip_hash: &str,
    now: i64,
    limits: PostLimits,
    forget_before: i64,
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    tx.lock_key(&format!("webchat-session:{session_id}")).await?;
    tx.lock_key(&format!("webchat-address:{ip_hash}")).await?;
    let recorded = crate::db_conn!(&mut tx, conn => {
        let (by_session, by_address): (i64, i64) = sqlx::query_as(
            "SELECT \
             (SELECT COUNT(*) FROM webchat_posts WHERE session_id = $1 AND at >= $3), \
             (SELECT COUNT(*) FROM webchat_posts WHERE ip_hash = $2 AND at >= $3)",
        )
        .bind(session_id)
        .bind(ip_hash)
        .bind(limits.since)
        .fetch_one(&mut *conn)
        .await?;
        if by_session >= limits.per_session || by_address >= limits.per_address {
            false
        } else {
            sqlx::query("DELETE FROM webchat_posts WHERE at < $1").bind(forget_before).execute(&mut *conn).await?;
            sqlx::query("INSERT INTO webchat_posts (session_id, ip_hash, at) VALUES ($1, $2, $3)")
                .bind(session_id)
                .bind(ip_hash)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            true
        }
    });
    if recorded {
        tx.commit().await?;
    }
    Ok(recorded)
}

/// The upload byte quotas of one reservation: bytes of the session and of the address since an
/// hour ago and since a day ago.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    pub hour_since: i64,
    pub day_since: i64,
    pub session_hour: i64,
    pub session_day: i64,
    pub address_hour: i64,
    pub address_day: i64,
}

/// Which quota a reservation would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaHit {
    SessionHour,
    SessionDay,
    AddressHour,
    AddressDay,
}

/// Reserves `bytes` of upload for the session and address if every quota of `limits` still
/// has room (and forgets uploads before `limits.day_since`): the reservation's id, or the quota
/// it would pass, reserving nothing. Summed and inserted in one guarded transaction
/// (`Tx::lock_key` on the session, then the address, the order `record_post_within` uses), so
/// parallel uploads cannot all fit in the same room.
pub async fn reserve_upload_within(
    db: &Db,
    session_id: i64,
    ip_hash: &str,
    now: i64,
    bytes: i64,
    limits: UploadLimits,
) -> Result<Result<i64, QuotaHit>, StoreError> {
    let mut tx = db.begin().await?;
    tx.lock_key(&format!("webchat-session:{session_id}")).await?;
    tx.lock_key(&format!("webchat-address:{ip_hash}")).await?;
    let reserved = crate::db_conn!(&mut tx, conn => {
        let (session_hour, session_day, address_hour, address_day): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT \
             (SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM webchat_uploads WHERE session_id = $1 AND at >= $3), \
             (SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM webchat_uploads WHERE session_id = $1 AND at >= $4), \
             (SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM webchat_uploads WHERE ip_hash = $2 AND at >= $3), \
             (SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM webchat_uploads WHERE ip_hash = $2 AND at >= $4)",
        )
        .bind(session_id)
        .bind(ip_hash)
        .bind(limits.hour_since)
        .bind(limits.day_since)
        .fetch_one(&mut *conn)
        .await?;
        let hit = [
            (session_hour, limits.session_hour, QuotaHit::SessionHour),
            (session_day, limits.session_day, QuotaHit::SessionDay),
            (address_hour, limits.address_hour, QuotaHit::AddressHour),
            (address_day, limits.address_day, QuotaHit::AddressDay),
        ]
        .into_iter()
        .find(|(used, max, _)| used.saturating_add(bytes) > *max)
        .map(|(_, _, hit)| hit);
        match hit {
            Some(hit) => Err(hit),
            None => {
                sqlx::query("DELETE FROM webchat_uploads WHERE at < $1")
                    .bind(limits.day_since)
                    .execute(&mut *conn)
                    .await?;
                Ok(sqlx::query_scalar::<_, i64>(
                    "INSERT INTO webchat_uploads (session_id, ip_hash, at, bytes) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(session_id)
                .bind(ip_hash)
                .bind(now)
                .bind(bytes)
                .fetch_one(&mut *conn)
                .await?)
            }
        }
    });
    if reserved.is_ok() {
        tx.commit().await?;
    }
    Ok(reserved)
}

/// Settles a reservation to the bytes the upload really took (never more than reserved).
pub async fn settle_upload(db: &Db, id: i64, bytes: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("UPDATE webchat_uploads SET bytes = $1 WHERE id = $2 AND bytes > $1")
        .bind(bytes)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Gives a reservation back (the upload was refused or broke off).
pub async fn release_upload(db: &Db, id: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("DELETE FROM webchat_uploads WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Deletes expired sessions and their rate-limit log.
pub async fn purge_expired(tx: &mut Tx, now: i64) -> Result<u64, StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM webchat_posts WHERE session_id IN (SELECT id FROM webchat_sessions WHERE expires_at <= $1)")
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(sqlx::query("DELETE FROM webchat_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected())
    })
}
