//! Zalo connection use cases, the only door other features use to a unit's OA: connecting it
//! through Zalo's consent page (OAuth v4 + PKCE) or with a pasted token pair, the live check
//! (`getoa` with the token), the status that stays true (refused refresh, `permission_revoked`,
//! silence), the domain verification codes, and what the unit pages may show.
//!
//! Invariants: a connection is written only once Zalo gave a working token pair for exactly
//! the OA the admin named (never half: the connection, its tokens and the audit entry commit
//! together); a consent's state is bound to the admin's session and unit, used once and
//! short-lived, and its PKCE verifier never leaves the server; losing an OA (refused refresh,
//! revocation) is recorded in the audit log once, however often its cause repeats.

use super::connection::{Health, OaStatus, ZaloSecrets};
use super::store::{self, NewConnection};
use super::tokens;
use crate::app::App;
use crate::audit::store::NewEntry;
use crate::db::StoreError;
use crate::error::ServiceError;
use crate::staff::service::Officer;
use crate::web::T;
use caunoi_core::audit::AuditAction;
use caunoi_core::input::{FieldErrors, InvalidInput, text_field};
use caunoi_core::staff::{Action, OfficerId, Scope};
use caunoi_zalo::token::BoxFuture;
use caunoi_zalo::{
    ApiError, AppId, AppRateLimiter, OAuthClient, OaClient, OaClientConfig, OaId, OaInfo, Secret, TokenError,
    TokenPair, TokenPersistence, TokenStore,
};
use std::sync::{Arc, Mutex};

/// How long a consent may take, from the button to Zalo's redirect back (Zalo's codes live
/// 10 minutes too).
pub const STATE_LIFETIME_MICROS: i64 = 10 * 60 * 1_000_000;
/// The path Zalo sends the admin back to: register `<public_url>/zalo/callback` as the App's
/// "Official Account Callback Url".
pub const CALLBACK_PATH: &str = "/zalo/callback";
/// A pasted access token's remaining life is unknown (it was minted in the API Explorer
/// earlier): it is taken to expire within the hour, so the first real use refreshes it.
const PASTED_ACCESS_LIFETIME_MS: i64 = 3600 * 1000;

/// Where Zalo sends the admin back after the consent page.
pub fn callback_url(app: &App) -> String {
    format!("{}{CALLBACK_PATH}", app.config.public_url)
}

/// The webhook URL to paste into Zalo's developer console for an OA.
pub fn webhook_url(app: &App, oa_id: &str) -> String {
    format!("{}/channels/zalo/{oa_id}/webhook", app.config.public_url)
}

/// The connection form: App and OA ids and secrets, and for the §2.5 path a token pair.
/// Secrets are write-only: never shown again.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ConnectInput {
    pub app_id: String,
    pub oa_id: String,
    pub app_secret: String,
    pub oa_secret_key: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl std::fmt::Debug for ConnectInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectInput").field("app_id", &self.app_id).field("oa_id", &self.oa_id).finish_non_exhaustive()
    }
}

/// What the console shows of a unit's connection.
#[derive(Debug, Clone)]
pub struct Panel {
    pub health: Health,
    pub app_id: String,
    pub oa_id: String,
    pub oa_name: String,
    pub connected_at: Option<i64>,
    /// When the status last changed (the loss, for a lost OA).
    pub status_at: Option<i64>,
    pub last_webhook_at: Option<i64>,
    pub last_check_at: Option<i64>,
    /// Why the last live check failed, in the reader's language; empty when it passed.
    pub check_error: String,
    /// The webhook URL to paste into Zalo (once an OA id is known).
    pub webhook_url: Option<String>,
    /// The unit's domain verification code.
    pub site_code: Option<String>,
}

impl Panel {
    pub fn is_connected(&self) -> bool {
        self.health != Health::NotConnected
    }
}

/// A unit's connection for the console (`Health::NotConnected` when there is none).
pub async fn panel(app: &App, unit_id: i64, t: T) -> Result<Panel, StoreError> {
    let row = store::connection_of_unit(&app.db, unit_id).await?;
    let site_code = store::site_verification_of_unit(&app.db, unit_id).await?;
    let now = app.clock.now_micros();
    Ok(match row {
        None => Panel {
            health: Health::NotConnected,
            app_id: String::new(),
            oa_id: String::new(),
            oa_name: String::new(),
            connected_at: None,
            status_at: None,
            last_webhook_at: None,
            last_check_at: None,
            check_error: String::new(),
            webhook_url: None,
            site_code,
        },
        Some(r) => Panel {
            health: Health::of(OaStatus::parse(&r.status), r.connected_at, r.last_webhook_at, now),
            webhook_url: Some(webhook_url(app, &r.oa_id)),
            check_error: check_error_text(t, &r.check_error),
            app_id: r.app_id,
            oa_id: r.oa_id,
            oa_name: r.oa_name,
            connected_at: r.connected_at,
            status_at: Some(r.status_at),
            last_webhook_at: r.last_webhook_at,
            last_check_at: r.last_check_at,
            site_code,
        },
    })
}

