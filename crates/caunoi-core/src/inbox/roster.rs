//! The duty roster (lịch trực): who is on shift in a unit, and whom a handed-off conversation
//! goes to.
//!
//! Assignment follows declared shifts, not browser presence: an officer is on duty from a
//! shift's `starts_at` (inclusive) to its `ends_at` (exclusive). Among the officers on duty in
//! the unit, [`pick_assignee`] takes the one with the fewest open conversations, ties going to
//! the lowest officer id so the choice is reproducible.

use std::collections::HashMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::input::InvalidInput;
use crate::staff::OfficerId;
use crate::units::UnitId;

/// One officer's shift in one unit (ca trực).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyShift {
    pub officer_id: OfficerId,
    pub unit_id: UnitId,
    pub starts_at: Timestamp,
    /// Exclusive end.
    pub ends_at: Timestamp,
}

impl DutyShift {
    /// A shift, refused when it does not end after it starts.
    pub fn new(
        officer_id: OfficerId,
        unit_id: UnitId,
        starts_at: Timestamp,
        ends_at: Timestamp,
    ) -> Result<DutyShift, InvalidInput> {
        if ends_at <= starts_at {
            return Err(InvalidInput::new(
                "ends_at",
                "Giờ kết thúc ca trực phải sau giờ bắt đầu.",
                "A shift must end after it starts.",
            ));
        }
        Ok(DutyShift { officer_id, unit_id, starts_at, ends_at })
    }

    /// Whether the shift covers `now` (start inclusive, end exclusive).
    pub fn covers(&self, now: Timestamp) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// Whether two shifts share a moment.
    pub fn overlaps(&self, other_start: Timestamp, other_end: Timestamp) -> bool {
        self.starts_at < other_end && other_start < self.ends_at
    }
}

/// Days of the week a recurring shift falls on (bit 0 Monday … bit 6 Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Weekdays(u8);

impl Weekdays {
    pub const ALL: Weekdays = Weekdays(0b111_1111);
    /// Saturday and Sunday.
    pub const WEEKEND: Weekdays = Weekdays(0b110_0000);

    /// From the form's day numbers, 1 Monday … 7 Sunday (others ignored).
    pub fn from_numbers(days: impl IntoIterator<Item = u8>) -> Weekdays {
        Weekdays(days.into_iter().filter(|d| (1..=7).contains(d)).fold(0, |bits, d| bits | 1 << (d - 1)))
    }

    /// The stored form: a bit mask.
    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(bits: u8) -> Weekdays {
        Weekdays(bits & 0b111_1111)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, day: jiff::civil::Weekday) -> bool {
        self.0 & 1 << (day.to_monday_one_offset() - 1) != 0
    }

    /// The days in Vietnamese short form ("T2, T4, CN"), Monday first.
    pub fn label_vi(self) -> String {
        const NAMES: [&str; 7] = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"];
        self.names(&NAMES)
    }

    pub fn label_en(self) -> String {
        const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        self.names(&NAMES)
    }

    fn names(self, names: &[&str; 7]) -> String {
        (0..7).filter(|i| self.0 & 1 << i != 0).map(|i| names[i]).collect::<Vec<_>>().join(", ")
    }
}

/// How a shift repeats (lặp lại): once, or on some days of the week until a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Once,
    /// Every night / every day.
    Daily,
    /// Saturdays and Sundays.
    Weekends,
    /// The chosen days of the week.
    Days(Weekdays),
}

/// Longest span of one recurring planning, in days from the first shift's date to the last
/// (a year: the roster stores each occurrence, so the rows one planning writes stay bounded).
pub const MAX_SPAN_DAYS: i32 = 366;

impl Repeat {
    /// Reads the form: `repeat` is `once`, `daily`, `weekend` or `days` (with `days` the chosen
    /// day numbers, 1 Monday … 7 Sunday).
    pub fn parse(raw: &str, days: &[u8]) -> Result<Repeat, InvalidInput> {
        match raw.trim() {
            "" | "once" => Ok(Repeat::Once),
            "daily" => Ok(Repeat::Daily),
            "weekend" => Ok(Repeat::Weekends),
            "days" => {
                let set = Weekdays::from_numbers(days.iter().copied());
                if set.is_empty() {
                    Err(InvalidInput::new(
                        "days",
                        "Hãy chọn ít nhất một ngày trong tuần cho ca trực lặp lại.",
                        "Choose at least one day of the week for the repeating shift.",
                    ))
                } else {
                    Ok(Repeat::Days(set))
                }
            }
            _ => Err(InvalidInput::new("repeat", "Hãy chọn cách lặp lại ca trực.", "Choose how the shift repeats.")),
        }
    }

