//! Attachments officers send from the inbox (ảnh, tệp đính kèm): photos (JPEG/PNG, at most 1 MB,
//! Zalo's upload limit) and documents (PDF/DOC/DOCX, at most 5 MB), recognized by their first
//! bytes (`crate::media`) — the declared type and file name are ignored — and stored in the
//! `officer` media area.

use crate::media::{Area, FileType, sniff};
use std::path::Path;

/// Largest photo an officer may send (bytes): Zalo's `upload/image` limit (zalo-oa.md §6).
pub const MAX_IMAGE_BYTES: usize = 1024 * 1024;
/// Largest document an officer may send (bytes): Zalo's `upload/file` limit.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Longest file name kept (characters, without the extension).
const MAX_NAME_CHARS: usize = 80;

/// Whether officers may send a file type.
pub fn accepted(t: FileType) -> bool {
    matches!(t, FileType::Jpeg | FileType::Png | FileType::Pdf | FileType::Doc | FileType::Docx)
}

/// The largest size of an accepted type.
pub fn max_bytes(t: FileType) -> usize {
    if t.is_image() { MAX_IMAGE_BYTES } else { MAX_FILE_BYTES }
}

/// An attachment checked at the boundary: its type is known from its content and its size is
/// within its kind's limit.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub kind: FileType,
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
        let kind = sniff(&bytes).filter(|t| accepted(*t)).ok_or(AttachmentError::NotAccepted)?;
        if bytes.len() > max_bytes(kind) {
            return Err(if kind.is_image() { AttachmentError::ImageTooLarge } else { AttachmentError::FileTooLarge });
        }
        Ok(Attachment { kind, name: clean_name(file_name, kind), bytes })
    }
}

/// The uploaded name without directories, control characters or its own extension, with the
/// extension of the recognized type.
fn clean_name(raw: &str, kind: FileType) -> String {
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

/// Writes an attachment (content-addressed, so a repeated photo is stored once); returns its
/// reference `officer/<sha256>.<ext>`.
pub async fn store(data_dir: &Path, a: &Attachment) -> std::io::Result<String> {
    crate::media::store_bytes(data_dir, Area::Officer, &a.bytes, a.kind.extension()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_recognized_by_content_not_by_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileType::Jpeg));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(FileType::Pdf));
        assert_eq!(sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]), Some(FileType::Doc));
        assert_eq!(sniff(b"PK\x03\x04....[Content_Types].xml....word/document.xml"), Some(FileType::Docx));
        assert_eq!(sniff(b"PK\x03\x04....payload.exe"), None);
        assert_eq!(sniff(b"MZ\x90\0 not a photo"), None);
        assert_eq!(Attachment::parse("x.jpg", b"<html>".to_vec()).err(), Some(AttachmentError::NotAccepted));
        assert_eq!(Attachment::parse("x.gif", b"GIF89a....".to_vec()).err(), Some(AttachmentError::NotAccepted));
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
}
