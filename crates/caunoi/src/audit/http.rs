//! The audit log in the console, for admins: newest first, entries about units inside the
//! admin's subtrees, loaded page by page (htmx appends the next page).

use super::store;
use crate::app::App;
use crate::web::error::render;
use crate::web::{Chrome, CurrentOfficer, T, WebError};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

const PAGE: i64 = 50;

pub fn routes() -> Router<App> {
    Router::new().route("/audit", get(audit))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<store::EntryRow>,
    next_before: Option<i64>,
}

#[derive(Template)]
#[template(path = "audit.html", block = "rows")]
struct AuditRows {
    chrome: Chrome,
    entries: Vec<store::EntryRow>,
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
    if headers.contains_key("hx-request") {
        return render(&AuditRows { chrome: Chrome::plain(t), entries, next_before });
    }
    render(&AuditPage { chrome: me.chrome("audit", "/audit"), entries, next_before })
}
