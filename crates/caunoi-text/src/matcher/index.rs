//! The two sparse in-memory indexes the matcher scores with: Okapi BM25 over terms (syllable
//! unigrams and bigrams) and TF-IDF cosine over character n-grams.
//!
//! Document frequencies are counted per *group* (a knowledge-base entry), not per document
//! (a paraphrase), so an entry with many paraphrases does not make its own key terms look
//! common. Both indexes also report the query's self-score, so a BM25 score can be read as
//! "share of the query's weight that this document explains", comparable across queries.

use rustc_hash::FxHashMap as HashMap;

/// Maps syllables to dense ids at build time; at query time an unknown syllable gets no id.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<String, u32>,
}

/// Keys of unknown query terms: distinct per position, never present in an index.
const UNKNOWN: u64 = 1 << 63;

impl Interner {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(s.to_owned(), id);
        id
    }

    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
}

/// BM25 term keys of a syllable sequence: every unigram and every adjacent bigram. `None`
/// ids (unknown syllables) give keys that match nothing but still count as unknown terms.
pub(crate) fn term_keys(ids: &[Option<u32>]) -> Vec<u64> {
    let mut out = Vec::with_capacity(ids.len() * 2);
    for (i, id) in ids.iter().enumerate() {
        out.push(id.map_or(UNKNOWN | i as u64, u64::from));
    }
    for (i, pair) in ids.windows(2).enumerate() {
        out.push(match (pair[0], pair[1]) {
            (Some(a), Some(b)) => ((u64::from(a) + 1) << 32) | u64::from(b),
            _ => UNKNOWN | (1 << 62) | i as u64,
        });
    }
    out
}

/// Okapi BM25 over integer term keys.
#[derive(Clone, Debug, Default)]
pub(crate) struct Bm25 {
    terms: HashMap<u64, u32>,
    /// Per term: (document, precomputed BM25 term-frequency part).
    postings: Vec<Vec<(u32, f32)>>,
    idf: Vec<f32>,
    unknown_idf: f32,
    avgdl: f32,
    k1: f32,
    b: f32,
    n_docs: usize,
}

