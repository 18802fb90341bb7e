//! `voice_call_messages`: transcript utterances of voice calls.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "voice_call_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: String,
    pub voice_call_id: String,
    /// The client's id of the message; unique per voice call.
    pub message_id: String,
    pub participant_id: String,
    pub sender_type: String,
    pub content: String,
    pub start_time: i64,
    pub end_time: Option<i64>,
    pub create_time: i64,
}

impl ActiveModelBehavior for ActiveModel {}
