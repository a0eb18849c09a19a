//! caunoi's pure domain: one module per feature, plain types and rules, no I/O.
//! Time comes in as a value; nothing here touches a database or the network.

pub mod audit;
pub mod bot;
pub mod cases;
pub mod conversations;
pub mod diff;
pub mod geo;
pub mod inbox;
pub mod input;
pub mod kb;
pub mod phone;
pub mod staff;
pub mod units;
