//! Alarms: an urgent conversation (an emergency, a crime report) must reach a person. A citizen's
//! turn that makes a conversation urgent raises its alarm ([`raise`], in the turn's
//! transaction); the first officer who can work it and opens it acknowledges it
//! ([`acknowledge`]). While nobody does, [`escalate_due`] widens the circle every
//! [`ESCALATE_AFTER_SECONDS`]: the unit's officers, then its leaders and the parent unit's,
//! then the parent unit's duty desk. Each step is on the conversation's timeline, and every
//! officer in the circle gets a push alarm on the devices they enabled (`push`).
//!
//! Open console pages ring on their own (`alarm.js` over the live stream, woken at once by
//! [`wake_consoles`]); the escalation is for the officers who are not looking.
//!
//! This module is the one owner of escalation: urgent cases that no chat rings for
//! (`cases::alarms`) keep their own rows and timeline and widen through the same [`escalate`],
//! as a [`Subject`].

use super::store;
use crate::app::App;
use crate::db::{StoreError, Tx};
use caunoi_core::conversations::ConversationId;
use caunoi_core::staff::{Action, OfficerId, Role, Scope};
use caunoi_core::units::{UnitId, UnitPath};

/// How long an alarm waits for an officer before the next step.
pub const ESCALATE_AFTER_SECONDS: i64 = 120;
/// The last step: the parent unit's duty desk.
pub const LAST_LEVEL: i64 = 3;
/// How often the escalation looks for alarms due.
pub const TICK: std::time::Duration = std::time::Duration::from_secs(15);

/// Wakes this instance's open live streams when an alarm is raised or widened, so an open
/// console rings at once instead of at its next poll (`inbox::http::live`; the streams of other
/// instances see it at their next poll).
pub struct AlarmWake(tokio::sync::watch::Sender<u64>);

impl Default for AlarmWake {
    fn default() -> AlarmWake {
        AlarmWake(tokio::sync::watch::channel(0).0)
    }
}

impl AlarmWake {
    /// A receiver that changes at every [`wake_consoles`].
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// Tells the open live streams to look now (after the commit that raised or widened an alarm).
pub fn wake_consoles(app: &App) {
    app.runtime::<AlarmWake>().0.send_modify(|n| *n = n.wrapping_add(1));
}

/// Raises the alarm of a conversation that just became urgent, in the caller's transaction
/// (once: a conversation that was urgent before keeps its alarm).
pub async fn raise(tx: &mut Tx, conversation: ConversationId, unit: UnitId, now: i64) -> Result<(), StoreError> {
    store::insert_alarm(tx, conversation, unit, now, now + ESCALATE_AFTER_SECONDS * 1_000_000).await
}

/// Acknowledges the conversation's alarm for an officer who can work it (opening the
/// conversation is acknowledging it); nothing for others or without an alarm.
pub async fn acknowledge(app: &App, scope: &Scope, conversation: i64, unit_path: &str) -> Result<(), StoreError> {
    if !scope.can(Action::WorkConversations, &UnitPath::from_stored(unit_path.to_owned())) {
        return Ok(());
    }
    store::acknowledge_alarm(&app.db, conversation, scope.officer_id, app.clock.now_micros()).await
}

/// Who a step of the escalation reaches, in words for the timeline.
fn step_words(level: i64) -> &'static str {
    match level {
        1 => "báo cho tất cả cán bộ của đơn vị",
        2 => "báo lãnh đạo đơn vị và đơn vị cấp trên",
        _ => "báo trực ban đơn vị cấp trên",
    }
}

/// A unit's duty desk now: the officers whose shift covers `now`, and its duty officers.
pub async fn duty_desk(app: &App, unit: UnitId, now: i64) -> Result<Vec<OfficerId>, StoreError> {
    let mut v = store::on_duty_officers(&app.db, unit, now).await?;
    v.extend(crate::staff::service::officers_at_unit(app, unit, &[Role::DutyOfficer]).await?);
    Ok(v)
}

