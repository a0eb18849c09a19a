//! Schema parity: the SQLite and PostgreSQL migrations must describe the same tables, columns
//! and nullability. Checked against the live PostgreSQL server when `CAUNOI_TEST_DATABASE_URL`
//! is set, and always against the PostgreSQL migration files themselves.

use caunoi::db::Db;
use std::collections::BTreeMap;

/// table -> column -> not null
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

/// Tables only the embedded engine has: SQLite keeps the inbound log in a file of its own and
/// records there which events were applied (PostgreSQL marks `inbound_events` in place).
const SQLITE_ONLY: [&str; 1] = ["inbound_applied"];

/// The tables of both SQLite files (main and inbound log), without [`SQLITE_ONLY`].
async fn sqlite_schema() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap();
    db.migrate().await.unwrap();
    let Db::Sqlite(main) = &db else { unreachable!() };
    let Db::Sqlite(log) = db.inbound_log() else { unreachable!() };
    let mut schema = Schema::new();
    for file in [main, &log] {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
        )
        .fetch_all(&file.read)
        .await
        .unwrap();
        for table in tables.into_iter().filter(|t| !SQLITE_ONLY.contains(&t.as_str())) {
            // `table_xinfo` lists generated columns too; `hidden = 1` marks a virtual table's own.
            let cols: Vec<(String, i64, i64)> =
                sqlx::query_as("SELECT name, \"notnull\", pk FROM pragma_table_xinfo($1) WHERE hidden <> 1")
                    .bind(&table)
                    .fetch_all(&file.read)
                    .await
                    .unwrap();
            // An INTEGER PRIMARY KEY is never null even though SQLite reports notnull = 0.
            let columns = cols.into_iter().map(|(n, nn, pk)| (n, nn == 1 || pk == 1)).collect();
            assert!(schema.insert(table.clone(), columns).is_none(), "{table} is in both SQLite files");
        }
    }
    schema
}

/// Reads `CREATE TABLE` statements of the PostgreSQL migrations.
fn postgres_files_schema() -> Schema {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut schema = Schema::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        for stmt in text.split("CREATE TABLE ").skip(1) {
            let name = stmt.split_whitespace().next().unwrap().to_string();
            let body = &stmt[stmt.find('(').unwrap() + 1..stmt.find(");").unwrap()];
            let mut cols = BTreeMap::new();
            for line in body.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("--")) {
                let first = line.split_whitespace().next().unwrap();
                if ["UNIQUE", "PRIMARY", "FOREIGN", "CHECK", "CONSTRAINT"].contains(&first) {
                    continue;
                }
                let upper = line.to_uppercase();
                cols.insert(first.to_string(), upper.contains("NOT NULL") || upper.contains("PRIMARY KEY"));
            }
            schema.insert(name, cols);
        }
        // Added columns (`ALTER TABLE t ADD COLUMN c type …;`).
        for stmt in text.split(';').map(str::trim).filter(|s| s.contains("ALTER TABLE ") && s.contains(" ADD COLUMN "))
        {
            let words: Vec<&str> = stmt.split_whitespace().collect();
            let at = |w: &str| words.iter().position(|x| *x == w);
            if let (Some(table), Some(column)) = (at("TABLE"), at("COLUMN")) {
                // A generated column's expression may say "IS NOT NULL": look around it only.
                let outside = match (stmt.find('('), stmt.rfind(')')) {
                    (Some(open), Some(close)) => format!("{} {}", &stmt[..open], &stmt[close + 1..]),
                    _ => stmt.to_string(),
                };
                let upper = outside.to_uppercase();
                let required = upper.contains("NOT NULL") || upper.contains("PRIMARY KEY");
                schema.get_mut(words[table + 1]).unwrap().insert(words[column + 1].to_string(), required);
            }
        }
        // Dropped columns (`ALTER TABLE t DROP COLUMN c;`).
        for stmt in text.split(';').map(str::trim).filter(|s| s.contains("ALTER TABLE ") && s.contains(" DROP COLUMN "))
        {
            let words: Vec<&str> = stmt.split_whitespace().collect();
            let at = |w: &str| words.iter().position(|x| *x == w);
            if let (Some(table), Some(column)) = (at("TABLE"), at("COLUMN")) {
                schema.get_mut(words[table + 1]).unwrap().remove(words[column + 1]);
            }
        }
        // Renamed tables (`ALTER TABLE old RENAME TO new;`) keep their columns.
        for stmt in text.split(';').map(str::trim).filter(|s| s.contains("ALTER TABLE ") && s.contains(" RENAME TO ")) {
            let words: Vec<&str> = stmt.split_whitespace().collect();
            let at = |w: &str| words.iter().position(|x| *x == w);
            if let (Some(table), Some(to)) = (at("TABLE"), at("TO")) {
                let columns = schema.remove(words[table + 1]).unwrap();
                schema.insert(words[to + 1].to_string(), columns);
            }
        }
    }
    schema
}

