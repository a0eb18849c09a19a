//! Photos and videos citizens upload in the web chat: recognized by their first bytes (the
//! declared type and file name are ignored), size-limited per kind while streaming, and stored
//! under `<data_dir>/media/web/` named by the SHA-256 of the content. Files are only ever served
//! back through the chat's authorized media route, never from a public directory.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// Largest photo (bytes).
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;
/// Largest video (bytes).
pub const MAX_VIDEO_BYTES: u64 = 50 * 1024 * 1024;

/// A file type the chat accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Jpeg,
    Png,
    Webp,
    Heic,
    Mp4,
    Mov,
}

impl MediaType {
    pub fn is_video(self) -> bool {
        matches!(self, MediaType::Mp4 | MediaType::Mov)
    }

    /// The stored `messages.kind`.
    pub fn message_kind(self) -> &'static str {
        if self.is_video() { "video" } else { "image" }
    }

    pub fn max_bytes(self) -> u64 {
        if self.is_video() { MAX_VIDEO_BYTES } else { MAX_IMAGE_BYTES }
    }

    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Webp => "webp",
            MediaType::Heic => "heic",
            MediaType::Mp4 => "mp4",
            MediaType::Mov => "mov",
        }
    }

    pub fn from_extension(ext: &str) -> Option<MediaType> {
        [MediaType::Jpeg, MediaType::Png, MediaType::Webp, MediaType::Heic, MediaType::Mp4, MediaType::Mov]
            .into_iter()
            .find(|t| t.extension() == ext)
    }

    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Heic => "image/heic",
            MediaType::Mp4 => "video/mp4",
            MediaType::Mov => "video/quicktime",
        }
    }
}

/// Bytes needed to recognize every accepted type.
pub const SNIFF_LEN: usize = 12;

/// Recognizes an accepted photo or video from its first bytes (ISO BMFF `ftyp` brands tell
/// HEIC, QuickTime and MP4 apart).
pub fn sniff(head: &[u8]) -> Option<MediaType> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(MediaType::Jpeg);
    }
    if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(MediaType::Png);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(MediaType::Webp);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs" | b"mif1" | b"msf1" => {
                Some(MediaType::Heic)
            }
            b"qt  " => Some(MediaType::Mov),
            b"isom" | b"iso2" | b"iso4" | b"iso5" | b"iso6" | b"mp41" | b"mp42" | b"avc1" | b"M4V " | b"MSNV"
            | b"dash" | b"3gp4" | b"3gp5" => Some(MediaType::Mp4),
            _ => None,
        };
    }
    None
}

/// The directory of web chat media.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("media").join("web")
}

/// The file of a stored media reference (`web/<sha256>.<ext>`), if the reference is well formed.
pub fn path_of(data_dir: &Path, media_ref: &str) -> Option<(PathBuf, MediaType)> {
    let name = media_ref.strip_prefix("web/")?;
    let (hash, ext) = name.split_once('.')?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let kind = MediaType::from_extension(ext)?;
    Some((dir(data_dir).join(name), kind))
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("not an accepted photo or video (magic bytes)")]
    NotMedia,
    #[error("too large for its kind")]
    TooLarge(MediaType),
    #[error("the upload broke off")]
    Broken,
    #[error("cannot write the media file: {0}")]
    Io(String),
}

/// Stores an upload arriving in chunks: recognizes it from the first bytes, refuses it as soon
/// as it passes its kind's limit, and returns its reference and type. Nothing stays on disk
/// when it is refused.
pub struct Upload {
    dir: PathBuf,
    head: Vec<u8>,
    kind: Option<MediaType>,
    file: Option<(PathBuf, tokio::fs::File)>,
    hasher: Sha256,
    size: u64,
}

impl Upload {
    pub fn new(data_dir: &Path) -> Upload {
        Upload { dir: dir(data_dir), head: Vec::new(), kind: None, file: None, hasher: Sha256::new(), size: 0 }
    }

    /// Takes the next chunk.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        self.size += chunk.len() as u64;
        if self.kind.is_none() {
            self.head.extend_from_slice(chunk);
            if self.head.len() < SNIFF_LEN {
                return Ok(());
            }
            let kind = sniff(&self.head).ok_or(UploadError::NotMedia)?;
            self.kind = Some(kind);
            let head = std::mem::take(&mut self.head);
            return self.write(kind, &head).await;
        }
        match self.kind {
            Some(kind) => self.write(kind, chunk).await,
            None => Err(UploadError::NotMedia),
        }
    }

    async fn write(&mut self, kind: MediaType, bytes: &[u8]) -> Result<(), UploadError> {
        if self.size > kind.max_bytes() {
            self.discard().await;
            return Err(UploadError::TooLarge(kind));
        }
        if self.file.is_none() {
            tokio::fs::create_dir_all(&self.dir).await.map_err(|e| UploadError::Io(e.to_string()))?;
            let tmp = self.dir.join(format!(".upload-{}", crate::crypto::random_token()));
            let f = tokio::fs::File::create(&tmp).await.map_err(|e| UploadError::Io(e.to_string()))?;
            self.file = Some((tmp, f));
        }
        self.hasher.update(bytes);
        if let Some((_, f)) = self.file.as_mut() {
            f.write_all(bytes).await.map_err(|e| UploadError::Io(e.to_string()))?;
        }
        Ok(())
    }

    /// Removes what was written so far.
    pub async fn discard(&mut self) {
        if let Some((tmp, f)) = self.file.take() {
            drop(f);
            let _ = tokio::fs::remove_file(&tmp).await;
        }
    }

    /// Completes the upload: `(media_ref, type)`.
    pub async fn finish(mut self) -> Result<(String, MediaType), UploadError> {
        let Some(kind) = self.kind else {
            // Shorter than the sniff window: recognize what there is.
            let kind = sniff(&self.head).ok_or(UploadError::NotMedia)?;
            let head = std::mem::take(&mut self.head);
            self.kind = Some(kind);
            self.write(kind, &head).await?;
            return Box::pin(self.finish()).await;
        };
        let Some((tmp, mut f)) = self.file.take() else { return Err(UploadError::Broken) };
        let flushed = f.flush().await;
        drop(f);
        if let Err(e) = flushed {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(UploadError::Io(e.to_string()));
        }
        let name = format!("{}.{}", hex::encode(self.hasher.clone().finalize()), kind.extension());
        if let Err(e) = tokio::fs::rename(&tmp, self.dir.join(&name)).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(UploadError::Io(e.to_string()));
        }
        Ok((format!("web/{name}"), kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_types_are_recognized_by_their_first_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0]), Some(MediaType::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(MediaType::Webp));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), Some(MediaType::Heic));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  "), Some(MediaType::Mov));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom"), Some(MediaType::Mp4));
        assert_eq!(sniff(b"Xin chao, day la van ban"), None);
        assert_eq!(sniff(b"GIF89a......"), None);
        assert_eq!(sniff(b"%PDF-1.7...."), None);
    }

    #[test]
    fn media_references_cannot_leave_the_media_directory() {
        let base = Path::new("/data");
        let good = format!("web/{}.jpg", "a".repeat(64));
        assert!(path_of(base, &good).is_some());
        assert!(path_of(base, "web/../secret.key").is_none());
        assert!(path_of(base, "zalo/abc.jpg").is_none());
        assert!(path_of(base, &format!("web/{}.exe", "a".repeat(64))).is_none());
    }
}
