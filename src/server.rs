//! Assembles the one port: the gRPC services (with authentication,
//! reflection v1 and v1alpha, and `grpc.health.v1`), the REST facade, and the
//! tower layers around both; serves HTTP/1.1 and HTTP/2 (h2c) and shuts down
//! gracefully. Requests with `content-type: application/grpc*` go to gRPC,
//! everything else to the facade.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic_health::server::HealthReporter;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::{SetSensitiveRequestHeadersLayer, SetSensitiveResponseHeadersLayer};
use tower_http::trace::TraceLayer;

use crate::api::events::Events;
use crate::api::interaction::Interactions;
use crate::api::phone_call::PhoneCalls;
use crate::api::voice_call::VoiceCalls;
use crate::auth::{Authenticator, authenticate_grpc};
use crate::config::ServeConfig;
use crate::events::Hub;
use crate::facade::{self, Upstream};
use crate::limits::{Limits, grpc_limits, rest_limits};
use crate::pb;
use crate::pb::event_service_server::EventServiceServer;
use crate::pb::interaction_service_server::InteractionServiceServer;
use crate::pb::phone_call_service_server::PhoneCallServiceServer;
use crate::pb::voice_call_service_server::VoiceCallServiceServer;
use crate::store::Store;

/// The names `grpc.health.v1` reports on, besides the whole server ("").
const HEALTH_SERVICES: &[&str] = &[
    "switchboard.v1.InteractionService",
    "switchboard.v1.PhoneCallService",
    "switchboard.v1.VoiceCallService",
    "switchboard.v1.EventService",
];

/// A server ready to run: bound, migrated, assembled.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    app: Router,
    health: HealthReporter,
    shutdown: CancellationToken,
    drain_timeout: Duration,
    store: Store,
    hub: Hub,
}

