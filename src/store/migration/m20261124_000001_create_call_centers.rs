use sea_orm_migration::prelude::*;

use super::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CallCenters {
    Table,
    ApiName,
    TenantId,
    UserId,
    Algorithm,
    KeyMaterial,
    Issuer,
    Audience,
    CreateTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CallCenters::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(CallCenters::ApiName)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CallCenters::TenantId).string().not_null())
                    .col(ColumnDef::new(CallCenters::UserId).string().not_null())
                    .col(ColumnDef::new(CallCenters::Algorithm).string().not_null())
                    .col(ColumnDef::new(CallCenters::KeyMaterial).blob().not_null())
                    .col(ColumnDef::new(CallCenters::Issuer).string())
                    .col(ColumnDef::new(CallCenters::Audience).string())
                    .col(ColumnDef::new(CallCenters::CreateTime).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "call_centers_tenant",
            CallCenters::Table,
            &["tenant_id"],
            false,
        )
        .await
    }
}
