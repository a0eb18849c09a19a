//! The bot settings screen (`/units/{code}/bot`): the form with the greeting and the menu lines,
//! and its submission.

use super::service::{self, SettingsForm};
use crate::app::App;
use crate::web::error::{render, render_invalid};
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, WebError};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use caunoi_core::bot::{BotSettings, MenuKey};
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::Action;

pub fn routes() -> Router<App> {
    Router::new().route("/units/{code}/bot", get(page).post(submit))
}

/// One menu line as the form shows it.
pub struct MenuLine {
    pub key: &'static str,
    pub shown: bool,
    pub label: String,
}

#[derive(Template)]
#[template(path = "unit_bot.html")]
struct BotPage {
    chrome: Chrome,
    code: String,
    unit_name: String,
    inherited: bool,
    greeting: String,
    lines: Vec<MenuLine>,
    errors: FieldErrors,
}

fn lines_of(settings: &BotSettings) -> Vec<MenuLine> {
    MenuKey::DEFAULT_ORDER
        .iter()
        .filter(|k| k.exists_here())
        .map(|k| {
            let item = settings.menu.iter().find(|m| m.key == *k);
            MenuLine {
                key: k.as_str(),
                shown: item.is_some(),
                label: item.map(|m| m.label.clone()).unwrap_or_else(|| k.default_label().to_string()),
            }
        })
        .collect()
}

async fn page(State(app): State<App>, me: CurrentOfficer, Path(code): Path<String>) -> Result<Response, WebError> {
    let unit = crate::units::service::get(&app, &me.scope, &code).await?;
    if !me.scope.can(Action::EditUnit, &unit.path) {
        return Err(WebError::Forbidden);
    }
    let settings = app.bot_settings().for_path(&unit.path);
    render(&BotPage {
        chrome: me.chrome("units", format!("/units/{code}/bot")),
        inherited: !app.bot_settings().has_own(unit.id),
        unit_name: unit.details.name,
        code,
        greeting: settings.greeting.clone(),
        lines: lines_of(&settings),
        errors: FieldErrors::default(),
    })
}

async fn submit(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(code): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, WebError> {
    match form::posted(service::save(&app, &me.scope, &code, &form).await)? {
        Posted::Saved(()) => form::see_other(&format!("/units/{code}?saved=1")),
        Posted::Refused(errors) => {
            let unit = crate::units::service::get(&app, &me.scope, &code).await?;
            let lines = form
                .choices()
                .into_iter()
                .map(|c| MenuLine { key: c.key.as_str(), shown: c.shown, label: c.label })
                .collect();
            render_invalid(&BotPage {
                chrome: me.chrome("units", format!("/units/{code}/bot")),
                inherited: false,
                unit_name: unit.details.name,
                code,
                greeting: form.greeting,
                lines,
                errors,
            })
        }
    }
}
