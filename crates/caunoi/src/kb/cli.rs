//! `caunoi kb …`: ask the engine a question, evaluate it on a labelled question file, import the
//! shared base, export a unit's effective knowledge base.

use crate::cli::args::{DbArgs, db_overrides, existing_db_overrides};
use crate::error::CliError;
use caunoi_core::kb::{KbEntry, build_matcher, evaluate_kb, parse_kb_json, parse_questions_json};
use caunoi_text::abbrev::Abbreviations;
use caunoi_text::matcher::{Decision, Matcher, MatcherConfig};
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum KbCommand {
    /// Show the decision and the top candidates with scores for one question.
    Ask {
        /// The citizen's message, as typed.
        text: String,
        /// Use this knowledge-base file instead of the database.
        #[arg(long, value_name = "FILE")]
        kb: Option<PathBuf>,
        /// Answer as this unit would (its overrides applied). Default: the shared base.
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Evaluate the engine on a question file: [{"text", "expected": "<entry id>"|"__none__", "group"}].
    Eval {
        #[arg(long, value_name = "FILE")]
        kb: PathBuf,
        #[arg(long, value_name = "FILE")]
        questions: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// List the questions the engine got wrong.
        #[arg(long)]
        misses: bool,
    },
    /// Import entries into the shared base from a kb_seed.json-format file (all or nothing).
    Import {
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the messages officers labelled in the review as emergencies or not, every unit's, as
    /// an emergency set (`kb/emergency_dev.json`'s format, group "real").
    Labels {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print a unit's effective knowledge base (or the shared base) as JSON.
    Export {
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::Message(format!("cannot read {}: {e}", path.display())))
}

fn entries_from_file(path: &Path) -> Result<Vec<KbEntry>, CliError> {
    parse_kb_json(&read(path)?).map_err(|e| CliError::Message(format!("{}: {}", path.display(), e.english())))
}

/// Runs one `caunoi kb` command.
pub async fn run(config: &Option<PathBuf>, command: KbCommand) -> Result<(), CliError> {
    match command {
        KbCommand::Ask { text, kb, unit, db } => {
            let (matcher, entries): (Matcher, Vec<KbEntry>) = match kb {
                Some(file) => {
                    let entries = entries_from_file(&file)?;
                    (build_matcher(&entries, &Abbreviations::builtin(), MatcherConfig::default()), entries)
                }
                None => {
                    let app = crate::server::open(&existing_db_overrides(config, db)).await?;
                    let path = match unit {
                        Some(code) => crate::units::service::locate(&app.db, &code)
                            .await?
                            .map(|(_, p)| p)
                            .ok_or_else(|| CliError::Message(format!("no unit with code {code}")))?,
                        None => caunoi_core::units::UnitPath::from_stored(String::new()),
                    };
                    let effective = app.kb().effective(&path);
                    (effective.matcher.clone(), effective.entries.clone())
                }
            };
            let decision = matcher.decide(&text);
            out(&format!("{}\n", describe(&decision)));
            if caunoi_text::safety::assess_with_doubt(&text).may_be_emergency {
                // The bot adds the three numbers to such a reply (safety::Assessment).
                out("numbers line: 113, 114, 115 (may be an emergency)\n");
            }
            // The answer's first line, as a citizen would read it (placeholders as a unit that has
            // not filled its page sees them).
            let chosen = decision.answered_id().or(decision.referred_id());
            if let Some(entry) = chosen.and_then(|id| entries.iter().find(|e| e.id.as_str() == id)) {
                let answer = caunoi_core::kb::fill_placeholders(&entry.answer, &Default::default());
                out(&format!("  \"{}\"\n", answer.lines().next().unwrap_or_default().trim()));
            }
            for (i, c) in matcher.rank(&text, 5).iter().enumerate() {
                out(&format!("  {}. {:<45} {:.3}\n", i + 1, c.id, c.score));
            }
            Ok(())
        }
        KbCommand::Eval { kb, questions, json, misses } => {
            let entries = entries_from_file(&kb)?;
            let questions = parse_questions_json(&read(&questions)?).map_err(|e| {
                CliError::Message(format!(
                    "the questions file {} is not valid: expected a JSON array of {{text, expected, group}} ({})",
                    questions.display(),
                    e.detail()
                ))
            })?;
            let report = evaluate_kb(&entries, &questions, &Abbreviations::builtin(), MatcherConfig::default());
            if json {
                out(&(serde_json::to_string_pretty(&report).map_err(|e| CliError::Message(e.to_string()))? + "\n"));
            } else {
                out(&report.render_text(misses));
            }
            Ok(())
        }
        KbCommand::Import { file, db } => {
            let text = read(&file)?;
            let app = crate::server::open(&db_overrides(config, db)).await?;
            let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let n = crate::kb::service::import_base(&app, &text, None, &name).await.map_err(|e| match e {
                crate::kb::service::KbImportOrService::Import(e) => {
                    CliError::Message(format!("{}: refused, nothing was imported: {}", file.display(), e.english()))
                }
                other => CliError::Message(other.to_string()),
            })?;
            println!("Imported {n} knowledge-base entries from {}.", file.display());
            Ok(())
        }
        KbCommand::Labels { db } => {
            let app = crate::server::open(&existing_db_overrides(config, db)).await?;
            out(&crate::kb::service::safety_labels_json(&app, None)
                .await
                .map_err(|e| CliError::Message(e.to_string()))?);
            Ok(())
        }
        KbCommand::Export { unit, db } => {
            let app = crate::server::open(&existing_db_overrides(config, db)).await?;
            let path = match unit {
                Some(code) => crate::units::service::locate(&app.db, &code)
                    .await?
                    .map(|(_, p)| p)
                    .ok_or_else(|| CliError::Message(format!("no unit with code {code}")))?,
                None => caunoi_core::units::UnitPath::from_stored(String::new()),
            };
            out(&(caunoi_core::kb::to_kb_json(&app.kb().effective(&path).entries) + "\n"));
            Ok(())
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
fn out(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
}

fn describe(d: &Decision) -> String {
    match d {
        Decision::Answer { id, score, .. } => format!("answer: {id} ({score:.3})"),
        Decision::Clarify { candidates } => {
            format!("clarify: {}", candidates.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", "))
        }
        Decision::HandOff { reason } => format!("hand off: {reason:?}"),
        Decision::Emergency { kind } => format!("emergency: {} ({})", kind.as_str(), kind.numbers()),
        Decision::Report { kind } => format!("report: {}", kind.as_str()),
        Decision::Refer { id, score, .. } => format!("refer to another agency: {id} ({score:.3})"),
    }
}
