use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use super::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Seq,
    TenantId,
    ResourceType,
    Resource,
    EventType,
    Change,
    Actor,
    Audience,
    Payload,
    CreateTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Events::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Events::TenantId).string().not_null())
                    .col(ColumnDef::new(Events::ResourceType).string().not_null())
                    .col(ColumnDef::new(Events::Resource).string().not_null())
                    .col(ColumnDef::new(Events::EventType).string().not_null())
                    .col(ColumnDef::new(Events::Change).string().not_null())
                    .col(ColumnDef::new(Events::Actor).string().not_null())
                    .col(ColumnDef::new(Events::Audience).string())
                    .col(ColumnDef::new(Events::Payload).text().not_null())
                    .col(ColumnDef::new(Events::CreateTime).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "events_tenant_seq",
            Events::Table,
            &["tenant_id", "seq"],
            false,
        )
        .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Sequence values are taken before commit, so rows become visible
            // out of order. The outbox reader only delivers rows written by
            // transactions older than every transaction still running; this
            // records which transaction wrote each row.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE events ADD COLUMN IF NOT EXISTS txid xid8 NOT NULL DEFAULT pg_current_xact_id()",
                )
                .await?;
        }
        Ok(())
    }
}
