//! Alarms of urgent cases that no chat rings for: a report from the web form with an urgent
//! category or an emergency in its text, an officer's entry of a phone-in marked urgent, an
//! urgent case forwarded to another unit. (A case made from an urgent chat rides on the
//! conversation's alarm and raises none of its own: nobody is rung twice.)
//!
//! The rows are the case's own (`case_alarms`, with the officers each step reached in
//! `case_alarm_recipients`: their open console pages ring through the live stream and
//! `alarm.js`); the escalation — when, whom, the words, the push — is `inbox::alarms`'s, the one
//! owner of alarms, through its [`Subject`]. [`raise_in`] reaches the responsible unit's duty
//! desk at once (every officer of the unit when nobody is on the desk); the case's
//! acknowledgement, or opening it by an officer who can work it, takes the alarm
//! ([`acknowledge_in`]); while nobody does, it widens every two minutes, each step on the
//! case's timeline.

use super::ForwardTarget;
use super::service::CaseView;
use super::store::{self, NewEventRow};
use crate::app::App;
use crate::db::{StoreError, Tx};
use crate::inbox::alarms::{self as escalation, Due, Step, Subject};
use caunoi_core::cases::{CaseId, EventKind};
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;

/// Raises the alarm of an urgent case at `unit` in the caller's transaction (again after a
/// forward: it starts over there): the unit's duty desk, or every officer of the unit when
/// nobody is on the desk, is reached at once — the consoles ring, a push alarm is queued — and
/// the step is on the timeline. Returns how many push messages were queued: call
/// `app.push().wake()` after the commit.
pub async fn raise_in(tx: &mut Tx, app: &App, case: CaseId, unit: UnitId, now: i64) -> Result<usize, StoreError> {
    let (officers, words) = desk_or_unit(app, unit, now).await?;
    let first_step = now + escalation::ESCALATE_AFTER_SECONDS * 1_000_000;
    store::raise_alarm(tx, case, unit, now, first_step).await?;
    store::add_alarm_recipients(tx, case, &officers).await?;
    let text = format!("Tin báo khẩn: {words} ({} người).", officers.len());
    let event = NewEventRow { kind: EventKind::Alarm.as_str(), to_unit: Some(unit), text: &text, ..Default::default() };
    store::insert_event(tx, case, now, &event).await?;
    let unit_name = crate::units::service::name_of(&app.db, unit).await?.unwrap_or_default();
    queue(tx, app, &officers, &push_alarm(case, &unit_name, 0, now)).await
}

/// Tells the duty desk of the unit a (not urgent) case was forwarded to, by a push notice in the
/// caller's transaction: which case, from which unit, acknowledge by when. Returns how many
/// push messages were queued.
pub async fn notify_forwarded(
    tx: &mut Tx,
    app: &App,
    case: &CaseView,
    to: &ForwardTarget,
    ack_due: i64,
    now: i64,
) -> Result<usize, StoreError> {
    let (officers, _) = desk_or_unit(app, to.id, now).await?;
    let minutes = (ack_due - now).max(0) / 60_000_000;
    let alarm = crate::push::Alarm::new(
        "Tin báo chuyển đến – caunoi",
        format!(
            "{}: {} chuyển tin báo đến {}; cần xác nhận trong {minutes} phút. Bấm để mở.",
            case.code, case.unit_name, to.name
        ),
        format!("/cases/{}", case.id.0),
        format!("case-forward-{}", case.id.0),
    )
    .once_per(format!("case-forward:{}:{now}", case.id.0));
    queue(tx, app, &officers, &alarm).await
}

/// A unit's duty desk now, or every officer of the unit when nobody is on the desk; with the
/// timeline's words for whom it reached.
async fn desk_or_unit(app: &App, unit: UnitId, now: i64) -> Result<(Vec<OfficerId>, &'static str), StoreError> {
    let officers = escalation::circle(app, unit, 0, now).await?;
    if !officers.is_empty() {
        return Ok((officers, "báo trực ban đơn vị"));
    }
    Ok((escalation::circle(app, unit, 1, now).await?, "đơn vị không có trực ban, báo tất cả cán bộ của đơn vị"))
}

