//! The HTTP edge: router assembly ([`routes`]), security headers, CSRF, request metrics and logs, static
//! assets, health and metrics endpoints. Feature routes live in each feature's `http.rs`.
//!
//! Invariants: every response carries the security headers (CSP without inline script, no
//! framing, no referrer); every state-changing request from a browser passes the CSRF check
//! (fetch metadata and Origin, tower-http); console responses are never cached.

pub mod auth;
pub mod client_ip;
pub mod error;
pub mod form;
pub mod i18n;
pub mod routes;

use crate::app::App;
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rust_embed::RustEmbed;
use std::time::Instant;

pub use auth::{CurrentOfficer, PageLang};
pub use error::WebError;
pub use i18n::T;

/// What every page shows around its content: the language, the navigation of the signed-in
/// officer (none on public pages and fragments), which section we are in, and where the
/// language switch returns to. Built once per request ([`CurrentOfficer::chrome`],
/// [`Chrome::public`], [`Chrome::plain`]); every page struct holds one as `chrome`.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub t: T,
    pub nav: Option<Nav>,
    /// The section highlighted in the navigation (`inbox`, `units`, `kb`…).
    pub here: &'static str,
    /// The page the language switch comes back to.
    pub back: String,
    /// Whether the page runs the duty alarm (`alarm.js` and its live stream): every console
    /// page, and the unlock page of an idle duty device, which has no navigation but rings.
    pub rings: bool,
}

impl Chrome {
    /// A page without navigation (sign-in), in `lang`.
    pub fn public(lang: caunoi_core::input::Lang, here: &'static str, back: impl Into<String>) -> Chrome {
        Chrome { t: T::new(lang), nav: None, here, back: back.into(), rings: false }
    }

    /// Only the language: a fragment that htmx swaps into a page, or a citizen's page.
    pub fn plain(t: T) -> Chrome {
        Chrome { t, nav: None, here: "", back: String::new(), rings: false }
    }
}

impl CurrentOfficer {
    /// The chrome of a console page of section `here`, coming back to `back`.
    pub fn chrome(&self, here: &'static str, back: impl Into<String>) -> Chrome {
        Chrome { t: T::new(self.lang), nav: Nav::of(self), here, back: back.into(), rings: true }
    }
}

/// The signed-in officer as the page header shows them.
#[derive(Debug, Clone)]
pub struct Nav {
    pub display_name: String,
    pub is_admin: bool,
    /// Admins, leaders and duty officers see the dead letters (`/outbox/dead`).
    pub handles_dead_letters: bool,
    /// Everyone but analysts works reported cases (`/cases`).
    pub works_cases: bool,
    /// The unread shift hand-over notes (`handover_notes.html`, at the top of every page).
    pub handovers: Vec<PageNote>,
    /// This page (path and query): "Đã đọc" on a note returns here.
    pub page: String,
}

impl Nav {
    pub fn of(o: &CurrentOfficer) -> Option<Nav> {
        Some(Nav {
            display_name: o.display_name.clone(),
            is_admin: o.scope.is_admin_anywhere(),
            handles_dead_letters: o.scope.can_anywhere(caunoi_core::staff::Action::DirectWork),
            works_cases: o.scope.can_anywhere(caunoi_core::staff::Action::WorkCases),
            handovers: o.handovers.clone(),
            page: o.page.clone(),
        })
    }
}

/// A note at the top of every console page until its reader has read it: a shift hand-over
/// note (ghi chú bàn giao ca), as the inbox gives it ([`PageNotes`]).
#[derive(Debug, Clone)]
pub struct PageNote {
    pub id: i64,
    pub unit_name: String,
    pub author_name: String,
    pub text: String,
    pub created_at: i64,
}

type NotesFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Vec<PageNote>> + Send>>;

/// Where the officer's unread [`PageNote`]s come from, registered once by `server::assemble`
/// (the inbox's hand-over notes): the web edge, which every feature imports, imports none.
pub struct PageNotes(Box<dyn Fn(App, caunoi_core::staff::Scope) -> NotesFuture + Send + Sync>);

impl PageNotes {
    pub fn new<F, Fut>(source: F) -> PageNotes
    where
        F: Fn(App, caunoi_core::staff::Scope) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Vec<PageNote>> + Send + 'static,
    {
        PageNotes(Box::new(move |app, scope| Box::pin(source(app, scope))))
    }

    /// The notes `scope`'s officer has not read yet.
    pub async fn unread(&self, app: &App, scope: &caunoi_core::staff::Scope) -> Vec<PageNote> {
        (self.0)(app.clone(), scope.clone()).await
    }
}

/// One `<option>` of a select box.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    /// A unit as a select option, indented by its depth in the tree.
    pub fn unit(u: &caunoi_core::units::UnitNode, selected: bool) -> Opt {
        Opt {
            selected,
            value: u.code.to_string(),
            label: format!("{}{}", "· ".repeat(u.path.depth().saturating_sub(1)), u.name),
        }
    }
}

/// Files served under `/static/`, embedded in the binary.
#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

