//! Canned replies (câu trả lời mẫu) with variables, for officers answering in the inbox.
//!
//! A template writes a variable in single braces: `{ten_cong_dan}` (the citizen's name),
//! `{ten_can_bo}` (the officer's), `{ten_don_vi}` (the unit's), `{hotline}`. `{{` and `}}` stand
//! for literal braces. Any other name in braces is an error that names it, so a typo is caught
//! when the template is saved ([`validate_canned`]) rather than sent to a citizen. A value the
//! app does not know (a citizen without a display name) is replaced by neutral wording.

use serde::{Deserialize, Serialize};

use crate::input::Msg;

/// The variables a canned reply may use, with the text shown when the value is unknown.
pub const VARIABLES: [(&str, &str); 4] = [
    ("ten_cong_dan", "anh/chị"),
    ("ten_can_bo", "cán bộ"),
    ("ten_don_vi", "đơn vị"),
    ("hotline", "số đường dây nóng của đơn vị"),
];

/// Values for a canned reply's variables; `None` or blank uses the neutral wording.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedVars {
    /// `{ten_cong_dan}`
    pub citizen_name: Option<String>,
    /// `{ten_can_bo}`
    pub officer_name: Option<String>,
    /// `{ten_don_vi}`
    pub unit_name: Option<String>,
    /// `{hotline}`
    pub hotline: Option<String>,
}

impl CannedVars {
    fn value(&self, name: &str) -> Option<&str> {
        let v = match name {
            "ten_cong_dan" => &self.citizen_name,
            "ten_can_bo" => &self.officer_name,
            "ten_don_vi" => &self.unit_name,
            "hotline" => &self.hotline,
            _ => return None,
        };
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

/// Why a canned reply cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CannedError {
    #[error("Biến {{{name}}} không tồn tại. Dùng được: {{ten_cong_dan}}, {{ten_can_bo}}, {{ten_don_vi}}, {{hotline}}.")]
    UnknownVariable { name: String },
    #[error("Thiếu dấu }} đóng biến sau \"{{{start}\". Viết {{{{ nếu muốn giữ dấu {{.")]
    Unclosed { start: String },
    #[error("Dấu }} không có dấu {{ mở. Viết }}}} nếu muốn giữ dấu }}.")]
    StrayClosingBrace,
}

impl CannedError {
    /// The message in both UI languages.
    pub fn message(&self) -> Msg {
        let en = match self {
            CannedError::UnknownVariable { name } => format!(
                "Unknown variable {{{name}}}. Available: {{ten_cong_dan}}, {{ten_can_bo}}, {{ten_don_vi}}, {{hotline}}."
            ),
            CannedError::Unclosed { start } => format!("Missing }} after \"{{{start}\". Write {{{{ for a literal {{."),
            CannedError::StrayClosingBrace => "A }} without an opening {{. Write }}}} for a literal }}.".to_owned(),
        };
        Msg::new(self.to_string(), en)
    }
}

/// Fills the variables of `template`; see the module documentation.
pub fn render_canned(template: &str, vars: &CannedVars) -> Result<String, CannedError> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(pos) = rest.find(['{', '}']) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if let Some(after) = tail.strip_prefix('{') {
            let Some(end) = after.find(['}', '{', '\n']).filter(|&e| after[e..].starts_with('}')) else {
                return Err(CannedError::Unclosed { start: after.chars().take(20).collect() });
            };
            let raw_name = &after[..end];
            let name = raw_name.trim().to_lowercase();
            let Some((_, fallback)) = VARIABLES.iter().find(|(n, _)| *n == name) else {
                return Err(CannedError::UnknownVariable { name: raw_name.trim().to_owned() });
            };
            out.push_str(vars.value(&name).unwrap_or(fallback));
            rest = &after[end + 1..];
        } else {
            return Err(CannedError::StrayClosingBrace);
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks a template when it is saved: the same errors [`render_canned`] would give.
pub fn validate_canned(template: &str) -> Result<(), CannedError> {
    render_canned(template, &CannedVars::default()).map(|_| ())
}
