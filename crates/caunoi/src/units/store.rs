//! Unit queries. Reads that officers make take the officer id and filter with [`in_scope!`];
//! the public page reads by code without scope (it shows only what the unit publishes).

use crate::db::{Db, StoreError, Tx};
use crate::{db_read, in_scope};
use caunoi_core::phone::PhoneNumber;
use caunoi_core::staff::OfficerId;
use caunoi_core::units::{
    Boundary, GeoPoint, OpeningHours, UnitCode, UnitDetails, UnitId, UnitKind, UnitNode, UnitPath,
};
use std::collections::HashSet;

/// A unit as stored. (Its Zalo OA is the Zalo channel's: `channels::zalo::service`.)
#[derive(Debug, Clone)]
pub struct Unit {
    pub id: UnitId,
    pub code: UnitCode,
    pub parent_id: Option<UnitId>,
    pub path: UnitPath,
    pub details: UnitDetails,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    id: i64,
    code: String,
    kind: String,
    name: String,
    parent_id: Option<i64>,
    path: String,
    address: String,
    lat: Option<f64>,
    lon: Option<f64>,
    boundary: Option<String>,
    hotline: Option<String>,
    duty_phone: Option<String>,
    email: String,
    opening_hours: String,
    updated_at: i64,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Unit {
        Unit {
            id: UnitId(r.id),
            code: UnitCode::from_stored(r.code),
            parent_id: r.parent_id.map(UnitId),
            path: UnitPath::from_stored(r.path),
            details: UnitDetails {
                name: r.name,
                kind: UnitKind::parse(&r.kind).unwrap_or(UnitKind::Team),
                address: r.address,
                location: r.lat.zip(r.lon).and_then(|(lat, lon)| GeoPoint::new(lat, lon)),
                boundary: r.boundary.map(Boundary::from_stored),
                hotline: r.hotline.map(PhoneNumber::from_stored),
                duty_phone: r.duty_phone.map(PhoneNumber::from_stored),
                email: r.email,
                opening_hours: serde_json::from_str(&r.opening_hours).unwrap_or_default(),
                // Read separately (`former_names`), where a screen needs them.
                former_names: Vec::new(),
            },
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct NodeRow {
    id: i64,
    code: String,
    name: String,
    kind: String,
    parent_id: Option<i64>,
    path: String,
}

impl From<NodeRow> for UnitNode {
    fn from(r: NodeRow) -> UnitNode {
        UnitNode {
            id: UnitId(r.id),
            code: UnitCode::from_stored(r.code),
            name: r.name,
            kind: UnitKind::parse(&r.kind).unwrap_or(UnitKind::Team),
            parent_id: r.parent_id.map(UnitId),
            path: UnitPath::from_stored(r.path),
        }
    }
}

macro_rules! unit_columns {
    () => {
        "u.id, u.code, u.kind, u.name, u.parent_id, u.path, u.address, u.lat, u.lon, u.boundary, \
         u.hotline, u.duty_phone, u.email, u.opening_hours, u.updated_at"
    };
}

/// Every unit the officer can see, for the tree.
pub async fn list_in_scope(db: &Db, officer: OfficerId) -> Result<Vec<UnitNode>, StoreError> {
    let rows: Vec<NodeRow> = db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.path FROM units u WHERE ",
        in_scope!(),
        " ORDER BY u.path"
    ))
    .bind(officer.0)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(UnitNode::from).collect())
}

/// One unit by code, if the officer can see it.
pub async fn get_in_scope(db: &Db, officer: OfficerId, code: &str) -> Result<Option<Unit>, StoreError> {
    let row: Option<UnitRow> = db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT ", unit_columns!(), " FROM units u WHERE u.code = $2 AND ", in_scope!()
    ))
    .bind(officer.0)
    .bind(code)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Unit::from))
}

/// One unit by id, if the officer can see it.
pub async fn get_by_id_in_scope(db: &Db, officer: OfficerId, id: UnitId) -> Result<Option<Unit>, StoreError> {
    let row: Option<UnitRow> = db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT ", unit_columns!(), " FROM units u WHERE u.id = $2 AND ", in_scope!()
    ))
    .bind(officer.0)
    .bind(id.0)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Unit::from))
}

/// One unit by code for its public page.
pub async fn get_public(db: &Db, code: &str) -> Result<Option<Unit>, StoreError> {
    let row: Option<UnitRow> = db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT ", unit_columns!(), " FROM units u WHERE u.code = $1"
    ))
    .bind(code)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Unit::from))
}

/// The units on a path, root first (breadcrumbs), limited to those the officer can see.
pub async fn ancestors_in_scope(db: &Db, officer: OfficerId, path: &UnitPath) -> Result<Vec<UnitNode>, StoreError> {
    let rows: Vec<NodeRow> = db_read!(db, pool => sqlx::query_as(concat!(
        "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.path FROM units u \
         WHERE $2 LIKE u.path || '%' AND ", in_scope!(), " ORDER BY length(u.path)"
    ))
    .bind(officer.0)
    .bind(path.as_str())
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(UnitNode::from).collect())
}

