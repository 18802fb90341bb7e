//! The one place Salesforce dialect errors are shaped. Every route answers
//! errors with the same envelope, built after Salesforce REST's error items
//! (and the `errors` key of the create response):
//!
//! ```json
//! {"errors": [{"errorCode": "INVALID_FIELD", "message": "from: is required", "fields": ["from"]}]}
//! ```
//!
//! One item per problem; `fields` is left out when no field is to blame.
//! 429 (`SCV_LIMITS_ERROR`, the prefix Salesforce's connector logs) and 503
//! carry `Retry-After`.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tonic::Code;
use tonic_types::StatusExt;

use crate::facade::fields::FieldError;
use crate::facade::status::http_status;

/// One error item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorItem {
    /// Machine-readable code, e.g. `INVALID_FIELD`.
    #[serde(rename = "errorCode")]
    pub error_code: &'static str,
    /// What went wrong.
    pub message: String,
    /// The request fields at fault, with Salesforce's spellings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    errors: &'a [ErrorItem],
}

/// An error answer of the Salesforce dialect.
#[derive(Debug)]
pub struct SfError {
    status: StatusCode,
    errors: Vec<ErrorItem>,
    retry_after: Option<Duration>,
}

impl SfError {
    fn one(status: StatusCode, error_code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            errors: vec![ErrorItem {
                error_code,
                message: message.into(),
                fields: Vec::new(),
            }],
            retry_after: None,
        }
    }

    /// 401: no bearer token.
    pub fn missing_credentials() -> Self {
        Self::one(
            StatusCode::UNAUTHORIZED,
            "AUTH_TOKEN_INVALID",
            "send Authorization: Bearer <JWT>",
        )
    }

    /// 400: the body is not well-formed JSON or XML.
    pub fn malformed(xml: bool, detail: impl std::fmt::Display) -> Self {
        let (code, kind) = if xml {
            ("XML_PARSER_ERROR", "XML")
        } else {
            ("JSON_PARSER_ERROR", "JSON")
        };
        Self::one(
            StatusCode::BAD_REQUEST,
            code,
            format!("the request body is not valid {kind}: {detail}"),
        )
    }

    /// 413: the body is over the server's limit.
    pub fn too_large(limit: usize) -> Self {
        Self::one(
            StatusCode::PAYLOAD_TOO_LARGE,
            "REQUEST_TOO_LARGE",
            format!("the request body is too large (at most {limit} bytes)"),
        )
    }

    /// 429 `SCV_LIMITS_ERROR` with `Retry-After`: the server sheds load.
    pub fn overloaded(message: &str, retry_after: Duration) -> Self {
        let mut error = Self::one(StatusCode::TOO_MANY_REQUESTS, "SCV_LIMITS_ERROR", message);
        error.retry_after = Some(retry_after);
        error
    }

    /// A body that could not be read: 413 over the server's limit, else 400.
    pub fn body(rejection: &axum::extract::rejection::BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::one(
                StatusCode::PAYLOAD_TOO_LARGE,
                "REQUEST_TOO_LARGE",
                "the request body is over the server's limit",
            )
        } else {
            Self::one(
                StatusCode::BAD_REQUEST,
                "JSON_PARSER_ERROR",
                format!("cannot read the request body: {}", rejection.body_text()),
            )
        }
    }

    /// 415: neither JSON nor XML.
    pub fn unsupported_media_type() -> Self {
        Self::one(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send Content-Type: application/json or application/xml",
        )
    }

    /// 501: a documented route this server does not implement.
    pub fn not_implemented(route: &str) -> Self {
        Self::one(
            StatusCode::NOT_IMPLEMENTED,
            "NOT_IMPLEMENTED",
            format!("{route} is not implemented by this server"),
        )
    }

    /// 400: field problems found while reading the body.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            errors: errors
                .into_iter()
                .map(|e| ErrorItem {
                    error_code: if e.message.ends_with("is required") {
                        "REQUIRED_FIELD_MISSING"
                    } else {
                        "INVALID_FIELD"
                    },
                    message: e.message,
                    fields: vec![e.field],
                })
                .collect(),
            retry_after: None,
        }
    }

    /// The answer for a gRPC error. `field` maps a proto field path of a
    /// `BadRequest` violation to the route's Salesforce field name.
    pub fn from_status(status: &tonic::Status, field: &dyn Fn(&str) -> String) -> Self {
        let http = match status.code() {
            // A refused state change is a conflict with the call's state.
            Code::FailedPrecondition => StatusCode::CONFLICT,
            code => http_status(code),
        };
        let details = status.get_error_details();
        let retry_after = details.retry_info().and_then(|r| r.retry_delay).or(matches!(
            status.code(),
            Code::ResourceExhausted | Code::Unavailable
        )
        .then_some(Duration::from_secs(1)));
        let errors = match (status.code(), details.bad_request()) {
            (Code::InvalidArgument, Some(bad)) if !bad.field_violations.is_empty() => bad
                .field_violations
                .iter()
                .map(|v| {
                    let name = field(&v.field);
                    ErrorItem {
                        error_code: if v.description.starts_with("is required") {
                            "REQUIRED_FIELD_MISSING"
                        } else {
                            "INVALID_FIELD"
                        },
                        message: format!("{name}: {}", v.description),
                        fields: if name.is_empty() { Vec::new() } else { vec![name] },
                    }
                })
                .collect(),
            (code, _) => vec![ErrorItem {
                error_code: error_code(code),
                message: match code {
                    // Never leak internals; the core logged them.
                    Code::Internal | Code::Unknown | Code::DataLoss => "internal error".to_owned(),
                    _ => status.message().to_owned(),
                },
                fields: Vec::new(),
            }],
        };
        Self {
            status: http,
            errors,
            retry_after,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

fn error_code(code: Code) -> &'static str {
    match code {
        Code::InvalidArgument | Code::OutOfRange => "INVALID_FIELD",
        Code::Unauthenticated => "AUTH_TOKEN_INVALID",
        Code::PermissionDenied => "INSUFFICIENT_ACCESS",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "DUPLICATE_VALUE",
        Code::Aborted => "CONFLICT",
        Code::FailedPrecondition => "INVALID_STATE_TRANSITION",
        Code::ResourceExhausted => "SCV_LIMITS_ERROR",
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => "SERVICE_UNAVAILABLE",
        Code::Unimplemented => "NOT_IMPLEMENTED",
        Code::Ok | Code::Unknown | Code::Internal | Code::DataLoss => "UNKNOWN_EXCEPTION",
    }
}

impl IntoResponse for SfError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(Envelope { errors: &self.errors })).into_response();
        if let Some(delay) = self.retry_after {
            let secs = delay.as_secs().max(1);
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_errors_are_429_with_retry_after() {
        let status = tonic::Status::resource_exhausted("too many calls per second");
        let error = SfError::from_status(&status, &|f| f.to_owned());
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"errors": [{"errorCode": "SCV_LIMITS_ERROR", "message": "too many calls per second"}]})
        );
    }
}
