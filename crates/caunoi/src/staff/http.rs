//! Console routes for signing in and out, the officer list, adding officers and roles, and the
//! officer's own account (password, two-step verification).

use super::service::{self, AccountState, NewOfficerInput, ResetOutcome, SignIn};
use super::store;
use crate::app::App;
use crate::web::auth::{SESSION_COOKIE, clear_cookie, cookie, read_cookie, safe_next};
use crate::web::client_ip::ClientAddr;
use crate::web::error::{render, render_form, render_invalid};
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, PageLang, T, WebError};
use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use caunoi_core::input::{FieldErrors, Lang};
use caunoi_core::staff::{Action, OfficerId, Role};
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/login/totp", get(totp_page).post(totp_submit))
        .route("/unlock", get(unlock_page).post(unlock_submit))
        .route("/logout", post(logout))
        .route("/start", get(start))
        .route("/officers", get(officers))
        .route("/officers/new", get(new_officer_page).post(new_officer))
        .route("/officers/{id}", get(officer_page))
        .route("/officers/{id}/grants", post(add_grant))
        .route("/officers/{id}/grants/{grant}/delete", post(remove_grant))
        .route("/officers/{id}/disable", post(disable_account))
        .route("/officers/{id}/enable", post(enable_account))
        .route("/officers/{id}/reset-link", post(reset_link))
        .route("/password-reset/{token}", get(reset_page).post(reset_submit))
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
        .route("/account/totp", get(totp_enrol_page).post(totp_enrol))
}

/// Where an officer lands after signing in: the inbox for whoever works conversations (duty
/// officers, officers, leaders), the unit tree for admins and analysts.
async fn start(me: CurrentOfficer) -> Response {
    use caunoi_core::staff::Role;
    let works = me.scope.grants.iter().any(|g| matches!(g.role, Role::DutyOfficer | Role::Officer | Role::Leader));
    Redirect::to(if works { "/inbox" } else { "/units" }).into_response()
}

