//! The emblem's routes: the upload and removal on the console's unit page, and the public
//! image at `/u/{code}/emblem`.

use super::MAX_EMBLEM_BYTES;
use crate::app::App;
use crate::web::form::{self, Posted};
use crate::web::{CurrentOfficer, WebError};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use caunoi_core::input::FieldErrors;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/units/{code}/emblem", post(upload).layer(DefaultBodyLimit::max(MAX_EMBLEM_BYTES + 64 * 1024)))
        .route("/units/{code}/emblem/remove", post(remove))
        .route("/u/{code}/emblem", get(image))
}

/// The chosen file's bytes; `None` when the request grew past the limit (told as too large).
async fn file_of(mut parts: Multipart) -> Result<Option<Vec<u8>>, WebError> {
    let mut bytes = Vec::new();
    loop {
        let mut field = match parts.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(Some(bytes)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(None),
            Err(_) => return Err(WebError::BadRequest("multipart".into())),
        };
        if field.name() != Some("file") {
            continue;
        }
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() > MAX_EMBLEM_BYTES => return Ok(None),
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(None),
                Err(_) => return Err(WebError::BadRequest("file".into())),
            }
        }
    }
}

async fn upload(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    parts: Multipart,
) -> Result<Response, WebError> {
    // A file over the limit is checked like any other (scope first, then "too large").
    let bytes = file_of(parts).await?.unwrap_or_else(|| vec![0; MAX_EMBLEM_BYTES + 1]);
    match form::posted(super::set(&app, &me.scope, &code, &bytes).await)? {
        Posted::Saved(()) => form::see_other(&format!("/units/{code}?emblem=saved#emblem")),
        Posted::Refused(errors) => refused(&app, &me, &code, errors).await,
    }
}

async fn refused(app: &App, me: &CurrentOfficer, code: &str, errors: FieldErrors) -> Result<Response, WebError> {
    crate::units::http::unit_view(app, me, code, String::new(), errors, String::new()).await
}

async fn remove(State(app): State<App>, me: CurrentOfficer, Path(code): Path<String>) -> Result<Response, WebError> {
    super::remove(&app, &me.scope, &code).await?;
    form::see_other(&format!("/units/{code}?emblem=removed#emblem"))
}

/// The public image: revalidated by its SHA-256 (ETag), cached for a day when the link names
/// the version (`?v=`), as the pages do.
async fn image(State(app): State<App>, Path(code): Path<String>, headers: HeaderMap) -> Result<Response, WebError> {
    let emblem = super::public(&app, &code).await?.ok_or(WebError::NotFound)?;
    let etag = format!("\"{}\"", emblem.sha256);
    let cache = HeaderValue::from_static("public, max-age=86400");
    let etag_value = HeaderValue::from_str(&etag).map_err(|_| WebError::NotFound)?;
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)]).into_response()
        );
    }
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(emblem.mime)),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
        ],
        emblem.bytes,
    )
        .into_response())
}
