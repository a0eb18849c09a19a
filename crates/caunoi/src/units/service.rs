//! Unit use cases. Every change checks the caller's scope, runs in one transaction, appends the
//! unit's history and writes the audit log in that same transaction, then drops the routing
//! cache ([`super::routing`]). Routing a report by place or typed address is asked here too
//! ([`route_point`], [`route_address`]).

use super::store::{self, Unit};
use crate::app::App;
use crate::audit::store::NewEntry;
use crate::db::{StoreError, Tx};
use crate::error::ServiceError;
use caunoi_core::audit::AuditAction;
use caunoi_core::geo::{AddressMatcher, Boundaries, GeoPoint, Located, parse_boundary};
use caunoi_core::input::{FieldErrors, InvalidInput};
use caunoi_core::staff::{Action, OfficerId, Scope};
use caunoi_core::units::{
    ImportProblem, ImportRow, PlannedUnit, TreeNode, UnitCode, UnitDetailsInput, UnitPath, build_tree, check_move,
    plan_import,
};
use caunoi_core::units::{UnitDetails, UnitId, UnitNode};
use std::collections::HashMap;
use std::sync::Arc;

/// The tree of every unit the officer can see.
pub async fn tree(app: &App, scope: &Scope) -> Result<Vec<TreeNode>, ServiceError> {
    Ok(build_tree(store::list_in_scope(&app.db, scope.officer_id).await?))
}

/// One unit by id, if the officer can see it (`None` otherwise).
pub async fn locate_by_id(app: &App, scope: &Scope, id: i64) -> Result<Option<Unit>, StoreError> {
    store::get_by_id_in_scope(&app.db, scope.officer_id, UnitId(id)).await
}

/// One unit, if the officer can see it, with its former names.
pub async fn get(app: &App, scope: &Scope, code: &str) -> Result<Unit, ServiceError> {
    let mut unit = store::get_in_scope(&app.db, scope.officer_id, code).await?.ok_or(ServiceError::NotFound)?;
    unit.details.former_names = store::former_names(&app.db, unit.id).await?;
    Ok(unit)
}

/// Refuses a former name that is the current name of another unit under the same parent: an
/// address naming it would be routed to two units.
async fn check_former_names(app: &App, unit: &Unit, names: &[String]) -> Result<(), ServiceError> {
    let Some(parent) = unit.parent_id else { return Ok(()) };
    let siblings = store::children(&app.db, parent).await?;
    for name in names {
        let words = caunoi_core::geo::place_name(name).1;
        if let Some(other) =
            siblings.iter().find(|s| s.id != unit.id && caunoi_core::geo::place_name(&s.name).1 == words)
        {
            return Err(FieldErrors(vec![InvalidInput::new(
                "former_names",
                format!(
                    "Tên cũ «{name}» trùng với tên hiện nay của {} (cùng đơn vị cấp trên). Địa chỉ ghi tên này đang được giao cho đơn vị đó; vui lòng bỏ tên này.",
                    other.name
                ),
                format!(
                    "The former name “{name}” is the current name of {} (same parent unit). Addresses naming it go to that unit; please remove it.",
                    other.name
                ),
            )])
            .into());
        }
    }
    Ok(())
}

/// Saves a unit's page details.
pub async fn update_details(
    app: &App,
    scope: &Scope,
    code: &str,
    input: &UnitDetailsInput,
) -> Result<(), ServiceError> {
    let unit = get(app, scope, code).await?;
    scope.require(Action::EditUnit, &unit.path)?;
    let mut details = input.validate()?;
    // The boundary has its own form and audit line (`set_boundary`); the details form keeps it.
    details.boundary = unit.details.boundary.clone();
    check_former_names(app, &unit, &details.former_names).await?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::update_details(&mut tx, unit.id, &details, now).await?;
    store::set_former_names(&mut tx, unit.id, &details.former_names).await?;
    store::add_history(&mut tx, unit.id, now, Some(scope.officer_id), "edited", (None, None), "").await?;
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(scope.officer_id),
            action: AuditAction::UnitEdited,
            unit: Some(unit.id),
            target: unit.code.as_str(),
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    app.routing().invalidate();
    Ok(())
}

