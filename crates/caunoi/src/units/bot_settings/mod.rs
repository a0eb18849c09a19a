//! A unit's bot settings (cài đặt trợ lý tự động: lời chào, menu): a greeting and menu stored per unit
//! ([`store`]), inherited by the units below that set none, kept in memory for the bot
//! ([`BotSettingsLive`]: the bot runs inside the worker's transaction and must not query), and
//! edited on the unit's console page by admins and leaders ([`service`], [`http`]).

pub mod http;
pub mod service;
pub mod store;

use crate::app::App;
use crate::db::{Db, StoreError};
use caunoi_core::bot::BotSettings;
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
        let map = store::all(db).await?.into_iter().collect();
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
