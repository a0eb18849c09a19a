//! Reports and tips (tin báo, phản ánh): a citizen's report from any channel becomes one case,
//! routed to the responsible unit, worked on the board with its legal clock, and answered
//! through the channel it came from. The rules (statuses, clocks, categories, codes) are in
//! `caunoi_core::cases`; here are storage ([`store`]), use cases ([`service`]) and the
//! category cache every request reads.

pub mod alarms;
pub mod bench;
pub mod category_service;
pub mod category_store;
pub mod digest;
pub mod handling;
pub mod http;
pub mod open311;
pub mod open311_console;
pub mod open311_http;
pub mod open311_xml;
pub mod public;
pub mod public_http;
pub mod public_store;
pub mod service;
pub mod store;
pub mod worker;

use caunoi_core::cases::Category;
use caunoi_core::units::UnitId;
use std::sync::{Arc, RwLock};

/// Open311's routers: the API and the console's key screen.
pub fn open311_routes() -> axum::Router<crate::app::App> {
    open311_http::routes().merge(open311_console::routes())
}

/// A unit a case may be forwarded to (`handling::forward_targets`).
#[derive(Debug, Clone)]
pub struct ForwardTarget {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    pub depth: usize,
}

/// The deployment's categories with their enabled flag, loaded at start and after each edit.
#[derive(Default)]
pub struct Categories(RwLock<Arc<Vec<(Category, bool)>>>);

impl Categories {
    pub fn current(&self) -> Arc<Vec<(Category, bool)>> {
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn replace(&self, cats: Vec<(Category, bool)>) {
        let cats = Arc::new(cats);
        match self.0.write() {
            Ok(mut g) => *g = cats,
            Err(poisoned) => *poisoned.into_inner() = cats,
        }
    }
}
