//! The FAQ matcher: an in-memory index over knowledge-base entries and the decision to answer,
//! ask the citizen to pick among the closest entries, or hand the conversation to an officer.
//!
//! Every entry's title and paraphrase questions are indexed as separate documents; the entry's
//! score is the best of its documents plus entry-level evidence. Signals, each read as a share
//! of the query it explains (so thresholds mean the same for a short and a long message):
//! BM25 over syllable unigrams + bigrams on the folded level ("dang ky") and on the exact level
//! (only weighted by how much of the query was typed with diacritics), BM25 over each entry's
//! questions pooled together, TF-IDF cosine over character 3–4-grams of the folded text, and
//! entry-distinguishing terms: for each folded query term, how much more often the entry's
//! paraphrases contain it than paraphrases in general (so "phạt" counts for the fines entry, in
//! most of whose paraphrases it occurs, more than for a duty entry that has it once).
//! The weighted sum is the score; the decision compares the top score, its margin over the
//! runner-up entry and that margin relative to the top score with thresholds chosen on the
//! development set and extra out-of-scope messages (`examples/faq_tune.rs --decision`); the
//! score threshold is lower for long messages ([`MatcherConfig::answer_length_slope`]). A close
//! runner-up from the first entry's own family (two card entries) does not block the answer when
//! the message's words tell the two apart ([`MatcherConfig::sibling_evidence`]). A would-be answer
//! whose entry is a referral ([`FaqDoc::referral`]) becomes [`Decision::Refer`].
//!
//! Diacritics of syllables typed without them can be restored from the knowledge base's own
//! accented text ([`Matcher::restore_diacritics`], [`crate::restore`]); restored syllables count
//! on the exact level only with [`MatcherConfig::restored_trust`] > 0 (0 by default: it did not
//! improve the development set).
//!
//! Abbreviations are expanded on both sides ([`crate::abbrev`]), and spoken and regional words
//! ("tui", "xài", "vô", "chừ") are read as the standard ones ([`crate::abbrev::regional_words`])
//! once the safety rules have seen the message as typed.
//!
//! Query syllables the knowledge base does not know are corrected towards its vocabulary
//! ([`crate::spell`]), and a token that is an abbreviation glued to a known syllable or to another
//! abbreviation ("lamcccd", "dkttru") is split and expanded. [`Matcher::answer_features`] shows
//! what the decision sees (score, margin, length, channel agreement) for tuning.
//!
//! Order of checks in [`Matcher::decide`]: unusable input (empty, too long, other scripts,
//! binary) → safety rules ([`crate::safety`]) → scoring. Nothing here panics on any input.

mod index;

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::abbrev::{Abbreviations, regional_words};
use crate::normalize::{Analysis, analyze, fold_syllable, has_diacritics};
use crate::restore::{MIN_ACCENTED_SHARE, Restorer, accented_share};
use crate::safety::{self, EmergencyKind, ReportKind, Safety};
use crate::spell::Vocabulary;
use index::{Bm25, CharGrams, Interner, TermLift, term_keys};

/// One knowledge-base entry as the matcher sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaqDoc {
    /// Stable entry id (e.g. "cu-tru.tam-tru.dang-ky").
    pub id: String,
    /// Short title; indexed like a question.
    pub title: String,
    /// Paraphrase questions in citizens' style.
    pub questions: Vec<String>,
    /// The answer text (may be empty): a weak signal for words citizens use that no
    /// paraphrase has yet.
    pub answer: String,
    /// A referral entry: it tells the citizen which other agency handles the matter (land,
    /// tax, social insurance …). Where an answer would be given from it, the matcher decides
    /// [`Decision::Refer`] instead of [`Decision::Answer`]. See [`is_referral`].
    pub referral: bool,
}

/// The knowledge-base category of referral entries ("Chuyển tiếp").
pub const REFERRAL_CATEGORY: &str = "Chuyển tiếp";

/// The id prefix of referral entries.
pub const REFERRAL_ID_PREFIX: &str = "chuyen-tiep.";

/// Whether an entry with this category and id is a referral entry: category
/// [`REFERRAL_CATEGORY`] or an id starting with [`REFERRAL_ID_PREFIX`].
pub fn is_referral(category: &str, id: &str) -> bool {
    category.trim() == REFERRAL_CATEGORY || id.starts_with(REFERRAL_ID_PREFIX)
}

