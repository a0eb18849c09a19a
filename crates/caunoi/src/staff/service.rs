//! Officer use cases: signing in (throttled, optional TOTP step), sessions with an idle timeout,
//! creating officers and granting roles inside the granter's subtree. Every sign-in and every
//! permission change is written to the audit log.

use super::store;
use crate::app::App;
use crate::audit::service::record_now;
use crate::audit::store::NewEntry;
use crate::crypto;
use crate::db::{StoreError, Tx};
use crate::error::ServiceError;
use caunoi_core::audit::AuditAction;
use caunoi_core::input::{FieldErrors, InvalidInput};
use caunoi_core::staff::{
    self, Action, Forbidden, OfficerId, Role, Scope, ThrottlePolicy, check_new_password, parse_display_name,
    parse_username,
};
use caunoi_core::units::UnitId;

/// A signed-in officer, as every console request sees them.
#[derive(Debug, Clone)]
pub struct Officer {
    pub id: OfficerId,
    pub username: String,
    pub display_name: String,
    pub locale: String,
    pub totp_enabled: bool,
    pub scope: Scope,
    pub token_hash: String,
    /// A duty device's session idle past the ordinary timeout: kept, but every page asks for
    /// the password again (`/unlock`); only the live stream is served.
    pub locked: bool,
    /// Until when the session is kept as a duty device's, if it is one.
    pub keep_until: Option<i64>,
}

impl Officer {
    /// Admins must enrol TOTP before using the console when the deployment requires it.
    pub fn must_enrol_totp(&self, app: &App) -> bool {
        app.config.require_totp_for_admins && !self.totp_enabled && self.scope.is_admin_anywhere()
    }
}

/// The outcome of the password step.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in; here is the new session token for the cookie.
    Done { token: String },
    /// Password accepted; a TOTP code is needed. The token is for a half-open session.
    NeedsTotp { token: String },
    /// Wrong username or password (not told apart).
    Rejected,
    /// The right password for an account an admin disabled (told only to who knows the
    /// password, so it reveals nothing to a guesser).
    Disabled,
    /// Too many failures: try again in this many seconds.
    Throttled { retry_in_secs: i64 },
}

fn account_key(username: &str) -> String {
    format!("account:{username}")
}

fn address_key(app: &App, address: &str) -> String {
    format!("address:{}", app.secrets.keyed_hash("login-address", address.as_bytes()))
}

fn now_secs(app: &App) -> i64 {
    app.clock.now_micros() / 1_000_000
}

/// Checks a username and password from `address` (never stored in clear).
pub async fn sign_in(app: &App, username: &str, password: &str, address: &str) -> Result<SignIn, ServiceError> {
    let username = username.trim().to_ascii_lowercase();
    let now = now_secs(app);
    let keys = [
        (account_key(&username), ThrottlePolicy::PER_ACCOUNT),
        (address_key(app, address), ThrottlePolicy::PER_ADDRESS),
    ];
    // Every attempt is counted as a failure before the password is checked, with one guarded
    // update per key, so parallel attempts cannot all pass the check before any is counted;
    // one that turns out right is given back below.
    for (key, policy) in &keys {
        if let Some(secs) = store::reserve_attempt(&app.db, key, policy, now).await? {
            metrics::counter!("caunoi_login_throttled_total").increment(1);
            return Ok(SignIn::Throttled { retry_in_secs: secs });
        }
    }
    let creds = store::credentials(&app.db, &username).await?;
    let password_owned = password.to_string();
    let hash = creds.as_ref().map(|c| c.password_hash.clone()).unwrap_or_default();
    // Argon2 is CPU-heavy; run it off the async workers. Unknown users still pay the cost of a
    // hash check so timing does not reveal which usernames exist.
    let ok = tokio::task::spawn_blocking(move || {
        if hash.is_empty() {
            let _ = crypto::verify_password(&password_owned, dummy_hash());
            false
        } else {
            crypto::verify_password(&password_owned, &hash)
        }
    })
    .await
    .unwrap_or(false);
    let creds = match creds {
        Some(c) if ok && !c.disabled => c,
        Some(c) if ok => {
            let unit = first_unit(app, OfficerId(c.id)).await?;
            record_now(&app.db, &entry(app, Some(OfficerId(c.id)), AuditAction::SignInFailed, unit, &username)).await?;
            return Ok(SignIn::Disabled);
        }
        other => {
            metrics::counter!("caunoi_login_failures_total").increment(1);
            if let Some(c) = other {
                let unit = first_unit(app, OfficerId(c.id)).await?;
                record_now(&app.db, &entry(app, Some(OfficerId(c.id)), AuditAction::SignInFailed, unit, &username))
                    .await?;
            }
            return Ok(SignIn::Rejected);
        }
    };
    store::clear_throttle(&app.db, &keys[0].0).await?;
    store::refund_attempt(&app.db, &keys[1].0, &keys[1].1).await?;
    let officer = OfficerId(creds.id);
    let token = crypto::random_token();
    let stage = if creds.totp_secret.is_some() { store::STAGE_TOTP } else { store::STAGE_FULL };
    store::create_session(&app.db, &crypto::token_hash(&token), officer, stage, app.clock.now_micros()).await?;
    if stage == store::STAGE_TOTP {
        return Ok(SignIn::NeedsTotp { token });
    }
    let unit = first_unit(app, officer).await?;
    record_now(&app.db, &entry(app, Some(officer), AuditAction::SignIn, unit, &username)).await?;
    Ok(SignIn::Done { token })
}

