//! The vcita (inTandem) Developer API v3 voice-call dialect
//! (`/v3/communication/voice_calls`) over `VoiceCallService`. Credentials are
//! `Authorization: Bearer <token>` (a Switchboard API token), forwarded to
//! the core. Errors have one envelope (see [`error`]).

use axum::Router;
use axum::routing::{get, put};

use super::Upstream;

pub mod convert;
pub mod dto;
pub mod error;
mod routes;

/// The routes under `/v3/communication`.
pub fn router(upstream: Upstream) -> Router {
    Router::new()
        .route(
            "/v3/communication/voice_calls",
            get(routes::list).post(routes::create),
        )
        .route(
            "/v3/communication/voice_calls/reports/voice_call_stats",
            get(routes::stats),
        )
        .route(
            "/v3/communication/voice_calls/{uid}",
            get(routes::get_one).put(routes::update),
        )
        .route(
            "/v3/communication/voice_calls/{uid}/transcript",
            get(routes::transcript),
        )
        // Documented routes this server does not serve yet.
        .route(
            "/v3/communication/voice_call_recordings/{uid}",
            put(routes::not_implemented).delete(routes::not_implemented),
        )
        .route(
            "/v3/communication/voice_call_quotas",
            get(routes::not_implemented),
        )
        .route(
            "/v3/communication/voice_call_settings",
            get(routes::not_implemented).post(routes::not_implemented),
        )
        .route(
            "/v3/communication/voice_call_settings/{uid}",
            get(routes::not_implemented)
                .put(routes::not_implemented)
                .delete(routes::not_implemented),
        )
        .with_state(upstream)
}
