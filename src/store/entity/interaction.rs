//! `interactions`: the interaction history (one row per customer contact).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "interactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub media_type: String,
    pub interaction_type: String,
    pub state: String,
    pub state_literal_dialect: Option<String>,
    pub state_literal: Option<String>,
    pub start_time: i64,
    pub end_time: Option<i64>,
    pub owner_id: String,
    pub owner_user_name: String,
    pub owner_first_name: Option<String>,
    pub owner_last_name: Option<String>,
    pub contact_id: Option<String>,
    pub parent_id: Option<String>,
    pub thread_id: Option<String>,
    pub subject: Option<String>,
    pub comment: Option<String>,
    /// JSON object of string values.
    pub custom_attributes: Json,
    pub phone_number: Option<String>,
    pub call_duration_secs: Option<i64>,
    /// JSON object.
    pub user_data: Json,
    /// Unique per tenant (the Genesys `callId`).
    pub external_call_id: Option<String>,
    pub phone_call_id: Option<String>,
    pub voice_call_id: Option<String>,
    pub create_time: i64,
    pub update_time: i64,
    pub revision: i64,
}

impl ActiveModelBehavior for ActiveModel {}
