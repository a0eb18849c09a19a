//! Console routes for the unit tree: the tree, a unit's page, editing its details, adding a
//! sub-unit and moving it. A unit's Zalo OA is the Zalo channel's (`channels::zalo::console`);
//! these pages only show its status, read through `channels::zalo::service`.

use super::service;
use super::store;
use crate::app::App;
use crate::channels::zalo::connection::Health;
use crate::web::error::{render, render_form, render_invalid};
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::Action;
use caunoi_core::units::{TreeNode, UnitDetailsInput, UnitKind, UnitNode, WEEKDAYS, fmt_hhmm};
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/units", get(tree))
        .route("/units/{code}", get(unit_page))
        .route("/units/{code}/edit", get(edit_page).post(edit))
        .route("/units/{code}/new", get(new_child_page).post(new_child))
        .route("/units/{code}/move", post(move_unit))
}

/// One line of the tree view.
pub struct TreeRow {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub depth_class: &'static str,
    pub children: usize,
}

fn flatten(nodes: &[TreeNode], depth: usize, out: &mut Vec<TreeRow>) {
    const CLASSES: [&str; 7] = ["d0", "d1", "d2", "d3", "d4", "d5", "d6"];
    for n in nodes {
        out.push(TreeRow {
            code: n.unit.code.to_string(),
            name: n.unit.name.clone(),
            kind: n.unit.kind,
            depth_class: CLASSES.get(depth).copied().unwrap_or("dmax"),
            children: n.children.len(),
        });
        flatten(&n.children, depth + 1, out);
    }
}

#[derive(Template)]
#[template(path = "units.html")]
struct TreePage {
    chrome: Chrome,
    rows: Vec<TreeRow>,
    /// Zalo OAs that need an admin (disconnected, or silent for a day).
    zalo_alerts: Vec<crate::channels::zalo::service::Attention>,
}

async fn tree(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    let forest = service::tree(&app, &me.scope).await?;
    let mut rows = Vec::new();
    flatten(&forest, 0, &mut rows);
    let zalo_alerts = crate::channels::zalo::service::needing_attention(&app, &me.scope).await?;
    render(&TreePage { chrome: me.chrome("units", "/units"), rows, zalo_alerts })
}

/// Opening hours as lines for display.
pub struct HoursLine {
    pub day: &'static str,
    pub text: String,
}

