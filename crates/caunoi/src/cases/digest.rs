//! The daily digest for unit leaders: within the officer's scope (their unit's subtree), the
//! overdue cases, those whose legal deadline is near (`DUE_SOON_DAYS`), the forwards still
//! waiting for the receiving unit's acknowledgement, and counts. The console shows it at
//! `/cases/digest` (linked from the board); once a day, at `case_digest_hour` Vietnam time
//! (07:00 by default), [`send_daily`] pushes one notice with the counts to every leader who
//! has something open.

use super::store::{self, BoardFilter, BoardRow};
use crate::app::App;
use crate::db::StoreError;
use caunoi_core::staff::{OfficerId, Role};

/// How many cases each list of the digest shows (the board has the rest).
pub const LIST: i64 = 20;

/// The digest's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Open cases (new, acknowledged, verifying).
    pub open: i64,
    /// Open cases past their legal deadline or their acknowledgement target.
    pub overdue: i64,
    /// Open cases whose legal deadline falls within `DUE_SOON_DAYS`.
    pub due_soon: i64,
    /// Forwards not yet acknowledged by the receiving unit.
    pub forwards: i64,
    /// Cases received in the last 24 hours.
    pub received_day: i64,
}

/// The digest of one officer's scope at `now`.
#[derive(Debug, Clone)]
pub struct Digest {
    pub counts: Counts,
    pub overdue: Vec<BoardRow>,
    pub due_soon: Vec<BoardRow>,
    pub forwards: Vec<BoardRow>,
}

async fn view(
    app: &App,
    officer: OfficerId,
    view: &str,
    now: i64,
    limit: i64,
) -> Result<(Vec<BoardRow>, i64), StoreError> {
    let filter = BoardFilter { view, category: None, unit_path: None, now, limit, offset: 0 };
    store::board(&app.db, officer, &filter).await
}

/// The counts of the officer's scope (the push notice).
pub async fn counts(app: &App, officer: OfficerId, now: i64) -> Result<Counts, StoreError> {
    Ok(Counts {
        open: view(app, officer, "open", now, 0).await?.1,
        overdue: view(app, officer, "overdue", now, 0).await?.1,
        due_soon: view(app, officer, "due_soon", now, 0).await?.1,
        forwards: view(app, officer, "forwards", now, 0).await?.1,
        received_day: view(app, officer, "recent", now, 0).await?.1,
    })
}

/// The digest of the officer's scope (the console page).
pub async fn for_officer(app: &App, officer: OfficerId, now: i64) -> Result<Digest, StoreError> {
    Ok(Digest {
        counts: counts(app, officer, now).await?,
        overdue: view(app, officer, "overdue", now, LIST).await?.0,
        due_soon: view(app, officer, "due_soon", now, LIST).await?.0,
        forwards: view(app, officer, "forwards", now, LIST).await?.0,
    })
}

/// The push notice of a leader's digest: counts only, nothing personal.
fn notice(c: &Counts, day: i64) -> crate::push::Alarm {
    let body = format!(
        "{} quá hạn, {} sắp đến hạn, {} chuyển đến chưa xác nhận; {} đang xử lý, {} mới trong 24 giờ. Bấm để xem.",
        c.overdue, c.due_soon, c.forwards, c.open, c.received_day
    );
    crate::push::Alarm::new("Tóm tắt tin báo hằng ngày – caunoi", body, "/cases/digest", "case-digest")
        .once_per(format!("case-digest:{day}"))
}

/// Pushes today's digest to every leader with an open case in scope, if the digest hour has
/// come (once per device and day, whatever restarts or other instances do). Returns the day
/// sent for and how many push messages were queued; `None` before the hour.
pub async fn send_daily(app: &App) -> Result<Option<(i64, usize)>, StoreError> {
    let now = app.clock.now_micros();
    let Some(day) = caunoi_core::cases::clock::digest_day(now, app.config.case_digest_hour) else { return Ok(None) };
    Ok(Some((day, send(app, day).await?)))
}

/// Pushes the digest of `day` to every leader with an open case or a waiting forward in scope
/// (once per device and day). Returns how many push messages were queued.
pub async fn send(app: &App, day: i64) -> Result<usize, StoreError> {
    let now = app.clock.now_micros();
    let mut queued = 0;
    for leader in crate::staff::service::officers_with_role(app, Role::Leader).await? {
        let c = counts(app, leader, now).await?;
        if c.open == 0 && c.forwards == 0 {
            continue;
        }
        let mut tx = app.db.begin().await?;
        let n = super::alarms::queue(&mut tx, app, &[leader], &notice(&c, day)).await?;
        tx.commit().await?;
        queued += n;
    }
    if queued > 0 {
        app.push().wake();
    }
    tracing::info!(day, queued, "daily case digest pushed");
    Ok(queued)
}
