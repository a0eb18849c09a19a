//! Web chat use cases: starting and resuming an anonymous session, a citizen's text, button
//! tap, location or upload (each through `conversations::processing::process_citizen_message`,
//! the same one-transaction path as Zalo), the session's history for the live stream, and who
//! may fetch a stored photo or video.
//!
//! Invariants: a session token is 256 random bits, stored only as its SHA-256; a session belongs
//! to one unit and reads only the messages of its own contact; every accepted post is counted
//! against the session and the (keyed-hashed) address before anything is stored.

use super::ChatError;
use super::store::{self, SessionRow};
use crate::app::App;
use crate::conversations::processing::process_citizen_message;
use crate::conversations::store::{CitizenRef, ContactKey, HistoryRow};
use crate::conversations::turns::{Once, TurnOutcome};
use crate::conversations::unit::UnitContext;
use crate::crypto;
use crate::media::FileType;
use crate::media::upload::UploadError;
use crate::units::store::Unit;
use caunoi_core::bot::MediaKind;
use caunoi_core::conversations::{Channel, CitizenMessage, InboundKind};
use caunoi_core::inbox::Status;
use caunoi_core::staff::OfficerId;

/// How long an idle session can be resumed.
pub const SESSION_DAYS: i64 = 30;
/// Longest text message, in characters.
pub use caunoi_core::conversations::MAX_TEXT_CHARS;
/// Posts one session may make per minute.
pub const POSTS_PER_MINUTE_PER_SESSION: i64 = 20;
/// Posts one address may make per minute (a school or an office shares one address).
pub const POSTS_PER_MINUTE_PER_ADDRESS: i64 = 60;
/// Sessions one address may start per hour.
pub const SESSIONS_PER_HOUR_PER_ADDRESS: i64 = 30;
/// Messages the chat shows when it (re)opens.
pub const HISTORY: i64 = 200;

const MINUTE: i64 = 60_000_000;
const DAY: i64 = 24 * 3600 * 1_000_000;

/// The keyed hash of a client address (never stored in clear).
pub fn address_hash(app: &App, address: &str) -> String {
    app.secrets.keyed_hash("webchat-address", address.as_bytes())
}

/// The session a token opens on this unit, extending its life.
pub async fn resume(app: &App, unit: &Unit, token: &str) -> Result<Option<SessionRow>, ChatError> {
    if token.len() > 100 {
        return Ok(None);
    }
    let now = app.clock.now_micros();
    let Some(s) = store::session_by_token(&app.db, &crypto::token_hash(token), now).await? else { return Ok(None) };
    if s.unit_id != unit.id.0 {
        return Ok(None);
    }
    // Written at most once an hour so reads do not queue behind the SQLite writer.
    if now - s.last_seen_at > 3600 * 1_000_000 {
        store::touch_session(&app.db, s.id, now, now + SESSION_DAYS * DAY).await?;
    }
    Ok(Some(s))
}

/// Starts a session: returns it and its token (shown once: cookie and the widget's storage).
pub async fn start(app: &App, unit: &Unit, address: &str) -> Result<(SessionRow, String), ChatError> {
    let now = app.clock.now_micros();
    let ip = address_hash(app, address);
    let token = crypto::random_token();
    let expires_at = now + SESSION_DAYS * DAY;
    let limit = store::SessionLimit { since: now - 60 * MINUTE, max: SESSIONS_PER_HOUR_PER_ADDRESS };
    let hash = crypto::token_hash(&token);
    let started = store::insert_session_within(&app.db, unit.id.0, &hash, &ip, now, expires_at, limit).await?;
    let Some(id) = started else { return Err(ChatError::RateLimited) };
    let session = SessionRow { id, unit_id: unit.id.0, created_at: now, last_seen_at: now, expires_at };
    Ok((session, token))
}

/// What a citizen posts, parsed at the edge.
#[derive(Debug, Clone, PartialEq)]
pub enum Post {
    Text(String),
    /// A tapped button: its payload, and its label as the chat shows it.
    Tap {
        payload: String,
        label: String,
    },
    Location {
        lat: f64,
        lon: f64,
    },
}