/// Takes the case's alarm for an officer who can work it (the caller checked), in the caller's
/// transaction, with a step on the timeline; `false` when no alarm was waiting.
pub async fn acknowledge_in(tx: &mut Tx, case: CaseId, officer: OfficerId, now: i64) -> Result<bool, StoreError> {
    if !store::acknowledge_alarm(tx, case, officer, now).await? {
        return Ok(false);
    }
    let event = NewEventRow {
        kind: EventKind::Alarm.as_str(),
        officer: Some(officer),
        text: "Cán bộ đã nhận tin khẩn; báo động dừng.",
        ..Default::default()
    };
    store::insert_event(tx, case, now, &event).await?;
    Ok(true)
}

/// Takes the case's alarm when an officer who can work it opens the case (nothing is written
/// when no alarm waits).
pub async fn acknowledge_on_open(app: &App, case: CaseId, officer: OfficerId) -> Result<(), StoreError> {
    if !matches!(store::alarm_of(&app.db, case).await?, Some((_, None))) {
        return Ok(());
    }
    let mut tx = app.db.begin().await?;
    acknowledge_in(&mut tx, case, officer, app.clock.now_micros()).await?;
    tx.commit().await?;
    Ok(())
}

/// The case alarms ringing on an officer's open pages: how many, and the newest case's id.
pub async fn ringing_for(app: &App, officer: OfficerId) -> Result<(i64, i64), StoreError> {
    store::ringing_for(&app.db, officer).await
}

/// The case's alarm: (level, acknowledged_at), if one was raised.
pub async fn alarm_of(app: &App, case: CaseId) -> Result<Option<(i64, Option<i64>)>, StoreError> {
    store::alarm_of(&app.db, case).await
}

/// Widens every case alarm whose step is due (`inbox::alarms::escalate`).
pub async fn escalate_due(app: &App) -> Result<usize, StoreError> {
    escalation::escalate(app, &Cases).await
}

/// The cases' alarms as a subject of the escalation.
struct Cases;

impl Subject for Cases {
    const NAME: &'static str = "case";

    async fn due(&self, app: &App, now: i64) -> Result<Vec<Due>, StoreError> {
        store::alarms_due(&app.db, now).await
    }

    async fn step(&self, tx: &mut Tx, due: &Due, step: &Step<'_>) -> Result<bool, StoreError> {
        let case = CaseId(due.subject);
        if !store::step_alarm(tx, case, due.level, step.level, step.next_at).await? {
            return Ok(false);
        }
        store::add_alarm_recipients(tx, case, step.officers).await?;
        let event = NewEventRow { kind: EventKind::Alarm.as_str(), text: &step.reason, ..Default::default() };
        store::insert_event(tx, case, step.now, &event).await?;
        Ok(true)
    }

    fn push(&self, due: &Due, level: i64) -> crate::push::Alarm {
        push_alarm(CaseId(due.subject), &due.unit_name, level, due.raised_at)
    }
}

/// The push alarm of a step: the unit and a link, nothing personal; one per device, raise and
/// step whatever replays; the tag `alarm.js` uses, so the page's notification and the push
/// replace each other.
fn push_alarm(case: CaseId, unit_name: &str, level: i64, raised_at: i64) -> crate::push::Alarm {
    let body = if level == 0 {
        format!("{unit_name}: có tin báo khẩn cấp đang chờ cán bộ. Bấm để mở.")
    } else {
        format!("{unit_name}: tin báo khẩn cấp chưa có cán bộ nhận. Bấm để mở.")
    };
    crate::push::Alarm::new("Tin báo khẩn cấp – caunoi", body, format!("/cases/{}", case.0), "caunoi-urgent")
        .once_per(format!("case-urgent:{}:{raised_at}:{level}", case.0))
}

/// Queues a push alarm in the caller's transaction; an alarm the push feature refuses is
/// logged, never a reason to lose the case.
pub(super) async fn queue(
    tx: &mut Tx,
    app: &App,
    officers: &[OfficerId],
    alarm: &crate::push::Alarm,
) -> Result<usize, StoreError> {
    match crate::push::service::enqueue_alarm(tx, app, officers, alarm).await {
        Ok(n) => Ok(n),
        Err(crate::error::ServiceError::Store(e)) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "case alarm not queued");
            Ok(0)
        }
    }
}
