//! Checking a category as the deployment's admin typed it (the category screen): every field at
//! once, with a Vietnamese message per problem, so a refused form changes nothing and says what
//! to fix. The result is a [`Category`] ready to store.
//!
//! Rules kept here: a key is 2–40 of `a-z 0-9 _` and unique; both names are required; a question
//! has its Vietnamese text; at most [`MAX_QUESTIONS`] questions of at most [`MAX_CHOICES`]
//! choices; no text carries markup (`<`, `>`) or direction overrides; a question keeps its code
//! once made (stored answers and Open311 clients name it), a new one gets a code from its text.

use super::category::{Category, HandlingLevel, Question, Sensitivity, valid_key};
use crate::input::{FieldErrors, InvalidInput, text_field};

/// At most this many extra questions per category (each is a step of the chat flow).
pub const MAX_QUESTIONS: usize = 6;
/// At most this many choices per question (the chat lists them by number).
pub const MAX_CHOICES: usize = 12;
/// Longest category name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest question text, in characters.
pub const MAX_QUESTION_CHARS: usize = 200;
/// The longest legal clock a category may carry: 2 months (Criminal Procedure Code 2015
/// art. 147: 20 days, extendable up to 2 months).
pub const MAX_LEGAL_DAYS: u16 = 60;

/// One extra question as the form sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionDraft {
    /// The stored code of an existing question; empty for a new one.
    pub code: String,
    pub label_vi: String,
    pub label_en: String,
    pub required: bool,
    /// One choice per line, `code | label` or just the label; empty for a free-text answer.
    pub choices: String,
}

/// A category as the form sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryDraft {
    pub key: String,
    pub label_vi: String,
    pub label_en: String,
    pub sensitivity: String,
    pub handling: String,
    pub urgent: bool,
    /// Days of the legal clock; empty for none.
    pub legal_days: String,
    pub questions: Vec<QuestionDraft>,
}

impl CategoryDraft {
    /// The form's values for an existing category.
    pub fn of(c: &Category) -> CategoryDraft {
        CategoryDraft {
            key: c.key.clone(),
            label_vi: c.label_vi.clone(),
            label_en: c.label_en.clone(),
            sensitivity: c.sensitivity.as_str().into(),
            handling: c.handling.as_str().into(),
            urgent: c.urgent,
            legal_days: c.legal_days.map(|d| d.to_string()).unwrap_or_default(),
            questions: c
                .questions
                .iter()
                .map(|q| QuestionDraft {
                    code: q.code.clone(),
                    label_vi: q.label_vi.clone(),
                    label_en: q.label_en.clone(),
                    required: q.required,
                    choices: q.choices.iter().map(|(k, v)| format!("{k} | {v}")).collect::<Vec<_>>().join("\n"),
                })
                .collect(),
        }
    }
}

/// Whether a new category is made or an existing one changed (its key is then fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editing<'a> {
    New { existing_keys: &'a [String] },
    Existing { key: &'a str },
}

/// Text that must not carry markup or hidden direction changes (a name is shown in the chat,
/// in Zalo messages and through Open311, where nobody escapes it for us).
fn plain(field: &'static str, value: &str, max: usize, required: bool) -> Result<String, InvalidInput> {
    let text = text_field(field, value, max, required)?;
    if text.contains(['<', '>']) || text.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
    {
        return Err(InvalidInput::new(
            field,
            "Không được dùng ký tự < > hoặc ký tự đảo chiều chữ.",
            "The characters < > and direction overrides are not allowed.",
        ));
    }
    if text.contains('\n') {
        return Err(InvalidInput::new(field, "Vui lòng viết trên một dòng.", "Please write it on one line."));
    }
    Ok(text)
}

/// A code made from a question's text: folded, words joined by `_`, at most 40 characters.
fn code_from(text: &str) -> String {
    let folded = caunoi_text::normalize::fold(text);
    let mut code = String::new();
    for w in folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if code.len() + w.len() + 1 > 40 {
            break;
        }
        if !code.is_empty() {
            code.push('_');
        }
        code.push_str(&w.to_ascii_lowercase());
    }
    if code.len() < 2 { "q".into() } else { code }
}