/// The direct children of a unit (all of them lie in the scope of whoever sees the parent).
pub async fn children(db: &Db, parent: UnitId) -> Result<Vec<UnitNode>, StoreError> {
    let rows: Vec<NodeRow> = db_read!(db, pool => sqlx::query_as(
        "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.path FROM units u WHERE u.parent_id = $1 ORDER BY u.name"
    )
    .bind(parent.0)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(UnitNode::from).collect())
}

pub async fn all_codes(db: &Db) -> Result<HashSet<String>, StoreError> {
    let codes: Vec<String> = db_read!(db, pool => sqlx::query_scalar("SELECT code FROM units").fetch_all(pool).await)?;
    Ok(codes.into_iter().collect())
}

pub async fn count(db: &Db) -> Result<i64, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM units").fetch_one(pool).await)?)
}

/// The id and path of a unit by code (no scope: callers check scope on the result).
pub async fn locate(db: &Db, code: &str) -> Result<Option<(UnitId, UnitPath)>, StoreError> {
    let row: Option<(i64, String)> = db_read!(db, pool => sqlx::query_as("SELECT id, path FROM units WHERE code = $1")
        .bind(code)
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(|(id, path)| (UnitId(id), UnitPath::from_stored(path))))
}

/// One line of a unit's history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub at: i64,
    pub change: String,
    pub officer_name: Option<String>,
    pub old_parent: Option<String>,
    pub new_parent: Option<String>,
    pub detail: String,
}

pub async fn history(db: &Db, unit: UnitId) -> Result<Vec<HistoryRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT h.at, h.change, o.display_name AS officer_name, op.name AS old_parent, np.name AS new_parent, h.detail \
         FROM unit_history h \
         LEFT JOIN officers o ON o.id = h.officer_id \
         LEFT JOIN units op ON op.id = h.old_parent_id \
         LEFT JOIN units np ON np.id = h.new_parent_id \
         WHERE h.unit_id = $1 ORDER BY h.at DESC, h.id DESC LIMIT 50"
    )
    .bind(unit.0)
    .fetch_all(pool)
    .await)?)
}

/// Serialized opening hours for storage.
pub fn hours_json(h: &OpeningHours) -> String {
    serde_json::to_string(h).unwrap_or_else(|_| "{}".to_string())
}

/// Inserts a unit below `parent` (or as a root), sets its path and returns its id and path.
pub async fn insert_unit(
    tx: &mut Tx,
    code: &UnitCode,
    parent: Option<&UnitPath>,
    d: &UnitDetails,
    now: i64,
) -> Result<(UnitId, UnitPath), StoreError> {
    crate::db_conn!(tx, conn => {
        let parent_id = parent.and_then(|p| p.ids().last().copied());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO units (code, kind, name, parent_id, path, address, lat, lon, boundary, hotline, \
             duty_phone, email, opening_hours, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(code.as_str())
        .bind(d.kind.as_str())
        .bind(&d.name)
        .bind(parent_id.map(|p| p.0))
        .bind(&d.address)
        .bind(d.location.map(|p| p.lat))
        .bind(d.location.map(|p| p.lon))
        .bind(d.boundary.as_ref().map(|b| b.as_str()))
        .bind(d.hotline.as_ref().map(|p| p.as_str()))
        .bind(d.duty_phone.as_ref().map(|p| p.as_str()))
        .bind(&d.email)
        .bind(hours_json(&d.opening_hours))
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| StoreError::on_unique(e, "unit code already exists"))?;
        let id = UnitId(id);
        let path = match parent {
            Some(p) => p.child(id),
            None => UnitPath::root(id),
        };
        sqlx::query("UPDATE units SET path = $1 WHERE id = $2")
            .bind(path.as_str())
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        Ok((id, path))
    })
}

/// Replaces a unit's page details.
pub async fn update_details(tx: &mut Tx, id: UnitId, d: &UnitDetails, now: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "UPDATE units SET kind = $1, name = $2, address = $3, lat = $4, lon = $5, boundary = $6, \
             hotline = $7, duty_phone = $8, email = $9, opening_hours = $10, updated_at = $11 WHERE id = $12",
        )
        .bind(d.kind.as_str())
        .bind(&d.name)
        .bind(&d.address)
        .bind(d.location.map(|p| p.lat))
        .bind(d.location.map(|p| p.lon))
        .bind(d.boundary.as_ref().map(|b| b.as_str()))
        .bind(d.hotline.as_ref().map(|p| p.as_str()))
        .bind(d.duty_phone.as_ref().map(|p| p.as_str()))
        .bind(&d.email)
        .bind(hours_json(&d.opening_hours))
        .bind(now)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// Moves a unit and its whole subtree under a new parent by rewriting path prefixes.
