//! The `caunoi` command line: `serve`, `demo`, `migrate`, `units import`, `users add`, `kb`.
//! Every failure the operator can cause (a wrong option, an unreachable database, a refused
//! import) ends with one clear sentence on stderr and exit code 2 — never a backtrace.

pub use crate::error::CliError;
use crate::{demo, server, staff, units};
use args::overrides;
pub use args::{DbArgs, ServeArgs};
use server::open;

pub mod args;
use clap::{Parser, Subcommand};
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
    /// Fill a database with a province's cases and time the case board's views.
    Board(crate::cases::bench::BoardBenchArgs),
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
            demo::ensure_open311_key(&app).await?;
            demo::bind_demo_oas(&app, &zalo).await?;
            demo::announce(&app, seeded, Some(&zalo))?;
            let result = server::serve(app, None).await;
            drop(zalo);
            result
        }
        Command::Bench { command: BenchCommand::Webhook(args) } => {
            crate::channels::bench::run_webhook_bench(args).await
        }
        Command::Bench { command: BenchCommand::Board(args) } => crate::cases::bench::run_board_bench(args).await,
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
