//! Refusals made at the REST edge, before any dialect handler runs: a body
//! over the server's limit (413) and load shedding (429 with `Retry-After`).
//! They are answered in the error shape of the dialect the path belongs to,
//! so a vendor client parses them like any other error of its API; paths of
//! no dialect get the facade's generic `{"error":{"code","message"}}`.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::{cometd, genesys, hubgets, salesforce, vcita};

/// The dialect a REST path belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `/api/v2/notifications…`: CometD long-polling.
    Cometd,
    /// `/api/v2/…`: Genesys Web Services.
    Genesys,
    /// `/uapi/…`: Hubgets UnifiedAPI.
    Hubgets,
    /// `/telephony/…`: Salesforce Service Cloud Voice.
    Salesforce,
    /// `/v3/…`: vcita.
    Vcita,
    /// Any other path.
    Other,
}

impl Dialect {
    /// The dialect serving `path`.
    pub fn of(path: &str) -> Self {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if under("/api/v2/notifications") {
            Dialect::Cometd
        } else if under("/api/v2") {
            Dialect::Genesys
        } else if under("/uapi") {
            Dialect::Hubgets
        } else if under("/telephony") {
            Dialect::Salesforce
        } else if under("/v3") {
            Dialect::Vcita
        } else {
            Dialect::Other
        }
    }
}

const OVERLOADED: &str = "server overloaded; retry later";

/// 413 for `path`'s dialect: the body is over `limit` bytes.
pub fn too_large(path: &str, limit: usize) -> Response {
    match Dialect::of(path) {
        Dialect::Cometd => cometd::too_large(limit),
        Dialect::Genesys => genesys::error::Error::too_large(limit).into_response(),
        Dialect::Hubgets => hubgets::too_large(),
        Dialect::Salesforce => salesforce::error::SfError::too_large(limit).into_response(),
        Dialect::Vcita => vcita::error::VcitaError::too_large(limit).into_response(),
        Dialect::Other => generic(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            &format!("the request body is too large (at most {limit} bytes)"),
        ),
    }
}

/// 429 with `Retry-After` for `path`'s dialect: the server sheds load.
pub fn overloaded(path: &str, retry_after: Duration) -> Response {
    let mut response = match Dialect::of(path) {
        Dialect::Genesys => genesys::error::Error::overloaded(OVERLOADED).into_response(),
        Dialect::Hubgets => hubgets::overloaded(OVERLOADED),
        Dialect::Salesforce => {
            salesforce::error::SfError::overloaded(OVERLOADED, retry_after).into_response()
        }
        Dialect::Vcita => vcita::error::VcitaError::overloaded(retry_after).into_response(),
        // CometD long-polls are never shed; a generic body for the rest.
        Dialect::Cometd | Dialect::Other => {
            generic(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", OVERLOADED)
        }
    };
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_after.as_secs().max(1)),
    );
    response
}

fn generic(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"error": {"code": code, "message": message}});
    (status, axum::Json(body)).into_response()
}

/// Middleware: refuses REST bodies over `limit` bytes with the dialect's 413.
/// A declared `Content-Length` over the limit is refused before reading;
/// otherwise the body is read (at most `limit` bytes) here, so every handler
/// sees a complete body and none has to tell a size failure apart.
pub async fn body_limit(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large(request.uri().path(), limit);
    }
    let (parts, body) = request.into_parts();
    match Limited::new(body, limit).collect().await {
        Ok(collected) => {
            next.run(Request::from_parts(parts, Body::from(collected.to_bytes())))
                .await
        }
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            too_large(parts.uri.path(), limit)
        }
        // The client went away mid-body; nobody reads this answer.
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_belong_to_their_dialect() {
        for (path, dialect) in [
            ("/api/v2/notifications", Dialect::Cometd),
            ("/api/v2/notifications/connect", Dialect::Cometd),
            ("/api/v2/ucs/interactions", Dialect::Genesys),
            ("/api/v2/interactions/x", Dialect::Genesys),
            ("/uapi/phoneCalls/@me/simple", Dialect::Hubgets),
            ("/telephony/v1/voiceCalls", Dialect::Salesforce),
            ("/v3/communication/voice_calls", Dialect::Vcita),
            ("/v3x", Dialect::Other),
            ("/uapix/phoneCalls", Dialect::Other),
            ("/", Dialect::Other),
        ] {
            assert_eq!(Dialect::of(path), dialect, "{path}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_path_has_one_dialect(path in ".*") {
            let _ = Dialect::of(&path);
        }
    }
}
