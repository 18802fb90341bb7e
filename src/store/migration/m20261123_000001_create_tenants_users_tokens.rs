use sea_orm_migration::prelude::*;

use super::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    CreateTime,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    TenantId,
    Id,
    UserName,
    FirstName,
    LastName,
    CreateTime,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TenantId,
    UserId,
    #[sea_orm(iden = "secret_sha256")]
    SecretSha256,
    CreateTime,
    RevokeTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Tenants::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(Tenants::CreateTime).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Users::TenantId).string().not_null())
                    .col(ColumnDef::new(Users::Id).string().not_null())
                    .col(ColumnDef::new(Users::UserName).string().not_null())
                    .col(ColumnDef::new(Users::FirstName).string())
                    .col(ColumnDef::new(Users::LastName).string())
                    .col(ColumnDef::new(Users::CreateTime).big_integer().not_null())
                    .primary_key(Index::create().col(Users::TenantId).col(Users::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ApiTokens::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(ApiTokens::TenantId).string().not_null())
                    .col(ColumnDef::new(ApiTokens::UserId).string().not_null())
                    .col(ColumnDef::new(ApiTokens::SecretSha256).string().not_null())
                    .col(ColumnDef::new(ApiTokens::CreateTime).big_integer().not_null())
                    .col(ColumnDef::new(ApiTokens::RevokeTime).big_integer())
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "api_tokens_tenant_user",
            ApiTokens::Table,
            &["tenant_id", "user_id"],
            false,
        )
        .await
    }
}
