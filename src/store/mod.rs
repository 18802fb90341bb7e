//! Persistence: SeaORM entities and migrations, the write path, and one
//! repository module per aggregate. Every repository function takes the
//! caller (or its tenant) and scopes every query to that tenant; no public
//! function here accepts a bare id without one.
//!
//! SQLite (the default) runs in WAL mode with a pool of reader connections
//! and a single writer connection fed by a group-commit task; PostgreSQL uses
//! one pool for both.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, QueryTrait, Select,
};
use sea_orm_migration::MigratorTrait;

pub mod call_centers;
mod checkpoint;
pub mod entity;
mod error;
pub mod filter;
pub mod idempotency;
pub mod interactions;
pub mod migration;
pub mod outbox;
pub mod phone_calls;
mod point_reader;
mod sql;
mod sqlite_point_reader;
mod sqlite_statements;
mod sqlite_writer;
pub mod tokens;
pub mod voice_calls;
mod wal_vfs;
mod writer;

pub use error::StoreError;
use point_reader::PointReader;
pub use writer::Undo;
use writer::Writer;

use crate::domain::page::Matches;

/// Which database a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A database URL: `sqlite://path?mode=rwc` or `postgres://…`. Its `Debug`
/// and `Display` hide any password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
}

impl DatabaseUrl {
    /// The URL as given.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// The backend the URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err("expected a sqlite: or postgres:// URL".to_owned());
        };
        Ok(Self {
            url: url.to_owned(),
            backend,
        })
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // postgres://user:secret@host/db → postgres://user:***@host/db
        match (self.url.find("://"), self.url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                let credentials = &self.url[scheme_end + 3..at];
                match credentials.split_once(':') {
                    Some((user, _)) => {
                        write!(f, "{}{user}:***{}", &self.url[..scheme_end + 3], &self.url[at..])
                    }
                    None => f.write_str(&self.url),
                }
            }
            _ => f.write_str(&self.url),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// SQLite's `synchronous` setting (with WAL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSync {
    /// Durable across process crashes; a power loss may drop the last
    /// commits (the WAL is synced at checkpoints).
    Normal,
    /// Durable across power loss: the WAL is synced at every commit.
    Full,
}

/// How to connect.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Where the data lives.
    pub url: DatabaseUrl,
    /// PostgreSQL only: keep every table in this schema (created if missing).
    pub schema: Option<String>,
    /// PostgreSQL pool size, or SQLite reader pool size.
    pub max_connections: u32,
    /// SQLite durability level.
    pub sqlite_sync: SqliteSync,
}

/// The store: read connections, the writer, and the backend in use.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    reader: DatabaseConnection,
    point_reader: PointReader,
    writer: Writer,
    backend: Backend,
    /// Signalled after every committed write; the event hub waits on it
    /// (see [`Store::committed`]).
    committed: Arc<tokio::sync::Notify>,
    /// SQLite: the highest committed outbox sequence number, kept by the
    /// writer (see [`Store::latest_sequence`]).
    committed_sequence: Option<Arc<std::sync::atomic::AtomicI64>>,
}

impl Store {
    /// Connects, creating the SQLite file or the PostgreSQL schema if
    /// needed, and applies pending migrations.
    pub async fn open(options: &StoreOptions) -> Result<Store, StoreError> {
        match options.url.backend() {
            Backend::Sqlite => Self::open_sqlite(options).await,
            Backend::Postgres => Self::open_postgres(options).await,
        }
    }

