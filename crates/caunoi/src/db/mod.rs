//! The database: one [`Db`] over two concrete engines, SQLite (embedded default, WAL) and
//! PostgreSQL (scale-out).
//!
//! One engine-choice mechanism: stores write plain SQL with `$n` parameters that both engines
//! accept, and run it through [`db_read!`] (a reader pool), [`db_write!`] (the writer pool, one
//! statement) or [`db_conn!`] (the connection of a [`Tx`]). Each matches on the engine and
//! expands the same body once per engine, inside an ordinary function that "go to definition"
//! reaches; nothing generates modules. Only SQL that truly differs is written twice, chosen in
//! that function by a plain `match` on [`Db::engine`] or [`Tx::placeholders`]. A transaction is
//! a value: [`Db::begin`] opens it, store functions take `&mut Tx`, the service commits it.
//!
//! Invariants: on SQLite every write goes through the single-connection writer pool and every
//! transaction starts with `BEGIN IMMEDIATE` (a deferred transaction that reads then writes fails
//! with `SQLITE_BUSY_SNAPSHOT`, which no timeout cures). Timestamps are integer microseconds.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// The pools of one file of the embedded engine: one writer, several readers.
#[derive(Debug, Clone)]
pub struct SqliteDb {
    pub write: SqlitePool,
    pub read: SqlitePool,
    /// One connection that copies the WAL back into the database ([`Db::checkpoint`]), so
    /// the writer (and the webhook acks waiting for it) never stalls on a checkpoint.
    pub checkpoint: SqlitePool,
    /// The inbound log's file, beside the main one (`None` in the log's own pools), see
    /// [`Db::inbound_log`].
    pub log: Option<std::sync::Arc<SqliteDb>>,
}

/// A connection to caunoi's database.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// Which engine a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Storage failures, as the rest of the application sees them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Conflict`], keeping other errors.
    pub fn on_unique(e: sqlx::Error, what: &'static str) -> StoreError {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what),
            _ => StoreError::Sql(e),
        }
    }
}

/// Runs `$body` with `$pool` bound to a pool that may serve reads.
#[macro_export]
macro_rules! db_read {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(s) => {
                let $pool = &s.read;
                $body
            }
            $crate::db::Db::Postgres(p) => {
                let $pool = p;
                $body
            }
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool for single-statement writes.
#[macro_export]
macro_rules! db_write {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(s) => {
                let $pool = &s.write;
                $body
            }
            $crate::db::Db::Postgres(p) => {
                let $pool = p;
                $body
            }
        }
    };
}

/// Runs `$body` with `$conn` bound to the connection of the transaction `$tx` (a `&mut Tx`):
/// `&mut SqliteConnection` or `&mut PgConnection`. The body is written once and type-checked
/// for each engine; it is how a store function that takes `tx: &mut Tx` runs its statements.
#[macro_export]
macro_rules! db_conn {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $conn: &mut sqlx::SqliteConnection = &mut *t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn: &mut sqlx::PgConnection = &mut *t;
                $body
            }
        }
    };
}