impl Server {
    /// Opens the store (applying migrations), binds `config.listen` and
    /// assembles every service.
    pub async fn build(config: ServeConfig) -> anyhow::Result<Server> {
        let store = Store::open(&config.database.store_options())
            .await
            .with_context(|| format!("opening {}", config.database.database_url))?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let shutdown = CancellationToken::new();
        let (health, _) = tonic_health::server::health_reporter();
        let health_service = tonic_health::pb::health_server::HealthServer::new(
            crate::api::health::DrainingHealth::new(health.clone(), shutdown.clone()),
        );
        for name in HEALTH_SERVICES {
            health
                .set_service_status(*name, tonic_health::ServingStatus::Serving)
                .await;
        }

        let limit = config.max_request_bytes;
        let reflection_v1 = reflection().build_v1()?;
        let reflection_v1alpha = reflection().build_v1alpha()?;
        let authenticator = Arc::new(Authenticator::new(store.clone()));
        // One outbox reader per process fans events out to Watch streams.
        let hub = Hub::start(store.clone(), config.events.hub_config(), shutdown.clone());
        let grpc = Routes::new(
            InteractionServiceServer::new(Interactions::new(store.clone())).max_decoding_message_size(limit),
        )
        .add_service(
            PhoneCallServiceServer::new(PhoneCalls::new(store.clone())).max_decoding_message_size(limit),
        )
        .add_service(
            VoiceCallServiceServer::new(VoiceCalls::new(store.clone())).max_decoding_message_size(limit),
        )
        .add_service(
            EventServiceServer::new(Events::new(store.clone(), hub.clone(), shutdown.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .prepare()
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(
            authenticator,
            authenticate_grpc,
        ));
        let limits = Limits::new(config.max_in_flight, config.request_timeout);
        // External gRPC traffic is limited here; the facade's in-process calls
        // are limited once, at the REST edge.
        let grpc_edge = grpc
            .clone()
            .layer(axum::middleware::from_fn_with_state(limits.clone(), grpc_limits));

        let upstream = match &config.grpc_upstream {
            Some(uri) => Upstream::remote(uri.clone()).context("--grpc-upstream")?,
            None => Upstream::in_process(grpc.clone()),
        };
        // CometD needs the shutdown token (pending long-polls are answered at
        // once), so it is merged here rather than inside `facade::router`.
        let mut cometd_config = config.events.cometd_config();
        cometd_config.max_body = cometd_config.max_body.min(limit);
        let cometd = facade::cometd::router(upstream.clone(), cometd_config, shutdown.clone());
        // The edge middleware enforces the configured body limit (in each
        // dialect's shape); axum's own 2 MiB default would otherwise refuse
        // larger bodies that the configuration allows, in plain text.
        let rest = facade::router(upstream)
            .merge(cometd)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .layer(axum::middleware::from_fn_with_state(
                limit,
                facade::edge::body_limit,
            ))
            .layer(axum::middleware::from_fn_with_state(limits, rest_limits));

        let dispatch = tower::service_fn(move |request: Request| {
            let target = if is_grpc(&request) {
                grpc_edge.clone()
            } else {
                rest.clone()
            };
            target.oneshot(request)
        });
        // Credentials are marked sensitive before anything can log them, so
        // header logging (a trace layer, a `Debug` of the request) prints
        // `Sensitive` instead of the value; responses carry the CSRF token.
        let app = Router::new()
            .fallback_service(dispatch)
            .layer(SetSensitiveResponseHeadersLayer::new(sensitive_headers()))
            .layer(TraceLayer::new_for_http())
            .layer(SetSensitiveRequestHeadersLayer::new(sensitive_headers()))
            .layer(CatchPanicLayer::new());

        Ok(Server {
            listener,
            app,
            health,
            shutdown,
            drain_timeout: config.drain_timeout,
            store,
            hub,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The store the server runs on.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The hub that fans this server's events out to its `Watch` streams.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Serves (and runs the phone-call timers) until `signal` resolves, then
    /// shuts down: health turns NOT_SERVING, the listener closes, streams
    /// and timers are told to end, and
    /// in-flight requests get `drain_timeout` to finish before the remaining
    /// connections are dropped.
    pub async fn run(self, signal: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let Server {
            listener,
            app,
            health,
            shutdown,
            drain_timeout,
            store,
            hub: _,
        } = self;
        // Phone-call timers (pickup, parking, duration) live in the store, so
        // this task only has to look for due ones; it stops with the server.
        let timers = tokio::spawn(crate::store::phone_calls::run_timers(
            store.clone(),
            shutdown.clone(),
        ));
        let expiry = tokio::spawn(crate::store::idempotency::run_expiry(store, shutdown.clone()));
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(1024)
            .keep_alive_interval(Some(Duration::from_secs(30)));
        let graceful = GracefulShutdown::new();
        let service = TowerToHyperService::new(app);
        tokio::pin!(signal);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let stream = match accepted {
                        Ok((stream, _peer)) => stream,
                        Err(error) => {
                            // Usually EMFILE: back off instead of spinning.
                            tracing::warn!(%error, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let connection = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service.clone())
                        .into_owned();
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%error, "connection ended with an error");
                        }
                    });
                }
                () = &mut signal => break,
            }
        }
        tracing::info!("shutting down: draining in-flight requests");
        health
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
        for name in HEALTH_SERVICES {
            health
                .set_service_status(*name, tonic_health::ServingStatus::NotServing)
                .await;
        }
        drop(listener);
        shutdown.cancel();
        if let Err(error) = timers.await {
            tracing::error!(%error, "the phone-call timer task failed");
        }
        if let Err(error) = expiry.await {
            tracing::error!(%error, "the idempotency-key expiry task failed");
        }
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("drained"),
            () = tokio::time::sleep(drain_timeout) => {
                tracing::warn!(?drain_timeout, "drain timed out; closing the remaining connections");
            }
        }
        Ok(())
    }
}

/// Reflection over our API, health, and the `google.rpc` error details (so
/// grpcurl can print `BadRequest`, `ErrorInfo` … in error responses).
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
}

/// Headers that carry credentials in some dialect: bearer and Basic
/// credentials, the Hubgets xsrf cookie and header, the Genesys CSRF token.
fn sensitive_headers() -> [http::HeaderName; 4] {
    [
        http::header::AUTHORIZATION,
        http::header::COOKIE,
        http::HeaderName::from_static("x-xsrf-token"),
        http::HeaderName::from_static("x-csrf-token"),
    ]
}

fn is_grpc(request: &Request) -> bool {
    request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
