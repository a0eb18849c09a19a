//! Knowledge-base queries: the shared base, per-unit overrides, version history and the log of
//! unanswered questions. Entries and overrides are stored as the JSON of their `caunoi-core`
//! types, with the columns the console sorts and filters on beside them.

use crate::db::{Db, StoreError, Tx};
use crate::{db_read, in_scope};
use caunoi_core::kb::{KbEntry, KbOverride};
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;

/// The whole base, in a stable order (category, then id).
pub async fn base(db: &Db) -> Result<Vec<KbEntry>, StoreError> {
    let rows: Vec<(String,)> = db_read!(db, pool => sqlx::query_as("SELECT data FROM kb_entries ORDER BY category, entry_id").fetch_all(pool).await)?;
    Ok(rows.into_iter().filter_map(|(d,)| serde_json::from_str(&d).ok()).collect())
}

/// Review dates of base entries.
pub async fn review_dates(db: &Db) -> Result<Vec<(String, Option<String>)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as("SELECT entry_id, review_date FROM kb_entries").fetch_all(pool).await)?)
}

/// Every override, grouped by unit.
pub async fn all_overrides(db: &Db) -> Result<Vec<(UnitId, KbOverride)>, StoreError> {
    let rows: Vec<(i64, String)> = db_read!(db, pool => sqlx::query_as("SELECT unit_id, data FROM kb_overrides ORDER BY unit_id, id").fetch_all(pool).await)?;
    Ok(rows.into_iter().filter_map(|(u, d)| Some((UnitId(u), serde_json::from_str(&d).ok()?))).collect())
}

/// The highest version number anywhere in the knowledge base (to notice changes made by
/// another instance).
pub async fn generation(db: &Db) -> Result<i64, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT COALESCE((SELECT MAX(updated_at) FROM kb_entries), 0) + COALESCE((SELECT MAX(updated_at) FROM kb_overrides), 0) \
         + COALESCE((SELECT COUNT(*) FROM kb_overrides), 0)"
    ).fetch_one(pool).await)?)
}

/// One line of an entry's history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    /// The row's id (a version is named by it in the console).
    pub id: i64,
    /// The unit whose change this is; `None` for the shared base.
    pub unit_id: Option<i64>,
    pub version: i32,
    pub at: i64,
    /// `imported` (base), `modify`, `hide`, `add`, `restored`, or `rollback:<version>`.
    pub change: String,
    pub unit_name: Option<String>,
    pub officer_name: Option<String>,
}

macro_rules! version_select {
    () => {
        "SELECT v.id, v.unit_id, v.version, v.at, v.change, u.name AS unit_name, o.display_name AS officer_name \
         FROM kb_versions v LEFT JOIN units u ON u.id = v.unit_id LEFT JOIN officers o ON o.id = v.officer_id "
    };
}

/// The history of an entry: base versions and the overrides of units the reader can see.
pub async fn versions(db: &Db, reader: OfficerId, entry_id: &str) -> Result<Vec<VersionRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        version_select!(),
        "WHERE v.entry_id = $2 AND (v.unit_id IS NULL OR ", in_scope!(), ") ORDER BY v.at DESC, v.id DESC LIMIT 100"
    ))
    .bind(reader.0)
    .bind(entry_id)
    .fetch_all(pool)
    .await)?)
}

/// A version with what it stored: the base entry's JSON, the override's JSON, or empty for a
/// `restored` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredVersion {
    #[sqlx(flatten)]
    pub row: VersionRow,
    pub entry_id: String,
    pub data: String,
}

/// One version of an entry, if the reader can see it.
pub async fn version(db: &Db, reader: OfficerId, entry_id: &str, id: i64) -> Result<Option<StoredVersion>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT v.id, v.unit_id, v.version, v.at, v.change, u.name AS unit_name, o.display_name AS officer_name, \
         v.entry_id, v.data FROM kb_versions v LEFT JOIN units u ON u.id = v.unit_id \
         LEFT JOIN officers o ON o.id = v.officer_id \
         WHERE v.id = $2 AND v.entry_id = $3 AND (v.unit_id IS NULL OR ", in_scope!(), ")"
    ))
    .bind(reader.0)
    .bind(id)
    .bind(entry_id)
    .fetch_optional(pool)
    .await)?)
}

