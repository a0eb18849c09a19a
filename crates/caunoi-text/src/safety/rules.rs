//! The rule file (`rules.txt`) read into patterns, and the one pass over a message that finds
//! which sections it matches.
//!
//! Patterns are indexed by the folded form of their first syllable, so a message costs one
//! hash look-up per syllable plus the few patterns that start with it, whatever the number of
//! rules. A mask section's matches are found first; the patterns of its domain do not count
//! where their span (gaps included) overlaps a masked syllable.

use rustc_hash::FxHashMap as HashMap;

use crate::normalize::{fold_syllable, normalize};

/// A section of the rule file. The decision (`super::decide`) reads which ones a message
/// matched; `SECTIONS` gives their names in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Section {
    FireSure,
    FireSmoke,
    FireBurning,
    FireAmbiguous,
    FireOngoing,
    FireMask,
    MedicalSure,
    MedicalAmbiguous,
    MedicalMask,
    ViolenceSure,
    ViolenceOngoing,
    ViolenceMask,
    CrimeSure,
    CrimeOngoing,
    CrimeMask,
    AccidentSure,
    AccidentEvent,
    AccidentSevere,
    AccidentMask,
    RescueSure,
    RescueOngoing,
    RescueTrapped,
    RescuePlace,
    RescueMask,
    RescueDone,
    Help,
    HelpShort,
    HelpMask,
    Now,
    NowMask,
    Urgent,
    Hypothetical,
    HypotheticalMask,
    Media,
    Conditional,
    Procedure,
    CalmMask,
    Inquiry,
    Past,
    Habitual,
    Filler,
    ReportRobbery,
    ReportTheft,
    ReportFraud,
    ReportAssault,
    ReportAbuse,
    ReportDrugs,
    ReportGambling,
    ReportRacing,
    ReportNoise,
    ReportWanted,
    ReportLostProperty,
    ReportEnvironment,
    ReportCrimeTip,
    ReportOther,
    ReportNot,
    ReportAnchor,
    Question,
}

const SECTIONS: [(&str, Section); 58] = [
    ("fire.sure", Section::FireSure),
    ("fire.smoke", Section::FireSmoke),
    ("fire.burning", Section::FireBurning),
    ("fire.ambiguous", Section::FireAmbiguous),
    ("fire.ongoing", Section::FireOngoing),
    ("fire.mask", Section::FireMask),
    ("medical.sure", Section::MedicalSure),
    ("medical.ambiguous", Section::MedicalAmbiguous),
    ("medical.mask", Section::MedicalMask),
    ("violence.sure", Section::ViolenceSure),
    ("violence.ongoing", Section::ViolenceOngoing),
    ("violence.mask", Section::ViolenceMask),
    ("crime.sure", Section::CrimeSure),
    ("crime.ongoing", Section::CrimeOngoing),
    ("crime.mask", Section::CrimeMask),
    ("accident.sure", Section::AccidentSure),
    ("accident.event", Section::AccidentEvent),
    ("accident.severe", Section::AccidentSevere),
    ("accident.mask", Section::AccidentMask),
    ("rescue.sure", Section::RescueSure),
    ("rescue.ongoing", Section::RescueOngoing),
    ("rescue.trapped", Section::RescueTrapped),
    ("rescue.place", Section::RescuePlace),
    ("rescue.mask", Section::RescueMask),
    ("rescue.done", Section::RescueDone),
    ("help", Section::Help),
    ("help.short", Section::HelpShort),
    ("help.mask", Section::HelpMask),
    ("now", Section::Now),
    ("now.mask", Section::NowMask),
    ("urgent", Section::Urgent),
    ("hypothetical", Section::Hypothetical),
    ("hypothetical.mask", Section::HypotheticalMask),
    ("media", Section::Media),
    ("conditional", Section::Conditional),
    ("procedure", Section::Procedure),
    ("calm.mask", Section::CalmMask),
    ("inquiry", Section::Inquiry),
    ("past", Section::Past),
    ("habitual", Section::Habitual),
    ("filler", Section::Filler),
    ("report.robbery", Section::ReportRobbery),
    ("report.theft", Section::ReportTheft),
    ("report.fraud", Section::ReportFraud),
    ("report.assault", Section::ReportAssault),
    ("report.abuse", Section::ReportAbuse),
    ("report.drugs", Section::ReportDrugs),
    ("report.gambling", Section::ReportGambling),
    ("report.racing", Section::ReportRacing),
    ("report.noise", Section::ReportNoise),
    ("report.wanted", Section::ReportWanted),
    ("report.lost_property", Section::ReportLostProperty),
    ("report.environment", Section::ReportEnvironment),
    ("report.crime_tip", Section::ReportCrimeTip),
    ("report.other", Section::ReportOther),
    ("report.not", Section::ReportNot),
    ("report.anchor", Section::ReportAnchor),
    ("question", Section::Question),
];

