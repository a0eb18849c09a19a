//! `caunoi bench board`: how fast a province's case board opens over a large history. Fills a
//! database of its own (a province and its wards, an officer per level, `--cases` cases spread
//! over two years: most closed, some open, a few urgent, every category) once, then opens the
//! board the way officers do — the province leader's open view, the overdue view, one
//! category, a ward officer's view, a deep page — and reports p50 and p99 per view, both the
//! page and its count, through the same service the console calls; then the whole board as the
//! console opens it (the five tabs' counts and the open page).

use crate::app::App;
use crate::db::{Engine, StoreError, values_list};
use crate::error::CliError;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug, Clone)]
pub struct BoardBenchArgs {
    /// Database URL; default: SQLite in `--data-dir`.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Data directory (SQLite file, instance key); made if missing.
    #[arg(long, default_value = "./caunoi-bench-board")]
    pub data_dir: PathBuf,
    /// Cases in the database (added until there are this many).
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: u64,
    /// Wards under the province.
    #[arg(long, default_value_t = 150)]
    pub wards: u32,
    /// Openings of each view measured.
    #[arg(long, default_value_t = 50)]
    pub repeat: u32,
}

const PROVINCE: &str = "bench-prov";
const PASSWORD: &str = "bench-password-1";

fn ward_code(i: u32) -> String {
    format!("bench-ward-{i:03}")
}

/// A small deterministic generator (xorshift), so every run fills the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

async fn ensure_tree(app: &App, wards: u32) -> Result<(), CliError> {
    if crate::units::service::locate(&app.db, PROVINCE).await?.is_some() {
        return Ok(());
    }
    let mut rows = vec![serde_json::json!({"code": PROVINCE, "name": "Công an tỉnh Thử nghiệm", "kind": "province"})];
    for i in 0..wards {
        rows.push(serde_json::json!({
            "code": ward_code(i), "parent_code": PROVINCE, "name": format!("Công an phường Thử nghiệm {i}"), "kind": "ward"
        }));
    }
    let text = serde_json::Value::Array(rows).to_string();
    let parsed = crate::units::import::parse_json(&text).map_err(|p| CliError::Message(format!("{p:?}")))?;
    crate::units::service::import(app, parsed, "bench").await.map_err(|e| CliError::Message(format!("{e:?}")))?;
    for (username, role, unit) in
        [("bench.leader", "leader", PROVINCE.to_string()), ("bench.ward", "officer", ward_code(0))]
    {
        let input = crate::staff::service::NewOfficerInput {
            username: username.into(),
            display_name: "Cán bộ thử nghiệm".into(),
            password: PASSWORD.into(),
            role: role.into(),
            unit_code: unit,
        };
        crate::staff::service::create_officer(app, None, &input).await?;
    }
    Ok(())
}

async fn count_cases(app: &App) -> Result<u64, StoreError> {
    let n: i64 =
        crate::db_read!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(pool).await)?;
    Ok(n.max(0) as u64)
}

