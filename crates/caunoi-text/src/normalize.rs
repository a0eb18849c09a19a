//! Input hygiene and the three matching levels of a Vietnamese syllable.
//!
//! Everything that reaches the matcher (citizen messages and knowledge-base text alike) goes
//! through [`analyze`] once: the input is capped at [`MAX_INPUT_BYTES`], NFKC-composed (which
//! also recomposes decomposed "Unikey tổ hợp" input and maps full-width forms to ASCII),
//! lowercased, stripped of control and zero-width characters, emoji and URLs, runs of three or
//! more identical letters are collapsed ("đượccccc" → "được"), and every syllable is rewritten
//! with its tone mark on one canonical vowel, so "hoà" and "hòa", "thuỷ" and "thủy" become the
//! same text. Punctuation becomes a word separator.
//!
//! Invariants: [`normalize`] is idempotent and never panics; [`fold`] returns plain ASCII
//! (lowercase letters, digits and single spaces). Logging code uses [`mask_personal_data`] on
//! the raw message, which is separate from matching.

use unicode_normalization::UnicodeNormalization;

/// How much of a message is kept, in bytes (longer input is cut at a character boundary).
pub const MAX_INPUT_BYTES: usize = 4096;

/// Vietnamese tone (thanh điệu), numbered as in VNI typing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tone {
    /// Thanh ngang (no mark).
    Level = 0,
    /// Thanh sắc.
    Acute = 1,
    /// Thanh huyền.
    Grave = 2,
    /// Thanh hỏi.
    Hook = 3,
    /// Thanh ngã.
    Tilde = 4,
    /// Thanh nặng.
    Dot = 5,
}

impl Tone {
    fn from_index(i: usize) -> Tone {
        match i {
            1 => Tone::Acute,
            2 => Tone::Grave,
            3 => Tone::Hook,
            4 => Tone::Tilde,
            5 => Tone::Dot,
            _ => Tone::Level,
        }
    }
}

/// Every Vietnamese vowel (with its vowel mark) in the six tones, indexed by `Tone as usize`.
const VOWELS: [[char; 6]; 12] = [
    ['a', 'á', 'à', 'ả', 'ã', 'ạ'],
    ['ă', 'ắ', 'ằ', 'ẳ', 'ẵ', 'ặ'],
    ['â', 'ấ', 'ầ', 'ẩ', 'ẫ', 'ậ'],
    ['e', 'é', 'è', 'ẻ', 'ẽ', 'ẹ'],
    ['ê', 'ế', 'ề', 'ể', 'ễ', 'ệ'],
    ['i', 'í', 'ì', 'ỉ', 'ĩ', 'ị'],
    ['o', 'ó', 'ò', 'ỏ', 'õ', 'ọ'],
    ['ô', 'ố', 'ồ', 'ổ', 'ỗ', 'ộ'],
    ['ơ', 'ớ', 'ờ', 'ở', 'ỡ', 'ợ'],
    ['u', 'ú', 'ù', 'ủ', 'ũ', 'ụ'],
    ['ư', 'ứ', 'ừ', 'ử', 'ữ', 'ự'],
    ['y', 'ý', 'ỳ', 'ỷ', 'ỹ', 'ỵ'],
];

/// Splits a lowercase vowel into (vowel without tone, tone); `None` for anything else.
pub fn split_tone(c: char) -> Option<(char, Tone)> {
    if c.is_ascii() && !matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y') {
        return None;
    }
    for row in &VOWELS {
        if let Some(i) = row.iter().position(|&v| v == c) {
            return Some((row[0], Tone::from_index(i)));
        }
    }
    None
}

fn with_tone(base: char, tone: Tone) -> char {
    VOWELS.iter().find(|row| row[0] == base).map_or(base, |row| row[tone as usize])
}

fn is_vowel_base(c: char) -> bool {
    VOWELS.iter().any(|row| row[0] == c)
}