impl Section {
    fn bit(self) -> u64 {
        1 << self as u32
    }

    /// The mask section whose matches cancel this section's matches where they overlap.
    fn mask(self) -> Option<Section> {
        use Section::*;
        match self {
            FireSure | FireSmoke | FireAmbiguous | FireOngoing => Some(FireMask),
            MedicalSure | MedicalAmbiguous => Some(MedicalMask),
            ViolenceSure | ViolenceOngoing => Some(ViolenceMask),
            CrimeSure | CrimeOngoing => Some(CrimeMask),
            AccidentSure | AccidentEvent | AccidentSevere => Some(AccidentMask),
            RescueSure | RescueOngoing | RescueTrapped | RescuePlace | RescueDone => Some(RescueMask),
            Help => Some(HelpMask),
            Hypothetical | Conditional => Some(HypotheticalMask),
            Now => Some(NowMask),
            Procedure | Inquiry | Media => Some(CalmMask),
            ReportAssault => Some(ViolenceMask),
            ReportRobbery | ReportTheft => Some(CrimeMask),
            _ => None,
        }
    }

    fn is_mask(self) -> bool {
        matches!(
            self,
            Section::FireMask
                | Section::MedicalMask
                | Section::ViolenceMask
                | Section::CrimeMask
                | Section::AccidentMask
                | Section::HelpMask
                | Section::RescueMask
                | Section::HypotheticalMask
                | Section::NowMask
                | Section::CalmMask
        )
    }

    /// This mask's bit in a syllable's mask flags.
    fn mask_flag(self) -> u16 {
        match self {
            Section::FireMask => 1,
            Section::MedicalMask => 2,
            Section::ViolenceMask => 4,
            Section::CrimeMask => 8,
            Section::AccidentMask => 16,
            Section::HelpMask => 32,
            Section::RescueMask => 64,
            Section::HypotheticalMask => 128,
            Section::NowMask => 256,
            Section::CalmMask => 512,
            _ => 0,
        }
    }
}

/// One message syllable at the two levels patterns compare.
pub(super) struct Syllable<'a> {
    /// Normalized, as typed (after respelling).
    pub(super) exact: std::borrow::Cow<'a, str>,
    /// ASCII-folded.
    pub(super) folded: std::borrow::Cow<'a, str>,
    /// Whether it was typed with diacritics.
    pub(super) accented: bool,
}

/// Most syllables a gap ("…" in a pattern) stands for.
const MAX_GAP: usize = 3;

struct PatternSyllable {
    exact: String,
    folded: String,
    strict: bool,
    /// Up to [`MAX_GAP`] other syllables may come before this one ("bị … đánh").
    gap_before: bool,
}

impl PatternSyllable {
    fn matches(&self, m: &Syllable<'_>) -> bool {
        if m.accented || self.strict { m.exact == self.exact.as_str() } else { m.folded == self.folded.as_str() }
    }
}

struct Pattern {
    section: Section,
    syllables: Vec<PatternSyllable>,
    not_followed_by: Vec<String>,
}

