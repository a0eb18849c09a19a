//! Recognising what a citizen's short message means outside the knowledge base: asking for an
//! officer, greeting, thanks, a bare acknowledgement, a menu item typed out, or a number picked
//! from a numbered list.
//!
//! Everything works on folded syllables ("gặp cán bộ" → `gap can bo`) after caunoi-text's
//! normalization and abbreviation expansion, so "gap can bo", "cho e gặp cb", "nc vs ng that"
//! read the same. A few chat shorthands that the shared dictionary leaves alone because they
//! are ambiguous elsewhere ("cb", "nc", "ca" after "gặp"/"với") are expanded here, where the
//! context is known.

use std::sync::LazyLock;

use caunoi_text::abbrev::Abbreviations;
use caunoi_text::normalize::{analyze, fold_syllable};

use super::MenuKey;

static ABBREVIATIONS: LazyLock<Abbreviations> = LazyLock::new(Abbreviations::builtin);

/// A message as folded syllables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Words {
    tokens: Vec<String>,
}

/// Who a citizen may ask to talk to.
const TARGETS: &[&[&str]] = &[
    &["can", "bo"],
    &["cong", "an"],
    &["canh", "sat"],
    &["nguoi", "that"],
    &["nguoi", "truc"],
    &["nguoi", "tra", "loi"],
    &["nguoi", "ho", "tro"],
    &["admin"],
    &["truc", "ban"],
    &["nhan", "vien"],
    &["tu", "van", "vien"],
    &["lanh", "dao"],
    &["chien", "si"],
];

/// How a citizen asks to talk to someone.
const VERBS: &[&[&str]] = &[
    &["gap"],
    &["noi", "chuyen"],
    &["tro", "chuyen"],
    &["trao", "doi"],
    &["ket", "noi"],
    &["chuyen", "sang"],
    &["chuyen", "cho"],
];

/// Words allowed between the verb and the target ("gặp *trực tiếp* cán bộ", "nói chuyện *với*").
const FILLERS: &[&str] = &["voi", "cho", "toi", "em", "minh", "duoc", "mot", "ben", "cac", "truc", "tiep", "1"];

/// Phrases that ask for a human wherever they occur.
const ANYWHERE: &[&[&str]] = &[&["nguoi", "that"], &["tu", "van", "vien"], &["gap", "truc", "tiep"]];

/// Polite words that carry no request of their own.
const COURTESY: &[&str] =
    &["oi", "a", "ah", "alo", "cho", "em", "toi", "minh", "xin", "voi", "di", "nhe", "nha", "vui", "long", "lam", "on"];

/// A message made only of these (with at least one of [`GREETING_CORE`]) is a greeting.
const GREETING_WORDS: &[&str] = &[
    "xin", "chao", "hi", "hello", "helo", "hey", "alo", "a", "ah", "ad", "admin", "ban", "anh", "chi", "em", "oi",
    "moi", "nguoi", "cong", "an", "ca", "phuong", "xa", "buoi", "sang", "chieu", "toi", "nhe", "nha", "shop",
];
const GREETING_CORE: &[&str] = &["chao", "hi", "hello", "helo", "hey", "alo"];

/// Whole messages that ask for the menu.
const MENU_REQUESTS: &[&[&str]] =
    &[&["menu"], &["danh", "muc"], &["trang", "chu"], &["bat", "dau"], &["start"], &["quay", "lai"], &["huong", "dan"]];

const THANKS: &[&[&str]] =
    &[&["cam", "on"], &["camon"], &["thank"], &["thanks"], &["tks"], &["thanks", "you"], &["tam", "biet"], &["bye"]];

/// A message made only of these is an acknowledgement that needs no reply.
const ACK_WORDS: &[&str] = &[
    "ok", "oke", "okie", "okay", "vang", "da", "u", "uh", "um", "uhm", "roi", "duoc", "a", "ah", "vay", "the", "nhe",
    "nha", "hieu", "ro", "em", "toi", "minh", "biet", "oki",
];

