//! Client idempotency keys for every create. A key is recorded in the same
//! transaction as the resource it produced, so a key exists if and only if
//! its resource does: repeating the request returns that resource, racing it
//! creates exactly one, and reusing the key for a different request is a
//! conflict. Natural keys (Genesys `callId`, UnifiedAPI `nonce`, Salesforce
//! `vendorCallKey`, vcita `external_uuid`) work alongside.

use std::sync::LazyLock;

use sea_orm::{ConnectionTrait, Set};

use super::entity::idempotency_key;
use super::sql::InsertSql;
use super::{StoreError, fetch_unique};
use crate::domain::ids::TenantId;
use crate::domain::time;

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
