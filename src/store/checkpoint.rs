//! SQLite WAL checkpoints, on a connection and thread of their own.
//!
//! By default SQLite checkpoints inside the commit that takes the WAL past
//! 1,000 pages: that commit copies the pages into the database file and
//! syncs it, several milliseconds during which the single writer, and every
//! write queued behind it, waits. Profiles of a create load showed these
//! stalls as most of the writer's idle time. Here the writer connection
//! turns automatic checkpoints off and wakes this thread after its commits;
//! it runs a `PASSIVE` checkpoint, which never blocks the writer or the
//! readers, at most every [`SPACING`].
//!
//! SQLite restarts the WAL from its start only when a write transaction
//! begins with every frame already copied, which a checkpoint running beside
//! a busy writer never sees; a WAL that only grows makes every commit and
//! page lookup slower. So once the WAL passes [`RESTART_PAGES`], the writer
//! itself runs one more `PASSIVE` checkpoint between two batches
//! ([`Checkpointer::restart_due`]): it copies only what arrived since the
//! last background pass, and the writer's next transaction restarts the log.
//!
//! Every write waits while the writer runs that pass, so this thread first
//! makes it short ([`catch_up`]): passes back to back until one finds little
//! new, a sync of the database file, and a last pass. SQLite syncs the
//! database only after a pass that reaches the end of the WAL, which a pass
//! beside a busy writer never does; without this sync the writer's pass
//! flushed every page copied since the last restart.
//!
//! Durability is unchanged: a checkpoint syncs the WAL before copying and the
//! database after, at the store's `synchronous` level.
#![allow(unsafe_code)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, ffi};

/// Least time between checkpoints: at most ten a second, each copying what
/// the commits since the last one wrote.
const SPACING: Duration = Duration::from_millis(100);
/// WAL size, in pages, from which the writer restarts the log (16,384
/// pages is 64 MiB, about a second of creates at full speed).
const RESTART_PAGES: i64 = 16_384;
/// The writer's `journal_size_limit`: a restart trims the WAL file to this
/// many bytes. It is above one restart cycle's log ([`RESTART_PAGES`] and
/// what arrives until the restart), so the file is not cut and grown again
/// on every cycle; the cut took the writer, and every write queued behind
/// it, up to 12 ms.
pub(super) const WAL_SIZE_LIMIT: i64 = 128 << 20;
/// WAL size, in pages, past which a checkpoint also waits for readers and
/// the writer so it can truncate the log (readers that never let go would
/// otherwise let it grow without bound). 65,536 pages is 256 MiB.
const TRUNCATE_AFTER_PAGES: i64 = 65_536;
/// Most passes [`catch_up`] runs before it hands the restart to the writer.
const CATCH_UP_PASSES: u32 = 4;
/// A catch-up pass that copies fewer frames than this (1 MiB of 4 KiB pages)
/// ends the catch-up: the writer's own pass will be about as short.
const CAUGHT_UP_FRAMES: i64 = 256;

/// Wakes the checkpoint thread; it ends when this is dropped.
#[derive(Debug)]
pub(super) struct Checkpointer {
    wake: SyncSender<()>,
    /// The WAL's size in pages at the last background checkpoint.
    wal_pages: Arc<AtomicI64>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` with `PRAGMA
    /// synchronous = synchronous`.
    pub(super) fn spawn(path: &Path, synchronous: &str) -> rusqlite::Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(&format!("PRAGMA synchronous = {synchronous};"))?;
        let (wake, woken) = mpsc::sync_channel(1);
        let wal_pages = Arc::new(AtomicI64::new(0));
        let reported = wal_pages.clone();
        thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || run(&conn, &woken, &reported))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Self { wake, wal_pages })
    }

    /// Called after a commit; never blocks. Wake-ups coalesce.
    pub(super) fn committed(&self) {
        let _ = self.wake.try_send(());
    }

    /// Whether the writer should checkpoint once itself, between batches, so
    /// that its next transaction restarts the WAL. Answers `true` once per
    /// background pass that found the WAL past [`RESTART_PAGES`].
    pub(super) fn restart_due(&self) -> bool {
        self.wal_pages.load(Ordering::Relaxed) >= RESTART_PAGES
            && self.wal_pages.swap(0, Ordering::Relaxed) > 0
    }
}

