//! Web chat queries: anonymous sessions (by token hash), the rate-limit log, the chat history of
//! one session as the citizen may see it, and the buttons of the bot's web replies. SQL only;
//! the rules (limits, who may read what) live in `service.rs`.
//!
//! A session's messages are found through its contact — `contacts` (`web`, unit code, session
//! id) — never by a conversation id taken from the request, so a session reads only its own.

use crate::channels::zalo::MenuButton;
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

/// Creates a session and returns its id.
pub async fn insert_session(
    db: &Db,
    unit_id: i64,
    token_hash: &str,
    ip_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<i64, StoreError> {
    Ok(db_write!(db, pool => sqlx::query_scalar(
        "INSERT INTO webchat_sessions (unit_id, token_hash, ip_hash, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5) RETURNING id"
    )
    .bind(unit_id)
    .bind(token_hash)
    .bind(ip_hash)
    .bind(now)
    .bind(expires_at)
    .fetch_one(pool)
    .await)?)
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

/// Sessions started from one (hashed) address since `since`.
pub async fn sessions_from_ip_since(db: &Db, ip_hash: &str, since: i64) -> Result<i64, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM webchat_sessions WHERE ip_hash = $1 AND created_at >= $2"
    )
    .bind(ip_hash)
    .bind(since)
    .fetch_one(pool)
    .await)?)
}

/// Posts of a session and of an address since `since`: (session, address).
pub async fn posts_since(db: &Db, session_id: i64, ip_hash: &str, since: i64) -> Result<(i64, i64), StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT \
         (SELECT COUNT(*) FROM webchat_posts WHERE session_id = $1 AND at >= $3), \
         (SELECT COUNT(*) FROM webchat_posts WHERE ip_hash = $2 AND at >= $3)"
    )
    .bind(session_id)
    .bind(ip_hash)
    .bind(since)
    .fetch_one(pool)
    .await)?)
}

/// Records an accepted post (and forgets posts older than `forget_before`).
pub async fn record_post(
    db: &Db,
    session_id: i64,
    ip_hash: &str,
    now: i64,
    forget_before: i64,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    crate::db_conn!(&mut tx, conn => {
        sqlx::query("DELETE FROM webchat_posts WHERE at < $1").bind(forget_before).execute(&mut *conn).await?;
        sqlx::query("INSERT INTO webchat_posts (session_id, ip_hash, at) VALUES ($1, $2, $3)")
            .bind(session_id)
            .bind(ip_hash)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    });
    tx.commit().await?;
    Ok(())
}

/// A message as the session's chat shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChatMessageRow {
    pub id: i64,
    pub direction: String,
    pub author: String,
    pub kind: String,
    pub text: String,
    pub media_ref: Option<String>,
    pub created_at: i64,
    /// JSON list of `{label, payload}`.
    pub buttons: Option<String>,
    pub feedback_for: Option<String>,
    /// An outbound message whose outbox row is still queued (the chat waits for it; a dead
    /// letter does not hold the chat back).
    pub pending: bool,
}

/// Messages of every conversation of the session's contact with id above `after`, oldest
/// first, at most `limit`.
pub async fn messages_after(
    db: &Db,
    unit_code: &str,
    session_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<ChatMessageRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT m.id, m.direction, m.author, m.kind, m.text, m.media_ref, m.created_at, \
         b.buttons, b.feedback_for, \
         EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id AND o.status IN ('pending', 'sending')) AS pending \
         FROM messages m \
         JOIN conversations c ON c.id = m.conversation_id \
         JOIN contacts k ON k.id = c.contact_id \
         LEFT JOIN webchat_reply_buttons b ON b.message_id = m.id \
         WHERE k.channel = 'web' AND k.channel_account = $1 AND k.external_id = $2 AND m.id > $3 \
         ORDER BY m.id LIMIT $4"
    )
    .bind(unit_code)
    .bind(session_id.to_string())
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// The id of the `n`-th newest message of the session's contact (the start of a history
/// window of `n` messages), if it has that many.
pub async fn nth_newest_message_id(
    db: &Db,
    unit_code: &str,
    session_id: i64,
    n: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         JOIN contacts k ON k.id = c.contact_id \
         WHERE k.channel = 'web' AND k.channel_account = $1 AND k.external_id = $2 \
         ORDER BY m.id DESC LIMIT 1 OFFSET $3"
    )
    .bind(unit_code)
    .bind(session_id.to_string())
    .bind(n - 1)
    .fetch_optional(pool)
    .await)?)
}

/// A stored media message with who owns it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaRow {
    pub conversation_id: i64,
    pub media_ref: String,
    pub channel: String,
    pub channel_account: String,
    pub external_id: String,
}

/// The media of a message (none for messages without a stored file).
pub async fn media_of(db: &Db, message_id: i64) -> Result<Option<MediaRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT m.conversation_id, m.media_ref, k.channel, k.channel_account, k.external_id \
         FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         JOIN contacts k ON k.id = c.contact_id \
         WHERE m.id = $1 AND m.media_ref IS NOT NULL"
    )
    .bind(message_id)
    .fetch_optional(pool)
    .await)?)
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

/// Stores the buttons of several replies in one statement per 256: (message, buttons,
/// feedback entry).
pub async fn insert_reply_buttons_many(
    tx: &mut Tx,
    rows: &[(i64, &[MenuButton], Option<&str>)],
) -> Result<(), StoreError> {
    let style = tx.placeholders();
    crate::db_conn!(tx, conn => {
        for chunk in rows.chunks(crate::db::MAX_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO webchat_reply_buttons (message_id, buttons, feedback_for) VALUES {}",
                crate::db::values_list(chunk.len(), 3, style)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for &(message_id, buttons, feedback_for) in chunk {
                let list: Vec<serde_json::Value> =
                    buttons.iter().map(|b| serde_json::json!({ "label": b.label, "payload": b.payload })).collect();
                q = q.bind(message_id).bind(serde_json::Value::Array(list).to_string()).bind(feedback_for);
            }
            q.persistent(true).execute(&mut *conn).await?;
        }
        Ok(())
    })
}
