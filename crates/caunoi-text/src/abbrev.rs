//! The abbreviation and teencode dictionary (từ viết tắt, teencode).
//!
//! The dictionary is data, not code: `data/abbreviations.tsv` is embedded as the default
//! ([`Abbreviations::builtin`]) and a deployment can load its own file text with
//! [`Abbreviations::parse`], which reports the first bad line by number.
//!
//! An abbreviation is keyed on its ASCII-folded form ("đk" = "dk") and applies only to a token
//! typed without a tone mark, so "cả" never expands as "ca" (công an). Abbreviations are
//! ambiguous ("bn" is "bao nhiêu" or "bạn"), so a line may carry context words: it applies only
//! when one of them occurs in the same message. Lines for one key are tried in file order and a
//! line without context is the fallback.

use rustc_hash::FxHashMap as HashMap;
use std::fmt;

use crate::normalize::{analyze, fold_syllable};

const BUILTIN: &str = include_str!("../data/abbreviations.tsv");

/// A line of a dictionary file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbbrevError {
    /// 1-based line number in the file text.
    pub line: usize,
    /// What is wrong, in Vietnamese, for the person editing the file.
    pub message: String,
}

impl fmt::Display for AbbrevError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dòng {}: {}", self.line, self.message)
    }
}

impl std::error::Error for AbbrevError {}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Expansion {
    /// Normalized syllables of the full form.
    syllables: Vec<String>,
    /// Folded context words; empty means "always".
    context: Vec<String>,
}

/// An abbreviation dictionary, ready for lookups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Abbreviations {
    entries: HashMap<String, Vec<Expansion>>,
}

impl Abbreviations {
    /// The dictionary shipped with caunoi (`data/abbreviations.tsv`).
    pub fn builtin() -> Self {
        // The embedded file is checked by a unit test; an empty dictionary is the safe fallback.
        Self::parse(BUILTIN).unwrap_or_default()
    }

    /// The text of the built-in dictionary file, as a starting point for a deployment's own.
    pub fn builtin_text() -> &'static str {
        BUILTIN
    }

    /// An empty dictionary (no expansion at all).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Reads a dictionary file: `abbreviation<TAB>full form[<TAB>context|words]` per line,
    /// `#` comments and blank lines allowed. Nothing is returned unless every line is valid.
    pub fn parse(text: &str) -> Result<Self, AbbrevError> {
        let mut entries: HashMap<String, Vec<Expansion>> = HashMap::default();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let err = |message: &str| AbbrevError { line, message: message.to_owned() };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = raw.split('\t').map(str::trim).collect();
            if fields.len() < 2 {
                return Err(err(
                    "thiếu dấu TAB giữa từ viết tắt và dạng đầy đủ (định dạng: viết_tắt<TAB>dạng đầy đủ[<TAB>ngữ cảnh])",
                ));
            }
            if fields.len() > 3 {
                return Err(err("quá 3 cột (viết tắt, dạng đầy đủ, ngữ cảnh)"));
            }
            let key_syllables = analyze(fields[0]).syllables;
            let [key] = key_syllables.as_slice() else {
                return Err(err("từ viết tắt phải là một từ, chỉ gồm chữ và số"));
            };
            let key = fold_syllable(key);
            let syllables = analyze(fields[1]).syllables;
            if syllables.is_empty() {
                return Err(err("dạng đầy đủ đang trống"));
            }
            let context: Vec<String> = match fields.get(2) {
                None => Vec::new(),
                Some(ctx) => {
                    let words: Vec<String> =
                        ctx.split('|').flat_map(|w| analyze(w).syllables).map(|s| fold_syllable(&s)).collect();
                    if words.is_empty() {
                        return Err(err("cột ngữ cảnh có nhưng không có từ nào"));
                    }
                    words
                }
            };
            let list = entries.entry(key).or_default();
            if list.iter().any(|e| e.context == context) {
                return Err(err("từ viết tắt này đã được khai báo với cùng ngữ cảnh ở dòng trước"));
            }
            list.push(Expansion { syllables, context });
        }
        Ok(Self { entries })
    }

    /// Number of abbreviations (distinct keys).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the dictionary is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a folded word is a key of the dictionary, whatever its context ("cccd", "dc").
    pub fn is_key(&self, folded: &str) -> bool {
        self.entries.contains_key(folded)
    }

    /// The full form of a normalized syllable, if it is a known abbreviation in this message.
    /// `message_folded` holds the folded syllables of the whole message (the context).
    pub fn expand(&self, syllable: &str, message_folded: &[String]) -> Option<&[String]> {
        if crate::normalize::split_tone_of_syllable(syllable) != crate::normalize::Tone::Level {
            return None;
        }
        let list = self.entries.get(&fold_syllable(syllable))?;
        let with_context =
            list.iter().find(|e| !e.context.is_empty() && e.context.iter().any(|w| message_folded.contains(w)));
        with_context.or_else(|| list.iter().find(|e| e.context.is_empty())).map(|e| e.syllables.as_slice())
    }

    /// Rewrites normalized syllables, replacing every known abbreviation by its full form and
    /// every regional word of [`DIALECT`] by the standard one.
    pub fn expand_all(&self, syllables: &[String]) -> Vec<String> {
        let folded: Vec<String> = syllables.iter().map(|s| fold_syllable(s)).collect();
        let accented = syllables.iter().any(|s| !s.is_ascii());
        let mut out = Vec::with_capacity(syllables.len() + 4);
        for (i, s) in syllables.iter().enumerate() {
            let around = (i.checked_sub(1).map(|p| folded[p].as_str()), folded.get(i + 1).map(String::as_str));
            if let Some(standard) = dialect(s, around, accented) {
                out.push(standard.to_owned());
                continue;
            }
            match self.expand(s, &folded) {
                Some(full) => out.extend(full.iter().cloned()),
                None => out.push(s.clone()),
            }
        }
        out
    }
}

