//! caunoi: the application crate. Each feature has its storage (`store.rs`), use cases
//! (`service.rs`) and routes (`http.rs`); the pure rules live in `caunoi-core`. Infrastructure:
//! configuration, the database, the web edge, the server, and the demo data.

pub mod app;
pub mod audit;
pub mod cases;
pub mod channels;
pub mod cli;
pub mod config;
pub mod conversations;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod inbox;
pub mod kb;
pub mod media;
pub mod outbox;
pub mod proxies;
pub mod push;
pub mod scope_sql;
pub mod server;
pub mod setup;
pub mod staff;
pub mod units;
pub mod web;
