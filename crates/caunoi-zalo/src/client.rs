//! The OpenAPI client of one OA: consultation messages, uploads, user detail and template
//! messages (zalo-oa.md §4–§7).
//!
//! Every call carries the bare `access_token` header (§0 rule 1), waits for the per-App rate
//! limiter (4,000 requests/minute, §4), and treats HTTP 200 with `error != 0` as an error
//! ([`ApiError::Zalo`]). A token rejection (`-216`, `-220`, ZNS `-124`) triggers one refresh
//! through the [`TokenStore`] and one retry; nothing else is retried here (the app's queue
//! retries with backoff). Base URLs come from [`ZaloEndpoints`], so tests point at the fake.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::error::{ApiError, ZaloErrorKind, ZaloHost, transport_detail};
use crate::ids::{MessageId, OaId, UserId};
use crate::secret::Secret;
use crate::token::{AccessToken, TokenStore, number_like};

/// Longest consultation text Zalo accepts, in characters (§5.1).
pub const MAX_TEXT_CHARS: usize = 2000;
/// Documented OpenAPI limit per App (§4).
pub const REQUESTS_PER_MINUTE: u32 = 4000;

/// Base URLs of the three Zalo hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZaloEndpoints {
    /// `https://oauth.zaloapp.com`.
    pub oauth_base: String,
    /// `https://openapi.zalo.me`.
    pub openapi_base: String,
    /// `https://business.openapi.zalo.me`.
    pub business_base: String,
}

impl ZaloEndpoints {
    /// The real Zalo hosts (needs the `rustls` feature to reach them).
    pub fn production() -> Self {
        Self {
            oauth_base: "https://oauth.zaloapp.com".into(),
            openapi_base: "https://openapi.zalo.me".into(),
            business_base: "https://business.openapi.zalo.me".into(),
        }
    }

    /// All three hosts served by one server (the fake).
    pub fn all_at(base: &str) -> Self {
        let base = base.trim_end_matches('/').to_owned();
        Self { oauth_base: base.clone(), openapi_base: base.clone(), business_base: base }
    }
}

/// A reqwest client with the timeouts we use for Zalo (connect 5 s, whole request 30 s).
pub fn default_http_client() -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| ApiError::Transport(transport_detail(e)))
}

/// The request limiter of one Zalo App, shared by all its OAs' clients. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppRateLimiter(Arc<DefaultDirectRateLimiter>);

impl AppRateLimiter {
    /// The documented 4,000 requests per minute.
    pub fn documented() -> Self {
        Self::per_minute(NonZeroU32::new(REQUESTS_PER_MINUTE).unwrap_or(NonZeroU32::MIN))
    }

    /// A custom limit (tests, or a stricter operator setting).
    pub fn per_minute(limit: NonZeroU32) -> Self {
        Self(Arc::new(RateLimiter::direct(Quota::per_minute(limit))))
    }

    /// Waits until one more request is allowed.
    pub async fn until_ready(&self) {
        self.0.until_ready().await;
    }

    /// Takes one request slot if available now.
    pub fn try_acquire(&self) -> bool {
        self.0.check().is_ok()
    }
}

/// An image to send: an uploaded `attachment_id` or a public URL, never both (§5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageSource {
    /// From [`OaClient::upload_image`].
    AttachmentId(String),
    /// A public URL.
    Url(String),
}

/// `data.quota` of a send answer; all members optional since 2026 (§5.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct SendQuota {
    /// `reply`, `sub_quota`, `purchase_quota`, `reward_quota`.
    #[serde(default)]
    pub quota_type: Option<String>,
    /// Remaining (string or number).
    #[serde(default, deserialize_with = "opt_string")]
    pub remain: Option<String>,
    /// Total.
    #[serde(default, deserialize_with = "opt_string")]
    pub total: Option<String>,
}

/// What Zalo answered to a consultation or UID template send.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SentMessage {
    /// Id of the new message (remember it to recognise its `oa_send_*` echo).
    pub message_id: MessageId,
    /// Recipient.
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// Epoch ms string.
    #[serde(default, deserialize_with = "opt_string")]
    pub sent_time: Option<String>,
    /// Quota information.
    #[serde(default)]
    pub quota: Option<SendQuota>,
}

/// What Zalo answered to a template send by phone (ZNS/ZBS).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SentTemplate {
    /// Message id (`msg_id`).
    pub msg_id: MessageId,
    /// Epoch ms string.
    #[serde(default, deserialize_with = "opt_string")]
    pub sent_time: Option<String>,
    /// Daily quota information, when given.
    #[serde(default)]
    pub quota: Option<TemplateQuota>,
}