/// Adds cases until there are `target`, in multi-row statements.
async fn fill(app: &App, target: u64, wards: u32) -> Result<(), CliError> {
    const COLUMNS: usize = 12;
    const ROWS: usize = 400;
    let mut units = Vec::new();
    for i in 0..wards {
        if let Some((id, _)) = crate::units::service::locate(&app.db, &ward_code(i)).await? {
            units.push(id.0);
        }
    }
    let cats = super::service::categories(app);
    let have = count_cases(app).await?;
    let now = app.clock.now_micros();
    const TWO_YEARS: u64 = 2 * 365 * 86_400_000_000;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ have);
    let mut made = have;
    let started = Instant::now();
    while made < target {
        let n = ROWS.min((target - made) as usize);
        let sql = format!(
            "INSERT INTO cases (code, unit_id, category, channel, status, urgent, description, reporter_mode, \
             received_at, legal_days, updated_at, closed_at) VALUES {}",
            values_list(n, COLUMNS, app.db.placeholders())
        );
        let mut tx = app.db.begin().await.map_err(StoreError::Sql)?;
        crate::db_conn!(&mut tx, conn => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for k in 0..n {
                let i = made + k as u64;
                let (cat, _) = &cats[rng.below(cats.len() as u64) as usize];
                let received = now - rng.below(TWO_YEARS) as i64;
                // The last weeks are mostly open, older cases mostly finished.
                let recent = now - received < 30 * 86_400_000_000;
                let open = if recent { rng.below(10) < 7 } else { rng.below(100) < 2 };
                let status = if open { ["new", "acknowledged", "verifying"][rng.below(3) as usize] } else { "closed" };
                q = q
                    .bind(format!("TB-B{:07X}", i))
                    .bind(units[rng.below(units.len() as u64) as usize])
                    .bind(cat.key.clone())
                    .bind("web_form")
                    .bind(status)
                    .bind(cat.urgent && open)
                    .bind("Nội dung tin báo thử nghiệm.")
                    .bind("anonymous")
                    .bind(received)
                    .bind(cat.legal_days.map(i64::from))
                    .bind(received)
                    .bind((!open).then_some(received));
            }
            q.execute(&mut *conn).await.map(|_| ())
        })
        .map_err(StoreError::Sql)?;
        tx.commit().await.map_err(StoreError::Sql)?;
        made += n as u64;
        if made % 100_000 < ROWS as u64 {
            println!("  {made} cases ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// "p50 … ms, p99 … ms" of timings in milliseconds.
fn p50_p99(mut times: Vec<f64>) -> String {
    times.sort_by(f64::total_cmp);
    format!("p50 {:>7.1} ms, p99 {:>7.1} ms", percentile(&times, 0.5), percentile(&times, 0.99))
}

pub async fn run_board_bench(a: BoardBenchArgs) -> Result<(), CliError> {
    std::fs::create_dir_all(&a.data_dir)
        .map_err(|e| CliError::Message(format!("cannot make {}: {e}", a.data_dir.display())))?;
    let o = crate::config::Overrides {
        data_dir: Some(a.data_dir.clone()),
        database_url: a.database_url.clone(),
        workers: Some(false),
        ..Default::default()
    };
    let app = crate::server::open(&o).await?;
    ensure_tree(&app, a.wards).await?;
    fill(&app, a.cases, a.wards).await?;
    app.db.checkpoint().await.ok();
    if app.db.engine() == Engine::Postgres {
        // What autovacuum does to a table in use, done at once after the bulk fill: statistics
        // for the planner, and the visibility map that lets the counts read the indexes alone.
        crate::db_write!(&app.db, pool => sqlx::query("VACUUM ANALYZE cases").execute(pool).await.map(|_| ()))
            .map_err(StoreError::Sql)?;
    }
    let total = count_cases(&app).await?;
    let leader = crate::staff::service::scope_of(&app, "bench.leader")
        .await?
        .ok_or_else(|| CliError::Message("no bench leader".into()))?;
    let ward = crate::staff::service::scope_of(&app, "bench.ward")
        .await?
        .ok_or_else(|| CliError::Message("no bench officer".into()))?;
    println!(
        "Board of a province with {} wards, {total} cases on {:?} ({} openings per view):",
        a.wards,
        app.db.engine(),
        a.repeat
    );
    let views: [(&str, &caunoi_core::staff::Scope, &str, Option<&str>, i64); 6] = [
        ("province leader, open", &leader, "open", None, 0),
        ("province leader, overdue", &leader, "overdue", None, 0),
        ("province leader, drugs, all", &leader, "all", Some("drugs"), 0),
        ("province leader, all, page 100", &leader, "all", None, 100),
        ("ward officer, open", &ward, "open", None, 0),
        ("ward officer, all", &ward, "all", None, 0),
    ];
    for (label, scope, view, category, page) in views {
        let mut times = Vec::with_capacity(a.repeat as usize);
        let mut shown = (0, 0);
        for _ in 0..a.repeat.max(1) {
            let t = Instant::now();
            let (rows, count) = super::service::board(&app, scope, view, category, None, page).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            shown = (rows.len(), count);
        }
        println!("  {label:<32} {:>4} rows of {:>8}: {}", shown.0, shown.1, p50_p99(times));
    }
    // The whole board as the console opens it: the five tabs' counts, then the open page.
    for (label, scope) in [("province leader, whole board", &leader), ("ward officer, whole board", &ward)] {
        let mut times = Vec::with_capacity(a.repeat as usize);
        let mut shown = (0, [0; 5]);
        for _ in 0..a.repeat.max(1) {
            let t = Instant::now();
            let counts = super::service::board_counts(&app, scope, None, None).await?;
            let (rows, _) = super::service::board(&app, scope, "open", None, None, 0).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            shown = (rows.len(), counts);
        }
        println!("  {label:<32} {:>4} rows, tabs {:?}: {}", shown.0, shown.1, p50_p99(times));
    }
    Ok(())
}
