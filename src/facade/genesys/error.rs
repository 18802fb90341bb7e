//! Every failure the Genesys dialect answers, in one place: the GWS
//! `{"statusCode":N,"statusMessage":"…"}` envelope ("No other attributes"),
//! the HTTP status that accompanies each code (GWS does not document one; we
//! send the code's meaning), the mapping from `tonic::Status`, and the CSRF
//! rejection, whose plain-text body is the one the GWS CSRF page documents.
//!
//! | statusCode | meaning (GWS return values)          | HTTP | from gRPC |
//! |-----------:|--------------------------------------|-----:|-----------|
//! | 1          | required parameter missing           | 400 | `INVALID_ARGUMENT` naming a missing field |
//! | 2          | parameter not valid for current state| 400 | `FAILED_PRECONDITION`; unknown `operationName` |
//! | 3          | operation forbidden                  | 403 (405 for a wrong method) | — |
//! | 4          | internal error                       | 500 (501 for `UNIMPLEMENTED`) | `INTERNAL`, `UNKNOWN`, `DATA_LOSS`, `UNIMPLEMENTED` |
//! | 5          | user lacks permission                | 403 | `PERMISSION_DENIED` |
//! | 6          | resource not found                   | 404 | `NOT_FOUND` (also another tenant's id) |
//! | 9          | processing incomplete                | 503 (429 for `RESOURCE_EXHAUSTED`) | `UNAVAILABLE`, `DEADLINE_EXCEEDED`, `CANCELLED`, `RESOURCE_EXHAUSTED` |
//! | 10         | input validation error               | 400 (413 for an oversized body) | other `INVALID_ARGUMENT`, `OUT_OF_RANGE`; malformed JSON, wrong types |
//! | 18         | resource already exists              | 409 | `ALREADY_EXISTS` |
//! | 19         | resource already in use              | 409 | `ABORTED` (concurrent change) |
//! | 20         | user not authenticated               | 401 | `UNAUTHENTICATED`; missing credentials |

use axum::Json;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use super::dto::Failure;

/// The GWS return-value codes Switchboard sends.
pub mod code {
    /// A required parameter is missing.
    pub const MISSING_PARAMETER: u8 = 1;
    /// A parameter is not valid for the current state (also: an operation the
    /// resource does not support).
    pub const INVALID_FOR_STATE: u8 = 2;
    /// The operation is forbidden.
    pub const FORBIDDEN: u8 = 3;
    /// An internal error.
    pub const INTERNAL: u8 = 4;
    /// The user lacks permission.
    pub const NO_PERMISSION: u8 = 5;
    /// The resource does not exist.
    pub const NOT_FOUND: u8 = 6;
    /// Processing incomplete; retry.
    pub const INCOMPLETE: u8 = 9;
    /// A value is not valid.
    pub const VALIDATION: u8 = 10;
    /// The resource already exists.
    pub const ALREADY_EXISTS: u8 = 18;
    /// The resource is in use (changed concurrently).
    pub const IN_USE: u8 = 19;
    /// The user is not authenticated.
    pub const UNAUTHENTICATED: u8 = 20;
}

/// The body of the CSRF rejection, as documented.
pub const CSRF_MESSAGE: &str = "Missing or invalid Csrf token";

/// A failed request, answered as the GWS envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The HTTP status.
    pub http: StatusCode,
    /// The GWS `statusCode`, never 0.
    pub code: u8,
    /// The GWS `statusMessage`.
    pub message: String,
}

/// What a gRPC error is about, so it can be told in the operation's words.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The Genesys operation, e.g. `SetCallCompleted`.
    pub operation: &'a str,
    /// Proto field path prefix → Genesys parameter name.
    pub fields: &'a [(&'a str, &'a str)],
}

