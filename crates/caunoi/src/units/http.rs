//! Console routes for the unit tree: the tree, a unit's page, editing its details, adding a
//! sub-unit, moving it, and uploading or removing its area boundary (admins). A unit's Zalo OA is the Zalo channel's (`channels::zalo::console`);
//! these pages only show its status, read through `channels::zalo::service`.

use super::service;
use super::store;
use crate::app::App;
use crate::channels::zalo::connection::Health;
use crate::web::error::{render, render_form, render_invalid};
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use caunoi_core::input::{FieldErrors, InvalidInput, Lang};
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
        .route("/units/{code}/boundary", post(upload_boundary).layer(DefaultBodyLimit::max(BOUNDARY_BODY_LIMIT)))
        .route("/units/{code}/boundary/remove", post(remove_boundary))
        .merge(super::emblem::http::routes())
}

/// The largest GeoJSON file or pasted text an admin may upload.
pub const MAX_BOUNDARY_UPLOAD: usize = 5 * 1024 * 1024;
/// The request around it: a pasted text is percent-encoded (up to three bytes per byte).
const BOUNDARY_BODY_LIMIT: usize = 3 * MAX_BOUNDARY_UPLOAD + 64 * 1024;
/// A refused pasted text is shown again only up to this size (not megabytes back to the browser).
const ECHO_LIMIT: usize = 200 * 1024;

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
    /// The stored boundary's size, if any.
    boundary: Option<service::BoundarySummary>,
    /// Its area as the language writes numbers ("12,34").
    boundary_area: String,
    /// What was pasted into a refused boundary form.
    boundary_text: String,
    /// The emblem's version (SHA-256), if the unit has one.
    emblem: Option<String>,
}

#[derive(Deserialize, Default)]
struct UnitQuery {
    saved: Option<String>,
    moved: Option<String>,
    created: Option<String>,
    boundary: Option<usize>,
    boundary_removed: Option<String>,
    emblem: Option<String>,
}

/// An area in km², two decimals, with the language's decimal separator.
fn km2(lang: Lang, area: f64) -> String {
    let text = format!("{area:.2}");
    if lang == Lang::Vi { text.replace('.', ",") } else { text }
}

async fn unit_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Query(q): Query<UnitQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = if q.saved.is_some() {
        t.tr("Đã lưu thông tin đơn vị.", "Unit details saved.").to_string()
    } else if q.moved.is_some() {
        t.tr("Đã chuyển đơn vị.", "Unit moved.").to_string()
    } else if q.created.is_some() {
        t.tr("Đã tạo đơn vị.", "Unit created.").to_string()
    } else if let Some(points) = q.boundary {
        format!("{} {points} {}", t.tr("Đã lưu ranh giới địa bàn:", "Area boundary saved:"), t.tr("điểm.", "points."))
    } else if q.boundary_removed.is_some() {
        t.tr("Đã xóa ranh giới địa bàn.", "Area boundary removed.").to_string()
    } else if q.emblem.as_deref() == Some("saved") {
        t.tr(
            "Đã lưu huy hiệu: trang công khai của đơn vị hiển thị ngay.",
            "Emblem saved: the unit's public page shows it at once.",
        )
        .to_string()
    } else if q.emblem.as_deref() == Some("removed") {
        t.tr("Đã gỡ huy hiệu.", "Emblem removed.").to_string()
    } else {
        String::new()
    };
    unit_view(&app, &me, &code, notice, FieldErrors::default(), String::new()).await
}

pub(super) async fn unit_view(
    app: &App,
    me: &CurrentOfficer,
    code: &str,
    notice: String,
    errors: FieldErrors,
    boundary_text: String,
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
    let boundary = service::boundary_summary(&unit);
    let page = UnitPage {
        chrome: me.chrome("units", format!("/units/{code}")),
        boundary_area: boundary.map(|b| km2(me.lang, b.area_km2)).unwrap_or_default(),
        boundary,
        boundary_text,
        emblem: super::emblem::version(app, unit.id).await?,
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
    // A new unit starts with the usual hours of a public office; the admin changes what differs.
    let office = || "07:30-11:30, 13:30-17:00".to_string();
    let input = UnitDetailsInput {
        kind: "ward".into(),
        hours_mon: office(),
        hours_tue: office(),
        hours_wed: office(),
        hours_thu: office(),
        hours_fri: office(),
        ..Default::default()
    };
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
        Posted::Refused(errors) => unit_view(&app, &me, &code, String::new(), errors, String::new()).await,
    }
}

