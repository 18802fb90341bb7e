//! The Salesforce Service Cloud Voice dialect: the Telephony Integration
//! REST API (`/telephony/v1`) over `VoiceCallService`. Credentials are the
//! call centre's JWT, forwarded as the bearer token and verified by the core
//! (`auth::jwt`). Bodies are JSON or XML (see [`xml`]); errors have one
//! envelope (see [`error`]).

use axum::Router;
use axum::routing::{patch, post};

use super::Upstream;

pub mod convert;
pub mod dto;
pub mod error;
mod routes;
pub mod xml;

/// The routes under `/telephony/v1`.
pub fn router(upstream: Upstream) -> Router {
    Router::new()
        .route("/telephony/v1/voiceCalls", post(routes::create))
        .route("/telephony/v1/voiceCalls/messages", post(routes::bulk_messages))
        .route("/telephony/v1/voiceCalls/{call_id}", patch(routes::update))
        .route(
            "/telephony/v1/voiceCalls/{call_id}/messages",
            post(routes::messages),
        )
        // Documented routes this server does not implement (routing and
        // conversation intelligence belong to Salesforce Omni-Channel).
        .route(
            "/telephony/v1/voiceCalls/{call_id}/omniFlow",
            patch(routes::not_implemented),
        )
        .route(
            "/telephony/v1/voiceCalls/{call_id}/routeVoiceCall",
            post(routes::not_implemented),
        )
        .route(
            "/telephony/v1/voiceCalls/{call_id}/requestCallback",
            post(routes::not_implemented),
        )
        .route(
            "/telephony/v1/voiceCalls/{call_id}/reroute",
            post(routes::not_implemented),
        )
        .route(
            "/telephony/v1/voiceCalls/{call_id}/clearRouting",
            patch(routes::not_implemented),
        )
        .route(
            "/telephony/v1/voiceCalls/{call_id}/realtimeConversationEvents",
            post(routes::not_implemented),
        )
        .route(
            "/telephony/v1/voiceCalls/{call_id}/postConversationEvents",
            post(routes::not_implemented),
        )
        .with_state(upstream)
}
