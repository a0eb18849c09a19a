//! OA token pairs at rest: encrypted with the instance key in `oa_tokens`, one row per OA.
//! [`DbTokenPersistence`] is caunoi-zalo's [`TokenPersistence`]: the token store calls it with
//! every rotated pair before the new access token is used, and it replaces the row in one
//! statement, so a crash never leaves a dead refresh token behind a live one.

use super::store::{self, TokenRow};
use crate::app::Clock;
use crate::crypto::SecretBox;
use crate::db::{Db, StoreError};
use caunoi_zalo::token::BoxFuture;
use caunoi_zalo::{OaId, Secret, TokenPair, TokenPersistence};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct SealedPair {
    access_token: String,
    refresh_token: String,
    access_expires_at_ms: i64,
    refresh_expires_at_ms: i64,
    rotated_at_ms: i64,
}

/// An OA's pair encrypted as one `oa_tokens` row.
pub fn sealed_row(secrets: &SecretBox, unit_id: i64, oa_id: &str, pair: &TokenPair, now: i64) -> TokenRow {
    let sealed = SealedPair {
        access_token: pair.access_token.expose().to_string(),
        refresh_token: pair.refresh_token.expose().to_string(),
        access_expires_at_ms: pair.access_expires_at_ms,
        refresh_expires_at_ms: pair.refresh_expires_at_ms,
        rotated_at_ms: pair.rotated_at_ms,
    };
    let plain = serde_json::to_vec(&sealed).unwrap_or_default();
    TokenRow {
        oa_id: oa_id.to_string(),
        unit_id,
        sealed_tokens: secrets.encrypt(&plain),
        access_expires_at: pair.access_expires_at_ms.saturating_mul(1000),
        refresh_expires_at: pair.refresh_expires_at_ms.saturating_mul(1000),
        updated_at: now,
    }
}

/// Encrypts and stores an OA's pair.
pub async fn save_pair(
    db: &Db,
    secrets: &SecretBox,
    unit_id: i64,
    oa_id: &str,
    pair: &TokenPair,
    now: i64,
) -> Result<(), StoreError> {
    store::save_tokens(db, &sealed_row(secrets, unit_id, oa_id, pair, now)).await
}

/// Loads and decrypts an OA's pair; `None` when the OA was never connected or the row does not
/// decrypt with this instance's key.
pub async fn load_pair(db: &Db, secrets: &SecretBox, oa_id: &str) -> Result<Option<TokenPair>, StoreError> {
    let Some(row) = store::tokens(db, oa_id).await? else { return Ok(None) };
    let Ok(plain) = secrets.decrypt(&row.sealed_tokens) else {
        tracing::error!(oa_id, "the OA token pair does not decrypt with the instance key");
        return Ok(None);
    };
    let Ok(p) = serde_json::from_slice::<SealedPair>(&plain) else { return Ok(None) };
    Ok(Some(TokenPair {
        access_token: Secret::new(p.access_token),
        refresh_token: Secret::new(p.refresh_token),
        access_expires_at_ms: p.access_expires_at_ms,
        refresh_expires_at_ms: p.refresh_expires_at_ms,
        rotated_at_ms: p.rotated_at_ms,
    }))
}

/// Saves rotated pairs of one OA into `oa_tokens`.
pub struct DbTokenPersistence {
    pub db: Db,
    pub secrets: SecretBox,
    pub clock: Clock,
    pub unit_id: i64,
}

impl TokenPersistence for DbTokenPersistence {
    fn save<'a>(&'a self, oa_id: &'a OaId, pair: &'a TokenPair) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let now = self.clock.now_micros();
            save_pair(&self.db, &self.secrets, self.unit_id, oa_id.as_str(), pair, now).await.map_err(|e| e.to_string())
        })
    }
}