impl Bm25 {
    /// Builds the index; `group_of[d]` is the group of document `d`, `n_groups` their count.
    pub(crate) fn build(docs: &[Vec<u64>], group_of: &[u32], n_groups: usize, k1: f32, b: f32) -> Self {
        let mut terms: HashMap<u64, u32> = HashMap::default();
        let mut raw: Vec<Vec<(u32, f32)>> = Vec::new();
        let mut groups_seen: Vec<u32> = Vec::new();
        let mut df: Vec<u32> = Vec::new();
        let total_len: usize = docs.iter().map(Vec::len).sum();
        let avgdl = if docs.is_empty() { 1.0 } else { (total_len as f32 / docs.len() as f32).max(1.0) };
        for (d, doc) in docs.iter().enumerate() {
            let mut sorted = doc.clone();
            sorted.sort_unstable();
            let mut tf: Vec<(u64, f32)> = Vec::with_capacity(sorted.len());
            for t in sorted {
                match tf.last_mut() {
                    Some((k, f)) if *k == t => *f += 1.0,
                    _ => tf.push((t, 1.0)),
                }
            }
            let dl = doc.len() as f32;
            let norm = k1 * (1.0 - b + b * dl / avgdl);
            let group = group_of.get(d).copied().unwrap_or(d as u32);
            for (t, f) in tf {
                let next = terms.len() as u32;
                let id = *terms.entry(t).or_insert(next);
                if id as usize == raw.len() {
                    raw.push(Vec::new());
                    groups_seen.push(u32::MAX);
                    df.push(0);
                }
                raw[id as usize].push((d as u32, f * (k1 + 1.0) / (f + norm)));
                if groups_seen[id as usize] != group {
                    groups_seen[id as usize] = group;
                    df[id as usize] += 1;
                }
            }
        }
        let n = n_groups.max(1) as f32;
        let idf_of = |df: f32| (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let idf = df.iter().map(|&f| idf_of(f as f32)).collect();
        Self { terms, postings: raw, idf, unknown_idf: idf_of(0.0), avgdl, k1, b, n_docs: docs.len() }
    }

    pub(crate) fn n_docs(&self) -> usize {
        self.n_docs
    }

    /// Adds the BM25 score of every document into `scores` (length = number of documents)
    /// and returns the query's self-score (the score of a document equal to the query, with
    /// unknown terms at the highest IDF), the natural normalizer.
    pub(crate) fn score_into(&self, query: &[u64], scores: &mut [f32]) -> f32 {
        let mut unique: Vec<u64> = query.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let ql = query.len() as f32;
        let self_tf = (self.k1 + 1.0) / (1.0 + self.k1 * (1.0 - self.b + self.b * ql / self.avgdl));
        let mut self_score = 0.0;
        for t in unique {
            match self.terms.get(&t) {
                Some(&id) => {
                    let idf = self.idf[id as usize];
                    self_score += idf * self_tf;
                    for &(d, w) in &self.postings[id as usize] {
                        if let Some(s) = scores.get_mut(d as usize) {
                            *s += idf * w;
                        }
                    }
                }
                None => self_score += self.unknown_idf * self_tf,
            }
        }
        self_score
    }
}

/// TF-IDF (sublinear tf) cosine similarity over character n-grams.
#[derive(Clone, Debug, Default)]
pub(crate) struct CharGrams {
    grams: HashMap<u32, u32>,
    /// Per gram: (document, normalized weight).
    postings: Vec<Vec<(u32, f32)>>,
    idf: Vec<f32>,
    unknown_idf: f32,
}

/// Character 3- and 4-grams of a space-padded ASCII text, packed into `u32` keys (a 3-gram
/// stays below 2^24, a 4-gram starts with a non-zero byte, so they never collide).
pub(crate) fn char_ngrams(text: &str) -> Vec<u32> {
    let mut padded = Vec::with_capacity(text.len() + 2);
    padded.push(b' ');
    padded.extend(text.bytes());
    padded.push(b' ');
    let mut out = Vec::with_capacity(2 * padded.len());
    for n in 3..=4 {
        if padded.len() < n {
            continue;
        }
        for w in padded.windows(n) {
            // A gram made only of padding and one letter carries little.
            if w.iter().filter(|c| **c != b' ').count() >= 2 {
                out.push(w.iter().fold(0u32, |acc, &c| (acc << 8) | u32::from(c)));
            }
        }
    }
    out
}

fn sublinear_counts(mut grams: Vec<u32>) -> Vec<(u32, f32)> {
    grams.sort_unstable();
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(grams.len());
    for g in grams {
        match out.last_mut() {
            Some((k, f)) if *k == g => *f += 1.0,
            _ => out.push((g, 1.0)),
        }
    }
    for (_, v) in &mut out {
        *v = 1.0 + v.ln();
    }
    out
}

impl CharGrams {
    pub(crate) fn build(texts: &[String], group_of: &[u32], n_groups: usize) -> Self {
        let mut grams: HashMap<u32, u32> = HashMap::default();
        let mut doc_tf: Vec<Vec<(u32, f32)>> = Vec::with_capacity(texts.len());
        let mut df: Vec<u32> = Vec::new();
        let mut groups_seen: Vec<u32> = Vec::new();
        for (d, text) in texts.iter().enumerate() {
            let group = group_of.get(d).copied().unwrap_or(d as u32);
            let mut row = Vec::new();
            for (g, w) in sublinear_counts(char_ngrams(text)) {
                let next = grams.len() as u32;
                let id = *grams.entry(g).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                    groups_seen.push(u32::MAX);
                }
                if groups_seen[id as usize] != group {
                    groups_seen[id as usize] = group;
                    df[id as usize] += 1;
                }
                row.push((id, w));
            }
            doc_tf.push(row);
        }
        let n = n_groups.max(1) as f32;
        let idf_of = |df: f32| ((n + 1.0) / (df + 1.0)).ln() + 1.0;
        let idf: Vec<f32> = df.iter().map(|&f| idf_of(f as f32)).collect();
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); idf.len()];
        for (d, row) in doc_tf.iter().enumerate() {
            let norm = row.iter().map(|&(id, w)| (w * idf[id as usize]).powi(2)).sum::<f32>().sqrt();
            if norm <= 0.0 {
                continue;
            }
            for &(id, w) in row {
                postings[id as usize].push((d as u32, w * idf[id as usize] / norm));
            }
        }
        Self { grams, postings, idf, unknown_idf: idf_of(0.0) }
    }

    /// Adds the cosine similarity of the query with every document into `scores`.
    pub(crate) fn score_into(&self, text: &str, scores: &mut [f32]) {
        let tf = sublinear_counts(char_ngrams(text));
        let mut weights: Vec<(u32, f32)> = Vec::with_capacity(tf.len());
        let mut norm = 0.0f32;
        for (g, w) in &tf {
            match self.grams.get(g) {
                Some(&id) => {
                    let v = w * self.idf[id as usize];
                    norm += v * v;
                    weights.push((id, v));
                }
                None => norm += (w * self.unknown_idf).powi(2),
            }
        }
        let norm = norm.sqrt();
        if norm <= 0.0 {
            return;
        }
        for (id, v) in weights {
            for &(d, w) in &self.postings[id as usize] {
                if let Some(s) = scores.get_mut(d as usize) {
                    *s += v / norm * w;
                }
            }
        }
    }
}