/// The version of the same entry and lineage (the base, or one unit's overrides) just before
/// version row `id`.
pub async fn previous_version(
    db: &Db,
    entry_id: &str,
    unit: Option<i64>,
    id: i64,
) -> Result<Option<StoredVersion>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT v.id, v.unit_id, v.version, v.at, v.change, u.name AS unit_name, o.display_name AS officer_name, \
         v.entry_id, v.data FROM kb_versions v LEFT JOIN units u ON u.id = v.unit_id \
         LEFT JOIN officers o ON o.id = v.officer_id \
         WHERE v.entry_id = $1 AND COALESCE(v.unit_id, 0) = $2 AND v.id < $3 \
         ORDER BY v.id DESC LIMIT 1"
    )
    .bind(entry_id)
    // Unit ids start at 1: 0 stands for the shared base.
    .bind(unit.unwrap_or(0))
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// The id of the newest version of an entry in one lineage.
pub async fn latest_version_id(db: &Db, entry_id: &str, unit: Option<i64>) -> Result<Option<i64>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT MAX(v.id) FROM kb_versions v WHERE v.entry_id = $1 AND COALESCE(v.unit_id, 0) = $2"
    )
    .bind(entry_id)
    .bind(unit.unwrap_or(0))
    .fetch_one(pool)
    .await)?)
}

/// The shared base entry as it stood at `at` (its newest base version not after it).
pub async fn base_at(db: &Db, entry_id: &str, at: i64) -> Result<Option<KbEntry>, StoreError> {
    let data: Option<String> = db_read!(db, pool => sqlx::query_scalar(
        "SELECT data FROM kb_versions WHERE entry_id = $1 AND unit_id IS NULL AND at <= $2 ORDER BY at DESC, id DESC LIMIT 1"
    )
    .bind(entry_id)
    .bind(at)
    .fetch_optional(pool)
    .await)?;
    Ok(data.and_then(|d| serde_json::from_str(&d).ok()))
}

/// An open unanswered question, as the review screen shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnansweredRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub at: i64,
    pub text: String,
    pub kind: String,
    pub entry_id: Option<String>,
}

/// Open unanswered questions of the units the reader can see, newest first.
pub async fn open_unanswered(db: &Db, reader: OfficerId, limit: i64) -> Result<Vec<UnansweredRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT q.id, q.unit_id, u.code AS unit_code, u.name AS unit_name, q.at, q.text, q.kind, q.entry_id \
         FROM kb_unanswered q JOIN units u ON u.id = q.unit_id \
         WHERE q.resolved_at IS NULL AND ", in_scope!(), " ORDER BY q.at DESC LIMIT $2"
    ))
    .bind(reader.0)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// A review question an officer labelled as an emergency (`emergency:<kind>`) or as none
/// (`not_emergency`), masked as logged.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SafetyLabelRow {
    pub text: String,
    pub resolution: String,
}

/// Labelled review questions of the units under `path` (every unit with ""), oldest first.
pub async fn safety_labels(db: &Db, path: &str) -> Result<Vec<SafetyLabelRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT q.text, q.resolution FROM kb_unanswered q JOIN units u ON u.id = q.unit_id \
         WHERE (q.resolution LIKE 'emergency:%' OR q.resolution = 'not_emergency') AND u.path LIKE $1 || '%' \
         ORDER BY q.resolved_at, q.id"
    )
    .bind(path)
    .fetch_all(pool)
    .await)?)
}

/// Open questions by id, if the reader can see them.
pub async fn unanswered_by_ids(db: &Db, reader: OfficerId, ids: &[i64]) -> Result<Vec<UnansweredRow>, StoreError> {
    let all = open_unanswered(db, reader, 1000).await?;
    Ok(all.into_iter().filter(|r| ids.contains(&r.id)).collect())
}

/// Replaces (or inserts) a base entry and records the version.
pub async fn put_base(
    tx: &mut Tx,
    entry: &KbEntry,
    at: i64,
    by: Option<OfficerId>,
    change: &str,
) -> Result<i32, StoreError> {
    crate::db_conn!(tx, conn => {
        let data = serde_json::to_string(entry).unwrap_or_default();
        let version: i32 = sqlx::query_scalar(
            "INSERT INTO kb_entries (entry_id, category, title, data, version, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, 1, $5, $6) \
             ON CONFLICT (entry_id) DO UPDATE SET category = excluded.category, title = excluded.title, \
             data = excluded.data, version = kb_entries.version + 1, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by RETURNING version",
        )
        .bind(entry.id.as_str())
        .bind(&entry.category)
        .bind(&entry.title)
        .bind(&data)
        .bind(at)
        .bind(by.map(|b| b.0))
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO kb_versions (entry_id, unit_id, version, at, officer_id, change, data) VALUES ($1, NULL, $2, $3, $4, $5, $6)",
        )
        .bind(entry.id.as_str())
        .bind(version)
        .bind(at)
        .bind(by.map(|b| b.0))
        .bind(change)
        .bind(&data)
        .execute(&mut *conn)
        .await?;
        Ok(version)
    })
}