    /// The days it falls on (`None` for once).
    pub fn weekdays(self) -> Option<Weekdays> {
        match self {
            Repeat::Once => None,
            Repeat::Daily => Some(Weekdays::ALL),
            Repeat::Weekends => Some(Weekdays::WEEKEND),
            Repeat::Days(d) => Some(d),
        }
    }

    /// In words, for the roster: "Hằng ngày", "Cuối tuần (T7, CN)", "T2, T4, T6".
    pub fn label(self, vi: bool) -> String {
        match (self, vi) {
            (Repeat::Once, true) => "Một lần".into(),
            (Repeat::Once, false) => "Once".into(),
            (Repeat::Daily, true) => "Hằng ngày".into(),
            (Repeat::Daily, false) => "Every day".into(),
            (Repeat::Weekends, true) => "Cuối tuần (T7, CN)".into(),
            (Repeat::Weekends, false) => "Weekends (Sat, Sun)".into(),
            (Repeat::Days(d), true) => d.label_vi(),
            (Repeat::Days(d), false) => d.label_en(),
        }
    }

    /// The stored form of the days (0 for once).
    pub fn bits(self) -> u8 {
        self.weekdays().map_or(0, Weekdays::bits)
    }

    /// Back from the stored bits.
    pub fn from_bits(bits: u8) -> Repeat {
        match Weekdays::from_bits(bits) {
            d if d.is_empty() => Repeat::Once,
            Weekdays::ALL => Repeat::Daily,
            Weekdays::WEEKEND => Repeat::Weekends,
            d => Repeat::Days(d),
        }
    }
}

/// A planning as asked: the first shift's local start and end, how it repeats and the last
/// date an occurrence may start on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    pub starts: jiff::civil::DateTime,
    pub ends: jiff::civil::DateTime,
    pub repeat: Repeat,
    /// Inclusive; required unless `repeat` is once.
    pub until: Option<jiff::civil::Date>,
}

/// The shifts a planning creates, in time order: for each date from the first shift's date to
/// `until` that falls on one of the chosen days, a shift at the same local hours and of the
/// same length (an overnight shift ends the next morning). All or nothing: a recurrence that
/// ends before it starts, spans more than [`MAX_SPAN_DAYS`], falls on no day, or whose shifts
/// would overlap one another (a shift longer than the gap to the next) is refused.
pub fn plan(
    officer_id: OfficerId,
    unit_id: UnitId,
    r: &Recurrence,
    tz: &jiff::tz::TimeZone,
) -> Result<Vec<DutyShift>, InvalidInput> {
    let bad_time = || {
        InvalidInput::new("starts_at", "Ngày giờ của ca trực không hợp lệ.", "The shift's date and time are not valid.")
    };
    let at = |dt: jiff::civil::DateTime| dt.to_zoned(tz.clone()).map(|z| z.timestamp()).map_err(|_| bad_time());
    let first = DutyShift::new(officer_id, unit_id, at(r.starts)?, at(r.ends)?)?;
    let Some(days) = r.repeat.weekdays() else { return Ok(vec![first]) };
    let Some(until) = r.until else {
        return Err(InvalidInput::new(
            "until",
            "Hãy chọn ngày kết thúc lặp lại.",
            "Choose the date the repetition ends.",
        ));
    };
    let from = r.starts.date();
    if until < from {
        return Err(InvalidInput::new(
            "until",
            format!("Ngày kết thúc lặp lại ({}) ở trước ngày của ca đầu ({}).", vn_date(until), vn_date(from)),
            format!("The repetition ends ({until}) before the first shift's date ({from})."),
        ));
    }
    let span = from.until(until).map(|s| s.get_days()).unwrap_or(i32::MAX);
    if span > MAX_SPAN_DAYS {
        return Err(InvalidInput::new(
            "until",
            format!("Lịch lặp lại dài tối đa {MAX_SPAN_DAYS} ngày; hãy chọn ngày kết thúc sớm hơn."),
            format!("A repetition spans at most {MAX_SPAN_DAYS} days; choose an earlier end date."),
        ));
    }
    let length = r.starts.duration_until(r.ends);
    let mut out = Vec::new();
    let mut day = from;
    while day <= until {
        if days.contains(day.weekday()) {
            let start = day.to_datetime(r.starts.time());
            let end = start.checked_add(length).map_err(|_| bad_time())?;
            out.push(DutyShift::new(officer_id, unit_id, at(start)?, at(end)?)?);
        }
        day = match day.tomorrow() {
            Ok(d) => d,
            Err(_) => break,
        };
    }
    if out.is_empty() {
        return Err(InvalidInput::new(
            "days",
            "Không có ngày nào từ ngày của ca đầu đến ngày kết thúc rơi vào các ngày đã chọn.",
            "No date from the first shift to the end date falls on the chosen days.",
        ));
    }
    if out.windows(2).any(|w| w[0].overlaps(w[1].starts_at, w[1].ends_at)) {
        return Err(InvalidInput::new(
            "ends_at",
            "Ca trực dài hơn khoảng cách giữa hai lần lặp nên các ca sẽ trùng nhau; hãy rút ngắn ca hoặc chọn ít ngày hơn.",
            "The shift is longer than the gap between two repetitions, so they would overlap; shorten it or choose fewer days.",
        ));
    }
    Ok(out)
}