/// Entry-distinguishing term weights ("lift"): how much more often an entry's paraphrases
/// contain a term than paraphrases in general, `ln(p(t | entry) / p(t))`, where `p(t | entry)`
/// is the share of the entry's documents containing `t`, smoothed towards the background share
/// `p(t)` with a Dirichlet prior of `mu` documents. Only positive weights are kept: a term that
/// an entry mentions no more than average says nothing for it.
///
/// Unlike IDF (rarity across entries), this rewards concentration inside one entry: "phạt"
/// occurs in several entries, but in most paraphrases of the fines entry and in few of the
/// duty entries it is confused with.
#[derive(Clone, Debug, Default)]
pub(crate) struct TermLift {
    terms: HashMap<u64, u32>,
    /// Per term: (group, positive lift).
    postings: Vec<Vec<(u32, f32)>>,
    /// Per term: its largest lift over all groups (the query's self-score part).
    best: Vec<f32>,
    /// Self-score part of a query term no document contains.
    unknown: f32,
    /// Per term: (group, number of the group's documents that contain it), by group; for the
    /// pairwise evidence between two groups ([`TermLift::pair`]).
    counts: Vec<Vec<(u32, u32)>>,
    /// Per term: the share of all documents that contain it.
    background: Vec<f32>,
    docs_in_group: Vec<u32>,
    mu: f32,
}

