//! Emergency detection measured on the labelled sets in `kb/`: `emergency_dev.json` (the rules
//! were tuned on it; earlier holdouts were folded into it after their first run), the blind
//! training sets `emergency_train_e1.json` to `emergency_train_e4.json` and
//! `emergency_train_f1.json` to `emergency_train_f7.json`, and blind sets D's and E's `emergency_blindD.json` and
//! `emergency_blindE.json` (development data since their first run),
//! `emergency_holdout.json` (written after tuning and never tuned on; its first run is the honest
//! estimate in BENCHMARKS.md, "Emergency detection") and blind sets C's, G's and H's
//! `emergency_blindC.json`, `emergency_blindG.json` and `emergency_blindH.json` (unseen, held to
//! their only runs), plus the ordinary FAQ questions of
//! `dev_questions.json`, `holdout_questions.json`, `unseen_questions.json`,
//! `blindA_questions.json`, `blindB_questions.json` and `blindC_questions.json`, none of which
//! may be raised as an emergency.
//!
//! Targets on the development set: recall with the right service ≥ 99 % per kind and overall,
//! false alarms ≤ 2 %, every emergency recognised names the expected services in the expected
//! order, and ≥ 90 % of the labelled crime reports recognised with their kind. The holdout set
//! is held to its first run (and to no more wrong numbers than then). Run with `--nocapture` to
//! see the figures and the misses: `cargo test -p caunoi-text --test emergencies -- --nocapture`.

use std::collections::BTreeMap;

use caunoi_text::normalize::normalize;
use caunoi_text::safety::{EmergencyKind, ReportKind, Safety, assess};
use serde::Deserialize;

const TARGET_RECALL: f64 = 0.99;
const MAX_FALSE_ALARMS: f64 = 0.02;
const TARGET_REPORTS: f64 = 0.9;

#[derive(Deserialize)]
struct Item {
    text: String,
    expected: String,
    #[serde(default)]
    group: String,
}

fn load(name: &str) -> Vec<Item> {
    let path = format!("{}/../../kb/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn emergency_kind(label: &str) -> Option<EmergencyKind> {
    EmergencyKind::ALL.into_iter().find(|k| k.as_str() == label)
}

fn report_kind(label: &str) -> Option<ReportKind> {
    let name = label.strip_prefix("report:")?;
    ReportKind::ALL.into_iter().find(|k| k.as_str() == name)
}

fn describe(outcome: Option<Safety>) -> String {
    match outcome {
        Some(Safety::Emergency(k)) => format!("emergency {} ({})", k.as_str(), k.numbers()),
        Some(Safety::Report(k)) => format!("report {}", k.as_str()),
        None => "none".to_owned(),
    }
}

#[derive(Default)]
struct Tally {
    total: usize,
    right_service: usize,
    right_kind: usize,
}

/// Figures of one labelled set; the failures, as lines, are collected in `problems`.
struct Figures {
    per_kind: BTreeMap<&'static str, Tally>,
    emergencies: Tally,
    non_emergencies: usize,
    false_alarms: usize,
    reports: usize,
    reports_right: usize,
    misses: Vec<String>,
    wrong_number: Vec<String>,
    alarms: Vec<String>,
}

fn measure(items: &[Item]) -> Figures {
    let mut f = Figures {
        per_kind: BTreeMap::new(),
        emergencies: Tally::default(),
        non_emergencies: 0,
        false_alarms: 0,
        reports: 0,
        reports_right: 0,
        misses: Vec::new(),
        wrong_number: Vec::new(),
        alarms: Vec::new(),
    };
    for item in items {
        let outcome = assess(&item.text);
        if let Some(expected) = emergency_kind(&item.expected) {
            let tally = f.per_kind.entry(expected.as_str()).or_default();
            tally.total += 1;
            f.emergencies.total += 1;
            match outcome {
                Some(Safety::Emergency(found)) if found.services() == expected.services() => {
                    tally.right_service += 1;
                    f.emergencies.right_service += 1;
                    if found == expected {
                        tally.right_kind += 1;
                        f.emergencies.right_kind += 1;
                    }
                }
                Some(Safety::Emergency(_)) => {
                    f.wrong_number.push(format!(
                        "[{}, {}] {:?} → {} (expected {})",
                        item.expected,
                        item.group,
                        item.text,
                        describe(outcome),
                        expected.numbers()
                    ));
                }
                _ => f.misses.push(format!(
                    "[{}, {}] {:?} → {}",
                    item.expected,
                    item.group,
                    item.text,
                    describe(outcome)
                )),
            }
            continue;
        }
        f.non_emergencies += 1;
        if let Some(Safety::Emergency(_)) = outcome {
            f.false_alarms += 1;
            f.alarms.push(format!("[{}, {}] {:?} → {}", item.expected, item.group, item.text, describe(outcome)));
        }
        if let Some(expected) = report_kind(&item.expected) {
            f.reports += 1;
            if outcome == Some(Safety::Report(expected)) {
                f.reports_right += 1;
            } else {
                f.misses.push(format!("[{}, {}] {:?} → {}", item.expected, item.group, item.text, describe(outcome)));
            }
        }
    }
    f
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 1.0 } else { part as f64 / whole as f64 }
}

