//! The client's address as a request extractor, read through the configured trusted proxies
//! ([`crate::proxies`]). Addresses are used only hashed and are never logged.

use crate::app::App;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::SocketAddr;

/// The client's address as a string, for the keyed hashes of rate limits and throttling.
pub fn client_address(app: &App, parts: &Parts) -> String {
    match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(peer)) => app.config.trusted_proxies.client_ip(peer.ip(), &parts.headers).to_string(),
        None => "unknown".into(),
    }
}

/// The client's address (see [`client_address`]); hashed before any use.
pub struct ClientAddr(pub String);

impl FromRequestParts<App> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_address(app, parts)))
    }
}