/// Vowels that carry a vowel mark (the tone mark goes on them when present).
fn has_vowel_mark(c: char) -> bool {
    matches!(c, 'ă' | 'â' | 'ê' | 'ô' | 'ơ' | 'ư')
}

/// Folds one lowercase character to ASCII: tone and vowel marks removed, đ → d. Characters
/// that have no ASCII base are returned unchanged.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    let base = split_tone(c).map_or(c, |(b, _)| b);
    match base {
        'ă' | 'â' => 'a',
        'ê' => 'e',
        'ô' | 'ơ' => 'o',
        'ư' => 'u',
        'đ' => 'd',
        other if other.is_ascii() => other,
        other => {
            // Other Latin letters with marks (ç, ñ, ü …): keep the ASCII base letter.
            let mut first = other;
            unicode_normalization::char::decompose_canonical(other, |d| {
                if first == other {
                    first = d;
                }
            });
            if first.is_ascii() { first } else { other }
        }
    }
}

/// Whether a character is a letter of the Latin script (ASCII, Latin-1, Latin Extended and
/// Latin Extended Additional, where the precomposed Vietnamese letters live).
pub fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (('\u{00C0}'..='\u{024F}').contains(&c) && c != '×' && c != '÷')
        || ('\u{1E00}'..='\u{1EFF}').contains(&c)
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0x2B00..=0x2BFF
        | 0xFE00..=0xFE0F | 0xE0000..=0xE007F | 0x3030 | 0x303D | 0x3297 | 0x3299)
}

fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x00AD | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0xFEFF | 0x180E)
}

fn is_private_use(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn looks_like_url(chunk: &str) -> bool {
    let lower = chunk.to_lowercase();
    lower.contains("://") || lower.starts_with("www.") || lower.contains("@") && lower.contains('.')
}

/// What [`analyze`] found in a message besides its normalized syllables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Normalized syllables (lowercase, canonical tone placement), in order.
    pub syllables: Vec<String>,
    /// Letters of the Latin script seen (after cleaning).
    pub latin_letters: usize,
    /// Letters of other scripts (Han, Cyrillic, Thai …), dropped from `syllables`.
    pub foreign_letters: usize,
    /// Emoji and pictographs removed.
    pub emoji: usize,
    /// Characters that cannot be text: U+FFFD, control characters, private-use code points.
    pub unreadable: usize,
    /// Whether the input was longer than [`MAX_INPUT_BYTES`] and was cut.
    pub truncated: bool,
    /// Whether the raw message contained a question mark.
    pub question_mark: bool,
}

impl Analysis {
    /// The normalized text: syllables joined by single spaces.
    pub fn text(&self) -> String {
        self.syllables.join(" ")
    }
}

