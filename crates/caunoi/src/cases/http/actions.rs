//! The case page's forms: each parses its fields and calls one use case in
//! `cases::handling`, then goes back to the page with a notice, or shows it again with the
//! error (422) and what was typed.

use super::case_page::after;
use crate::app::App;
use crate::cases::handling;
use crate::web::{CurrentOfficer, WebError};
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

pub(super) async fn acknowledge(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let r = handling::acknowledge(&app, &me.scope, id).await;
    after(&app, &me, id, r, "ack", |d| Some(*d), Vec::new()).await
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    outcome: String,
}

pub(super) async fn status(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Result<Response, WebError> {
    let r = handling::change_status(&app, &me.scope, id, &f.status, &f.outcome).await;
    after(&app, &me, id, r, "status", |d| Some(*d), vec![("status", f.status), ("outcome", f.outcome)]).await
}

#[derive(Deserialize)]
pub(super) struct NoteForm {
    #[serde(default)]
    note: String,
}

pub(super) async fn note(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Result<Response, WebError> {
    let r = handling::note(&app, &me.scope, id, &f.note).await;
    after(&app, &me, id, r, "note", |_| None, vec![("note", f.note)]).await
}

#[derive(Deserialize)]
pub(super) struct ReplyForm {
    #[serde(default)]
    text: String,
}

pub(super) async fn reply(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> Result<Response, WebError> {
    let r = handling::reply(&app, &me.scope, id, &f.text).await;
    after(&app, &me, id, r, "reply", |d| Some(*d), vec![("reply", f.text)]).await
}

#[derive(Deserialize)]
pub(super) struct AssignForm {
    #[serde(default)]
    officer: String,
}

pub(super) async fn assign(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Result<Response, WebError> {
    let r = handling::assign(&app, &me.scope, id, &f.officer).await;
    after(&app, &me, id, r, "assign", |_| None, Vec::new()).await
}

#[derive(Deserialize)]
pub(super) struct ExtendForm {
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn extend(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<ExtendForm>,
) -> Result<Response, WebError> {
    let r = handling::extend(&app, &me.scope, id, &f.until, &f.reason).await;
    after(&app, &me, id, r, "extend", |_| None, vec![("until", f.until), ("extend_reason", f.reason)]).await
}

#[derive(Deserialize)]
pub(super) struct ReasonForm {
    #[serde(default)]
    reason: String,
}

pub(super) async fn suspend(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, WebError> {
    let r = handling::suspend(&app, &me.scope, id, &f.reason).await;
    after(&app, &me, id, r, "suspend", |_| None, Vec::new()).await
}

pub(super) async fn resume(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, WebError> {
    let r = handling::resume(&app, &me.scope, id, &f.reason).await;
    after(&app, &me, id, r, "resume", |_| None, Vec::new()).await
}

#[derive(Deserialize)]
pub(super) struct MergeForm {
    #[serde(default)]
    primary: String,
}

pub(super) async fn merge(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<MergeForm>,
) -> Result<Response, WebError> {
    let r = handling::merge(&app, &me.scope, id, &f.primary).await;
    after(&app, &me, id, r, "merge", |_| None, vec![("primary", f.primary)]).await
}

#[derive(Deserialize)]
pub(super) struct ForwardForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn forward(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<ForwardForm>,
) -> Result<Response, WebError> {
    let r = handling::forward(&app, &me.scope, id, &f.unit, &f.reason).await;
    match r {
        // The case has left the officer's scope when forwarded outside it: back to the board.
        Ok(_) if crate::cases::service::get(&app, &me.scope, id).await.is_err() => {
            crate::web::form::see_other("/cases?view=open&forwarded=1")
        }
        r => after(&app, &me, id, r, "forward", |_| None, vec![("unit", f.unit), ("forward_reason", f.reason)]).await,
    }
}
