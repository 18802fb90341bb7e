//! The SQLite writer's connection: rusqlite behind SeaORM's proxy interface,
//! used only from the writer thread (`super::writer`).
//!
//! sqlx runs every SQLite connection on a worker thread of its own and sends
//! each statement there and the answer back: two cross-thread wake-ups per
//! statement. Profiles of a create showed those context switches, not SQL,
//! as the largest cost, and the single writer waits for each of them in
//! turn. Here the writer thread owns the connection and runs each statement
//! in place when SeaORM hands it over, so a batch goes from `BEGIN` to
//! `COMMIT` without leaving the thread, and statements are prepared once per
//! connection (writes in `super::sqlite_statements`, which binds their
//! values without copies). SeaORM still builds every statement, so the
//! write jobs are one body of code for SQLite and PostgreSQL.
//!
//! SeaORM's proxy interface cannot report a failed `BEGIN`, `SAVEPOINT`,
//! `RELEASE` or `COMMIT`. Such a failure poisons the transaction instead:
//! every later statement in it fails with that error, the outermost commit
//! becomes a rollback, and the writer collects the failure with
//! [`WriterConnection::take_failure`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, ToSql};
use sea_orm::{
    DatabaseConnection, DbBackend, DbErr, ProxyDatabaseTrait, ProxyExecResult, ProxyRow, RuntimeErr,
    Statement, Value,
};

use super::SqliteSync;
use super::checkpoint::{self, Checkpointer};
use super::sqlite_statements::{self, Bound, WriteStatements};
use super::wal_vfs;

/// Distinct statements kept prepared; the write path has a few dozen.
pub(super) const STATEMENT_CACHE: usize = 256;

/// The writer's connection and its transaction state.
#[derive(Debug)]
pub(super) struct WriterConnection {
    state: Mutex<State>,
    /// The highest outbox sequence number committed so far.
    committed_sequence: Arc<AtomicI64>,
}

/// The outbox's high-water mark: the `AUTOINCREMENT` counter of `events`,
/// which moves in the transaction that appends, so after a commit every
/// event up to it is visible (the writer is alone: numbers commit in
/// order).
const OUTBOX_MARK: &str = "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)";

#[derive(Debug)]
struct State {
    /// Declared before `conn`, so its statements are finalized before the
    /// connection closes.
    statements: WriteStatements,
    conn: Connection,
    columns: ColumnCache,
    /// Open levels: 1 is the batch transaction, deeper ones are savepoints.
    depth: usize,
    /// What poisoned the open transaction, if anything did.
    failure: Option<Failure>,
    checkpointer: Checkpointer,
    committed_sequence: Arc<AtomicI64>,
}

/// A failed statement, kept as text so a poisoned transaction can repeat it
/// to every later statement.
#[derive(Clone, Debug)]
pub(super) struct Failure {
    message: String,
    busy: bool,
}

impl Failure {
    fn from_sqlite(error: &rusqlite::Error) -> Self {
        let busy = matches!(
            error.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        );
        Self {
            message: error.to_string(),
            busy,
        }
    }

    /// As a SeaORM error: busy/locked as a connection error, which callers
    /// treat as transient (retry), anything else as a failed statement.
    pub(super) fn to_db_err(&self, query: bool) -> DbErr {
        let error = RuntimeErr::Internal(self.message.clone());
        match (self.busy, query) {
            (true, _) => DbErr::Conn(error),
            (false, true) => DbErr::Query(error),
            (false, false) => DbErr::Exec(error),
        }
    }
}