/// The OA id citizens may be sent to (follow link, QR), only while the OA is connected.
pub async fn live_oa(app: &App, unit_id: i64) -> Result<Option<String>, StoreError> {
    let now = app.clock.now_micros();
    Ok(store::connection_of_unit(&app.db, unit_id)
        .await?
        .filter(|r| Health::of(OaStatus::parse(&r.status), r.connected_at, r.last_webhook_at, now).is_live())
        .map(|r| r.oa_id))
}

/// A unit whose OA needs an admin.
#[derive(Debug, Clone)]
pub struct Attention {
    pub unit_code: String,
    pub unit_name: String,
    pub health: Health,
    pub since: i64,
}

/// The OAs in units where the officer manages channels that need them (reconnect, webhook).
pub async fn needing_attention(app: &App, scope: &Scope) -> Result<Vec<Attention>, StoreError> {
    let now = app.clock.now_micros();
    let rows = store::connections_in_scope(&app.db, scope.officer_id.0).await?;
    Ok(rows
        .into_iter()
        .filter(|r| scope.can(Action::ManageChannels, &caunoi_core::units::UnitPath::from_stored(r.unit_path.clone())))
        .filter_map(|r| {
            let c = &r.connection;
            let health = Health::of(OaStatus::parse(&c.status), c.connected_at, c.last_webhook_at, now);
            let since = match health {
                Health::Quiet => c.last_webhook_at.max(c.connected_at).unwrap_or(c.status_at),
                _ => c.status_at,
            };
            health.needs_attention().then_some(Attention {
                unit_code: r.unit_code,
                unit_name: r.unit_name,
                health,
                since,
            })
        })
        .collect())
}

fn zalo_id(field: &'static str, raw: &str) -> Result<String, InvalidInput> {
    let s = raw.trim();
    if (3..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else if field == "app_id" {
        Err(InvalidInput::new(
            field,
            "ID ứng dụng là một dãy số (3–32 chữ số), xem trong trang Zalo for Developers → ứng dụng của đơn vị.",
            "The App ID is a number (3–32 digits), shown in Zalo for Developers → the unit's app.",
        ))
    } else {
        Err(InvalidInput::new(
            field,
            "ID Official Account là một dãy số (3–32 chữ số), xem trong trang quản lý OA (oa.zalo.me).",
            "The Official Account ID is a number (3–32 digits), shown in the OA manager (oa.zalo.me).",
        ))
    }
}

/// A token as pasted: printable ASCII without spaces.
fn token_field(field: &'static str, raw: &str) -> Result<String, InvalidInput> {
    let s = raw.trim();
    if (10..=2000).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(s.to_string())
    } else {
        Err(InvalidInput::new(
            field,
            "Dán nguyên mã do API Explorer tạo (một chuỗi ký tự liền, không có dấu cách).",
            "Paste the whole token the API Explorer made (one string without spaces).",
        ))
    }
}

/// The form's App, OA and secrets, checked. A blank secret keeps the one stored for the same
/// App (reconnecting should not need the secrets typed again).
struct Credentials {
    app_id: String,
    oa_id: String,
    secrets: ZaloSecrets,
}

async fn credentials(app: &App, unit_id: i64, input: &ConnectInput) -> Result<Credentials, ServiceError> {
    let mut errs = FieldErrors::default();
    let app_id = errs.take(zalo_id("app_id", &input.app_id));
    let oa_id = errs.take(zalo_id("oa_id", &input.oa_id));
    let stored = match (&app_id, store::connection_of_unit(&app.db, unit_id).await?) {
        (Some(a), Some(row)) if &row.app_id == a => stored_secrets(app, &row.sealed_secrets),
        _ => None,
    };
    let secret = |field: &'static str, typed: &str, kept: Option<String>, errs: &mut FieldErrors| match (
        typed.trim().is_empty(),
        kept,
    ) {
        (true, Some(kept)) => Some(kept),
        _ => errs.take(text_field(field, typed, 200, true)),
    };
    let app_secret = secret("app_secret", &input.app_secret, stored.as_ref().map(|s| s.app_secret.clone()), &mut errs);
    let oa_secret_key =
        secret("oa_secret_key", &input.oa_secret_key, stored.as_ref().map(|s| s.oa_secret_key.clone()), &mut errs);
    if let Some(oa) = &oa_id
        && store::unit_of_oa(&app.db, oa).await?.is_some_and(|u| u != unit_id)
    {
        errs.0.push(oa_taken());
    }
    match (app_id, oa_id, app_secret, oa_secret_key) {
        (Some(app_id), Some(oa_id), Some(app_secret), Some(oa_secret_key)) if errs.0.is_empty() => {
            Ok(Credentials { app_id, oa_id, secrets: ZaloSecrets { app_secret, oa_secret_key } })
        }
        _ => Err(errs.into()),
    }
}

