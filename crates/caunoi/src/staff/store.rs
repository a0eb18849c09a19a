//! Officer, grant, session and login-throttle queries. Listing officers is scoped: an officer
//! is visible when at least one of their grants lies inside the reader's subtrees.

use crate::db::{Db, StoreError, Tx};
use crate::{db_read, db_write, in_scope};
use caunoi_core::staff::{Grant, OfficerId, Role, ThrottlePolicy, ThrottleState};
use caunoi_core::units::{UnitId, UnitPath};

/// What sign-in needs about an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub disabled: bool,
}

pub async fn credentials(db: &Db, username: &str) -> Result<Option<Credentials>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT id, password_hash, totp_secret, disabled FROM officers WHERE username = $1"
    )
    .bind(username)
    .fetch_optional(pool)
    .await)?)
}

pub async fn credentials_by_id(db: &Db, id: OfficerId) -> Result<Option<Credentials>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT id, password_hash, totp_secret, disabled FROM officers WHERE id = $1"
    )
    .bind(id.0)
    .fetch_optional(pool)
    .await)?)
}

/// An officer's profile.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Profile {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub locale: String,
    pub disabled: bool,
    pub totp_enabled: bool,
    pub created_at: i64,
}

macro_rules! profile_columns {
    () => {
        "o.id, o.username, o.display_name, o.locale, o.disabled, \
         (CASE WHEN o.totp_secret IS NULL THEN 0 ELSE 1 END) = 1 AS totp_enabled, o.created_at"
    };
}

pub async fn profile(db: &Db, id: OfficerId) -> Result<Option<Profile>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!("SELECT ", profile_columns!(), " FROM officers o WHERE o.id = $1"))
        .bind(id.0)
        .fetch_optional(pool)
        .await)?)
}

/// Officers with at least one grant inside the reader's scope.
pub async fn list_in_scope(db: &Db, reader: OfficerId) -> Result<Vec<Profile>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT ", profile_columns!(), " FROM officers o WHERE EXISTS (SELECT 1 FROM role_grants g \
         JOIN units u ON u.id = g.unit_id WHERE g.officer_id = o.id AND ", in_scope!(), ") ORDER BY o.display_name"
    ))
    .bind(reader.0)
    .fetch_all(pool)
    .await)?)
}

/// One officer, if visible to the reader.
pub async fn profile_in_scope(db: &Db, reader: OfficerId, id: OfficerId) -> Result<Option<Profile>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT ", profile_columns!(), " FROM officers o WHERE o.id = $2 AND EXISTS (SELECT 1 FROM role_grants g \
         JOIN units u ON u.id = g.unit_id WHERE g.officer_id = o.id AND ", in_scope!(), ")"
    ))
    .bind(reader.0)
    .bind(id.0)
    .fetch_optional(pool)
    .await)?)
}

/// A grant with the unit's names, for display.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub officer_id: i64,
    pub role: String,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_path: String,
}

macro_rules! grant_select {
    () => {
        "SELECT g.id, g.officer_id, g.role, g.unit_id, u.code AS unit_code, u.name AS unit_name, u.path AS unit_path \
         FROM role_grants g JOIN units u ON u.id = g.unit_id"
    };
}

/// Every grant of an officer (to build their own scope).
pub async fn grants_of(db: &Db, officer: OfficerId) -> Result<Vec<Grant>, StoreError> {
    let rows: Vec<GrantRow> = db_read!(db, pool => sqlx::query_as(concat!(grant_select!(), " WHERE g.officer_id = $1 ORDER BY u.path"))
        .bind(officer.0)
        .fetch_all(pool)
        .await)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Grant {
                role: Role::parse(&r.role).ok()?,
                unit_id: UnitId(r.unit_id),
                unit_path: UnitPath::from_stored(r.unit_path),
            })
        })
        .collect())
}

/// The grants of `officer` that lie inside the reader's scope.
pub async fn grants_visible(db: &Db, reader: OfficerId, officer: OfficerId) -> Result<Vec<GrantRow>, StoreError> {
    Ok(
        db_read!(db, pool => sqlx::query_as(concat!(grant_select!(), " WHERE g.officer_id = $2 AND ", in_scope!(), " ORDER BY u.path"))
        .bind(reader.0)
        .bind(officer.0)
        .fetch_all(pool)
        .await)?,
    )
}

