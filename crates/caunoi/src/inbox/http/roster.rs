//! The duty roster page: shifts of a unit, add, delete.

use super::common::*;
use crate::app::App;
use crate::inbox::service::{self};
use crate::web::error::render_form;
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::{Action, OfficerId};
use serde::Deserialize;

/// A shift as the roster lists it.
pub struct ShiftLine {
    pub id: i64,
    pub officer: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub on_now: bool,
}

#[derive(Template)]
#[template(path = "inbox_roster.html")]
pub(super) struct RosterPage {
    chrome: Chrome,
    unit_opts: Vec<Opt>,
    unit_code: String,
    unit_name: String,
    can_edit: bool,
    /// No shift covers now: urgent messages ring for nobody.
    nobody_on_duty: bool,
    shifts: Vec<ShiftLine>,
    officers: Vec<Opt>,
    starts_at: String,
    ends_at: String,
    notice: String,
    errors: FieldErrors,
}

pub(super) async fn roster_view(
    app: &App,
    me: &CurrentOfficer,
    asked: &str,
    form: &RosterForm,
    notice: String,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let (unit_opts, code) = unit_choice(app, me, asked).await?;
    let unit = crate::units::service::get(app, &me.scope, &code).await?;
    let now = app.clock.now_micros();
    let shifts = service::shifts(app, unit.id, now)
        .await?
        .into_iter()
        .map(|s| ShiftLine {
            id: s.id,
            officer: s.officer_name,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            on_now: s.starts_at <= now && now < s.ends_at,
        })
        .collect::<Vec<ShiftLine>>();
    let nobody_on_duty = !shifts.iter().any(|s| s.on_now);
    let officers = crate::staff::service::colleagues_for_unit(app, unit.path.as_str())
        .await?
        .into_iter()
        .map(|o| Opt { selected: o.id.to_string() == form.officer, value: o.id.to_string(), label: o.display_name })
        .collect();
    let page = RosterPage {
        chrome: me.chrome("inbox", format!("/inbox/roster?unit={code}")),
        unit_opts,
        can_edit: me.scope.can(Action::DirectWork, &unit.path),
        nobody_on_duty,
        unit_name: unit.details.name,
        unit_code: code,
        shifts,
        officers,
        starts_at: form.starts_at.clone(),
        ends_at: form.ends_at.clone(),
        notice,
        errors,
    };
    render_form(&page, &page.errors)
}

#[derive(Deserialize, Default)]
pub(super) struct RosterForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    officer: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    times: String,
}

pub(super) async fn roster_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice =
        if q.saved.is_some() { t.tr("Đã lưu lịch trực.", "Roster saved.").to_string() } else { String::new() };
    roster_view(&app, &me, &q.unit, &RosterForm::default(), notice, FieldErrors::default()).await
}

pub(super) async fn roster_add(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<RosterForm>,
) -> Result<Response, WebError> {
    let officer = OfficerId(f.officer.trim().parse::<i64>().unwrap_or(0));
    let repeating = service::Repeating { every: &f.repeat, times: &f.times };
    match form::posted(
        service::add_shift(&app, &me.scope, &f.unit, officer, &f.starts_at, &f.ends_at, repeating).await,
    )? {
        Posted::Saved(_) => {
            form::see_other(&format!("/inbox/roster?unit={}&saved=1", crate::web::auth::urlencode(&f.unit)))
        }
        Posted::Refused(errors) => roster_view(&app, &me, &f.unit, &f, String::new(), errors).await,
    }
}

pub(super) async fn roster_delete(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<BackForm>,
) -> Result<Response, WebError> {
    service::delete_shift(&app, &me.scope, id).await?;
    Ok(Redirect::to(&format!("/inbox/roster?unit={}&saved=1", crate::web::auth::urlencode(&f.unit))).into_response())
}