impl Pattern {
    /// Where a match starting at `at` ends (exclusive), if the pattern matches there.
    fn match_at(&self, message: &[Syllable<'_>], at: usize) -> Option<usize> {
        self.match_from(message, 0, at)
    }

    /// Matches syllables `i..` of the pattern from message position `at`; gaps take the
    /// fewest syllables that let the rest match.
    fn match_from(&self, message: &[Syllable<'_>], i: usize, at: usize) -> Option<usize> {
        let Some(p) = self.syllables.get(i) else {
            let followed = message.get(at).is_some_and(|next| self.not_followed_by.iter().any(|x| *x == next.folded));
            return (!followed).then_some(at);
        };
        let gap = if p.gap_before { MAX_GAP } else { 0 };
        (at..=at + gap)
            .take_while(|&j| j < message.len())
            .filter(|&j| p.matches(&message[j]))
            .find_map(|j| self.match_from(message, i + 1, j + 1))
    }
}

/// What a message matched: a set of sections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Found(u64);

impl Found {
    pub(super) fn has(self, section: Section) -> bool {
        self.0 & section.bit() != 0
    }

    pub(super) fn any(self, sections: &[Section]) -> bool {
        sections.iter().any(|s| self.has(*s))
    }

    /// These sections as they are in `other`, the rest as here.
    pub(super) fn with(self, other: Found, sections: &[Section]) -> Found {
        let bits = sections.iter().fold(0, |acc, s| acc | s.bit());
        Found((self.0 & !bits) | (other.0 & bits))
    }

    /// No pattern of any section matched.
    pub(super) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The rule file, parsed.
pub(super) struct Rules {
    patterns: Vec<Pattern>,
    /// Pattern indices by the folded form of their first syllable.
    by_first: HashMap<String, Vec<u32>>,
    /// Typed syllable → what it is read as ("dg" → "đang").
    pub(super) respell: HashMap<String, Vec<String>>,
    /// Every syllable of every pattern, exact and folded, for spelling repairs.
    pub(super) vocabulary_exact: rustc_hash::FxHashSet<String>,
    pub(super) vocabulary_folded: rustc_hash::FxHashSet<String>,
}

/// A line of the rule file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RuleError {
    pub(super) line: usize,
    pub(super) message: String,
}

impl Rules {
    /// No rules at all.
    pub(super) fn empty() -> Rules {
        Rules {
            patterns: Vec::new(),
            by_first: HashMap::default(),
            respell: HashMap::default(),
            vocabulary_exact: Default::default(),
            vocabulary_folded: Default::default(),
        }
    }

    /// Reads the rule file; see its header for the format.
    pub(super) fn parse(text: &str) -> Result<Rules, RuleError> {
        let mut rules = Rules::empty();
        enum Current {
            None,
            Respell,
            Section(Section),
        }
        let mut current = Current::None;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let err = |message: &str| RuleError { line, message: message.to_owned() };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if let Some(name) = trimmed.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
                current = match name {
                    "respell" => Current::Respell,
                    _ => match SECTIONS.iter().find(|(n, _)| *n == name) {
                        Some((_, section)) => Current::Section(*section),
                        None => return Err(err("unknown section")),
                    },
                };
                continue;
            }
            match current {
                Current::None => return Err(err("a pattern before any [section]")),
                Current::Respell => {
                    let (typed, read) = trimmed.split_once('=').ok_or_else(|| err("expected `typed = read as`"))?;
                    let typed = normalize(typed);
                    let read: Vec<String> = normalize(read).split(' ').map(str::to_owned).collect();
                    if typed.contains(' ') || typed.is_empty() || read.iter().all(String::is_empty) {
                        return Err(err("expected one typed syllable and what it is read as"));
                    }
                    rules.respell.insert(typed, read);
                }
                Current::Section(section) => {
                    let pattern = parse_pattern(section, trimmed)
                        .ok_or_else(|| err("empty pattern, or a gap at its start or end"))?;
                    for s in &pattern.syllables {
                        rules.vocabulary_exact.insert(s.exact.clone());
                        rules.vocabulary_folded.insert(s.folded.clone());
                    }
                    let id = rules.patterns.len() as u32;
                    rules.by_first.entry(pattern.syllables[0].folded.clone()).or_default().push(id);
                    rules.patterns.push(pattern);
                }
            }
        }
        Ok(rules)
    }