/// Checks a typed text: not empty, at most [`MAX_TEXT_CHARS`], no control characters.
pub fn parse_text(raw: &str) -> Result<String, ChatError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ChatError::Empty);
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ChatError::TooLong);
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ChatError::NotText);
    }
    // What is left to clean (CR/LF, bidirectional overrides) the way every channel's text is.
    let text = caunoi_core::input::clean_text(text);
    if text.trim().is_empty() {
        return Err(ChatError::Empty);
    }
    Ok(text)
}

/// Checks a button payload: one the bot creates (`kb:`, `menu:`, `fb:yes:`, `fb:no:`, and the
/// report flow's `rp:`).
pub fn parse_payload(raw: &str) -> Result<String, ChatError> {
    let p = raw.trim();
    let known = ["kb:", "menu:", "fb:yes:", "fb:no:", caunoi_core::cases::intake::PREFIX]
        .iter()
        .any(|prefix| p.starts_with(prefix))
        || p == caunoi_core::bot::RATE_YES
        || p == caunoi_core::bot::RATE_NO;
    if !known || p.len() > 200 || p.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ChatError::BadChoice);
    }
    Ok(p.to_string())
}

/// Checks a location: finite coordinates on Earth.
pub fn parse_location(lat: f64, lon: f64) -> Result<(f64, f64), ChatError> {
    if lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
        Ok((lat, lon))
    } else {
        Err(ChatError::BadLocation)
    }
}

async fn check_rate(app: &App, session: &SessionRow, address: &str) -> Result<String, ChatError> {
    let now = app.clock.now_micros();
    let ip = address_hash(app, address);
    let limits = store::PostLimits {
        since: now - MINUTE,
        per_session: POSTS_PER_MINUTE_PER_SESSION,
        per_address: POSTS_PER_MINUTE_PER_ADDRESS,
    };
    if !store::record_post_within(&app.db, session.id, &ip, now, limits, now - 10 * MINUTE).await? {
        metrics::counter!("caunoi_webchat_rate_limited_total").increment(1);
        return Err(ChatError::RateLimited);
    }
    Ok(ip)
}

async fn deliver(app: &App, unit: &Unit, session: &SessionRow, msg: CitizenMessage) -> Result<TurnOutcome, ChatError> {
    let context = UnitContext::load(app, Some(unit.clone())).await.map_err(|e| {
        tracing::error!(error = %e, "web chat unit context not read");
        ChatError::Internal
    })?;
    let external_id = session.id.to_string();
    let from = CitizenRef {
        unit_id: unit.id.0,
        channel: Channel::Web,
        account: unit.code.as_str(),
        external_id: &external_id,
        interaction_at: Some(app.clock.now_micros()),
    };
    let turn = process_citizen_message(app, &context, &from, &msg, Once::Posted).await.map_err(|e| {
        tracing::error!(error = %e, "web chat message not stored");
        ChatError::Internal
    })?;
    metrics::counter!("caunoi_webchat_messages_total").increment(1);
    if turn.replies > 0 {
        app.channels().outbox_wake.notify_one();
    }
    app.channels().web.notify(session.id);
    Ok(turn)
}

/// A citizen's text, tap or location: stored with the bot's turn in one transaction.
pub async fn post(
    app: &App,
    unit: &Unit,
    session: &SessionRow,
    address: &str,
    post: Post,
) -> Result<TurnOutcome, ChatError> {
    check_rate(app, session, address).await?;
    let msg = match post {
        Post::Text(text) => CitizenMessage {
            kind: "text".into(),
            text,
            media_ref: None,
            media_url: None,
            channel_message_id: None,
            inbound: InboundKind::Text,
        },
        Post::Tap { payload, label } => CitizenMessage {
            kind: "text".into(),
            text: label,
            media_ref: None,
            media_url: None,
            channel_message_id: None,
            inbound: InboundKind::Choice(payload),
        },
        Post::Location { lat, lon } => CitizenMessage {
            kind: "location".into(),
            text: format!("{lat:.6},{lon:.6}"),
            media_ref: None,
            media_url: None,
            channel_message_id: None,
            inbound: InboundKind::Location { lat, lon },
        },
    };
    deliver(app, unit, session, msg).await
}

