//! Authentication: bearer tokens (issue, verify), Salesforce call-centre
//! JWTs, the authenticator with its short-lived cache, and the gRPC
//! middleware that turns an `authorization` header into a
//! [`Caller`](crate::domain::Caller). Dialects extract their own credential
//! shapes (cookies, Basic, JWT) in the facade and forward them as a bearer
//! token, so every credential is checked here, once.

mod authenticator;
mod grpc;
pub mod jwt;
pub mod token;

pub use authenticator::{AuthError, Authenticated, Authenticator, CallCenterScope};
pub use grpc::{authenticate_grpc, is_public_grpc_path};
