//! The conversation engine's decisions (bot hỏi đáp): for every stored inbound citizen message,
//! [`respond`] decides the replies, the bot's memory for the next turn, one action for the app
//! (hand off, urgent, start a report, record feedback) and whether the message goes to the
//! unanswered-question review.
//!
//! Pure: the FAQ engine and the knowledge base come in as closures ([`KbView`]), the unit's
//! facts as values ([`UnitFacts`]); the app persists the returned memory, writes the replies to
//! the outbox and applies the action ([`crate::conversations::after_bot_turn`]).
//!
//! Invariants, whatever the input: at most [`MAX_REPLIES`] replies per incoming message (Zalo's
//! free replies are spent carefully: one question, one complete answer), at most
//! [`MAX_BUTTONS`] buttons per reply, every reply within Zalo's 2,000 characters. Emergencies
//! always get guidance with 113/114/115, even when an officer has the conversation; otherwise
//! the bot is silent while officers own it ([`Status::is_with_officers`]).
//!
//! Button payloads the bot creates, and reads back as [`Incoming::Choice`]: `menu:<key>`
//! ([`MenuKey::as_str`]), `kb:<entry id>`, `fb:yes:<entry id>` / `fb:no:<entry id>`, and
//! `tel:<number>` (a call button; channels render it as a dial link). Where a channel cannot
//! show buttons, the reply text numbers the choices and the citizen types the number.

mod phrases;
#[cfg(test)]
mod tests;
mod turn;

use caunoi_text::matcher::Decision;
use serde::{Deserialize, Serialize};

use crate::inbox::Status;
use crate::kb::ZALO_MESSAGE_LIMIT;
use turn::{Ctx, Out, Turn};

/// Most replies the bot sends for one incoming message.
pub const MAX_REPLIES: usize = 2;
/// Most buttons on one reply (the whole menu fits).
pub const MAX_BUTTONS: usize = 6;
/// Most entries a clarification offers.
pub const MAX_CLARIFY_CHOICES: usize = 3;
/// Longest button label, in characters (titles are shortened with "…").
pub const MAX_BUTTON_LABEL_CHARS: usize = 80;
/// Longest menu label an officer may configure, in characters.
pub const MAX_MENU_LABEL_CHARS: usize = 40;
/// Longest reply text, in characters (Zalo's limit for one message).
pub const MAX_REPLY_CHARS: usize = ZALO_MESSAGE_LIMIT;
/// Unsuccessful turns in a row after which the bot hands off.
pub const MAX_FAILED_TURNS: u8 = 2;

const MENU_PREFIX: &str = "menu:";
const KB_PREFIX: &str = "kb:";
const FEEDBACK_YES_PREFIX: &str = "fb:yes:";
const FEEDBACK_NO_PREFIX: &str = "fb:no:";
const TEL_PREFIX: &str = "tel:";
/// The closing notice's rating buttons: the citizen rates the closed conversation.
pub const RATE_YES: &str = "rate:yes";
pub const RATE_NO: &str = "rate:no";

/// What the bot needs to know about the unit it speaks for, as of the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFacts {
    /// The unit's name as citizens know it: "Công an phường Ba Đình".
    pub name: String,
    /// Đường dây nóng, as shown to citizens.
    pub hotline: Option<String>,
    /// Trực ban (24/7 duty phone).
    pub duty_phone: Option<String>,
    /// Whether the office is open now (the app computes it from the opening hours).
    pub open_now: bool,
    /// Whether an officer's duty shift covers now (the app reads the roster). With neither
    /// this nor [`UnitFacts::open_now`], nobody is there to read the chat and the bot says so.
    pub on_duty: bool,
    /// How long citizens typically wait for an officer's first reply, in minutes, measured
    /// from the unit's own recent conversations; `None` without enough data.
    pub typical_wait_minutes: Option<u32>,
    /// Opening hours as a sentence: "Thứ Hai – Thứ Sáu 7:30–11:30, 13:30–17:00".
    pub opening_hours_text: String,
    /// Where to book an appointment, if the unit takes bookings online.
    pub booking_url: Option<String>,
    /// Whether citizens can look a dossier up in this deployment (the dossier feature); until
    /// then "Tra cứu hồ sơ" is not offered in the menu (a typed request still reaches an
    /// officer, who looks it up by hand).
    pub dossier_lookup: bool,
    /// The unit's web chat / page, for reading a long answer in full.
    pub chat_url: Option<String>,
}