/// An upload's claim on the byte quotas, taken before its bytes are read (see [`allow_upload`]).
#[derive(Debug)]
pub struct UploadClaim {
    id: i64,
}

/// Counts an upload of at most `declared` bytes against the limits before its bytes are read:
/// the post rate, the media disk's free-space floor, and the session's and address's byte
/// quotas (hour and day), where `declared` is reserved at once so parallel uploads cannot all
/// pass. The caller settles the claim to the stored size ([`settle_upload`]) or gives it back
/// when the upload is refused ([`release_upload`]).
pub async fn allow_upload(
    app: &App,
    session: &SessionRow,
    address: &str,
    declared: u64,
) -> Result<UploadClaim, ChatError> {
    let ip = check_rate(app, session, address).await?;
    if !crate::media::space::has_room(&app.config.data_dir, declared, app.config.media_free_floor).await {
        return Err(ChatError::StorageFull);
    }
    let now = app.clock.now_micros();
    let q = app.config.upload_quotas;
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let limits = store::UploadLimits {
        hour_since: now - 60 * MINUTE,
        day_since: now - DAY,
        session_hour: as_i64(q.session_hour),
        session_day: as_i64(q.session_day),
        address_hour: as_i64(q.address_hour),
        address_day: as_i64(q.address_day),
    };
    match store::reserve_upload_within(&app.db, session.id, &ip, now, as_i64(declared), limits).await? {
        Ok(id) => Ok(UploadClaim { id }),
        Err(hit) => {
            metrics::counter!("caunoi_webchat_upload_quota_refusals_total").increment(1);
            Err(match hit {
                store::QuotaHit::SessionHour | store::QuotaHit::AddressHour => ChatError::UploadQuotaHour,
                store::QuotaHit::SessionDay | store::QuotaHit::AddressDay => ChatError::UploadQuotaDay,
            })
        }
    }
}

/// Settles an accepted upload's claim to the bytes it took.
pub async fn settle_upload(app: &App, claim: UploadClaim, bytes: u64) -> Result<(), ChatError> {
    Ok(store::settle_upload(&app.db, claim.id, i64::try_from(bytes).unwrap_or(i64::MAX)).await?)
}

/// Gives back the claim of an upload that was refused or broke off: it used none of the quotas.
pub async fn release_upload(app: &App, claim: UploadClaim) {
    if let Err(e) = store::release_upload(&app.db, claim.id).await {
        tracing::warn!(error = %e, "an upload's quota claim was not released");
    }
}

/// Records a stored upload as a photo or video message (the bot hands it to an officer).
pub async fn post_media(
    app: &App,
    unit: &Unit,
    session: &SessionRow,
    media_ref: String,
    kind: FileType,
) -> Result<TurnOutcome, ChatError> {
    let msg = CitizenMessage {
        kind: kind.message_kind().into(),
        text: String::new(),
        media_ref: Some(media_ref),
        media_url: None,
        channel_message_id: None,
        inbound: InboundKind::Media(if kind.is_video() { MediaKind::Video } else { MediaKind::Image }),
    };
    deliver(app, unit, session, msg).await
}

/// Maps an upload failure to what the citizen reads.
pub fn upload_error(e: UploadError) -> ChatError {
    match e {
        UploadError::NotAccepted => ChatError::NotMedia,
        UploadError::TooLarge(kind) if kind.is_video() => ChatError::VideoTooLarge,
        UploadError::TooLarge(_) => ChatError::ImageTooLarge,
        UploadError::Broken => ChatError::UploadBroken,
        UploadError::Refused(r) => ChatError::Refused(r),
        UploadError::Io(e) => {
            tracing::error!(error = %e, "web chat upload not stored");
            ChatError::Internal
        }
    }
}

