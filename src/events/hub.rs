//! The per-process hub: one task reads the outbox up to the horizon after
//! each wake-up and offers every event to the subscribers of its tenant that
//! it matches, through one bounded queue per subscriber.
//!
//! The hub never waits for a subscriber: `try_send` into a full queue ends
//! that subscription as overflowed (its queue is dropped, so memory stays
//! bounded) and the hub moves on. Registration and dispatch take the same
//! lock, and dispatch moves the hub's position under it, so a new
//! subscriber learns exactly where its live queue starts: it receives every
//! matching event after [`Subscription::after`] and none before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::HubConfig;
use super::reader::Reader;
use super::wake;
use crate::domain::event::{Event, Selector};
use crate::domain::ids::TenantId;
use crate::store::{Backend, Store, StoreError, outbox};

/// First retry delay while marks wait for running transactions.
const PENDING_RETRY_START: Duration = Duration::from_millis(2);
/// Longest retry delay while marks wait.
const PENDING_RETRY_MAX: Duration = Duration::from_millis(100);
/// Longest delay between attempts while the database fails.
const ERROR_RETRY_MAX: Duration = Duration::from_secs(5);

/// The hub's handle; cheap to clone.
#[derive(Clone, Debug)]
pub struct Hub {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// The position every event up to which has been dispatched; `None`
    /// until the first horizon is known.
    position: watch::Sender<Option<i64>>,
    config: HubConfig,
}

#[derive(Debug, Default)]
struct State {
    position: Option<i64>,
    tenants: HashMap<TenantId, Vec<Slot>>,
    next_id: u64,
    closed: bool,
}

#[derive(Debug)]
struct Slot {
    id: u64,
    selector: Selector,
    sender: mpsc::Sender<Arc<Event>>,
    overflowed: Arc<AtomicBool>,
}

/// What a live subscription yields.
#[derive(Debug)]
pub enum Next {
    /// The next matching event.
    Event(Arc<Event>),
    /// The subscriber's queue filled up; it was dropped.
    Overflowed,
    /// The hub stopped (shutdown).
    Closed,
}

/// One live subscriber's queue. Dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    after: i64,
    receiver: mpsc::Receiver<Arc<Event>>,
    overflowed: Arc<AtomicBool>,
    tenant: TenantId,
    id: u64,
    shared: Arc<Shared>,
}

impl Subscription {
    /// The hub's position at registration: the queue holds exactly the
    /// matching events after it.
    pub fn after(&self) -> i64 {
        self.after
    }

    /// The next event, or why there is none.
    pub async fn next(&mut self) -> Next {
        match self.receiver.recv().await {
            Some(event) => Next::Event(event),
            None if self.overflowed.load(Ordering::Acquire) => Next::Overflowed,
            None => Next::Closed,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        if let Some(slots) = state.tenants.get_mut(&self.tenant) {
            slots.retain(|s| s.id != self.id);
            if slots.is_empty() {
                state.tenants.remove(&self.tenant);
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing under this lock can panic half-way through an update that
        // matters; keep serving after a poisoned lock.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Offers `events` (ascending) to their subscribers and moves the
    /// position to `upto`.
    fn dispatch(&self, events: Vec<Event>, upto: i64) {
        let mut state = self.lock();
        for event in events {
            let Some(slots) = state.tenants.get_mut(&event.tenant) else {
                continue;
            };
            let event = Arc::new(event);
            slots.retain(|slot| {
                if !slot.selector.matches(&event) {
                    return true;
                }
                match slot.sender.try_send(event.clone()) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        slot.overflowed.store(true, Ordering::Release);
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                }
            });
            if slots.is_empty() {
                state.tenants.remove(&event.tenant);
            }
        }
        state.position = Some(upto);
        self.position.send_replace(Some(upto));
    }

    /// Moves the position to `upto` without reading, if nobody is
    /// subscribed (checked under the lock, so a subscriber registering
    /// afterwards starts at `upto`).
    fn skip_if_unwatched(&self, upto: i64) -> bool {
        let mut state = self.lock();
        if !state.tenants.is_empty() {
            return false;
        }
        state.position = Some(upto);
        self.position.send_replace(Some(upto));
        true
    }

    fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.tenants.clear();
    }
}

impl Hub {
    /// Starts the hub (and, on PostgreSQL, the LISTEN/NOTIFY bridge) on
    /// `store`; everything stops when `shutdown` is cancelled.
    pub fn start(store: Store, config: HubConfig, shutdown: CancellationToken) -> Hub {
        let (position, _) = watch::channel(None);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            position,
            config,
        });
        tokio::spawn(run(shared.clone(), store, shutdown));
        Hub { shared }
    }

    /// The hub's position, once known.
    pub fn position(&self) -> Option<i64> {
        *self.shared.position.borrow()
    }

