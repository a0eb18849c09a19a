//! Open311 GeoReport v2 (`/open311/v2/`): the standard interface through which other apps list
//! the kinds of report a deployment takes, file a report, and follow public reports. This module
//! holds the use cases (which categories are services, API keys, filing a request, the public
//! listing and its per-key rate limit); the wire format is [`super::open311_http`], the key
//! screen of the console [`super::open311_console`], the document tree [`super::open311_xml`].
//!
//! Invariants:
//! - Only categories that are neither sensitive nor urgent ([`Category::open311`]) and enabled
//!   are services; any other code is answered exactly like an unknown one.
//! - A case is published only when its category is such a service and its reporter chose to be
//!   identified (`ReporterMode::Open`): sealed and anonymous reports never appear. What is
//!   published never includes the reporter's name, phone, e-mail or the case's answers to the
//!   category's questions; the description and the officers' latest reply are published only
//!   for requests filed through Open311 itself (whose reporters used a public interface), other
//!   cases show the category's name and the status as the citizen is told it.
//! - An API key is shown once, when it is issued; only its SHA-256 is stored. Filing needs a
//!   live key; listing does not (GeoReport reads are public), but a key given to a listing must
//!   be live and narrows it to the key's unit subtree.
//! - Requests are created synchronously, so a "token" is the request's id itself.

use super::open311_xml::Node;
use super::service::{self, NewCase, ReporterDetails};
use super::store::{self, Open311Filter, Open311KeyRow, Open311Row};
use crate::app::App;
use crate::audit::store::NewEntry;
use crate::db::StoreError;
use crate::error::ServiceError;
use caunoi_core::audit::AuditAction;
use caunoi_core::cases::{CaseCode, Category, Channel, MAX_DESCRIPTION_CHARS, ReporterMode, Status};
use caunoi_core::input::{FieldErrors, InvalidInput, text_field};
use caunoi_core::staff::{Action, OfficerId, Scope};
use caunoi_core::units::UnitId;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

/// Requests one API key may file in any 60 seconds.
pub const POSTS_PER_MINUTE: usize = 60;
/// Most requests one listing returns (the standard's default ceiling).
pub const MAX_ROWS: i64 = 1000;
/// The longest span of a listing, and the default one (the standard's 90 days).
pub const WINDOW_DAYS: i64 = 90;
/// Most ids one `service_request_id` list may name.
pub const MAX_IDS: usize = 100;
const DAY_MICROS: i64 = 24 * 3600 * 1_000_000;
const MINUTE_MICROS: i64 = 60 * 1_000_000;
/// What every issued key starts with, so a leaked one is recognisable in a scan.
const KEY_PREFIX: &str = "o311_";

// ----- services --------------------------------------------------------------------------------

/// The categories Open311 offers, in the deployment's order.
pub fn services(app: &App) -> Vec<Category> {
    service::categories(app).iter().filter(|(c, enabled)| *enabled && c.open311()).map(|(c, _)| c.clone()).collect()
}

/// The service `code`, if Open311 offers it (a sensitive or unknown code alike: `None`).
pub fn find_service(app: &App, code: &str) -> Option<Category> {
    services(app).into_iter().find(|c| c.key == code)
}

// ----- refusals --------------------------------------------------------------------------------

/// Why a call is refused, as the standard's error list says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 400: a field missing or invalid.
    BadRequest(String),
    /// 403: no live API key.
    Forbidden(String),
    /// 404: no such service or request.
    NotFound(String),
    /// 429: the key's rate limit, with the seconds until a request is accepted again.
    TooMany(u64),
    /// 500.
    Internal,
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "open311 storage error");
        Refusal::Internal
    }
}

fn bad(description: impl Into<String>) -> Refusal {
    Refusal::BadRequest(description.into())
}

fn service_not_found(code: &str) -> Refusal {
    // The code is echoed only when it is a plain key, so nothing a client sends is reflected raw.
    if caunoi_core::cases::category::valid_key(code) {
        Refusal::NotFound(format!("service_code '{code}' not found"))
    } else {
        Refusal::NotFound("service_code not found".into())
    }
}

// ----- API keys --------------------------------------------------------------------------------

