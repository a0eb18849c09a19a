//! Report recognition measured on the labelled sets in `kb/`: `report_dev.json` (the rules were
//! tuned on it), the blind training sets `report_train_r1.json` and `report_train_r2.json` and
//! blind set D's `report_blindD.json` (development data since their first run) and `report_holdout.json` (written before the rules
//! it measures were tuned, never tuned on; its first run is the estimate in BENCHMARKS.md,
//! "Report recognition"), plus the procedure questions of `dev_questions.json`, none of which
//! may open the report flow.
//!
//! A labelled report is *recognised* when the rules give [`Safety::Report`] of any kind, or an
//! emergency when the message is labelled a live one (`"emergency": true`: "đang có cướp"), as
//! emergencies take priority. Its kind is right when the report kind is the labelled one. A
//! *false report* is a question, greeting or thanks taken for a report or an emergency.
//!
//! Targets on the development set: recall ≥ 90 %, false reports ≤ 5 % of the questions (the
//! non-reports of the set and those of `dev_questions.json`). The holdout set must stay at or
//! above its first-run figures minus a margin. Run with `--nocapture` to see the figures per
//! kind and every miss: `cargo test -p caunoi-text --test reports -- --nocapture`.

use std::collections::BTreeMap;

use caunoi_text::normalize::normalize;
use caunoi_text::safety::{ReportKind, Safety, assess};
use serde::Deserialize;

const TARGET_RECALL: f64 = 0.90;
const MAX_FALSE_REPORTS: f64 = 0.05;
/// Kind accuracy among recognised reports on the development set; printed, and held here so
/// that a rule change that confuses kinds shows up.
const TARGET_KIND_ACCURACY: f64 = 0.90;

/// First run of the rules on `report_holdout.json`, report holdout 8 (blind set B, written by
/// another agent without seeing the rules; see BENCHMARKS.md): recall 65/96 = 67.7 %, kind
/// accuracy 59/65 = 90.8 %, false reports 9/76 = 11.8 %. The set is kept unseen (its misses are
/// not fixed); the test allows this margin below (above, for false reports) its first run, for
/// rule changes made later for other reasons. One message moves recall by 1.0 point and false
/// reports by 1.3. (Report holdouts 1–7 are now part of the development set.) After the
/// logistic second opinion and the blind training sets' classes, figures only: recall 75/96 =
/// 78.1 %, kind accuracy 70/75 = 93.3 %, false reports 5/76 = 6.6 %.
const HOLDOUT_RECALL: f64 = 0.677;
const HOLDOUT_KIND_ACCURACY: f64 = 0.908;
const HOLDOUT_FALSE_REPORTS: f64 = 0.118;
const HOLDOUT_MARGIN: f64 = 0.03;

#[derive(Deserialize)]
struct Item {
    text: String,
    report: Option<String>,
    #[serde(default)]
    group: String,
    /// A live emergency: an emergency outcome counts as recognised.
    #[serde(default)]
    emergency: bool,
}

/// A `dev_questions.json` / `emergency_dev.json` message (only the fields read here).
#[derive(Deserialize)]
struct Labelled {
    text: String,
    expected: String,
}

fn load<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    let path = format!("{}/../../kb/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn report_kind(label: &str) -> ReportKind {
    ReportKind::ALL.into_iter().find(|k| k.as_str() == label).unwrap_or_else(|| panic!("unknown report kind {label:?}"))
}

fn describe(outcome: Option<Safety>) -> String {
    match outcome {
        Some(Safety::Emergency(k)) => format!("emergency {}", k.as_str()),
        Some(Safety::Report(k)) => format!("report {}", k.as_str()),
        None => "none".to_owned(),
    }
}

#[derive(Default)]
struct Tally {
    total: usize,
    recognised: usize,
    /// Recognised as a report (not as an emergency).
    reported: usize,
    right_kind: usize,
}

impl Tally {
    fn add(&mut self, recognised: bool, reported: bool, right_kind: bool) {
        self.total += 1;
        self.recognised += usize::from(recognised);
        self.reported += usize::from(reported);
        self.right_kind += usize::from(right_kind);
    }
}

#[derive(Default)]
struct Figures {
    per_kind: BTreeMap<&'static str, Tally>,
    per_group: BTreeMap<String, Tally>,
    reports: Tally,
    questions: usize,
    false_reports: usize,
    misses: Vec<String>,
    wrong_kind: Vec<String>,
    false_lines: Vec<String>,
}

impl Figures {
    fn recall(&self) -> f64 {
        share(self.reports.recognised, self.reports.total)
    }

    fn kind_accuracy(&self) -> f64 {
        share(self.reports.right_kind, self.reports.reported)
    }

