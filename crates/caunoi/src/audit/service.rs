//! Audit use cases: recording an entry (in the caller's transaction, so the entry and the change
//! it records commit together, or on its own for sign-in events) and listing the entries an
//! admin may read. The only door to `audit_log`.

use super::store::{self, EntryRow, NewEntry};
use crate::app::App;
use crate::db::{Db, StoreError, Tx};
use caunoi_core::staff::OfficerId;

/// Records an entry inside the caller's transaction.
pub async fn record(tx: &mut Tx, entry: &NewEntry<'_>) -> Result<(), StoreError> {
    store::append(tx, entry).await
}

/// Records an entry on its own (sign-in events, which change nothing else).
pub async fn record_now(db: &Db, entry: &NewEntry<'_>) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    store::append(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Entries about units inside the admin's subtrees, newest first, before id `before`.
pub async fn list_for_admin(
    app: &App,
    admin: OfficerId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<EntryRow>, StoreError> {
    store::list_for_admin(&app.db, admin, before, limit).await
}
