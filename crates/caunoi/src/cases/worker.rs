//! The clocks that run without an officer: a case forwarded to a unit that does not acknowledge
//! it within the target (`case_ack_minutes`, 15 by default) goes back to the unit that sent it
//! ([`return_unacknowledged`]), with a `returned` event and a push alarm to the sender's
//! leaders. The legal clock is never touched. Each return is a guarded update in its own
//! transaction, so two instances never return one case twice. The same loop widens the urgent
//! cases' alarms nobody took (`super::alarms`) and pushes the leaders' daily digest
//! (`super::digest`) once its hour has come.

use super::service;
use super::store::{self, NewEventRow};
use crate::app::App;
use crate::db::StoreError;
use caunoi_core::cases::{CaseId, EventKind};
use caunoi_core::staff::Role;
use caunoi_core::units::UnitId;

/// How often the worker looks for expired forwards and alarms due (the conversations' alarms
/// are looked at as often).
pub const TICK: std::time::Duration = crate::inbox::alarms::TICK;

/// Runs [`return_unacknowledged`], the alarms' escalation and the daily digest every [`TICK`].
pub async fn run(app: App) {
    let mut digest_sent: Option<i64> = None;
    loop {
        if let Err(e) = return_unacknowledged(&app).await {
            tracing::warn!(error = %e, "returning unacknowledged forwards failed");
        }
        if let Err(e) = super::alarms::escalate_due(&app).await {
            tracing::warn!(error = %e, "case alarm escalation failed");
        }
        let today = caunoi_core::cases::clock::digest_day(app.clock.now_micros(), app.config.case_digest_hour);
        if today.is_some() && today != digest_sent {
            match super::digest::send_daily(&app).await {
                Ok(sent) => digest_sent = sent.map(|(day, _)| day),
                Err(e) => tracing::warn!(error = %e, "daily case digest failed"),
            }
        }
        tokio::time::sleep(TICK).await;
    }
}

/// Gives every forwarded case whose acknowledgement target has passed back to its sender.
/// Returns how many went back.
pub async fn return_unacknowledged(app: &App) -> Result<usize, StoreError> {
    let now = app.clock.now_micros();
    let mut returned = 0;
    for (case, at_unit, sender) in store::unacknowledged_forwards(&app.db, now).await? {
        let (case, at_unit, sender) = (CaseId(case), UnitId(at_unit), UnitId(sender));
        let at_name = crate::units::service::name_of(&app.db, at_unit).await?.unwrap_or_default();
        let leaders = crate::staff::service::officers_at_unit(app, sender, &[Role::Leader]).await?;
        let mut tx = app.db.begin().await?;
        if !store::return_to_sender(&mut tx, case, at_unit, sender, now).await? {
            continue;
        }
        let text = format!("{at_name} chưa xác nhận nhận tin báo trong thời hạn; tin báo được trả lại đơn vị chuyển.");
        let event = NewEventRow {
            kind: EventKind::Returned.as_str(),
            unit: Some(at_unit),
            to_unit: Some(sender),
            text: &text,
            ..Default::default()
        };
        store::insert_event(&mut tx, case, now, &event).await?;
        let code = service::get_unscoped(app, case).await?.map(|c| c.code.to_string()).unwrap_or_default();
        let alarm = crate::push::Alarm::new(
            "Tin báo bị trả lại – caunoi",
            format!("{code}: {at_name} chưa xác nhận nhận tin báo; tin báo đã về lại đơn vị. Bấm để mở."),
            format!("/cases/{case}"),
            format!("case-returned-{case}"),
        )
        .once_per(format!("case-returned:{case}:{now}"));
        let queued = super::alarms::queue(&mut tx, app, &leaders, &alarm).await?;
        tx.commit().await?;
        if queued > 0 {
            app.push().wake();
        }
        tracing::info!(case = case.0, leaders = leaders.len(), "unacknowledged forward returned to the sender");
        returned += 1;
    }
    Ok(returned)
}