fn cap(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

/// Cleans and splits a message into normalized syllables; see the module documentation.
pub fn analyze(text: &str) -> Analysis {
    let (text, truncated) = cap(text, MAX_INPUT_BYTES);
    let mut out = Analysis { truncated, question_mark: text.contains('?'), ..Analysis::default() };
    let composed: String = text.nfkc().collect();
    let mut word = String::new();
    let mut total_len = 0usize;
    for chunk in composed.split_whitespace() {
        if looks_like_url(chunk) {
            flush_word(&mut word, &mut out.syllables, &mut total_len);
            continue;
        }
        for c in chunk.chars() {
            let c = match c {
                'Ð' | 'ð' => 'đ',
                other => other,
            };
            if c == '\u{FFFD}' || (c.is_control() && !c.is_whitespace()) || is_private_use(c) {
                out.unreadable += 1;
                flush_word(&mut word, &mut out.syllables, &mut total_len);
                continue;
            }
            if is_invisible(c) || is_combining_mark(c) {
                continue;
            }
            if is_emoji(c) {
                out.emoji += 1;
                flush_word(&mut word, &mut out.syllables, &mut total_len);
                continue;
            }
            if c.is_alphanumeric() {
                for l in c.to_lowercase() {
                    if is_combining_mark(l) {
                        continue;
                    }
                    if l.is_alphabetic() && is_latin_letter(l) {
                        out.latin_letters += 1;
                        word.push(l);
                    } else if l.is_alphabetic() {
                        out.foreign_letters += 1;
                        flush_word(&mut word, &mut out.syllables, &mut total_len);
                    } else if l.is_ascii_digit() {
                        word.push(l);
                    } else if let Some(d) = l.to_digit(10) {
                        // Other decimal digits (Arabic-Indic …) are read as ASCII digits.
                        word.push(char::from_digit(d, 10).unwrap_or('0'));
                    } else {
                        flush_word(&mut word, &mut out.syllables, &mut total_len);
                    }
                }
            } else {
                flush_word(&mut word, &mut out.syllables, &mut total_len);
            }
        }
        flush_word(&mut word, &mut out.syllables, &mut total_len);
    }
    out
}

fn flush_word(word: &mut String, syllables: &mut Vec<String>, total_len: &mut usize) {
    if word.is_empty() {
        return;
    }
    let syllable = canonical_syllable(&collapse_repeats(word));
    word.clear();
    // Output stays within the cap on a word boundary, so normalizing twice changes nothing.
    let added = syllable.len() + usize::from(!syllables.is_empty());
    if *total_len + added > MAX_INPUT_BYTES {
        return;
    }
    *total_len += added;
    syllables.push(syllable);
}

/// Collapses runs of three or more letters with the same folded form to the first of them
/// ("đượccccc" → "được", "dạaaa" → "dạ"); doubles stay (Vietnamese has "xoong", "soóc"), and so
/// do a run that starts the word ("cccd") and a run of consonants inside it ("lamcccd").
fn collapse_repeats(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let key = fold_char(c);
        let mut j = i + 1;
        while j < chars.len() && fold_char(chars[j]) == key {
            j += 1;
        }
        let run = j - i;
        // A run at the start of a word is an abbreviation ("cccd"), not an elongation, and so
        // is a run of consonants inside a word ("lamcccd", typed without a space); a drawn-out
        // word repeats a vowel or its last letter ("nhieuuu", "khongggg").
        let vowel = matches!(key, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        if run >= 3 && i > 0 && c.is_alphabetic() && (vowel || j == chars.len()) {
            out.push(c);
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    out
}

/// Rewrites a lowercase word with its tone mark on the canonical vowel (the traditional
/// placement: "hòa", "thủy", "khỏe"; a vowel with a vowel mark takes the tone when present).
/// Words without a tone mark are returned unchanged.
pub fn canonical_syllable(word: &str) -> String {
    let mut tone = Tone::Level;
    let bare: Vec<char> = word
        .chars()
        .map(|c| match split_tone(c) {
            Some((base, t)) => {
                if tone == Tone::Level {
                    tone = t;
                }
                base
            }
            None => c,
        })
        .collect();
    if tone == Tone::Level {
        return bare.into_iter().collect();
    }
    let mut out = bare.clone();
    if let Some(pos) = tone_position(&bare) {
        out[pos] = with_tone(bare[pos], tone);
    }
    out.into_iter().collect()
}

/// Index of the vowel that carries the tone in a toneless syllable.
fn tone_position(bare: &[char]) -> Option<usize> {
    let first_vowel = bare.iter().position(|&c| is_vowel_base(c))?;
    let mut start = first_vowel;
    // "qu" and "gi" + vowel: the u / i belongs to the onset.
    if start > 0 {
        let onset_end = bare[start - 1];
        let next_is_vowel = bare.get(start + 1).is_some_and(|&c| is_vowel_base(c));
        if next_is_vowel && ((onset_end == 'q' && bare[start] == 'u') || (onset_end == 'g' && bare[start] == 'i')) {
            start += 1;
        }
    }
    let mut end = start;
    while end < bare.len() && is_vowel_base(bare[end]) {
        end += 1;
    }
    let nucleus = start..end;
    if let Some(marked) = nucleus.clone().rev().find(|&i| has_vowel_mark(bare[i])) {
        return Some(marked);
    }
    let len = end - start;
    if end < bare.len() {
        // Closed syllable: the last vowel of the nucleus ("toán", "hoàng").
        return Some(end - 1);
    }
    match len {
        0 => Some(first_vowel),
        1 | 2 => Some(start),
        _ => Some(start + 1),
    }
}

/// Normalizes a message for matching; see the module documentation. Idempotent.
pub fn normalize(text: &str) -> String {
    analyze(text).text()
}

/// Removes the tone of a normalized syllable but keeps vowel marks and đ ("cước" → "cươc").
pub fn toneless(syllable: &str) -> String {
    syllable.chars().map(|c| split_tone(c).map_or(c, |(b, _)| b)).collect()
}

/// Folds a normalized syllable to ASCII ("đăng" → "dang"); letters with no ASCII base
/// (æ, ß, ø …) are dropped.
pub fn fold_syllable(syllable: &str) -> String {
    syllable.chars().map(fold_char).filter(char::is_ascii).collect()
}

/// Normalizes and folds a message to plain ASCII: "Đăng ký tạm trú" → "dang ky tam tru".
pub fn fold(text: &str) -> String {
    let folded: Vec<String> =
        analyze(text).syllables.iter().map(|s| fold_syllable(s)).filter(|s| !s.is_empty()).collect();
    folded.join(" ")
}

/// The tone of a syllable (the first tone mark found; [`Tone::Level`] if none).
pub fn split_tone_of_syllable(syllable: &str) -> Tone {
    syllable.chars().filter_map(split_tone).map(|(_, t)| t).find(|&t| t != Tone::Level).unwrap_or(Tone::Level)
}

/// Whether a normalized syllable carries any diacritic (tone, vowel mark or đ).
pub fn has_diacritics(syllable: &str) -> bool {
    !syllable.is_ascii()
}

/// Replaces e-mail addresses (`name@domain.tld`) with `[EMAIL]`.
fn mask_emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let domain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = i;
            while start > 0 && local(chars[start - 1]) {
                start -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && domain(chars[end]) {
                end += 1;
            }
            let host: String = chars[i + 1..end].iter().collect::<String>().trim_end_matches('.').to_string();
            let dotted = host.split('.').filter(|p| !p.is_empty()).count() >= 2;
            if start < i && dotted {
                let kept = out.chars().count() - (i - start);
                out = out.chars().take(kept).collect();
                out.push_str("[EMAIL]");
                i += 1 + host.chars().count();
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Masks phone numbers (Vietnamese formats, with or without +84 / 84, with spaces, dots or
/// dashes inside) and 9- to 16-digit identity or account numbers, for logs.
///
/// Runs of digits are read together with single separators between them, so "0912 345 678"
/// is one number; a masked run is replaced by `[SĐT]` (phone) or `[SỐ GIẤY TỜ]` (other).
/// Short numbers (113, 1900 0368, dates, amounts) are kept.
pub fn mask_personal_data(text: &str) -> String {
    let text = mask_emails(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let plus = chars[i] == '+' && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit());
        let starts_number = (chars[i].is_ascii_digit() || plus) && (i == 0 || !chars[i - 1].is_alphanumeric());
        if !starts_number {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = if plus { i + 1 } else { i };
        let mut digits = String::new();
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                digits.push(chars[j]);
                j += 1;
            } else if matches!(chars[j], ' ' | '.' | '-')
                && chars.get(j + 1).is_some_and(|c| c.is_ascii_digit())
                && !digits.is_empty()
            {
                j += 1;
            } else {
                break;
            }
        }
        let glued_to_letter = chars.get(j).is_some_and(|c| c.is_alphabetic());
        let n = digits.len();
        let phone = (plus && digits.starts_with("84") && (11..=12).contains(&n))
            || (digits.starts_with("84") && n == 11)
            || (digits.starts_with('0') && (10..=11).contains(&n));
        let long_id = (9..=16).contains(&n);
        if !glued_to_letter && (phone || long_id) {
            out.push_str(if phone { "[SĐT]" } else { "[SỐ GIẤY TỜ]" });
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn email_addresses_are_masked() {
        assert_eq!(mask_personal_data("email em la nguyen.van.a@gmail.com nhe"), "email em la [EMAIL] nhe");
        assert_eq!(mask_personal_data("gui ve a+b@cong-an.gov.vn."), "gui ve [EMAIL].");
        assert_eq!(mask_personal_data("hop thu @ phuong"), "hop thu @ phuong");
        assert_eq!(mask_personal_data("ten@localhost"), "ten@localhost");
    }

    use super::*;

    #[test]
    fn tone_placement_conventions_normalize_to_one_form() {
        assert_eq!(normalize("hoà"), normalize("hòa"));
        assert_eq!(normalize("thuỷ"), normalize("thủy"));
        assert_eq!(normalize("khoẻ"), normalize("khỏe"));
        assert_eq!(normalize("qùa"), normalize("quà"));
        assert_eq!(normalize("quà"), "quà");
        assert_eq!(normalize("giày"), "giày");
        assert_eq!(normalize("ngoài"), "ngoài");
        assert_eq!(normalize("toán"), "toán");
        assert_eq!(normalize("người"), "người");
    }

    #[test]
    fn decomposed_input_matches_precomposed() {
        let nfd: String = "Việt Nam căn cước".nfd().collect();
        assert_eq!(normalize(&nfd), "việt nam căn cước");
    }

    #[test]
    fn lowercases_and_strips_noise() {
        assert_eq!(normalize("  ĐĂNG KÝ\u{200B} Tạm-Trú!!! 😀 https://x.vn/a "), "đăng ký tạm trú");
        assert_eq!(normalize("Ðăng"), "đăng");
        assert_eq!(normalize("ｃｃｃｄ"), "cccd");
    }

    #[test]
    fn repeated_letters_collapse_but_doubles_stay() {
        assert_eq!(normalize("đượccccc"), "được");
        assert_eq!(normalize("dạaaaa"), "dạ");
        assert_eq!(normalize("xoong"), "xoong");
        assert_eq!(normalize("cccddd bao nhieuuu"), "cccd bao nhieu");
        assert_eq!(normalize("lamcccd"), "lamcccd");
    }

    #[test]
    fn folding_reaches_ascii() {
        assert_eq!(fold("Đăng ký thường trú ở đâu?"), "dang ky thuong tru o dau");
        assert_eq!(fold("Thuỷ"), "thuy");
    }

    #[test]
    fn toneless_keeps_vowel_marks() {
        assert_eq!(toneless("cước"), "cươc");
        assert_eq!(toneless("đăng"), "đăng");
    }

    #[test]
    fn long_input_is_capped() {
        let long = "căn cước ".repeat(10_000);
        let a = analyze(&long);
        assert!(a.truncated);
        assert!(a.text().len() <= MAX_INPUT_BYTES);
    }

    #[test]
    fn foreign_script_letters_are_counted_not_kept() {
        let a = analyze("你好 căn cước");
        assert_eq!(a.foreign_letters, 2);
        assert_eq!(a.text(), "căn cước");
    }

    #[test]
    fn phone_numbers_and_ids_are_masked() {
        assert_eq!(mask_personal_data("gọi 0912 345 678 nhé"), "gọi [SĐT] nhé");
        assert_eq!(mask_personal_data("sđt +84912345678"), "sđt [SĐT]");
        assert_eq!(mask_personal_data("số 079123456789 ạ"), "số [SỐ GIẤY TỜ] ạ");
        assert_eq!(mask_personal_data("cmnd 123456789"), "cmnd [SỐ GIẤY TỜ]");
        assert_eq!(mask_personal_data("gọi 113 hoặc 1900 0368, 14 tuổi"), "gọi 113 hoặc 1900 0368, 14 tuổi");
        assert_eq!(mask_personal_data("0912.345.678"), "[SĐT]");
    }
}
