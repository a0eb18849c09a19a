//! Zalo's domain verification, served at the site root: Zalo checks that whoever registers a
//! webhook URL controls its domain, either by fetching `/zalo_verifier<code>.html` or by
//! reading `<meta name="zalo-platform-site-verification" content="<code>">` on the root page.
//! Each unit's admin enters the code Zalo gave their App (`service::set_site_verification`);
//! only entered codes are served, and the root page carries all of them.
//!
//! The root page stays what it was for people: without codes it redirects to the console;
//! with codes it is a small page with the tags that sends the browser on to the console.

use crate::app::App;
use crate::web::{Chrome, PageLang, T, WebError};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

pub fn routes() -> Router<App> {
    Router::new().route("/", get(home)).route("/{zalo_verifier_file}", get(verifier_file))
}

#[derive(Template)]
#[template(path = "site_root.html")]
struct RootPage {
    chrome: Chrome,
    codes: Vec<String>,
}

/// `/`: the console, with Zalo's verification tags when units entered codes.
async fn home(State(app): State<App>, PageLang(lang): PageLang) -> Result<Response, WebError> {
    let codes = super::service::site_verification_codes(&app).await?;
    if codes.is_empty() {
        return Ok(Redirect::to("/units").into_response());
    }
    crate::web::error::render(&RootPage { chrome: Chrome::plain(T::new(lang)), codes })
}

/// `/zalo_verifier<code>.html`, as the file Zalo offers for download; 404 for anything else.
async fn verifier_file(State(app): State<App>, Path(file): Path<String>) -> Result<Response, WebError> {
    let code = file.strip_prefix("zalo_verifier").and_then(|f| f.strip_suffix(".html")).ok_or(WebError::NotFound)?;
    if !super::service::is_site_verification(&app, code).await? {
        return Err(WebError::NotFound);
    }
    // `code` has been checked to be letters, digits, `-` and `_` only.
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n    <meta property=\"zalo-platform-site-verification\" \
         content=\"{code}\" />\n</head>\n<body>\nThere Is No Limit To What You Can Accomplish Using Zalo!\n</body>\n</html>\n"
    );
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response())
}
