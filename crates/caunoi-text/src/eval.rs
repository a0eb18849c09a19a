//! Evaluation of a [`Matcher`] on a labelled question list, with a serializable report and a
//! plain-text rendering.
//!
//! Ranking metrics (`top1`, `top3`, `mrr`) are computed on in-scope questions from
//! [`Matcher::rank`], i.e. before the safety rules and thresholds; decision metrics
//! (`answered_precision`, `coverage`, `oos_answered`, `wrong_answer_rate`) come from
//! [`Matcher::decide`], where Refer, Clarify, HandOff, Emergency and Report are all "not
//! answered".
//!
//! Referrals ([`Decision::Refer`], a referral entry pointing the citizen to another agency) are
//! never counted as answers, so a referral on an out-of-scope question is not a false accept and
//! does not enter `answered_precision`. A referral to exactly the expected entry (a question
//! labelled with a `chuyen-tiep.*` id) counts toward `coverage` as right: it is the entry the
//! question asked for. `referred` counts all referrals; `decisions.refer` is the same number.
//! Latency is the wall time of `decide` per question with the index already built.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::matcher::{Decision, Matcher};

/// The `expected` value of a question that no entry should answer.
pub const OUT_OF_SCOPE: &str = "__none__";

/// A labelled question (the format of `kb/dev_questions.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// The citizen's message.
    pub text: String,
    /// The entry id that should answer it, or [`OUT_OF_SCOPE`].
    pub expected: String,
    /// Style stratum ("accented", "unaccented", "teencode", "oos" …).
    #[serde(default)]
    pub group: String,
}

impl Question {
    /// Whether some entry should answer this question.
    pub fn in_scope(&self) -> bool {
        self.expected != OUT_OF_SCOPE
    }
}

/// Metrics for one group of questions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupReport {
    /// Questions in the group.
    pub n: usize,
    /// Top-1 accuracy on the group's in-scope questions (`None` if it has none).
    pub top1: Option<f64>,
    /// Share of the group's out-of-scope questions that got an answer (`None` if it has none).
    pub oos_answered: Option<f64>,
}

/// Decision latency percentiles in microseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
}

/// How many questions ended in each decision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DecisionCounts {
    /// Answered directly.
    pub answer: usize,
    /// Referred to another agency (a referral entry).
    pub refer: usize,
    /// Offered choices.
    pub clarify: usize,
    /// Handed to an officer.
    pub hand_off: usize,
    /// Treated as an emergency.
    pub emergency: usize,
    /// Treated as a crime report.
    pub report: usize,
}

/// A question the engine got wrong, for error analysis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Miss {
    /// The message.
    pub text: String,
    /// Its group.
    pub group: String,
    /// Expected entry id or [`OUT_OF_SCOPE`].
    pub expected: String,
    /// The first ranked entry.
    pub top: Option<String>,
    /// The decision, in short (`answer:<id>`, `refer:<id>`, `clarify`, `hand_off`, `emergency`,
    /// `report`).
    pub decision: String,
    /// Whether the decision was a wrong answer (the costly kind of mistake).
    pub wrong_answer: bool,
}

/// The evaluation report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalReport {
    /// Questions evaluated.
    pub n: usize,
    /// Of which in scope.
    pub in_scope: usize,
    /// Share of in-scope questions whose first candidate is right.
    pub top1: f64,
    /// Share of in-scope questions with the right entry among the first three.
    pub top3: f64,
    /// Mean reciprocal rank (first 10 candidates) on in-scope questions.
    pub mrr: f64,
    /// Share of Answer decisions that are right.
    pub answered_precision: f64,
    /// Share of in-scope questions answered directly and rightly, or referred to exactly the
    /// expected referral entry.
    pub coverage: f64,
    /// Questions that ended in a referral to another agency ([`Decision::Refer`]).
    pub referred: usize,
    /// Share of out-of-scope questions that got an Answer.
    pub oos_answered: f64,
    /// Wrong answers over all questions.
    pub wrong_answer_rate: f64,
    /// Decision counts.
    pub decisions: DecisionCounts,
    /// Per-group metrics.
    pub by_group: BTreeMap<String, GroupReport>,
    /// Decision latency per question.
    pub latency_us: Latency,
    /// Wrong answers, top-1 misses and in-scope questions not answered.
    pub misses: Vec<Miss>,
}

