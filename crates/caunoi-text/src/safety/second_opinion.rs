//! A statistical second opinion behind the rules: a multinomial naive Bayes over the words and
//! word pairs of a message (folded, as the rules read them), trained when first used from the
//! labelled development sets `kb/emergency_dev.json` and `kb/report_dev.json` (embedded; the
//! holdout sets are never trained on).
//!
//! It only ever adds an emergency the rules missed: when its best emergency kind beats every
//! other label by [`EMERGENCY_MARGIN`] (log-odds) and the rules found nothing hypothetical,
//! conditional, second hand or about papers in the message (a game, the news, "deadline dí quá
//! cứu em với"). It never clears or changes a rule's emergency. Adding reports the same way
//! ([`REPORT_MARGIN`]) is off, see there. The margin and the gate were chosen by 5-fold
//! cross-validation on the development sets (unit test `second_opinion_cross_validation`,
//! figures in BENCHMARKS.md): no FAQ question raised and a few near-misses in thousands.

use std::hash::Hasher;

use rustc_hash::{FxHashMap as HashMap, FxHasher};

use super::rules::Syllable;
use super::{EmergencyKind, ReportKind};

/// Log-odds by which the best emergency kind must beat every other label.
pub(super) const EMERGENCY_MARGIN: f64 = 12.0;
/// Log-odds by which the best report kind must beat every other label: off. Cross-validation
/// found that the margins that add reports (+7 of 63 missed at 8) also take FAQ questions about
/// scams and mistaken transfers for fraud reports, which must reach the FAQ, and the one that
/// takes none (25) adds only 3.
pub(super) const REPORT_MARGIN: f64 = f64::INFINITY;
/// Additive smoothing of the word counts.
const ALPHA: f64 = 0.3;

/// A label of the training sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Label {
    Emergency(EmergencyKind),
    Report(ReportKind),
    Nothing,
}

impl Label {
    /// Reads an `expected` label of the emergency sets ("fire", "none", "report:theft").
    pub(super) fn parse(label: &str) -> Option<Label> {
        if label == "none" {
            return Some(Label::Nothing);
        }
        if let Some(kind) = label.strip_prefix("report:") {
            return ReportKind::ALL.into_iter().find(|k| k.as_str() == kind).map(Label::Report);
        }
        EmergencyKind::ALL.into_iter().find(|k| k.as_str() == label).map(Label::Emergency)
    }
}

/// The trained model.
pub(super) struct Model {
    labels: Vec<Label>,
    /// Log prior of each label.
    prior: Vec<f64>,
    /// Per feature, for each label, log P(feature | label) (smoothed), precomputed.
    weights: HashMap<Feature, Box<[f32]>>,
}

/// What the model makes of a message: the best emergency kind and the best report kind, each with
/// its log-odds against the best label outside its group.
#[derive(Clone, Copy, Debug)]
pub(super) struct Guess {
    pub(super) emergency: Option<(EmergencyKind, f64)>,
    pub(super) report: Option<(ReportKind, f64)>,
}

/// A word or a word pair of a message, folded, as a hash (collisions among a few tens of
/// thousands of features are negligible).
pub(super) type Feature = u64;

