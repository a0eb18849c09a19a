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
/// A text is learned from only if at least this share of its letter syllables carries
/// diacritics: the knowledge base also holds paraphrases typed without them ("lam can cuoc o
/// dau"), which would teach that "lam" is a reading of "lam".
pub const MIN_ACCENTED_SHARE: f32 = 0.5;

/// Share of syllables with diacritics among those that contain a letter.
pub fn accented_share(syllables: &[String]) -> f32 {
    let letters = syllables.iter().filter(|s| s.chars().any(char::is_alphabetic)).count();
    if letters == 0 {
        return 0.0;
    }
    syllables.iter().filter(|s| has_diacritics(s)).count() as f32 / letters as f32
}

/// Syllable statistics of a knowledge base for restoring diacritics.
#[derive(Clone, Debug, Default)]
pub struct Restorer {
    /// Exact syllable → dense id.
    ids: HashMap<String, u32>,
    /// Dense id → exact syllable.
    words: Vec<String>,
    /// Folded syllable → its readings (ids), most frequent first.
    readings: HashMap<String, Vec<u32>>,
    unigram: Vec<u32>,
    bigram: HashMap<u64, u32>,
    total: u32,
}

impl Restorer {
    /// Learns from texts already split into normalized syllables (one slice per sentence or
    /// question); texts typed mostly without diacritics ([`MIN_ACCENTED_SHARE`]) are skipped.
    pub fn learn<'a>(texts: impl IntoIterator<Item = &'a [String]>) -> Self {
        let mut r = Restorer::default();
        for syllables in texts {
            if accented_share(syllables) < MIN_ACCENTED_SHARE {
                continue;
            }
            let mut prev: Option<u32> = None;
            for s in syllables {
                let id = match r.ids.get(s) {
                    Some(&id) => id,
                    None => {
                        let id = r.words.len() as u32;
                        r.ids.insert(s.clone(), id);
                        r.words.push(s.clone());
                        r.unigram.push(0);
                        id
                    }
                };
                r.unigram[id as usize] += 1;
                r.total += 1;
                if let Some(p) = prev {
                    *r.bigram.entry(pair_key(p, id)).or_default() += 1;
                }
                prev = Some(id);
            }
        }
        let mut readings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        for (id, w) in r.words.iter().enumerate() {
            readings.entry(fold_syllable(w)).or_default().push((id as u32, r.unigram[id]));
        }
        r.readings = readings
            .into_iter()
            .map(|(k, mut v)| {
                v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                v.truncate(MAX_READINGS);
                (k, v.into_iter().map(|(id, _)| id).collect())
            })
            .collect();
        r
    }

    /// Whether nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    fn log_p(&self, prev: Option<u32>, word: u32) -> f64 {
        let total = f64::from(self.total.max(1));
        let uni = f64::from(self.unigram.get(word as usize).copied().unwrap_or(0));
        let p_uni = (uni + 0.1) / (total + 0.1 * 10_000.0);
        let p = match prev {
            Some(prev) => {
                let prev_count = f64::from(self.unigram.get(prev as usize).copied().unwrap_or(0));
                let pair = self.bigram.get(&pair_key(prev, word)).copied().unwrap_or(0);
                if prev_count > 0.0 { LAMBDA * f64::from(pair) / prev_count + (1.0 - LAMBDA) * p_uni } else { p_uni }
            }
            None => p_uni,
        };
        p.ln()
    }

    /// Restores diacritics of the syllables typed without any; returns one syllable per input
    /// syllable (unknown syllables and syllables typed with diacritics are kept as typed).
    /// The chosen reading maximizes the interpolated bigram likelihood of the whole message
    /// (Viterbi); typed syllables that the knowledge base knows constrain their neighbours.
    pub fn restore(&self, syllables: &[String]) -> Vec<String> {
        if syllables.is_empty() {
            return Vec::new();
        }
        // Per position: candidate ids (`u32::MAX` = keep as typed, unknown to the model).
        let options: Vec<Vec<u32>> = syllables
            .iter()
            .map(|s| {
                if has_diacritics(s) {
                    return vec![self.ids.get(s).copied().unwrap_or(u32::MAX)];
                }
                match self.readings.get(&fold_syllable(s)) {
                    Some(list) if !list.is_empty() => list.clone(),
                    _ => vec![u32::MAX],
                }
            })
            .collect();
        let known = |id: u32| (id != u32::MAX).then_some(id);
        let score = |prev: Option<u32>, id: u32| match known(id) {
            Some(w) => self.log_p(prev, w),
            None => 0.0,
        };
        // Viterbi: best[i][j] = (log-probability, back-pointer).
        let mut best: Vec<Vec<(f64, usize)>> = Vec::with_capacity(options.len());
        best.push(options[0].iter().map(|&w| (score(None, w), 0)).collect());
        for i in 1..options.len() {
            let row: Vec<(f64, usize)> = options[i]
                .iter()
                .map(|&w| {
                    options[i - 1]
                        .iter()
                        .enumerate()
                        .map(|(k, &prev)| (best[i - 1][k].0 + score(known(prev), w), k))
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
            out[i] = match known(options[i][j]) {
                Some(id) if !has_diacritics(&syllables[i]) => self.words[id as usize].clone(),
                _ => syllables[i].clone(),
            };
            j = best[i][j].1;
        }
        out
    }
}

fn pair_key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
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
    fn texts_typed_without_diacritics_are_not_learned() {
        let r = learn(&["lam can cuoc o dau", "làm căn cước ở đâu"]);
        assert_eq!(r.restore(&analyze("lam can cuoc o dau").syllables).join(" "), "làm căn cước ở đâu");
    }

    #[test]
    fn typed_diacritics_are_kept() {
        let r = learn(&["cấp lại"]);
        assert_eq!(r.restore(&analyze("lái").syllables), vec!["lái".to_owned()]);
        assert!(r.restore(&[]).is_empty());
    }
}
