//! The gRPC authentication middleware: every call except health checks and
//! reflection needs `authorization: Bearer <token>`; the resulting
//! [`Caller`](crate::domain::Caller) is put in the request extensions (as an
//! `Arc`, shared with the credential cache), where the service
//! implementations read it.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tonic::Status;

use super::{AuthError, Authenticator};

/// Services that answer without credentials.
pub fn is_public_grpc_path(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

/// axum middleware for the gRPC router.
pub async fn authenticate_grpc(
    State(authenticator): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    if is_public_grpc_path(request.uri().path()) {
        return next.run(request).await;
    }
    let bearer = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let result = match bearer {
        None => Err(AuthError::Missing),
        Some(token) => authenticator.authenticate_credential(token).await,
    };
    match result {
        Ok(authenticated) => {
            request.extensions_mut().insert(authenticated.caller);
            if let Some(scope) = authenticated.call_center {
                request.extensions_mut().insert(scope);
            }
            next.run(request).await
        }
        Err(error) => {
            let status = match &error {
                AuthError::Missing | AuthError::Invalid | AuthError::Jwt(_) => {
                    Status::unauthenticated(error.to_string())
                }
                AuthError::Unavailable(cause) => {
                    tracing::error!(error = %cause, "token verification failed");
                    Status::unavailable("cannot verify credentials right now; retry")
                }
            };
            status.into_http::<Body>()
        }
    }
}