/// A new unit's code and details, checked (every field's error at once; the fields are named
/// `code` and as in [`UnitDetailsInput`]).
pub fn check_new_unit(code: &str, input: &UnitDetailsInput) -> Result<(UnitCode, UnitDetails), FieldErrors> {
    let mut errs = FieldErrors::default();
    let code = errs.take(UnitCode::parse(code));
    let details = match input.validate() {
        Ok(d) => Some(d),
        Err(e) => {
            errs.0.extend(e.0);
            None
        }
    };
    match (code, details) {
        (Some(code), Some(details)) => Ok((code, details)),
        _ => Err(errs),
    }
}

/// Inserts a checked unit with its former names and its "created" history step; a taken code
/// is refused as a field error.
async fn insert_new_unit(
    tx: &mut Tx,
    code: &UnitCode,
    parent: Option<&UnitPath>,
    details: &UnitDetails,
    by: Option<OfficerId>,
    now: i64,
) -> Result<UnitId, ServiceError> {
    let (id, _) = store::insert_unit(tx, code, parent, details, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            ServiceError::from(InvalidInput::new("code", "Mã đơn vị đã tồn tại.", "This unit code already exists."))
        }
        other => other.into(),
    })?;
    store::set_former_names(tx, id, &details.former_names).await?;
    let parent_id = parent.and_then(|p| p.ids().last().copied());
    store::add_history(tx, id, now, by, "created", (None, parent_id), "").await?;
    Ok(id)
}

/// Creates a top unit (one without a parent) inside the caller's transaction: the first start's
/// setup of an empty installation, which checked it with [`check_new_unit`] and commits it with
/// the first admin. Audited as created by the installer. The caller calls [`routing_changed`]
/// after committing.
pub async fn create_top_in(
    tx: &mut Tx,
    code: &UnitCode,
    details: &UnitDetails,
    now: i64,
) -> Result<UnitId, ServiceError> {
    let id = insert_new_unit(tx, code, None, details, None, now).await?;
    crate::audit::service::record(
        tx,
        &NewEntry {
            at: now,
            officer: None,
            action: AuditAction::UnitCreated,
            unit: Some(id),
            target: code.as_str(),
            detail: "first_setup",
        },
    )
    .await?;
    Ok(id)
}

/// Tells the routing of reports that units changed (after a transaction that created some).
pub fn routing_changed(app: &App) {
    app.routing().invalidate();
}

/// Creates a sub-unit below `parent_code`.
pub async fn create_child(
    app: &App,
    scope: &Scope,
    parent_code: &str,
    code: &str,
    input: &UnitDetailsInput,
) -> Result<UnitCode, ServiceError> {
    let parent = get(app, scope, parent_code).await?;
    scope.require(Action::ManageUnits, &parent.path)?;
    let (code, details) = check_new_unit(code, input)?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    let id = insert_new_unit(&mut tx, &code, Some(&parent.path), &details, Some(scope.officer_id), now).await?;
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(scope.officer_id),
            action: AuditAction::UnitCreated,
            unit: Some(id),
            target: code.as_str(),
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    app.routing().invalidate();
    Ok(code)
}