async fn postgres_live_schema(url: &str) -> Schema {
    let name = format!("caunoi_schema_{}", std::process::id());
    let admin = sqlx::PgPool::connect(url).await.unwrap();
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
        .execute(&admin)
        .await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&admin).await.unwrap();
    let db_url = caunoi_testkit::replace_db_name(url, &name);
    let db = Db::connect(&db_url).await.unwrap();
    db.migrate().await.unwrap();
    let Db::Postgres(pool) = &db else { unreachable!() };
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    db.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
        .execute(&admin)
        .await
        .unwrap();
    let mut schema = Schema::new();
    for (table, column, nullable) in rows {
        schema.entry(table).or_default().insert(column, nullable == "NO");
    }
    schema
}

#[tokio::test]
async fn sqlite_and_postgres_migration_files_define_the_same_schema() {
    let sqlite = sqlite_schema().await;
    assert!(sqlite.contains_key("units") && sqlite.contains_key("audit_log") && sqlite.contains_key("inbound_events"));
    assert_eq!(sqlite, postgres_files_schema());
}

#[tokio::test]
async fn sqlite_and_the_live_postgres_schema_match() {
    let Ok(url) = std::env::var("CAUNOI_TEST_DATABASE_URL") else {
        // Without a PostgreSQL server the file comparison above is the check; the README test
        // command sets the variable whenever a server answers.
        return;
    };
    assert_eq!(sqlite_schema().await, postgres_live_schema(&url).await);
}

#[test]
fn both_engines_have_the_same_migration_files() {
    let list = |engine: &str| {
        let dir = format!("{}/migrations/{engine}", env!("CARGO_MANIFEST_DIR"));
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(list("sqlite"), list("postgres"));
}

#[tokio::test]
async fn sqlite_inbound_events_kept_in_the_main_file_move_to_the_log_file() {
    let dir = tempfile::tempdir().unwrap();
    let main_path = dir.path().join("caunoi.db");
    let db = Db::connect(&format!("sqlite://{}", main_path.display())).await.unwrap();
    db.migrate().await.unwrap();
    assert!(caunoi::db::inbound_log_path(&main_path).exists(), "the log has a file of its own");
    // A database from before the log had its own file: the table still in the main file, with
    // a pending event and a processed one.
    let Db::Sqlite(main) = &db else { unreachable!() };
    sqlx::raw_sql(
        "CREATE TABLE inbound_events (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, oa_id TEXT NOT NULL, \
         unit_id INTEGER NOT NULL, event_name TEXT NOT NULL, dedupe_key TEXT NOT NULL UNIQUE, \
         raw_body TEXT NOT NULL, received_at INTEGER NOT NULL, processed_at INTEGER, \
         attempts INTEGER NOT NULL DEFAULT 0, locked_until INTEGER, last_error TEXT); \
         INSERT INTO inbound_events (id, channel, oa_id, unit_id, event_name, dedupe_key, raw_body, received_at, processed_at) \
         VALUES (41, 'zalo', '1', 1, 'user_send_text', 'zalo|a', '{}', 5, NULL), \
                (42, 'zalo', '1', 1, 'user_send_text', 'zalo|b', '{}', 6, 7);",
    )
    .execute(&main.write)
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'inbound_events'")
        .fetch_one(&main.write)
        .await
        .unwrap();
    assert_eq!(left, 0, "the old table is gone from the main file");
    let Db::Sqlite(log) = db.inbound_log() else { unreachable!() };
    let moved: Vec<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT id, dedupe_key, processed_at FROM inbound_events ORDER BY id")
            .fetch_all(&log.read)
            .await
            .unwrap();
    assert_eq!(moved, vec![(41, "zalo|a".to_string(), None), (42, "zalo|b".to_string(), Some(7))]);
    // Starting again changes nothing.
    db.migrate().await.unwrap();
    let counts = caunoi::conversations::store::inbound_counts(&db).await.unwrap();
    assert_eq!((counts.total, counts.unprocessed), (2, 1));
}
