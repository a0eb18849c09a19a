//! Dev-only helpers: boot the whole caunoi server for a test on SQLite (a temporary directory) or
//! on PostgreSQL (a fresh database on the server named by `CAUNOI_TEST_DATABASE_URL`), with the
//! demo data loaded, and talk to it over real HTTP with a cookie-keeping client.
//!
//! Every test gets its own database, so tests run in parallel without seeing each other.

use caunoi::app::App;
use caunoi::config::{Config, Overrides};
use caunoi::db::{Db, Engine};
use std::net::SocketAddr;
use std::time::Duration;

pub mod media;
pub mod push;
pub mod webchat;

pub use caunoi::demo::DEMO_PASSWORD;

/// Which engine the test suite runs on: PostgreSQL when `CAUNOI_TEST_DATABASE_URL` is set.
pub fn engine() -> Engine {
    if pg_admin_url().is_some() { Engine::Postgres } else { Engine::Sqlite }
}

fn pg_admin_url() -> Option<String> {
    std::env::var("CAUNOI_TEST_DATABASE_URL").ok().filter(|u| !u.trim().is_empty())
}

/// A running caunoi for one test.
pub struct TestApp {
    pub app: App,
    pub addr: SocketAddr,
    pub base: String,
    _dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
    server: tokio::task::JoinHandle<()>,
    /// The fake Zalo, when started with [`Options::zalo`]; the demo OAs (`caunoi::demo::DEMO_OAS`)
    /// that start connected are connected to their units, and every demo OA's webhooks point at
    /// this app.
    pub zalo: Option<caunoi_zalo::fake::FakeZalo>,
}

/// Options for [`TestApp::spawn_with`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Load the demo units and officers.
    pub demo: bool,
    pub require_totp_for_admins: bool,
    /// Start a fake Zalo with the demo OAs bound (needs `demo`).
    pub zalo: bool,
    /// Do not start the background workers (inbound events, outbox).
    pub workers_off: bool,
    /// `trusted_proxies`: whose `X-Forwarded-For` names the client (the test client connects
    /// from 127.0.0.1).
    pub trusted_proxies: Option<String>,
    /// Let Web Push reach a test push service on 127.0.0.1 over plain HTTP ([`push`]).
    pub push_test_endpoints: bool,
    /// Keep media in this S3-compatible bucket instead of the data directory ([`s3_from_env`]).
    pub media_s3: Option<caunoi::config::S3Overrides>,
}

/// The test S3-compatible server named by `CAUNOI_TEST_S3_URL` (with `CAUNOI_TEST_S3_BUCKET`,
/// `CAUNOI_TEST_S3_ACCESS_KEY`, `CAUNOI_TEST_S3_SECRET_KEY`; `scripts/test.sh` starts one),
/// with a fresh prefix so tests running at once do not see each other's files; `None` when
/// the variable is not set.
pub fn s3_from_env() -> Option<caunoi::config::S3Overrides> {
    let url = std::env::var("CAUNOI_TEST_S3_URL").ok().filter(|u| !u.trim().is_empty())?;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    Some(caunoi::config::S3Overrides {
        bucket: Some(var("CAUNOI_TEST_S3_BUCKET").unwrap_or_else(|| "caunoi-test".into())),
        endpoint: Some(url),
        region: Some("us-east-1".into()),
        prefix: Some(format!("t-{}", rand_suffix())),
        access_key_id: var("CAUNOI_TEST_S3_ACCESS_KEY"),
        secret_access_key: var("CAUNOI_TEST_S3_SECRET_KEY"),
    })
}

