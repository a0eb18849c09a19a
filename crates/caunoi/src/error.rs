//! The error every service returns. The web layer turns each variant into a status code and a
//! message people can act on; the CLI turns it into one sentence.

use crate::config::ConfigError;
use crate::db::{ConnectError, StoreError};
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

/// A failure reported to the operator in one sentence.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("the database could not be prepared: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Message(String),
}

impl From<ServiceError> for CliError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(errs) => CliError::Message(format!("invalid input: {errs}")),
            ServiceError::Store(s) => CliError::Store(s),
            other => CliError::Message(other.to_string()),
        }
    }
}