/// What a unit configures about its bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotSettings {
    /// The greeting, a canned-reply template ([`crate::inbox::canned`]): `{ten_don_vi}` and
    /// `{hotline}` are filled in. An invalid template falls back to the default greeting.
    pub greeting: String,
    /// The menu, in order; each shown entry is a button (on Zalo, a numbered line).
    pub menu: Vec<MenuItem>,
}

/// The default greeting template.
pub const DEFAULT_GREETING: &str = "{ten_don_vi} xin chào anh/chị! Đây là kênh hỗ trợ trực tuyến của đơn vị: \
     giải đáp thủ tục hành chính, tiếp nhận tin báo và kết nối anh/chị với cán bộ.";

impl Default for BotSettings {
    fn default() -> Self {
        let menu = MenuKey::DEFAULT_ORDER
            .into_iter()
            .map(|key| MenuItem { key, label: key.default_label().to_owned() })
            .collect();
        BotSettings { greeting: DEFAULT_GREETING.to_owned(), menu }
    }
}

/// One menu entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuItem {
    pub key: MenuKey,
    pub label: String,
}

/// What a menu entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MenuKey {
    /// Hỏi thủ tục hành chính: invites a question for the FAQ.
    Procedures,
    /// Gửi tin báo: starts a report.
    Report,
    /// Đặt lịch hẹn: the booking link (hidden from the menu when the unit has none).
    Booking,
    /// Tra cứu hồ sơ: an officer looks the dossier up.
    StatusLookup,
    /// Số điện thoại đường dây nóng.
    Hotline,
    /// Gặp cán bộ: hand off.
    TalkToOfficer,
}

impl MenuKey {
    /// The default menu's order, which the settings form follows too.
    pub const DEFAULT_ORDER: [MenuKey; 6] = [
        MenuKey::Procedures,
        MenuKey::Report,
        MenuKey::TalkToOfficer,
        MenuKey::Booking,
        MenuKey::StatusLookup,
        MenuKey::Hotline,
    ];

    pub const ALL: [MenuKey; 6] = [
        MenuKey::Procedures,
        MenuKey::Report,
        MenuKey::Booking,
        MenuKey::StatusLookup,
        MenuKey::Hotline,
        MenuKey::TalkToOfficer,
    ];

    /// Whether the feature behind the entry exists in this deployment. Online booking and
    /// dossier look-up arrive with their own features (and switch themselves on here); until
    /// then the settings form does not offer them and the bot never shows them.
    pub fn exists_here(self) -> bool {
        !matches!(self, MenuKey::Booking | MenuKey::StatusLookup)
    }

    /// The key in payloads and storage (`menu:<key>`).
    pub fn as_str(self) -> &'static str {
        match self {
            MenuKey::Procedures => "procedures",
            MenuKey::Report => "report",
            MenuKey::Booking => "booking",
            MenuKey::StatusLookup => "status_lookup",
            MenuKey::Hotline => "hotline",
            MenuKey::TalkToOfficer => "talk_to_officer",
        }
    }

    pub fn parse(raw: &str) -> Option<MenuKey> {
        MenuKey::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }

    /// The button payload: `menu:procedures`.
    pub fn payload(self) -> String {
        format!("{MENU_PREFIX}{}", self.as_str())
    }

    pub fn default_label(self) -> &'static str {
        match self {
            MenuKey::Procedures => "Hỏi thủ tục hành chính",
            MenuKey::Report => "Gửi tin báo, phản ánh",
            MenuKey::Booking => "Đặt lịch hẹn",
            MenuKey::StatusLookup => "Tra cứu hồ sơ",
            MenuKey::Hotline => "Số điện thoại đường dây nóng",
            MenuKey::TalkToOfficer => "Gặp cán bộ",
        }
    }
}