/// Prints the figures and returns what misses the targets.
fn report(name: &str, f: &Figures) -> Vec<String> {
    let mut problems = Vec::new();
    println!("== {name}: {} emergencies, {} non-emergencies", f.emergencies.total, f.non_emergencies);
    println!("{:<18} {:>5} {:>14} {:>12}", "kind", "n", "right service", "right kind");
    for (kind, t) in &f.per_kind {
        let recall = share(t.right_service, t.total);
        println!(
            "{kind:<18} {:>5} {:>8}/{:<3} {:>5.1}% {:>8}/{:<3}",
            t.total,
            t.right_service,
            t.total,
            100.0 * recall,
            t.right_kind,
            t.total
        );
        if recall < TARGET_RECALL {
            problems.push(format!("{name}: recall of {kind} {:.1}% < 99%", 100.0 * recall));
        }
    }
    let overall = share(f.emergencies.right_service, f.emergencies.total);
    println!(
        "{:<18} {:>5} {:>8}/{:<3} {:>5.1}% {:>8}/{:<3}",
        "overall",
        f.emergencies.total,
        f.emergencies.right_service,
        f.emergencies.total,
        100.0 * overall,
        f.emergencies.right_kind,
        f.emergencies.total
    );
    if overall < TARGET_RECALL {
        problems.push(format!("{name}: overall recall {:.1}% < 99%", 100.0 * overall));
    }
    let alarms = share(f.false_alarms, f.non_emergencies);
    println!("false alarms       {}/{} = {:.1}%", f.false_alarms, f.non_emergencies, 100.0 * alarms);
    if f.non_emergencies > 0 && alarms > MAX_FALSE_ALARMS {
        problems.push(format!("{name}: false alarms {:.1}% > 2%", 100.0 * alarms));
    }
    if f.reports > 0 {
        println!("crime reports      {}/{} recognised with the right kind", f.reports_right, f.reports);
        if share(f.reports_right, f.reports) < TARGET_REPORTS {
            problems.push(format!("{name}: crime reports {}/{} < 90%", f.reports_right, f.reports));
        }
    }
    for line in f.misses.iter().chain(&f.wrong_number).chain(&f.alarms) {
        println!("  {line}");
    }
    for line in &f.wrong_number {
        problems.push(format!("{name}: wrong first number: {line}"));
    }
    problems
}

