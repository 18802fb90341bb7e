//! `Idempotency-Key` for every REST create, carried to the gRPC API as
//! `idempotency-key` metadata, and `Idempotent-Replayed: true` on a REST
//! response whose create repeated an earlier one.
//!
//! The dialect handlers stay unaware of both: [`layer`] puts the request's
//! key into a task-local scope around the handler, and the upstream channel
//! ([`forwarding`]) attaches it to the create RPCs the handler makes and
//! notes a replay in the scope. The channel's request and response hooks
//! run while the handler's task polls the call, so the scope is visible for
//! the in-process and the remote upstream alike.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

use super::upstream::{BoxError, Channel};
// The REST headers have the same names as the gRPC metadata.
use crate::api::idempotency::{KEY, REPLAYED};

type GrpcRequest = http::Request<tonic::body::Body>;

/// The gRPC methods that create; only these carry the key.
const CREATES: &[&str] = &[
    "/switchboard.v1.InteractionService/FindOrCreatePhoneCallInteraction",
    "/switchboard.v1.PhoneCallService/CreatePhoneCall",
    "/switchboard.v1.VoiceCallService/CreateVoiceCall",
];

tokio::task_local! {
    static SCOPE: Arc<Scope>;
}

/// One REST request's key and what its creates reported.
#[derive(Debug, Default)]
struct Scope {
    key: Option<HeaderValue>,
    /// Creates forwarded so far.
    creates: AtomicU32,
    replayed: AtomicBool,
}

/// Axum middleware: runs the handler inside the request's scope and marks
/// the response when a create was a replay.
pub async fn layer(request: Request, next: Next) -> Response {
    let scope = Arc::new(Scope {
        key: request.headers().get(KEY).cloned(),
        ..Scope::default()
    });
    let mut response = SCOPE.scope(scope.clone(), next.run(request)).await;
    if scope.replayed.load(Ordering::Relaxed) {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// `channel`, forwarding the scope's key on creates and noting replays.
pub fn forwarding<S>(channel: S) -> Channel
where
    S: Service<GrpcRequest, Response = http::Response<tonic::body::Body>, Error = BoxError>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let service = channel
        .map_request(|mut request: GrpcRequest| {
            if CREATES.contains(&request.uri().path())
                && let Some(key) = SCOPE.try_with(next_key).ok().flatten()
            {
                request.headers_mut().insert(KEY, key);
            }
            request
        })
        .map_response(|response: http::Response<tonic::body::Body>| {
            if response.headers().get(REPLAYED).is_some_and(|v| v == "true") {
                let _ = SCOPE.try_with(|scope| scope.replayed.store(true, Ordering::Relaxed));
            }
            response
        });
    BoxCloneSyncService::new(service)
}

/// The key for the scope's next create: the client's key for the first,
/// `key#2`, `key#3`… for further creates of the same REST request (a
/// request that creates several calls), so each is idempotent on its own.
fn next_key(scope: &Arc<Scope>) -> Option<HeaderValue> {
    let key = scope.key.as_ref()?;
    let n = scope.creates.fetch_add(1, Ordering::Relaxed) + 1;
    if n == 1 {
        return Some(key.clone());
    }
    let mut numbered = key.as_bytes().to_vec();
    numbered.extend_from_slice(format!("#{n}").as_bytes());
    HeaderValue::from_bytes(&numbered).ok()
}