fn oa_taken() -> InvalidInput {
    InvalidInput::new(
        "oa_id",
        "Zalo OA này đã được kết nối với đơn vị khác.",
        "This Zalo OA is already connected to another unit.",
    )
}

fn stored_secrets(app: &App, sealed: &str) -> Option<ZaloSecrets> {
    app.secrets.decrypt(sealed).ok().and_then(|plain| serde_json::from_slice(&plain).ok())
}

/// What waits, encrypted, in a consent's row.
#[derive(serde::Serialize, serde::Deserialize)]
struct PendingSecrets {
    code_verifier: String,
    app_secret: String,
    oa_secret_key: String,
}

/// Starts a consent: checks the form, keeps the PKCE verifier and the secrets server-side
/// under a fresh state bound to the admin's session and the unit, and returns the address of
/// Zalo's permission page to send the admin to.
pub async fn start_consent(
    app: &App,
    officer: &Officer,
    unit_code: &str,
    input: &ConnectInput,
) -> Result<String, ServiceError> {
    let unit = crate::units::service::get(app, &officer.scope, unit_code).await?;
    officer.scope.require(Action::ManageChannels, &unit.path)?;
    let c = credentials(app, unit.id.0, input).await?;
    let state = crate::crypto::random_token();
    let verifier = {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        caunoi_zalo::consent::code_verifier(&bytes)
    };
    let pending = PendingSecrets {
        code_verifier: verifier.clone(),
        app_secret: c.secrets.app_secret,
        oa_secret_key: c.secrets.oa_secret_key,
    };
    let sealed = app.secrets.encrypt(serde_json::to_string(&pending).unwrap_or_default().as_bytes());
    let now = app.clock.now_micros();
    let row = store::OauthState {
        unit_id: unit.id.0,
        officer_id: officer.id.0,
        session_hash: officer.token_hash.clone(),
        app_id: c.app_id.clone(),
        oa_id: c.oa_id,
        sealed,
        expires_at: now + STATE_LIFETIME_MICROS,
    };
    let mut tx = app.db.begin().await?;
    store::insert_state(&mut tx, &crate::crypto::token_hash(&state), &row, now).await?;
    tx.commit().await?;
    Ok(caunoi_zalo::consent::permission_url(
        &app.channels().zalo.endpoints().oauth_base,
        &c.app_id,
        &callback_url(app),
        &caunoi_zalo::consent::code_challenge(&verifier),
        &state,
    ))
}

/// Why a consent did not end in a connection; each has its message for the admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentProblem {
    /// The admin refused or cancelled on Zalo's page.
    Denied,
    /// Unknown, used, expired, or another session's or unit's state.
    StateInvalid,
    /// Zalo granted access for another OA than the one entered.
    OaMismatch,
    /// `-14002`: the App id is wrong, or the App is not activated.
    AppInvalid,
    /// `-14003`: the callback URL is not the one registered for the App.
    RedirectInvalid,
    /// Zalo refused the code (wrong App secret, code expired or reused…).
    CodeRefused,
    /// Zalo could not be reached (network, TLS, timeout).
    Network,
    /// The OA got connected to another unit meanwhile.
    OaTaken,
}

