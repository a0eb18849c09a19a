//! Media (ảnh, video, tệp): the files citizens and officers exchange, in one place for every
//! feature that holds them (the web chat's uploads, Zalo's downloads, officers' attachments,
//! the reports' evidence). A file's type is recognized from its first bytes ([`sniff`]),
//! never from its declared type or name, and then checked whole ([`check`]: photos walked to
//! their end marker, videos' boxes, documents opened); each caller decides which types it
//! accepts and up to what size.
//!
//! Files are kept in a [`MediaStore`] (`store`: `<data_dir>/media/` by default, or an
//! S3-compatible bucket that several instances share) and known by a reference
//! `<area>/<sha256>.<ext>` (`web/…`, `zalo/…`, `officer/…`, and `cases/…` for reports' evidence,
//! copied there so that the retention of conversations' media never reaches it), where the
//! hash is the SHA-256 of the bytes as received — the evidence. What is served (to officers' views, back to the citizen, forwarded to Zalo) is
//! `media/<area>/<sha256>.<ext>`: for a photo, the same photo without its metadata (EXIF with
//! GPS, XMP, IPTC, comments; see `image`, `jpeg`, `bmff`), for a video the same video with its
//! metadata boxes blanked. When that differs from what was received, the original is kept in
//! `media/originals/<area>/<sha256>.<ext>`, which no route serves ([`original`] finds it for an
//! audited export; [`verify_original`] checks it against its hash). [`resolve`] turns a reference
//! into the served file on the local disk, and `MediaStore::serve` streams it with byte ranges
//! (from the disk or the bucket) to someone the caller has already allowed to see it.
//!
//! Invariants: a reference that is not exactly `<area>/<64 hex digits>.<known extension>`
//! resolves to nothing, so no reference can leave the media directory or reach an original; a
//! file is written under a temporary name and renamed into place (a bucket's upload completes
//! at once), so a crash never leaves half a file under a real name; an original is in place
//! before its served copy.

pub mod bmff;
pub mod check;
mod exif;
pub mod gps;
pub mod image;
mod jpeg;
pub mod office;
pub mod serve;
pub mod space;
pub mod store;
pub mod upload;

pub use store::{MediaStore, S3Settings};

/// A photo that passed its format's walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub width: u32,
    pub height: u32,
    /// The file without its metadata; `None` when there was nothing to remove.
    pub bytes: Option<Vec<u8>>,
    /// The EXIF Orientation kept (JPEG), when it was not "upright" (1).
    pub orientation: Option<u16>,
}

/// What is wrong with a file that claims a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// It ends before its format says it does.
    Truncated,
    /// Its structure is not its format's.
    Malformed,
}

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
    /// Reports' evidence: a copy of every file attached to a case, so the retention of
    /// conversations' media (which looks only at `web/` and `zalo/`) never removes it.
    Cases,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Web => "web",
            Area::Zalo => "zalo",
            Area::Officer => "officer",
            Area::Cases => "cases",
        }
    }

    fn parse(raw: &str) -> Option<Area> {
        [Area::Web, Area::Zalo, Area::Officer, Area::Cases].into_iter().find(|a| a.as_str() == raw)
    }
}

/// The directory of an area's files.
pub fn dir(data_dir: &Path, area: Area) -> PathBuf {
    data_dir.join("media").join(area.as_str())
}

/// The extension of a file Zalo sent whose type caunoi does not recognize (kept for officers).
pub const UNKNOWN_EXTENSION: &str = "bin";

/// The directory of an area's originals (never served).
pub fn originals_dir(data_dir: &Path, area: Area) -> PathBuf {
    data_dir.join("media").join("originals").join(area.as_str())
}

/// Stores `bytes` received in `area` with extension `ext` and returns its reference
/// `<area>/<sha256>.<ext>` (a repeated file is stored once). A photo (by its extension) is
/// checked and served without its metadata, its original kept; a photo that does not pass its
/// format's walk is not stored (`InvalidData`, with the [`check::Refusal`]). Other types are
/// stored as received: the caller checks them first with [`check::check_bytes`] when it takes
/// them from someone.
pub async fn store_bytes(store: &MediaStore, area: Area, bytes: &[u8], ext: &str) -> std::io::Result<String> {
    let served = match FileType::from_extension(ext).filter(|t| t.is_image()) {
        Some(kind) => {
            let bytes = bytes.to_vec();
            tokio::task::spawn_blocking(move || check::check_bytes(kind, &bytes))
                .await
                .map_err(std::io::Error::other)?
                .map_err(|r| std::io::Error::new(std::io::ErrorKind::InvalidData, r))?
        }
        None => None,
    };
    store_checked(store, area, bytes, served.as_deref(), ext).await
}

