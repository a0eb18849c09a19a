//! Serving a stored photo, video or document back to someone already allowed to see it: the web
//! chat's media route, the inbox's and the case page's all end here (through
//! `MediaStore::serve`). Who may see a file is decided before, by the caller; this module only
//! streams the file, from the disk or from a bucket.
//!
//! Invariants: the file is streamed, never read whole into memory (videos reach 50 MB); byte
//! ranges (`Range: bytes=…`, which iOS Safari needs to play a video), `HEAD` and conditional
//! requests are answered: from the disk by tower-http's `ServeFile`, from a bucket by a ranged
//! GET of just the bytes asked for; every answer, partial or not, carries the same private
//! cache policy, disposition and sandboxing policy.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
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
    Some(with_policy(served.into_response(), mime))
}

/// The headers every media answer carries.
fn with_policy(mut resp: Response, mime: &str) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    // Documents officers send are downloaded; photos and videos show in the page.
    let disposition = if mime.starts_with("image/") || mime.starts_with("video/") { "inline" } else { "attachment" };
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static(disposition));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    resp
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Ranged {
    /// The whole file (no header, or one this server may ignore: several ranges, another unit).
    Whole,
    /// Bytes `start..end` (end exclusive).
    Part(u64, u64),
    /// A range that starts past the end: 416.
    Unsatisfiable,
}

/// Reads a `Range` header for a file of `size` bytes (RFC 9110 §14.1.2): `bytes=a-b`, `bytes=a-`
/// or `bytes=-n`; several ranges are answered with the whole file, which the RFC allows.
pub fn parse_range(header: Option<&str>, size: u64) -> Ranged {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return Ranged::Whole };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return Ranged::Whole };
    let (a, b) = (a.trim(), b.trim());
    let part = match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(start), Ok(last)) if start <= last => (start, last.saturating_add(1).min(size)),
        (Ok(start), Err(_)) if b.is_empty() => (start, size),
        (Err(_), Ok(n)) if a.is_empty() && n > 0 => (size.saturating_sub(n), size),
        (Err(_), Ok(0)) if a.is_empty() => return Ranged::Unsatisfiable,
        _ => return Ranged::Whole,
    };
    if part.0 >= size { Ranged::Unsatisfiable } else { Ranged::Part(part.0, part.1) }
}

/// Streams the object `key` of a bucket as `mime`, as [`serve_stored_file`] does a file: a
/// ranged GET fetches only the bytes asked for. `None` when the object is not stored.
pub async fn serve_object(
    store: &dyn ObjectStore,
    key: &object_store::path::Path,
    mime: &'static str,
    req: Request,
) -> Option<Response> {
    let failed = |e: object_store::Error| {
        tracing::error!(error = %e, "the media bucket could not be read");
        Some(StatusCode::BAD_GATEWAY.into_response())
    };
    let meta = match store.head(key).await {
        Ok(meta) => meta,
        Err(object_store::Error::NotFound { .. }) => return None,
        Err(e) => return failed(e),
    };
    let etag = meta.e_tag.as_deref().and_then(|t| {
        let quoted = if t.starts_with('"') || t.starts_with("W/") { t.to_owned() } else { format!("\"{t}\"") };
        HeaderValue::from_str(&quoted).ok()
    });
    let last_modified = HeaderValue::from_str(&meta.last_modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok();
    let headers = req.headers();
    let not_modified = match (headers.get(header::IF_NONE_MATCH), &etag) {
        (Some(asked), Some(tag)) => {
            asked.to_str().is_ok_and(|a| a.split(',').any(|t| t.trim() == tag || t.trim() == "*"))
        }
        _ => false,
    };
    let mut builder = Response::builder().header(header::CONTENT_TYPE, mime).header(header::ACCEPT_RANGES, "bytes");
    if let Some(tag) = &etag {
        builder = builder.header(header::ETAG, tag.clone());
    }
    if let Some(lm) = last_modified {
        builder = builder.header(header::LAST_MODIFIED, lm);
    }
    if not_modified {
        return Some(with_policy(builder.status(StatusCode::NOT_MODIFIED).body(Body::empty()).ok()?, mime));
    }
    let size = meta.size;
    let range = headers.get(header::RANGE).and_then(|r| r.to_str().ok());
    // A range sent with an `If-Range` that no longer matches gets the whole, current file.
    let if_range_ok = match headers.get(header::IF_RANGE) {
        None => true,
        Some(v) => etag.as_ref().is_some_and(|tag| v == tag),
    };
    let ranged = if if_range_ok { parse_range(range, size) } else { Ranged::Whole };
    let (status, wanted) = match ranged {
        Ranged::Unsatisfiable => {
            let resp = builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                .body(Body::empty())
                .ok()?;
            return Some(with_policy(resp, mime));
        }
        Ranged::Part(start, end) => {
            builder = builder.header(header::CONTENT_RANGE, format!("bytes {start}-{}/{size}", end - 1));
            (StatusCode::PARTIAL_CONTENT, start..end)
        }
        Ranged::Whole => (StatusCode::OK, 0..size),
    };
    builder = builder.status(status).header(header::CONTENT_LENGTH, wanted.end - wanted.start);
    if req.method() == Method::HEAD || wanted.is_empty() {
        return Some(with_policy(builder.body(Body::empty()).ok()?, mime));
    }
    let options = GetOptions::new().with_range(Some(GetRange::Bounded(wanted)));
    let got = match store.get_opts(key, options).await {
        Ok(got) => got,
        Err(object_store::Error::NotFound { .. }) => return None,
        Err(e) => return failed(e),
    };
    let body = Body::from_stream(got.into_stream().map(|chunk| chunk.map_err(std::io::Error::other)));
    Some(with_policy(builder.body(body).ok()?, mime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_the_rfc_says() {
        assert_eq!(parse_range(None, 100), Ranged::Whole);
        assert_eq!(parse_range(Some("bytes=0-1"), 100), Ranged::Part(0, 2));
        assert_eq!(parse_range(Some("bytes=10-"), 100), Ranged::Part(10, 100));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Ranged::Part(90, 100));
        assert_eq!(parse_range(Some("bytes=-500"), 100), Ranged::Part(0, 100));
        assert_eq!(parse_range(Some("bytes=50-5000"), 100), Ranged::Part(50, 100));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Ranged::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Ranged::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Ranged::Whole);
        assert_eq!(parse_range(Some("bytes=9-3"), 100), Ranged::Whole);
        assert_eq!(parse_range(Some("items=0-1"), 100), Ranged::Whole);
        assert_eq!(parse_range(Some("bytes=x-y"), 100), Ranged::Whole);
    }
}