/// Weights and thresholds of the matcher. [`MatcherConfig::default`] holds the values chosen
/// on the development set (see BENCHMARKS.md, "FAQ engine").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatcherConfig {
    /// BM25 term-frequency saturation.
    pub k1: f32,
    /// BM25 length normalization.
    pub b: f32,
    /// Weight of the best single question (lexical, folded + exact levels).
    pub w_question: f32,
    /// Weight of the entry's pooled questions (lexical, folded level).
    pub w_entry: f32,
    /// Weight of the character n-gram cosine of the best question.
    pub w_chars: f32,
    /// Weight of the answer text (lexical, folded level).
    pub w_answer: f32,
    /// Weight of the entry-distinguishing terms channel (folded level): for each query term,
    /// how much more often the entry's paraphrases contain it than paraphrases in general
    /// (positive log-ratios only, summed and divided by the query's best possible sum). It
    /// separates neighbouring entries whose single best paraphrase matches equally well
    /// (0 disables the channel).
    pub w_lift: f32,
    /// Dirichlet prior (in documents) that smooths an entry's term shares towards the
    /// background in the distinguishing-terms channel.
    pub lift_prior: f32,
    /// Weight of the exact (accented) level relative to the folded level, for a fully
    /// accented query; scaled down by the share of syllables typed without diacritics.
    pub w_exact: f32,
    /// Answer directly only at or above this score …
    pub answer_threshold: f32,
    /// … and only if the runner-up entry is at least this much lower …
    pub answer_margin: f32,
    /// … and that margin is at least this share of the top score (a relative margin: a wrong
    /// top entry usually has a close runner-up whatever its absolute score).
    pub answer_relative_margin: f32,
    /// How much the answer threshold drops per syllable beyond [`ANSWER_LENGTH_PIVOT`]: a
    /// long question carries words no paraphrase has (who is asking, why, when), so the share
    /// of it that the best entry explains is lower even when that entry is right, while
    /// off-topic messages that score high are short.
    pub answer_length_slope: f32,
    /// The most the length discount takes off the answer threshold.
    pub answer_length_max_discount: f32,
    /// Below this score the matcher hands off instead of offering choices.
    pub clarify_threshold: f32,
    /// Candidates offered in a clarification must score at least this share of the top one.
    pub clarify_relative: f32,
    /// How far syllables typed without diacritics and restored from the knowledge base's own
    /// text count as accented on the exact level (0 disables restoration).
    pub restored_trust: f32,
    /// Correct unknown syllables towards the knowledge-base vocabulary.
    pub spell_correction: bool,
    /// A message of at least this many syllables that the answer rule does not answer is tried
    /// again on its last sentence (see [`Matcher::decide`]); 0 disables this.
    pub focus_min_syllables: usize,
    /// The sibling rule: a message whose first entry passes the score threshold but whose
    /// runner-up is too close is still answered when the runner-up is in the same family (two
    /// card entries, two temporary-residence entries), all three ranking channels put the first
    /// entry first, the message's words favour it over the runner-up by at least this much
    /// ([`AnswerFeatures::pair_evidence`], a log-likelihood ratio) … (infinite disables the rule)
    pub sibling_evidence: f32,
    /// … and no single word of the message favours the runner-up by more than this (log-ratio).
    pub sibling_counter: f32,
}

impl Default for MatcherConfig {
    fn default() -> Self {
        // Ranking weights chosen with `examples/faq_tune.rs --search` on kb/dev_questions.json;
        // the answer score threshold and length discount with `--decision --extra-oos
        // kb/oos_tuning.json --band 0`, the margins kept near the earlier 0.2 relative margin
        // (a looser tuned margin answered a neighbour entry wrongly); see BENCHMARKS.md ("FAQ
        // engine", "Answered outright") for the held-out numbers.
        Self {
            k1: 1.2,
            b: 0.5,
            w_question: 0.2,
            w_entry: 0.25,
            w_chars: 0.3,
            w_answer: 0.0,
            w_lift: 0.5,
            lift_prior: 5.0,
            w_exact: 1.0,
            answer_threshold: 0.45,
            answer_margin: 0.05,
            answer_relative_margin: 0.18,
            answer_length_slope: 0.02,
            answer_length_max_discount: 0.16,
            clarify_threshold: 0.27,
            clarify_relative: 0.6,
            restored_trust: 0.0,
            spell_correction: true,
            focus_min_syllables: 20,
            sibling_evidence: 2.0,
            sibling_counter: 2.5,
        }
    }
}

/// The shortest last sentence decided on its own for a long message (see
/// [`MatcherConfig::focus_min_syllables`]); a shorter one is read with the sentence before it.
const FOCUS_MIN_SENTENCE: usize = 6;

/// Messages up to this many syllables (after abbreviations are expanded) are held to the full
/// answer threshold; see [`MatcherConfig::answer_length_slope`].
pub const ANSWER_LENGTH_PIVOT: usize = 8;