/// Moves a unit (with its subtree) under another parent. The unit keeps its id, code, history,
/// officers and data; only its place changes. Both the old and the new place must be inside the
/// caller's admin scope.
pub async fn move_unit(app: &App, scope: &Scope, code: &str, new_parent_code: &str) -> Result<(), ServiceError> {
    let unit = get(app, scope, code).await?;
    scope.require(Action::ManageUnits, &unit.path)?;
    let not_found = || {
        InvalidInput::new(
            "parent",
            "Không tìm thấy đơn vị cấp trên này trong phạm vi của bạn.",
            "No such parent unit in your scope.",
        )
    };
    let parent = store::get_in_scope(&app.db, scope.officer_id, new_parent_code.trim()).await?.ok_or_else(not_found)?;
    scope.require(Action::ManageUnits, &parent.path)?;
    check_move(&unit.path, &parent.path)?;
    if unit.parent_id == Some(parent.id) {
        return Ok(());
    }
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::move_subtree(&mut tx, unit.id, &unit.path, (parent.id, &parent.path), now).await?;
    store::add_history(&mut tx, unit.id, now, Some(scope.officer_id), "moved", (unit.parent_id, Some(parent.id)), "")
        .await?;
    let detail = format!("to={}", parent.code);
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(scope.officer_id),
            action: AuditAction::UnitMoved,
            unit: Some(unit.id),
            target: unit.code.as_str(),
            detail: &detail,
        },
    )
    .await?;
    tx.commit().await?;
    app.routing().invalidate();
    Ok(())
}

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the import was refused, nothing was written:\n{}", .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Refused(Vec<ImportProblem>),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Service(e.into())
    }
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Service(e.into())
    }
}

/// Imports validated rows in one transaction: all or nothing. Returns how many were created.
pub async fn import(app: &App, rows: Vec<ImportRow>, source: &str) -> Result<usize, ImportError> {
    let existing = store::all_codes(&app.db).await?;
    let plan: Vec<PlannedUnit> = plan_import(rows, &existing).map_err(ImportError::Refused)?;
    import_former_name_clashes(app, &plan).await?;
    let now = app.clock.now_micros();
    let mut paths: HashMap<String, UnitPath> = HashMap::new();
    for p in &plan {
        if let Some(parent) = &p.parent_code
            && !paths.contains_key(parent.as_str())
            && let Some((_, path)) = store::locate(&app.db, parent.as_str()).await?
        {
            paths.insert(parent.as_str().to_string(), path);
        }
    }
    let count = plan.len();
    let mut tx = app.db.begin().await?;
    let mut first = None;
    for p in &plan {
        let parent_path = p.parent_code.as_ref().and_then(|c| paths.get(c.as_str())).cloned();
        let (id, path) = store::insert_unit(&mut tx, &p.code, parent_path.as_ref(), &p.details, now).await?;
        store::set_former_names(&mut tx, id, &p.details.former_names).await?;
        let parent_id = parent_path.as_ref().and_then(|pp| pp.ids().last().copied());
        store::add_history(&mut tx, id, now, None, "created", (None, parent_id), "import").await?;
        paths.insert(p.code.as_str().to_string(), path);
        first.get_or_insert(id);
    }
    let detail = format!("count={count}");
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: None,
            action: AuditAction::UnitsImported,
            unit: first,
            target: source,
            detail: &detail,
        },
    )
    .await?;
    tx.commit().await?;
    app.routing().invalidate();
    Ok(count)
}

