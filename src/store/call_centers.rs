//! Call centres (Salesforce JWT issuers). Like token lookup, finding a call
//! centre by its API name is not scoped to a tenant: it is how a JWT's
//! tenant is found.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entity::{call_center, tenant, user};
use super::{Store, StoreError};
use crate::domain::call_center::{CallCenter, JwtAlgorithm};
use crate::domain::caller::User;
use crate::domain::ids::{TenantId, UserId};
use crate::domain::time;

impl Store {
    /// Adds a call centre, or replaces the one with the same API name;
    /// creates its tenant and service user if needed. Returns whether one
    /// was replaced.
    pub async fn upsert_call_center(&self, center: &CallCenter) -> Result<bool, StoreError> {
        let center = center.clone();
        self.write(move |txn| {
            Box::pin(async move {
                let now = time::to_micros(time::now());
                tenant::Entity::insert(tenant::ActiveModel {
                    id: Set(center.tenant.to_string()),
                    create_time: Set(now),
                })
                .on_conflict_do_nothing()
                .exec_without_returning(txn)
                .await?;
                user::Entity::insert(user::ActiveModel {
                    tenant_id: Set(center.tenant.to_string()),
                    id: Set(center.user.id.to_string()),
                    user_name: Set(center.user.user_name.clone()),
                    first_name: Set(center.user.first_name.clone()),
                    last_name: Set(center.user.last_name.clone()),
                    create_time: Set(now),
                })
                .on_conflict(
                    OnConflict::columns([user::Column::TenantId, user::Column::Id])
                        .update_columns([user::Column::UserName])
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
                let existed = call_center::Entity::find_by_id(center.api_name.clone())
                    .one(txn)
                    .await?
                    .is_some();
                call_center::Entity::insert(call_center::ActiveModel {
                    api_name: Set(center.api_name.clone()),
                    tenant_id: Set(center.tenant.to_string()),
                    user_id: Set(center.user.id.to_string()),
                    algorithm: Set(center.algorithm.as_str().to_owned()),
                    key_material: Set(center.key.clone()),
                    issuer: Set(center.issuer.clone()),
                    audience: Set(center.audience.clone()),
                    create_time: Set(now),
                })
                .on_conflict(
                    OnConflict::column(call_center::Column::ApiName)
                        .update_columns([
                            call_center::Column::TenantId,
                            call_center::Column::UserId,
                            call_center::Column::Algorithm,
                            call_center::Column::KeyMaterial,
                            call_center::Column::Issuer,
                            call_center::Column::Audience,
                            call_center::Column::CreateTime,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
                Ok(existed)
            })
        })
        .await
    }

    /// Finds a call centre by API name, with its service user.
    pub async fn find_call_center(&self, api_name: &str) -> Result<Option<CallCenter>, StoreError> {
        let Some(row) = call_center::Entity::find_by_id(api_name.to_owned())
            .one(self.point_reader())
            .await?
        else {
            return Ok(None);
        };
        self.with_user(row).await.map(Some)
    }

    /// Lists call centres, optionally of one tenant, by API name.
    pub async fn list_call_centers(&self, tenant: Option<&TenantId>) -> Result<Vec<CallCenter>, StoreError> {
        let mut query = call_center::Entity::find().order_by_asc(call_center::Column::ApiName);
        if let Some(tenant) = tenant {
            query = query.filter(call_center::Column::TenantId.eq(tenant.as_str()));
        }
        let mut centers = Vec::new();
        for row in query.all(self.reader()).await? {
            centers.push(self.with_user(row).await?);
        }
        Ok(centers)
    }

    /// Removes a call centre; returns false when there was none.
    pub async fn remove_call_center(&self, api_name: &str) -> Result<bool, StoreError> {
        let api_name = api_name.to_owned();
        self.write(move |txn| {
            Box::pin(async move {
                let result = call_center::Entity::delete_many()
                    .filter(call_center::Column::ApiName.eq(api_name))
                    .exec(txn)
                    .await?;
                Ok(result.rows_affected == 1)
            })
        })
        .await
    }

    async fn with_user(&self, row: call_center::Model) -> Result<CallCenter, StoreError> {
        let user = user::Entity::find_by_id((row.tenant_id.clone(), row.user_id.clone()))
            .one(self.point_reader())
            .await?
            .ok_or_else(|| {
                StoreError::corrupt(format!("call centre {} names a missing user", row.api_name))
            })?;
        let algorithm = JwtAlgorithm::from_str_opt(&row.algorithm)
            .ok_or_else(|| StoreError::corrupt(format!("call centre algorithm {:?}", row.algorithm)))?;
        Ok(CallCenter {
            api_name: row.api_name,
            tenant: TenantId::from_trusted(row.tenant_id),
            user: User {
                id: UserId::from_trusted(user.id),
                user_name: user.user_name,
                first_name: user.first_name,
                last_name: user.last_name,
            },
            algorithm,
            key: row.key_material,
            issuer: row.issuer,
            audience: row.audience,
        })
    }
}
