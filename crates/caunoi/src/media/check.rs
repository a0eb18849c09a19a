//! Whether a recognized file is really what its first bytes claim, and what is served of it:
//! photos walked to their end marker and cleaned of metadata (`super::image`), videos' boxes
//! walked (`super::bmff`), documents opened (`super::office`). A file that fails is refused
//! with a [`Refusal`] that tells the sender, in Vietnamese and English, what is wrong.

use super::FileType;
use super::bmff;
use super::image::{self, Flaw};
use super::office::{self, DocumentFlaw};
use std::ops::Range;
use std::path::Path;

/// What kind of thing the sender meant to send, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Photo,
    Video,
    Document,
}

impl Subject {
    pub fn of(kind: FileType) -> Subject {
        if kind.is_image() {
            Subject::Photo
        } else if kind.is_video() {
            Subject::Video
        } else {
            Subject::Document
        }
    }
}

/// Why a file was refused after it was recognized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0:?} ends before its format says it does")]
    Truncated(Subject),
    #[error("{0:?} is not structured as its format")]
    Malformed(Subject),
    #[error("document refused: {0:?}")]
    Document(DocumentFlaw),
}

impl Refusal {
    fn from_flaw(kind: FileType, flaw: Flaw) -> Refusal {
        match flaw {
            Flaw::Truncated => Refusal::Truncated(Subject::of(kind)),
            Flaw::Malformed => Refusal::Malformed(Subject::of(kind)),
        }
    }

    /// A stable code for the JSON error.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Truncated(Subject::Photo) => "photo_truncated",
            Refusal::Malformed(Subject::Photo) => "photo_invalid",
            Refusal::Truncated(Subject::Video) => "video_truncated",
            Refusal::Malformed(Subject::Video) => "video_invalid",
            Refusal::Truncated(Subject::Document)
            | Refusal::Malformed(Subject::Document)
            | Refusal::Document(DocumentFlaw::Corrupt) => "document_invalid",
            Refusal::Document(DocumentFlaw::Macros) => "document_macros",
            Refusal::Document(DocumentFlaw::Executable) => "document_executable",
            Refusal::Document(DocumentFlaw::Nested) => "document_nested",
            Refusal::Document(DocumentFlaw::Encrypted) => "document_encrypted",
            Refusal::Document(DocumentFlaw::TooLarge) => "document_too_large",
        }
    }

    /// What the sender reads (Vietnamese, English).
    pub fn message(self) -> (&'static str, &'static str) {
        match self {
            Refusal::Truncated(Subject::Photo) => (
                "Ảnh bị lỗi hoặc chưa tải lên hết. Anh/chị hãy chọn lại ảnh rồi gửi lại.",
                "The photo is damaged or did not upload completely. Please choose it again and resend it.",
            ),
            Refusal::Malformed(Subject::Photo) => (
                "Tệp không phải là ảnh hợp lệ: không đọc được nội dung ảnh. Anh/chị hãy chụp hoặc chọn ảnh khác.",
                "The file is not a valid photo: its content cannot be read. Please take or choose another photo.",
            ),
            Refusal::Truncated(Subject::Video) => (
                "Video bị lỗi hoặc chưa tải lên hết. Anh/chị hãy chọn lại video rồi gửi lại.",
                "The video is damaged or did not upload completely. Please choose it again and resend it.",
            ),
            Refusal::Malformed(Subject::Video) => (
                "Tệp không phải là video hợp lệ: không đọc được nội dung video (MP4 hoặc MOV).",
                "The file is not a valid video: its content cannot be read (MP4 or MOV).",
            ),
            Refusal::Truncated(Subject::Document)
            | Refusal::Malformed(Subject::Document)
            | Refusal::Document(DocumentFlaw::Corrupt) => (
                "Tài liệu bị lỗi hoặc không mở được. Hãy mở và lưu lại tệp rồi gửi lại.",
                "The document is damaged or cannot be opened. Open and save it again, then resend it.",
            ),
            Refusal::Document(DocumentFlaw::Macros) => (
                "Tài liệu có chứa macro hoặc điều khiển ActiveX nên không được gửi. Hãy lưu thành tệp .docx thông thường hoặc PDF rồi gửi lại.",
                "The document contains macros or ActiveX controls and cannot be sent. Save it as a plain .docx or as PDF and resend it.",
            ),
            Refusal::Document(DocumentFlaw::Executable) => (
                "Tài liệu có chứa tệp chương trình (exe, script) nên không được gửi.",
                "The document contains a program file (exe, script) and cannot be sent.",
            ),
            Refusal::Document(DocumentFlaw::Nested) => (
                "Tài liệu có chứa tệp nén hoặc đối tượng nhúng nên không được gửi. Hãy bỏ các đối tượng đó hoặc lưu thành PDF rồi gửi lại.",
                "The document contains an archive or an embedded object and cannot be sent. Remove it, or save as PDF, and resend.",
            ),
            Refusal::Document(DocumentFlaw::Encrypted) => (
                "Tài liệu có đặt mật khẩu nên không kiểm tra được. Hãy bỏ mật khẩu rồi gửi lại.",
                "The document is password-protected and cannot be checked. Remove the password and resend it.",
            ),
            Refusal::Document(DocumentFlaw::TooLarge) => (
                "Tài liệu có quá nhiều phần hoặc quá lớn khi giải nén nên không được gửi.",
                "The document has too many parts or is too large once unpacked, and cannot be sent.",
            ),
        }
    }
}

