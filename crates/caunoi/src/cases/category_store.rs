//! Queries of the category screen on `case_categories` (owned by cases): read every category
//! with its handling level, insert a new one, change one, turn one on or off, read and write
//! the order citizens are offered them in. Writes take the
//! service's transaction, so a change and its audit entry commit together. The older reads used
//! at start-up (`store::insert_missing_categories`) stay in `store`.

use crate::db::{Db, StoreError, Tx};
use crate::db_read;
use caunoi_core::cases::Category;

/// A stored category as the screen and the cache read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CategoryRow {
    pub key: String,
    pub label_vi: String,
    pub label_en: String,
    pub sensitivity: String,
    pub handling: String,
    pub urgent: bool,
    pub legal_days: Option<i64>,
    pub questions: String,
    pub enabled: bool,
    pub position: i64,
}

/// Every category, in the order citizens are offered them.
pub async fn all(db: &Db) -> Result<Vec<CategoryRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT key, label_vi, label_en, sensitivity, handling, urgent, legal_days, questions, enabled, position \
         FROM case_categories ORDER BY position, key",
    )
    .fetch_all(pool)
    .await)?)
}

fn questions_json(c: &Category) -> String {
    serde_json::to_string(&c.questions).unwrap_or_else(|_| "[]".into())
}

/// Adds a new category at the end of the list; [`StoreError::Conflict`] if the key exists.
pub async fn insert(tx: &mut Tx, c: &Category) -> Result<(), StoreError> {
    let questions = questions_json(c);
    crate::db_conn!(tx, conn => {
        let done = sqlx::query(
            "INSERT INTO case_categories (key, label_vi, label_en, sensitivity, handling, urgent, legal_days, questions, enabled, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, (SELECT COALESCE(MAX(position), 0) + 1 FROM case_categories)) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(&c.key)
        .bind(&c.label_vi)
        .bind(&c.label_en)
        .bind(c.sensitivity.as_str())
        .bind(c.handling.as_str())
        .bind(c.urgent)
        .bind(c.legal_days.map(i64::from))
        .bind(&questions)
        .bind(true)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::Conflict("category key")) } else { Ok(()) }
    })
}

/// Changes everything of category `c.key` but its key, place and enabled flag.
pub async fn update(tx: &mut Tx, c: &Category) -> Result<(), StoreError> {
    let questions = questions_json(c);
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "UPDATE case_categories SET label_vi = $2, label_en = $3, sensitivity = $4, handling = $5, urgent = $6, \
             legal_days = $7, questions = $8 WHERE key = $1",
        )
        .bind(&c.key)
        .bind(&c.label_vi)
        .bind(&c.label_en)
        .bind(c.sensitivity.as_str())
        .bind(c.handling.as_str())
        .bind(c.urgent)
        .bind(c.legal_days.map(i64::from))
        .bind(&questions)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// Turns category `key` on or off.
pub async fn set_enabled(tx: &mut Tx, key: &str, enabled: bool) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("UPDATE case_categories SET enabled = $2 WHERE key = $1")
            .bind(key)
            .bind(enabled)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

/// The keys in the order citizens are offered them, read inside the transaction that changes it.
pub async fn order(tx: &mut Tx) -> Result<Vec<String>, StoreError> {
    crate::db_conn!(tx, conn => {
        Ok(sqlx::query_scalar("SELECT key FROM case_categories ORDER BY position, key").fetch_all(&mut *conn).await?)
    })
}

/// Numbers the categories 1, 2, 3… in the order of `keys` (which holds every key).
pub async fn set_order(tx: &mut Tx, keys: &[String]) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        for (i, key) in keys.iter().enumerate() {
            sqlx::query("UPDATE case_categories SET position = $2 WHERE key = $1")
                .bind(key)
                .bind(i as i64 + 1)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    })
}