/// `data.quota` of a ZNS/ZBS send.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TemplateQuota {
    /// `dailyQuota`.
    #[serde(default, rename = "dailyQuota", deserialize_with = "opt_string")]
    pub daily_quota: Option<String>,
    /// `remainingQuota`.
    #[serde(default, rename = "remainingQuota", deserialize_with = "opt_string")]
    pub remaining_quota: Option<String>,
}

/// A template message to a phone number (ZNS/ZBS, §5.4).
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneTemplate {
    /// `84…` without leading 0.
    pub phone: String,
    /// Approved template id.
    pub template_id: String,
    /// Parameters by name.
    pub template_data: BTreeMap<String, String>,
    /// Our correlation/idempotency key, ≤ 48 chars; echoed in the delivery receipt.
    pub tracking_id: String,
    /// `mode: "development"`: only delivers to App/OA admins.
    pub development_mode: bool,
}

impl std::fmt::Debug for PhoneTemplate {
    // The phone and parameters are personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneTemplate")
            .field("template_id", &self.template_id)
            .field("tracking_id", &self.tracking_id)
            .finish_non_exhaustive()
    }
}

/// An OA's profile (`/v2.0/oa/getoa`, §7); only what caunoi shows is read.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct OaInfo {
    /// The OA id (`oaid`; a string, tolerated as a number).
    #[serde(default, deserialize_with = "opt_string")]
    pub oaid: Option<String>,
    /// The OA's display name.
    #[serde(default)]
    pub name: String,
    /// Whether Zalo verified the OA.
    #[serde(default)]
    pub is_verified: Option<bool>,
    /// `4` for a government OA, `2` for a business.
    #[serde(default, deserialize_with = "opt_string")]
    pub oa_type: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar: Option<String>,
}

/// `shared_info` of a user profile: data the user shared through a consent card.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SharedInfo {
    /// Name.
    #[serde(default, deserialize_with = "opt_string")]
    pub name: Option<String>,
    /// Phone (`84…`; sometimes a JSON number).
    #[serde(default, deserialize_with = "opt_string")]
    pub phone: Option<String>,
    /// Address.
    #[serde(default, deserialize_with = "opt_string")]
    pub address: Option<String>,
    /// City.
    #[serde(default, deserialize_with = "opt_string")]
    pub city: Option<String>,
    /// District.
    #[serde(default, deserialize_with = "opt_string")]
    pub district: Option<String>,
    /// Date of birth.
    #[serde(default, deserialize_with = "opt_string")]
    pub user_dob: Option<String>,
}

/// A user profile (`/v3.0/oa/user/detail`, §7). Its `Debug` hides personal data.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct UserDetail {
    /// OA-scoped id.
    pub user_id: UserId,
    /// App-scoped id.
    #[serde(default, deserialize_with = "opt_string")]
    pub user_id_by_app: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Alias the OA gave the user.
    #[serde(default)]
    pub user_alias: Option<String>,
    /// Whether the user follows the OA.
    #[serde(default)]
    pub user_is_follower: Option<bool>,
    /// `dd/mm/yyyy` — too coarse for window arithmetic.
    #[serde(default)]
    pub user_last_interaction_date: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Avatars by size (`"120"`, `"240"`).
    #[serde(default)]
    pub avatars: BTreeMap<String, String>,
    /// Data shared through a consent card.
    #[serde(default)]
    pub shared_info: Option<SharedInfo>,
}

impl std::fmt::Debug for UserDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserDetail")
            .field("user_id", &self.user_id)
            .field("user_is_follower", &self.user_is_follower)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SharedInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedInfo(***)")
    }
}

#[derive(Deserialize)]
struct AttachmentIdData {
    attachment_id: String,
}

#[derive(Deserialize)]
struct FileTokenData {
    token: String,
}

/// A file to upload.
#[derive(Clone, Debug)]
pub struct Upload {
    /// File name sent in the multipart part.
    pub file_name: String,
    /// MIME type, e.g. `image/png`, `application/pdf`.
    pub content_type: String,
    /// The bytes (image ≤ 1 MB, file ≤ 5 MB, §6).
    pub bytes: Vec<u8>,
}

/// Configuration of one OA's client.
#[derive(Clone, Debug)]
pub struct OaClientConfig {
    /// The OA.
    pub oa_id: OaId,
    /// Base URLs.
    pub endpoints: ZaloEndpoints,
    /// When set, every call also sends `appsecret_proof` = HMAC-SHA256(app secret, token)
    /// (§2.4; whether Zalo enforces it is unconfirmed, hence per OA).
    pub appsecret_proof_key: Option<Secret>,
}

/// The OpenAPI client of one OA. Cheap to clone.
#[derive(Clone, Debug)]
pub struct OaClient {
    http: reqwest::Client,
    config: Arc<OaClientConfig>,
    tokens: TokenStore,
    limiter: AppRateLimiter,
}

