//! Validation results shared by every feature: a field-level error that carries its message in
//! both UI languages, so a form can show it next to the field and nothing is half-saved.

use std::fmt;

/// The two UI languages. Vietnamese is the default everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// Parses a locale tag such as `vi`, `en`, `en-US`; anything else is Vietnamese.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::Vi }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// A message in both UI languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub vi: String,
    pub en: String,
}

impl Msg {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self { vi: vi.into(), en: en.into() }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

/// One invalid field of a form, an import row or an API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    /// The form field name (`name`, `hotline`, …).
    pub field: &'static str,
    pub message: Msg,
}

impl InvalidInput {
    pub fn new(field: &'static str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self { field, message: Msg::new(vi, en) }
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message.en)
    }
}

impl std::error::Error for InvalidInput {}

/// All invalid fields of one form. Empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<InvalidInput>);

impl FieldErrors {
    pub fn push(&mut self, e: InvalidInput) {
        self.0.push(e);
    }

    /// Keeps the value of `r` and records its error, so a form reports every field at once.
    pub fn take<T>(&mut self, r: Result<T, InvalidInput>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for one field, if it is invalid.
    pub fn for_field(&self, field: &str) -> Option<&Msg> {
        self.0.iter().find(|e| e.field == field).map(|e| &e.message)
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| e.to_string()).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// Trims a text field and checks its length in characters; `required` fields may not be empty.
pub fn text_field(field: &'static str, value: &str, max_chars: usize, required: bool) -> Result<String, InvalidInput> {
    let cleaned: String =
        value.chars().filter(|c| !c.is_control() || *c == '\n').collect::<String>().trim().to_string();
    if required && cleaned.is_empty() {
        return Err(InvalidInput::new(field, "Trường này không được để trống.", "This field is required."));
    }
    if cleaned.chars().count() > max_chars {
        return Err(InvalidInput::new(
            field,
            format!("Quá dài: tối đa {max_chars} ký tự."),
            format!("Too long: at most {max_chars} characters."),
        ));
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {

    #[test]
    fn outside_texts_lose_control_characters_and_direction_overrides_but_keep_lines() {
        assert_eq!(clean_text("xin chao\u{0}\u{7}\r\ncan bo"), "xin chao\ncan bo");
        assert_eq!(clean_text("a\tb"), "a\tb");
        assert_eq!(clean_text("tệp\u{202E}fdp.exe"), "tệpfdp.exe");
        assert_eq!(clean_text("Cháy nhà ở phường Bãi Cháy"), "Cháy nhà ở phường Bãi Cháy");
    }

    use super::*;

    #[test]
    fn required_text_field_rejects_blank() {
        assert!(text_field("name", "   ", 10, true).is_err());
        assert_eq!(text_field("name", "", 10, false).unwrap(), "");
    }

    #[test]
    fn text_field_strips_controls_and_counts_characters_not_bytes() {
        assert_eq!(text_field("n", " Hòa\u{0007} ", 3, true).unwrap(), "Hòa");
        assert!(text_field("n", "Hòaa", 3, true).is_err());
    }

    #[test]
    fn field_errors_collect_every_field() {
        let mut errs = FieldErrors::default();
        assert_eq!(errs.take(text_field("a", "x", 5, true)), Some("x".to_string()));
        assert_eq!(errs.take(text_field("b", "", 5, true)), None);
        assert_eq!(errs.take(text_field("c", "toolong", 3, true)), None);
        assert_eq!(errs.0.len(), 2);
        assert!(errs.for_field("b").is_some());
        assert!(errs.for_field("a").is_none());
    }
}

/// A text from outside (a channel's message) as caunoi keeps it: control characters removed but
/// line breaks and tabs (a NUL cannot even be stored by PostgreSQL), `\r\n` as `\n`, and the
/// bidirectional overrides and isolates that could make a text display other than it reads.
pub fn clean_text(raw: &str) -> String {
    raw.replace("\r\n", "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect()
}

/// A stored name that no variant of an enum has (a row written by a newer version, or a
/// mistake in SQL). Rows decode their status, channel, direction… once, when read; this is the
/// error they fail with instead of carrying an unknown string further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: {value:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
}

/// Implements `TryFrom<String>` (how rows decode the column) through the enum's `parse`.
#[macro_export]
macro_rules! stored_name {
    ($ty:ty, $what:literal) => {
        impl TryFrom<String> for $ty {
            type Error = $crate::input::UnknownName;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                <$ty>::parse(&value).ok_or($crate::input::UnknownName { what: $what, value })
            }
        }
    };
}
