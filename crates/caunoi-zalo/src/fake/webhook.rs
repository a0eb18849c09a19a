//! The fake as the citizens' side: builds webhook bodies exactly as Zalo does (§3.6 field
//! names, keys in the documented order), signs them (§3.5) and POSTs them to the OA's
//! webhook URL, applying the duplicate/reorder knobs. Also the echoes and receipts that
//! follow an OA send, and the media files the fake hands out in events.
//!
//! Keys are written in Zalo's order, not sorted: an app that re-serializes the JSON before
//! checking the MAC then fails here as it would against Zalo.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{DeliveryRecord, FakeError, FakeUser, PendingDelivery, SentRecord, Shared};
use crate::ids::{OaId, UserId};
use crate::signature::{MacFirstTerm, MacSecret, RETRY_HEADER, SERVER_HEADER, SIGNATURE_HEADER, compute_mac};

/// A 1×1 PNG, served for image events that name no URL.
pub(crate) const TINY_PNG: [u8; 70] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 31, 21, 196,
    137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 100, 96, 248, 95, 15, 0, 2, 135, 1, 128, 235, 71, 186, 146, 0, 0,
    0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];
const TINY_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// What a simulated citizen does (`POST /__fake/users/{user_id}/send` body).
///
/// `event` is a Zalo event name (`user_send_image`, `follow`, …) or its short form
/// (`image`, `follow`, `submit_info`, `chatnow`); default `user_send_text`. Fields that the
/// event does not use are ignored; media URLs default to files served by the fake.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserAction {
    /// The OA written to.
    pub oa_id: String,
    /// Event name (see above).
    #[serde(default)]
    pub event: Option<String>,
    /// Text, caption or place label.
    #[serde(default)]
    pub text: Option<String>,
    /// Media URL (image, gif, video, audio, file, link, sticker).
    #[serde(default)]
    pub url: Option<String>,
    /// Thumbnail URL.
    #[serde(default)]
    pub thumbnail: Option<String>,
    /// File name.
    #[serde(default)]
    pub name: Option<String>,
    /// File size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// File type (`pdf`).
    #[serde(default)]
    pub file_type: Option<String>,
    /// Link/video description.
    #[serde(default)]
    pub description: Option<String>,
    /// Latitude (alias `lat`).
    #[serde(default, alias = "lat")]
    pub latitude: Option<f64>,
    /// Longitude (aliases `lon`, `long`).
    #[serde(default, alias = "lon", alias = "long")]
    pub longitude: Option<f64>,
    /// Sticker id.
    #[serde(default)]
    pub sticker_id: Option<String>,
    /// Message being quoted.
    #[serde(default)]
    pub quote_msg_id: Option<String>,
    /// Follow source.
    #[serde(default)]
    pub source: Option<String>,
    /// `info` object of `user_submit_info`, as Zalo would send it (default: the newer layout
    /// with sample data).
    #[serde(default)]
    pub info: Option<Value>,
    /// Force this `msg_id` (default: a fresh one).
    #[serde(default)]
    pub msg_id: Option<String>,
    /// For `user_seen_message`: the OA message ids read.
    #[serde(default)]
    pub msg_ids: Option<Vec<String>>,
    /// For `oa_send_text`: the OA Manager admin who typed it.
    #[serde(default)]
    pub admin_id: Option<String>,
    /// Display name the fake reports in `user/detail`.
    #[serde(default)]
    pub display_name: Option<String>,
}

impl UserAction {
    /// An action of the given event kind.
    pub fn event(oa_id: &str, event: &str) -> Self {
        Self { oa_id: oa_id.to_owned(), event: Some(event.to_owned()), ..Self::default() }
    }

    /// `user_send_text`.
    pub fn text(oa_id: &str, text: &str) -> Self {
        Self { text: Some(text.to_owned()), ..Self::event(oa_id, "user_send_text") }
    }

    /// `user_send_image` with an image served by the fake.
    pub fn image(oa_id: &str, caption: Option<&str>) -> Self {
        Self { text: caption.map(str::to_owned), ..Self::event(oa_id, "user_send_image") }
    }

