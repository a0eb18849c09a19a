//! The canned replies page: list, create, delete.

use super::common::*;
use crate::app::App;
use crate::inbox::service::{self};
use crate::inbox::store;
use crate::web::error::render_form;
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::Action;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "inbox_canned.html")]
pub(super) struct CannedPage {
    chrome: Chrome,
    unit_opts: Vec<Opt>,
    unit_code: String,
    unit_name: String,
    can_edit: bool,
    replies: Vec<store::CannedRow>,
    title: String,
    body: String,
    notice: String,
    errors: FieldErrors,
}

pub(super) async fn canned_view(
    app: &App,
    me: &CurrentOfficer,
    asked: &str,
    form: (String, String),
    notice: String,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let (unit_opts, code) = unit_choice(app, me, asked).await?;
    let unit = crate::units::service::get(app, &me.scope, &code).await?;
    let page = CannedPage {
        chrome: me.chrome("inbox", format!("/inbox/canned?unit={code}")),
        unit_opts,
        can_edit: me.scope.can(Action::DirectWork, &unit.path),
        replies: service::canned_for(app, unit.path.as_str()).await?,
        unit_name: unit.details.name,
        unit_code: code,
        title: form.0,
        body: form.1,
        notice,
        errors,
    };
    render_form(&page, &page.errors)
}

pub(super) async fn canned_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = if q.saved.is_some() { t.tr("Đã lưu.", "Saved.").to_string() } else { String::new() };
    canned_view(&app, &me, &q.unit, Default::default(), notice, FieldErrors::default()).await
}

#[derive(Deserialize)]
pub(super) struct CannedCreateForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

pub(super) async fn canned_create(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<CannedCreateForm>,
) -> Result<Response, WebError> {
    match form::posted(service::create_canned(&app, &me.scope, &f.unit, &f.title, &f.body).await)? {
        Posted::Saved(_) => {
            form::see_other(&format!("/inbox/canned?unit={}&saved=1", crate::web::auth::urlencode(&f.unit)))
        }
        Posted::Refused(errors) => canned_view(&app, &me, &f.unit, (f.title, f.body), String::new(), errors).await,
    }
}

pub(super) async fn canned_delete(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<BackForm>,
) -> Result<Response, WebError> {
    service::delete_canned(&app, &me.scope, id).await?;
    Ok(Redirect::to(&format!("/inbox/canned?unit={}&saved=1", crate::web::auth::urlencode(&f.unit))).into_response())
}
