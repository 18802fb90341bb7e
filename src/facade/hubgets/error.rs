//! The one place UnifiedAPI errors are made: `{"error":{"code","message"}}`
//! with the vendor's codes and HTTP statuses, from a `tonic::Status` (code,
//! `ErrorInfo` and `BadRequest` details) or from a problem found while
//! reading the request.
//!
//! | gRPC / request problem | HTTP | `code` |
//! |---|---|---|
//! | no or bad credentials, `UNAUTHENTICATED`, `PERMISSION_DENIED`, another user's id | 401 | `access_denied` |
//! | malformed `userId` | 400 | `user_invalid` |
//! | malformed extension, `INVALID_ARGUMENT` on `extension` | 400 | `extension_invalid` |
//! | malformed or unknown `phoneCallId`, `NOT_FOUND` | 400 | `pc_phonecall_invalid` |
//! | unknown `phoneCallViewId` (`INVALID_ARGUMENT` on `leg_id`) | 400 | `pc_phonecallview_invalid` |
//! | other `INVALID_ARGUMENT`, malformed JSON or query | 400 | `request_invalid` |
//! | `FAILED_PRECONDITION` (the state machine refused) | 400 | `pc_action_not_allowed` |
//! | `ALREADY_EXISTS` (a `nonce` reused with other parameters) | 409 | `pc_nonce_reused` |
//! | `ABORTED` | 409 | `request_conflict` |
//! | unknown `action`, method or call type, `UNIMPLEMENTED` | 501 | `request_not_implemented` |
//! | body over the size limit | 413 | `request_too_large` |
//! | `RESOURCE_EXHAUSTED` | 429 | `request_limit_exceeded` |
//! | `UNAVAILABLE` | 503 | `service_unavailable` |
//! | `DEADLINE_EXCEEDED` | 504 | `request_timeout` |
//! | anything else | 500 | `internal_server_error` |

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::facade::status::http_status;

/// The message UnifiedAPI sends with `access_denied`.
const ACCESS_DENIED: &str = "You are not authorized to use this request.";

/// Why a UnifiedAPI request failed.
#[derive(Debug)]
pub enum Error {
    /// No usable credential, or a `userId` that is not the caller.
    AccessDenied,
    /// A malformed `userId`.
    UserInvalid(String),
    /// A malformed extension.
    ExtensionInvalid(String),
    /// A malformed `phoneCallId`, or one that names no call here.
    PhoneCallInvalid(String),
    /// A malformed body or query.
    Invalid(String),
    /// An action, method or call type UnifiedAPI does not define.
    NotImplemented(String),
    /// The body is over the size limit.
    TooLarge,
    /// The gRPC API refused or failed.
    Upstream(Status),
}

impl From<Status> for Error {
    fn from(status: Status) -> Self {
        Error::Upstream(status)
    }
}

#[derive(Serialize)]
struct Envelope {
    error: Body,
}

#[derive(Serialize)]
struct Body {
    code: &'static str,
    message: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Error::AccessDenied => (
                StatusCode::UNAUTHORIZED,
                "access_denied",
                ACCESS_DENIED.to_owned(),
            ),
            Error::UserInvalid(message) => (StatusCode::BAD_REQUEST, "user_invalid", message),
            Error::ExtensionInvalid(message) => (StatusCode::BAD_REQUEST, "extension_invalid", message),
            Error::PhoneCallInvalid(message) => (StatusCode::BAD_REQUEST, "pc_phonecall_invalid", message),
            Error::Invalid(message) => (StatusCode::BAD_REQUEST, "request_invalid", message),
            Error::NotImplemented(message) => {
                (StatusCode::NOT_IMPLEMENTED, "request_not_implemented", message)
            }
            Error::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                "The request body is too large.".to_owned(),
            ),
            Error::Upstream(status) => from_status(&status),
        };
        (
            status,
            Json(Envelope {
                error: Body { code, message },
            }),
        )
            .into_response()
    }
}