/// Makes `base` unique among `taken` by a numeric suffix.
fn unique(base: String, taken: &[String]) -> String {
    if !taken.contains(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}_{n}")).find(|c| !taken.contains(c)).unwrap_or(base)
}

fn check_choices(n: usize, raw: &str, errs: &mut FieldErrors) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (code, label) = match line.split_once('|') {
            Some((c, l)) => (c.trim().to_string(), l.trim()),
            None => (String::new(), line),
        };
        let label = match plain("questions", label, MAX_NAME_CHARS, true) {
            Ok(l) => l,
            Err(_) => {
                errs.push(InvalidInput::new(
                    "questions",
                    format!("Câu hỏi {n}: lựa chọn «{line}» không hợp lệ (trống, quá {MAX_NAME_CHARS} ký tự hoặc có ký tự < >)."),
                    format!("Question {n}: the choice “{line}” is not valid (empty, over {MAX_NAME_CHARS} characters or with < >)."),
                ));
                continue;
            }
        };
        if !code.is_empty() && !valid_key(&code) {
            errs.push(InvalidInput::new(
                "questions",
                format!("Câu hỏi {n}: mã lựa chọn «{code}» chỉ được gồm chữ thường không dấu, số và dấu _."),
                format!("Question {n}: the choice code “{code}” may only hold lowercase letters, digits and _."),
            ));
            continue;
        }
        let taken: Vec<String> = out.iter().map(|(k, _)| k.clone()).collect();
        let code = if code.is_empty() { unique(code_from(&label), &taken) } else { code };
        if taken.contains(&code) {
            errs.push(InvalidInput::new(
                "questions",
                format!("Câu hỏi {n}: mã lựa chọn «{code}» bị trùng."),
                format!("Question {n}: the choice code “{code}” is used twice."),
            ));
            continue;
        }
        out.push((code, label));
    }
    if out.len() > MAX_CHOICES {
        errs.push(InvalidInput::new(
            "questions",
            format!("Câu hỏi {n}: tối đa {MAX_CHOICES} lựa chọn."),
            format!("Question {n}: at most {MAX_CHOICES} choices."),
        ));
    }
    out
}