/// A valid Argon2id hash of a random string, checked for unknown usernames.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| crypto::hash_password(&crypto::random_token()))
}

/// Completes sign-in with a TOTP code for a half-open session.
pub async fn verify_totp(app: &App, token: &str, code: &str) -> Result<bool, ServiceError> {
    let hash = crypto::token_hash(token);
    let Some(session) = store::session(&app.db, &hash).await? else { return Ok(false) };
    if session.stage != store::STAGE_TOTP || idle_expired(app, session.last_seen_at) {
        return Ok(false);
    }
    let officer = OfficerId(session.officer_id);
    let key = account_key(&format!("totp:{}", officer.0));
    let now = now_secs(app);
    // Counted before the code is checked, like a password (see `sign_in`).
    if store::reserve_attempt(&app.db, &key, &ThrottlePolicy::PER_ACCOUNT, now).await?.is_some() {
        return Ok(false);
    }
    let Some(creds) = store::credentials_by_id(&app.db, officer).await? else { return Ok(false) };
    let secret = creds.totp_secret.as_deref().and_then(|s| app.secrets.decrypt(s).ok());
    let Some(step) = secret.and_then(|s| totp_step(&s, code, now)) else { return Ok(false) };
    // A code is good once: a replay within its step (or the next, which the check tolerates)
    // is refused like a wrong code.
    if !store::use_totp_step(&app.db, officer, step, now).await? {
        return Ok(false);
    }
    store::clear_throttle(&app.db, &key).await?;
    store::promote_session(&app.db, &hash, app.clock.now_micros()).await?;
    let unit = first_unit(app, officer).await?;
    let username = store::profile(&app.db, officer).await?.map(|p| p.username).unwrap_or_default();
    record_now(&app.db, &entry(app, Some(officer), AuditAction::SignIn, unit, &username)).await?;
    Ok(true)
}

fn totp(secret: &[u8], account: &str) -> Option<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_account_name(account.to_string())
        .with_issuer(Some("caunoi"))
        .build()
        .ok()
}

fn totp_matches(secret: &[u8], code: &str, now_secs: i64) -> bool {
    totp_step(secret, code, now_secs).is_some()
}

/// The time step whose code `code` is, when it is right at `now_secs`.
fn totp_step(secret: &[u8], code: &str, now_secs: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    totp(secret, "officer").and_then(|t| t.check(&code, now_secs.max(0) as u64)).map(|step| step as i64)
}

fn idle_expired(app: &App, last_seen_micros: i64) -> bool {
    app.clock.now_micros() - last_seen_micros > app.config.session_idle.as_micros() as i64
}

/// Loads the officer behind a session cookie, enforcing the idle timeout; a locked duty
/// session does not count (see [`session_officer`]), nor does a half-open (TOTP) one.
pub async fn officer_for_token(app: &App, token: &str) -> Result<Option<Officer>, ServiceError> {
    Ok(session_officer(app, token).await?.filter(|o| !o.locked))
}

