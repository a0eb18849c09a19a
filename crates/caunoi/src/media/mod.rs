//! Media (ảnh, video, tệp): the files citizens and officers exchange, in one place for every
//! feature that holds them (the web chat's uploads, Zalo's downloads, officers' attachments,
//! next the reports' evidence). A file's type is recognized from its first bytes ([`sniff`]),
//! never from its declared type or name; each caller decides which types it accepts and up to
//! what size. Files are stored content-addressed under `<data_dir>/media/<area>/` as
//! `<sha256>.<ext>` and known by that reference (`web/…`, `zalo/…`, `officer/…`); [`resolve`]
//! turns a reference back into a path, and [`serve`] streams it with byte ranges to someone the
//! caller has already allowed to see it.
//!
//! Invariants: a reference that is not exactly `<area>/<64 hex digits>.<known extension>`
//! resolves to nothing, so no reference can leave the media directory; a file is written
//! under a temporary name and renamed into place, so a crash never leaves half a file under a
//! real name.

pub mod serve;
pub mod upload;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A file type caunoi recognizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Jpeg,
    Png,
    Gif,
    Webp,
    Heic,
    Mp4,
    Mov,
    Pdf,
    /// Word 97–2003 (OLE2 compound file).
    Doc,
    Docx,
}

impl FileType {
    const ALL: [FileType; 10] = [
        FileType::Jpeg,
        FileType::Png,
        FileType::Gif,
        FileType::Webp,
        FileType::Heic,
        FileType::Mp4,
        FileType::Mov,
        FileType::Pdf,
        FileType::Doc,
        FileType::Docx,
    ];

    pub fn is_image(self) -> bool {
        matches!(self, FileType::Jpeg | FileType::Png | FileType::Gif | FileType::Webp | FileType::Heic)
    }

    pub fn is_video(self) -> bool {
        matches!(self, FileType::Mp4 | FileType::Mov)
    }

    /// The stored `messages.kind` of a message carrying this file.
    pub fn message_kind(self) -> &'static str {
        if self.is_video() {
            "video"
        } else if self.is_image() {
            "image"
        } else {
            "file"
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Gif => "gif",
            FileType::Webp => "webp",
            FileType::Heic => "heic",
            FileType::Mp4 => "mp4",
            FileType::Mov => "mov",
            FileType::Pdf => "pdf",
            FileType::Doc => "doc",
            FileType::Docx => "docx",
        }
    }

    pub fn from_extension(ext: &str) -> Option<FileType> {
        FileType::ALL.into_iter().find(|t| t.extension() == ext)
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Heic => "image/heic",
            FileType::Mp4 => "video/mp4",
            FileType::Mov => "video/quicktime",
            FileType::Pdf => "application/pdf",
            FileType::Doc => "application/msword",
            FileType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }
}

/// Bytes [`sniff`] needs to recognize every type but DOCX (which needs the archive's entries).
pub const SNIFF_LEN: usize = 12;

/// Recognizes a file from its first bytes. ISO BMFF `ftyp` brands tell HEIC, QuickTime and MP4
/// apart; a DOCX is a ZIP archive whose entry names (stored uncompressed) include `word/`, and
/// any other ZIP is not recognized.
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    const OLE2: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(FileType::Jpeg);
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(FileType::Png);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some(FileType::Gif);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some(FileType::Webp);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return match &bytes[8..12] {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs" | b"mif1" | b"msf1" => {
                Some(FileType::Heic)
            }
            b"qt  " => Some(FileType::Mov),
            b"isom" | b"iso2" | b"iso4" | b"iso5" | b"iso6" | b"mp41" | b"mp42" | b"avc1" | b"M4V " | b"MSNV"
            | b"dash" | b"3gp4" | b"3gp5" => Some(FileType::Mp4),
            _ => None,
        };
    }
    if bytes.starts_with(b"%PDF-") {
        return Some(FileType::Pdf);
    }
    if bytes.starts_with(&OLE2) {
        return Some(FileType::Doc);
    }
    if bytes.starts_with(b"PK\x03\x04") && bytes.windows(5).any(|w| w == b"word/") {
        return Some(FileType::Docx);
    }
    None
}

/// Where a file came from, and the directory it is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Citizens' uploads in the web chat.
    Web,
    /// What citizens sent through Zalo, downloaded at once (Zalo's links expire).
    Zalo,
    /// Officers' attachments to their replies.
    Officer,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Web => "web",
            Area::Zalo => "zalo",
            Area::Officer => "officer",
        }
    }

    fn parse(raw: &str) -> Option<Area> {
        [Area::Web, Area::Zalo, Area::Officer].into_iter().find(|a| a.as_str() == raw)
    }
}

