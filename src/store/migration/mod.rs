//! Schema migrations, applied at start-up. One file per migration, never
//! renamed: `DeriveMigrationName` records the file name as the version. Every
//! step is idempotent (`IF NOT EXISTS`), so a migration interrupted on SQLite
//! (where DDL is not wrapped in a transaction by default) can simply run again.

// `MigrationTrait::up` is an `async_trait` method whose signature spells
// `&SchemaManager` without its lifetime; the impls must match it.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;

mod m20261123_000001_create_tenants_users_tokens;
mod m20261123_000002_create_interactions;
mod m20261123_000003_create_phone_calls;
mod m20261123_000004_create_voice_calls;
mod m20261123_000005_create_events;
mod m20261124_000001_create_call_centers;
mod m20261124_000002_create_idempotency_keys;

/// Every migration, in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_tenants_users_tokens::Migration),
            Box::new(m20261123_000002_create_interactions::Migration),
            Box::new(m20261123_000003_create_phone_calls::Migration),
            Box::new(m20261123_000004_create_voice_calls::Migration),
            Box::new(m20261123_000005_create_events::Migration),
            Box::new(m20261124_000001_create_call_centers::Migration),
            Box::new(m20261124_000002_create_idempotency_keys::Migration),
        ]
    }
}

/// Creates an index if it does not exist yet.
async fn create_index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table).if_not_exists();
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    manager.create_index(index).await
}