impl WriterConnection {
    /// Opens the database file at `path` (which must exist, in WAL mode)
    /// for writing.
    pub(super) fn open(path: &Path, sync: SqliteSync) -> Result<Arc<Self>, DbErr> {
        let internal = |e: String| DbErr::Conn(RuntimeErr::Internal(format!("SQLite writer: {e}")));
        let fail = |e: rusqlite::Error| internal(e.to_string());
        // Through the VFS that writes a commit's WAL frames in one go.
        let vfs = wal_vfs::register().map_err(internal)?;
        let conn = Connection::open_with_flags_and_vfs(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            vfs,
        )
        .map_err(fail)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(fail)?;
        let synchronous = match sync {
            SqliteSync::Normal => "NORMAL",
            SqliteSync::Full => "FULL",
        };
        // temp_store: savepoints keep the original of each page a job
        // changes in a sub-journal, a temporary file by default (a write
        // syscall per page); in memory it is a copy. cache_size (8 MiB):
        // a commit after a b-tree split that reorders sibling pages scans
        // the page cache's whole hash table (SQLite parks a page at number
        // 262,145 meanwhile), so a larger cache costs more than its misses
        // save: with call ids in random order, 8 MiB sustained more creates
        // than 64 MiB in every alternating run (docs/performance-history.md,
        // third session).
        // wal_autocheckpoint and journal_size_limit: checkpoints and WAL
        // restarts are `super::checkpoint`'s.
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8192;
             PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {};",
            checkpoint::WAL_SIZE_LIMIT
        ))
        .map_err(fail)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let checkpointer = Checkpointer::spawn(path, synchronous).map_err(fail)?;
        let mark: i64 = conn.query_row(OUTBOX_MARK, [], |row| row.get(0)).map_err(fail)?;
        let committed_sequence = Arc::new(AtomicI64::new(mark));
        Ok(Arc::new(Self {
            state: Mutex::new(State {
                statements: WriteStatements::default(),
                conn,
                columns: ColumnCache::default(),
                depth: 0,
                failure: None,
                checkpointer,
                committed_sequence: committed_sequence.clone(),
            }),
            committed_sequence,
        }))
    }

    /// A SeaORM connection whose every statement runs on this connection.
    pub(super) async fn database(self: &Arc<Self>) -> Result<DatabaseConnection, DbErr> {
        let proxy: Box<dyn ProxyDatabaseTrait> = Box::new(Proxy(self.clone()));
        sea_orm::Database::connect_proxy(DbBackend::Sqlite, Arc::new(proxy)).await
    }

    /// The highest outbox sequence number committed so far, kept current
    /// by every commit; the event hub reads it instead of the database.
    pub(super) fn committed_sequence(&self) -> Arc<AtomicI64> {
        self.committed_sequence.clone()
    }

    /// Rows inserted, updated or deleted on this connection so far.
    pub(super) fn total_changes(&self) -> u64 {
        self.lock().conn.total_changes()
    }

    /// Fails the open transaction: it rolls back when it ends, and
    /// [`Self::take_failure`] reports `why`.
    pub(super) fn poison(&self, why: &str) {
        tracing::error!(why, "SQLite write batch rolled back");
        let mut state = self.lock();
        if state.failure.is_none() {
            state.failure = Some(Failure {
                message: why.to_owned(),
                busy: false,
            });
        }
    }

    /// The error that poisoned the last transaction, if one did; clears it.
    /// The writer calls this after each batch's `BEGIN` and `COMMIT`.
    pub(super) fn take_failure(&self) -> Option<DbErr> {
        self.lock().failure.take().map(|f| f.to_db_err(false))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Only the writer thread takes the lock, one statement at a time; a
        // panic while holding it leaves a connection SQLite itself keeps
        // consistent.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn poison(&mut self, error: &rusqlite::Error) {
        if self.failure.is_none() {
            self.failure = Some(Failure::from_sqlite(error));
        }
    }

    fn begin(&mut self) {
        if self.depth == 0
            && let Some(stale) = self.failure.take()
        {
            // The writer collects every failure; this is a safety net.
            tracing::error!(error = %stale.message, "SQLite writer failure was not collected");
        }
        let sql = match self.depth {
            0 => "BEGIN IMMEDIATE".to_owned(),
            level => format!("SAVEPOINT level{level}"),
        };
        self.depth += 1;
        if self.failure.is_none()
            && let Err(error) = self.run_control(&sql)
        {
            self.poison(&error);
        }
    }

    /// Ends the innermost level: commits (releases) it, or rolls it back.
    fn end(&mut self, commit: bool) {
        let Some(level) = self.depth.checked_sub(1) else {
            return;
        };
        self.depth = level;
        if self.failure.is_some() {
            // Poisoned: the whole transaction goes, once its outermost level
            // ends.
            if level == 0 {
                self.roll_back_all();
            }
            return;
        }
        let result = match (level, commit) {
            (0, true) => self.run_control("COMMIT"),
            (0, false) => self.run_control("ROLLBACK"),
            (level, true) => self.run_control(&format!("RELEASE level{level}")),
            (level, false) => self
                .run_control(&format!("ROLLBACK TO level{level}"))
                .and_then(|()| self.run_control(&format!("RELEASE level{level}"))),
        };
        match result {
            Ok(()) if level == 0 && commit => {
                match self
                    .conn
                    .prepare_cached(OUTBOX_MARK)
                    .and_then(|mut s| s.query_row([], |row| row.get(0)))
                {
                    Ok(mark) => self.committed_sequence.fetch_max(mark, Ordering::Release),
                    // Only delays delivery: the next commit reads it again.
                    Err(error) => {
                        tracing::warn!(%error, "reading the outbox mark failed");
                        0
                    }
                };
                self.checkpointer.committed();
                if self.checkpointer.restart_due()
                    && let Err(error) = checkpoint::passive(&self.conn)
                {
                    tracing::warn!(%error, "SQLite writer checkpoint failed; the WAL restarts later");
                }
            }
            Ok(()) => {}
            Err(error) => {
                self.poison(&error);
                if level == 0 {
                    // A failed COMMIT can leave the transaction open
                    // (SQLITE_BUSY).
                    self.roll_back_all();
                }
            }
        }
    }

    /// Runs a transaction-control statement, prepared once and cached like
    /// any other (every job has its SAVEPOINT and RELEASE).
    fn run_control(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn.prepare_cached(sql)?.execute([]).map(drop)
    }

    fn roll_back_all(&mut self) {
        if !self.conn.is_autocommit()
            && let Err(error) = self.run_control("ROLLBACK")
        {
            tracing::error!(%error, "SQLite writer could not roll back");
        }
    }

    fn execute(&mut self, statement: &Statement) -> Result<ProxyExecResult, DbErr> {
        if let Some(failure) = &self.failure {
            return Err(failure.to_db_err(false));
        }
        let values = statement.values.as_ref().map_or(&[][..], |v| &v.0[..]);
        let result = self
            .statements
            .execute(&self.conn, STATEMENT_CACHE, &statement.sql, values)
            .map(|rows_affected| ProxyExecResult {
                last_insert_id: u64::try_from(self.conn.last_insert_rowid()).unwrap_or(0),
                rows_affected,
            })
            .map_err(|e| Failure::from_sqlite(&e));
        self.finish_statement(result, false)
    }

    /// After a failed statement: some errors (disk full, I/O, out of memory)
    /// make SQLite roll the whole transaction back on its own. Later
    /// statements would then run outside any transaction, each committing
    /// alone, so the transaction is poisoned instead.
    fn finish_statement<T>(&mut self, result: Result<T, Failure>, query: bool) -> Result<T, DbErr> {
        result.map_err(|failure| {
            if self.depth > 0 && self.conn.is_autocommit() && self.failure.is_none() {
                self.failure = Some(failure.clone());
            }
            failure.to_db_err(query)
        })
    }

    fn query(&mut self, statement: &Statement) -> Result<Vec<ProxyRow>, DbErr> {
        if let Some(failure) = &self.failure {
            return Err(failure.to_db_err(true));
        }
        let result = run_query(&self.conn, &mut self.columns, statement);
        self.finish_statement(result, true)
    }
}

