//! PostgreSQL wake-ups between instances: after local commits a separate
//! task sends `NOTIFY` on a channel private to the database schema, and a
//! listener task turns notifications from any instance into a wake-up of
//! this process's hub.
//!
//! Notifications are only a hint to read the outbox now. They carry no
//! payload, are sent after commit from outside every write transaction (a
//! pending `NOTIFY` takes a global lock at commit; writers never hold it),
//! are coalesced (one in flight, at most one queued), and may be lost (a
//! dropped listener connection): the hub's fallback poll covers that, and a
//! reconnected listener wakes the hub once in case it missed something.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::store::{Store, StoreError};

/// The NOTIFY channel of the store's schema, so instances over different
/// schemas of one database (tests, for instance) do not wake each other.
pub async fn channel_name(store: &Store) -> Result<String, StoreError> {
    let row = store
        .reader()
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_schema()::text AS schema",
        ))
        .await?
        .ok_or_else(|| StoreError::corrupt("current_schema() returned no row"))?;
    let schema: String = row.try_get("", "schema")?;
    let digest = Sha256::digest(schema.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("switchboard_events_{hex}"))
}

/// Listens on `channel` on a dedicated connection and signals `wake` for
/// every notification and after every (re)connection.
pub fn spawn_listener(store: &Store, channel: String, wake: Arc<Notify>, shutdown: CancellationToken) {
    // A pool of one, with the store's connection settings, just for the
    // listener (PgListener keeps its connection for good).
    let options = store
        .reader()
        .get_postgres_connection_pool()
        .connect_options()
        .as_ref()
        .clone();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(options);
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            match listen(&pool, &channel, &wake, &shutdown).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, "LISTEN connection failed; reconnecting");
                    // Whatever was missed meanwhile is found by reading.
                    wake.notify_one();
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    });
}

/// Returns `Ok` at shutdown, `Err` when the connection fails for good.
async fn listen(
    pool: &sea_orm::sqlx::PgPool,
    channel: &str,
    wake: &Notify,
    shutdown: &CancellationToken,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    wake.notify_one();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            received = listener.try_recv() => match received? {
                Some(_) => wake.notify_one(),
                // The connection dropped and was re-established (LISTEN
                // included); notifications in between are lost.
                None => wake.notify_one(),
            }
        }
    }
}

/// Sends one payload-free `NOTIFY channel` per signal of `trigger`
/// (signals arriving while one is sent coalesce into one more).
pub fn spawn_notifier(store: &Store, channel: String, trigger: Arc<Notify>, shutdown: CancellationToken) {
    let db = store.reader().clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = trigger.notified() => {}
            }
            let notify = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, '')",
                [channel.clone().into()],
            );
            if let Err(error) = db.execute_raw(notify).await {
                tracing::debug!(%error, "NOTIFY failed; other instances will poll");
            }
        }
    });
}
