//! Web Push (thông báo đẩy): alarms that reach a duty officer's phone or desktop even when no
//! console page is open. An officer turns alarms on in a browser (the account's device page or
//! the prompt on the inbox); the browser subscribes at its push service with this instance's
//! VAPID public key, and the console stores the subscription. When another feature raises an
//! alarm ([`service::alarm`]), one message per device is queued in `push_outbox`, and the worker
//! ([`delivery`]) encrypts each for its browser (RFC 8291), signs the request (RFC 8292) and posts
//! it to the push service with `Urgency: high` (RFC 8030). The service worker (`static/sw.js`)
//! shows it and opens the conversation on a click.
//!
//! What lives where: [`crypto`] the RFC 8291/8292 primitives, [`subscription`] parsing of what
//! browsers post (and which endpoints may be reached), [`store`] the SQL, [`service`] the use
//! cases and the door for other features, [`delivery`] the worker, [`http`] the routes.
//!
//! Invariants: an alarm carries no personal data (a title, one line naming the kind and the
//! unit, a console link, a tag); it is queued in a committed transaction before anything is
//! sent, so a crash loses nothing; the push service's 404/410 removes the subscription.

pub mod crypto;
pub mod delivery;
pub mod http;
pub mod service;
pub mod store;
pub mod subscription;

use crate::app::App;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use subscription::EndpointPolicy;
use tokio::sync::Notify;

/// An alarm to ring on officers' devices (báo động). Build it with [`Alarm::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// The notification's title, e.g. "Tin khẩn: cháy". 1–120 characters.
    pub title: String,
    /// One line **without personal data** (no names, phone numbers, addresses or message
    /// text): what and which unit, e.g. "Công an phường Bãi Cháy — tin báo khẩn đang chờ".
    /// At most 1,000 characters.
    pub body: String,
    /// The console page a click opens, a path on this site: `/inbox/123`.
    pub url: String,
    /// Names the notification on the device: a later alarm with the same tag replaces it and
    /// rings again. Also the push message's `Topic`, so a device that was offline gets only the
    /// latest alarm of a tag. 1–64 characters.
    pub tag: String,
    /// How long the push service keeps the alarm for a device that is offline (`TTL`).
    /// Default 30 minutes; past it an undelivered alarm is dropped.
    pub ttl: Duration,
    /// When set, a second alarm with the same key queues nothing for a device that already has
    /// it (a replayed event rings once). `None`: every call rings.
    pub once_key: Option<String>,
}

impl Alarm {
    /// The usual alarm: kept 30 minutes for offline devices, every call rings.
    pub fn new(
        title: impl Into<String>,
        body: impl Into<String>,
        url: impl Into<String>,
        tag: impl Into<String>,
    ) -> Alarm {
        Alarm {
            title: title.into(),
            body: body.into(),
            url: url.into(),
            tag: tag.into(),
            ttl: Duration::from_secs(30 * 60),
            once_key: None,
        }
    }

    /// The same alarm, kept `ttl` for offline devices (at most 4 weeks is honoured by push
    /// services; caunoi keeps it as given).
    pub fn with_ttl(mut self, ttl: Duration) -> Alarm {
        self.ttl = ttl;
        self
    }

    /// The same alarm, queued at most once per device for `key`.
    pub fn once_per(mut self, key: impl Into<String>) -> Alarm {
        self.once_key = Some(key.into());
        self
    }

    /// The push message's `Topic` (RFC 8030 §5.4: at most 32 characters of the base64url
    /// alphabet): the tag itself when it qualifies, else a digest of it.
    pub fn topic(&self) -> String {
        let fits = !self.tag.is_empty()
            && self.tag.len() <= 32
            && self.tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if fits {
            self.tag.clone()
        } else {
            URL_SAFE_NO_PAD.encode(Sha256::digest(self.tag.as_bytes()))[..32].to_string()
        }
    }
}

/// What the service worker receives (the plaintext of the push message).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct AlarmPayload<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub url: &'a str,
    pub tag: &'a str,
    /// When the alarm was raised, Unix milliseconds (the notification's timestamp).
    pub at: i64,
}

/// The push feature's runtime, kept in the [`App`]: the worker's wake-up, the HTTP client that
/// reaches push services, which endpoints may be reached, the VAPID contact and the cached keys.
pub struct PushRuntime {
    wake: Notify,
    http: reqwest::Client,
    policy: EndpointPolicy,
    subject: String,
    keys: OnceLock<crypto::VapidKeys>,
    /// Signed `Authorization` headers by audience (a push service's origin), with their expiry.
    tokens: Mutex<HashMap<String, (String, i64)>>,
}

