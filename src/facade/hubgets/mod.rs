//! The Hubgets / 4PSA VoipNow UnifiedAPI v5 dialect: the PhoneCalls service
//! under `/uapi/phoneCalls/...`, so a caller written against UnifiedAPI works
//! unchanged. Routes (each also with a trailing `/`, as the vendor's cURL
//! examples send them):
//!
//! | path | GET | POST | PUT | DELETE |
//! |---|---|---|---|---|
//! | `{userId}/simple\|callback\|conferenceInvite` | | create | | |
//! | `{userId}/{extension}` | list | | act on every live call | hang up every live call |
//! | `{userId}/{extension}/{phoneCallId}` | list one | hang up (cURL `--data-binary` without `-X DELETE`) | act | hang up |
//!
//! Credentials: the double-submit pair (cookie `xsrf-token` and header
//! `x-xsrf-token`, equal, holding the API token) or `Authorization: Bearer`;
//! either is forwarded to the gRPC API as the bearer token.

use axum::Router;
use axum::extract::FromRequestParts;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::routing::{MethodRouter, get};
use http::request::Parts;
use http::{HeaderMap, StatusCode};

use self::error::Error;
use super::{Upstream, credentials};

mod convert;
mod dto;
mod error;
mod phone_calls;

pub use convert::MAX_CALLS_PER_CREATE;

/// 413 in the UnifiedAPI envelope (`request_too_large`), for the server's
/// body limit.
pub fn too_large() -> axum::response::Response {
    use axum::response::IntoResponse;
    Error::TooLarge.into_response()
}

/// 429 in the UnifiedAPI envelope (`request_limit_exceeded`), for load
/// shedding at the edge; the caller adds `Retry-After`.
pub fn overloaded(message: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    Error::Upstream(tonic::Status::resource_exhausted(message)).into_response()
}

/// The UnifiedAPI routes.
pub fn router(upstream: Upstream) -> Router {
    let unsupported =
        || async { Error::NotImplemented("This method is not implemented for this resource.".to_owned()) };
    let collection: MethodRouter<Upstream> = get(phone_calls::list)
        .post(phone_calls::create)
        .put(phone_calls::act_on_all)
        .delete(phone_calls::hang_up_all)
        .fallback(unsupported);
    let call: MethodRouter<Upstream> = get(phone_calls::list_one)
        .put(phone_calls::act_on_one)
        .delete(phone_calls::hang_up_one)
        .post(phone_calls::hang_up_one)
        .fallback(unsupported);
    Router::new()
        .route("/uapi/phoneCalls/{user}/{extension}", collection.clone())
        .route("/uapi/phoneCalls/{user}/{extension}/", collection)
        .route("/uapi/phoneCalls/{user}/{extension}/{id}", call.clone())
        .route("/uapi/phoneCalls/{user}/{extension}/{id}/", call)
        .with_state(upstream)
}

/// Who made the request and where it was sent, for self links.
struct Session {
    /// The API token from either credential shape.
    token: String,
    /// `http://host`, as the client addressed this server.
    base_url: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let token = credential(&parts.headers).ok_or(Error::AccessDenied)?;
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .unwrap_or("localhost");
        let forwarded_https = parts
            .headers
            .get("x-forwarded-proto")
            .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
        let scheme = if forwarded_https { "https" } else { "http" };
        Ok(Session {
            token: token.to_owned(),
            base_url: format!("{scheme}://{host}"),
        })
    }
}

/// `Authorization: Bearer`, or the double-submit pair: cookie `xsrf-token`
/// and header `x-xsrf-token`, both present and equal.
fn credential(headers: &HeaderMap) -> Option<&str> {
    if let Some(token) = credentials::bearer(headers) {
        return Some(token);
    }
    let cookie = credentials::cookie(headers, "xsrf-token")?;
    let header = headers.get("x-xsrf-token")?.to_str().ok()?.trim();
    (!cookie.is_empty() && cookie == header).then_some(cookie)
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Error::Invalid(format!("Invalid path: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Error::Invalid(format!("Invalid query: {}", rejection.body_text()))
    }
}

impl From<BytesRejection> for Error {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge
        } else {
            Error::Invalid(format!("Cannot read the body: {}", rejection.body_text()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn credentials_are_a_bearer_token_or_a_matching_xsrf_pair() {
        let cookie = "dev=ff; xsrf-token=swb_abc; vn=XI%2Cm";
        assert_eq!(
            credential(&headers(&[("cookie", cookie), ("x-xsrf-token", "swb_abc")])),
            Some("swb_abc")
        );
        assert_eq!(
            credential(&headers(&[("cookie", cookie), ("x-xsrf-token", "other")])),
            None
        );
        assert_eq!(credential(&headers(&[("cookie", cookie)])), None);
        assert_eq!(credential(&headers(&[("x-xsrf-token", "swb_abc")])), None);
        assert_eq!(
            credential(&headers(&[("authorization", "Bearer swb_t")])),
            Some("swb_t")
        );
    }
}