impl ConsentProblem {
    pub const ALL: [ConsentProblem; 8] = [
        ConsentProblem::Denied,
        ConsentProblem::StateInvalid,
        ConsentProblem::OaMismatch,
        ConsentProblem::AppInvalid,
        ConsentProblem::RedirectInvalid,
        ConsentProblem::CodeRefused,
        ConsentProblem::Network,
        ConsentProblem::OaTaken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentProblem::Denied => "denied",
            ConsentProblem::StateInvalid => "state",
            ConsentProblem::OaMismatch => "other_oa",
            ConsentProblem::AppInvalid => "app_id",
            ConsentProblem::RedirectInvalid => "redirect_uri",
            ConsentProblem::CodeRefused => "code",
            ConsentProblem::Network => "network",
            ConsentProblem::OaTaken => "oa_taken",
        }
    }

    pub fn parse(s: &str) -> Option<ConsentProblem> {
        ConsentProblem::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// What the admin reads.
    pub fn message(self, t: T) -> &'static str {
        match self {
            ConsentProblem::Denied => t.tr(
                "Bạn đã từ chối hoặc hủy việc cấp quyền trên trang của Zalo, nên chưa kết nối được. Bấm \"Kết nối với Zalo\" để thử lại và chọn \"Đồng ý\".",
                "The permission was refused or cancelled on Zalo's page, so nothing was connected. Press \"Connect with Zalo\" to try again and choose \"Agree\".",
            ),
            ConsentProblem::StateInvalid => t.tr(
                "Phiên kết nối đã hết hạn hoặc không hợp lệ (mỗi lần bấm \"Kết nối với Zalo\" chỉ dùng được một lần, trong 10 phút, từ chính trình duyệt đã bấm). Hãy bấm lại.",
                "The connection attempt expired or is not valid (each press of \"Connect with Zalo\" works once, within 10 minutes, in the same browser). Please press it again.",
            ),
            ConsentProblem::OaMismatch => t.tr(
                "Zalo đã cấp quyền cho một OA khác với ID Official Account bạn nhập. Kiểm tra lại ID OA, hoặc chọn đúng OA của đơn vị trên trang của Zalo.",
                "Zalo granted access for another OA than the Official Account ID you entered. Check the OA ID, or pick the unit's OA on Zalo's page.",
            ),
            ConsentProblem::AppInvalid => t.tr(
                "Zalo báo ID ứng dụng không hợp lệ (mã lỗi -14002): kiểm tra ID ứng dụng, và ứng dụng đã được kích hoạt trên Zalo for Developers chưa.",
                "Zalo says the App ID is not valid (error -14002): check the App ID, and that the app is activated in Zalo for Developers.",
            ),
            ConsentProblem::RedirectInvalid => t.tr(
                "Zalo báo địa chỉ quay lại không hợp lệ (mã lỗi -14003): trong Zalo for Developers, mục Official Account, hãy điền đúng \"Callback URL\" như hướng dẫn ở bước 1.",
                "Zalo says the callback address is not valid (error -14003): in Zalo for Developers, Official Account section, enter the \"Callback URL\" exactly as step 1 shows.",
            ),
            ConsentProblem::CodeRefused => t.tr(
                "Zalo không chấp nhận yêu cầu cấp mã truy cập. Kiểm tra lại khóa bí mật của ứng dụng (App Secret Key) rồi bấm kết nối lại.",
                "Zalo refused to issue the access token. Check the App Secret Key and connect again.",
            ),
            ConsentProblem::Network => t.tr(
                "Không liên lạc được với máy chủ của Zalo (mạng hoặc chứng chỉ bảo mật). Chưa có gì thay đổi; vui lòng thử lại sau ít phút.",
                "Zalo's server could not be reached (network or security certificate). Nothing changed; please try again in a few minutes.",
            ),
            ConsentProblem::OaTaken => t.tr(
                "Zalo OA này đã được kết nối với đơn vị khác.",
                "This Zalo OA is already connected to another unit.",
            ),
        }
    }
}

/// The query Zalo sends the admin back with.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub oa_id: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Where a consent ended: the unit (when the state told it) and the problem, if any.
#[derive(Debug, Clone)]
pub struct ConsentOutcome {
    pub unit_code: Option<String>,
    pub problem: Option<ConsentProblem>,
}

/// Finishes a consent on Zalo's redirect: the state must be this session's, for a unit the
/// admin still manages, fresh and unused; then the code is exchanged with the PKCE verifier,
/// the token is checked against the OA (`getoa`), and the connection is saved.
pub async fn finish_consent(app: &App, officer: &Officer, q: &CallbackQuery) -> Result<ConsentOutcome, ServiceError> {
    let problem = |unit_code: Option<String>, p: ConsentProblem| Ok(ConsentOutcome { unit_code, problem: Some(p) });
    let Some(state) = q.state.as_deref().filter(|s| !s.is_empty() && s.len() <= 200) else {
        return problem(None, ConsentProblem::StateInvalid);
    };
    let Some(row) = store::take_state(&app.db, &crate::crypto::token_hash(state)).await? else {
        return problem(None, ConsentProblem::StateInvalid);
    };
    let now = app.clock.now_micros();
    let unit = crate::units::service::locate_by_id(app, &officer.scope, row.unit_id).await?;
    let fresh = row.expires_at >= now;
    let ours = row.officer_id == officer.id.0
        && subtle_eq(&row.session_hash, &officer.token_hash)
        && unit.as_ref().is_some_and(|u| officer.scope.can(Action::ManageChannels, &u.path));
    let Some(unit) = unit.filter(|_| fresh && ours) else {
        return problem(None, ConsentProblem::StateInvalid);
    };
    let unit_code = Some(unit.code.to_string());
    let code = q.code.as_deref().map(str::trim).filter(|c| !c.is_empty() && c.len() <= 2000);
    let Some(code) = code.filter(|_| q.error.is_none()) else {
        return problem(unit_code, ConsentProblem::Denied);
    };
    if q.oa_id.as_deref().map(str::trim) != Some(row.oa_id.as_str()) {
        return problem(unit_code, ConsentProblem::OaMismatch);
    }
    let Some(pending) =
        app.secrets.decrypt(&row.sealed).ok().and_then(|plain| serde_json::from_slice::<PendingSecrets>(&plain).ok())
    else {
        return problem(unit_code, ConsentProblem::StateInvalid);
    };
    let zalo = &app.channels().zalo;
    let oauth = OAuthClient::new(
        zalo.http().clone(),
        &zalo.endpoints().oauth_base,
        AppId::new(row.app_id.clone()),
        Secret::new(pending.app_secret.clone()),
    );
    let issued = match oauth.exchange_code(code, &pending.code_verifier).await {
        Ok(issued) => issued,
        Err(e) => {
            tracing::warn!(error = %e, "zalo consent: the code exchange failed");
            return problem(unit_code, exchange_problem(&e));
        }
    };
    let pair = TokenPair::issued(issued, now / 1000);
    let secrets = ZaloSecrets { app_secret: pending.app_secret, oa_secret_key: pending.oa_secret_key };
    let saved = connect_checked(
        app,
        Some(officer.id),
        (unit.id.0, unit.code.as_str()),
        &row.app_id,
        &row.oa_id,
        &secrets,
        pair,
        "consent",
    )
    .await;
    match saved {
        Ok(Checked::Saved) => Ok(ConsentOutcome { unit_code, problem: None }),
        Ok(Checked::OtherOa) => problem(unit_code, ConsentProblem::OaMismatch),
        Err(ServiceError::Invalid(_)) => problem(unit_code, ConsentProblem::OaTaken),
        Err(e) => Err(e),
    }
}