/// Stores a file already checked: `original` as received and, when it differs, `served` (what
/// [`check::check_bytes`] returned). Returns the reference.
pub async fn store_checked(
    store: &MediaStore,
    area: Area,
    original: &[u8],
    served: Option<&[u8]>,
    ext: &str,
) -> std::io::Result<String> {
    let name = format!("{}.{ext}", hex::encode(Sha256::digest(original)));
    match served {
        Some(served) => {
            store.put_once(&original_key(area, &name), original).await?;
            store.put_once(&served_key(area, &name), served).await?;
        }
        None => store.put_once(&served_key(area, &name), original).await?,
    }
    Ok(format!("{}/{name}", area.as_str()))
}

/// The key of an area's served file `name` in a [`MediaStore`].
pub fn served_key(area: Area, name: &str) -> String {
    format!("{}/{name}", area.as_str())
}

/// The key of an area's kept original `name` in a [`MediaStore`] (never served).
pub fn original_key(area: Area, name: &str) -> String {
    format!("originals/{}/{name}", area.as_str())
}

/// Writes `dir/name` unless it exists, through a temporary file renamed into place.
async fn write_once(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let path = dir.join(name);
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(());
    }
    let tmp = dir.join(format!(".{name}.{}", crate::crypto::random_token()));
    tokio::fs::write(&tmp, bytes).await?;
    if let Err(e) = tokio::fs::rename(&tmp, &path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    Ok(())
}

/// The bytes as received of a stored reference: its kept original, or the served file when
/// nothing was removed from it. For an audited export of evidence only; never served.
pub fn original(data_dir: &Path, media_ref: &str) -> Option<PathBuf> {
    let (served, _) = resolve(data_dir, media_ref)?;
    let (area, name) = media_ref.split_once('/')?;
    let kept = originals_dir(data_dir, Area::parse(area)?).join(name);
    Some(if kept.exists() { kept } else { served })
}

/// Whether the original of a reference is on disk and its SHA-256 is the one the reference names.
pub async fn verify_original(data_dir: &Path, media_ref: &str) -> std::io::Result<bool> {
    MediaStore::local(data_dir).verify_original(media_ref).await
}

impl MediaStore {
    /// The bytes as received of a stored reference: its kept original, or the served file when
    /// nothing was removed from it; `None` when neither is stored. For an audited export of
    /// evidence and hash checks only; never served.
    pub async fn original_bytes(&self, media_ref: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some((area, name, _)) = parse_ref(media_ref) else { return Ok(None) };
        match self.read(&original_key(area, name)).await? {
            Some(bytes) => Ok(Some(bytes)),
            None => self.read(&served_key(area, name)).await,
        }
    }

    /// Whether the original of a reference is stored and its SHA-256 is the one the reference
    /// names.
    pub async fn verify_original(&self, media_ref: &str) -> std::io::Result<bool> {
        let Some(bytes) = self.original_bytes(media_ref).await? else { return Ok(false) };
        let hash = hex::encode(Sha256::digest(&bytes));
        Ok(media_ref.split_once('/').is_some_and(|(_, name)| name.starts_with(&hash)))
    }

    /// The size of a reference's served file; `None` when it is not stored.
    pub async fn served_size(&self, media_ref: &str) -> std::io::Result<Option<u64>> {
        let Some((area, name, _)) = parse_ref(media_ref) else { return Ok(None) };
        self.size(&served_key(area, name)).await
    }

