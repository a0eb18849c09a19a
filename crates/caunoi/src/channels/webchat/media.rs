//! What the web chat accepts from citizens: photos (JPEG, PNG, WebP, HEIC) up to 10 MB and
//! videos (MP4, MOV) up to 50 MB, recognized by their first bytes and checked whole
//! (`crate::media`), stored in the `web` area (served without their metadata, the originals
//! kept) and only ever served back through the chat's authorized media route. The byte quotas
//! and the free-space floor are in `service::allow_upload`.

use crate::media::FileType;

/// Largest photo (bytes).
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;
/// Largest video (bytes).
pub const MAX_VIDEO_BYTES: u64 = 50 * 1024 * 1024;

/// The largest size the chat accepts for a file type; `None` for a type it does not accept.
pub fn limit(t: FileType) -> Option<u64> {
    match t {
        FileType::Jpeg | FileType::Png | FileType::Webp | FileType::Heic => Some(MAX_IMAGE_BYTES),
        FileType::Mp4 | FileType::Mov => Some(MAX_VIDEO_BYTES),
        FileType::Gif | FileType::Pdf | FileType::Doc | FileType::Docx => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chat_takes_photos_and_videos_only() {
        assert_eq!(limit(FileType::Heic), Some(MAX_IMAGE_BYTES));
        assert_eq!(limit(FileType::Mov), Some(MAX_VIDEO_BYTES));
        assert_eq!(limit(FileType::Gif), None);
        assert_eq!(limit(FileType::Pdf), None);
    }
}
