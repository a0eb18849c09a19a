//! Conversations (hội thoại): citizens' contacts per channel, their conversations with a unit,
//! the messages both ways with the buttons of the bot's replies, and the inbound event log the
//! channels write into. The only writer of `contacts`, `conversations`, `messages`,
//! `reply_buttons`, `inbound_events` and `inbound_applied`; other features go through
//! [`service`], which calls none of them (so the inbox and the cases can use it without an
//! import circle).
//!
//! The path of a message: a channel hands over a channel-neutral message (the web chat
//! directly, Zalo through the stored event log and the [`worker`]); [`processing`] opens the
//! transaction; [`turns`] writes the contact, conversation and message, asks [`unit::plan`]
//! (which calls the pure `caunoi_core::conversations::plan_turn`) and writes the turn, the
//! replies and their outbox rows (a report flow's case is filed or completed there, by
//! [`case_flow`]); [`store`] holds the SQL.

pub mod case_flow;
pub mod processing;
pub mod retention;
pub mod service;
pub mod store;
pub mod turns;
pub mod unit;
pub mod worker;
