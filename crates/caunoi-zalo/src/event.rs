//! Webhook events: the typed form of what Zalo POSTs to our webhook URL (zalo-oa.md §3).
//!
//! [`Event::parse`] takes the raw request bytes (the same bytes the signature was checked on)
//! and never panics: malformed JSON and missing fields become an [`EventError`], and an
//! event name we do not model becomes [`EventKind::Unknown`] with the whole JSON kept, so
//! nothing Zalo sends is lost. Ids and timestamps stay strings (§0 rule 3).
//!
//! The OA an event belongs to follows the routing rule of §3.3 ([`Event::oa_id`]): `user_*`
//! events name the OA in `recipient.id`, receipts and `oa_*` echoes in `sender.id`, and
//! follow-type events in a top-level `oa_id`.

use serde_json::Value;

use crate::ids::{AppId, MessageId, OaId, UserId};

/// Why a webhook body could not be turned into an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The body is not JSON at all (line and column of the problem are given, not the body).
    #[error("webhook body is not valid JSON (line {line}, column {column})")]
    InvalidJson {
        /// Line of the syntax error.
        line: usize,
        /// Column of the syntax error.
        column: usize,
    },
    /// The body is JSON but not an object.
    #[error("webhook body is not a JSON object")]
    NotAnObject,
    /// A field the event needs is absent.
    #[error("webhook event `{event_name}` lacks the field `{field}`")]
    MissingField {
        /// The event's `event_name` (empty if that is what is missing).
        event_name: String,
        /// Dotted path of the missing field.
        field: &'static str,
    },
    /// A field is present but has the wrong type or an impossible value.
    #[error("webhook event `{event_name}` has an invalid `{field}`")]
    InvalidField {
        /// The event's `event_name`.
        event_name: String,
        /// Dotted path of the invalid field.
        field: &'static str,
    },
}

/// One webhook delivery, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `app_id` from the body (the first term of the MAC).
    pub app_id: AppId,
    /// `event_name` exactly as sent.
    pub event_name: String,
    /// `timestamp`: epoch milliseconds as a decimal string, kept verbatim.
    pub timestamp: String,
    /// The App-scoped id of the person, present on most events.
    pub user_id_by_app: Option<String>,
    /// What happened.
    pub kind: EventKind,
}

/// The event kinds caunoi acts on; everything else is [`EventKind::Unknown`].
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// `user_send_*`: a citizen wrote to the OA (text, image, file, location, …).
    UserMessage(UserMessage),
    /// `oa_send_*`: echo of a message the OA sent — through our API, or typed by a human in
    /// OA Manager (then `admin_id` is set).
    OaEcho(OaEcho),
    /// `follow`: the user started following the OA.
    Follow(FollowChange),
    /// `unfollow`: the user stopped following the OA.
    Unfollow(FollowChange),
    /// `user_submit_info`: answer to a `request_user_info` card (explicit consent to share).
    UserSubmitInfo(SubmittedInfo),
    /// `user_click_chatnow`: the user tapped "Nhắn tin" on the OA page (opens the window).
    UserClickChatNow {
        /// The OA.
        oa_id: OaId,
        /// The user.
        user_id: UserId,
    },
    /// `user_received_message`: delivery receipt for an OA message (or a ZNS/ZBS template,
    /// then `tracking_id` is set and `recipient_id` may be a phone number).
    MessageReceived(DeliveryReceipt),
    /// `user_seen_message`: read receipt for one or more OA messages.
    MessageSeen(SeenReceipt),
    /// Any other event name; the whole body is kept.
    Unknown {
        /// The event's `event_name`.
        event_name: String,
        /// The whole JSON body.
        raw: Value,
    },
}

/// What kind of message an event carries, from the suffix of its `event_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageKind {
    /// `*_text`
    Text,
    /// `*_image`
    Image,
    /// `*_gif`
    Gif,
    /// `*_sticker`
    Sticker,
    /// `*_file`
    File,
    /// `*_audio`
    Audio,
    /// `*_video`
    Video,
    /// `*_link`
    Link,
    /// `*_location`
    Location,
    /// `*_business_card`
    BusinessCard,
    /// `*_list` (OA echoes only)
    List,
    /// `*_template` (OA echoes only)
    Template,
    /// A suffix we do not know; kept verbatim.
    Other(String),
}

