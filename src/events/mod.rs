//! Live events: the outbox reader, the per-process hub that fans events out
//! to `Watch` subscribers, and the wake-ups that make it read promptly.
//!
//! Every state change appends an outbox row (`store::outbox`) in its own
//! transaction; the row's `seq` is the event's `sequence`, the resume cursor.
//! This module owns getting those rows to subscribers:
//!
//! - [`reader`] decides how far the outbox may be read: the *horizon*, the
//!   highest sequence number below which no event can still appear. On
//!   SQLite that is simply the highest visible number (one writer commits in
//!   sequence order). On PostgreSQL numbers are taken before commit, so rows
//!   become visible out of order; the reader derives the horizon from
//!   transaction ids (see its docs for the argument).
//! - [`hub`] runs one task per process that reads the outbox up to the
//!   horizon after each wake-up and pushes every event into the bounded
//!   queue of each subscriber it matches. It never waits for a subscriber: a
//!   full queue ends that subscription ("overflowed"), and the client resumes
//!   from its cursor.
//! - [`wake`]: the hub reads after local commits (an in-process signal from
//!   `Store::write`), after a PostgreSQL `NOTIFY` from another instance
//!   (payload-free, coalesced, sent after commit by a separate task; never
//!   the data channel), and every [`HubConfig::fallback_poll`] regardless.
//! - [`watch`] serves one subscriber: replay from its cursor straight from
//!   the outbox, then a switch to the hub's live queue with no gap and no
//!   duplicate, until the client leaves, overflows, or the server shuts down.
//!
//! It must not: write to the outbox, hold a subscriber's events anywhere but
//! its bounded queue, or let a slow subscriber delay the writers or the hub.

pub mod hub;
pub mod reader;
pub mod wake;
pub mod watch;

use std::time::Duration;

pub use hub::{Hub, Subscription};
pub use watch::{Ended, Watching, watch};

/// Tuning of the hub and the `Watch` streams.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Events queued for one live subscriber before it is ended with
    /// "overflowed" (gRPC `RESOURCE_EXHAUSTED`).
    pub subscriber_buffer: usize,
    /// How often the outbox is read when no wake-up arrives (other
    /// instances' commits whose `NOTIFY` was lost, for instance).
    pub fallback_poll: Duration,
    /// Rows read per outbox query, by the hub and by replays.
    pub page_size: u64,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            subscriber_buffer: 1024,
            fallback_poll: Duration::from_secs(1),
            page_size: 500,
        }
    }
}
