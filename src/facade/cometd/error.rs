//! The one place mapping gRPC outcomes and HTTP-level failures to what a
//! Bayeux client sees. Protocol errors travel inside messages
//! (`successful:false` + `error` + `advice`, HTTP 200); only a body that is
//! too large (413), not JSON (400), or a WebSocket upgrade (400) fail at the
//! HTTP level.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tonic::Code;

use super::protocol::{Reconnect, errors};

/// What a failed handshake's `Watch` means for the client: the error string
/// and the advice.
pub fn handshake_failure(status: &tonic::Status) -> (String, Reconnect) {
    match status.code() {
        Code::Unauthenticated | Code::PermissionDenied => (errors::handshake_denied(), Reconnect::None),
        Code::Unavailable | Code::ResourceExhausted | Code::DeadlineExceeded | Code::Aborted => {
            (errors::unavailable("Try again later"), Reconnect::Retry)
        }
        _ => {
            tracing::warn!(status = ?status, "CometD handshake: Watch failed");
            (errors::unavailable("Server error"), Reconnect::Retry)
        }
    }
}

/// Whether a broken `Watch` of a live session can be resumed (otherwise the
/// credential no longer works and the session ends).
pub fn resumable(status: &tonic::Status) -> bool {
    !matches!(
        status.code(),
        Code::Unauthenticated | Code::PermissionDenied | Code::InvalidArgument
    )
}

/// HTTP-level failures.
#[derive(Debug)]
pub enum HttpError {
    /// The body exceeds the limit.
    TooLarge(usize),
    /// The body is not JSON (or not UTF-8).
    Malformed,
    /// A WebSocket upgrade, or any GET.
    NoWebSocket,
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let (status, error) = match self {
            HttpError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("413::Message too large (at most {limit} bytes)"),
            ),
            HttpError::Malformed => (StatusCode::BAD_REQUEST, errors::invalid_message()),
            HttpError::NoWebSocket => (
                StatusCode::BAD_REQUEST,
                "400::Only the long-polling transport is served here; POST Bayeux messages".to_owned(),
            ),
        };
        (
            status,
            axum::Json(json!([{ "successful": false, "error": error }])),
        )
            .into_response()
    }
}
