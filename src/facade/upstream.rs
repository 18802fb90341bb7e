//! The facade's way into the gRPC API: generated tonic clients over either
//! this process's own gRPC router (no socket, no HTTP/2 framing; the request
//! still passes the authentication middleware and the service code exactly
//! as a remote call would) or a remote Switchboard (`--grpc-upstream`).

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use tonic::metadata::MetadataValue;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use crate::pb::event_service_client::EventServiceClient;
use crate::pb::interaction_service_client::InteractionServiceClient;
use crate::pb::phone_call_service_client::PhoneCallServiceClient;
use crate::pb::voice_call_service_client::VoiceCallServiceClient;

/// A boxed error, as tower services return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A gRPC channel, local or remote.
pub type Channel =
    BoxCloneSyncService<http::Request<tonic::body::Body>, http::Response<tonic::body::Body>, BoxError>;

/// How long a facade request may wait for the gRPC API.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

/// Clients for every gRPC service, shared: handlers take the facade's state
/// by value, so a clone per request is one reference count, not four
/// boxed channels.
#[derive(Clone, Debug)]
pub struct Upstream(Arc<Clients>);

impl Deref for Upstream {
    type Target = Clients;

    fn deref(&self) -> &Clients {
        &self.0
    }
}

/// The generated clients, one per gRPC service.
#[derive(Debug)]
pub struct Clients {
    /// `InteractionService`.
    pub interactions: InteractionServiceClient<Channel>,
    /// `PhoneCallService`.
    pub phone_calls: PhoneCallServiceClient<Channel>,
    /// `VoiceCallService`.
    pub voice_calls: VoiceCallServiceClient<Channel>,
    /// `EventService`.
    pub events: EventServiceClient<Channel>,
}

impl Upstream {
    /// Clients that call `grpc` (this process's gRPC router) directly.
    pub fn in_process(grpc: axum::Router) -> Self {
        type GrpcRequest = http::Request<tonic::body::Body>;
        let service =
            ServiceExt::<GrpcRequest>::map_response(grpc, |response: http::Response<axum::body::Body>| {
                response.map(tonic::body::Body::new)
            });
        let service = ServiceExt::<GrpcRequest>::map_err(service, BoxError::from);
        Self::over(super::idempotency::forwarding(service))
    }

    /// Clients of the Switchboard at `uri`; connects lazily.
    pub fn remote(uri: http::Uri) -> Result<Self, tonic::transport::Error> {
        let channel = tonic::transport::Endpoint::from(uri)
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5))
            .connect_lazy();
        Ok(Self::over(super::idempotency::forwarding(
            channel.map_err(BoxError::from),
        )))
    }

    fn over(channel: Channel) -> Self {
        Self(Arc::new(Clients {
            interactions: InteractionServiceClient::new(channel.clone()),
            phone_calls: PhoneCallServiceClient::new(channel.clone()),
            voice_calls: VoiceCallServiceClient::new(channel.clone()),
            events: EventServiceClient::new(channel),
        }))
    }
}

/// A gRPC request carrying `token` as its bearer credential and the default
/// deadline. A token that cannot be a header value is sent as an empty one,
/// which the API refuses as unauthenticated.
pub fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = MetadataValue::try_from(format!("Bearer {token}"))
        .unwrap_or_else(|_| MetadataValue::from_static("Bearer "));
    request.metadata_mut().insert("authorization", value);
    request.set_timeout(DEFAULT_DEADLINE);
    request
}

/// A gRPC call as a boxed `Send` future. The tonic client futures over the
/// boxed upstream channel trip rustc's higher-ranked lifetime inference
/// (rust-lang/rust#102211) when axum checks a handler future for `Send`;
/// boxing at the call site proves `Send` where the types are concrete.
pub fn boxed<'a, T>(future: impl Future<Output = T> + Send + 'a) -> futures::future::BoxFuture<'a, T> {
    Box::pin(future)
}
