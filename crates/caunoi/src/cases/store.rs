//! Case queries, on the cases feature's own tables only: `cases`, `case_events`, `case_media`,
//! `case_identity_requests`, `case_categories`, `open311_keys`, `case_alarms` and
//! `case_alarm_recipients` (scoped reads join `units` through the shared scope filter, as every
//! feature's do). Writes that change a case take the caller's transaction; a change of state is
//! a conditional update on the state that was read, so two officers acting at once cannot both
//! win.

use crate::db::{Db, Engine, StoreError, Tx};
use crate::{db_conn, db_read, db_write, in_scope};
use caunoi_core::cases::{CaseId, Category};
use caunoi_core::staff::OfficerId;
use caunoi_core::units::UnitId;

/// Every column of a case, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub code: String,
    pub unit_id: i64,
    pub category: String,
    pub channel: String,
    pub status: String,
    pub urgent: bool,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub place_unknown: bool,
    pub place_to_confirm: bool,
    pub occurred: Option<String>,
    pub attributes: String,
    pub reporter_mode: String,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub sealed_identity: Option<String>,
    pub conversation_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub received_at: i64,
    pub legal_days: Option<i64>,
    pub legal_extended_to: Option<i64>,
    pub suspended_micros: i64,
    pub suspended_since: Option<i64>,
    pub forwarded_from: Option<i64>,
    pub forwarded_at: Option<i64>,
    pub ack_due_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub first_reply_at: Option<i64>,
    pub duplicate_of: Option<i64>,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

/// The columns of [`CaseRow`], from `cases c`.
macro_rules! case_columns {
    () => {
        "c.id, c.code, c.unit_id, c.category, c.channel, c.status, c.urgent, c.description, c.lat, \
         c.lon, c.address, c.place_unknown, c.place_to_confirm, c.occurred, c.attributes, c.reporter_mode, \
         c.reporter_name, c.reporter_phone, c.sealed_identity, c.conversation_id, c.assignee_id, c.received_at, \
         c.legal_days, c.legal_extended_to, c.suspended_micros, c.suspended_since, c.forwarded_from, c.forwarded_at, \
         c.ack_due_at, c.acknowledged_at, c.first_reply_at, c.duplicate_of, c.updated_at, c.closed_at"
    };
}

/// A case with its unit's name and path.
macro_rules! scoped_select {
    () => {
        concat!(
            "SELECT ",
            case_columns!(),
            ", u.name AS unit_name, u.path AS unit_path FROM cases c JOIN units u ON u.id = c.unit_id "
        )
    };
}

/// A case to insert.
#[derive(Debug, Clone)]
pub struct NewCaseRow<'a> {
    pub code: &'a str,
    pub unit: UnitId,
    pub category: &'a str,
    pub channel: &'a str,
    pub status: &'a str,
    pub urgent: bool,
    pub description: &'a str,
    pub point: Option<(f64, f64)>,
    pub address: Option<&'a str>,
    pub place_unknown: bool,
    pub place_to_confirm: bool,
    pub occurred: Option<&'a str>,
    pub attributes: &'a str,
    pub reporter_mode: &'a str,
    pub reporter_name: Option<&'a str>,
    pub reporter_phone: Option<&'a str>,
    pub sealed_identity: Option<&'a str>,
    pub receipt_hash: Option<&'a str>,
    pub conversation: Option<i64>,
    pub received_at: i64,
    pub legal_days: Option<u16>,
}

/// Inserts a case; [`StoreError::Conflict`] when its code is taken (the caller draws another).
pub async fn insert_case(tx: &mut Tx, c: &NewCaseRow<'_>) -> Result<CaseId, StoreError> {
    db_conn!(tx, conn => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (code, unit_id, category, channel, status, urgent, description, lat, lon, address, \
             place_unknown, place_to_confirm, occurred, attributes, reporter_mode, reporter_name, reporter_phone, \
             sealed_identity, receipt_hash, conversation_id, received_at, legal_days, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
             $22, $21) RETURNING id",
        )
        .bind(c.code)
        .bind(c.unit.0)
        .bind(c.category)
        .bind(c.channel)
        .bind(c.status)
        .bind(c.urgent)
        .bind(c.description)
        .bind(c.point.map(|p| p.0))
        .bind(c.point.map(|p| p.1))
        .bind(c.address)
        .bind(c.place_unknown)
        .bind(c.place_to_confirm)
        .bind(c.occurred)
        .bind(c.attributes)
        .bind(c.reporter_mode)
        .bind(c.reporter_name)
        .bind(c.reporter_phone)
        .bind(c.sealed_identity)
        .bind(c.receipt_hash)
        .bind(c.conversation)
        .bind(c.received_at)
        .bind(c.legal_days.map(i64::from))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| StoreError::on_unique(e, "case code"))?;
        Ok(CaseId(id))
    })
}

/// One step of a case's timeline, to append.
#[derive(Debug, Clone, Default)]
pub struct NewEventRow<'a> {
    pub kind: &'a str,
    pub officer: Option<OfficerId>,
    pub unit: Option<UnitId>,
    pub to_unit: Option<UnitId>,
    pub text: &'a str,
    /// JSON object.
    pub data: &'a str,
}