    /// The sections `message` matches, masks applied (a mask section itself counts as
    /// matched where it matches).
    pub(super) fn scan(&self, message: &[Syllable<'_>]) -> Found {
        // (pattern, start) of every match; masks first into per-syllable flags.
        let mut matches: Vec<(u32, u32, u32)> = Vec::new();
        let mut found = 0u64;
        let mut masked = vec![0u16; message.len()];
        for at in 0..message.len() {
            let Some(candidates) = self.by_first.get(message[at].folded.as_ref()) else { continue };
            for &id in candidates {
                let pattern = &self.patterns[id as usize];
                let Some(end) = pattern.match_at(message, at) else { continue };
                if pattern.section.is_mask() {
                    let flag = pattern.section.mask_flag();
                    for m in &mut masked[at..end] {
                        *m |= flag;
                    }
                    found |= pattern.section.bit();
                } else {
                    matches.push((id, at as u32, end as u32));
                }
            }
        }
        for (id, at, end) in matches {
            let pattern = &self.patterns[id as usize];
            let flag = pattern.section.mask().map_or(0, Section::mask_flag);
            if masked[at as usize..end as usize].iter().all(|m| m & flag == 0) {
                found |= pattern.section.bit();
            }
        }
        Found(found)
    }

    /// Whether the syllable at `at` is one of `section`'s single-syllable patterns.
    pub(super) fn is_word_of(&self, section: Section, message: &[Syllable<'_>], at: usize) -> bool {
        self.by_first.get(message[at].folded.as_ref()).is_some_and(|ids| {
            ids.iter().any(|&id| {
                let p = &self.patterns[id as usize];
                p.section == section && p.syllables.len() == 1 && p.match_at(message, at).is_some()
            })
        })
    }
}

impl Rules {
    /// The patterns a message matches, as "section: syllables" (for rule authors,
    /// `super::explain`).
    pub(super) fn explain(&self, message: &[Syllable<'_>]) -> Vec<String> {
        let mut out = Vec::new();
        for at in 0..message.len() {
            for &id in self.by_first.get(message[at].folded.as_ref()).into_iter().flatten() {
                let p = &self.patterns[id as usize];
                if p.match_at(message, at).is_some() {
                    let words: Vec<&str> = p.syllables.iter().map(|s| s.exact.as_str()).collect();
                    out.push(format!("{:?}: {}", p.section, words.join(" ")));
                }
            }
        }
        out
    }
}

fn parse_pattern(section: Section, spec: &str) -> Option<Pattern> {
    let (words, exclusions) = spec.split_once('~').unwrap_or((spec, ""));
    let mut syllables: Vec<PatternSyllable> = Vec::new();
    let mut gap = false;
    for w in words.split_whitespace() {
        if w == "…" || w == "..." {
            gap = true;
            continue;
        }
        let strict = w.starts_with('!');
        let exact = normalize(w.trim_start_matches('!'));
        if exact.is_empty() {
            continue;
        }
        syllables.push(PatternSyllable { folded: fold_syllable(&exact), exact, strict, gap_before: gap });
        gap = false;
    }
    // A pattern starts and ends with a syllable: a gap there would match nothing more.
    if syllables.first().is_none_or(|s| s.gap_before) || gap {
        return None;
    }
    let not_followed_by = exclusions.split_whitespace().map(|w| fold_syllable(&normalize(w))).collect();
    Some(Pattern { section, syllables, not_followed_by })
}