/// Sets a unit's override of one entry (replacing an earlier one) and records the version,
/// named `change` in the history (the override's action when `None`).
pub async fn put_override(
    tx: &mut Tx,
    unit: UnitId,
    entry_id: &str,
    o: &KbOverride,
    at: i64,
    by: OfficerId,
    change: Option<&str>,
) -> Result<i32, StoreError> {
    crate::db_conn!(tx, conn => {
        let data = serde_json::to_string(o).unwrap_or_default();
        let action = match o {
            KbOverride::Modify { .. } => "modify",
            KbOverride::Hide { .. } => "hide",
            KbOverride::Add { .. } => "add",
        };
        let version: i32 = sqlx::query_scalar(
            "INSERT INTO kb_overrides (unit_id, entry_id, action, data, version, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, 1, $5, $6) \
             ON CONFLICT (unit_id, entry_id) DO UPDATE SET action = excluded.action, data = excluded.data, \
             version = kb_overrides.version + 1, updated_at = excluded.updated_at, updated_by = excluded.updated_by \
             RETURNING version",
        )
        .bind(unit.0)
        .bind(entry_id)
        .bind(action)
        .bind(&data)
        .bind(at)
        .bind(by.0)
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO kb_versions (entry_id, unit_id, version, at, officer_id, change, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(entry_id)
        .bind(unit.0)
        .bind(version)
        .bind(at)
        .bind(by.0)
        .bind(change.unwrap_or(action))
        .bind(&data)
        .execute(&mut *conn)
        .await?;
        Ok(version)
    })
}

/// Removes a unit's override (the unit sees the base entry again) and records it.
pub async fn delete_override(
    tx: &mut Tx,
    unit: UnitId,
    entry_id: &str,
    at: i64,
    by: OfficerId,
) -> Result<bool, StoreError> {
    crate::db_conn!(tx, conn => {
        let removed = sqlx::query("DELETE FROM kb_overrides WHERE unit_id = $1 AND entry_id = $2")
            .bind(unit.0)
            .bind(entry_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if removed > 0 {
            sqlx::query(
                "INSERT INTO kb_versions (entry_id, unit_id, version, at, officer_id, change, data) VALUES ($1, $2, 0, $3, $4, 'restored', '')",
            )
            .bind(entry_id)
            .bind(unit.0)
            .bind(at)
            .bind(by.0)
            .execute(&mut *conn)
            .await?;
        }
        Ok(removed > 0)
    })
}

/// Logs a question the bot could not settle (text already masked).
pub async fn log_unanswered(
    tx: &mut Tx,
    unit: UnitId,
    at: i64,
    masked_text: &str,
    kind: &str,
    entry_id: Option<&str>,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("INSERT INTO kb_unanswered (unit_id, at, text, kind, entry_id) VALUES ($1, $2, $3, $4, $5)")
            .bind(unit.0)
            .bind(at)
            .bind(masked_text)
            .bind(kind)
            .bind(entry_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

/// A question for the unanswered-question review, already masked.
#[derive(Debug, Clone, Copy)]
pub struct NewUnanswered<'a> {
    pub unit: UnitId,
    pub text: &'a str,
    /// Why it is there: `hand_off`, `clarify`, `unhelpful`, …
    pub reason: &'a str,
    pub entry_id: Option<&'a str>,
}

/// Logs several questions in one statement per 256.
pub async fn log_unanswered_many(tx: &mut Tx, at: i64, rows: &[NewUnanswered<'_>]) -> Result<(), StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        for chunk in rows.chunks(crate::db::MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO kb_unanswered (unit_id, at, text, kind, entry_id) VALUES {}",
                crate::db::values_list(chunk.len(), 5, style)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q.bind(r.unit.0).bind(at).bind(r.text).bind(r.reason).bind(r.entry_id);
            }
            q.persistent(true).execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// Marks questions as dealt with.
pub async fn resolve_unanswered(
    tx: &mut Tx,
    id: i64,
    at: i64,
    by: OfficerId,
    resolution: &str,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("UPDATE kb_unanswered SET resolved_at = $1, resolved_by = $2, resolution = $3 WHERE id = $4 AND resolved_at IS NULL")
            .bind(at)
            .bind(by.0)
            .bind(resolution)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}