pub async fn insert_event(tx: &mut Tx, case: CaseId, at: i64, e: &NewEventRow<'_>) -> Result<i64, StoreError> {
    let data = if e.data.is_empty() { "{}" } else { e.data };
    db_conn!(tx, conn => Ok(sqlx::query_scalar(
        "INSERT INTO case_events (case_id, at, kind, officer_id, unit_id, to_unit_id, text, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(case.0)
    .bind(at)
    .bind(e.kind)
    .bind(e.officer.map(|o| o.0))
    .bind(e.unit.map(|u| u.0))
    .bind(e.to_unit.map(|u| u.0))
    .bind(e.text)
    .bind(data)
    .fetch_one(&mut *conn)
    .await?))
}

/// A stored step of a timeline, with the names it refers to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub officer_id: Option<i64>,
    pub officer_name: Option<String>,
    pub unit_name: Option<String>,
    pub to_unit_name: Option<String>,
    pub text: String,
    pub data: String,
}

/// The timeline of a case, oldest first.
pub async fn events(db: &Db, case: CaseId) -> Result<Vec<EventRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT e.id, e.at, e.kind, e.officer_id, o.display_name AS officer_name, u.name AS unit_name, \
         t.name AS to_unit_name, e.text, e.data FROM case_events e \
         LEFT JOIN officers o ON o.id = e.officer_id LEFT JOIN units u ON u.id = e.unit_id \
         LEFT JOIN units t ON t.id = e.to_unit_id WHERE e.case_id = $1 ORDER BY e.id",
    )
    .bind(case.0)
    .fetch_all(pool)
    .await)?)
}

/// A photo or video kept as evidence of a case.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaRow {
    pub id: i64,
    pub media_ref: String,
    pub kind: String,
    pub bytes: i64,
    pub received_at: i64,
    pub gps_lat: Option<f64>,
    pub gps_lon: Option<f64>,
}

/// Adds evidence; the same file added twice to one case is kept once (`false`).
pub async fn insert_media(tx: &mut Tx, case: CaseId, m: &MediaRow) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "INSERT INTO case_media (case_id, media_ref, kind, bytes, received_at, gps_lat, gps_lon) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (case_id, media_ref) DO NOTHING",
    )
    .bind(case.0)
    .bind(&m.media_ref)
    .bind(&m.kind)
    .bind(m.bytes)
    .bind(m.received_at)
    .bind(m.gps_lat)
    .bind(m.gps_lon)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn media(db: &Db, case: CaseId) -> Result<Vec<MediaRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT id, media_ref, kind, bytes, received_at, gps_lat, gps_lon FROM case_media WHERE case_id = $1 ORDER BY id",
    )
    .bind(case.0)
    .fetch_all(pool)
    .await)?)
}

/// Whether any case holds `media_ref` as evidence.
pub async fn holds_media(db: &Db, media_ref: &str) -> Result<bool, StoreError> {
    let found: Option<i64> = db_read!(db, pool => sqlx::query_scalar(
        "SELECT case_id FROM case_media WHERE media_ref = $1 LIMIT 1",
    )
    .bind(media_ref)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// A case with its unit's name and path, inside officer `officer`'s scope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScopedCaseRow {
    #[sqlx(flatten)]
    pub case: CaseRow,
    pub unit_name: String,
    pub unit_path: String,
}

/// The case `id` if it lies in the officer's scope.
pub async fn get_in_scope(db: &Db, officer: OfficerId, id: CaseId) -> Result<Option<ScopedCaseRow>, StoreError> {
    const SQL: &str = concat!(scoped_select!(), "WHERE c.id = $2 AND ", in_scope!());
    Ok(db_read!(db, pool => sqlx::query_as(SQL).bind(officer.0).bind(id.0).fetch_optional(pool).await)?)
}

/// The case `id`, unscoped (workers, the reporter's own views), with its unit's name and path.
pub async fn get(db: &Db, id: CaseId) -> Result<Option<ScopedCaseRow>, StoreError> {
    const SQL: &str = concat!(scoped_select!(), "WHERE c.id = $1");
    Ok(db_read!(db, pool => sqlx::query_as(SQL).bind(id.0).fetch_optional(pool).await)?)
}

/// The case with this code (the reporter's look-up).
pub async fn by_code(db: &Db, code: &str) -> Result<Option<ScopedCaseRow>, StoreError> {
    const SQL: &str = concat!(scoped_select!(), "WHERE c.code = $1");
    Ok(db_read!(db, pool => sqlx::query_as(SQL).bind(code).fetch_optional(pool).await)?)
}

/// The case whose receipt hashes to `hash`.
pub async fn by_receipt_hash(db: &Db, hash: &str) -> Result<Option<ScopedCaseRow>, StoreError> {
    const SQL: &str = concat!(scoped_select!(), "WHERE c.receipt_hash = $1");
    Ok(db_read!(db, pool => sqlx::query_as(SQL).bind(hash).fetch_optional(pool).await)?)
}

/// Every case made from a conversation, newest first (the citizen panel of the inbox).
pub async fn of_conversation(db: &Db, conversation: i64) -> Result<Vec<CaseRow>, StoreError> {
    const SQL: &str =
        concat!("SELECT ", case_columns!(), " FROM cases c WHERE c.conversation_id = $1 ORDER BY c.id DESC LIMIT 20");
    Ok(db_read!(db, pool => sqlx::query_as(SQL).bind(conversation).fetch_all(pool).await)?)
}

/// Which cases a board shows.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter<'a> {
    /// `open` (new, acknowledged, verifying), `new`, `overdue` (legal deadline or acknowledgement
    /// passed), `closed` (every other status) or `all`.
    pub view: &'a str,
    pub category: Option<&'a str>,
    /// Only this unit's subtree (a path prefix), inside the officer's scope.
    pub unit_path: Option<&'a str>,
    pub now: i64,
    pub limit: i64,
    pub offset: i64,
}