/// The answer to a sign-in that started a session: its cookie, and on to `next`, through the
/// two-step code first when the account needs one. Also used by the first setup, which signs its
/// new admin in.
pub fn session_started(app: &App, token: &str, next: &str, needs_totp: bool) -> Response {
    let c = cookie(SESSION_COOKIE, token, -1, app);
    let to =
        if needs_totp { format!("/login/totp?next={}", crate::web::auth::urlencode(next)) } else { next.to_string() };
    ([(header::SET_COOKIE, c)], Redirect::to(&to)).into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    username: String,
    message: String,
    /// No officer exists yet: the page says how to set the installation up.
    first_start: bool,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(
    State(app): State<App>,
    PageLang(lang): PageLang,
    headers: axum::http::HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    // A locked duty device is unlocked with the password, keeping its session.
    if let Some(token) = read_cookie(&headers, SESSION_COOKIE)
        && service::session_officer(&app, &token).await?.is_some_and(|o| o.locked)
    {
        let next = safe_next(q.next.as_deref());
        return Ok(Redirect::to(&format!("/unlock?next={}", crate::web::auth::urlencode(&next))).into_response());
    }
    render(&LoginPage {
        chrome: Chrome::public(lang, "login", "/login"),
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        message: String::new(),
        first_start: crate::setup::is_open(&app).await?,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(app): State<App>,
    PageLang(lang): PageLang,
    ClientAddr(address): ClientAddr,
    req: Request,
) -> Result<Response, WebError> {
    let Form(form): Form<LoginForm> =
        Form::from_request(req, &app).await.map_err(|_| WebError::BadRequest("form".into()))?;
    let t = T::new(lang);
    let next = safe_next(Some(&form.next));
    let outcome = service::sign_in(&app, &form.username, &form.password, &address).await?;
    let page = |message: String| LoginPage {
        chrome: Chrome::public(t.lang, "login", "/login"),
        next: next.clone(),
        username: form.username.chars().take(60).collect(),
        message,
        first_start: false,
    };
    match outcome {
        SignIn::Done { token } => Ok(session_started(&app, &token, &next, false)),
        SignIn::NeedsTotp { token } => Ok(session_started(&app, &token, &next, true)),
        SignIn::Rejected => render_invalid(&page(
            t.tr("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password.").to_string(),
        )),
        SignIn::Disabled => {
            let mut resp = render_invalid(&page(
                t.tr(
                    "Tài khoản này đã bị khóa nên không đăng nhập được. Hãy liên hệ quản trị đơn vị để mở khóa.",
                    "This account is disabled and cannot sign in. Ask your unit's admin to re-enable it.",
                )
                .to_string(),
            ))?;
            *resp.status_mut() = axum::http::StatusCode::FORBIDDEN;
            Ok(resp)
        }
        SignIn::Throttled { retry_in_secs } => {
            let minutes = (retry_in_secs + 59) / 60;
            let msg = match lang {
                Lang::Vi => format!("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút."),
                Lang::En => format!("Too many failed sign-ins. Try again in {minutes} minutes."),
            };
            let mut resp = render_invalid(&page(msg))?;
            *resp.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
            Ok(resp)
        }
    }
}

use axum::extract::FromRequest;

#[derive(Template)]
#[template(path = "login_totp.html")]
struct TotpLoginPage {
    chrome: Chrome,
    next: String,
    message: String,
}

async fn totp_page(PageLang(lang): PageLang, Query(q): Query<NextQuery>) -> Result<Response, WebError> {
    render(&TotpLoginPage {
        chrome: Chrome::public(lang, "login", "/login"),
        next: safe_next(q.next.as_deref()),
        message: String::new(),
    })
}

#[derive(Deserialize)]
struct TotpForm {
    code: String,
    #[serde(default)]
    next: String,
}

async fn totp_submit(
    State(app): State<App>,
    PageLang(lang): PageLang,
    headers: axum::http::HeaderMap,
    Form(form): Form<TotpForm>,
) -> Result<Response, WebError> {
    let token = read_cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    let next = safe_next(Some(&form.next));
    if service::verify_totp(&app, &token, &form.code).await? {
        return Ok(Redirect::to(&next).into_response());
    }
    let t = T::new(lang);
    render_invalid(&TotpLoginPage {
        chrome: Chrome::public(t.lang, "login", "/login"),
        next,
        message: t
            .tr(
                "Mã không đúng hoặc đã hết hạn. Hãy đăng nhập lại nếu vẫn lỗi.",
                "Wrong or expired code. Sign in again if this persists.",
            )
            .into(),
    })
}

#[derive(Template)]
#[template(path = "unlock.html")]
struct UnlockPage {
    chrome: Chrome,
    next: String,
    username: String,
    display_name: String,
    message: String,
}

async fn unlock_page(me: CurrentOfficer, Query(q): Query<NextQuery>) -> Result<Response, WebError> {
    let next = safe_next(q.next.as_deref());
    if !me.locked {
        return Ok(Redirect::to(&next).into_response());
    }
    render(&UnlockPage {
        chrome: Chrome { rings: true, ..Chrome::public(me.lang, "login", "/unlock") },
        next,
        username: me.username.clone(),
        display_name: me.display_name.clone(),
        message: String::new(),
    })
}

#[derive(Deserialize)]
struct UnlockForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn unlock_submit(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(form): Form<UnlockForm>,
) -> Result<Response, WebError> {
    let next = safe_next(Some(&form.next));
    if !me.locked || service::unlock(&app, &me, &form.password).await? {
        return Ok(Redirect::to(&next).into_response());
    }
    let t = T::new(me.lang);
    render_invalid(&UnlockPage {
        chrome: Chrome { rings: true, ..Chrome::public(me.lang, "login", "/unlock") },
        next,
        username: me.username.clone(),
        display_name: me.display_name.clone(),
        message: t
            .tr(
                "Mật khẩu không đúng (hoặc đã nhập sai quá nhiều lần; hãy thử lại sau ít phút).",
                "Wrong password (or too many tries; try again in a few minutes).",
            )
            .into(),
    })
}

async fn logout(State(app): State<App>, headers: axum::http::HeaderMap) -> Result<Response, WebError> {
    if let Some(token) = read_cookie(&headers, SESSION_COOKIE)
        && let Some(officer) = service::session_officer(&app, &token).await?
    {
        service::sign_out(&app, &officer).await?;
    }
    Ok(([(header::SET_COOKIE, clear_cookie(SESSION_COOKIE, &app))], Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "officers.html")]
struct OfficersPage {
    chrome: Chrome,
    officers: Vec<service::ListedOfficer>,
    can_add: bool,
}

async fn officers(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    let officers = service::list_with_roles(&app, &me.scope).await?;
    render(&OfficersPage {
        chrome: me.chrome("officers", "/officers"),
        officers,
        can_add: me.scope.can_anywhere(Action::ManageOfficers),
    })
}

#[derive(Template)]
#[template(path = "officer_new.html")]
struct NewOfficerPage {
    chrome: Chrome,
    input: NewOfficerInput,
    errors: FieldErrors,
    role_opts: Vec<Opt>,
    unit_opts: Vec<Opt>,
}

fn role_opts(t: T, selected: &str) -> Vec<Opt> {
    Role::ALL
        .iter()
        .map(|r| Opt { value: r.as_str().into(), label: t.role(r.as_str()).into(), selected: r.as_str() == selected })
        .collect()
}

/// Units where the officer may grant roles, as select options (indented by depth).
async fn grantable_units(app: &App, me: &CurrentOfficer, selected: &str) -> Result<Vec<Opt>, WebError> {
    let units = crate::units::service::list_in_scope(app, &me.scope).await?;
    Ok(units
        .into_iter()
        .filter(|u| me.scope.may_grant(&u.path))
        .map(|u| Opt::unit(&u, u.code.as_str() == selected))
        .collect())
}

async fn new_officer_page(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    if !me.scope.can_anywhere(Action::ManageOfficers) {
        return Err(WebError::Forbidden);
    }
    let t = T::new(me.lang);
    let input = NewOfficerInput { role: "officer".into(), ..Default::default() };
    render(&NewOfficerPage {
        chrome: me.chrome("officers", "/officers/new"),
        role_opts: role_opts(t, &input.role),
        unit_opts: grantable_units(&app, &me, "").await?,
        input,
        errors: FieldErrors::default(),
    })
}

async fn new_officer(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(input): Form<NewOfficerInput>,
) -> Result<Response, WebError> {
    if !me.scope.can_anywhere(Action::ManageOfficers) {
        return Err(WebError::Forbidden);
    }
    match form::posted(service::create_officer(&app, Some(&me.scope), &input).await)? {
        Posted::Saved(id) => form::see_other(&format!("/officers/{id}?created=1")),
        Posted::Refused(errors) => {
            let t = T::new(me.lang);
            render_invalid(&NewOfficerPage {
                chrome: me.chrome("officers", "/officers/new"),
                role_opts: role_opts(t, &input.role),
                unit_opts: grantable_units(&app, &me, &input.unit_code).await?,
                input: NewOfficerInput { password: String::new(), ..input },
                errors,
            })
        }
    }
}

#[derive(Template)]
#[template(path = "officer.html")]
struct OfficerPage {
    chrome: Chrome,
    profile: store::Profile,
    grants: Vec<store::GrantRow>,
    can_manage: bool,
    /// May disable, re-enable or reset this account (an admin over all its units).
    can_manage_account: bool,
    /// A reset link just made, shown once.
    reset_link: Option<service::ResetLink>,
    role_opts: Vec<Opt>,
    unit_opts: Vec<Opt>,
    notice: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct OfficerQuery {
    created: Option<String>,
    granted: Option<String>,
    removed: Option<String>,
    disabled: Option<String>,
    enabled: Option<String>,
}

async fn officer_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Query(q): Query<OfficerQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = if q.created.is_some() {
        t.tr("Đã tạo tài khoản.", "Account created.")
    } else if q.granted.is_some() {
        t.tr("Đã cấp vai trò.", "Role granted.")
    } else if q.removed.is_some() {
        t.tr("Đã thu hồi vai trò.", "Role removed.")
    } else if q.disabled.is_some() {
        t.tr(
            "Đã khóa tài khoản. Mọi phiên đăng nhập của cán bộ đã kết thúc.",
            "Account disabled. All of the officer's sessions have ended.",
        )
    } else if q.enabled.is_some() {
        t.tr("Đã mở khóa tài khoản.", "Account re-enabled.")
    } else {
        ""
    };
    officer_view(&app, &me, OfficerId(id), notice.to_string(), String::new(), false).await
}

async fn officer_view(
    app: &App,
    me: &CurrentOfficer,
    id: OfficerId,
    notice: String,
    error: String,
    invalid: bool,
) -> Result<Response, WebError> {
    officer_view_with(app, me, id, OfficerExtras { notice, error, reset_link: None }, invalid).await
}

/// What an officer page shows beyond the officer: a notice, an error, a link just made.
struct OfficerExtras {
    notice: String,
    error: String,
    reset_link: Option<service::ResetLink>,
}

async fn officer_view_with(
    app: &App,
    me: &CurrentOfficer,
    id: OfficerId,
    extras: OfficerExtras,
    invalid: bool,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let profile = service::profile(app, &me.scope, id).await?.ok_or(WebError::NotFound)?;
    let grants = service::grants_visible(app, &me.scope, id).await?;
    let can_manage = me.scope.can_anywhere(Action::ManageOfficers);
    let page = OfficerPage {
        chrome: me.chrome("officers", format!("/officers/{}", id.0)),
        profile,
        grants,
        can_manage,
        can_manage_account: service::may_manage_account(app, &me.scope, id).await?,
        reset_link: extras.reset_link,
        role_opts: role_opts(t, "officer"),
        unit_opts: grantable_units(app, me, "").await?,
        notice: extras.notice,
        error: extras.error,
    };
    if invalid { render_invalid(&page) } else { render(&page) }
}

#[derive(Deserialize)]
struct GrantForm {
    role: String,
    unit_code: String,
}

async fn add_grant(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(form): Form<GrantForm>,
) -> Result<Response, WebError> {
    match form::posted(service::add_grant(&app, &me.scope, OfficerId(id), &form.role, &form.unit_code).await)? {
        Posted::Saved(()) => form::see_other(&format!("/officers/{id}?granted=1")),
        Posted::Refused(errs) => {
            let msg = form::first_message(&errs, me.lang);
            officer_view(&app, &me, OfficerId(id), String::new(), msg, true).await
        }
    }
}

async fn remove_grant(
    State(app): State<App>,
    me: CurrentOfficer,
    Path((id, grant)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let belongs = service::grant(&app, grant).await?.is_some_and(|g| g.officer_id == id);
    if !belongs {
        return Err(WebError::NotFound);
    }
    service::remove_grant(&app, &me.scope, grant).await?;
    Ok(Redirect::to(&format!("/officers/{id}?removed=1")).into_response())
}

async fn disable_account(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(id): Path<i64>,
    Form(f): Form<form::Confirmation>,
) -> Result<Response, WebError> {
    if !f.is_given() {
        // Scope first: an officer out of reach is a 404, whatever the form says.
        service::profile(&app, &me.scope, OfficerId(id)).await?.ok_or(WebError::NotFound)?;
        let t = T::new(me.lang);
        let msg = t.tr(
            "Chưa khóa: hãy đánh dấu ô xác nhận rồi bấm \"Khóa tài khoản\".",
            "Not disabled: tick the confirmation box, then press \"Disable account\".",
        );
        return officer_view(&app, &me, OfficerId(id), String::new(), msg.into(), true).await;
    }
    service::set_account_state(&app, &me.scope, OfficerId(id), AccountState::Disabled).await?;
    form::see_other(&format!("/officers/{id}?disabled=1"))
}

async fn enable_account(State(app): State<App>, me: CurrentOfficer, Path(id): Path<i64>) -> Result<Response, WebError> {
    service::set_account_state(&app, &me.scope, OfficerId(id), AccountState::Enabled).await?;
    form::see_other(&format!("/officers/{id}?enabled=1"))
}

/// Makes a reset link and shows it on the officer's page, once (not through a redirect, so
/// the token never sits in an address or the history).
async fn reset_link(State(app): State<App>, me: CurrentOfficer, Path(id): Path<i64>) -> Result<Response, WebError> {
    match form::posted(service::issue_reset_link(&app, &me.scope, OfficerId(id)).await)? {
        Posted::Saved(link) => {
            let t = T::new(me.lang);
            let notice = t.tr(
                "Đã tạo liên kết đặt lại mật khẩu. Gửi liên kết cho cán bộ qua kênh an toàn; liên kết chỉ hiện một lần.",
                "Password reset link made. Send it to the officer over a safe channel; it is shown only once.",
            );
            let extras = OfficerExtras { notice: notice.into(), error: String::new(), reset_link: Some(link) };
            officer_view_with(&app, &me, OfficerId(id), extras, false).await
        }
        Posted::Refused(errs) => {
            let msg = form::first_message(&errs, me.lang);
            officer_view(&app, &me, OfficerId(id), String::new(), msg, true).await
        }
    }
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    chrome: Chrome,
    token: String,
    /// The account, while the link can be used.
    username: Option<String>,
    /// Why the link cannot be used, or that the password was set.
    message: String,
    done: bool,
    errors: FieldErrors,
}

fn reset_refused(lang: Lang, token: &str, refusal: caunoi_core::staff::ResetRefusal) -> Result<Response, WebError> {
    let message = match lang {
        Lang::Vi => refusal.message_vi(),
        Lang::En => refusal.message_en(),
    };
    let page = ResetPage {
        chrome: Chrome::public(lang, "login", "/login"),
        token: token.chars().take(100).collect(),
        username: None,
        message: message.into(),
        done: false,
        errors: FieldErrors::default(),
    };
    let mut resp = render(&page)?;
    *resp.status_mut() = axum::http::StatusCode::GONE;
    Ok(resp)
}

async fn reset_page(
    State(app): State<App>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match service::reset_link_account(&app, &token).await? {
        Err(refusal) => reset_refused(lang, &token, refusal),
        Ok(profile) => render(&ResetPage {
            chrome: Chrome::public(lang, "login", "/login"),
            token,
            username: Some(profile.username),
            message: String::new(),
            done: false,
            errors: FieldErrors::default(),
        }),
    }
}

#[derive(Deserialize, Default)]
struct ResetForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat_password: String,
}

async fn reset_submit(
    State(app): State<App>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
    Form(f): Form<ResetForm>,
) -> Result<Response, WebError> {
    match form::posted(service::reset_password(&app, &token, &f.new_password, &f.repeat_password).await)? {
        Posted::Saved(ResetOutcome::Refused(refusal)) => reset_refused(lang, &token, refusal),
        Posted::Saved(ResetOutcome::Done) => {
            let t = T::new(lang);
            render(&ResetPage {
                chrome: Chrome::public(lang, "login", "/login"),
                token: String::new(),
                username: None,
                message: t
                    .tr(
                        "Đã đặt mật khẩu mới. Hãy đăng nhập bằng mật khẩu mới.",
                        "Your new password is set. Sign in with it.",
                    )
                    .into(),
                done: true,
                errors: FieldErrors::default(),
            })
        }
        Posted::Refused(errors) => {
            let username = service::reset_link_account(&app, &token).await?.ok().map(|p| p.username);
            render_invalid(&ResetPage {
                chrome: Chrome::public(lang, "login", "/login"),
                token,
                username,
                message: String::new(),
                done: false,
                errors,
            })
        }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    grants: Vec<store::GrantRow>,
    totp_enabled: bool,
    errors: FieldErrors,
    notice: String,
}

#[derive(Deserialize, Default)]
struct AccountQuery {
    saved: Option<String>,
    totp: Option<String>,
}

async fn account_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<AccountQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = if q.saved.is_some() {
        t.tr(
            "Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc.",
            "Password changed. Your other sessions were signed out.",
        )
    } else if q.totp.is_some() {
        t.tr("Đã bật xác thực hai bước.", "Two-step verification is on.")
    } else {
        ""
    };
    account_view(&app, &me, FieldErrors::default(), notice.into()).await
}

async fn account_view(
    app: &App,
    me: &CurrentOfficer,
    errors: FieldErrors,
    notice: String,
) -> Result<Response, WebError> {
    let page = AccountPage {
        chrome: me.chrome("account", "/account"),
        grants: service::grants_visible(app, &me.scope, me.id).await?,
        totp_enabled: me.totp_enabled,
        errors,
        notice,
    };
    render_form(&page, &page.errors)
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    match form::posted(service::change_password(&app, &me, &f.current_password, &f.new_password).await)? {
        Posted::Saved(()) => form::see_other("/account?saved=1"),
        Posted::Refused(errors) => account_view(&app, &me, errors, String::new()).await,
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpEnrolPage {
    chrome: Chrome,
    secret: String,
    qr_svg: String,
    required: bool,
    errors: FieldErrors,
}

fn totp_page_for(app: &App, me: &CurrentOfficer, secret: String, url: &str, errors: FieldErrors) -> TotpEnrolPage {
    TotpEnrolPage {
        chrome: me.chrome("account", "/account/totp"),
        qr_svg: crate::units::public::qr_svg(url).unwrap_or_default(),
        secret,
        required: me.must_enrol_totp(app),
        errors,
    }
}

async fn totp_enrol_page(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    if me.totp_enabled {
        return Ok(Redirect::to("/account").into_response());
    }
    let e = service::new_totp(&me);
    render(&totp_page_for(&app, &me, e.secret_base32, &e.otpauth_url, FieldErrors::default()))
}

#[derive(Deserialize)]
struct TotpEnrolForm {
    secret: String,
    code: String,
}

async fn totp_enrol(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<TotpEnrolForm>,
) -> Result<Response, WebError> {
    match form::posted(service::confirm_totp(&app, &me, &f.secret, &f.code).await)? {
        Posted::Saved(()) => form::see_other("/account?totp=1"),
        Posted::Refused(errors) => {
            let url = format!("otpauth://totp/caunoi:{}?secret={}&issuer=caunoi", me.username, f.secret.trim());
            render_invalid(&totp_page_for(&app, &me, f.secret.trim().chars().take(64).collect(), &url, errors))
        }
    }
}