/// The officers a step reaches: 0 the unit's duty desk, 1 every officer of the unit, 2 the
/// leaders of the unit and of its parent, 3 the parent unit's duty desk.
pub async fn circle(app: &App, unit: UnitId, level: i64, now: i64) -> Result<Vec<OfficerId>, StoreError> {
    const EVERYONE: [Role; 4] = [Role::Admin, Role::Leader, Role::DutyOfficer, Role::Officer];
    const LEADERS: [Role; 2] = [Role::Admin, Role::Leader];
    let mut officers = match level {
        0 => duty_desk(app, unit, now).await?,
        1 => crate::staff::service::officers_at_unit(app, unit, &EVERYONE).await?,
        2 => {
            let mut v = crate::staff::service::officers_at_unit(app, unit, &LEADERS).await?;
            if let Some(p) = crate::units::service::parent_of(&app.db, unit).await? {
                v.extend(crate::staff::service::officers_at_unit(app, p, &LEADERS).await?);
            }
            v
        }
        _ => match crate::units::service::parent_of(&app.db, unit).await? {
            Some(p) => duty_desk(app, p, now).await?,
            None => Vec::new(),
        },
    };
    officers.sort_by_key(|o| o.0);
    officers.dedup();
    Ok(officers)
}

/// An alarm whose next step is due, of any subject (each subject's store reads it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    /// The conversation's or the case's id.
    pub subject: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub raised_at: i64,
    pub level: i64,
}

/// One step of an escalation: the level it reaches, when the next is due, whom it reaches and
/// the timeline's words for it.
pub struct Step<'a> {
    pub level: i64,
    pub next_at: Option<i64>,
    pub officers: &'a [OfficerId],
    pub now: i64,
    pub reason: String,
}

/// What an alarm rings about: a conversation (here) or a case (`cases::alarms`). Each subject
/// owns its alarm rows and timeline; the escalation ([`escalate`]: when, whom, the words, the
/// push) is this module's alone.
pub(crate) trait Subject {
    /// For the logs.
    const NAME: &'static str;
    /// Alarms whose step is due at `now` (not acknowledged, the subject still needing a person).
    async fn due(&self, app: &App, now: i64) -> Result<Vec<Due>, StoreError>;
    /// Moves the alarm from `due.level` to `step.level` in the caller's transaction, guarded
    /// (false when another instance moved it or an officer acknowledged it first), and records
    /// the step on the subject's timeline.
    async fn step(&self, tx: &mut Tx, due: &Due, step: &Step<'_>) -> Result<bool, StoreError>;
    /// The push alarm of a step (nothing personal in it).
    fn push(&self, due: &Due, level: i64) -> crate::push::Alarm;
}

/// The conversations' alarms (`conversation_alarms`).
pub(crate) struct Conversations;

impl Subject for Conversations {
    const NAME: &'static str = "conversation";

    async fn due(&self, app: &App, now: i64) -> Result<Vec<Due>, StoreError> {
        store::alarms_due(&app.db, now).await
    }

    async fn step(&self, tx: &mut Tx, due: &Due, step: &Step<'_>) -> Result<bool, StoreError> {
        if !store::step_alarm(tx, due.subject, due.level, step.level, step.next_at).await? {
            return Ok(false);
        }
        store::record_escalation(tx, ConversationId(due.subject), step.now, &step.reason).await?;
        Ok(true)
    }

