//! `phone_calls`: live calls, with their legs as a JSON array.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "phone_calls")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    /// The client's idempotency key (UnifiedAPI `nonce`); unique per tenant.
    pub request_id: Option<String>,
    /// SHA-256 of the create parameters, to detect a reused `request_id`.
    pub request_fingerprint: Option<String>,
    pub call_type: String,
    pub extension: String,
    pub owner_id: String,
    pub owner_name: String,
    pub state: String,
    pub disposition: Option<String>,
    pub create_time: i64,
    pub answer_time: Option<i64>,
    pub end_time: Option<i64>,
    /// The next time the call's timers must act: a ringing leg's pickup
    /// deadline (for a ringing call, when it is cancelled unless answered),
    /// a parking limit or the maximum duration. Null once the call ended.
    pub pickup_deadline: Option<i64>,
    pub max_duration_secs: Option<i64>,
    pub allow_public_transfer: bool,
    pub video: bool,
    pub conference_number: Option<String>,
    pub conference_pin: Option<String>,
    /// JSON array of legs.
    pub legs: Json,
    pub interaction_id: String,
    pub update_time: i64,
    pub revision: i64,
}

impl ActiveModelBehavior for ActiveModel {}