impl MatcherConfig {
    /// The answer threshold for a message of `syllables` syllables: [`Self::answer_threshold`]
    /// lowered by the length discount (never by more than [`Self::answer_length_max_discount`]).
    pub fn answer_threshold_for(&self, syllables: usize) -> f32 {
        let extra = syllables.saturating_sub(ANSWER_LENGTH_PIVOT) as f32;
        self.answer_threshold - (self.answer_length_slope * extra).clamp(0.0, self.answer_length_max_discount.max(0.0))
    }
}

/// What the answer decision looks at for one message.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AnswerFeatures {
    /// The first entry, if any scored.
    pub top: Option<String>,
    /// Its score.
    pub score: f32,
    /// Its lead over the runner-up entry.
    pub margin: f32,
    /// Syllables of the message after abbreviations are expanded.
    pub syllables: usize,
    /// How many of the three ranking channels (best paraphrase, the entry's pooled
    /// paraphrases, entry-distinguishing terms) rank the first entry first: 3 when they all
    /// agree.
    pub agreement: u8,
    /// Whether the runner-up belongs to the same family as the first entry (the same id up
    /// to its last dot: `cu-tru.tam-tru.dang-ky` and `cu-tru.tam-tru.gia-han`).
    pub same_family: bool,
    /// The first entry's channels: best paraphrase (weighted lexical + character part), pooled
    /// paraphrases and distinguishing terms (shares of the query, 0..1).
    pub channels: [f32; 3],
    /// How much the message's words favour the first entry over the runner-up (a log-likelihood
    /// ratio over term presence in their paraphrases; 0 without a runner-up).
    pub pair_evidence: f32,
    /// The strongest single term for the first entry over the runner-up and the strongest
    /// against it (log-ratios; 0 where there is none).
    pub pair_extremes: (f32, f32),
}

/// The family of an entry id: the id without its last dot-separated part.
pub fn family(id: &str) -> &str {
    id.rsplit_once('.').map_or(id, |(f, _)| f)
}

impl AnswerFeatures {
    fn new(ranked: &[Candidate], agreement: u8, syllables: usize) -> Self {
        let Some(top) = ranked.first() else {
            return AnswerFeatures { syllables, ..AnswerFeatures::default() };
        };
        let runner_up = ranked.get(1);
        AnswerFeatures {
            top: Some(top.id.clone()),
            score: top.score,
            margin: top.score - runner_up.map_or(0.0, |r| r.score),
            syllables,
            agreement,
            same_family: runner_up.is_some_and(|r| family(&r.id) == family(&top.id)),
            channels: [0.0; 3],
            pair_evidence: 0.0,
            pair_extremes: (0.0, 0.0),
        }
    }
}

/// A ranked knowledge-base entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// Entry id.
    pub id: String,
    /// Fused score, roughly 0..1.
    pub score: f32,
}

/// Why the matcher hands the conversation to an officer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandOffReason {
    /// Nothing to match: empty, only emoji, stickers or punctuation.
    Empty,
    /// Longer than a question (more than [`crate::normalize::MAX_INPUT_BYTES`]).
    TooLong,
    /// Mostly another script (Chinese, Cyrillic, Thai …).
    UnsupportedScript,
    /// Binary or corrupted text.
    Unreadable,
    /// No entry is close enough.
    LowConfidence,
}

/// What the bot should do with a message.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Answer with this entry.
    Answer {
        /// Entry id.
        id: String,
        /// Its score.
        score: f32,
        /// The top candidates (the answered entry first), for logs and "not what I meant".
        candidates: Vec<Candidate>,
    },
    /// Point the citizen to another agency with this referral entry ([`FaqDoc::referral`]):
    /// produced exactly where an [`Decision::Answer`] would be, when the top entry is a
    /// referral. It is not an answer of the unit's own (see [`Decision::answered_id`]).
    Refer {
        /// Referral entry id.
        id: String,
        /// Its score.
        score: f32,
        /// The top candidates (the referral entry first).
        candidates: Vec<Candidate>,
    },
    /// Offer these entries (at most 3) as choices.
    Clarify {
        /// Candidates, best first.
        candidates: Vec<Candidate>,
    },
    /// Hand the conversation to an officer.
    HandOff {
        /// Why.
        reason: HandOffReason,
    },
    /// An emergency: show emergency guidance (113/114/115) and alert the duty officer.
    Emergency {
        /// What kind.
        kind: EmergencyKind,
    },
    /// A crime report: start the report flow.
    Report {
        /// What kind.
        kind: ReportKind,
    },
}