pub async fn move_subtree(
    tx: &mut Tx,
    id: UnitId,
    old_path: &UnitPath,
    new_parent: (UnitId, &UnitPath),
    now: i64,
) -> Result<UnitPath, StoreError> {
    crate::db_conn!(tx, conn => {
        let new_path = new_parent.1.child(id);
        sqlx::query("UPDATE units SET parent_id = $1, updated_at = $2 WHERE id = $3")
            .bind(new_parent.0.0)
            .bind(now)
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE units SET path = $1 || substr(path, length($2) + 1) WHERE path LIKE $2 || '%'")
            .bind(new_path.as_str())
            .bind(old_path.as_str())
            .execute(&mut *conn)
            .await?;
        Ok(new_path)
    })
}

/// Appends one line to a unit's history.
pub async fn add_history(
    tx: &mut Tx,
    unit: UnitId,
    at: i64,
    officer: Option<OfficerId>,
    change: &str,
    parents: (Option<UnitId>, Option<UnitId>),
    detail: &str,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO unit_history (unit_id, at, officer_id, change, old_parent_id, new_parent_id, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(unit.0)
        .bind(at)
        .bind(officer.map(|o| o.0))
        .bind(change)
        .bind(parents.0.map(|p| p.0))
        .bind(parents.1.map(|p| p.0))
        .bind(detail)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// The parent of a unit, if it has one.
pub async fn parent_of(db: &Db, unit: UnitId) -> Result<Option<UnitId>, StoreError> {
    let row: Option<(Option<i64>,)> = db_read!(db, pool => sqlx::query_as("SELECT parent_id FROM units WHERE id = $1")
        .bind(unit.0)
        .fetch_optional(pool)
        .await)?;
    Ok(row.and_then(|(p,)| p).map(UnitId))
}

/// One unit by id, unscoped (the inbox offers a ward's officers their parent unit to hand a
/// conversation up to).
pub async fn node_by_id(db: &Db, unit: UnitId) -> Result<Option<UnitNode>, StoreError> {
    let row: Option<NodeRow> = db_read!(db, pool => sqlx::query_as(
        "SELECT u.id, u.code, u.name, u.kind, u.parent_id, u.path FROM units u WHERE u.id = $1"
    )
    .bind(unit.0)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(UnitNode::from))
}

/// A unit's name by id.
pub async fn name_of(db: &Db, unit: UnitId) -> Result<Option<String>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar("SELECT name FROM units WHERE id = $1")
        .bind(unit.0)
        .fetch_optional(pool)
        .await)?)
}

/// Sets (or with `None` removes) a unit's stored boundary.
pub async fn set_boundary(tx: &mut Tx, id: UnitId, boundary: Option<&Boundary>, now: i64) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("UPDATE units SET boundary = $1, updated_at = $2 WHERE id = $3")
            .bind(boundary.map(|b| b.as_str()))
            .bind(now)
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

/// What routing needs of every unit: its id, parent, name and stored boundary.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoutingRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub boundary: Option<String>,
}

pub async fn routing_rows(db: &Db) -> Result<Vec<RoutingRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as("SELECT id, parent_id, name, boundary FROM units ORDER BY id")
        .fetch_all(pool)
        .await)?)
}

/// A cheap fingerprint of the units table: it changes whenever a unit is added or edited
/// (every change sets `updated_at`), so another instance's change is seen without reading all.
pub async fn fingerprint(db: &Db) -> Result<(i64, i64), StoreError> {
    let (count, latest): (i64, Option<i64>) =
        db_read!(db, pool => sqlx::query_as("SELECT COUNT(*), MAX(updated_at) FROM units").fetch_one(pool).await)?;
    Ok((count, latest.unwrap_or(0)))
}

/// The units at the top of the tree (no parent): usually one, the province or the ministry.
pub async fn roots(db: &Db) -> Result<Vec<(UnitId, UnitPath)>, StoreError> {
    let rows: Vec<(i64, String)> = db_read!(db, pool => sqlx::query_as(
        "SELECT id, path FROM units WHERE parent_id IS NULL ORDER BY id"
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(|(id, path)| (UnitId(id), UnitPath::from_stored(path))).collect())
}

/// Former names of one unit, in the order they were written.
pub async fn former_names(db: &Db, unit: UnitId) -> Result<Vec<String>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT name FROM unit_former_names WHERE unit_id = $1 ORDER BY position, name"
    )
    .bind(unit.0)
    .fetch_all(pool)
    .await)?)
}

/// Every unit's former names, for routing.
pub async fn all_former_names(db: &Db) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT unit_id, name FROM unit_former_names ORDER BY unit_id, position, name"
    )
    .fetch_all(pool)
    .await)?)
}

/// Replaces a unit's former names.
pub async fn set_former_names(tx: &mut Tx, unit: UnitId, names: &[String]) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        sqlx::query("DELETE FROM unit_former_names WHERE unit_id = $1").bind(unit.0).execute(&mut *conn).await?;
        for (position, name) in names.iter().enumerate() {
            sqlx::query("INSERT INTO unit_former_names (unit_id, name, position) VALUES ($1, $2, $3)")
                .bind(unit.0)
                .bind(name)
                .bind(position as i64)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    })
}
