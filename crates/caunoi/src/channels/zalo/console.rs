//! The console's Zalo page of a unit (`/units/{code}/zalo`): what to set in Zalo's developer
//! console (callback URL, webhook URL, domain verification), the form that sends the admin to
//! Zalo's consent page ("Kết nối với Zalo") or saves a pasted token pair, the live check, and
//! the status. Zalo sends the admin back to [`CALLBACK_PATH`].
//!
//! The page's Content-Security-Policy lets its form lead to Zalo's OAuth host (`form-action`
//! also governs the redirect after a form is posted); every other page keeps `'self'` only.

use super::connection::Health;
use super::service::{self, CALLBACK_PATH, ConnectInput, ConsentProblem, Panel};
use crate::app::App;
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, T, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::Action;
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/units/{code}/zalo", get(page).post(connect))
        .route("/units/{code}/zalo/tokens", post(paste_tokens))
        .route("/units/{code}/zalo/check", post(check))
        .route("/units/{code}/zalo/disconnect", post(disconnect))
        .route("/units/{code}/zalo/verification", post(verification))
        .route("/zalo/callback", get(callback))
}

#[derive(Template)]
#[template(path = "zalo_connect.html")]
struct ConnectPage {
    chrome: Chrome,
    unit_code: String,
    unit_name: String,
    panel: Panel,
    callback_url: String,
    public_url: String,
    /// The public address is one Zalo's servers cannot call (not https, or a local or private
    /// host) while caunoi talks to the real Zalo: the page says so before anyone registers it.
    public_url_unreachable: bool,
    /// What the form shows in its id fields (typed, else stored).
    app_id: String,
    oa_id: String,
    /// Whether blank secrets keep the stored ones.
    keeps_secrets: bool,
    site_code: String,
    notice: String,
    problem: String,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    done: Option<String>,
    error: Option<String>,
}

async fn page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = match q.done.as_deref() {
        Some("connected") => t.tr(
            "Đã kết nối Zalo OA: Zalo đã cấp quyền và mã truy cập hoạt động.",
            "Zalo OA connected: Zalo granted access and the token works.",
        ),
        Some("tokens") => {
            t.tr("Đã lưu cặp mã truy cập và kiểm tra được với Zalo.", "The token pair was saved and checked with Zalo.")
        }
        Some("checked") => t.tr("Đã kiểm tra lại với Zalo.", "Checked with Zalo again."),
        Some("verification") => t.tr("Đã lưu mã xác thực tên miền.", "Domain verification code saved."),
        Some("disconnected") => t.tr(
            "Đã ngắt kết nối Zalo OA: mã truy cập đã bị xóa, trang của đơn vị không còn giới thiệu OA này.",
            "The Zalo OA is disconnected: its tokens were deleted and the unit's page no longer offers it.",
        ),
        _ => "",
    };
    let problem = q.error.as_deref().and_then(ConsentProblem::parse).map(|p| p.message(t)).unwrap_or("");
    view(&app, &me, &code, None, notice.into(), problem.into(), FieldErrors::default()).await
}

/// Whether Zalo's servers could not call back an address: Zalo sends webhooks and the consent
/// redirect only to https addresses on the Internet, never to this machine or a private network.
fn unreachable_from_zalo(public_url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(public_url) else { return true };
    if url.scheme() != "https" {
        return true;
    }
    let Some(host) = url.host_str() else { return true };
    let host = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.is_unspecified() || (ip.segments()[0] & 0xfe00) == 0xfc00
        }
        Err(_) => {
            host == "localhost"
                || host.ends_with(".localhost")
                || host.ends_with(".local")
                || host.ends_with(".internal")
                || !host.contains('.')
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn view(
    app: &App,
    me: &CurrentOfficer,
    code: &str,
    typed: Option<(&ConnectInput, &str)>,
    notice: String,
    problem: String,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let unit = crate::units::service::get(app, &me.scope, code).await?;
    if !me.scope.can(Action::ManageChannels, &unit.path) {
        return Err(WebError::Forbidden);
    }
    let panel = service::panel(app, unit.id.0, t).await?;
    let (app_id, oa_id) = match typed {
        Some((input, _)) => (input.app_id.trim().to_string(), input.oa_id.trim().to_string()),
        None => (panel.app_id.clone(), panel.oa_id.clone()),
    };
    let site_code = match typed {
        Some((_, site)) => site.to_string(),
        None => panel.site_code.clone().unwrap_or_default(),
    };
    let page = ConnectPage {
        chrome: me.chrome("units", format!("/units/{code}/zalo")),
        unit_code: unit.code.to_string(),
        unit_name: unit.details.name.clone(),
        keeps_secrets: panel.is_connected() && !app_id.is_empty() && app_id == panel.app_id,
        callback_url: service::callback_url(app),
        public_url: app.config.public_url.clone(),
        public_url_unreachable: app.config.zalo_api_url.is_none() && unreachable_from_zalo(&app.config.public_url),
        panel,
        app_id,
        oa_id,
        site_code,
        notice,
        problem,
        errors,
    };
    let status = if page.errors.0.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut resp = (status, Html(page.render()?)).into_response();
    let oauth = origin(&app.channels().zalo.endpoints().oauth_base);
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self' {oauth}; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        resp.headers_mut().insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    Ok(resp)
}

/// `scheme://host[:port]` of a base URL (Zalo's OAuth host, or the fake's).
fn origin(base: &str) -> String {
    match reqwest::Url::parse(base) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => String::new(),
    }
}