    /// Waits until the hub knows its first horizon; `None` if it stopped.
    pub async fn ready(&self) -> Option<i64> {
        self.reached(i64::MIN).await
    }

    /// Waits until the hub has dispatched every event up to `sequence`, and
    /// returns its position then; `None` if it stopped.
    pub async fn reached(&self, sequence: i64) -> Option<i64> {
        let mut receiver = self.shared.position.subscribe();
        let reached = receiver
            .wait_for(|position| position.is_some_and(|p| p >= sequence))
            .await
            .ok()?;
        *reached
    }

    /// The configuration in use.
    pub fn config(&self) -> &HubConfig {
        &self.shared.config
    }

    /// Registers a live subscriber; `None` if the hub has stopped or is not
    /// ready yet.
    pub fn subscribe(&self, selector: Selector) -> Option<Subscription> {
        let (sender, receiver) = mpsc::channel(self.shared.config.subscriber_buffer.max(1));
        let overflowed = Arc::new(AtomicBool::new(false));
        let mut state = self.shared.lock();
        if state.closed {
            return None;
        }
        let after = state.position?;
        let id = state.next_id;
        state.next_id += 1;
        let tenant = selector.tenant.clone();
        state.tenants.entry(tenant.clone()).or_default().push(Slot {
            id,
            selector,
            sender,
            overflowed: overflowed.clone(),
        });
        Some(Subscription {
            after,
            receiver,
            overflowed,
            tenant,
            id,
            shared: self.shared.clone(),
        })
    }
}

/// The hub task.
async fn run(shared: Arc<Shared>, store: Store, shutdown: CancellationToken) {
    let local = store.committed();
    let remote = Arc::new(Notify::new());
    // Tells the NOTIFY sender that local commits happened.
    let announce = Arc::new(Notify::new());
    if store.backend() == Backend::Postgres {
        match wake::channel_name(&store).await {
            Ok(channel) => {
                wake::spawn_listener(&store, channel.clone(), remote.clone(), shutdown.clone());
                wake::spawn_notifier(&store, channel, announce.clone(), shutdown.clone());
            }
            Err(error) => {
                tracing::error!(%error, "cannot set up LISTEN/NOTIFY; other instances' events arrive by polling only");
            }
        }
    }
    let mut reader = Reader::new(store.clone());
    let mut pending_delay = PENDING_RETRY_START;
    let mut error_delay = Duration::from_millis(100);
    loop {
        let delay = match step(&shared, &store, &mut reader).await {
            Ok(Step::More) => Duration::ZERO,
            Ok(Step::Pending) => {
                let delay = pending_delay;
                pending_delay = (pending_delay * 2).min(PENDING_RETRY_MAX);
                error_delay = Duration::from_millis(100);
                delay
            }
            Ok(Step::Idle) => {
                pending_delay = PENDING_RETRY_START;
                error_delay = Duration::from_millis(100);
                shared.config.fallback_poll
            }
            Err(error) => {
                tracing::warn!(%error, "reading the outbox failed; retrying");
                let delay = error_delay;
                error_delay = (error_delay * 2).min(ERROR_RETRY_MAX);
                delay
            }
        };
        if delay.is_zero() {
            if shutdown.is_cancelled() {
                break;
            }
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = local.notified() => {
                announce.notify_one();
                pending_delay = PENDING_RETRY_START;
            }
            () = remote.notified() => pending_delay = PENDING_RETRY_START,
            () = tokio::time::sleep(delay) => {}
        }
    }
    shared.close();
}

enum Step {
    /// More rows wait below the horizon: read again at once.
    More,
    /// Marks wait for running transactions: read again soon.
    Pending,
    /// Caught up.
    Idle,
}

/// One poll: advance the horizon, then dispatch one page of events below it.
async fn step(shared: &Shared, store: &Store, reader: &mut Reader) -> Result<Step, StoreError> {
    let horizon = reader.poll().await?;
    let Some(safe) = horizon.safe else {
        return Ok(Step::Pending);
    };
    let position = *shared.position.borrow();
    let Some(position) = position else {
        // First horizon: start live from here, without replaying history.
        shared.dispatch(Vec::new(), safe);
        return Ok(if horizon.pending {
            Step::Pending
        } else {
            Step::Idle
        });
    };
    if safe > position && !shared.skip_if_unwatched(safe) {
        let page = shared.config.page_size.max(1);
        let events = outbox::read_all_tenants(store.reader(), position, safe, page).await?;
        let full = events.len() as u64 == page;
        let upto = match events.last() {
            Some(last) if full => last.sequence,
            _ => safe,
        };
        shared.dispatch(events, upto);
        if full {
            return Ok(Step::More);
        }
    }
    Ok(if horizon.pending {
        Step::Pending
    } else {
        Step::Idle
    })
}
