//! A unit's emblem (huy hiệu) on its public page: part of the unit's official identity, which a
//! citizen checks before trusting a page that asks for a report. The unit's admin uploads a
//! small JPEG, PNG or WebP photo; it is checked by its content (not its name), its metadata
//! (EXIF, GPS) removed, and kept in the database (`unit_emblems`), so every instance behind a
//! load balancer serves the same one. Setting and removing it are on the unit's history and in
//! the audit log.

pub mod http;
pub mod store;

use crate::app::App;
use crate::error::ServiceError;
use crate::media::FileType;
use caunoi_core::input::InvalidInput;
use caunoi_core::staff::{Action, Scope};
use sha2::{Digest, Sha256};

/// The largest emblem file accepted.
pub const MAX_EMBLEM_BYTES: usize = 512 * 1024;

/// The photo types an emblem may be (what every browser shows).
const TYPES: [FileType; 3] = [FileType::Jpeg, FileType::Png, FileType::Webp];

/// An emblem as served.
#[derive(Debug, Clone)]
pub struct Emblem {
    pub mime: &'static str,
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of `bytes`: the version, used as the ETag and in the page's link.
    pub sha256: String,
}

fn refused(vi: &str, en: &str) -> ServiceError {
    InvalidInput::new("emblem", vi.to_owned(), en.to_owned()).into()
}

/// Why a file is not an emblem, or the checked copy (without metadata) and its type.
pub fn check(bytes: &[u8]) -> Result<(FileType, Vec<u8>), ServiceError> {
    if bytes.is_empty() {
        return Err(refused("Hãy chọn một tệp ảnh.", "Choose an image file."));
    }
    if bytes.len() > MAX_EMBLEM_BYTES {
        return Err(refused(
            "Ảnh huy hiệu quá lớn: tối đa 512 KB. Hãy thu nhỏ ảnh (ví dụ 512 × 512 điểm ảnh) rồi tải lại.",
            "The emblem is too large: 512 KB at most. Shrink it (e.g. to 512 × 512 pixels) and upload again.",
        ));
    }
    let kind = match crate::media::sniff(bytes) {
        Some(k) if TYPES.contains(&k) => k,
        _ => {
            return Err(refused(
                "Tệp không phải ảnh JPEG, PNG hoặc WebP (kiểm tra theo nội dung tệp, không theo tên).",
                "The file is not a JPEG, PNG or WebP image (its content is checked, not its name).",
            ));
        }
    };
    let cleaned = crate::media::check::check_bytes(kind, bytes).map_err(|r| {
        let (vi, en) = r.message();
        refused(vi, en)
    })?;
    Ok((kind, cleaned.unwrap_or_else(|| bytes.to_vec())))
}

/// Sets the unit's emblem (the unit's editors: `Action::EditUnit`).
pub async fn set(app: &App, scope: &Scope, code: &str, bytes: &[u8]) -> Result<(), ServiceError> {
    let unit = super::service::get(app, scope, code).await?;
    scope.require(Action::EditUnit, &unit.path)?;
    let (kind, clean) = check(bytes)?;
    let sha256 = hex::encode(Sha256::digest(&clean));
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::put(&mut tx, unit.id, kind.mime(), &clean, &sha256, now).await?;
    let detail = format!("emblem set: {} bytes, sha256 {}", clean.len(), &sha256[..12]);
    super::service::record_change(&mut tx, scope, &unit, "emblem_set", &detail, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the unit's emblem; nothing when it has none.
pub async fn remove(app: &App, scope: &Scope, code: &str) -> Result<(), ServiceError> {
    let unit = super::service::get(app, scope, code).await?;
    scope.require(Action::EditUnit, &unit.path)?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    if store::delete(&mut tx, unit.id).await? {
        super::service::record_change(&mut tx, scope, &unit, "emblem_removed", "emblem removed", now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The version of a unit's emblem (its SHA-256), if it has one: pages link to it with the
/// version so a new emblem shows at once despite caching.
pub async fn version(app: &App, unit: caunoi_core::units::UnitId) -> Result<Option<String>, ServiceError> {
    Ok(store::version(&app.db, unit).await?)
}

/// The emblem of a public unit, by the unit's code.
pub async fn public(app: &App, code: &str) -> Result<Option<Emblem>, ServiceError> {
    let Some(unit) = super::service::get_public(app, code).await? else { return Ok(None) };
    Ok(store::get(&app.db, unit.id).await?.and_then(|(mime, bytes, sha256)| {
        let mime = TYPES.into_iter().map(FileType::mime).find(|m| *m == mime)?;
        Some(Emblem { mime, bytes, sha256 })
    }))
}
