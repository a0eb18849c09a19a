//! Property tests of the normalizer: never panics, idempotent, folding reaches ASCII, and the
//! tone mark's position inside a syllable does not matter.

use caunoi_text::normalize::{MAX_INPUT_BYTES, analyze, fold, mask_personal_data, normalize};
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

/// Vietnamese-looking text: syllables from real letters (with all marks), spaces, digits,
/// punctuation and a sprinkle of emoji and combining marks.
fn vietnamese_text() -> BoxedStrategy<String> {
    proptest::string::string_regex(
        "([a-zđăâêôơưáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐĂÂÊÔƠƯ0-9]{1,7}[ ,.?!😀\u{0301}\u{0300}]{0,2}){0,12}",
    )
    .map(|s| s.boxed())
    .unwrap_or_else(|_| Just(String::new()).boxed())
}

const TONES: [char; 5] = ['\u{0301}', '\u{0300}', '\u{0309}', '\u{0303}', '\u{0323}'];

proptest! {
    #[test]
    fn normalize_never_panics_on_any_string(s in any::<String>()) {
        let _ = normalize(&s);
        let _ = fold(&s);
        let _ = mask_personal_data(&s);
    }

    #[test]
    fn normalize_is_idempotent(s in any::<String>()) {
        let once = normalize(&s);
        prop_assert_eq!(normalize(&once), once.clone());
        prop_assert!(once.len() <= MAX_INPUT_BYTES);
    }

    #[test]
    fn normalize_is_idempotent_on_vietnamese(s in vietnamese_text()) {
        let once = normalize(&s);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn fold_has_no_diacritics(s in vietnamese_text()) {
        let folded = fold(&s);
        prop_assert!(folded.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' '), "{}", folded);
    }

    #[test]
    fn fold_of_anything_has_no_vietnamese_marks(s in any::<String>()) {
        let folded = fold(&s);
        let combining = '\u{0300}'..='\u{036F}';
        prop_assert!(!folded.nfd().any(|c| combining.contains(&c)));
        prop_assert!(!folded.contains('đ'));
    }

    /// Put one tone mark on any vowel of a toneless syllable: normalization gives the same
    /// text whichever vowel carried it.
    #[test]
    fn tone_placement_does_not_matter(
        syllable in "(ng|th|kh|h|t|qu|gi|l|x)?(oa|oe|uy|ua|ia|ai|oai|uya|ưa|ươ|iê|uô|ay|ao)(n|ng|c|t|i|u)?",
        tone in 0usize..5,
    ) {
        let chars: Vec<char> = syllable.chars().collect();
        let vowel_positions: Vec<usize> = chars
            .iter()
            .enumerate()
            .filter(|(_, c)| "aeiouyăâêôơư".contains(**c))
            .map(|(i, _)| i)
            .collect();
        let forms: Vec<String> = vowel_positions
            .iter()
            .map(|&p| {
                let mut s = String::new();
                for (i, c) in chars.iter().enumerate() {
                    s.push(*c);
                    if i == p {
                        s.push(TONES[tone]);
                    }
                }
                normalize(&s)
            })
            .collect();
        for f in &forms {
            prop_assert_eq!(f, &forms[0]);
        }
    }

    #[test]
    fn analysis_counts_are_consistent(s in any::<String>()) {
        let a = analyze(&s);
        prop_assert!(a.syllables.iter().all(|w| !w.is_empty() && !w.contains(' ')));
    }
}
