use sea_orm_migration::prelude::*;

use super::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PhoneCalls {
    Table,
    Id,
    TenantId,
    RequestId,
    RequestFingerprint,
    CallType,
    Extension,
    OwnerId,
    OwnerName,
    State,
    Disposition,
    CreateTime,
    AnswerTime,
    EndTime,
    PickupDeadline,
    MaxDurationSecs,
    AllowPublicTransfer,
    Video,
    ConferenceNumber,
    ConferencePin,
    Legs,
    InteractionId,
    UpdateTime,
    Revision,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PhoneCalls::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(PhoneCalls::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(PhoneCalls::TenantId).string().not_null())
                    .col(ColumnDef::new(PhoneCalls::RequestId).string())
                    .col(ColumnDef::new(PhoneCalls::RequestFingerprint).string())
                    .col(ColumnDef::new(PhoneCalls::CallType).string().not_null())
                    .col(ColumnDef::new(PhoneCalls::Extension).string().not_null())
                    .col(ColumnDef::new(PhoneCalls::OwnerId).string().not_null())
                    .col(ColumnDef::new(PhoneCalls::OwnerName).string().not_null())
                    .col(ColumnDef::new(PhoneCalls::State).string().not_null())
                    .col(ColumnDef::new(PhoneCalls::Disposition).string())
                    .col(ColumnDef::new(PhoneCalls::CreateTime).big_integer().not_null())
                    .col(ColumnDef::new(PhoneCalls::AnswerTime).big_integer())
                    .col(ColumnDef::new(PhoneCalls::EndTime).big_integer())
                    .col(ColumnDef::new(PhoneCalls::PickupDeadline).big_integer())
                    .col(ColumnDef::new(PhoneCalls::MaxDurationSecs).big_integer())
                    .col(
                        ColumnDef::new(PhoneCalls::AllowPublicTransfer)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PhoneCalls::Video).boolean().not_null())
                    .col(ColumnDef::new(PhoneCalls::ConferenceNumber).string())
                    .col(ColumnDef::new(PhoneCalls::ConferencePin).string())
                    .col(ColumnDef::new(PhoneCalls::Legs).json().not_null())
                    .col(ColumnDef::new(PhoneCalls::InteractionId).string().not_null())
                    .col(ColumnDef::new(PhoneCalls::UpdateTime).big_integer().not_null())
                    .col(ColumnDef::new(PhoneCalls::Revision).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "phone_calls_tenant_request_id",
            PhoneCalls::Table,
            &["tenant_id", "request_id"],
            true,
        )
        .await?;
        create_index(
            manager,
            "phone_calls_tenant_create_time",
            PhoneCalls::Table,
            &["tenant_id", "create_time", "id"],
            false,
        )
        .await?;
        create_index(
            manager,
            "phone_calls_tenant_extension_create_time",
            PhoneCalls::Table,
            &["tenant_id", "extension", "create_time"],
            false,
        )
        .await?;
        // The pickup timer sweeps ringing calls by deadline.
        create_index(
            manager,
            "phone_calls_state_pickup_deadline",
            PhoneCalls::Table,
            &["state", "pickup_deadline"],
            false,
        )
        .await
    }
}
