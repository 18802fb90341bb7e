use sea_orm_migration::prelude::*;

use super::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Interactions {
    Table,
    Id,
    TenantId,
    MediaType,
    InteractionType,
    State,
    StateLiteralDialect,
    StateLiteral,
    StartTime,
    EndTime,
    OwnerId,
    OwnerUserName,
    OwnerFirstName,
    OwnerLastName,
    ContactId,
    ParentId,
    ThreadId,
    Subject,
    Comment,
    CustomAttributes,
    PhoneNumber,
    CallDurationSecs,
    UserData,
    ExternalCallId,
    PhoneCallId,
    VoiceCallId,
    CreateTime,
    UpdateTime,
    Revision,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Interactions::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Interactions::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(Interactions::TenantId).string().not_null())
                    .col(ColumnDef::new(Interactions::MediaType).string().not_null())
                    .col(ColumnDef::new(Interactions::InteractionType).string().not_null())
                    .col(ColumnDef::new(Interactions::State).string().not_null())
                    .col(ColumnDef::new(Interactions::StateLiteralDialect).string())
                    .col(ColumnDef::new(Interactions::StateLiteral).string())
                    .col(ColumnDef::new(Interactions::StartTime).big_integer().not_null())
                    .col(ColumnDef::new(Interactions::EndTime).big_integer())
                    .col(ColumnDef::new(Interactions::OwnerId).string().not_null())
                    .col(ColumnDef::new(Interactions::OwnerUserName).string().not_null())
                    .col(ColumnDef::new(Interactions::OwnerFirstName).string())
                    .col(ColumnDef::new(Interactions::OwnerLastName).string())
                    .col(ColumnDef::new(Interactions::ContactId).string())
                    .col(ColumnDef::new(Interactions::ParentId).string())
                    .col(ColumnDef::new(Interactions::ThreadId).string())
                    .col(ColumnDef::new(Interactions::Subject).text())
                    .col(ColumnDef::new(Interactions::Comment).text())
                    .col(ColumnDef::new(Interactions::CustomAttributes).json().not_null())
                    .col(ColumnDef::new(Interactions::PhoneNumber).string())
                    .col(ColumnDef::new(Interactions::CallDurationSecs).big_integer())
                    .col(ColumnDef::new(Interactions::UserData).json().not_null())
                    .col(ColumnDef::new(Interactions::ExternalCallId).string())
                    .col(ColumnDef::new(Interactions::PhoneCallId).string())
                    .col(ColumnDef::new(Interactions::VoiceCallId).string())
                    .col(ColumnDef::new(Interactions::CreateTime).big_integer().not_null())
                    .col(ColumnDef::new(Interactions::UpdateTime).big_integer().not_null())
                    .col(ColumnDef::new(Interactions::Revision).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // NULLs are distinct in a unique index on both stores, so only rows
        // with a call id take part in the find-or-create key.
        create_index(
            manager,
            "interactions_tenant_external_call_id",
            Interactions::Table,
            &["tenant_id", "external_call_id"],
            true,
        )
        .await?;
        create_index(
            manager,
            "interactions_tenant_start_time",
            Interactions::Table,
            &["tenant_id", "start_time", "id"],
            false,
        )
        .await?;
        create_index(
            manager,
            "interactions_tenant_create_time",
            Interactions::Table,
            &["tenant_id", "create_time", "id"],
            false,
        )
        .await
    }
}
