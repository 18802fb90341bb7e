//! The write path. Every write runs as a job inside a transaction.
//!
//! On SQLite one task owns the only writer connection and runs queued jobs in
//! batches: one transaction per batch, one savepoint per job (group commit).
//! A job's reply is sent only after its batch commits, so an acknowledged
//! write is durable to the configured `synchronous` level, and a failing job
//! rolls back only its own savepoint. SQLite allows one writer at a time
//! anyway; batching turns N commits (N fsyncs with `synchronous=FULL`) into
//! one.
//!
//! On PostgreSQL each job gets its own transaction from the pool: the server
//! already commits concurrent transactions as a group.
//!
//! Jobs must not call `Store::write` themselves (the SQLite writer would wait
//! for itself).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;

/// Most jobs committed in one SQLite transaction.
const MAX_BATCH: usize = 256;
/// Queued jobs before writers wait for room.
const QUEUE_DEPTH: usize = 4096;

/// Runs write jobs; see the module docs.
#[derive(Clone, Debug)]
pub(super) enum Writer {
    /// SQLite: jobs go to the single writer task.
    Batched(mpsc::Sender<Box<dyn Job>>),
    /// PostgreSQL: a transaction per job.
    Pooled(DatabaseConnection),
}

/// A unit of work to run inside a transaction.
pub(super) trait Job: Send {
    /// Runs the job; with `isolate`, inside a savepoint of `txn`.
    fn run<'c>(
        self: Box<Self>,
        txn: &'c DatabaseTransaction,
        isolate: bool,
    ) -> BoxFuture<'c, Box<dyn Outcome>>;
    /// Fails the job without running it.
    fn abort(self: Box<Self>, error: StoreError);
}

impl std::fmt::Debug for dyn Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

/// A job that has run and waits for its transaction's fate.
pub(super) trait Outcome: Send {
    /// Whether the job itself succeeded.
    fn succeeded(&self) -> bool;
    /// Sends the reply: the job's result if the transaction committed, else
    /// the commit error.
    fn deliver(self: Box<Self>, commit: Result<(), Arc<DbErr>>);
}

/// The closure type a write job is made of.
pub(super) type JobFn<T> =
    Box<dyn for<'c> FnOnce(&'c DatabaseTransaction) -> BoxFuture<'c, Result<T, StoreError>> + Send>;

struct TypedJob<T> {
    work: JobFn<T>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

struct TypedOutcome<T> {
    result: Result<T, StoreError>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T: Send + 'static> Job for TypedJob<T> {
    fn run<'c>(
        self: Box<Self>,
        txn: &'c DatabaseTransaction,
        isolate: bool,
    ) -> BoxFuture<'c, Box<dyn Outcome>> {
        Box::pin(async move {
            let TypedJob { work, reply } = *self;
            let result = if isolate {
                in_savepoint(txn, work).await
            } else {
                guarded(work(txn)).await
            };
            Box::new(TypedOutcome { result, reply }) as Box<dyn Outcome>
        })
    }

    fn abort(self: Box<Self>, error: StoreError) {
        // The caller may have gone away; nobody is left to tell.
        let _ = self.reply.send(Err(error));
    }
}

impl<T: Send + 'static> Outcome for TypedOutcome<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn deliver(self: Box<Self>, commit: Result<(), Arc<DbErr>>) {
        let reply = match (commit, self.result) {
            (Ok(()), result) => result,
            // A failed job's own error is more useful than the commit's.
            (Err(_), Err(error)) => Err(error),
            (Err(error), Ok(_)) => Err(StoreError::Commit(error)),
        };
        let _ = self.reply.send(reply);
    }
}

async fn in_savepoint<T>(txn: &DatabaseTransaction, work: JobFn<T>) -> Result<T, StoreError> {
    let savepoint = txn.begin().await?;
    let result = guarded(work(&savepoint)).await;
    match result {
        Ok(value) => {
            savepoint.commit().await?;
            Ok(value)
        }
        Err(error) => {
            savepoint.rollback().await?;
            Err(error)
        }
    }
}

/// Turns a panic inside a job into an error, so one bad job cannot take down
/// the writer task and every write after it.
async fn guarded<T>(work: BoxFuture<'_, Result<T, StoreError>>) -> Result<T, StoreError> {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(_) => Err(StoreError::Corrupt("a write job panicked".to_owned())),
    }
}

impl Writer {
    /// Starts the SQLite writer task on `db`, which must have exactly one
    /// connection.
    pub(super) fn spawn_batched(db: DatabaseConnection) -> Writer {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run_batches(db, receiver));
        Writer::Batched(sender)
    }

    /// Runs `work` in a transaction and returns its result once committed.
    pub(super) async fn write<T: Send + 'static>(&self, work: JobFn<T>) -> Result<T, StoreError> {
        match self {
            Writer::Batched(sender) => {
                let (reply, answer) = oneshot::channel();
                let job: Box<dyn Job> = Box::new(TypedJob { work, reply });
                sender.send(job).await.map_err(|_| StoreError::Unavailable)?;
                answer.await.map_err(|_| StoreError::Unavailable)?
            }
            Writer::Pooled(db) => {
                let txn = db.begin().await?;
                match work(&txn).await {
                    Ok(value) => {
                        txn.commit().await.map_err(|e| StoreError::Commit(Arc::new(e)))?;
                        Ok(value)
                    }
                    Err(error) => {
                        txn.rollback().await?;
                        Err(error)
                    }
                }
            }
        }
    }
}

async fn run_batches(db: DatabaseConnection, mut receiver: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    let mut outcomes: Vec<Box<dyn Outcome>> = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let txn = match db.begin().await {
            Ok(txn) => txn,
            Err(error) => {
                let error = Arc::new(error);
                for job in batch.drain(..) {
                    job.abort(StoreError::Commit(error.clone()));
                }
                continue;
            }
        };
        let isolate = batch.len() > 1;
        for job in batch.drain(..) {
            outcomes.push(job.run(&txn, isolate).await);
        }
        let commit = if isolate || outcomes.iter().all(|o| o.succeeded()) {
            txn.commit().await.map_err(Arc::new)
        } else {
            // A lone job failed outside a savepoint: undo it entirely. Its
            // own error is what gets delivered.
            txn.rollback().await.map_err(Arc::new)
        };
        if let Err(error) = &commit {
            tracing::error!(error = %error, jobs = outcomes.len(), "SQLite batch failed to commit");
        }
        for outcome in outcomes.drain(..) {
            outcome.deliver(commit.clone());
        }
    }
}