/// Like [`officer_for_token`], but a duty device's session ([`keep_duty_device`]) idle past
/// the timeout comes back too, marked [`Officer::locked`]: it is kept until its `keep_until`
/// and not touched, so only the password ([`unlock`]) makes it active again. For the console's
/// extractor (which serves a locked session only its live stream and `/unlock`) and sign-out.
pub async fn session_officer(app: &App, token: &str) -> Result<Option<Officer>, ServiceError> {
    let hash = crypto::token_hash(token);
    let Some(session) = store::session(&app.db, &hash).await? else { return Ok(None) };
    if session.stage != store::STAGE_FULL {
        return Ok(None);
    }
    let now = app.clock.now_micros();
    let kept = session.keep_until.is_some_and(|until| now < until);
    let locked = idle_expired(app, session.last_seen_at);
    if locked && !kept {
        store::delete_session(&app.db, &hash).await?;
        return Ok(None);
    }
    let id = OfficerId(session.officer_id);
    let Some(profile) = store::profile(&app.db, id).await? else { return Ok(None) };
    if profile.disabled {
        return Ok(None);
    }
    // Writing on every request would serialize reads behind the writer; a minute is precise
    // enough for a 30-minute idle timeout.
    if !locked && now - session.last_seen_at > 60_000_000 {
        store::touch_session(&app.db, &hash, now).await?;
    }
    let grants = store::grants_of(&app.db, id).await?;
    Ok(Some(Officer {
        id,
        username: profile.username,
        display_name: profile.display_name,
        locale: profile.locale,
        totp_enabled: profile.totp_enabled,
        scope: Scope { officer_id: id, grants },
        token_hash: hash,
        locked,
        keep_until: session.keep_until.filter(|_| kept),
    }))
}

/// Hours a unit may let its duty devices keep a session (`0`: not allowed).
pub const DUTY_SESSION_HOURS: [i64; 4] = [0, 8, 12, 24];

/// How long the unit lets its duty devices keep a session, in hours (0: not allowed).
pub async fn duty_session_hours(app: &App, unit: UnitId) -> Result<i64, StoreError> {
    Ok(store::duty_session_hours(&app.db, unit).await?.unwrap_or(0))
}

/// Sets how long the unit's duty devices may keep a session (an admin of the unit). Audited.
pub async fn set_duty_session_hours(
    app: &App,
    scope: &Scope,
    unit_code: &str,
    hours: &str,
) -> Result<String, ServiceError> {
    let unit = crate::units::service::find(app, scope, unit_code.trim()).await?.ok_or(ServiceError::NotFound)?;
    scope.require(Action::ManageOfficers, &unit.path)?;
    let hours = hours.trim().parse::<i64>().ok().filter(|h| DUTY_SESSION_HOURS.contains(h)).ok_or_else(|| {
        ServiceError::Invalid(FieldErrors(vec![InvalidInput::new(
            "hours",
            "Hãy chọn: không cho phép, 8, 12 hoặc 24 giờ.",
            "Choose: not allowed, 8, 12 or 24 hours.",
        )]))
    })?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::set_duty_session_hours(&mut tx, unit.id, (hours > 0).then_some(hours), scope.officer_id, now).await?;
    let detail = format!("hours={hours}");
    let entry = NewEntry {
        at: now,
        officer: Some(scope.officer_id),
        action: AuditAction::DutySessionChanged,
        unit: Some(unit.id),
        target: unit.code.as_str(),
        detail: &detail,
    };
    crate::audit::service::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(unit.code.to_string())
}

/// How many hours this officer's device may be kept as a duty device (`None`: no unit of theirs
/// allows it).
pub async fn duty_device_hours(app: &App, officer: &Officer) -> Result<Option<i64>, StoreError> {
    store::duty_session_hours_for(&app.db, officer.id).await
}

/// Marks the officer's current session as a duty device's: kept for the longest time a unit of
/// theirs allows, behind the idle lock. Returns until when (microseconds).
pub async fn keep_duty_device(app: &App, officer: &Officer) -> Result<i64, ServiceError> {
    let Some(hours) = store::duty_session_hours_for(&app.db, officer.id).await?.filter(|h| *h > 0) else {
        return Err(ServiceError::Invalid(FieldErrors(vec![InvalidInput::new(
            "duty_device",
            "Đơn vị của bạn chưa cho phép thiết bị trực giữ phiên đăng nhập lâu hơn; hãy đề nghị quản trị đơn vị.",
            "Your unit does not let duty devices keep a longer session; ask the unit's admin.",
        )])));
    };
    let until = app.clock.now_micros() + hours * 3_600_000_000;
    store::keep_session(&app.db, &officer.token_hash, until).await?;
    Ok(until)
}

