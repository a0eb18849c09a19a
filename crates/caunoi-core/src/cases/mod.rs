//! Reports and tips (tin báo, phản ánh, tố giác): a citizen's report becomes a *case* that
//! belongs to one responsible unit, moves through a fixed set of statuses, carries a legal
//! clock that forwarding never resets, and keeps an append-only timeline of everything done
//! to it.
//!
//! What lives here: the case's ids and codes ([`CaseId`], [`CaseCode`], [`Receipt`]), where it
//! came from ([`Channel`]) and how the reporter is known ([`ReporterMode`]), its [`Status`] and
//! legal moves ([`transition`]), the categories with their sensitivity, urgency and legal
//! deadline ([`category`]), the clocks ([`clock`]), the timeline's event kinds ([`EventKind`])
//! and duplicate suggestions ([`duplicates`]). Storage, routing by place, the chat flow and the
//! console live in the app.
//!
//! Invariants: a case is always owned by exactly one unit; a status change is one of
//! [`transition`]'s legal moves; the legal clock starts when the report is received and only an
//! extension (with its reason) or a suspension moves its deadline; what a citizen is told never
//! names an officer ([`Status::citizen_vi`]).

pub mod category;
pub mod category_edit;
pub mod clock;
pub mod duplicates;
pub mod intake;

pub use category::{
    Category, HandlingLevel, Question, Sensitivity, category_for_emergency, category_for_report, default_categories,
};
pub use clock::{AckClock, ClockError, LegalClock};

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::input::InvalidInput;

/// A case's database id (`cases.id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CaseId(pub i64);

