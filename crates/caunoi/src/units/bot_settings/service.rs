//! Bot settings use cases: saving a unit's own greeting and menu (admins and leaders of the
//! unit), audited, then reloading the in-memory settings so the bot answers with them at once.

use super::store;
use crate::app::App;
use crate::audit::store::NewEntry;
use crate::error::ServiceError;
use caunoi_core::audit::AuditAction;
use caunoi_core::bot::{MenuChoice, MenuKey, parse_settings};
use caunoi_core::staff::{Action, Scope};

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
    /// The form's menu lines, in the default menu's order.
    pub fn choices(&self) -> Vec<MenuChoice> {
        MenuKey::DEFAULT_ORDER
            .into_iter()
            .filter(|key| key.exists_here())
            .map(|key| {
                let (shown, label) = self.line(key);
                MenuChoice { key, shown: shown.is_some(), label: label.to_string() }
            })
            .collect()
    }

    /// The form's fields of one menu line: whether it is shown, and its label.
    fn line(&self, key: MenuKey) -> (&Option<String>, &str) {
        match key {
            MenuKey::Procedures => (&self.show_procedures, &self.label_procedures),
            MenuKey::Report => (&self.show_report, &self.label_report),
            MenuKey::TalkToOfficer => (&self.show_talk_to_officer, &self.label_talk_to_officer),
            MenuKey::Booking => (&self.show_booking, &self.label_booking),
            MenuKey::StatusLookup => (&self.show_status_lookup, &self.label_status_lookup),
            MenuKey::Hotline => (&self.show_hotline, &self.label_hotline),
        }
    }
}

/// Saves a unit's own bot settings.
pub async fn save(app: &App, scope: &Scope, code: &str, form: &SettingsForm) -> Result<(), ServiceError> {
    let unit = crate::units::service::get(app, scope, code).await?;
    scope.require(Action::EditUnit, &unit.path)?;
    let settings = parse_settings(&form.greeting, &form.choices())?;
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    store::put(&mut tx, unit.id, &settings, now, scope.officer_id).await?;
    crate::audit::service::record(
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
