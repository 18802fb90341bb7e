//! Tenants, users and API tokens. Token rows hold only a SHA-256 of the
//! token's secret part; finding a token by its public id is the one lookup
//! not scoped to a tenant, because it is how the tenant is found.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entity::{api_token, tenant, user};
use super::{Store, StoreError, fetch_unique};
use crate::domain::caller::User;
use crate::domain::ids::{TenantId, UserId};
use crate::domain::time::{self, Timestamp};

/// A stored token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// The public part of the token.
    pub id: String,
    /// The tenant the token acts in.
    pub tenant: TenantId,
    /// The user the token acts as.
    pub user: User,
    /// Lowercase hex SHA-256 of the secret part.
    pub secret_sha256: String,
    /// When it was issued.
    pub create_time: Timestamp,
    /// When it was revoked, if it was.
    pub revoke_time: Option<Timestamp>,
}

impl Store {
    /// Stores a new token for `user` of `tenant`, creating the tenant and the
    /// user if needed (and updating the user's names when given).
    pub async fn insert_token(
        &self,
        tenant: &TenantId,
        user: &User,
        token_id: &str,
        secret_sha256: &str,
    ) -> Result<(), StoreError> {
        let (tenant, user) = (tenant.clone(), user.clone());
        let (token_id, secret_sha256) = (token_id.to_owned(), secret_sha256.to_owned());
        self.write(move |txn| {
            Box::pin(async move {
                let now = time::to_micros(time::now());
                tenant::Entity::insert(tenant::ActiveModel {
                    id: Set(tenant.to_string()),
                    create_time: Set(now),
                })
                .on_conflict_do_nothing()
                .exec_without_returning(txn)
                .await?;
                user::Entity::insert(user::ActiveModel {
                    tenant_id: Set(tenant.to_string()),
                    id: Set(user.id.to_string()),
                    user_name: Set(user.user_name.clone()),
                    first_name: Set(user.first_name.clone()),
                    last_name: Set(user.last_name.clone()),
                    create_time: Set(now),
                })
                .on_conflict(
                    OnConflict::columns([user::Column::TenantId, user::Column::Id])
                        .update_columns([
                            user::Column::UserName,
                            user::Column::FirstName,
                            user::Column::LastName,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
                api_token::Entity::insert(api_token::ActiveModel {
                    id: Set(token_id),
                    tenant_id: Set(tenant.to_string()),
                    user_id: Set(user.id.to_string()),
                    secret_sha256: Set(secret_sha256),
                    create_time: Set(now),
                    revoke_time: Set(None),
                })
                .exec_without_returning(txn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Finds a token by its public id, with its user.
    pub async fn find_token(&self, token_id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let Some(token) = fetch_unique(
            api_token::Entity::find_by_id(token_id.to_owned()),
            self.point_reader(),
        )
        .await?
        else {
            return Ok(None);
        };
        let user = fetch_unique(
            user::Entity::find_by_id((token.tenant_id.clone(), token.user_id.clone())),
            self.point_reader(),
        )
        .await?
        .ok_or_else(|| StoreError::corrupt(format!("token {} names a missing user", token.id)))?;
        Ok(Some(record(token, user)))
    }

    /// Lists tokens, optionally of one tenant, oldest first.
    pub async fn list_tokens(&self, tenant: Option<&TenantId>) -> Result<Vec<TokenRecord>, StoreError> {
        let mut query = api_token::Entity::find().order_by_asc(api_token::Column::CreateTime);
        if let Some(tenant) = tenant {
            query = query.filter(api_token::Column::TenantId.eq(tenant.as_str()));
        }
        let tokens = query.all(self.reader()).await?;
        let mut records = Vec::with_capacity(tokens.len());
        for token in tokens {
            let user = fetch_unique(
                user::Entity::find_by_id((token.tenant_id.clone(), token.user_id.clone())),
                self.reader(),
            )
            .await?
            .ok_or_else(|| StoreError::corrupt(format!("token {} names a missing user", token.id)))?;
            records.push(record(token, user));
        }
        Ok(records)
    }

    /// Revokes a token; returns false when there is no such token or it was
    /// already revoked.
    pub async fn revoke_token(&self, token_id: &str) -> Result<bool, StoreError> {
        let token_id = token_id.to_owned();
        self.write(move |txn| {
            Box::pin(async move {
                let result = api_token::Entity::update_many()
                    .col_expr(
                        api_token::Column::RevokeTime,
                        sea_orm::sea_query::Expr::value(time::to_micros(time::now())),
                    )
                    .filter(api_token::Column::Id.eq(token_id))
                    .filter(api_token::Column::RevokeTime.is_null())
                    .exec(txn)
                    .await?;
                Ok(result.rows_affected == 1)
            })
        })
        .await
    }
}

fn record(token: api_token::Model, user: user::Model) -> TokenRecord {
    TokenRecord {
        id: token.id,
        tenant: TenantId::from_trusted(token.tenant_id),
        user: User {
            id: UserId::from_trusted(user.id),
            user_name: user.user_name,
            first_name: user.first_name,
            last_name: user.last_name,
        },
        secret_sha256: token.secret_sha256,
        create_time: time::from_micros(token.create_time),
        revoke_time: token.revoke_time.map(time::from_micros),
    }
}
