//! The first start of an empty installation: the person who installed caunoi opens a one-time
//! link, printed when the server starts, and creates the top unit and its first admin in the
//! browser (optionally with the starter knowledge base), instead of typing `caunoi units import`
//! and `caunoi users add`. The link is open while the database holds no officer and no setup was
//! recorded; the first setup that commits closes it for good.
//!
//! The link's token is a keyed hash of the instance's secret key ([`crate::crypto::SecretBox`]):
//! every instance of a deployment prints the same link, nothing is stored, and it is useless once
//! an officer exists. Everything is written in one transaction that first claims the
//! `first_setup` instance fact, so of two setups posted at once exactly one is applied and the
//! other changes nothing. Writes go through the owners' services (units, staff, knowledge base).

pub mod http;

use crate::app::App;
use crate::db::StoreError;
use crate::error::ServiceError;
use caunoi_core::input::{FieldErrors, InvalidInput};
use caunoi_core::staff::{Role, check_new_password, parse_display_name, parse_username};
use caunoi_core::units::{UnitCode, UnitDetails, UnitDetailsInput, UnitKind};
use serde::Deserialize;

/// The instance fact recorded by the setup that was applied.
const DONE_FACT: &str = "first_setup";

/// The one-time link's token: 128 bits from the instance's secret key.
fn token(app: &App) -> String {
    app.secrets.keyed_hash("first setup link", b"v1")[..32].to_string()
}

/// The link the server prints at start while the installation waits for its first setup.
pub fn link(app: &App) -> String {
    format!("{}/setup?token={}", app.config.public_url.trim_end_matches('/'), token(app))
}

/// Whether `given` is the link's token (compared in constant time).
pub fn token_matches(app: &App, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(token(app).as_bytes().ct_eq(given.trim().as_bytes()))
}

/// Whether the installation still waits for its first setup: no setup recorded and no officer
/// (an installation set up with `caunoi users add` never opens the link).
pub async fn is_open(app: &App) -> Result<bool, StoreError> {
    if crate::db::instance_fact(&app.db, DONE_FACT).await?.is_some() {
        return Ok(false);
    }
    Ok(!crate::staff::service::any_officer(app).await?)
}

/// What the setup form posts.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SetupInput {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub unit_name: String,
    #[serde(default)]
    pub unit_kind: String,
    #[serde(default)]
    pub unit_code: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_again: String,
    /// "yes" when the starter knowledge base is to be loaded.
    #[serde(default)]
    pub starter_kb: String,
}

/// The kinds a top unit may have, in the order the form offers them.
pub const TOP_KINDS: [UnitKind; 5] =
    [UnitKind::Province, UnitKind::Ward, UnitKind::Commune, UnitKind::SpecialZone, UnitKind::Ministry];

/// A setup that was applied.
#[derive(Debug, Clone)]
pub struct SetupDone {
    pub unit_code: UnitCode,
    pub unit_name: String,
    pub username: String,
    /// Entries of the starter knowledge base loaded (0 when not asked for).
    pub kb_entries: usize,
}

/// Why a setup was not applied.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The installation was set up already (by this form or by the command line).
    #[error("the installation is set up already")]
    Closed,
    /// The link's token is wrong.
    #[error("wrong setup link")]
    WrongToken,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for SetupError {
    fn from(e: StoreError) -> Self {
        SetupError::Service(e.into())
    }
}

impl From<sqlx::Error> for SetupError {
    fn from(e: sqlx::Error) -> Self {
        SetupError::Service(e.into())
    }
}

/// What the form asks for, checked: the unit's code and details, the username, the full name.
type Checked = (UnitCode, UnitDetails, String, String);

/// Every field's error at once, before anything is hashed or written.
fn check(input: &SetupInput) -> Result<Checked, FieldErrors> {
    let mut errs = FieldErrors::default();
    let kind = errs.take(
        UnitKind::parse(&input.unit_kind)
            .ok()
            .filter(|k| TOP_KINDS.contains(k))
            .ok_or_else(|| InvalidInput::new("unit_kind", "Hãy chọn cấp của đơn vị.", "Choose the unit's level.")),
    );
    let details = UnitDetailsInput {
        name: input.unit_name.clone(),
        kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        ..Default::default()
    };
    let unit = match crate::units::service::check_new_unit(&input.unit_code, &details) {
        Ok(unit) => Some(unit),
        Err(unit_errs) => {
            // Without a level chosen, the message above says so once.
            let named = unit_errs.0.into_iter().map(|e| InvalidInput { field: form_field(e.field), ..e });
            errs.0.extend(named.filter(|e| kind.is_some() || e.field != "unit_kind"));
            None
        }
    };
    let username = errs.take(parse_username(&input.username));
    let display_name = errs.take(parse_display_name(&input.display_name));
    errs.take(check_new_password(&input.password));
    if input.password != input.password_again {
        errs.push(InvalidInput::new(
            "password_again",
            "Hai lần nhập mật khẩu không giống nhau.",
            "The two passwords are not the same.",
        ));
    }
    match (unit, username, display_name) {
        (Some((code, details)), Some(u), Some(d)) if errs.is_empty() => Ok((code, details, u, d)),
        _ => Err(errs),
    }
}