/// The session's messages after `after` that the chat may show now, oldest first. Stops before
/// the first reply still waiting in the outbox, so a later message never overtakes it.
pub async fn history(
    app: &App,
    unit: &Unit,
    session: &SessionRow,
    after: Option<i64>,
) -> Result<Vec<HistoryRow>, ChatError> {
    let contact = session_contact(unit.code.as_str(), session.id);
    let mut rows = crate::conversations::service::contact_history(&app.db, &contact, after, HISTORY).await?;
    if let Some(first_pending) = rows.iter().position(|r| r.pending) {
        rows.truncate(first_pending);
    }
    Ok(rows)
}

/// Where the session's conversation stands (`None` before its first message).
pub async fn status(app: &App, unit: &Unit, session: &SessionRow) -> Result<Option<Status>, ChatError> {
    let contact = session_contact(unit.code.as_str(), session.id);
    Ok(crate::conversations::service::contact_status(&app.db, &contact).await?)
}

/// How a web chat session is known among the contacts: (`web`, unit code, session id).
fn session_contact(unit_code: &str, session_id: i64) -> ContactKey {
    (Channel::Web.as_str().to_string(), unit_code.to_string(), session_id.to_string())
}

/// Who asks for a stored file.
pub enum Viewer<'a> {
    /// The web chat session on this unit.
    Session { unit_code: &'a str, session_id: i64 },
    /// A signed-in officer (the conversation must be in their scope).
    Officer(OfficerId),
}

/// The media reference of a message's stored file, if the viewer may see it (else "not found":
/// existence does not leak): a citizen's upload or an officer's attachment. The caller streams
/// it (`MediaStore::serve`), so a video is never held in memory.
pub async fn media_file(app: &App, message_id: i64, viewer: &Viewer<'_>) -> Result<String, ChatError> {
    let row = crate::conversations::service::media_of(&app.db, message_id).await?.ok_or(ChatError::NotFound)?;
    let allowed = match viewer {
        Viewer::Session { unit_code, session_id } => {
            row.channel == Channel::Web
                && row.channel_account == *unit_code
                && row.external_id == session_id.to_string()
        }
        Viewer::Officer(officer) => {
            crate::conversations::service::in_officer_scope(&app.db, *officer, row.conversation_id).await?
        }
    };
    if !allowed {
        return Err(ChatError::NotFound);
    }
    crate::media::parse_ref(&row.media_ref).ok_or(ChatError::NotFound)?;
    Ok(row.media_ref)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_refused_when_empty_too_long_or_binary() {
        assert!(matches!(parse_text("   "), Err(ChatError::Empty)));
        assert!(matches!(parse_text(&"a".repeat(2001)), Err(ChatError::TooLong)));
        assert!(matches!(parse_text("abc\u{0}def"), Err(ChatError::NotText)));
        assert_eq!(parse_text(" Xin chào\r\ncán bộ ").ok().as_deref(), Some("Xin chào\ncán bộ"));
        assert_eq!(parse_text("gnp.\u{202E}exe.jpg").ok().as_deref(), Some("gnp.exe.jpg"), "no direction override");
        assert!(matches!(parse_text("\u{202E}\u{2066}"), Err(ChatError::Empty)));
        assert!(parse_text(&"ă".repeat(2000)).is_ok());
    }

    #[test]
    fn only_the_bots_own_payloads_are_accepted() {
        assert_eq!(parse_payload("fb:yes:can-cuoc.le-phi").ok().as_deref(), Some("fb:yes:can-cuoc.le-phi"));
        assert!(parse_payload("menu:talk_to_officer").is_ok());
        assert!(parse_payload("tel:113").is_err());
        assert!(parse_payload("anything").is_err());
        assert!(parse_location(91.0, 0.0).is_err());
        assert!(parse_location(f64::NAN, 0.0).is_err());
        assert!(parse_location(20.96, 107.04).is_ok());
    }
}