/// One row of the board.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BoardRow {
    pub id: i64,
    pub code: String,
    pub unit_name: String,
    pub category: String,
    pub channel: String,
    pub status: String,
    pub urgent: bool,
    pub description: String,
    pub address: Option<String>,
    pub reporter_mode: String,
    pub received_at: i64,
    pub legal_days: Option<i64>,
    pub legal_extended_to: Option<i64>,
    pub suspended_micros: i64,
    pub suspended_since: Option<i64>,
    pub ack_due_at: Option<i64>,
    pub assignee_name: Option<String>,
}

/// Counts above this are shown as "10.000+".
pub const COUNT_CAP: i64 = 10_000;

/// Which indexes a board view reads (migration 0021).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reads {
    /// Open cases only: `cases_board_open` in the board's order, `cases_board_open_unit` unit by
    /// unit. The view's condition starts with the open statuses exactly as those partial
    /// indexes spell them, so that both engines may use them.
    Open,
    /// Any case: `cases_board_all` (or `cases_board_category` for one category) newest first,
    /// `cases_board_unit` unit by unit.
    History,
    /// The last day's cases: a range of `cases_board_all`, whatever the scope.
    Newest,
}

/// A board view: which cases (`$2` is now), in which order, read along which indexes.
#[derive(Debug, Clone, Copy)]
struct View {
    condition: &'static str,
    order: &'static str,
    reads: Reads,
}

macro_rules! open_statuses {
    () => {
        "c.status IN ('new', 'acknowledged', 'verifying')"
    };
}

/// The views: `open` (new, acknowledged, verifying), `new`, `overdue` (acknowledgement or legal
/// deadline passed), `closed` (every other status) or `all`; and the daily digest's `due_soon`
/// (the legal deadline within `DUE_SOON_DAYS`, not yet passed), `forwards` (waiting for the
/// receiving unit's acknowledgement) and `recent` (what came in over a day). Open views put
/// urgent cases first; the history views are newest first. An unknown name is `open`.
fn view_of(name: &str) -> View {
    const URGENT_FIRST: &str = "c.urgent DESC, c.received_at DESC, c.id DESC";
    const NEWEST_FIRST: &str = "c.received_at DESC, c.id DESC";
    let (condition, order, reads) = match name {
        "new" => (concat!(open_statuses!(), " AND c.status = 'new'"), URGENT_FIRST, Reads::Open),
        "overdue" => {
            (concat!(open_statuses!(), " AND (c.ack_due_at < $2 OR c.legal_due_at < $2)"), URGENT_FIRST, Reads::Open)
        }
        "due_soon" => (
            concat!(open_statuses!(), " AND c.legal_due_at >= $2 AND c.legal_due_at < $2 + 259200000000"),
            "c.received_at, c.id",
            Reads::Open,
        ),
        "forwards" => (
            concat!(
                open_statuses!(),
                " AND c.status = 'new' AND c.forwarded_from IS NOT NULL AND c.ack_due_at IS NOT NULL"
            ),
            "c.ack_due_at, c.id",
            Reads::Open,
        ),
        "recent" => ("c.received_at > $2 - 86400000000", NEWEST_FIRST, Reads::Newest),
        "closed" => ("c.status NOT IN ('new', 'acknowledged', 'verifying')", NEWEST_FIRST, Reads::History),
        "all" => ("1 = 1", NEWEST_FIRST, Reads::History),
        _ => (open_statuses!(), URGENT_FIRST, Reads::Open),
    };
    View { condition, order, reads }
}

/// How a statement reaches the cases in scope: unit by unit (every count, and the page of a
/// view with at most [`COUNT_CAP`] cases: read them all, sort, keep the page), or along the
/// view's order checking each case's unit against the scope (the page of a larger view: it
/// stops once the page is full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    ByUnit,
    InOrder,
}

/// The condition of a board statement (`$1` the officer, `$2` now, `$3` the category, `$4` the
/// unit path prefix or NULL) and the index SQLite is told to read. The units in scope are listed
/// once, before the cases; the `+` before `c.unit_id` keeps both engines from reading unit by
/// unit when the view's order is wanted. SQLite has no statistics (nothing runs ANALYZE), and
/// with a category it would take the history's unit index over the open one: each statement
/// names its index. PostgreSQL has statistics and picks the same indexes; it gets the units as
/// an array, since it cannot estimate the scope's LIKE join and would otherwise walk the whole
/// list again for every case.
fn board_where(engine: Engine, view: View, category: bool, path: Path) -> (String, &'static str) {
    const UNITS: &str = concat!(
        "SELECT u.id FROM units u WHERE ",
        in_scope!(),
        " AND (CAST($4 AS TEXT) IS NULL OR u.path LIKE CAST($4 AS TEXT) || '%')"
    );
    let by_unit = path == Path::ByUnit && view.reads != Reads::Newest;
    let plus = if by_unit { "" } else { "+" };
    let scope = match engine {
        Engine::Sqlite => format!("{plus}c.unit_id IN ({UNITS})"),
        Engine::Postgres => format!("{plus}c.unit_id = ANY (ARRAY({UNITS}))"),
    };
    let category_sql = if category { "c.category = $3" } else { "CAST($3 AS TEXT) IS NULL" };
    let sql = format!("{scope} AND CAST($2 AS BIGINT) IS NOT NULL AND {category_sql} AND {}", view.condition);
    let index = match (engine, view.reads, by_unit) {
        (Engine::Postgres, _, _) => "",
        (_, Reads::Open, true) => " INDEXED BY cases_board_open_unit",
        (_, Reads::Open, false) => " INDEXED BY cases_board_open",
        (_, Reads::History, true) => " INDEXED BY cases_board_unit",
        (_, Reads::History, false) if category => " INDEXED BY cases_board_category",
        (_, Reads::History | Reads::Newest, _) => " INDEXED BY cases_board_all",
    };
    (sql, index)
}

