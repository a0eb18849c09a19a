//! Development tool: evaluates the matcher on a knowledge base and a question file and, with
//! `--search`, tunes weights and thresholds with two-fold cross-validation (tune on one half of
//! every group, report on the other half), then on the whole file.
//!
//! `cargo run -p caunoi-text --release --example faq_tune -- KB.json QUESTIONS.json [--misses] [--search]`
//!
//! With `--xval` it instead runs a dev-independent check: 5-fold cross-validation over the
//! knowledge base's own paraphrases (every fifth question of each entry held out in turn, the
//! index built from the rest), querying each held-out paraphrase as typed and folded to no
//! diacritics; it prints top-1 for both, the weakest entries and the most frequent confusions,
//! and does not use the question file (still required on the command line). `--xval-dump FILE`
//! also writes what the answer rule sees for each held-out paraphrase (right, score, margin,
//! syllables, agreement, same family, pair evidence and its extremes, first entry, own entry,
//! text, entry answered or referred by the full decision; tab-separated), for fitting a confidence outside this tool.
//!
//! `--xval-decision [--extra-oos FILE]…` tunes the answer rule on the same held-out paraphrases
//! (plus the extra out-of-scope messages) instead of on the question file, and reports the tuned
//! rule on the question file. `--xval` also prints what the full decision does with the held-out
//! paraphrases (answered or referred, precision).
//!
//! The app's `caunoi kb eval` and `caunoi-core`'s `kb_eval` example are the supported way to
//! evaluate; this tool exists to choose `MatcherConfig::default()` and shows how it was done.

use caunoi_text::abbrev::Abbreviations;
use caunoi_text::eval::{Question, evaluate};
use caunoi_text::matcher::{Decision, FaqDoc, HandOffReason, Matcher, MatcherConfig};