/// A live API key: which one, and the unit it was issued to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    pub unit: UnitId,
}

/// The live key `raw`; a missing, unknown or revoked key is refused (403).
pub async fn check_key(app: &App, raw: Option<&str>) -> Result<ApiKey, Refusal> {
    let raw = raw.map(str::trim).filter(|k| !k.is_empty());
    let Some(raw) = raw else {
        return Err(Refusal::Forbidden("api_key is required to file a request".into()));
    };
    match store::open311_key_by_hash(&app.db, &crate::crypto::token_hash(raw)).await? {
        Some((id, unit, None)) => Ok(ApiKey { id, unit: UnitId(unit) }),
        _ => Err(Refusal::Forbidden("invalid or revoked api_key".into())),
    }
}

/// A fresh key: the prefix and 256 random bits.
fn new_key() -> String {
    format!("{KEY_PREFIX}{}", crate::crypto::random_token())
}

/// The keys issued to the unit `code`, for an admin of it.
pub async fn keys(app: &App, scope: &Scope, code: &str) -> Result<Vec<Open311KeyRow>, ServiceError> {
    let unit = admin_unit(app, scope, code).await?;
    Ok(store::open311_keys_of_unit(&app.db, unit.id).await?)
}

/// The unit `code` if the officer administers its channels (outside scope: not found).
pub async fn admin_unit(app: &App, scope: &Scope, code: &str) -> Result<crate::units::store::Unit, ServiceError> {
    let unit = crate::units::service::get(app, scope, code).await?;
    if !(scope.can(Action::ManageChannels, &unit.path) || scope.can(Action::ManageUnits, &unit.path)) {
        scope.require(Action::ManageChannels, &unit.path)?;
    }
    Ok(unit)
}

/// Issues a key to the unit `code` labelled `label` (the app it is for); returns the key, which
/// is never stored and cannot be shown again. Audited.
pub async fn issue_key(
    app: &App,
    scope: &Scope,
    officer: OfficerId,
    code: &str,
    label: &str,
) -> Result<String, ServiceError> {
    let unit = admin_unit(app, scope, code).await?;
    let label = text_field("label", label, 80, true)?;
    let key = new_key();
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    let id = store::insert_open311_key(&mut tx, &crate::crypto::token_hash(&key), &label, unit.id, Some(officer), now)
        .await?;
    let detail = format!("key #{id}: {label}");
    let entry = NewEntry {
        at: now,
        officer: Some(officer),
        action: AuditAction::Open311KeyCreated,
        unit: Some(unit.id),
        target: unit.code.as_str(),
        detail: &detail,
    };
    crate::audit::service::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(key)
}

