//! One `Watch` subscriber: replay from its cursor straight from the outbox,
//! then live events from the hub, with no gap and no duplicate across the
//! switch.
//!
//! The replay reads pages up to the hub's current position without holding
//! a live queue (a long replay cannot overflow one), repeating until it has
//! caught up; only then does it register with the hub, which answers with
//! its position `P` at that instant, reads the few events up to `P`, and
//! continues with the live queue, which holds exactly the events after `P`.
//! Every event passes a final `sequence > last delivered` check, so a cursor
//! ahead of the hub (a number the client got from a unary response before
//! the hub read it) yields no duplicate either. A watch "from now" has
//! nothing to replay and registers before the response is sent.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::hub::Next;
use super::{Hub, Subscription};
use crate::domain::event::{Event, Selector};
use crate::store::{Store, StoreError, outbox};

/// Events buffered between the subscriber task and the client's stream.
const STREAM_BUFFER: usize = 32;
/// How long a new watch waits for a hub that has not read its first
/// horizon yet.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a watch ended (after the events already yielded).
#[derive(Debug)]
pub enum Ended {
    /// The subscriber fell behind and its live queue filled up.
    Overflowed,
    /// The server is shutting down.
    ShuttingDown,
    /// The outbox could not be read.
    Store(StoreError),
}

/// Starts watching for `selector` after `after` (`None`: after the highest
/// sequence visible now, so every event committed after this call is
/// delivered).
pub async fn watch(
    hub: &Hub,
    store: &Store,
    selector: Selector,
    after: Option<i64>,
    shutdown: CancellationToken,
) -> Result<Watching, Ended> {
    let ready = tokio::select! {
        ready = tokio::time::timeout(READY_TIMEOUT, hub.ready()) => ready,
        () = shutdown.cancelled() => return Err(Ended::ShuttingDown),
    };
    match ready {
        Ok(Some(_)) => {}
        Ok(None) => return Err(Ended::ShuttingDown),
        // The hub cannot read the outbox (the database is down at start).
        Err(_) => return Err(Ended::Store(StoreError::Unavailable)),
    }
    // "From now" is "after the highest number visible now": every event
    // committed after this call has a higher one. Such a watch has nothing
    // to replay, so it registers with the hub before answering: the client
    // is live the moment it has the response, and a slow one overflows as
    // documented instead of being served by an unbounded catch-up replay
    // when its task happened to start late.
    let (cursor, subscription) = match after {
        Some(after) => (after, None),
        None => {
            let subscription = hub.subscribe(selector.clone()).ok_or(Ended::ShuttingDown)?;
            let cursor = store.latest_sequence().await.map_err(Ended::Store)?;
            (cursor, Some(subscription))
        }
    };
    let (sender, receiver) = mpsc::channel(STREAM_BUFFER);
    let task = Task {
        hub: hub.clone(),
        store: store.clone(),
        selector,
        delivered: cursor,
        scanned: cursor,
        out: sender,
        shutdown,
    };
    tokio::spawn(task.run(subscription));
    Ok(Watching {
        after: cursor,
        receiver,
    })
}

/// A started watch.
#[derive(Debug)]
pub struct Watching {
    /// The cursor it starts after (resolved when the request had none).
    pub after: i64,
    /// Events in ascending `sequence`, then possibly one `Err` saying why
    /// the watch ended.
    pub receiver: mpsc::Receiver<Result<Arc<Event>, Ended>>,
}

struct Task {
    hub: Hub,
    store: Store,
    selector: Selector,
    /// The sequence of the last event sent (or the starting cursor).
    delivered: i64,
    /// Everything up to here has been looked at.
    scanned: i64,
    out: mpsc::Sender<Result<Arc<Event>, Ended>>,
    shutdown: CancellationToken,
}

/// Whether the task should go on.
type Flow = Result<(), Stop>;

enum Stop {
    /// The client went away; nothing more to send.
    Gone,
    /// Send this reason, then stop.
    End(Ended),
}

impl Task {
    async fn run(mut self, subscription: Option<Subscription>) {
        let flow = self.serve(subscription).await;
        if let Err(Stop::End(reason)) = flow {
            if let Ended::Store(error) = &reason {
                tracing::warn!(%error, "Watch ended: reading the outbox failed");
            }
            // The reason queues behind the events already sent, so it must
            // wait for room (`try_send` would lose it exactly when a slow
            // client filled the queue, and the client would see a plain
            // disconnect instead of "resume from your cursor"). A client
            // that has gone or a shutdown ends the wait.
            tokio::select! {
                _ = self.out.send(Err(reason)) => {}
                () = self.shutdown.cancelled() => {}
            }
        }
    }

    /// Serves the watch; `subscription` is the live queue when it was
    /// registered up front (a watch "from now").
    async fn serve(&mut self, subscription: Option<Subscription>) -> Flow {
        let mut subscription = match subscription {
            Some(subscription) => subscription,
            None => {
                // Replay without a live queue until caught up with the hub…
                loop {
                    let position = self.hub.position().unwrap_or(self.scanned);
                    if self.scanned >= position {
                        break;
                    }
                    self.replay_page(position).await?;
                }
                // …then register…
                self.hub
                    .subscribe(self.selector.clone())
                    .ok_or(Stop::End(Ended::ShuttingDown))?
            }
        };
        // …and close the (small) remaining distance.
        let position = subscription.after();
        while self.scanned < position {
            self.replay_page(position).await?;
        }
        loop {
            let next = tokio::select! {
                next = subscription.next() => next,
                () = self.shutdown.cancelled() => return Err(Stop::End(Ended::ShuttingDown)),
                () = self.out.closed() => return Err(Stop::Gone),
            };
            match next {
                Next::Event(event) => self.send(event).await?,
                Next::Overflowed => return Err(Stop::End(Ended::Overflowed)),
                Next::Closed => return Err(Stop::End(Ended::ShuttingDown)),
            }
        }
    }

    /// Replays one page of `(scanned, upto]`.
    async fn replay_page(&mut self, upto: i64) -> Flow {
        let page = self.hub.config().page_size.max(1);
        let read = outbox::read_selected(self.store.reader(), &self.selector, self.scanned, upto, page);
        let events = tokio::select! {
            events = read => events.map_err(|e| Stop::End(Ended::Store(e)))?,
            () = self.shutdown.cancelled() => return Err(Stop::End(Ended::ShuttingDown)),
        };
        let full = events.len() as u64 == page;
        let reached = match events.last() {
            Some(last) if full => last.sequence,
            _ => upto,
        };
        for event in events {
            self.send(Arc::new(event)).await?;
        }
        self.scanned = self.scanned.max(reached);
        Ok(())
    }

    async fn send(&mut self, event: Arc<Event>) -> Flow {
        if event.sequence <= self.delivered {
            return Ok(());
        }
        let sequence = event.sequence;
        tokio::select! {
            sent = self.out.send(Ok(event)) => sent.map_err(|_| Stop::Gone)?,
            () = self.shutdown.cancelled() => return Err(Stop::End(Ended::ShuttingDown)),
        }
        self.delivered = sequence;
        self.scanned = self.scanned.max(sequence);
        Ok(())
    }
}
