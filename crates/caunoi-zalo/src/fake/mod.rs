//! The fake Zalo server (feature `fake`): an axum app on a loopback port that plays the
//! OAuth host, the OpenAPI host, the ZNS/ZBS business host and the citizens' phones, as
//! zalo-oa.md §11 specifies. It is the only fake of the project, so wire shapes follow the
//! spec exactly: errors are HTTP 200 with `error != 0`, ids and timestamps are strings, and
//! webhooks are signed with the real algorithm.
//!
//! Start it with [`FakeZalo::start`]; point the client at [`FakeZalo::endpoints`]; register
//! the app's webhook URL with [`FakeZalo::set_webhook_url`] (or `POST /__fake/webhooks`);
//! play a citizen with [`FakeZalo::user_sends`] (or `POST /__fake/users/{user_id}/send`);
//! read what the OA sent with [`FakeZalo::sent_messages`] (or `GET /__fake/messages`); inject
//! failures with [`FakeZalo::inject`] (or `POST /__fake/faults`). The OA admin's consent is
//! `GET /v4/oa/permission`, which sends the browser straight back to `redirect_uri` with a
//! code (its answer is set with [`Fault::NextConsent`]); [`FakeZalo::revoke_permission`] (or
//! `POST /__fake/oas/{oa_id}/revoke`) plays an admin who revokes the App in OA Manager.
//!
//! ```text
//! let fake = FakeZalo::start(FakeConfig::new(vec![
//!     FakeApp::new("1434927390812345678", "app-secret", "2960384411273650001", "oa-secret"),
//! ])).await?;
//! // start tokens: FAKE-OA-AT-<oa_id>-0 / FAKE-OA-RT-<oa_id>-0 (or FakeApp::with_tokens)
//! let endpoints = fake.endpoints();              // all three Zalo hosts → this server
//! fake.set_webhook_url("2960384411273650001", format!("http://{app_addr}/webhooks/zalo"))?;
//! fake.user_sends_text("2960384411273650001", "7712390045123987654", "Xin chào").await?;
//! fake.inject(Fault::RateLimit { count: 1 });
//! assert_eq!(fake.sent_messages("7712390045123987654").len(), 0);
//! ```
//!
//! Time is the system clock plus an offset that tests move forward ([`FakeZalo::advance_clock`]),
//! so tests never sleep to cross the 7-day window or a token expiry.

mod control;
mod openapi;
mod webhook;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::client::ZaloEndpoints;
use crate::ids::{AppId, OaId, UserId};
use crate::secret::Secret;
use crate::signature::MacVariant;

pub use webhook::{Delivery, UserAction};

/// Access token lifetime the fake issues: 25 h (`expires_in: "90000"`).
pub const ACCESS_TOKEN_SECONDS: i64 = 90_000;
/// Consultation window: 7 days since the user's last interaction (§5.2).
pub const REPLY_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;
/// Uploaded ids and tokens expire after 7 days (§6).
pub const UPLOAD_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;

/// How the fake signs one OA's webhooks (§13.1 variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FakeSignature {
    /// First term and secret.
    pub variant: MacVariant,
    /// Whether the header value starts with `mac=`.
    pub with_prefix: bool,
    /// Upper-case hex instead of lower-case.
    pub uppercase: bool,
}

impl Default for FakeSignature {
    fn default() -> Self {
        Self { variant: MacVariant::default(), with_prefix: true, uppercase: false }
    }
}

/// One App + OA pair the fake knows.
#[derive(Clone, Debug)]
pub struct FakeApp {
    /// App id.
    pub app_id: AppId,
    /// App secret (checked in the `secret_key` header of the OAuth call).
    pub app_secret: Secret,
    /// OA id.
    pub oa_id: OaId,
    /// OA secret key (signs webhooks by default).
    pub oa_secret_key: Secret,
    /// Where the OA's webhooks go; may be set later.
    pub webhook_url: Option<String>,
    /// The access token valid at start.
    pub access_token: Secret,
    /// The refresh token valid at start.
    pub refresh_token: Secret,
    /// Signature variant.
    pub signature: FakeSignature,
    /// The OA's display name (`getoa`); `Fake OA <oa_id>` when unset.
    pub name: Option<String>,
    /// The "Official Account Callback Url" registered for the App in Zalo's developer
    /// console; when set, the permission page refuses other `redirect_uri`s with `-14003`.
    pub callback_url: Option<String>,
}

