//! Conversations (hội thoại): citizens' contacts per channel, their conversations with a unit,
//! the messages both ways, and the inbound event log the channels write into. The worker
//! ([`worker`]) processes stored events; [`service::process_inbound`] does one event's whole
//! effect in one transaction (message, bot turn, state, outbox rows, processed mark).
//!
//! For the inbox console and the web chat: `service::list` / `service::get` (scoped reads),
//! `store::NewMessage` + the store writers that take a `&mut Tx`, and `conversations.status` spelled as
//! `caunoi_core::inbox::Status` (`bot`, `waiting_human`, `assigned`, `closed`).

pub mod bot;
pub mod service;
pub mod store;
pub mod worker;