    fn false_rate(&self) -> f64 {
        share(self.false_reports, self.questions)
    }

    /// Counts one question (a message that is no report).
    fn question(&mut self, source: &str, text: &str) {
        self.questions += 1;
        let outcome = assess(text);
        if outcome.is_some() {
            self.false_reports += 1;
            self.false_lines.push(format!("[{source}] {text:?} → {}", describe(outcome)));
        }
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 1.0 } else { part as f64 / whole as f64 }
}

fn measure(items: &[Item]) -> Figures {
    let mut f = Figures::default();
    for item in items {
        let Some(label) = &item.report else {
            f.question(&item.group, &item.text);
            continue;
        };
        let expected = report_kind(label);
        let outcome = assess(&item.text);
        let reported = matches!(outcome, Some(Safety::Report(_)));
        let recognised = reported || (item.emergency && matches!(outcome, Some(Safety::Emergency(_))));
        let right_kind = outcome == Some(Safety::Report(expected));
        f.reports.add(recognised, reported, right_kind);
        f.per_kind.entry(expected.as_str()).or_default().add(recognised, reported, right_kind);
        f.per_group.entry(item.group.clone()).or_default().add(recognised, reported, right_kind);
        let line = format!("[{label}, {}] {:?} → {}", item.group, item.text, describe(outcome));
        if !recognised {
            f.misses.push(line);
        } else if reported && !right_kind {
            f.wrong_kind.push(line);
        }
    }
    f
}

fn print(name: &str, f: &Figures) {
    println!("== {name}: {} reports, {} questions", f.reports.total, f.questions);
    println!("{:<16} {:>5} {:>12} {:>16}", "kind / group", "n", "recognised", "right kind");
    for (label, t) in
        f.per_kind.iter().map(|(k, t)| (k.to_string(), t)).chain(f.per_group.iter().map(|(g, t)| (format!("({g})"), t)))
    {
        println!(
            "{label:<16} {:>5} {:>5} {:>5.1}% {:>5}/{:<4} {:>5.1}%",
            t.total,
            t.recognised,
            100.0 * share(t.recognised, t.total),
            t.right_kind,
            t.reported,
            100.0 * share(t.right_kind, t.reported)
        );
    }
    println!(
        "recall {}/{} = {:.1}%, kind accuracy {}/{} = {:.1}%, false reports {}/{} = {:.1}%",
        f.reports.recognised,
        f.reports.total,
        100.0 * f.recall(),
        f.reports.right_kind,
        f.reports.reported,
        100.0 * f.kind_accuracy(),
        f.false_reports,
        f.questions,
        100.0 * f.false_rate()
    );
    for (title, lines) in [("missed", &f.misses), ("wrong kind", &f.wrong_kind), ("false reports", &f.false_lines)] {
        for line in lines.iter() {
            println!("  {title}: {line}");
        }
    }
}

/// The questions of `dev_questions.json`, but the out-of-scope ones that describe an emergency
/// (labelled as such in `emergency_dev.json` and counted there).
fn faq_questions() -> Vec<String> {
    let emergencies: Vec<String> = load::<Labelled>("emergency_dev.json")
        .into_iter()
        .filter(|i| i.expected != "none" && !i.expected.starts_with("report:"))
        .map(|i| normalize(&i.text))
        .collect();
    load::<Labelled>("dev_questions.json")
        .into_iter()
        .map(|i| i.text)
        .filter(|t| !emergencies.contains(&normalize(t)))
        .collect()
}