pub(crate) async fn healthz(State(app): State<App>) -> Response {
    if app.db.ping().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct ClockQuery {
    advance: Option<String>,
}

/// `POST /__test/clock?advance=SECONDS` (`test_clock` on only, from this machine only): moves
/// the server's clock forward, as the Rust tests do with [`crate::app::Clock::advance`], so a
/// browser test can cross a timeout (the duty device's idle lock) without waiting for it. The
/// answer is the clock's new time in microseconds. Off, or from elsewhere: the 404 of an
/// unknown page.
pub(crate) async fn test_clock(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<ClockQuery>,
) -> Response {
    if !app.config.test_clock || !metrics_allowed(None, peer.ip(), &headers) {
        return WebError::NotFound.into_response();
    }
    // Forward only, at most a week at a time: enough for any timeout of the console.
    match q.advance.as_deref().map(str::trim).and_then(|s| s.parse::<i64>().ok()) {
        Some(seconds) if (1..=7 * 24 * 3600).contains(&seconds) => {
            app.clock.advance(seconds);
            tracing::warn!(seconds, "test clock moved forward");
            (StatusCode::OK, app.clock.now_micros().to_string()).into_response()
        }
        _ => (StatusCode::BAD_REQUEST, "advance=SECONDS: a whole number from 1 to 604800").into_response(),
    }
}

/// `/metrics` (Prometheus text) for the monitoring, not for the public: to a request straight
/// from this machine (a loopback peer and no `X-Forwarded-For`, so nothing a local reverse
/// proxy forwards), or one that presents `metrics_token` as a bearer token. Anyone else gets
/// the same 404 as an unknown page.
pub(crate) async fn metrics(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !metrics_allowed(app.config.metrics_token.as_deref(), peer.ip(), &headers) {
        return WebError::NotFound.into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render()).into_response()
}

/// Whether a request may read `/metrics` (see [`metrics`]).
pub fn metrics_allowed(token: Option<&str>, peer: std::net::IpAddr, headers: &HeaderMap) -> bool {
    let local = peer.is_loopback() && !headers.contains_key("x-forwarded-for") && !headers.contains_key("forwarded");
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let token_ok = match (token, presented) {
        (Some(want), Some(got)) if !want.is_empty() => {
            use subtle::ConstantTimeEq;
            want.as_bytes().ct_eq(got.as_bytes()).into()
        }
        _ => false,
    };
    local || token_ok
}

pub(crate) async fn not_found() -> WebError {
    WebError::NotFound
}

pub(crate) async fn static_file(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            let mime = match path.rsplit('.').next() {
                Some("css") => "text/css; charset=utf-8",
                Some("js") => "text/javascript; charset=utf-8",
                Some("svg") => "image/svg+xml",
                Some("png") => "image/png",
                Some("ico") => "image/x-icon",
                Some("txt") => "text/plain; charset=utf-8",
                _ => "application/octet-stream",
            };
            let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..12]));
            (
                [
                    (header::CONTENT_TYPE, mime.to_string()),
                    (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
                    (header::ETAG, etag),
                ],
                Body::from(file.data.into_owned()),
            )
                .into_response()
        }
        None => WebError::NotFound.into_response(),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct LangQuery {
    to: String,
    #[serde(default)]
    back: String,
}

/// Switches the UI language with a cookie and returns to the page.
pub(crate) async fn switch_lang(State(app): State<App>, Query(q): Query<LangQuery>) -> Response {
    let lang = caunoi_core::input::Lang::from_tag(&q.to);
    let back = auth::local_path(&q.back).unwrap_or("/");
    let cookie = auth::cookie("lang", lang.tag(), 365 * 24 * 3600, &app);
    ([(header::SET_COOKIE, cookie)], Redirect::to(back)).into_response()
}

/// Security headers, cache policy, request metrics and one JSON log line per request (at debug
/// level for accepted webhook deliveries). The log holds the route pattern, never the concrete
/// path or query (they may carry personal data).
pub(crate) async fn observe(State(app): State<App>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let is_static = route.starts_with("/static/");
    let citizen_path = req.uri().path().starts_with("/u/").then(|| req.uri().path().to_owned());
    let mut resp = next.run(req).await;
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if let Some(path) = citizen_path
        && resp.status() == StatusCode::NOT_FOUND
        && html
    {
        resp = error::citizen_not_found(&path);
    }
    let status = resp.status().as_u16();
    let h = resp.headers_mut();
    // A route that sets its own policy (the embeddable chat) decides about framing itself.
    let own_policy = h.contains_key("content-security-policy");
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "no-referrer");
    if !own_policy {
        set(h, "x-frame-options", "DENY");
    }
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "permissions-policy", "camera=(), microphone=(), geolocation=(self), payment=()");
    if app.config.tls() {
        set(h, "strict-transport-security", "max-age=31536000; includeSubDomains");
    }
    if !is_static {
        set(h, "cache-control", "no-store");
    }
    let elapsed = started.elapsed();
    let labels = [("method", method.to_string()), ("route", route.clone()), ("status", status.to_string())];
    metrics::counter!("caunoi_http_requests_total", &labels).increment(1);
    metrics::histogram!("caunoi_http_request_seconds", "route" => route.clone()).record(elapsed.as_secs_f64());
    // A platform's deliveries to a channel's webhook come thousands a second at peak; each is
    // counted above, refusals are logged by the webhook itself, and accepted ones are logged
    // only at debug level.
    let delivered = route.starts_with("/channels/") && resp.status().is_success();
    if delivered {
        tracing::debug!(method = %method, route = %route, status, ms = elapsed.as_millis() as u64, "request");
    } else if !is_static {
        tracing::info!(method = %method, route = %route, status, ms = elapsed.as_millis() as u64, "request");
    }
    resp
}