/// `appsecret_proof` (§2.4): lowercase hex HMAC-SHA256 with the App secret as key.
pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(access_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl OaClient {
    /// A client for one OA. Share `limiter` between the OAs of the same App.
    pub fn new(http: reqwest::Client, config: OaClientConfig, tokens: TokenStore, limiter: AppRateLimiter) -> Self {
        Self { http, config: Arc::new(config), tokens, limiter }
    }

    /// The OA this client sends for.
    pub fn oa_id(&self) -> &OaId {
        &self.config.oa_id
    }

    /// The token store (for proactive refresh or admin token replacement).
    pub fn tokens(&self) -> &TokenStore {
        &self.tokens
    }

    /// Sends a consultation text (≤ 2,000 chars), optionally quoting the user's message.
    pub async fn send_text(
        &self,
        user_id: &UserId,
        text: &str,
        quote: Option<&MessageId>,
    ) -> Result<SentMessage, ApiError> {
        let mut message = json!({ "text": text });
        if let Some(quote) = quote {
            message["quote_message_id"] = json!(quote.as_str());
        }
        self.send_cs(user_id, message).await
    }

    /// Sends a consultation image with an optional caption.
    pub async fn send_image(
        &self,
        user_id: &UserId,
        image: &ImageSource,
        caption: Option<&str>,
    ) -> Result<SentMessage, ApiError> {
        let element = match image {
            ImageSource::AttachmentId(id) => json!({ "media_type": "image", "attachment_id": id }),
            ImageSource::Url(url) => json!({ "media_type": "image", "url": url }),
        };
        let mut message = json!({
            "attachment": { "type": "template",
                "payload": { "template_type": "media", "elements": [element] } }
        });
        if let Some(caption) = caption {
            message["text"] = json!(caption);
        }
        self.send_cs(user_id, message).await
    }

    /// Sends a consultation file (token from [`OaClient::upload_file`]).
    pub async fn send_file(&self, user_id: &UserId, file_token: &str) -> Result<SentMessage, ApiError> {
        let message = json!({ "attachment": { "type": "file", "payload": { "token": file_token } } });
        self.send_cs(user_id, message).await
    }

    /// Sends the `request_user_info` card; the answer arrives as `user_submit_info`.
    pub async fn send_request_user_info(
        &self,
        user_id: &UserId,
        title: &str,
        subtitle: &str,
        image_url: &str,
    ) -> Result<SentMessage, ApiError> {
        let message = json!({ "attachment": { "type": "template", "payload": {
            "template_type": "request_user_info",
            "elements": [ { "title": title, "subtitle": subtitle, "image_url": image_url } ] } } });
        self.send_cs(user_id, message).await
    }

    async fn send_cs(&self, user_id: &UserId, message: Value) -> Result<SentMessage, ApiError> {
        let body = json!({ "recipient": { "user_id": user_id.as_str() }, "message": message });
        let url = self.openapi_url("/v3.0/oa/message/cs");
        self.call(ZaloHost::OpenApi, |token| self.authed(self.http.post(&url), token).json(&body)).await
    }

    /// Uploads a jpg/png (≤ 1 MB); returns the `attachment_id` (valid 7 days).
    pub async fn upload_image(&self, upload: Upload) -> Result<String, ApiError> {
        let data: AttachmentIdData = self.upload("/v2.0/oa/upload/image", upload).await?;
        Ok(data.attachment_id)
    }

    /// Uploads a PDF/DOC/DOCX (≤ 5 MB); returns the file `token` (valid 7 days).
    pub async fn upload_file(&self, upload: Upload) -> Result<String, ApiError> {
        let data: FileTokenData = self.upload("/v2.0/oa/upload/file", upload).await?;
        Ok(data.token)
    }

    async fn upload<T: DeserializeOwned>(&self, path: &str, upload: Upload) -> Result<T, ApiError> {
        let url = self.openapi_url(path);
        // Fail early on a bad MIME type rather than inside the retry closure.
        reqwest::multipart::Part::bytes(Vec::new())
            .mime_str(&upload.content_type)
            .map_err(|_| ApiError::Decode("invalid upload content type".into()))?;
        self.call(ZaloHost::OpenApi, |token| {
            let part = reqwest::multipart::Part::bytes(upload.bytes.clone()).file_name(upload.file_name.clone());
            let part = match part.mime_str(&upload.content_type) {
                Ok(part) => part,
                Err(_) => reqwest::multipart::Part::bytes(upload.bytes.clone()).file_name(upload.file_name.clone()),
            };
            let form = reqwest::multipart::Form::new().part("file", part);
            self.authed(self.http.post(&url), token).multipart(form)
        })
        .await
    }

    /// Reads a user profile.
    pub async fn user_detail(&self, user_id: &UserId) -> Result<UserDetail, ApiError> {
        let mut url = reqwest::Url::parse(&self.openapi_url("/v3.0/oa/user/detail"))
            .map_err(|_| ApiError::Decode("invalid openapi base URL".into()))?;
        let data = json!({ "user_id": user_id.as_str() }).to_string();
        url.query_pairs_mut().append_pair("data", &data);
        self.call(ZaloHost::OpenApi, |token| self.authed(self.http.get(url.clone()), token)).await
    }

    /// The OA's own profile (`GET /v2.0/oa/getoa`, §7): the health check that proves the
    /// token works for this OA.
    pub async fn oa_info(&self) -> Result<OaInfo, ApiError> {
        let url = self.openapi_url("/v2.0/oa/getoa");
        self.call(ZaloHost::OpenApi, |token| self.authed(self.http.get(&url), token)).await
    }

    /// Sends a ZBS template message by user id (`/v3.0/oa/message/template`; request shape
    /// unconfirmed, §13.6). No consultation window applies.
    pub async fn send_template_to_user(
        &self,
        user_id: &UserId,
        template_id: &str,
        template_data: &BTreeMap<String, String>,
    ) -> Result<SentMessage, ApiError> {
        let body = json!({
            "user_id": user_id.as_str(),
            "template_id": template_id,
            "template_data": template_data,
        });
        let url = self.openapi_url("/v3.0/oa/message/template");
        self.call(ZaloHost::OpenApi, |token| self.authed(self.http.post(&url), token).json(&body)).await
    }

    /// Sends a ZNS/ZBS template message to a phone number (`business` host, §5.4).
    pub async fn send_template_to_phone(&self, template: &PhoneTemplate) -> Result<SentTemplate, ApiError> {
        let mut body = json!({
            "phone": template.phone,
            "template_id": template.template_id,
            "template_data": template.template_data,
            "tracking_id": template.tracking_id,
        });
        if template.development_mode {
            body["mode"] = json!("development");
        }
        let url = format!("{}/message/template", self.config.endpoints.business_base.trim_end_matches('/'));
        self.call(ZaloHost::Business, |token| self.authed(self.http.post(&url), token).json(&body)).await
    }

    fn openapi_url(&self, path: &str) -> String {
        format!("{}{path}", self.config.endpoints.openapi_base.trim_end_matches('/'))
    }

    fn authed(&self, request: reqwest::RequestBuilder, token: &AccessToken) -> reqwest::RequestBuilder {
        let request = request.header("access_token", token.expose());
        match &self.config.appsecret_proof_key {
            Some(key) => request.header("appsecret_proof", appsecret_proof(key.expose(), token.expose())),
            None => request,
        }
    }

    /// One call with the refresh-once-and-retry rule for token rejections.
    async fn call<T, F>(&self, host: ZaloHost, build: F) -> Result<T, ApiError>
    where
        T: DeserializeOwned,
        F: Fn(&AccessToken) -> reqwest::RequestBuilder,
    {
        let token = self.tokens.access_token().await?;
        match self.call_once(host, build(&token)).await {
            Err(ApiError::Zalo { kind, code, .. }) if kind.is_token_rejection() => {
                tracing::info!(oa_id = %self.config.oa_id, code, "Zalo rejected the access token; refreshing once");
                let token = self.tokens.refresh_after_rejection(&token).await?;
                self.call_once(host, build(&token)).await
            }
            other => other,
        }
    }

    async fn call_once<T: DeserializeOwned>(
        &self,
        host: ZaloHost,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ApiError> {
        self.limiter.until_ready().await;
        let answer = request.send().await.map_err(|e| ApiError::Transport(transport_detail(e)))?;
        let status = answer.status();
        if !status.is_success() {
            return Err(ApiError::HttpStatus(status.as_u16()));
        }
        let body = answer.bytes().await.map_err(|e| ApiError::Transport(transport_detail(e)))?;
        decode_envelope(host, &body)
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    data: Option<Value>,
}

/// Decodes `{"data": …, "error": 0, "message": "Success"}` (§4), mapping `error != 0`.
pub fn decode_envelope<T: DeserializeOwned>(host: ZaloHost, body: &[u8]) -> Result<T, ApiError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|_| ApiError::Decode("answer is not the Zalo JSON envelope".into()))?;
    let code = match &envelope.error {
        None => 0,
        Some(v) => number_like(v).ok_or_else(|| ApiError::Decode("`error` is not a number".into()))?,
    };
    if code != 0 {
        return Err(ApiError::Zalo {
            kind: ZaloErrorKind::from_code(host, code),
            code,
            message: envelope.message.unwrap_or_default(),
        });
    }
    let data = envelope.data.ok_or_else(|| ApiError::Decode("answer lacks `data`".into()))?;
    serde_json::from_value(data).map_err(|e| ApiError::Decode(format!("unexpected `data`: {e}")))
}

/// Deserializes an optional value sent as a string or a number into a string.
fn opt_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}
