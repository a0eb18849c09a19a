//! Knowledge base (cơ sở tri thức): the FAQ entries the bot answers from.
//!
//! What lives here: the entry type matching `kb/kb_seed.json`, its validated import
//! ([`parse_kb_json`]: every entry is checked and a malformed file imports nothing) and export
//! ([`to_kb_json`], which round-trips), filling a unit's placeholders into an answer
//! ([`fill_placeholders`]), splitting an answer for Zalo's 2,000-character limit
//! ([`split_for_zalo`]), per-unit overrides as a pure merge ([`merge_overrides`]) and the
//! conversion to the matcher's documents ([`to_faq_docs`], [`build_matcher`]).
//! Storage, the officer's editing screens and the bot's conversation live in the app.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use caunoi_text::abbrev::Abbreviations;
use caunoi_text::eval::{EvalReport, Question, evaluate};
use caunoi_text::matcher::{FaqDoc, Matcher, MatcherConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Zalo's limit for one text message, in characters.
pub const ZALO_MESSAGE_LIMIT: usize = 2000;

/// The id of a knowledge-base entry (mã mục), e.g. "cu-tru.tam-tru.dang-ky": 1–100 characters
/// from `a-z`, `0-9`, `.`, `-`, `_`, starting and ending with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntryId(String);

impl EntryId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for EntryId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_');
        let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if s.is_empty() {
            Err("mã mục đang trống".to_owned())
        } else if s.chars().count() > 100 {
            Err("mã mục dài quá 100 ký tự".to_owned())
        } else if !s.chars().all(ok_char) || !ends_ok(s.chars().next()) || !ends_ok(s.chars().last()) {
            Err("mã mục chỉ gồm chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới và phải bắt đầu, kết thúc bằng chữ hoặc số".to_owned())
        } else {
            Ok(Self(s.to_owned()))
        }
    }
}