    async fn open_sqlite(options: &StoreOptions) -> Result<Store, StoreError> {
        let sync = match options.sqlite_sync {
            SqliteSync::Normal => SqliteSynchronous::Normal,
            SqliteSync::Full => SqliteSynchronous::Full,
        };
        let connect = |pool_size: u32| {
            let mut opts = ConnectOptions::new(options.url.expose());
            opts.max_connections(pool_size)
                .min_connections(1)
                .sqlx_logging(false)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .map_sqlx_sqlite_opts(move |o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(sync)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(5))
                        .create_if_missing(true)
                });
            opts
        };
        // Migrations first: their connection creates the file and switches it
        // to WAL before any other connection opens it.
        let path = sqlite_file(&options.url)?;
        let migrator = Database::connect(connect(1)).await?;
        migration::Migrator::up(&migrator, None).await?;
        migrator.close().await?;
        let connection = sqlite_writer::WriterConnection::open(&path, options.sqlite_sync)?;
        let committed_sequence = Some(connection.committed_sequence());
        let writer = Writer::spawn_batched(connection).await?;
        let reader = Database::connect(connect(options.max_connections.max(1))).await?;
        let point_reader = PointReader::Sqlite(sqlite_point_reader::PointReaders::open(&path)?);
        Ok(Store {
            inner: Arc::new(Inner {
                reader,
                point_reader,
                writer,
                backend: Backend::Sqlite,
                committed: Arc::default(),
                committed_sequence,
            }),
        })
    }

    async fn open_postgres(options: &StoreOptions) -> Result<Store, StoreError> {
        if let Some(schema) = &options.schema {
            let mut bootstrap = ConnectOptions::new(options.url.expose());
            bootstrap.max_connections(1).sqlx_logging(false);
            let db = Database::connect(bootstrap).await?;
            db.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema)))
                .await?;
            db.close().await?;
        }
        let mut opts = ConnectOptions::new(options.url.expose());
        opts.max_connections(options.max_connections.max(2))
            .min_connections(1)
            .sqlx_logging(false)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30));
        if let Some(schema) = &options.schema {
            opts.set_schema_search_path(schema.clone());
        }
        let db = Database::connect(opts).await?;
        migrate_postgres(&db).await?;
        Ok(Store {
            inner: Arc::new(Inner {
                reader: db.clone(),
                point_reader: PointReader::Pooled(db.clone()),
                writer: Writer::Pooled(db),
                backend: Backend::Postgres,
                committed: Arc::default(),
                committed_sequence: None,
            }),
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The SeaORM backend, for building statements.
    pub fn db_backend(&self) -> DbBackend {
        match self.inner.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }

    /// A connection for reads outside any write transaction: scans, counts,
    /// pages of a listing.
    pub fn reader(&self) -> &DatabaseConnection {
        &self.inner.reader
    }

    /// A connection for lookups of single rows by key, outside any write
    /// transaction. On SQLite they run in place on the calling thread
    /// (`sqlite_point_reader`), so use it only for bounded work; on
    /// PostgreSQL it is the pool of [`Store::reader`].
    fn point_reader(&self) -> &PointReader {
        &self.inner.point_reader
    }

    /// Runs `work` in a write transaction and returns its result once the
    /// transaction has committed. On error nothing `work` wrote is kept.
    /// `work` must do all its reads and writes through the transaction it is
    /// given, and must not call `write` itself.
    pub async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        self.write_with(Undo::Savepoint, work).await
    }

    /// [`Store::write`] with the given way of undoing a failed job
    /// ([`Undo::FailsBeforeWriting`] for jobs that can skip the savepoint).
    pub async fn write_with<T, F>(&self, undo: Undo, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        let result = self.inner.writer.write(undo, Box::new(work)).await;
        if result.is_ok() {
            // The event hub's in-process wake-up: it reads the outbox after
            // local commits instead of waiting for its fallback poll. A
            // stored permit coalesces any number of commits into one read.
            self.inner.committed.notify_one();
        }
        result
    }

    /// Signalled (`notify_one`) after each committed write. Meant for one
    /// waiter, the event hub (`crate::events`); permits coalesce.
    pub fn committed(&self) -> Arc<tokio::sync::Notify> {
        self.inner.committed.clone()
    }

    /// The highest outbox sequence number visible now (0 when none). On
    /// SQLite the writer keeps it, so this reads no row.
    pub async fn latest_sequence(&self) -> Result<i64, StoreError> {
        match &self.inner.committed_sequence {
            Some(mark) => Ok(mark.load(std::sync::atomic::Ordering::Acquire)),
            None => outbox::latest_sequence(self.reader()).await,
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.inner.reader.ping().await.map_err(StoreError::from)
    }
}

/// Fetches the row a unique lookup selects, if any.
///
/// Prefer this to `Select::one`, which binds `LIMIT 1` as a parameter: SQLite
/// (3.46+) re-prepares a statement from scratch whenever a bound LIMIT or
/// OFFSET is rebound, which cost about half the CPU of a create in profiles.
/// The select must be on a unique key, so at most one row comes back anyway.
pub(crate) async fn fetch_unique<E: EntityTrait>(
    select: Select<E>,
    db: &impl ConnectionTrait,
) -> Result<Option<E::Model>, StoreError> {
    Ok(select.all(db).await?.into_iter().next())
}

/// Fetches one page of `select`, with LIMIT and OFFSET written into the SQL
/// as literals (they are validated integers) for the reason given at
/// [`fetch_unique`].
/// One page of a listing, ordered by `ordered`, and its matches: counted
/// over `base` when `count`, else only whether more follow (by reading one
/// row past the page), so the cost does not grow with the table.
pub(crate) async fn fetch_listing<E: EntityTrait>(
    base: Select<E>,
    ordered: Select<E>,
    page: crate::domain::page::Page,
    count: bool,
    db: &impl ConnectionTrait,
) -> Result<(Vec<E::Model>, Matches), StoreError>
where
    E::Model: Sync,
{
    if count {
        let total = sea_orm::PaginatorTrait::count(base, db).await?;
        if total <= page.offset {
            return Ok((Vec::new(), Matches::Counted(total)));
        }
        return Ok((fetch_page(ordered, page, db).await?, Matches::Counted(total)));
    }
    let probe = crate::domain::page::Page {
        size: page.size + 1,
        ..page
    };
    let mut rows = fetch_page(ordered, probe, db).await?;
    let more = rows.len() > page.size as usize;
    rows.truncate(page.size as usize);
    let through = page.offset + rows.len() as u64;
    Ok((rows, Matches::Uncounted { through, more }))
}

pub(crate) async fn fetch_page<E: EntityTrait>(
    select: Select<E>,
    page: crate::domain::page::Page,
    db: &impl ConnectionTrait,
) -> Result<Vec<E::Model>, StoreError> {
    let mut statement = select.build(db.get_database_backend());
    statement
        .sql
        .push_str(&format!(" LIMIT {} OFFSET {}", page.size, page.offset));
    Ok(E::find().from_raw_sql(statement).all(db).await?)
}

/// The file a `sqlite:` URL names. In-memory databases are refused: the
/// writer and the readers are separate connections, which would each see a
/// database of their own.
fn sqlite_file(url: &DatabaseUrl) -> Result<std::path::PathBuf, StoreError> {
    use sea_orm::sqlx::sqlite::SqliteConnectOptions;
    let options = SqliteConnectOptions::from_str(url.expose())
        .map_err(|e| StoreError::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string()))))?;
    let path = options.get_filename();
    let name = path.to_string_lossy();
    if name == ":memory:" || name.starts_with("file:sqlx-in-memory") || url.expose().contains("mode=memory") {
        return Err(StoreError::Db(sea_orm::DbErr::Conn(
            sea_orm::RuntimeErr::Internal(
                "in-memory SQLite is not supported: give a file, e.g. sqlite://switchboard.db?mode=rwc"
                    .to_owned(),
            ),
        )));
    }
    Ok(path.to_path_buf())
}

/// Runs migrations under an advisory lock, so several instances starting at
/// once over one database apply each migration exactly once.
async fn migrate_postgres(db: &DatabaseConnection) -> Result<(), StoreError> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    // The key is derived from the schema so parallel test schemas do not
    // serialise on one lock.
    txn.execute_unprepared(
        "SELECT pg_advisory_xact_lock(hashtext('switchboard-migrate:' || current_schema()))",
    )
    .await?;
    migration::Migrator::up(&txn, None).await?;
    txn.commit().await?;
    Ok(())
}

/// Quotes a PostgreSQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_a_backend_and_hide_passwords() {
        let pg: DatabaseUrl = "postgres://app:s3cret@db:5432/x".parse().unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(pg.to_string(), "postgres://app:***@db:5432/x");
        assert!(!format!("{pg:?}").contains("s3cret"));
        let lite: DatabaseUrl = "sqlite://switchboard.db?mode=rwc".parse().unwrap();
        assert_eq!(lite.backend(), Backend::Sqlite);
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
    }
}
