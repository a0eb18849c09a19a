//! Knowledge-base-constrained diacritic restoration (khôi phục dấu).
//!
//! A syllable typed without diacritics ("lai") is ambiguous (lái, lại, lải …). The restorer
//! picks, for every such syllable, one accented syllable seen in the knowledge base with the
//! same folded form, by Viterbi decoding over syllable bigram counts taken from the knowledge
//! base's own text (titles, questions, answers). Syllables typed with diacritics are kept as
//! typed. It can only produce syllables the knowledge base uses, so it never invents words; the
//! matcher uses the result as extra, lower-trust evidence on the exact level, and the bot can
//! use it to show "Có phải ý anh/chị là …".

use std::collections::HashMap;

use crate::normalize::{fold_syllable, has_diacritics};

/// At most this many accented readings are considered per folded syllable.
const MAX_READINGS: usize = 6;
/// Interpolation weight of the bigram estimate against the unigram estimate.
const LAMBDA: f64 = 0.7;

/// Syllable statistics of a knowledge base for restoring diacritics.
#[derive(Clone, Debug, Default)]
pub struct Restorer {
    /// Folded syllable → its readings (exact syllables), most frequent first.
    readings: HashMap<String, Vec<String>>,
    unigram: HashMap<String, u32>,
    bigram: HashMap<(String, String), u32>,
    total: u32,
}

impl Restorer {
    /// Learns from texts already split into normalized syllables (one slice per sentence or
    /// question).
    pub fn learn<'a>(texts: impl IntoIterator<Item = &'a [String]>) -> Self {
        let mut r = Restorer::default();
        for syllables in texts {
            for s in syllables {
                *r.unigram.entry(s.clone()).or_default() += 1;
                r.total += 1;
            }
            for pair in syllables.windows(2) {
                *r.bigram.entry((pair[0].clone(), pair[1].clone())).or_default() += 1;
            }
        }
        let mut readings: HashMap<String, Vec<(String, u32)>> = HashMap::new();
        for (s, &c) in &r.unigram {
            readings.entry(fold_syllable(s)).or_default().push((s.clone(), c));
        }
        r.readings = readings
            .into_iter()
            .map(|(k, mut v)| {
                v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                v.truncate(MAX_READINGS);
                (k, v.into_iter().map(|(s, _)| s).collect())
            })
            .collect();
        r
    }

    fn log_p(&self, prev: Option<&str>, word: &str) -> f64 {
        let total = f64::from(self.total.max(1));
        let uni = f64::from(self.unigram.get(word).copied().unwrap_or(0));
        let p_uni = (uni + 0.1) / (total + 0.1 * 10_000.0);
        let p = match prev {
            Some(prev) => {
                let prev_count = f64::from(self.unigram.get(prev).copied().unwrap_or(0));
                let pair = self.bigram.get(&(prev.to_owned(), word.to_owned())).copied().unwrap_or(0);
                if prev_count > 0.0 { LAMBDA * f64::from(pair) / prev_count + (1.0 - LAMBDA) * p_uni } else { p_uni }
            }
            None => p_uni,
        };
        p.ln()
    }

    /// Restores diacritics of the syllables typed without any; returns one syllable per input
    /// syllable (unknown syllables are kept as typed).
    pub fn restore(&self, syllables: &[String]) -> Vec<String> {
        if syllables.is_empty() {
            return Vec::new();
        }
        let options: Vec<Vec<String>> = syllables
            .iter()
            .map(|s| {
                if has_diacritics(s) {
                    return vec![s.clone()];
                }
                match self.readings.get(&fold_syllable(s)) {
                    Some(list) if !list.is_empty() => list.clone(),
                    _ => vec![s.clone()],
                }
            })
            .collect();
        // Viterbi: best[i][j] = (log-probability, back-pointer).
        let mut best: Vec<Vec<(f64, usize)>> = Vec::with_capacity(options.len());
        best.push(options[0].iter().map(|w| (self.log_p(None, w), 0)).collect());
        for i in 1..options.len() {
            let row: Vec<(f64, usize)> = options[i]
                .iter()
                .map(|w| {
                    options[i - 1]
                        .iter()
                        .enumerate()
                        .map(|(k, prev)| (best[i - 1][k].0 + self.log_p(Some(prev), w), k))
                        .fold((f64::NEG_INFINITY, 0), |a, b| if b.0 > a.0 { b } else { a })
                })
                .collect();
            best.push(row);
        }
        let last = best.len() - 1;
        let mut j = best[last]
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |a, (k, v)| if v.0 > a.1 { (k, v.0) } else { a })
            .0;
        let mut out = vec![String::new(); options.len()];
        for i in (0..options.len()).rev() {
            out[i] = options[i][j].clone();
            j = best[i][j].1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::analyze;

    fn learn(texts: &[&str]) -> Restorer {
        let sentences: Vec<Vec<String>> = texts.iter().map(|t| analyze(t).syllables).collect();
        Restorer::learn(sentences.iter().map(Vec::as_slice))
    }

    #[test]
    fn context_picks_the_reading() {
        let r = learn(&["cấp lại bằng lái xe", "làm lại thẻ căn cước", "đổi bằng lái", "học lái xe"]);
        let restored = r.restore(&analyze("mat bang lai xe may lam lai").syllables);
        assert_eq!(restored.join(" "), "mat bằng lái xe may làm lại");
    }

    #[test]
    fn typed_diacritics_are_kept() {
        let r = learn(&["cấp lại"]);
        assert_eq!(r.restore(&analyze("lái").syllables), vec!["lái".to_owned()]);
        assert!(r.restore(&[]).is_empty());
    }
}