/// What the bot remembers between turns; the app stores it with the conversation. Missing
/// fields read as their defaults, so stored memory survives new fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BotMemory {
    /// The citizen has been greeted.
    pub greeted: bool,
    /// Unsuccessful turns in a row (not understood, clarification not resolved, unhelpful).
    pub failed_turns: u8,
    /// Entry ids offered by the last clarification, in order ("1" picks the first).
    pub offered: Vec<String>,
    /// The entry last answered.
    pub last_answer: Option<String>,
    /// Payloads of the buttons on the bot's last reply, in order, so a citizen whose channel
    /// shows no buttons can type the number instead.
    pub choices: Vec<String>,
    /// Since the last hand-off, the citizen has been told once that the conversation waits for
    /// an officer; later messages are kept quietly until the state changes.
    pub waiting_acknowledged: bool,
}

/// What kind of attachment the citizen sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Gif,
    Video,
    /// A voice message.
    Audio,
    File,
    Link,
    BusinessCard,
}

impl MediaKind {
    fn noun_vi(self) -> &'static str {
        match self {
            MediaKind::Image | MediaKind::Gif => "hình ảnh",
            MediaKind::Video => "video",
            MediaKind::Audio => "tin nhắn thoại",
            MediaKind::File => "tệp",
            MediaKind::Link => "đường dẫn",
            MediaKind::BusinessCard => "danh thiếp",
        }
    }
}

/// One inbound event from the citizen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Incoming<'a> {
    /// A typed message.
    Text(&'a str),
    /// A button payload the bot created (see the module documentation).
    Choice(&'a str),
    Media {
        kind: MediaKind,
    },
    Location {
        lat: f64,
        lon: f64,
    },
    /// Followed the unit's page / opened the chat.
    Follow,
    Sticker,
}

/// The knowledge base as the bot sees it.
pub struct KbView<'a> {
    /// The FAQ engine's decision for a message.
    pub decide: &'a dyn Fn(&str) -> Decision,
    /// An entry by id, placeholders filled for this unit; `None` if it no longer exists.
    pub entry: &'a dyn Fn(&str) -> Option<KbAnswer>,
}

/// A knowledge-base entry ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbAnswer {
    pub id: String,
    pub title: String,
    /// The answer with the unit's placeholders already filled.
    pub answer: String,
}

/// The bot's decision for one incoming message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotTurn {
    /// Replies in sending order; never more than [`MAX_REPLIES`], may be empty (silence).
    pub replies: Vec<BotReply>,
    /// Memory for the next turn.
    pub memory: BotMemory,
    pub action: BotAction,
    /// Set when the message belongs in the unanswered-question review.
    pub review: Option<ReviewReason>,
}

/// One message to the citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotReply {
    /// At most [`MAX_REPLY_CHARS`] characters.
    pub text: String,
    /// At most [`MAX_BUTTONS`]; the text also lists them by number where that matters.
    pub buttons: Vec<Button>,
    /// The entry this reply answers with a "was this helpful?" question; its buttons carry
    /// `fb:yes:<id>` / `fb:no:<id>` (a channel may render them as thumbs instead).
    pub feedback_for: Option<String>,
}

/// A quick-reply button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// At most [`MAX_BUTTON_LABEL_CHARS`] characters.
    pub label: String,
    pub payload: String,
}

