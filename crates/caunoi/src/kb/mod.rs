//! The knowledge base in the application: storage, the live per-unit index, use cases, the
//! console pages and the `caunoi kb` commands.

pub mod cli;
pub mod http;
pub mod live;
pub mod service;
pub mod store;