    fn push(&self, due: &Due, level: i64) -> crate::push::Alarm {
        push_alarm(due.subject, &due.unit_name, level)
    }
}

/// The timeline's words for a step due now.
fn step_reason(now: i64, raised_at: i64, level: i64, reached: usize) -> String {
    format!(
        "Chưa có cán bộ nhận tin khẩn sau {} phút: {} ({} người).",
        (now - raised_at) / 60_000_000,
        step_words(level),
        reached
    )
}

/// When the step after `level` is due (none after the last).
pub fn next_step_at(level: i64, now: i64) -> Option<i64> {
    (level < LAST_LEVEL).then_some(now + ESCALATE_AFTER_SECONDS * 1_000_000)
}

/// Takes every conversation alarm whose step is due one step further; see [`escalate`].
pub async fn escalate_due(app: &App) -> Result<usize, StoreError> {
    escalate(app, &Conversations).await
}

/// Takes every alarm of `subject` whose step is due (not acknowledged, still urgent and open)
/// one step further: the timeline says so, the wider circle is alerted. Returns how many
/// alarms moved. Two instances never move one alarm twice (a guarded update).
pub(crate) async fn escalate<S: Subject>(app: &App, subject: &S) -> Result<usize, StoreError> {
    let now = app.clock.now_micros();
    let mut moved = 0;
    for due in subject.due(app, now).await? {
        let level = due.level + 1;
        let officers = circle(app, UnitId(due.unit_id), level, now).await?;
        let step = Step {
            level,
            next_at: next_step_at(level, now),
            officers: &officers,
            now,
            reason: step_reason(now, due.raised_at, level, officers.len()),
        };
        let mut tx = app.db.begin().await?;
        if !subject.step(&mut tx, &due, &step).await? {
            continue;
        }
        // The push alarm exists exactly when the step does: a crash cannot lose it.
        let queued =
            match crate::push::service::enqueue_alarm(&mut tx, app, &officers, &subject.push(&due, level)).await {
                Ok(n) => n,
                Err(crate::error::ServiceError::Store(e)) => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "urgent alarm not queued");
                    0
                }
            };
        tx.commit().await?;
        if queued > 0 {
            app.push().wake();
        }
        wake_consoles(app);
        tracing::info!(subject = S::NAME, id = due.subject, level, officers = officers.len(), "urgent alarm widened");
        // An operator watches this: an alarm widens only when nobody answered it in time.
        metrics::counter!("caunoi_alarm_escalations_total", "subject" => S::NAME).increment(1);
        moved += 1;
    }
    Ok(moved)
}

/// The first circle, right after the alarm is raised (the assignee and the duty desk).
pub async fn alert_raised(app: &App, conversation: ConversationId) -> Result<(), StoreError> {
    let Some(view) = crate::conversations::service::view_any(&app.db, conversation.0).await? else { return Ok(()) };
    let now = app.clock.now_micros();
    let mut officers = circle(app, view.unit_id, 0, now).await?;
    if let Some(a) = view.assignee_id {
        officers.push(OfficerId(a));
    }
    officers.sort_by_key(|o| o.0);
    officers.dedup();
    wake_consoles(app);
    alert(app, &officers, conversation.0, &view.unit_name).await;
    Ok(())
}

/// The push alarm of a step: nothing personal in it (the unit and a link); one per device and
/// step, whatever replays; the tag `alarm.js` uses, so the page's own notification and the push
/// replace each other instead of showing twice.
fn push_alarm(conversation: i64, unit_name: &str, level: i64) -> crate::push::Alarm {
    let body = if level == 0 {
        format!("{unit_name}: có tin khẩn cấp đang chờ cán bộ. Bấm để mở.")
    } else {
        format!("{unit_name}: tin khẩn cấp chưa có cán bộ nhận. Bấm để mở.")
    };
    crate::push::Alarm::new("Tin khẩn cấp – caunoi", body, format!("/inbox/{conversation}"), "caunoi-urgent")
        .once_per(format!("urgent:{conversation}:{level}"))
}

/// Sends the push alarm to the officers' devices (after the commit that raised it).
async fn alert(app: &App, officers: &[OfficerId], conversation: i64, unit_name: &str) {
    if officers.is_empty() {
        return;
    }
    match crate::push::service::alarm(app, officers, &push_alarm(conversation, unit_name, 0)).await {
        Ok(devices) => tracing::info!(conversation, officers = officers.len(), devices, "urgent alarm sent"),
        Err(e) => tracing::warn!(error = %e, "urgent alarm not sent"),
    }
}

/// Runs the escalation every [`TICK`].
pub async fn run(app: App) {
    loop {
        if let Err(e) = escalate_due(&app).await {
            tracing::warn!(error = %e, "alarm escalation failed");
        }
        tokio::time::sleep(TICK).await;
    }
}
