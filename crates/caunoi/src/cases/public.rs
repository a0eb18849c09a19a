//! The citizen's web side of reports (use cases; routes in [`super::public_http`]): the report
//! form on a unit's page, the receipt shown once, the reporter's two-way thread opened with the
//! receipt, and the status look-up by case code. Works without an account.
//!
//! What is kept about a reporter is decided by `service` (the mode they chose); this module
//! adds what the open web needs: hostile text refused with a clear message, photos and videos
//! checked whole before anything is stored (all of a report's files, or none), throttles per
//! (keyed-hashed) client address and per receipt that hold under parallel requests and across
//! instances (counted in the database), and short reporter sessions.
//!
//! Invariants: a refused report stores nothing (no case, no file: files are checked in a
//! private staging directory and moved into the media store only once the report is valid);
//! the receipt is never stored nor logged (its Argon2 hash by `service`, and for the 30 minutes
//! of a reporter's session a keyed hash, to refuse a message that carries it); no address,
//! user agent or receipt reaches a log line.

use super::public_store::{self as store, Limit};
use super::service::{self, CaseView, Created, NewCase, NewMedia, ReporterDetails};
use crate::app::App;
use crate::crypto;
use crate::db::StoreError;
use crate::error::ServiceError;
use crate::media::upload::{Upload, UploadError};
use crate::media::{Area, FileType, MediaStore};
use crate::units::store::Unit;
use caunoi_core::cases::{
    CaseCode, CaseId, Category, Channel, EventKind, MAX_DESCRIPTION_CHARS, MAX_NOTE_CHARS, MAX_PLACE_CHARS, Receipt,
    ReporterMode, Status,
};
use caunoi_core::input::{FieldErrors, InvalidInput, Msg};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Files one report may carry.
pub const MAX_FILES: usize = 5;
/// Largest photo (bytes).
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;
/// Largest video (bytes).
pub const MAX_VIDEO_BYTES: u64 = 50 * 1024 * 1024;
/// Largest report request (all its files and fields).
pub const MAX_REPORT_BYTES: u64 = 100 * 1024 * 1024;
/// Reports one address may submit per hour and per day (a school or an office shares one
/// address; a person rarely reports twice in an hour).
pub const REPORTS_PER_HOUR: i64 = 5;
pub const REPORTS_PER_DAY: i64 = 20;
/// Failed look-ups (receipt or code) one address may make per hour.
pub const FAILED_LOOKUPS_PER_HOUR: i64 = 10;
/// Look-ups of one receipt per hour, from anywhere (the thread's session saves retyping it).
pub const LOOKUPS_PER_RECEIPT_PER_HOUR: i64 = 20;
/// Messages a reporter may write on one case per hour.
pub const MESSAGES_PER_CASE_PER_HOUR: i64 = 20;
/// How long a reporter stays "in" their thread without writing or reading (minutes).
pub const SESSION_MINUTES: i64 = 30;
/// How long the receipt page can be shown before "Tôi đã lưu mã" (minutes).
pub const RECEIPT_PAGE_MINUTES: i64 = 15;

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The largest size the form accepts for a file type (photos and videos only, as the chat).
pub fn file_limit(t: FileType) -> Option<u64> {
    match t {
        FileType::Jpeg | FileType::Png | FileType::Webp | FileType::Heic => Some(MAX_IMAGE_BYTES),
        FileType::Mp4 | FileType::Mov => Some(MAX_VIDEO_BYTES),
        FileType::Gif | FileType::Pdf | FileType::Doc | FileType::Docx => None,
    }
}

/// Which throttle refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    ReportsHour,
    ReportsDay,
    UploadHour,
    UploadDay,
    Lookups,
    Receipt,
    Messages,
}