impl From<i64> for CaseId {
    fn from(id: i64) -> Self {
        CaseId(id)
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Longest description kept, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Longest typed address or "when" kept, in characters.
pub const MAX_PLACE_CHARS: usize = 300;
/// Longest note, reply or reason, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// The alphabet of case codes: Crockford's base 32 (no I, L, O, U), so a code read over the
/// phone or typed on a small keyboard has no look-alike letters.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The code a citizen is given for a case: `TB-XXXX-XXXX` (40 random bits). Random rather than
/// sequential, so codes do not tell how many reports a unit receives and cannot be walked.
/// A code alone shows only the status (never the content); the anonymous reporter's thread
/// needs the [`Receipt`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CaseCode(String);

impl CaseCode {
    /// The code made from 40 random bits (the low 40 of `random`).
    pub fn from_random(random: u64) -> CaseCode {
        let mut chars = [0u8; 8];
        for (i, c) in chars.iter_mut().enumerate() {
            *c = CODE_ALPHABET[((random >> (5 * (7 - i))) & 31) as usize];
        }
        let s = std::str::from_utf8(&chars).unwrap_or("00000000");
        CaseCode(format!("TB-{}-{}", &s[..4], &s[4..]))
    }

    /// Reads a code as people type it: any case, with or without the `TB` prefix, dashes or
    /// spaces; `O` read as zero and `I`/`L` as one, as Crockford's base 32 intends.
    pub fn parse(raw: &str) -> Result<CaseCode, InvalidInput> {
        let mut s: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
        if s.len() == 10 && s.starts_with("TB") {
            s.drain(..2);
        }
        let s: String = s
            .chars()
            .map(|c| match c {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        if s.len() == 8 && s.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
            Ok(CaseCode(format!("TB-{}-{}", &s[..4], &s[4..])))
        } else {
            Err(InvalidInput::new(
                "code",
                "Mã tin báo gồm 8 ký tự sau chữ TB, ví dụ TB-4KX9-M2QD.",
                "A report code has 8 characters after TB, e.g. TB-4KX9-M2QD.",
            ))
        }
    }

    pub fn from_stored(s: String) -> CaseCode {
        CaseCode(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An anonymous reporter's receipt: 16 digits (about 53 bits), the only key to the case's
/// thread. It is shown once and stored only as a hash; it is read tolerant of spaces and dashes.
#[derive(Clone, PartialEq, Eq)]
pub struct Receipt(String);

impl Receipt {
    /// The receipt made from random bits (uniform over the 10^16 receipts up to a bias of
    /// 2^-10, which does not matter at this size).
    pub fn from_random(random: u64) -> Receipt {
        Receipt(format!("{:016}", random % 10_000_000_000_000_000))
    }

    /// Reads a receipt as people type it: digits, with any spaces, dashes or dots between them.
    pub fn parse(raw: &str) -> Result<Receipt, InvalidInput> {
        let only_separators = raw.chars().all(|c| c.is_ascii_digit() || c.is_whitespace() || "-.".contains(c));
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if only_separators && digits.len() == 16 {
            Ok(Receipt(digits))
        } else {
            Err(InvalidInput::new(
                "receipt",
                format!("Mã biên nhận gồm đúng 16 chữ số (anh/chị đã nhập {} chữ số).", digits.len()),
                format!("A receipt has exactly 16 digits (you typed {}).", digits.len()),
            ))
        }
    }

    /// The 16 digits (what is hashed).
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// Grouped by four for reading and copying: `1234 5678 9012 3456`.
    pub fn grouped(&self) -> String {
        let d = self.0.as_bytes();
        d.chunks(4).map(|c| std::str::from_utf8(c).unwrap_or("")).collect::<Vec<_>>().join(" ")
    }

    /// Whether `text` contains this receipt (digits in order, separators ignored): a message
    /// to officers that carries the receipt is refused, so it never reaches a thread.
    pub fn is_in(&self, text: &str) -> bool {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        digits.contains(&self.0)
    }
}

impl fmt::Debug for Receipt {
    /// Never prints the digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Receipt(…)")
    }
}

/// Where a report came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Zalo,
    WebChat,
    /// The report form on a unit's public page.
    WebForm,
    /// Entered by an officer: a phone call or a visit.
    Officer,
    /// An Open311 client.
    Open311,
}

crate::stored_name!(Channel, "case channel");

impl Channel {
    pub const ALL: [Channel; 5] =
        [Channel::Zalo, Channel::WebChat, Channel::WebForm, Channel::Officer, Channel::Open311];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Zalo => "zalo",
            Channel::WebChat => "webchat",
            Channel::WebForm => "web_form",
            Channel::Officer => "officer",
            Channel::Open311 => "open311",
        }
    }

    pub fn parse(raw: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == raw.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Channel::Zalo => "Zalo",
            Channel::WebChat => "Trò chuyện trên web",
            Channel::WebForm => "Biểu mẫu trên web",
            Channel::Officer => "Cán bộ tiếp nhận (điện thoại, trực tiếp)",
            Channel::Open311 => "Ứng dụng liên kết (Open311)",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Channel::Zalo => "Zalo",
            Channel::WebChat => "Web chat",
            Channel::WebForm => "Web form",
            Channel::Officer => "Taken by an officer (phone, in person)",
            Channel::Open311 => "Linked app (Open311)",
        }
    }
}

/// How the reporter is known to the officers who handle the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReporterMode {
    /// Công khai: the handling officers see who reported.
    Open,
    /// Bảo mật danh tính: the identity is kept encrypted; an officer sees it only after a
    /// reasoned request is approved by the unit's custodian (a leader).
    Sealed,
    /// Ẩn danh: no identity is kept; the reporter follows the case with a [`Receipt`].
    Anonymous,
}

crate::stored_name!(ReporterMode, "reporter mode");

impl ReporterMode {
    pub const ALL: [ReporterMode; 3] = [ReporterMode::Open, ReporterMode::Sealed, ReporterMode::Anonymous];

