//! Serving a stored photo, video or document back to someone already allowed to see it: the web
//! chat's media route and the inbox's both end here. Who may see a file is decided before, by
//! the caller; this module only streams the file from disk.
//!
//! Invariants: the file is streamed, never read whole into memory (videos reach 50 MB); byte
//! ranges (`Range: bytes=…`, which iOS Safari needs to play a video), `HEAD` and conditional
//! requests are answered by tower-http's `ServeFile`; every answer, partial or not, carries
//! the same private cache policy, disposition and sandboxing policy.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::Path;
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// Streams the file at `path` as `mime`, honouring the request's `Range` and conditional
/// headers: `200` with `Accept-Ranges: bytes`, `206` with `Content-Range`, `304`, or `416` for a
/// range past the end. `None` when the file is not on disk, so the caller answers with the
/// same "not found" as for a file the viewer may not see.
pub async fn serve_stored_file(path: &Path, mime: &'static str, req: Request) -> Option<Response> {
    let Ok(parsed) = mime.parse::<mime::Mime>() else {
        tracing::error!(mime, "stored media has an invalid MIME type");
        return Some(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    // The service never fails: I/O errors come back as 404 (missing file) or 500 responses.
    let served = match ServeFile::new_with_mime(path, &parsed).oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if served.status() == StatusCode::NOT_FOUND {
        return None;
    }
    let mut resp = served.into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    // Documents officers send are downloaded; photos and videos show in the page.
    let disposition = if mime.starts_with("image/") || mime.starts_with("video/") { "inline" } else { "attachment" };
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static(disposition));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    Some(resp)
}
