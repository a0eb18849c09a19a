//! OA access tokens: the OAuth v4 refresh call and a per-OA token store with single-flight
//! refresh and atomic rotation (zalo-oa.md §2).
//!
//! Invariants kept here:
//! - **single-flight**: at most one refresh request per OA is in flight; every caller that
//!   needs a fresh token while it runs waits for it and then uses its result;
//! - **atomic rotation, write-before-use**: the refresh token is single-use, so the new pair
//!   replaces the old one as a whole and is handed to [`TokenPersistence`] before the new
//!   access token is given to anyone. If saving fails, the pair stays in memory (the old one is
//!   already dead at Zalo) and saving is retried before the next use.
//!
//! Tokens are [`Secret`]s and never logged.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::error::{TokenError, transport_detail};
use crate::ids::{AppId, OaId};
use crate::secret::Secret;

/// A boxed future, so [`TokenPersistence`] stays usable as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Lifetime of an OA refresh token: 3 months (§2.3), counted as 90 days.
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// Default leeway: refresh when less than this remains, i.e. at ~20 h of a 25 h token (§2.3).
pub const DEFAULT_REFRESH_LEEWAY: Duration = Duration::from_secs(5 * 3600);

/// Milliseconds since the Unix epoch; injected so tests can move time.
pub trait Clock: Send + Sync {
    /// Now, in epoch milliseconds.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that only moves when told (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock standing at `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        Self(AtomicI64::new(now_ms))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, now_ms: i64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// One OA's token pair and its expiry times (epoch ms). Store it encrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenPair {
    /// OA access token (header `access_token`).
    pub access_token: Secret,
    /// Single-use refresh token.
    pub refresh_token: Secret,
    /// When the access token expires.
    pub access_expires_at_ms: i64,
    /// When the refresh token expires (issue + 90 days).
    pub refresh_expires_at_ms: i64,
    /// When this pair was issued.
    pub rotated_at_ms: i64,
}

impl TokenPair {
    /// Builds a pair from an OAuth answer received at `now_ms`.
    pub fn issued(tokens: IssuedTokens, now_ms: i64) -> Self {
        let expires_ms = i64::try_from(tokens.expires_in.as_millis()).unwrap_or(i64::MAX);
        let refresh_ms = i64::try_from(REFRESH_TOKEN_LIFETIME.as_millis()).unwrap_or(i64::MAX);
        Self {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            access_expires_at_ms: now_ms.saturating_add(expires_ms),
            refresh_expires_at_ms: now_ms.saturating_add(refresh_ms),
            rotated_at_ms: now_ms,
        }
    }
}

/// Where the app keeps the current pair (encrypted in its database).
///
/// `save` is called with every new pair **before** its access token is used; it must
/// replace the stored pair atomically (one row update) and return only once it is durable.
pub trait TokenPersistence: Send + Sync {
    /// Stores `pair` as the OA's only valid pair.
    fn save<'a>(&'a self, oa_id: &'a OaId, pair: &'a TokenPair) -> BoxFuture<'a, Result<(), String>>;
}

/// Keeps nothing (demo, tests that do not care).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoPersistence;

impl TokenPersistence for NoPersistence {
    fn save<'a>(&'a self, _: &'a OaId, _: &'a TokenPair) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// What the OAuth server answered (§2.1).
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    /// New access token.
    pub access_token: Secret,
    /// New refresh token (the old one is now dead).
    pub refresh_token: Secret,
    /// Access token lifetime (`expires_in`, a string in seconds: `"90000"`).
    pub expires_in: Duration,
}

/// The OAuth v4 token endpoint for one App.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    http: reqwest::Client,
    token_url: String,
    app_id: AppId,
    app_secret: Secret,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    error: Option<serde_json::Value>,
    message: Option<String>,
    error_name: Option<String>,
    error_reason: Option<String>,
}

impl OAuthClient {
    /// `oauth_base` is e.g. `https://oauth.zaloapp.com` or the fake's base URL.
    pub fn new(http: reqwest::Client, oauth_base: &str, app_id: AppId, app_secret: Secret) -> Self {
        Self { http, token_url: format!("{}/v4/oa/access_token", oauth_base.trim_end_matches('/')), app_id, app_secret }
    }