/// The capped count of a view, read from the index alone.
fn board_count_sql(engine: Engine, view: View, category: bool) -> String {
    let (condition, index) = board_where(engine, view, category, Path::ByUnit);
    format!("SELECT COUNT(*) FROM (SELECT 1 FROM cases c{index} WHERE {condition} LIMIT {}) t", COUNT_CAP + 1)
}

/// A page of a view (`$5`/`$6` limit and offset): the page's ids from the index alone, then
/// those cases' rows.
fn board_page_sql(engine: Engine, view: View, category: bool, path: Path) -> String {
    let (condition, index) = board_where(engine, view, category, path);
    let order = view.order;
    format!(
        "SELECT c.id, c.code, u.name AS unit_name, c.category, c.channel, c.status, c.urgent, c.description, \
         c.address, c.reporter_mode, c.received_at, c.legal_days, c.legal_extended_to, c.suspended_micros, \
         c.suspended_since, c.ack_due_at, o.display_name AS assignee_name \
         FROM (SELECT c.id FROM cases c{index} WHERE {condition} ORDER BY {order} LIMIT $5 OFFSET $6) p \
         JOIN cases c ON c.id = p.id JOIN units u ON u.id = c.unit_id LEFT JOIN officers o ON o.id = c.assignee_id \
         ORDER BY {order}"
    )
}

/// A page of the board within the officer's scope. Returns the rows and the count of the
/// view, at most [`COUNT_CAP`] + 1; a `limit` of 0 counts only.
pub async fn board(db: &Db, officer: OfficerId, f: &BoardFilter<'_>) -> Result<(Vec<BoardRow>, i64), StoreError> {
    let view = view_of(f.view);
    let engine = db.engine();
    let count_sql = board_count_sql(engine, view, f.category.is_some());
    let total: i64 = db_read!(db, pool => sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
        .bind(officer.0)
        .bind(f.now)
        .bind(f.category)
        .bind(f.unit_path)
        .fetch_one(pool)
        .await)?;
    if f.limit <= 0 {
        return Ok((Vec::new(), total));
    }
    let path = if total <= COUNT_CAP { Path::ByUnit } else { Path::InOrder };
    let rows_sql = board_page_sql(engine, view, f.category.is_some(), path);
    let rows = db_read!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(rows_sql))
        .bind(officer.0)
        .bind(f.now)
        .bind(f.category)
        .bind(f.unit_path)
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(pool)
        .await)?;
    Ok((rows, total))
}

/// Open cases of `category` received in `[from, to]` with a place, for duplicate suggestions.
pub async fn nearby_candidates(
    db: &Db,
    category: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64, f64, f64, String)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT id, received_at, lat, lon, code FROM cases WHERE category = $1 AND received_at BETWEEN $2 AND $3 \
         AND lat IS NOT NULL AND lon IS NOT NULL AND status IN ('new', 'acknowledged', 'verifying') \
         ORDER BY received_at DESC LIMIT 200",
    )
    .bind(category)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await)?)
}

/// Moves a case from `from` to `to` status; `false` when its status is no longer `from`.
pub async fn set_status(
    tx: &mut Tx,
    case: CaseId,
    from: &str,
    to: &str,
    closed: bool,
    now: i64,
) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE cases SET status = $3, updated_at = $4, \
         closed_at = CASE WHEN $5 THEN $4 ELSE NULL END WHERE id = $1 AND status = $2",
    )
    .bind(case.0)
    .bind(from)
    .bind(to)
    .bind(now)
    .bind(closed)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records the unit's acknowledgement: status `new` → `acknowledged`, the forward's clock
/// stopped. `false` when the case is no longer new at that unit.
pub async fn acknowledge(tx: &mut Tx, case: CaseId, unit: UnitId, now: i64) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE cases SET status = 'acknowledged', acknowledged_at = $3, ack_due_at = NULL, updated_at = $3 \
         WHERE id = $1 AND unit_id = $2 AND status = 'new'",
    )
    .bind(case.0)
    .bind(unit.0)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Hands a case to another unit: it is new there until acknowledged by `ack_due`. The legal
/// clock's columns are not touched. `false` when the case moved meanwhile.
pub async fn forward(
    tx: &mut Tx,
    case: CaseId,
    from_unit: UnitId,
    to_unit: UnitId,
    now: i64,
    ack_due: Option<i64>,
) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE cases SET unit_id = $3, forwarded_from = $2, forwarded_at = $4, ack_due_at = $5, status = 'new', \
         assignee_id = NULL, acknowledged_at = NULL, updated_at = $4 \
         WHERE id = $1 AND unit_id = $2 AND status IN ('new', 'acknowledged', 'verifying')",
    )
    .bind(case.0)
    .bind(from_unit.0)
    .bind(to_unit.0)
    .bind(now)
    .bind(ack_due)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Forwarded cases whose acknowledgement target has passed: (case, unit now, sender).
