//! The first start's pages: the setup form behind the one-time link, and the next steps once
//! the installation is set up.

use super::{SetupError, SetupInput, TOP_KINDS};
use crate::app::App;
use crate::error::ServiceError;
use crate::staff::http::session_started;
use crate::staff::service::{SignIn, sign_in};
use crate::web::client_ip::ClientAddr;
use crate::web::error::{render, render_invalid};
use crate::web::{Chrome, CurrentOfficer, Opt, PageLang, T, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use caunoi_core::input::{FieldErrors, Lang};
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new().route("/setup", get(setup_page).post(setup_submit)).route("/setup/done", get(done_page))
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    chrome: Chrome,
    input: SetupInput,
    kinds: Vec<Opt>,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "setup_closed.html")]
struct ClosedPage {
    chrome: Chrome,
    /// True: set up already (410); false: the link is wrong (403).
    done: bool,
}

#[derive(Deserialize, Default)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn kinds(t: T, chosen: &str) -> Vec<Opt> {
    let mut out = vec![Opt {
        value: String::new(),
        label: t.tr("— Chọn cấp —", "— Choose —").into(),
        selected: chosen.is_empty(),
    }];
    out.extend(TOP_KINDS.iter().map(|k| Opt {
        value: k.as_str().into(),
        label: match t.lang {
            Lang::Vi => k.label_vi().into(),
            Lang::En => k.label_en().into(),
        },
        selected: k.as_str() == chosen,
    }));
    out
}

/// The page's frame; switching the language comes back to the form with its link's token.
fn chrome(lang: Lang, token: &str) -> Chrome {
    let token: String = token.chars().filter(char::is_ascii_hexdigit).take(64).collect();
    Chrome::public(lang, "setup", format!("/setup?token={token}"))
}

fn closed(lang: Lang, done: bool) -> Result<Response, WebError> {
    let mut resp = render(&ClosedPage { chrome: Chrome::public(lang, "setup", "/setup"), done })?;
    *resp.status_mut() = if done { StatusCode::GONE } else { StatusCode::FORBIDDEN };
    Ok(resp)
}

async fn setup_page(
    State(app): State<App>,
    PageLang(lang): PageLang,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    if !super::is_open(&app).await? {
        return closed(lang, true);
    }
    if !super::token_matches(&app, &q.token) {
        return closed(lang, false);
    }
    let input = SetupInput { token: q.token.trim().to_string(), starter_kb: "yes".into(), ..Default::default() };
    render(&SetupPage {
        chrome: chrome(lang, &input.token),
        kinds: kinds(T::new(lang), ""),
        input,
        errors: FieldErrors::default(),
    })
}

async fn setup_submit(
    State(app): State<App>,
    PageLang(lang): PageLang,
    ClientAddr(address): ClientAddr,
    Form(input): Form<SetupInput>,
) -> Result<Response, WebError> {
    match super::run(&app, &input).await {
        Ok(done) => {
            // The installer is signed in as the new admin (the same path as the sign-in page,
            // so two-step verification and throttles apply as there).
            let next = format!("/setup/done?unit={}&kb={}", done.unit_code.as_str(), done.kb_entries);
            match sign_in(&app, &done.username, &input.password, &address).await? {
                SignIn::Done { token } => Ok(session_started(&app, &token, &next, false)),
                SignIn::NeedsTotp { token } => Ok(session_started(&app, &token, &next, true)),
                _ => Ok(Redirect::to(&format!("/login?next={}", crate::web::auth::urlencode(&next))).into_response()),
            }
        }
        Err(SetupError::Closed) => closed(lang, true),
        Err(SetupError::WrongToken) => closed(lang, false),
        Err(SetupError::Service(ServiceError::Invalid(errors))) => render_invalid(&SetupPage {
            chrome: chrome(lang, &input.token),
            kinds: kinds(T::new(lang), &input.unit_kind),
            input: SetupInput { password: String::new(), password_again: String::new(), ..input },
            errors,
        }),
        Err(SetupError::Service(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "setup_done.html")]
struct DonePage {
    chrome: Chrome,
    unit_code: String,
    unit_name: String,
    kb_entries: usize,
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    kb: usize,
}

/// The next steps after the setup, for the admin it signed in.
async fn done_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let unit = crate::units::service::get(&app, &me.scope, &q.unit).await?;
    render(&DonePage {
        chrome: me.chrome("units", "/setup/done"),
        unit_code: unit.code.as_str().to_string(),
        unit_name: unit.details.name.clone(),
        kb_entries: q.kb,
    })
}