/// Grants on one unit (the unit page lists who works there).
pub async fn grants_on_unit(db: &Db, unit: UnitId) -> Result<Vec<(GrantRow, String)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        grant: GrantRow,
        display_name: String,
    }
    let rows: Vec<Row> = db_read!(db, pool => sqlx::query_as(
        "SELECT g.id, g.officer_id, g.role, g.unit_id, u.code AS unit_code, u.name AS unit_name, u.path AS unit_path, o.display_name \
         FROM role_grants g JOIN units u ON u.id = g.unit_id JOIN officers o ON o.id = g.officer_id \
         WHERE g.unit_id = $1 ORDER BY o.display_name"
    )
    .bind(unit.0)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(|r| (r.grant, r.display_name)).collect())
}

pub async fn grant_by_id(db: &Db, id: i64) -> Result<Option<GrantRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(grant_select!(), " WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await)?)
}

pub async fn count_officers(db: &Db) -> Result<i64, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM officers").fetch_one(pool).await)?)
}

pub async fn insert_officer(
    tx: &mut Tx,
    username: &str,
    display_name: &str,
    password_hash: &str,
    now: i64,
) -> Result<OfficerId, StoreError> {
    crate::db_conn!(tx, conn => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO officers (username, display_name, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(username)
        .bind(display_name)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| StoreError::on_unique(e, "username already taken"))?;
        Ok(OfficerId(id))
    })
}

pub async fn insert_grant(
    tx: &mut Tx,
    officer: OfficerId,
    role: Role,
    unit: UnitId,
    by: Option<OfficerId>,
    now: i64,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO role_grants (officer_id, role, unit_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(officer.0)
        .bind(role.as_str())
        .bind(unit.0)
        .bind(now)
        .bind(by.map(|b| b.0))
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::on_unique(e, "the officer already holds this role on this unit"))?;
        Ok(())
    })
}

pub async fn delete_grant(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM role_grants WHERE id = $1").bind(id).execute(&mut *conn).await?;
        Ok(())
    })
}

pub async fn set_password(tx: &mut Tx, officer: OfficerId, hash: &str, now: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("UPDATE officers SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now)
            .bind(officer.0)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

pub async fn set_totp(tx: &mut Tx, officer: OfficerId, sealed: &str, now: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("UPDATE officers SET totp_secret = $1, updated_at = $2 WHERE id = $3")
            .bind(sealed)
            .bind(now)
            .bind(officer.0)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

/// Disables or re-enables an account.
pub async fn set_disabled(tx: &mut Tx, officer: OfficerId, disabled: bool, now: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("UPDATE officers SET disabled = $1, updated_at = $2 WHERE id = $3")
            .bind(disabled)
            .bind(now)
            .bind(officer.0)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

/// Ends every session of an officer (account disabled, password reset).
pub async fn delete_sessions_of(tx: &mut Tx, officer: OfficerId) -> Result<u64, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query("DELETE FROM sessions WHERE officer_id = $1")
            .bind(officer.0)
            .execute(&mut *conn)
            .await?
            .rows_affected())
    })
}

/// The grants inside the reader's scope of every officer the reader may see (the officer list's
/// role and unit column), by officer then unit.
pub async fn grants_visible_all(db: &Db, reader: OfficerId) -> Result<Vec<GrantRow>, StoreError> {
    Ok(
        db_read!(db, pool => sqlx::query_as(concat!(grant_select!(), " WHERE ", in_scope!(), " ORDER BY g.officer_id, u.path"))
        .bind(reader.0)
        .fetch_all(pool)
        .await)?,
    )
}

// --- password reset links ----------------------------------------------------------------------

/// A stored reset link (by the hash of its token).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetRow {
    pub officer_id: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// Stores a new link for an officer, replacing the officer's links not used yet.
pub async fn insert_reset(
    tx: &mut Tx,
    token_hash: &str,
    officer: OfficerId,
    by: OfficerId,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM password_resets WHERE officer_id = $1 AND used_at IS NULL")
            .bind(officer.0)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO password_resets (token_hash, officer_id, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(officer.0)
        .bind(by.0)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

pub async fn reset_by_hash(db: &Db, token_hash: &str) -> Result<Option<ResetRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT officer_id, expires_at, used_at FROM password_resets WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await)?)
}

/// Marks a link used, if it still is usable at `now`: one guarded update, so of two uses at
/// the same time exactly one wins.
pub async fn claim_reset(tx: &mut Tx, token_hash: &str, now: i64) -> Result<bool, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query(
            "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1"
        )
        .bind(now)
        .bind(token_hash)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1)
    })
}

