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
//! Durability is unchanged: a checkpoint syncs the WAL before copying and the
//! database after, at the store's `synchronous` level.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// Least time between checkpoints: at most ten a second, each copying what
/// the commits since the last one wrote.
const SPACING: Duration = Duration::from_millis(100);
/// WAL size, in pages, from which the writer restarts the log (16,384
/// pages is 64 MiB, about a second of creates at full speed).
const RESTART_PAGES: i64 = 16_384;
/// WAL size, in pages, past which a checkpoint also waits for readers and
/// the writer so it can truncate the log (readers that never let go would
/// otherwise let it grow without bound). 65,536 pages is 256 MiB.
const TRUNCATE_AFTER_PAGES: i64 = 65_536;

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
    wal_checkpoint(conn, "PASSIVE")
}

fn wal_checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<i64> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        row.get::<_, i64>(1)
    })
}

fn run(conn: &Connection, woken: &Receiver<()>, wal_pages: &AtomicI64) {
    while woken.recv().is_ok() {
        if let Some(pages) = checkpoint(conn) {
            wal_pages.store(pages, Ordering::Relaxed);
        }
        thread::sleep(SPACING);
    }
    // The writer is gone: leave nothing in the WAL that could be copied.
    checkpoint(conn);
}

fn checkpoint(conn: &Connection) -> Option<i64> {
    match passive(conn) {
        Ok(pages) if pages > TRUNCATE_AFTER_PAGES => match wal_checkpoint(conn, "TRUNCATE") {
            Ok(pages) => Some(pages),
            Err(error) => {
                tracing::warn!(%error, pages, "SQLite WAL could not be truncated; retrying later");
                Some(pages)
            }
        },
        Ok(pages) => Some(pages),
        Err(error) => {
            tracing::warn!(%error, "SQLite checkpoint failed; retrying after the next commit");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_pages(path: &Path) -> u64 {
        std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len()) / 4096
    }

    #[test]
    fn commits_are_checkpointed_off_the_writer_and_the_wal_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (x text);",
            )
            .unwrap();
        let checkpointer = Checkpointer::spawn(&path, "NORMAL").unwrap();
        let write_round = || {
            for _ in 0..50 {
                writer
                    .execute("INSERT INTO t VALUES (?)", ["x".repeat(4000)])
                    .unwrap();
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
}