pub async fn unacknowledged_forwards(db: &Db, now: i64) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT id, unit_id, forwarded_from FROM cases WHERE ack_due_at IS NOT NULL AND ack_due_at < $1 \
         AND status = 'new' AND forwarded_from IS NOT NULL ORDER BY ack_due_at LIMIT 100",
    )
    .bind(now)
    .fetch_all(pool)
    .await)?)
}

/// Gives a case back to its sender after an unacknowledged forward; `false` when it was
/// acknowledged or moved meanwhile.
pub async fn return_to_sender(
    tx: &mut Tx,
    case: CaseId,
    at_unit: UnitId,
    sender: UnitId,
    now: i64,
) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE cases SET unit_id = $3, forwarded_from = $2, forwarded_at = NULL, ack_due_at = NULL, \
         status = 'acknowledged', acknowledged_at = $4, updated_at = $4 \
         WHERE id = $1 AND unit_id = $2 AND status = 'new' AND ack_due_at IS NOT NULL",
    )
    .bind(case.0)
    .bind(at_unit.0)
    .bind(sender.0)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn set_assignee(tx: &mut Tx, case: CaseId, officer: Option<OfficerId>, now: i64) -> Result<(), StoreError> {
    db_conn!(tx, conn => sqlx::query("UPDATE cases SET assignee_id = $2, updated_at = $3 WHERE id = $1")
        .bind(case.0)
        .bind(officer.map(|o| o.0))
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Notes the first reply to the reporter (once).
pub async fn mark_first_reply(tx: &mut Tx, case: CaseId, now: i64) -> Result<(), StoreError> {
    db_conn!(tx, conn => sqlx::query(
        "UPDATE cases SET first_reply_at = COALESCE(first_reply_at, $2), updated_at = $2 WHERE id = $1",
    )
    .bind(case.0)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Marks `case` a duplicate of `primary`; `false` when it is no longer open.
pub async fn merge_into(tx: &mut Tx, case: CaseId, primary: CaseId, now: i64) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE cases SET duplicate_of = $2, status = 'duplicate', closed_at = $3, updated_at = $3 \
         WHERE id = $1 AND status IN ('new', 'acknowledged', 'verifying')",
    )
    .bind(case.0)
    .bind(primary.0)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The cases merged into `primary`.
pub async fn duplicates_of(db: &Db, primary: CaseId) -> Result<Vec<CaseRow>, StoreError> {
    const SQL: &str = concat!("SELECT ", case_columns!(), " FROM cases c WHERE c.duplicate_of = $1 ORDER BY c.id");
    Ok(db_read!(db, pool => sqlx::query_as(SQL).bind(primary.0).fetch_all(pool).await)?)
}

/// Updates the place and the details a reporter adds after the case was made.
#[derive(Debug, Clone, Default)]
pub struct DetailsRow<'a> {
    pub point: Option<(f64, f64)>,
    pub address: Option<&'a str>,
    pub place_unknown: Option<bool>,
    pub place_to_confirm: Option<bool>,
    pub occurred: Option<&'a str>,
    pub description: Option<&'a str>,
}

pub async fn update_details(tx: &mut Tx, case: CaseId, d: &DetailsRow<'_>, now: i64) -> Result<(), StoreError> {
    db_conn!(tx, conn => sqlx::query(
        "UPDATE cases SET lat = COALESCE($2, lat), lon = COALESCE($3, lon), address = COALESCE($4, address), \
         place_unknown = COALESCE($5, place_unknown), place_to_confirm = COALESCE($6, place_to_confirm), \
         occurred = COALESCE($7, occurred), description = COALESCE($8, description), updated_at = $9 WHERE id = $1",
    )
    .bind(case.0)
    .bind(d.point.map(|p| p.0))
    .bind(d.point.map(|p| p.1))
    .bind(d.address)
    .bind(d.place_unknown)
    .bind(d.place_to_confirm)
    .bind(d.occurred)
    .bind(d.description)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// How the reporter is known, as stored: the mode, an open reporter's name and phone, a sealed
/// reporter's encrypted details, an anonymous reporter's receipt hash.
#[derive(Debug, Clone, Default)]
pub struct ReporterRow<'a> {
    pub mode: &'a str,
    pub name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub sealed: Option<&'a str>,
    pub receipt_hash: Option<&'a str>,
}

/// Sets how the reporter is known (the chat flow asks after an emergency case was made).
pub async fn set_reporter(tx: &mut Tx, case: CaseId, r: &ReporterRow<'_>, now: i64) -> Result<(), StoreError> {
    db_conn!(tx, conn => sqlx::query(
        "UPDATE cases SET reporter_mode = $2, reporter_name = $3, reporter_phone = $4, sealed_identity = $5, \
         receipt_hash = COALESCE($6, receipt_hash), updated_at = $7 WHERE id = $1",
    )
    .bind(case.0)
    .bind(r.mode)
    .bind(r.name)
    .bind(r.phone)
    .bind(r.sealed)
    .bind(r.receipt_hash)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

// ----- categories -----------------------------------------------------------------------------

/// Inserts the categories that are missing (by key); existing ones are left as the
/// deployment edited them.
pub async fn insert_missing_categories(db: &Db, cats: &[Category]) -> Result<(), StoreError> {
    for (position, c) in cats.iter().enumerate() {
        let questions = serde_json::to_string(&c.questions).unwrap_or_else(|_| "[]".into());
        db_write!(db, pool => sqlx::query(
            "INSERT INTO case_categories (key, label_vi, label_en, sensitivity, urgent, legal_days, questions, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&c.key)
        .bind(&c.label_vi)
        .bind(&c.label_en)
        .bind(c.sensitivity.as_str())
        .bind(c.urgent)
        .bind(c.legal_days.map(i64::from))
        .bind(&questions)
        .bind(position as i64)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

// ----- Open311 (cases::open311) ---------------------------------------------------------------

/// An Open311 API key as the console lists it (the key itself is never stored, only its hash).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Open311KeyRow {
    pub id: i64,
    pub label: String,
    pub unit_id: i64,
    pub created_by_name: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Stores a new key's hash for `unit`; [`StoreError::Conflict`] if the hash exists already.
pub async fn insert_open311_key(
    tx: &mut Tx,
    key_hash: &str,
    label: &str,
    unit: UnitId,
    created_by: Option<OfficerId>,
    now: i64,
) -> Result<i64, StoreError> {
    db_conn!(tx, conn => sqlx::query_scalar(
        "INSERT INTO open311_keys (key_hash, label, unit_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(key_hash)
    .bind(label)
    .bind(unit.0)
    .bind(created_by.map(|o| o.0))
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| StoreError::on_unique(e, "open311 key")))
}

/// The keys issued to `unit`, newest first.
pub async fn open311_keys_of_unit(db: &Db, unit: UnitId) -> Result<Vec<Open311KeyRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT k.id, k.label, k.unit_id, o.display_name AS created_by_name, k.created_at, k.revoked_at \
         FROM open311_keys k LEFT JOIN officers o ON o.id = k.created_by WHERE k.unit_id = $1 \
         ORDER BY k.id DESC",
    )
    .bind(unit.0)
    .fetch_all(pool)
    .await)?)
}

/// Revokes key `id` of `unit`; `false` when there is no such live key.
pub async fn revoke_open311_key(tx: &mut Tx, id: i64, unit: UnitId, now: i64) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE open311_keys SET revoked_at = $3 WHERE id = $1 AND unit_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(unit.0)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The key with this hash: (id, unit, revoked_at).
pub async fn open311_key_by_hash(db: &Db, key_hash: &str) -> Result<Option<(i64, i64, Option<i64>)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT id, unit_id, revoked_at FROM open311_keys WHERE key_hash = $1",
    )
    .bind(key_hash)
    .fetch_optional(pool)
    .await)?)
}

/// Which published cases an Open311 listing asks for. Lists are comma-separated keys (category
/// keys and status names hold no comma), matched in SQL without assembling SQL from them.
#[derive(Debug, Clone, Default)]
pub struct Open311Filter<'a> {
    /// The categories that may be listed (Open311's, narrowed by `service_code`).
    pub categories: &'a str,
    /// The statuses asked for.
    pub statuses: &'a str,
    /// One case code, or every case.
    pub code: Option<&'a str>,
    pub from: i64,
    pub to: i64,
    /// Only the subtree of this unit (the API key's).
    pub within_unit: Option<UnitId>,
    pub limit: i64,
}

