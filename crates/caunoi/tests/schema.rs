//! Schema parity: the SQLite and PostgreSQL migrations must describe the same tables, columns
//! and nullability. Checked against the live PostgreSQL server when `CAUNOI_TEST_DATABASE_URL`
//! is set, and always against the PostgreSQL migration files themselves.

use caunoi::db::Db;
use std::collections::BTreeMap;

/// table -> column -> not null
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

async fn sqlite_schema() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap();
    db.migrate().await.unwrap();
    let Db::Sqlite(s) = &db else { unreachable!() };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&s.read)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let cols: Vec<(String, i64, i64)> = sqlx::query_as("SELECT name, \"notnull\", pk FROM pragma_table_info($1)")
            .bind(&table)
            .fetch_all(&s.read)
            .await
            .unwrap();
        // An INTEGER PRIMARY KEY is never null even though SQLite reports notnull = 0.
        schema.insert(table, cols.into_iter().map(|(n, nn, pk)| (n, nn == 1 || pk == 1)).collect());
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
    assert!(sqlite.contains_key("units") && sqlite.contains_key("audit_log"));
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
