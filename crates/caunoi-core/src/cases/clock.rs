//! The clocks of a case. Times are microseconds since the Unix epoch (UTC), as stored.
//!
//! - The **legal clock** ([`LegalClock`]): a denunciation or tip must be decided within 20 days
//!   of its receipt, extendable with a recorded reason up to two months (Criminal Procedure Code
//!   2015 art. 147); time while the matter is suspended does not count. It starts when the
//!   report is received — by whichever unit — and forwarding never resets it.
//! - The **acknowledgement clock** ([`AckClock`]): a unit a case is forwarded to must take it
//!   within a target (15 minutes by default) or it goes back to the sender.
//! - The **first reply target** ([`first_reply_due`]): the reporter hears from an officer within
//!   a day.

use serde::{Deserialize, Serialize};

const MINUTE: i64 = 60 * 1_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The default acknowledgement target of a forwarded case, in minutes.
pub const DEFAULT_ACK_MINUTES: u32 = 15;
/// The default hour (Vietnam time) of the daily digest of cases to unit leaders.
pub const DEFAULT_DIGEST_HOUR: u32 = 7;
/// A legal deadline within this many days is "near" in the daily digest.
pub const DUE_SOON_DAYS: i64 = 3;
/// Vietnam's offset from UTC (no daylight saving).
const VIETNAM_OFFSET: i64 = 7 * HOUR;

/// The day (days since 1970-01-01, Vietnam time) whose digest is due at `now` once the digest
/// `hour` (Vietnam time) has come; `None` earlier in the day.
pub fn digest_day(now: i64, hour: u32) -> Option<i64> {
    let local = now + VIETNAM_OFFSET;
    (local.rem_euclid(DAY) >= i64::from(hour) * HOUR).then_some(local.div_euclid(DAY))
}

/// The internal target for the first reply to the reporter, in hours.
pub const FIRST_REPLY_HOURS: i64 = 24;
/// How far an extension may reach: two months after receipt.
pub const MAX_EXTENSION_MONTHS: i32 = 2;
/// Shortest reason accepted for an extension or suspension, in characters.
pub const MIN_REASON_CHARS: usize = 10;

/// Refusal to move a legal clock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("this category has no legal deadline")]
    NoDeadline,
    #[error("the new deadline is not later than the current one")]
    NotLater,
    #[error("the new deadline is more than two months after receipt")]
    TooFar,
    #[error("a reason of at least 10 characters is required")]
    NoReason,
    #[error("the clock is already suspended")]
    AlreadySuspended,
    #[error("the clock is not suspended")]
    NotSuspended,
}

impl ClockError {
    pub fn message_vi(&self) -> &'static str {
        match self {
            ClockError::NoDeadline => "Loại tin báo này không có thời hạn giải quyết theo luật.",
            ClockError::NotLater => "Hạn mới phải sau hạn hiện tại.",
            ClockError::TooFar => "Chỉ được gia hạn tối đa đến 2 tháng kể từ ngày tiếp nhận.",
            ClockError::NoReason => "Cần ghi lý do (ít nhất 10 ký tự).",
            ClockError::AlreadySuspended => "Tin báo đang tạm đình chỉ.",
            ClockError::NotSuspended => "Tin báo không ở trạng thái tạm đình chỉ.",
        }
    }
}

/// The legal clock of a case, as stored on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LegalClock {
    /// When the report was first received (by any unit).
    pub received_at: i64,
    /// The category's deadline in days, fixed when the case is made; `None`: no legal clock.
    pub legal_days: Option<u16>,
    /// The deadline set by an extension, before counting suspensions.
    pub extended_to: Option<i64>,
    /// Time spent suspended, finished intervals only.
    pub suspended_micros: i64,
    /// Since when it is suspended, if it is.
    pub suspended_since: Option<i64>,
}

/// Where a deadline stands, for a badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "micros", rename_all = "snake_case")]
pub enum Countdown {
    /// No deadline.
    None,
    /// Suspended: the clock does not run.
    Paused,
    /// Time left (more than a day).
    Due(i64),
    /// Less than a day left.
    DueSoon(i64),
    /// Past the deadline by this long.
    Overdue(i64),
}

impl Countdown {
    /// `due` against `now`.
    pub fn of(due: Option<i64>, now: i64) -> Countdown {
        match due {
            None => Countdown::None,
            Some(due) if now > due => Countdown::Overdue(now - due),
            Some(due) if due - now < DAY => Countdown::DueSoon(due - now),
            Some(due) => Countdown::Due(due - now),
        }
    }

    /// "còn 12 ngày", "còn 5 giờ", "quá hạn 2 ngày", "tạm đình chỉ".
    pub fn label_vi(self) -> String {
        match self {
            Countdown::None => String::new(),
            Countdown::Paused => "tạm đình chỉ".into(),
            Countdown::Due(left) | Countdown::DueSoon(left) => format!("còn {}", span_vi(left)),
            Countdown::Overdue(past) => format!("quá hạn {}", span_vi(past)),
        }
    }

