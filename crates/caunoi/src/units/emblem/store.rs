//! `unit_emblems`: one row per unit that has an emblem.

use crate::db::{Db, StoreError, Tx};
use crate::db_read;
use caunoi_core::units::UnitId;

/// Sets (or replaces) a unit's emblem.
pub async fn put(
    tx: &mut Tx,
    unit: UnitId,
    mime: &str,
    bytes: &[u8],
    sha256: &str,
    now: i64,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO unit_emblems (unit_id, mime, bytes, sha256, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (unit_id) DO UPDATE SET mime = excluded.mime, bytes = excluded.bytes, \
             sha256 = excluded.sha256, updated_at = excluded.updated_at",
        )
        .bind(unit.0)
        .bind(mime)
        .bind(bytes)
        .bind(sha256)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// Removes a unit's emblem; `true` when there was one.
pub async fn delete(tx: &mut Tx, unit: UnitId) -> Result<bool, StoreError> {
    crate::db_conn!(tx, conn => {
        let done = sqlx::query("DELETE FROM unit_emblems WHERE unit_id = $1").bind(unit.0).execute(&mut *conn).await?;
        Ok(done.rows_affected() > 0)
    })
}

/// A unit's emblem: its type, bytes and SHA-256.
pub async fn get(db: &Db, unit: UnitId) -> Result<Option<(String, Vec<u8>, String)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as("SELECT mime, bytes, sha256 FROM unit_emblems WHERE unit_id = $1")
        .bind(unit.0)
        .fetch_optional(pool)
        .await)?)
}

/// The SHA-256 of a unit's emblem, if it has one.
pub async fn version(db: &Db, unit: UnitId) -> Result<Option<String>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar("SELECT sha256 FROM unit_emblems WHERE unit_id = $1")
        .bind(unit.0)
        .fetch_optional(pool)
        .await)?)
}