impl TryFrom<String> for EntryId {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<EntryId> for String {
    fn from(id: EntryId) -> String {
        id.0
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One knowledge-base entry, as in `kb_seed.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbEntry {
    /// Stable id.
    pub id: EntryId,
    /// Category shown to officers ("Căn cước", "Cư trú" …).
    pub category: String,
    /// Short title, also shown as a clarification button.
    pub title: String,
    /// Paraphrase questions in citizens' style (at least one).
    pub questions: Vec<String>,
    /// The answer, with `{{PLACEHOLDER}}`s the unit fills ([`Placeholder`]).
    pub answer: String,
    /// Legal basis, one reference per item.
    pub legal_basis: Vec<String>,
    /// Sources (http/https URLs).
    pub source_urls: Vec<String>,
    /// Whether every detail was checked against a source.
    pub verified: bool,
    /// What could not be checked, for officers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl KbEntry {
    /// The entry as the matcher indexes it.
    pub fn to_faq_doc(&self) -> FaqDoc {
        FaqDoc {
            id: self.id.to_string(),
            title: self.title.clone(),
            questions: self.questions.clone(),
            answer: self.answer.clone(),
            referral: caunoi_text::matcher::is_referral(&self.category, self.id.as_str()),
        }
    }
}

/// Why a knowledge-base file was rejected. Messages are in Vietnamese for the officer who
/// imports the file; `index` is 0-based in the JSON array (shown 1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KbImportError {
    /// The text is not JSON, or not an array.
    #[error("tệp không đúng định dạng JSON của cơ sở tri thức: {0}")]
    Format(String),
    /// The JSON is not an array.
    #[error("tệp không đúng định dạng JSON của cơ sở tri thức: cần một danh sách (mảng JSON) các mục")]
    NotAList,
    /// An entry has a missing or invalid field.
    #[error("mục thứ {} (mã \"{id}\"), trường \"{field}\": {problem}", .index + 1)]
    InvalidField {
        /// Position in the array (0-based).
        index: usize,
        /// The entry's id as written (may be empty or invalid itself).
        id: String,
        /// The field name.
        field: String,
        /// What is wrong.
        problem: FieldProblem,
    },
    /// Two entries share an id.
    #[error("mục thứ {} (mã \"{id}\"): mã bị trùng với mục thứ {}", .index + 1, .first_index + 1)]
    DuplicateId {
        /// Position of the second entry (0-based).
        index: usize,
        /// The id.
        id: String,
        /// Position of the first entry with that id (0-based).
        first_index: usize,
    },
}

/// What is wrong with one field of an entry, told in Vietnamese (the console's import) or in
/// English (the command line, whose every message is English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// A required text is empty.
    Empty,
    /// Not a string.
    NotText,
    /// The field is absent.
    Missing,
    /// Not a list of strings.
    NotList,
    /// The list's item (0-based) is empty.
    ItemEmpty(usize),
    /// The list's item (0-based) is not a string.
    ItemNotText(usize),
    /// The entry itself is not a JSON object.
    NotObject,
    /// A field name the format does not have.
    UnknownField,
    /// The id is not a valid entry id.
    BadId,
    /// The title is longer than 200 characters.
    TitleTooLong,
    /// No question.
    NoQuestions,
    /// The answer uses a placeholder that does not exist.
    UnknownPlaceholder(String),
    /// A source URL is not an http(s) address.
    BadUrl(String),
    /// Not `true` or `false`.
    NotBool,
    /// Neither a string nor null.
    NotTextOrNull,
}

impl FieldProblem {
    /// The problem in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            FieldProblem::Empty => "đang trống".into(),
            FieldProblem::NotText => "phải là một chuỗi ký tự".into(),
            FieldProblem::Missing => "bị thiếu".into(),
            FieldProblem::NotList => "phải là một danh sách chuỗi".into(),
            FieldProblem::ItemEmpty(i) => format!("phần tử thứ {} đang trống", i + 1),
            FieldProblem::ItemNotText(i) => format!("phần tử thứ {} phải là chuỗi", i + 1),
            FieldProblem::NotObject => "mỗi mục phải là một đối tượng JSON".into(),
            FieldProblem::UnknownField => "trường không được hỗ trợ (kiểm tra lỗi chính tả tên trường)".into(),
            FieldProblem::BadId => "mã mục chỉ gồm chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới, \
                                    dài tối đa 100 ký tự, bắt đầu và kết thúc bằng chữ hoặc số"
                .into(),
            FieldProblem::TitleTooLong => "dài quá 200 ký tự".into(),
            FieldProblem::NoQuestions => "cần ít nhất một câu hỏi".into(),
            FieldProblem::UnknownPlaceholder(p) => format!("chỗ điền \"{p}\" không được hỗ trợ"),
            FieldProblem::BadUrl(u) => format!("\"{u}\" không phải địa chỉ http(s) hợp lệ"),
            FieldProblem::NotBool => "phải là true hoặc false".into(),
            FieldProblem::NotTextOrNull => "phải là chuỗi hoặc null".into(),
        }
    }

    /// The problem in English.
    pub fn en(&self) -> String {
        match self {
            FieldProblem::Empty => "is empty".into(),
            FieldProblem::NotText => "must be a string".into(),
            FieldProblem::Missing => "is missing".into(),
            FieldProblem::NotList => "must be a list of strings".into(),
            FieldProblem::ItemEmpty(i) => format!("item {} is empty", i + 1),
            FieldProblem::ItemNotText(i) => format!("item {} must be a string", i + 1),
            FieldProblem::NotObject => "each entry must be a JSON object".into(),
            FieldProblem::UnknownField => "is not a field of the format (check its spelling)".into(),
            FieldProblem::BadId => "an id has lowercase letters without diacritics, digits, '.', '-' and '_', \
                                    at most 100 characters, starting and ending with a letter or digit"
                .into(),
            FieldProblem::TitleTooLong => "is longer than 200 characters".into(),
            FieldProblem::NoQuestions => "needs at least one question".into(),
            FieldProblem::UnknownPlaceholder(p) => format!("the placeholder \"{p}\" does not exist"),
            FieldProblem::BadUrl(u) => format!("\"{u}\" is not an http(s) address"),
            FieldProblem::NotBool => "must be true or false".into(),
            FieldProblem::NotTextOrNull => "must be a string or null".into(),
        }
    }
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.vi())
    }
}

const FIELDS: [&str; 9] =
    ["id", "category", "title", "questions", "answer", "legal_basis", "source_urls", "verified", "notes"];

struct EntryReader<'a> {
    index: usize,
    id: String,
    obj: &'a Map<String, Value>,
}

impl EntryReader<'_> {
    fn error(&self, field: &str, problem: FieldProblem) -> KbImportError {
        KbImportError::InvalidField { index: self.index, id: self.id.clone(), field: field.to_owned(), problem }
    }

    fn text(&self, field: &str, required: bool) -> Result<String, KbImportError> {
        match self.obj.get(field) {
            Some(Value::String(s)) if required && s.trim().is_empty() => Err(self.error(field, FieldProblem::Empty)),
            Some(Value::String(s)) => Ok(s.trim().to_owned()),
            Some(_) => Err(self.error(field, FieldProblem::NotText)),
            None => Err(self.error(field, FieldProblem::Missing)),
        }
    }

    fn list(&self, field: &str) -> Result<Vec<String>, KbImportError> {
        let Some(value) = self.obj.get(field) else {
            return Err(self.error(field, FieldProblem::Missing));
        };
        let Value::Array(items) = value else {
            return Err(self.error(field, FieldProblem::NotList));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                Value::String(_) => Err(self.error(field, FieldProblem::ItemEmpty(i))),
                _ => Err(self.error(field, FieldProblem::ItemNotText(i))),
            })
            .collect()
    }
}

fn looks_like_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    !url.chars().any(char::is_whitespace)
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

fn read_entry(index: usize, value: &Value) -> Result<KbEntry, KbImportError> {
    let Value::Object(obj) = value else {
        return Err(KbImportError::InvalidField {
            index,
            id: String::new(),
            field: "(mục)".to_owned(),
            problem: FieldProblem::NotObject,
        });
    };
    let raw_id = obj.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
    let r = EntryReader { index, id: raw_id, obj };
    if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(r.error(unknown, FieldProblem::UnknownField));
    }
    let id: EntryId = r.text("id", true)?.parse().map_err(|_: String| r.error("id", FieldProblem::BadId))?;
    let category = r.text("category", true)?;
    let title = r.text("title", true)?;
    if title.chars().count() > 200 {
        return Err(r.error("title", FieldProblem::TitleTooLong));
    }
    let questions = r.list("questions")?;
    if questions.is_empty() {
        return Err(r.error("questions", FieldProblem::NoQuestions));
    }
    let answer = r.text("answer", true)?;
    if let Some(unknown) = unknown_placeholder(&answer) {
        return Err(r.error("answer", FieldProblem::UnknownPlaceholder(unknown.to_string())));
    }
    let legal_basis = r.list("legal_basis")?;
    let source_urls = r.list("source_urls")?;
    if let Some(bad) = source_urls.iter().find(|u| !looks_like_url(u)) {
        return Err(r.error("source_urls", FieldProblem::BadUrl(bad.clone())));
    }
    let verified = match obj.get("verified") {
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(r.error("verified", FieldProblem::NotBool)),
        None => return Err(r.error("verified", FieldProblem::Missing)),
    };
    let notes = match obj.get("notes") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(_) => return Err(r.error("notes", FieldProblem::NotTextOrNull)),
    };
    Ok(KbEntry { id, category, title, questions, answer, legal_basis, source_urls, verified, notes })
}

/// Parses and validates a knowledge-base file (a JSON array of entries). Every entry must
/// have a valid, unique id, a category, a title, at least one question, an answer whose
/// placeholders are known, http(s) source URLs, and no unknown field. On the first problem
/// nothing is imported and the error names the entry (position and id) and the field.
pub fn parse_kb_json(text: &str) -> Result<Vec<KbEntry>, KbImportError> {
    let value: Value = serde_json::from_str(text).map_err(|e| KbImportError::Format(e.to_string()))?;
    let Value::Array(items) = value else {
        return Err(KbImportError::NotAList);
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut entries = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let entry = read_entry(index, item)?;
        if let Some(&first_index) = seen.get(entry.id.as_str()) {
            return Err(KbImportError::DuplicateId { index, id: entry.id.to_string(), first_index });
        }
        seen.insert(entry.id.to_string(), index);
        entries.push(entry);
    }
    Ok(entries)
}

/// Exports entries as a pretty-printed JSON array that [`parse_kb_json`] reads back equal.
pub fn to_kb_json(entries: &[KbEntry]) -> String {
    // Serializing strings, lists and booleans cannot fail; the fallback is unreachable.
    serde_json::to_string_pretty(entries).unwrap_or_else(|_| "[]".to_owned())
}

/// The placeholders an answer may contain, filled from the unit's page data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// `{{TEN_DON_VI}}`: the unit's name.
    UnitName,
    /// `{{DIA_CHI_DON_VI}}`: where dossiers are received.
    Address,
    /// `{{HOTLINE_DON_VI}}`: the 24/7 duty phone number.
    Hotline,
    /// `{{EMAIL_DON_VI}}`: the unit's email.
    Email,
    /// `{{GIO_LAM_VIEC}}`: opening hours for dossiers.
    WorkingHours,
    /// `{{LICH_TIEP_CONG_DAN}}`: the leaders' citizen reception schedule.
    ReceptionSchedule,
    /// `{{LINK_DAT_LICH}}`: the booking link.
    BookingLink,
    /// `{{LINK_KHAO_SAT}}`: the satisfaction survey link.
    SurveyLink,
}

impl Placeholder {
    /// Every placeholder.
    pub const ALL: [Placeholder; 8] = [
        Placeholder::UnitName,
        Placeholder::Address,
        Placeholder::Hotline,
        Placeholder::Email,
        Placeholder::WorkingHours,
        Placeholder::ReceptionSchedule,
        Placeholder::BookingLink,
        Placeholder::SurveyLink,
    ];

    /// The text written in answers, e.g. `{{TEN_DON_VI}}`.
    pub fn token(self) -> &'static str {
        match self {
            Placeholder::UnitName => "{{TEN_DON_VI}}",
            Placeholder::Address => "{{DIA_CHI_DON_VI}}",
            Placeholder::Hotline => "{{HOTLINE_DON_VI}}",
            Placeholder::Email => "{{EMAIL_DON_VI}}",
            Placeholder::WorkingHours => "{{GIO_LAM_VIEC}}",
            Placeholder::ReceptionSchedule => "{{LICH_TIEP_CONG_DAN}}",
            Placeholder::BookingLink => "{{LINK_DAT_LICH}}",
            Placeholder::SurveyLink => "{{LINK_KHAO_SAT}}",
        }
    }

    /// Neutral wording used when the unit has not filled this value yet, so a citizen never
    /// sees a raw `{{…}}`.
    pub fn fallback(self) -> &'static str {
        match self {
            Placeholder::UnitName => "đơn vị công an",
            Placeholder::Address => "trụ sở công an xã/phường nơi anh/chị cư trú",
            Placeholder::Hotline => "số điện thoại trực ban của công an xã/phường",
            Placeholder::Email => "email đăng trên trang thông tin của đơn vị",
            Placeholder::WorkingHours => "giờ hành chính các ngày làm việc",
            Placeholder::ReceptionSchedule => "lịch tiếp công dân niêm yết tại trụ sở đơn vị",
            Placeholder::BookingLink => {
                "ứng dụng VNeID hoặc Cổng Dịch vụ công quốc gia (chọn nơi và giờ hẹn khi nộp hồ sơ)"
            }
            Placeholder::SurveyLink => "phiếu góp ý tại trụ sở đơn vị",
        }
    }
}

fn unknown_placeholder(answer: &str) -> Option<String> {
    let mut rest = answer;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start..];
        let Some(end) = after.find("}}") else {
            return Some(after.chars().take(30).collect());
        };
        let token = &after[..end + 2];
        if !Placeholder::ALL.iter().any(|p| p.token() == token) {
            return Some(token.to_owned());
        }
        rest = &after[end + 2..];
    }
    None
}

/// A unit's values for the answer placeholders; `None` or blank uses [`Placeholder::fallback`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitPlaceholders {
    /// Tên đơn vị, e.g. "Công an phường Ba Đình, TP Hà Nội".
    pub unit_name: Option<String>,
    /// Địa chỉ trụ sở / điểm tiếp nhận hồ sơ.
    pub address: Option<String>,
    /// Đường dây nóng, trực ban 24/7.
    pub hotline: Option<String>,
    /// Email tiếp nhận.
    pub email: Option<String>,
    /// Giờ làm việc tiếp nhận hồ sơ.
    pub working_hours: Option<String>,
    /// Lịch tiếp công dân.
    pub reception_schedule: Option<String>,
    /// Đường dẫn đặt lịch hẹn.
    pub booking_link: Option<String>,
    /// Đường dẫn khảo sát.
    pub survey_link: Option<String>,
}

impl UnitPlaceholders {
    /// The unit's value for a placeholder, if filled.
    pub fn value(&self, p: Placeholder) -> Option<&str> {
        let v = match p {
            Placeholder::UnitName => &self.unit_name,
            Placeholder::Address => &self.address,
            Placeholder::Hotline => &self.hotline,
            Placeholder::Email => &self.email,
            Placeholder::WorkingHours => &self.working_hours,
            Placeholder::ReceptionSchedule => &self.reception_schedule,
            Placeholder::BookingLink => &self.booking_link,
            Placeholder::SurveyLink => &self.survey_link,
        };
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    /// Placeholders used in `answer` that this unit has not filled (for a console warning).
    pub fn missing_in(&self, answer: &str) -> Vec<Placeholder> {
        Placeholder::ALL.into_iter().filter(|p| answer.contains(p.token()) && self.value(*p).is_none()).collect()
    }
}

/// Replaces every known placeholder in `answer` with the unit's value (or its fallback).
pub fn fill_placeholders(answer: &str, unit: &UnitPlaceholders) -> String {
    let mut out = answer.to_owned();
    for p in Placeholder::ALL {
        if out.contains(p.token()) {
            out = out.replace(p.token(), unit.value(p).unwrap_or(p.fallback()));
        }
    }
    out
}

/// Splits `text` into messages of at most `max_chars` characters, only when it is longer:
/// at paragraph breaks first, then line breaks, then sentence ends, then spaces, and only as a
/// last resort inside a word. Parts are trimmed and never empty.
pub fn split_for_zalo(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    split_level(text, max_chars, 0, &mut out);
    out.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

/// Pieces of `text` ending after each separator of the given level (separators kept).
fn pieces(text: &str, level: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(pos, c)) in chars.iter().enumerate() {
        let next = chars.get(i + 1).map(|&(_, n)| n);
        let end = pos + c.len_utf8();
        let cut = match level {
            0 => c == '\n' && next == Some('\n'),
            1 => c == '\n',
            2 => matches!(c, '.' | '!' | '?' | ';' | '…') && next.is_none_or(char::is_whitespace),
            3 => c.is_whitespace(),
            _ => true,
        };
        if cut {
            // Keep following whitespace with this piece so the next one starts clean.
            let mut e = end;
            while let Some(w) = text[e..].chars().next().filter(|w| w.is_whitespace() && level != 0 && level != 1) {
                e += w.len_utf8();
            }
            if e > start && (level == 4 || !text[start..e].trim().is_empty()) {
                out.push(&text[start..e]);
                start = e;
            }
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn split_level(text: &str, max: usize, level: usize, out: &mut Vec<String>) {
    if text.chars().count() <= max {
        out.push(text.to_owned());
        return;
    }
    if level > 4 {
        out.push(text.to_owned());
        return;
    }
    let parts = pieces(text, level);
    if parts.len() <= 1 {
        split_level(text, max, level + 1, out);
        return;
    }
    let mut current = String::new();
    for part in parts {
        let part_len = part.chars().count();
        if current.chars().count() + part_len <= max {
            current.push_str(part);
            continue;
        }
        if !current.trim().is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.clear();
        if part_len > max {
            split_level(part, max, level + 1, out);
        } else {
            current.push_str(part);
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
}

/// Changes a unit makes to one base entry; `None` keeps the base value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryChanges {
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New answer (the usual local change: local address, local fee, local procedure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Paraphrases added to the base ones (local wording, place names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_questions: Vec<String>,
    /// New legal basis list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<Vec<String>>,
    /// New source list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_urls: Option<Vec<String>>,
    /// New verification flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// New notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A unit's override of the shared knowledge base.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum KbOverride {
    /// Change some fields of a base entry.
    Modify {
        /// The base entry.
        id: EntryId,
        /// What changes.
        changes: EntryChanges,
    },
    /// Do not answer from this entry in this unit.
    Hide {
        /// The base entry.
        id: EntryId,
    },
    /// A local entry; if its id exists in the base, it replaces that entry entirely.
    Add {
        /// The entry.
        entry: KbEntry,
    },
}

/// Applies a unit's overrides, in order, to the base entries. Base order is kept and added
/// entries follow in override order. An override naming an id that is not (or no longer) in
/// the base is skipped, so a base update never breaks a unit's knowledge base.
pub fn merge_overrides(base: &[KbEntry], overrides: &[KbOverride]) -> Vec<KbEntry> {
    let mut merged: Vec<Option<KbEntry>> = base.iter().cloned().map(Some).collect();
    let mut position: HashMap<EntryId, usize> = base.iter().enumerate().map(|(i, e)| (e.id.clone(), i)).collect();
    for o in overrides {
        match o {
            KbOverride::Modify { id, changes } => {
                if let Some(entry) = position.get(id).and_then(|&i| merged[i].as_mut()) {
                    apply_changes(entry, changes);
                }
            }
            KbOverride::Hide { id } => {
                if let Some(&i) = position.get(id) {
                    merged[i] = None;
                }
            }
            KbOverride::Add { entry } => match position.get(&entry.id) {
                Some(&i) => merged[i] = Some(entry.clone()),
                None => {
                    position.insert(entry.id.clone(), merged.len());
                    merged.push(Some(entry.clone()));
                }
            },
        }
    }
    merged.into_iter().flatten().collect()
}

fn apply_changes(entry: &mut KbEntry, c: &EntryChanges) {
    if let Some(t) = &c.title {
        entry.title.clone_from(t);
    }
    if let Some(a) = &c.answer {
        entry.answer.clone_from(a);
    }
    for q in &c.extra_questions {
        if !entry.questions.contains(q) {
            entry.questions.push(q.clone());
        }
    }
    if let Some(l) = &c.legal_basis {
        entry.legal_basis.clone_from(l);
    }
    if let Some(s) = &c.source_urls {
        entry.source_urls.clone_from(s);
    }
    if let Some(v) = c.verified {
        entry.verified = v;
    }
    if let Some(n) = &c.notes {
        entry.notes = Some(n.clone());
    }
}

impl KbImportError {
    /// What the reader reported, without the Vietnamese framing (for the command line, whose
    /// sentences are English): the JSON error for a malformed file, the whole message otherwise.
    pub fn detail(&self) -> String {
        match self {
            KbImportError::Format(e) => e.clone(),
            other => other.to_string(),
        }
    }

    /// The whole error in English, for the command line.
    pub fn english(&self) -> String {
        match self {
            KbImportError::Format(e) => format!("not a knowledge-base file (a JSON array of entries): {e}"),
            KbImportError::NotAList => "not a knowledge-base file: it must be a JSON array of entries".to_owned(),
            KbImportError::InvalidField { index, id, field, problem } => {
                let field = if field == "(mục)" { "(entry)" } else { field };
                format!("entry {} (id \"{id}\"), field \"{field}\": {}", index + 1, problem.en())
            }
            KbImportError::DuplicateId { index, id, first_index } => {
                format!("entry {} (id \"{id}\"): the id is already used by entry {}", index + 1, first_index + 1)
            }
        }
    }
}

/// The entries as matcher documents.
pub fn to_faq_docs(entries: &[KbEntry]) -> Vec<FaqDoc> {
    entries.iter().map(KbEntry::to_faq_doc).collect()
}

/// Builds the live matcher for a unit's merged entries.
pub fn build_matcher(entries: &[KbEntry], abbreviations: &Abbreviations, config: MatcherConfig) -> Matcher {
    Matcher::build(to_faq_docs(entries), abbreviations, config)
}

/// Reads a labelled question file (`[{text, expected, group}]`, as `kb/dev_questions.json`).
pub fn parse_questions_json(text: &str) -> Result<Vec<Question>, KbImportError> {
    serde_json::from_str(text).map_err(|e| KbImportError::Format(e.to_string()))
}

/// Evaluates the matcher built over `entries` on labelled questions (the library side of
/// `caunoi kb eval`).
pub fn evaluate_kb(
    entries: &[KbEntry],
    questions: &[Question],
    abbreviations: &Abbreviations,
    config: MatcherConfig,
) -> EvalReport {
    evaluate(&build_matcher(entries, abbreviations, config), questions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use caunoi_text::matcher::Decision;

    const SAMPLE: &str = r#"[
      {"id": "ho-chieu.le-phi", "category": "Hộ chiếu", "title": "Lệ phí làm hộ chiếu",
       "questions": ["làm hộ chiếu hết bao nhiêu tiền", "phí hộ chiếu"],
       "answer": "Lệ phí theo quy định. Liên hệ {{HOTLINE_DON_VI}}.",
       "legal_basis": ["Thông tư 25/2021/TT-BTC"], "source_urls": ["https://xuatnhapcanh.gov.vn/a"],
       "verified": true},
      {"id": "cu-tru.tam-tru.dang-ky", "category": "Cư trú", "title": "Đăng ký tạm trú",
       "questions": ["đăng ký tạm trú cần gì"], "answer": "Nộp hồ sơ tại {{DIA_CHI_DON_VI}}.",
       "legal_basis": [], "source_urls": [], "verified": false, "notes": "chưa đối chiếu"}
    ]"#;

    fn sample() -> Vec<KbEntry> {
        parse_kb_json(SAMPLE).unwrap_or_default()
    }

    fn with_field(field: &str, value: Value) -> String {
        let mut v: Value = serde_json::from_str(SAMPLE).unwrap_or(Value::Null);
        if let Some(obj) = v.get_mut(1).and_then(Value::as_object_mut) {
            obj.insert(field.to_owned(), value);
        }
        v.to_string()
    }

    fn invalid_field(text: &str) -> Option<(usize, String, String)> {
        match parse_kb_json(text) {
            Err(KbImportError::InvalidField { index, id, field, .. }) => Some((index, id, field)),
            _ => None,
        }
    }

    #[test]
    fn valid_file_imports_every_entry() {
        let entries = sample();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].notes.as_deref(), Some("chưa đối chiếu"));
        assert_eq!(entries[0].id.as_str(), "ho-chieu.le-phi");
    }

    #[test]
    fn export_round_trips() {
        let entries = sample();
        assert_eq!(parse_kb_json(&to_kb_json(&entries)), Ok(entries));
    }

    #[test]
    fn malformed_entry_is_named_by_position_id_and_field() {
        let expect = |field: &str| Some((1, "cu-tru.tam-tru.dang-ky".to_owned(), field.to_owned()));
        assert_eq!(invalid_field(&with_field("answer", Value::from("  "))), expect("answer"));
        assert_eq!(invalid_field(&with_field("questions", Value::Array(vec![]))), expect("questions"));
        assert_eq!(invalid_field(&with_field("source_urls", serde_json::json!(["not a url"]))), expect("source_urls"));
        assert_eq!(invalid_field(&with_field("verified", Value::from("yes"))), expect("verified"));
        assert_eq!(invalid_field(&with_field("answer", Value::from("gọi {{HOTLINE}}"))), expect("answer"));
        assert_eq!(invalid_field(&with_field("question", Value::from("x"))), expect("question"));
        let bad_id = with_field("id", Value::from("Tạm Trú"));
        assert_eq!(invalid_field(&bad_id).map(|(i, _, f)| (i, f)), Some((1, "id".to_owned())));
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let text = with_field("id", Value::from("ho-chieu.le-phi"));
        assert_eq!(
            parse_kb_json(&text),
            Err(KbImportError::DuplicateId { index: 1, id: "ho-chieu.le-phi".to_owned(), first_index: 0 })
        );
    }

    #[test]
    fn import_error_message_names_entry_and_field() {
        let err = parse_kb_json(&with_field("title", Value::from(""))).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("mục thứ 2 (mã \"cu-tru.tam-tru.dang-ky\"), trường \"title\": đang trống"));
        assert!(matches!(parse_kb_json("{\"id\": 1}"), Err(KbImportError::NotAList)));
        assert!(matches!(parse_kb_json("[1"), Err(KbImportError::Format(_))));
    }

    #[test]
    fn placeholders_are_filled_or_fall_back() {
        let unit = UnitPlaceholders { hotline: Some("0243 123 4567".to_owned()), ..Default::default() };
        assert_eq!(fill_placeholders("Gọi {{HOTLINE_DON_VI}}.", &unit), "Gọi 0243 123 4567.");
        let filled = fill_placeholders("Đến {{DIA_CHI_DON_VI}}", &unit);
        assert_eq!(filled, format!("Đến {}", Placeholder::Address.fallback()));
        assert_eq!(unit.missing_in("{{TEN_DON_VI}} {{HOTLINE_DON_VI}}"), vec![Placeholder::UnitName]);
    }

    #[test]
    fn short_answer_is_not_split() {
        assert_eq!(
            split_for_zalo("Xin chào.\n\nCâu trả lời ngắn.", ZALO_MESSAGE_LIMIT),
            vec!["Xin chào.\n\nCâu trả lời ngắn."]
        );
        assert!(split_for_zalo("   ", ZALO_MESSAGE_LIMIT).is_empty());
    }

    #[test]
    fn long_answer_is_split_at_paragraphs_then_sentences() {
        let para = "Câu một dài dòng. ".repeat(40);
        let text = format!("{}\n\n{}\n\n{}", para.trim(), para.trim(), para.trim());
        let parts = split_for_zalo(&text, 1000);
        assert!(parts.len() >= 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 1000));
        assert!(parts.iter().all(|p| p.ends_with('.')));
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(parts.iter().flat_map(|p| words(p)).collect::<Vec<_>>(), words(&text));
    }

    #[test]
    fn a_word_longer_than_the_limit_is_cut() {
        let parts = split_for_zalo(&"a".repeat(25), 10);
        assert_eq!(parts, vec!["a".repeat(10), "a".repeat(10), "a".repeat(5)]);
    }

    #[test]
    fn overrides_modify_hide_and_add() {
        let base = sample();
        let mut local = base[0].clone();
        local.id = "dia-phuong.bai-xe".parse().unwrap_or(local.id);
        local.title = "Bãi giữ xe vi phạm".to_owned();
        let overrides = vec![
            KbOverride::Modify {
                id: base[0].id.clone(),
                changes: EntryChanges {
                    answer: Some("Lệ phí tại phường X.".to_owned()),
                    extra_questions: vec!["hộ chiếu phường X bao nhiêu".to_owned()],
                    ..Default::default()
                },
            },
            KbOverride::Hide { id: base[1].id.clone() },
            KbOverride::Add { entry: local.clone() },
            KbOverride::Hide { id: "khong-ton-tai".parse().unwrap_or(local.id.clone()) },
        ];
        let merged = merge_overrides(&base, &overrides);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].answer, "Lệ phí tại phường X.");
        assert_eq!(merged[0].questions.len(), 3);
        assert_eq!(merged[1].title, "Bãi giữ xe vi phạm");
    }

    #[test]
    fn overrides_serialize_with_an_action_tag() {
        let o = KbOverride::Hide { id: "ho-chieu.le-phi".parse().unwrap_or_else(|_| sample()[0].id.clone()) };
        let json = serde_json::to_string(&o).unwrap_or_default();
        assert_eq!(json, r#"{"action":"hide","id":"ho-chieu.le-phi"}"#);
        assert!(serde_json::from_str::<KbOverride>(r#"{"action":"hide","id":"Bad Id"}"#).is_err());
    }

    #[test]
    fn merged_entries_feed_the_matcher() {
        let matcher = build_matcher(&sample(), &Abbreviations::builtin(), MatcherConfig::default());
        assert!(
            matches!(matcher.decide("lam ho chieu bn tien"), Decision::Answer { id, .. } if id == "ho-chieu.le-phi")
        );
    }

    #[test]
    fn referral_entries_are_marked_for_the_matcher() {
        let mut entries = sample();
        assert!(to_faq_docs(&entries).iter().all(|d| !d.referral));
        entries[1].category = "Chuyển tiếp".to_owned();
        entries[0].id = "chuyen-tiep.ho-tich".parse().unwrap_or_else(|_| entries[0].id.clone());
        assert!(to_faq_docs(&entries).iter().all(|d| d.referral));
    }

    #[test]
    fn repository_knowledge_base_is_valid_and_round_trips() {
        // The real base, when the repository has it (tests may read files; the library does not).
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../kb/kb_seed.json");
        let Ok(text) = std::fs::read_to_string(path) else { return };
        let entries = parse_kb_json(&text);
        assert!(entries.is_ok(), "{entries:?}");
        let entries = entries.unwrap_or_default();
        assert_eq!(parse_kb_json(&to_kb_json(&entries)), Ok(entries));
    }
}