impl TestApp {
    /// Boots caunoi with the demo data.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Options { demo: true, ..Default::default() }).await
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (database_url, pg_database) = match pg_admin_url() {
            Some(admin) => {
                let name = format!("caunoi_t_{}", rand_suffix());
                create_pg_database(&admin, &name).await;
                (replace_db_name(&admin, &name), Some((admin, name)))
            }
            None => (format!("sqlite://{}", dir.path().join("caunoi.db").display()), None),
        };
        let zalo = if options.zalo {
            let apps = caunoi::demo::DEMO_OAS.iter().map(caunoi::demo::fake_app).collect();
            Some(caunoi_zalo::fake::FakeZalo::start(caunoi_zalo::fake::FakeConfig::new(apps)).await.expect("fake Zalo"))
        } else {
            None
        };
        let config = Config::resolve(&Overrides {
            zalo_api_url: zalo.as_ref().map(|z| z.base_url().to_string()),
            workers: Some(!options.workers_off),
            data_dir: Some(dir.path().to_path_buf()),
            database_url: Some(database_url.clone()),
            listen: Some("127.0.0.1:0".into()),
            require_totp_for_admins: Some(options.require_totp_for_admins),
            trusted_proxies: options.trusted_proxies.clone(),
            push_test_endpoints: Some(options.push_test_endpoints),
            // The production floor (2 GiB) is more than a CI machine's temporary disk may have;
            // the floor's own test (`media_safety`) sets one it must hit.
            media_free_floor: Some("1MB".into()),
            media_store: options.media_s3.as_ref().map(|_| "s3".into()),
            media_s3: options.media_s3.clone().unwrap_or_default(),
            ..Default::default()
        })
        .expect("test configuration");
        let db = Db::connect(&database_url).await.expect("test database");
        db.migrate().await.expect("migrations");
        let app = caunoi::server::assemble(db, config);
        app.kb().reload(&app.db).await.expect("knowledge base");
        app.bot_settings().reload(&app.db).await.expect("bot settings");
        caunoi::cases::service::load_categories(&app).await.expect("case categories");
        if options.demo {
            caunoi::demo::seed(&app).await.expect("demo data");
        }
        if let Some(z) = &zalo {
            caunoi::demo::bind_demo_oas(&app, z).await.expect("demo OAs");
        }
        let (addr, server) = caunoi::server::spawn(app.clone()).await.expect("server");
        if let Some(z) = &zalo {
            for d in caunoi::demo::DEMO_OAS {
                z.set_webhook_url(d.oa_id, format!("http://{addr}/channels/zalo/{}/webhook", d.oa_id))
                    .expect("webhook");
            }
        }
        TestApp { app, addr, base: format!("http://{addr}"), _dir: dir, pg_database, server, zalo }
    }

    /// A fresh browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client signed in as a demo officer none of whose units include `unit_code` (the
    /// first such officer by id).
    pub async fn login_outside(&self, unit_code: &str) -> reqwest::Client {
        let db = &self.app.db;
        let username: String = caunoi::db_read!(db, pool => sqlx::query_scalar(
            "SELECT o.username FROM officers o WHERE NOT EXISTS (SELECT 1 FROM role_grants g \
             JOIN units s ON s.id = g.unit_id JOIN units u ON u.code = $1 \
             WHERE g.officer_id = o.id AND u.path LIKE s.path || '%') ORDER BY o.id LIMIT 1"
        )
        .bind(unit_code)
        .fetch_one(pool)
        .await)
        .expect("an officer of another unit");
        self.login(&username).await
    }

    /// The scope of demo officer `username`, to call services as them.
    pub async fn scope(&self, username: &str) -> caunoi_core::staff::Scope {
        caunoi::staff::service::scope_of(&self.app, username).await.expect("scope").expect("a known officer")
    }

    /// A client signed in as `username` with the demo password.
    pub async fn login(&self, username: &str) -> reqwest::Client {
        self.login_with(username, DEMO_PASSWORD).await
    }

    pub async fn login_with(&self, username: &str, password: &str) -> reqwest::Client {
        let c = self.client();
        let r = c
            .post(self.url("/login"))
            .form(&[("username", username), ("password", password), ("next", "/units")])
            .send()
            .await
            .expect("login request");
        assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "login of {username} should redirect");
        c
    }

    /// Turns alarms on for a new device of `username` at the test push service (as the console's
    /// script does); returns the subscription's id (the last segment of its endpoint).
    pub async fn enable_push(&self, push: &push::TestPushService, username: &str) -> String {
        let c = self.login(username).await;
        let sub = push.subscribe();
        let r = c
            .post(self.url("/push/subscriptions"))
            .header("content-type", "application/json")
            .body(sub.json().to_string())
            .send()
            .await
            .expect("subscribe");
        assert_eq!(r.status().as_u16(), 201, "the device of {username} is subscribed");
        sub.json()["endpoint"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_owned()
    }

    /// GET a path and return (status, body).
    pub async fn get(&self, c: &reqwest::Client, path: &str) -> (u16, String) {
        let r = c.get(self.url(path)).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    /// POST a form and return (status, body).
    pub async fn post(&self, c: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r = c.post(self.url(path)).form(form).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    /// POSTs a raw body with its content type (a multipart upload): status and body text.
    pub async fn post_body(&self, c: &reqwest::Client, path: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
        let r = c.post(self.url(path)).header("content-type", content_type).body(body).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        if let Some((admin, name)) = self.pg_database.take() {
            drop_pg_database(admin, name);
        }
    }
}

/// Drops a test database (`WITH (FORCE)`, so connections left open do not keep it). Runs on a
/// thread of its own with a private runtime: `Drop` may run inside or outside a runtime.
fn drop_pg_database(admin: String, name: String) {
    let _ = std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
            rt.block_on(async move {
                if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                    pool.close().await;
                }
            });
        }
    })
    .join();
}

/// Polls `check` every 20 ms until it returns `Some` or `deadline` passes (then panics with
/// `what`). For asynchronous outcomes; never sleep for a fixed time in a test.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let end = std::time::Instant::now() + deadline;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(std::time::Instant::now() < end, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An empty PostgreSQL database made for one test (which runs the real binary on it); dropped
/// when this value goes out of scope, so no run leaves a `caunoi_t_*` database behind.
pub struct PgDatabase {
    pub url: String,
    pub name: String,
    admin: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        drop_pg_database(self.admin.clone(), self.name.clone());
    }
}

/// Creates an empty PostgreSQL database on the test server; `None` on SQLite.
pub async fn fresh_pg_database() -> Option<PgDatabase> {
    let admin = pg_admin_url()?;
    let name = format!("caunoi_t_{}", rand_suffix());
    create_pg_database(&admin, &name).await;
    Some(PgDatabase { url: replace_db_name(&admin, &name), name, admin })
}

fn rand_suffix() -> String {
    use rand::RngCore;
    let mut b = [0u8; 6];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn create_pg_database(admin: &str, name: &str) {
    let pool = sqlx::PgPool::connect(admin).await.expect("CAUNOI_TEST_DATABASE_URL must reach PostgreSQL");
    let sql = format!("CREATE DATABASE \"{name}\"");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.expect("create test database");
    pool.close().await;
}

/// Replaces the database name (the path) of a PostgreSQL URL, keeping any query string.
pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..].find('/').map(|i| i + scheme_end).unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..host_end])
}