impl FakeApp {
    /// An App/OA pair with start tokens derived from the OA id
    /// (`FAKE-OA-AT-<oa_id>-0`, `FAKE-OA-RT-<oa_id>-0`).
    pub fn new(
        app_id: impl Into<AppId>,
        app_secret: impl Into<Secret>,
        oa_id: impl Into<OaId>,
        oa_secret_key: impl Into<Secret>,
    ) -> Self {
        let oa_id = oa_id.into();
        Self {
            access_token: Secret::new(format!("FAKE-OA-AT-{oa_id}-0")),
            refresh_token: Secret::new(format!("FAKE-OA-RT-{oa_id}-0")),
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            oa_secret_key: oa_secret_key.into(),
            webhook_url: None,
            signature: FakeSignature::default(),
            name: None,
            callback_url: None,
            oa_id,
        }
    }

    /// Sets the OA's display name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Registers the App's callback URL (the permission page then checks `redirect_uri`).
    pub fn with_callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Sets the webhook URL.
    pub fn with_webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// Sets the start tokens.
    pub fn with_tokens(mut self, access: impl Into<Secret>, refresh: impl Into<Secret>) -> Self {
        self.access_token = access.into();
        self.refresh_token = refresh.into();
        self
    }

    /// Sets the signature variant.
    pub fn with_signature(mut self, signature: FakeSignature) -> Self {
        self.signature = signature;
        self
    }
}

/// An approved ZNS/ZBS template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeTemplate {
    /// Template id.
    pub template_id: String,
    /// Required parameter names.
    pub params: Vec<String>,
    /// `ENABLE` (else `-131` by phone).
    pub enabled: bool,
    /// Whether it may be sent by UID (else `-249`).
    pub uid_supported: bool,
}

/// Configuration of a fake server.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// The Apps/OAs.
    pub apps: Vec<FakeApp>,
    /// Where to listen; `127.0.0.1:0` picks a free port.
    pub bind: SocketAddr,
    /// Emit `oa_send_*` echoes and `user_received_message` after each send (as Zalo does).
    pub echo_webhooks: bool,
    /// A refresh also kills the previous access token (reported, §2.3).
    pub refresh_invalidates_access_token: bool,
    /// Send `expires_in` as a JSON number instead of the documented string.
    pub expires_in_as_number: bool,
    /// Templates. When empty, any template id is accepted with any parameters.
    pub templates: Vec<FakeTemplate>,
}

impl FakeConfig {
    /// Defaults for the given Apps/OAs.
    pub fn new(apps: Vec<FakeApp>) -> Self {
        Self {
            apps,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            echo_webhooks: true,
            refresh_invalidates_access_token: true,
            expires_in_as_number: false,
            templates: Vec::new(),
        }
    }
}

/// A failure to inject (Rust API of `POST /__fake/faults`, same JSON with a `kind` tag).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// The next `count` OpenAPI/business calls answer `-32` (rate limit).
    RateLimit {
        /// How many calls.
        count: u32,
    },
    /// The next `count` OpenAPI calls answer `-220` (token expired), whatever the token.
    TokenExpired {
        /// How many calls.
        count: u32,
    },
    /// The OA's current access token expires now (answers `-220` until a refresh).
    ExpireAccessToken {
        /// The OA.
        oa_id: String,
    },
    /// The next `count` OpenAPI/business calls answer this Zalo error.
    Error {
        /// Zalo code, e.g. `-200`.
        code: i64,
        /// Zalo message.
        message: String,
        /// How many calls.
        count: u32,
    },
    /// The next `count` OpenAPI/business calls answer only after `ms` milliseconds.
    Delay {
        /// Delay.
        ms: u64,
        /// How many calls.
        count: u32,
    },
    /// The next `count` webhook deliveries are each delivered `copies` times in a row; the
    /// repeats carry a `num_retry` header.
    DuplicateWebhooks {
        /// Total copies of each delivery (≥ 2 to duplicate).
        copies: u32,
        /// How many deliveries.
        count: u32,
    },
    /// The next `count` webhook deliveries are held back and then delivered newest first.
    ReorderWebhooks {
        /// How many deliveries.
        count: u32,
    },
    /// The user's last interaction is forgotten: consultation sends answer `-230`.
    CloseWindow {
        /// The OA.
        oa_id: String,
        /// The user.
        user_id: String,
    },
    /// The next `count` calls of the OAuth token endpoint (code exchange or refresh) answer
    /// this OAuth error, e.g. `-14002` "Invalid appId" or `-14003` "Invalid redirect uri".
    OauthError {
        /// Zalo code.
        code: i64,
        /// `error_name`.
        message: String,
        /// How many calls.
        count: u32,
    },
    /// The next visit of the permission page ends as the admin decides (see [`Consent`]).
    NextConsent {
        /// What the admin does.
        consent: Consent,
    },
    /// Removes all pending faults.
    Clear,
}

