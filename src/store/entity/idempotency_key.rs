//! `idempotency_keys`: client idempotency keys (`Idempotency-Key` header,
//! `idempotency-key` metadata) and the resource each one created, written in
//! the same transaction as that resource.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The RPC the key was first used with.
    pub method: String,
    /// SHA-256 of the first request, to detect a key reused for another one.
    pub fingerprint: String,
    /// The resource name the first request produced.
    pub resource: String,
    pub create_time: i64,
}

impl ActiveModelBehavior for ActiveModel {}
