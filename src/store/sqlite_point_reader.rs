//! Lookups by key on SQLite, run in place on the calling thread.
//!
//! SQLx's SQLite driver sends every statement to its connection's worker
//! thread and the answer back: two cross-thread wake-ups for a read that
//! SQLite answers in microseconds (measured: a get by id ran at 0.6 of the
//! rate of a repeated find-or-create, whose read runs in place on the
//! writer thread; here, 0.9). A lookup of one row through an index is
//! bounded work, so it
//! runs here on the caller's thread, over a few rusqlite connections of its
//! own, like the writer's statements. Scans and counts stay on the SQLx pool
//! (`Store::reader`): on a large table they can take milliseconds, which
//! must not hold a runtime thread.
//!
//! WAL readers never wait for the writer, and each statement reads the
//! latest committed state.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sea_orm::{
    DatabaseConnection, DbBackend, DbErr, ProxyDatabaseTrait, ProxyExecResult, ProxyRow, RuntimeErr,
    Statement,
};

use super::sqlite_writer::{ColumnCache, STATEMENT_CACHE, run_query};

/// Idle connections kept open. Statements never wait while holding one, so
/// at most one per thread running lookups is in use at a time.
const MAX_IDLE: usize = 8;

/// Read-only connections to one SQLite file, opened as needed.
#[derive(Debug)]
pub(super) struct PointReaders {
    path: PathBuf,
    idle: Mutex<Vec<Reader>>,
}

/// One read-only connection and the result columns of its statements.
#[derive(Debug)]
struct Reader {
    conn: Connection,
    columns: ColumnCache,
}

impl PointReaders {
    /// Readers of the database file at `path` (which must exist, in WAL
    /// mode); the first connection opens now, so a bad file fails here.
    pub(super) fn open(path: &Path) -> Result<Arc<Self>, DbErr> {
        let readers = Arc::new(Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        });
        let first = readers.connect()?;
        readers.put_back(first);
        Ok(readers)
    }

    /// A SeaORM connection whose every query runs on one of these
    /// connections, in place.
    pub(super) async fn database(self: &Arc<Self>) -> Result<DatabaseConnection, DbErr> {
        let proxy: Box<dyn ProxyDatabaseTrait> = Box::new(Proxy(self.clone()));
        sea_orm::Database::connect_proxy(DbBackend::Sqlite, Arc::new(proxy)).await
    }

    fn connect(&self) -> Result<Reader, DbErr> {
        let fail = |e: rusqlite::Error| DbErr::Conn(RuntimeErr::Internal(format!("SQLite reader: {e}")));
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(fail)?;
        // Busy only while the WAL is being reset, for moments.
        conn.busy_timeout(Duration::from_secs(5)).map_err(fail)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(Reader {
            conn,
            columns: ColumnCache::default(),
        })
    }

    fn query(&self, statement: &Statement) -> Result<Vec<ProxyRow>, DbErr> {
        let mut reader = match self.take_idle() {
            Some(reader) => reader,
            None => self.connect()?,
        };
        let result = run_query(&reader.conn, &mut reader.columns, statement)
            .map_err(|failure| failure.to_db_err(true));
        self.put_back(reader);
        result
    }

    fn take_idle(&self) -> Option<Reader> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    fn put_back(&self, reader: Reader) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(reader);
        }
    }
}

/// The proxy SeaORM calls. Only queries outside a transaction make sense
/// here; anything else is refused or ignored, loudly.
#[derive(Debug)]
struct Proxy(Arc<PointReaders>);

#[async_trait::async_trait]
impl ProxyDatabaseTrait for Proxy {
    async fn query(&self, statement: Statement) -> Result<Vec<ProxyRow>, DbErr> {
        self.0.query(&statement)
    }

    async fn execute(&self, statement: Statement) -> Result<ProxyExecResult, DbErr> {
        Err(DbErr::Exec(RuntimeErr::Internal(format!(
            "the SQLite point reader is read-only: {}",
            statement.sql
        ))))
    }

    async fn begin(&self) {
        tracing::error!("a transaction was begun on the SQLite point reader; its statements run alone");
    }

    async fn commit(&self) {}

    async fn rollback(&self) {}

    async fn ping(&self) -> Result<(), DbErr> {
        self.0
            .query(&Statement::from_string(DbBackend::Sqlite, "SELECT 1"))
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};

    use super::*;

    #[tokio::test]
    async fn reads_what_is_committed_and_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("point.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (id TEXT PRIMARY KEY, flag BOOLEAN, doc JSON);
                 INSERT INTO t VALUES ('a', 1, '{\"k\": 2}');",
            )
            .unwrap();
        let db = PointReaders::open(&path).unwrap().database().await.unwrap();
        let select = |id: &str| {
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT flag, doc FROM t WHERE id = ?",
                [id.into()],
            )
        };

        let row = db.query_one_raw(select("a")).await.unwrap().unwrap();
        assert!(row.try_get::<bool>("", "flag").unwrap());
        assert_eq!(row.try_get::<serde_json::Value>("", "doc").unwrap()["k"], 2);

        // A later commit is visible to the next statement.
        writer.execute("INSERT INTO t VALUES ('b', 0, NULL)", []).unwrap();
        let row = db.query_one_raw(select("b")).await.unwrap().unwrap();
        assert!(!row.try_get::<bool>("", "flag").unwrap());
        assert!(db.query_one_raw(select("c")).await.unwrap().is_none());

        let write = Statement::from_string(DbBackend::Sqlite, "DELETE FROM t");
        let refused = db.execute_raw(write).await.unwrap_err();
        assert!(refused.to_string().contains("read-only"), "{refused}");
        let count: i64 = writer
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 2);
    }
}
