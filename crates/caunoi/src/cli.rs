//! The `caunoi` command line: `serve`, `demo`, `migrate`, `units import`, `users add`, `kb`.
//! Every failure the operator can cause (a wrong option, an unreachable database, a refused
//! import) ends with one clear sentence on stderr and exit code 2 — never a backtrace.

use crate::app::App;
use crate::config::{Config, ConfigError, Overrides};
use crate::db::{ConnectError, Db, StoreError};
use crate::error::ServiceError;
use crate::{demo, server, staff, units};
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "caunoi", version, about = "caunoi — the bridge between police units and citizens")]
pub struct Cli {
    /// Configuration file (TOML). Default: ./caunoi.toml when it exists.
    #[arg(long, env = "CAUNOI_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run caunoi: officer console, citizen pages and channels.
    Serve(ServeArgs),
    /// Run caunoi with demo data (created when the data directory is new) and print the logins.
    Demo(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Manage the unit tree.
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// Manage officer accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// The knowledge base: ask, evaluate, import, export.
    Kb {
        #[command(subcommand)]
        command: crate::kb::cli::KbCommand,
    },
    /// Load generators against a running caunoi.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Send signed Zalo text events to a running caunoi and report throughput and ack latency.
    Webhook(crate::channels::bench::WebhookBenchArgs),
}

#[derive(Args, Debug, Clone, Default)]
pub struct DbArgs {
    /// Data directory: the SQLite database, the instance key, media. Default ./caunoi-data.
    #[arg(long, env = "CAUNOI_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. Default: SQLite in the data dir.
    #[arg(long, env = "CAUNOI_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on. Default 127.0.0.1:8080.
    #[arg(long, env = "CAUNOI_LISTEN", value_name = "HOST:PORT")]
    pub listen: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Public address of this instance, used in links and QR codes (https enables Secure cookies and HSTS).
    #[arg(long, env = "CAUNOI_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Instance key (32 bytes, base64) that encrypts stored secrets. Default: <data-dir>/secret.key.
    #[arg(long, env = "CAUNOI_SECRET_KEY", hide_env_values = true, value_name = "BASE64")]
    pub secret_key: Option<String>,
    /// Require admins to turn on two-step verification before using the console.
    #[arg(long, env = "CAUNOI_REQUIRE_TOTP_FOR_ADMINS", value_name = "true|false")]
    pub require_totp_for_admins: Option<bool>,
    /// Base URL of the Zalo API hosts (the fake Zalo in tests and the demo). Default: real Zalo.
    #[arg(long, env = "CAUNOI_ZALO_API_URL", value_name = "URL")]
    pub zalo_api_url: Option<String>,
    /// Webhook signature variant: oa-secret (documented default), app-secret, oa-id, diagnostic.
    #[arg(long, env = "CAUNOI_ZALO_SIGNATURE", value_name = "VARIANT")]
    pub zalo_signature: Option<String>,
    /// Run the background workers (inbound events, outbox): on (default) or off.
    #[arg(long, env = "CAUNOI_WORKERS", value_name = "on|off", value_parser = parse_on_off)]
    pub workers: Option<bool>,
    /// Reverse proxies (IPs or CIDR ranges, comma-separated) whose X-Forwarded-For names the client. Default: none.
    #[arg(long, env = "CAUNOI_TRUSTED_PROXIES", value_name = "IP|CIDR,...")]
    pub trusted_proxies: Option<String>,
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err("use on or off".into()),
    }
}

#[derive(Subcommand, Debug)]
pub enum UnitsCommand {
    /// Import units from a CSV (with header) or JSON file. All rows or none.
    Import {
        /// The file: .json for JSON, anything else is read as CSV.
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Create an officer account with one role over a unit's subtree; prints the password.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// admin, leader, duty_officer, officer or analyst.
        #[arg(long)]
        role: String,
        /// Code of the unit whose subtree the role covers.
        #[arg(long)]
        unit: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// A failure reported to the operator in one sentence.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("the database could not be prepared: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Message(String),
}

impl From<ServiceError> for CliError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(errs) => CliError::Message(format!("invalid input: {errs}")),
            ServiceError::Store(s) => CliError::Store(s),
            other => CliError::Message(other.to_string()),
        }
    }
}