/// What the OA admin does on the fake's permission page (`GET /v4/oa/permission`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Consent {
    /// Grants access for the App's first OA (by id order).
    #[default]
    Allow,
    /// Grants access for this OA of the App.
    AllowOa {
        /// The OA chosen on the page.
        oa_id: String,
    },
    /// Refuses. What Zalo sends back then is undocumented [U]; the fake returns to
    /// `redirect_uri` with `error=access_denied` and the `state`, without a code.
    Deny,
}

/// A message the OA sent, as recorded by the fake (`GET /__fake/messages`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SentRecord {
    /// The OA that sent.
    pub oa_id: String,
    /// Recipient user id (or normalized phone for `zns_template`).
    pub user_id: String,
    /// The id returned to the sender.
    pub message_id: String,
    /// `text`, `image`, `file`, `request_user_info`, `template` (UID) or `zns_template`.
    pub kind: String,
    /// Text or caption.
    pub text: Option<String>,
    /// `quote_message_id`.
    pub quote_message_id: Option<String>,
    /// Image `attachment_id`.
    pub attachment_id: Option<String>,
    /// Image URL.
    pub image_url: Option<String>,
    /// File token.
    pub file_token: Option<String>,
    /// Template id.
    pub template_id: Option<String>,
    /// Template parameters.
    pub template_data: Option<Value>,
    /// ZNS tracking id.
    pub tracking_id: Option<String>,
    /// When (fake clock, epoch ms).
    pub sent_time_ms: i64,
    /// The request body as received.
    pub request: Value,
}

/// One webhook delivery attempt, as recorded by the fake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    /// The OA.
    pub oa_id: String,
    /// `event_name`.
    pub event_name: String,
    /// HTTP status of the app's answer, or `None` if the request failed.
    pub status: Option<u16>,
    /// `num_retry` header value on repeats.
    pub num_retry: Option<u32>,
}

/// Errors of the fake's Rust API.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    /// The OA id is not configured.
    #[error("the fake knows no OA {0}")]
    UnknownOa(String),
    /// No webhook URL is registered for the OA.
    #[error("no webhook URL registered for OA {0}")]
    NoWebhookUrl(String),
    /// The action cannot be turned into an event.
    #[error("invalid user action: {0}")]
    InvalidAction(String),
}

pub(crate) struct OaState {
    pub(crate) app_id: AppId,
    pub(crate) app_secret: Secret,
    pub(crate) oa_secret_key: Secret,
    pub(crate) webhook_url: Option<String>,
    pub(crate) signature: FakeSignature,
    pub(crate) refresh_token: String,
    pub(crate) refresh_calls: u64,
    pub(crate) name: String,
    pub(crate) callback_url: Option<String>,
}

/// An authorization code issued by the permission page (10 minutes, single use, §2.3).
pub(crate) struct IssuedCode {
    pub(crate) oa_id: OaId,
    pub(crate) app_id: AppId,
    pub(crate) code_challenge: String,
    pub(crate) issued_ms: i64,
}

pub(crate) struct TokenInfo {
    pub(crate) oa_id: OaId,
    pub(crate) expires_at_ms: i64,
}

#[derive(Default)]
pub(crate) struct FakeUser {
    pub(crate) follower: bool,
    pub(crate) last_interaction_ms: Option<i64>,
    pub(crate) display_name: Option<String>,
    pub(crate) shared_info: Option<Value>,
}

pub(crate) struct UploadInfo {
    pub(crate) oa_id: OaId,
    pub(crate) kind: &'static str,
    pub(crate) issued_ms: i64,
}

#[derive(Default)]
pub(crate) struct Faults {
    pub(crate) rate_limit: u32,
    pub(crate) token_expired: u32,
    pub(crate) errors: VecDeque<(i64, String)>,
    pub(crate) delays: VecDeque<u64>,
    pub(crate) duplicate: Option<(u32, u32)>,
    pub(crate) reorder: u32,
    pub(crate) oauth_errors: VecDeque<(i64, String)>,
    pub(crate) next_consent: Option<Consent>,
}