    pub fn as_str(self) -> &'static str {
        match self {
            ReporterMode::Open => "open",
            ReporterMode::Sealed => "sealed",
            ReporterMode::Anonymous => "anonymous",
        }
    }

    pub fn parse(raw: &str) -> Option<ReporterMode> {
        ReporterMode::ALL.into_iter().find(|m| m.as_str() == raw.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            ReporterMode::Open => "Công khai danh tính",
            ReporterMode::Sealed => "Bảo mật danh tính",
            ReporterMode::Anonymous => "Ẩn danh",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ReporterMode::Open => "Identified",
            ReporterMode::Sealed => "Sealed identity",
            ReporterMode::Anonymous => "Anonymous",
        }
    }

    /// What the choice means, told to the citizen before choosing.
    pub fn explain_vi(self) -> &'static str {
        match self {
            ReporterMode::Open => "Cán bộ xử lý biết anh/chị là ai và có thể gọi lại để xác minh.",
            ReporterMode::Sealed => {
                "Thông tin của anh/chị được mã hóa; cán bộ chỉ được xem khi lãnh đạo đơn vị duyệt một yêu cầu có lý do, và mọi lần xem đều được ghi lại."
            }
            ReporterMode::Anonymous => {
                "Không lưu thông tin của anh/chị. Anh/chị theo dõi tin báo và trao đổi với cán bộ bằng mã biên nhận 16 số."
            }
        }
    }

    pub fn explain_en(self) -> &'static str {
        match self {
            ReporterMode::Open => "The handling officers know who you are and can call you back to verify.",
            ReporterMode::Sealed => {
                "Your details are encrypted; an officer may see them only when the unit's leader approves a reasoned request, and every view is logged."
            }
            ReporterMode::Anonymous => {
                "Nothing about you is kept. You follow the report and talk with officers using a 16-digit receipt."
            }
        }
    }
}

/// Where a case stands (trạng thái tin báo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Received, not yet acknowledged by the responsible unit (mới tiếp nhận). A forwarded
    /// case is `New` again until the receiving unit acknowledges it.
    New,
    /// The responsible unit has taken it (đơn vị đã nhận xử lý).
    Acknowledged,
    /// Being verified (đang xác minh).
    Verifying,
    /// Resolved (đã giải quyết), with an outcome in the timeline.
    Resolved,
    /// The same matter as another case (trùng), merged into it.
    Duplicate,
    /// Verified as unfounded or a prank (không có cơ sở).
    Unfounded,
    /// Outside the police's remit; sent to another agency (chuyển cơ quan khác).
    Transferred,
    /// Closed (đã kết thúc).
    Closed,
}

crate::stored_name!(Status, "case status");

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Acknowledged,
        Status::Verifying,
        Status::Resolved,
        Status::Duplicate,
        Status::Unfounded,
        Status::Transferred,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::Verifying => "verifying",
            Status::Resolved => "resolved",
            Status::Duplicate => "duplicate",
            Status::Unfounded => "unfounded",
            Status::Transferred => "transferred",
            Status::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    /// Still being worked: its clocks run and it shows on the board by default.
    pub fn is_open(self) -> bool {
        matches!(self, Status::New | Status::Acknowledged | Status::Verifying)
    }

    /// For Open311: `open` or `closed`.
    pub fn open311(self) -> &'static str {
        if self.is_open() { "open" } else { "closed" }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Status::New => "Mới tiếp nhận",
            Status::Acknowledged => "Đã nhận xử lý",
            Status::Verifying => "Đang xác minh",
            Status::Resolved => "Đã giải quyết",
            Status::Duplicate => "Trùng tin báo khác",
            Status::Unfounded => "Không có cơ sở",
            Status::Transferred => "Chuyển cơ quan khác",
            Status::Closed => "Đã kết thúc",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::Acknowledged => "Acknowledged",
            Status::Verifying => "Verifying",
            Status::Resolved => "Resolved",
            Status::Duplicate => "Duplicate",
            Status::Unfounded => "Unfounded",
            Status::Transferred => "Transferred to another agency",
            Status::Closed => "Closed",
        }
    }

    /// What the citizen is told, with the responsible unit's name; never an officer's name.
    pub fn citizen_vi(self, unit: &str) -> String {
        match self {
            Status::New => format!("Đã tiếp nhận, đang chờ {unit} xử lý."),
            Status::Acknowledged => format!("{unit} đã nhận xử lý."),
            Status::Verifying => format!("{unit} đang xác minh."),
            Status::Resolved => format!("{unit} đã giải quyết xong."),
            Status::Duplicate => {
                "Đã gộp với một tin báo khác về cùng sự việc; anh/chị sẽ nhận các cập nhật của tin báo đó.".into()
            }
            Status::Unfounded => format!("{unit} đã xác minh và kết luận không có vi phạm."),
            Status::Transferred => {
                "Nội dung thuộc thẩm quyền cơ quan khác; đã chuyển đến cơ quan có thẩm quyền.".into()
            }
            Status::Closed => "Tin báo đã kết thúc.".into(),
        }
    }

    pub fn citizen_en(self, unit: &str) -> String {
        match self {
            Status::New => format!("Received, waiting for {unit} to take it."),
            Status::Acknowledged => format!("{unit} has taken it."),
            Status::Verifying => format!("{unit} is verifying it."),
            Status::Resolved => format!("{unit} has resolved it."),
            Status::Duplicate => "Merged with another report of the same matter; you will receive its updates.".into(),
            Status::Unfounded => format!("{unit} verified it and found no offence."),
            Status::Transferred => "It is for another agency; it has been sent to the competent agency.".into(),
            Status::Closed => "The report is closed.".into(),
        }
    }
}

