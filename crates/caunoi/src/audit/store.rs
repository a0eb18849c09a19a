//! Audit log queries. Appending happens inside the caller's transaction; reading is limited to
//! entries about units inside the reader's admin subtrees. Entries hold ids and codes, never
//! personal data.

use crate::db::{Db, StoreError, Tx};
use crate::{db_read, in_admin_scope};
use caunoi_core::audit::AuditAction;
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;

/// One entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub at: i64,
    pub officer: Option<OfficerId>,
    pub action: AuditAction,
    pub unit: Option<UnitId>,
    /// What was acted on: a unit code, a username, a file name.
    pub target: &'a str,
    pub detail: &'a str,
}

pub async fn append(tx: &mut Tx, e: &NewEntry<'_>) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO audit_log (at, officer_id, action, unit_id, target, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(e.at)
        .bind(e.officer.map(|o| o.0))
        .bind(e.action.as_str())
        .bind(e.unit.map(|u| u.0))
        .bind(e.target)
        .bind(e.detail)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// An entry as the console lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub at: i64,
    pub action: String,
    pub officer_name: Option<String>,
    pub unit_name: Option<String>,
    pub target: String,
    pub detail: String,
}

/// Entries about units inside the admin's subtrees, newest first, before id `before`.
pub async fn list_for_admin(
    db: &Db,
    admin: OfficerId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<EntryRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT a.id, a.at, a.action, o.display_name AS officer_name, u.name AS unit_name, a.target, a.detail \
         FROM audit_log a JOIN units u ON u.id = a.unit_id LEFT JOIN officers o ON o.id = a.officer_id \
         WHERE ", in_admin_scope!(), " AND a.id < $2 ORDER BY a.id DESC LIMIT $3"
    ))
    .bind(admin.0)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}