pub fn hours_lines(t: T, h: &caunoi_core::units::OpeningHours) -> Vec<HoursLine> {
    WEEKDAYS
        .iter()
        .map(|d| {
            let text = match h.days.get(*d) {
                Some(iv) if !iv.is_empty() => {
                    iv.iter().map(|(a, b)| format!("{}–{}", fmt_hhmm(*a), fmt_hhmm(*b))).collect::<Vec<_>>().join(", ")
                }
                _ => t.tr("Nghỉ", "Closed").to_string(),
            };
            HoursLine { day: t.weekday(d), text }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage {
    chrome: Chrome,
    unit: store::Unit,
    crumbs: Vec<UnitNode>,
    children: Vec<UnitNode>,
    staff: Vec<(crate::staff::store::GrantRow, String)>,
    history: Vec<store::HistoryRow>,
    hours: Vec<HoursLine>,
    can_edit: bool,
    can_manage: bool,
    can_bind: bool,
    zalo: crate::channels::zalo::service::Panel,
    parent_opts: Vec<Opt>,
    notice: String,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
struct UnitQuery {
    saved: Option<String>,
    moved: Option<String>,
    created: Option<String>,
}

async fn unit_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = if q.saved.is_some() {
        t.tr("Đã lưu thông tin đơn vị.", "Unit details saved.")
    } else if q.moved.is_some() {
        t.tr("Đã chuyển đơn vị.", "Unit moved.")
    } else if q.created.is_some() {
        t.tr("Đã tạo đơn vị.", "Unit created.")
    } else {
        ""
    };
    unit_view(&app, &me, &code, notice.into(), FieldErrors::default()).await
}

async fn unit_view(
    app: &App,
    me: &CurrentOfficer,
    code: &str,
    notice: String,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let unit = service::get(app, &me.scope, code).await?;
    let mut crumbs = service::ancestors(app, &me.scope, &unit.path).await?;
    crumbs.retain(|c| c.id != unit.id);
    let can_manage = me.scope.can(Action::ManageUnits, &unit.path);
    let parent_opts = if can_manage {
        service::list_in_scope(app, &me.scope)
            .await?
            .into_iter()
            .filter(|u| me.scope.can(Action::ManageUnits, &u.path) && !unit.path.contains(&u.path))
            .map(|u| Opt::unit(&u, Some(u.id) == unit.parent_id))
            .collect()
    } else {
        Vec::new()
    };
    let page = UnitPage {
        chrome: me.chrome("units", format!("/units/{code}")),
        crumbs,
        children: service::children(app, unit.id).await?,
        staff: crate::staff::service::grants_on_unit(app, unit.id).await?,
        history: service::history(app, unit.id).await?,
        hours: hours_lines(t, &unit.details.opening_hours),
        can_edit: me.scope.can(Action::EditUnit, &unit.path),
        can_manage,
        can_bind: me.scope.can(Action::ManageChannels, &unit.path),
        zalo: crate::channels::zalo::service::panel(app, unit.id.0, t).await?,
        parent_opts,
        unit,
        notice,
        errors,
    };
    render_form(&page, &page.errors)
}

#[derive(Template)]
#[template(path = "unit_form.html")]
struct UnitFormPage {
    chrome: Chrome,
    /// `edit` or `new`.
    mode: &'static str,
    action: String,
    heading: String,
    code: String,
    input: UnitDetailsInput,
    errors: FieldErrors,
    kind_opts: Vec<Opt>,
    days: Vec<(&'static str, &'static str, String)>,
}

fn form_page(
    me: &CurrentOfficer,
    mode: &'static str,
    unit_code: &str,
    heading: String,
    code: String,
    input: UnitDetailsInput,
    errors: FieldErrors,
) -> UnitFormPage {
    let t = T::new(me.lang);
    let kind_opts = UnitKind::ALL
        .iter()
        .map(|k| Opt { value: k.as_str().into(), label: t.kind(k).into(), selected: input.kind == k.as_str() })
        .collect();
    let days = vec![
        ("hours_mon", t.weekday("mon"), input.hours_mon.clone()),
        ("hours_tue", t.weekday("tue"), input.hours_tue.clone()),
        ("hours_wed", t.weekday("wed"), input.hours_wed.clone()),
        ("hours_thu", t.weekday("thu"), input.hours_thu.clone()),
        ("hours_fri", t.weekday("fri"), input.hours_fri.clone()),
        ("hours_sat", t.weekday("sat"), input.hours_sat.clone()),
        ("hours_sun", t.weekday("sun"), input.hours_sun.clone()),
    ];
    UnitFormPage {
        chrome: me.chrome("units", format!("/units/{unit_code}/{mode}")),
        mode,
        action: format!("/units/{unit_code}/{mode}"),
        heading,
        code,
        input,
        errors,
        kind_opts,
        days,
    }
}

async fn edit_page(State(app): State<App>, me: CurrentOfficer, Path(code): Path<String>) -> Result<Response, WebError> {
    let unit = service::get(&app, &me.scope, &code).await?;
    if !me.scope.can(Action::EditUnit, &unit.path) {
        return Err(WebError::Forbidden);
    }
    let t = T::new(me.lang);
    let heading = format!("{}: {}", t.tr("Sửa thông tin", "Edit details"), unit.details.name);
    render(&form_page(
        &me,
        "edit",
        &code,
        heading,
        code.clone(),
        UnitDetailsInput::from_details(&unit.details),
        FieldErrors::default(),
    ))
}

async fn edit(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Form(input): Form<UnitDetailsInput>,
) -> Result<Response, WebError> {
    match form::posted(service::update_details(&app, &me.scope, &code, &input).await)? {
        Posted::Saved(()) => form::see_other(&format!("/units/{code}?saved=1")),
        Posted::Refused(errors) => {
            let t = T::new(me.lang);
            let heading = t.tr("Sửa thông tin đơn vị", "Edit unit details").to_string();
            render_invalid(&form_page(&me, "edit", &code, heading, code.clone(), input, errors))
        }
    }
}

#[derive(Deserialize, Default)]
struct NewChildForm {
    #[serde(default)]
    code: String,
    #[serde(flatten)]
    details: UnitDetailsInput,
}

async fn new_child_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    let parent = service::get(&app, &me.scope, &code).await?;
    if !me.scope.can(Action::ManageUnits, &parent.path) {
        return Err(WebError::Forbidden);
    }
    let t = T::new(me.lang);
    let heading = format!("{} {}", t.tr("Thêm đơn vị trực thuộc", "Add a sub-unit of"), parent.details.name);
    let input = UnitDetailsInput { kind: "ward".into(), ..Default::default() };
    render(&form_page(&me, "new", &code, heading, String::new(), input, FieldErrors::default()))
}

async fn new_child(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Form(form): Form<NewChildForm>,
) -> Result<Response, WebError> {
    match form::posted(service::create_child(&app, &me.scope, &code, &form.code, &form.details).await)? {
        Posted::Saved(new_code) => form::see_other(&format!("/units/{new_code}?created=1")),
        Posted::Refused(errors) => {
            let t = T::new(me.lang);
            let heading = t.tr("Thêm đơn vị trực thuộc", "Add a sub-unit").to_string();
            render_invalid(&form_page(&me, "new", &code, heading, form.code, form.details, errors))
        }
    }
}

#[derive(Deserialize)]
struct MoveForm {
    parent: String,
}

async fn move_unit(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Form(form): Form<MoveForm>,
) -> Result<Response, WebError> {
    match form::posted(service::move_unit(&app, &me.scope, &code, &form.parent).await)? {
        Posted::Saved(()) => form::see_other(&format!("/units/{code}?moved=1")),
        Posted::Refused(errors) => unit_view(&app, &me, &code, String::new(), errors).await,
    }
}