/// A status change the rules do not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a case cannot go from {from:?} to {to:?}")]
pub struct TransitionError {
    pub from: Status,
    pub to: Status,
}

impl TransitionError {
    pub fn message_vi(&self) -> String {
        format!("Không thể chuyển tin báo từ “{}” sang “{}”.", self.from.label_vi(), self.to.label_vi())
    }
}

/// Whether a report's own words describe an emergency happening now (a fire, a fight with a
/// weapon, someone hurt): the same safety rules as the chat bot's, so a web report reading "có
/// người đánh nhau cầm dao" is urgent whatever category was picked.
pub fn is_emergency_text(text: &str) -> bool {
    matches!(caunoi_text::safety::assess(text), Some(caunoi_text::safety::Safety::Emergency(_)))
}

/// The legal moves between statuses. A closed or finished case reopens to `Verifying`.
pub fn transition(from: Status, to: Status) -> Result<Status, TransitionError> {
    use Status::*;
    let ok = match from {
        New => matches!(to, Acknowledged | Verifying | Duplicate | Unfounded | Transferred),
        Acknowledged => matches!(to, Verifying | Resolved | Duplicate | Unfounded | Transferred),
        Verifying => matches!(to, Resolved | Duplicate | Unfounded | Transferred),
        Resolved | Unfounded | Transferred => matches!(to, Closed | Verifying),
        Duplicate => matches!(to, Closed),
        Closed => matches!(to, Verifying),
    };
    if ok { Ok(to) } else { Err(TransitionError { from, to }) }
}

/// The statuses a case in `from` may move to, in the order the console offers them.
pub fn next_statuses(from: Status) -> Vec<Status> {
    Status::ALL.into_iter().filter(|&to| transition(from, to).is_ok()).collect()
}

/// What happened to a case: one row of its append-only timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    /// Given to a unit by place and category (or to the duty desk when nothing matched).
    Routed,
    Forwarded,
    Acknowledged,
    /// A forward not acknowledged in time went back to the sender.
    Returned,
    Viewed,
    Note,
    /// The reporter wrote (chat, receipt thread).
    MessageIn,
    /// An officer wrote to the reporter.
    MessageOut,
    StatusChanged,
    Assigned,
    Merged,
    MediaAdded,
    DeadlineExtended,
    Suspended,
    Resumed,
    IdentityRequested,
    IdentityApproved,
    IdentityDenied,
    IdentityViewed,
    Exported,
    /// The reporter added or corrected details (place, time, mode) after the case was made.
    Updated,
    /// The urgent alarm: raised (whom it reached), widened while nobody took it, or taken by an
    /// officer. Internal.
    Alarm,
}

crate::stored_name!(EventKind, "case event");