/// Central and southern words (phương ngữ: "mần răng", "ở mô", "có phải khai báo chi hông") that
/// the knowledge base writes in standard Vietnamese. Matched on the syllable as typed, tone mark
/// included, so "man" or "rang" typed without marks are left alone; the few that are also
/// standard words apply only outside the phrases where they keep their standard meaning
/// (see [`dialect`]).
const DIALECT: &[(&str, &str)] = &[
    ("mần", "làm"),
    ("hông", "không"),
    ("hổng", "không"),
    ("dìa", "về"),
    ("răng", "sao"),
    ("rứa", "vậy"),
    ("dị", "vậy"),
    ("mô", "đâu"),
    ("chi", "gì"),
];

/// The standard word for a regional one, given the folded syllables before and after it and
/// whether the message carries diacritics at all.
fn dialect(syllable: &str, (before, after): (Option<&str>, Option<&str>), accented: bool) -> Option<&'static str> {
    let standard = DIALECT.iter().find(|(word, _)| *word == syllable)?.1;
    let keeps_meaning = match syllable {
        // dị ứng (allergy)
        "dị" => after == Some("ung"),
        // mô tả (describe), quy mô (scale), mô hình (model)
        "mô" => before == Some("quy") || matches!(after, Some("ta" | "hinh" | "phong")),
        // "chi" is "gì" in central speech but also chi phí, chi tiết, chi nhánh, chi trả …; in a
        // message typed without diacritics it is as likely "chỉ" (địa chỉ).
        "chi" => {
            !accented
                || before == Some("dia")
                || matches!(after, Some("phi" | "tiet" | "nhanh" | "tra" | "cuc" | "tieu" | "bo" | "doan" | "hoi"))
        }
        _ => false,
    };
    (!keeps_meaning).then_some(standard)
}

