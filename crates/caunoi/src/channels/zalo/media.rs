//! Media that citizens send through Zalo: downloaded at once (Zalo CDN URLs expire, zalo-oa.md
//! §3.6) into `<data_dir>/media/zalo/`, named by the SHA-256 of the content so a repeated
//! download of the same file is harmless. Size-limited; images must really be images (magic
//! bytes). A failed download never loses the message: it is stored with the original URL.

use crate::app::App;
use sha2::{Digest, Sha256};

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

/// The file type recognized from the first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("pdf")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        Some("mp4")
    } else {
        None
    }
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
    if expect == Expect::Image && !matches!(kind, Some("png" | "jpg" | "gif" | "webp")) {
        return Err(MediaError::NotAnImage);
    }
    let name = format!("{}.{}", hex::encode(Sha256::digest(&bytes)), kind.unwrap_or("bin"));
    let dir = app.config.data_dir.join("media").join("zalo");
    tokio::fs::create_dir_all(&dir).await.map_err(|e| MediaError::Io(e.to_string()))?;
    let path = dir.join(&name);
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(format!("zalo/{name}"));
    }
    let tmp = dir.join(format!(".{name}.{}", crate::crypto::random_token()));
    tokio::fs::write(&tmp, &bytes).await.map_err(|e| MediaError::Io(e.to_string()))?;
    tokio::fs::rename(&tmp, &path).await.map_err(|e| MediaError::Io(e.to_string()))?;
    Ok(format!("zalo/{name}"))
}

/// The file of a stored Zalo media reference (`zalo/<sha256>.<ext>`) with its MIME type, if the
/// reference is well formed.
pub fn path_of(data_dir: &std::path::Path, media_ref: &str) -> Option<(std::path::PathBuf, &'static str)> {
    let name = media_ref.strip_prefix("zalo/")?;
    let (hash, ext) = name.split_once('.')?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mime = match ext {
        "png" => "image/png",
        "jpg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "bin" => "application/octet-stream",
        _ => return None,
    };
    Some((data_dir.join("media").join("zalo").join(name), mime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognized_by_their_first_bytes() {
        assert_eq!(sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]), Some("png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("jpg"));
        assert_eq!(sniff(b"GIF89a..."), Some("gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(sniff(b"<html>not an image</html>"), None);
    }
}
