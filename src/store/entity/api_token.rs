//! `api_tokens`: bearer tokens. Only the SHA-256 of a token's secret part is
//! stored; `id` is the public part used to find the row.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    /// Lowercase hex SHA-256 of the secret part.
    pub secret_sha256: String,
    pub create_time: i64,
    pub revoke_time: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