impl Error {
    /// An error with the HTTP status that goes with `code`.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        let http = match code {
            code::FORBIDDEN | code::NO_PERMISSION => StatusCode::FORBIDDEN,
            code::INTERNAL => StatusCode::INTERNAL_SERVER_ERROR,
            code::NOT_FOUND => StatusCode::NOT_FOUND,
            code::INCOMPLETE => StatusCode::SERVICE_UNAVAILABLE,
            code::ALREADY_EXISTS | code::IN_USE => StatusCode::CONFLICT,
            code::UNAUTHENTICATED => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            http,
            code,
            message: message.into(),
        }
    }

    /// The same error with another HTTP status.
    pub fn with_http(mut self, http: StatusCode) -> Self {
        self.http = http;
        self
    }

    /// Statuscode 20: no usable credentials.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(code::UNAUTHENTICATED, message)
    }

    /// Statuscode 10: a malformed value.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(code::VALIDATION, message)
    }

    /// Statuscode 6 for `interactions/{id}`.
    pub fn not_found(id: &str) -> Self {
        Self::new(code::NOT_FOUND, format!("interactions/{id} not found"))
    }

    /// A failed gRPC call, described in the operation's words.
    pub fn from_status(status: &Status, context: Context<'_>) -> Self {
        match status.code() {
            Code::InvalidArgument => invalid_argument(status, context),
            Code::OutOfRange => Self::validation(status.message()),
            Code::FailedPrecondition => {
                let current = status
                    .get_details_error_info()
                    .and_then(|info| info.metadata.get("currentState").cloned());
                let message = match current {
                    Some(state) => format!(
                        "{} is not valid for the interaction's current state {}",
                        context.operation,
                        state_literal(&state)
                    ),
                    None => status.message().to_owned(),
                };
                Self::new(code::INVALID_FOR_STATE, message)
            }
            Code::NotFound => Self::new(code::NOT_FOUND, status.message()),
            Code::AlreadyExists => Self::new(code::ALREADY_EXISTS, status.message()),
            Code::Aborted => Self::new(code::IN_USE, status.message()),
            Code::PermissionDenied => Self::new(code::NO_PERMISSION, status.message()),
            Code::Unauthenticated => Self::unauthenticated(status.message()),
            Code::ResourceExhausted => {
                Self::new(code::INCOMPLETE, status.message()).with_http(StatusCode::TOO_MANY_REQUESTS)
            }
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
                Self::new(code::INCOMPLETE, status.message())
            }
            Code::Unimplemented => {
                Self::new(code::INTERNAL, status.message()).with_http(StatusCode::NOT_IMPLEMENTED)
            }
            Code::Ok | Code::Unknown | Code::Internal | Code::DataLoss => {
                tracing::error!(code = ?status.code(), message = status.message(), "upstream failure");
                Self::new(code::INTERNAL, "internal error")
            }
        }
    }

    /// A request body that could not be read.
    pub fn body(rejection: &BytesRejection) -> Self {
        let error = Self::validation(format!("cannot read the request body: {}", rejection.body_text()));
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            error.with_http(StatusCode::PAYLOAD_TOO_LARGE)
        } else {
            error
        }
    }

    /// Statuscode 10 with 413: the body is over the server's limit.
    pub fn too_large(limit: usize) -> Self {
        Self::validation(format!("the request body is too large (at most {limit} bytes)"))
            .with_http(StatusCode::PAYLOAD_TOO_LARGE)
    }

    /// Statuscode 9 with 429: the server sheds load; retry later.
    pub fn overloaded(message: &str) -> Self {
        Self::new(code::INCOMPLETE, message).with_http(StatusCode::TOO_MANY_REQUESTS)
    }

    /// A query string that could not be read.
    pub fn query(rejection: &QueryRejection) -> Self {
        Self::validation(format!("cannot read the query string: {}", rejection.body_text()))
    }

    /// Statuscode 3 with 405: the route exists, the method does not.
    pub fn method_not_allowed(method: &http::Method, path: &str) -> Self {
        Self::new(code::FORBIDDEN, format!("{method} is not supported on {path}"))
            .with_http(StatusCode::METHOD_NOT_ALLOWED)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = Json(Failure {
            status_code: self.code,
            status_message: self.message,
        });
        if self.http == StatusCode::UNAUTHORIZED {
            let challenge = [(WWW_AUTHENTICATE, r#"Basic realm="Switchboard", charset="UTF-8""#)];
            (self.http, challenge, body).into_response()
        } else {
            (self.http, body).into_response()
        }
    }
}

/// 403 with the documented plain-text body: a Basic-authenticated write
/// without the CSRF token returned by a GET.
pub fn csrf_rejected() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        CSRF_MESSAGE,
    )
        .into_response()
}

/// Statuscode 1 when any field is missing, else 10, listing every violation
/// under its Genesys parameter name.
fn invalid_argument(status: &Status, context: Context<'_>) -> Error {
    let violations = status
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default();
    if violations.is_empty() {
        return Error::validation(status.message());
    }
    let missing = violations
        .iter()
        .any(|v| v.description.starts_with("is required"));
    let message = violations
        .iter()
        .map(|v| format!("{} {}", parameter(&v.field, context.fields), v.description))
        .collect::<Vec<_>>()
        .join("; ");
    Error::new(
        if missing {
            code::MISSING_PARAMETER
        } else {
            code::VALIDATION
        },
        message,
    )
}