/// Forgets an officer's links not used yet (account disabled).
pub async fn delete_open_resets(tx: &mut Tx, officer: OfficerId) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM password_resets WHERE officer_id = $1 AND used_at IS NULL")
            .bind(officer.0)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

/// Ends every session of an officer except `keep` (after a password change).
pub async fn delete_other_sessions(tx: &mut Tx, officer: OfficerId, keep: &str) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM sessions WHERE officer_id = $1 AND token_hash <> $2")
            .bind(officer.0)
            .bind(keep)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

pub async fn set_locale(db: &Db, officer: OfficerId, locale: &str) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("UPDATE officers SET locale = $1 WHERE id = $2").bind(locale).bind(officer.0).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

// --- sessions -------------------------------------------------------------------------------

/// Session stages: `password` passed, waiting for a TOTP code; or `full`.
pub const STAGE_FULL: &str = "full";
pub const STAGE_TOTP: &str = "totp";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub officer_id: i64,
    pub stage: String,
    pub last_seen_at: i64,
    /// A duty device's session: kept (locked when idle) until then.
    pub keep_until: Option<i64>,
}

pub async fn create_session(
    db: &Db,
    token_hash: &str,
    officer: OfficerId,
    stage: &str,
    now: i64,
) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query(
        "INSERT INTO sessions (token_hash, officer_id, stage, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)"
    )
    .bind(token_hash)
    .bind(officer.0)
    .bind(stage)
    .bind(now)
    .execute(pool)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn session(db: &Db, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
    Ok(
        db_read!(db, pool => sqlx::query_as("SELECT officer_id, stage, last_seen_at, keep_until FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(pool)
        .await)?,
    )
}

pub async fn touch_session(db: &Db, token_hash: &str, now: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn promote_session(db: &Db, token_hash: &str, now: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("UPDATE sessions SET stage = 'full', last_seen_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes sessions idle since before `cutoff`, except duty devices' kept past `now`.
pub async fn purge_sessions(db: &Db, cutoff: i64, now: i64) -> Result<u64, StoreError> {
    Ok(db_write!(db, pool => sqlx::query(
        "DELETE FROM sessions WHERE last_seen_at < $1 AND (keep_until IS NULL OR keep_until < $2)"
    )
    .bind(cutoff)
    .bind(now)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?)
}

/// Keeps a session (a duty device's) until `until`.
pub async fn keep_session(db: &Db, token_hash: &str, until: i64) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("UPDATE sessions SET keep_until = $1 WHERE token_hash = $2")
        .bind(until)
        .bind(token_hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

// --- duty devices' sessions -------------------------------------------------------------------

/// How long a unit lets its duty devices keep a session, in hours (`None`: not allowed).
pub async fn duty_session_hours(db: &Db, unit: UnitId) -> Result<Option<i64>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar("SELECT hours FROM duty_session_policies WHERE unit_id = $1")
        .bind(unit.0)
        .fetch_optional(pool)
        .await)?)
}

/// The longest duty session any unit allows where the officer holds a working role directly.
pub async fn duty_session_hours_for(db: &Db, officer: OfficerId) -> Result<Option<i64>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT MAX(p.hours) FROM duty_session_policies p JOIN role_grants g ON g.unit_id = p.unit_id \
         WHERE g.officer_id = $1 AND g.role <> 'analyst'"
    )
    .bind(officer.0)
    .fetch_one(pool)
    .await)?)
}

/// Sets (`Some`) or removes (`None`) a unit's duty session allowance.
pub async fn set_duty_session_hours(
    tx: &mut Tx,
    unit: UnitId,
    hours: Option<i64>,
    by: OfficerId,
    now: i64,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        match hours {
            Some(h) => sqlx::query(
                "INSERT INTO duty_session_policies (unit_id, hours, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (unit_id) DO UPDATE SET hours = excluded.hours, updated_by = excluded.updated_by, \
                 updated_at = excluded.updated_at",
            )
            .bind(unit.0)
            .bind(h)
            .bind(by.0)
            .bind(now)
            .execute(&mut *conn)
            .await?,
            None => sqlx::query("DELETE FROM duty_session_policies WHERE unit_id = $1")
                .bind(unit.0)
                .execute(&mut *conn)
                .await?,
        };
        Ok(())
    })
}

// --- login throttling -------------------------------------------------------------------------

