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

/// How a shift repeats when it is planned (every night, every weekend…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Once,
    Daily,
    Weekly,
}

/// Most shifts one planning creates (a month of nights).
pub const MAX_REPEATS: u32 = 31;

impl Repeat {
    /// Reads the form's value: `once`, `daily`, `weekly`.
    pub fn parse(raw: &str) -> Option<Repeat> {
        match raw.trim() {
            "" | "once" => Some(Repeat::Once),
            "daily" => Some(Repeat::Daily),
            "weekly" => Some(Repeat::Weekly),
            _ => None,
        }
    }

    fn step(self) -> jiff::SignedDuration {
        match self {
            Repeat::Once | Repeat::Daily => jiff::SignedDuration::from_hours(24),
            Repeat::Weekly => jiff::SignedDuration::from_hours(24 * 7),
        }
    }
}

/// The shifts a planning creates: `shift`, then `times - 1` more a day or a week apart (Vietnam
/// keeps one offset all year, so a day is 24 hours). `times` is 1 for [`Repeat::Once`] and at
/// most [`MAX_REPEATS`].
pub fn repeated(shift: &DutyShift, every: Repeat, times: u32) -> Result<Vec<DutyShift>, InvalidInput> {
    let times = if every == Repeat::Once { 1 } else { times };
    if times == 0 || times > MAX_REPEATS {
        return Err(InvalidInput::new(
            "times",
            format!("Số lần lặp cần từ 1 đến {MAX_REPEATS}."),
            format!("Repeat from 1 to {MAX_REPEATS} times."),
        ));
    }
    let mut out = Vec::with_capacity(times as usize);
    for i in 0..times {
        let shift_by = every.step() * i32::try_from(i).unwrap_or(0);
        let (Ok(starts_at), Ok(ends_at)) = (shift.starts_at.checked_add(shift_by), shift.ends_at.checked_add(shift_by))
        else {
            return Err(InvalidInput::new(
                "times",
                "Ngày của ca trực không hợp lệ.",
                "The shift's dates are not valid.",
            ));
        };
        out.push(DutyShift { starts_at, ends_at, ..shift.clone() });
    }
    Ok(out)
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

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_nightly_shift_for_a_week_is_seven_nights_a_day_apart() {
        let night =
            DutyShift::new(OfficerId(1), UnitId(2), at("2026-12-07T15:00:00Z"), at("2026-12-07T23:00:00Z")).unwrap();
        let week = repeated(&night, Repeat::Daily, 7).unwrap();
        assert_eq!(week.len(), 7);
        assert_eq!(week[6].starts_at, at("2026-12-13T15:00:00Z"));
        assert_eq!(week[6].ends_at, at("2026-12-13T23:00:00Z"));
        assert!(week.windows(2).all(|w| !w[0].overlaps(w[1].starts_at, w[1].ends_at)));
        let weekends = repeated(&night, Repeat::Weekly, 4).unwrap();
        assert_eq!(weekends[3].starts_at, at("2026-12-28T15:00:00Z"));
        assert_eq!(repeated(&night, Repeat::Once, 9).unwrap().len(), 1, "once is once");
        assert!(repeated(&night, Repeat::Daily, 0).is_err());
        assert!(repeated(&night, Repeat::Daily, MAX_REPEATS + 1).is_err());
        assert_eq!(Repeat::parse("weekly"), Some(Repeat::Weekly));
        assert_eq!(Repeat::parse("monthly"), None);
    }
}