fn from_status(status: &Status) -> (StatusCode, &'static str, String) {
    let code = status.code();
    let http = http_status(code);
    match code {
        Code::Unauthenticated | Code::PermissionDenied => (
            StatusCode::UNAUTHORIZED,
            "access_denied",
            ACCESS_DENIED.to_owned(),
        ),
        // Resource names are tenant-relative: a missing and a foreign call
        // read the same.
        Code::NotFound => (
            StatusCode::BAD_REQUEST,
            "pc_phonecall_invalid",
            "The phone call does not exist.".to_owned(),
        ),
        Code::InvalidArgument | Code::OutOfRange => invalid_argument(status),
        Code::FailedPrecondition => (http, "pc_action_not_allowed", refusal(status)),
        Code::AlreadyExists => (http, "pc_nonce_reused", status.message().to_owned()),
        Code::Aborted => (http, "request_conflict", status.message().to_owned()),
        Code::Unimplemented => (http, "request_not_implemented", status.message().to_owned()),
        Code::ResourceExhausted => (http, "request_limit_exceeded", status.message().to_owned()),
        Code::Unavailable => (http, "service_unavailable", status.message().to_owned()),
        Code::DeadlineExceeded => (http, "request_timeout", "The request timed out.".to_owned()),
        Code::Ok | Code::Cancelled | Code::Unknown | Code::Internal | Code::DataLoss => {
            // The core logs its own failures; these are the ones that never
            // reached it (e.g. a remote upstream that is down).
            tracing::warn!(dialect = "hubgets", grpc.code = ?code, error = %status.message(), "upstream call failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_server_error",
                "An internal error occurred.".to_owned(),
            )
        }
    }
}

/// `INVALID_ARGUMENT`: every violation in the message, with UnifiedAPI's
/// field names; the code follows the first violation's field.
fn invalid_argument(status: &Status) -> (StatusCode, &'static str, String) {
    let violations = status
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default();
    let Some(first) = violations.first() else {
        return (
            StatusCode::BAD_REQUEST,
            "request_invalid",
            status.message().to_owned(),
        );
    };
    let code = match head(&first.field) {
        "name" => "pc_phonecall_invalid",
        "extension" => "extension_invalid",
        "leg_id" => "pc_phonecallview_invalid",
        _ => "request_invalid",
    };
    let message = violations
        .iter()
        .map(|v| format!("{}: {}", vendor_field(&v.field), v.description))
        .collect::<Vec<_>>()
        .join("; ");
    (StatusCode::BAD_REQUEST, code, message)
}

/// The first segment of a field path: `caller_id` of `caller_id.name`,
/// `source` of `source[1]`.
fn head(field: &str) -> &str {
    field.split(['.', '[']).next().unwrap_or(field)
}

/// A proto field path spelled as UnifiedAPI names the field.
fn vendor_field(field: &str) -> String {
    let name = head(field);
    let vendor = match name {
        "leg_id" => "phoneCallViewId",
        "send_call_to" => "sendCallTo",
        "caller_id" => "callerId",
        "caller_id_destination" => "callerIdDestination",
        "wait_for_pickup" => "waitForPickup",
        "max_duration" => "callDuration",
        "max_in_parking" => "maxInParking",
        "allow_public_transfer" => "allowPublicTransfer",
        "request_id" => "nonce",
        "conference_number" => "number",
        "conference_pin" => "pin",
        "transfer_from_number" => "transferFromNumber",
        "transfer_number" => "transferNumber",
        "phone_number" => "phoneNumber",
        "read_mask" => "fields",
        "page_size" => "count",
        "skip" => "startIndex",
        "name" => "phoneCallId",
        other => other,
    };
    format!("{vendor}{}", &field[name.len()..])
}

/// A refused transition, naming the call's current state and the reason.
fn refusal(status: &Status) -> String {
    match status.get_details_error_info() {
        Some(info) => format!(
            "Cannot {} the phone call while it is {} ({}).",
            info.metadata.get("action").map_or("change", String::as_str),
            info.metadata
                .get("currentState")
                .map_or("in this state", String::as_str),
            info.reason
        ),
        None => status.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_fields_are_renamed_for_the_vendor() {
        assert_eq!(vendor_field("caller_id.name"), "callerId.name");
        assert_eq!(vendor_field("source[1]"), "source[1]");
        assert_eq!(vendor_field("leg_id"), "phoneCallViewId");
    }
}