/// Words around a number picked from a list ("số 2", "chọn câu 1", "ý 3 ạ").
const NUMBER_FILLERS: &[&str] =
    &["so", "cau", "chon", "muc", "y", "thu", "lua", "la", "em", "toi", "minh", "a", "ah", "nhe", "cai"];

/// Menu items typed out as a whole message.
const MENU_WORDS: &[(MenuKey, &[&str])] = &[
    (MenuKey::Procedures, &["thu", "tuc"]),
    (MenuKey::Procedures, &["hoi", "thu", "tuc"]),
    (MenuKey::Procedures, &["thu", "tuc", "hanh", "chinh"]),
    (MenuKey::Procedures, &["hoi", "thu", "tuc", "hanh", "chinh"]),
    (MenuKey::Report, &["gui", "tin", "bao"]),
    (MenuKey::Report, &["tin", "bao"]),
    (MenuKey::Report, &["bao", "tin"]),
    (MenuKey::Report, &["phan", "anh"]),
    (MenuKey::Report, &["gui", "tin", "bao", "to", "giac"]),
    (MenuKey::Booking, &["dat", "lich"]),
    (MenuKey::Booking, &["dat", "lich", "hen"]),
    (MenuKey::StatusLookup, &["tra", "cuu"]),
    (MenuKey::StatusLookup, &["tra", "cuu", "ho", "so"]),
    (MenuKey::StatusLookup, &["tinh", "trang", "ho", "so"]),
    (MenuKey::Hotline, &["hotline"]),
    (MenuKey::Hotline, &["duong", "day", "nong"]),
    (MenuKey::Hotline, &["so", "dien", "thoai"]),
    (MenuKey::Hotline, &["so", "truc", "ban"]),
];

fn is(tokens: &[String], at: usize, phrase: &[&str]) -> bool {
    tokens.len() >= at + phrase.len() && phrase.iter().zip(&tokens[at..]).all(|(p, t)| *p == t)
}

impl Words {
    /// Normalizes, expands abbreviations and folds `text`.
    pub(super) fn new(text: &str) -> Words {
        let syllables = ABBREVIATIONS.expand_all(&analyze(text).syllables);
        let folded: Vec<String> = syllables.iter().map(|s| fold_syllable(s)).filter(|s| !s.is_empty()).collect();
        let mut tokens = Vec::with_capacity(folded.len() + 2);
        for (i, t) in folded.iter().enumerate() {
            let after_verb = i > 0 && matches!(folded[i - 1].as_str(), "gap" | "voi" | "vs");
            match t.as_str() {
                "cb" => tokens.extend(["can".to_owned(), "bo".to_owned()]),
                "nc" => tokens.extend(["noi".to_owned(), "chuyen".to_owned()]),
                "tvv" => tokens.extend(["tu".to_owned(), "van".to_owned(), "vien".to_owned()]),
                "vs" => tokens.push("voi".to_owned()),
                "ca" if after_verb => tokens.extend(["cong".to_owned(), "an".to_owned()]),
                _ => tokens.push(t.clone()),
            }
        }
        Words { tokens }
    }

    pub(super) fn len(&self) -> usize {
        self.tokens.len()
    }

    fn without(&self, words: &[&str]) -> Vec<&str> {
        self.tokens.iter().map(String::as_str).filter(|t| !words.contains(t)).collect()
    }

    fn core_is(&self, phrases: &[&[&str]]) -> bool {
        let core = self.without(COURTESY);
        !core.is_empty() && phrases.contains(&core.as_slice())
    }

    /// "gặp cán bộ", "cho em nói chuyện với công an", "nc vs ng that", "admin ơi" …
    pub(super) fn asks_for_officer(&self) -> bool {
        let t = &self.tokens;
        if (0..t.len()).any(|i| ANYWHERE.iter().any(|p| is(t, i, p))) {
            return true;
        }
        if self.core_is(&[&["can", "bo"], &["admin"], &["cong", "an"], &["truc", "ban"], &["nhan", "vien"]]) {
            return true;
        }
        for i in 0..t.len() {
            // "không gặp", "không cần gặp", "chưa muốn nói chuyện".
            let negated =
                t[i.saturating_sub(2)..i].iter().any(|w| matches!(w.as_str(), "khong" | "chua" | "dung" | "chang"));
            if negated {
                continue;
            }
            for verb in VERBS.iter().filter(|v| is(t, i, v)) {
                let mut j = i + verb.len();
                for _ in 0..=2 {
                    if TARGETS.iter().any(|target| is(t, j, target)) {
                        return true;
                    }
                    // "nói chuyện với người" at the end of the message.
                    if verb[0] != "gap" && j + 1 == t.len() && t[j] == "nguoi" {
                        return true;
                    }
                    if j < t.len() && FILLERS.contains(&t[j].as_str()) {
                        j += 1;
                    } else {
                        break;
                    }
                }
            }
        }
        false
    }