fn assert_targets(name: &str, items: &[Item]) {
    let problems = report(name, &measure(items));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn development_set_meets_the_targets() {
    let items = load("emergency_dev.json");
    assert!(items.len() >= 600, "the development set has {} messages", items.len());
    assert_targets("emergency_dev.json", &items);
}

/// The blind training sets E1 and E2 (925 messages each, written by other agents without seeing
/// the rules; BENCHMARKS.md): first run 80.8 % and 85.7 % with the right service, 9.8 % and
/// 7.2 % false alarms, 36 and 25 wrong numbers. They are development data now (the rules were
/// fixed on their classes and the second opinion is trained on them), so they are held to
/// their figures after that work: at least 98 % with the right service, false alarms within the
/// development target, at most two wrong numbers. Not the development set's 99 %: the second
/// opinion adds an emergency only when it is sure, and some of these messages look like the
/// questions. E3 and E4 (830 each, first runs 86.4 % and 86.2 %, 5.5 % and 1.8 % false alarms)
/// were added after blind set C; blind set D's emergency file (455 messages; first run 94.1 %,
/// 1.0 % false alarms, 2 wrong numbers) after its misses were read and fixed by class; blind set
/// E (485; first run 96.0 %, 0.5 %, 2) and the training sets F1 and F2 (600 each; first runs
/// 93.7 % and 93.7 %, 1.8 % and 1.8 % false alarms, 1 and 5 wrong numbers) the same way, after
/// blind set G was written and committed. F3 and F4 (500 each; first runs 90.5 % and 95.9 %,
/// 0.0 % and 1.5 % false alarms, 4 and 4 wrong numbers) last, before G's run: F3 hides the
/// danger behind a question, the news or papers on purpose, and keeps a lower bound. F5 (500:
/// people alone, held, followed; first run 95.3 %, 0.7 % false alarms, 3 wrong numbers) after
/// G's run, before blind set H's, and F6 and F7 (500 each: regional speech and teencode; hard
/// near-misses and dangers told late or beside a question; first runs 96.2 % and 93.3 %, 0.8 % and
/// 1.4 % false alarms, 3 and 4 wrong numbers; F7 keeps a lower bound).
const TRAINING_SETS: [(&str, usize, f64); 13] = [
    ("emergency_train_e1.json", 800, TRAINING_RECALL),
    ("emergency_train_e2.json", 800, TRAINING_RECALL),
    ("emergency_train_e3.json", 800, TRAINING_RECALL),
    ("emergency_train_e4.json", 800, TRAINING_RECALL),
    ("emergency_blindD.json", 400, TRAINING_RECALL),
    ("emergency_blindE.json", 450, TRAINING_RECALL),
    ("emergency_train_f1.json", 550, TRAINING_RECALL),
    ("emergency_train_f2.json", 550, TRAINING_RECALL),
    ("emergency_train_f3.json", 450, 0.94),
    ("emergency_train_f4.json", 450, TRAINING_RECALL),
    ("emergency_train_f5.json", 450, TRAINING_RECALL),
    ("emergency_train_f6.json", 450, TRAINING_RECALL),
    ("emergency_train_f7.json", 450, 0.96),
];
const TRAINING_RECALL: f64 = 0.98;
const TRAINING_WRONG_NUMBERS: usize = 2;

#[test]
fn blind_training_sets_hold_their_figures() {
    for (name, at_least, floor) in TRAINING_SETS {
        let items = load(name);
        assert!(items.len() >= at_least, "{name} has {} messages", items.len());
        let f = measure(&items);
        let _ = report(name, &f);
        let recall = share(f.emergencies.right_service, f.emergencies.total);
        let alarms = share(f.false_alarms, f.non_emergencies);
        let mut problems = Vec::new();
        if recall < floor {
            problems.push(format!("recall {:.1}%", 100.0 * recall));
        }
        if alarms > MAX_FALSE_ALARMS {
            problems.push(format!("false alarms {:.1}%", 100.0 * alarms));
        }
        if f.wrong_number.len() > TRAINING_WRONG_NUMBERS {
            problems.extend(f.wrong_number.iter().map(|line| format!("wrong number: {line}")));
        }
        assert!(problems.is_empty(), "{name}: {}", problems.join(", "));
    }
}

/// The FAQ question sets are ordinary questions, except for a few out-of-scope messages that
/// describe an emergency (they are labelled in the emergency sets, and counted there).
#[test]
fn faq_questions_raise_no_emergency() {
    let labelled: Vec<(String, String)> = load("emergency_dev.json")
        .into_iter()
        .map(|i| (normalize(&i.text), i.expected))
        .filter(|(_, expected)| emergency_kind(expected).is_some())
        .collect();
    let mut checked = 0;
    let mut alarms = Vec::new();
    for name in [
        "dev_questions.json",
        "holdout_questions.json",
        "unseen_questions.json",
        "blindA_questions.json",
        "blindB_questions.json",
        "blindC_questions.json",
    ] {
        for item in load(name) {
            let text = normalize(&item.text);
            if labelled.iter().any(|(t, _)| *t == text) {
                continue;
            }
            checked += 1;
            if let Some(Safety::Emergency(kind)) = assess(&item.text) {
                alarms.push(format!("{name}: {:?} → {}", item.text, kind.as_str()));
            }
        }
    }
    println!("FAQ questions: {} checked, {} raised as an emergency", checked, alarms.len());
    assert!(checked > 200, "{checked} FAQ questions checked");
    assert!(alarms.is_empty(), "{}", alarms.join("\n"));
}

/// First run of the rules and the second opinion on `emergency_holdout.json`, holdout 11 (blind
/// set B, written by another agent without seeing the rules; see BENCHMARKS.md): recall with the
/// right service 165/210 = 78.6 % (the rules alone 146/210), false alarms 6/138 = 4.3 %, and 23
/// emergencies recognised with the wrong services (most of them an accident read as medical or
/// rescue, or the reverse; 170/210 get the right first number). The set is kept unseen: its
/// misses are not fixed, so that it keeps measuring text the rules were not written for. The
/// test holds it to its first run, within this margin, and to no more wrong numbers than then.
/// (After the logistic second opinion and the blind training sets' classes, figures only:
/// 185/210 = 88.1 %, 2/138 = 1.4 % false alarms, 7 wrong numbers.)
/// (Holdouts 1–10 are part of the development set.)
const HOLDOUT_RECALL: f64 = 0.786;
const HOLDOUT_FALSE_ALARMS: f64 = 0.043;
const HOLDOUT_WRONG_NUMBERS: usize = 23;
const HOLDOUT_MARGIN: f64 = 0.03;

#[test]
fn holdout_set_stays_at_its_first_run() {
    hold_to_first_run("emergency_holdout.json", 300, HOLDOUT_RECALL, HOLDOUT_FALSE_ALARMS, HOLDOUT_WRONG_NUMBERS);
}

/// First run on `emergency_blindC.json` (blind set C: 225 emergencies and 190 non-emergencies,
/// written by an agent who saw only the label definitions and the knowledge base's titles,
/// committed at c9f3634 before anything was run on it, and run once, at the end of issue 18's
/// fifth pass, with the rules and the logistic second opinion): 210/225 = 93.3 % with the right
/// service (rules alone 186/225 = 82.7 %), 3/190 = 1.6 % false alarms, 3 wrong numbers. Kept
/// unseen like holdout 11, and held to its first run the same way.
const BLIND_C_RECALL: f64 = 0.933;
const BLIND_C_FALSE_ALARMS: f64 = 0.016;
const BLIND_C_WRONG_NUMBERS: usize = 3;

#[test]
fn blind_set_c_stays_at_its_first_run() {
    hold_to_first_run("emergency_blindC.json", 400, BLIND_C_RECALL, BLIND_C_FALSE_ALARMS, BLIND_C_WRONG_NUMBERS);
}

/// First run on `emergency_blindG.json` (blind set G: 275 emergencies and 210 non-emergencies,
/// written like C and E, committed at 97fe2fd before anything ran on it, run once on the final
/// tree after E, F1–F4 were folded in): 268/275 = 97.5 % with the right service (rules alone
/// 239/275 = 86.9 %), 1/210 = 0.5 % false alarms, 2 wrong numbers; the numbers line reached 4 of
/// the 5 missed. Kept unseen, held the same way.
const BLIND_G_RECALL: f64 = 0.975;
const BLIND_G_FALSE_ALARMS: f64 = 0.005;
const BLIND_G_WRONG_NUMBERS: usize = 2;

#[test]
fn blind_set_g_stays_at_its_first_run() {
    hold_to_first_run("emergency_blindG.json", 450, BLIND_G_RECALL, BLIND_G_FALSE_ALARMS, BLIND_G_WRONG_NUMBERS);
}

/// First run on `emergency_blindH.json` (blind set H: 275 emergencies and 210 non-emergencies,
/// written like G, committed at 2f6181b before anything ran on it, run once on the final tree
/// after F5–F7 were folded in): 273/275 = 99.3 % with the right service (rules alone 234/275 =
/// 85.1 %), 2/210 = 1.0 % false alarms, no wrong number; the numbers line reached both misses.
/// Kept unseen, held the same way.
const BLIND_H_RECALL: f64 = 0.993;
const BLIND_H_FALSE_ALARMS: f64 = 0.01;
const BLIND_H_WRONG_NUMBERS: usize = 0;

#[test]
fn blind_set_h_stays_at_its_first_run() {
    hold_to_first_run("emergency_blindH.json", 450, BLIND_H_RECALL, BLIND_H_FALSE_ALARMS, BLIND_H_WRONG_NUMBERS);
}

/// An unseen set's figures stay within [`HOLDOUT_MARGIN`] of its first run, with no more wrong
/// numbers than then.
fn hold_to_first_run(name: &str, at_least: usize, recall_then: f64, alarms_then: f64, wrong_then: usize) {
    let items = load(name);
    assert!(items.len() >= at_least, "{name} has {} messages", items.len());
    let f = measure(&items);
    // Printed with the targets' verdicts; only the first-run bounds below are asserted.
    let _ = report(name, &f);
    let recall = share(f.emergencies.right_service, f.emergencies.total);
    let alarms = share(f.false_alarms, f.non_emergencies);
    let mut problems = Vec::new();
    if recall < recall_then - HOLDOUT_MARGIN {
        problems.push(format!("recall {:.1}%", 100.0 * recall));
    }
    if alarms > alarms_then + HOLDOUT_MARGIN {
        problems.push(format!("false alarms {:.1}%", 100.0 * alarms));
    }
    if f.wrong_number.len() > wrong_then {
        problems.extend(f.wrong_number.iter().map(|line| format!("wrong number: {line}")));
    }
    assert!(problems.is_empty(), "{name} below its first run: {}", problems.join(", "));
}