/// The form's name for a field the units' service names.
fn form_field(field: &'static str) -> &'static str {
    match field {
        "code" => "unit_code",
        "name" => "unit_name",
        "kind" => "unit_kind",
        other => other,
    }
}

/// Applies the first setup: the top unit, its admin (signed in by the caller), and the starter
/// knowledge base when asked for, in one transaction, or nothing.
pub async fn run(app: &App, input: &SetupInput) -> Result<SetupDone, SetupError> {
    if !token_matches(app, &input.token) {
        return Err(SetupError::WrongToken);
    }
    if !is_open(app).await? {
        return Err(SetupError::Closed);
    }
    let (code, details, username, display_name) = check(input).map_err(ServiceError::from)?;
    let password = input.password.clone();
    let hash = tokio::task::spawn_blocking(move || crate::crypto::hash_password(&password)).await.unwrap_or_default();
    if hash.is_empty() {
        let e = InvalidInput::new(
            "password",
            "Chưa lưu được mật khẩu; hãy thử lại.",
            "The password could not be saved; try again.",
        );
        return Err(ServiceError::from(e).into());
    }
    let now = app.clock.now_micros();
    let mut tx = app.db.begin().await?;
    if !crate::db::claim_instance_fact(&mut tx, DONE_FACT, &now.to_string()).await? {
        return Err(SetupError::Closed);
    }
    // A code taken meanwhile (only by hand in the database: the installation has no unit yet).
    let unit = crate::units::service::create_top_in(&mut tx, &code, &details, now).await.map_err(|e| match e {
        ServiceError::Invalid(errs) => ServiceError::Invalid(FieldErrors(
            errs.0.into_iter().map(|e| InvalidInput { field: form_field(e.field), ..e }).collect(),
        )),
        other => other,
    })?;
    crate::staff::service::insert_with_grant(&mut tx, &username, &display_name, &hash, Role::Admin, unit, None, now)
        .await?;
    let kb_entries =
        if input.starter_kb == "yes" { crate::kb::service::import_starter_in(&mut tx, None, now).await? } else { 0 };
    tx.commit().await?;
    crate::units::service::routing_changed(app);
    if kb_entries > 0 {
        crate::kb::service::reload(app).await?;
    }
    tracing::info!(unit = code.as_str(), kb_entries, "first setup applied: the setup link is closed");
    Ok(SetupDone { unit_code: code, unit_name: details.name, username, kb_entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> SetupInput {
        SetupInput {
            token: String::new(),
            unit_name: "Công an tỉnh Quảng Ninh".into(),
            unit_kind: "province".into(),
            unit_code: "quang-ninh".into(),
            display_name: "Nguyễn Văn An".into(),
            username: "admin.qn".into(),
            password: "mat-khau-rat-dai".into(),
            password_again: "mat-khau-rat-dai".into(),
            starter_kb: "yes".into(),
        }
    }

    #[test]
    fn a_good_form_passes_and_every_bad_field_is_named() {
        assert!(check(&good()).is_ok());
        let bad = SetupInput {
            unit_name: " ".into(),
            unit_kind: "team".into(),
            unit_code: "Quảng Ninh!".into(),
            username: "A B".into(),
            password: "short".into(),
            password_again: "other".into(),
            ..good()
        };
        let errs = check(&bad).unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field).collect();
        for f in ["unit_kind", "unit_code", "username", "password", "password_again"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        // The name is checked once a level is chosen.
        let errs = check(&SetupInput { unit_name: " ".into(), ..good() }).unwrap_err();
        assert_eq!(errs.0.iter().map(|e| e.field).collect::<Vec<_>>(), ["unit_name"]);
    }
}
