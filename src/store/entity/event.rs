//! `events`: the transactional outbox. One row per state change, appended in
//! the same transaction as the change. On PostgreSQL the table also has a
//! `txid xid8` column (defaulting to the writing transaction's id) that the
//! outbox reader uses to skip rows that might still be followed by a lower,
//! uncommitted sequence number; it is not part of this entity.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub tenant_id: String,
    pub resource_type: String,
    pub resource: String,
    pub event_type: String,
    pub change: String,
    pub actor: String,
    /// Only this user's subscribers receive the event; null means everyone in
    /// the tenant.
    pub audience: Option<String>,
    /// The resource after the change, as JSON text (written once, parsed
    /// only by readers).
    pub payload: String,
    pub create_time: i64,
}

impl ActiveModelBehavior for ActiveModel {}