/// Checks a draft; all problems at once.
pub fn check_category(draft: &CategoryDraft, editing: Editing<'_>) -> Result<Category, FieldErrors> {
    let mut errs = FieldErrors::default();
    let key = match editing {
        Editing::Existing { key } => key.to_string(),
        Editing::New { existing_keys } => {
            let key = draft.key.trim().to_string();
            if !valid_key(&key) {
                errs.push(InvalidInput::new(
                    "key",
                    "Mã loại tin báo gồm 2–40 ký tự: chữ thường không dấu, số và dấu _ (ví dụ: chay_rung).",
                    "The category code is 2–40 characters: lowercase letters, digits and _ (e.g. forest_fire).",
                ));
            } else if existing_keys.contains(&key) {
                errs.push(InvalidInput::new(
                    "key",
                    format!("Mã «{key}» đã có loại tin báo khác dùng. Vui lòng chọn mã khác."),
                    format!("The code “{key}” is already used by another category. Please choose another."),
                ));
            }
            key
        }
    };
    let label_vi = errs.take(plain("label_vi", &draft.label_vi, MAX_NAME_CHARS, true));
    let label_en = errs.take(plain("label_en", &draft.label_en, MAX_NAME_CHARS, true));
    let sensitivity = Sensitivity::parse(&draft.sensitivity);
    if sensitivity.is_none() {
        errs.push(InvalidInput::new("sensitivity", "Vui lòng chọn mức độ nhạy cảm.", "Please choose a sensitivity."));
    }
    let handling = HandlingLevel::parse(&draft.handling);
    if handling.is_none() {
        errs.push(InvalidInput::new(
            "handling",
            "Vui lòng chọn cấp xử lý mặc định.",
            "Please choose a handling level.",
        ));
    }
    let legal_days = match draft.legal_days.trim() {
        "" => None,
        raw => {
            match raw.parse::<u16>() {
                Ok(d) if (1..=MAX_LEGAL_DAYS).contains(&d) => Some(d),
                _ => {
                    errs.push(InvalidInput::new(
                    "legal_days",
                    format!("Thời hạn giải quyết là số ngày từ 1 đến {MAX_LEGAL_DAYS}, hoặc để trống nếu không áp dụng."),
                    format!("The legal deadline is a number of days from 1 to {MAX_LEGAL_DAYS}, or empty when none applies."),
                ));
                    None
                }
            }
        }
    };
    let drafts: Vec<&QuestionDraft> = draft
        .questions
        .iter()
        .filter(|q| !(q.label_vi.trim().is_empty() && q.label_en.trim().is_empty() && q.choices.trim().is_empty()))
        .collect();
    if drafts.len() > MAX_QUESTIONS {
        errs.push(InvalidInput::new(
            "questions",
            format!("Mỗi loại tin báo có tối đa {MAX_QUESTIONS} câu hỏi thêm; vui lòng bớt câu hỏi."),
            format!("A category has at most {MAX_QUESTIONS} extra questions; please remove some."),
        ));
    }
    let mut questions: Vec<Question> = Vec::new();
    for (i, q) in drafts.iter().enumerate() {
        let n = i + 1;
        let vi = match plain("questions", &q.label_vi, MAX_QUESTION_CHARS, true) {
            Ok(v) => Some(v),
            Err(_) if q.label_vi.trim().is_empty() => {
                errs.push(InvalidInput::new(
                    "questions",
                    format!("Câu hỏi {n} chưa có nội dung tiếng Việt."),
                    format!("Question {n} has no Vietnamese text."),
                ));
                None
            }
            Err(_) => {
                errs.push(InvalidInput::new(
                    "questions",
                    format!("Câu hỏi {n}: nội dung quá {MAX_QUESTION_CHARS} ký tự, nhiều dòng hoặc có ký tự < >."),
                    format!(
                        "Question {n}: the text is over {MAX_QUESTION_CHARS} characters, on several lines or has < >."
                    ),
                ));
                None
            }
        };
        let en = match plain("questions", &q.label_en, MAX_QUESTION_CHARS, false) {
            Ok(e) => e,
            Err(_) => {
                errs.push(InvalidInput::new(
                    "questions",
                    format!("Câu hỏi {n}: nội dung tiếng Anh quá dài hoặc có ký tự < >."),
                    format!("Question {n}: the English text is too long or has < >."),
                ));
                String::new()
            }
        };
        let choices = check_choices(n, &q.choices, &mut errs);
        let Some(vi) = vi else { continue };
        let taken: Vec<String> = questions.iter().map(|q| q.code.clone()).collect();
        let code = q.code.trim();
        let code = if valid_key(code) && !taken.iter().any(|t| t == code) {
            code.to_string()
        } else {
            unique(code_from(&vi), &taken)
        };
        let label_en = if en.is_empty() { vi.clone() } else { en };
        questions.push(Question { code, label_vi: vi, label_en, required: q.required, choices });
    }
    match (label_vi, label_en, sensitivity, handling) {
        (Some(label_vi), Some(label_en), Some(sensitivity), Some(handling)) if errs.is_empty() => {
            Ok(Category { key, label_vi, label_en, sensitivity, urgent: draft.urgent, legal_days, handling, questions })
        }
        _ => Err(errs),
    }
}

