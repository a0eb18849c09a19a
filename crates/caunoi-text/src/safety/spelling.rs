//! A message's syllables made ready for the rules: teencode the abbreviation list lacks
//! (`[respell]` in the rule file), telex typed without the input method ("chays nhaf" is
//! "cháy nhà"), a doubled letter ("tinhh") and two swapped letters ("cahy" is "chay").
//!
//! The last two repair only a syllable the rules do not know, and only into one they do, so a
//! word outside the rules is never turned into another word.

use std::borrow::Cow;

use unicode_normalization::char::compose;

use super::rules::{Rules, Syllable};
use crate::normalize::{canonical_syllable, fold_syllable, has_diacritics};

/// Shortest syllable tried with two letters swapped: among shorter ones a swap too easily makes
/// another real word ("tia" → "tai").
const MIN_SWAP_LEN: usize = 4;

/// The syllables of a message (normalized, abbreviations expanded), respelled and repaired.
pub(super) fn prepare<'a>(syllables: &'a [String], rules: &Rules) -> Vec<Syllable<'a>> {
    let mut out = Vec::with_capacity(syllables.len() + 2);
    for s in syllables {
        if let Some(read) = rules.respell.get(s.as_str()) {
            out.extend(read.iter().map(|r| syllable(Cow::Owned(r.clone()))));
        } else if let Some(fixed) = repair(s, rules) {
            out.push(syllable(Cow::Owned(fixed)));
        } else {
            out.push(syllable(Cow::Borrowed(s.as_str())));
        }
    }
    out
}

fn syllable(exact: Cow<'_, str>) -> Syllable<'_> {
    let accented = has_diacritics(&exact);
    let folded = if accented {
        Cow::Owned(fold_syllable(&exact))
    } else {
        match &exact {
            Cow::Borrowed(s) => Cow::Borrowed(*s),
            Cow::Owned(s) => Cow::Owned(s.clone()),
        }
    };
    Syllable { exact, folded, accented }
}

/// An unknown ASCII syllable read as telex or with two letters swapped, when that gives a
/// syllable of the rules.
fn repair(s: &str, rules: &Rules) -> Option<String> {
    if !s.is_ascii() {
        return undouble_accented(s, rules);
    }
    if !s.bytes().all(|b| b.is_ascii_lowercase()) || rules.vocabulary_folded.contains(s) {
        return None;
    }
    if let Some(t) = telex(s).filter(|t| rules.vocabulary_exact.contains(t)) {
        return Some(t);
    }
    if let Some(t) = tone_inside(s) {
        // "dasnh": the stroke of "đ" forgotten as well.
        let stroked = t.strip_prefix('d').map(|rest| format!("đ{rest}"));
        if let Some(t) = [Some(t), stroked].into_iter().flatten().find(|t| rules.vocabulary_exact.contains(t)) {
            return Some(t);
        }
    }
    let bytes = s.as_bytes();
    let undoubled = (1..bytes.len()).filter(|&i| bytes[i] == bytes[i - 1]).find_map(|i| {
        let mut shorter = s.to_owned();
        shorter.remove(i);
        rules.vocabulary_folded.contains(&shorter).then_some(shorter)
    });
    if undoubled.is_some() {
        return undoubled;
    }
    if s.len() < MIN_SWAP_LEN {
        return None;
    }
    (0..bytes.len() - 1).find_map(|i| {
        let mut swapped = bytes.to_vec();
        swapped.swap(i, i + 1);
        let swapped = String::from_utf8(swapped).ok()?;
        rules.vocabulary_folded.contains(&swapped).then_some(swapped)
    })
}

/// An unknown syllable typed with diacritics and "d" for "đ" ("dánh", "dâm": the tone typed,
/// the stroke forgotten), or with one letter doubled ("cháyy", "rồii"), read as the syllable of
/// the rules that gives.
fn undouble_accented(s: &str, rules: &Rules) -> Option<String> {
    if rules.vocabulary_exact.contains(s) {
        return None;
    }
    if let Some(t) = tone_inside(s).filter(|t| rules.vocabulary_exact.contains(t)) {
        return Some(t);
    }
    if let Some(rest) = s.strip_prefix('d') {
        let stroked = format!("đ{rest}");
        if rules.vocabulary_exact.contains(&stroked) {
            return Some(stroked);
        }
    }
    let chars: Vec<char> = s.chars().collect();
    let base = |c: char| fold_syllable(c.encode_utf8(&mut [0; 4]));
    (1..chars.len()).filter(|&i| base(chars[i]) == base(chars[i - 1])).find_map(|i| {
        [i, i - 1].into_iter().find_map(|drop| {
            let shorter: String = chars.iter().enumerate().filter(|&(j, _)| j != drop).map(|(_, c)| *c).collect();
            let shorter = canonical_syllable(&shorter);
            rules.vocabulary_exact.contains(&shorter).then_some(shorter)
        })
    })
}

/// A syllable with a telex tone letter typed inside it, between its vowel and its final
/// consonants ("đasnh", "dasnh" are "đánh"; blind set D), read as telex with the letter at the
/// end. `None` when no such letter stands there.
fn tone_inside(s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let is_vowel = |c: char| "aăâeêioôơuưy".contains(c);
    let i = (1..chars.len().saturating_sub(1)).find(|&i| {
        "sfrxj".contains(chars[i]) && is_vowel(chars[i - 1]) && chars[i + 1..].iter().all(|c| "cghmnpt".contains(*c))
    })?;
    let mut moved: String = chars.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, c)| *c).collect();
    moved.push(chars[i]);
    telex(&moved)
}