    /// Exchanges a refresh token for a new pair (`grant_type=refresh_token`). The refresh
    /// token is dead afterwards whatever happens to the answer.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<IssuedTokens, TokenError> {
        let form = [
            ("refresh_token", refresh_token.expose()),
            ("app_id", self.app_id.as_str()),
            ("grant_type", "refresh_token"),
        ];
        self.token_request(&form).await
    }

    /// Exchanges an authorization code (`grant_type=authorization_code`, PKCE verifier) for
    /// the OA's first pair. A refusal (e.g. `-14002` invalid appId, `-14003` invalid redirect
    /// uri, a used or expired code) comes back as [`TokenError::RefreshRejected`] with Zalo's
    /// code.
    pub async fn exchange_code(&self, code: &str, code_verifier: &str) -> Result<IssuedTokens, TokenError> {
        let form = [
            ("code", code),
            ("app_id", self.app_id.as_str()),
            ("grant_type", "authorization_code"),
            ("code_verifier", code_verifier),
        ];
        self.token_request(&form).await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<IssuedTokens, TokenError> {
        let answer = self
            .http
            .post(&self.token_url)
            .header("secret_key", self.app_secret.expose())
            .form(form)
            .send()
            .await
            .map_err(|e| TokenError::Transport(transport_detail(e)))?;
        let status = answer.status();
        let body = answer.bytes().await.map_err(|e| TokenError::Transport(transport_detail(e)))?;
        let parsed: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|_| TokenError::Decode(format!("HTTP {status}, body is not the token JSON")))?;
        let code = parsed.error.as_ref().and_then(number_like).unwrap_or(0);
        if code != 0 || !status.is_success() {
            let message = parsed
                .message
                .or(parsed.error_reason)
                .or(parsed.error_name)
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(TokenError::RefreshRejected { code, message });
        }
        let (Some(access), Some(refresh)) = (parsed.access_token, parsed.refresh_token) else {
            return Err(TokenError::Decode("token answer lacks a token".into()));
        };
        let expires_in = parsed
            .expires_in
            .as_ref()
            .and_then(number_like)
            .filter(|s| *s > 0)
            .ok_or_else(|| TokenError::Decode("token answer lacks expires_in".into()))?;
        Ok(IssuedTokens {
            access_token: Secret::new(access),
            refresh_token: Secret::new(refresh),
            expires_in: Duration::from_secs(expires_in.unsigned_abs()),
        })
    }
}

/// Reads an integer sent either as a JSON number or as a decimal string.
pub(crate) fn number_like(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An access token handed out by the store, with the generation it belongs to (so a
/// rejection of an old token does not trigger a second refresh).
#[derive(Clone, Debug)]
pub struct AccessToken {
    secret: Secret,
    generation: u64,
}

impl AccessToken {
    /// The token value for the `access_token` header. Never log it.
    pub fn expose(&self) -> &str {
        self.secret.expose()
    }
}

struct State {
    pair: TokenPair,
    generation: u64,
    unpersisted: bool,
    /// Set when Zalo refused a refresh: the grant is gone until an admin reconnects, and
    /// queued callers must not spend more refresh calls on a dead token.
    rejected: Option<(i64, String)>,
}

struct Inner {
    oa_id: OaId,
    oauth: OAuthClient,
    persistence: Arc<dyn TokenPersistence>,
    clock: Arc<dyn Clock>,
    leeway_ms: AtomicI64,
    state: Mutex<State>,
}

/// The token store of one OA. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct TokenStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore").field("oa_id", &self.inner.oa_id).finish_non_exhaustive()
    }
}

impl TokenStore {
    /// A store starting from the pair loaded from the database (or pasted by an admin).
    pub fn new(oa_id: OaId, initial: TokenPair, oauth: OAuthClient, persistence: Arc<dyn TokenPersistence>) -> Self {
        Self::with_clock(oa_id, initial, oauth, persistence, Arc::new(SystemClock))
    }

    /// Same as [`TokenStore::new`] with an injected clock.
    pub fn with_clock(
        oa_id: OaId,
        initial: TokenPair,
        oauth: OAuthClient,
        persistence: Arc<dyn TokenPersistence>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let leeway_ms = i64::try_from(DEFAULT_REFRESH_LEEWAY.as_millis()).unwrap_or(0);
        Self {
            inner: Arc::new(Inner {
                oa_id,
                oauth,
                persistence,
                clock,
                leeway_ms: AtomicI64::new(leeway_ms),
                state: Mutex::new(State { pair: initial, generation: 0, unpersisted: false, rejected: None }),
            }),
        }
    }