/// Revokes key `id` of the unit `code`: filing with it is refused from now on. Audited.
pub async fn revoke_key(app: &App, scope: &Scope, officer: OfficerId, code: &str, id: i64) -> Result<(), ServiceError> {
    let unit = admin_unit(app, scope, code).await?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    if !store::revoke_open311_key(&mut tx, id, unit.id, now).await? {
        return Err(ServiceError::NotFound);
    }
    let detail = format!("key #{id}");
    let entry = NewEntry {
        at: now,
        officer: Some(officer),
        action: AuditAction::Open311KeyRevoked,
        unit: Some(unit.id),
        target: unit.code.as_str(),
        detail: &detail,
    };
    crate::audit::service::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Stores `key` for `unit` unless it is stored already (setup: the demo's key). Returns
/// whether it was added.
pub async fn ensure_key_for_setup(app: &App, unit: UnitId, key: &str, label: &str) -> Result<bool, StoreError> {
    let hash = crate::crypto::token_hash(key);
    if store::open311_key_by_hash(&app.db, &hash).await?.is_some() {
        return Ok(false);
    }
    let mut tx = app.db.begin().await?;
    match store::insert_open311_key(&mut tx, &hash, label, unit, None, app.clock.now_micros()).await {
        Ok(_) => {}
        // Another instance stored it meanwhile.
        Err(StoreError::Conflict(_)) => return Ok(false),
        Err(e) => return Err(e),
    }
    tx.commit().await?;
    Ok(true)
}

// ----- rate limit ------------------------------------------------------------------------------

/// Filing requests per API key in any sliding minute ([`POSTS_PER_MINUTE`]). In-process: with
/// several instances behind a load balancer each counts its own share, so the ceiling is the
/// limit times the number of instances.
#[derive(Default)]
pub struct Open311Limits(Mutex<HashMap<i64, VecDeque<i64>>>);

impl Open311Limits {
    /// Counts a request of key `key` at `now`; `Err(seconds)` to wait when the limit is reached
    /// (the refused request is not counted).
    pub fn acquire(&self, key: i64, now: i64) -> Result<(), u64> {
        let mut map = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let times = map.entry(key).or_default();
        while times.front().is_some_and(|&t| t <= now - MINUTE_MICROS) {
            times.pop_front();
        }
        if times.len() >= POSTS_PER_MINUTE {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = (oldest + MINUTE_MICROS - now).max(0) as u64;
            return Err(wait.div_ceil(1_000_000).max(1));
        }
        times.push_back(now);
        Ok(())
    }
}

// ----- filing a request ------------------------------------------------------------------------

/// The form of `POST requests` as received: every field, attributes as `attribute[code]`.
#[derive(Debug, Clone, Default)]
pub struct RequestForm(pub Vec<(String, String)>);

impl RequestForm {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// `attribute[code]` (or `attribute[code][]`, first value) answers.
    fn attributes(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix("attribute[") else { continue };
            let code = rest.strip_suffix("][]").or_else(|| rest.strip_suffix(']'));
            if let Some(code) = code {
                out.entry(code.to_string()).or_insert_with(|| v.trim().to_string());
            }
        }
        out
    }
}

/// What a filed request returns.
#[derive(Debug, Clone)]
pub struct Filed {
    pub code: CaseCode,
}

/// Parses a coordinate.
fn coordinate(form: &RequestForm, name: &'static str) -> Result<Option<f64>, Refusal> {
    match form.get(name) {
        None => Ok(None),
        Some(raw) => match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(bad(format!("{name} must be a decimal number (WGS84 degrees)"))),
        },
    }
}

/// Files a request with key `key`: the rate limit, the service, the place, the category's
/// questions, then a case made like any other (channel `open311`, received by the key's unit,
/// routed by place and category).
pub async fn file(app: &App, key: ApiKey, form: &RequestForm) -> Result<Filed, Refusal> {
    app.runtime::<Open311Limits>().acquire(key.id, app.clock.now_micros()).map_err(Refusal::TooMany)?;
    let code = form.get("service_code").ok_or_else(|| bad("service_code is required"))?;
    let category = find_service(app, code).ok_or_else(|| service_not_found(code))?;
    let lat = coordinate(form, "lat")?;
    let long = coordinate(form, "long")?;
    let point = match (lat, long) {
        (Some(lat), Some(long)) => Some((lat, long)),
        (None, None) => None,
        _ => return Err(bad("lat and long must be given together")),
    };
    let address = form.get("address_string").map(str::to_string);
    if point.is_none() && address.is_none() {
        let hint = if form.get("address_id").is_some() { " (address_id is not supported here)" } else { "" };
        return Err(bad(format!("a location is required: lat and long, or address_string{hint}")));
    }
    let given = form.attributes();
    let mut attributes = BTreeMap::new();
    for q in &category.questions {
        let answer = given.get(&q.code).map(|a| a.trim()).filter(|a| !a.is_empty());
        match answer {
            None if q.required => {
                return Err(bad(format!("attribute[{}] is required: {} ({})", q.code, q.label_en, q.label_vi)));
            }
            None => {}
            Some(a) if !q.choices.is_empty() && !q.choices.iter().any(|(k, _)| k == a) => {
                let keys: Vec<&str> = q.choices.iter().map(|(k, _)| k.as_str()).collect();
                return Err(bad(format!("attribute[{}] must be one of: {}", q.code, keys.join(", "))));
            }
            Some(a) => {
                attributes.insert(q.code.clone(), a.to_string());
            }
        }
    }
    // Kept for the officers with the case, never published; a media URL is not fetched.
    if let Some(email) = form.get("email") {
        attributes.insert("open311_email".into(), email.chars().take(200).collect());
    }
    if let Some(url) = form.get("media_url") {
        attributes.insert("open311_media_url".into(), url.chars().take(1000).collect());
    }
    let description = match form.get("description") {
        Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
            return Err(bad(format!("description is longer than {MAX_DESCRIPTION_CHARS} characters")));
        }
        Some(d) => d.to_string(),
        None => category.label_vi.clone(),
    };
    let name = [form.get("first_name"), form.get("last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let new = NewCase {
        channel: Channel::Open311,
        received_by: key.unit,
        category: category.key.clone(),
        description,
        point,
        address,
        place_unknown: false,
        occurred: None,
        attributes,
        mode: ReporterMode::Open,
        reporter: ReporterDetails {
            name: (!name.is_empty()).then(|| name.chars().take(120).collect()),
            phone: form.get("phone").map(|p| p.chars().take(40).collect()),
            contact: form.get("email").map(str::to_string),
        },
        conversation: None,
        entered_by: None,
        urgent: false,
        // Open311 offers no urgent category; were one filed, nothing else would ring for it.
        own_alarm: true,
        media: vec![],
    };
    match service::create(app, new).await {
        Ok(created) => {
            metrics::counter!("caunoi_open311_requests_filed_total").increment(1);
            Ok(Filed { code: created.code })
        }
        Err(ServiceError::Invalid(errs)) => Err(bad(describe(&errs))),
        Err(ServiceError::NotFound) => Err(service_not_found(code)),
        Err(ServiceError::Forbidden(_)) => Err(Refusal::Forbidden("not allowed".into())),
        Err(ServiceError::Store(e)) => Err(e.into()),
    }
}

