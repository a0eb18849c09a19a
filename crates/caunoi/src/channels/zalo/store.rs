//! Zalo channel queries, on the channel's own tables only: a unit's OA connection
//! (`zalo_oa_connections`), the OA's encrypted token pair (`oa_tokens`), consents in progress
//! (`zalo_oauth_states`) and domain verification codes (`zalo_site_verifications`). Joins to
//! `units` only read a unit's code, name and path (for routing and the scope filter).

use crate::db::{Db, StoreError, Tx};
use crate::{db_read, db_write, in_scope};

/// The unit an OA is connected to, with its sealed secrets (see `connection::ZaloSecrets`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OaBinding {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_path: String,
    pub app_id: String,
    pub sealed_secrets: String,
    pub status: String,
}

pub async fn binding_by_oa(db: &Db, oa_id: &str) -> Result<Option<OaBinding>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT c.unit_id, u.code AS unit_code, u.path AS unit_path, c.app_id, c.sealed_secrets, c.status \
         FROM zalo_oa_connections c JOIN units u ON u.id = c.unit_id WHERE c.oa_id = $1"
    )
    .bind(oa_id)
    .fetch_optional(pool)
    .await)?)
}

/// A unit's OA connection as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub unit_id: i64,
    pub app_id: String,
    pub oa_id: String,
    pub sealed_secrets: String,
    pub status: String,
    pub status_reason: String,
    pub status_at: i64,
    pub connected_at: Option<i64>,
    pub last_webhook_at: Option<i64>,
    pub last_check_at: Option<i64>,
    pub check_error: String,
    pub oa_name: String,
}

macro_rules! connection_columns {
    () => {
        "c.unit_id, c.app_id, c.oa_id, c.sealed_secrets, c.status, c.status_reason, c.status_at, c.connected_at, \
         c.last_webhook_at, c.last_check_at, c.check_error, c.oa_name"
    };
}

pub async fn connection_of_unit(db: &Db, unit_id: i64) -> Result<Option<ConnectionRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT ", connection_columns!(), " FROM zalo_oa_connections c WHERE c.unit_id = $1"
    ))
        .bind(unit_id)
        .fetch_optional(pool)
        .await)?)
}

/// The unit an OA id is connected to, if any.
pub async fn unit_of_oa(db: &Db, oa_id: &str) -> Result<Option<i64>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar("SELECT unit_id FROM zalo_oa_connections WHERE oa_id = $1")
        .bind(oa_id)
        .fetch_optional(pool)
        .await)?)
}

/// A connection in the officer's scope, with its unit (for the landing page's notices).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScopedConnection {
    pub unit_code: String,
    pub unit_name: String,
    pub unit_path: String,
    #[sqlx(flatten)]
    pub connection: ConnectionRow,
}

/// Every OA connection of a unit the officer can see.
pub async fn connections_in_scope(db: &Db, officer: i64) -> Result<Vec<ScopedConnection>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT u.code AS unit_code, u.name AS unit_name, u.path AS unit_path, ", connection_columns!(),
        " FROM zalo_oa_connections c JOIN units u ON u.id = c.unit_id WHERE ", in_scope!(), " ORDER BY u.path"
    ))
        .bind(officer)
        .fetch_all(pool)
        .await)?)
}

/// What a successful connection writes.
pub struct NewConnection<'a> {
    pub unit_id: i64,
    pub app_id: &'a str,
    pub oa_id: &'a str,
    pub sealed_secrets: &'a str,
    pub oa_name: &'a str,
    pub check_error: &'a str,
    pub now: i64,
}

/// Connects (or reconnects) a unit's OA: status `connected`, checked now. An OA id already
/// connected to another unit is a [`StoreError::Conflict`].
pub async fn upsert_connected(tx: &mut Tx, c: &NewConnection<'_>) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO zalo_oa_connections (unit_id, app_id, oa_id, sealed_secrets, status, status_reason, status_at, \
             connected_at, last_webhook_at, last_check_at, check_error, oa_name, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'connected', '', $5, $5, NULL, $5, $6, $7, $5, $5) \
             ON CONFLICT (unit_id) DO UPDATE SET app_id = excluded.app_id, oa_id = excluded.oa_id, \
             sealed_secrets = excluded.sealed_secrets, status = 'connected', status_reason = '', \
             status_at = excluded.status_at, connected_at = excluded.connected_at, \
             last_webhook_at = CASE WHEN zalo_oa_connections.oa_id = excluded.oa_id \
                 THEN zalo_oa_connections.last_webhook_at END, \
             last_check_at = excluded.last_check_at, check_error = excluded.check_error, \
             oa_name = excluded.oa_name, updated_at = excluded.updated_at",
        )
        .bind(c.unit_id)
        .bind(c.app_id)
        .bind(c.oa_id)
        .bind(c.sealed_secrets)
        .bind(c.now)
        .bind(c.check_error)
        .bind(c.oa_name)
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::on_unique(e, "this Zalo OA is connected to another unit"))?;
        Ok(())
    })
}