/// A `PASSIVE` checkpoint on `conn`; returns the WAL's size in pages.
pub(super) fn passive(conn: &Connection) -> rusqlite::Result<i64> {
    wal_checkpoint(conn, "PASSIVE").map(|pass| pass.wal_frames)
}

/// What a checkpoint pass reports, in WAL frames (one page each).
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// Frames in the WAL.
    wal_frames: i64,
    /// Frames copied into the database, by this pass or earlier ones.
    checkpointed: i64,
}

fn wal_checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<Pass> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        Ok(Pass {
            wal_frames: row.get(1)?,
            checkpointed: row.get(2)?,
        })
    })
}

fn run(conn: &Connection, woken: &Receiver<()>, wal_pages: &AtomicI64) {
    while woken.recv().is_ok() {
        if let Some(pass) = checkpoint(conn) {
            let pass = if pass.wal_frames >= RESTART_PAGES {
                catch_up(conn, pass)
            } else {
                pass
            };
            wal_pages.store(pass.wal_frames, Ordering::Relaxed);
        }
        thread::sleep(SPACING);
    }
    // The writer is gone: leave nothing in the WAL that could be copied.
    checkpoint(conn);
}

fn checkpoint(conn: &Connection) -> Option<Pass> {
    match wal_checkpoint(conn, "PASSIVE") {
        Ok(pass) if pass.wal_frames > TRUNCATE_AFTER_PAGES => match wal_checkpoint(conn, "TRUNCATE") {
            Ok(pass) => Some(pass),
            Err(error) => {
                tracing::warn!(%error, pages = pass.wal_frames, "SQLite WAL could not be truncated; retrying later");
                Some(pass)
            }
        },
        Ok(pass) => Some(pass),
        Err(error) => {
            tracing::warn!(%error, "SQLite checkpoint failed; retrying after the next commit");
            None
        }
    }
}

/// Leaves the writer's restart pass (module docs) little to do: copies what
/// the writer committed meanwhile, pass after pass while each still finds
/// [`CAUGHT_UP_FRAMES`] or more, then syncs the database file so the
/// writer's pass syncs only the pages copied after it. A failure here only
/// makes that pass longer, so it is logged and the restart goes ahead.
/// Returns the last pass.
fn catch_up(conn: &Connection, mut last: Pass) -> Pass {
    let pass = || {
        wal_checkpoint(conn, "PASSIVE")
            .inspect_err(|error| tracing::warn!(%error, "SQLite checkpoint failed before a WAL restart"))
            .ok()
    };
    for _ in 0..CATCH_UP_PASSES {
        let Some(next) = pass() else { return last };
        // Negative if the writer restarted the WAL meanwhile.
        let copied = next.checkpointed - last.checkpointed;
        last = next;
        if copied < CAUGHT_UP_FRAMES {
            break;
        }
    }
    if let Err(error) = sync_database(conn) {
        tracing::warn!(%error, "syncing the SQLite database before a WAL restart failed");
    }
    // The sync takes milliseconds; copy what was committed meanwhile.
    pass().unwrap_or(last)
}