    /// Keeps a stored file as a case's evidence: its original and served copy copied into
    /// [`Area::Cases`] (a hard link on the local disk, a server-side copy in a bucket), where
    /// the retention of conversations' media never looks. Returns the evidence's reference
    /// `cases/<sha256>.<ext>` (the same hash: the original's); a reference already in the
    /// area is returned as it is. `NotFound` when the file is not stored.
    pub async fn keep_as_evidence(&self, media_ref: &str) -> std::io::Result<String> {
        let Some((area, name, _)) = parse_ref(media_ref) else {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a media reference"));
        };
        if area == Area::Cases {
            return Ok(media_ref.to_owned());
        }
        // The original first, as when a file is stored: a served copy never stands alone.
        self.copy_once(&original_key(area, name), &original_key(Area::Cases, name)).await?;
        if !self.copy_once(&served_key(area, name), &served_key(Area::Cases, name)).await? {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "the media file is not stored"));
        }
        Ok(served_key(Area::Cases, name))
    }

    /// Moves a reference's files aside (see [`SetAside`]); a reference without files moves
    /// nothing.
    pub async fn set_aside(&self, media_ref: &str) -> std::io::Result<SetAside> {
        let mut aside = SetAside { store: self.clone(), moved: Vec::new() };
        let Some((area, name, _)) = parse_ref(media_ref) else { return Ok(aside) };
        for home in [original_key(area, name), served_key(area, name)] {
            let away = match home.rsplit_once('/') {
                Some((dir, _)) => format!("{dir}/.expired-{name}.{}", crate::crypto::random_token()),
                None => continue,
            };
            match self.rename(&home, &away).await {
                Ok(true) => aside.moved.push((away, home)),
                Ok(false) => {}
                Err(e) => {
                    aside.restore().await?;
                    return Err(e);
                }
            }
        }
        Ok(aside)
    }
}

/// A stored reference's files (served copy and original) moved aside under temporary names:
/// [`SetAside::delete`] removes them for good, [`SetAside::restore`] puts them back. Lets a
/// caller that removes media check, between the two, that nothing took the reference again.
#[derive(Debug)]
pub struct SetAside {
    store: MediaStore,
    /// (the key the file is under now, the key it was under)
    moved: Vec<(String, String)>,
}

/// Moves a reference's files on the local disk aside (see [`MediaStore::set_aside`]).
pub async fn set_aside(data_dir: &Path, media_ref: &str) -> std::io::Result<SetAside> {
    MediaStore::local(data_dir).set_aside(media_ref).await
}

impl SetAside {
    /// Removes the files for good.
    pub async fn delete(self) -> std::io::Result<()> {
        for (away, _) in &self.moved {
            self.store.delete(away).await?;
        }
        Ok(())
    }

    /// Puts the files back (a file written again meanwhile has the same content).
    pub async fn restore(self) -> std::io::Result<()> {
        for (away, home) in &self.moved {
            self.store.rename(away, home).await?;
        }
        Ok(())
    }
}

/// The marker of a finished [`strip_stored`] pass.
const STRIPPED_MARKER: &str = ".metadata-stripped-v1";

/// Photos stored before metadata was stripped (served as received) get a stripped served copy
/// and their original kept, once per data directory (a marker file records the finished pass).
/// A photo whose content is no longer its name's hash is already a served copy, and is left.
pub async fn strip_stored(data_dir: &Path) -> std::io::Result<usize> {
    let marker = data_dir.join("media").join(STRIPPED_MARKER);
    if tokio::fs::try_exists(&marker).await.unwrap_or(false) {
        return Ok(0);
    }
    let mut stripped = 0;
    for area in [Area::Web, Area::Zalo, Area::Officer] {
        let served_dir = dir(data_dir, area);
        let Ok(mut entries) = tokio::fs::read_dir(&served_dir).await else { continue };
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some((hash, ext)) = name.split_once('.') else { continue };
            let Some(kind) = FileType::from_extension(ext).filter(|t| t.is_image()) else { continue };
            if hash.len() != 64 || originals_dir(data_dir, area).join(&name).exists() {
                continue;
            }
            let bytes = tokio::fs::read(entry.path()).await?;
            if hex::encode(Sha256::digest(&bytes)) != hash {
                continue;
            }
            let checked = tokio::task::spawn_blocking(move || (check::check_bytes(kind, &bytes), bytes))
                .await
                .map_err(std::io::Error::other)?;
            match checked {
                (Ok(Some(clean)), original) => {
                    write_once(&originals_dir(data_dir, area), &name, &original).await?;
                    let tmp = served_dir.join(format!(".{name}.{}", crate::crypto::random_token()));
                    tokio::fs::write(&tmp, &clean).await?;
                    tokio::fs::rename(&tmp, entry.path()).await?;
                    stripped += 1;
                }
                (Ok(None), _) => {}
                (Err(r), _) => tracing::warn!(file = %name, refusal = %r, "a stored photo could not be cleaned"),
            }
        }
    }
    tokio::fs::create_dir_all(data_dir.join("media")).await?;
    tokio::fs::write(&marker, b"").await?;
    Ok(stripped)
}

