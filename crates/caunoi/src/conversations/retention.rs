//! Retention of citizens' media (thời hạn lưu trữ): when `media_retention_days` is set, the
//! photos, videos and files citizens sent are removed that many days after the last
//! conversation using them was closed — the served copy and the kept original both — and the
//! messages keep their text but lose their file. Off by default: nothing is removed.
//!
//! Invariants: a file still used by an open conversation, or by one closed more recently, is
//! never removed (files are content-addressed, so one file can back several messages); a
//! conversation reopened while a pass runs keeps its file (the messages lose the reference in
//! one conditional statement); a file set aside is put back if a message took the same
//! reference meanwhile (a citizen sending the same photo again); officers' attachments are not
//! citizens' media and stay; a case's evidence lives in its own area (`media::Area::Cases`) and
//! is never looked at, and a file a case names itself (filed before that area) stays. Each
//! pass that removes files writes one audit entry.

use super::service;
use crate::app::App;
use crate::audit::store::NewEntry;
use crate::db::StoreError;
use caunoi_core::audit::AuditAction;

/// References looked at in one pass (the next pass takes the rest).
pub const BATCH: i64 = 200;

/// Removes citizens' media used only in conversations closed before `closed_before`; how many
/// files were removed.
pub async fn expire_citizen_media(app: &App, closed_before: i64) -> Result<usize, StoreError> {
    let refs = service::citizen_media_closed_before(&app.db, closed_before, BATCH).await?;
    let mut removed = 0;
    for media_ref in refs {
        if !(media_ref.starts_with("web/") || media_ref.starts_with("zalo/")) {
            continue;
        }
        // Evidence is copied into the cases' own area; a case filed before that names this
        // very file, which then stays for the case while the messages let it go.
        if crate::cases::service::holds_media(app, &media_ref).await? {
            service::forget_media_closed_before(&app.db, &media_ref, closed_before).await?;
            continue;
        }
        let aside = match app.config.media_store.set_aside(&media_ref).await {
            Ok(aside) => aside,
            Err(e) => {
                tracing::warn!(error = %e, "an expired media file could not be moved aside");
                continue;
            }
        };
        let forgotten = service::forget_media_closed_before(&app.db, &media_ref, closed_before).await?;
        let done = if forgotten == 0 || service::media_in_use(&app.db, &media_ref).await? {
            aside.restore().await.map(|()| false)
        } else {
            aside.delete().await.map(|()| true)
        };
        match done {
            Ok(true) => removed += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "an expired media file could not be removed or restored"),
        }
    }
    if removed > 0 {
        metrics::counter!("caunoi_media_expired_total").increment(removed as u64);
        let day = jiff::Timestamp::from_microsecond(closed_before)
            .map(|t| t.to_zoned(crate::app::vietnam_tz()).date().to_string())
            .unwrap_or_default();
        let detail = format!("{removed} files of conversations closed before {day}");
        let entry = NewEntry {
            at: app.clock.now_micros(),
            officer: None,
            action: AuditAction::MediaExpired,
            unit: None,
            target: "",
            detail: &detail,
        };
        crate::audit::service::record_now(&app.db, &entry).await?;
    }
    Ok(removed)
}