/// Field errors as one description: `field: English message (Vietnamese message)`.
fn describe(errs: &FieldErrors) -> String {
    errs.0
        .iter()
        .map(|e: &InvalidInput| format!("{}: {} ({})", e.field, e.message.en, e.message.vi))
        .collect::<Vec<_>>()
        .join("; ")
}

// ----- listing ---------------------------------------------------------------------------------

/// The filters of `GET requests`, as given.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
    pub page_size: Option<String>,
}

impl ListQuery {
    pub fn from_pairs(pairs: &[(String, String)]) -> ListQuery {
        let get = |name: &str| {
            pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty())
        };
        ListQuery {
            service_request_id: get("service_request_id"),
            service_code: get("service_code"),
            start_date: get("start_date"),
            end_date: get("end_date"),
            status: get("status"),
            page_size: get("page_size"),
        }
    }
}

/// A W3C date-time (`2026-01-01T00:00:00+07:00`, `…Z`), a local date-time or a date (Vietnam
/// time); a date alone stands for its first moment, or its last for an end date.
pub fn parse_date(name: &str, raw: &str, end: bool) -> Result<i64, Refusal> {
    let refuse = || bad(format!("{name} must be a W3C date-time such as 2026-01-31T00:00:00+07:00"));
    let raw = raw.trim();
    if let Ok(ts) = raw.parse::<jiff::Timestamp>() {
        return Ok(ts.as_microsecond());
    }
    let tz = crate::app::vietnam_tz();
    if let Ok(dt) = raw.parse::<jiff::civil::DateTime>() {
        if raw.len() > 10 {
            return dt.to_zoned(tz).map(|z| z.timestamp().as_microsecond()).map_err(|_| refuse());
        }
        let start = dt.date().to_zoned(tz).map_err(|_| refuse())?.timestamp().as_microsecond();
        return Ok(if end { start + DAY_MICROS - 1 } else { start });
    }
    Err(refuse())
}