/// The words and word pairs of a message, folded, each once.
pub(super) fn features(message: &[Syllable<'_>]) -> Vec<Feature> {
    let words: Vec<&str> = message.iter().map(|s| s.folded.as_ref()).collect();
    let hash = |parts: &[&str]| {
        let mut h = FxHasher::default();
        for p in parts {
            h.write(p.as_bytes());
            h.write_u8(0xff);
        }
        h.finish()
    };
    let mut out: Vec<Feature> = words.iter().map(|w| hash(&[w])).collect();
    out.extend(words.windows(2).map(|p| hash(&[p[0], p[1]])));
    out.sort_unstable();
    out.dedup();
    out
}

impl Model {
    /// Trains on (features, label) pairs.
    pub(super) fn train(examples: &[(Vec<Feature>, Label)]) -> Model {
        let mut labels: Vec<Label> = Vec::new();
        for (_, label) in examples {
            if !labels.contains(label) {
                labels.push(*label);
            }
        }
        let n = labels.len();
        let mut per_label = vec![0u32; n];
        let mut totals = vec![0u64; n];
        let mut counts: HashMap<Feature, Vec<u32>> = HashMap::default();
        for (features, label) in examples {
            let Some(i) = labels.iter().position(|l| l == label) else { continue };
            per_label[i] += 1;
            for f in features {
                counts.entry(*f).or_insert_with(|| vec![0; n])[i] += 1;
                totals[i] += 1;
            }
        }
        let all = examples.len().max(1) as f64;
        let vocabulary = counts.len() as f64;
        let denominator: Vec<f64> = totals.iter().map(|&t| (t as f64 + ALPHA * vocabulary).ln()).collect();
        let weights = counts
            .into_iter()
            .map(|(f, c)| {
                let w = c.iter().zip(&denominator).map(|(&c, d)| ((f64::from(c) + ALPHA).ln() - d) as f32).collect();
                (f, w)
            })
            .collect();
        Model { prior: per_label.iter().map(|&c| (f64::from(c) / all).ln()).collect(), labels, weights }
    }

    /// Scores a message's features.
    pub(super) fn guess(&self, features: &[Feature]) -> Guess {
        let mut scores = self.prior.clone();
        for f in features {
            let Some(weights) = self.weights.get(f) else { continue };
            for (score, w) in scores.iter_mut().zip(weights.iter()) {
                *score += f64::from(*w);
            }
        }
        let best = |inside: &dyn Fn(Label) -> bool| -> Option<(Label, f64, f64)> {
            let mut best_in: Option<(Label, f64)> = None;
            let mut best_out = f64::NEG_INFINITY;
            for (label, &score) in self.labels.iter().zip(&scores) {
                if inside(*label) {
                    if best_in.is_none_or(|(_, s)| score > s) {
                        best_in = Some((*label, score));
                    }
                } else if score > best_out {
                    best_out = score;
                }
            }
            best_in.map(|(label, score)| (label, score, score - best_out))
        };
        let emergency = best(&|l| matches!(l, Label::Emergency(_))).and_then(|(label, _, margin)| match label {
            Label::Emergency(kind) => Some((kind, margin)),
            _ => None,
        });
        let report = best(&|l| matches!(l, Label::Report(_))).and_then(|(label, _, margin)| match label {
            Label::Report(kind) => Some((kind, margin)),
            _ => None,
        });
        Guess { emergency, report }
    }
}

/// The string values of the given keys in each object of a JSON array of flat objects (the
/// labelled sets' format); `None` for a key that is missing or not a string. Enough JSON for
/// the embedded sets, which a unit test parses in full.
pub(super) fn json_objects(text: &str, keys: &[&str]) -> Vec<Vec<Option<String>>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut current: Option<Vec<Option<String>>> = None;
    let mut pending_key: Option<String> = None;
    while let Some(c) = chars.next() {
        match c {
            '{' => current = Some(vec![None; keys.len()]),
            '}' => {
                if let Some(object) = current.take() {
                    out.push(object);
                }
                pending_key = None;
            }
            '"' => {
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('u') => {
                                let hex: String = chars.by_ref().take(4).collect();
                                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                                    s.push(ch);
                                }
                            }
                            Some(other) => s.push(other),
                            None => break,
                        },
                        other => s.push(other),
                    }
                }
                // A key is followed by ':'; a value is not.
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if chars.peek() == Some(&':') {
                    chars.next();
                    pending_key = Some(s);
                } else if let (Some(key), Some(object)) = (pending_key.take(), current.as_mut())
                    && let Some(i) = keys.iter().position(|k| *k == key)
                {
                    object[i] = Some(s);
                }
            }
            ',' => pending_key = None,
            _ => {}
        }
    }
    out
}