/// A stored reference as its file and MIME type; `None` for a reference that is not well
/// formed (module invariants).
pub fn resolve(data_dir: &Path, media_ref: &str) -> Option<(PathBuf, &'static str)> {
    let (area, name, mime) = parse_ref(media_ref)?;
    Some((dir(data_dir, area).join(name), mime))
}

/// A well-formed reference's area, file name and MIME type (module invariants).
pub fn parse_ref(media_ref: &str) -> Option<(Area, &str, &'static str)> {
    let (area, name) = media_ref.split_once('/')?;
    let area = Area::parse(area)?;
    let (hash, ext) = name.split_once('.')?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mime = match FileType::from_extension(ext) {
        Some(t) => t.mime(),
        // A Zalo file of a type caunoi does not recognize, and its copy as a case's evidence.
        None if matches!(area, Area::Zalo | Area::Cases) && ext == UNKNOWN_EXTENSION => "application/octet-stream",
        None => return None,
    };
    Some((area, name, mime))
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
    async fn photos_stored_before_stripping_are_cleaned_once_and_their_original_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let photo = image::tests::jpeg(Some(&exif::tests::tiff_with_gps(1)), b"old comment");
        let name = format!("{}.jpg", hex::encode(Sha256::digest(&photo)));
        let legacy = dir.path().join("media/zalo").join(&name);
        std::fs::create_dir_all(legacy.parent().expect("dir")).expect("dir");
        std::fs::write(&legacy, &photo).expect("legacy file");
        assert_eq!(strip_stored(dir.path()).await.expect("pass"), 1);
        let served = std::fs::read(&legacy).expect("served");
        assert!(!served.windows(4).any(|w| w == b"GPS!") && !served.windows(4).any(|w| w == b"Exif"));
        let media_ref = format!("zalo/{name}");
        assert_eq!(original(dir.path(), &media_ref).map(std::fs::read).and_then(Result::ok), Some(photo));
        assert!(verify_original(dir.path(), &media_ref).await.expect("verify"));
        assert_eq!(strip_stored(dir.path()).await.expect("pass"), 0, "once");
    }

    #[tokio::test]
    async fn a_broken_photo_is_not_stored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let e = store_bytes(&MediaStore::local(dir.path()), Area::Zalo, &[0xFF, 0xD8, 0xFF, 0xE1, 0, 40], "jpg")
            .await
            .expect_err("refused");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(
            !dir.path().join("media/zalo").exists()
                || std::fs::read_dir(dir.path().join("media/zalo")).expect("dir").count() == 0
        );
    }

    #[tokio::test]
    async fn evidence_is_a_copy_in_its_own_area_that_outlives_the_conversations_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = MediaStore::local(dir.path());
        let photo = image::tests::jpeg(Some(&exif::tests::tiff_with_gps(1)), b"note");
        let media_ref = store_bytes(&store, Area::Web, &photo, "jpg").await.expect("stored");
        let evidence = store.keep_as_evidence(&media_ref).await.expect("kept");
        assert_eq!(evidence, media_ref.replacen("web/", "cases/", 1));
        assert_eq!(store.keep_as_evidence(&evidence).await.expect("already evidence"), evidence);
        store.set_aside(&media_ref).await.expect("aside").delete().await.expect("deleted");
        assert!(resolve(dir.path(), &media_ref).is_some_and(|(p, _)| !p.exists()), "the chat's copy is gone");
        assert_eq!(store.original_bytes(&evidence).await.expect("read"), Some(photo));
        assert!(store.verify_original(&evidence).await.expect("verify"));
        let served = store.read(&served_key(Area::Cases, &evidence[6..])).await.expect("read").expect("served");
        assert!(!served.windows(4).any(|w| w == b"GPS!"), "the working copy has no GPS");
        let never = format!("web/{}.jpg", "0".repeat(64));
        let e = store.keep_as_evidence(&never).await.expect_err("nothing to copy");
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert!(store.keep_as_evidence("web/../secret.key").await.is_err());
    }

    #[tokio::test]
    async fn stored_files_are_named_by_their_content_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = MediaStore::local(dir.path());
        let a = store_bytes(&store, Area::Officer, b"%PDF-1.7 one", "pdf").await.expect("stored");
        let b = store_bytes(&store, Area::Officer, b"%PDF-1.7 one", "pdf").await.expect("stored");
        assert_eq!(a, b);
        let (path, mime) = resolve(dir.path(), &a).expect("resolves");
        assert_eq!((std::fs::read(path).ok(), mime), (Some(b"%PDF-1.7 one".to_vec()), "application/pdf"));
    }
}
