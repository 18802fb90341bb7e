//! `call_centers`: Salesforce call centres whose JWTs the authenticator
//! verifies. `api_name` is the JWT `sub`, so it is unique across tenants.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_centers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub api_name: String,
    pub tenant_id: String,
    /// The service user requests act as.
    pub user_id: String,
    /// `RS256` or `HS256`.
    pub algorithm: String,
    /// RS256: PEM public key. HS256: the shared secret (HMAC verification
    /// needs it in the clear; see `docs/dialects.md`).
    pub key_material: Vec<u8>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub create_time: i64,
}

impl ActiveModelBehavior for ActiveModel {}
