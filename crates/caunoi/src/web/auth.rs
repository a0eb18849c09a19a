//! Request extractors: the signed-in officer (from the session cookie) and the page language.
//! A console route that takes [`CurrentOfficer`] cannot run for an anonymous visitor: the
//! extractor redirects to the sign-in page first.

use super::error::WebError;
use crate::app::App;
use crate::staff::service::{self, Officer};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use caunoi_core::input::Lang;

pub const SESSION_COOKIE: &str = "caunoi_session";

/// Reads one cookie from the request headers.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when served over TLS.
pub fn cookie(name: &str, value: &str, max_age_secs: i64, app: &App) -> String {
    let secure = if app.config.tls() { "; Secure" } else { "" };
    let age = if max_age_secs >= 0 { format!("; Max-Age={max_age_secs}") } else { String::new() };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{age}{secure}")
}

/// Clears a cookie.
pub fn clear_cookie(name: &str, app: &App) -> String {
    cookie(name, "", 0, app)
}

/// The language of the page: the `lang` cookie, else Vietnamese.
#[derive(Debug, Clone, Copy)]
pub struct PageLang(pub Lang);

impl FromRequestParts<App> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, Self::Rejection> {
        Ok(PageLang(read_cookie(&parts.headers, "lang").map(|l| Lang::from_tag(&l)).unwrap_or_default()))
    }
}

/// The signed-in officer and the language they read the console in.
#[derive(Debug, Clone)]
pub struct CurrentOfficer {
    pub officer: Officer,
    pub lang: Lang,
    /// The shift hand-over notes the officer has not read yet, loaded for a whole page only
    /// (not for a live page's own requests): every console page shows them at its top.
    pub handovers: Vec<super::PageNote>,
    /// The requested path and query, where "Đã đọc" on a note comes back to.
    pub page: String,
}

impl std::ops::Deref for CurrentOfficer {
    type Target = Officer;
    fn deref(&self) -> &Officer {
        &self.officer
    }
}

impl FromRequestParts<App> for CurrentOfficer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        // A live page's own requests (its stream, its fragments) are told 401, so the page can
        // show a sign-in prompt over itself instead of nesting the sign-in page in a card.
        let live = parts.headers.contains_key("x-caunoi-live")
            || parts.headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()) == Some("text/event-stream");
        let to_login = || {
            if live { WebError::Unauthorized } else { WebError::Redirect(format!("/login?next={}", urlencode(next))) }
        };
        let token = read_cookie(&parts.headers, SESSION_COOKIE).ok_or_else(to_login)?;
        let officer = service::session_officer(app, &token).await?.ok_or_else(to_login)?;
        let path = parts.uri.path();
        // A duty device idle past the timeout keeps its live stream (the alarms still ring)
        // and asks for the password before anything else.
        let stream =
            parts.headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()) == Some("text/event-stream");
        if officer.locked && !stream && path != "/unlock" && path != "/logout" {
            return Err(if live {
                WebError::Unauthorized
            } else {
                WebError::Redirect(format!("/unlock?next={}", urlencode(next)))
            });
        }
        if officer.must_enrol_totp(app) && path != "/account/totp" && path != "/logout" {
            return Err(WebError::Redirect("/account/totp".into()));
        }
        let lang = read_cookie(&parts.headers, "lang")
            .map(|l| Lang::from_tag(&l))
            .unwrap_or_else(|| Lang::from_tag(&officer.locale));
        let whole_page = parts.method == axum::http::Method::GET && !live && !parts.headers.contains_key("hx-request");
        let handovers =
            if whole_page { app.runtime::<super::PageNotes>().unread(app, &officer.scope).await } else { Vec::new() };
        let page = next.to_string();
        Ok(CurrentOfficer { officer, lang, handovers, page })
    }
}

/// Percent-encodes a value for a query string.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Where a sign-in lands when it was not sent from a page: `/start` sends each officer to their
/// work (the inbox, or the unit tree for admins and analysts).
pub const LANDING: &str = "/start";

/// Accepts only same-site relative paths as a redirect target after sign-in.
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(local_path).unwrap_or(LANDING).to_string()
}

/// `raw` when it is a path on this site, for a redirect after sign-in or the language switch.
/// Browsers drop tabs and line breaks from a URL, so `/<tab>/evil.example` would become the
/// off-site `//evil.example`: any control or white-space character refuses it, as do `//`, a
/// backslash and a scheme; CR/LF could also never reach a `Location` header this way.
pub fn local_path(raw: &str) -> Option<&str> {
    let on_site = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && !raw.contains("://")
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace());
    on_site.then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_after_login_stays_on_site() {
        assert_eq!(safe_next(Some("/units/x")), "/units/x");
        assert_eq!(safe_next(Some("//evil.example")), LANDING);
        assert_eq!(safe_next(Some("https://evil.example")), LANDING);
        assert_eq!(safe_next(Some("/\\evil")), LANDING);
        assert_eq!(safe_next(None), LANDING);
        assert_eq!(safe_next(Some("/\t/evil.example")), LANDING);
        assert_eq!(safe_next(Some("/\n/evil.example")), LANDING);
        assert_eq!(safe_next(Some("/inbox\r\nSet-Cookie: x=1")), LANDING);
        assert_eq!(safe_next(Some("/ /evil.example")), LANDING);
        assert_eq!(safe_next(Some("/inbox?queue=mine")), "/inbox?queue=mine");
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "xcaunoi_session=1; caunoi_session=abc; lang=en".parse().unwrap());
        assert_eq!(read_cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(read_cookie(&h, "lang").as_deref(), Some("en"));
        assert_eq!(read_cookie(&h, "none"), None);
    }
}