impl Throttle {
    /// What the citizen reads (Vietnamese, English).
    pub fn message(self) -> Msg {
        let (vi, en) = match self {
            Throttle::ReportsHour => (
                "Đã có nhiều tin báo gửi từ mạng của anh/chị trong một giờ qua. Vui lòng thử lại sau ít phút; nếu khẩn cấp hãy gọi 113.",
                "Many reports were sent from your network in the past hour. Please try again later; in an emergency call 113.",
            ),
            Throttle::ReportsDay => (
                "Đã có nhiều tin báo gửi từ mạng của anh/chị hôm nay. Vui lòng thử lại vào ngày mai hoặc gọi đường dây nóng của đơn vị; nếu khẩn cấp hãy gọi 113.",
                "Many reports were sent from your network today. Please try again tomorrow or call the unit's hotline; in an emergency call 113.",
            ),
            Throttle::UploadHour | Throttle::UploadDay => (
                "Đã gửi quá nhiều ảnh, video từ mạng của anh/chị. Vui lòng gửi tin báo không kèm tệp hoặc thử lại sau.",
                "Too many photos and videos were sent from your network. Send the report without files or try again later.",
            ),
            Throttle::Lookups => (
                "Anh/chị đã nhập sai nhiều lần trong một giờ qua. Để bảo vệ các tin báo, vui lòng thử lại sau một giờ.",
                "Too many wrong entries in the past hour. To protect reports, please try again in an hour.",
            ),
            Throttle::Receipt => (
                "Mã biên nhận này đã được tra cứu quá nhiều lần trong một giờ qua. Vui lòng thử lại sau.",
                "This receipt was looked up too many times in the past hour. Please try again later.",
            ),
            Throttle::Messages => (
                "Anh/chị đã gửi nhiều tin nhắn trong một giờ qua. Vui lòng chờ cán bộ trả lời; nếu khẩn cấp hãy gọi 113.",
                "You sent many messages in the past hour. Please wait for an officer's reply; in an emergency call 113.",
            ),
        };
        Msg::new(vi, en)
    }
}

/// Why a citizen's request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum PublicError {
    /// Input refused: the form is shown again with these messages (422).
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("throttled")]
    Throttled(Throttle),
    /// The media disk is at its free-space floor.
    #[error("media storage full")]
    StorageFull,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("media: {0}")]
    Io(String),
}

impl From<ServiceError> for PublicError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(errs) => PublicError::Invalid(errs),
            ServiceError::NotFound | ServiceError::Forbidden(_) => PublicError::NotFound,
            ServiceError::Store(e) => PublicError::Store(e),
        }
    }
}

impl From<InvalidInput> for PublicError {
    fn from(e: InvalidInput) -> Self {
        PublicError::Invalid(FieldErrors(vec![e]))
    }
}

fn invalid(field: &'static str, vi: impl Into<String>, en: impl Into<String>) -> PublicError {
    InvalidInput::new(field, vi, en).into()
}

/// The keyed hash of a client address (never kept in clear, never logged).
fn address_key(app: &App, purpose: &str, address: &str) -> String {
    format!("{purpose}:{}", app.secrets.keyed_hash("case-public-address", address.as_bytes()))
}

/// The keyed hash of a receipt, for its look-up throttle and a session's message check.
fn receipt_mac(app: &App, receipt: &Receipt) -> String {
    app.secrets.keyed_hash("case-receipt-session", receipt.digits().as_bytes())
}

// ---------------------------------------------------------------------------------------------
// Text from the open web

/// Checks a text a citizen typed: refused (not silently cleaned) when it carries control
/// characters or bidirectional overrides (which can make a text display other than it reads),
/// or when it is longer than `max` characters. Line breaks and tabs are kept; `\r\n` becomes
/// `\n`; the result is trimmed.
pub fn citizen_text(field: &'static str, raw: &str, max: usize, required: bool) -> Result<String, InvalidInput> {
    let text = raw.replace("\r\n", "\n");
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t')) {
        return Err(InvalidInput::new(
            field,
            "Có ký tự điều khiển không hợp lệ (thường do dán từ tệp khác). Vui lòng xóa và gõ lại bằng bàn phím.",
            "Contains invalid control characters (often pasted from another file). Please delete them and type again.",
        ));
    }
    if text.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')) {
        return Err(InvalidInput::new(
            field,
            "Có ký tự đảo chiều văn bản (có thể làm nội dung hiển thị sai lệch). Vui lòng xóa và gõ lại.",
            "Contains text-direction override characters (they can make text display misleadingly). Please delete them and type again.",
        ));
    }
    let text = text.trim();
    let n = text.chars().count();
    if n > max {
        return Err(InvalidInput::new(
            field,
            format!("Quá dài: tối đa {max} ký tự (anh/chị đã nhập {n})."),
            format!("Too long: at most {max} characters (you typed {n})."),
        ));
    }
    if required && text.is_empty() {
        return Err(InvalidInput::new(field, "Vui lòng nhập nội dung.", "Please write something."));
    }
    Ok(text.to_string())
}

// ---------------------------------------------------------------------------------------------
// Categories and emergencies

/// The emergency numbers to call now for a category that may be happening: fire 114, a rescue
/// 114 and 115 (the injured), a traffic accident 113 and 115, other urgent or violent matters
/// 113. Empty otherwise.
pub fn emergency_numbers(category: &Category) -> Vec<&'static str> {
    match category.key.as_str() {
        "fire" => vec!["114"],
        "rescue" => vec!["114", "115"],
        "traffic_accident" => vec!["113", "115"],
        "violence" | "domestic_violence" => vec!["113"],
        _ if category.urgent => vec!["113"],
        _ => vec![],
    }
}