/// A case as Open311 publishes it: never the reporter's fields.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Open311Row {
    pub id: i64,
    pub code: String,
    pub category: String,
    pub channel: String,
    pub status: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub received_at: i64,
    pub updated_at: i64,
    pub unit_name: String,
    /// The latest reply to the reporter.
    pub last_reply: Option<String>,
}

/// Published cases, newest first: only reporters who chose to be open (`reporter_mode =
/// 'open'`), only the given categories.
pub async fn open311_requests(db: &Db, f: &Open311Filter<'_>) -> Result<Vec<Open311Row>, StoreError> {
    const SQL: &str = "SELECT c.id, c.code, c.category, c.channel, c.status, c.description, c.lat, c.lon, c.address, \
         c.received_at, c.updated_at, u.name AS unit_name, \
         (SELECT e.text FROM case_events e WHERE e.case_id = c.id AND e.kind = 'message_out' \
          ORDER BY e.id DESC LIMIT 1) AS last_reply \
         FROM cases c JOIN units u ON u.id = c.unit_id \
         WHERE c.reporter_mode = 'open' \
         AND (',' || CAST($1 AS TEXT) || ',') LIKE ('%,' || c.category || ',%') \
         AND (',' || CAST($2 AS TEXT) || ',') LIKE ('%,' || c.status || ',%') \
         AND (CAST($3 AS TEXT) IS NULL OR c.code = $3) \
         AND c.received_at >= $4 AND c.received_at <= $5 \
         AND (CAST($6 AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM units k WHERE k.id = $6 AND u.path LIKE k.path || '%')) \
         ORDER BY c.received_at DESC, c.id DESC LIMIT $7";
    Ok(db_read!(db, pool => sqlx::query_as(SQL)
        .bind(f.categories)
        .bind(f.statuses)
        .bind(f.code)
        .bind(f.from)
        .bind(f.to)
        .bind(f.within_unit.map(|u| u.0))
        .bind(f.limit)
        .fetch_all(pool)
        .await)?)
}

// ----- the console: guards, identity requests, forward targets (cases-console) ----------------

/// Guards a change on the state that was read: the case is still at `unit` in `status`. Stamps
/// `updated_at` (and, on PostgreSQL, locks the row until the transaction ends), so an action
/// taken on a page that went stale (the case was forwarded or moved on meanwhile) changes
/// nothing. `false` when the case moved.
pub async fn guard(tx: &mut Tx, case: CaseId, unit: UnitId, status: &str, now: i64) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE cases SET updated_at = $4 WHERE id = $1 AND unit_id = $2 AND status = $3",
    )
    .bind(case.0)
    .bind(unit.0)
    .bind(status)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Stores the legal clock's moving parts if they are still what was read (`old_*`); `false`
