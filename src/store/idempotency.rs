//! Client idempotency keys for every create. A key is recorded in the same
//! transaction as the resource it produced, so a key exists if and only if
//! its resource does: repeating the request returns that resource, racing it
//! creates exactly one, and reusing the key for a different request is a
//! conflict. Natural keys (Genesys `callId`, UnifiedAPI `nonce`, Salesforce
//! `vendorCallKey`, vcita `external_uuid`) work alongside.

use std::sync::LazyLock;

use futures::future::BoxFuture;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use tokio_util::sync::CancellationToken;

use super::entity::idempotency_key;
use super::sql::InsertSql;
use super::{Store, StoreError, fetch_unique};
use crate::domain::Caller;
use crate::domain::ids::TenantId;
use crate::domain::time::{self, Timestamp};

/// How long a key is remembered. A repeat after that is a new request, as
/// with Stripe's keys; natural keys (call ids, vendor keys) never expire.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);
/// How often expired keys are deleted.
const EXPIRY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// The `ErrorInfo` reason of a key reused for a different request.
pub const KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";

/// A client's idempotency key for one create request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The key, as the client sent it.
    pub key: String,
    /// The RPC, e.g. `CreatePhoneCall`.
    pub method: &'static str,
    /// SHA-256 (hex) of the request, as encoded on the wire.
    pub fingerprint: String,
}

/// The resource a key already produced, if any: a repeat of the same
/// request, or a `Conflict` when the key was used for another request.
pub async fn lookup(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &IdempotencyKey,
) -> Result<Option<String>, StoreError> {
    let select =
        <idempotency_key::Entity as sea_orm::EntityTrait>::find_by_id((tenant.to_string(), key.key.clone()));
    match fetch_unique(select, db).await? {
        None => Ok(None),
        Some(row) if row.method == key.method && row.fingerprint == key.fingerprint => Ok(Some(row.resource)),
        Some(row) => Err(StoreError::Conflict {
            message: format!(
                "idempotency key {:?} was already used for a different {} request",
                key.key, row.method
            ),
            reason: KEY_REUSED,
        }),
    }
}

/// Records that `key` produced `resource`, inside the creating transaction.
/// When another request recorded the key first (a race, seen once its
/// transaction commits), fails with `StoreError::Replay` naming that
/// request's resource, so this transaction and everything it wrote is rolled
/// back; or with a `Conflict` if the key belongs to a different request.
pub async fn record(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &IdempotencyKey,
    resource: &str,
) -> Result<(), StoreError> {
    static INSERT: LazyLock<InsertSql<idempotency_key::Entity>> =
        LazyLock::new(|| InsertSql::new(&[], "ON CONFLICT (\"tenant_id\", \"key\") DO NOTHING"));
    let row = idempotency_key::ActiveModel {
        tenant_id: Set(tenant.to_string()),
        key: Set(key.key.clone()),
        method: Set(key.method.to_owned()),
        fingerprint: Set(key.fingerprint.clone()),
        resource: Set(resource.to_owned()),
        create_time: Set(time::to_micros(time::now())),
    };
    let inserted = db
        .execute_raw(INSERT.statement(db.get_database_backend(), row))
        .await?;
    if inserted.rows_affected() == 1 {
        return Ok(());
    }
    match lookup(db, tenant, key).await? {
        Some(resource) => Err(StoreError::Replay { resource }),
        None => Err(StoreError::corrupt("a conflicting idempotency key vanished")),
    }
}

/// A resource a key can produce, read back by id for a replay.
pub(super) trait Replayable: Sized {
    fn fetch<'a>(
        store: &'a Store,
        caller: &'a Caller,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Self, StoreError>>;
}

impl Store {
    /// Runs `create` (a write that records `key` with
    /// [`record_if_keyed`]) once per key: a key seen before answers with its
    /// resource without writing, and a create that lost a race for the key
    /// answers with the winner's. Both are replays (`false`).
    pub(super) async fn create_once<T: Replayable>(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        create: impl Future<Output = Result<(T, bool), StoreError>>,
    ) -> Result<(T, bool), StoreError> {
        // Boxed: the lookup's future is several times the size of the rest,
        // and without a key it never runs.
        if let Some(key) = key
            && let Some(resource) = Box::pin(lookup(self.point_reader(), &caller.tenant, key)).await?
        {
            return Ok((T::fetch(self, caller, id_of(&resource)).await?, false));
        }
        match create.await {
            Err(StoreError::Replay { resource }) => {
                Ok((T::fetch(self, caller, id_of(&resource)).await?, false))
            }
            other => other,
        }
    }
}

/// [`record`] when the request carries a key.
pub async fn record_if_keyed(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: Option<&IdempotencyKey>,
    resource: &str,
) -> Result<(), StoreError> {
    match key {
        None => Ok(()),
        Some(key) => record(db, tenant, key, resource).await,
    }
}

impl Store {
    /// Forgets the keys recorded before `before`; returns how many.
    pub async fn expire_idempotency_keys(&self, before: Timestamp) -> Result<u64, StoreError> {
        let cutoff = time::to_micros(before);
        self.write(move |txn| {
            Box::pin(async move {
                let deleted = idempotency_key::Entity::delete_many()
                    .filter(idempotency_key::Column::CreateTime.lt(cutoff))
                    .exec(txn)
                    .await?;
                Ok(deleted.rows_affected)
            })
        })
        .await
    }
}

/// Deletes keys older than [`RETENTION`] every few minutes until `shutdown`.
pub async fn run_expiry(store: Store, shutdown: CancellationToken) {
    loop {
        match store.expire_idempotency_keys(time::now() - RETENTION).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(expired = n, "idempotency keys expired"),
            Err(error) => tracing::warn!(%error, "expiring idempotency keys failed; retrying later"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EXPIRY_INTERVAL) => {}
        }
    }
}

/// The id part of a resource name (`phoneCalls/{id}` → `{id}`).
fn id_of(resource: &str) -> &str {
    resource.rsplit('/').next().unwrap_or(resource)
}

#[cfg(test)]
mod tests {
    use super::id_of;

    #[test]
    fn id_of_takes_the_last_segment() {
        assert_eq!(id_of("phoneCalls/abc"), "abc");
        assert_eq!(id_of("abc"), "abc");
    }
}
