//! Grouping of similar messages for the unanswered-question review.
//!
//! Officers review what the bot could not answer; a cluster of similar questions is one
//! missing paraphrase or one missing entry. [`group_similar`] normalizes each message (with
//! the built-in abbreviations, folded to ASCII), represents it as a TF-IDF vector of character
//! 3–4-grams and syllable bigrams, and assigns messages greedily, in order, to the cluster
//! whose centroid is most similar (cosine) if that similarity reaches the threshold; otherwise
//! a message starts a new cluster. Deterministic for a given input order; O(messages ×
//! clusters), fine for the few thousand messages of a review period.

use std::collections::HashMap;

use crate::abbrev::Abbreviations;
use crate::normalize::{analyze, fold_syllable};

type Sparse = HashMap<u32, f32>;

fn features(text: &str, abbrev: &Abbreviations) -> Vec<String> {
    let syllables: Vec<String> = abbrev.expand_all(&analyze(text).syllables).iter().map(|s| fold_syllable(s)).collect();
    let joined = format!(" {} ", syllables.join(" "));
    let chars: Vec<char> = joined.chars().collect();
    let mut out = Vec::new();
    for n in 3..=4 {
        for w in chars.windows(n) {
            if w.iter().filter(|c| **c != ' ').count() >= 2 {
                out.push(w.iter().collect::<String>());
            }
        }
    }
    for pair in syllables.windows(2) {
        out.push(format!("{}_{}", pair[0], pair[1]));
    }
    out
}

fn cosine(a: &Sparse, b: &Sparse) -> f32 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let dot: f32 = small.iter().filter_map(|(k, v)| large.get(k).map(|w| v * w)).sum();
    let na: f32 = a.values().map(|v| v * v).sum::<f32>().sqrt();
    let nb: f32 = b.values().map(|v| v * v).sum::<f32>().sqrt();
    if na <= 0.0 || nb <= 0.0 { 0.0 } else { dot / (na * nb) }
}

/// Groups messages by similarity; returns clusters of indices into `texts`, largest first
/// (ties by first index), each in input order. `threshold` is a cosine in 0..1; about 0.5
/// groups rewordings of one question. Messages with no usable text form singleton clusters.
pub fn group_similar(texts: &[&str], threshold: f32) -> Vec<Vec<usize>> {
    let abbrev = Abbreviations::builtin();
    let mut ids: HashMap<String, u32> = HashMap::new();
    let raw: Vec<Vec<u32>> = texts
        .iter()
        .map(|t| {
            features(t, &abbrev)
                .into_iter()
                .map(|f| {
                    let next = ids.len() as u32;
                    *ids.entry(f).or_insert(next)
                })
                .collect()
        })
        .collect();
    let mut df = vec![0u32; ids.len()];
    for row in &raw {
        let mut seen: Vec<u32> = row.clone();
        seen.sort_unstable();
        seen.dedup();
        for f in seen {
            df[f as usize] += 1;
        }
    }
    let n = texts.len().max(1) as f32;
    let vectors: Vec<Sparse> = raw
        .iter()
        .map(|row| {
            let mut v: Sparse = HashMap::new();
            for &f in row {
                *v.entry(f).or_default() += 1.0;
            }
            for (f, w) in v.iter_mut() {
                *w = (1.0 + w.ln()) * (((n + 1.0) / (df[*f as usize] as f32 + 1.0)).ln() + 1.0);
            }
            let norm: f32 = v.values().map(|w| w * w).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.values_mut().for_each(|w| *w /= norm);
            }
            v
        })
        .collect();

    let mut clusters: Vec<(Vec<usize>, Sparse)> = Vec::new();
    for (i, v) in vectors.iter().enumerate() {
        if v.is_empty() {
            clusters.push((vec![i], Sparse::new()));
            continue;
        }
        let best = clusters
            .iter()
            .enumerate()
            .filter(|(_, (_, c))| !c.is_empty())
            .map(|(k, (_, centroid))| (k, cosine(v, centroid)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((k, sim)) if sim >= threshold => {
                let (members, centroid) = &mut clusters[k];
                members.push(i);
                for (f, w) in v {
                    *centroid.entry(*f).or_default() += w;
                }
            }
            _ => clusters.push((vec![i], v.clone())),
        }
    }
    let mut out: Vec<Vec<usize>> = clusters.into_iter().map(|(m, _)| m).collect();
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewordings_of_one_question_form_one_group() {
        let texts = [
            "làm lại căn cước bị mất ở đâu",
            "giá vàng hôm nay bao nhiêu",
            "mat can cuoc lam lai o dau",
            "mất cccd làm lại ở đâu ạ",
            "đăng ký tạm trú cho người thuê trọ",
        ];
        let groups = group_similar(&texts, 0.4);
        assert_eq!(groups[0], vec![0, 2, 3]);
        assert_eq!(groups.len(), 3);
    }

    #[test]
    fn empty_input_gives_no_group_and_blank_messages_stay_alone() {
        assert!(group_similar(&[], 0.5).is_empty());
        assert_eq!(group_similar(&["", "😀"], 0.5), vec![vec![0], vec![1]]);
    }
}
