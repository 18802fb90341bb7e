//! The tonic service implementations: protobuf in, domain calls, protobuf
//! out. Each reads the authenticated [`Caller`] from the request extensions
//! (put there by `auth::authenticate_grpc`) and passes it to the store, which
//! scopes everything to the caller's tenant. No SQL and no business rules
//! here.

use std::sync::Arc;

use tonic::{Request, Status};

use crate::domain::Caller;

pub mod convert;
pub mod error;
pub mod events;
pub mod health;
pub mod idempotency;
pub mod interaction;
pub mod phone_call;
pub mod voice_call;

/// The caller of an authenticated request.
pub fn caller<T>(request: &Request<T>) -> Result<Arc<Caller>, Status> {
    request
        .extensions()
        .get::<Arc<Caller>>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("missing credentials: send `authorization: Bearer <token>`"))
}
