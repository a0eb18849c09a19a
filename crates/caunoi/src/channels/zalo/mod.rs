//! The Zalo OA channel on caunoi-zalo: the signed webhook that stores raw events durably
//! ([`webhook`]), media downloads ([`media`]), the sender the outbox calls ([`sender`]) and the
//! OA token pairs kept encrypted in `oa_tokens` ([`tokens`]), and the translation of a stored
//! event into a channel-neutral inbound message ([`inbound`]). Zalo's consultation messages
//! have no buttons: `caunoi_core::conversations::fit_to_channel` turns a reply's buttons into a
//! numbered list for it, and reads the citizen's number back.
//!
//! A unit's OA connection lives in `zalo_oa_connections` ([`store`]): admins connect it from
//! the console through Zalo's consent page or a pasted token pair ([`console`], use cases in
//! [`service`], statuses in [`connection`]); Zalo's domain verification is served at the site
//! root ([`site`]). Other features read a connection only through [`service`].

pub mod bindings;
pub mod connection;
pub mod console;
pub mod inbound;
pub mod media;
pub mod sender;
pub mod service;
pub mod site;
pub mod store;
pub mod tokens;
pub mod webhook;

use crate::app::App;
use axum::Router;

/// The Zalo routes: the webhook, the console's connection pages and the callback, and the
/// domain verification at the site root.
pub fn routes() -> Router<App> {
    webhook::routes().merge(console::routes()).merge(site::routes())
}
