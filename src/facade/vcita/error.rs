//! The one place vcita dialect errors are shaped:
//!
//! ```json
//! {"success": false, "errors": [{"code": "bad_request", "message": ["from_number must be …"]}]}
//! ```
//!
//! Validation failures (400 `bad_request`) carry every problem as an array of
//! strings, as vcita does; other errors carry one message string. Codes:
//! 400 `bad_request`, 401 `unauthorized`, 403 `forbidden`, 404 `not_found`,
//! 409 `conflict`, 429 `too_many_requests` (with `Retry-After`), 500
//! `unexpected`, 501 `not_implemented`, 503 `unavailable`.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tonic::Code;
use tonic_types::StatusExt;

use crate::facade::fields::FieldError;
use crate::facade::status::http_status;

/// A message: one string, or a list of validation strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Message {
    /// One message.
    One(String),
    /// Several validation messages.
    Many(Vec<String>),
}

#[derive(Serialize)]
struct Item<'a> {
    code: &'static str,
    message: &'a Message,
}

#[derive(Serialize)]
struct Envelope<'a> {
    success: bool,
    errors: [Item<'a>; 1],
}

/// An error answer of the vcita dialect.
#[derive(Debug)]
pub struct VcitaError {
    status: StatusCode,
    code: &'static str,
    message: Message,
    retry_after: Option<Duration>,
}

impl VcitaError {
    fn new(status: StatusCode, code: &'static str, message: Message) -> Self {
        Self {
            status,
            code,
            message,
            retry_after: None,
        }
    }

    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            Message::One("Unauthorized".to_owned()),
        )
    }

    /// 400 with every validation message.
    pub fn bad_request(messages: Vec<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", Message::Many(messages))
    }

    /// 400 for field problems found while reading the request.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        Self::bad_request(errors.into_iter().map(|e| e.message).collect())
    }

    /// A body that could not be read: 413 over the server's limit, else 400.
    pub fn body(rejection: &axum::extract::rejection::BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                Message::One("The request body is over the server's limit".to_owned()),
            )
        } else {
            Self::bad_request(vec![format!(
                "cannot read the request body: {}",
                rejection.body_text()
            )])
        }
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", Message::One(message.into()))
    }

    /// 413 `payload_too_large`: the body is over the server's limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            Message::One(format!("Request body too large (at most {limit} bytes)")),
        )
    }

    /// 429 `too_many_requests` with `Retry-After`: the server sheds load.
    pub fn overloaded(retry_after: Duration) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            Message::One("Too many requests".to_owned()),
        );
        error.retry_after = Some(retry_after);
        error
    }

    /// 501 for a documented route this server does not serve.
    pub fn not_implemented(route: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            Message::One(format!("{route} is not implemented by this server")),
        )
    }

    /// The answer for a gRPC error; `field` maps a proto field path to
    /// vcita's name for it.
    pub fn from_status(status: &tonic::Status, field: &dyn Fn(&str) -> String) -> Self {
        let details = status.get_error_details();
        let (http, code) = match status.code() {
            Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            Code::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Code::PermissionDenied => (StatusCode::FORBIDDEN, "forbidden"),
            Code::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Code::AlreadyExists | Code::Aborted => (StatusCode::CONFLICT, "conflict"),
            Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Code::Unimplemented => (StatusCode::NOT_IMPLEMENTED, "not_implemented"),
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
                (http_status(status.code()), "unavailable")
            }
            Code::Ok | Code::Unknown | Code::Internal | Code::DataLoss => {
                (StatusCode::INTERNAL_SERVER_ERROR, "unexpected")
            }
        };
        let message = match (status.code(), details.bad_request()) {
            (Code::InvalidArgument, Some(bad)) if !bad.field_violations.is_empty() => Message::Many(
                bad.field_violations
                    .iter()
                    .map(|v| match field(&v.field) {
                        name if name.is_empty() => v.description.clone(),
                        name => format!("{name} {}", v.description),
                    })
                    .collect(),
            ),
            (Code::InvalidArgument | Code::FailedPrecondition, _) => {
                Message::Many(vec![status.message().to_owned()])
            }
            (Code::Unauthenticated, _) => Message::One("Unauthorized".to_owned()),
            (Code::ResourceExhausted, _) => Message::One("Too many requests".to_owned()),
            (Code::Ok | Code::Unknown | Code::Internal | Code::DataLoss, _) => {
                Message::One("Unexpected error".to_owned())
            }
            _ => Message::One(status.message().to_owned()),
        };
        let retry_after = details.retry_info().and_then(|r| r.retry_delay).or(matches!(
            status.code(),
            Code::ResourceExhausted | Code::Unavailable
        )
        .then_some(Duration::from_secs(1)));
        Self {
            status: http,
            code,
            message,
            retry_after,
        }
    }
}

impl IntoResponse for VcitaError {
    fn into_response(self) -> Response {
        let body = Envelope {
            success: false,
            errors: [Item {
                code: self.code,
                message: &self.message,
            }],
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(delay) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&delay.as_secs().max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