/// The result columns of each statement run on one connection: name and how
/// to decode. Looking them up again for every query cost a get about 5% of
/// its CPU (two allocations per column, and SQLite's metadata calls). Keyed
/// with foldhash, as the writer's statements are (`sqlite_statements`): the
/// key is the SQL text, hashed on every query.
#[derive(Debug, Default)]
pub(super) struct ColumnCache(HashMap<String, Box<[Column]>, foldhash::fast::RandomState>);

/// A result column: its position, name and how to decode it.
#[derive(Debug)]
struct Column {
    index: usize,
    name: String,
    kind: ColumnKind,
}

impl ColumnCache {
    /// The columns of `prepared`, whose text is `sql`, in name order: a
    /// proxy row is a map by name, and built from names in order it needs
    /// no search per column.
    fn of(&mut self, sql: &str, prepared: &rusqlite::Statement<'_>) -> &[Column] {
        // A statement's columns change only with the schema (migrations, at
        // start-up); a different count is read again all the same.
        let fresh = self
            .0
            .get(sql)
            .is_some_and(|columns| columns.len() == prepared.column_count());
        if !fresh {
            if self.0.len() >= STATEMENT_CACHE {
                self.0.clear();
            }
            let mut columns: Vec<Column> = prepared
                .columns()
                .iter()
                .enumerate()
                .map(|(index, c)| Column {
                    index,
                    name: c.name().to_owned(),
                    kind: ColumnKind::declared(c.decl_type()),
                })
                .collect();
            // Stable, so of two columns with one name the later still wins.
            columns.sort_by(|a, b| a.name.cmp(&b.name));
            self.0.insert(sql.to_owned(), columns.into());
        }
        &self.0[sql]
    }
}

