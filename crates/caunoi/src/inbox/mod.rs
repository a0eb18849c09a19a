//! The officer inbox (hộp thư): queues of conversations, one conversation with its thread and
//! actions, replies (text, photos, documents — see [`media`]) that leave through the outbox,
//! internal notes, canned replies, the duty roster and live updates over server-sent events.
//!
//! What does not live here: how a citizen's message arrives and what the bot answers
//! (`conversations`), how a queued reply reaches Zalo (`outbox`), and the rules themselves
//! (`caunoi_core::inbox`: status transitions, queue predicates, the roster pick, the reply
//! window, canned variables), which this module only applies.
//!
//! For the pipeline: [`service::assign_on_duty`] gives a conversation that was just handed to a
//! human to the on-duty officer with the fewest open conversations; [`presence::of_unit`] tells
//! the bot whether anyone is on duty and how long citizens typically wait.

pub mod alarms;
pub mod http;
pub mod media;
pub mod presence;
pub mod service;
pub mod store;