/// The boundary form as it arrives: urlencoded (`text` pasted) or multipart (`text` and an
/// optional GeoJSON `file`, which wins when one was chosen). Sizes and UTF-8 are checked here.
struct BoundaryUpload {
    /// The GeoJSON text, or why there is none to read.
    text: Result<String, InvalidInput>,
    /// What was pasted, to show again if refused.
    pasted: String,
}

#[derive(Deserialize)]
struct PastedBoundary {
    #[serde(default)]
    text: String,
}

fn upload_refused(vi: &str, en: &str) -> InvalidInput {
    InvalidInput::new("boundary", vi.to_string(), en.to_string())
}

fn too_large() -> InvalidInput {
    upload_refused(
        "Tệp ranh giới quá lớn: tối đa 5 MB. Hãy đơn giản hóa ranh giới (ví dụ bằng QGIS hoặc mapshaper) rồi tải lại.",
        "The boundary file is too large: 5 MB at most. Simplify it (e.g. with QGIS or mapshaper) and upload again.",
    )
}

impl<S: Send + Sync> FromRequest<S> for BoundaryUpload {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let is_multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let (file, pasted) = if is_multipart {
            read_multipart(
                Multipart::from_request(req, state).await.map_err(|_| WebError::BadRequest("multipart".into()))?,
            )
            .await?
        } else {
            let Form(f) = Form::<PastedBoundary>::from_request(req, state)
                .await
                .map_err(|_| WebError::BadRequest("form".into()))?;
            (None, f.text)
        };
        let text = match file {
            Some(file) => file,
            None if pasted.len() > MAX_BOUNDARY_UPLOAD => Err(too_large()),
            None if pasted.trim().is_empty() => Err(upload_refused(
                "Hãy chọn tệp GeoJSON hoặc dán nội dung GeoJSON của ranh giới.",
                "Choose a GeoJSON file or paste the boundary's GeoJSON.",
            )),
            None => Ok(pasted.clone()),
        };
        Ok(BoundaryUpload { text, pasted })
    }
}

/// Reads the multipart boundary form: the file's text (if a file was chosen) and the pasted text.
async fn read_multipart(mut parts: Multipart) -> Result<(Option<Result<String, InvalidInput>>, String), WebError> {
    let (mut file, mut pasted) = (None, String::new());
    loop {
        let mut field = match parts.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok((Some(Err(too_large())), pasted)),
            Err(_) => return Err(WebError::BadRequest("multipart".into())),
        };
        match field.name() {
            Some("text") => pasted = field.text().await.map_err(|_| WebError::BadRequest("text".into()))?,
            Some("file") => {
                let chosen = field.file_name().is_some_and(|n| !n.is_empty());
                let mut bytes = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) if bytes.len() + chunk.len() > MAX_BOUNDARY_UPLOAD => {
                            return Ok((Some(Err(too_large())), pasted));
                        }
                        Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            return Ok((Some(Err(too_large())), pasted));
                        }
                        Err(_) => return Err(WebError::BadRequest("file".into())),
                    }
                }
                // A form submitted without choosing a file sends an empty, unnamed part.
                if chosen || !bytes.is_empty() {
                    file = Some(String::from_utf8(bytes).map_err(|_| {
                        upload_refused(
                            "Tệp ranh giới không phải văn bản UTF-8: hãy xuất lại dưới dạng GeoJSON.",
                            "The boundary file is not UTF-8 text: export it again as GeoJSON.",
                        )
                    }));
                }
            }
            _ => {}
        }
    }
    Ok((file, pasted))
}

async fn upload_boundary(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    upload: BoundaryUpload,
) -> Result<Response, WebError> {
    let saved = match upload.text {
        Ok(text) => service::set_boundary(&app, &me.scope, &code, &text).await,
        // Refused at the edge; the scope is still checked first, as for any other refusal.
        Err(refused) => match service::get(&app, &me.scope, &code).await {
            Ok(unit) if !me.scope.can(Action::ManageUnits, &unit.path) => return Err(WebError::Forbidden),
            Ok(_) => Err(refused.into()),
            Err(e) => Err(e),
        },
    };
    match form::posted(saved)? {
        Posted::Saved(summary) => form::see_other(&format!("/units/{code}?boundary={}#boundary", summary.points)),
        Posted::Refused(errors) => {
            let echo = if upload.pasted.len() <= ECHO_LIMIT { upload.pasted } else { String::new() };
            unit_view(&app, &me, &code, String::new(), errors, echo).await
        }
    }
}

async fn remove_boundary(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    service::clear_boundary(&app, &me.scope, &code).await?;
    form::see_other(&format!("/units/{code}?boundary_removed=1#boundary"))
}