fn subtle_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn exchange_problem(e: &TokenError) -> ConsentProblem {
    match e {
        TokenError::RefreshRejected { code: -14002, .. } => ConsentProblem::AppInvalid,
        TokenError::RefreshRejected { code: -14003, .. } => ConsentProblem::RedirectInvalid,
        TokenError::RefreshRejected { .. } => ConsentProblem::CodeRefused,
        TokenError::Transport(_) | TokenError::Decode(_) | TokenError::Persist(_) => ConsentProblem::Network,
        TokenError::RefreshTokenExpired => ConsentProblem::CodeRefused,
    }
}

/// Connects a unit's OA with a token pair minted in Zalo's API Explorer (zalo-oa.md §2.5).
/// The pair must pass the live check for exactly this OA, or nothing is saved.
pub async fn connect_with_tokens(
    app: &App,
    officer: &Officer,
    unit_code: &str,
    input: &ConnectInput,
) -> Result<(), ServiceError> {
    let unit = crate::units::service::get(app, &officer.scope, unit_code).await?;
    officer.scope.require(Action::ManageChannels, &unit.path)?;
    let mut errs = FieldErrors::default();
    let access = errs.take(token_field("access_token", &input.access_token));
    let refresh = errs.take(token_field("refresh_token", &input.refresh_token));
    let c = match credentials(app, unit.id.0, input).await {
        Ok(c) => Some(c),
        Err(ServiceError::Invalid(e)) => {
            errs.0.extend(e.0);
            None
        }
        Err(e) => return Err(e),
    };
    let (Some(access), Some(refresh), Some(c)) = (access, refresh, c) else { return Err(errs.into()) };
    let now_ms = app.clock.now_micros() / 1000;
    let refresh_ms = i64::try_from(caunoi_zalo::token::REFRESH_TOKEN_LIFETIME.as_millis()).unwrap_or(i64::MAX);
    let pair = TokenPair {
        access_token: Secret::new(access),
        refresh_token: Secret::new(refresh),
        access_expires_at_ms: now_ms + PASTED_ACCESS_LIFETIME_MS,
        refresh_expires_at_ms: now_ms.saturating_add(refresh_ms),
        rotated_at_ms: now_ms,
    };
    match connect_checked(
        app,
        Some(officer.id),
        (unit.id.0, unit.code.as_str()),
        &c.app_id,
        &c.oa_id,
        &c.secrets,
        pair,
        "tokens",
    )
    .await?
    {
        Checked::Saved => Ok(()),
        Checked::OtherOa => Err(InvalidInput::new(
            "access_token",
            "Mã truy cập này thuộc về một OA khác với ID Official Account bạn nhập.",
            "This access token belongs to another OA than the Official Account ID you entered.",
        )
        .into()),
    }
}

enum Checked {
    Saved,
    OtherOa,
}

/// Keeps every pair the token store rotates to during a check, so none is lost.
#[derive(Default)]
struct Capture(Mutex<Option<TokenPair>>);

impl TokenPersistence for Capture {
    fn save<'a>(&'a self, _: &'a OaId, pair: &'a TokenPair) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(pair.clone());
            Ok(())
        })
    }
}

/// The live check for a pair that is not stored yet: `getoa` with its token (refreshing if
/// Zalo says it expired). Returns the answer and the pair to keep (rotated or not).
async fn check_pair(
    app: &App,
    app_id: &str,
    oa_id: &str,
    app_secret: &str,
    pair: TokenPair,
) -> (Result<OaInfo, ApiError>, TokenPair) {
    let zalo = &app.channels().zalo;
    let oauth = OAuthClient::new(
        zalo.http().clone(),
        &zalo.endpoints().oauth_base,
        AppId::new(app_id),
        Secret::new(app_secret),
    );
    let capture = Arc::new(Capture::default());
    let tokens =
        TokenStore::new(OaId::new(oa_id), pair.clone(), oauth, Arc::clone(&capture) as Arc<dyn TokenPersistence>);
    let config =
        OaClientConfig { oa_id: OaId::new(oa_id), endpoints: zalo.endpoints().clone(), appsecret_proof_key: None };
    let client = OaClient::new(zalo.http().clone(), config, tokens, AppRateLimiter::documented());
    let answer = client.oa_info().await;
    let latest = capture.0.lock().unwrap_or_else(|p| p.into_inner()).take().unwrap_or(pair);
    (answer, latest)
}