/// Refuses an import whose row lists as a former name the current name of another unit under
/// the same parent (in the file, or already stored), like the unit form does.
async fn import_former_name_clashes(app: &App, plan: &[PlannedUnit]) -> Result<(), ImportError> {
    let mut problems = Vec::new();
    let mut stored: HashMap<String, Vec<String>> = HashMap::new();
    for p in plan.iter().filter(|p| !p.details.former_names.is_empty()) {
        let Some(parent) = &p.parent_code else { continue };
        if !stored.contains_key(parent.as_str()) {
            let names = match store::locate(&app.db, parent.as_str()).await? {
                Some((id, _)) => store::children(&app.db, id).await?.into_iter().map(|c| c.name).collect(),
                None => Vec::new(),
            };
            stored.insert(parent.as_str().to_string(), names);
        }
        let siblings = stored[parent.as_str()].iter().cloned().chain(
            plan.iter()
                .filter(|o| o.code != p.code && o.parent_code.as_ref() == Some(parent))
                .map(|o| o.details.name.clone()),
        );
        let siblings: Vec<String> = siblings.filter(|n| *n != p.details.name).collect();
        for former in &p.details.former_names {
            let words = caunoi_core::geo::place_name(former).1;
            if let Some(other) = siblings.iter().find(|s| caunoi_core::geo::place_name(s).1 == words) {
                problems.push(ImportProblem {
                    line: p.line,
                    reason: format!(
                        "the former name \"{former}\" is the current name of {other} under the same parent"
                    ),
                });
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(ImportError::Refused(problems)) }
}

/// The units in the officer's scope, as a tree in order.
pub async fn list_in_scope(app: &App, scope: &Scope) -> Result<Vec<UnitNode>, StoreError> {
    store::list_in_scope(&app.db, scope.officer_id).await
}

/// A unit's public details (its page, its chat), by code.
pub async fn get_public(app: &App, code: &str) -> Result<Option<Unit>, StoreError> {
    store::get_public(&app.db, code).await
}

/// The units above `path` that the officer may see, from the top.
pub async fn ancestors(app: &App, scope: &Scope, path: &UnitPath) -> Result<Vec<UnitNode>, StoreError> {
    store::ancestors_in_scope(&app.db, scope.officer_id, path).await
}

/// The units right below a unit.
pub async fn children(app: &App, unit: UnitId) -> Result<Vec<UnitNode>, StoreError> {
    store::children(&app.db, unit).await
}

/// A unit's history (created, edited, moved).
pub async fn history(app: &App, unit: UnitId) -> Result<Vec<store::HistoryRow>, StoreError> {
    store::history(&app.db, unit).await
}

/// A unit's id and path by code (no scope: callers check it, or act for the system).
/// A unit's name by id (the public page names the unit above).
pub async fn name_of(db: &crate::db::Db, unit: UnitId) -> Result<Option<String>, StoreError> {
    store::name_of(db, unit).await
}

/// One unit by id, unscoped (callers check what the officer may do with it).
pub async fn node_by_id(db: &crate::db::Db, unit: UnitId) -> Result<Option<UnitNode>, StoreError> {
    store::node_by_id(db, unit).await
}

/// The parent of a unit, if it has one (the alarm's escalation).
pub async fn parent_of(db: &crate::db::Db, unit: UnitId) -> Result<Option<UnitId>, StoreError> {
    store::parent_of(db, unit).await
}

pub async fn locate(db: &crate::db::Db, code: &str) -> Result<Option<(UnitId, UnitPath)>, StoreError> {
    store::locate(db, code).await
}

/// How many units exist (the demo creates its data only into an empty database).
pub async fn count(app: &App) -> Result<i64, StoreError> {
    store::count(&app.db).await
}

/// A unit in the officer's scope by code, if there is one (for a form's choice: the caller says
/// what a missing one means).
pub async fn find(app: &App, scope: &Scope, code: &str) -> Result<Option<Unit>, StoreError> {
    store::get_in_scope(&app.db, scope.officer_id, code).await
}

// ---------------------------------------------------------------------------------------------
// Boundaries and routing

/// What the unit page says about a stored boundary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundarySummary {
    pub points: usize,
    pub polygons: usize,
    pub area_km2: f64,
}

/// The summary of a unit's stored boundary (`None` when it has none, or one stored before
/// boundaries were validated that no longer parses).
pub fn boundary_summary(unit: &Unit) -> Option<BoundarySummary> {
    let b = parse_boundary(unit.details.boundary.as_ref()?.as_str()).ok()?;
    Some(BoundarySummary { points: b.point_count(), polygons: b.polygon_count(), area_km2: b.area_km2() })
}

/// Replaces a unit's area (ranh giới địa bàn) with a GeoJSON text, for admins of the unit. A
/// text [`parse_boundary`] refuses changes nothing and comes back as the field error
/// `boundary` with the specific reason. Stored normalized; history and audit in one
/// transaction; routing sees it at once.
pub async fn set_boundary(app: &App, scope: &Scope, code: &str, text: &str) -> Result<BoundarySummary, ServiceError> {
    let unit = get(app, scope, code).await?;
    scope.require(Action::ManageUnits, &unit.path)?;
    let parsed = parse_boundary(text).map_err(|e| {
        InvalidInput::new(
            "boundary",
            format!("Ranh giới không hợp lệ, chưa lưu gì: {}", e.message_vi()),
            format!("Invalid boundary, nothing was saved: {e}."),
        )
    })?;
    let stored = caunoi_core::units::Boundary::from_parsed(&parsed);
    let summary =
        BoundarySummary { points: parsed.point_count(), polygons: parsed.polygon_count(), area_km2: parsed.area_km2() };
    let detail = format!("boundary set: {} points, {:.2} km2", summary.points, summary.area_km2);
    record_boundary_change(app, scope, &unit, Some(&stored), &detail).await?;
    Ok(summary)
}

/// Removes a unit's area: reports in it go to the next area that holds them (the province).
pub async fn clear_boundary(app: &App, scope: &Scope, code: &str) -> Result<(), ServiceError> {
    let unit = get(app, scope, code).await?;
    scope.require(Action::ManageUnits, &unit.path)?;
    if unit.details.boundary.is_none() {
        return Ok(());
    }
    record_boundary_change(app, scope, &unit, None, "boundary removed").await
}

async fn record_boundary_change(
    app: &App,
    scope: &Scope,
    unit: &Unit,
    boundary: Option<&caunoi_core::units::Boundary>,
    detail: &str,
) -> Result<(), ServiceError> {
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::set_boundary(&mut tx, unit.id, boundary, now).await?;
    let change = if boundary.is_some() { "boundary_set" } else { "boundary_removed" };
    record_change(&mut tx, scope, unit, change, detail, now).await?;
    tx.commit().await?;
    app.routing().invalidate();
    Ok(())
}

/// Puts one change of a unit's page on its history and in the audit log, in the caller's
/// transaction.
pub(super) async fn record_change(
    tx: &mut crate::db::Tx,
    scope: &Scope,
    unit: &Unit,
    change: &str,
    detail: &str,
    now: i64,
) -> Result<(), ServiceError> {
    store::add_history(tx, unit.id, now, Some(scope.officer_id), change, (None, None), detail).await?;
    crate::audit::service::record(
        tx,
        &NewEntry {
            at: now,
            officer: Some(scope.officer_id),
            action: AuditAction::UnitEdited,
            unit: Some(unit.id),
            target: unit.code.as_str(),
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Every unit's area, indexed (cached; rebuilt after a unit changes).
pub async fn boundaries(app: &App) -> Result<Arc<Boundaries<UnitId>>, StoreError> {
    Ok(app.routing().get(&app.db).await?.boundaries.clone())
}

/// Every unit's name, for typed addresses (cached like [`boundaries`]). Units carry one name
/// today; old (pre-2025) names would be added here.
pub async fn address_matcher(app: &App) -> Result<Arc<AddressMatcher<UnitId>>, StoreError> {
    Ok(app.routing().get(&app.db).await?.addresses.clone())
}

/// The unit whose area holds the point (the smallest, when areas nest), and whether the point
/// is near that area's edge so the receiving officer should confirm.
pub async fn route_point(app: &App, p: GeoPoint) -> Result<Option<Located<UnitId>>, StoreError> {
    Ok(boundaries(app).await?.locate(p))
}

/// The unit a typed address names, if exactly one fits.
pub async fn route_address(app: &App, text: &str) -> Result<Option<UnitId>, StoreError> {
    Ok(address_matcher(app).await?.find(text))
}

/// The units at the top of the tree with their paths (the deployment's admin is the admin of
/// all of them).
pub async fn roots(app: &App) -> Result<Vec<(UnitId, UnitPath)>, StoreError> {
    store::roots(&app.db).await
}

/// The province police at or above `unit`, for a report category handled by the province
/// (`HandlingLevel::Province`); `unit` itself when no province unit is above it.
pub async fn province_of(app: &App, unit: UnitId) -> Result<UnitId, StoreError> {
    let mut current = Some(unit);
    // A path is at most a few levels deep; the bound only guards a corrupt parent loop.
    for _ in 0..64 {
        let Some(node) = current else { break };
        let Some(node) = store::node_by_id(&app.db, node).await? else { break };
        if node.kind == caunoi_core::units::UnitKind::Province {
            return Ok(node.id);
        }
        current = node.parent_id;
    }
    Ok(unit)
}