/// Unlocks a locked duty session with the officer's password (throttled like signing in).
/// `Ok(false)` for a wrong password.
pub async fn unlock(app: &App, officer: &Officer, password: &str) -> Result<bool, ServiceError> {
    let key = account_key(&format!("unlock:{}", officer.id.0));
    let now = now_secs(app);
    if store::reserve_attempt(&app.db, &key, &ThrottlePolicy::PER_ACCOUNT, now).await?.is_some() {
        return Ok(false);
    }
    let Some(creds) = store::credentials_by_id(&app.db, officer.id).await? else { return Ok(false) };
    if creds.disabled {
        return Ok(false);
    }
    let (password, hash) = (password.to_string(), creds.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || crypto::verify_password(&password, &hash)).await.unwrap_or(false);
    if ok {
        store::clear_throttle(&app.db, &key).await?;
        store::touch_session(&app.db, &officer.token_hash, app.clock.now_micros()).await?;
    }
    Ok(ok)
}

pub async fn sign_out(app: &App, officer: &Officer) -> Result<(), ServiceError> {
    store::delete_session(&app.db, &officer.token_hash).await?;
    let unit = officer.scope.grants.first().map(|g| g.unit_id);
    record_now(&app.db, &entry(app, Some(officer.id), AuditAction::SignOut, unit, &officer.username)).await?;
    Ok(())
}

async fn first_unit(app: &App, officer: OfficerId) -> Result<Option<UnitId>, StoreError> {
    Ok(store::grants_of(&app.db, officer).await?.first().map(|g| g.unit_id))
}

fn entry<'a>(
    app: &App,
    officer: Option<OfficerId>,
    action: AuditAction,
    unit: Option<UnitId>,
    target: &'a str,
) -> NewEntry<'a> {
    NewEntry { at: app.clock.now_micros(), officer, action, unit, target, detail: "" }
}

/// The form to create an officer with a first grant.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewOfficerInput {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: String,
    pub unit_code: String,
}

/// Whether the installation has any officer at all (the first start's setup is open until one
/// exists).
pub async fn any_officer(app: &App) -> Result<bool, StoreError> {
    Ok(store::count_officers(&app.db).await? > 0)
}

/// Inserts an officer holding one role over `unit` inside the caller's transaction, audited as
/// created by `actor` (`None`: the operator, or the first start's setup): the one place an
/// account is written. The inputs are already checked and the password hashed (Argon2id, off the
/// async threads); a taken username is refused as a field error.
#[allow(clippy::too_many_arguments)]
pub async fn insert_with_grant(
    tx: &mut Tx,
    username: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
    unit: UnitId,
    actor: Option<OfficerId>,
    now: i64,
) -> Result<OfficerId, ServiceError> {
    let id = store::insert_officer(tx, username, display_name, password_hash, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::from(InvalidInput::new(
            "username",
            "Tên đăng nhập đã có người dùng.",
            "This username is taken.",
        )),
        other => other.into(),
    })?;
    store::insert_grant(tx, id, role, unit, actor, now).await?;
    let detail = format!("role={}", role.as_str());
    for (action, detail) in [(AuditAction::OfficerCreated, ""), (AuditAction::GrantAdded, detail.as_str())] {
        crate::audit::service::record(
            tx,
            &NewEntry { at: now, officer: actor, action, unit: Some(unit), target: username, detail },
        )
        .await?;
    }
    Ok(id)
}

