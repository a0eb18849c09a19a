//! The OA bindings the hot paths need (every webhook, every send): which unit an OA is
//! connected to, its status and its decrypted secrets, read from `zalo_oa_connections` and kept
//! for [`TTL`]. A connection changed on this instance is forgotten at once
//! ([`BindingCache::forget`] from `service`); another instance sees the change within [`TTL`]. Only bindings that exist are kept, so
//! requests for made-up OA ids cannot grow the cache, and it never holds more than
//! [`MAX_ENTRIES`] (about 12,000 government accounts exist nationwide).

use super::connection::{OaStatus, ZaloSecrets};
use super::store;
use crate::app::App;
use crate::db::StoreError;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a binding read from the database is used before it is read again.
pub const TTL: Duration = Duration::from_secs(5);
/// Most bindings kept; past it the cache starts over.
pub const MAX_ENTRIES: usize = 20_000;

/// An OA's binding with its secrets decrypted (None when they are missing or do not decrypt
/// with the instance key).
pub struct Binding {
    pub unit_id: i64,
    pub unit_code: String,
    pub app_id: String,
    /// The sealed form, which identifies this version of the secrets.
    pub sealed_secrets: String,
    pub secrets: Option<ZaloSecrets>,
    pub status: OaStatus,
}

#[derive(Default)]
pub struct BindingCache {
    entries: RwLock<HashMap<String, (Instant, Arc<Binding>)>>,
}

impl BindingCache {
    /// The binding of `oa_id`, from the cache while fresh, else from the database.
    pub async fn get(&self, app: &App, oa_id: &str) -> Result<Option<Arc<Binding>>, StoreError> {
        if let Some(found) = self.fresh(oa_id) {
            return Ok(Some(found));
        }
        let Some(row) = store::binding_by_oa(&app.db, oa_id).await? else {
            self.forget(oa_id);
            return Ok(None);
        };
        let binding = Arc::new(Binding {
            secrets: super::service::open_secrets(app, &row.sealed_secrets),
            status: OaStatus::parse(&row.status),
            unit_id: row.unit_id,
            unit_code: row.unit_code,
            app_id: row.app_id,
            sealed_secrets: row.sealed_secrets,
        });
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(oa_id.to_string(), (Instant::now(), Arc::clone(&binding)));
        Ok(Some(binding))
    }

    fn fresh(&self, oa_id: &str) -> Option<Arc<Binding>> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries.get(oa_id).filter(|(at, _)| at.elapsed() < TTL).map(|(_, b)| Arc::clone(b))
    }

    pub fn forget(&self, oa_id: &str) {
        self.entries.write().unwrap_or_else(|p| p.into_inner()).remove(oa_id);
    }
}
