//! The audit log: written in the same transaction as the change it records, read by admins.

pub mod http;
pub mod service;
pub mod store;
