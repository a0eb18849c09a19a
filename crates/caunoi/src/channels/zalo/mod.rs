//! The Zalo OA channel on caunoi-zalo: the signed webhook that stores raw events durably
//! ([`webhook`]), media downloads ([`media`]), the sender the outbox calls ([`sender`]) and the
//! OA token pairs kept encrypted in `oa_tokens` ([`tokens`]), and the translation of a stored
//! event into a channel-neutral inbound message ([`inbound`]). Zalo's consultation messages
//! have no buttons: `caunoi_core::conversations::fit_to_channel` turns a reply's buttons into a
//! numbered list for it, and reads the citizen's number back.

pub mod bindings;
pub mod inbound;
pub mod media;
pub mod sender;
pub mod store;
pub mod tokens;
pub mod webhook;

use crate::app::App;
use crate::error::ServiceError;
use caunoi_zalo::TokenPair;

/// Stores the token pair of an OA bound to a unit (after the OAuth grant; the demo and tests
/// use the fake's start tokens). Replaces any previous pair.
pub async fn connect_tokens(app: &App, oa_id: &str, pair: &TokenPair) -> Result<(), ServiceError> {
    let binding = store::binding_by_oa(&app.db, oa_id).await?.ok_or(ServiceError::NotFound)?;
    tokens::save_pair(&app.db, &app.secrets, binding.unit_id, oa_id, pair, app.clock.now_micros()).await?;
    app.channels().zalo.forget(oa_id).await;
    Ok(())
}
