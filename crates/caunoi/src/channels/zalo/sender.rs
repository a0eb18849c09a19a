//! The Zalo side of the outbox: one [`OaClient`] per bound OA (built from the unit's sealed
//! secrets and the OA's token pair, cached until the binding changes), a per-OA request limit
//! (governor), and the mapping of Zalo's answers to "sent", "retry later" or "dead letter".
//!
//! An expired or invalid access token is handled inside caunoi-zalo: the client refreshes once
//! (single-flight per OA, the rotated pair saved through [`DbTokenPersistence`]) and retries
//! once. What still fails is classified here.

use super::connection::OaStatus;
use super::tokens::{self, DbTokenPersistence};
use crate::app::App;
use crate::outbox::Payload;
use crate::outbox::SendError;
use caunoi_zalo::{
    ApiError, AppId, AppRateLimiter, ImageSource, MessageId, OAuthClient, OaClient, OaClientConfig, OaId, Secret,
    TokenStore, Upload, UserId, ZaloEndpoints, ZaloErrorKind,
};
use std::collections::HashMap;
use std::sync::Arc;

struct Cached {
    fingerprint: String,
    client: OaClient,
}

/// Per-process Zalo state: the HTTP client, the endpoints, and cached OA clients.
pub struct ZaloRuntime {
    http: reqwest::Client,
    endpoints: ZaloEndpoints,
    clients: tokio::sync::Mutex<HashMap<String, Cached>>,
    /// The OA bindings, for the webhook and the sends.
    pub bindings: super::bindings::BindingCache,
    /// When this instance last wrote an OA's `last_webhook_at`.
    heard: std::sync::Mutex<HashMap<String, std::time::Instant>>,
}

/// How often an OA's `last_webhook_at` is written at most (it feeds a warning after a day of
/// silence; a write per webhook would cost the SQLite writer at peak).
pub const HEARD_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl ZaloRuntime {
    pub fn new(config: &crate::config::Config) -> ZaloRuntime {
        let endpoints = match &config.zalo_api_url {
            Some(url) => ZaloEndpoints::all_at(url),
            None => ZaloEndpoints::production(),
        };
        let http = caunoi_zalo::client::default_http_client().unwrap_or_default();
        ZaloRuntime {
            http,
            endpoints,
            clients: tokio::sync::Mutex::new(HashMap::new()),
            bindings: Default::default(),
            heard: Default::default(),
        }
    }

    /// The HTTP client used for Zalo (and media downloads).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn endpoints(&self) -> &ZaloEndpoints {
        &self.endpoints
    }

    /// Notes that a signed webhook of the OA arrived: writes `last_webhook_at` in the
    /// background, at most once per [`HEARD_EVERY`] per OA, so the webhook's path never waits.
    pub fn heard_from(&self, app: &App, oa_id: &str) {
        {
            let mut heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
            if heard.get(oa_id).is_some_and(|at| at.elapsed() < HEARD_EVERY) {
                return;
            }
            if heard.len() >= super::bindings::MAX_ENTRIES {
                heard.clear();
            }
            heard.insert(oa_id.to_string(), std::time::Instant::now());
        }
        let (app, oa_id) = (app.clone(), oa_id.to_string());
        tokio::spawn(async move {
            let now = app.clock.now_micros();
            if let Err(e) = super::store::touch_webhook(&app.db, &oa_id, now).await {
                tracing::warn!(error = %e, "zalo: cannot note the OA's last webhook");
            }
        });
    }

    /// Drops the cached client of an OA (after new tokens were stored by hand).
    pub async fn forget(&self, oa_id: &str) {
        self.clients.lock().await.remove(oa_id);
    }

    /// The client of an OA, built on first use and rebuilt when the binding changed.
    pub async fn client(&self, app: &App, oa_id: &str) -> Result<OaClient, SendError> {
        let binding = self
            .bindings
            .get(app, oa_id)
            .await
            .map_err(|e| SendError::Retry(format!("database: {e}")))?
            .ok_or_else(|| SendError::Permanent("no unit is connected to this OA any more".into()))?;
        if binding.status != OaStatus::Connected {
            return Err(SendError::Permanent(format!(
                "oa_disconnected: the OA is {}; an admin must reconnect it",
                binding.status.as_str()
            )));
        }
        let (app_id, sealed) = (binding.app_id.clone(), binding.sealed_secrets.clone());
        let mut clients = self.clients.lock().await;
        if let Some(c) = clients.get(oa_id)
            && c.fingerprint == sealed
        {
            return Ok(c.client.clone());
        }
        let secrets = binding
            .secrets
            .clone()
            .ok_or_else(|| SendError::Retry("the OA secrets do not decrypt with the instance key".into()))?;
        let pair = tokens::load_pair(&app.db, &app.secrets, oa_id)
            .await
            .map_err(|e| SendError::Retry(format!("database: {e}")))?
            .ok_or_else(|| SendError::Retry("the OA is not connected yet (no access token)".into()))?;
        let oauth = OAuthClient::new(
            self.http.clone(),
            &self.endpoints.oauth_base,
            AppId::new(app_id),
            Secret::new(secrets.app_secret),
        );
        let persistence = DbTokenPersistence {
            db: app.db.clone(),
            secrets: app.secrets.clone(),
            clock: app.clock.clone(),
            unit_id: binding.unit_id,
        };
        let tokens = TokenStore::new(OaId::new(oa_id), pair, oauth, Arc::new(persistence));
        let limiter = AppRateLimiter::per_minute(app.config.zalo_requests_per_minute);
        let config =
            OaClientConfig { oa_id: OaId::new(oa_id), endpoints: self.endpoints.clone(), appsecret_proof_key: None };
        let client = OaClient::new(self.http.clone(), config, tokens, limiter);
        clients.insert(oa_id.to_string(), Cached { fingerprint: sealed, client: client.clone() });
        Ok(client)
    }

    /// Delivers one outbox payload to a Zalo user; returns Zalo's message id.
    pub async fn send(&self, app: &App, oa_id: &str, recipient: &str, payload: &Payload) -> Result<String, SendError> {
        let client = self.client(app, oa_id).await?;
        let sent = self.send_with(app, &client, recipient, payload).await;
        if let Err((_, Some(e))) = &sent {
            super::service::note_api_error(app, oa_id, e).await;
        }
        sent.map_err(|(e, _)| e)
    }

    async fn send_with(
        &self,
        app: &App,
        client: &OaClient,
        recipient: &str,
        payload: &Payload,
    ) -> Result<String, (SendError, Option<ApiError>)> {
        let user = UserId::new(recipient);
        match payload {
            Payload::Text { text, quote_message_id } => {
                let quote = quote_message_id.as_ref().map(|q| MessageId::new(q.as_str()));
                let mut result = client.send_text(&user, text, quote.as_ref()).await;
                // Zalo may refuse the quote itself (S3 fork behaviour): send without it.
                if quote.is_some() && matches!(&result, Err(e) if e.zalo_kind() == Some(ZaloErrorKind::InvalidParams)) {
                    result = client.send_text(&user, text, None).await;
                }
                result.map(|sent| sent.message_id.into_string()).map_err(failed)
            }
            // Uploaded ids and tokens expire after 7 days (§6), so every attempt uploads again
            // rather than keeping one across retries.
            Payload::Image { media_ref, caption } => {
                let upload = read_upload(app, media_ref, None).await.map_err(|e| (e, None))?;
                let attachment = client.upload_image(upload).await.map_err(failed)?;
                let image = ImageSource::AttachmentId(attachment);
                let caption = caption.as_deref().filter(|c| !c.trim().is_empty());
                client.send_image(&user, &image, caption).await.map(|s| s.message_id.into_string()).map_err(failed)
            }
            Payload::File { media_ref, name } => {
                let upload = read_upload(app, media_ref, Some(name)).await.map_err(|e| (e, None))?;
                let token = client.upload_file(upload).await.map_err(failed)?;
                client.send_file(&user, &token).await.map(|s| s.message_id.into_string()).map_err(failed)
            }
        }
    }
}

