//! Duplicate suggestions: one fire brings twenty reports. An open case of the same category
//! reported within [`RADIUS_M`] and a time window of another is suggested to the officer as the
//! same matter; merging is the officer's decision, never automatic.

use super::CaseId;

/// How close two reports' places must be, in metres.
pub const RADIUS_M: f64 = 250.0;

/// How close in time two reports must be: an urgent category (a fire, an accident) is one
/// event of a few hours; a nuisance (racing, noise) recurs over days.
pub fn window_micros(urgent: bool) -> i64 {
    const HOUR: i64 = 3_600_000_000;
    if urgent { 6 * HOUR } else { 72 * HOUR }
}

/// What the check needs of a case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate<'a> {
    pub id: CaseId,
    pub category: &'a str,
    pub open: bool,
    pub received_at: i64,
    /// (lat, lon), when the place is known.
    pub point: Option<(f64, f64)>,
}

pub use crate::geo::distance_latlon_m as distance_m;

/// Whether `other` may be the same matter as `case` (`urgent`: the category's urgency).
pub fn is_duplicate(case: &Candidate, other: &Candidate, urgent: bool) -> bool {
    case.id != other.id
        && other.open
        && case.category == other.category
        && (case.received_at - other.received_at).abs() <= window_micros(urgent)
        && matches!((case.point, other.point), (Some(a), Some(b)) if distance_m(a, b) <= RADIUS_M)
}

/// The suggestions for `case` among `others`, nearest first.
pub fn suggestions<'a>(case: &Candidate, others: &[Candidate<'a>], urgent: bool) -> Vec<Candidate<'a>> {
    let mut found: Vec<(f64, Candidate<'a>)> = others
        .iter()
        .filter(|o| is_duplicate(case, o, urgent))
        .filter_map(|o| Some((distance_m(case.point?, o.point?), *o)))
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found.into_iter().map(|(_, c)| c).collect()
}