    /// Only greeting words ("xin chào", "chào ad ạ", "hi").
    pub(super) fn is_pure_greeting(&self) -> bool {
        !self.tokens.is_empty()
            && self.tokens.iter().all(|t| GREETING_WORDS.contains(&t.as_str()))
            && self.tokens.iter().any(|t| GREETING_CORE.contains(&t.as_str()))
    }

    /// Starts with a greeting ("chào công an phường Ba Đình") and is short.
    pub(super) fn starts_with_greeting(&self) -> bool {
        let first = self.tokens.iter().find(|t| !matches!(t.as_str(), "xin" | "a" | "em"));
        self.tokens.len() <= 8 && first.is_some_and(|t| GREETING_CORE.contains(&t.as_str()))
    }

    /// "menu", "danh mục", "bắt đầu" …
    pub(super) fn asks_for_menu(&self) -> bool {
        self.core_is(MENU_REQUESTS)
    }

    /// "cảm ơn", "thanks", "tạm biệt" in a short message.
    pub(super) fn is_thanks(&self) -> bool {
        let t = &self.tokens;
        t.len() <= 10 && (0..t.len()).any(|i| THANKS.iter().any(|p| is(t, i, p)))
    }

    /// "ok", "vâng ạ", "dạ em hiểu rồi": nothing to answer.
    pub(super) fn is_acknowledgement(&self) -> bool {
        !self.tokens.is_empty() && self.tokens.iter().all(|t| ACK_WORDS.contains(&t.as_str()))
    }

    /// A menu item typed out ("đặt lịch", "tra cứu hồ sơ", "hotline").
    pub(super) fn menu_key(&self) -> Option<MenuKey> {
        let core = self.without(COURTESY);
        MENU_WORDS.iter().find(|(_, words)| *words == core.as_slice()).map(|(key, _)| *key)
    }

    /// A number picked from a numbered list, 1-based: "2", "số 2", "chọn câu 1", "hai".
    pub(super) fn picked_number(&self) -> Option<usize> {
        let core = self.without(NUMBER_FILLERS);
        let [word] = core.as_slice() else {
            return None;
        };
        let n = match *word {
            "mot" => 1,
            "hai" => 2,
            "ba" => 3,
            "bon" => 4,
            "nam" => 5,
            "sau" => 6,
            digits => digits.parse::<usize>().ok()?,
        };
        (1..=9).contains(&n).then_some(n)
    }
}