    /// `user_send_location`.
    pub fn location(oa_id: &str, latitude: f64, longitude: f64) -> Self {
        Self { latitude: Some(latitude), longitude: Some(longitude), ..Self::event(oa_id, "user_send_location") }
    }

    /// `follow`.
    pub fn follow(oa_id: &str) -> Self {
        Self::event(oa_id, "follow")
    }

    /// `unfollow`.
    pub fn unfollow(oa_id: &str) -> Self {
        Self::event(oa_id, "unfollow")
    }
}

/// What happened to a simulated action's webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// `event_name` of the webhook.
    pub event_name: String,
    /// `message.msg_id`, for message events.
    pub msg_id: Option<String>,
    /// The exact body sent.
    pub body: String,
    /// The app's HTTP status for each copy delivered (`None`: the request failed); empty
    /// when the delivery is held back by the reorder knob.
    pub statuses: Vec<Option<u16>>,
    /// Whether the delivery is held back (reorder knob).
    pub held: bool,
}

/// JSON with keys in a chosen order.
enum J {
    O(Vec<(&'static str, J)>),
    A(Vec<J>),
    V(Value),
}

impl Serialize for J {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            J::O(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            J::A(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            J::V(v) => v.serialize(s),
        }
    }
}

fn s(v: impl Into<String>) -> J {
    J::V(Value::String(v.into()))
}

fn id(v: impl Into<String>) -> J {
    J::O(vec![("id", s(v))])
}

/// A stable App-scoped id for a user (numeric string, like Zalo's).
pub(crate) fn user_id_by_app(oa_id: &OaId, user_id: &UserId) -> String {
    let digest = Sha256::digest(format!("{oa_id}/{user_id}"));
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(eight) % 9_000_000_000_000_000_000 + 1_000_000_000_000_000_000).to_string()
}

pub(crate) fn add_media(shared: &Shared, content_type: &str, extension: &str, bytes: Vec<u8>) -> String {
    let mut state = shared.lock();
    let name = format!("{}.{extension}", state.next_hex(shared.seed, 8));
    state.media.insert(name.clone(), (content_type.to_owned(), bytes));
    format!("{}/__fake/media/{name}", shared.base_url)
}

fn full_event_name(event: Option<&str>) -> String {
    let event = event.unwrap_or("user_send_text");
    match event {
        "text" | "image" | "gif" | "sticker" | "file" | "audio" | "video" | "link" | "location" | "business_card" => {
            format!("user_send_{event}")
        }
        "submit_info" => "user_submit_info".into(),
        "chatnow" | "click_chatnow" => "user_click_chatnow".into(),
        "seen" => "user_seen_message".into(),
        "received" => "user_received_message".into(),
        other => other.to_owned(),
    }
}

/// Builds the event, updates the fake's user state, delivers it.
pub(crate) async fn user_sends(shared: &Arc<Shared>, user_id: &str, action: UserAction) -> Result<Delivery, FakeError> {
    let event_name = full_event_name(action.event.as_deref());
    let media_default = |ct: &str, ext: &str, bytes: &[u8]| add_media(shared, ct, ext, bytes.to_vec());
    // Default media URLs are created before the state lock is taken.
    let needs_media = action.url.is_none();
    let default_url = match event_name.as_str() {
        "user_send_image" if needs_media => Some(media_default("image/png", "png", &TINY_PNG)),
        "user_send_gif" if needs_media => Some(media_default("image/gif", "gif", b"GIF89a")),
        "user_send_file" if needs_media => Some(media_default("application/pdf", "pdf", TINY_PDF)),
        "user_send_video" if needs_media => Some(media_default("video/mp4", "mp4", b"\0\0\0\x18ftypmp42")),
        "user_send_audio" if needs_media => Some(media_default("audio/aac", "aac", b"\xff\xf1")),
        "user_send_sticker" if needs_media => Some(media_default("image/png", "png", &TINY_PNG)),
        _ => None,
    };
    let url = action.url.clone().or(default_url);
    let (pending, message_id) = build_and_record(shared, user_id, &event_name, &action, url)?;
    let body_text = String::from_utf8_lossy(&pending.body).into_owned();
    let (statuses, held) = deliver(shared, pending).await;
    Ok(Delivery { event_name, msg_id: message_id, body: body_text, statuses, held })
}

/// Builds the webhook body and applies the event to the fake's user state, under the lock.
fn build_and_record(
    shared: &Shared,
    user_id: &str,
    event_name: &str,
    action: &UserAction,
    url: Option<String>,
) -> Result<(PendingDelivery, Option<String>), FakeError> {
    let event_name = event_name.to_owned();
    let oa_id = OaId::new(action.oa_id.clone());
    let user = UserId::new(user_id);
    let mut state = shared.lock();
    let oa = state.oas.get(&oa_id).ok_or_else(|| FakeError::UnknownOa(oa_id.to_string()))?;
    if oa.webhook_url.is_none() {
        return Err(FakeError::NoWebhookUrl(oa_id.to_string()));
    }
    let app_id = oa.app_id.to_string();
    let now = state.now_ms();
    let timestamp = now.to_string();
    let by_app = user_id_by_app(&oa_id, &user);
    let msg_id = match &action.msg_id {
        Some(m) => m.clone(),
        None => state.next_hex(shared.seed, 10),
    };
    let invalid = |why: &str| FakeError::InvalidAction(why.to_owned());

    let mut message_id = Some(msg_id.clone());
    let body = if let Some(kind) = event_name.strip_prefix("user_send_") {
        let mut message = Vec::new();
        if kind == "text" {
            let text = action.text.clone().ok_or_else(|| invalid("text is required"))?;
            message.push(("text", s(text)));
            message.push(("msg_id", s(msg_id.clone())));
        } else {
            message.push(("msg_id", s(msg_id.clone())));
            let text = match kind {
                "location" => Some(action.text.clone().unwrap_or_default()),
                _ => action.text.clone(),
            };
            if let Some(text) = text {
                message.push(("text", s(text)));
            }
            let payload = attachment_payload(kind, action, url.clone())?;
            let attachment_type = if kind == "business_card" { "contact" } else { kind };
            message.push(("attachments", J::A(vec![J::O(vec![("type", s(attachment_type)), ("payload", payload)])])));
        }
        if let Some(quote) = &action.quote_msg_id {
            message.push(("quote_msg_id", s(quote.clone())));
        }
        J::O(vec![
            ("app_id", s(app_id)),
            ("user_id_by_app", s(by_app)),
            ("event_name", s(event_name.clone())),
            ("timestamp", s(timestamp)),
            ("sender", id(user_id)),
            ("recipient", id(oa_id.to_string())),
            ("message", J::O(message)),
        ])
    } else {
        match event_name.as_str() {
            "follow" | "unfollow" => {
                message_id = None;
                J::O(vec![
                    ("app_id", s(app_id)),
                    ("oa_id", s(oa_id.to_string())),
                    ("user_id_by_app", s(by_app)),
                    ("event_name", s(event_name.clone())),
                    ("source", s(action.source.clone().unwrap_or_else(|| "oa_profile".into()))),
                    ("timestamp", s(timestamp)),
                    ("follower", id(user_id)),
                ])
            }
            "user_click_chatnow" => {
                message_id = None;
                J::O(vec![
                    ("app_id", s(app_id)),
                    ("oa_id", s(oa_id.to_string())),
                    ("user_id", s(user_id)),
                    ("user_id_by_app", s(by_app)),
                    ("event_name", s(event_name.clone())),
                    ("timestamp", s(timestamp)),
                ])
            }
            "user_submit_info" => {
                message_id = None;
                let info = action.info.clone().unwrap_or_else(|| {
                    serde_json::json!({
                        "name": "Nguyễn Văn An",
                        "phone": "84912345678",
                        "user_dob": "30/10/1990",
                        "gender": "Nam",
                        "full_address": {
                            "user_city": "Thành phố Hà Nội",
                            "user_ward": "Phường Hoàn Kiếm",
                            "user_address": "12 Hàng Bài"
                        }
                    })
                });
                J::O(vec![
                    ("app_id", s(app_id)),
                    ("event_name", s(event_name.clone())),
                    ("timestamp", s(timestamp)),
                    ("sender", id(user_id)),
                    ("recipient", id(oa_id.to_string())),
                    ("info", J::V(info)),
                ])
            }
            "user_seen_message" => {
                message_id = None;
                let ids = action.msg_ids.clone().ok_or_else(|| invalid("msg_ids is required"))?;
                J::O(vec![
                    ("app_id", s(app_id)),
                    ("event_name", s(event_name.clone())),
                    ("timestamp", s(timestamp)),
                    ("sender", id(oa_id.to_string())),
                    ("recipient", id(user_id)),
                    ("message", J::O(vec![("msg_ids", J::A(ids.into_iter().map(s).collect()))])),
                ])
            }
            "oa_send_text" => {
                let text = action.text.clone().ok_or_else(|| invalid("text is required"))?;
                let mut sender = vec![("id", s(oa_id.to_string()))];
                if let Some(admin) = &action.admin_id {
                    sender.push(("admin_id", s(admin.clone())));
                }
                J::O(vec![
                    ("app_id", s(app_id)),
                    ("event_name", s(event_name.clone())),
                    ("timestamp", s(timestamp)),
                    ("user_id_by_app", s(by_app)),
                    ("sender", J::O(sender)),
                    ("recipient", id(user_id)),
                    ("message", J::O(vec![("msg_id", s(msg_id.clone())), ("text", s(text))])),
                ])
            }
            other => return Err(invalid(&format!("the fake cannot simulate `{other}`"))),
        }
    };
    let body = serde_json::to_vec(&body).map_err(|e| invalid(&e.to_string()))?;

    // What the event does to the user as Zalo sees it (§3.7, §5.2).
    let key = (oa_id.clone(), user.clone());
    let is_interaction = event_name.starts_with("user_send_")
        || matches!(event_name.as_str(), "follow" | "user_click_chatnow" | "user_submit_info");
    let new_user = !state.users.contains_key(&key);
    let entry = state.users.entry(key).or_insert_with(|| FakeUser { follower: true, ..FakeUser::default() });
    if new_user && event_name == "unfollow" {
        entry.follower = false;
    }
    if is_interaction {
        entry.last_interaction_ms = Some(now);
    }
    match event_name.as_str() {
        "follow" => entry.follower = true,
        "unfollow" => entry.follower = false,
        "user_submit_info" => entry.shared_info = shared_info(action.info.as_ref()),
        _ => {}
    }
    if let Some(name) = &action.display_name {
        entry.display_name = Some(name.clone());
    }
    Ok((PendingDelivery { oa_id, event_name, body, zns: false }, message_id))
}

fn attachment_payload(kind: &str, action: &UserAction, url: Option<String>) -> Result<J, FakeError> {
    let url_or =
        |what: &str| url.clone().ok_or_else(|| FakeError::InvalidAction(format!("url is required for {what}")));
    let thumb = || s(action.thumbnail.clone().or_else(|| url.clone()).unwrap_or_default());
    Ok(match kind {
        "image" | "gif" => J::O(vec![("url", s(url_or(kind)?)), ("thumbnail", thumb())]),
        "video" => J::O(vec![
            ("url", s(url_or(kind)?)),
            ("thumbnail", thumb()),
            ("description", s(action.description.clone().unwrap_or_default())),
        ]),
        "audio" => J::O(vec![("url", s(url_or(kind)?))]),
        "file" => {
            let url = url_or(kind)?;
            let name = action.name.clone().unwrap_or_else(|| "don-trinh-bao.pdf".into());
            let file_type = action
                .file_type
                .clone()
                .unwrap_or_else(|| name.rsplit_once('.').map(|(_, e)| e.to_owned()).unwrap_or_else(|| "pdf".into()));
            let size = action.size.unwrap_or(TINY_PDF.len() as u64);
            J::O(vec![
                ("url", s(url.clone())),
                ("name", s(name)),
                ("size", s(size.to_string())),
                ("type", s(file_type)),
                ("checksum", s(hex::encode(&Sha256::digest(url.as_bytes())[..16]))),
            ])
        }
        "link" => J::O(vec![
            ("url", s(url_or(kind)?)),
            ("thumbnail", thumb()),
            ("description", s(action.description.clone().unwrap_or_default())),
        ]),
        "sticker" => J::O(vec![
            ("id", s(action.sticker_id.clone().unwrap_or_else(|| "a1b2c3".into()))),
            ("url", s(url_or(kind)?)),
        ]),
        "location" => {
            let (Some(lat), Some(lon)) = (action.latitude, action.longitude) else {
                return Err(FakeError::InvalidAction("latitude and longitude are required".into()));
            };
            // Zalo has been seen sending coordinates as strings (§3.6).
            J::O(vec![("coordinates", J::O(vec![("latitude", s(lat.to_string())), ("longitude", s(lon.to_string()))]))])
        }
        _ => J::O(vec![
            ("url", s(url.unwrap_or_default())),
            ("description", s(action.description.clone().unwrap_or_default())),
        ]),
    })
}

/// `shared_info` as `user/detail` reports it after a `user_submit_info`.
fn shared_info(info: Option<&Value>) -> Option<Value> {
    let default_info;
    let info = match info {
        Some(info) => info,
        None => {
            default_info = serde_json::json!({ "name": "Nguyễn Văn An", "phone": "84912345678",
                "user_dob": "30/10/1990",
                "full_address": { "user_city": "Thành phố Hà Nội", "user_address": "12 Hàng Bài" } });
            &default_info
        }
    };
    let get = |path: &[&str]| {
        let mut cur = info;
        for key in path {
            cur = cur.get(key)?;
        }
        cur.as_str().map(str::to_owned)
    };
    Some(serde_json::json!({
        "name": get(&["name"]).unwrap_or_default(),
        "phone": get(&["phone"]).unwrap_or_default(),
        "address": get(&["full_address", "user_address"]).or_else(|| get(&["address"])).unwrap_or_default(),
        "city": get(&["full_address", "user_city"]).or_else(|| get(&["city"])).unwrap_or_default(),
        "district": get(&["district"]).unwrap_or_default(),
        "user_dob": get(&["user_dob"]).unwrap_or_default(),
    }))
}

/// Delivers one webhook, applying the reorder and duplicate knobs. Returns the statuses of
/// this delivery's copies and whether it was held back.
pub(crate) async fn deliver(shared: &Arc<Shared>, pending: PendingDelivery) -> (Vec<Option<u16>>, bool) {
    let batch = {
        let mut state = shared.lock();
        if state.faults.reorder > 0 {
            state.faults.reorder -= 1;
            state.held.push(pending);
            if state.faults.reorder > 0 {
                return (Vec::new(), true);
            }
            let mut batch = std::mem::take(&mut state.held);
            batch.reverse();
            batch
        } else {
            vec![pending]
        }
    };
    let mut first = None;
    for item in batch {
        let statuses = deliver_copies(shared, &item).await;
        first.get_or_insert(statuses);
    }
    (first.unwrap_or_default(), false)
}

/// The OA admin revoked the App: the OA's tokens die and `permission_revoked` is delivered.
/// The event's payload is undocumented [U]; the fake sends the common envelope with a
/// top-level `oa_id`, like the follower events.
pub(crate) async fn revoke_permission(shared: &Arc<Shared>, oa_id: &str) -> Result<Delivery, FakeError> {
    let oa = OaId::new(oa_id);
    let pending = {
        let mut state = shared.lock();
        let now = state.now_ms();
        let entry = state.oas.get_mut(&oa).ok_or_else(|| FakeError::UnknownOa(oa_id.to_owned()))?;
        entry.refresh_token = String::new();
        let app_id = entry.app_id.to_string();
        if entry.webhook_url.is_none() {
            return Err(FakeError::NoWebhookUrl(oa_id.to_owned()));
        }
        state.access_tokens.retain(|_, info| info.oa_id != oa);
        let body = J::O(vec![
            ("app_id", s(app_id)),
            ("oa_id", s(oa_id)),
            ("event_name", s("permission_revoked")),
            ("timestamp", s(now.to_string())),
        ]);
        PendingDelivery {
            oa_id: oa,
            event_name: "permission_revoked".into(),
            body: serde_json::to_vec(&body).unwrap_or_default(),
            zns: false,
        }
    };
    let body = String::from_utf8_lossy(&pending.body).into_owned();
    let (statuses, held) = deliver(shared, pending).await;
    Ok(Delivery { event_name: "permission_revoked".into(), msg_id: None, body, statuses, held })
}

/// Delivers whatever the reorder knob holds, newest first.
pub(crate) async fn release_held(shared: &Arc<Shared>) {
    let mut batch = {
        let mut state = shared.lock();
        state.faults.reorder = 0;
        std::mem::take(&mut state.held)
    };
    batch.reverse();
    for item in batch {
        deliver_copies(shared, &item).await;
    }
}

async fn deliver_copies(shared: &Arc<Shared>, item: &PendingDelivery) -> Vec<Option<u16>> {
    let copies = {
        let mut state = shared.lock();
        match state.faults.duplicate {
            Some((copies, count)) if count > 0 => {
                state.faults.duplicate = if count > 1 { Some((copies, count - 1)) } else { None };
                copies.max(1)
            }
            _ => 1,
        }
    };
    let mut statuses = Vec::new();
    for attempt in 0..copies {
        let retry = (attempt > 0).then_some(attempt);
        if let Some(status) = send_one(shared, item, retry).await {
            statuses.push(status);
        }
    }
    statuses
}

/// One signed POST. `None` when the OA has no webhook URL (nothing is attempted).
async fn send_one(shared: &Arc<Shared>, item: &PendingDelivery, num_retry: Option<u32>) -> Option<Option<u16>> {
    let (url, header) = {
        let state = shared.lock();
        let oa = state.oas.get(&item.oa_id)?;
        let url = oa.webhook_url.clone()?;
        let timestamp = serde_json::from_slice::<Value>(&item.body)
            .ok()
            .and_then(|v| v.get("timestamp").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        let first = match oa.signature.variant.first_term {
            MacFirstTerm::AppId => oa.app_id.to_string(),
            MacFirstTerm::OaId => item.oa_id.to_string(),
        };
        let secret = match oa.signature.variant.secret {
            MacSecret::OaSecretKey => oa.oa_secret_key.expose().to_owned(),
            MacSecret::AppSecret => oa.app_secret.expose().to_owned(),
        };
        let mut mac = hex::encode(compute_mac(&first, &item.body, &timestamp, &secret));
        if oa.signature.uppercase {
            mac = mac.to_ascii_uppercase();
        }
        let header = if oa.signature.with_prefix { format!("mac={mac}") } else { mac };
        (url, header)
    };
    let mut request = shared
        .http
        .post(&url)
        .header("Content-Type", "application/json")
        .header(SIGNATURE_HEADER, header)
        .body(item.body.clone());
    if let Some(n) = num_retry {
        request = request.header(RETRY_HEADER, n.to_string());
    }
    if item.zns {
        request = request.header(SERVER_HEADER, "ZNS");
    }
    let status = match request.send().await {
        Ok(answer) => Some(answer.status().as_u16()),
        Err(e) => {
            tracing::warn!(oa_id = %item.oa_id, event = %item.event_name, error = %e.without_url(), "fake webhook delivery failed");
            None
        }
    };
    shared.lock().deliveries.push(DeliveryRecord {
        oa_id: item.oa_id.to_string(),
        event_name: item.event_name.clone(),
        status,
        num_retry,
    });
    shared.delivered.notify_waiters();
    Some(status)
}

/// After an OA send: the `oa_send_*` echo, then `user_received_message` (§3.2, §11).
pub(crate) fn spawn_send_echoes(shared: &Arc<Shared>, record: SentRecord) {
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let (app_id, timestamp) = {
            let state = shared.lock();
            let Some(oa) = state.oas.get(&OaId::new(record.oa_id.clone())) else {
                return;
            };
            (oa.app_id.to_string(), state.now_ms().to_string())
        };
        let oa_id = OaId::new(record.oa_id.clone());
        let user = UserId::new(record.user_id.clone());
        let (event_name, attachments) = match record.kind.as_str() {
            "image" => {
                let url = record.image_url.clone().unwrap_or_else(|| {
                    format!(
                        "{}/__fake/media/upload-{}.png",
                        shared.base_url,
                        record.attachment_id.clone().unwrap_or_default()
                    )
                });
                let payload = J::O(vec![("url", s(url.clone())), ("thumbnail", s(url))]);
                ("oa_send_image", Some(J::O(vec![("type", s("image")), ("payload", payload)])))
            }
            "file" => {
                let payload = J::O(vec![(
                    "url",
                    s(format!(
                        "{}/__fake/media/file-{}.pdf",
                        shared.base_url,
                        record.file_token.clone().unwrap_or_default()
                    )),
                )]);
                ("oa_send_file", Some(J::O(vec![("type", s("file")), ("payload", payload)])))
            }
            "request_user_info" => ("oa_send_template", None),
            _ => ("oa_send_text", None),
        };
        let mut message = vec![("msg_id", s(record.message_id.clone()))];
        if let Some(text) = &record.text {
            message.push(("text", s(text.clone())));
        }
        if let Some(attachment) = attachments {
            message.push(("attachments", J::A(vec![attachment])));
        }
        let echo = J::O(vec![
            ("app_id", s(app_id.clone())),
            ("event_name", s(event_name)),
            ("timestamp", s(timestamp.clone())),
            ("user_id_by_app", s(user_id_by_app(&oa_id, &user))),
            ("sender", id(oa_id.to_string())),
            ("recipient", id(user.to_string())),
            ("message", J::O(message)),
        ]);
        let receipt = J::O(vec![
            ("app_id", s(app_id)),
            ("event_name", s("user_received_message")),
            ("timestamp", s(timestamp)),
            ("sender", id(oa_id.to_string())),
            ("recipient", id(user.to_string())),
            ("message", J::O(vec![("msg_id", s(record.message_id.clone()))])),
        ]);
        for (name, body) in [(event_name, echo), ("user_received_message", receipt)] {
            let Ok(body) = serde_json::to_vec(&body) else {
                continue;
            };
            deliver(&shared, PendingDelivery { oa_id: oa_id.clone(), event_name: name.to_owned(), body, zns: false })
                .await;
        }
    });
}