/// What changed between two versions of a category, as the audit log's detail
/// (`fields=label,sensitivity,questions`); empty when nothing did.
pub fn changed_fields(before: &Category, after: &Category) -> Vec<&'static str> {
    let mut out = Vec::new();
    if before.label_vi != after.label_vi || before.label_en != after.label_en {
        out.push("label");
    }
    if before.sensitivity != after.sensitivity {
        out.push("sensitivity");
    }
    if before.handling != after.handling {
        out.push("handling");
    }
    if before.urgent != after.urgent {
        out.push("urgent");
    }
    if before.legal_days != after.legal_days {
        out.push("legal_days");
    }
    if before.questions != after.questions {
        out.push("questions");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::default_categories;

    fn noise() -> Category {
        default_categories().into_iter().find(|c| c.key == "noise").unwrap()
    }

    #[test]
    fn an_unchanged_category_passes_the_check_as_it_was() {
        for c in default_categories() {
            let checked = check_category(&CategoryDraft::of(&c), Editing::Existing { key: &c.key });
            assert_eq!(checked.as_ref(), Ok(&c), "{}", c.key);
        }
    }

    #[test]
    fn an_empty_name_and_a_question_without_text_are_refused_together() {
        let mut d = CategoryDraft::of(&noise());
        d.label_vi = "  ".into();
        d.questions.push(QuestionDraft { label_en: "Plate?".into(), ..Default::default() });
        let errs = check_category(&d, Editing::Existing { key: "noise" }).unwrap_err();
        assert!(errs.for_field("label_vi").is_some());
        let q = errs.0.iter().find(|e| e.field == "questions").unwrap();
        assert_eq!(q.message.vi, "Câu hỏi 2 chưa có nội dung tiếng Việt.");
    }

    #[test]
    fn a_duplicate_or_malformed_key_is_refused_for_a_new_category() {
        let keys = vec!["noise".to_string()];
        let mut d = CategoryDraft::of(&noise());
        let errs = check_category(&d, Editing::New { existing_keys: &keys }).unwrap_err();
        assert!(errs.for_field("key").unwrap().vi.contains("đã có loại tin báo khác dùng"));
        d.key = "Chay Rung".into();
        assert!(check_category(&d, Editing::New { existing_keys: &keys }).unwrap_err().for_field("key").is_some());
        d.key = "forest_fire".into();
        assert_eq!(check_category(&d, Editing::New { existing_keys: &keys }).unwrap().key, "forest_fire");
    }

    #[test]
    fn markup_and_direction_overrides_are_refused() {
        let mut d = CategoryDraft::of(&noise());
        d.label_vi = "<script>alert(1)</script>".into();
        assert!(check_category(&d, Editing::Existing { key: "noise" }).is_err());
        d.label_vi = "Ồn ào\u{202E}".into();
        assert!(check_category(&d, Editing::Existing { key: "noise" }).is_err());
    }

    #[test]
    fn too_many_questions_are_refused() {
        let mut d = CategoryDraft::of(&noise());
        for i in 0..MAX_QUESTIONS {
            d.questions.push(QuestionDraft { label_vi: format!("Câu hỏi số {i}?"), ..Default::default() });
        }
        let errs = check_category(&d, Editing::Existing { key: "noise" }).unwrap_err();
        assert!(errs.for_field("questions").unwrap().vi.contains("tối đa 6 câu hỏi"));
    }

    #[test]
    fn a_new_question_gets_a_code_from_its_text_and_old_codes_stay() {
        let mut d = CategoryDraft::of(&noise());
        d.questions.push(QuestionDraft {
            label_vi: "Biển số xe?".into(),
            required: true,
            choices: "Xe máy\ncar | Ô tô".into(),
            ..Default::default()
        });
        let c = check_category(&d, Editing::Existing { key: "noise" }).unwrap();
        assert_eq!(c.questions[0].code, "source");
        assert_eq!(c.questions[1].code, "bien_so_xe");
        assert_eq!(c.questions[1].label_en, "Biển số xe?", "an empty English text falls back to Vietnamese");
        assert_eq!(c.questions[1].choices, vec![("xe_may".into(), "Xe máy".into()), ("car".into(), "Ô tô".into())]);
        assert!(c.questions[1].required);
    }

    #[test]
    fn legal_days_are_one_to_sixty_or_none() {
        let mut d = CategoryDraft::of(&noise());
        d.legal_days = "20".into();
        assert_eq!(check_category(&d, Editing::Existing { key: "noise" }).unwrap().legal_days, Some(20));
        d.legal_days = "61".into();
        assert!(check_category(&d, Editing::Existing { key: "noise" }).unwrap_err().for_field("legal_days").is_some());
    }

    #[test]
    fn changed_fields_name_what_changed() {
        let before = noise();
        let mut after = before.clone();
        after.sensitivity = Sensitivity::Sensitive;
        after.questions.clear();
        assert_eq!(changed_fields(&before, &after), vec!["sensitivity", "questions"]);
    }
}

// ---- The order citizens are offered the categories in ----

/// Which way the category screen moves a category in the list citizens choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
}

impl Move {
    pub fn as_str(self) -> &'static str {
        match self {
            Move::Up => "up",
            Move::Down => "down",
        }
    }
}