/// The directory of an area's files.
pub fn dir(data_dir: &Path, area: Area) -> PathBuf {
    data_dir.join("media").join(area.as_str())
}

/// The extension of a file Zalo sent whose type caunoi does not recognize (kept for officers).
pub const UNKNOWN_EXTENSION: &str = "bin";

/// Stores `bytes` content-addressed in `area` with extension `ext` (a repeated file is stored
/// once) and returns its reference `<area>/<sha256>.<ext>`.
pub async fn store_bytes(data_dir: &Path, area: Area, bytes: &[u8], ext: &str) -> std::io::Result<String> {
    let name = format!("{}.{ext}", hex::encode(Sha256::digest(bytes)));
    let dir = dir(data_dir, area);
    tokio::fs::create_dir_all(&dir).await?;
    let path = dir.join(&name);
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        let tmp = dir.join(format!(".{name}.{}", crate::crypto::random_token()));
        tokio::fs::write(&tmp, bytes).await?;
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    }
    Ok(format!("{}/{name}", area.as_str()))
}

/// A stored reference as its file and MIME type; `None` for a reference that is not well
/// formed (module invariants).
pub fn resolve(data_dir: &Path, media_ref: &str) -> Option<(PathBuf, &'static str)> {
    let (area, name) = media_ref.split_once('/')?;
    let area = Area::parse(area)?;
    let (hash, ext) = name.split_once('.')?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mime = match FileType::from_extension(ext) {
        Some(t) => t.mime(),
        None if area == Area::Zalo && ext == UNKNOWN_EXTENSION => "application/octet-stream",
        None => return None,
    };
    Some((dir(data_dir, area).join(name), mime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognized_by_their_first_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0]), Some(FileType::Jpeg));
        assert_eq!(sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]), Some(FileType::Png));
        assert_eq!(sniff(b"GIF89a..."), Some(FileType::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(FileType::Webp));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), Some(FileType::Heic));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  "), Some(FileType::Mov));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom"), Some(FileType::Mp4));
        assert_eq!(sniff(b"%PDF-1.7...."), Some(FileType::Pdf));
        assert_eq!(sniff(b"PK\x03\x04....word/document.xml"), Some(FileType::Docx));
        assert_eq!(sniff(b"PK\x03\x04....xl/workbook.xml"), None);
        assert_eq!(sniff(b"Xin chao, day la van ban"), None);
        assert_eq!(sniff(b"<html>not an image</html>"), None);
    }

    #[test]
    fn references_cannot_leave_the_media_directory() {
        let base = Path::new("/data");
        let hash = "a".repeat(64);
        assert_eq!(resolve(base, &format!("web/{hash}.jpg")).map(|(_, m)| m), Some("image/jpeg"));
        assert_eq!(
            resolve(base, &format!("officer/{hash}.docx")).map(|(p, _)| p.starts_with("/data/media/officer")),
            Some(true)
        );
        assert_eq!(resolve(base, &format!("zalo/{hash}.bin")).map(|(_, m)| m), Some("application/octet-stream"));
        assert!(resolve(base, &format!("web/{hash}.bin")).is_none());
        assert!(resolve(base, "web/../secret.key").is_none());
        assert!(resolve(base, &format!("../{hash}.jpg")).is_none());
        assert!(resolve(base, &format!("web/{hash}.exe")).is_none());
        assert!(resolve(base, "web/abc.jpg").is_none());
        assert!(resolve(base, &format!("officer/{hash}.pdf")).is_some());
        assert!(resolve(base, &format!("zalo/{hash}.png")).is_some());
        assert!(resolve(base, "officer/../../secret.key").is_none());
        assert!(resolve(base, &format!("zalo/{hash}.exe")).is_none());
        assert!(resolve(base, "/etc/passwd").is_none());
    }

    #[tokio::test]
    async fn stored_files_are_named_by_their_content_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = store_bytes(dir.path(), Area::Officer, b"%PDF-1.7 one", "pdf").await.expect("stored");
        let b = store_bytes(dir.path(), Area::Officer, b"%PDF-1.7 one", "pdf").await.expect("stored");
        assert_eq!(a, b);
        let (path, mime) = resolve(dir.path(), &a).expect("resolves");
        assert_eq!((std::fs::read(path).ok(), mime), (Some(b"%PDF-1.7 one".to_vec()), "application/pdf"));
    }
}