    pub fn label_en(self) -> String {
        match self {
            Countdown::None => String::new(),
            Countdown::Paused => "suspended".into(),
            Countdown::Due(left) | Countdown::DueSoon(left) => format!("{} left", span_en(left)),
            Countdown::Overdue(past) => format!("{} overdue", span_en(past)),
        }
    }

    /// The badge's CSS class: `due`, `soon`, `overdue`, `paused`.
    pub fn class(self) -> &'static str {
        match self {
            Countdown::None | Countdown::Due(_) => "due",
            Countdown::DueSoon(_) => "soon",
            Countdown::Overdue(_) => "overdue",
            Countdown::Paused => "paused",
        }
    }

    pub fn is_overdue(self) -> bool {
        matches!(self, Countdown::Overdue(_))
    }
}

fn span_vi(micros: i64) -> String {
    if micros >= DAY {
        format!("{} ngày", micros / DAY)
    } else if micros >= HOUR {
        format!("{} giờ", micros / HOUR)
    } else {
        format!("{} phút", (micros / MINUTE).max(1))
    }
}

fn span_en(micros: i64) -> String {
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    if micros >= DAY {
        plural(micros / DAY, "day")
    } else if micros >= HOUR {
        plural(micros / HOUR, "hour")
    } else {
        plural((micros / MINUTE).max(1), "minute")
    }
}

/// Adds calendar months in Vietnam's time (UTC+7, no daylight saving).
fn add_months(at: i64, months: i32) -> i64 {
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(7));
    jiff::Timestamp::from_microsecond(at)
        .ok()
        .and_then(|ts| ts.to_zoned(tz).checked_add(jiff::Span::new().months(months)).ok())
        .map(|z| z.timestamp().as_microsecond())
        .unwrap_or(at + i64::from(months) * 31 * DAY)
}

impl LegalClock {
    /// The clock of a case received at `received_at` in a category with `legal_days`.
    pub fn start(received_at: i64, legal_days: Option<u16>) -> LegalClock {
        LegalClock { received_at, legal_days, ..LegalClock::default() }
    }

    /// The deadline before suspensions: the extension, or receipt plus the legal days.
    fn base_due(&self) -> Option<i64> {
        let days = self.legal_days?;
        Some(self.extended_to.unwrap_or(self.received_at + i64::from(days) * DAY))
    }

    /// The deadline; `None` when there is none or while suspended (the clock stands still).
    pub fn due(&self) -> Option<i64> {
        if self.suspended_since.is_some() {
            return None;
        }
        Some(self.base_due()? + self.suspended_micros)
    }

    pub fn countdown(&self, now: i64) -> Countdown {
        if self.legal_days.is_some() && self.suspended_since.is_some() {
            Countdown::Paused
        } else {
            Countdown::of(self.due(), now)
        }
    }

    /// The latest deadline an extension may set: two months after receipt, plus suspensions.
    pub fn latest_extension(&self) -> i64 {
        add_months(self.received_at, MAX_EXTENSION_MONTHS) + self.suspended_micros
    }

    /// Extends the deadline to `to` (as shown, suspensions included) with a reason.
    pub fn extend(&self, to: i64, reason: &str) -> Result<LegalClock, ClockError> {
        let due = self.base_due().ok_or(ClockError::NoDeadline)? + self.suspended_micros;
        if reason.trim().chars().count() < MIN_REASON_CHARS {
            return Err(ClockError::NoReason);
        }
        if to <= due {
            return Err(ClockError::NotLater);
        }
        if to > self.latest_extension() {
            return Err(ClockError::TooFar);
        }
        Ok(LegalClock { extended_to: Some(to - self.suspended_micros), ..*self })
    }

    /// Suspends the clock at `now` with a reason.
    pub fn suspend(&self, now: i64, reason: &str) -> Result<LegalClock, ClockError> {
        self.base_due().ok_or(ClockError::NoDeadline)?;
        if reason.trim().chars().count() < MIN_REASON_CHARS {
            return Err(ClockError::NoReason);
        }
        if self.suspended_since.is_some() {
            return Err(ClockError::AlreadySuspended);
        }
        Ok(LegalClock { suspended_since: Some(now), ..*self })
    }

    /// Lets the clock run again at `now`; the suspended time moves the deadline.
    pub fn resume(&self, now: i64) -> Result<LegalClock, ClockError> {
        let since = self.suspended_since.ok_or(ClockError::NotSuspended)?;
        Ok(LegalClock {
            suspended_micros: self.suspended_micros + (now - since).max(0),
            suspended_since: None,
            ..*self
        })
    }
}

/// The acknowledgement clock of a forwarded case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckClock {
    pub forwarded_at: i64,
    pub due: i64,
}

impl AckClock {
    pub fn start(forwarded_at: i64, minutes: u32) -> AckClock {
        AckClock { forwarded_at, due: forwarded_at + i64::from(minutes) * MINUTE }
    }

    /// Whether the receiving unit let the target pass without acknowledging.
    pub fn expired(&self, now: i64) -> bool {
        now > self.due
    }
}

/// When the first reply to the reporter is due.
pub fn first_reply_due(received_at: i64) -> i64 {
    received_at + FIRST_REPLY_HOURS * HOUR
}
