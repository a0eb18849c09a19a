//! Vietnamese telephone numbers, parsed once at the boundary and kept in one canonical form.
//!
//! Two shapes exist: emergency/short service numbers (113, 114, 115, 1900/1800 lines) that are
//! dialled as written, and subscriber numbers (mobile or landline) that are stored as `+84…`
//! and shown as `0xxx xxx xxx`.

use crate::input::InvalidInput;
use std::fmt;

/// A phone number a unit publishes: hotline, duty phone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses what a person types: spaces, dots, dashes and brackets are ignored; a leading
    /// `0`, `84` or `+84` is read as the country prefix for subscriber numbers.
    pub fn parse(field: &'static str, raw: &str) -> Result<PhoneNumber, InvalidInput> {
        let invalid = || {
            InvalidInput::new(
                field,
                "Số điện thoại không hợp lệ. Ví dụ: 0912 345 678, 0203 3825 123 hoặc 113.",
                "Invalid phone number. Examples: 0912 345 678, 0203 3825 123 or 113.",
            )
        };
        let trimmed = raw.trim();
        let plus = trimmed.starts_with('+');
        let mut digits = String::new();
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' => {}
                '+' if digits.is_empty() => {}
                _ => return Err(invalid()),
            }
        }
        // Short service numbers: 113, 114, 115, 111 and 1800/1900 lines.
        if !plus && digits.len() == 3 && digits.starts_with('1') {
            return Ok(PhoneNumber(digits));
        }
        if !plus && (digits.starts_with("1800") || digits.starts_with("1900")) {
            return if (8..=10).contains(&digits.len()) { Ok(PhoneNumber(digits)) } else { Err(invalid()) };
        }
        let national = if let Some(rest) = digits.strip_prefix("84").filter(|_| plus || digits.len() >= 11) {
            rest.to_string()
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest.to_string()
        } else {
            return Err(invalid());
        };
        // Mobile numbers have 9 national digits; landlines (area code 2xx) have 10.
        let ok = match national.as_bytes().first() {
            Some(b'2') => national.len() == 10,
            // 069 is the police's own network (số máy 069 của ngành Công an).
            Some(b'3' | b'5' | b'6' | b'7' | b'8' | b'9') => national.len() == 9,
            _ => false,
        };
        if ok { Ok(PhoneNumber(format!("+84{national}"))) } else { Err(invalid()) }
    }

    /// The canonical form: `+84…` or the short number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A `tel:` link target.
    pub fn tel_uri(&self) -> String {
        format!("tel:{}", self.0)
    }

    /// The form people read: `0912 345 678`, `0203 3825 123`, `113`.
    pub fn display(&self) -> String {
        match self.0.strip_prefix("+84") {
            Some(n) if n.len() == 9 => format!("0{} {} {}", &n[..3], &n[3..6], &n[6..]),
            Some(n) if n.len() == 10 => format!("0{} {} {}", &n[..3], &n[3..7], &n[7..]),
            _ => self.0.clone(),
        }
    }

    /// Restores a number read back from storage (already canonical).
    pub fn from_stored(s: String) -> PhoneNumber {
        PhoneNumber(s)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<String, InvalidInput> {
        PhoneNumber::parse("hotline", s).map(|p| p.as_str().to_string())
    }

    #[test]
    fn mobile_numbers_in_every_written_form_become_plus84() {
        for s in ["0912 345 678", "0912.345.678", "+84 912 345 678", "84912345678", "(091) 2345678"] {
            assert_eq!(p(s).unwrap(), "+84912345678", "{s}");
        }
    }

    #[test]
    fn landline_with_area_code_is_accepted() {
        assert_eq!(p("0203 3825 123").unwrap(), "+842033825123");
        assert_eq!(PhoneNumber::parse("h", "0203 3825 123").unwrap().display(), "0203 3825 123");
    }

    #[test]
    fn emergency_and_service_numbers_are_kept_as_written() {
        assert_eq!(p("113").unwrap(), "113");
        assert_eq!(p("1900 0368").unwrap(), "19000368");
    }

    #[test]
    fn garbage_is_rejected_with_the_field_name() {
        for s in ["", "abc", "0912", "09123456789012", "+1 202 555 0100", "0112345678", "12345"] {
            let e = p(s).unwrap_err();
            assert_eq!(e.field, "hotline", "{s}");
        }
    }

    #[test]
    fn display_of_mobile_groups_digits() {
        assert_eq!(PhoneNumber::parse("h", "0912345678").unwrap().display(), "0912 345 678");
        assert_eq!(PhoneNumber::parse("h", "0912345678").unwrap().tel_uri(), "tel:+84912345678");
    }
}
