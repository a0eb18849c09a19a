//! What an officer does to a conversation: reply (text, canned, attachment), note, assign,
//! transfer, close, reopen, and the attachments' media route.

use super::conversation::{PageState, after, conversation_view};
use super::queues::FilterQuery;
use super::reply_form::ReplyInput;
use crate::app::App;
use crate::inbox::service::{self, Assignee};
use crate::web::{CurrentOfficer, WebError};
use axum::Form;
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use caunoi_core::staff::{Action, OfficerId};
use caunoi_core::units::UnitPath;
use serde::Deserialize;

pub(super) async fn reply(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<FilterQuery>,
    input: ReplyInput,
) -> Result<Response, WebError> {
    let r = match input.file {
        None => service::reply(&app, &me.scope, id, &input.text).await,
        Some(Ok(attachment)) => service::reply_with_attachment(&app, &me.scope, id, &input.text, attachment).await,
        // The page shown next checks the conversation's scope (404 outside it).
        Some(Err(e)) => Err(service::attachment_refused(e)),
    };
    after(&app, &me, id, q.filter(), r, "reply", input.text).await
}

/// A photo, video or document of a message (a citizen's or an officer's), for officers whose
/// scope holds the conversation; elsewhere it does not exist (404). Streamed with byte ranges.
pub(super) async fn media_file(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, WebError> {
    let media_ref = service::media_ref(&app, me.id, id).await?.ok_or(WebError::NotFound)?;
    app.config.media_store.serve(&media_ref, req).await.ok_or(WebError::NotFound)
}

#[derive(Deserialize)]
pub(super) struct CannedForm {
    #[serde(default)]
    canned: String,
}

/// A canned reply chosen without script: the page again with its filled text in the reply
/// box, to edit before sending. Nothing is sent.
pub(super) async fn reply_canned(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<FilterQuery>,
    Form(f): Form<CannedForm>,
) -> Result<Response, WebError> {
    let canned = f.canned.trim().parse::<i64>().unwrap_or(0);
    let mut st =
        PageState { filter: q.filter(), notice: String::new(), errors: Default::default(), draft: String::new() };
    match crate::web::form::posted(service::canned_text(&app, &me.scope, &me.display_name, id, canned).await)? {
        crate::web::form::Posted::Saved(text) => st.draft = text,
        crate::web::form::Posted::Refused(errors) => st.errors = errors,
    }
    conversation_view(&app, &me, id, st).await
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
    Query(q): Query<FilterQuery>,
    Form(f): Form<NoteForm>,
) -> Result<Response, WebError> {
    let r = service::add_note(&app, &me.scope, id, &f.note).await;
    after(&app, &me, id, q.filter(), r, "note", String::new()).await
}

#[derive(Deserialize)]
pub(super) struct AssignForm {
    /// `me` or an officer id.
    #[serde(default)]
    officer: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn assign(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<FilterQuery>,
    Form(f): Form<AssignForm>,
) -> Result<Response, WebError> {
    let to = match f.officer.trim() {
        "me" | "" => Assignee::Me,
        other => match other.parse::<i64>() {
            Ok(n) => Assignee::Officer(OfficerId(n)),
            Err(_) => return Err(WebError::BadRequest("officer".into())),
        },
    };
    let r = service::assign(&app, &me.scope, id, to, &f.reason).await;
    after(&app, &me, id, q.filter(), r, "assign", String::new()).await
}

pub(super) async fn assign_duty(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<FilterQuery>,
) -> Result<Response, WebError> {
    // Scope and role first: the roster assignment itself is a system action.
    let view = service::get(&app, &me.scope, id).await?;
    if !me.scope.can(Action::DirectWork, &UnitPath::from_stored(view.unit_path)) {
        return Err(WebError::Forbidden);
    }
    let done = match service::assign_on_duty(&app, id).await? {
        Some(_) => "duty",
        None => "duty_none",
    };
    let keep = q.filter().query();
    let sep = if keep.is_empty() { "" } else { "&" };
    Ok(Redirect::to(&format!("/inbox/{id}?{keep}{sep}done={done}#reply-form")).into_response())
}

#[derive(Deserialize)]
pub(super) struct TransferForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn transfer(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<FilterQuery>,
    Form(f): Form<TransferForm>,
) -> Result<Response, WebError> {
    let r = service::transfer_to_unit(&app, &me.scope, id, &f.unit, &f.reason).await;
    let filter = q.filter();
    if r.is_ok() && service::get(&app, &me.scope, id).await.is_err() {
        // Handed up out of the officer's scope: back to the list.
        let q = filter.query();
        let sep = if q.is_empty() { "" } else { "&" };
        return crate::web::form::see_other(&format!("/inbox?{q}{sep}done=transfer_up"));
    }
    after(&app, &me, id, filter, r, "transfer", String::new()).await
}

pub(super) async fn close(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<FilterQuery>,
) -> Result<Response, WebError> {
    let r = service::close(&app, &me.scope, id).await;
    after(&app, &me, id, q.filter(), r, "close", String::new()).await
}

pub(super) async fn reopen(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<FilterQuery>,
) -> Result<Response, WebError> {
    let r = service::reopen(&app, &me.scope, id).await;
    after(&app, &me, id, q.filter(), r, "reopen", String::new()).await
}