/// Published requests matching the filters: within the key's unit subtree when a key is given,
/// else the whole deployment. `service_request_id` overrides every other filter but scope.
pub async fn list(app: &App, key: Option<ApiKey>, q: &ListQuery) -> Result<Vec<Published>, Refusal> {
    let offered = services(app);
    let categories: Vec<&str> = match &q.service_code {
        Some(codes) => {
            let asked: Vec<&str> = codes.split(',').map(str::trim).collect();
            offered.iter().map(|c| c.key.as_str()).filter(|k| asked.contains(k)).collect()
        }
        None => offered.iter().map(|c| c.key.as_str()).collect(),
    };
    let all_statuses = Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
    let within_unit = key.map(|k| k.unit);
    if let Some(ids) = &q.service_request_id {
        let ids: Vec<&str> = ids.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if ids.len() > MAX_IDS {
            return Err(bad(format!("service_request_id names at most {MAX_IDS} requests")));
        }
        let all_categories = offered.iter().map(|c| c.key.as_str()).collect::<Vec<_>>().join(",");
        let mut out = Vec::new();
        for id in ids {
            let Ok(code) = CaseCode::parse(id) else { continue };
            let filter = Open311Filter {
                categories: &all_categories,
                statuses: &all_statuses,
                code: Some(code.as_str()),
                from: i64::MIN,
                to: i64::MAX,
                within_unit,
                limit: 1,
            };
            for row in store::open311_requests(&app.db, &filter).await? {
                if !out.iter().any(|p: &Published| p.code == row.code) {
                    out.push(publish(app, row));
                }
            }
        }
        return Ok(out);
    }
    let statuses = match &q.status {
        None => all_statuses,
        Some(raw) => {
            let mut wanted = Vec::new();
            for s in raw.split(',').map(str::trim) {
                match s {
                    "open" | "closed" => wanted.push(s),
                    _ => return Err(bad("status must be open or closed (comma-separated for both)")),
                }
            }
            Status::ALL
                .iter()
                .filter(|s| wanted.contains(&s.open311()))
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",")
        }
    };
    let now = app.clock.now_micros();
    let window = WINDOW_DAYS * DAY_MICROS;
    let start = q.start_date.as_deref().map(|d| parse_date("start_date", d, false)).transpose()?;
    let end = q.end_date.as_deref().map(|d| parse_date("end_date", d, true)).transpose()?;
    let (from, to) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s.saturating_add(window)),
        (None, Some(e)) => (e.saturating_sub(window), e),
        (None, None) => (now - window, now),
    };
    if from > to {
        return Err(bad("start_date must be before end_date"));
    }
    if to - from > window {
        return Err(bad(format!("start_date and end_date may span at most {WINDOW_DAYS} days")));
    }
    let limit = match &q.page_size {
        None => MAX_ROWS,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if n >= 1 => n.min(MAX_ROWS),
            _ => return Err(bad("page_size must be a positive whole number")),
        },
    };
    if categories.is_empty() {
        return Ok(vec![]);
    }
    let categories = categories.join(",");
    let filter =
        Open311Filter { categories: &categories, statuses: &statuses, code: None, from, to, within_unit, limit };
    let rows = store::open311_requests(&app.db, &filter).await?;
    Ok(rows.into_iter().map(|r| publish(app, r)).collect())
}

/// One published request (`GET requests/{id}`), or 404 for anything not published.
pub async fn one(app: &App, key: Option<ApiKey>, raw_id: &str) -> Result<Published, Refusal> {
    let not_found = || Refusal::NotFound("service request not found".into());
    let code = CaseCode::parse(raw_id).map_err(|_| not_found())?;
    let q = ListQuery { service_request_id: Some(code.as_str().to_string()), ..Default::default() };
    list(app, key, &q).await?.into_iter().next().ok_or_else(not_found)
}

/// A request as published.
#[derive(Debug, Clone)]
pub struct Published {
    pub code: String,
    pub status: Status,
    pub status_notes: String,
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub agency_responsible: String,
    pub requested_at: i64,
    pub updated_at: i64,
    pub address: Option<String>,
    pub point: Option<(f64, f64)>,
}

fn publish(app: &App, r: Open311Row) -> Published {
    let category = service::categories(app).iter().find(|(c, _)| c.key == r.category).map(|(c, _)| c.clone());
    let service_name = category.map(|c| c.label_vi).unwrap_or_else(|| r.category.clone());
    let status = Status::parse(&r.status).unwrap_or(Status::New);
    let via_open311 = r.channel == Channel::Open311.as_str();
    let status_notes = match r.last_reply.filter(|_| via_open311) {
        Some(reply) if !reply.trim().is_empty() => reply,
        _ => status.citizen_vi(&r.unit_name),
    };
    Published {
        code: r.code,
        status,
        status_notes,
        service_code: r.category,
        description: if via_open311 { r.description } else { service_name.clone() },
        service_name,
        agency_responsible: r.unit_name,
        requested_at: r.received_at,
        updated_at: r.updated_at,
        address: r.address,
        point: r.lat.zip(r.lon),
    }
}

