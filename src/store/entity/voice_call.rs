//! `voice_calls`: voice call records. Queryable fields are columns; the
//! remaining vendor fields live in the `details` JSON object.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "voice_calls")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    /// Salesforce `vendorCallKey`; unique per tenant.
    pub vendor_call_key: Option<String>,
    /// vcita `external_uuid`; unique per tenant.
    pub external_uuid: Option<String>,
    pub call_center_api_name: Option<String>,
    pub from_number: String,
    pub to_number: String,
    pub direction: Option<String>,
    pub initiation_method: Option<String>,
    pub parent_id: Option<String>,
    pub state: String,
    pub state_literal_dialect: Option<String>,
    pub state_literal: Option<String>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub staff_uid: Option<String>,
    pub client_uid: Option<String>,
    pub business_uid: Option<String>,
    /// JSON array of participants.
    pub participants: Json,
    /// JSON object of the remaining vendor fields.
    pub details: Json,
    pub interaction_id: String,
    pub create_time: i64,
    pub update_time: i64,
    pub revision: i64,
}

impl ActiveModelBehavior for ActiveModel {}