/// "Kết nối với Zalo": the form is checked and the admin goes to Zalo's consent page.
async fn connect(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Form(input): Form<ConnectInput>,
) -> Result<Response, WebError> {
    match form::posted(service::start_consent(&app, &me.officer, &code, &input).await)? {
        Posted::Saved(consent_url) => form::see_other(&consent_url),
        Posted::Refused(errors) => {
            view(&app, &me, &code, Some((&input, "")), String::new(), String::new(), errors).await
        }
    }
}

/// The §2.5 path: a token pair minted in Zalo's API Explorer.
async fn paste_tokens(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Form(input): Form<ConnectInput>,
) -> Result<Response, WebError> {
    match form::posted(service::connect_with_tokens(&app, &me.officer, &code, &input).await)? {
        Posted::Saved(()) => form::see_other(&format!("/units/{code}/zalo?done=tokens")),
        Posted::Refused(errors) => {
            view(&app, &me, &code, Some((&input, "")), String::new(), String::new(), errors).await
        }
    }
}

async fn check(State(app): State<App>, me: CurrentOfficer, Path(code): Path<String>) -> Result<Response, WebError> {
    service::check_now(&app, &me.scope, &code).await?;
    form::see_other(&format!("/units/{code}/zalo?done=checked"))
}

/// "Ngắt kết nối", after the confirmation box was ticked.
async fn disconnect(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Form(f): Form<form::Confirmation>,
) -> Result<Response, WebError> {
    if !f.is_given() {
        let t = T::new(me.lang);
        let problem = t.tr(
            "Chưa ngắt kết nối: hãy đánh dấu ô xác nhận rồi bấm \"Ngắt kết nối\".",
            "Not disconnected: tick the confirmation box, then press \"Disconnect\".",
        );
        let mut resp = view(&app, &me, &code, None, String::new(), problem.into(), FieldErrors::default()).await?;
        if resp.status() == StatusCode::OK {
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        }
        return Ok(resp);
    }
    service::disconnect(&app, &me.scope, &code).await?;
    form::see_other(&format!("/units/{code}/zalo?done=disconnected"))
}

#[derive(Deserialize, Default)]
struct VerificationForm {
    #[serde(default)]
    site_code: String,
}

async fn verification(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Form(f): Form<VerificationForm>,
) -> Result<Response, WebError> {
    match form::posted(service::set_site_verification(&app, &me.scope, &code, &f.site_code).await)? {
        Posted::Saved(()) => form::see_other(&format!("/units/{code}/zalo?done=verification")),
        Posted::Refused(errors) => {
            let typed = ConnectInput::default();
            view(&app, &me, &code, Some((&typed, &f.site_code)), String::new(), String::new(), errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "zalo_callback.html")]
struct CallbackPage {
    chrome: Chrome,
    message: String,
}

/// Zalo sends the admin back here (`code`, `oa_id`, `state`, or an error).
async fn callback(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<service::CallbackQuery>,
) -> Result<Response, WebError> {
    let outcome = service::finish_consent(&app, &me.officer, &q).await?;
    match (outcome.unit_code, outcome.problem) {
        (Some(unit), None) => form::see_other(&format!("/units/{unit}/zalo?done=connected")),
        (Some(unit), Some(p)) => form::see_other(&format!("/units/{unit}/zalo?error={}", p.as_str())),
        (None, p) => {
            let t = T::new(me.lang);
            let message = p.unwrap_or(ConsentProblem::StateInvalid).message(t).to_string();
            let page = CallbackPage { chrome: me.chrome("units", CALLBACK_PATH), message };
            Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::unreachable_from_zalo;

    #[test]
    fn zalo_can_only_call_https_addresses_on_the_internet() {
        for bad in [
            "http://caunoi.example.gov.vn",
            "https://127.0.0.1:8080",
            "https://localhost",
            "https://192.168.1.10",
            "https://10.0.0.5",
            "https://[::1]:8443",
            "https://caunoi",
            "https://may-chu.local",
            "not a url",
        ] {
            assert!(unreachable_from_zalo(bad), "{bad}");
        }
        for good in ["https://caunoi.example.gov.vn", "https://203.162.4.190", "https://cong-an.quangninh.gov.vn/"] {
            assert!(!unreachable_from_zalo(good), "{good}");
        }
    }
}
