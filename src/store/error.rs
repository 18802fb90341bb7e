//! Errors of the store layer.

use std::sync::Arc;

use sea_orm::DbErr;

use crate::domain::DomainError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such resource in the caller's tenant (it may exist in another).
    #[error("{resource} not found")]
    NotFound {
        /// The resource name that was looked up, e.g. `interactions/abc`.
        resource: String,
    },
    /// A uniqueness rule refused the write, e.g. an idempotency key reused
    /// with different parameters.
    #[error("{message}")]
    Conflict {
        /// What conflicted, for the client.
        message: String,
        /// Machine-readable reason, e.g. `IDEMPOTENCY_KEY_REUSED`.
        reason: &'static str,
    },
    /// The request's idempotency key already produced `resource` (found
    /// inside a create's transaction, which is rolled back); the caller
    /// answers with that resource.
    #[error("{resource} was already created for this idempotency key")]
    Replay {
        /// The resource name the key produced.
        resource: String,
    },
    /// An `etag` precondition failed.
    #[error("{resource} has changed: etag {actual} does not match {expected}")]
    EtagMismatch {
        /// The resource name.
        resource: String,
        /// The etag the client sent.
        expected: String,
        /// The current etag.
        actual: String,
    },
    /// A domain rule refused the change (checked inside the transaction).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// The transaction that carried this write failed to commit.
    #[error("commit failed: {0}")]
    Commit(Arc<DbErr>),
    /// A stored row could not be mapped back to the domain.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The store is shutting down or its writer has stopped.
    #[error("the store is unavailable")]
    Unavailable,
}

impl StoreError {
    /// `NotFound` for a resource name.
    pub fn not_found(resource: impl Into<String>) -> Self {
        Self::NotFound {
            resource: resource.into(),
        }
    }

    /// `Corrupt` for an unexpected stored value.
    pub fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}
