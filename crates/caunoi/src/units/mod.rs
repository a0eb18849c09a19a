//! The unit tree: storage, use cases (edit, move, import, Zalo binding) and the console and
//! public pages.

pub mod bot_settings;
pub mod emblem;
pub mod http;
pub mod import;
pub mod public;
pub mod routing;
pub mod service;
pub mod store;