impl Decision {
    /// The answered entry id, if this is an answer (never for [`Decision::Refer`]).
    pub fn answered_id(&self) -> Option<&str> {
        match self {
            Decision::Answer { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The referral entry id, if this is a referral to another agency.
    pub fn referred_id(&self) -> Option<&str> {
        match self {
            Decision::Refer { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// Every entry's fused score and, per entry, the channels it is made of: the best paraphrase
/// (lexical and character n-grams, already weighted), the pooled paraphrases and the
/// entry-distinguishing terms (each a 0..1 share of the query).
struct Channels {
    total: Vec<f32>,
    question: Vec<f32>,
    pooled: Vec<f32>,
    lift: Vec<f32>,
}

impl Channels {
    /// How many of the three channels rank `entry` first (ties count).
    fn agreement(&self, entry: usize) -> u8 {
        [&self.question, &self.pooled, &self.lift]
            .iter()
            .filter(|v| v.get(entry).is_some_and(|own| v.iter().all(|x| x <= own)))
            .count() as u8
    }
}

/// A message prepared for scoring: syllables at the exact and folded levels.
#[derive(Clone, Debug, Default)]
struct Prepared {
    exact: Vec<String>,
    folded: Vec<String>,
    /// Share of syllables typed with diacritics (0..1).
    accented: f32,
}

/// The index over a knowledge base. Cheap to rebuild (well under a second for 1,000 entries);
/// immutable once built, so it can be shared between threads behind an `Arc`.
#[derive(Clone, Debug)]
pub struct Matcher {
    ids: Vec<String>,
    referral: Vec<bool>,
    doc_entry: Vec<u32>,
    question_folded: Bm25,
    question_exact: Bm25,
    question_chars: CharGrams,
    entry_folded: Bm25,
    answer_folded: Bm25,
    entry_lift: TermLift,
    folded_ids: Interner,
    exact_ids: Interner,
    restorer: Restorer,
    vocabulary: Vocabulary,
    abbreviations: Abbreviations,
    config: MatcherConfig,
}

/// "kỹ"/"kĩ", "lý"/"lí": a final y after consonants only is read as i.
fn y_to_i(syllable: &str) -> String {
    let chars: Vec<char> = syllable.chars().collect();
    let Some((&last, rest)) = chars.split_last() else {
        return String::new();
    };
    let folded_last = crate::normalize::fold_char(last);
    let rest_has_vowel =
        rest.iter().any(|&c| matches!(crate::normalize::fold_char(c), 'a' | 'e' | 'i' | 'o' | 'u' | 'y'));
    if folded_last == 'y' && !rest.is_empty() && !rest_has_vowel && rest.iter().all(|c| c.is_alphabetic()) {
        let tone = crate::normalize::split_tone(last).map(|(_, t)| t as usize).unwrap_or(0);
        let i_forms = ['i', 'í', 'ì', 'ỉ', 'ĩ', 'ị'];
        let mut out: String = rest.iter().collect();
        out.push(i_forms[tone]);
        out
    } else {
        syllable.to_owned()
    }
}

impl Matcher {
    /// Builds the index over `docs`, expanding abbreviations with `abbrev` on both sides.
    pub fn build(docs: Vec<FaqDoc>, abbrev: &Abbreviations, config: MatcherConfig) -> Matcher {
        // First pass: every text as syllables (title and questions per entry, then the answer).
        struct Texts {
            questions: Vec<Prepared>,
            answer: Prepared,
        }
        let prepared: Vec<Texts> = docs
            .iter()
            .map(|doc| Texts {
                questions: std::iter::once(&doc.title)
                    .chain(doc.questions.iter())
                    .map(|t| regional_words(&abbrev.expand_all(&analyze(t).syllables)))
                    .filter(|s| !s.is_empty())
                    .map(|s| prepare_levels(&s))
                    .collect(),
                answer: prepare_levels(&regional_words(&abbrev.expand_all(&analyze(&doc.answer).syllables))),
            })
            .collect();
        // The restorer learns from the knowledge base's own accented text (texts typed mostly
        // without diacritics are skipped inside).
        let restorer = Restorer::learn(
            prepared
                .iter()
                .flat_map(|t| t.questions.iter().map(|p| p.exact.as_slice()).chain([t.answer.exact.as_slice()])),
        );

        let mut ids = Vec::with_capacity(docs.len());
        let mut referral = Vec::with_capacity(docs.len());
        let mut doc_entry = Vec::new();
        let mut folded_ids = Interner::default();
        let mut exact_ids = Interner::default();
        let mut texts_folded: Vec<Vec<u64>> = Vec::new();
        let mut texts_exact: Vec<Vec<u64>> = Vec::new();
        let mut chars_text: Vec<String> = Vec::new();
        let mut pooled: Vec<Vec<u64>> = Vec::with_capacity(docs.len());
        let mut answers: Vec<Vec<u64>> = Vec::with_capacity(docs.len());
        let mut vocab_counts: HashMap<String, u32> = HashMap::new();
        for (e, (doc, texts)) in docs.into_iter().zip(prepared).enumerate() {
            ids.push(doc.id);
            referral.push(doc.referral);
            if config.w_answer > 0.0 {
                let answer_ids: Vec<Option<u32>> =
                    texts.answer.folded.iter().map(|s| Some(folded_ids.intern(s))).collect();
                answers.push(term_keys(&answer_ids));
            }
            let mut entry_terms = Vec::new();
            let mut entry_words: HashSet<String> = HashSet::new();
            for p in texts.questions {
                // A paraphrase typed without diacritics is indexed on the exact level as
                // restored from the rest of the knowledge base, so that an accented (or restored)
                // query can still use the exact level against it.
                let accented = accented_share(&p.exact) >= MIN_ACCENTED_SHARE;
                let exact = if config.restored_trust > 0.0 && !accented { restorer.restore(&p.exact) } else { p.exact };
                let f: Vec<Option<u32>> = p.folded.iter().map(|s| Some(folded_ids.intern(s))).collect();
                let x: Vec<Option<u32>> = exact.iter().map(|s| Some(exact_ids.intern(s))).collect();
                let folded_terms = term_keys(&f);
                entry_terms.extend_from_slice(&folded_terms);
                texts_folded.push(folded_terms);
                texts_exact.push(term_keys(&x));
                chars_text.push(p.folded.join(" "));
                entry_words.extend(p.folded);
                doc_entry.push(e as u32);
            }
            for w in entry_words {
                *vocab_counts.entry(w).or_default() += 1;
            }
            pooled.push(entry_terms);
        }
        let n = ids.len();
        let entry_groups: Vec<u32> = (0..n as u32).collect();
        Matcher {
            question_folded: Bm25::build(&texts_folded, &doc_entry, n, config.k1, config.b),
            question_exact: Bm25::build(&texts_exact, &doc_entry, n, config.k1, config.b),
            question_chars: CharGrams::build(&chars_text, &doc_entry, n),
            entry_folded: Bm25::build(&pooled, &entry_groups, n, config.k1, config.b),
            answer_folded: Bm25::build(&answers, &entry_groups, n, config.k1, config.b),
            entry_lift: if config.w_lift > 0.0 {
                TermLift::build(&texts_folded, &doc_entry, n, config.lift_prior)
            } else {
                TermLift::default()
            },
            folded_ids,
            exact_ids,
            restorer,
            vocabulary: Vocabulary::new(vocab_counts),
            abbreviations: abbrev.clone(),
            ids,
            referral,
            doc_entry,
            config,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &MatcherConfig {
        &self.config
    }

    /// Number of indexed entries.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the entry with this id is a referral entry ([`FaqDoc::referral`]).
    pub fn is_referral_id(&self, id: &str) -> bool {
        self.ids.iter().position(|x| x == id).is_some_and(|i| self.referral[i])
    }

    /// Whether the index has no entry.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Decides what to do with a citizen's message; see the module documentation.
    pub fn decide(&self, text: &str) -> Decision {
        self.decide_with(text, true)
    }

    /// [`Matcher::decide`] without the safety rules, for a caller that has run
    /// [`safety::assess`] on the message itself and found nothing (the bot, which decides on an
    /// emergency before and without the knowledge base): the rules are not run twice.
    pub fn decide_question(&self, text: &str) -> Decision {
        self.decide_with(text, false)
    }

    fn decide_with(&self, text: &str, safety_first: bool) -> Decision {
        let analysis = analyze(text);
        if let Some(reason) = unusable(&analysis) {
            return Decision::HandOff { reason };
        }
        // The safety rules read the raw message with the built-in abbreviations: an emergency
        // does not depend on a deployment's list.
        match safety_first.then(|| safety::assess(text)).flatten() {
            Some(Safety::Emergency(kind)) => return Decision::Emergency { kind },
            Some(Safety::Report(kind)) => return Decision::Report { kind },
            None => {}
        }
        let syllables = regional_words(&self.abbreviations.expand_all(&analysis.syllables));
        let (ranked, agreement, _) = self.rank_with_agreement(&syllables, 10);
        let top = ranked.first().map(|c| c.id.clone());
        let decision = self.decide_from_ranking(ranked, agreement, &syllables);
        let focus = self.config.focus_min_syllables;
        if matches!(decision, Decision::Answer { .. } | Decision::Refer { .. }) || focus == 0 || syllables.len() < focus
        {
            return decision;
        }
        top.and_then(|top| self.decide_on_question_sentence(text, &top)).unwrap_or(decision)
    }

    /// A long message tells a story and asks its question at the end ("… Cho tôi hỏi làm hộ
    /// chiếu cho bé thì ai đứng ra làm?"): the story's words dilute the score, which is the share
    /// of the message the best entry explains. The last sentence (with the one before it if the
    /// last is too short to stand alone) is decided on its own, and its answer is given only if
    /// its entry is also the whole message's first entry: two readings agreeing, so the story
    /// cannot pull an unrelated answer in.
    fn decide_on_question_sentence(&self, text: &str, whole_top: &str) -> Option<Decision> {
        let sentences: Vec<&str> =
            text.split(['.', '?', '!', ';', '\n']).map(str::trim).filter(|s| !s.is_empty()).collect();
        if sentences.len() < 2 {
            return None;
        }
        let mut start = sentences.len() - 1;
        let mut syllables = self.words(sentences[start]);
        while syllables.len() < FOCUS_MIN_SENTENCE && start > 0 {
            start -= 1;
            syllables = self.words(&sentences[start..].join(". "));
        }
        if start == 0 {
            return None;
        }
        let (ranked, agreement, _) = self.rank_with_agreement(&syllables, 10);
        if ranked.first().is_none_or(|c| c.id != whole_top) {
            return None;
        }
        let decision = self.decide_from_ranking(ranked, agreement, &syllables);
        matches!(decision, Decision::Answer { .. } | Decision::Refer { .. }).then_some(decision)
    }

    /// A message's syllables as the matcher reads them: abbreviations expanded and spoken words
    /// standardized ([`regional_words`]).
    fn words(&self, text: &str) -> Vec<String> {
        regional_words(&self.abbreviations.expand_all(&analyze(text).syllables))
    }

    /// How many syllables the decision counts for a message (after abbreviations are expanded),
    /// for [`MatcherConfig::answer_threshold_for`].
    pub fn query_syllables(&self, text: &str) -> usize {
        self.words(text).len()
    }

    fn decide_from_ranking(&self, ranked: Vec<Candidate>, agreement: u8, syllables: &[String]) -> Decision {
        let c = &self.config;
        let Some(top) = ranked.first() else {
            return Decision::HandOff { reason: HandOffReason::LowConfidence };
        };
        let runner_up = ranked.get(1).map_or(0.0, |r| r.score);
        let margin = top.score - runner_up;
        let scored = top.score >= c.answer_threshold_for(syllables.len());
        if scored
            && ((margin >= c.answer_margin && margin >= c.answer_relative_margin * top.score)
                || self.sibling_told_apart(&ranked, agreement, syllables))
        {
            let mut candidates = ranked;
            candidates.truncate(3);
            let (id, score) = (candidates[0].id.clone(), candidates[0].score);
            if self.is_referral_id(&id) {
                return Decision::Refer { id, score, candidates };
            }
            return Decision::Answer { id, score, candidates };
        }
        if top.score >= c.clarify_threshold {
            let floor = top.score * c.clarify_relative;
            let candidates: Vec<Candidate> = ranked.into_iter().take(3).filter(|x| x.score >= floor).collect();
            return Decision::Clarify { candidates };
        }
        Decision::HandOff { reason: HandOffReason::LowConfidence }
    }

    /// The sibling rule ([`MatcherConfig::sibling_evidence`]): the runner-up is in the first
    /// entry's family, all three channels put the first entry first, the message's words favour
    /// it over the runner-up by at least `sibling_evidence` and no single word favours the
    /// runner-up by more than `sibling_counter`.
    fn sibling_told_apart(&self, ranked: &[Candidate], agreement: u8, syllables: &[String]) -> bool {
        let c = &self.config;
        let [top, second, ..] = ranked else { return false };
        if !c.sibling_evidence.is_finite() || agreement < 3 || family(&top.id) != family(&second.id) {
            return false;
        }
        let (evidence, (_, against)) = self.pair_evidence(syllables, &top.id, &second.id);
        evidence >= c.sibling_evidence && against >= -c.sibling_counter
    }

    /// The `k` best entries for a message, best first, without the safety rules or the
    /// decision thresholds (for evaluation and for a staff "search the knowledge base" box).
    pub fn rank(&self, text: &str, k: usize) -> Vec<Candidate> {
        self.rank_syllables(&self.words(text), k)
    }

    /// The message with diacritics restored from the knowledge base's own text where it was
    /// typed without them (for "Có phải ý anh/chị là …" and logs): abbreviations expanded,
    /// syllables lowercased and joined by spaces; unknown syllables are kept as typed.
    pub fn restore_diacritics(&self, text: &str) -> String {
        let syllables = self.words(text);
        self.restorer.restore(&prepare_levels(&syllables).exact).join(" ")
    }

    /// An unknown folded token that is an abbreviation glued to a known syllable or to another
    /// abbreviation ("lamcccd", "dkttru", "cccdmat"), as folded syllables with the
    /// abbreviations expanded. Parts are at least two letters; the split with the longer
    /// first part wins.
    fn split_glued(&self, word: &str) -> Option<Vec<String>> {
        if word.len() < 4 || self.vocabulary.contains(word) || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let part = |s: &str| -> Option<(Vec<String>, bool)> {
            if s.len() < 2 {
                return None;
            }
            if let Some(full) = self.abbreviations.expand(s, &[]) {
                return Some((full.iter().map(|x| fold_syllable(x)).collect(), true));
            }
            self.vocabulary.contains(s).then(|| (vec![s.to_owned()], false))
        };
        (2..=word.len() - 2).rev().find_map(|at| {
            let (a, b) = word.split_at(at);
            let ((mut left, abbrev_a), (right, abbrev_b)) = (part(a)?, part(b)?);
            (abbrev_a || abbrev_b).then(|| {
                left.extend(right);
                left
            })
        })
    }

    fn prepare_query(&self, syllables: &[String]) -> Prepared {
        let mut p = prepare_levels(syllables);
        if self.config.spell_correction && !self.vocabulary.is_empty() {
            let mut exact = Vec::with_capacity(p.exact.len());
            let mut folded = Vec::with_capacity(p.folded.len());
            for (e, f) in p.exact.iter().zip(&p.folded) {
                match self.vocabulary.correct(f).or_else(|| self.split_glued(f)) {
                    Some(fixed) => {
                        exact.extend(fixed.iter().cloned());
                        folded.extend(fixed);
                    }
                    None => {
                        exact.push(e.clone());
                        folded.push(f.clone());
                    }
                }
            }
            p.exact = exact;
            p.folded = folded;
        }
        if self.config.restored_trust > 0.0 && !p.exact.is_empty() {
            let typed = p.exact.iter().filter(|s| has_diacritics(s)).count() as f32;
            let restored = self.restorer.restore(&p.exact);
            let gained = restored.iter().filter(|s| has_diacritics(s)).count() as f32 - typed;
            p.accented = (typed + self.config.restored_trust * gained.max(0.0)) / p.exact.len() as f32;
            p.exact = restored;
        }
        p
    }

    fn rank_syllables(&self, syllables: &[String], k: usize) -> Vec<Candidate> {
        self.rank_with_agreement(syllables, k).0
    }

    /// The `k` best entries and how many channels put the first of them first
    /// ([`AnswerFeatures::agreement`]).
    fn rank_with_agreement(&self, syllables: &[String], k: usize) -> (Vec<Candidate>, u8, [f32; 3]) {
        if syllables.is_empty() || self.ids.is_empty() {
            return (Vec::new(), 0, [0.0; 3]);
        }
        let channels = self.channel_scores(&self.prepare_query(syllables));
        let scores = &channels.total;
        let mut order: Vec<(u32, f32)> =
            scores.iter().enumerate().filter(|(_, s)| **s > 0.0).map(|(i, s)| (i as u32, *s)).collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let agreement = order.first().map_or(0, |(i, _)| channels.agreement(*i as usize));
        let top_channels = order.first().map_or([0.0; 3], |(i, _)| {
            let i = *i as usize;
            [channels.question[i], channels.pooled[i], channels.lift[i]]
        });
        let ranked =
            order.into_iter().take(k).map(|(i, score)| Candidate { id: self.ids[i as usize].clone(), score }).collect();
        (ranked, agreement, top_channels)
    }

    /// What the answer decision sees for a message, without the safety rules (for tuning the
    /// decision and for logs).
    pub fn answer_features(&self, text: &str) -> AnswerFeatures {
        let syllables = self.words(text);
        let (ranked, agreement, channels) = self.rank_with_agreement(&syllables, 2);
        let (pair_evidence, pair_extremes) = match ranked.as_slice() {
            [a, b, ..] => self.pair_evidence(&syllables, &a.id, &b.id),
            _ => (0.0, (0.0, 0.0)),
        };
        AnswerFeatures {
            channels,
            pair_evidence,
            pair_extremes,
            ..AnswerFeatures::new(&ranked, agreement, syllables.len())
        }
    }

    /// How much the message's words favour entry `a` over entry `b` (see
    /// [`AnswerFeatures::pair_evidence`]); 0 when the distinguishing-terms channel is off.
    fn pair_evidence(&self, syllables: &[String], a: &str, b: &str) -> (f32, (f32, f32)) {
        let index = |id: &str| self.ids.iter().position(|x| x == id).map(|i| i as u32);
        let (Some(a), Some(b)) = (index(a), index(b)) else { return (0.0, (0.0, 0.0)) };
        if self.config.w_lift <= 0.0 {
            return (0.0, (0.0, 0.0));
        }
        let q = self.prepare_query(syllables);
        let f: Vec<Option<u32>> = q.folded.iter().map(|s| self.folded_ids.get(s)).collect();
        let terms = term_keys(&f);
        self.entry_lift.pair(&terms, a, b)
    }

    /// Every entry's fused score and the channels it is made of (see [`Channels`]).
    fn channel_scores(&self, q: &Prepared) -> Channels {
        let c = &self.config;
        let n_docs = self.question_folded.n_docs();
        let f: Vec<Option<u32>> = q.folded.iter().map(|s| self.folded_ids.get(s)).collect();
        let folded_terms = term_keys(&f);
        let we = c.w_exact * q.accented;

        let mut folded = vec![0.0f32; n_docs];
        let self_folded = self.question_folded.score_into(&folded_terms, &mut folded);
        let mut exact = vec![0.0f32; n_docs];
        // A message typed without diacritics gives the exact level no weight: not scored.
        let self_exact = if we > 0.0 {
            let x: Vec<Option<u32>> = q.exact.iter().map(|s| self.exact_ids.get(s)).collect();
            self.question_exact.score_into(&term_keys(&x), &mut exact)
        } else {
            0.0
        };
        let mut chars = vec![0.0f32; n_docs];
        self.question_chars.score_into(&q.folded.join(" "), &mut chars);
        let mut pooled = vec![0.0f32; self.ids.len()];
        let self_pooled = self.entry_folded.score_into(&folded_terms, &mut pooled);
        let mut answer = vec![0.0f32; self.ids.len()];
        let self_answer =
            if c.w_answer > 0.0 { self.answer_folded.score_into(&folded_terms, &mut answer) } else { 0.0 };

        let mut lift = vec![0.0f32; self.ids.len()];
        let self_lift = if c.w_lift > 0.0 { self.entry_lift.score_into(&folded_terms, &mut lift) } else { 0.0 };

        // Per document: multiplications only (two divisions per document were a tenth of a
        // decision's time).
        let (inv_folded, inv_exact) = (inverse(self_folded), inverse(self_exact));
        let w_lexical = c.w_question / (1.0 + we);
        let mut best_question = vec![0.0f32; self.ids.len()];
        for d in 0..n_docs {
            let f = (folded[d] * inv_folded).min(1.0);
            let e = (exact[d] * inv_exact).min(1.0);
            let s = w_lexical * (f + we * e) + c.w_chars * chars[d];
            let entry = self.doc_entry[d] as usize;
            if s > best_question[entry] {
                best_question[entry] = s;
            }
        }
        let total = (c.w_question + c.w_chars + c.w_entry + c.w_answer + c.w_lift).max(f32::EPSILON);
        let pooled: Vec<f32> = pooled.iter().map(|p| ratio(*p, self_pooled)).collect();
        let lift: Vec<f32> = lift.iter().map(|l| ratio(*l, self_lift)).collect();
        let total_scores = best_question
            .iter()
            .zip(&pooled)
            .zip(&answer)
            .zip(&lift)
            .map(|(((bq, p), a), l)| (bq + c.w_entry * p + c.w_answer * ratio(*a, self_answer) + c.w_lift * l) / total)
            .collect();
        Channels { total: total_scores, question: best_question, pooled, lift }
    }
}

fn ratio(score: f32, self_score: f32) -> f32 {
    if self_score > 0.0 { (score / self_score).min(1.0) } else { 0.0 }
}

/// The factor [`ratio`] divides by: `score * inverse(self_score)`, capped at 1, is the share
/// (0 when the query has no weight).
fn inverse(self_score: f32) -> f32 {
    if self_score > 0.0 { 1.0 / self_score } else { 0.0 }
}

fn prepare_levels(syllables: &[String]) -> Prepared {
    let exact: Vec<String> = syllables.iter().map(|s| y_to_i(s)).collect();
    let folded: Vec<String> = exact.iter().map(|s| fold_syllable(s)).collect();
    let accented = if syllables.is_empty() {
        0.0
    } else {
        syllables.iter().filter(|s| has_diacritics(s)).count() as f32 / syllables.len() as f32
    };
    Prepared { exact, folded, accented }
}

fn unusable(a: &Analysis) -> Option<HandOffReason> {
    if a.truncated {
        return Some(HandOffReason::TooLong);
    }
    if a.unreadable > 0 && a.unreadable * 10 >= a.latin_letters + a.unreadable {
        return Some(HandOffReason::Unreadable);
    }
    if a.foreign_letters > 0 && a.foreign_letters * 5 >= a.latin_letters + a.foreign_letters {
        return Some(HandOffReason::UnsupportedScript);
    }
    if a.syllables.is_empty() {
        return Some(HandOffReason::Empty);
    }
    None
}
