use sea_orm_migration::prelude::*;

use super::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VoiceCalls {
    Table,
    Id,
    TenantId,
    VendorCallKey,
    ExternalUuid,
    CallCenterApiName,
    FromNumber,
    ToNumber,
    Direction,
    InitiationMethod,
    ParentId,
    State,
    StateLiteralDialect,
    StateLiteral,
    StartTime,
    EndTime,
    StaffUid,
    ClientUid,
    BusinessUid,
    Participants,
    Details,
    InteractionId,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum VoiceCallMessages {
    Table,
    Id,
    TenantId,
    VoiceCallId,
    MessageId,
    ParticipantId,
    SenderType,
    Content,
    StartTime,
    EndTime,
    CreateTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        {
            manager
                .create_table(
                    Table::create()
                        .table(VoiceCalls::Table)
                        .if_not_exists()
                        .col(ColumnDef::new(VoiceCalls::Id).string().not_null().primary_key())
                        .col(ColumnDef::new(VoiceCalls::TenantId).string().not_null())
                        .col(ColumnDef::new(VoiceCalls::VendorCallKey).string())
                        .col(ColumnDef::new(VoiceCalls::ExternalUuid).string())
                        .col(ColumnDef::new(VoiceCalls::CallCenterApiName).string())
                        .col(ColumnDef::new(VoiceCalls::FromNumber).string().not_null())
                        .col(ColumnDef::new(VoiceCalls::ToNumber).string().not_null())
                        .col(ColumnDef::new(VoiceCalls::Direction).string())
                        .col(ColumnDef::new(VoiceCalls::InitiationMethod).string())
                        .col(ColumnDef::new(VoiceCalls::ParentId).string())
                        .col(ColumnDef::new(VoiceCalls::State).string().not_null())
                        .col(ColumnDef::new(VoiceCalls::StateLiteralDialect).string())
                        .col(ColumnDef::new(VoiceCalls::StateLiteral).string())
                        .col(ColumnDef::new(VoiceCalls::StartTime).big_integer())
                        .col(ColumnDef::new(VoiceCalls::EndTime).big_integer())
                        .col(ColumnDef::new(VoiceCalls::StaffUid).string())
                        .col(ColumnDef::new(VoiceCalls::ClientUid).string())
                        .col(ColumnDef::new(VoiceCalls::BusinessUid).string())
                        .col(ColumnDef::new(VoiceCalls::Participants).json().not_null())
                        .col(ColumnDef::new(VoiceCalls::Details).json().not_null())
                        .col(ColumnDef::new(VoiceCalls::InteractionId).string().not_null())
                        .col(ColumnDef::new(VoiceCalls::CreateTime).big_integer().not_null())
                        .col(ColumnDef::new(VoiceCalls::UpdateTime).big_integer().not_null())
                        .col(ColumnDef::new(VoiceCalls::Revision).big_integer().not_null())
                        .to_owned(),
                )
                .await?;
            create_index(
                manager,
                "voice_calls_tenant_vendor_call_key",
                VoiceCalls::Table,
                &["tenant_id", "vendor_call_key"],
                true,
            )
            .await?;
            create_index(
                manager,
                "voice_calls_tenant_external_uuid",
                VoiceCalls::Table,
                &["tenant_id", "external_uuid"],
                true,
            )
            .await?;
            create_index(
                manager,
                "voice_calls_tenant_update_time",
                VoiceCalls::Table,
                &["tenant_id", "update_time", "id"],
                false,
            )
            .await?;
            create_index(
                manager,
                "voice_calls_tenant_create_time",
                VoiceCalls::Table,
                &["tenant_id", "create_time", "id"],
                false,
            )
            .await?;
        }
        {
            manager
                .create_table(
                    Table::create()
                        .table(VoiceCallMessages::Table)
                        .if_not_exists()
                        .col(
                            ColumnDef::new(VoiceCallMessages::Id)
                                .big_integer()
                                .not_null()
                                .auto_increment()
                                .primary_key(),
                        )
                        .col(ColumnDef::new(VoiceCallMessages::TenantId).string().not_null())
                        .col(ColumnDef::new(VoiceCallMessages::VoiceCallId).string().not_null())
                        .col(ColumnDef::new(VoiceCallMessages::MessageId).string().not_null())
                        .col(
                            ColumnDef::new(VoiceCallMessages::ParticipantId)
                                .string()
                                .not_null(),
                        )
                        .col(ColumnDef::new(VoiceCallMessages::SenderType).string().not_null())
                        .col(ColumnDef::new(VoiceCallMessages::Content).text().not_null())
                        .col(
                            ColumnDef::new(VoiceCallMessages::StartTime)
                                .big_integer()
                                .not_null(),
                        )
                        .col(ColumnDef::new(VoiceCallMessages::EndTime).big_integer())
                        .col(
                            ColumnDef::new(VoiceCallMessages::CreateTime)
                                .big_integer()
                                .not_null(),
                        )
                        .to_owned(),
                )
                .await?;
            create_index(
                manager,
                "voice_call_messages_call_message_id",
                VoiceCallMessages::Table,
                &["voice_call_id", "message_id"],
                true,
            )
            .await?;
            create_index(
                manager,
                "voice_call_messages_call_start_time",
                VoiceCallMessages::Table,
                &["voice_call_id", "start_time", "id"],
                false,
            )
            .await
        }
    }
}
