//! The console screen of a unit's Open311 API keys (`/units/{code}/open311`), for the unit's
//! administrators: the keys issued (label, when, by whom, revoked or not), issuing a key (shown
//! once, on the page that answers the form; only its hash is kept) and revoking one. Both
//! changes are in the audit log ([`super::open311`]).

use super::open311;
use super::store::Open311KeyRow;
use crate::app::App;
use crate::web::error::render_form;
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, T, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use caunoi_core::input::FieldErrors;
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/units/{code}/open311", get(page).post(issue))
        .route("/units/{code}/open311/{id}/revoke", post(revoke))
}

#[derive(Template)]
#[template(path = "cases_open311_keys.html")]
struct KeysPage {
    chrome: Chrome,
    unit_code: String,
    unit_name: String,
    keys: Vec<Open311KeyRow>,
    /// The key just issued: shown this once.
    new_key: Option<String>,
    label: String,
    notice: String,
    errors: FieldErrors,
    api_base: String,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    revoked: Option<String>,
}

async fn view(
    app: &App,
    me: &CurrentOfficer,
    code: &str,
    new_key: Option<String>,
    label: String,
    notice: String,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let unit = open311::admin_unit(app, &me.scope, code).await?;
    let keys = open311::keys(app, &me.scope, code).await?;
    let page = KeysPage {
        chrome: me.chrome("units", format!("/units/{code}/open311")),
        unit_code: unit.code.to_string(),
        unit_name: unit.details.name.clone(),
        keys,
        new_key,
        label,
        notice,
        errors,
        api_base: format!("{}/open311/v2", app.config.public_url.trim_end_matches('/')),
    };
    render_form(&page, &page.errors)
}

async fn page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = if q.revoked.is_some() { t.tr("Đã thu hồi khóa.", "Key revoked.") } else { "" };
    view(&app, &me, &code, None, String::new(), notice.into(), FieldErrors::default()).await
}

#[derive(Deserialize)]
struct IssueForm {
    #[serde(default)]
    label: String,
}

async fn issue(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Form(f): Form<IssueForm>,
) -> Result<Response, WebError> {
    match form::posted(open311::issue_key(&app, &me.scope, me.id, &code, &f.label).await)? {
        // Answered with the page itself, not a redirect: the key exists nowhere else to show later.
        Posted::Saved(key) => {
            let t = T::new(me.lang);
            let notice = t.tr("Đã cấp khóa mới.", "New key issued.").to_string();
            view(&app, &me, &code, Some(key), String::new(), notice, FieldErrors::default()).await
        }
        Posted::Refused(errors) => view(&app, &me, &code, None, f.label, String::new(), errors).await,
    }
}

async fn revoke(
    State(app): State<App>,
    me: CurrentOfficer,
    Path((code, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    open311::revoke_key(&app, &me.scope, me.id, &code, id).await?;
    form::see_other(&format!("/units/{code}/open311?revoked=1"))
}