fn share(num: usize, den: usize) -> f64 {
    if den == 0 { 0.0 } else { num as f64 / den as f64 }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Evaluates `matcher` on `questions`.
pub fn evaluate(matcher: &Matcher, questions: &[Question]) -> EvalReport {
    #[derive(Default)]
    struct Tally {
        n: usize,
        in_scope: usize,
        top1: usize,
        oos: usize,
        oos_answered: usize,
    }
    let mut in_scope = 0;
    let (mut top1, mut top3, mut rr) = (0usize, 0usize, 0.0f64);
    let (mut answered, mut answered_right, mut oos, mut oos_answered) = (0usize, 0usize, 0usize, 0usize);
    let mut covered = 0usize;
    let mut counts = DecisionCounts::default();
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    let mut latencies = Vec::with_capacity(questions.len());
    let mut misses = Vec::new();

    for q in questions {
        let started = Instant::now();
        let decision = matcher.decide(&q.text);
        latencies.push(started.elapsed().as_micros() as u64);
        let ranked = matcher.rank(&q.text, 10);
        let tally = groups.entry(q.group.clone()).or_default();
        tally.n += 1;
        let short = match &decision {
            Decision::Answer { id, .. } => {
                counts.answer += 1;
                format!("answer:{id}")
            }
            Decision::Refer { id, .. } => {
                counts.refer += 1;
                format!("refer:{id}")
            }
            Decision::Clarify { .. } => {
                counts.clarify += 1;
                "clarify".to_owned()
            }
            Decision::HandOff { reason } => {
                counts.hand_off += 1;
                format!("hand_off:{reason:?}")
            }
            Decision::Emergency { kind } => {
                counts.emergency += 1;
                format!("emergency:{kind:?}")
            }
            Decision::Report { kind } => {
                counts.report += 1;
                format!("report:{kind:?}")
            }
        };
        let answer = decision.answered_id();
        let right_answer = answer == Some(q.expected.as_str());
        if answer.is_some() {
            answered += 1;
            answered_right += usize::from(right_answer);
        }
        let right_referral = q.in_scope() && decision.referred_id() == Some(q.expected.as_str());
        covered += usize::from(right_answer || right_referral);
        let top = ranked.first().map(|c| c.id.clone());
        let mut top1_hit = false;
        if q.in_scope() {
            in_scope += 1;
            tally.in_scope += 1;
            if let Some(pos) = ranked.iter().position(|c| c.id == q.expected) {
                rr += 1.0 / (pos as f64 + 1.0);
                top1_hit = pos == 0;
                top3 += usize::from(pos < 3);
            }
            top1 += usize::from(top1_hit);
            tally.top1 += usize::from(top1_hit);
        } else {
            oos += 1;
            tally.oos += 1;
            if answer.is_some() {
                oos_answered += 1;
                tally.oos_answered += 1;
            }
        }
        let wrong_answer = answer.is_some() && !right_answer;
        if wrong_answer || (q.in_scope() && (!top1_hit || !(right_answer || right_referral))) {
            misses.push(Miss {
                text: q.text.clone(),
                group: q.group.clone(),
                expected: q.expected.clone(),
                top,
                decision: short,
                wrong_answer,
            });
        }
    }
    latencies.sort_unstable();
    let n = questions.len();
    EvalReport {
        n,
        in_scope,
        top1: share(top1, in_scope),
        top3: share(top3, in_scope),
        mrr: if in_scope == 0 { 0.0 } else { rr / in_scope as f64 },
        answered_precision: share(answered_right, answered),
        coverage: share(covered, in_scope),
        referred: counts.refer,
        oos_answered: share(oos_answered, oos),
        wrong_answer_rate: share(answered - answered_right, n),
        decisions: counts,
        by_group: groups
            .into_iter()
            .map(|(label, t)| {
                let report = GroupReport {
                    n: t.n,
                    top1: (t.in_scope > 0).then(|| share(t.top1, t.in_scope)),
                    oos_answered: (t.oos > 0).then(|| share(t.oos_answered, t.oos)),
                };
                (label, report)
            })
            .collect(),
        latency_us: Latency {
            p50: percentile(&latencies, 0.50),
            p95: percentile(&latencies, 0.95),
            p99: percentile(&latencies, 0.99),
        },
        misses,
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

impl EvalReport {
    /// A plain-text rendering for terminals and CI logs (`with_misses` lists the mistakes).
    pub fn render_text(&self, with_misses: bool) -> String {
        let mut s = String::new();
        let d = &self.decisions;
        let _ = writeln!(
            s,
            "questions           {} ({} in scope, {} out of scope)",
            self.n,
            self.in_scope,
            self.n - self.in_scope
        );
        let _ = writeln!(s, "top-1               {}", pct(self.top1));
        let _ = writeln!(s, "top-3               {}", pct(self.top3));
        let _ = writeln!(s, "MRR@10              {:.3}", self.mrr);
        let _ = writeln!(s, "answered precision  {}", pct(self.answered_precision));
        let _ = writeln!(s, "coverage            {}", pct(self.coverage));
        let _ = writeln!(s, "oos answered        {}", pct(self.oos_answered));
        let _ = writeln!(s, "referred            {}", self.referred);
        let _ = writeln!(s, "wrong-answer rate   {}", pct(self.wrong_answer_rate));
        let _ = writeln!(
            s,
            "decisions           answer {} / refer {} / clarify {} / hand-off {} / emergency {} / report {}",
            d.answer, d.refer, d.clarify, d.hand_off, d.emergency, d.report
        );
        let _ = writeln!(
            s,
            "latency (decide)    p50 {} µs, p95 {} µs, p99 {} µs",
            self.latency_us.p50, self.latency_us.p95, self.latency_us.p99
        );
        let _ = writeln!(s, "by group:");
        for (label, g) in &self.by_group {
            let top1 = g.top1.map_or_else(|| "-".to_owned(), pct);
            let oos = g.oos_answered.map_or_else(|| "-".to_owned(), pct);
            let _ = writeln!(s, "  {label:<12} n {:>4}   top-1 {top1:>6}   oos answered {oos:>6}", g.n);
        }
        if with_misses && !self.misses.is_empty() {
            let _ = writeln!(s, "misses:");
            for m in &self.misses {
                let flag = if m.wrong_answer { "WRONG" } else { "     " };
                let _ = writeln!(
                    s,
                    "  {flag} [{}] {} | expected {} | top {} | {}",
                    m.group,
                    m.text,
                    m.expected,
                    m.top.as_deref().unwrap_or("-"),
                    m.decision
                );
            }
        }
        s
    }
}
