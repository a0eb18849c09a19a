//! A unit's bot settings (greeting and menu): stored per unit, inherited by the units below that
//! set none, kept in memory for the bot (which runs inside the worker's transaction and must not
//! query), and edited on the unit's console page by admins and leaders.

use crate::app::App;
use crate::audit::store::NewEntry;
use crate::db::{Db, StoreError, Tx};
use crate::db_read;
use crate::error::ServiceError;
use crate::web::error::{render, render_invalid};
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, WebError};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use caunoi_core::audit::AuditAction;
use caunoi_core::bot::{BotSettings, MenuChoice, MenuKey, parse_settings};
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::{Action, Scope};
use caunoi_core::units::{UnitId, UnitPath};
use std::collections::HashMap;
use std::sync::RwLock;

/// Every unit's own settings, in memory.
#[derive(Default)]
pub struct BotSettingsLive {
    by_unit: RwLock<HashMap<UnitId, BotSettings>>,
}

impl App {
    /// Units' bot settings in memory; `bot_settings().reload` after opening the database.
    pub fn bot_settings(&self) -> &BotSettingsLive {
        self.runtime()
    }
}

impl BotSettingsLive {
    /// Loads every unit's settings from the database.
    pub async fn reload(&self, db: &Db) -> Result<(), StoreError> {
        let rows: Vec<(i64, String)> =
            db_read!(db, pool => sqlx::query_as("SELECT unit_id, data FROM unit_bot_settings").fetch_all(pool).await)?;
        let map = rows.into_iter().filter_map(|(u, d)| Some((UnitId(u), serde_json::from_str(&d).ok()?))).collect();
        if let Ok(mut m) = self.by_unit.write() {
            *m = map;
        }
        Ok(())
    }

    /// The settings that apply at `path`: the nearest unit on the path that set its own, else
    /// the defaults.
    pub fn for_path(&self, path: &UnitPath) -> BotSettings {
        let Ok(m) = self.by_unit.read() else { return BotSettings::default() };
        path.ids().iter().rev().find_map(|u| m.get(u).cloned()).unwrap_or_default()
    }

    /// Whether the unit set its own settings.
    pub fn has_own(&self, unit: UnitId) -> bool {
        self.by_unit.read().map(|m| m.contains_key(&unit)).unwrap_or(false)
    }
}

pub async fn put(
    tx: &mut Tx,
    unit: UnitId,
    settings: &BotSettings,
    at: i64,
    by: caunoi_core::staff::OfficerId,
) -> Result<(), StoreError> {
    crate::db_conn!(tx, conn => {
        let data = serde_json::to_string(settings).unwrap_or_default();
        sqlx::query(
            "INSERT INTO unit_bot_settings (unit_id, data, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (unit_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(unit.0)
        .bind(&data)
        .bind(at)
        .bind(by.0)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

/// The settings form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub greeting: String,
    pub show_procedures: Option<String>,
    pub label_procedures: String,
    pub show_report: Option<String>,
    pub label_report: String,
    pub show_booking: Option<String>,
    pub label_booking: String,
    pub show_status_lookup: Option<String>,
    pub label_status_lookup: String,
    pub show_hotline: Option<String>,
    pub label_hotline: String,
    pub show_talk_to_officer: Option<String>,
    pub label_talk_to_officer: String,
}

impl SettingsForm {
    fn choices(&self) -> Vec<MenuChoice> {
        let c = |key, shown: &Option<String>, label: &str| MenuChoice {
            key,
            shown: shown.is_some(),
            label: label.to_string(),
        };
        vec![
            c(MenuKey::Procedures, &self.show_procedures, &self.label_procedures),
            c(MenuKey::Report, &self.show_report, &self.label_report),
            c(MenuKey::TalkToOfficer, &self.show_talk_to_officer, &self.label_talk_to_officer),
            c(MenuKey::Booking, &self.show_booking, &self.label_booking),
            c(MenuKey::StatusLookup, &self.show_status_lookup, &self.label_status_lookup),
            c(MenuKey::Hotline, &self.show_hotline, &self.label_hotline),
        ]
    }
}

/// Saves a unit's own bot settings.
pub async fn save(app: &App, scope: &Scope, code: &str, form: &SettingsForm) -> Result<(), ServiceError> {
    let unit = crate::units::service::get(app, scope, code).await?;
    scope.require(Action::EditUnit, &unit.path)?;
    let settings = parse_settings(&form.greeting, &form.choices())?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    crate::units::bot_settings::put(&mut tx, unit.id, &settings, now, scope.officer_id).await?;
    crate::audit::store::append(
        &mut tx,
        &NewEntry {
            at: now,
            officer: Some(scope.officer_id),
            action: AuditAction::UnitEdited,
            unit: Some(unit.id),
            target: unit.code.as_str(),
            detail: "bot settings",
        },
    )
    .await?;
    tx.commit().await?;
    app.bot_settings().reload(&app.db).await?;
    Ok(())
}

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
    let order = [
        MenuKey::Procedures,
        MenuKey::Report,
        MenuKey::TalkToOfficer,
        MenuKey::Booking,
        MenuKey::StatusLookup,
        MenuKey::Hotline,
    ];
    order
        .iter()
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
    match form::posted(save(&app, &me.scope, &code, &form).await)? {
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
