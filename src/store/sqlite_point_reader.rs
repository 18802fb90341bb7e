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
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, ProxyRow, QueryResult, RuntimeErr, Statement};

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

/// Runs each query on one of the connections, in place; a read-only
/// SeaORM connection. Implemented directly rather than through SeaORM's
/// proxy: `DatabaseConnection`'s query future holds the states of every
/// driver it was built with, about 9 KB, and was copied twice into boxes
/// per lookup (docs/performance-history.md, "tenth session").
#[async_trait::async_trait]
impl ConnectionTrait for PointReaders {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        Err(read_only(&statement.sql))
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        Err(read_only(sql))
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        Ok(self.query(&statement)?.into_iter().next().map(QueryResult::from))
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        Ok(self
            .query(&statement)?
            .into_iter()
            .map(QueryResult::from)
            .collect())
    }
}

fn read_only(sql: &str) -> DbErr {
    DbErr::Exec(RuntimeErr::Internal(format!(
        "the SQLite point reader is read-only: {sql}"
    )))
}

#[cfg(test)]
mod tests {
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
        let db = PointReaders::open(&path).unwrap();
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
        let refused = db.execute_unprepared("DELETE FROM t").await.unwrap_err();
        assert!(refused.to_string().contains("read-only"), "{refused}");
        let count: i64 = writer
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 2);
    }
}