impl MessageKind {
    fn from_suffix(suffix: &str) -> Self {
        match suffix {
            "text" => Self::Text,
            "image" => Self::Image,
            "gif" => Self::Gif,
            "sticker" => Self::Sticker,
            "file" => Self::File,
            "audio" => Self::Audio,
            "video" => Self::Video,
            "link" => Self::Link,
            "location" => Self::Location,
            "business_card" => Self::BusinessCard,
            "list" => Self::List,
            "template" => Self::Template,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A message a citizen sent to the OA.
#[derive(Debug, Clone, PartialEq)]
pub struct UserMessage {
    /// The OA (`recipient.id`).
    pub oa_id: OaId,
    /// The citizen (`sender.id`).
    pub user_id: UserId,
    /// Kind from the event name.
    pub kind: MessageKind,
    /// `message.msg_id` — the dedupe key.
    pub msg_id: MessageId,
    /// `message.text`: the text, a caption, or a place label for locations.
    pub text: Option<String>,
    /// `message.quote_msg_id`: the message the user replied to.
    pub quote_msg_id: Option<MessageId>,
    /// `message.attachments`.
    pub attachments: Vec<Attachment>,
}

impl UserMessage {
    /// The first location attachment, if any.
    pub fn location(&self) -> Option<(f64, f64)> {
        self.attachments.iter().find_map(|a| match a {
            Attachment::Location { latitude, longitude } => Some((*latitude, *longitude)),
            _ => None,
        })
    }
}

/// Echo of a message the OA sent.
#[derive(Debug, Clone, PartialEq)]
pub struct OaEcho {
    /// The OA (`sender.id`).
    pub oa_id: OaId,
    /// `sender.admin_id`: set when a human typed the message in OA Manager.
    pub admin_id: Option<String>,
    /// The recipient user (`recipient.id`).
    pub user_id: UserId,
    /// Kind from the event name.
    pub kind: MessageKind,
    /// `message.msg_id`: compare with the ids our send API returned to spot our own echoes.
    pub msg_id: MessageId,
    /// `message.text`.
    pub text: Option<String>,
    /// `message.attachments`.
    pub attachments: Vec<Attachment>,
}

/// One attachment of a message (`message.attachments[]`, §3.6).
#[derive(Debug, Clone, PartialEq)]
pub enum Attachment {
    /// `type: image`.
    Image {
        /// Media URL on Zalo's CDN: download at once, its lifetime is undocumented.
        url: String,
        /// Thumbnail URL.
        thumbnail: Option<String>,
    },
    /// `type: gif`.
    Gif {
        /// Media URL.
        url: String,
        /// Thumbnail URL.
        thumbnail: Option<String>,
    },
    /// `type: video`.
    Video {
        /// Media URL.
        url: String,
        /// Thumbnail URL.
        thumbnail: Option<String>,
        /// Description.
        description: Option<String>,
    },
    /// `type: audio` (voice message).
    Audio {
        /// Media URL.
        url: String,
    },
    /// `type: file`.
    File {
        /// Media URL.
        url: String,
        /// File name.
        name: Option<String>,
        /// Size in bytes (Zalo sends a numeric string).
        size: Option<u64>,
        /// `payload.type`, e.g. `pdf`.
        file_type: Option<String>,
        /// `payload.checksum`.
        checksum: Option<String>,
    },
    /// `type: link`.
    Link {
        /// The linked URL.
        url: String,
        /// Thumbnail URL.
        thumbnail: Option<String>,
        /// Description.
        description: Option<String>,
    },
    /// `type: sticker`.
    Sticker {
        /// Sticker id.
        id: Option<String>,
        /// Sticker image URL.
        url: Option<String>,
    },
    /// `type: location`, coordinates in degrees (Zalo sends strings or numbers).
    Location {
        /// Latitude.
        latitude: f64,
        /// Longitude.
        longitude: f64,
    },
    /// Any other attachment type, kept verbatim.
    Other {
        /// The `type` value.
        kind: String,
        /// The `payload` object.
        payload: Value,
    },
}

/// A follow or unfollow.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowChange {
    /// The OA (top-level `oa_id`).
    pub oa_id: OaId,
    /// The follower (`follower.id`).
    pub user_id: UserId,
    /// `source`, a free string such as `oa_profile`.
    pub source: Option<String>,
}

/// Personal data a citizen chose to share through a `request_user_info` card.
///
/// Both the newer (`full_address{…}`) and the older flat layout are read (§3.6).
#[derive(Clone, PartialEq, Default)]
pub struct SubmittedInfo {
    /// The OA (`recipient.id`).
    pub oa_id: OaId,
    /// The citizen (`sender.id`).
    pub user_id: UserId,
    /// Name.
    pub name: Option<String>,
    /// Phone as Zalo sends it (`84…`, no `+`).
    pub phone: Option<String>,
    /// Date of birth (`dd/mm/yyyy`).
    pub date_of_birth: Option<String>,
    /// Gender as free text.
    pub gender: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// Ward.
    pub ward: Option<String>,
    /// District (older layout only).
    pub district: Option<String>,
    /// City / province.
    pub city: Option<String>,
}

impl std::fmt::Debug for SubmittedInfo {
    // Personal data must not reach logs through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmittedInfo")
            .field("oa_id", &self.oa_id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// A delivery receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryReceipt {
    /// The OA (`sender.id`).
    pub oa_id: OaId,
    /// `recipient.id`: a user id, or a phone (or its hash) for ZNS/ZBS receipts.
    pub recipient_id: String,
    /// The delivered message.
    pub msg_id: MessageId,
    /// `message.tracking_id` on template (ZNS/ZBS) receipts: our correlation key.
    pub tracking_id: Option<String>,
    /// `message.delivery_time` (epoch ms string) on template receipts.
    pub delivery_time: Option<String>,
}

/// A read receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenReceipt {
    /// The OA (`sender.id`).
    pub oa_id: OaId,
    /// The reader (`recipient.id`).
    pub user_id: UserId,
    /// `message.msg_ids`.
    pub msg_ids: Vec<MessageId>,
}

impl Event {
    /// Parses a webhook body (raw bytes as received).
    pub fn parse(raw: &[u8]) -> Result<Self, EventError> {
        let value: Value =
            serde_json::from_slice(raw).map_err(|e| EventError::InvalidJson { line: e.line(), column: e.column() })?;
        Self::from_value(value)
    }

    /// Builds an event from an already parsed JSON value.
    pub fn from_value(value: Value) -> Result<Self, EventError> {
        if !value.is_object() {
            return Err(EventError::NotAnObject);
        }
        let event_name = id_at(&value, &["event_name"])
            .ok_or(EventError::MissingField { event_name: String::new(), field: "event_name" })?;
        let f = Fields { v: &value, event_name: &event_name };
        let app_id = AppId::new(f.req(&["app_id"], "app_id")?);
        let timestamp = f.req(&["timestamp"], "timestamp")?;
        let user_id_by_app = id_at(&value, &["user_id_by_app"]);
        let kind = f.kind()?;
        Ok(Self { app_id, event_name, timestamp, user_id_by_app, kind })
    }

    /// The timestamp as epoch milliseconds, if it is a decimal number.
    pub fn timestamp_millis(&self) -> Option<i64> {
        self.timestamp.parse().ok()
    }

    /// The OA this event belongs to (routing rule of §3.3), also for unknown events.
    pub fn oa_id(&self) -> Option<OaId> {
        match &self.kind {
            EventKind::UserMessage(m) => Some(m.oa_id.clone()),
            EventKind::OaEcho(m) => Some(m.oa_id.clone()),
            EventKind::Follow(f) | EventKind::Unfollow(f) => Some(f.oa_id.clone()),
            EventKind::UserSubmitInfo(i) => Some(i.oa_id.clone()),
            EventKind::UserClickChatNow { oa_id, .. } => Some(oa_id.clone()),
            EventKind::MessageReceived(r) => Some(r.oa_id.clone()),
            EventKind::MessageSeen(r) => Some(r.oa_id.clone()),
            EventKind::Unknown { event_name, raw } => route_oa_id(event_name, raw),
        }
    }

    /// The citizen this event is about, when there is one.
    pub fn user_id(&self) -> Option<UserId> {
        match &self.kind {
            EventKind::UserMessage(m) => Some(m.user_id.clone()),
            EventKind::OaEcho(m) => Some(m.user_id.clone()),
            EventKind::Follow(f) | EventKind::Unfollow(f) => Some(f.user_id.clone()),
            EventKind::UserSubmitInfo(i) => Some(i.user_id.clone()),
            EventKind::UserClickChatNow { user_id, .. } => Some(user_id.clone()),
            EventKind::MessageReceived(_) => None,
            EventKind::MessageSeen(r) => Some(r.user_id.clone()),
            EventKind::Unknown { .. } => None,
        }
    }

    /// Whether this event opens or refreshes the 7-day consultation window (§3.7, §5.2):
    /// every `user_send_*`, `follow`, `user_click_chatnow` and `user_submit_info`.
    /// Receipts and our own echoes do not.
    pub fn is_interaction(&self) -> bool {
        matches!(
            self.kind,
            EventKind::UserMessage(_)
                | EventKind::Follow(_)
                | EventKind::UserClickChatNow { .. }
                | EventKind::UserSubmitInfo(_)
        )
    }

    /// A key under which redeliveries of the same event collide (§3.7 step 3):
    /// `(oa_id, event_name, msg_id)`, or `(oa_id, event_name, user, timestamp)` for events
    /// without a message id.
    pub fn dedupe_key(&self) -> String {
        let oa = self.oa_id().map(OaId::into_string).unwrap_or_default();
        let discriminator = match &self.kind {
            EventKind::UserMessage(m) => m.msg_id.to_string(),
            EventKind::OaEcho(m) => m.msg_id.to_string(),
            EventKind::MessageReceived(r) => r.msg_id.to_string(),
            EventKind::MessageSeen(r) => {
                let ids: Vec<&str> = r.msg_ids.iter().map(MessageId::as_str).collect();
                format!("{}|{}", ids.join(","), self.timestamp)
            }
            EventKind::Unknown { raw, .. } => match id_at(raw, &["message", "msg_id"]) {
                Some(id) => id,
                None => format!("{}|{}", id_at(raw, &["sender", "id"]).unwrap_or_default(), self.timestamp),
            },
            _ => format!("{}|{}", self.user_id().map(UserId::into_string).unwrap_or_default(), self.timestamp),
        };
        format!("{oa}|{}|{discriminator}", self.event_name)
    }
}

/// Finds the OA id of any webhook body without fully parsing it (§3.3 routing rule).
///
/// Useful before signature verification, which needs the OA's secret.
pub fn route_oa_id(event_name: &str, raw: &Value) -> Option<OaId> {
    if let Some(oa) = id_at(raw, &["oa_id"]).or_else(|| id_at(raw, &["oaId"])) {
        return Some(OaId::new(oa));
    }
    let is_receipt = matches!(event_name, "user_received_message" | "user_seen_message");
    let from_user = event_name.starts_with("user_") || event_name.starts_with("anonymous_");
    let path: &[&str] = if from_user && !is_receipt { &["recipient", "id"] } else { &["sender", "id"] };
    id_at(raw, path).map(OaId::new)
}

/// Reads an id-like value at `path`: a string, or an integer written as a JSON number
/// (u64 keeps all digits, unlike f64).
fn id_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

fn value_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    Some(cur)
}

/// Field access with errors that name the event and the field.
struct Fields<'a> {
    v: &'a Value,
    event_name: &'a str,
}