/// What the app does besides sending the replies; see [`crate::conversations::after_bot_turn`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum BotAction {
    None,
    /// Put the conversation in the unit's queue for an officer.
    HandOff {
        reason: HandOffReason,
    },
    /// An emergency (`fire`, `violence`, `medical`, `accident`, `crime_in_progress`,
    /// `call_for_help`), or `report` for a chat report filed in an urgent category (a wanted
    /// person seen): alert the duty officer, mark the conversation urgent.
    Urgent {
        kind: String,
    },
    /// A report (a `caunoi_text::safety::ReportKind` name: `theft`, `robbery`, `fraud`, `assault`, `abuse`,
    /// `drugs`, `gambling`, `racing`, `noise`, `wanted`, `lost_property`, `environment`, `crime_tip`,
    /// `other`). The
    /// conversation's turn planning starts the chat's report flow from it
    /// ([`crate::cases::intake`]); while officers have the conversation it only queues it.
    StartReport {
        kind: String,
    },
    /// The citizen rated an answer.
    Feedback {
        entry_id: String,
        helpful: bool,
    },
    /// The citizen rated a closed conversation (the closing notice's buttons).
    Rated {
        helpful: bool,
    },
}

/// Why the bot hands a conversation to an officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandOffReason {
    /// The citizen asked for an officer.
    Requested,
    /// [`MAX_FAILED_TURNS`] unsuccessful turns in a row.
    NotUnderstood,
    /// A photo, video, voice message or file: usually a report or evidence.
    Media,
    /// A shared location: usually part of a report.
    Location,
    /// Longer than a question: a complaint or a detailed account.
    LongMessage,
    /// Written in another language.
    OtherLanguage,
    /// Dossier status look-up: an officer checks it.
    StatusLookup,
    /// The chat's report flow filed a case in a sensitive category: an officer follows it up.
    Report,
}

impl HandOffReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HandOffReason::Requested => "requested",
            HandOffReason::NotUnderstood => "not_understood",
            HandOffReason::Media => "media",
            HandOffReason::Location => "location",
            HandOffReason::LongMessage => "long_message",
            HandOffReason::OtherLanguage => "other_language",
            HandOffReason::StatusLookup => "status_lookup",
            HandOffReason::Report => "report",
        }
    }
}

/// Why a message goes to the unanswered-question review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// The bot was unsure and offered choices.
    Clarified,
    /// The bot could not answer and handed off.
    HandedOff,
    /// The citizen said an answer did not help.
    Unhelpful,
    /// The bot found no answer (first try; a second one hands off).
    NotUnderstood,
    /// No emergency by the safety rules, but maybe one: the reply carried the numbers line
    /// ([`caunoi_text::safety::Assessment::may_be_emergency`]). An officer says which it was,
    /// and the answer becomes a labelled message for the next round of the rules.
    PossibleEmergency,
}

impl ReviewReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewReason::Clarified => "clarified",
            ReviewReason::HandedOff => "handed_off",
            ReviewReason::Unhelpful => "unhelpful",
            ReviewReason::NotUnderstood => "not_understood",
            ReviewReason::PossibleEmergency => "possible_emergency",
        }
    }
}

/// Decides the bot's turn for one incoming citizen message; see the module documentation.
///
/// `status` is the conversation's status when the message arrived. The app reopens a closed
/// conversation before calling ([`crate::inbox::Transition::Reopen`] by the citizen); a
/// `Closed` status is answered like [`Status::Bot`].
pub fn respond(
    memory: &BotMemory,
    status: Status,
    incoming: Incoming<'_>,
    unit: &UnitFacts,
    settings: &BotSettings,
    kb: &KbView<'_>,
) -> BotTurn {
    let mut turn = Turn { ctx: Ctx { unit, settings, kb }, out: Out::new(memory) };
    let with_officers = status.is_with_officers();
    let asks_for_officer = match incoming {
        Incoming::Text(text) => phrases::Words::new(text).asks_for_officer(),
        Incoming::Choice(payload) => payload.trim() == MenuKey::TalkToOfficer.payload(),
        _ => false,
    };
    match incoming {
        Incoming::Text(text) => turn.on_text(text, with_officers),
        Incoming::Choice(payload) => turn.on_choice(payload, with_officers),
        Incoming::Media { kind } if !with_officers => {
            let lead = format!("{} đã nhận {} anh/chị gửi.", unit.name, kind.noun_vi());
            turn.hand_off(HandOffReason::Media, &lead);
        }
        Incoming::Location { .. } if !with_officers => {
            let lead = format!("{} đã nhận vị trí anh/chị gửi.", unit.name);
            turn.hand_off(HandOffReason::Location, &lead);
        }
        Incoming::Follow if !with_officers => turn.greet_with_menu(),
        Incoming::Sticker if !with_officers => turn.on_sticker(),
        Incoming::Media { .. } | Incoming::Location { .. } | Incoming::Follow | Incoming::Sticker => {}
    }
    if with_officers && !matches!(incoming, Incoming::Follow) {
        turn.while_with_officers(status, asks_for_officer);
    }
    turn.out.finish()
}

