//! `/inbox/events`: the server-sent events stream that tells an open page when something in
//! the officer's scope (or the open conversation) changed. It polls the database, not process
//! memory, so it sees changes made by any instance.

use crate::app::App;
use crate::inbox::service::{self};
use crate::web::CurrentOfficer;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use caunoi_core::staff::OfficerId;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;

/// How often the live stream looks at the database.
pub const LIVE_POLL: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------------------------------------
// Live updates

#[derive(Deserialize, Default)]
pub(super) struct EventsQuery {
    conversation: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Snapshot {
    scope: crate::conversations::service::Fingerprint,
    conversation: Option<(i64, i64)>,
    /// The urgent cases ringing for the officer (`cases::alarms`): how many, the newest's id.
    cases: (i64, i64),
}

pub(super) async fn snapshot(app: &App, officer: OfficerId, conversation: Option<i64>) -> Option<Snapshot> {
    let marks = match service::live_marks(app, officer, conversation).await {
        Ok(m) => crate::cases::alarms::ringing_for(app, officer).await.map(|cases| (m, cases)),
        Err(e) => Err(e),
    };
    match marks {
        Ok(((scope, conversation), cases)) => Some(Snapshot { scope, conversation, cases }),
        Err(e) => {
            tracing::warn!(error = %e, "inbox live poll failed");
            None
        }
    }
}

pub(super) fn change_event(before: &Snapshot, now: &Snapshot) -> Event {
    let data = serde_json::json!({
        "list": before.scope != now.scope,
        "thread": before.conversation != now.conversation,
        "urgent": now.scope.urgent_waiting,
        "urgent_rose": now.scope.urgent_waiting > before.scope.urgent_waiting,
        "alarm": alarm(now),
        "case_alarm": case_alarm(now),
    });
    Event::default().event("change").data(data.to_string())
}

/// The urgent conversations that ring for the officer (`alarm.js` rings while the newest is
/// not acknowledged on this device): how many, and the newest one's page.
fn alarm(now: &Snapshot) -> serde_json::Value {
    let newest = now.scope.alarm_max_id;
    serde_json::json!({
        "count": now.scope.alarm_count,
        "newest": newest,
        "href": (newest > 0).then(|| format!("/inbox/{newest}")),
    })
}

/// The urgent cases that ring for the officer (reached by their alarm, not yet taken): how
/// many, and the newest one's page. `alarm.js` keeps their acknowledgements apart from the
/// conversations'.
fn case_alarm(now: &Snapshot) -> serde_json::Value {
    let (count, newest) = now.cases;
    serde_json::json!({
        "count": count,
        "newest": newest,
        "href": (newest > 0).then(|| format!("/cases/{newest}")),
    })
}

/// `text/event-stream`: `ready` at once, then `change` whenever the officer's scope (or the
/// open conversation) changed, checked every [`LIVE_POLL`] and at once when an alarm is raised
/// or widened on this instance.
pub(super) async fn events(State(app): State<App>, me: CurrentOfficer, Query(q): Query<EventsQuery>) -> Response {
    let officer = me.id;
    let conversation = q.conversation;
    let start = snapshot(&app, officer, conversation).await.unwrap_or_default();
    let first = Event::default()
        .event("ready")
        .data(serde_json::json!({ "alarm": alarm(&start), "case_alarm": case_alarm(&start) }).to_string());
    // An alarm raised on this instance wakes the stream at once; the poll finds the rest.
    let wake = app.runtime::<crate::inbox::alarms::AlarmWake>().subscribe();
    let state = (app, start, Some(first), wake);
    let stream = futures::stream::unfold(state, move |(app, last, pending, mut wake)| async move {
        if let Some(ev) = pending {
            return Some((Ok::<Event, Infallible>(ev), (app, last, None, wake)));
        }
        loop {
            tokio::select! {
                _ = tokio::time::sleep(LIVE_POLL) => {}
                changed = wake.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep(LIVE_POLL).await;
                    }
                }
            }
            let Some(now) = snapshot(&app, officer, conversation).await else { continue };
            if now != last {
                let ev = change_event(&last, &now);
                return Some((Ok(ev), (app, now, None, wake)));
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}