/// Runs a query on `conn` (prepared once per connection) and returns its
/// rows as SeaORM expects them.
pub(super) fn run_query(
    conn: &Connection,
    cache: &mut ColumnCache,
    statement: &Statement,
) -> Result<Vec<ProxyRow>, Failure> {
    let sqlite = |e: rusqlite::Error| Failure::from_sqlite(&e);
    let mut prepared = conn.prepare_cached(&statement.sql).map_err(sqlite)?;
    let mut rows = prepared
        .query(rusqlite::params_from_iter(params(statement)))
        .map_err(sqlite)?;
    let Some(first) = rows.next().map_err(sqlite)? else {
        return Ok(Vec::new());
    };
    // Read after the first step: a statement prepared before a schema
    // change is prepared again by that step, with the new columns.
    let columns = cache.of(&statement.sql, first.as_ref());
    let mut out = vec![proxy_row(first, columns)?];
    while let Some(row) = rows.next().map_err(sqlite)? {
        out.push(proxy_row(row, columns)?);
    }
    Ok(out)
}

/// One result row, keyed by column name as SeaORM reads it. `columns` are
/// in name order, so collecting builds the map in one pass.
fn proxy_row(row: &rusqlite::Row<'_>, columns: &[Column]) -> Result<ProxyRow, Failure> {
    let values = columns
        .iter()
        .map(|column| {
            let value = row.get_ref(column.index).map_err(|e| Failure::from_sqlite(&e))?;
            Ok((column.name.clone(), column.kind.decode(value)?))
        })
        .collect::<Result<BTreeMap<_, _>, Failure>>()?;
    Ok(ProxyRow::new(values))
}

/// The statement's values as SQLite parameters.
fn params(statement: &Statement) -> impl Iterator<Item = Param<'_>> {
    statement
        .values
        .iter()
        .flat_map(|values| values.0.iter())
        .map(Param)
}

