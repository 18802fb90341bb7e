//! `EventService`: `Watch` (replay from a cursor, then live; served by
//! `crate::events`) and `PublishNotification`.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::{FutureExt, Stream};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::{Request, Response, Status};

use super::caller;
use super::convert::common::struct_to_json;
use super::convert::event::{event, resource_type_from_pb};
use crate::domain::common::{MAX_NOTIFICATION_BYTES, MAX_SHORT_TEXT, bounded_json_max, required_text};
use crate::domain::error::Violations;
use crate::domain::event::{Event, Selector};
use crate::events::{Ended, Hub};
use crate::pb;
use crate::pb::event_service_server::EventService;
use crate::store::Store;
use crate::store::outbox;

/// Response metadata of `Watch`: the sequence the stream starts after.
pub const AFTER_SEQUENCE_HEADER: &str = "switchboard-after-sequence";

/// The `EventService` implementation.
#[derive(Clone, Debug)]
pub struct Events {
    store: Store,
    hub: Hub,
    shutdown: CancellationToken,
}

impl Events {
    /// The service over `store`, streaming through `hub`; open streams end
    /// with `UNAVAILABLE` once `shutdown` is cancelled.
    pub fn new(store: Store, hub: Hub, shutdown: CancellationToken) -> Self {
        Self { store, hub, shutdown }
    }
}

#[tonic::async_trait]
impl EventService for Events {
    type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::Event, Status>> + Send>>;

    async fn watch(&self, request: Request<pb::WatchRequest>) -> Result<Response<Self::WatchStream>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        if r.after_sequence.is_some_and(|s| s < 0) {
            v.add("after_sequence", "must not be negative");
        }
        let mut resource_types = Vec::with_capacity(r.resource_types.len());
        for (i, &number) in r.resource_types.iter().enumerate() {
            match resource_type_from_pb(number) {
                Some(kind) if !resource_types.contains(&kind) => resource_types.push(kind),
                Some(_) => {}
                None => v.add(
                    format!("resource_types[{i}]"),
                    "must be a known resource type other than RESOURCE_TYPE_UNSPECIFIED",
                ),
            }
        }
        let resource = if r.resource.is_empty() {
            None
        } else {
            Some(v.check(required_text("resource", &r.resource, MAX_SHORT_TEXT)))
        };
        v.finish()?;
        let selector = Selector {
            tenant: caller.tenant.clone(),
            user: caller.user.id.clone(),
            resource_types,
            resource,
        };
        if self.shutdown.is_cancelled() {
            return Err(shutting_down());
        }
        let watching = crate::events::watch(
            &self.hub,
            &self.store,
            selector,
            r.after_sequence,
            self.shutdown.clone(),
        )
        .await
        .map_err(ended)?;
        let mut response = Response::new(Box::pin(WatchStream {
            receiver: watching.receiver,
            shutdown: Box::pin(self.shutdown.clone().cancelled_owned()),
            done: false,
        }) as Self::WatchStream);
        // The resolved starting cursor (documented on `Watch`): a client that
        // started "from now" can resume from it before any event arrived.
        response.metadata_mut().insert(
            AFTER_SEQUENCE_HEADER,
            tonic::metadata::MetadataValue::from(watching.after),
        );
        Ok(response)
    }

    async fn publish_notification(
        &self,
        request: Request<pb::PublishNotificationRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let topic = v.check(required_text("topic", &r.topic, MAX_SHORT_TEXT));
        let data = v.check(
            struct_to_json("data", r.data.as_ref())
                .and_then(|d| bounded_json_max("data", d, MAX_NOTIFICATION_BYTES)),
        );
        v.finish()?;
        let published = outbox::publish_notification(&self.store, &caller, topic, data).await?;
        Ok(Response::new(event(&published)))
    }
}

/// The client's side of a watch: events as protobuf, ended by the first
/// error, and by `UNAVAILABLE` the moment shutdown starts (even while the
/// subscriber task is blocked), so draining never waits for a stream.
struct WatchStream {
    receiver: mpsc::Receiver<Result<Arc<Event>, Ended>>,
    shutdown: Pin<Box<WaitForCancellationFutureOwned>>,
    done: bool,
}

impl Stream for WatchStream {
    type Item = Result<pb::Event, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.shutdown.poll_unpin(cx).is_ready() {
            self.done = true;
            return Poll::Ready(Some(Err(shutting_down())));
        }
        match self.receiver.poll_recv(cx) {
            Poll::Ready(Some(Ok(e))) => Poll::Ready(Some(Ok(event(&e)))),
            Poll::Ready(Some(Err(reason))) => {
                self.done = true;
                Poll::Ready(Some(Err(ended(reason))))
            }
            Poll::Ready(None) => {
                // The task only stops silently when the client has gone.
                self.done = true;
                Poll::Ready(Some(Err(shutting_down())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

fn ended(reason: Ended) -> Status {
    match reason {
        Ended::Overflowed => Status::resource_exhausted(
            "this subscriber fell behind and was dropped; Watch again with after_sequence set to the last sequence received",
        ),
        Ended::ShuttingDown => shutting_down(),
        Ended::Store(error) => error.into(),
    }
}

fn shutting_down() -> Status {
    Status::unavailable(
        "the server is shutting down; Watch again (on any instance) with after_sequence set to the last sequence received",
    )
}
