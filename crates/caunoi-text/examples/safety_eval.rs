//! Figures of the safety rules (and their second opinion) on labelled sets, without printing the
//! messages unless asked: a set run for the first time is measured without reading its misses.
//!
//! `cargo run -p caunoi-text --example safety_eval -- kb/emergency_holdout.json kb/report_holdout.json`
//! (`--misses` also lists every miss, wrong number and false alarm; `--rules-alone` measures the
//! rules without the second opinion). A set with an `expected` field is read as an emergency
//! set (`fire`, …, `none`, `report:theft`), one with a `report` field as a report set (the
//! metrics of `tests/emergencies.rs` and `tests/reports.rs`). It also prints how long
//! `safety::warm_up` took (build with `--release` for that figure).

use std::collections::BTreeMap;

use caunoi_text::safety::{EmergencyKind, Safety, assess, assess_rules_alone, assess_with_doubt};
use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let misses = args.iter().any(|a| a == "--misses");
    let rules_alone = args.iter().any(|a| a == "--rules-alone");
    let judge: fn(&str) -> Option<Safety> = if rules_alone { assess_rules_alone } else { assess };
    let start = std::time::Instant::now();
    caunoi_text::safety::warm_up();
    println!("warm-up (rule file parsed, second opinion trained): {:.2} s", start.elapsed().as_secs_f64());
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let items: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        if items.first().is_some_and(|i| i.get("expected").is_some()) {
            emergencies(path, &items, judge, misses);
        } else {
            reports(path, &items, judge, misses);
        }
    }
}

fn describe(outcome: Option<Safety>) -> String {
    match outcome {
        Some(Safety::Emergency(k)) => format!("emergency {} ({})", k.as_str(), k.numbers()),
        Some(Safety::Report(k)) => format!("report {}", k.as_str()),
        None => "none".to_owned(),
    }
}

fn pct(part: usize, whole: usize) -> String {
    if whole == 0 { "—".to_owned() } else { format!("{:.1} % ({part}/{whole})", 100.0 * part as f64 / whole as f64) }
}

fn emergencies(path: &str, items: &[Value], judge: fn(&str) -> Option<Safety>, misses: bool) {
    let mut per_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let (mut total, mut right, mut raised, mut first_number) = (0, 0, 0, 0);
    let (mut non, mut alarms, mut reports, mut reports_right) = (0, 0, 0, 0);
    let (mut missed, mut missed_numbers, mut non_numbers) = (0, 0, 0);
    let mut lines = Vec::new();
    for item in items {
        let text = item["text"].as_str().unwrap_or_default();
        let label = item["expected"].as_str().unwrap_or_default();
        let group = item["group"].as_str().unwrap_or_default();
        let outcome = judge(text);
        let numbers_line = !matches!(outcome, Some(Safety::Emergency(_))) && assess_with_doubt(text).may_be_emergency;
        if let Some(expected) = EmergencyKind::ALL.into_iter().find(|k| k.as_str() == label) {
            total += 1;
            let tally = per_kind.entry(expected.as_str()).or_default();
            tally.0 += 1;
            if let Some(Safety::Emergency(found)) = outcome {
                raised += 1;
                first_number += usize::from(found.services()[0] == expected.services()[0]);
                if found.services() == expected.services() {
                    right += 1;
                    tally.1 += 1;
                    continue;
                }
                lines.push(format!("  wrong number [{label}, {group}] {text:?} → {}", describe(outcome)));
            } else {
                missed += 1;
                missed_numbers += usize::from(numbers_line);
                let net = if numbers_line { " (numbers line)" } else { "" };
                lines.push(format!("  missed [{label}, {group}] {text:?} → {}{net}", describe(outcome)));
            }
            continue;
        }
        non += 1;
        non_numbers += usize::from(numbers_line);
        if numbers_line && misses {
            lines.push(format!("  numbers line [{label}, {group}] {text:?}"));
        }
        if matches!(outcome, Some(Safety::Emergency(_))) {
            alarms += 1;
            lines.push(format!("  false alarm [{label}, {group}] {text:?} → {}", describe(outcome)));
        }
        if let Some(kind) = label.strip_prefix("report:") {
            reports += 1;
            reports_right += usize::from(matches!(outcome, Some(Safety::Report(k)) if k.as_str() == kind));
        }
    }
    let wrong = raised - right;
    println!("== {path}: {total} emergencies, {non} non-emergencies");
    println!("recall, right service: {}", pct(right, total));
    for (kind, (n, r)) in &per_kind {
        println!("  {kind:<18} {}", pct(*r, *n));
    }
    println!("raised as some emergency: {}; right first number: {}", pct(raised, total), pct(first_number, total));
    println!("wrong numbers: {wrong}");
    println!("false alarms: {}", pct(alarms, non));
    println!(
        "the numbers line (Assessment::may_be_emergency): missed emergencies {}, non-emergencies {}",
        pct(missed_numbers, missed),
        pct(non_numbers, non - alarms)
    );
    if reports > 0 {
        println!("crime reports recognised with their kind: {}", pct(reports_right, reports));
    }
    if misses {
        lines.iter().for_each(|l| println!("{l}"));
    }
}

fn reports(path: &str, items: &[Value], judge: fn(&str) -> Option<Safety>, misses: bool) {
    let (mut total, mut recognised, mut reported, mut right_kind, mut questions, mut taken) = (0, 0, 0, 0, 0, 0);
    let mut per_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut lines = Vec::new();
    for item in items {
        let text = item["text"].as_str().unwrap_or_default();
        let group = item["group"].as_str().unwrap_or_default();
        let outcome = judge(text);
        let Some(label) = item["report"].as_str() else {
            questions += 1;
            if outcome.is_some() {
                taken += 1;
                lines.push(format!("  question taken [{group}] {text:?} → {}", describe(outcome)));
            }
            continue;
        };
        let live = item["emergency"].as_bool().unwrap_or(false);
        total += 1;
        let is_report = matches!(outcome, Some(Safety::Report(_)));
        let ok = is_report || (live && matches!(outcome, Some(Safety::Emergency(_))));
        let tally = per_kind.entry(label.to_owned()).or_default();
        tally.0 += 1;
        tally.1 += usize::from(ok);
        recognised += usize::from(ok);
        reported += usize::from(is_report);
        let kind_ok = matches!(outcome, Some(Safety::Report(k)) if k.as_str() == label);
        right_kind += usize::from(kind_ok);
        if !ok {
            lines.push(format!("  missed [{label}, {group}] {text:?} → {}", describe(outcome)));
        } else if is_report && !kind_ok {
            lines.push(format!("  wrong kind [{label}, {group}] {text:?} → {}", describe(outcome)));
        }
    }
    println!("== {path}: {total} reports, {questions} questions");
    println!("recall: {}", pct(recognised, total));
    for (kind, (n, r)) in &per_kind {
        println!("  {kind:<14} {}", pct(*r, *n));
    }
    println!("kind accuracy: {}", pct(right_kind, reported));
    println!("questions taken: {}", pct(taken, questions));
    if misses {
        lines.iter().for_each(|l| println!("{l}"));
    }
}