/// A SeaORM value bound as a SQLite parameter of a query
/// ([`sqlite_statements::bound`] says how).
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match sqlite_statements::bound(self.0)? {
            Bound::Null => ToSqlOutput::Owned(SqlValue::Null),
            Bound::Integer(v) => ToSqlOutput::Owned(SqlValue::Integer(v)),
            Bound::Real(v) => ToSqlOutput::Owned(SqlValue::Real(v)),
            Bound::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Bound::OwnedText(text) => ToSqlOutput::Owned(SqlValue::Text(text)),
            Bound::Blob(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
        })
    }
}

/// How a result column maps back to a SeaORM value. SQLite values carry only
/// their storage class; the declared column type says whether an INTEGER is a
/// boolean and a TEXT is JSON, as the entities expect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ColumnKind {
    Plain,
    Boolean,
    Json,
}

impl ColumnKind {
    fn declared(decl_type: Option<&str>) -> Self {
        let Some(declared) = decl_type else {
            return Self::Plain;
        };
        let declared = declared.to_ascii_lowercase();
        if declared.contains("json") {
            Self::Json
        } else if declared.contains("bool") {
            Self::Boolean
        } else {
            Self::Plain
        }
    }

    fn decode(self, value: ValueRef<'_>) -> Result<Value, Failure> {
        let corrupt = |message: String| Failure { message, busy: false };
        let text = |bytes: &[u8]| {
            std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|e| corrupt(format!("SQLite text is not UTF-8: {e}")))
        };
        Ok(match (self, value) {
            (Self::Boolean, ValueRef::Null) => Value::Bool(None),
            (Self::Json, ValueRef::Null) => Value::Json(None),
            (Self::Plain, ValueRef::Null) => Value::String(None),
            (Self::Boolean, ValueRef::Integer(i)) => Value::Bool(Some(i != 0)),
            (Self::Json, ValueRef::Text(bytes) | ValueRef::Blob(bytes)) => Value::Json(Some(Box::new(
                serde_json::from_slice(bytes).map_err(|e| corrupt(format!("stored JSON is invalid: {e}")))?,
            ))),
            (_, ValueRef::Integer(i)) => Value::BigInt(Some(i)),
            (_, ValueRef::Real(f)) => Value::Double(Some(f)),
            (_, ValueRef::Text(bytes)) => Value::String(Some(text(bytes)?)),
            (_, ValueRef::Blob(bytes)) => Value::Bytes(Some(bytes.to_vec())),
        })
    }
}

/// The proxy SeaORM calls; every call runs synchronously on the caller's
/// thread (the writer thread), so its futures are ready at once.
#[derive(Debug)]
struct Proxy(Arc<WriterConnection>);

#[async_trait::async_trait]
impl ProxyDatabaseTrait for Proxy {
    async fn query(&self, statement: Statement) -> Result<Vec<ProxyRow>, DbErr> {
        self.0.lock().query(&statement)
    }

    async fn execute(&self, statement: Statement) -> Result<ProxyExecResult, DbErr> {
        self.0.lock().execute(&statement)
    }

    async fn begin(&self) {
        self.0.lock().begin();
    }

    async fn commit(&self) {
        self.0.lock().end(true);
    }

    async fn rollback(&self) {
        self.0.lock().end(false);
    }

    fn start_rollback(&self) {
        // A transaction dropped without commit or rollback (a job that
        // panicked, say).
        self.0.lock().end(false);
    }

    async fn ping(&self) -> Result<(), DbErr> {
        self.0
            .lock()
            .query(&Statement::from_string(DbBackend::Sqlite, "SELECT 1"))
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, QueryResult, TransactionTrait};

    use super::*;

