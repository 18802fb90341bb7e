//! The REST facade: one module per vendor dialect, each translating the
//! vendor's documented JSON into protobuf requests, calling the gRPC API
//! through [`Upstream`], and translating the answer (or the `tonic::Status`)
//! back into the vendor's exact shapes. The facade never touches the store
//! and holds no business rules: everything it can do, a gRPC client can do.

use axum::Router;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

pub mod cometd;
pub mod credentials;
pub mod edge;
pub mod fields;
pub mod genesys;
pub mod hubgets;
pub mod idempotency;
pub mod openapi;
pub mod salesforce;
pub mod status;
pub mod upstream;
pub mod vcita;

pub use upstream::Upstream;

/// The REST router of every dialect.
pub fn router(upstream: Upstream) -> Router {
    Router::new()
        .merge(genesys::router(upstream.clone()))
        .merge(hubgets::router(upstream.clone()))
        .merge(salesforce::router(upstream.clone()))
        .merge(vcita::router(upstream))
        .route(openapi::PATH, axum::routing::get(openapi::serve))
        .fallback(no_route)
        .layer(axum::middleware::from_fn(idempotency::layer))
}

/// Answers paths that no dialect serves.
async fn no_route(method: Method, uri: Uri) -> Response {
    let body = serde_json::json!({
        "error": {"code": "not_found", "message": format!("no route for {method} {}", uri.path())}
    });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}