fn load_docs(path: &str) -> Vec<FaqDoc> {
    let text = std::fs::read_to_string(path).expect("read kb");
    let value: serde_json::Value = serde_json::from_str(&text).expect("kb json");
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|e| FaqDoc {
            id: e["id"].as_str().unwrap_or_default().to_owned(),
            title: e["title"].as_str().unwrap_or_default().to_owned(),
            questions: e["questions"]
                .as_array()
                .map(|qs| qs.iter().filter_map(|q| q.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
            answer: e["answer"].as_str().unwrap_or_default().to_owned(),
            referral: caunoi_text::matcher::is_referral(
                e["category"].as_str().unwrap_or_default(),
                e["id"].as_str().unwrap_or_default(),
            ),
        })
        .collect()
}

/// Per question, what the thresholds see.
struct Seen {
    in_scope: bool,
    /// Blocked before scoring (safety rule or unusable input): never an answer.
    blocked: bool,
    top: f32,
    margin: f32,
    top_right: bool,
    /// The top entry is a referral entry: a would-be answer becomes a Refer.
    top_referral: bool,
    /// Syllables the decision counts (for the length discount of the answer threshold).
    syllables: usize,
    /// Ranking channels that put the top entry first (0–3).
    agreement: u8,
    /// The runner-up is in the top entry's family.
    same_family: bool,
    /// The top entry's channels (best paraphrase, pooled, distinguishing terms).
    channels: [f32; 3],
    /// How much the message's words favour the top entry over the runner-up.
    pair_evidence: f32,
    pair_extremes: (f32, f32),
}

fn observe(m: &Matcher, qs: &[&Question]) -> Vec<Seen> {
    qs.iter()
        .map(|q| {
            let blocked = match m.decide(&q.text) {
                Decision::Emergency { .. } | Decision::Report { .. } => true,
                Decision::HandOff { reason } => reason != HandOffReason::LowConfidence,
                _ => false,
            };
            let f = m.answer_features(&q.text);
            Seen {
                in_scope: q.in_scope(),
                blocked,
                top: f.score,
                margin: f.margin,
                top_right: f.top.as_deref() == Some(q.expected.as_str()),
                top_referral: f.top.as_deref().is_some_and(|id| m.is_referral_id(id)),
                syllables: f.syllables,
                agreement: f.agreement,
                same_family: f.same_family,
                channels: f.channels,
                pair_evidence: f.pair_evidence,
                pair_extremes: f.pair_extremes,
            }
        })
        .collect()
}

fn ranking_objective(m: &Matcher, qs: &[&Question]) -> f64 {
    let mut score = 0.0;
    let mut n = 0.0;
    for q in qs.iter().filter(|q| q.in_scope()) {
        n += 1.0;
        let ranked = m.rank(&q.text, 10);
        if let Some(pos) = ranked.iter().position(|c| c.id == q.expected) {
            score += if pos == 0 { 1.0 } else { 0.0 } + 0.5 / (pos as f64 + 1.0);
        }
    }
    score / n
}

const WRONG_PENALTY: f64 = 20.0;

/// Safety band around observed mistakes: a wrong top entry or an out-of-scope question counts
/// as a wrong answer if it would pass thresholds this much looser (absolute score, margin,
/// relative margin), so the chosen thresholds keep a distance from the errors seen in the small
/// tuning set instead of sitting right next to them.
const SAFETY: (f32, f32, f32) = (0.03, 0.02, 0.05);

/// One setting of the answer rule ([`MatcherConfig`]'s answer fields).
#[derive(Clone, Copy, Debug, Default)]
struct Rule {
    answer: f32,
    margin: f32,
    relative: f32,
    slope: f32,
    max_discount: f32,
}

impl Rule {
    fn config(self) -> MatcherConfig {
        MatcherConfig {
            answer_threshold: self.answer,
            answer_margin: self.margin,
            answer_relative_margin: self.relative,
            answer_length_slope: self.slope,
            answer_length_max_discount: self.max_discount,
            ..MatcherConfig::default()
        }
    }

    /// The same rule loosened by the safety band.
    fn loosened(self, band: f32) -> Rule {
        Rule {
            answer: self.answer - band * SAFETY.0,
            margin: self.margin - band * SAFETY.1,
            relative: self.relative - band * SAFETY.2,
            ..self
        }
    }

    /// How strict the rule is, for breaking ties between equally good rules.
    fn strictness(self) -> f32 {
        self.margin + self.relative - 10.0 * self.slope
    }
}

/// How the answer rule is tuned: the safety band's scale (1 = [`SAFETY`]) and the cost of one
/// wrong answer in right answers.
#[derive(Clone, Copy, Debug)]
struct Objective {
    band: f32,
    penalty: f64,
    /// `--keep-margins`: only the score threshold and length discount are tuned; the margins
    /// stay as configured (absolute, relative).
    keep_margins: Option<(f32, f32)>,
}

fn threshold_objective(seen: &[Seen], rule: Rule, objective: Objective) -> (f64, usize, usize) {
    let (mut right, mut wrong) = (0usize, 0usize);
    let (strict, loose) = (rule.config(), rule.loosened(objective.band).config());
    let passes = |s: &Seen, c: &MatcherConfig| {
        !s.blocked
            && s.top >= c.answer_threshold_for(s.syllables)
            && s.margin >= c.answer_margin
            && s.margin >= c.answer_relative_margin * s.top
    };
    for s in seen {
        if s.in_scope && s.top_right {
            right += usize::from(passes(s, &strict));
        } else if s.top_referral && !s.in_scope {
            // A referral on an out-of-scope question (another agency's matter): neither a
            // right answer nor a false accept.
        } else if passes(s, &loose) {
            wrong += 1;
        }
    }
    (right as f64 - objective.penalty * wrong as f64, right, wrong)
}

/// Length discounts tried: none, or every (per syllable beyond the pivot, at most) pair.
fn length_discounts() -> Vec<(f32, f32)> {
    let mut out = vec![(0.0, 0.0)];
    for slope in [0.005, 0.01, 0.015, 0.02] {
        for max_discount in [0.04, 0.08, 0.12, 0.16] {
            out.push((slope, max_discount));
        }
    }
    out
}

fn tune_thresholds(seen: &[Seen], config: &mut MatcherConfig, length_discount: bool, objective: Objective) {
    let mut discounts = length_discounts();
    if !length_discount {
        discounts.truncate(1);
    }
    let mut best = (f64::MIN, Rule::default());
    for &(slope, max_discount) in &discounts {
        for r in 0..=20 {
            for a in 20..=60 {
                for m in 0..=20 {
                    let (margin, relative) = match objective.keep_margins {
                        Some(kept) if m == 0 && r == 0 => kept,
                        Some(_) => continue,
                        None => (m as f32 / 100.0, r as f32 / 50.0),
                    };
                    let rule = Rule { answer: a as f32 / 100.0, margin, relative, slope, max_discount };
                    let (obj, _, _) = threshold_objective(seen, rule, objective);
                    // Among equally good settings, prefer the stricter ones.
                    if obj > best.0 + 1e-9 || ((obj - best.0).abs() < 1e-9 && rule.strictness() > best.1.strictness()) {
                        best = (obj, rule);
                    }
                }
            }
        }
    }
    // Move to the middle of the plateau of equally good answer thresholds (less brittle).
    let plateau: Vec<f32> = (20..=60)
        .map(|a| a as f32 / 100.0)
        .filter(|&a| (threshold_objective(seen, Rule { answer: a, ..best.1 }, objective).0 - best.0).abs() < 1e-9)
        .collect();
    let rule = best.1;
    config.answer_margin = rule.margin;
    config.answer_relative_margin = rule.relative;
    config.answer_length_slope = rule.slope;
    config.answer_length_max_discount = rule.max_discount;
    config.answer_threshold = plateau.get(plateau.len() / 2).copied().unwrap_or(rule.answer);
    // Clarify: keep the citizen in the conversation when the right entry is likely among the
    // first three; hand off below the score where out-of-scope questions dominate.
    let mut best_c = (f64::MIN, 0.0f32);
    for c in 5..=60 {
        let t = c as f32 / 100.0;
        let mut obj = 0.0;
        for s in seen.iter().filter(|s| !s.blocked && s.top >= t) {
            obj += if s.in_scope { 1.0 } else { -1.0 };
        }
        if obj > best_c.0 {
            best_c = (obj, t);
        }
    }
    config.clarify_threshold = best_c.1.min(config.answer_threshold);
}

fn tune_ranking(docs: &[FaqDoc], abbrev: &Abbreviations, qs: &[&Question], start: MatcherConfig) -> MatcherConfig {
    let mut best = start;
    let mut best_obj = ranking_objective(&Matcher::build(docs.to_vec(), abbrev, best.clone()), qs);
    type Setter = fn(&mut MatcherConfig, f32);
    let params: [(&str, &[f32], Setter); 9] = [
        ("restored_trust", &[0.0, 0.25, 0.5, 0.75, 1.0], |c, v| c.restored_trust = v),
        ("w_question", &[0.2, 0.3, 0.45, 0.6, 0.8], |c, v| c.w_question = v),
        ("w_entry", &[0.0, 0.1, 0.25, 0.4], |c, v| c.w_entry = v),
        ("w_chars", &[0.1, 0.2, 0.3, 0.45, 0.6], |c, v| c.w_chars = v),
        ("w_exact", &[0.0, 0.25, 0.5, 1.0], |c, v| c.w_exact = v),
        ("w_answer", &[0.0, 0.03, 0.06, 0.1], |c, v| c.w_answer = v),
        ("w_lift", &[0.0, 0.25, 0.5, 0.75], |c, v| c.w_lift = v),
        ("k1", &[0.8, 1.2, 1.6], |c, v| c.k1 = v),
        ("b", &[0.25, 0.5, 0.75], |c, v| c.b = v),
    ];
    for _round in 0..2 {
        for (_name, values, set) in &params {
            for &v in *values {
                let mut cfg = best.clone();
                set(&mut cfg, v);
                let obj = ranking_objective(&Matcher::build(docs.to_vec(), abbrev, cfg.clone()), qs);
                if obj > best_obj + 1e-9 {
                    best_obj = obj;
                    best = cfg;
                }
            }
        }
    }
    best
}

/// `MatcherConfig::default()` with `--set name=value` overrides (numbers; booleans as 0/1).
fn configured(args: &[String]) -> MatcherConfig {
    let mut c = MatcherConfig::default();
    for pair in args.windows(2).filter(|w| w[0] == "--set").map(|w| &w[1]) {
        let Some((name, value)) = pair.split_once('=') else { continue };
        let v: f32 = value.parse().expect("--set name=number");
        match name {
            "k1" => c.k1 = v,
            "b" => c.b = v,
            "w_question" => c.w_question = v,
            "w_entry" => c.w_entry = v,
            "w_chars" => c.w_chars = v,
            "w_answer" => c.w_answer = v,
            "w_lift" => c.w_lift = v,
            "lift_prior" => c.lift_prior = v,
            "w_exact" => c.w_exact = v,
            "answer_threshold" => c.answer_threshold = v,
            "answer_margin" => c.answer_margin = v,
            "answer_relative_margin" => c.answer_relative_margin = v,
            "answer_length_slope" => c.answer_length_slope = v,
            "answer_length_max_discount" => c.answer_length_max_discount = v,
            "clarify_threshold" => c.clarify_threshold = v,
            "clarify_relative" => c.clarify_relative = v,
            "restored_trust" => c.restored_trust = v,
            "spell_correction" => c.spell_correction = v != 0.0,
            "focus_min_syllables" => c.focus_min_syllables = v as usize,
            "sibling_evidence" => c.sibling_evidence = v,
            "sibling_counter" => c.sibling_counter = v,
            other => panic!("unknown setting {other}"),
        }
    }
    c
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let docs = load_docs(&args[1]);
    let questions: Vec<Question> =
        serde_json::from_str(&std::fs::read_to_string(&args[2]).expect("read questions")).expect("questions json");
    let abbrev = Abbreviations::builtin();
    let misses = args.iter().any(|a| a == "--misses");
    let base_config = configured(&args);
    if args.iter().any(|a| a == "--xval-decision") {
        xval_decision(&docs, &abbrev, &base_config, &args, &questions);
        return;
    }
    if args.iter().any(|a| a == "--xval") {
        let dump = args.windows(2).find(|w| w[0] == "--xval-dump").map(|w| w[1].as_str());
        paraphrase_cross_validation(&docs, &abbrev, &base_config, dump);
        return;
    }
    // `--decision`: tune only the decision thresholds (the ranking stays as configured).
    let decision_only = args.iter().any(|a| a == "--decision");
    // `--no-length`: tune the answer rule without the length discount (the rule before it).
    let length_discount = !args.iter().any(|a| a == "--no-length");
    // `--band X` scales the safety band, `--penalty P` sets the cost of a wrong answer.
    let number = |flag: &str, default: f64| {
        args.windows(2).find(|w| w[0] == flag).map_or(default, |w| w[1].parse().expect("a number"))
    };
    let keep_margins = args
        .iter()
        .any(|a| a == "--keep-margins")
        .then_some((base_config.answer_margin, base_config.answer_relative_margin));
    let objective =
        Objective { band: number("--band", 1.0) as f32, penalty: number("--penalty", WRONG_PENALTY), keep_margins };
    if !decision_only && !args.iter().any(|a| a == "--search") {
        let started = std::time::Instant::now();
        let matcher = Matcher::build(docs.clone(), &abbrev, base_config.clone());
        eprintln!("build: {:?}", started.elapsed());
        println!("{}", evaluate(&matcher, &questions).render_text(misses));
        if args.iter().any(|a| a == "--dump") {
            dump(&matcher, &questions);
        }
        return;
    }
    // `--extra-oos FILE`: more out-of-scope messages, added to every tuning set (never reported
    // on), so that thresholds tuned on a half see more than its 11–12 out-of-scope questions.
    // (May be given more than once.)
    let extra = extra_oos(&args);
    // Stratified halves: alternate within each group.
    let mut seen_in_group = std::collections::HashMap::<&str, usize>::new();
    let fold_of: Vec<usize> = questions
        .iter()
        .map(|q| {
            let k = seen_in_group.entry(q.group.as_str()).or_default();
            *k += 1;
            *k % 2
        })
        .collect();
    for fold in 0..2 {
        let tune: Vec<&Question> =
            questions.iter().zip(&fold_of).filter(|(_, f)| **f == fold).map(|(q, _)| q).chain(extra.iter()).collect();
        let held: Vec<Question> =
            questions.iter().zip(&fold_of).filter(|(_, f)| **f != fold).map(|(q, _)| q.clone()).collect();
        let mut cfg =
            if decision_only { base_config.clone() } else { tune_ranking(&docs, &abbrev, &tune, base_config.clone()) };
        let m = Matcher::build(docs.clone(), &abbrev, cfg.clone());
        tune_thresholds(&observe(&m, &tune), &mut cfg, length_discount, objective);
        if decision_only {
            // Only the answer rule: the clarify/hand-off line stays as configured.
            cfg.clarify_threshold = base_config.clarify_threshold;
        }
        let m = Matcher::build(docs.clone(), &abbrev, cfg.clone());
        println!("== fold {fold}: tuned on {} questions, config {cfg:?}", tune.len());
        let tuned: Vec<Question> = tune.iter().map(|q| (*q).clone()).collect();
        println!("-- on the tuning half:\n{}", evaluate(&m, &tuned).render_text(false));
        println!("-- on the held-out half:\n{}", evaluate(&m, &held).render_text(misses));
    }
    let all: Vec<&Question> = questions.iter().chain(extra.iter()).collect();
    let mut cfg =
        if decision_only { base_config.clone() } else { tune_ranking(&docs, &abbrev, &all, base_config.clone()) };
    let m = Matcher::build(docs.clone(), &abbrev, cfg.clone());
    tune_thresholds(&observe(&m, &all), &mut cfg, length_discount, objective);
    if decision_only {
        cfg.clarify_threshold = base_config.clarify_threshold;
    }
    let m = Matcher::build(docs.clone(), &abbrev, cfg.clone());
    println!("== all questions: config {cfg:?}\n{}", evaluate(&m, &questions).render_text(misses));
    if !extra.is_empty() {
        println!("-- on the extra out-of-scope messages:\n{}", evaluate(&m, &extra).render_text(misses));
    }
}

/// Prints the decision features of every question (for eyeballing separability).
#[allow(dead_code)]
pub fn dump(m: &Matcher, qs: &[Question]) {
    let refs: Vec<&Question> = qs.iter().collect();
    let mut rows: Vec<(f32, String)> = observe(m, &refs)
        .iter()
        .zip(qs)
        .filter(|(s, _)| !s.blocked)
        .map(|(s, q)| {
            let tag = if !s.in_scope {
                "OOS "
            } else if s.top_right {
                "ok  "
            } else {
                "BAD "
            };
            (
                s.top,
                format!(
                    "{tag} top {:.3} margin {:.3} rel {:.2} len {:>2} agree {} fam {} pair {:.2} {:.2} {:.2} ch {:.2} {:.2} {:.2} | {} | {}",
                    s.top,
                    s.margin,
                    s.margin / s.top.max(1e-6),
                    s.syllables,
                    s.agreement,
                    u8::from(s.same_family),
                    s.pair_evidence,
                    s.pair_extremes.0,
                    s.pair_extremes.1,
                    s.channels[0],
                    s.channels[1],
                    s.channels[2],
                    m.rank(&q.text, 1).first().map_or("-", |c| c.id.as_str()),
                    q.text
                ),
            )
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, r) in rows {
        println!("{r}");
    }
}

/// 5-fold cross-validation over the knowledge base's paraphrases: the question at index `i` of
/// every entry is held out in fold `i % 5`; the title always stays indexed. Prints top-1 with
/// the held-out paraphrases as typed, folded to ASCII (the "typed without diacritics" case),
/// and folded among those originally typed with diacritics.
fn paraphrase_cross_validation(docs: &[FaqDoc], abbrev: &Abbreviations, config: &MatcherConfig, dump: Option<&str>) {
    const FOLDS: usize = 5;
    // `--xval-dump FILE`: what the answer decision sees for each held-out paraphrase as typed
    // (right, score, margin, syllables, agreement, same family), for fitting a confidence.
    let mut rows = String::new();
    let (mut n, mut typed_hits, mut folded_hits) = (0usize, 0usize, 0usize);
    let (mut n_accented, mut accented_folded_hits) = (0usize, 0usize);
    // The full decision (safety rules included) on each held-out paraphrase as typed: answers
    // or referrals given, and how many of them name the paraphrase's own entry.
    let (mut answered, mut answered_right) = (0usize, 0usize);
    let mut confusions: std::collections::BTreeMap<(String, String), usize> = Default::default();
    let mut per_entry: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    // (agreement, relative margin in tenths) -> (held-out paraphrases, top-1 right), folded.
    let mut by_agreement: std::collections::BTreeMap<(u8, u8), (usize, usize)> = Default::default();
    for fold in 0..FOLDS {
        let mut train = docs.to_vec();
        let mut held: Vec<(String, String)> = Vec::new();
        for doc in &mut train {
            let mut kept = Vec::new();
            for (i, q) in std::mem::take(&mut doc.questions).into_iter().enumerate() {
                if i % FOLDS == fold { held.push((doc.id.clone(), q)) } else { kept.push(q) }
            }
            doc.questions = kept;
        }
        let m = Matcher::build(train, abbrev, config.clone());
        for (id, q) in held {
            let folded = caunoi_text::normalize::fold(&q);
            let accented = !q.is_ascii();
            let top = |text: &str| m.rank(text, 1).first().map(|c| c.id.clone());
            n += 1;
            typed_hits += usize::from(top(&q).as_deref() == Some(id.as_str()));
            let decision = m.decide(&q);
            if let Some(given) = decision.answered_id().or(decision.referred_id()) {
                answered += 1;
                answered_right += usize::from(given == id);
            }
            if dump.is_some() {
                let f = m.answer_features(&q);
                rows.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                    u8::from(f.top.as_deref() == Some(id.as_str())),
                    f.score,
                    f.margin,
                    f.syllables,
                    f.agreement,
                    u8::from(f.same_family),
                    f.pair_evidence,
                    f.pair_extremes.0,
                    f.pair_extremes.1,
                    f.top.as_deref().unwrap_or("-"),
                    id,
                    q.replace(['\t', '\n'], " "),
                    decision.answered_id().or(decision.referred_id()).unwrap_or("-")
                ));
            }
            let features = m.answer_features(&folded);
            let folded_top = features.top.clone();
            let hit = folded_top.as_deref() == Some(id.as_str());
            let rel = features.margin / features.score.max(1e-6);
            let bucket = (features.agreement, (rel * 10.0).floor().min(5.0) as u8);
            let cell = by_agreement.entry(bucket).or_default();
            cell.0 += 1;
            cell.1 += usize::from(hit);
            folded_hits += usize::from(hit);
            let tally = per_entry.entry(id.clone()).or_default();
            tally.0 += 1;
            tally.1 += usize::from(hit);
            if !hit {
                *confusions.entry((id.clone(), folded_top.unwrap_or_default())).or_default() += 1;
            }
            if accented {
                n_accented += 1;
                accented_folded_hits += usize::from(hit);
            }
        }
    }
    if let Some(path) = dump {
        std::fs::write(path, rows).expect("write --xval-dump file");
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "paraphrase 5-fold: {n} held-out questions; top-1 as typed {:.1}%, folded {:.1}%, \
         folded (typed with diacritics, {n_accented}) {:.1}%",
        pct(typed_hits, n),
        pct(folded_hits, n),
        pct(accented_folded_hits, n_accented)
    );
    println!(
        "decision on the held-out paraphrases as typed: answered or referred {answered} ({:.1}%), \
         precision {:.1}%, right {:.1}% of all",
        pct(answered, n),
        pct(answered_right, answered),
        pct(answered_right, n)
    );
    println!("folded top-1 by channel agreement and relative margin (tenths, 5 = 0.5 or more):");
    for ((agreement, tenth), (n, hits)) in &by_agreement {
        println!("  agree {agreement} rel {tenth}: {:>5.1}% ({hits}/{n})", pct(*hits, *n));
    }
    let mut weakest: Vec<_> = per_entry.into_iter().collect();
    weakest.sort_by(|a, b| (a.1.1 * b.1.0).cmp(&(b.1.1 * a.1.0)));
    println!("weakest entries (folded top-1):");
    for (id, (n, hits)) in weakest.into_iter().take(12) {
        println!("  {:>5.1}% ({hits}/{n})  {id}", pct(hits, n));
    }
    println!("most frequent confusions (folded):");
    let mut top: Vec<_> = confusions.into_iter().collect();
    top.sort_by_key(|c| std::cmp::Reverse(c.1));
    for ((expected, got), k) in top.into_iter().take(12) {
        println!("  {k:>3}  {expected} -> {got}");
    }
}