fn overrides(config: &Option<PathBuf>, s: &ServeArgs) -> Overrides {
    Overrides {
        config_file: config.clone(),
        listen: s.listen.clone(),
        data_dir: s.db.data_dir.clone(),
        database_url: s.db.database_url.clone(),
        public_url: s.public_url.clone(),
        secret_key: s.secret_key.clone(),
        require_totp_for_admins: s.require_totp_for_admins,
        zalo_api_url: s.zalo_api_url.clone(),
        zalo_signature: s.zalo_signature.clone(),
        workers: s.workers,
        trusted_proxies: s.trusted_proxies.clone(),
    }
}

/// Overrides for commands that only need the database.
pub fn db_overrides(config: &Option<PathBuf>, db: DbArgs) -> Overrides {
    overrides(config, &ServeArgs { db, ..Default::default() })
}

/// Resolves configuration, opens and migrates the database, loads the knowledge base.
pub async fn open(o: &Overrides) -> Result<App, CliError> {
    let config = Config::resolve(o)?;
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let app = App::new(db, config);
    app.kb.reload(&app.db).await?;
    app.bot_settings.reload(&app.db).await?;
    Ok(app)
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("caunoi: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("caunoi: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(s) => {
            let app = open(&overrides(&cli.config, &s)).await?;
            server::init_logging(&app.config.log);
            server::serve(app, None).await
        }
        Command::Demo(s) => {
            let mut o = overrides(&cli.config, &s);
            let zalo = demo::start_fake_zalo(&mut o).await?;
            let app = open(&o).await?;
            server::init_logging(&app.config.log);
            let seeded = demo::seed_if_empty(&app).await?;
            demo::bind_demo_oas(&app, &zalo).await?;
            demo::announce(&app, seeded, Some(&zalo))?;
            let result = server::serve(app, None).await;
            drop(zalo);
            result
        }
        Command::Bench { command: BenchCommand::Webhook(args) } => {
            crate::channels::bench::run_webhook_bench(args).await
        }
        Command::Migrate(db) => {
            let o = overrides(&cli.config, &ServeArgs { db, ..Default::default() });
            let app = open(&o).await?;
            println!("Migrations applied to {}.", crate::db::redact_url(&app.config.database_url));
            Ok(())
        }
        Command::Units { command: UnitsCommand::Import { file, db } } => {
            let text =
                std::fs::read(&file).map_err(|e| CliError::Message(format!("cannot read {}: {e}", file.display())))?;
            let text = String::from_utf8(text).map_err(|_| {
                CliError::Message(format!("{} is not UTF-8 text; save it as UTF-8 and try again", file.display()))
            })?;
            let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let rows = units::import::parse_file(&name, &text).map_err(|problems| {
                CliError::Message(format!(
                    "the import was refused, nothing was written:\n{}",
                    problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
                ))
            })?;
            let app = open(&overrides(&cli.config, &ServeArgs { db, ..Default::default() })).await?;
            let n = units::service::import(&app, rows, &name).await.map_err(|e| match e {
                units::service::ImportError::Service(s) => CliError::from(s),
                refused => CliError::Message(refused.to_string()),
            })?;
            println!("Imported {n} unit(s) from {}.", file.display());
            Ok(())
        }
        Command::Kb { command } => crate::kb::cli::run(&cli.config, command).await,
        Command::Users { command: UsersCommand::Add { username, display_name, role, unit, password_stdin, db } } => {
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| CliError::Message(format!("cannot read the password: {e}")))?;
                (s.trim_end_matches(['\n', '\r']).to_string(), false)
            } else {
                (crate::crypto::random_password(), true)
            };
            let app = open(&overrides(&cli.config, &ServeArgs { db, ..Default::default() })).await?;
            let input = staff::service::NewOfficerInput {
                username,
                display_name,
                password: password.clone(),
                role,
                unit_code: unit,
            };
            staff::service::create_officer(&app, None, &input).await?;
            if generated {
                println!("Created {}. Password: {password}", input.username.trim().to_ascii_lowercase());
            } else {
                println!("Created {}.", input.username.trim().to_ascii_lowercase());
            }
            Ok(())
        }
    }
}
