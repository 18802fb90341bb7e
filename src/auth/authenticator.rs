//! Verifies bearer credentials against the store, with a small cache so the
//! hot path does not hit the database on every request: `swb_` API tokens,
//! and Salesforce call-centre JWTs (see [`super::jwt`]). A revoked token or a
//! removed call centre stops working within [`CACHE_TTL`]; a JWT is never
//! trusted past its own `exp`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::jwt::{self, JwtRejection};
use super::token::PresentedToken;
use crate::domain::Caller;
use crate::store::{Store, StoreError};

/// How long a verified token is trusted without asking the store again.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
/// The cache is cleared when it grows past this many tokens.
const CACHE_CAPACITY: usize = 10_000;

/// Why a request was not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credential was presented.
    #[error("missing credentials: send `authorization: Bearer <token>`")]
    Missing,
    /// The credential is unknown, revoked or malformed (deliberately not
    /// told apart).
    #[error("invalid or revoked token")]
    Invalid,
    /// A JWT was presented and refused.
    #[error("invalid JWT: {0}")]
    Jwt(#[from] JwtRejection),
    /// The store could not be asked.
    #[error("cannot verify the token right now: {0}")]
    Unavailable(#[from] StoreError),
}

/// The call centre a request's JWT was issued for; the gRPC middleware puts
/// it in the request extensions beside the [`Caller`], and voice-call
/// creation checks the body's call centre against it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallCenterScope(pub String);

/// A verified credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated {
    /// Who is calling; shared, so a cached credential hands it to each
    /// request without copying its strings.
    pub caller: Arc<Caller>,
    /// For a call-centre JWT, the call centre (the JWT `sub`).
    pub call_center: Option<CallCenterScope>,
}

/// Checks tokens; cheap to clone. Its `Debug` shows only the cache size:
/// the cache is keyed by credential digests.
pub struct Authenticator {
    store: Store,
    cache: Mutex<HashMap<[u8; 32], (Authenticated, Instant)>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cached = self.cache.lock().map(|c| c.len()).unwrap_or_default();
        f.debug_struct("Authenticator")
            .field("store", &self.store)
            .field("cached", &cached)
            .finish()
    }
}

impl Authenticator {
    /// An authenticator over `store`.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Verifies a bearer credential: an API token, or a JWT (three
    /// dot-separated parts) of a configured call centre.
    pub async fn authenticate_credential(&self, token: &str) -> Result<Authenticated, AuthError> {
        // Keyed by a digest so the cache never holds a usable secret.
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(found) = self.cached(&key) {
            return Ok(found);
        }
        // The misses are boxed: their futures (a store read, a key lookup)
        // would otherwise make every request's middleware future, hit or
        // miss, as large as theirs.
        let (authenticated, expires) = if jwt::looks_like_jwt(token) {
            Box::pin(self.verify_jwt(token)).await?
        } else {
            (
                Box::pin(self.verify_api_token(token)).await?,
                Instant::now() + CACHE_TTL,
            )
        };
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, (authenticated.clone(), expires));
        Ok(authenticated)
    }

    async fn verify_api_token(&self, token: &str) -> Result<Authenticated, AuthError> {
        let presented = PresentedToken::parse(token).ok_or(AuthError::Invalid)?;
        let record = self
            .store
            .find_token(presented.id)
            .await?
            .ok_or(AuthError::Invalid)?;
        if record.revoke_time.is_some() || !presented.matches(&record.secret_sha256) {
            return Err(AuthError::Invalid);
        }
        Ok(Authenticated {
            caller: Arc::new(Caller {
                tenant: record.tenant,
                user: record.user,
            }),
            call_center: None,
        })
    }

    /// Verifies a call-centre JWT; returns the credential and how long it
    /// may be cached (never past the token's `exp`).
    async fn verify_jwt(&self, token: &str) -> Result<(Authenticated, Instant), AuthError> {
        let subject = jwt::unverified_subject(token)?;
        let center = self
            .store
            .find_call_center(&subject)
            .await?
            .ok_or(JwtRejection::Untrusted)?;
        let exp = jwt::verify(token, &center)?;
        let now_secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let remaining = Duration::from_secs(exp.saturating_sub(now_secs));
        let authenticated = Authenticated {
            caller: Arc::new(Caller {
                tenant: center.tenant,
                user: center.user,
            }),
            call_center: Some(CallCenterScope(center.api_name)),
        };
        Ok((authenticated, Instant::now() + remaining.min(CACHE_TTL)))
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Authenticated> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match cache.get(key) {
            Some((found, expires)) if *expires > Instant::now() => Some(found.clone()),
            _ => None,
        }
    }
}