/// `--xval-decision [--extra-oos FILE]… [--band X] [--penalty P] [--keep-margins]`: tunes the
/// answer rule (score threshold, margins, length discount; the ranking and the clarify line stay
/// as configured) on what the rule sees for the knowledge base's own paraphrases, each held out
/// in the 5-fold cross-validation of `--xval` and queried as typed, plus the extra out-of-scope
/// messages (scored against the whole base). The question file is not used for tuning: the
/// chosen rule is then reported on it, as a check.
fn xval_decision(docs: &[FaqDoc], abbrev: &Abbreviations, base: &MatcherConfig, args: &[String], check: &[Question]) {
    const FOLDS: usize = 5;
    let mut seen = Vec::new();
    for fold in 0..FOLDS {
        let mut train = docs.to_vec();
        let mut held: Vec<Question> = Vec::new();
        for doc in &mut train {
            let mut kept = Vec::new();
            for (i, q) in std::mem::take(&mut doc.questions).into_iter().enumerate() {
                if i % FOLDS == fold {
                    held.push(Question { text: q, expected: doc.id.clone(), group: "paraphrase".into() });
                } else {
                    kept.push(q);
                }
            }
            doc.questions = kept;
        }
        let m = Matcher::build(train, abbrev, base.clone());
        seen.extend(observe(&m, &held.iter().collect::<Vec<_>>()));
    }
    let n_paraphrases = seen.len();
    let extra = extra_oos(args);
    let full = Matcher::build(docs.to_vec(), abbrev, base.clone());
    seen.extend(observe(&full, &extra.iter().collect::<Vec<_>>()));
    let number = |flag: &str, default: f64| {
        args.windows(2).find(|w| w[0] == flag).map_or(default, |w| w[1].parse().expect("a number"))
    };
    let keep_margins =
        args.iter().any(|a| a == "--keep-margins").then_some((base.answer_margin, base.answer_relative_margin));
    let objective =
        Objective { band: number("--band", 0.0) as f32, penalty: number("--penalty", WRONG_PENALTY), keep_margins };
    let show = |label: &str, c: &MatcherConfig| {
        let rule = Rule {
            answer: c.answer_threshold,
            margin: c.answer_margin,
            relative: c.answer_relative_margin,
            slope: c.answer_length_slope,
            max_discount: c.answer_length_max_discount,
        };
        let (_, right, wrong) = threshold_objective(&seen, rule, Objective { band: 0.0, ..objective });
        let oos_wrong = threshold_objective(&seen[n_paraphrases..], rule, Objective { band: 0.0, ..objective }).2;
        println!(
            "{label}: {:.2} / {:.2} / {:.2} / slope {:.3} / cap {:.2}: {n_paraphrases} held-out paraphrases, \
             {right} right answers ({:.1}%), {} wrong, precision {:.1}%; extra out-of-scope answered {oos_wrong} of {}",
            rule.answer,
            rule.margin,
            rule.relative,
            rule.slope,
            rule.max_discount,
            100.0 * right as f64 / n_paraphrases.max(1) as f64,
            wrong - oos_wrong,
            100.0 * right as f64 / (right + wrong).max(1) as f64,
            extra.len()
        );
    };
    show("configured rule", base);
    let mut cfg = base.clone();
    tune_thresholds(&seen, &mut cfg, true, objective);
    cfg.clarify_threshold = base.clarify_threshold;
    show("tuned rule", &cfg);
    let m = Matcher::build(docs.to_vec(), abbrev, cfg);
    println!(
        "-- the tuned rule on the question file (not used for tuning):\n{}",
        evaluate(&m, check).render_text(false)
    );
}

/// The out-of-scope messages of every `--extra-oos FILE` (the option may be given more than once).
fn extra_oos(args: &[String]) -> Vec<Question> {
    args.windows(2)
        .filter(|w| w[0] == "--extra-oos")
        .flat_map(|w| {
            let text = std::fs::read_to_string(&w[1]).expect("read extra");
            serde_json::from_str::<Vec<Question>>(&text).expect("extra json")
        })
        .collect()
}
