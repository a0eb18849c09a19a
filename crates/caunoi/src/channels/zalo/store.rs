//! Zalo channel queries: the unit an OA is bound to, and the OA's encrypted token pair.

use crate::db::{Db, StoreError};
use crate::{db_read, db_write};

/// The unit bound to an OA, with its sealed secrets (see `units::service::ZaloSecrets`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OaBinding {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_path: String,
    pub app_id: Option<String>,
    pub sealed_secrets: Option<String>,
}

pub async fn binding_by_oa(db: &Db, oa_id: &str) -> Result<Option<OaBinding>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT id AS unit_id, code AS unit_code, path AS unit_path, zalo_app_id AS app_id, \
         zalo_secrets AS sealed_secrets FROM units WHERE zalo_oa_id = $1"
    )
    .bind(oa_id)
    .fetch_optional(pool)
    .await)?)
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

/// Replaces the OA's token pair in one statement (the rotation must be atomic).
pub async fn save_tokens(db: &Db, row: &TokenRow) -> Result<(), StoreError> {
    db_write!(db, pool => sqlx::query(
        "INSERT INTO oa_tokens (oa_id, unit_id, sealed_tokens, access_expires_at, refresh_expires_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (oa_id) DO UPDATE SET unit_id = excluded.unit_id, \
         sealed_tokens = excluded.sealed_tokens, access_expires_at = excluded.access_expires_at, \
         refresh_expires_at = excluded.refresh_expires_at, updated_at = excluded.updated_at"
    )
    .bind(&row.oa_id)
    .bind(row.unit_id)
    .bind(&row.sealed_tokens)
    .bind(row.access_expires_at)
    .bind(row.refresh_expires_at)
    .bind(row.updated_at)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}
