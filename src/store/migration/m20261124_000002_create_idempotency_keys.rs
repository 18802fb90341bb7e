use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    TenantId,
    Key,
    Method,
    Fingerprint,
    Resource,
    CreateTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(IdempotencyKeys::TenantId).string().not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Key).string().not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Method).string().not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Fingerprint).string().not_null())
                    .col(ColumnDef::new(IdempotencyKeys::Resource).string().not_null())
                    .col(
                        ColumnDef::new(IdempotencyKeys::CreateTime)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::TenantId)
                            .col(IdempotencyKeys::Key),
                    )
                    .to_owned(),
            )
            .await?;
        // Expiry deletes by age.
        manager
            .create_index(
                Index::create()
                    .name("idempotency_keys_create_time")
                    .if_not_exists()
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::CreateTime)
                    .to_owned(),
            )
            .await
    }
}