/// Checks a file held in memory. `Ok(Some(bytes))` is what to serve instead of the file (its
/// metadata removed); `Ok(None)` means the file is served as it is.
pub fn check_bytes(kind: FileType, bytes: &[u8]) -> Result<Option<Vec<u8>>, Refusal> {
    let document = |r: Result<(), DocumentFlaw>| r.map(|()| None).map_err(Refusal::Document);
    match kind {
        k if k.is_image() => image::clean(k, bytes).map(|c| c.bytes).map_err(|f| Refusal::from_flaw(k, f)),
        FileType::Mp4 | FileType::Mov => {
            let found = bmff::check_video(&mut std::io::Cursor::new(bytes), bytes.len() as u64)
                .map_err(|f| Refusal::from_flaw(kind, f))?;
            if found.metadata.is_empty() {
                return Ok(None);
            }
            let mut out = std::io::Cursor::new(bytes.to_vec());
            bmff::blank_boxes(&mut out, &found.metadata).map_err(|_| Refusal::Malformed(Subject::Video))?;
            Ok(Some(out.into_inner()))
        }
        FileType::Pdf => document(office::check_pdf(bytes)),
        FileType::Doc => document(office::check_doc(bytes)),
        FileType::Docx => document(office::check_docx(bytes)),
        _ => Err(Refusal::Malformed(Subject::of(kind))),
    }
}

/// What to serve of a file checked on disk.
#[derive(Debug)]
pub enum Served {
    /// The file itself.
    AsIs,
    /// These bytes instead (a photo or document without its metadata).
    Bytes(Vec<u8>),
    /// A copy of the file with these boxes blanked (a video, `bmff::blank_boxes`).
    Blanked(Vec<Range<u64>>),
}

/// Checks a file on disk: a video is walked box by box without reading its media data; any
/// other type (at most a few MB) is read and checked in memory.
pub async fn check_file(kind: FileType, path: &Path) -> Result<Served, Refusal> {
    if kind.is_video() {
        let path = path.to_path_buf();
        let walked = tokio::task::spawn_blocking(move || {
            let mut f = std::fs::File::open(&path).map_err(|_| Flaw::Truncated)?;
            let len = f.metadata().map_err(|_| Flaw::Truncated)?.len();
            bmff::check_video(&mut f, len)
        })
        .await
        .unwrap_or(Err(Flaw::Malformed))
        .map_err(|f| Refusal::from_flaw(kind, f))?;
        return Ok(if walked.metadata.is_empty() { Served::AsIs } else { Served::Blanked(walked.metadata) });
    }
    let bytes = tokio::fs::read(path).await.map_err(|_| Refusal::Truncated(Subject::of(kind)))?;
    let checked = tokio::task::spawn_blocking(move || check_bytes(kind, &bytes))
        .await
        .unwrap_or(Err(Refusal::Malformed(Subject::of(kind))))?;
    Ok(checked.map_or(Served::AsIs, Served::Bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_message_in_both_languages() {
        let all = [
            Refusal::Truncated(Subject::Photo),
            Refusal::Malformed(Subject::Photo),
            Refusal::Truncated(Subject::Video),
            Refusal::Malformed(Subject::Video),
            Refusal::Truncated(Subject::Document),
            Refusal::Document(DocumentFlaw::Macros),
            Refusal::Document(DocumentFlaw::Executable),
            Refusal::Document(DocumentFlaw::Nested),
            Refusal::Document(DocumentFlaw::Encrypted),
            Refusal::Document(DocumentFlaw::TooLarge),
        ];
        for r in all {
            let (vi, en) = r.message();
            assert!(!vi.is_empty() && !en.is_empty() && vi != en, "{r:?}");
        }
    }

    /// Every walker meets damaged copies of valid files (bytes changed, cut anywhere) and
    /// answers each with a result, never a panic or a hang.
    #[test]
    fn damaged_files_never_panic_a_walker() {
        use super::super::{bmff, image, office};
        let mut exif = b"\0\0\0\x06Exif\0\0".to_vec();
        exif.extend(super::super::exif::tests::tiff_with_gps(6));
        let samples = [
            (FileType::Jpeg, image::tests::jpeg(Some(&super::super::exif::tests::tiff_with_gps(6)), b"c")),
            (FileType::Png, image::tests::png_with(&[(b"eXIf", b"MM\0*"), (b"tEXt", b"a\0b")])),
            (FileType::Heic, bmff::tests::heic(&exif, b"<x:xmpmeta/>")),
            (FileType::Mp4, bmff::tests::mp4(&[1; 64])),
            (FileType::Docx, office::tests::docx()),
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (kind, sample) in &samples {
            for round in 0..1500 {
                let mut damaged = sample.clone();
                for _ in 0..1 + round % 4 {
                    let at = (next() as usize) % damaged.len();
                    damaged[at] = next() as u8;
                }
                if round % 3 == 0 {
                    damaged.truncate((next() as usize) % damaged.len());
                }
                let _ = check_bytes(*kind, &damaged);
            }
        }
    }

    #[test]
    fn the_probes_files_are_refused() {
        let r = check_bytes(FileType::Jpeg, &[0xFF, 0xD8, 0xFF]);
        assert_eq!(r, Err(Refusal::Truncated(Subject::Photo)));
        let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        heic.extend_from_slice(b"junk junk junk junk junk junk");
        assert!(check_bytes(FileType::Heic, &heic).is_err());
        let mut docx = super::super::office::tests::docx().to_vec();
        assert_eq!(check_bytes(FileType::Docx, &docx), Ok(None));
        docx.truncate(docx.len() / 2);
        assert_eq!(check_bytes(FileType::Docx, &docx), Err(Refusal::Document(DocumentFlaw::Corrupt)));
    }
}