/// The categories the form offers: every enabled one, sensitive ones included, in order.
pub fn offered_categories(app: &App) -> Vec<Category> {
    service::categories(app).iter().filter(|(_, enabled)| *enabled).map(|(c, _)| c.clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// The report form

/// What the report form posts, as typed (also what the form shows again when it is refused).
#[derive(Debug, Clone, Default)]
pub struct WebReport {
    pub category: String,
    pub description: String,
    pub address: String,
    pub place_unknown: bool,
    /// The browser's location ("Dùng vị trí hiện tại"), as the hidden fields carry it.
    pub lat: String,
    pub lon: String,
    pub occurred: String,
    pub attributes: BTreeMap<String, String>,
    pub mode: String,
    pub name: String,
    pub phone: String,
    /// "Cho phép dùng vị trí GPS trong ảnh (nếu có)".
    pub use_photo_gps: bool,
}

/// A report's counted place in the submission throttle, taken before its body is read.
#[derive(Debug)]
pub struct SubmissionClaim {
    ids: Vec<i64>,
}

/// Counts a report of at most `declared` bytes against the address's limits (reports per hour
/// and per day; bytes per hour and per day, the deployment's upload quotas) and the media
/// disk's free-space floor, before its body is read. The caller settles the claim when the case
/// is made ([`submit`] does) or gives it back when the report is refused.
pub async fn claim_submission(app: &App, address: &str, declared: u64) -> Result<SubmissionClaim, PublicError> {
    if !crate::media::space::has_room(&app.config.data_dir, declared, app.config.media_free_floor).await {
        return Err(PublicError::StorageFull);
    }
    let now = app.clock.now_micros();
    let key = address_key(app, "report", address);
    let q = app.config.upload_quotas;
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let limits = [
        Limit { key: &key, since: now - HOUR, max_count: REPORTS_PER_HOUR, max_amount: as_i64(q.address_hour) },
        Limit { key: &key, since: now - DAY, max_count: REPORTS_PER_DAY, max_amount: as_i64(q.address_day) },
    ];
    match store::reserve(&app.db, &limits, as_i64(declared), now, now - DAY).await? {
        Ok(ids) => Ok(SubmissionClaim { ids }),
        Err(reached) => {
            metrics::counter!("caunoi_case_public_throttled_total", "what" => "report").increment(1);
            Err(PublicError::Throttled(match (reached.index, reached.by_count) {
                (0, true) => Throttle::ReportsHour,
                (_, true) => Throttle::ReportsDay,
                (0, false) => Throttle::UploadHour,
                (_, false) => Throttle::UploadDay,
            }))
        }
    }
}

/// Gives a claim back: the report was refused and stored nothing.
pub async fn release_submission(app: &App, claim: SubmissionClaim) {
    if let Err(e) = store::release(&app.db, &claim.ids).await {
        tracing::warn!(error = %e, "a refused report's throttle claim was not released");
    }
}

/// A report's files while they are checked: a private directory under the data directory's
/// media (same disk, so moving them into a local store is a rename; a bucket gets them
/// uploaded) that nothing serves. They go to the cases' own area (`media::Area::Cases`).
#[derive(Debug)]
pub struct Staging {
    root: PathBuf,
    files: Vec<Staged>,
}

/// A checked file waiting in [`Staging`].
#[derive(Debug, Clone)]
pub struct Staged {
    pub media_ref: String,
    pub kind: FileType,
    pub bytes: u64,
    /// The position in the photo's EXIF block, read from the bytes as received (used only
    /// with the reporter's consent).
    pub gps: Option<(f64, f64)>,
}

/// The staging directories of the media store.
fn staging_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("media").join(".report-staging")
}

impl Staging {
    /// A fresh staging directory; ones left by a crash over an hour ago are removed.
    pub async fn new(app: &App) -> Result<Staging, PublicError> {
        let base = staging_dir(&app.config.data_dir);
        if let Ok(mut entries) = tokio::fs::read_dir(&base).await {
            while let Ok(Some(e)) = entries.next_entry().await {
                let old = e
                    .metadata()
                    .await
                    .ok()
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age.as_secs() > 3600);
                if old {
                    let _ = tokio::fs::remove_dir_all(e.path()).await;
                }
            }
        }
        let root = base.join(crypto::random_token());
        tokio::fs::create_dir_all(&root).await.map_err(|e| PublicError::Io(e.to_string()))?;
        Ok(Staging { root, files: Vec::new() })
    }

    /// How many files are staged.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The bytes staged.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// A new upload into this staging directory (photos and videos, [`file_limit`]).
    pub fn upload(&self) -> Upload {
        Upload::new(&MediaStore::local(&self.root), Area::Cases, file_limit)
    }

    /// Records a finished upload, reading a JPEG's GPS position from the bytes as received.
    pub async fn accept(&mut self, media_ref: String, kind: FileType, bytes: u64) {
        let gps = if kind == FileType::Jpeg {
            let name = media_ref.split_once('/').map(|(_, n)| n.to_string()).unwrap_or_default();
            let kept = crate::media::originals_dir(&self.root, Area::Cases).join(&name);
            let path = if kept.exists() { kept } else { crate::media::dir(&self.root, Area::Cases).join(&name) };
            tokio::fs::read(&path).await.ok().and_then(|b| crate::media::gps::jpeg_position(&b))
        } else {
            None
        };
        self.files.push(Staged { media_ref, kind, bytes, gps });
    }

    pub fn files(&self) -> &[Staged] {
        &self.files
    }

    /// Removes the staging directory and all it holds.
    pub async fn discard(self) {
        let _ = tokio::fs::remove_dir_all(&self.root).await;
    }

    /// Moves the staged files into the media store (originals first, then served copies; a file
    /// already there has the same content, since names are content hashes), then removes the
    /// staging directory.
    async fn place(self, store: &MediaStore) -> std::io::Result<()> {
        let result = async {
            for f in &self.files {
                let Some((_, name)) = f.media_ref.split_once('/') else { continue };
                for key in [crate::media::original_key(Area::Cases, name), crate::media::served_key(Area::Cases, name)]
                {
                    // Where `MediaStore::local(&self.root)` (the staging uploads') keeps it.
                    let src = self.root.join("media").join(&key);
                    if !tokio::fs::try_exists(&src).await.unwrap_or(false) {
                        continue;
                    }
                    if !store.exists(&key).await? {
                        store.put_file(&key, &src).await?;
                    }
                }
            }
            Ok(())
        }
        .await;
        let _ = tokio::fs::remove_dir_all(&self.root).await;
        result
    }
}

