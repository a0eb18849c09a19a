//! Evaluates the FAQ engine on a knowledge-base file and a labelled question file.
//!
//! `cargo run -p caunoi-core --release --example kb_eval -- --kb FILE --questions FILE [--json] [--misses]`
//!
//! Prints the report as text (or JSON with `--json`); the logic is
//! `caunoi_core::kb::evaluate_kb`, which the app's `caunoi kb eval` calls too.

use std::io::Write;
use std::process::ExitCode;

use caunoi_core::kb::{evaluate_kb, parse_kb_json, parse_questions_json};
use caunoi_text::abbrev::Abbreviations;
use caunoi_text::matcher::MatcherConfig;

fn arg_value(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(kb_path), Some(questions_path)) = (arg_value(&args, "--kb"), arg_value(&args, "--questions")) else {
        eprintln!("usage: kb_eval --kb FILE --questions FILE [--json] [--misses]");
        return ExitCode::from(2);
    };
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let result =
        read(&kb_path).and_then(|t| parse_kb_json(&t).map_err(|e| format!("{kb_path}: {e}"))).and_then(|entries| {
            let questions = read(&questions_path)
                .and_then(|t| parse_questions_json(&t).map_err(|e| format!("{questions_path}: {e}")))?;
            Ok((entries, questions))
        });
    let (entries, questions) = match result {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let report = evaluate_kb(&entries, &questions, &Abbreviations::builtin(), MatcherConfig::default());
    let text = if args.iter().any(|a| a == "--json") {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => json + "\n",
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        report.render_text(args.iter().any(|a| a == "--misses"))
    };
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(text.as_bytes());
    ExitCode::SUCCESS
}
