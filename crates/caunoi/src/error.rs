//! The error every service returns. The web layer turns each variant into a status code and a
//! message people can act on; the CLI turns it into one sentence.

use crate::db::StoreError;
use caunoi_core::input::FieldErrors;
use caunoi_core::staff::Forbidden;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The thing does not exist or lies outside the caller's scope (the two are not told apart,
    /// so scope does not leak what exists elsewhere).
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(#[from] Forbidden),
    #[error("{0}")]
    Invalid(#[from] FieldErrors),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Store(StoreError::Sql(e))
    }
}

impl From<caunoi_core::input::InvalidInput> for ServiceError {
    fn from(e: caunoi_core::input::InvalidInput) -> Self {
        ServiceError::Invalid(FieldErrors(vec![e]))
    }
}
