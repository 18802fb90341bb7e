//! `users`: the people of a tenant, with the display fields that resources
//! copy as their owner.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub create_time: i64,
}

impl ActiveModelBehavior for ActiveModel {}