/// Words that mark a message as English: common function words and the vocabulary of the
/// questions foreigners ask. Words that are also Vietnamese typed without accents ("can" for
/// căn/cần, "do", "an", "my", "the" for thẻ, "hi") are left out.
const ENGLISH: &[&str] = &[
    "how",
    "what",
    "where",
    "when",
    "which",
    "who",
    "why",
    "much",
    "many",
    "is",
    "are",
    "was",
    "does",
    "did",
    "i",
    "you",
    "your",
    "we",
    "our",
    "it",
    "this",
    "that",
    "there",
    "here",
    "have",
    "has",
    "need",
    "get",
    "make",
    "apply",
    "please",
    "hello",
    "help",
    "want",
    "would",
    "could",
    "should",
    "of",
    "to",
    "in",
    "on",
    "at",
    "for",
    "from",
    "with",
    "and",
    "or",
    "not",
    "passport",
    "police",
    "station",
    "lost",
    "stolen",
    "renew",
    "register",
    "registration",
    "residence",
    "temporary",
    "foreigner",
    "foreign",
    "english",
    "speak",
    "tourist",
    "hotel",
    "card",
    "cost",
    "fee",
    "long",
    "open",
    "office",
    "report",
    "thanks",
    "thank",
    "officer",
    "someone",
    "address",
    "phone",
    "number",
    "wallet",
    "bike",
    "motorbike",
    "stole",
    "robbed",
    "lose",
    "id",
    "am",
    "be",
    "were",
    "will",
    "my",
    "me",
    "about",
    "by",
    "if",
    "they",
    "some",
    "any",
    "buy",
    "pay",
    "find",
    "near",
    "tomorrow",
    "today",
    "weather",
    "visa",
    "license",
    "licence",
    "driving",
    "exchange",
    "record",
    "criminal",
    "certificate",
    "scammed",
    "money",
    "apartment",
    "rent",
    "renting",
    "documents",
    "emergency",
    "hours",
    "hotline",
    "vietnam",
    "restaurant",
    "restaurants",
    "beach",
    "market",
    "credit",
    "foreigners",
    "permit",
    "child",
    "accident",
    "stolen",
    "call",
    "contact",
    "sorry",
];

/// Words of the English list that are also common in Vietnamese chat (loanwords, syllables typed
/// without accents): they count neither way.
const SHARED: &[&str] = &["in", "on", "to", "it", "is", "id", "card", "visa", "police", "hello", "my", "me", "be"];

/// Loanwords that Vietnamese messages use as they are; not evidence of English.
const LOANWORDS: &[&str] = &[
    "online", "app", "ok", "oke", "okie", "zalo", "vneid", "email", "web", "link", "code", "check", "ship", "shop",
    "pass", "facebook", "fb", "sim", "atm", "file", "apk",
];

/// Whether a folded word has the shape of a Vietnamese syllable: an optional initial consonant,
/// one to three vowels, an optional final consonant ("nghieng", "khuya", "thuong").
fn vietnamese_shaped(word: &str) -> bool {
    const INITIALS: &[&str] = &[
        "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "g", "h", "k", "l", "m", "n",
        "p", "r", "s", "t", "v", "x",
    ];
    const FINALS: &[&str] = &["ch", "nh", "ng", "c", "m", "n", "p", "t"];
    let rest = INITIALS.iter().find_map(|i| word.strip_prefix(i)).unwrap_or(word);
    let vowels = rest.bytes().take_while(|b| b"aeiouy".contains(b)).count();
    let tail = &rest[vowels..];
    (1..=3).contains(&vowels) && (tail.is_empty() || FINALS.contains(&tail))
}

impl Words {
    /// Whether the message is written in English: no Vietnamese letters, at least two distinct
    /// words of the English list, and most of the words that tell the languages apart English
    /// (a word of the list, or a word that cannot be a Vietnamese syllable and is neither a known
    /// chat abbreviation nor a loanword: "foreigner", "transferred"). Words both languages use
    /// ([`SHARED`]) count neither way, so "lam the can cuoc o dau" stays Vietnamese.
    pub(super) fn is_english(text: &str) -> bool {
        if text.chars().any(|c| !c.is_ascii() && c.is_alphabetic()) {
            return false;
        }
        let words: Vec<String> = text
            .split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
            .filter(|w| !w.is_empty())
            .map(|w| w.trim_matches('\'').to_ascii_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        if words.len() < 2 {
            return false;
        }
        let mut listed: Vec<&str> =
            words.iter().map(String::as_str).filter(|w| ENGLISH.contains(w) && !SHARED.contains(w)).collect();
        listed.sort_unstable();
        listed.dedup();
        let (mut english, mut vietnamese) = (0usize, 0usize);
        for w in &words {
            let w = w.as_str();
            if SHARED.contains(&w) || LOANWORDS.contains(&w) {
                continue;
            }
            if ENGLISH.contains(&w) {
                english += 1;
            } else if ABBREVIATIONS.is_key(w) {
                continue;
            } else if vietnamese_shaped(w) {
                vietnamese += 1;
            } else {
                english += 1;
            }
        }
        listed.len() >= 2 && english * 5 >= (english + vietnamese) * 3
    }
}