/// The Genesys name of a proto field path: the longest mapped prefix that
/// ends at a path boundary is replaced, the rest is kept (`user_data.k` →
/// `userData.k`).
fn parameter(field: &str, names: &[(&str, &str)]) -> String {
    names
        .iter()
        .filter(|(proto, _)| {
            field
                .strip_prefix(proto)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
        .max_by_key(|(proto, _)| proto.len())
        .map(|(proto, genesys)| format!("{genesys}{}", &field[proto.len()..]))
        .unwrap_or_else(|| field.to_owned())
}

/// The Genesys spelling of an interaction state as the core names it in
/// error details (`IN_PROCESS` → `InProcess`).
fn state_literal(state: &str) -> &str {
    match state {
        "NEW" => "New",
        "PENDING" => "Pending",
        "IN_PROCESS" => "InProcess",
        "STOPPED" => "Stopped",
        other => other,
    }
}

/// Collects a request's parameter problems so they are reported together:
/// statuscode 1 when any required parameter is missing, else 10.
#[derive(Debug, Default)]
pub struct Problems {
    missing: Vec<String>,
    invalid: Vec<String>,
}

impl Problems {
    /// `name` is required and was not sent.
    pub fn missing(&mut self, name: &str) {
        self.missing.push(format!("{name} is required"));
    }

    /// `name` was sent with an unusable value.
    pub fn invalid(&mut self, name: &str, why: impl std::fmt::Display) {
        self.invalid.push(format!("{name} {why}"));
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.invalid.is_empty()
    }

    /// `Ok` when nothing was found, else the error listing everything.
    pub fn finish(self) -> Result<(), Error> {
        if self.is_empty() {
            return Ok(());
        }
        let code = if self.missing.is_empty() {
            code::VALIDATION
        } else {
            code::MISSING_PARAMETER
        };
        let mut all = self.missing;
        all.extend(self.invalid);
        Err(Error::new(code, all.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DomainError;
    use crate::domain::error::FieldViolation;

    const FIELDS: &[(&str, &str)] = &[
        ("call_id", "callId"),
        ("state", "status"),
        ("state_literal", "status"),
        ("user_data", "userData"),
    ];

    fn context() -> Context<'static> {
        Context {
            operation: "FindPhoneCall",
            fields: FIELDS,
        }
    }

    #[test]
    fn parameters_are_renamed_at_path_boundaries() {
        assert_eq!(parameter("call_id", FIELDS), "callId");
        assert_eq!(parameter("user_data.k[0]", FIELDS), "userData.k[0]");
        assert_eq!(parameter("state_literal", FIELDS), "status");
        assert_eq!(parameter("stateful", FIELDS), "stateful");
    }

    #[test]
    fn invalid_arguments_become_1_when_something_is_missing_else_10() {
        let missing = Status::from(DomainError::InvalidArgument(vec![
            FieldViolation::new("call_id", "is required"),
            FieldViolation::new("user_data.k", "numbers must be finite"),
        ]));
        let error = Error::from_status(&missing, context());
        assert_eq!((error.http, error.code), (StatusCode::BAD_REQUEST, 1));
        assert_eq!(
            error.message,
            "callId is required; userData.k numbers must be finite"
        );
        let invalid = Status::from(DomainError::invalid("call_id", "must be at most 255 bytes"));
        assert_eq!(Error::from_status(&invalid, context()).code, 10);
    }

    #[test]
    fn refused_transitions_name_the_genesys_state() {
        let status = Status::from(DomainError::InvalidTransition {
            resource: "interactions/x".into(),
            action: "complete".into(),
            state: "STOPPED".into(),
            reason: "INTERACTION_ALREADY_STOPPED",
        });
        let error = Error::from_status(
            &status,
            Context {
                operation: "SetCallCompleted",
                fields: &[],
            },
        );
        assert_eq!((error.http, error.code), (StatusCode::BAD_REQUEST, 2));
        assert_eq!(
            error.message,
            "SetCallCompleted is not valid for the interaction's current state Stopped"
        );
    }

    #[test]
    fn every_code_has_its_http_status() {
        let cases = [
            (Code::NotFound, StatusCode::NOT_FOUND, 6),
            (Code::AlreadyExists, StatusCode::CONFLICT, 18),
            (Code::Aborted, StatusCode::CONFLICT, 19),
            (Code::PermissionDenied, StatusCode::FORBIDDEN, 5),
            (Code::Unauthenticated, StatusCode::UNAUTHORIZED, 20),
            (Code::Unavailable, StatusCode::SERVICE_UNAVAILABLE, 9),
            (Code::ResourceExhausted, StatusCode::TOO_MANY_REQUESTS, 9),
            (Code::Internal, StatusCode::INTERNAL_SERVER_ERROR, 4),
            (Code::Unimplemented, StatusCode::NOT_IMPLEMENTED, 4),
            (Code::OutOfRange, StatusCode::BAD_REQUEST, 10),
        ];
        for (grpc, http, code) in cases {
            let error = Error::from_status(&Status::new(grpc, "x"), context());
            assert_eq!((error.http, error.code), (http, code), "{grpc:?}");
        }
        let internal = Error::from_status(&Status::internal("db exploded at row 7"), context());
        assert_eq!(internal.message, "internal error");
    }

    #[test]
    fn problems_report_everything_missing_first() {
        let mut problems = Problems::default();
        problems.invalid("status", "must be one of New, Pending");
        problems.missing("callId");
        let error = problems.finish().unwrap_err();
        assert_eq!(error.code, 1);
        assert_eq!(
            error.message,
            "callId is required; status must be one of New, Pending"
        );
        assert!(Problems::default().finish().is_ok());
    }
}