/// What the citizen reads when a file is refused.
pub fn upload_refusal(e: UploadError) -> PublicError {
    let (vi, en): (String, String) = match e {
        UploadError::NotAccepted => (
            "Tệp không phải ảnh hoặc video được chấp nhận. Chỉ gửi ảnh (JPEG, PNG, WebP, HEIC) hoặc video (MP4, MOV).".into(),
            "The file is not an accepted photo or video. Send photos (JPEG, PNG, WebP, HEIC) or videos (MP4, MOV) only."
                .into(),
        ),
        UploadError::TooLarge(k) if k.is_video() => (
            format!("Video quá lớn: tối đa {} MB.", MAX_VIDEO_BYTES >> 20),
            format!("The video is too large: at most {} MB.", MAX_VIDEO_BYTES >> 20),
        ),
        UploadError::TooLarge(_) => (
            format!("Ảnh quá lớn: tối đa {} MB.", MAX_IMAGE_BYTES >> 20),
            format!("The photo is too large: at most {} MB.", MAX_IMAGE_BYTES >> 20),
        ),
        UploadError::Broken => (
            "Tệp chưa tải lên hết. Anh/chị hãy chọn lại tệp rồi gửi lại.".into(),
            "The file did not upload completely. Please choose it again and resend.".into(),
        ),
        UploadError::Refused(r) => {
            let (vi, en) = r.message();
            (vi.into(), en.into())
        }
        UploadError::Io(e) => return PublicError::Io(e),
    };
    invalid("media", vi, en)
}

/// Refusal for a report with more than [`MAX_FILES`] files.
pub fn too_many_files() -> PublicError {
    invalid(
        "media",
        format!("Chỉ gửi được tối đa {MAX_FILES} ảnh hoặc video trong một tin báo."),
        format!("A report can carry at most {MAX_FILES} photos or videos."),
    )
}

