//! The Genesys Web Services (GWS 8.5) dialect: the UCS interaction API
//! (`FindPhoneCall`, `SetCallCompleted`, `SetCallNote`, `SetCallContact`)
//! and the Interaction History API (`RetrieveInteractionHistory`,
//! `RetrieveAgentHistory`, `RetrieveContactHistory`, and `GET` of the
//! interaction history resources), over `InteractionService` and
//! `EventService.PublishNotification`. See `docs/dialects.md`.
//!
//! - `auth`: Basic (user + Switchboard token) with the CSRF pair, or Bearer.
//! - `interactions`: the handlers.
//! - `dto`: the vendor's JSON shapes; `convert`: DTO ↔ protobuf;
//!   `resource`: the interaction history resource renderer (also used by the
//!   CometD layer); `error`: every error envelope and HTTP status.

use axum::Router;
use axum::routing::{get, post};

use super::Upstream;

pub mod auth;
pub mod convert;
pub mod dto;
pub mod error;
pub mod interactions;
pub mod resource;

pub use resource::interaction_json;

/// The Genesys routes.
pub fn router(upstream: Upstream) -> Router {
    use interactions::{
        get as get_interaction, list, method_not_allowed, operate_on_collection, operate_on_contact,
        operate_on_interaction,
    };
    Router::new()
        .route(
            "/api/v2/ucs/interactions",
            get(list).post(operate_on_collection).fallback(method_not_allowed),
        )
        .route(
            "/api/v2/ucs/interactions/{id}",
            get(get_interaction)
                .post(operate_on_interaction)
                .fallback(method_not_allowed),
        )
        .route(
            "/api/v2/interactions/{id}",
            get(get_interaction).fallback(method_not_allowed),
        )
        .route(
            "/api/v2/ucs/contacts/{id}/interactions",
            post(operate_on_contact).fallback(method_not_allowed),
        )
        .with_state(upstream)
}