/// Counts an attempt for `key` as a failure before its password is checked, in one transaction
/// that no other attempt on the key can interleave with (SQLite: the writer's `BEGIN
/// IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock on the key). Returns the seconds
/// to wait when the key is locked (then nothing is counted).
pub async fn reserve_attempt(db: &Db, key: &str, policy: &ThrottlePolicy, now: i64) -> Result<Option<i64>, StoreError> {
    let mut tx = db.begin().await?;
    let state = locked_throttle(&mut tx, key).await?;
    if let Some(secs) = ThrottlePolicy::locked_for(state.as_ref(), now) {
        return Ok(Some(secs));
    }
    write_throttle(&mut tx, key, &policy.record_failure(state, now)).await?;
    tx.commit().await?;
    Ok(None)
}

/// Gives back an attempt reserved with [`reserve_attempt`] that turned out right.
pub async fn refund_attempt(db: &Db, key: &str, policy: &ThrottlePolicy) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    if let Some(state) = locked_throttle(&mut tx, key).await? {
        write_throttle(&mut tx, key, &policy.refund(state)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The key's state, read holding the key (see [`reserve_attempt`]).
async fn locked_throttle(tx: &mut Tx, key: &str) -> Result<Option<ThrottleState>, StoreError> {
    tx.lock_key(key).await?;
    crate::db_conn!(tx, conn => {
        let row: Option<(i32, i64, Option<i64>)> =
            sqlx::query_as("SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1")
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
        Ok(row.map(|(f, w, l)| ThrottleState { failures: f.max(0) as u32, window_start: w, locked_until: l }))
    })
}

async fn write_throttle(tx: &mut Tx, key: &str, s: &ThrottleState) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, \
             locked_until = excluded.locked_until",
        )
        .bind(key)
        .bind(s.failures as i32)
        .bind(s.window_start)
        .bind(s.locked_until)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// Records that an officer signed in with the code of time step `step`; false when that step
/// was already used (the primary key makes this one atomic statement). Forgets steps used more
/// than an hour before `now`.
pub async fn use_totp_step(db: &Db, officer: OfficerId, step: i64, now: i64) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let fresh = crate::db_conn!(&mut tx, conn => {
        sqlx::query("DELETE FROM totp_used WHERE officer_id = $1 AND used_at < $2")
            .bind(officer.0)
            .bind(now - 3600)
            .execute(&mut *conn)
            .await?;
        sqlx::query("INSERT INTO totp_used (officer_id, step, used_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(officer.0)
            .bind(step)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1
    });
    tx.commit().await?;
    Ok(fresh)
}

pub async fn clear_throttle(db: &Db, key: &str) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
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

/// One working grant of an officer on a unit's path (the inbox's assign list: who, in which
/// role, at which unit).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ColleagueGrant {
    pub id: i64,
    pub display_name: String,
    pub role: String,
    pub unit_name: String,
    pub unit_path: String,
}

/// The enabled officers' grants other than analyst on the unit at `unit_path` or above it.
pub async fn colleague_grants_for_unit(db: &Db, unit_path: &str) -> Result<Vec<ColleagueGrant>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT o.id, o.display_name, g.role, gu.name AS unit_name, gu.path AS unit_path FROM officers o \
         JOIN role_grants g ON g.officer_id = o.id JOIN units gu ON gu.id = g.unit_id \
         WHERE $1 LIKE gu.path || '%' AND g.role <> 'analyst' AND o.disabled = $2 ORDER BY o.display_name, o.id"
    )
    .bind(unit_path)
    .bind(false)
    .fetch_all(pool)
    .await)?)
}

/// The enabled officers holding one of `roles` directly at the unit (not above it).
pub async fn officers_with_role(db: &Db, role: &str) -> Result<Vec<i64>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT DISTINCT o.id FROM officers o JOIN role_grants g ON g.officer_id = o.id \
         WHERE g.role = $1 AND o.disabled = $2 ORDER BY o.id"
    )
    .bind(role)
    .bind(false)
    .fetch_all(pool)
    .await)?)
}

pub async fn officers_at_unit(db: &Db, unit: UnitId, roles: &[&str]) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64, String)> = db_read!(db, pool => sqlx::query_as(
        "SELECT DISTINCT o.id, g.role FROM officers o JOIN role_grants g ON g.officer_id = o.id \
         WHERE g.unit_id = $1 AND o.disabled = $2"
    )
    .bind(unit.0)
    .bind(false)
    .fetch_all(pool)
    .await)?;
    let mut ids: Vec<i64> =
        rows.into_iter().filter(|(_, role)| roles.contains(&role.as_str())).map(|(id, _)| id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
