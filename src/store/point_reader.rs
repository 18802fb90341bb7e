//! The connection lookups of single rows by key run on
//! ([`Store::point_reader`](super::Store::point_reader)): SQLite's in-place
//! readers, or PostgreSQL's pool.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement};

use super::sqlite_point_reader::PointReaders;

/// Where a lookup by key runs; a SeaORM connection either way.
#[derive(Debug)]
pub(super) enum PointReader {
    /// SQLite: on the calling thread (`super::sqlite_point_reader`).
    Sqlite(Arc<PointReaders>),
    /// PostgreSQL: the reader pool.
    Pooled(DatabaseConnection),
}

#[async_trait::async_trait]
impl ConnectionTrait for PointReader {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Self::Sqlite(readers) => readers.get_database_backend(),
            Self::Pooled(db) => db.get_database_backend(),
        }
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Self::Sqlite(readers) => readers.execute_raw(statement).await,
            Self::Pooled(db) => db.execute_raw(statement).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Self::Sqlite(readers) => readers.execute_unprepared(sql).await,
            Self::Pooled(db) => db.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Self::Sqlite(readers) => readers.query_one_raw(statement).await,
            Self::Pooled(db) => db.query_one_raw(statement).await,
        }
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Self::Sqlite(readers) => readers.query_all_raw(statement).await,
            Self::Pooled(db) => db.query_all_raw(statement).await,
        }
    }
}