/// One menu line of the settings form: the entry, whether it is shown, its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuChoice {
    pub key: MenuKey,
    pub shown: bool,
    pub label: String,
}

/// Validates a unit's bot settings as an officer typed them: the greeting is a canned-reply
/// template (only `{ten_don_vi}` and `{hotline}` make sense there), labels are 1–40 characters,
/// and at least one menu entry is shown. Every problem is reported at once.
pub fn parse_settings(greeting: &str, menu: &[MenuChoice]) -> Result<BotSettings, crate::input::FieldErrors> {
    use crate::input::{FieldErrors, InvalidInput, text_field};
    let mut errs = FieldErrors::default();
    let greeting =
        errs.take(text_field("greeting", greeting, 1000, true)).and_then(
            |g| match crate::inbox::canned::validate_canned(&g) {
                Ok(()) => Some(g),
                Err(e) => {
                    let m = e.message();
                    errs.push(InvalidInput::new("greeting", m.vi, m.en));
                    None
                }
            },
        );
    let mut items = Vec::new();
    for c in menu.iter().filter(|c| c.shown) {
        let label = c.label.trim();
        if label.is_empty() || label.chars().count() > MAX_MENU_LABEL_CHARS {
            errs.push(InvalidInput::new(
                "menu",
                format!("Tên mục menu cần 1–{MAX_MENU_LABEL_CHARS} ký tự."),
                format!("A menu label needs 1–{MAX_MENU_LABEL_CHARS} characters."),
            ));
        } else {
            items.push(MenuItem { key: c.key, label: label.to_owned() });
        }
    }
    if menu.iter().all(|c| !c.shown) {
        errs.push(InvalidInput::new("menu", "Cần ít nhất một mục menu.", "At least one menu entry is needed."));
    }
    match greeting {
        Some(greeting) if errs.is_empty() => Ok(BotSettings { greeting, menu: items }),
        _ => Err(errs),
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    fn all_shown() -> Vec<MenuChoice> {
        MenuKey::ALL.iter().map(|k| MenuChoice { key: *k, shown: true, label: k.default_label().into() }).collect()
    }

    #[test]
    fn unit_settings_keep_the_order_and_hide_unchecked_entries() {
        let mut menu = all_shown();
        menu[1].shown = false;
        let s = parse_settings("{ten_don_vi} kính chào anh/chị.", &menu).unwrap();
        assert_eq!(s.menu.len(), 5);
        assert_eq!(s.menu[0].key, MenuKey::Procedures);
        assert!(s.menu.iter().all(|m| m.key != MenuKey::Report));
    }

    #[test]
    fn bad_greeting_and_empty_menu_are_reported_together() {
        let menu: Vec<MenuChoice> = all_shown().into_iter().map(|c| MenuChoice { shown: false, ..c }).collect();
        let errs = parse_settings("Chào {ten_sai}", &menu).unwrap_err();
        assert!(errs.for_field("greeting").is_some());
        assert!(errs.for_field("menu").is_some());
        let mut long = all_shown();
        long[0].label = "x".repeat(41);
        assert!(parse_settings("Xin chào", &long).is_err());
    }
}