/// when another officer moved the clock meanwhile.
#[allow(clippy::too_many_arguments)]
pub async fn set_clock_if(
    tx: &mut Tx,
    case: CaseId,
    old_extended_to: Option<i64>,
    old_suspended_since: Option<i64>,
    extended_to: Option<i64>,
    suspended_micros: i64,
    suspended_since: Option<i64>,
    now: i64,
) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE cases SET legal_extended_to = $2, suspended_micros = $3, suspended_since = $4, updated_at = $5 \
         WHERE id = $1 AND COALESCE(legal_extended_to, -1) = COALESCE(CAST($6 AS BIGINT), -1) \
         AND COALESCE(suspended_since, -1) = COALESCE(CAST($7 AS BIGINT), -1)",
    )
    .bind(case.0)
    .bind(extended_to)
    .bind(suspended_micros)
    .bind(suspended_since)
    .bind(now)
    .bind(old_extended_to)
    .bind(old_suspended_since)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// When officer `officer` last opened the case (a `viewed` event), if ever.
pub async fn last_viewed(db: &Db, case: CaseId, officer: OfficerId) -> Result<Option<i64>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar(
        "SELECT MAX(at) FROM case_events WHERE case_id = $1 AND officer_id = $2 AND kind = 'viewed'",
    )
    .bind(case.0)
    .bind(officer.0)
    .fetch_one(pool)
    .await)?)
}

/// The encrypted identity of a sealed reporter.
pub async fn sealed_identity(db: &Db, case: CaseId) -> Result<Option<String>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_scalar::<_, Option<String>>(
        "SELECT sealed_identity FROM cases WHERE id = $1",
    )
    .bind(case.0)
    .fetch_optional(pool)
    .await)?
    .flatten())
}

/// A request to see a sealed reporter's identity, with the names it refers to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityRequestRow {
    pub id: i64,
    pub case_id: i64,
    pub officer_id: i64,
    pub officer_name: String,
    pub reason: String,
    pub requested_at: i64,
    pub decided_by_name: Option<String>,
    pub approved: Option<bool>,
    pub decision_reason: Option<String>,
    pub decided_at: Option<i64>,
}

macro_rules! identity_request_select {
    () => {
        "SELECT r.id, r.case_id, r.officer_id, o.display_name AS officer_name, r.reason, r.requested_at, \
         d.display_name AS decided_by_name, r.approved, r.decision_reason, r.decided_at \
         FROM case_identity_requests r JOIN officers o ON o.id = r.officer_id \
         LEFT JOIN officers d ON d.id = r.decided_by "
    };
}

pub async fn insert_identity_request(
    tx: &mut Tx,
    case: CaseId,
    officer: OfficerId,
    reason: &str,
    now: i64,
) -> Result<i64, StoreError> {
    db_conn!(tx, conn => Ok(sqlx::query_scalar(
        "INSERT INTO case_identity_requests (case_id, officer_id, reason, requested_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(case.0)
    .bind(officer.0)
    .bind(reason)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?))
}

/// The identity requests of a case, oldest first.
pub async fn identity_requests(db: &Db, case: CaseId) -> Result<Vec<IdentityRequestRow>, StoreError> {
    const SQL: &str = concat!(identity_request_select!(), "WHERE r.case_id = $1 ORDER BY r.id");
    Ok(db_read!(db, pool => sqlx::query_as(SQL).bind(case.0).fetch_all(pool).await)?)
}

/// Decides a pending request of `case`; `false` when it was decided meanwhile or is not the
/// case's.
#[allow(clippy::too_many_arguments)]
pub async fn decide_identity_request(
    tx: &mut Tx,
    id: i64,
    case: CaseId,
    by: OfficerId,
    approved: bool,
    reason: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE case_identity_requests SET decided_by = $3, approved = $4, decision_reason = $5, decided_at = $6 \
         WHERE id = $1 AND case_id = $2 AND approved IS NULL",
    )
    .bind(id)
    .bind(case.0)
    .bind(by.0)
    .bind(approved)
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A pending identity request on a case in the officer's scope, for the board of a leader.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingIdentityRow {
    pub id: i64,
    pub case_id: i64,
    pub code: String,
    pub unit_path: String,
    pub officer_name: String,
    pub requested_at: i64,
}

pub async fn pending_identity_requests(db: &Db, officer: OfficerId) -> Result<Vec<PendingIdentityRow>, StoreError> {
    const SQL: &str = concat!(
        "SELECT r.id, r.case_id, c.code, u.path AS unit_path, o.display_name AS officer_name, r.requested_at \
         FROM case_identity_requests r JOIN cases c ON c.id = r.case_id JOIN units u ON u.id = c.unit_id \
         JOIN officers o ON o.id = r.officer_id WHERE r.approved IS NULL AND ",
        in_scope!(),
        " ORDER BY r.id LIMIT 50"
    );
    Ok(db_read!(db, pool => sqlx::query_as(SQL).bind(officer.0).fetch_all(pool).await)?)
}

/// A unit a case may be forwarded to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitChoiceRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub path: String,
}

/// Every unit under the root `root_path` (the whole tree a case's unit belongs to), by path.
pub async fn units_under(db: &Db, root_path: &str) -> Result<Vec<UnitChoiceRow>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT id, code, name, path FROM units WHERE path LIKE $1 || '%' ORDER BY path",
    )
    .bind(root_path)
    .fetch_all(pool)
    .await)?)
}