/// Checks a fresh pair and saves the connection. A pair for another OA is refused; a pair
/// Zalo does not accept is refused for pasted tokens, but a consent's pair (which Zalo just
/// issued for this OA) is kept even when the check cannot complete, with the check's failure
/// shown.
#[allow(clippy::too_many_arguments)]
async fn connect_checked(
    app: &App,
    actor: Option<OfficerId>,
    unit: (i64, &str),
    app_id: &str,
    oa_id: &str,
    secrets: &ZaloSecrets,
    pair: TokenPair,
    via: &str,
) -> Result<Checked, ServiceError> {
    let (answer, pair) = check_pair(app, app_id, oa_id, &secrets.app_secret, pair).await;
    let (oa_name, check_error) = match answer {
        Ok(info) if info.oaid.as_deref().is_some_and(|id| id != oa_id) => return Ok(Checked::OtherOa),
        Ok(info) => (info.name, String::new()),
        Err(e) if via == "tokens" => {
            tracing::warn!(error = %e, "zalo: a pasted token pair failed the live check");
            return Err(InvalidInput::new(
                "access_token",
                format!(
                    "Zalo không chấp nhận cặp mã này ({}). Tạo cặp mã mới trong API Explorer rồi dán lại.",
                    short_error(&e)
                ),
                format!(
                    "Zalo did not accept this token pair ({}). Make a new pair in the API Explorer and paste it again.",
                    short_error(&e)
                ),
            )
            .into());
        }
        Err(e) => {
            tracing::warn!(error = %e, "zalo: the live check of a new connection failed");
            (String::new(), check_code(&e))
        }
    };
    let now = app.clock.now_micros();
    let sealed = app.secrets.encrypt(serde_json::to_string(secrets).unwrap_or_default().as_bytes());
    let previous = store::connection_of_unit(&app.db, unit.0).await?.map(|r| r.oa_id);
    let mut tx = app.db.begin().await?;
    let row = NewConnection {
        unit_id: unit.0,
        app_id,
        oa_id,
        sealed_secrets: &sealed,
        oa_name: &oa_name,
        check_error: &check_error,
        now,
    };
    store::upsert_connected(&mut tx, &row).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::from(oa_taken()),
        other => other.into(),
    })?;
    if let Some(old) = previous.as_deref().filter(|old| *old != oa_id) {
        store::delete_tokens(&mut tx, old).await?;
    }
    store::save_tokens_in(&mut tx, &tokens::sealed_row(&app.secrets, unit.0, oa_id, &pair, now)).await?;
    let detail = format!("oa_id={oa_id};via={via}");
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: actor,
            action: AuditAction::ChannelBound,
            unit: Some(caunoi_core::units::UnitId(unit.0)),
            target: unit.1,
            detail: &detail,
        },
    )
    .await?;
    tx.commit().await?;
    let zalo = &app.channels().zalo;
    zalo.bindings.forget(oa_id);
    zalo.forget(oa_id).await;
    if let Some(old) = previous {
        zalo.bindings.forget(&old);
        zalo.forget(&old).await;
    }
    Ok(Checked::Saved)
}

/// A failed check, as stored (`check_error`): a short code, read back by [`check_error_text`].
fn check_code(e: &ApiError) -> String {
    match e {
        ApiError::Zalo { code, .. } => format!("zalo:{code}"),
        ApiError::Token(t) if !t.is_retryable() => "token".into(),
        ApiError::Transport(_) | ApiError::Token(_) | ApiError::HttpStatus(_) => "network".into(),
        ApiError::Decode(_) => "answer".into(),
    }
}

fn short_error(e: &ApiError) -> String {
    match e {
        ApiError::Zalo { code, .. } => format!("mã lỗi {code}"),
        ApiError::Token(TokenError::RefreshRejected { code, .. }) => format!("mã lỗi {code}"),
        other => check_code(other),
    }
}

fn check_error_text(t: T, code: &str) -> String {
    match code {
        "" => String::new(),
        "other_oa" => t.tr("Mã truy cập thuộc về một OA khác.", "The token belongs to another OA.").into(),
        "token" => t
            .tr(
                "Zalo không còn chấp nhận mã truy cập: cần kết nối lại.",
                "Zalo no longer accepts the token: reconnect.",
            )
            .into(),
        "network" => t
            .tr(
                "Không liên lạc được với Zalo (mạng hoặc chứng chỉ).",
                "Zalo could not be reached (network or certificate).",
            )
            .into(),
        "answer" => t.tr("Zalo trả lời không đúng định dạng.", "Zalo's answer was not understood.").into(),
        other => {
            format!("{} ({})", t.tr("Zalo báo lỗi", "Zalo answered with an error"), other.trim_start_matches("zalo:"))
        }
    }
}

