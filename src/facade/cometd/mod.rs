//! CometD (Bayeux 1.0) notifications for Genesys callers at
//! `/api/v2/notifications`, long-polling transport only.
//!
//! The facade only translates: a handshake (authenticated like the Genesys
//! dialect: HTTP Basic `user:token`, or a bearer token) opens a session
//! backed by a gRPC `EventService.Watch` with that credential, so the
//! session sees exactly its tenant's events and its user's notifications.
//! Events become Bayeux messages (`convert`) on the channels clients
//! subscribe to: UCS results published as notifications (topic = channel,
//! `referenceId` = event sequence) and interaction state changes on
//! `/v2/me/interactions`.
//!
//! - `channel`: channel names and `/*`, `/**` patterns.
//! - `protocol`: message shapes, advice, error strings.
//! - `session`: sessions, their Watch feed, the expiry sweeper.
//! - `routes`: the HTTP handler and per-message dispatch.
//! - `error`: gRPC outcomes and HTTP failures → what the client sees.
//!
//! Limits: request bodies up to `max_body` bytes (413 beyond), `max_queue`
//! messages per session between connects, `max_sessions` sessions per
//! process. Sessions live in this process's memory: a client whose server
//! restarts gets `402` and handshakes again.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use tokio_util::sync::CancellationToken;

use super::Upstream;

mod channel;
mod convert;
mod error;
mod protocol;
mod routes;
mod session;

pub use convert::interaction_json;

/// The mount point.
pub const PATH: &str = "/api/v2/notifications";

/// CometD settings (see `config::EventsConfig` for their flags).
#[derive(Clone, Debug)]
pub struct CometdConfig {
    /// How long a `/meta/connect` is held (advice `timeout`).
    pub timeout: Duration,
    /// The client's pause between connects (advice `interval`).
    pub interval: Duration,
    /// A session with no connect for this long after the last one is
    /// dropped.
    pub max_interval: Duration,
    /// Messages queued per session.
    pub max_queue: usize,
    /// Concurrent sessions.
    pub max_sessions: usize,
    /// Largest request body, in bytes.
    pub max_body: usize,
}

impl Default for CometdConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            interval: Duration::ZERO,
            max_interval: Duration::from_secs(10),
            max_queue: 1000,
            max_sessions: 10_000,
            max_body: 32 * 1024,
        }
    }
}

/// 413 as a Bayeux client reads it (an unsuccessful message array), for the
/// server's body limit.
pub fn too_large(limit: usize) -> axum::response::Response {
    axum::response::IntoResponse::into_response(error::HttpError::TooLarge(limit))
}

/// The CometD router. Pending connects are answered at once (advice
/// `retry`) when `shutdown` is cancelled.
pub fn router(upstream: Upstream, config: CometdConfig, shutdown: CancellationToken) -> Router {
    let sessions = session::Sessions::start(upstream, config, shutdown);
    let endpoint = post(routes::bayeux).get(routes::no_websocket);
    Router::new()
        .route(PATH, endpoint.clone())
        .route(&format!("{PATH}/"), endpoint.clone())
        .route(&format!("{PATH}/{{*rest}}"), endpoint)
        .with_state(Arc::clone(&sessions))
}