/// Open cases in the officer's scope that came back after a forward nobody acknowledged and
/// nobody has taken since: the top of the sender's board.
pub async fn returned_in_scope(db: &Db, officer: OfficerId) -> Result<Vec<(i64, String, String)>, StoreError> {
    const SQL: &str = concat!(
        "SELECT c.id, c.code, u.name FROM cases c JOIN units u ON u.id = c.unit_id \
         WHERE c.forwarded_from IS NOT NULL AND c.forwarded_at IS NULL AND c.assignee_id IS NULL \
         AND c.status IN ('new', 'acknowledged', 'verifying') AND ",
        in_scope!(),
        " ORDER BY c.updated_at DESC LIMIT 20"
    );
    Ok(db_read!(db, pool => sqlx::query_as(SQL).bind(officer.0).fetch_all(pool).await)?)
}

// ---- Alarms (cases::alarms): `case_alarms`, `case_alarm_recipients` ----

/// Raises a case's alarm at `unit` (again, after a forward: the level, the acknowledgement and
/// the recipients start over).
pub async fn raise_alarm(tx: &mut Tx, case: CaseId, unit: UnitId, now: i64, next_at: i64) -> Result<(), StoreError> {
    db_conn!(tx, conn => {
        sqlx::query(
            "INSERT INTO case_alarms (case_id, unit_id, raised_at, level, next_at) VALUES ($1, $2, $3, 0, $4) \
             ON CONFLICT (case_id) DO UPDATE SET unit_id = excluded.unit_id, raised_at = excluded.raised_at, \
             level = 0, next_at = excluded.next_at, acknowledged_at = NULL, acknowledged_by = NULL",
        )
        .bind(case.0)
        .bind(unit.0)
        .bind(now)
        .bind(next_at)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM case_alarm_recipients WHERE case_id = $1").bind(case.0).execute(&mut *conn).await?;
        Ok(())
    })
}

/// Adds officers to those a case's alarm reached (their consoles ring).
pub async fn add_alarm_recipients(tx: &mut Tx, case: CaseId, officers: &[OfficerId]) -> Result<(), StoreError> {
    db_conn!(tx, conn => {
        for o in officers {
            sqlx::query(
                "INSERT INTO case_alarm_recipients (officer_id, case_id) VALUES ($1, $2) \
                 ON CONFLICT (officer_id, case_id) DO NOTHING",
            )
            .bind(o.0)
            .bind(case.0)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    })
}

/// Acknowledges a case's alarm; `false` when it has none waiting.
pub async fn acknowledge_alarm(tx: &mut Tx, case: CaseId, officer: OfficerId, now: i64) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE case_alarms SET acknowledged_at = $1, acknowledged_by = $2, next_at = NULL \
         WHERE case_id = $3 AND acknowledged_at IS NULL",
    )
    .bind(now)
    .bind(officer.0)
    .bind(case.0)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Alarms not acknowledged whose step is due, of cases still urgent and open.
pub async fn alarms_due(db: &Db, now: i64) -> Result<Vec<crate::inbox::alarms::Due>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT a.case_id AS subject, a.unit_id, u.name AS unit_name, a.raised_at, a.level \
         FROM case_alarms a JOIN cases c ON c.id = a.case_id JOIN units u ON u.id = a.unit_id \
         WHERE a.next_at IS NOT NULL AND a.next_at <= $1 AND a.acknowledged_at IS NULL \
         AND c.urgent = $2 AND c.status IN ('new', 'acknowledged', 'verifying') ORDER BY a.next_at LIMIT 100"
    )
    .bind(now)
    .bind(true)
    .fetch_all(pool)
    .await)?)
}

/// Moves a case alarm from `from` to `to` (guarded: false when another instance moved it or an
/// officer acknowledged it first).
pub async fn step_alarm(
    tx: &mut Tx,
    case: CaseId,
    from: i64,
    to: i64,
    next_at: Option<i64>,
) -> Result<bool, StoreError> {
    let n = db_conn!(tx, conn => sqlx::query(
        "UPDATE case_alarms SET level = $1, next_at = $2 WHERE case_id = $3 AND level = $4 AND acknowledged_at IS NULL",
    )
    .bind(to)
    .bind(next_at)
    .bind(case.0)
    .bind(from)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A case's alarm: (level, acknowledged_at), if raised.
pub async fn alarm_of(db: &Db, case: CaseId) -> Result<Option<(i64, Option<i64>)>, StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT level, acknowledged_at FROM case_alarms WHERE case_id = $1"
    )
    .bind(case.0)
    .fetch_optional(pool)
    .await)?)
}

/// The case alarms ringing for an officer (reached, not acknowledged, the case open): how many
/// and the newest case's id (0 without one).
pub async fn ringing_for(db: &Db, officer: OfficerId) -> Result<(i64, i64), StoreError> {
    Ok(db_read!(db, pool => sqlx::query_as(
        "SELECT COUNT(*), COALESCE(MAX(a.case_id), 0) FROM case_alarm_recipients r \
         JOIN case_alarms a ON a.case_id = r.case_id JOIN cases c ON c.id = a.case_id \
         WHERE r.officer_id = $1 AND a.acknowledged_at IS NULL AND c.status IN ('new', 'acknowledged', 'verifying')"
    )
    .bind(officer.0)
    .fetch_one(pool)
    .await)?)
}
