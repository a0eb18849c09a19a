//! Spelling correction of unknown syllables against the knowledge-base vocabulary.
//!
//! Only folded syllables that the index has never seen are corrected, and only towards a
//! syllable the index knows: edit distance 1 (with transpositions) for syllables of 4 to 6
//! letters, 2 from 7 letters on. Shorter tokens are left alone, because a 3-letter edit
//! neighbour is nearly always another real word ("pho" is not "phi"). A token that is two
//! known syllables glued together ("cancuoc") is split. Correcting towards our own vocabulary
//! only keeps the matcher from manufacturing matches for off-topic text.

use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// Known folded syllables with how many entries use them.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    counts: FxHashMap<String, u32>,
    by_len: FxHashMap<usize, Vec<String>>,
}

impl Vocabulary {
    /// Builds a vocabulary from folded syllables and the number of entries each appears in.
    pub fn new(counts: HashMap<String, u32>) -> Self {
        let counts: FxHashMap<String, u32> = counts.into_iter().collect();
        let mut by_len: FxHashMap<usize, Vec<String>> = FxHashMap::default();
        for word in counts.keys() {
            by_len.entry(word.len()).or_default().push(word.clone());
        }
        for list in by_len.values_mut() {
            list.sort();
        }
        Self { counts, by_len }
    }

    /// Whether a folded syllable is known.
    pub fn contains(&self, word: &str) -> bool {
        self.counts.contains_key(word)
    }

    /// Number of known syllables.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The correction of an unknown folded syllable: one known syllable, two known syllables
    /// (a split), or `None` when nothing close enough is known.
    pub fn correct(&self, word: &str) -> Option<Vec<String>> {
        if self.contains(word) || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let len = word.len();
        if len >= 4 {
            for split in 2..=len - 2 {
                let (a, b) = word.split_at(split);
                if self.contains(a) && self.contains(b) && a.len() + b.len() >= 5 {
                    return Some(vec![a.to_owned(), b.to_owned()]);
                }
            }
        }
        let max_distance = match len {
            0..=3 => return None,
            4..=6 => 1,
            _ => 2,
        };
        let mut best: Option<(usize, u32, &String)> = None;
        let mut rows = Rows::default();
        for candidate_len in len.saturating_sub(max_distance)..=len + max_distance {
            for candidate in self.by_len.get(&candidate_len).into_iter().flatten() {
                let d = bounded_distance(word.as_bytes(), candidate.as_bytes(), max_distance, &mut rows);
                if let Some(d) = d {
                    let count = self.counts.get(candidate).copied().unwrap_or(0);
                    let better = best.is_none_or(|(bd, bc, _)| d < bd || (d == bd && count > bc));
                    if better {
                        best = Some((d, count, candidate));
                    }
                }
            }
        }
        best.map(|(_, _, w)| vec![w.clone()])
    }
}

/// The three rows of [`bounded_distance`]'s table, kept between calls: a correction compares
/// the word with every known syllable of about its length (hundreds), and allocating the rows
/// for each comparison was most of its cost.
#[derive(Default)]
struct Rows {
    prev2: Vec<usize>,
    prev: Vec<usize>,
    cur: Vec<usize>,
}

/// Optimal-string-alignment distance between two byte strings, or `None` if above `max`.
fn bounded_distance(a: &[u8], b: &[u8], max: usize, rows: &mut Rows) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let n = b.len();
    let Rows { prev2, prev, cur } = rows;
    prev2.clear();
    prev2.resize(n + 1, 0);
    prev.clear();
    prev.extend(0..=n);
    cur.clear();
    cur.resize(n + 1, 0);
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(prev2, prev);
        std::mem::swap(prev, cur);
    }
    (prev[n] <= max).then_some(prev[n])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(words: &[&str]) -> Vocabulary {
        Vocabulary::new(words.iter().map(|w| ((*w).to_owned(), 1)).collect())
    }

    #[test]
    fn one_typo_is_corrected_to_a_known_syllable() {
        let v = vocab(&["thuong", "tru", "cuoc", "can"]);
        assert_eq!(v.correct("thuogn"), Some(vec!["thuong".to_owned()]));
        assert_eq!(v.correct("cuco"), Some(vec!["cuoc".to_owned()]));
    }

    #[test]
    fn glued_syllables_are_split() {
        let v = vocab(&["can", "cuoc"]);
        assert_eq!(v.correct("cancuoc"), Some(vec!["can".to_owned(), "cuoc".to_owned()]));
    }

    #[test]
    fn short_or_distant_tokens_are_left_alone() {
        let v = vocab(&["phi", "thuong"]);
        assert_eq!(v.correct("pho"), None);
        assert_eq!(v.correct("xyzabc"), None);
        assert_eq!(v.correct("thuong"), None);
    }

    #[test]
    fn distance_respects_the_bound() {
        let rows = &mut Rows::default();
        assert_eq!(bounded_distance(b"abcd", b"abdc", 1, rows), Some(1));
        assert_eq!(bounded_distance(b"abcd", b"wxyz", 2, rows), None);
        // The rows are reused: a longer word after a shorter one, then a shorter one again.
        assert_eq!(bounded_distance(b"thuong", b"thuogn", 1, rows), Some(1));
        assert_eq!(bounded_distance(b"abc", b"abd", 1, rows), Some(1));
    }
}
