//! Attachments officers send from the inbox (ảnh, tệp đính kèm): photos (JPEG/PNG, at most 1 MB,
//! Zalo's upload limit) and documents (PDF/DOC/DOCX, at most 5 MB), recognized by their first
//! bytes — the declared type and file name are ignored — and stored under
//! `<data_dir>/media/officer/`, named by the SHA-256 of the content.
//!
//! Also the one place that turns any stored media reference (`web/…`, `zalo/…`, `officer/…`)
//! into a file and its type, for the routes that serve media to officers and chat sessions.
//! A reference that is not well formed never leaves the media directory.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Largest photo an officer may send (bytes): Zalo's `upload/image` limit (zalo-oa.md §6).
pub const MAX_IMAGE_BYTES: usize = 1024 * 1024;
/// Largest document an officer may send (bytes): Zalo's `upload/file` limit.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Longest file name kept (characters, without the extension).
const MAX_NAME_CHARS: usize = 80;

/// A file type an officer may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentType {
    Jpeg,
    Png,
    Pdf,
    Doc,
    Docx,
}

impl AttachmentType {
    pub fn is_image(self) -> bool {
        matches!(self, AttachmentType::Jpeg | AttachmentType::Png)
    }

    /// The stored `messages.kind`.
    pub fn message_kind(self) -> &'static str {
        if self.is_image() { "image" } else { "file" }
    }

    pub fn max_bytes(self) -> usize {
        if self.is_image() { MAX_IMAGE_BYTES } else { MAX_FILE_BYTES }
    }

    pub fn extension(self) -> &'static str {
        match self {
            AttachmentType::Jpeg => "jpg",
            AttachmentType::Png => "png",
            AttachmentType::Pdf => "pdf",
            AttachmentType::Doc => "doc",
            AttachmentType::Docx => "docx",
        }
    }

    pub fn from_extension(ext: &str) -> Option<AttachmentType> {
        [AttachmentType::Jpeg, AttachmentType::Png, AttachmentType::Pdf, AttachmentType::Doc, AttachmentType::Docx]
            .into_iter()
            .find(|t| t.extension() == ext)
    }

    pub fn mime(self) -> &'static str {
        match self {
            AttachmentType::Jpeg => "image/jpeg",
            AttachmentType::Png => "image/png",
            AttachmentType::Pdf => "application/pdf",
            AttachmentType::Doc => "application/msword",
            AttachmentType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }
}

/// Recognizes an accepted photo or document from its content. A DOCX is a ZIP archive whose
/// entry names (stored uncompressed) include `word/`; any other ZIP is refused.
pub fn sniff(bytes: &[u8]) -> Option<AttachmentType> {
    const OLE2: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(AttachmentType::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(AttachmentType::Png)
    } else if bytes.starts_with(b"%PDF-") {
        Some(AttachmentType::Pdf)
    } else if bytes.starts_with(&OLE2) {
        Some(AttachmentType::Doc)
    } else if bytes.starts_with(b"PK\x03\x04") && bytes.windows(5).any(|w| w == b"word/") {
        Some(AttachmentType::Docx)
    } else {
        None
    }
}

/// An attachment checked at the boundary: its type is known from its content and its size is
/// within its kind's limit.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub kind: AttachmentType,
    /// The name the citizen sees: the uploaded name, cleaned, with the extension of the type.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why an attachment was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("not an accepted photo or document (magic bytes)")]
    NotAccepted,
    #[error("the photo is larger than {MAX_IMAGE_BYTES} bytes")]
    ImageTooLarge,
    #[error("the document is larger than {MAX_FILE_BYTES} bytes")]
    FileTooLarge,
}

impl AttachmentError {
    /// What the officer reads (Vietnamese, English).
    pub fn message(self) -> (&'static str, &'static str) {
        match self {
            AttachmentError::NotAccepted => (
                "Tệp không đúng định dạng.",
                "The file type is not accepted (JPEG or PNG photos; PDF, DOC or DOCX documents).",
            ),
            AttachmentError::ImageTooLarge => (
                "Ảnh quá lớn: tối đa 1 MB (giới hạn của Zalo). Hãy thu nhỏ ảnh rồi gửi lại.",
                "The photo is too large: at most 1 MB (Zalo's limit). Resize it and send again.",
            ),
            AttachmentError::FileTooLarge => ("Tệp quá lớn: tối đa 5 MB.", "The file is too large: at most 5 MB."),
        }
    }
}

impl Attachment {
    /// Checks an upload: recognized by content, within its kind's limit.
    pub fn parse(file_name: &str, bytes: Vec<u8>) -> Result<Attachment, AttachmentError> {
        let kind = sniff(&bytes).ok_or(AttachmentError::NotAccepted)?;
        if bytes.len() > kind.max_bytes() {
            return Err(if kind.is_image() { AttachmentError::ImageTooLarge } else { AttachmentError::FileTooLarge });
        }
        Ok(Attachment { kind, name: clean_name(file_name, kind), bytes })
    }
}