/// The live check on demand: `getoa` with the stored token; the OA's name and the outcome are
/// kept. A token Zalo no longer accepts marks the OA lost.
pub async fn check_now(app: &App, scope: &Scope, unit_code: &str) -> Result<(), ServiceError> {
    let unit = crate::units::service::get(app, scope, unit_code).await?;
    scope.require(Action::ManageChannels, &unit.path)?;
    let row = store::connection_of_unit(&app.db, unit.id.0).await?.ok_or(ServiceError::NotFound)?;
    if OaStatus::parse(&row.status) != OaStatus::Connected {
        return Ok(());
    }
    let now = app.clock.now_micros();
    let client = match app.channels().zalo.client(app, &row.oa_id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = ?e, "zalo: no client for the live check");
            store::record_check(&app.db, unit.id.0, None, "network", now).await?;
            return Ok(());
        }
    };
    match client.oa_info().await {
        Ok(info) if info.oaid.as_deref().is_some_and(|id| id != row.oa_id) => {
            store::record_check(&app.db, unit.id.0, None, "other_oa", now).await?;
        }
        Ok(info) => store::record_check(&app.db, unit.id.0, Some(&info.name), "", now).await?,
        Err(e) => {
            store::record_check(&app.db, unit.id.0, None, &check_code(&e), now).await?;
            note_api_error(app, &row.oa_id, &e).await;
        }
    }
    Ok(())
}

/// Why an OA was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    /// Zalo refused a token refresh.
    RefreshFailed,
    /// The OA admin revoked the App (`permission_revoked`).
    Revoked,
    /// A unit admin disconnected it in the console.
    Disconnected,
}

/// Marks an OA lost and, the first time, records it in the audit log (the unit page and the
/// landing page then show it). Returns whether the status changed.
pub async fn mark_lost(app: &App, oa_id: &str, why: Lost, reason: &str) -> Result<bool, StoreError> {
    end_connection(app, oa_id, why, reason, None).await
}

/// The one path that ends a connection: the status changes (once), the audit entry is written
/// with it, a disconnection by an admin also deletes the OA's tokens in the same transaction,
/// and the cached binding and client are dropped so nothing is sent with the OA any more.
async fn end_connection(
    app: &App,
    oa_id: &str,
    why: Lost,
    reason: &str,
    by: Option<OfficerId>,
) -> Result<bool, StoreError> {
    let Some(binding) = store::binding_by_oa(&app.db, oa_id).await? else { return Ok(false) };
    let (status, action) = match why {
        Lost::RefreshFailed => (OaStatus::RefreshFailed, AuditAction::ChannelLost),
        Lost::Revoked => (OaStatus::Revoked, AuditAction::ChannelLost),
        Lost::Disconnected => (OaStatus::Disconnected, AuditAction::ChannelDisconnected),
    };
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    let changed = store::mark_lost(&mut tx, oa_id, status.as_str(), reason, now).await?;
    if why == Lost::Disconnected {
        store::delete_tokens(&mut tx, oa_id).await?;
    }
    if changed {
        let detail = format!("oa_id={oa_id};status={}", status.as_str());
        crate::audit::service::record(
            &mut tx,
            &NewEntry {
                at: now,
                officer: by,
                action,
                unit: Some(caunoi_core::units::UnitId(binding.unit_id)),
                target: &binding.unit_code,
                detail: &detail,
            },
        )
        .await?;
    }
    tx.commit().await?;
    if changed || why == Lost::Disconnected {
        tracing::warn!(oa_id, status = status.as_str(), "zalo: the OA is disconnected until an admin reconnects it");
        app.channels().zalo.bindings.forget(oa_id);
        app.channels().zalo.forget(oa_id).await;
    }
    Ok(changed)
}

/// "Ngắt kết nối": an admin of the unit disconnects its OA. The tokens are deleted, the OA is
/// marked disconnected (the public page stops offering it, nothing is sent with it), the App
/// and OA ids and the sealed secrets stay so that reconnecting needs only Zalo's consent.
/// Audited. A unit without a connection is not found.
pub async fn disconnect(app: &App, scope: &Scope, unit_code: &str) -> Result<(), ServiceError> {
    let unit = crate::units::service::get(app, scope, unit_code).await?;
    scope.require(Action::ManageChannels, &unit.path)?;
    let row = store::connection_of_unit(&app.db, unit.id.0).await?.ok_or(ServiceError::NotFound)?;
    end_connection(app, &row.oa_id, Lost::Disconnected, "admin", Some(scope.officer_id)).await?;
    Ok(())
}

/// Looks at a failed OpenAPI call: a token Zalo will not refresh any more loses the OA.
pub async fn note_api_error(app: &App, oa_id: &str, e: &ApiError) {
    let reason = match e {
        ApiError::Token(TokenError::RefreshRejected { code, .. }) => format!("zalo:{code}"),
        ApiError::Token(TokenError::RefreshTokenExpired) => "refresh_token_expired".into(),
        ApiError::Token(TokenError::Decode(_)) => "refresh_answer".into(),
        _ => return,
    };
    if let Err(err) = mark_lost(app, oa_id, Lost::RefreshFailed, &reason).await {
        tracing::error!(error = %err, "zalo: cannot record the refused token refresh");
    }
}

