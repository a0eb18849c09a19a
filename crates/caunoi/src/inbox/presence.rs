//! Who can read a unit's chat now, as the bot tells citizens: whether a duty shift covers this
//! moment, and how long citizens of the unit typically wait for an officer's first reply
//! (the median over its recent conversations). Read on the message path, so kept per unit for
//! [`PRESENCE_TTL_SECONDS`]; a change to the unit's roster forgets it at once on this instance
//! (another instance sees it within the TTL).

use crate::app::App;
use crate::db::StoreError;
use caunoi_core::units::UnitId;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a unit's presence is reused.
pub const PRESENCE_TTL_SECONDS: i64 = 60;
/// The window of conversations the typical wait is measured over.
const WAIT_WINDOW_DAYS: i64 = 30;
/// Fewer measured replies than this: no typical wait is quoted.
const MIN_WAIT_SAMPLES: usize = 5;

/// A unit's presence as of a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitPresence {
    pub on_duty: bool,
    pub typical_wait_minutes: Option<u32>,
}

/// The per-unit cache, a runtime of the app.
#[derive(Default)]
pub struct Presence {
    cache: Mutex<HashMap<UnitId, (i64, UnitPresence)>>,
}

impl crate::app::App {
    pub fn presence(&self) -> &Presence {
        self.runtime()
    }
}

impl Presence {
    /// Forgets every unit's presence (a roster changed).
    pub fn forget_all(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    fn cached(&self, unit: UnitId, now: i64) -> Option<UnitPresence> {
        let cache = self.cache.lock().ok()?;
        let (at, presence) = cache.get(&unit)?;
        (now - at < PRESENCE_TTL_SECONDS * 1_000_000 && now >= *at).then_some(*presence)
    }

    fn keep(&self, unit: UnitId, now: i64, presence: UnitPresence) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(unit, (now, presence));
        }
    }
}

/// The unit's presence now (cached, module docs).
pub async fn of_unit(app: &App, unit: UnitId) -> Result<UnitPresence, StoreError> {
    let now = app.clock.now_micros();
    if let Some(p) = app.presence().cached(unit, now) {
        return Ok(p);
    }
    let on_duty = !super::store::on_duty_officers(&app.db, unit, now).await?.is_empty();
    let since = now - WAIT_WINDOW_DAYS * 86_400 * 1_000_000;
    let waits = crate::conversations::service::first_reply_waits(&app.db, unit, since).await?;
    let presence = UnitPresence { on_duty, typical_wait_minutes: typical_minutes(waits) };
    app.presence().keep(unit, now, presence);
    Ok(presence)
}

/// The median wait in whole minutes (at least 1), from waits in microseconds; `None` with too
/// few samples.
pub fn typical_minutes(mut waits: Vec<i64>) -> Option<u32> {
    waits.retain(|w| *w >= 0);
    if waits.len() < MIN_WAIT_SAMPLES {
        return None;
    }
    waits.sort_unstable();
    let median = waits[waits.len() / 2];
    let minutes = (median + 59_999_999) / 60_000_000;
    Some(u32::try_from(minutes.max(1)).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typical_wait_is_the_median_rounded_up_to_minutes() {
        let min = 60_000_000;
        assert_eq!(typical_minutes(vec![min; 4]), None, "too few");
        assert_eq!(typical_minutes(vec![min, 2 * min, 9 * min + 1, 30 * min, 600 * min]), Some(10));
        assert_eq!(typical_minutes(vec![1, 2, 3, 4, 5]), Some(1), "never zero minutes");
        assert_eq!(typical_minutes(vec![-5, -5, -5, -5, min]), None, "clock skew is ignored");
    }
}