/// A date as Vietnamese write it: 31/12/2026.
pub fn vn_date(d: jiff::civil::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

/// Longest shift hand-over note (ghi chú bàn giao ca), in characters.
pub const MAX_HANDOVER_CHARS: usize = 2000;

/// How long a hand-over note is shown to the officers on duty after it was written, in hours
/// (a note for a shift nobody took over does not greet next week's officer).
pub const HANDOVER_SHOWN_HOURS: i64 = 24;

/// A hand-over note's text, trimmed; refused when empty or longer than [`MAX_HANDOVER_CHARS`].
pub fn handover_text(raw: &str) -> Result<String, InvalidInput> {
    let text = raw.trim();
    let n = text.chars().count();
    if n == 0 {
        return Err(InvalidInput::new("text", "Hãy viết nội dung ghi chú bàn giao ca.", "Write the hand-over note."));
    }
    if n > MAX_HANDOVER_CHARS {
        return Err(InvalidInput::new(
            "text",
            format!("Ghi chú bàn giao ca dài tối đa {MAX_HANDOVER_CHARS} ký tự (hiện có {n}); hãy rút gọn."),
            format!("A hand-over note holds at most {MAX_HANDOVER_CHARS} characters (this one has {n}); shorten it."),
        ));
    }
    Ok(text.to_string())
}

/// The on-duty officer of `unit` at `now` with the fewest open conversations in `load`
/// (missing = none), ties by lowest id; `None` when nobody is on duty.
pub fn pick_assignee(
    shifts: &[DutyShift],
    unit: UnitId,
    now: Timestamp,
    load: &HashMap<OfficerId, usize>,
) -> Option<OfficerId> {
    shifts
        .iter()
        .filter(|s| s.unit_id == unit && s.covers(now))
        .map(|s| (load.get(&s.officer_id).copied().unwrap_or(0), s.officer_id))
        .min()
        .map(|(_, officer)| officer)
}

#[cfg(test)]
mod repeat_tests {
    use super::*;
    use jiff::civil::{Date, DateTime, Weekday};

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn local(s: &str) -> DateTime {
        s.parse().unwrap()
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn vn() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::fixed(jiff::tz::offset(7))
    }

    fn nights(repeat: Repeat, until: &str) -> Result<Vec<DutyShift>, InvalidInput> {
        let r = Recurrence {
            starts: local("2026-12-07T22:00"),
            ends: local("2026-12-08T06:00"),
            repeat,
            until: Some(date(until)),
        };
        plan(OfficerId(1), UnitId(2), &r, &vn())
    }

    #[test]
    fn every_night_until_a_date_is_one_overnight_shift_per_date() {
        let week = nights(Repeat::Daily, "2026-12-13").unwrap();
        assert_eq!(week.len(), 7);
        assert_eq!(week[0].starts_at, at("2026-12-07T15:00:00Z"));
        assert_eq!(week[6].starts_at, at("2026-12-13T15:00:00Z"));
        assert_eq!(week[6].ends_at, at("2026-12-13T23:00:00Z"), "ends the next morning, 06:00 local");
        assert!(week.windows(2).all(|w| !w[0].overlaps(w[1].starts_at, w[1].ends_at)));
    }

    #[test]
    fn weekends_and_chosen_days_fall_on_those_days_only() {
        // 2026-12-07 is a Monday.
        let weekends = nights(Repeat::Weekends, "2026-12-31").unwrap();
        let days: Vec<Date> = weekends.iter().map(|s| s.starts_at.to_zoned(vn()).date()).collect();
        assert_eq!(days.first(), Some(&date("2026-12-12")));
        assert!(days.iter().all(|d| matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)));
        assert_eq!(weekends.len(), 6, "12/13, 19/20 and 26/27 December");
        let mwf = Repeat::parse("days", &[1, 3, 5, 9]).unwrap();
        assert_eq!(mwf, Repeat::Days(Weekdays::from_numbers([1, 3, 5])));
        assert_eq!(mwf.label(true), "T2, T4, T6");
        assert_eq!(Repeat::from_bits(mwf.bits()), mwf);
        assert_eq!(Repeat::from_bits(Repeat::Weekends.bits()), Repeat::Weekends);
        assert_eq!(nights(mwf, "2026-12-13").unwrap().len(), 3);
    }

    #[test]
    fn a_bad_recurrence_is_refused_with_a_clear_message() {
        let before = nights(Repeat::Daily, "2026-12-06").unwrap_err();
        assert_eq!(before.field, "until");
        assert!(before.message.vi.contains("06/12/2026") && before.message.vi.contains("07/12/2026"), "{before}");
        assert!(nights(Repeat::Daily, "2028-01-01").unwrap_err().message.vi.contains("366 ngày"));
        assert_eq!(Repeat::parse("days", &[]).unwrap_err().field, "days");
        assert_eq!(Repeat::parse("monthly", &[]).unwrap_err().field, "repeat");
        // A 30-hour shift every day would overlap the next one…
        let long = Recurrence {
            starts: local("2026-12-07T22:00"),
            ends: local("2026-12-09T04:00"),
            repeat: Repeat::Daily,
            until: Some(date("2026-12-10")),
        };
        assert!(plan(OfficerId(1), UnitId(2), &long, &vn()).unwrap_err().message.vi.contains("trùng nhau"));
        // …but on every other day it fits.
        let alternate = Recurrence { repeat: Repeat::Days(Weekdays::from_numbers([1, 3, 5])), ..long };
        assert_eq!(plan(OfficerId(1), UnitId(2), &alternate, &vn()).unwrap().len(), 2);
        let no_until = Recurrence { until: None, ..long };
        assert_eq!(plan(OfficerId(1), UnitId(2), &no_until, &vn()).unwrap_err().field, "until");
        // Weekends only, in a Monday-to-Wednesday span: no shift at all.
        assert_eq!(nights(Repeat::Weekends, "2026-12-09").unwrap_err().field, "days");
        let once = Recurrence { repeat: Repeat::Once, until: None, ..long };
        assert_eq!(plan(OfficerId(1), UnitId(2), &once, &vn()).unwrap().len(), 1);
    }

    #[test]
    fn a_handover_note_is_trimmed_and_bounded() {
        assert_eq!(handover_text("  Tổ 5 còn theo dõi vụ cháy.  ").unwrap(), "Tổ 5 còn theo dõi vụ cháy.");
        assert_eq!(handover_text("   ").unwrap_err().field, "text");
        assert!(handover_text(&"ệ".repeat(MAX_HANDOVER_CHARS)).is_ok(), "counted in characters, not bytes");
        let long = handover_text(&"a".repeat(MAX_HANDOVER_CHARS + 1)).unwrap_err();
        assert!(long.message.vi.contains("2001"), "{long}");
    }
}
