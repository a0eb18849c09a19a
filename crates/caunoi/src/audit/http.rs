//! The audit log (nhật ký hoạt động) in the console, for admins: newest first, entries about
//! units inside the admin's subtrees, each read as one sentence in the reader's language,
//! loaded page by page (htmx appends the next page).

use super::store;
use crate::app::App;
use crate::web::error::render;
use crate::web::{Chrome, CurrentOfficer, T, WebError};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use caunoi_core::audit::AuditAction;
use serde::Deserialize;

const PAGE: i64 = 50;

pub fn routes() -> Router<App> {
    Router::new().route("/audit", get(audit))
}

/// One entry as the page lists it.
pub struct Line {
    pub at: i64,
    pub sentence: String,
    pub officer_name: Option<String>,
    pub unit_name: Option<String>,
}

fn line(t: T, e: store::EntryRow) -> Line {
    let sentence = match AuditAction::parse(&e.action) {
        Some(a) => caunoi_core::audit::sentence(a, &e.target, &e.detail, t.lang),
        None => format!("{} {} {}", e.action, e.target, e.detail),
    };
    Line { at: e.at, sentence, officer_name: e.officer_name, unit_name: e.unit_name }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<Line>,
    next_before: Option<i64>,
}

#[derive(Template)]
#[template(path = "audit.html", block = "rows")]
struct AuditRows {
    chrome: Chrome,
    entries: Vec<Line>,
    next_before: Option<i64>,
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    before: Option<i64>,
}

async fn audit(
    State(app): State<App>,
    me: CurrentOfficer,
    headers: axum::http::HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    if !me.scope.is_admin_anywhere() {
        return Err(WebError::Forbidden);
    }
    let entries = super::service::list_for_admin(&app, me.id, q.before, PAGE).await?;
    let next_before = (entries.len() as i64 == PAGE).then(|| entries.last().map(|e| e.id)).flatten();
    let t = T::new(me.lang);
    let entries: Vec<Line> = entries.into_iter().map(|e| line(t, e)).collect();
    if headers.contains_key("hx-request") {
        return render(&AuditRows { chrome: Chrome::plain(t), entries, next_before });
    }
    render(&AuditPage { chrome: me.chrome("audit", "/audit"), entries, next_before })
}
