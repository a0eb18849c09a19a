//! Category use cases: loading the deployment's report categories into the in-memory cache
//! ([`super::Categories`]) and the deployment admin's changes from the category screen.
//!
//! Only the deployment's admin (an admin whose grants cover every root unit,
//! [`Action::ManageDeployment`]) changes categories: they are shared by every unit. Each change
//! is checked whole (`caunoi_core::cases::category_edit`), written with its audit entry in one
//! transaction, then the cache is reloaded here; other instances reload it within ten seconds
//! (housekeeping calls [`reload`], as for the bot settings).

use super::Categories;
use super::category_store::{self, CategoryRow};
use crate::app::App;
use crate::audit::store::NewEntry;
use crate::db::StoreError;
use crate::error::ServiceError;
use caunoi_core::audit::AuditAction;
use caunoi_core::cases::category_edit::{CategoryDraft, Editing, Move, changed_fields, check_category, move_in_order};
use caunoi_core::cases::{Category, HandlingLevel, Sensitivity};
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::{Action, Forbidden, Scope};
use caunoi_core::units::UnitId;

fn category_of(r: CategoryRow) -> Option<(Category, bool)> {
    Some((
        Category {
            key: r.key,
            label_vi: r.label_vi,
            label_en: r.label_en,
            sensitivity: Sensitivity::parse(&r.sensitivity)?,
            urgent: r.urgent,
            legal_days: r.legal_days.and_then(|d| u16::try_from(d).ok()),
            handling: HandlingLevel::parse(&r.handling).unwrap_or_default(),
            questions: serde_json::from_str(&r.questions).unwrap_or_default(),
        },
        r.enabled,
    ))
}

/// Reads the categories into the cache (at start, after a change, and every ten seconds so a
/// change made on another instance reaches this one).
pub async fn reload(app: &App) -> Result<(), StoreError> {
    let cats = category_store::all(&app.db).await?.into_iter().filter_map(category_of).collect();
    app.runtime::<Categories>().replace(cats);
    Ok(())
}

/// The root unit the change is recorded against, if `scope` is the deployment's admin.
pub async fn deployment_unit(app: &App, scope: &Scope) -> Result<UnitId, ServiceError> {
    let roots = crate::units::service::roots(app).await?;
    match roots.first() {
        Some((first, _)) if roots.iter().all(|(_, path)| scope.can(Action::ManageDeployment, path)) => Ok(*first),
        _ => Err(Forbidden { action: Action::ManageDeployment }.into()),
    }
}

/// Every category with its enabled flag, for the deployment's admin.
pub async fn list(app: &App, scope: &Scope) -> Result<Vec<(Category, bool)>, ServiceError> {
    deployment_unit(app, scope).await?;
    Ok(app.runtime::<Categories>().current().as_ref().clone())
}

/// One category, for the deployment's admin.
pub async fn get(app: &App, scope: &Scope, key: &str) -> Result<(Category, bool), ServiceError> {
    list(app, scope).await?.into_iter().find(|(c, _)| c.key == key).ok_or(ServiceError::NotFound)
}

/// Adds a category; returns its key.
pub async fn create(app: &App, scope: &Scope, draft: &CategoryDraft) -> Result<String, ServiceError> {
    let unit = deployment_unit(app, scope).await?;
    let existing: Vec<String> = app.runtime::<Categories>().current().iter().map(|(c, _)| c.key.clone()).collect();
    let category = check_category(draft, Editing::New { existing_keys: &existing })?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    category_store::insert(&mut tx, &category).await?;
    record(&mut tx, scope, unit, now, &category.key, "created").await?;
    tx.commit().await?;
    reload(app).await?;
    Ok(category.key)
}

/// Changes category `key`. Nothing is written when nothing changed.
pub async fn update(app: &App, scope: &Scope, key: &str, draft: &CategoryDraft) -> Result<(), ServiceError> {
    let unit = deployment_unit(app, scope).await?;
    let (before, _) = get(app, scope, key).await?;
    let after = check_category(draft, Editing::Existing { key: &before.key })?;
    let fields = changed_fields(&before, &after);
    if fields.is_empty() {
        return Ok(());
    }
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    category_store::update(&mut tx, &after).await?;
    record(&mut tx, scope, unit, now, key, &format!("fields={}", fields.join(","))).await?;
    tx.commit().await?;
    reload(app).await?;
    Ok(())
}

/// Turns category `key` on or off (a category in use is never deleted: stored cases name it).
pub async fn set_enabled(app: &App, scope: &Scope, key: &str, enabled: bool) -> Result<(), ServiceError> {
    let unit = deployment_unit(app, scope).await?;
    let (category, was) = get(app, scope, key).await?;
    if was == enabled {
        return Ok(());
    }
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    category_store::set_enabled(&mut tx, &category.key, enabled).await?;
    record(&mut tx, scope, unit, now, &category.key, if enabled { "enabled" } else { "disabled" }).await?;
    tx.commit().await?;
    reload(app).await?;
    Ok(())
}

/// The fingerprint of the order the screen shows ([`caunoi_core::cases::category_edit::order_token`]),
/// which a move sends back.
pub fn order_token(app: &App) -> String {
    let keys: Vec<String> = app.runtime::<Categories>().current().iter().map(|(c, _)| c.key.clone()).collect();
    caunoi_core::cases::category_edit::order_token(&keys)
}

/// Moves category `key` one place `way` ("up" or "down") in the order every list of
/// categories follows (the chat's buttons, the web report form, Open311's services, the
/// console). `seen` is the order the admin looked at: if it changed meanwhile, nothing moves.
/// The check and the write hold one lock, so two moves at once are one after the other.
pub async fn move_category(app: &App, scope: &Scope, key: &str, way: &str, seen: &str) -> Result<(), ServiceError> {
    let unit = deployment_unit(app, scope).await?;
    let invalid = |e| ServiceError::Invalid(FieldErrors(vec![e]));
    let way: Move = way.parse().map_err(invalid)?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    tx.lock_key("case_categories.order").await?;
    let order = category_store::order(&mut tx).await?;
    let (next, place) = move_in_order(&order, seen, key, way).map_err(invalid)?;
    category_store::set_order(&mut tx, &next).await?;
    let detail = format!("moved={};place={place};of={}", way.as_str(), next.len());
    record(&mut tx, scope, unit, now, key, &detail).await?;
    tx.commit().await?;
    reload(app).await?;
    Ok(())
}

async fn record(
    tx: &mut crate::db::Tx,
    scope: &Scope,
    unit: UnitId,
    now: i64,
    key: &str,
    detail: &str,
) -> Result<(), StoreError> {
    crate::audit::service::record(
        tx,
        &NewEntry {
            at: now,
            officer: Some(scope.officer_id),
            action: AuditAction::CategoryChanged,
            unit: Some(unit),
            target: key,
            detail,
        },
    )
    .await
}