pub(crate) struct PendingDelivery {
    pub(crate) oa_id: OaId,
    pub(crate) event_name: String,
    pub(crate) body: Vec<u8>,
    pub(crate) zns: bool,
}

pub(crate) struct State {
    pub(crate) oas: BTreeMap<OaId, OaState>,
    pub(crate) access_tokens: HashMap<String, TokenInfo>,
    pub(crate) users: HashMap<(OaId, UserId), FakeUser>,
    pub(crate) sent: Vec<SentRecord>,
    pub(crate) uploads: HashMap<String, UploadInfo>,
    pub(crate) media: HashMap<String, (String, Vec<u8>)>,
    pub(crate) refresh_calls: u64,
    pub(crate) faults: Faults,
    pub(crate) clock_offset_ms: i64,
    pub(crate) counter: u64,
    pub(crate) held: Vec<PendingDelivery>,
    pub(crate) deliveries: Vec<DeliveryRecord>,
    pub(crate) codes: HashMap<String, IssuedCode>,
}

pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) echo_webhooks: bool,
    pub(crate) refresh_invalidates_access_token: bool,
    pub(crate) expires_in_as_number: bool,
    pub(crate) templates: Vec<FakeTemplate>,
    pub(crate) delivered: Notify,
    pub(crate) seed: u64,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock (a bug in the fake) must not wedge every later test
        // request; the state is still usable.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    pub(crate) fn now_ms(&self) -> i64 {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        wall.saturating_add(self.clock_offset_ms)
    }

    /// A fresh hex id of `bytes` bytes (20 hex chars for message ids, like Zalo's).
    pub(crate) fn next_hex(&mut self, seed: u64, bytes: usize) -> String {
        self.counter += 1;
        let digest = Sha256::digest(format!("{seed}:{}", self.counter));
        hex::encode(&digest[..bytes.min(32)])
    }
}

fn insert_app(oas: &mut BTreeMap<OaId, OaState>, access_tokens: &mut HashMap<String, TokenInfo>, app: &FakeApp) {
    access_tokens
        .insert(app.access_token.expose().to_owned(), TokenInfo { oa_id: app.oa_id.clone(), expires_at_ms: i64::MAX });
    oas.insert(
        app.oa_id.clone(),
        OaState {
            app_id: app.app_id.clone(),
            app_secret: app.app_secret.clone(),
            oa_secret_key: app.oa_secret_key.clone(),
            webhook_url: app.webhook_url.clone(),
            signature: app.signature,
            refresh_token: app.refresh_token.expose().to_owned(),
            refresh_calls: 0,
            name: app.name.clone().unwrap_or_else(|| format!("Fake OA {}", app.oa_id)),
            callback_url: app.callback_url.clone(),
        },
    );
}

