//! Console routes for signing in and out, the officer list, adding officers and roles, and the
//! officer's own account (password, two-step verification).

use super::service::{self, NewOfficerInput, SignIn};
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
        .route("/logout", post(logout))
        .route("/start", get(start))
        .route("/officers", get(officers))
        .route("/officers/new", get(new_officer_page).post(new_officer))
        .route("/officers/{id}", get(officer_page))
        .route("/officers/{id}/grants", post(add_grant))
        .route("/officers/{id}/grants/{grant}/delete", post(remove_grant))
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

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    username: String,
    message: String,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(PageLang(lang): PageLang, Query(q): Query<NextQuery>) -> Result<Response, WebError> {
    render(&LoginPage {
        chrome: Chrome::public(lang, "login", "/login"),
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        message: String::new(),
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
    };
    match outcome {
        SignIn::Done { token } => {
            let c = cookie(SESSION_COOKIE, &token, -1, &app);
            Ok(([(header::SET_COOKIE, c)], Redirect::to(&next)).into_response())
        }
        SignIn::NeedsTotp { token } => {
            let c = cookie(SESSION_COOKIE, &token, -1, &app);
            Ok((
                [(header::SET_COOKIE, c)],
                Redirect::to(&format!("/login/totp?next={}", crate::web::auth::urlencode(&next))),
            )
                .into_response())
        }
        SignIn::Rejected => render_invalid(&page(
            t.tr("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password.").to_string(),
        )),
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

async fn logout(State(app): State<App>, headers: axum::http::HeaderMap) -> Result<Response, WebError> {
    if let Some(token) = read_cookie(&headers, SESSION_COOKIE)
        && let Some(officer) = service::officer_for_token(&app, &token).await?
    {
        service::sign_out(&app, &officer).await?;
    }
    Ok(([(header::SET_COOKIE, clear_cookie(SESSION_COOKIE, &app))], Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "officers.html")]
struct OfficersPage {
    chrome: Chrome,
    officers: Vec<store::Profile>,
    can_add: bool,
}

async fn officers(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    let officers = service::list_in_scope(&app, &me.scope).await?;
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
    let t = T::new(me.lang);
    let profile = service::profile(app, &me.scope, id).await?.ok_or(WebError::NotFound)?;
    let grants = service::grants_visible(app, &me.scope, id).await?;
    let can_manage = me.scope.can_anywhere(Action::ManageOfficers);
    let page = OfficerPage {
        chrome: me.chrome("officers", format!("/officers/{}", id.0)),
        profile,
        grants,
        can_manage,
        role_opts: role_opts(t, "officer"),
        unit_opts: grantable_units(app, me, "").await?,
        notice,
        error,
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
            let msg = errs.0.first().map(|e| e.message.get(me.lang).to_string()).unwrap_or_default();
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
