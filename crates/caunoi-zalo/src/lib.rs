//! The Zalo Official Account protocol for caunoi (zalo-oa.md is the specification).
//!
//! - [`event`]: webhook events parsed from raw bytes; unknown kinds are kept, never rejected.
//! - [`signature`]: the `X-ZEvent-Signature` check (plain SHA-256, not HMAC).
//! - [`consent`]: the OA admin's consent: PKCE and the permission page's URL.
//! - [`token`]: OAuth v4 code exchange and refresh, the per-OA token store (single-flight,
//!   atomic rotation).
//! - [`client`]: the OpenAPI client (consultation messages, uploads, user detail, templates)
//!   with typed errors ([`error`]) and the per-App rate limiter.
//! - `fake` (feature `fake`): the in-process fake Zalo server — the only fake of the project.
//!
//! This crate knows nothing of caunoi's database or cases: the app implements
//! [`token::TokenPersistence`] and decides what events mean.

pub mod client;
pub mod consent;
pub mod error;
pub mod event;
pub mod ids;
pub mod secret;
pub mod signature;
pub mod token;

#[cfg(feature = "fake")]
pub mod fake;

pub use client::{
    AppRateLimiter, ImageSource, OaClient, OaClientConfig, OaInfo, PhoneTemplate, SentMessage, SentTemplate, Upload,
    UserDetail, ZaloEndpoints,
};
pub use error::{ApiError, TokenError, ZaloErrorKind, ZaloHost};
pub use event::{Attachment, Event, EventError, EventKind, MessageKind};
pub use ids::{AppId, MessageId, OaId, UserId};
pub use secret::Secret;
pub use signature::{SignatureConfig, SignatureError, WebhookCredentials};
pub use token::{OAuthClient, TokenPair, TokenPersistence, TokenStore};