/// The uploaded name without directories, control characters or its own extension, with the
/// extension of the recognized type.
fn clean_name(raw: &str, kind: AttachmentType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = match base.rsplit_once('.') {
        Some((stem, _)) => stem,
        None => base,
    };
    let stem: String = stem.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    let stem = stem.trim();
    let stem = if stem.is_empty() { if kind.is_image() { "anh" } else { "tep-dinh-kem" } } else { stem };
    format!("{stem}.{}", kind.extension())
}

/// The directory of officers' attachments.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("media").join("officer")
}

/// Writes an attachment (content-addressed, so a repeated photo is stored once); returns its
/// reference `officer/<sha256>.<ext>`.
pub async fn store(data_dir: &Path, a: &Attachment) -> std::io::Result<String> {
    let name = format!("{}.{}", hex::encode(Sha256::digest(&a.bytes)), a.kind.extension());
    let dir = dir(data_dir);
    tokio::fs::create_dir_all(&dir).await?;
    let path = dir.join(&name);
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        let tmp = dir.join(format!(".{name}.{}", crate::crypto::random_token()));
        tokio::fs::write(&tmp, &a.bytes).await?;
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    }
    Ok(format!("officer/{name}"))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The file of an officer's attachment (`officer/<sha256>.<ext>`), with its type.
pub fn path_of(data_dir: &Path, media_ref: &str) -> Option<(PathBuf, AttachmentType)> {
    let name = media_ref.strip_prefix("officer/")?;
    let (hash, ext) = name.split_once('.')?;
    if !is_sha256_hex(hash) {
        return None;
    }
    Some((dir(data_dir).join(name), AttachmentType::from_extension(ext)?))
}

/// Any stored media reference — web chat uploads, Zalo downloads, officers' attachments — as
/// its file and MIME type. `None` for a reference that is not well formed.
pub fn resolve(data_dir: &Path, media_ref: &str) -> Option<(PathBuf, &'static str)> {
    if let Some((path, kind)) = path_of(data_dir, media_ref) {
        return Some((path, kind.mime()));
    }
    if let Some((path, kind)) = crate::channels::webchat::media::path_of(data_dir, media_ref) {
        return Some((path, kind.mime()));
    }
    crate::channels::zalo::media::path_of(data_dir, media_ref)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_recognized_by_content_not_by_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(AttachmentType::Jpeg));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(AttachmentType::Pdf));
        assert_eq!(sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]), Some(AttachmentType::Doc));
        assert_eq!(sniff(b"PK\x03\x04....[Content_Types].xml....word/document.xml"), Some(AttachmentType::Docx));
        assert_eq!(sniff(b"PK\x03\x04....payload.exe"), None);
        assert_eq!(sniff(b"MZ\x90\0 not a photo"), None);
        assert_eq!(Attachment::parse("x.jpg", b"<html>".to_vec()).err(), Some(AttachmentError::NotAccepted));
    }

    #[test]
    fn each_kind_has_its_size_limit() {
        let mut photo = vec![0xFF, 0xD8, 0xFF];
        photo.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(Attachment::parse("a.jpg", photo).err(), Some(AttachmentError::ImageTooLarge));
        let mut pdf = b"%PDF-1.7".to_vec();
        pdf.resize(MAX_IMAGE_BYTES + 1, 0);
        assert!(Attachment::parse("a.pdf", pdf).is_ok());
    }

    #[test]
    fn names_are_cleaned_and_take_the_type_extension() {
        let a = Attachment::parse("C:\\Users\\x\\Mẫu CT01.exe", b"%PDF-1.4".to_vec()).ok().map(|a| a.name);
        assert_eq!(a.as_deref(), Some("Mẫu CT01.pdf"));
        let b = Attachment::parse("", vec![0xFF, 0xD8, 0xFF]).ok().map(|a| a.name);
        assert_eq!(b.as_deref(), Some("anh.jpg"));
    }

    #[test]
    fn references_cannot_leave_the_media_directory() {
        let base = Path::new("/data");
        let hash = "a".repeat(64);
        assert!(resolve(base, &format!("officer/{hash}.pdf")).is_some());
        assert!(resolve(base, &format!("web/{hash}.jpg")).is_some());
        assert!(resolve(base, &format!("zalo/{hash}.png")).is_some());
        assert!(resolve(base, "officer/../../secret.key").is_none());
        assert!(resolve(base, &format!("zalo/{hash}.exe")).is_none());
        assert!(resolve(base, "/etc/passwd").is_none());
    }
}