impl EventKind {
    pub const ALL: [EventKind; 23] = [
        EventKind::Created,
        EventKind::Routed,
        EventKind::Forwarded,
        EventKind::Acknowledged,
        EventKind::Returned,
        EventKind::Viewed,
        EventKind::Note,
        EventKind::MessageIn,
        EventKind::MessageOut,
        EventKind::StatusChanged,
        EventKind::Assigned,
        EventKind::Merged,
        EventKind::MediaAdded,
        EventKind::DeadlineExtended,
        EventKind::Suspended,
        EventKind::Resumed,
        EventKind::IdentityRequested,
        EventKind::IdentityApproved,
        EventKind::IdentityDenied,
        EventKind::IdentityViewed,
        EventKind::Exported,
        EventKind::Updated,
        EventKind::Alarm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Routed => "routed",
            EventKind::Forwarded => "forwarded",
            EventKind::Acknowledged => "acknowledged",
            EventKind::Returned => "returned",
            EventKind::Viewed => "viewed",
            EventKind::Note => "note",
            EventKind::MessageIn => "message_in",
            EventKind::MessageOut => "message_out",
            EventKind::StatusChanged => "status_changed",
            EventKind::Assigned => "assigned",
            EventKind::Merged => "merged",
            EventKind::MediaAdded => "media_added",
            EventKind::DeadlineExtended => "deadline_extended",
            EventKind::Suspended => "suspended",
            EventKind::Resumed => "resumed",
            EventKind::IdentityRequested => "identity_requested",
            EventKind::IdentityApproved => "identity_approved",
            EventKind::IdentityDenied => "identity_denied",
            EventKind::IdentityViewed => "identity_viewed",
            EventKind::Exported => "exported",
            EventKind::Updated => "updated",
            EventKind::Alarm => "alarm",
        }
    }

    pub fn parse(raw: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            EventKind::Created => "Tiếp nhận",
            EventKind::Routed => "Giao đơn vị",
            EventKind::Forwarded => "Chuyển đơn vị",
            EventKind::Acknowledged => "Đơn vị nhận xử lý",
            EventKind::Returned => "Trả lại do không xác nhận kịp",
            EventKind::Viewed => "Xem",
            EventKind::Note => "Ghi chú nội bộ",
            EventKind::MessageIn => "Người báo nhắn",
            EventKind::MessageOut => "Trả lời người báo",
            EventKind::StatusChanged => "Đổi trạng thái",
            EventKind::Assigned => "Giao cán bộ",
            EventKind::Merged => "Gộp tin báo",
            EventKind::MediaAdded => "Thêm ảnh/video",
            EventKind::DeadlineExtended => "Gia hạn",
            EventKind::Suspended => "Tạm đình chỉ",
            EventKind::Resumed => "Tiếp tục giải quyết",
            EventKind::IdentityRequested => "Đề nghị xem danh tính",
            EventKind::IdentityApproved => "Duyệt xem danh tính",
            EventKind::IdentityDenied => "Từ chối xem danh tính",
            EventKind::IdentityViewed => "Xem danh tính",
            EventKind::Exported => "Xuất hồ sơ",
            EventKind::Updated => "Bổ sung thông tin",
            EventKind::Alarm => "Báo động tin khẩn",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            EventKind::Created => "Received",
            EventKind::Routed => "Given to unit",
            EventKind::Forwarded => "Forwarded",
            EventKind::Acknowledged => "Acknowledged by the unit",
            EventKind::Returned => "Returned: not acknowledged in time",
            EventKind::Viewed => "Viewed",
            EventKind::Note => "Internal note",
            EventKind::MessageIn => "Reporter wrote",
            EventKind::MessageOut => "Reply to the reporter",
            EventKind::StatusChanged => "Status changed",
            EventKind::Assigned => "Assigned",
            EventKind::Merged => "Merged",
            EventKind::MediaAdded => "Photo/video added",
            EventKind::DeadlineExtended => "Deadline extended",
            EventKind::Suspended => "Suspended",
            EventKind::Resumed => "Resumed",
            EventKind::IdentityRequested => "Identity requested",
            EventKind::IdentityApproved => "Identity request approved",
            EventKind::IdentityDenied => "Identity request denied",
            EventKind::IdentityViewed => "Identity viewed",
            EventKind::Exported => "Exported",
            EventKind::Updated => "Details added",
            EventKind::Alarm => "Urgent alarm",
        }
    }

    /// Whether the reporter sees this step in their view of the case (status and routing, the
    /// officers' replies); notes, views and identity steps are internal.
    pub fn citizen_visible(self) -> bool {
        matches!(
            self,
            EventKind::Created
                | EventKind::Routed
                | EventKind::Forwarded
                | EventKind::Acknowledged
                | EventKind::MessageIn
                | EventKind::MessageOut
                | EventKind::StatusChanged
                | EventKind::Merged
                | EventKind::MediaAdded
                | EventKind::Updated
        )
    }
}

#[cfg(test)]
mod tests;
