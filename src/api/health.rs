//! `grpc.health.v1` that lets a drain finish: tonic-health's `Watch` streams
//! never end on their own, so each would hold its HTTP/2 connection (and the
//! drain) open until the drain timeout. Here a `Watch` ends once shutdown
//! starts, after telling its client NOT_SERVING.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_server::Health;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_health::server::{HealthReporter, HealthService};

/// tonic-health's service, with `Watch` streams that end at shutdown.
#[derive(Debug)]
pub struct DrainingHealth {
    inner: HealthService,
    shutdown: CancellationToken,
}

impl DrainingHealth {
    /// Serves `reporter`'s statuses until `shutdown`.
    pub fn new(reporter: HealthReporter, shutdown: CancellationToken) -> Self {
        Self {
            inner: HealthService::from_health_reporter(reporter),
            shutdown,
        }
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for DrainingHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        self.inner.check(request).await
    }

    type WatchStream = WatchStream;

    async fn watch(&self, request: Request<HealthCheckRequest>) -> Result<Response<WatchStream>, Status> {
        let statuses = self.inner.watch(request).await?.into_inner();
        // The server turns every status NOT_SERVING before it cancels, so
        // the last word is NOT_SERVING even if the stream is cut before
        // that change reached it (a repeat is harmless: clients act on the
        // status, not on the number of messages).
        let not_serving = futures::stream::once(async {
            Ok(HealthCheckResponse {
                status: ServingStatus::NotServing as i32,
            })
        });
        let stream = statuses
            .take_until(self.shutdown.clone().cancelled_owned())
            .chain(not_serving);
        Ok(Response::new(Box::pin(stream)))
    }
}