/// Syncs `conn`'s main database file through its own VFS handle, the way
/// SQLite syncs it at the end of a checkpoint. (A second file descriptor
/// would do as well until it closes: closing any descriptor of a file drops
/// every POSIX lock the process holds on it, SQLite's included.)
fn sync_database(conn: &Connection) -> rusqlite::Result<()> {
    let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
    // SAFETY: `conn.handle()` is a live connection owned by this thread, and
    // SQLITE_FCNTL_FILE_POINTER writes one `sqlite3_file` pointer (the main
    // database's, owned by SQLite and valid while the connection is open and
    // idle) into `file`.
    let rc = unsafe {
        ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_FILE_POINTER,
            (&raw mut file).cast(),
        )
    };
    if rc != ffi::SQLITE_OK {
        return Err(rusqlite::Error::SqliteFailure(ffi::Error::new(rc), None));
    }
    // SAFETY: `file` from above, null or valid; its methods are null when
    // there is no file (an in-memory database).
    let Some(sync) = (unsafe { file.as_ref() })
        .and_then(|file| unsafe { file.pMethods.as_ref() })
        .and_then(|methods| methods.xSync)
    else {
        return Err(rusqlite::Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_NOTFOUND),
            Some("the database has no file to sync".to_owned()),
        ));
    };
    // SAFETY: the file's own xSync on the file, as SQLite's pager calls it.
    match unsafe { sync(file, ffi::SQLITE_SYNC_NORMAL) } {
        ffi::SQLITE_OK => Ok(()),
        rc => Err(rusqlite::Error::SqliteFailure(ffi::Error::new(rc), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_pages(path: &Path) -> u64 {
        std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len()) / 4096
    }

    /// A connection to a new WAL database at `path` with one table, `t`,
    /// that checkpoints only when told to.
    fn wal_writer(path: &Path) -> Connection {
        let writer = Connection::open(path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (x text);",
            )
            .unwrap();
        writer
    }

    /// Commits a row into `t` that fills a page of its own.
    fn insert_page(writer: &Connection) {
        writer
            .execute("INSERT INTO t VALUES (?)", ["x".repeat(4000)])
            .unwrap();
    }

    #[test]
    fn commits_are_checkpointed_off_the_writer_and_the_wal_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let writer = wal_writer(&path);
        let checkpointer = Checkpointer::spawn(&path, "NORMAL").unwrap();
        let write_round = || {
            for _ in 0..50 {
                insert_page(&writer);
                checkpointer.committed();
            }
        };
        write_round();
        // Checkpointed within a few spacings; then the next writes reuse
        // the log from its start instead of growing it.
        let size_after_one_round = wal_pages(&path);
        assert!(size_after_one_round >= 50, "each insert wrote a page or more");
        let mut rounds = 0;
        while rounds < 8 {
            thread::sleep(SPACING * 3);
            write_round();
            rounds += 1;
        }
        assert!(
            wal_pages(&path) < size_after_one_round * 4,
            "the WAL is reused: {} pages after 9 rounds of {size_after_one_round}",
            wal_pages(&path)
        );
        let count: i64 = writer
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 9 * 50);
        drop(checkpointer);
    }

    #[test]
    fn a_catch_up_copies_what_the_writer_committed_after_the_last_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let writer = wal_writer(&path);
        let insert = |rows: i64| {
            for _ in 0..rows {
                insert_page(&writer);
            }
        };
        insert(10);
        let conn = Connection::open(&path).unwrap();
        let first = wal_checkpoint(&conn, "PASSIVE").unwrap();
        assert_eq!(first.checkpointed, first.wal_frames);
        // Each row is a page of its own: more than one catch-up pass's worth.
        insert(2 * CAUGHT_UP_FRAMES);

        let last = catch_up(&conn, first);
        assert!(
            last.wal_frames >= first.wal_frames + 2 * CAUGHT_UP_FRAMES,
            "{last:?} after {first:?}"
        );
        assert_eq!(
            last.checkpointed, last.wal_frames,
            "everything committed is copied"
        );
        // So the writer's own pass, the one every write waits for, copies
        // nothing, and its next commit restarts the log.
        let writers_pass = wal_checkpoint(&writer, "PASSIVE").unwrap();
        assert_eq!(writers_pass.checkpointed, last.wal_frames);
        insert(1);
        assert!(wal_checkpoint(&writer, "PASSIVE").unwrap().wal_frames < 10);
    }

    #[test]
    fn the_database_file_is_synced_through_sqlites_own_handle() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("s.db")).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x text);")
            .unwrap();
        sync_database(&conn).unwrap();
        let in_memory = Connection::open_in_memory().unwrap();
        let error = sync_database(&in_memory).unwrap_err();
        assert!(error.to_string().contains("no file to sync"), "{error}");
    }
}
