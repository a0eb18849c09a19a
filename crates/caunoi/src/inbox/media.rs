//! Attachments officers send from the inbox (ảnh, tệp đính kèm): photos (JPEG/PNG, at most 1 MB,
//! Zalo's upload limit) and documents (PDF/DOC/DOCX, at most 5 MB), recognized by their first
//! bytes (`crate::media`) — the declared type and file name are ignored — then checked whole
//! (`media::check`: a photo walked to its end, a document opened, no macros or programs inside)
//! and stored in the `officer` media area. What the citizen receives (on Zalo or in the web
//! chat) is the served copy: a photo without its EXIF, GPS or other metadata.

use crate::config::Config;
use crate::media::check::{Refusal, check_bytes};
use crate::media::{Area, FileType, sniff};

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
    #[error("refused after its check: {0}")]
    Refused(Refusal),
    #[error("the media disk is at its free-space floor")]
    StorageFull,
    #[error("the attachment could not be written")]
    NotSaved,
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
            AttachmentError::Refused(r) => r.message(),
            AttachmentError::StorageFull => (
                "Bộ nhớ của hệ thống sắp đầy nên tạm thời không nhận tệp đính kèm. Hãy báo quản trị viên; tin nhắn chưa được gửi.",
                "The system's storage is nearly full, so attachments are refused for now. Tell the administrator; nothing was sent.",
            ),
            AttachmentError::NotSaved => {
                ("Không lưu được tệp. Vui lòng thử lại.", "The file could not be saved. Please try again.")
            }
        }
    }
}

impl Attachment {
    /// Checks an upload: recognized by content, within its kind's limit, and whole (its
    /// format's structure walked, a document opened).
    pub fn parse(file_name: &str, bytes: Vec<u8>) -> Result<Attachment, AttachmentError> {
        let kind = sniff(&bytes).filter(|t| accepted(*t)).ok_or(AttachmentError::NotAccepted)?;
        if bytes.len() > max_bytes(kind) {
            return Err(if kind.is_image() { AttachmentError::ImageTooLarge } else { AttachmentError::FileTooLarge });
        }
        check_bytes(kind, &bytes).map_err(AttachmentError::Refused)?;
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

/// Writes an attachment (content-addressed, so a repeated photo is stored once; a photo's
/// served copy without its metadata, its original kept) unless the media disk is at its
/// free-space floor; returns its reference `officer/<sha256>.<ext>`.
pub async fn store(config: &Config, a: &Attachment) -> Result<String, AttachmentError> {
    if !crate::media::space::has_room(&config.data_dir, a.bytes.len() as u64, config.media_free_floor).await {
        return Err(AttachmentError::StorageFull);
    }
    crate::media::store_bytes(&config.media_store, Area::Officer, &a.bytes, a.kind.extension()).await.map_err(|e| {
        tracing::warn!(error = %e, "cannot store an officer's attachment");
        AttachmentError::NotSaved
    })
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
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.resize(MAX_IMAGE_BYTES + 1, b' ');
        pdf.extend_from_slice(b"\n%%EOF\n");
        assert!(Attachment::parse("a.pdf", pdf).is_ok());
    }

    #[test]
    fn names_are_cleaned_and_take_the_type_extension() {
        let a = Attachment::parse("C:\\Users\\x\\Mẫu CT01.exe", b"%PDF-1.4\n%%EOF".to_vec()).ok().map(|a| a.name);
        assert_eq!(a.as_deref(), Some("Mẫu CT01.pdf"));
        let b = Attachment::parse("", crate::media::image::tests::jpeg(None, b"")).ok().map(|a| a.name);
        assert_eq!(b.as_deref(), Some("anh.jpg"));
    }

    #[test]
    fn broken_or_dangerous_attachments_are_refused() {
        use crate::media::check::Subject;
        use crate::media::office::DocumentFlaw;
        assert_eq!(
            Attachment::parse("a.jpg", vec![0xFF, 0xD8, 0xFF]).err(),
            Some(AttachmentError::Refused(Refusal::Truncated(Subject::Photo)))
        );
        assert_eq!(
            Attachment::parse("a.pdf", b"%PDF-1.4 cut short".to_vec()).err(),
            Some(AttachmentError::Refused(Refusal::Document(DocumentFlaw::Corrupt)))
        );
        let office = crate::media::office::tests::CONTENT_TYPES;
        let evil = crate::media::office::tests::docx_with(&[
            ("[Content_Types].xml", office),
            ("word/document.xml", b"<w:document/>"),
            ("word/evil.exe", b"MZ\x90\0"),
        ]);
        let refused = Attachment::parse("bien-ban.docx", evil).err();
        assert_eq!(refused, Some(AttachmentError::Refused(Refusal::Document(DocumentFlaw::Executable))));
        assert!(refused.map(|e| e.message().0).is_some_and(|m| m.contains("tệp chương trình")));
    }
}