    /// Changes the leeway before expiry at which a refresh happens (default 5 h, i.e. at
    /// ~20 h of a 25 h token). Applies to all clones.
    pub fn with_refresh_leeway(self, leeway: Duration) -> Self {
        let leeway_ms = i64::try_from(leeway.as_millis()).unwrap_or(i64::MAX);
        self.inner.leeway_ms.store(leeway_ms, Ordering::Relaxed);
        self
    }

    /// The OA this store serves.
    pub fn oa_id(&self) -> &OaId {
        &self.inner.oa_id
    }

    /// A valid access token, refreshing first if it is expired or within the leeway.
    pub async fn access_token(&self) -> Result<AccessToken, TokenError> {
        let mut state = self.inner.state.lock().await;
        let now = self.inner.clock.now_ms();
        let leeway_ms = self.inner.leeway_ms.load(Ordering::Relaxed);
        if now.saturating_add(leeway_ms) >= state.pair.access_expires_at_ms {
            self.refresh_locked(&mut state).await?;
        }
        self.hand_out(&mut state).await
    }

    /// Called after Zalo rejected `rejected` (`-216`/`-220`/`-124`): refreshes unless another
    /// caller already did since that token was handed out, then returns the current token.
    pub async fn refresh_after_rejection(&self, rejected: &AccessToken) -> Result<AccessToken, TokenError> {
        let mut state = self.inner.state.lock().await;
        if state.generation == rejected.generation {
            self.refresh_locked(&mut state).await?;
        }
        self.hand_out(&mut state).await
    }

    /// Replaces the pair (an admin pasted a new one or re-consented). Persisted first.
    pub async fn replace_pair(&self, pair: TokenPair) -> Result<(), TokenError> {
        let mut state = self.inner.state.lock().await;
        state.pair = pair;
        state.generation += 1;
        state.unpersisted = true;
        state.rejected = None;
        self.persist_locked(&mut state).await
    }

    /// When the current refresh token expires (for the "reconnect OA" warning).
    pub async fn refresh_expires_at_ms(&self) -> i64 {
        self.inner.state.lock().await.pair.refresh_expires_at_ms
    }

    async fn hand_out(&self, state: &mut State) -> Result<AccessToken, TokenError> {
        if state.unpersisted {
            self.persist_locked(state).await?;
        }
        Ok(AccessToken { secret: state.pair.access_token.clone(), generation: state.generation })
    }

    async fn persist_locked(&self, state: &mut State) -> Result<(), TokenError> {
        match self.inner.persistence.save(&self.inner.oa_id, &state.pair).await {
            Ok(()) => {
                state.unpersisted = false;
                Ok(())
            }
            Err(reason) => {
                tracing::error!(oa_id = %self.inner.oa_id, "persisting the rotated Zalo token pair failed");
                Err(TokenError::Persist(reason))
            }
        }
    }

    /// Runs the one refresh. Called with the state lock held, which is what makes it
    /// single-flight: concurrent callers queue on the lock and then find the new pair.
    async fn refresh_locked(&self, state: &mut State) -> Result<(), TokenError> {
        if let Some((code, message)) = &state.rejected {
            return Err(TokenError::RefreshRejected { code: *code, message: message.clone() });
        }
        let now = self.inner.clock.now_ms();
        if now >= state.pair.refresh_expires_at_ms {
            return Err(TokenError::RefreshTokenExpired);
        }
        tracing::info!(oa_id = %self.inner.oa_id, "refreshing the Zalo OA access token");
        let issued = match self.inner.oauth.refresh(&state.pair.refresh_token).await {
            Ok(issued) => issued,
            Err(TokenError::RefreshRejected { code, message }) => {
                tracing::error!(oa_id = %self.inner.oa_id, code, "Zalo refused the token refresh; the OA must be reconnected");
                state.rejected = Some((code, message.clone()));
                return Err(TokenError::RefreshRejected { code, message });
            }
            Err(other) => return Err(other),
        };
        // The old refresh token is dead from here on: swap the whole pair at once.
        state.pair = TokenPair::issued(issued, self.inner.clock.now_ms());
        state.generation += 1;
        state.unpersisted = true;
        self.persist_locked(state).await
    }
}
