//! The FAQ matcher with its default configuration on the real knowledge base
//! (`kb/kb_seed.json`) and the labelled question files of `kb/`, held to the figures recorded in
//! BENCHMARKS.md ("Answered outright, fourth pass"): the development set the
//! rules were chosen on, the holdout and `unseen_questions.json` (never tuned on; held to their
//! runs), the blind sets A (written by someone who never saw the knowledge base; improved on after
//! its first run) and B (never tuned on), the held-out third of the paraphrase sets P1/P2, the
//! out-of-scope tuning files, and English
//! questions, which may be handed off but never answered wrongly. Floors are counts, so one more wrong answer or one fewer answered question fails.
//! Run with `--nocapture` to see the reports:
//! `cargo test -p caunoi-text --test answers -- --nocapture`.

use caunoi_text::abbrev::Abbreviations;
use caunoi_text::eval::{EvalReport, Question, evaluate};
use caunoi_text::matcher::{FaqDoc, Matcher, MatcherConfig, is_referral};
use serde::Deserialize;

fn kb_path(name: &str) -> String {
    format!("{}/../../kb/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[derive(Deserialize)]
struct Entry {
    id: String,
    category: String,
    title: String,
    questions: Vec<String>,
    answer: String,
}

fn matcher() -> Matcher {
    let path = kb_path("kb_seed.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let entries: Vec<Entry> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let docs = entries
        .into_iter()
        .map(|e| FaqDoc {
            referral: is_referral(&e.category, &e.id),
            id: e.id,
            title: e.title,
            questions: e.questions,
            answer: e.answer,
        })
        .collect();
    Matcher::build(docs, &Abbreviations::builtin(), MatcherConfig::default())
}

fn report(m: &Matcher, name: &str) -> EvalReport {
    let path = kb_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let questions: Vec<Question> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let report = evaluate(m, &questions);
    println!("== {name}\n{}", report.render_text(true));
    report
}

/// Counts behind a report's shares.
struct Counts {
    /// In-scope questions answered (or referred) with exactly their entry.
    covered: usize,
    /// Answers with a wrong entry, out-of-scope answers included.
    wrong: usize,
    /// Out-of-scope questions answered.
    oos_answered: usize,
    /// In-scope questions whose first candidate is right.
    top1: usize,
}

fn counts(r: &EvalReport) -> Counts {
    let oos = r.n - r.in_scope;
    let round = |share: f64, of: usize| (share * of as f64).round() as usize;
    Counts {
        covered: round(r.coverage, r.in_scope),
        wrong: round(r.wrong_answer_rate, r.n),
        oos_answered: round(r.oos_answered, oos),
        top1: round(r.top1, r.in_scope),
    }
}

#[test]
fn development_set_keeps_its_answered_share() {
    let m = matcher();
    let r = report(&m, "dev_questions.json");
    let c = counts(&r);
    assert_eq!(r.in_scope, 127);
    // One out-of-scope question ("con tôi 16 tuổi bị mời lên phường làm việc …", 16 syllables)
    // is answered at 0.30, just over the length-discounted threshold of 0.29, since the fourth
    // pass (BENCHMARKS.md); no in-scope question is answered wrongly.
    assert!(c.wrong <= 1, "{} wrong answers on the development set (recorded: 1)", c.wrong);
    assert!(c.oos_answered <= 1, "{} of 23 out-of-scope answered (recorded: 1)", c.oos_answered);
    assert!(c.covered >= 96, "answered {} of 127 (recorded: 96)", c.covered);
    assert!(c.top1 >= 119, "top-1 {} of 127 (recorded: 119)", c.top1);
}

#[test]
fn holdout_stays_at_its_run() {
    let m = matcher();
    let r = report(&m, "holdout_questions.json");
    let c = counts(&r);
    assert_eq!(c.wrong, 0);
    assert!(c.covered >= 50, "answered {} of {} (recorded: 50)", c.covered, r.in_scope);
    assert!(c.top1 >= 53, "top-1 {} of {} (recorded: 53)", c.top1, r.in_scope);
}

/// `unseen_questions.json` was written before anything of issue 18's second pass was tuned;
/// held to the run recorded in BENCHMARKS.md.
#[test]
fn unseen_set_stays_at_its_run() {
    let m = matcher();
    let r = report(&m, "unseen_questions.json");
    let c = counts(&r);
    assert_eq!((r.in_scope, r.n - r.in_scope), (195, 45));
    assert!(c.covered >= 164, "answered {} of 195 (recorded: 164)", c.covered);
    assert!(c.top1 >= 187, "top-1 {} of 195 (recorded: 187)", c.top1);
    assert!(c.wrong <= 4, "{} wrong answers (recorded: 4)", c.wrong);
    assert!(c.oos_answered <= 2, "{} of 45 out-of-scope answered (recorded: 2)", c.oos_answered);
}

#[test]
fn out_of_scope_tuning_messages_are_not_answered_beyond_their_run() {
    let m = matcher();
    assert_eq!(counts(&report(&m, "oos_tuning.json")).oos_answered, 0);
    // Near-domain messages (driving schools, notaries, school enrolment): most are now referred
    // to the agency that handles them; recorded at 3 of 59 answered (5 before the referral
    // entries of the third pass), see BENCHMARKS.md.
    let r = report(&m, "oos_tuning2.json");
    let near = counts(&r).oos_answered;
    assert!(near <= 3, "{near} of 59 answered");
    assert!(r.referred >= 14, "{} of 59 referred (recorded: 14)", r.referred);
}

/// Blind set A (`blindA_questions.json`): 209 in-scope and 52 out-of-scope questions written from
/// the entries' titles and first answer lines only. First run, before anything was changed for
/// it: 74.2 % answered outright (155 of 209), answered precision 97.3 %, 2 of 52 out-of-scope
/// answered. The third pass was then improved on it (classes of failure: regional words, chat
/// abbreviations, long messages, neighbouring agencies), so these are fitted figures.
#[test]
fn blind_set_a_stays_at_its_run() {
    let m = matcher();
    let r = report(&m, "blindA_questions.json");
    let c = counts(&r);
    assert_eq!((r.in_scope, r.n - r.in_scope), (209, 52));
    assert!(c.covered >= 182, "answered {} of 209 (recorded: 182)", c.covered);
    assert!(c.top1 >= 201, "top-1 {} of 209 (recorded: 201)", c.top1);
    assert!(c.wrong <= 2, "{} wrong answers (recorded: 2)", c.wrong);
    assert_eq!(c.oos_answered, 0, "out-of-scope answered");
}

#[test]
fn english_questions_are_never_answered_wrongly() {
    let m = matcher();
    let r = report(&m, "english_questions.json");
    let c = counts(&r);
    assert_eq!(c.wrong, 0, "an English question got a wrong answer");
    assert_eq!(c.oos_answered, 0);
}

/// Blind set B (`blindB_questions.json`): 185 in-scope and 46 out-of-scope questions written like
/// set A; committed as received and run once with the final engine of the third pass (126
/// answered, 166 top-1, 2 wrong), never tuned on; run twice in the fourth pass (after the folded
/// paraphrases and the sibling rule, and at its end), nothing chosen from it. Held to the last run.
#[test]
fn blind_set_b_stays_at_its_only_run() {
    let m = matcher();
    let r = report(&m, "blindB_questions.json");
    let c = counts(&r);
    assert_eq!((r.in_scope, r.n - r.in_scope), (185, 46));
    assert!(c.covered >= 137, "answered {} of 185 (recorded: 137)", c.covered);
    assert!(c.top1 >= 170, "top-1 {} of 185 (recorded: 170)", c.top1);
    assert!(c.wrong <= 1, "{} wrong answers (recorded: 1)", c.wrong);
    assert_eq!(c.oos_answered, 0, "out-of-scope answered");
}

/// Blind set C (`blindC_questions.json`): 230 in-scope and 45 out-of-scope questions written by
/// an agent who saw only the knowledge base's entry titles and first answer lines, committed at
/// c9f3634 before anything was run on it, and run once at the end of issue 18's fifth pass (the
/// paraphrase sets, the sibling rule, spoken words, the logistic second opinion). Held to that run.
#[test]
fn blind_set_c_stays_at_its_only_run() {
    let m = matcher();
    let r = report(&m, "blindC_questions.json");
    let c = counts(&r);
    assert_eq!((r.in_scope, r.n - r.in_scope), (230, 45));
    assert!(c.covered >= 197, "answered {} of 230 (recorded: 197)", c.covered);
    assert!(c.top1 >= 223, "top-1 {} of 230 (recorded: 223)", c.top1);
    assert!(c.wrong <= 2, "{} wrong answers (recorded: 2)", c.wrong);
    assert!(c.oos_answered <= 1, "{} out-of-scope answered (recorded: 1)", c.oos_answered);
}

/// The held-out third of the paraphrase sets P1 and P2 (`paraP_heldout_questions.json`, 376
/// questions, 4 of every entry's 12; the other two thirds are knowledge-base paraphrases, see
/// `kb/fold_paraphrases.py`): written from the entry titles only, never tuned on. Held to its run.
#[test]
fn paraphrase_sets_held_out_share_stays_at_its_run() {
    let m = matcher();
    let r = report(&m, "paraP_heldout_questions.json");
    let c = counts(&r);
    assert_eq!(r.in_scope, 376);
    assert!(c.covered >= 252, "answered {} of 376 (recorded: 252)", c.covered);
    assert!(c.top1 >= 337, "top-1 {} of 376 (recorded: 337)", c.top1);
    // 4 at its run; 5 since the safety rules' logistic second opinion was merged after it: a
    // question those rules no longer divert (as a report or an emergency) reaches the matcher,
    // which answers a neighbouring entry (the fifth wrong answer is one of the fee and PCCC
    // near ties listed by `caunoi kb eval --misses`).
    assert!(c.wrong <= 5, "{} wrong answers (recorded: 5)", c.wrong);
}