impl std::str::FromStr for Move {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "up" => Ok(Move::Up),
            "down" => Ok(Move::Down),
            _ => Err(InvalidInput::new(
                "order",
                "Hướng di chuyển không hợp lệ: chỉ có thể đưa lên hoặc đưa xuống.",
                "Not a direction: a category moves up or down only.",
            )),
        }
    }
}

/// A short fingerprint of the order of `keys` (FNV-1a, hex). The screen sends back the order it
/// showed; a move against another order is refused, so two admins moving at once never move a
/// category somewhere neither of them saw. Change detection, not a secret.
pub fn order_token<S: AsRef<str>>(keys: &[S]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for key in keys {
        for b in key.as_ref().bytes().chain(std::iter::once(b'\n')) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The order after moving `key` one place `way` in `order` (the stored order, whose
/// [`order_token`] must be `seen`), and the category's new place counted from 1.
pub fn move_in_order(order: &[String], seen: &str, key: &str, way: Move) -> Result<(Vec<String>, usize), InvalidInput> {
    let Some(at) = order.iter().position(|k| k == key) else {
        return Err(InvalidInput::new(
            "order",
            "Không có loại tin báo này nên thứ tự không đổi. Hãy tải lại danh sách.",
            "There is no such category, so the order did not change. Reload the list.",
        ));
    };
    if order_token(order) != seen.trim() {
        return Err(InvalidInput::new(
            "order",
            "Thứ tự vừa được thay đổi ở nơi khác nên chưa di chuyển gì. Hãy xem thứ tự mới dưới đây rồi thử lại.",
            "The order was changed elsewhere meanwhile, so nothing moved. Look at the new order below and try again.",
        ));
    }
    let to = match way {
        Move::Up if at == 0 => {
            return Err(InvalidInput::new(
                "order",
                "Loại tin báo này đã ở đầu danh sách.",
                "This category is already first.",
            ));
        }
        Move::Down if at + 1 == order.len() => {
            return Err(InvalidInput::new(
                "order",
                "Loại tin báo này đã ở cuối danh sách.",
                "This category is already last.",
            ));
        }
        Move::Up => at - 1,
        Move::Down => at + 1,
    };
    let mut next = order.to_vec();
    next.swap(at, to);
    Ok((next, to + 1))
}

#[cfg(test)]
mod order_tests {
    use super::*;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_category_moves_one_place_against_the_order_it_was_seen_in() {
        let order = keys(&["fire", "theft", "noise"]);
        let seen = order_token(&order);
        let (next, place) = move_in_order(&order, &seen, "noise", Move::Up).unwrap();
        assert_eq!((next, place), (keys(&["fire", "noise", "theft"]), 2));
        let (next, place) = move_in_order(&order, &seen, "fire", Move::Down).unwrap();
        assert_eq!((next, place), (keys(&["theft", "fire", "noise"]), 2));
    }

    #[test]
    fn a_stale_order_an_unknown_key_and_the_ends_are_refused() {
        let order = keys(&["fire", "theft", "noise"]);
        let seen = order_token(&order);
        let stale = order_token(&keys(&["theft", "fire", "noise"]));
        assert_ne!(seen, stale);
        let e = move_in_order(&order, &stale, "noise", Move::Up).unwrap_err();
        assert!(e.message.get(crate::input::Lang::Vi).contains("thay đổi ở nơi khác"), "{e}");
        let e = move_in_order(&order, &seen, "drugs", Move::Up).unwrap_err();
        assert!(e.message.get(crate::input::Lang::Vi).contains("Không có loại tin báo này"), "{e}");
        assert!(move_in_order(&order, &seen, "fire", Move::Up).is_err());
        assert!(move_in_order(&order, &seen, "noise", Move::Down).is_err());
        assert!("sideways".parse::<Move>().is_err());
        assert_eq!(" up ".parse::<Move>().unwrap(), Move::Up);
    }

    #[test]
    fn the_token_tells_orders_apart_not_only_sets() {
        assert_ne!(order_token(&keys(&["ab", "c"])), order_token(&keys(&["a", "bc"])));
        assert_eq!(order_token(&keys(&["a", "b"])), order_token(&["a", "b"]));
    }
}
