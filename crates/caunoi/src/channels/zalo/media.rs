//! Media that citizens send through Zalo: downloaded at once (Zalo CDN URLs expire, zalo-oa.md
//! §3.6) into the `zalo` media area (`crate::media`), named by the SHA-256 of the content so a
//! repeated download of the same file is harmless; a type caunoi does not recognize is kept as
//! `.bin`. Size-limited; images must really be images (magic
//! bytes). A failed download never loses the message: it is stored with the original URL.
//!
//! Every download counts against the citizen's media quotas, the same hourly and daily bytes as
//! a web chat session (`upload_quota_session_hour`/`_day`), reserved before the first byte is
//! read so parallel events cannot all pass, and against the media disk's free-space floor: a
//! citizen sending video after video cannot fill the disk or bucket. Over a quota the file is
//! not fetched; the message keeps Zalo's URL, as for a failed download.

use crate::app::App;
use crate::media::{Area, FileType, UNKNOWN_EXTENSION, sniff, store_bytes};

/// Largest file kept (bytes). Zalo itself caps uploads well below this.
pub const MAX_MEDIA_BYTES: usize = 25 * 1024 * 1024;

/// What an attachment should contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Image,
    Any,
}

/// Why a download was not kept.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the media URL is not http(s)")]
    BadUrl,
    #[error("download failed: {0}")]
    Download(String),
    #[error("the file is larger than {MAX_MEDIA_BYTES} bytes")]
    TooLarge,
    #[error("the file is not an image (magic bytes)")]
    NotAnImage,
    #[error("cannot write the media file: {0}")]
    Io(String),
    #[error("the citizen's media quota is used up")]
    QuotaUsed,
    #[error("the media disk is below its free-space floor")]
    StorageFull,
    #[error("the quota could not be checked: {0}")]
    Store(#[from] crate::db::StoreError),
}

/// Whose quota a download counts against: the OA and the citizen's Zalo user id (only a keyed
/// hash of both is stored).
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    pub oa_id: &'a str,
    pub user_id: &'a str,
}

const HOUR_MICROS: i64 = 3600 * 1_000_000;

/// Reserves `bytes` of the sender's quotas (and checks the free-space floor); the id of the
/// reservation to settle or release.
async fn reserve(app: &App, from: Sender<'_>, bytes: u64) -> Result<i64, MediaError> {
    if !crate::media::space::has_room(&app.config.data_dir, bytes, app.config.media_free_floor).await {
        return Err(MediaError::StorageFull);
    }
    let key = app.secrets.keyed_hash("zalo media quota", format!("{}\n{}", from.oa_id, from.user_id).as_bytes());
    let now = app.clock.now_micros();
    let q = app.config.upload_quotas;
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let reserved = super::store::reserve_download(
        &app.db,
        &key,
        now,
        as_i64(bytes),
        (now - HOUR_MICROS, as_i64(q.session_hour)),
        (now - 24 * HOUR_MICROS, as_i64(q.session_day)),
    )
    .await?;
    reserved.ok_or_else(|| {
        metrics::counter!("caunoi_zalo_media_quota_refusals_total").increment(1);
        MediaError::QuotaUsed
    })
}

/// Downloads `url` from `from` and stores it; returns the media reference
/// (`zalo/<sha256>.<ext>`). The declared size (or the largest allowed, when Zalo's CDN does not
/// say) is reserved of the sender's quotas first, then settled to what was really stored, or
/// given back when nothing was.
pub async fn download(app: &App, from: Sender<'_>, url: &str, expect: Expect) -> Result<String, MediaError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(MediaError::BadUrl);
    }
    let mut resp = app
        .channels()
        .zalo
        .http()
        .get(url)
        .send()
        .await
        .map_err(|e| MediaError::Download(e.without_url().to_string()))?;
    if !resp.status().is_success() {
        return Err(MediaError::Download(format!("HTTP {}", resp.status())));
    }
    let declared = resp.content_length().unwrap_or(MAX_MEDIA_BYTES as u64);
    if declared > MAX_MEDIA_BYTES as u64 {
        return Err(MediaError::TooLarge);
    }
    let claim = reserve(app, from, declared).await?;
    let stored = fetch_and_store(app, &mut resp, expect).await;
    let settled = match &stored {
        Ok((_, size)) => super::store::settle_download(&app.db, claim, i64::try_from(*size).unwrap_or(i64::MAX)).await,
        Err(_) => super::store::release_download(&app.db, claim).await,
    };
    if let Err(e) = settled {
        tracing::warn!(error = %e, "a media download's quota claim was not settled");
    }
    stored.map(|(media_ref, _)| media_ref)
}

/// Reads the body (at most [`MAX_MEDIA_BYTES`]), checks it and stores it: the reference and size.
async fn fetch_and_store(
    app: &App,
    resp: &mut reqwest::Response,
    expect: Expect,
) -> Result<(String, usize), MediaError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| MediaError::Download(e.without_url().to_string()))? {
        if bytes.len() + chunk.len() > MAX_MEDIA_BYTES {
            return Err(MediaError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    let kind = sniff(&bytes);
    if expect == Expect::Image && !matches!(kind, Some(FileType::Png | FileType::Jpeg | FileType::Gif | FileType::Webp))
    {
        return Err(MediaError::NotAnImage);
    }
    let ext = kind.map_or(UNKNOWN_EXTENSION, FileType::extension);
    let media_ref = store_bytes(&app.config.media_store, Area::Zalo, &bytes, ext)
        .await
        .map_err(|e| MediaError::Io(e.to_string()))?;
    Ok((media_ref, bytes.len()))
}