/// A syllable typed in telex without the input method: "chays" → "cháy", "ngaats" → "ngất",
/// "cuwus" → "cứu", "ddang" → "đang". `None` when it has no telex marks.
fn telex(s: &str) -> Option<String> {
    let mut chars: Vec<char> = s.chars().collect();
    let tone = match chars.last() {
        Some('s') => Some('\u{301}'),
        Some('f') => Some('\u{300}'),
        Some('r') => Some('\u{309}'),
        Some('x') => Some('\u{303}'),
        Some('j') => Some('\u{323}'),
        _ => None,
    };
    if tone.is_some() && chars.len() >= 2 {
        chars.pop();
    }
    let mut marked = false;
    let mut word: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let pair = (chars[i], chars.get(i + 1).copied());
        let replaced = match pair {
            ('d', Some('d')) => Some('đ'),
            ('a', Some('a')) => Some('â'),
            ('a', Some('w')) => Some('ă'),
            ('e', Some('e')) => Some('ê'),
            ('o', Some('o')) => Some('ô'),
            ('o', Some('w')) => Some('ơ'),
            ('u', Some('w')) => Some('ư'),
            _ => None,
        };
        match replaced {
            Some(c) => {
                word.push(c);
                marked = true;
                i += 2;
            }
            None => {
                word.push(chars[i]);
                i += 1;
            }
        }
    }
    // "uow" is "ươ": the w marks both vowels.
    for j in 1..word.len() {
        if word[j] == 'ơ' && word[j - 1] == 'u' {
            word[j - 1] = 'ư';
        }
    }
    if tone.is_none() && !marked {
        return None;
    }
    if let Some(mark) = tone {
        let vowel = word
            .iter()
            .position(|c| matches!(c, 'a' | 'ă' | 'â' | 'e' | 'ê' | 'i' | 'o' | 'ô' | 'ơ' | 'u' | 'ư' | 'y'))?;
        word[vowel] = compose(word[vowel], mark)?;
    }
    Some(canonical_syllable(&word.into_iter().collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::telex;

    #[test]
    fn telex_marks_become_diacritics() {
        assert_eq!(telex("chays").as_deref(), Some("cháy"));
        assert_eq!(telex("nhaf").as_deref(), Some("nhà"));
        assert_eq!(telex("ngaats").as_deref(), Some("ngất"));
        assert_eq!(telex("cuwus").as_deref(), Some("cứu"));
        assert_eq!(telex("nguowif").as_deref(), Some("người"));
        assert_eq!(telex("ddang").as_deref(), Some("đang"));
        assert_eq!(telex("nha"), None);
    }

    #[test]
    fn a_tone_letter_typed_inside_the_syllable_is_read_as_telex() {
        assert_eq!(super::tone_inside("đasnh").as_deref(), Some("đánh"));
        assert_eq!(super::tone_inside("ddasnh").as_deref(), Some("đánh"));
        assert_eq!(super::tone_inside("nhanh"), None);
        assert_eq!(super::tone_inside("cháy"), None);
    }

    #[test]
    fn a_doubled_letter_typed_with_diacritics_is_undone() {
        let rules = super::super::rules::Rules::parse("[fire.sure]\ncháy\nrồi\n").unwrap();
        let typed = crate::normalize::canonical_syllable("cháyy");
        assert_eq!(super::undouble_accented(&typed, &rules).as_deref(), Some("cháy"));
        assert_eq!(super::undouble_accented("rồii", &rules).as_deref(), Some("rồi"));
        assert_eq!(super::undouble_accented("cháy", &rules), None);
        let rules = super::super::rules::Rules::parse("[violence.sure]\nđánh nhau\ndâm ô\n").unwrap();
        assert_eq!(super::undouble_accented("dánh", &rules).as_deref(), Some("đánh"));
        assert_eq!(super::undouble_accented("dâm", &rules), None);
    }
}