/// How long a VAPID token is valid (RFC 8292 allows up to 24 hours).
const TOKEN_LIFETIME_SECS: i64 = 12 * 3600;
/// A token is signed anew once less than this is left of it.
const TOKEN_RENEW_SECS: i64 = 3600;

impl PushRuntime {
    pub fn new(config: &crate::config::Config) -> PushRuntime {
        let policy =
            if config.push_test_endpoints { EndpointPolicy::AllowLoopback } else { EndpointPolicy::PublicOnly };
        PushRuntime {
            wake: Notify::new(),
            http: delivery::http_client(policy),
            policy,
            subject: config.push_contact.clone(),
            keys: OnceLock::new(),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Wakes the worker: messages were queued.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn policy(&self) -> EndpointPolicy {
        self.policy
    }

    /// The `Authorization` header for requests to `audience` at `now_secs`: one ES256 signature
    /// per push service every 11 hours instead of one per message (signing was the larger part
    /// of a message's CPU time). Tokens live 12 hours, within RFC 8292's 24.
    fn authorization(&self, keys: &crypto::VapidKeys, audience: &str, now_secs: i64) -> String {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((header, expires)) = tokens.get(audience)
            && expires - now_secs > TOKEN_RENEW_SECS
            && *expires - now_secs <= TOKEN_LIFETIME_SECS
        {
            return header.clone();
        }
        let expires = now_secs + TOKEN_LIFETIME_SECS;
        let header = keys.authorization(audience, expires, &self.subject);
        // A handful of push services; the map cannot grow with input (audiences come from
        // endpoints that passed the policy), but keep it bounded all the same.
        if tokens.len() > 64 {
            tokens.clear();
        }
        tokens.insert(audience.to_string(), (header.clone(), expires));
        header
    }

    fn cached_keys(&self) -> Option<crypto::VapidKeys> {
        self.keys.get().cloned()
    }

    fn cache_keys(&self, keys: crypto::VapidKeys) -> crypto::VapidKeys {
        self.keys.get_or_init(|| keys).clone()
    }
}

impl App {
    /// The push feature's runtime.
    pub fn push(&self) -> &PushRuntime {
        self.runtime()
    }
}

/// The push worker of this process; dropping it stops it.
pub struct PushWorker(Option<tokio::task::JoinHandle<()>>);

impl Drop for PushWorker {
    fn drop(&mut self) {
        if let Some(h) = &self.0 {
            h.abort();
        }
    }
}

/// Starts the push worker (none when `config.workers` is off). One per process: alarms are
/// few, and one worker sends a claimed batch side by side; on PostgreSQL the workers of several
/// instances share the queue through `FOR UPDATE SKIP LOCKED`.
pub fn start_worker(app: &App) -> PushWorker {
    if !app.config.workers {
        return PushWorker(None);
    }
    PushWorker(Some(tokio::spawn(delivery::run(app.clone()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_the_tag_or_a_digest_of_it() {
        let a = Alarm::new("Tin khẩn", "x", "/inbox", "urgent-conversation-42");
        assert_eq!(a.topic(), "urgent-conversation-42");
        let b = Alarm::new("Tin khẩn", "x", "/inbox", "hội thoại khẩn số 42 của phường Bãi Cháy");
        assert_eq!(b.topic().len(), 32);
        assert!(b.topic().bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(b.topic(), b.clone().topic(), "the same tag, the same topic");
    }

    #[test]
    fn vapid_tokens_are_reused_per_push_service_until_an_hour_before_they_expire() {
        let rt = PushRuntime {
            wake: Notify::new(),
            http: reqwest::Client::new(),
            policy: EndpointPolicy::PublicOnly,
            subject: "mailto:trucban@example.vn".into(),
            keys: OnceLock::new(),
            tokens: Mutex::new(HashMap::new()),
        };
        let keys = crypto::VapidKeys::generate();
        let fcm = "https://fcm.googleapis.com";
        let first = rt.authorization(&keys, fcm, 1_000_000);
        assert_eq!(rt.authorization(&keys, fcm, 1_000_000 + 10 * 3600), first);
        assert_ne!(rt.authorization(&keys, "https://web.push.apple.com", 1_000_000), first, "one per audience");
        let renewed = rt.authorization(&keys, fcm, 1_000_000 + 11 * 3600 + 1);
        assert_ne!(renewed, first, "signed again with less than an hour left");
    }
}
