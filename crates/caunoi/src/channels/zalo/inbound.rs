//! Zalo's inbound wire, translated: a stored webhook event becomes a channel-neutral
//! [`Inbound`] (a citizen's message, an interaction, or an officer's echo from OA Manager), with
//! its media downloaded first. What the message *means* is decided in `conversations`; this
//! module only reads Zalo's event kinds and attachments, and cleans texts at the boundary
//! (`caunoi_core::input::clean_text`: a NUL would make PostgreSQL refuse the whole batch).

use super::media::{self, Expect};
use crate::app::App;
use caunoi_core::bot::MediaKind;
use caunoi_core::conversations::{CitizenMessage, Inbound, InboundKind, MAX_TEXT_CHARS};
use caunoi_core::input::clean_text;
use caunoi_zalo::{Attachment, Event, EventKind, MessageKind};

/// How much older than its receipt an event's own timestamp is believed: Zalo retries a delivery
/// for a while, and the reply window is counted from when the citizen wrote. Outside this (and
/// [`BELIEVED_AHEAD`]) the time of receipt is used, so a timestamp of 2001 or 2100 cannot close
/// or hold open a live citizen's reply window (zalo-oa.md: the window is 7 days at most).
const BELIEVED_PAST: i64 = 7 * 24 * 3600 * 1_000_000;

/// How far ahead of the receipt an event's timestamp is believed (clocks drift a little).
const BELIEVED_AHEAD: i64 = 5 * 60 * 1_000_000;

/// Whether a webhook event has anything for the inbound worker to do: citizens' messages,
/// follows, taps on "Nhắn tin", shared info and echoes of what a human typed in OA Manager.
/// Echoes of our own API sends, delivery and read receipts, unfollows and unknown kinds are
/// only kept: the webhook stores them already processed, so they never reach the worker
/// (each reply the bot sends comes back as two such events).
pub fn needs_processing(event: &Event) -> bool {
    match &event.kind {
        EventKind::UserMessage(_)
        | EventKind::Follow(_)
        | EventKind::UserClickChatNow { .. }
        | EventKind::UserSubmitInfo(_) => true,
        EventKind::OaEcho(e) => e.admin_id.is_some(),
        EventKind::Unfollow(_)
        | EventKind::MessageReceived(_)
        | EventKind::MessageSeen(_)
        | EventKind::Unknown { .. } => false,
    }
}

/// What a stored event means (see the module docs); `None` for events with nothing to do or a
/// body that no longer parses (validated when received, so kept and skipped). Media is
/// downloaded here, before any transaction; a failed download keeps Zalo's URL only.
pub async fn translate(app: &App, raw_body: &str, received_at: i64) -> Option<Inbound> {
    let event = Event::parse(raw_body.as_bytes()).ok()?;
    if !needs_processing(&event) {
        return None;
    }
    let at = event
        .timestamp_millis()
        .map(|ms| ms.saturating_mul(1000))
        .filter(|at| (received_at - BELIEVED_PAST..=received_at + BELIEVED_AHEAD).contains(at))
        .unwrap_or(received_at);
    match &event.kind {
        EventKind::UserMessage(m) => {
            let oa_id = m.oa_id.to_string();
            let user_id = m.user_id.to_string();
            let from = media::Sender { oa_id: &oa_id, user_id: &user_id };
            let (media_ref, media_url) = fetch_media(app, from, &m.attachments).await;
            let inbound = match (&m.kind, m.location()) {
                (_, Some((lat, lon))) => InboundKind::Location { lat, lon },
                (MessageKind::Text, _) => InboundKind::Text,
                (MessageKind::Link, _) if m.text.as_deref().is_some_and(|t| !t.trim().is_empty()) => InboundKind::Text,
                (MessageKind::Sticker, _) => InboundKind::Sticker,
                (kind, _) => InboundKind::Media(media_kind(kind)),
            };
            let message = CitizenMessage {
                kind: kind_name(&m.kind),
                text: match m.location() {
                    // Stored as the web chat stores it, so the console links it to a map.
                    Some((lat, lon)) => format!("{lat:.6},{lon:.6}"),
                    None => clean_text(m.text.as_deref().unwrap_or_default()).chars().take(MAX_TEXT_CHARS).collect(),
                },
                media_ref,
                media_url,
                channel_message_id: Some(m.msg_id.to_string()),
                inbound,
            };
            Some(Inbound::Message { user_id: m.user_id.to_string(), at, message })
        }
        EventKind::Follow(f) => {
            let message = CitizenMessage {
                kind: "follow".into(),
                text: String::new(),
                media_ref: None,
                media_url: None,
                channel_message_id: None,
                inbound: InboundKind::Follow,
            };
            Some(Inbound::Message { user_id: f.user_id.to_string(), at, message })
        }
        EventKind::UserClickChatNow { user_id, .. } => Some(Inbound::Interaction { user_id: user_id.to_string(), at }),
        EventKind::UserSubmitInfo(i) => Some(Inbound::Interaction { user_id: i.user_id.to_string(), at }),
        // Echoes of our own API sends carry no admin id; a human in OA Manager does.
        EventKind::OaEcho(e) if e.admin_id.is_some() => Some(Inbound::OfficerEcho {
            user_id: e.user_id.to_string(),
            text: clean_text(e.text.as_deref().unwrap_or_default()),
            channel_message_id: e.msg_id.to_string(),
        }),
        _ => None,
    }
}

/// The stored `messages.kind` of a Zalo message kind.
fn kind_name(k: &MessageKind) -> String {
    match k {
        MessageKind::Text => "text".into(),
        MessageKind::Image => "image".into(),
        MessageKind::Gif => "gif".into(),
        MessageKind::Sticker => "sticker".into(),
        MessageKind::File => "file".into(),
        MessageKind::Audio => "audio".into(),
        MessageKind::Video => "video".into(),
        MessageKind::Link => "link".into(),
        MessageKind::Location => "location".into(),
        MessageKind::BusinessCard => "business_card".into(),
        MessageKind::List => "list".into(),
        MessageKind::Template => "template".into(),
        MessageKind::Other(o) => o.chars().take(40).collect(),
    }
}

/// What the bot is told a non-text message is.
fn media_kind(k: &MessageKind) -> MediaKind {
    match k {
        MessageKind::Image => MediaKind::Image,
        MessageKind::Gif => MediaKind::Gif,
        MessageKind::Video => MediaKind::Video,
        MessageKind::Audio => MediaKind::Audio,
        MessageKind::Link => MediaKind::Link,
        MessageKind::BusinessCard => MediaKind::BusinessCard,
        _ => MediaKind::File,
    }
}

/// Downloads the first media attachment; a failure keeps the URL only.
async fn fetch_media(
    app: &App,
    from: media::Sender<'_>,
    attachments: &[Attachment],
) -> (Option<String>, Option<String>) {
    let found = attachments.iter().find_map(|a| match a {
        Attachment::Image { url, .. } | Attachment::Gif { url, .. } => Some((url.as_str(), Expect::Image)),
        Attachment::Video { url, .. } | Attachment::Audio { url } | Attachment::File { url, .. } => {
            Some((url.as_str(), Expect::Any))
        }
        _ => None,
    });
    let Some((url, expect)) = found else { return (None, None) };
    match media::download(app, from, url, expect).await {
        Ok(r) => (Some(r), Some(url.to_string())),
        Err(e) => {
            tracing::warn!(error = %e, "media download failed; the message is kept with its URL");
            metrics::counter!("caunoi_media_download_failed_total").increment(1);
            (None, Some(url.to_string()))
        }
    }
}