/// Saves (or with an empty input, removes) a unit's domain verification code. Accepts the code,
/// the file name Zalo offers (`zalo_verifier<code>.html`) or the meta tag.
pub async fn set_site_verification(app: &App, scope: &Scope, unit_code: &str, raw: &str) -> Result<(), ServiceError> {
    let unit = crate::units::service::get(app, scope, unit_code).await?;
    scope.require(Action::ManageChannels, &unit.path)?;
    let code = if raw.trim().is_empty() { None } else { Some(parse_site_code(raw)?) };
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::set_site_verification(&mut tx, unit.id.0, code.as_deref(), scope.officer_id.0, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A domain verification code out of what an admin may paste.
pub fn parse_site_code(raw: &str) -> Result<String, InvalidInput> {
    let s = raw.trim();
    let s = match s.find("content=\"") {
        Some(i) => s[i + 9..].split('"').next().unwrap_or(""),
        None => s,
    };
    let s = s.rsplit('/').next().unwrap_or(s);
    let s = s.strip_prefix("zalo_verifier").unwrap_or(s);
    let s = s.strip_suffix(".html").unwrap_or(s);
    if is_site_code(s) {
        Ok(s.to_string())
    } else {
        Err(InvalidInput::new(
            "site_code",
            "Mã xác thực gồm 8–100 chữ cái, chữ số, dấu gạch ngang hoặc gạch dưới, như trong tên tệp zalo_verifier….html mà Zalo cho tải về.",
            "The verification code is 8–100 letters, digits, hyphens or underscores, as in the name of the zalo_verifier….html file Zalo offers.",
        ))
    }
}

/// Whether `s` has the shape of a domain verification code.
pub fn is_site_code(s: &str) -> bool {
    (8..=100).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Every domain verification code to publish (the site's root page carries them all).
pub async fn site_verification_codes(app: &App) -> Result<Vec<String>, StoreError> {
    store::site_verification_codes(&app.db).await
}

/// Whether a code was entered by some unit (the verifier file is served only then).
pub async fn is_site_verification(app: &App, code: &str) -> Result<bool, StoreError> {
    if !is_site_code(code) {
        return Ok(false);
    }
    store::site_verification_exists(&app.db, code).await
}

/// Connects an OA without a person (the demo's set-up): the given pair is checked and saved.
pub async fn connect_for_setup(
    app: &App,
    unit_code: &str,
    app_id: &str,
    oa_id: &str,
    secrets: &ZaloSecrets,
    pair: TokenPair,
) -> Result<(), ServiceError> {
    let (unit_id, _) = crate::units::service::locate(&app.db, unit_code).await?.ok_or(ServiceError::NotFound)?;
    match connect_checked(app, None, (unit_id.0, unit_code), app_id, oa_id, secrets, pair, "setup").await? {
        Checked::Saved => Ok(()),
        Checked::OtherOa => Err(ServiceError::NotFound),
    }
}

/// Secrets of a connected OA, decrypted (for the hot paths' cache).
pub fn open_secrets(app: &App, sealed: &str) -> Option<ZaloSecrets> {
    stored_secrets(app, sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_codes_are_read_from_the_code_the_file_name_or_the_meta_tag() {
        let code = "SeEEB8ES51jdZCu-hOfK5MQ3rGwAyW9ICpW";
        for raw in [
            code.to_string(),
            format!(" zalo_verifier{code}.html "),
            format!("https://x.vn/zalo_verifier{code}.html"),
            format!("<meta name=\"zalo-platform-site-verification\" content=\"{code}\" />"),
        ] {
            assert_eq!(parse_site_code(&raw).ok().as_deref(), Some(code), "{raw}");
        }
        for bad in ["short", "has space inside it", "<script>alert(1)</script>", "../../etc/passwd"] {
            assert!(parse_site_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exchange_failures_map_to_what_the_admin_must_fix() {
        let rejected = |code| TokenError::RefreshRejected { code, message: String::new() };
        assert_eq!(exchange_problem(&rejected(-14002)), ConsentProblem::AppInvalid);
        assert_eq!(exchange_problem(&rejected(-14003)), ConsentProblem::RedirectInvalid);
        assert_eq!(exchange_problem(&rejected(-14019)), ConsentProblem::CodeRefused);
        assert_eq!(exchange_problem(&TokenError::Transport("connect: tls handshake".into())), ConsentProblem::Network);
    }

    #[test]
    fn every_consent_problem_round_trips_through_its_query_name() {
        for p in ConsentProblem::ALL {
            assert_eq!(ConsentProblem::parse(p.as_str()), Some(p));
        }
        assert_eq!(ConsentProblem::parse("<b>"), None);
    }
}