impl Fields<'_> {
    fn req(&self, path: &[&str], field: &'static str) -> Result<String, EventError> {
        match value_at(self.v, path) {
            None | Some(Value::Null) => Err(self.missing(field)),
            Some(_) => id_at(self.v, path).ok_or_else(|| self.invalid(field)),
        }
    }

    fn opt(&self, path: &[&str]) -> Option<String> {
        id_at(self.v, path)
    }

    fn missing(&self, field: &'static str) -> EventError {
        EventError::MissingField { event_name: self.event_name.to_owned(), field }
    }

    fn invalid(&self, field: &'static str) -> EventError {
        EventError::InvalidField { event_name: self.event_name.to_owned(), field }
    }

    fn kind(&self) -> Result<EventKind, EventError> {
        let name = self.event_name;
        if let Some(suffix) = name.strip_prefix("user_send_")
            && !suffix.starts_with("group")
        {
            return Ok(EventKind::UserMessage(self.user_message(suffix)?));
        }
        if let Some(suffix) = name.strip_prefix("oa_send_")
            && !suffix.starts_with("group")
            && !suffix.starts_with("anonymous")
            && suffix != "consent"
        {
            return Ok(EventKind::OaEcho(self.echo(suffix)?));
        }
        Ok(match name {
            "follow" => EventKind::Follow(self.follow()?),
            "unfollow" => EventKind::Unfollow(self.follow()?),
            "user_submit_info" => EventKind::UserSubmitInfo(self.submitted_info()?),
            "user_click_chatnow" => EventKind::UserClickChatNow {
                oa_id: OaId::new(self.req(&["oa_id"], "oa_id")?),
                user_id: UserId::new(self.req(&["user_id"], "user_id")?),
            },
            "user_received_message" => EventKind::MessageReceived(DeliveryReceipt {
                oa_id: OaId::new(self.req(&["sender", "id"], "sender.id")?),
                recipient_id: self.req(&["recipient", "id"], "recipient.id")?,
                msg_id: MessageId::new(self.req(&["message", "msg_id"], "message.msg_id")?),
                tracking_id: self.opt(&["message", "tracking_id"]),
                delivery_time: self.opt(&["message", "delivery_time"]),
            }),
            "user_seen_message" => EventKind::MessageSeen(self.seen()?),
            _ => EventKind::Unknown { event_name: name.to_owned(), raw: self.v.clone() },
        })
    }

    fn user_message(&self, suffix: &str) -> Result<UserMessage, EventError> {
        let kind = MessageKind::from_suffix(suffix);
        let text = self.opt(&["message", "text"]);
        if kind == MessageKind::Text && text.is_none() {
            return Err(self.missing("message.text"));
        }
        Ok(UserMessage {
            oa_id: OaId::new(self.req(&["recipient", "id"], "recipient.id")?),
            user_id: UserId::new(self.req(&["sender", "id"], "sender.id")?),
            msg_id: MessageId::new(self.req(&["message", "msg_id"], "message.msg_id")?),
            text,
            quote_msg_id: self.opt(&["message", "quote_msg_id"]).map(MessageId::new),
            attachments: self.attachments()?,
            kind,
        })
    }

    fn echo(&self, suffix: &str) -> Result<OaEcho, EventError> {
        Ok(OaEcho {
            oa_id: OaId::new(self.req(&["sender", "id"], "sender.id")?),
            admin_id: self.opt(&["sender", "admin_id"]),
            user_id: UserId::new(self.req(&["recipient", "id"], "recipient.id")?),
            kind: MessageKind::from_suffix(suffix),
            msg_id: MessageId::new(self.req(&["message", "msg_id"], "message.msg_id")?),
            text: self.opt(&["message", "text"]),
            attachments: self.attachments()?,
        })
    }

    fn follow(&self) -> Result<FollowChange, EventError> {
        Ok(FollowChange {
            oa_id: OaId::new(self.req(&["oa_id"], "oa_id")?),
            user_id: UserId::new(self.req(&["follower", "id"], "follower.id")?),
            source: self.opt(&["source"]),
        })
    }

    fn seen(&self) -> Result<SeenReceipt, EventError> {
        let ids = match value_at(self.v, &["message", "msg_ids"]) {
            None | Some(Value::Null) => return Err(self.missing("message.msg_ids")),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(self.invalid("message.msg_ids")),
        };
        let mut msg_ids = Vec::with_capacity(ids.len());
        for item in ids {
            match id_at(item, &[]) {
                Some(id) => msg_ids.push(MessageId::new(id)),
                None => return Err(self.invalid("message.msg_ids")),
            }
        }
        Ok(SeenReceipt {
            oa_id: OaId::new(self.req(&["sender", "id"], "sender.id")?),
            user_id: UserId::new(self.req(&["recipient", "id"], "recipient.id")?),
            msg_ids,
        })
    }

    fn submitted_info(&self) -> Result<SubmittedInfo, EventError> {
        let info = match self.v.get("info") {
            None | Some(Value::Null) => return Err(self.missing("info")),
            Some(info @ Value::Object(_)) => info,
            Some(_) => return Err(self.invalid("info")),
        };
        let s = |path: &[&str]| id_at(info, path).filter(|s| !s.is_empty());
        Ok(SubmittedInfo {
            oa_id: OaId::new(self.req(&["recipient", "id"], "recipient.id")?),
            user_id: UserId::new(self.req(&["sender", "id"], "sender.id")?),
            name: s(&["name"]),
            phone: s(&["phone"]),
            date_of_birth: s(&["user_dob"]),
            gender: s(&["gender"]),
            address: s(&["full_address", "user_address"]).or_else(|| s(&["address"])),
            ward: s(&["full_address", "user_ward"]).or_else(|| s(&["ward"])),
            district: s(&["full_address", "user_district"]).or_else(|| s(&["district"])),
            city: s(&["full_address", "user_city"]).or_else(|| s(&["city"])),
        })
    }

    fn attachments(&self) -> Result<Vec<Attachment>, EventError> {
        let items = match value_at(self.v, &["message", "attachments"]) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(self.invalid("message.attachments")),
        };
        items.iter().map(|item| self.attachment(item)).collect()
    }

    fn attachment(&self, item: &Value) -> Result<Attachment, EventError> {
        let kind = id_at(item, &["type"]).ok_or_else(|| self.missing("message.attachments.type"))?;
        let null = Value::Null;
        let payload = item.get("payload").unwrap_or(&null);
        let s = |key: &str| id_at(payload, &[key]);
        let url = || s("url").ok_or_else(|| self.missing("message.attachments.payload.url"));
        Ok(match kind.as_str() {
            "image" => Attachment::Image { url: url()?, thumbnail: s("thumbnail") },
            "gif" => Attachment::Gif { url: url()?, thumbnail: s("thumbnail") },
            "video" => Attachment::Video { url: url()?, thumbnail: s("thumbnail"), description: s("description") },
            "audio" => Attachment::Audio { url: url()? },
            "file" => Attachment::File {
                url: url()?,
                name: s("name"),
                size: match s("size") {
                    None => None,
                    Some(size) => Some(size.parse().map_err(|_| self.invalid("message.attachments.payload.size"))?),
                },
                file_type: s("type"),
                checksum: s("checksum"),
            },
            "link" => Attachment::Link { url: url()?, thumbnail: s("thumbnail"), description: s("description") },
            "sticker" => Attachment::Sticker { id: s("id"), url: s("url") },
            "location" => {
                let (latitude, longitude) = self.coordinates(payload)?;
                Attachment::Location { latitude, longitude }
            }
            _ => Attachment::Other { kind, payload: payload.clone() },
        })
    }

    /// `payload.coordinates.{latitude,longitude}` (documented), also `lat`/`long` and
    /// coordinates directly under `payload` (seen in community DTOs, §3.6 [U]); values may be
    /// strings or numbers.
    fn coordinates(&self, payload: &Value) -> Result<(f64, f64), EventError> {
        let holder = payload.get("coordinates").unwrap_or(payload);
        let lat = holder.get("latitude").or_else(|| holder.get("lat"));
        let lon = holder.get("longitude").or_else(|| holder.get("long"));
        let (Some(lat), Some(lon)) = (lat, lon) else {
            return Err(self.missing("message.attachments.payload.coordinates"));
        };
        let num = |v: &Value| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match (num(lat), num(lon)) {
            (Some(la), Some(lo)) if la.is_finite() && lo.is_finite() && la.abs() <= 90.0 && lo.abs() <= 180.0 => {
                Ok((la, lo))
            }
            _ => Err(self.invalid("message.attachments.payload.coordinates")),
        }
    }
}