/// Marks a connection lost (`refresh_failed` or `revoked`) or `disconnected` by an admin. A
/// refresh failure only ends a `connected` OA; a revocation ends any state but `revoked` and
/// `disconnected` (an OA disconnected on purpose stays so); a disconnection ends any state.
/// Returns whether the status changed, so the caller records the change once however often
/// its cause repeats.
pub async fn mark_lost(tx: &mut Tx, oa_id: &str, status: &str, reason: &str, now: i64) -> Result<bool, StoreError> {
    crate::db_conn!(tx, conn => {
        let done = sqlx::query(
            "UPDATE zalo_oa_connections SET status = $1, status_reason = $2, status_at = $3, updated_at = $3 \
             WHERE oa_id = $4 AND status <> $1 AND (status = 'connected' \
             OR ($1 = 'revoked' AND status <> 'disconnected') OR $1 = 'disconnected')",
        )
        .bind(status)
        .bind(reason)
        .bind(now)
        .bind(oa_id)
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() > 0)
    })
}

/// Records a live check's outcome.
pub async fn record_check(
    db: &Db,
    unit_id: i64,
    oa_name: Option<&str>,
    error: &str,
    now: i64,
) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query(
        "UPDATE zalo_oa_connections SET last_check_at = $1, check_error = $2, \
         oa_name = COALESCE($3, oa_name) WHERE unit_id = $4"
    )
    .bind(now)
    .bind(error)
    .bind(oa_name)
    .bind(unit_id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Notes that a webhook of the OA arrived (callers write this at most once a minute per OA).
pub async fn touch_webhook(db: &Db, oa_id: &str, now: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("UPDATE zalo_oa_connections SET last_webhook_at = $1 WHERE oa_id = $2")
        .bind(now)
        .bind(oa_id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// The sealed token pair of an OA.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub oa_id: String,
    pub unit_id: i64,
    pub sealed_tokens: String,
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
    pub updated_at: i64,
}

pub async fn tokens(db: &Db, oa_id: &str) -> Result<Option<TokenRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT oa_id, unit_id, sealed_tokens, access_expires_at, refresh_expires_at, updated_at \
         FROM oa_tokens WHERE oa_id = $1"
    )
    .bind(oa_id)
    .fetch_optional(pool)
    .await)?)
}

/// Replaces the OA's token pair (the rotation must be atomic; a rotation happens about once a
/// day per OA, so its own transaction costs nothing that matters).
pub async fn save_tokens(db: &Db, row: &TokenRow) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    save_tokens_in(&mut tx, row).await?;
    tx.commit().await?;
    Ok(())
}

/// [`save_tokens`] inside a transaction that also writes the connection.
pub async fn save_tokens_in(tx: &mut Tx, row: &TokenRow) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO oa_tokens (oa_id, unit_id, sealed_tokens, access_expires_at, refresh_expires_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (oa_id) DO UPDATE SET unit_id = excluded.unit_id, \
             sealed_tokens = excluded.sealed_tokens, access_expires_at = excluded.access_expires_at, \
             refresh_expires_at = excluded.refresh_expires_at, updated_at = excluded.updated_at",
        )
        .bind(&row.oa_id)
        .bind(row.unit_id)
        .bind(&row.sealed_tokens)
        .bind(row.access_expires_at)
        .bind(row.refresh_expires_at)
        .bind(row.updated_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// Forgets the token pair of an OA that is no longer the unit's.
pub async fn delete_tokens(tx: &mut Tx, oa_id: &str) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM oa_tokens WHERE oa_id = $1").bind(oa_id).execute(&mut *conn).await?;
        Ok(())
    })
}

/// A consent in progress.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OauthState {
    pub unit_id: i64,
    pub officer_id: i64,
    pub session_hash: String,
    pub app_id: String,
    pub oa_id: String,
    pub sealed: String,
    pub expires_at: i64,
}

