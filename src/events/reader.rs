//! The outbox reader's horizon: the highest sequence number `H` such that
//! every event with `seq <= H` that will ever exist is already visible. The
//! hub and replays read only up to `H`, so a cursor never moves past a number
//! whose row could still appear, and nothing is skipped.
//!
//! **SQLite.** One writer thread commits batches one after another and
//! hands out numbers in that order, so a visible row means every lower
//! number is committed or gone for good: `H` is the highest committed `seq`,
//! which the writer publishes after each commit ([`Store::latest_sequence`]).
//!
//! **PostgreSQL.** A number is taken by `nextval` long before its transaction
//! commits, so a row with a higher number can become visible first
//! (`seq > cursor` alone silently loses events). Filtering on `txid < xmin`
//! alone is not enough either while reading in `seq` order: a transaction
//! that got its id early can take a *higher* number than a younger, still
//! running one. The reader therefore ties numbers to transaction ids with
//! *marks*:
//!
//! 1. `M` = the highest visible `seq`. Every number `<= M` was handed out
//!    before this statement ran (`nextval` is monotonic in time: the identity
//!    sequence has `CACHE 1`).
//! 2. `N` = a freshly assigned transaction id (`pg_current_xact_id()` in a
//!    statement of its own, which commits at once and writes no data). It is
//!    greater than the id of every transaction that had one before step 2.
//!    `store::outbox::append` assigns the writer its id *before* it calls
//!    `nextval`, so every transaction holding a number `<= M` had an id
//!    before step 1, hence `< N`.
//! 3. Later, once `pg_snapshot_xmin(pg_current_snapshot()) >= N`, every
//!    transaction with an id `< N` has finished: each number `<= M` is now
//!    committed (and visible to any later statement) or rolled back for
//!    good. The mark `(M, N)` is released and `H` becomes `M`.
//!
//! Marks are taken only when `M` grew, so an idle reader costs one
//! `MAX(seq)` per poll. A long-running writing transaction anywhere in the
//! cluster holds `xmin` back and so delays delivery (never correctness).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::store::{Backend, Store, StoreError, outbox};

/// Marks are taken at most this often: each costs a transaction id, and
/// under a steady write load every poll would otherwise take one.
const MIN_MARK_SPACING: Duration = Duration::from_millis(5);
/// Most marks waiting at once (a long-running transaction elsewhere holds
/// them all back); beyond, the newest is replaced, which only delays its
/// predecessor's release.
const MAX_MARKS: usize = 64;

/// Where the horizon stands after a poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Horizon {
    /// Everything up to here is final; `None` until the first mark is
    /// released.
    pub safe: Option<i64>,
    /// Marks are waiting for running transactions to finish: poll again soon.
    pub pending: bool,
}

/// Computes horizons for one store; see the module docs.
#[derive(Debug)]
pub struct Reader {
    store: Store,
    safe: Option<i64>,
    marks: VecDeque<Mark>,
}

#[derive(Clone, Copy, Debug)]
struct Mark {
    seq: i64,
    xid: u64,
    taken: Instant,
}

impl Reader {
    /// A reader over `store` with no horizon yet.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            safe: None,
            marks: VecDeque::new(),
        }
    }

    /// Advances the horizon as far as it is safe now.
    pub async fn poll(&mut self) -> Result<Horizon, StoreError> {
        let db = self.store.reader();
        let latest = self.store.latest_sequence().await?;
        if self.store.backend() == Backend::Sqlite {
            self.safe = Some(latest);
            return Ok(Horizon {
                safe: self.safe,
                pending: false,
            });
        }
        let marked = self.marks.back().map(|m| m.seq).or(self.safe).unwrap_or(i64::MIN);
        let spaced = self
            .marks
            .back()
            .is_none_or(|m| m.taken.elapsed() >= MIN_MARK_SPACING);
        if latest > marked && spaced {
            // Step 2 strictly after step 1: two statements, in order.
            let xid = outbox::pg_fresh_transaction_id(db).await?;
            if self.marks.len() >= MAX_MARKS {
                self.marks.pop_back();
            }
            self.marks.push_back(Mark {
                seq: latest,
                xid,
                taken: Instant::now(),
            });
        }
        if !self.marks.is_empty() {
            let xmin = outbox::pg_snapshot_xmin(db).await?;
            while let Some(mark) = self.marks.front().copied() {
                if mark.xid > xmin {
                    break;
                }
                self.marks.pop_front();
                self.safe = Some(self.safe.map_or(mark.seq, |s| s.max(mark.seq)));
            }
        }
        Ok(Horizon {
            safe: self.safe,
            // Also when a newer row still needs a mark (spacing).
            pending: !self.marks.is_empty() || latest > self.safe.unwrap_or(i64::MIN),
        })
    }
}