/// After a ZNS/ZBS send by phone: the delivery receipt with `tracking_id` and the
/// `X-ZEvent-Server: ZNS` header (§3.6).
pub(crate) fn spawn_zns_receipt(shared: &Arc<Shared>, record: SentRecord) {
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let (app_id, now) = {
            let state = shared.lock();
            let Some(oa) = state.oas.get(&OaId::new(record.oa_id.clone())) else {
                return;
            };
            (oa.app_id.to_string(), state.now_ms())
        };
        let mut message = vec![("msg_id", s(record.message_id.clone()))];
        if let Some(tracking) = &record.tracking_id {
            message.push(("tracking_id", s(tracking.clone())));
        }
        message.push(("delivery_time", s(now.to_string())));
        let receipt = J::O(vec![
            ("app_id", s(app_id)),
            ("event_name", s("user_received_message")),
            ("timestamp", s(now.to_string())),
            ("sender", id(record.oa_id.clone())),
            ("recipient", id(record.user_id.clone())),
            ("message", J::O(message)),
        ]);
        if let Ok(body) = serde_json::to_vec(&receipt) {
            deliver(
                &shared,
                PendingDelivery {
                    oa_id: OaId::new(record.oa_id),
                    event_name: "user_received_message".into(),
                    body,
                    zns: true,
                },
            )
            .await;
        }
    });
}