/// Stores a new consent and drops the expired ones.
pub async fn insert_state(tx: &mut Tx, state_hash: &str, s: &OauthState, now: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM zalo_oauth_states WHERE expires_at < $1").bind(now).execute(&mut *conn).await?;
        sqlx::query(
            "INSERT INTO zalo_oauth_states (state_hash, unit_id, officer_id, session_hash, app_id, oa_id, sealed, \
             expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(state_hash)
        .bind(s.unit_id)
        .bind(s.officer_id)
        .bind(&s.session_hash)
        .bind(&s.app_id)
        .bind(&s.oa_id)
        .bind(&s.sealed)
        .bind(s.expires_at)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// Takes a consent out (single use: whoever presents the state spends it).
pub async fn take_state(db: &Db, state_hash: &str) -> Result<Option<OauthState>, StoreError> {
    Ok(db_write!(db, pool => sqlx::query_as(
        "DELETE FROM zalo_oauth_states WHERE state_hash = $1 \
         RETURNING unit_id, officer_id, session_hash, app_id, oa_id, sealed, expires_at"
    )
    .bind(state_hash)
    .fetch_optional(pool)
    .await)?)
}

/// Sets (or with `None`, removes) a unit's domain verification code.
pub async fn set_site_verification(
    tx: &mut Tx,
    unit_id: i64,
    code: Option<&str>,
    officer: i64,
    now: i64,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        match code {
            Some(code) => {
                sqlx::query(
                    "INSERT INTO zalo_site_verifications (unit_id, code, created_at, created_by) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (unit_id) DO UPDATE SET code = excluded.code, created_at = excluded.created_at, \
                     created_by = excluded.created_by",
                )
                .bind(unit_id)
                .bind(code)
                .bind(now)
                .bind(officer)
                .execute(&mut *conn)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM zalo_site_verifications WHERE unit_id = $1")
                    .bind(unit_id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(())
    })
}

pub async fn site_verification_of_unit(db: &Db, unit_id: i64) -> Result<Option<String>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar("SELECT code FROM zalo_site_verifications WHERE unit_id = $1")
        .bind(unit_id)
        .fetch_optional(pool)
        .await)?)
}

/// Every distinct domain verification code (several units may share an App).
pub async fn site_verification_codes(db: &Db) -> Result<Vec<String>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar("SELECT DISTINCT code FROM zalo_site_verifications ORDER BY code")
        .fetch_all(pool)
        .await)?)
}

pub async fn site_verification_exists(db: &Db, code: &str) -> Result<bool, StoreError> {
    let n: i64 = db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM zalo_site_verifications WHERE code = $1")
        .bind(code)
        .fetch_one(pool)
        .await)?;
    Ok(n > 0)
}

/// Reserves `bytes` of a citizen's media quotas (`contact_key`, a keyed hash) before a download,
/// under a lock on the citizen so parallel downloads cannot all pass: `Ok(Some(id))` when the
/// bytes downloaded since `hour_since` and `day_since` plus `bytes` stay within `hour_max` and
/// `day_max`, `Ok(None)` when a quota would be exceeded (nothing is written). Rows older than
/// `day_since` are deleted on the way.
pub async fn reserve_download(
    db: &Db,
    contact_key: &str,
    now: i64,
    bytes: i64,
    (hour_since, hour_max): (i64, i64),
    (day_since, day_max): (i64, i64),
) -> Result<Option<i64>, StoreError> {
    let mut tx = db.begin().await?;
    tx.lock_key(&format!("zalo-media:{contact_key}")).await?;
    let reserved = crate::db_conn!(&mut tx, conn => {
        let (hour, day): (i64, i64) = sqlx::query_as(
            "SELECT \
             (SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM zalo_media_downloads WHERE contact_key = $1 AND at >= $2), \
             (SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM zalo_media_downloads WHERE contact_key = $1 AND at >= $3)",
        )
        .bind(contact_key)
        .bind(hour_since)
        .bind(day_since)
        .fetch_one(&mut *conn)
        .await?;
        if hour.saturating_add(bytes) > hour_max || day.saturating_add(bytes) > day_max {
            None
        } else {
            sqlx::query("DELETE FROM zalo_media_downloads WHERE at < $1").bind(day_since).execute(&mut *conn).await?;
            Some(
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO zalo_media_downloads (contact_key, at, bytes) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(contact_key)
                .bind(now)
                .bind(bytes)
                .fetch_one(&mut *conn)
                .await?,
            )
        }
    });
    if reserved.is_some() {
        tx.commit().await?;
    }
    Ok(reserved)
}

/// Settles a reservation to the bytes the download really took (never more than reserved).
pub async fn settle_download(db: &Db, id: i64, bytes: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("UPDATE zalo_media_downloads SET bytes = $1 WHERE id = $2 AND bytes > $1")
        .bind(bytes)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Gives a reservation back (the download failed or was refused: it used none of the quota).
pub async fn release_download(db: &Db, id: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("DELETE FROM zalo_media_downloads WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}
