//! Media that citizens send through Zalo: downloaded at once (Zalo CDN URLs expire, zalo-oa.md
//! §3.6) into the `zalo` media area (`crate::media`), named by the SHA-256 of the content so a
//! repeated download of the same file is harmless; a type caunoi does not recognize is kept as
//! `.bin`. Size-limited; images must really be images (magic
//! bytes). A failed download never loses the message: it is stored with the original URL.

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
}

/// Downloads `url` and stores it; returns the media reference (`zalo/<sha256>.<ext>`).
pub async fn download(app: &App, url: &str, expect: Expect) -> Result<String, MediaError> {
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
    if resp.content_length().is_some_and(|n| n > MAX_MEDIA_BYTES as u64) {
        return Err(MediaError::TooLarge);
    }
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
    store_bytes(&app.config.media_store, Area::Zalo, &bytes, ext).await.map_err(|e| MediaError::Io(e.to_string()))
}
