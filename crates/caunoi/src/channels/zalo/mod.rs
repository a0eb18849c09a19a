//! The Zalo OA channel on caunoi-zalo: the signed webhook that stores raw events durably
//! ([`webhook`]), media downloads ([`media`]), the sender the outbox calls ([`sender`]) and the
//! OA token pairs kept encrypted in `oa_tokens` ([`tokens`]).
//!
//! Rendering for Zalo lives here too ([`render_reply`]): consultation messages have no
//! buttons, so a reply's buttons become a numbered list ("1. …") and the citizen answers with
//! the number; long texts are split only where Zalo's 2,000-character limit forces it.

pub mod bindings;
pub mod media;
pub mod sender;
pub mod store;
pub mod tokens;
pub mod webhook;

use crate::app::App;
use crate::error::ServiceError;
use caunoi_zalo::TokenPair;
use caunoi_zalo::signature::{MacFirstTerm, MacSecret, MacVariant, SignatureConfig, VerifyMode};

/// The channel name stored in `contacts.channel`, `conversations.channel` and `outbox.channel`.
pub const CHANNEL: &str = "zalo";

/// Parses the `zalo_signature` setting: `oa-secret` (documented default, also the empty
/// string), `app-secret`, `oa-id` (first term is the OA id), or `diagnostic` (try all three).
pub fn parse_signature_config(text: &str) -> Option<SignatureConfig> {
    let variant = |first_term, secret| MacVariant { first_term, secret };
    let mut config = SignatureConfig::default();
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "oa-secret" => {}
        "app-secret" => config.variant = variant(MacFirstTerm::AppId, MacSecret::AppSecret),
        "oa-id" => config.variant = variant(MacFirstTerm::OaId, MacSecret::OaSecretKey),
        "diagnostic" => config.mode = VerifyMode::Diagnostic,
        _ => return None,
    }
    Some(config)
}

/// Stores the token pair of an OA bound to a unit (after the OAuth grant; the demo and tests
/// use the fake's start tokens). Replaces any previous pair.
pub async fn connect_tokens(app: &App, oa_id: &str, pair: &TokenPair) -> Result<(), ServiceError> {
    let binding = store::binding_by_oa(&app.db, oa_id).await?.ok_or(ServiceError::NotFound)?;
    tokens::save_pair(&app.db, &app.secrets, binding.unit_id, oa_id, pair, app.clock.now_micros()).await?;
    app.channels.zalo.forget(oa_id).await;
    Ok(())
}

/// A button as the channel receives it from the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuButton {
    pub label: String,
    pub payload: String,
}

/// Renders one bot reply as Zalo texts: the buttons become a numbered list the citizen answers
/// with a digit; the text is split only when longer than Zalo's limit.
pub fn render_reply(text: &str, buttons: &[MenuButton]) -> Vec<String> {
    let mut full = text.trim().to_string();
    if !buttons.is_empty() {
        full.push('\n');
        for (i, b) in buttons.iter().enumerate() {
            full.push_str(&format!("\n{}. {}", i + 1, b.label.trim()));
        }
        full.push_str("\n\nAnh/chị trả lời bằng số tương ứng (ví dụ: 1).");
    }
    caunoi_core::kb::split_for_zalo(&full, caunoi_core::kb::ZALO_MESSAGE_LIMIT)
}

/// Reads a citizen's text as a menu choice: a bare number within the last menu offered.
pub fn menu_choice<'a>(text: &str, menu: &'a [String]) -> Option<&'a str> {
    let t = text.trim().trim_end_matches('.');
    let n: usize = t.parse().ok()?;
    menu.get(n.checked_sub(1)?).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_become_a_numbered_list_and_numbers_map_back() {
        let buttons = vec![
            MenuButton { label: "Lệ phí căn cước".into(), payload: "can-cuoc.le-phi".into() },
            MenuButton { label: "Hồ sơ căn cước".into(), payload: "can-cuoc.ho-so".into() },
        ];
        let parts = render_reply("Anh/chị muốn hỏi về:", &buttons);
        assert_eq!(parts.len(), 1);
        assert!(parts[0].contains("1. Lệ phí căn cước\n2. Hồ sơ căn cước"), "{}", parts[0]);
        let menu: Vec<String> = buttons.iter().map(|b| b.payload.clone()).collect();
        assert_eq!(menu_choice(" 2 ", &menu), Some("can-cuoc.ho-so"));
        assert_eq!(menu_choice("0", &menu), None);
        assert_eq!(menu_choice("3", &menu), None);
        assert_eq!(menu_choice("2 cái", &menu), None);
    }

    #[test]
    fn long_answers_are_split_only_past_the_zalo_limit() {
        assert_eq!(render_reply(&"a ".repeat(900), &[]).len(), 1);
        let long = "Câu dài. ".repeat(400);
        let parts = render_reply(&long, &[]);
        assert!(parts.len() >= 2);
        assert!(parts.iter().all(|p| p.chars().count() <= 2000));
    }

    #[test]
    fn signature_settings_parse() {
        assert_eq!(parse_signature_config(""), Some(SignatureConfig::default()));
        assert_eq!(parse_signature_config("diagnostic").map(|c| c.mode), Some(VerifyMode::Diagnostic));
        assert!(parse_signature_config("hmac").is_none());
    }
}
