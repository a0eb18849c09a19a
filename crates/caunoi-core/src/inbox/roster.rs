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