    async fn open() -> (tempfile::TempDir, Arc<WriterConnection>, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE t (id integer PRIMARY KEY, name varchar UNIQUE, flag boolean, doc json_text, raw blob);
                 CREATE TABLE events (seq integer PRIMARY KEY AUTOINCREMENT, note text);",
            )
            .unwrap();
        let conn = WriterConnection::open(&path, SqliteSync::Normal).unwrap();
        let db = conn.database().await.unwrap();
        (dir, conn, db)
    }

    fn insert(name: &str) -> Statement {
        Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO t (name, flag, doc, raw) VALUES (?, ?, ?, ?)",
            [
                name.into(),
                true.into(),
                serde_json::json!({"a": [1, "two"]}).into(),
                vec![0u8, 255].into(),
            ],
        )
    }

    /// The one row `sql` returns.
    async fn one_row(db: &DatabaseConnection, sql: &str) -> QueryResult {
        db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .unwrap()
            .expect("a row")
    }

    async fn names(db: &DatabaseConnection) -> Vec<String> {
        db.query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM t ORDER BY id",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("", "name").unwrap())
        .collect()
    }

    #[tokio::test]
    async fn a_repeated_query_sees_columns_added_since_it_last_ran() {
        let (_dir, _conn, db) = open().await;
        db.execute_raw(insert("a")).await.unwrap();
        let before = one_row(&db, "SELECT * FROM t").await;
        assert!(
            before.try_get::<String>("", "added").is_err(),
            "no such column yet"
        );
        db.execute_unprepared("ALTER TABLE t ADD COLUMN added text DEFAULT 'yes'")
            .await
            .unwrap();
        let after = one_row(&db, "SELECT * FROM t").await;
        assert_eq!(after.try_get::<String>("", "added").unwrap(), "yes");
        assert!(
            after.try_get::<bool>("", "flag").unwrap(),
            "the declared types still apply"
        );
    }

    #[tokio::test]
    async fn values_round_trip_with_their_declared_types() {
        let (_dir, _conn, db) = open().await;
        let inserted = db.execute_raw(insert("a")).await.unwrap();
        assert_eq!((inserted.rows_affected(), inserted.last_insert_id()), (1, 1));
        let row = one_row(&db, "SELECT * FROM t").await;
        assert_eq!(row.try_get::<i64>("", "id").unwrap(), 1);
        assert!(row.try_get::<bool>("", "flag").unwrap());
        assert_eq!(
            row.try_get::<serde_json::Value>("", "doc").unwrap(),
            serde_json::json!({"a": [1, "two"]})
        );
        assert_eq!(row.try_get::<Vec<u8>>("", "raw").unwrap(), vec![0, 255]);
        let nulls = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO t (name, flag, doc) VALUES (?, ?, ?)",
            [Value::String(None), Value::Bool(None), Value::Json(None)],
        );
        db.execute_raw(nulls).await.unwrap();
        let row = one_row(&db, "SELECT * FROM t WHERE id = 2").await;
        assert_eq!(row.try_get::<Option<String>>("", "name").unwrap(), None);
        assert_eq!(row.try_get::<Option<bool>>("", "flag").unwrap(), None);
        assert_eq!(row.try_get::<Option<Option<i64>>>("", "raw").unwrap(), Some(None));
        // The message SeaORM gives for a NULL where a value is required
        // (its text is built without `{:?}`, vendor/sea-orm/PATCHED.md).
        let required = row.try_get::<String>("", "name").unwrap_err();
        assert_eq!(
            required.to_string(),
            format!(
                "Type Error: A null value was encountered while decoding {:?}",
                "name"
            )
        );
    }

    #[tokio::test]
    async fn rows_are_read_by_name_whatever_the_column_order() {
        let (_dir, _conn, db) = open().await;
        db.execute_raw(insert("a")).await.unwrap();
        let row = one_row(&db, "SELECT raw, name, 7 AS zeta, id, 8 AS alpha, flag FROM t").await;
        assert_eq!(row.try_get::<String>("", "name").unwrap(), "a");
        assert_eq!(row.try_get::<i64>("", "id").unwrap(), 1);
        assert_eq!(row.try_get::<i64>("", "zeta").unwrap(), 7);
        assert_eq!(row.try_get::<i64>("", "alpha").unwrap(), 8);
        assert!(row.try_get::<bool>("", "flag").unwrap());
        assert_eq!(row.try_get::<Vec<u8>>("", "raw").unwrap(), vec![0, 255]);
        // Of two columns with one name, the later one is read, as before
        // the columns were sorted.
        let twice = one_row(&db, "SELECT 1 AS x, 2 AS x").await;
        assert_eq!(twice.try_get::<i64>("", "x").unwrap(), 2);
    }

    #[tokio::test]
    async fn commits_publish_the_outbox_mark() {
        let (_dir, conn, db) = open().await;
        let mark = conn.committed_sequence();
        assert_eq!(mark.load(Ordering::Acquire), 0);
        let append = || Statement::from_string(DbBackend::Sqlite, "INSERT INTO events (note) VALUES ('x')");
        let txn = db.begin().await.unwrap();
        txn.execute_raw(append()).await.unwrap();
        txn.execute_raw(append()).await.unwrap();
        assert_eq!(mark.load(Ordering::Acquire), 0, "not before the commit");
        txn.commit().await.unwrap();
        assert_eq!(mark.load(Ordering::Acquire), 2);
        let txn = db.begin().await.unwrap();
        txn.execute_raw(append()).await.unwrap();
        txn.rollback().await.unwrap();
        assert_eq!(
            mark.load(Ordering::Acquire),
            2,
            "a rolled-back append does not count"
        );
    }

    #[tokio::test]
    async fn a_rolled_back_savepoint_keeps_the_rest_of_its_transaction() {
        let (_dir, conn, db) = open().await;
        let txn = db.begin().await.unwrap();
        txn.execute_raw(insert("kept")).await.unwrap();
        let savepoint = txn.begin().await.unwrap();
        savepoint.execute_raw(insert("undone")).await.unwrap();
        savepoint.rollback().await.unwrap();
        let duplicate = txn.begin().await.unwrap();
        let error = duplicate.execute_raw(insert("kept")).await.unwrap_err();
        assert!(error.to_string().contains("UNIQUE"), "{error}");
        drop(duplicate);
        txn.commit().await.unwrap();
        assert!(conn.take_failure().is_none());
        assert_eq!(names(&db).await, ["kept"]);
    }

    #[tokio::test]
    async fn a_failed_commit_poisons_and_rolls_back_the_transaction() {
        let (dir, conn, db) = open().await;
        let txn = db.begin().await.unwrap();
        txn.execute_raw(insert("lost")).await.unwrap();
        // Make the RELEASE fail: the savepoint is already gone.
        let savepoint = txn.begin().await.unwrap();
        conn.lock().conn.execute_batch("RELEASE level1").unwrap();
        savepoint.commit().await.unwrap();
        let error = txn.execute_raw(insert("after")).await.unwrap_err();
        assert!(error.to_string().contains("no such savepoint"), "{error}");
        txn.commit().await.unwrap();
        let failure = conn.take_failure().expect("the commit reports the failure");
        assert!(failure.to_string().contains("no such savepoint"), "{failure}");
        assert!(
            names(&db).await.is_empty(),
            "nothing of the poisoned transaction is kept"
        );
        drop(dir);
    }

    #[tokio::test]
    async fn a_busy_database_is_a_transient_connection_error() {
        let (dir, conn, db) = open().await;
        let other = Connection::open(dir.path().join("w.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        conn.lock().conn.busy_timeout(Duration::from_millis(10)).unwrap();
        let txn = db.begin().await.unwrap();
        let error = txn.execute_raw(insert("x")).await.unwrap_err();
        assert!(matches!(error, DbErr::Conn(_)), "{error:?}");
        txn.commit().await.unwrap();
        assert!(
            matches!(conn.take_failure(), Some(DbErr::Conn(_))),
            "busy stays transient"
        );
        other.execute_batch("ROLLBACK").unwrap();
        db.execute_raw(insert("y")).await.unwrap();
        assert_eq!(names(&db).await, ["y"]);
    }
}