/// A time as the standard writes it, in Vietnam time: `2026-01-31T14:05:00+07:00`.
pub fn w3c_time(micros: i64) -> String {
    match jiff::Timestamp::from_microsecond(micros) {
        Ok(ts) => ts.to_zoned(crate::app::vietnam_tz()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        Err(_) => String::new(),
    }
}

impl Published {
    /// The request as the standard's `request` element.
    pub fn node(&self) -> Node {
        Node::Object(vec![
            ("service_request_id", Node::text(&self.code)),
            ("status", Node::text(self.status.open311())),
            ("status_notes", Node::text(&self.status_notes)),
            ("service_name", Node::text(&self.service_name)),
            ("service_code", Node::text(&self.service_code)),
            ("description", Node::text(&self.description)),
            ("agency_responsible", Node::text(&self.agency_responsible)),
            ("service_notice", Node::Null),
            ("requested_datetime", Node::text(w3c_time(self.requested_at))),
            ("updated_datetime", Node::text(w3c_time(self.updated_at))),
            ("expected_datetime", Node::Null),
            ("address", Node::opt(self.address.clone())),
            ("address_id", Node::Null),
            ("zipcode", Node::Null),
            ("lat", self.point.map(|p| Node::Float(p.0)).unwrap_or(Node::Null)),
            ("long", self.point.map(|p| Node::Float(p.1)).unwrap_or(Node::Null)),
            ("media_url", Node::Null),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_slides_over_a_minute() {
        let limits = Open311Limits::default();
        let t0 = 1_000 * MINUTE_MICROS;
        for i in 0..POSTS_PER_MINUTE as i64 {
            assert_eq!(limits.acquire(7, t0 + i), Ok(()));
        }
        assert_eq!(limits.acquire(7, t0 + 100), Err(60));
        assert_eq!(limits.acquire(8, t0 + 100), Ok(()), "another key has its own budget");
        assert_eq!(limits.acquire(7, t0 + MINUTE_MICROS - 1), Err(1));
        assert_eq!(limits.acquire(7, t0 + MINUTE_MICROS), Ok(()), "the first request left the window");
        assert!(limits.acquire(7, t0 + MINUTE_MICROS).is_err());
    }

    #[test]
    fn dates_are_read_in_the_forms_clients_send() {
        let z = parse_date("start_date", "2026-01-01T00:00:00Z", false).unwrap();
        assert_eq!(parse_date("start_date", "2026-01-01T07:00:00+07:00", false).unwrap(), z);
        assert_eq!(parse_date("start_date", "2026-01-01T07:00:00", false).unwrap(), z);
        assert_eq!(parse_date("start_date", "2026-01-01", false).unwrap(), z - 7 * 3600 * 1_000_000);
        assert_eq!(parse_date("end_date", "2026-01-01", true).unwrap(), z - 7 * 3600 * 1_000_000 + DAY_MICROS - 1);
        assert!(matches!(parse_date("start_date", "yesterday", false), Err(Refusal::BadRequest(_))));
        assert_eq!(w3c_time(z), "2026-01-01T07:00:00+07:00");
    }

    #[test]
    fn attributes_are_read_with_or_without_the_list_brackets() {
        let form = RequestForm(vec![
            ("attribute[source]".into(), " karaoke ".into()),
            ("attribute[usual_time][]".into(), "evening".into()),
            ("attribute[usual_time][]".into(), "weekend".into()),
            ("attributes".into(), "x".into()),
        ]);
        let a = form.attributes();
        assert_eq!(a.get("source").map(String::as_str), Some("karaoke"));
        assert_eq!(a.get("usual_time").map(String::as_str), Some("evening"));
        assert_eq!(a.len(), 2);
    }
}
