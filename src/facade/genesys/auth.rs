//! Genesys credentials and CSRF protection.
//!
//! GWS clients send `Authorization: Basic` and, for writes, echo the CSRF
//! token that every GET returned (`X-CSRF-HEADER` names the header,
//! `X-CSRF-TOKEN` carries the value). Here the Basic password is a
//! Switchboard `swb_` token; the user name is not checked (the token alone
//! identifies the user, as with personal access tokens sent over Basic).
//! `Authorization: Bearer <token>` works too and needs no CSRF token, since
//! browsers never attach a bearer token on their own.
//!
//! The CSRF token is derived from the credential (SHA-256 over a fixed label
//! and the token), so every instance computes the same value without shared
//! state, it changes when the credential changes, and it reveals nothing
//! about the credential. It is compared in constant time.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::{Error, csrf_rejected};
use crate::facade::credentials;

/// The response header naming the CSRF request header.
pub const CSRF_HEADER_HEADER: &str = "X-CSRF-HEADER";
/// The header that carries the CSRF token, in responses and in writes.
pub const CSRF_TOKEN_HEADER: &str = "X-CSRF-TOKEN";
/// Domain separation for the CSRF derivation; changing it rotates every
/// CSRF token.
const CSRF_LABEL: &[u8] = b"switchboard/genesys/csrf/v1\0";

/// How the client authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Basic user:token`; writes need the CSRF token.
    Basic,
    /// `Authorization: Bearer token`.
    Bearer,
}

/// The credential of a Genesys request, forwarded to the gRPC API as a bearer
/// token (which the API verifies).
#[derive(Clone)]
pub struct Credential {
    /// The Switchboard token.
    pub token: String,
    /// How it was presented.
    pub scheme: Scheme,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl Credential {
    /// The credential of a request, if it has a usable one.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        if let Some(token) = credentials::bearer(headers) {
            return Some(Self {
                token: token.to_owned(),
                scheme: Scheme::Bearer,
            });
        }
        let (_user, password) = credentials::basic(headers)?;
        (!password.is_empty()).then_some(Self {
            token: password,
            scheme: Scheme::Basic,
        })
    }

    /// The CSRF token that goes with this credential.
    pub fn csrf_token(&self) -> String {
        csrf_token(&self.token)
    }

    /// Whether `presented` is this credential's CSRF token.
    pub fn csrf_matches(&self, presented: Option<&HeaderValue>) -> bool {
        let Some(presented) = presented else {
            return false;
        };
        self.csrf_token().as_bytes().ct_eq(presented.as_bytes()).into()
    }

    /// Adds the CSRF headers every GET returns.
    pub fn add_csrf_headers(&self, response: &mut Response) {
        let headers = response.headers_mut();
        headers.insert(CSRF_HEADER_HEADER, HeaderValue::from_static(CSRF_TOKEN_HEADER));
        if let Ok(value) = HeaderValue::from_str(&self.csrf_token()) {
            headers.insert(CSRF_TOKEN_HEADER, value);
        }
    }
}

/// The CSRF token of `token`: lowercase hex SHA-256 of a fixed label and the
/// token.
pub fn csrf_token(token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(CSRF_LABEL);
    hasher.update(token.as_bytes());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Requests that change nothing need no CSRF token.
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

impl<S: Send + Sync> FromRequestParts<S> for Credential {
    type Rejection = Response;

    /// Requires credentials (401, statuscode 20, otherwise) and, for a
    /// Basic-authenticated write, the CSRF token (403 otherwise). The CSRF
    /// check comes first, as in GWS, whose CSRF filter runs before
    /// authentication; the token itself is verified by the gRPC API.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(credential) = Credential::from_headers(&parts.headers) else {
            return Err(Error::unauthenticated(
                "authentication required: send Authorization: Basic (user name and Switchboard token) \
                 or Authorization: Bearer (token)",
            )
            .into_response());
        };
        if credential.scheme == Scheme::Basic
            && !is_safe(&parts.method)
            && !credential.csrf_matches(parts.headers.get(CSRF_TOKEN_HEADER))
        {
            return Err(csrf_rejected());
        }
        Ok(credential)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn csrf_tokens_are_derived_from_the_credential_alone() {
        let a = csrf_token("swb_a");
        assert_eq!(a, csrf_token("swb_a"));
        assert_ne!(a, csrf_token("swb_b"));
        assert_eq!(a.len(), 64);
        // Not the bare digest of the token (which the authenticator uses as a
        // cache key).
        let bare: String = Sha256::digest(b"swb_a")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_ne!(a, bare);
    }

    #[test]
    fn reads_basic_and_bearer() {
        let basic = format!("Basic {}", STANDARD.encode("agent:swb_x"));
        let c = Credential::from_headers(&headers(&[("authorization", &basic)])).unwrap();
        assert_eq!((c.token.as_str(), c.scheme), ("swb_x", Scheme::Basic));
        let c = Credential::from_headers(&headers(&[("authorization", "Bearer swb_y")])).unwrap();
        assert_eq!((c.token.as_str(), c.scheme), ("swb_y", Scheme::Bearer));
        let empty = format!("Basic {}", STANDARD.encode("agent:"));
        assert!(Credential::from_headers(&headers(&[("authorization", &empty)])).is_none());
        assert!(Credential::from_headers(&HeaderMap::new()).is_none());
    }

    #[test]
    fn csrf_matching() {
        let c = Credential {
            token: "swb_x".into(),
            scheme: Scheme::Basic,
        };
        let good = HeaderValue::from_str(&c.csrf_token()).unwrap();
        assert!(c.csrf_matches(Some(&good)));
        assert!(!c.csrf_matches(Some(&HeaderValue::from_static("nope"))));
        assert!(!c.csrf_matches(None));
    }
}

/// Properties of the CSRF check: only the credential's own token passes.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn only_the_credentials_own_csrf_token_matches(token in "[!-~]{1,60}", other in "[!-~]{1,60}", presented in "[ -~]{0,70}") {
            let credential = Credential { token: token.clone(), scheme: Scheme::Basic };
            let own = HeaderValue::from_str(&credential.csrf_token()).unwrap();
            prop_assert!(credential.csrf_matches(Some(&own)));
            prop_assert!(!credential.csrf_matches(None));
            if other != token {
                let theirs = HeaderValue::from_str(&csrf_token(&other)).unwrap();
                prop_assert!(!credential.csrf_matches(Some(&theirs)));
            }
            if let Ok(value) = HeaderValue::from_str(&presented) {
                prop_assert_eq!(credential.csrf_matches(Some(&value)), presented == credential.csrf_token());
            }
        }
    }
}