/// A running fake Zalo server. Dropping it stops the server.
pub struct FakeZalo {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FakeZalo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeZalo").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Drop for FakeZalo {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeZalo {
    /// Binds `config.bind` (default `127.0.0.1:0`) and serves in a background task.
    pub async fn start(config: FakeConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(std::io::Error::other)?;
        let mut oas = BTreeMap::new();
        let mut access_tokens = HashMap::new();
        for app in &config.apps {
            insert_app(&mut oas, &mut access_tokens, app);
        }
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(addr.port());
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                oas,
                access_tokens,
                users: HashMap::new(),
                sent: Vec::new(),
                uploads: HashMap::new(),
                media: HashMap::new(),
                refresh_calls: 0,
                faults: Faults::default(),
                clock_offset_ms: 0,
                counter: 0,
                held: Vec::new(),
                deliveries: Vec::new(),
                codes: HashMap::new(),
            }),
            base_url,
            http,
            echo_webhooks: config.echo_webhooks,
            refresh_invalidates_access_token: config.refresh_invalidates_access_token,
            expires_in_as_number: config.expires_in_as_number,
            templates: config.templates,
            delivered: Notify::new(),
            seed,
        });
        let router = openapi::router().merge(control::router()).with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "fake Zalo server stopped");
            }
        });
        Ok(Self { shared, addr, task })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// All three Zalo hosts pointing at this server.
    pub fn endpoints(&self) -> ZaloEndpoints {
        ZaloEndpoints::all_at(&self.shared.base_url)
    }

    /// Adds an App/OA pair to the running fake (its start tokens become valid at once).
    pub fn add_app(&self, app: FakeApp) {
        let mut state = self.shared.lock();
        let State { oas, access_tokens, .. } = &mut *state;
        insert_app(oas, access_tokens, &app);
    }

    /// The OA admin revokes the App's access in OA Manager: every token of the OA dies and
    /// Zalo sends the signed `permission_revoked` event to the webhook.
    pub async fn revoke_permission(&self, oa_id: &str) -> Result<Delivery, FakeError> {
        webhook::revoke_permission(&self.shared, oa_id).await
    }

    /// Registers or changes the OA's webhook URL.
    pub fn set_webhook_url(&self, oa_id: &str, url: impl Into<String>) -> Result<(), FakeError> {
        let mut state = self.shared.lock();
        let oa = state.oas.get_mut(&OaId::new(oa_id)).ok_or_else(|| FakeError::UnknownOa(oa_id.to_owned()))?;
        oa.webhook_url = Some(url.into());
        Ok(())
    }

    /// Plays a citizen (or an OA Manager admin for `oa_send_text`): builds the webhook
    /// exactly as Zalo would, signs it and POSTs it to the OA's webhook URL.
    pub async fn user_sends(&self, user_id: &str, action: UserAction) -> Result<Delivery, FakeError> {
        webhook::user_sends(&self.shared, user_id, action).await
    }

    /// Shorthand for a `user_send_text`.
    pub async fn user_sends_text(&self, oa_id: &str, user_id: &str, text: &str) -> Result<Delivery, FakeError> {
        self.user_sends(user_id, UserAction::text(oa_id, text)).await
    }

    /// Injects a failure.
    pub fn inject(&self, fault: Fault) {
        control::apply_fault(&self.shared, fault);
    }

    /// Delivers webhooks held by [`Fault::ReorderWebhooks`] now, newest first.
    pub async fn release_held_webhooks(&self) {
        webhook::release_held(&self.shared).await;
    }

    /// Moves the fake clock forward.
    pub fn advance_clock(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let mut state = self.shared.lock();
        state.clock_offset_ms = state.clock_offset_ms.saturating_add(ms);
    }

    /// The fake clock, epoch ms.
    pub fn now_ms(&self) -> i64 {
        self.shared.lock().now_ms()
    }

    /// What the OA(s) sent to `user_id`, oldest first.
    pub fn sent_messages(&self, user_id: &str) -> Vec<SentRecord> {
        let state = self.shared.lock();
        state.sent.iter().filter(|m| m.user_id == user_id).cloned().collect()
    }

    /// Everything any OA sent, oldest first.
    pub fn all_sent_messages(&self) -> Vec<SentRecord> {
        self.shared.lock().sent.clone()
    }

    /// Number of refresh-grant requests received (all OAs).
    pub fn refresh_call_count(&self) -> u64 {
        self.shared.lock().refresh_calls
    }

    /// Number of refresh-grant requests for one OA that matched its App.
    pub fn refresh_call_count_for(&self, oa_id: &str) -> u64 {
        let state = self.shared.lock();
        state.oas.get(&OaId::new(oa_id)).map(|oa| oa.refresh_calls).unwrap_or(0)
    }

    /// The refresh token currently valid for the OA.
    pub fn current_refresh_token(&self, oa_id: &str) -> Option<String> {
        let state = self.shared.lock();
        state.oas.get(&OaId::new(oa_id)).map(|oa| oa.refresh_token.clone())
    }

    /// Webhook delivery attempts so far, in order.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.shared.lock().deliveries.clone()
    }

    /// Waits until at least `count` webhook deliveries were attempted (echoes are sent in
    /// the background), or `timeout` passes; returns the number reached.
    pub async fn wait_for_deliveries(&self, count: usize, timeout: Duration) -> usize {
        let wait = async {
            loop {
                let notified = self.shared.delivered.notified();
                let n = self.shared.lock().deliveries.len();
                if n >= count {
                    return n;
                }
                notified.await;
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(n) => n,
            Err(_) => self.shared.lock().deliveries.len(),
        }
    }

    /// Serves `bytes` at a URL on the fake (for media in image/file events); returns the URL.
    pub fn add_media(&self, content_type: &str, extension: &str, bytes: Vec<u8>) -> String {
        webhook::add_media(&self.shared, content_type, extension, bytes)
    }
}