/// More regional and spoken words ("tui", "ổng", "xài", "vô", "coi", "chừ", "bữa hổm", "nghen"),
/// read as the standard words the knowledge base is written in. Unlike [`DIALECT`] they are
/// rewritten for the FAQ matcher only ([`regional_words`]), after the safety rules have read the
/// message, whose patterns are tuned on the words as typed. A word without a tone mark matches
/// in a message typed without diacritics too, except where noted in [`spoken`].
const SPOKEN: &[(&str, &str)] = &[
    ("tui", "tôi"),
    ("ổng", "ông"),
    ("bả", "bà"),
    ("dzậy", "vậy"),
    ("zậy", "vậy"),
    ("chừ", "giờ"),
    ("vô", "vào"),
    ("dô", "vào"),
    ("xài", "dùng"),
    ("coi", "xem"),
    ("tới", "đến"),
    ("đem", "mang"),
    ("chiện", "chuyện"),
    ("rớt", "rơi"),
    ("ni", "này"),
    ("nghen", "nhé"),
    ("nhen", "nhé"),
    ("hen", "nhé"),
    ("bữa", "hôm"),
    ("hổm", "trước"),
    ("chừng", "khi"),
];

/// The standard word for a spoken one of [`SPOKEN`], given the folded syllables around it.
fn spoken(syllable: &str, (before, after): (Option<&str>, Option<&str>), accented: bool) -> Option<&'static str> {
    let standard = SPOKEN.iter().find(|(word, _)| *word == syllable)?.1;
    let keeps_meaning = match syllable {
        // túi typed without marks: túi xách, túi tiền, cái túi
        "tui" => {
            !accented
                && (matches!(after, Some("xach" | "tien" | "do" | "quan" | "ao" | "nilon" | "giay"))
                    || matches!(before, Some("cai" | "chiec" | "trong")))
        }
        // vô hiệu, vô lý, vô danh, tài sản vô chủ …
        "vô" => matches!(
            after,
            Some(
                "hieu"
                    | "ly"
                    | "danh"
                    | "gia"
                    | "tinh"
                    | "y"
                    | "ich"
                    | "can"
                    | "hinh"
                    | "tu"
                    | "so"
                    | "dich"
                    | "dieu"
                    | "van"
                    | "cung"
                    | "han"
                    | "tuyen"
                    | "trach"
                    | "le"
                    | "dung"
                    | "thuc"
                    | "chu"
                    | "hai"
                    | "toi"
                    | "ke"
            )
        ),
        // coi chừng, coi như, trông coi
        "coi" => matches!(after, Some("chung" | "nhu")) || before == Some("trong"),
        // thi rớt (failed an exam)
        "rớt" => before == Some("thi"),
        // ni lông
        "ni" => matches!(after, Some("long" | "lon" | "to")),
        // hẹn typed without marks
        "hen" => !accented,
        // bữa ăn, bữa cơm, bữa tiệc
        "bữa" => matches!(after, Some("an" | "com" | "trua" | "toi" | "tiec" | "nhau" | "sang")),
        // bữa hổm, hôm hổm
        "hổm" => !matches!(before, Some("bua" | "hom")),
        // chừng nào (khi nào); khoảng chừng, coi chừng keep it
        "chừng" => after != Some("nao"),
        _ => false,
    };
    (!keeps_meaning).then_some(standard)
}

