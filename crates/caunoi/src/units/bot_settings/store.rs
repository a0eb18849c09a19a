//! Bot settings queries: the table `unit_bot_settings` (one JSON document per unit that set its
//! own). SQL only.

use crate::db::{Db, StoreError, Tx};
use crate::db_read;
use caunoi_core::bot::BotSettings;
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;

/// Every unit's own settings (rows that no longer parse are left out: the unit gets the
/// inherited ones).
pub async fn all(db: &Db) -> Result<Vec<(UnitId, BotSettings)>, StoreError> {
    let rows: Vec<(i64, String)> =
        db_read!(db, pool => sqlx::query_as("SELECT unit_id, data FROM unit_bot_settings").fetch_all(pool).await)?;
    Ok(rows.into_iter().filter_map(|(u, d)| Some((UnitId(u), serde_json::from_str(&d).ok()?))).collect())
}

/// Saves a unit's own settings.
pub async fn put(tx: &mut Tx, unit: UnitId, settings: &BotSettings, at: i64, by: OfficerId) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        let data = serde_json::to_string(settings).unwrap_or_default();
        sqlx::query(
            "INSERT INTO unit_bot_settings (unit_id, data, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (unit_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(unit.0)
        .bind(&data)
        .bind(at)
        .bind(by.0)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}