/// A write transaction on the engine in use, opened by [`Db::begin`]. Store functions that
/// write take `tx: &mut Tx` (so one transaction can span several stores and features) and run
/// their SQL through [`db_conn!`]; the service that opened it calls [`Tx::commit`]. Dropping it
/// uncommitted (an early `?` return) rolls it back.
///
/// ```text
/// let mut tx = app.db.begin().await?;
/// crate::kb::store::put_override(&mut tx, unit.id, entry_id, &o, now, by, None).await?;
/// crate::audit::service::record(&mut tx, &entry).await?;
/// tx.commit().await?;
/// ```
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    /// How this engine's statements write their parameters (see [`Placeholders`]).
    pub fn placeholders(&self) -> Placeholders {
        match self {
            Tx::Sqlite(_) => Placeholders::Anonymous,
            Tx::Postgres(_) => Placeholders::Numbered,
        }
    }

    /// Serializes this transaction with every other one that locks `key`, until it commits or
    /// rolls back: on PostgreSQL a transaction-scoped advisory lock; on SQLite nothing more is
    /// needed, since a write transaction holds the one writer from `BEGIN IMMEDIATE`. For a
    /// check-then-write on a counter (rate limits, sign-in throttles), so that parallel requests
    /// cannot all pass the check before any of them is counted. Lock several keys in one fixed
    /// order.
    pub async fn lock_key(&mut self, key: &str) -> Result<(), sqlx::Error> {
        if let Tx::Postgres(t) = self {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(key).execute(&mut **t).await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

/// SQLite: the write-ahead log's length, in pages, past which [`Db::checkpoint`] finishes its
/// copy holding the writer (16 MB: a third of a second of writes at full load). That last step
/// waits for two fsyncs (5–20 ms on a virtual disk under load). A longer log measured worse:
/// every lookup of a page goes through more of the log's index, and the file is cut back and
/// grown again each time it starts over.
pub const WAL_CATCH_UP_PAGES: i64 = 4_096;

/// SQLite: the log's length at which the writer checkpoints by itself, when nothing else did
/// (256 MB).
pub const WAL_BACKSTOP_PAGES: i64 = 65_536;

/// SQLite: the size a longer log file is cut back to when it starts over.
pub const WAL_KEEP_BYTES: i64 = 64 * 1024 * 1024;

/// Rows one multi-row statement carries at most (SQLite allows 32,766 parameters).
pub const MAX_ROWS_PER_STATEMENT: usize = 256;

/// How a statement's parameters are written: `?` on SQLite (which looks a numbered parameter
/// up by a linear scan, so thousands of `$n` in one statement cost quadratic time), `$n` on
/// PostgreSQL (which only knows those). [`Tx::placeholders`] tells which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
    Anonymous,
    Numbered,
}

/// `(…), (…)`: the VALUES of a multi-row statement of `rows` rows of `columns` parameters,
/// numbered from 1 row by row.
pub fn values_list(rows: usize, columns: usize, style: Placeholders) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            match style {
                Placeholders::Anonymous => out.push('?'),
                Placeholders::Numbered => {
                    out.push('$');
                    out.push_str(&(r * columns + c + 1).to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

/// `?, ?, ?` or `$1, $2, $3`: `n` parameters for an `IN (…)` list, numbered from 1.
pub fn param_list(n: usize, style: Placeholders) -> String {
    let one = |i: usize| match style {
        Placeholders::Anonymous => "?".to_string(),
        Placeholders::Numbered => format!("${i}"),
    };
    (1..=n).map(one).collect::<Vec<_>>().join(", ")
}

/// Leases up to `limit` due rows of a work queue `table` (the outbox, the push outbox): pending
/// rows whose `run_at` has come and rows left `sending` by a worker that died (lease expired)
/// become `sending` until `lease_until`, one attempt spent; the rows as `returning` lists them.
/// One statement: under `BEGIN IMMEDIATE` on SQLite, with `FOR UPDATE SKIP LOCKED` on
/// PostgreSQL, so two workers never lease the same row. Oldest first is the caller's sort.
pub async fn claim_leased<T>(
    db: &Db,
    table: &str,
    returning: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let lock = match db {
        Db::Sqlite(_) => "",
        Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "UPDATE {table} SET status = 'sending', locked_until = $1, attempts = attempts + 1, updated_at = $2 \
         WHERE id IN (SELECT id FROM {table} WHERE (status = 'pending' AND run_at <= $2) \
         OR (status = 'sending' AND locked_until < $2) ORDER BY id LIMIT $3{lock}) RETURNING {returning}"
    );
    Ok(match db {
        Db::Sqlite(s) => {
            let mut tx = s.write.begin_with("BEGIN IMMEDIATE").await?;
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows
        }
        Db::Postgres(p) => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(lease_until).bind(now).bind(limit).fetch_all(p).await?
        }
    })
}

/// A fact about the installation (`instance_facts`), if recorded.
pub async fn instance_fact(db: &Db, name: &str) -> Result<Option<String>, StoreError> {
    Ok(crate::db_read!(db, pool => sqlx::query_scalar("SELECT value FROM instance_facts WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await)?)
}

/// Records a fact about the installation unless one is recorded under `name` already (two
/// instances starting together record the same value once).
pub async fn set_instance_fact(db: &Db, name: &str, value: &str) -> Result<(), StoreError> {
    crate::db_write!(db, pool => sqlx::query(
        "INSERT INTO instance_facts (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
    )
    .bind(name)
    .bind(value)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Records a fact about the installation inside the caller's transaction, only if none is
/// recorded under `name`: true when this transaction recorded it. Of two transactions claiming
/// the same name at once exactly one gets true (the primary key decides; on PostgreSQL the second
/// waits for the first to commit or roll back).
pub async fn claim_instance_fact(tx: &mut Tx, name: &str, value: &str) -> Result<bool, StoreError> {
    crate::db_conn!(tx, conn => {
        let done = sqlx::query("INSERT INTO instance_facts (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(value)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Why the database could not be opened, in one sentence for the operator.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the database URL {0:?} is not valid: use sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("cannot reach the database at {url}: {reason}")]
    Unreachable { url: String, reason: String },
}

impl Db {
    /// Opens the database at `url` (`sqlite://path` or `postgres://…`). SQLite files are created
    /// when missing.
    pub async fn connect(url: &str) -> Result<Db, ConnectError> {
        let shown = redact_url(url);
        let unreachable = |e: sqlx::Error| ConnectError::Unreachable { url: shown.clone(), reason: short_reason(&e) };
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|_| ConnectError::BadUrl(shown.clone()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                .pragma("temp_store", "memory");
            let log_opts = opts.clone().filename(inbound_log_path(opts.get_filename()));
            let log = open_sqlite_file(log_opts, 2, None).await.map_err(unreachable)?;
            let readers = std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(2).max(2);
            let main =
                open_sqlite_file(opts, readers * 2, Some(std::sync::Arc::new(log))).await.map_err(unreachable)?;
            Ok(Db::Sqlite(main))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url).map_err(|_| ConnectError::BadUrl(shown.clone()))?;
            // One connection first, so that a refused connection, a wrong password or a missing
            // database is told as such at once: the pool retries any failure until its timeout
            // and then reports only that the time ran out.
            match tokio::time::timeout(
                PG_CONNECT_TIMEOUT,
                <sqlx::PgConnection as sqlx::Connection>::connect_with(&opts),
            )
            .await
            {
                Err(_) => {
                    return Err(ConnectError::Unreachable {
                        url: shown,
                        reason: format!("no answer within {} s", PG_CONNECT_TIMEOUT.as_secs()),
                    });
                }
                Ok(Err(e)) => return Err(unreachable(e)),
                Ok(Ok(first)) => {
                    let _ = sqlx::Connection::close(first).await;
                }
            }
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(PG_CONNECT_TIMEOUT)
                .connect_with(opts)
                .await
                .map_err(unreachable)?;
            Ok(Db::Postgres(pool))
        } else {
            Err(ConnectError::BadUrl(shown))
        }
    }

    /// SQLite: copies what the write-ahead log holds back into the database, in two steps, so
    /// the writer (and the webhook acks waiting for it) never waits for the bulk of that I/O.
    /// First `PRAGMA wal_checkpoint(PASSIVE)` from a connection of its own, beside the writer.
    /// Under steady writes that copy never quite catches up (new pages arrive while it runs), and
    /// the log only starts over from its beginning once every page is copied, so once it is
    /// longer than [`WAL_CATCH_UP_PAGES`] the few pages written meanwhile are copied holding the
    /// writer; its next transaction then starts the log over. Left to the writer alone, every
    /// commit past the threshold ran a whole checkpoint, with its fsyncs. The workers run this
    /// ten times a second ([`crate::channels::CHECKPOINT_EVERY`]). PostgreSQL: nothing to do.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if let Db::Sqlite(s) = self {
            checkpoint_file(s).await?;
            if let Some(log) = &s.log {
                checkpoint_file(log).await?;
            }
        }
        Ok(())
    }

    /// Applies the embedded migrations of this engine (on SQLite, of both files).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(s) => {
                if let Some(log) = &s.log {
                    sqlx::migrate!("./migrations/sqlite-inbound").run(&log.write).await?;
                }
                sqlx::migrate!("./migrations/sqlite").run(&s.write).await?;
                move_inbound_events_to_the_log(s).await?;
            }
            Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Where inbound webhook events are kept. On SQLite a database file of its own beside the
    /// main one (`caunoi-inbound.db`), with its own writer: a webhook's ack waits only for the
    /// other acks of its group, never for the inbound worker's transactions on the main file.
    /// Whether an event's effects are committed is recorded with them, in the main file
    /// (`inbound_applied`); the log's `processed_at` follows right after (see
    /// `conversations::store::log_applied`). On PostgreSQL the same database.
    pub fn inbound_log(&self) -> Db {
        match self {
            Db::Sqlite(s) => Db::Sqlite(s.log.as_deref().unwrap_or(s).clone()),
            Db::Postgres(p) => Db::Postgres(p.clone()),
        }
    }

    /// The pool the webhook stores acknowledged events through. On PostgreSQL a separate small
    /// pool (same server, same settings, `synchronous_commit` untouched), so an ack never waits
    /// for a connection the workers hold; connections open on first use. On SQLite the inbound
    /// log's file ([`Db::inbound_log`]), whose one writer the webhook's group commits have
    /// (nearly) to themselves.
    pub fn ingest(&self) -> Db {
        match self {
            Db::Sqlite(_) => self.inbound_log(),
            Db::Postgres(p) => Db::Postgres(
                PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_lazy_with((*p.connect_options()).clone()),
            ),
        }
    }

    /// Opens a write transaction: on SQLite on the writer connection with `BEGIN IMMEDIATE`
    /// (module docs), on PostgreSQL on a pooled connection.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(s) => Tx::Sqlite(s.write.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// How this engine's statements write their parameters (see [`Placeholders`]).
    pub fn placeholders(&self) -> Placeholders {
        match self {
            Db::Sqlite(_) => Placeholders::Anonymous,
            Db::Postgres(_) => Placeholders::Numbered,
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        let r: Result<i32, sqlx::Error> = db_read!(self, pool => sqlx::query_scalar("SELECT 1").fetch_one(pool).await);
        r.is_ok()
    }

    /// Closes every pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(s) => {
                for file in std::iter::once(s).chain(s.log.as_deref()) {
                    file.read.close().await;
                    file.write.close().await;
                    file.checkpoint.close().await;
                }
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// The inbound log's file for the main database file `main`: `caunoi.db` → `caunoi-inbound.db`.
pub fn inbound_log_path(main: &std::path::Path) -> std::path::PathBuf {
    let stem = main.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "caunoi".into());
    let name = match main.extension() {
        Some(ext) => format!("{stem}-inbound.{}", ext.to_string_lossy()),
        None => format!("{stem}-inbound"),
    };
    main.with_file_name(name)
}

/// Opens one SQLite file: its one writer (which checkpoints by itself only as a backstop, when
/// the WAL has grown far with no checkpointer running; normally [`Db::checkpoint`] keeps it
/// short), `readers` read-only connections and the checkpointer's connection. The writer keeps
/// up to 1,024 prepared statements: multi-row statements differ by their row count, and
/// preparing a 32-row insert again for every batch cost the writer more than running it.
/// Connections are not pinged when taken from their pool: an embedded file cannot drop a
/// connection the way a server can, and the ping was one more round trip to the connection's
/// thread for every transaction.
async fn open_sqlite_file(
    opts: SqliteConnectOptions,
    readers: u32,
    log: Option<std::sync::Arc<SqliteDb>>,
) -> Result<SqliteDb, sqlx::Error> {
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(
            opts.clone()
                .statement_cache_capacity(1024)
                .pragma("wal_autocheckpoint", WAL_BACKSTOP_PAGES.to_string())
                .pragma("journal_size_limit", WAL_KEEP_BYTES.to_string()),
        )
        .await?;
    let checkpoint = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(opts.clone());
    let read = SqlitePoolOptions::new()
        .max_connections(readers)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts.read_only(true))
        .await?;
    Ok(SqliteDb { write, read, checkpoint, log })
}

/// Copies one file's WAL back (see [`Db::checkpoint`]).
async fn checkpoint_file(s: &SqliteDb) -> Result<(), StoreError> {
    let (_, pages, _): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&s.checkpoint).await?;
    if pages > WAL_CATCH_UP_PAGES {
        let mut writer = s.write.acquire().await?;
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut *writer).await?;
    }
    Ok(())
}

/// Before the inbound log had a file of its own (SQLite), its events lived in the main file:
/// they are moved over once, keeping their ids. The copy is idempotent and the old table is
/// dropped only after it, so an interruption is simply repeated at the next start.
async fn move_inbound_events_to_the_log(s: &SqliteDb) -> Result<(), StoreError> {
    let Some(log) = &s.log else { return Ok(()) };
    let old: Option<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'inbound_events'")
            .fetch_optional(&s.write)
            .await?;
    if old.is_none() {
        return Ok(());
    }
    let mut main = s.write.acquire().await?;
    let path = log.write.connect_options().get_filename().to_string_lossy().into_owned();
    sqlx::query("ATTACH DATABASE $1 AS inbound_log").bind(path).execute(&mut *main).await?;
    let moved = async {
        let columns = "id, channel, oa_id, unit_id, event_name, dedupe_key, raw_body, received_at, \
                       processed_at, attempts, locked_until, last_error";
        let sql = format!(
            "INSERT OR IGNORE INTO inbound_log.inbound_events ({columns}) SELECT {columns} FROM main.inbound_events"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *main).await?;
        sqlx::query("DROP TABLE main.inbound_events").execute(&mut *main).await?;
        Ok::<(), sqlx::Error>(())
    }
    .await;
    sqlx::query("DETACH DATABASE inbound_log").execute(&mut *main).await?;
    Ok(moved?)
}

/// Hides the password of a database URL so it can be shown or logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// How long opening a PostgreSQL connection may take before the server is declared unreachable.
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

fn short_reason(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "the connection was refused: nothing is listening at that host and port (is the server running?)"
                .to_string()
        }
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::PoolTimedOut => "no answer in time".to_string(),
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_postgres_connection_is_told_as_such() {
        // Port 1 on the loopback address: nothing listens there.
        let Err(err) = Db::connect("postgres://postgres:pw@127.0.0.1:1/caunoi").await else {
            panic!("nothing listens there")
        };
        let told = err.to_string();
        assert!(told.contains("refused") && told.contains("nothing is listening"), "{told}");
        assert!(!told.contains("pw@"), "the password is never shown: {told}");
    }

    #[test]
    fn passwords_never_appear_in_shown_urls() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://./x.db"), "sqlite://./x.db");
    }
}