impl TermLift {
    /// Builds the weights; `group_of[d]` is the group of document `d`, `n_groups` their count,
    /// `mu` the Dirichlet prior in documents.
    pub(crate) fn build(docs: &[Vec<u64>], group_of: &[u32], n_groups: usize, mu: f32) -> Self {
        let mut terms: HashMap<u64, u32> = HashMap::default();
        // Per term: (group, number of the group's documents that contain it).
        let mut occurrences: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut docs_in_group = vec![0u32; n_groups];
        for (d, doc) in docs.iter().enumerate() {
            let group = group_of.get(d).copied().unwrap_or(d as u32);
            if let Some(n) = docs_in_group.get_mut(group as usize) {
                *n += 1;
            }
            let mut unique = doc.clone();
            unique.sort_unstable();
            unique.dedup();
            for t in unique {
                let next = terms.len() as u32;
                let id = *terms.entry(t).or_insert(next);
                if id as usize == occurrences.len() {
                    occurrences.push(Vec::new());
                }
                match occurrences[id as usize].last_mut() {
                    Some((g, c)) if *g == group => *c += 1,
                    _ => occurrences[id as usize].push((group, 1)),
                }
            }
        }
        let n_docs = docs.len().max(1) as f32;
        let lift = |count: f32, background: f32, group_docs: f32| {
            ((count + mu * background) / (group_docs + mu) / background).ln()
        };
        let mut postings = Vec::with_capacity(occurrences.len());
        let mut best = Vec::with_capacity(occurrences.len());
        let mut counts = Vec::with_capacity(occurrences.len());
        let mut backgrounds = Vec::with_capacity(occurrences.len());
        for mut row in occurrences {
            // Documents of one group are usually contiguous; merge the rare repeats.
            row.sort_unstable_by_key(|&(g, _)| g);
            let mut merged: Vec<(u32, u32)> = Vec::with_capacity(row.len());
            for (g, c) in row {
                match merged.last_mut() {
                    Some((last, total)) if *last == g => *total += c,
                    _ => merged.push((g, c)),
                }
            }
            let background = merged.iter().map(|&(_, c)| c).sum::<u32>() as f32 / n_docs;
            let list: Vec<(u32, f32)> = merged
                .iter()
                .copied()
                .map(|(g, c)| {
                    let group_docs = docs_in_group.get(g as usize).copied().unwrap_or(1) as f32;
                    (g, lift(c as f32, background, group_docs))
                })
                .filter(|&(_, w)| w > 0.0)
                .collect();
            best.push(list.iter().map(|&(_, w)| w).fold(0.0f32, f32::max));
            postings.push(list);
            counts.push(merged);
            backgrounds.push(background);
        }
        // An unseen term scores like a term seen in one document of an average-sized entry.
        let avg_group = n_docs / n_groups.max(1) as f32;
        let unknown = lift(1.0, 1.0 / n_docs, avg_group).max(0.0);
        Self { terms, postings, best, unknown, counts, background: backgrounds, docs_in_group, mu }
    }

    /// How much the query's distinct terms favour group `a` over group `b`: the sum over known
    /// terms of `ln(p(t | a) / p(t | b))`, with `p(t | g)` the share of the group's documents
    /// containing the term, smoothed towards the background share with the Dirichlet prior (a
    /// naive-Bayes log-likelihood ratio over term presence). Positive when the query carries
    /// words that `a`'s paraphrases have and `b`'s lack; 0 for an empty or unknown query. With
    /// it, from the same log-ratios, the strongest single term for `a` over `b` and the
    /// strongest against it: (sum, (max, min)), 0 where there is none.
    pub(crate) fn pair(&self, query: &[u64], a: u32, b: u32) -> (f32, (f32, f32)) {
        let mut unique: Vec<u64> = query.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let share = |id: usize, g: u32| {
            let row = &self.counts[id];
            let c = row.binary_search_by_key(&g, |&(x, _)| x).map_or(0, |i| row[i].1) as f32;
            let n = self.docs_in_group.get(g as usize).copied().unwrap_or(0) as f32;
            (c + self.mu * self.background[id]) / (n + self.mu)
        };
        unique.iter().filter_map(|t| self.terms.get(t)).fold((0.0, (0.0f32, 0.0f32)), |(sum, (hi, lo)), &id| {
            let r = (share(id as usize, a) / share(id as usize, b)).ln();
            (sum + r, (hi.max(r), lo.min(r)))
        })
    }