/// Checks what the form posted that the case service does not (hostile text, the location's
/// form, the reporter mode and contact) and builds the case to make.
fn new_case(unit: &Unit, r: &WebReport, staging: &Staging, now: i64) -> Result<NewCase, PublicError> {
    let mut errs = FieldErrors::default();
    // Emptiness and the category's questions are the service's checks.
    let description = errs.take(citizen_text("description", &r.description, MAX_DESCRIPTION_CHARS, false));
    let address = errs.take(citizen_text("address", &r.address, MAX_PLACE_CHARS, false));
    let occurred = errs.take(citizen_text("occurred", &r.occurred, MAX_PLACE_CHARS, false));
    let mut attributes = BTreeMap::new();
    for (code, answer) in &r.attributes {
        if let Some(a) = errs.take(citizen_text("attributes", answer, MAX_PLACE_CHARS, false))
            && !a.is_empty()
        {
            attributes.insert(code.clone(), a);
        }
    }
    let mut point = match (r.lat.trim(), r.lon.trim()) {
        ("", "") => None,
        (lat, lon) => match (lat.parse::<f64>(), lon.parse::<f64>()) {
            (Ok(lat), Ok(lon)) if lat.is_finite() && lon.is_finite() => Some((lat, lon)),
            _ => {
                errs.push(InvalidInput::new(
                    "location",
                    "Không đọc được vị trí. Vui lòng bấm lại \"Dùng vị trí hiện tại\" hoặc nhập địa chỉ.",
                    "The location could not be read. Press \"Use my location\" again or type the address.",
                ));
                None
            }
        },
    };
    let mode = ReporterMode::parse(&r.mode);
    if mode.is_none() {
        errs.push(InvalidInput::new(
            "mode",
            "Vui lòng chọn cách anh/chị muốn được biết đến: công khai, bảo mật danh tính hoặc ẩn danh.",
            "Please choose how you want to be known: identified, sealed identity or anonymous.",
        ));
    }
    let mut reporter = ReporterDetails::default();
    if matches!(mode, Some(ReporterMode::Open | ReporterMode::Sealed)) {
        reporter.name = errs.take(citizen_text("name", &r.name, 100, false)).filter(|n| !n.is_empty());
        if !r.phone.trim().is_empty() {
            reporter.phone =
                errs.take(caunoi_core::phone::PhoneNumber::parse("phone", &r.phone)).map(|p| p.as_str().to_string());
        }
        if mode == Some(ReporterMode::Open) && reporter.name.is_none() && reporter.phone.is_none() {
            errs.push(InvalidInput::new(
                "name",
                "Vui lòng cho biết họ tên hoặc số điện thoại để cán bộ liên hệ lại (hoặc chọn Ẩn danh).",
                "Please give a name or phone number so an officer can call back (or choose Anonymous).",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(PublicError::Invalid(errs));
    }
    let has_place = point.is_some() || address.as_deref().is_some_and(|a| !a.is_empty());
    if r.use_photo_gps && !has_place && !r.place_unknown {
        // The first photo with a position inside Vietnam (the service refuses any other).
        point = staging
            .files
            .iter()
            .filter_map(|f| f.gps)
            .find(|&(lat, lon)| caunoi_core::geo::GeoPoint::new(lat, lon).is_ok());
    }
    let media = staging
        .files
        .iter()
        .map(|f| NewMedia {
            media_ref: f.media_ref.clone(),
            kind: if f.kind.is_video() { "video" } else { "image" }.into(),
            bytes: i64::try_from(f.bytes).unwrap_or(i64::MAX),
            received_at: now,
            gps: if r.use_photo_gps { f.gps } else { None },
        })
        .collect();
    // An emergency told in the text rings like an urgent category ("có người đánh nhau cầm
    // dao"), whatever category was picked.
    let urgent = caunoi_core::cases::is_emergency_text(description.as_deref().unwrap_or_default());
    Ok(NewCase {
        channel: Channel::WebForm,
        received_by: unit.id,
        category: r.category.trim().to_string(),
        description: description.unwrap_or_default(),
        point,
        address,
        place_unknown: r.place_unknown,
        occurred,
        attributes,
        mode: mode.unwrap_or(ReporterMode::Anonymous),
        reporter,
        conversation: None,
        entered_by: None,
        urgent,
        // Nobody else rings for a web report.
        own_alarm: true,
        media,
    })
}

/// Makes the case of a web report: checks it (all fields at once from this module, then the
/// service's), moves its staged files into the media store and inserts the case, or refuses it
/// with nothing stored. The claim is settled to the bytes stored, or given back.
pub async fn submit(
    app: &App,
    unit: &Unit,
    claim: SubmissionClaim,
    report: &WebReport,
    staging: Staging,
) -> Result<Created, PublicError> {
    let now = app.clock.now_micros();
    let prepared = match new_case(unit, report, &staging, now) {
        Ok(new) => service::prepare(app, new).await.map_err(PublicError::from),
        Err(e) => Err(e),
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(e) => {
            staging.discard().await;
            release_submission(app, claim).await;
            return Err(e);
        }
    };
    let bytes = i64::try_from(staging.bytes()).unwrap_or(i64::MAX);
    if let Err(e) = staging.place(&app.config.media_store).await {
        release_submission(app, claim).await;
        return Err(PublicError::Io(e.to_string()));
    }
    let created = async {
        let mut tx = app.db.begin().await?;
        let created = service::insert(&mut tx, app, &prepared).await?;
        tx.commit().await?;
        Ok::<_, ServiceError>(created)
    }
    .await;
    let created = match created {
        Ok(c) => c,
        Err(e) => {
            // The files stay (content-addressed, used by nothing); the report counted nothing.
            release_submission(app, claim).await;
            return Err(e.into());
        }
    };
    service::after_commit(app, &created);
    store::settle(&app.db, &claim.ids, bytes).await?;
    metrics::counter!("caunoi_case_web_reports_total").increment(1);
    Ok(created)
}

// ---------------------------------------------------------------------------------------------
// The receipt, shown once

/// What the receipt page needs, sealed (encrypted with the instance key) in a short-lived
/// cookie between the report's POST and the page's GET: the case and its receipt, which is
/// stored nowhere else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReceiptTicket {
    pub case: i64,
    pub receipt: String,
    pub unit_code: String,
    pub expires_at: i64,
}

/// Seals a new case's receipt for the receipt page.
pub fn seal_receipt(app: &App, created: &Created, unit_code: &str) -> Option<String> {
    let receipt = created.receipt.as_ref()?;
    let ticket = ReceiptTicket {
        case: created.id.0,
        receipt: receipt.digits().to_string(),
        unit_code: unit_code.to_string(),
        expires_at: app.clock.now_micros() + RECEIPT_PAGE_MINUTES * MINUTE,
    };
    Some(app.secrets.encrypt(&serde_json::to_vec(&ticket).ok()?))
}

/// Opens a sealed receipt that has not expired.
pub fn open_receipt(app: &App, sealed: &str) -> Option<(ReceiptTicket, Receipt)> {
    let bytes = app.secrets.decrypt(sealed).ok()?;
    let ticket: ReceiptTicket = serde_json::from_slice(&bytes).ok()?;
    if ticket.expires_at < app.clock.now_micros() {
        return None;
    }
    let receipt = Receipt::parse(&ticket.receipt).ok()?;
    Some((ticket, receipt))
}

// ---------------------------------------------------------------------------------------------
// The reporter's thread

/// A reporter "in" a case's thread (see [`open_thread`]).
#[derive(Debug, Clone)]
pub struct ReporterSession {
    pub case: CaseId,
    receipt_mac: String,
}

/// Opens a case's thread with its receipt: refused with the digit count for a wrong length
/// (nothing counted: no hash was computed), counted against the address's failed look-ups and
/// the receipt's look-ups before the (slow) hash is computed, so parallel guesses are counted
/// too. Returns the case and a new session token (the cookie's value).
pub async fn open_thread(app: &App, address: &str, raw: &str) -> Result<(CaseView, String), PublicError> {
    let receipt = Receipt::parse(raw)?;
    let now = app.clock.now_micros();
    let failed = address_key(app, "lookup-failed", address);
    let mac = receipt_mac(app, &receipt);
    let per_receipt = format!("receipt:{mac}");
    let limits = [
        Limit { key: &failed, since: now - HOUR, max_count: FAILED_LOOKUPS_PER_HOUR, max_amount: i64::MAX },
        Limit { key: &per_receipt, since: now - HOUR, max_count: LOOKUPS_PER_RECEIPT_PER_HOUR, max_amount: i64::MAX },
    ];
    let ids = match store::reserve(&app.db, &limits, 0, now, now - DAY).await? {
        Ok(ids) => ids,
        Err(reached) => {
            metrics::counter!("caunoi_case_public_throttled_total", "what" => "receipt").increment(1);
            return Err(PublicError::Throttled(if reached.index == 0 { Throttle::Lookups } else { Throttle::Receipt }));
        }
    };
    let Some(case) = service::by_receipt(app, &receipt).await? else {
        return Err(invalid(
            "receipt",
            "Không tìm thấy tin báo nào có mã biên nhận này. Anh/chị kiểm tra lại từng chữ số.",
            "No report has this receipt. Please check each digit.",
        ));
    };
    // A found receipt is not a failed look-up (the receipt's own count stays).
    store::release(&app.db, &ids[..1]).await?;
    let token = crypto::random_token();
    store::insert_session(&app.db, &crypto::token_hash(&token), case.id.0, &mac, now + SESSION_MINUTES * MINUTE, now)
        .await?;
    Ok((case, token))
}

/// Starts a session on a case whose receipt the reporter has just been shown (the receipt page's
/// "Tôi đã lưu mã"): returns the session token.
pub async fn start_session(app: &App, case: CaseId, receipt: &Receipt) -> Result<String, PublicError> {
    let now = app.clock.now_micros();
    let token = crypto::random_token();
    let mac = receipt_mac(app, receipt);
    store::insert_session(&app.db, &crypto::token_hash(&token), case.0, &mac, now + SESSION_MINUTES * MINUTE, now)
        .await?;
    Ok(token)
}

/// The session a cookie's token opens, extended by [`SESSION_MINUTES`].
pub async fn session(app: &App, token: &str) -> Result<Option<ReporterSession>, PublicError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let now = app.clock.now_micros();
    let token_hash = crypto::token_hash(token);
    let Some((case, receipt_mac)) = store::session(&app.db, &token_hash, now).await? else { return Ok(None) };
    store::touch_session(&app.db, &token_hash, now + SESSION_MINUTES * MINUTE).await?;
    Ok(Some(ReporterSession { case: CaseId(case), receipt_mac }))
}

/// Ends a session ("Thoát").
pub async fn end_session(app: &App, token: &str) -> Result<(), PublicError> {
    Ok(store::delete_session(&app.db, &crypto::token_hash(token)).await?)
}

/// One step of the reporter's view of their case.
#[derive(Debug, Clone)]
pub struct ThreadEvent {
    pub at: i64,
    pub kind: EventKind,
    /// Who wrote: `Some(true)` the reporter, `Some(false)` the unit (never an officer's name),
    /// `None` for a step that is not a message.
    pub from_reporter: Option<bool>,
    /// What the step says to the reporter (a message's text, the unit it went to).
    pub text: String,
}

/// The reporter's view of a case: what it is, where it stands, its citizen-visible steps.
#[derive(Debug, Clone)]
pub struct Thread {
    pub code: CaseCode,
    pub category_vi: String,
    pub category_en: String,
    pub status: Status,
    /// `Status::citizen_vi` with the responsible unit's name.
    pub status_line: String,
    pub unit_name: String,
    pub received_at: i64,
    pub events: Vec<ThreadEvent>,
}

/// The case's citizen-visible steps; officers' replies with their text, never their names.
pub async fn thread(app: &App, case: CaseId) -> Result<Thread, PublicError> {
    let view = service::get_unscoped(app, case).await?.ok_or(PublicError::NotFound)?;
    let events = service::timeline(app, case)
        .await?
        .into_iter()
        .filter_map(|e| {
            let kind = EventKind::parse(&e.kind).filter(|k| k.citizen_visible())?;
            let (from_reporter, text) = match kind {
                EventKind::MessageIn => (Some(true), e.text),
                EventKind::MessageOut => (Some(false), e.text),
                EventKind::Routed | EventKind::Forwarded => (None, e.to_unit_name.unwrap_or_default()),
                EventKind::StatusChanged => {
                    let to = serde_json::from_str::<serde_json::Value>(&e.data)
                        .ok()
                        .and_then(|d| d.get("to").and_then(|v| v.as_str()).and_then(Status::parse));
                    (None, to.map(|s| s.label_vi().to_string()).unwrap_or_default())
                }
                _ => (None, String::new()),
            };
            Some(ThreadEvent { at: e.at, kind, from_reporter, text })
        })
        .collect();
    Ok(Thread {
        code: view.code.clone(),
        category_vi: view.category.label_vi.clone(),
        category_en: view.category.label_en.clone(),
        status: view.status,
        status_line: view.status.citizen_vi(&view.unit_name),
        unit_name: view.unit_name.clone(),
        received_at: view.received_at,
        events,
    })
}

/// Whether `text` carries the session's receipt: every run of 16 digits in the text's digits
/// (separators ignored, as `Receipt::is_in` reads them) compared by keyed hash.
fn carries_receipt(app: &App, session: &ReporterSession, text: &str) -> bool {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
    digits.windows(16).any(|w| {
        let mac = app.secrets.keyed_hash("case-receipt-session", w);
        use subtle::ConstantTimeEq;
        bool::from(mac.as_bytes().ct_eq(session.receipt_mac.as_bytes()))
    })
}

/// The reporter writes to the officers: stored as a `message_in` step of the case. A message
/// that carries the receipt itself is refused (anyone who reads the thread could then open it).
pub async fn write_back(app: &App, session: &ReporterSession, raw: &str) -> Result<(), PublicError> {
    let text = citizen_text("text", raw, MAX_NOTE_CHARS, true)?;
    if carries_receipt(app, session, &text) {
        return Err(invalid(
            "text",
            "Tin nhắn có chứa mã biên nhận của anh/chị. Không gửi mã này cho ai, kể cả cán bộ: cán bộ không cần mã để trả lời. Vui lòng xóa mã rồi gửi lại.",
            "The message contains your receipt. Never send it to anyone, officers included: they do not need it to reply. Remove it and send again.",
        ));
    }
    let now = app.clock.now_micros();
    let key = format!("message:{}", session.case.0);
    let limits = [Limit { key: &key, since: now - HOUR, max_count: MESSAGES_PER_CASE_PER_HOUR, max_amount: i64::MAX }];
    if store::reserve(&app.db, &limits, 0, now, now - DAY).await?.is_err() {
        return Err(PublicError::Throttled(Throttle::Messages));
    }
    let mut tx = app.db.begin().await.map_err(StoreError::from)?;
    let event = super::store::NewEventRow { kind: EventKind::MessageIn.as_str(), text: &text, ..Default::default() };
    service::record(&mut tx, session.case, now, &event).await?;
    tx.commit().await.map_err(StoreError::from)?;
    metrics::counter!("caunoi_case_reporter_messages_total").increment(1);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The status look-up by code

/// What anyone with a case's code may see: its status line and its unit, nothing else.
#[derive(Debug, Clone)]
pub struct StatusLine {
    pub code: CaseCode,
    pub status: Status,
    pub status_line: String,
    pub unit_name: String,
}

/// Looks a case up by its code, counted against the address's failed look-ups (the same
/// throttle as receipts'): codes are random (40 bits) but not secrets.
pub async fn status_by_code(app: &App, address: &str, raw: &str) -> Result<StatusLine, PublicError> {
    let code = CaseCode::parse(raw)?;
    let now = app.clock.now_micros();
    let failed = address_key(app, "lookup-failed", address);
    let limits = [Limit { key: &failed, since: now - HOUR, max_count: FAILED_LOOKUPS_PER_HOUR, max_amount: i64::MAX }];
    let ids = match store::reserve(&app.db, &limits, 0, now, now - DAY).await? {
        Ok(ids) => ids,
        Err(_) => {
            metrics::counter!("caunoi_case_public_throttled_total", "what" => "code").increment(1);
            return Err(PublicError::Throttled(Throttle::Lookups));
        }
    };
    let Some(case) = service::by_code(app, &code).await? else {
        return Err(invalid(
            "ma",
            format!("Không tìm thấy tin báo có mã {code}. Anh/chị kiểm tra lại mã."),
            format!("No report has the code {code}. Please check it."),
        ));
    };
    store::release(&app.db, &ids).await?;
    Ok(StatusLine {
        code: case.code.clone(),
        status: case.status,
        status_line: case.status.citizen_vi(&case.unit_name),
        unit_name: case.unit_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_refused_with_what_is_wrong() {
        let err = |r: Result<String, InvalidInput>| r.expect_err("refused").message.vi;
        assert!(err(citizen_text("d", "abc\u{0}def", 100, true)).contains("ký tự điều khiển"));
        assert!(err(citizen_text("d", "gnp.\u{202E}exe.jpg", 100, true)).contains("đảo chiều"));
        assert!(err(citizen_text("d", &"ă".repeat(11), 10, true)).contains("đã nhập 11"));
        assert!(err(citizen_text("d", "   ", 10, true)).contains("Vui lòng nhập"));
        assert_eq!(citizen_text("d", " Cháy\r\nnhà\tkho ", 20, true).ok().as_deref(), Some("Cháy\nnhà\tkho"));
        assert_eq!(citizen_text("d", "", 20, false).ok().as_deref(), Some(""));
    }

    #[test]
    fn emergency_numbers_follow_the_category() {
        let cats = caunoi_core::cases::default_categories();
        let of = |key: &str| emergency_numbers(cats.iter().find(|c| c.key == key).expect("category"));
        assert_eq!(of("fire"), vec!["114"]);
        assert_eq!(of("rescue"), vec!["114", "115"]);
        assert_eq!(of("traffic_accident"), vec!["113", "115"]);
        assert_eq!(of("wanted_person"), vec!["113"]);
        assert_eq!(of("violence"), vec!["113"]);
        assert!(of("noise").is_empty());
        assert!(of("lost_property").is_empty());
    }

    #[test]
    fn only_photos_and_videos_are_taken() {
        assert_eq!(file_limit(FileType::Jpeg), Some(MAX_IMAGE_BYTES));
        assert_eq!(file_limit(FileType::Mov), Some(MAX_VIDEO_BYTES));
        assert_eq!(file_limit(FileType::Pdf), None);
        assert_eq!(file_limit(FileType::Gif), None);
    }
}
