//! The routing runtime: every unit's area ([`Boundaries`]) and names ([`AddressMatcher`]) in
//! memory, built from the units table on first use and dropped when a unit changes, so a report
//! is routed without a query. Other features call `units::service::route_point` and
//! `route_address`; this module is the cache behind them.
//!
//! Invariant: what is cached was built from one read of the units table, and is thrown away by
//! every unit change made through `units::service` in this process ([`RoutingLive::invalidate`])
//! and, for changes made by another instance or the CLI, by housekeeping's
//! [`RoutingLive::refresh_if_changed`] (the table's count and latest `updated_at`).

use super::store;
use crate::app::App;
use crate::db::{Db, StoreError};
use caunoi_core::geo::{AddressMatcher, Boundaries, parse_boundary};
use caunoi_core::units::UnitId;
use std::sync::{Arc, RwLock};

/// The index and the matcher, built together from one read.
pub struct Routing {
    pub boundaries: Arc<Boundaries<UnitId>>,
    pub addresses: Arc<AddressMatcher<UnitId>>,
    fingerprint: (i64, i64),
}

/// The process's routing cache.
#[derive(Default)]
pub struct RoutingLive {
    current: RwLock<Option<Arc<Routing>>>,
}

impl App {
    /// The routing cache (`units::service::boundaries`, `address_matcher`, `route_point`…).
    pub fn routing(&self) -> &RoutingLive {
        self.runtime()
    }
}

impl RoutingLive {
    /// The current index and matcher, built now if a change dropped them.
    pub async fn get(&self, db: &Db) -> Result<Arc<Routing>, StoreError> {
        if let Some(r) = self.current.read().ok().and_then(|c| c.clone()) {
            return Ok(r);
        }
        let built = Arc::new(build(db).await?);
        if let Ok(mut c) = self.current.write() {
            *c = Some(built.clone());
        }
        Ok(built)
    }

    /// Drops what is cached; the next look-up rebuilds it. Called after every unit change.
    pub fn invalidate(&self) {
        if let Ok(mut c) = self.current.write() {
            *c = None;
        }
    }

    /// Drops the cache when the units table changed since it was built (another instance, the
    /// CLI). Returns whether it did.
    pub async fn refresh_if_changed(&self, db: &Db) -> Result<bool, StoreError> {
        let Some(known) = self.current.read().ok().and_then(|c| c.as_ref().map(|r| r.fingerprint)) else {
            return Ok(false);
        };
        if store::fingerprint(db).await? != known {
            self.invalidate();
            return Ok(true);
        }
        Ok(false)
    }
}

async fn build(db: &Db) -> Result<Routing, StoreError> {
    let fingerprint = store::fingerprint(db).await?;
    let rows = store::routing_rows(db).await?;
    let mut former: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for (unit, name) in store::all_former_names(db).await? {
        former.entry(unit).or_default().push(name);
    }
    // Parsing a whole country's boundaries takes about a second: off the async workers.
    let built = tokio::task::spawn_blocking(move || {
        let mut areas = Vec::new();
        let mut names = Vec::with_capacity(rows.len());
        let mut parents = Vec::new();
        for row in rows {
            let id = UnitId(row.id);
            if let Some(text) = &row.boundary {
                match parse_boundary(text) {
                    Ok(b) => areas.push((id, b)),
                    // Stored before boundaries were validated: the unit is left out of routing
                    // by place until an admin uploads a valid one.
                    Err(e) => tracing::warn!(unit = row.id, error = %e, "a stored unit boundary is invalid"),
                }
            }
            if let Some(p) = row.parent_id {
                parents.push((id, UnitId(p)));
            }
            // The current name first, then the names merged into it in 2025 ("phường Hồng Hải").
            let mut unit_names = vec![row.name];
            unit_names.extend(former.remove(&row.id).unwrap_or_default());
            names.push((id, unit_names));
        }
        Routing {
            boundaries: Arc::new(Boundaries::new(areas)),
            addresses: Arc::new(AddressMatcher::new(names).with_parents(parents)),
            fingerprint,
        }
    })
    .await;
    match built {
        Ok(routing) => Ok(routing),
        // The build reads only validated text and does not panic; if it ever did, say so loudly.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Cancelled: only when the runtime shuts down, as the pool closes.
        Err(_) => Err(StoreError::Sql(sqlx::Error::PoolClosed)),
    }
}
