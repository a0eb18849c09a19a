//! UI language for templates. Vietnamese is the default; English is the second locale. Texts
//! are written in templates as pairs, `t.tr("Lưu", "Save")`, so both versions sit side by side
//! and a missing translation cannot happen silently.

use caunoi_core::input::{FieldErrors, Lang};

/// The template helper for the request's language.
#[derive(Debug, Clone, Copy)]
pub struct T {
    pub lang: Lang,
}

impl T {
    pub fn new(lang: Lang) -> T {
        T { lang }
    }

    /// Picks the text for this language.
    pub fn tr<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// The `lang` attribute of the page.
    pub fn tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The other language, for the switch link.
    pub fn other_tag(&self) -> &'static str {
        match self.lang {
            Lang::Vi => "en",
            Lang::En => "vi",
        }
    }

    pub fn other_label(&self) -> &'static str {
        match self.lang {
            Lang::Vi => "English",
            Lang::En => "Tiếng Việt",
        }
    }

    /// The error message for a form field, or an empty string.
    pub fn err(&self, errors: &FieldErrors, field: &str) -> String {
        errors.for_field(field).map(|m| m.get(self.lang).to_string()).unwrap_or_default()
    }

    /// A two-language message in this language.
    pub fn msg<'a>(&self, m: &'a caunoi_core::input::Msg) -> &'a str {
        m.get(self.lang)
    }

    /// Whether any field has an error (to show the summary at the top of a form).
    pub fn has_errors(&self, errors: &FieldErrors) -> bool {
        !errors.is_empty()
    }

    pub fn kind(&self, kind: &caunoi_core::units::UnitKind) -> &'static str {
        let kind = *kind;
        match self.lang {
            Lang::Vi => kind.label_vi(),
            Lang::En => kind.label_en(),
        }
    }

    pub fn role(&self, role: &str) -> &'static str {
        match caunoi_core::staff::Role::parse(role) {
            Ok(r) => match self.lang {
                Lang::Vi => r.label_vi(),
                Lang::En => r.label_en(),
            },
            Err(_) => "?",
        }
    }

    pub fn audit_action(&self, action: &str) -> String {
        match caunoi_core::audit::AuditAction::parse(action) {
            Some(a) => match self.lang {
                Lang::Vi => a.label_vi().to_string(),
                Lang::En => a.label_en().to_string(),
            },
            None => action.to_string(),
        }
    }

    /// Vietnamese weekday names, Monday first.
    pub fn weekday(&self, key: &str) -> &'static str {
        let (vi, en) = match key {
            "mon" => ("Thứ Hai", "Monday"),
            "tue" => ("Thứ Ba", "Tuesday"),
            "wed" => ("Thứ Tư", "Wednesday"),
            "thu" => ("Thứ Năm", "Thursday"),
            "fri" => ("Thứ Sáu", "Friday"),
            "sat" => ("Thứ Bảy", "Saturday"),
            "sun" => ("Chủ Nhật", "Sunday"),
            _ => ("", ""),
        };
        self.tr(vi, en)
    }

    /// Dates stored as `YYYY-MM-DD`, written the Vietnamese way (`02/09/2027`), comma-separated.
    pub fn dates(&self, dates: &[String]) -> String {
        dates
            .iter()
            .map(|d| match d.parse::<jiff::civil::Date>() {
                Ok(date) => date.strftime("%d/%m/%Y").to_string(),
                Err(_) => d.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A stored instant in Vietnam's time.
    pub fn time(&self, micros: &i64) -> String {
        crate::app::format_local(*micros)
    }
}