    /// Adds every group's lift for the query's distinct terms into `scores` (length = number of
    /// groups) and returns the query's self-score: the sum of each term's largest lift.
    pub(crate) fn score_into(&self, query: &[u64], scores: &mut [f32]) -> f32 {
        let mut unique: Vec<u64> = query.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let mut self_score = 0.0;
        for t in unique {
            match self.terms.get(&t) {
                Some(&id) => {
                    self_score += self.best[id as usize];
                    for &(g, w) in &self.postings[id as usize] {
                        if let Some(s) = scores.get_mut(g as usize) {
                            *s += w;
                        }
                    }
                }
                None => self_score += self.unknown,
            }
        }
        self_score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Vec<u64> {
        s.split_whitespace().map(|w| w.bytes().fold(0u64, |a, b| (a << 8) | u64::from(b))).collect()
    }

    #[test]
    fn bm25_prefers_the_document_with_the_rare_term() {
        let docs = vec![doc("dang ky tam tru"), doc("dang ky xe"), doc("lam ho chieu")];
        let idx = Bm25::build(&docs, &[0, 1, 2], 3, 1.2, 0.75);
        let mut scores = vec![0.0; 3];
        let self_score = idx.score_into(&doc("dang ky xe"), &mut scores);
        assert!(scores[1] > scores[0] && scores[0] > scores[2]);
        assert!(scores[1] <= self_score * 1.01);
    }

    #[test]
    fn term_lift_rewards_the_group_where_a_term_is_concentrated() {
        // "phat" is in every document of group 0 and in one of three of group 1; "tru" is in
        // every document of both groups, so it tells them nothing.
        let docs = vec![
            doc("phat tam tru"),
            doc("muc phat cu tru"),
            doc("bi phat vi tam tru"),
            doc("dang ky tam tru"),
            doc("tam tru o dau"),
            doc("tam tru bi phat"),
        ];
        let lift = TermLift::build(&docs, &[0, 0, 0, 1, 1, 1], 2, 5.0);
        let mut phat = vec![0.0; 2];
        let self_phat = lift.score_into(&doc("phat"), &mut phat);
        assert!(phat[0] > 0.0 && phat[0] > phat[1], "{phat:?}");
        assert!((self_phat - phat[0]).abs() < 1e-6, "the self-score is the best group's lift");
        let mut tru = vec![0.0; 2];
        lift.score_into(&doc("tru"), &mut tru);
        assert_eq!(tru, vec![0.0, 0.0], "a term spread evenly over the groups carries no lift");
        let favour = lift.pair(&doc("phat tru"), 0, 1).0;
        assert!(favour > 0.2, "phat is in every document of group 0, one of group 1: {favour}");
        assert!((lift.pair(&doc("phat tru"), 1, 0).0 + favour).abs() < 1e-6, "antisymmetric");
        assert_eq!(lift.pair(&doc("tru"), 0, 1).0, 0.0, "an evenly spread term favours neither");
        assert_eq!(lift.pair(&doc("xyz"), 0, 1).0, 0.0, "an unknown term favours neither");
    }

    #[test]
    fn term_lift_self_score_bounds_every_group_and_counts_unknown_terms() {
        let docs = vec![doc("ho chieu le phi"), doc("ho chieu o dau"), doc("can cuoc le phi")];
        let lift = TermLift::build(&docs, &[0, 0, 1], 2, 5.0);
        let mut known = vec![0.0; 2];
        let self_known = lift.score_into(&doc("ho chieu le phi"), &mut known);
        assert!(known.iter().all(|&s| s <= self_known + 1e-6), "{known:?} vs {self_known}");
        let mut with_unknown = vec![0.0; 2];
        let self_unknown = lift.score_into(&doc("ho chieu le phi xyz"), &mut with_unknown);
        assert_eq!(known, with_unknown);
        assert!(self_unknown > self_known, "an unknown term lowers the share the groups explain");
    }

    #[test]
    fn char_grams_tolerate_a_typo() {
        let texts = vec!["ho chieu".to_owned(), "can cuoc".to_owned()];
        let idx = CharGrams::build(&texts, &[0, 1], 2);
        let mut scores = vec![0.0; 2];
        idx.score_into("ho chiue", &mut scores);
        assert!(scores[0] > 0.3 && scores[1] < 0.1);
    }
}