/// Rewrites spoken and regional words (tui, ổng, xài, vô, coi, chừ, bữa hổm, chừng nào, nghen …)
/// as the standard ones, on syllables already expanded with [`Abbreviations::expand_all`]; for
/// the FAQ matcher, on both the knowledge base's paraphrases and the citizen's message.
pub fn regional_words(syllables: &[String]) -> Vec<String> {
    let folded: Vec<String> = syllables.iter().map(|s| fold_syllable(s)).collect();
    let accented = syllables.iter().any(|s| !s.is_ascii());
    syllables
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let around = (i.checked_sub(1).map(|p| folded[p].as_str()), folded.get(i + 1).map(String::as_str));
            spoken(s, around, accented).map_or_else(|| s.clone(), str::to_owned)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(a: &Abbreviations, text: &str) -> String {
        a.expand_all(&analyze(text).syllables).join(" ")
    }

    #[test]
    fn builtin_dictionary_parses() {
        let parsed = Abbreviations::parse(BUILTIN);
        assert!(parsed.is_ok(), "{parsed:?}");
        assert!(Abbreviations::builtin().len() > 50);
    }

    #[test]
    fn common_abbreviations_expand() {
        let a = Abbreviations::builtin();
        assert_eq!(expand(&a, "mất cccd"), "mất căn cước công dân");
        assert_eq!(expand(&a, "đk xe ko dc"), "đăng ký xe không được");
        assert_eq!(expand(&a, "dk tt ntn"), "đăng ký tạm trú như thế nào");
        assert_eq!(expand(&a, "hết bn tiền"), "hết bao nhiêu tiền");
        assert_eq!(expand(&a, "gplx hết hạn làm j"), "giấy phép lái xe hết hạn làm gì");
        assert_eq!(expand(&a, "ttru het bnhiu"), "tạm trú het bao nhiêu");
        assert_eq!(expand(&a, "dangky kg dc"), "đăng ký không được");
        assert_eq!(expand(&a, "gap cb truc"), "gap cán bộ truc");
        assert_eq!(expand(&a, "cb giay to j"), "chuẩn bị giay to gì");
    }

    #[test]
    fn regional_words_read_as_standard_ones() {
        let a = Abbreviations::builtin();
        assert_eq!(expand(&a, "sang tên mần răng"), "sang tên làm sao");
        assert_eq!(expand(&a, "có phải khai báo chi hông"), "có phải khai báo gì không");
        assert_eq!(expand(&a, "làm lại thẻ ở mô"), "làm lại thẻ ở đâu");
        assert_eq!(expand(&a, "mô tả sự việc, chi phí bao nhiêu"), "mô tả sự việc chi phí bao nhiêu");
        assert_eq!(expand(&a, "doi dia chi"), "doi dia chi");
        assert_eq!(expand(&a, "lm cc o dau"), "làm căn cước o dau");
        assert_eq!(expand(&a, "dktt vao nha moi"), "đăng ký thường trú vao nha moi");
    }

    #[test]
    fn spoken_words_read_as_standard_ones_for_the_matcher() {
        let a = Abbreviations::builtin();
        let read = |t: &str| regional_words(&a.expand_all(&analyze(t).syllables)).join(" ");
        assert_eq!(read("tui xài cái thẻ này được hông"), "tôi dùng cái thẻ này được không");
        assert_eq!(read("bữa hổm tui nộp hồ sơ, chừng nào có"), "hôm trước tôi nộp hồ sơ khi nào có");
        assert_eq!(read("nhập vô hộ khẩu nghen"), "nhập vào hộ khẩu nhé");
        assert_eq!(read("tài sản vô chủ, coi chừng bữa cơm"), "tài sản vô chủ coi chừng bữa cơm");
        assert_eq!(read("bi mat tui xach"), "bi mat tui xach", "túi typed without marks");
        assert_eq!(read("muon hen lich"), "muon hen lich", "hẹn typed without marks");
        assert_eq!(read("tui muon hen lich"), "tôi muon hen lich");
        assert_eq!(a.expand_all(&analyze("tui xài").syllables).join(" "), "tui xài", "not for the safety rules");
    }

    #[test]
    fn toned_words_are_not_abbreviations() {
        let a = Abbreviations::builtin();
        assert_eq!(expand(&a, "cả nhà"), "cả nhà");
    }

    #[test]
    fn context_selects_the_meaning() {
        let a = Abbreviations::builtin();
        assert_eq!(expand(&a, "bn ơi"), "bạn ơi");
        assert_eq!(expand(&a, "phí bn"), "phí bao nhiêu");
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let err = Abbreviations::parse("# ok\ncccd\tcăn cước\nxyz căn cước\n").unwrap_err();
        assert_eq!(err.line, 3);
        let err = Abbreviations::parse("a b\tx\n").unwrap_err();
        assert_eq!(err.line, 1);
        let err = Abbreviations::parse("dk\tđăng ký\nđk\tđăng kí\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.to_string().starts_with("dòng 2:"));
    }
}
