//! The sealed identity's three steps on the case page: an officer asks with a reason, a
//! leader of the case's unit approves or denies with a reason, and the approved requester opens
//! it — a POST, because opening it is recorded (timeline and audit log) and must never be a
//! link a browser could prefetch or cache.

use super::case_page::{Shown, after, case_view};
use crate::app::App;
use crate::cases::handling;
use crate::web::{CurrentOfficer, T, WebError};
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct RequestForm {
    #[serde(default)]
    reason: String,
}

pub(super) async fn request(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<RequestForm>,
) -> Result<Response, WebError> {
    let r = handling::request_identity(&app, &me.scope, id, &f.reason).await;
    after(&app, &me, id, r, "requested", |_| None, vec![("identity_reason", f.reason)]).await
}

#[derive(Deserialize)]
pub(super) struct DecideForm {
    #[serde(default)]
    request: String,
    /// `approve` or `deny`.
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn decide(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Result<Response, WebError> {
    let request = f.request.trim().parse::<i64>().map_err(|_| WebError::NotFound)?;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return Err(WebError::BadRequest("decision".into())),
    };
    let r = handling::decide_identity(&app, &me.scope, id, request, approve, &f.reason).await;
    after(&app, &me, id, r, "decided", |_| None, Vec::new()).await
}

pub(super) async fn view(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let details = handling::view_identity(&app, &me.scope, id).await?;
    let notice = T::new(me.lang)
        .tr(
            "Danh tính người báo được hiển thị một lần và lần xem này đã được ghi nhật ký. Không chia sẻ ra ngoài.",
            "The reporter's identity is shown once and this view has been logged. Do not share it.",
        )
        .to_string();
    case_view(&app, &me, id, Shown { notice, identity: Some(details), ..Default::default() }).await
}