/// The stored file of an outbox payload, ready to upload. A missing file cannot appear later:
/// the row is a dead letter.
async fn read_upload(app: &App, media_ref: &str, name: Option<&str>) -> Result<Upload, SendError> {
    let (area, stored, mime) = crate::media::parse_ref(media_ref)
        .ok_or_else(|| SendError::Permanent("media_missing: invalid media reference".into()))?;
    let bytes = match app.config.media_store.read(&crate::media::served_key(area, stored)).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(SendError::Permanent("media_missing: the stored file is gone".into())),
        // A bucket that does not answer now may answer on the next attempt.
        Err(e) => return Err(SendError::Retry(format!("media_unreadable: cannot read the stored file: {e}"))),
    };
    let stored_name = media_ref.rsplit('/').next().unwrap_or(media_ref);
    let file_name = name.filter(|n| !n.trim().is_empty()).unwrap_or(stored_name).to_string();
    Ok(Upload { file_name, content_type: mime.to_string(), bytes })
}

/// A failed call: what it means for the queue, and the error itself (whose token failures
/// may lose the OA, see `service::note_api_error`).
fn failed(e: ApiError) -> (SendError, Option<ApiError>) {
    (classify(&e), Some(e))
}

/// What a failed call means for the queue (zalo-oa.md §5.6).
pub fn classify(e: &ApiError) -> SendError {
    use ZaloErrorKind::*;
    let reason = e.to_string();
    match e.zalo_kind() {
        Some(kind @ (ReplyWindowClosed | UserBlocked | UserNotFollower | InvalidParams | UnsupportedMessageType)) => {
            SendError::Permanent(format!("{}: {reason}", kind_code(kind)))
        }
        Some(RateLimited) => SendError::Retry(format!("rate_limited: {reason}")),
        Some(kind @ (AccessTokenInvalid | AccessTokenExpired)) => {
            SendError::Retry(format!("{}: {reason}", kind_code(kind)))
        }
        Some(kind @ (NightBan | OutOfQuota | SendFailed | AccountSetup | AttachmentExpired)) => {
            SendError::Retry(format!("{}: {reason}", kind_code(kind)))
        }
        _ if e.is_retryable() => SendError::Retry(reason),
        _ => SendError::Permanent(reason),
    }
}

fn kind_code(kind: ZaloErrorKind) -> &'static str {
    use ZaloErrorKind::*;
    match kind {
        RateLimited => "rate_limited",
        AccessTokenInvalid => "access_token_invalid",
        AccessTokenExpired => "access_token_expired",
        ReplyWindowClosed => "reply_window_closed",
        UserNotFollower => "user_not_follower",
        UserBlocked => "user_blocked",
        InvalidParams => "invalid_params",
        UnsupportedMessageType => "unsupported_message_type",
        AttachmentExpired => "attachment_expired",
        OutOfQuota => "out_of_quota",
        NightBan => "night_ban",
        TemplateUnavailable => "template_unavailable",
        SendFailed => "send_failed",
        AccountSetup => "account_setup",
        Other => "other",
    }
}
