//! Web Push (thông báo đẩy): alarms that reach a duty officer's phone or desktop even when no
//! console page is open. [`crypto`] holds the RFC 8291/8292 primitives, [`subscription`] the
//! parsing of what browsers post (and which endpoints may be reached).

pub mod crypto;
pub mod subscription;
