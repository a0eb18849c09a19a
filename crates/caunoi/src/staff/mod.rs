//! Officers: accounts, grants, sign-in and sessions.

pub mod http;
pub mod service;
pub mod store;