#[test]
fn development_set_meets_the_targets() {
    let items: Vec<Item> = load("report_dev.json");
    let reports = items.iter().filter(|i| i.report.is_some()).count();
    assert!(reports >= 400 && items.len() - reports >= 400, "the development set is too small");
    for kind in ReportKind::ALL {
        assert!(items.iter().any(|i| i.report.as_deref() == Some(kind.as_str())), "no {kind:?} report");
    }
    let mut f = measure(&items);
    let questions = faq_questions();
    assert!(questions.len() >= 140, "{} FAQ questions", questions.len());
    for text in &questions {
        f.question("dev_questions", text);
    }
    print("report_dev.json + dev_questions.json", &f);
    let mut problems = Vec::new();
    if f.recall() < TARGET_RECALL {
        problems.push(format!("recall {:.1}% < {:.0}%", 100.0 * f.recall(), 100.0 * TARGET_RECALL));
    }
    if f.false_rate() > MAX_FALSE_REPORTS {
        problems.push(format!("false reports {:.1}% > {:.0}%", 100.0 * f.false_rate(), 100.0 * MAX_FALSE_REPORTS));
    }
    if f.kind_accuracy() < TARGET_KIND_ACCURACY {
        problems.push(format!(
            "kind accuracy {:.1}% < {:.0}%",
            100.0 * f.kind_accuracy(),
            100.0 * TARGET_KIND_ACCURACY
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The blind training sets R1 and R2 (850 messages each, written by other agents without seeing
/// the rules; BENCHMARKS.md): first run recall 61.3 % and 68.2 %, 2.5 % and 3.5 % of the
/// questions taken. Development data now (rules fixed on their classes, the second opinion
/// trained on them), held to their figures after that work within the margin: recall 85.6 %
/// and 88.9 %, 0.2 % of the questions taken. Blind set D's report file (260 messages; first
/// run recall 87.1 %, 1.7 % of the questions taken) was folded in after its misses were read:
/// 91.4 % since.
const TRAINING_SETS: [(&str, f64, usize); 3] =
    [("report_train_r1.json", 0.856, 800), ("report_train_r2.json", 0.889, 800), ("report_blindD.json", 0.914, 250)];

#[test]
fn blind_training_sets_hold_their_figures() {
    for (name, first, at_least) in TRAINING_SETS {
        let items: Vec<Item> = load(name);
        assert!(items.len() >= at_least, "{name} has {} messages", items.len());
        let f = measure(&items);
        print(name, &f);
        let mut problems = Vec::new();
        if f.recall() < first - HOLDOUT_MARGIN {
            problems.push(format!("recall {:.1}%", 100.0 * f.recall()));
        }
        if f.false_rate() > MAX_FALSE_REPORTS {
            problems.push(format!("false reports {:.1}%", 100.0 * f.false_rate()));
        }
        if f.kind_accuracy() < TARGET_KIND_ACCURACY - HOLDOUT_MARGIN {
            problems.push(format!("kind accuracy {:.1}%", 100.0 * f.kind_accuracy()));
        }
        assert!(problems.is_empty(), "{name}: {}", problems.join(", "));
    }
}

#[test]
fn holdout_set_stays_at_its_first_run() {
    hold_to_first_run("report_holdout.json", 60, (HOLDOUT_RECALL, HOLDOUT_KIND_ACCURACY, HOLDOUT_FALSE_REPORTS));
}

/// First run on `report_blindC.json` (blind set C: 130 reports and 110 questions, written by an
/// agent who saw only the label definitions and the knowledge base's titles, committed at
/// c9f3634 before anything was run on it, run once at the end of the fifth pass with the rules
/// and the logistic second opinion): recall 120/130 = 92.3 % (rules alone 106/130 = 81.5 %),
/// kind accuracy 109/120 = 90.8 %, questions taken 1/110 = 0.9 %. Kept unseen, held the same way.
const BLIND_C: (f64, f64, f64) = (0.923, 0.908, 0.009);

#[test]
fn blind_set_c_stays_at_its_first_run() {
    hold_to_first_run("report_blindC.json", 100, BLIND_C);
}

/// First run on `report_blindE.json` (blind set E: 140 reports and 120 questions, committed at
/// 4bb77be before anything ran on it, run once on the final tree of issue 18's fifth pass):
/// recall 126/140 = 90.0 % (rules alone 112/140 = 80.0 %), kind accuracy 121/126 = 96.0 %,
/// questions taken 2/120 = 1.7 %. Kept unseen, held the same way.
const BLIND_E: (f64, f64, f64) = (0.90, 0.96, 0.017);

#[test]
fn blind_set_e_stays_at_its_first_run() {
    hold_to_first_run("report_blindE.json", 100, BLIND_E);
}

/// An unseen set's recall, kind accuracy and false reports stay within [`HOLDOUT_MARGIN`] of its
/// first run (`then`, in that order).
fn hold_to_first_run(name: &str, at_least: usize, then: (f64, f64, f64)) {
    let items: Vec<Item> = load(name);
    let reports = items.iter().filter(|i| i.report.is_some()).count();
    assert!(reports >= at_least && items.len() - reports >= at_least, "{name} is too small");
    let f = measure(&items);
    print(name, &f);
    let mut problems = Vec::new();
    if f.recall() < then.0 - HOLDOUT_MARGIN {
        problems.push(format!("recall {:.1}%", 100.0 * f.recall()));
    }
    if f.kind_accuracy() < then.1 - HOLDOUT_MARGIN {
        problems.push(format!("kind accuracy {:.1}%", 100.0 * f.kind_accuracy()));
    }
    if f.false_rate() > then.2 + HOLDOUT_MARGIN {
        problems.push(format!("false reports {:.1}%", 100.0 * f.false_rate()));
    }
    assert!(problems.is_empty(), "{name} below its first run: {}", problems.join(", "));
}