/// Creates an officer with one grant. `by` is the acting admin (None for the operator CLI).
pub async fn create_officer(app: &App, by: Option<&Scope>, input: &NewOfficerInput) -> Result<OfficerId, ServiceError> {
    let mut errs = FieldErrors::default();
    let username = errs.take(parse_username(&input.username));
    let display_name = errs.take(parse_display_name(&input.display_name));
    errs.take(check_new_password(&input.password));
    let role = errs.take(Role::parse(&input.role));
    let unit = crate::units::service::locate(&app.db, input.unit_code.trim()).await?;
    let unit = match unit {
        Some((id, path)) if by.is_none_or(|s| s.may_grant(&path)) => Some(id),
        _ => {
            errs.push(InvalidInput::new(
                "unit_code",
                "Đơn vị không tồn tại hoặc ngoài phạm vi quản lý của bạn.",
                "Unknown unit, or outside your scope.",
            ));
            None
        }
    };
    let (Some(username), Some(display_name), Some(role), Some(unit)) = (username, display_name, role, unit) else {
        return Err(errs.into());
    };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let password = input.password.clone();
    let hash = tokio::task::spawn_blocking(move || crypto::hash_password(&password)).await.unwrap_or_default();
    let now = app.clock.now_micros();
    let actor = by.map(|s| s.officer_id);
    let mut tx = app.db.begin().await?;
    let id = insert_with_grant(&mut tx, &username, &display_name, &hash, role, unit, actor, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Grants `role` over `unit_code` to an existing officer visible to the admin.
pub async fn add_grant(
    app: &App,
    by: &Scope,
    officer: OfficerId,
    role: &str,
    unit_code: &str,
) -> Result<(), ServiceError> {
    let profile = store::profile_in_scope(&app.db, by.officer_id, officer).await?.ok_or(ServiceError::NotFound)?;
    let role = Role::parse(role)?;
    let (unit, path) = crate::units::service::locate(&app.db, unit_code.trim())
        .await?
        .filter(|(_, p)| by.can(Action::ViewUnit, p))
        .ok_or_else(|| {
            InvalidInput::new(
                "unit_code",
                "Đơn vị không tồn tại hoặc ngoài phạm vi quản lý của bạn.",
                "Unknown unit, or outside your scope.",
            )
        })?;
    by.require(Action::ManageOfficers, &path)?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::insert_grant(&mut tx, officer, role, unit, Some(by.officer_id), now).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::from(InvalidInput::new(
            "role",
            "Cán bộ đã có vai trò này tại đơn vị này.",
            "The officer already holds this role here.",
        )),
        other => other.into(),
    })?;
    let detail = format!("role={}", role.as_str());
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(by.officer_id),
            action: AuditAction::GrantAdded,
            unit: Some(unit),
            target: &profile.username,
            detail: &detail,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a grant inside the admin's subtree. An admin cannot remove their own last admin grant.
pub async fn remove_grant(app: &App, by: &Scope, grant_id: i64) -> Result<(), ServiceError> {
    let grant = store::grant_by_id(&app.db, grant_id).await?.ok_or(ServiceError::NotFound)?;
    let path = caunoi_core::units::UnitPath::from_stored(grant.unit_path.clone());
    if !by.can(Action::ViewUnit, &path) {
        return Err(ServiceError::NotFound);
    }
    by.require(Action::ManageOfficers, &path)?;
    let own_admin_grants = by.grants.iter().filter(|g| g.role == Role::Admin).count();
    if grant.officer_id == by.officer_id.0 && grant.role == Role::Admin.as_str() && own_admin_grants <= 1 {
        return Err(Forbidden { action: Action::ManageOfficers }.into());
    }
    let username = store::profile(&app.db, OfficerId(grant.officer_id)).await?.map(|p| p.username).unwrap_or_default();
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::delete_grant(&mut tx, grant.id).await?;
    let detail = format!("role={}", grant.role);
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(by.officer_id),
            action: AuditAction::GrantRemoved,
            unit: Some(UnitId(grant.unit_id)),
            target: &username,
            detail: &detail,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the officer's own password after checking the current one; other sessions end.
pub async fn change_password(app: &App, officer: &Officer, current: &str, new: &str) -> Result<(), ServiceError> {
    let creds = store::credentials_by_id(&app.db, officer.id).await?.ok_or(ServiceError::NotFound)?;
    let (cur, hash) = (current.to_string(), creds.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || crypto::verify_password(&cur, &hash)).await.unwrap_or(false);
    let mut errs = FieldErrors::default();
    if !ok {
        errs.push(InvalidInput::new(
            "current_password",
            "Mật khẩu hiện tại không đúng.",
            "The current password is wrong.",
        ));
    }
    errs.take(check_new_password(new));
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let new = new.to_string();
    let hash = tokio::task::spawn_blocking(move || crypto::hash_password(&new)).await.unwrap_or_default();
    let now = app.clock.now_micros();
    let unit = officer.scope.grants.first().map(|g| g.unit_id);
    let mut tx = app.db.begin().await?;
    store::set_password(&mut tx, officer.id, &hash, now).await?;
    store::delete_other_sessions(&mut tx, officer.id, &officer.token_hash).await?;
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(officer.id),
            action: AuditAction::PasswordChanged,
            unit,
            target: &officer.username,
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A TOTP enrolment in progress: the secret is shown once, then confirmed with a code.
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
}

/// A fresh secret for enrolment; nothing is stored until [`confirm_totp`].
pub fn new_totp(officer: &Officer) -> TotpEnrolment {
    let mut secret = [0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
    let t = totp(&secret, &officer.username);
    TotpEnrolment {
        secret_base32: t.as_ref().map(|t| t.secret().to_base32()).unwrap_or_default(),
        otpauth_url: t.and_then(|t| t.to_url().ok()).unwrap_or_default(),
    }
}

/// Stores the secret when the code proves the authenticator app has it.
pub async fn confirm_totp(app: &App, officer: &Officer, secret_base32: &str, code: &str) -> Result<(), ServiceError> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32.trim())
        .ok()
        .map(|s| s.as_bytes().to_vec())
        .filter(|b| b.len() >= 16);
    let Some(secret) = secret else {
        return Err(InvalidInput::new(
            "code",
            "Phiên đăng ký đã hết hạn, hãy bắt đầu lại.",
            "The enrolment expired; start again.",
        )
        .into());
    };
    if !totp_matches(&secret, code, now_secs(app)) {
        return Err(InvalidInput::new(
            "code",
            "Mã xác thực không đúng. Kiểm tra giờ trên điện thoại và thử lại.",
            "Wrong code. Check your phone's clock and try again.",
        )
        .into());
    }
    let sealed = app.secrets.encrypt(&secret);
    let now = app.clock.now_micros();
    let unit = officer.scope.grants.first().map(|g| g.unit_id);
    let mut tx = app.db.begin().await?;
    store::set_totp(&mut tx, officer.id, &sealed, now).await?;
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(officer.id),
            action: AuditAction::TotpEnabled,
            unit,
            target: &officer.username,
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The current TOTP code for a secret (tests and the demo use it; officers use their phone).
pub fn totp_code_now(secret_base32: &str, now_secs: i64) -> Option<String> {
    let bytes = totp_rs::Secret::try_from_base32(secret_base32).ok()?.as_bytes().to_vec();
    Some(totp(&bytes, "officer")?.generate(now_secs.max(0) as u64).to_string())
}

/// Whether an account is to be usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    Enabled,
    Disabled,
}

/// The officer's profile when `by` may disable, re-enable or reset the account: not visible →
/// not found; visible but some of the officer's units lie outside `by`'s admin grants (or it
/// is `by`'s own account) → forbidden.
async fn manageable_account(
    app: &App,
    by: &Scope,
    officer: OfficerId,
) -> Result<(store::Profile, UnitId), ServiceError> {
    let profile = store::profile_in_scope(&app.db, by.officer_id, officer).await?.ok_or(ServiceError::NotFound)?;
    let grants = store::grants_of(&app.db, officer).await?;
    let paths: Vec<caunoi_core::units::UnitPath> = grants.iter().map(|g| g.unit_path.clone()).collect();
    if !by.may_manage_account(officer, &paths) {
        return Err(Forbidden { action: Action::ManageOfficers }.into());
    }
    let unit = grants.first().map(|g| g.unit_id).ok_or(ServiceError::NotFound)?;
    Ok((profile, unit))
}

/// Whether `by` may disable, re-enable or reset the password of `officer` (to show the buttons).
pub async fn may_manage_account(app: &App, by: &Scope, officer: OfficerId) -> Result<bool, StoreError> {
    let paths: Vec<caunoi_core::units::UnitPath> =
        store::grants_of(&app.db, officer).await?.into_iter().map(|g| g.unit_path).collect();
    Ok(by.may_manage_account(officer, &paths))
}

/// Disables an account (its sessions end at once, its open reset links are forgotten, sign-in
/// is refused) or enables it again. Audited.
pub async fn set_account_state(
    app: &App,
    by: &Scope,
    officer: OfficerId,
    state: AccountState,
) -> Result<(), ServiceError> {
    let (profile, unit) = manageable_account(app, by, officer).await?;
    let disabled = state == AccountState::Disabled;
    if profile.disabled == disabled {
        return Ok(());
    }
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::set_disabled(&mut tx, officer, disabled, now).await?;
    if disabled {
        store::delete_sessions_of(&mut tx, officer).await?;
        store::delete_open_resets(&mut tx, officer).await?;
    }
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(by.officer_id),
            action: if disabled { AuditAction::OfficerDisabled } else { AuditAction::OfficerEnabled },
            unit: Some(unit),
            target: &profile.username,
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A reset link just made: the token is in the URL only, never stored or logged.
#[derive(Debug, Clone)]
pub struct ResetLink {
    pub url: String,
    pub expires_at: i64,
}

/// The path of the reset page for a token.
pub const RESET_PATH: &str = "/password-reset";

/// Makes a one-time password reset link for an officer (replacing earlier unused ones). Only
/// the token's hash is stored. Audited (without the link).
pub async fn issue_reset_link(app: &App, by: &Scope, officer: OfficerId) -> Result<ResetLink, ServiceError> {
    let (profile, unit) = manageable_account(app, by, officer).await?;
    if profile.disabled {
        return Err(InvalidInput::new(
            "reset",
            "Tài khoản đang bị khóa. Hãy mở khóa trước khi tạo liên kết đặt lại mật khẩu.",
            "The account is disabled. Re-enable it before making a password reset link.",
        )
        .into());
    }
    let token = crypto::random_token();
    let now = app.clock.now_micros();
    let expires_at = now + staff::RESET_LINK_LIFETIME_SECS * 1_000_000;
    let mut tx = app.db.begin().await?;
    store::insert_reset(&mut tx, &crypto::token_hash(&token), officer, by.officer_id, now, expires_at).await?;
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(by.officer_id),
            action: AuditAction::PasswordResetIssued,
            unit: Some(unit),
            target: &profile.username,
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ResetLink { url: format!("{}{RESET_PATH}/{token}", app.config.public_url), expires_at })
}

/// The account a reset link is for, or why it cannot be used.
pub async fn reset_link_account(
    app: &App,
    token: &str,
) -> Result<Result<store::Profile, staff::ResetRefusal>, StoreError> {
    let Some(row) = store::reset_by_hash(&app.db, &crypto::token_hash(token)).await? else {
        return Ok(Err(staff::ResetRefusal::Unknown));
    };
    let Some(profile) = store::profile(&app.db, OfficerId(row.officer_id)).await? else {
        return Ok(Err(staff::ResetRefusal::Unknown));
    };
    match staff::ResetRefusal::of(row.expires_at, row.used_at, profile.disabled, app.clock.now_micros()) {
        Some(refusal) => Ok(Err(refusal)),
        None => Ok(Ok(profile)),
    }
}

/// What using a reset link came to.
#[derive(Debug)]
pub enum ResetOutcome {
    /// The new password is set; every session of the account ended.
    Done,
    /// The link cannot be used; nothing changed.
    Refused(staff::ResetRefusal),
}

/// Sets a new password with a reset link: the password meets the rules and is typed twice
/// alike, and the link is claimed in the same transaction as the change (used once, even by
/// two tabs at the same time). Every session of the account ends; the account's sign-in
/// throttle is cleared. Audited.
pub async fn reset_password(app: &App, token: &str, new: &str, repeat: &str) -> Result<ResetOutcome, ServiceError> {
    let profile = match reset_link_account(app, token).await? {
        Ok(p) => p,
        Err(refusal) => return Ok(ResetOutcome::Refused(refusal)),
    };
    let mut errs = FieldErrors::default();
    errs.take(check_new_password(new));
    if errs.is_empty() && new != repeat {
        errs.push(InvalidInput::new(
            "repeat_password",
            "Hai lần nhập mật khẩu mới không giống nhau.",
            "The two new passwords differ.",
        ));
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let new = new.to_string();
    let hash = tokio::task::spawn_blocking(move || crypto::hash_password(&new)).await.unwrap_or_default();
    if hash.is_empty() {
        return Err(ServiceError::Store(StoreError::NotFound));
    }
    let officer = OfficerId(profile.id);
    let now = app.clock.now_micros();
    let unit = first_unit(app, officer).await?;
    let mut tx = app.db.begin().await?;
    if !store::claim_reset(&mut tx, &crypto::token_hash(token), now).await? {
        drop(tx);
        let refusal = reset_link_account(app, token).await?.err().unwrap_or(staff::ResetRefusal::Used);
        return Ok(ResetOutcome::Refused(refusal));
    }
    store::set_password(&mut tx, officer, &hash, now).await?;
    store::delete_sessions_of(&mut tx, officer).await?;
    crate::audit::service::record(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(officer),
            action: AuditAction::PasswordReset,
            unit,
            target: &profile.username,
            detail: "",
        },
    )
    .await?;
    tx.commit().await?;
    store::clear_throttle(&app.db, &account_key(&profile.username)).await?;
    Ok(ResetOutcome::Done)
}

/// An officer as the list shows them: the profile and the roles held in units the reader sees.
#[derive(Debug, Clone)]
pub struct ListedOfficer {
    pub profile: store::Profile,
    pub grants: Vec<store::GrantRow>,
}

/// The officers the reader may see, each with their visible roles and units.
pub async fn list_with_roles(app: &App, scope: &Scope) -> Result<Vec<ListedOfficer>, StoreError> {
    let profiles = store::list_in_scope(&app.db, scope.officer_id).await?;
    let mut grants = store::grants_visible_all(&app.db, scope.officer_id).await?;
    Ok(profiles
        .into_iter()
        .map(|profile| {
            let mine: Vec<store::GrantRow> = grants.extract_if(.., |g| g.officer_id == profile.id).collect();
            ListedOfficer { profile, grants: mine }
        })
        .collect())
}

/// Re-exported so handlers can name the role list.
pub use staff::Role as OfficerRole;

/// Officers who can work the conversations of the unit at `unit_path`: a grant other than
/// analyst on it or above it, not disabled.
pub async fn colleagues_for_unit(app: &App, unit_path: &str) -> Result<Vec<store::Colleague>, StoreError> {
    store::officers_for_unit(&app.db, unit_path).await
}

/// The working grants on the unit at `unit_path` or above it, with names (the inbox's assign list).
pub async fn colleague_grants_for_unit(app: &App, unit_path: &str) -> Result<Vec<store::ColleagueGrant>, StoreError> {
    store::colleague_grants_for_unit(&app.db, unit_path).await
}

/// The enabled officers holding one of `roles` directly at the unit (the alarm's circles).
pub async fn officers_at_unit(app: &App, unit: UnitId, roles: &[Role]) -> Result<Vec<OfficerId>, StoreError> {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    Ok(store::officers_at_unit(&app.db, unit, &names).await?.into_iter().map(OfficerId).collect())
}

/// The enabled officers holding `role` at any unit (the cases' daily digest to leaders).
pub async fn officers_with_role(app: &App, role: Role) -> Result<Vec<OfficerId>, StoreError> {
    Ok(store::officers_with_role(&app.db, role.as_str()).await?.into_iter().map(OfficerId).collect())
}

/// The officers the reader may see.
pub async fn list_in_scope(app: &App, scope: &Scope) -> Result<Vec<store::Profile>, StoreError> {
    store::list_in_scope(&app.db, scope.officer_id).await
}

/// One officer's profile, if the reader may see them.
pub async fn profile(app: &App, scope: &Scope, id: OfficerId) -> Result<Option<store::Profile>, StoreError> {
    store::profile_in_scope(&app.db, scope.officer_id, id).await
}

/// An officer's grants that the reader may see.
pub async fn grants_visible(app: &App, scope: &Scope, officer: OfficerId) -> Result<Vec<store::GrantRow>, StoreError> {
    store::grants_visible(&app.db, scope.officer_id, officer).await
}

/// The grants on a unit, with the officers' names.
pub async fn grants_on_unit(app: &App, unit: UnitId) -> Result<Vec<(store::GrantRow, String)>, StoreError> {
    store::grants_on_unit(&app.db, unit).await
}

/// One grant by id.
pub async fn grant(app: &App, id: i64) -> Result<Option<store::GrantRow>, StoreError> {
    store::grant_by_id(&app.db, id).await
}

/// Forgets sessions idle since before `cutoff` (housekeeping).
pub async fn purge_sessions(app: &App, cutoff: i64) -> Result<u64, StoreError> {
    store::purge_sessions(&app.db, cutoff, app.clock.now_micros()).await
}

/// The scope of an enabled officer by sign-in name (the CLI and tests act as an officer
/// without a session); `None` for an unknown or disabled account.
pub async fn scope_of(app: &App, username: &str) -> Result<Option<Scope>, StoreError> {
    let Some(c) = store::credentials(&app.db, username).await? else { return Ok(None) };
    if c.disabled {
        return Ok(None);
    }
    let id = OfficerId(c.id);
    Ok(Some(Scope { officer_id: id, grants: store::grants_of(&app.db, id).await? }))
}
