//! What the inbox's screens share: labels for statuses, channels and citizens, and the unit a
//! management page is about.

use crate::app::App;
use crate::web::{CurrentOfficer, Opt, T, WebError};
use caunoi_core::conversations::{Channel, ContactId};
use caunoi_core::inbox::Status;
use caunoi_core::input::Lang;
use serde::Deserialize;

pub(super) fn status_label(t: &T, s: Status) -> &'static str {
    match t.lang {
        Lang::Vi => s.label_vi(),
        Lang::En => s.label_en(),
    }
}

pub(super) fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Zalo => "Zalo",
        Channel::Web => "Web",
    }
}

pub(super) fn citizen_label(t: &T, name: Option<&str>, contact_id: ContactId) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => format!("{} #{contact_id}", t.tr("Người dân", "Citizen")),
    }
}

/// A queue row as the list shows it.

// ---------------------------------------------------------------------------------------------
// Canned replies and the duty roster

#[derive(Deserialize, Default)]
pub(super) struct UnitQuery {
    #[serde(default)]
    pub(super) unit: String,
    #[serde(default)]
    pub(super) saved: Option<String>,
}

/// The unit a management page is about: the one asked for, else the officer's first unit.
pub(super) async fn unit_choice(app: &App, me: &CurrentOfficer, asked: &str) -> Result<(Vec<Opt>, String), WebError> {
    let units = crate::units::service::list_in_scope(app, &me.scope).await?;
    let chosen = if asked.trim().is_empty() {
        units.first().map(|u| u.code.to_string()).ok_or(WebError::NotFound)?
    } else {
        asked.trim().to_string()
    };
    let opts = units.into_iter().map(|u| Opt::unit(&u, u.code.as_str() == chosen)).collect();
    Ok((opts, chosen))
}

#[derive(Deserialize)]
pub(super) struct BackForm {
    #[serde(default)]
    pub(super) unit: String,
}
