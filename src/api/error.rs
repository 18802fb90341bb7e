//! Maps domain and store errors to `tonic::Status`, in one place, with
//! AIP-193 details: every error carries an `ErrorInfo` (reason, domain
//! `switchboard.v1`); invalid input lists every field violation in a
//! `BadRequest`; refused transitions carry a `PreconditionFailure` naming the
//! current state; retryable errors carry a `RetryInfo`. Internal details are
//! logged here and never sent to clients.

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::{DbErr, RuntimeErr};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::domain::DomainError;
use crate::store::StoreError;

/// The `ErrorInfo.domain` of every error Switchboard returns.
pub const ERROR_DOMAIN: &str = "switchboard.v1";

fn with_info(
    code: Code,
    message: impl Into<String>,
    reason: &str,
    metadata: HashMap<String, String>,
) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(reason, ERROR_DOMAIN, metadata);
    Status::with_error_details(code, message, details)
}

/// `INVALID_ARGUMENT` for one field.
pub fn invalid_argument(field: &str, description: impl Into<String>) -> Status {
    Status::from(DomainError::invalid(field, description))
}

/// `NOT_FOUND` for a resource name; the message is identical whether the
/// resource is missing or belongs to another tenant.
pub fn not_found(resource: &str) -> Status {
    with_info(
        Code::NotFound,
        format!("{resource} not found"),
        "RESOURCE_NOT_FOUND",
        HashMap::from([("resource".to_owned(), resource.to_owned())]),
    )
}

/// `PERMISSION_DENIED` with an `ErrorInfo` reason.
pub fn permission_denied(message: impl Into<String>, reason: &str) -> Status {
    with_info(Code::PermissionDenied, message, reason, HashMap::new())
}

/// `UNIMPLEMENTED` for a method that is not built yet.
pub fn unimplemented(method: &str) -> Status {
    with_info(
        Code::Unimplemented,
        format!("{method} is not implemented yet"),
        "NOT_IMPLEMENTED",
        HashMap::new(),
    )
}

impl From<DomainError> for Status {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::InvalidArgument(violations) => {
                let message = DomainError::InvalidArgument(violations.clone()).to_string();
                let mut details = ErrorDetails::with_bad_request(
                    violations
                        .into_iter()
                        .map(|v| FieldViolation::new(v.field, v.description))
                        .collect::<Vec<_>>(),
                );
                details.set_error_info("INVALID_ARGUMENT", ERROR_DOMAIN, HashMap::new());
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            DomainError::InvalidTransition {
                resource,
                action,
                state,
                reason,
            } => {
                let message = format!("cannot {action} {resource} in state {state}");
                let mut details = ErrorDetails::new();
                details.add_precondition_failure_violation("STATE", resource.clone(), message.clone());
                details.set_error_info(
                    reason,
                    ERROR_DOMAIN,
                    HashMap::from([
                        ("resource".to_owned(), resource),
                        ("currentState".to_owned(), state),
                        ("action".to_owned(), action),
                    ]),
                );
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
        }
    }
}

impl From<StoreError> for Status {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { resource } => not_found(&resource),
            // Services answer a replay with the resource; this is a fallback.
            StoreError::Replay { resource } => with_info(
                Code::AlreadyExists,
                format!("{resource} was already created for this idempotency key"),
                "IDEMPOTENT_REPLAY",
                HashMap::from([("resource".to_owned(), resource)]),
            ),
            StoreError::Conflict { message, reason } => {
                with_info(Code::AlreadyExists, message, reason, HashMap::new())
            }
            StoreError::EtagMismatch {
                resource,
                expected,
                actual,
            } => with_info(
                Code::Aborted,
                format!("{resource} has changed since it was read; read it again and retry"),
                "ETAG_MISMATCH",
                HashMap::from([
                    ("expectedEtag".to_owned(), expected),
                    ("currentEtag".to_owned(), actual),
                ]),
            ),
            StoreError::Domain(domain) => domain.into(),
            StoreError::Unavailable => retryable("the store is unavailable; retry"),
            StoreError::Db(ref db) if is_transient(db) => {
                tracing::warn!(error = %error, "transient database error");
                retryable("the database is busy; retry")
            }
            StoreError::Commit(ref db) if is_transient(db) => {
                tracing::warn!(error = %error, "transient database error");
                retryable("the database is busy; retry")
            }
            StoreError::Db(_) | StoreError::Commit(_) | StoreError::Corrupt(_) => {
                tracing::error!(error = %error, "internal store error");
                with_info(Code::Internal, "internal error", "INTERNAL", HashMap::new())
            }
        }
    }
}

fn retryable(message: &str) -> Status {
    let mut details = ErrorDetails::with_retry_info(Some(Duration::from_secs(1)));
    details.set_error_info("UNAVAILABLE", ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(Code::Unavailable, message, details)
}

fn is_transient(error: &DbErr) -> bool {
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            let text = e.to_string();
            // SQLITE_BUSY / SQLITE_LOCKED, PostgreSQL serialization failures.
            text.contains("database is locked") || text.contains("could not serialize")
        }
        _ => false,
    }
}
