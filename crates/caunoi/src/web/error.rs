//! Errors at the HTTP edge. Each becomes a status and a short page in both languages that tells
//! the person what happened; internal detail goes to the log only, without personal data.

use crate::error::ServiceError;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Debug)]
pub enum WebError {
    NotFound,
    /// The session ended (a live page's own request): the page shows a sign-in prompt.
    Unauthorized,
    Forbidden,
    BadRequest(String),
    Redirect(String),
    Internal,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    vi: &'a str,
    en: &'a str,
    detail: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, vi, en, detail) = match &self {
            WebError::Redirect(to) => return Redirect::to(to).into_response(),
            WebError::Unauthorized => {
                return (StatusCode::UNAUTHORIZED, "session ended: sign in again").into_response();
            }
            WebError::NotFound => (StatusCode::NOT_FOUND, "Không tìm thấy trang này.", "Page not found.", ""),
            WebError::Forbidden => {
                (StatusCode::FORBIDDEN, "Bạn không có quyền thực hiện việc này.", "You are not allowed to do this.", "")
            }
            WebError::BadRequest(d) => {
                (StatusCode::BAD_REQUEST, "Yêu cầu không hợp lệ.", "Invalid request.", d.as_str())
            }
            WebError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Hệ thống gặp sự cố. Vui lòng thử lại sau ít phút.",
                "Something went wrong. Please try again in a few minutes.",
                "",
            ),
        };
        let page = ErrorPage { status: status.as_u16(), vi, en, detail };
        (status, Html(page.render().unwrap_or_else(|_| en.to_string()))).into_response()
    }
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => WebError::NotFound,
            ServiceError::Forbidden(_) => WebError::Forbidden,
            ServiceError::Invalid(errs) => WebError::BadRequest(errs.to_string()),
            ServiceError::Store(err) => {
                tracing::error!(error = %err, "storage error");
                WebError::Internal
            }
        }
    }
}

impl From<crate::db::StoreError> for WebError {
    fn from(e: crate::db::StoreError) -> Self {
        ServiceError::Store(e).into()
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template error");
        WebError::Internal
    }
}

/// Renders a template into an HTML response.
pub fn render<T: Template>(t: &T) -> Result<Response, WebError> {
    Ok(Html(t.render()?).into_response())
}

/// Renders a form page: 200, or 422 when it shows validation errors (nothing typed is lost).
pub fn render_form<T: Template>(t: &T, errors: &caunoi_core::input::FieldErrors) -> Result<Response, WebError> {
    if errors.is_empty() { render(t) } else { render_invalid(t) }
}

/// Renders a form again with its errors (422), so nothing typed is lost.
pub fn render_invalid<T: Template>(t: &T) -> Result<Response, WebError> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(t.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "error_citizen.html")]
struct CitizenNotFound {
    unit_page: Option<String>,
}

/// The page a citizen gets for a missing page under `/u/…` (a unit's pages): never the
/// officers' sign-in; back to the unit's page when the address names one, and the emergency
/// numbers.
pub fn citizen_not_found(path: &str) -> Response {
    let mut segments = path.trim_start_matches("/u/").split('/');
    let code = segments.next().unwrap_or_default();
    let below = segments.any(|s| !s.is_empty());
    let valid =
        !code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let page = CitizenNotFound { unit_page: (valid && below).then(|| format!("/u/{code}")) };
    (StatusCode::NOT_FOUND, Html(page.render().unwrap_or_else(|_| "Page not found.".to_string()))).into_response()
}
