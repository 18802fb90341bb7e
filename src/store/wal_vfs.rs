//! A SQLite VFS that writes each commit's WAL frames with one system call.
//!
//! SQLite appends every WAL frame with two `pwrite`s, its 24-byte header
//! and then its page, so a commit of 18 pages costs 36 system calls. On the
//! writer thread those were a quarter of its time per create
//! (docs/performance-history.md, fourth session). This VFS wraps the
//! platform's default one and changes a single thing: writes to a WAL file
//! that continue where the previous one ended are gathered in memory and
//! reach the file in one write, at the latest
//!
//! - when the page of a commit frame (a frame header with a non-zero
//!   database size, as the WAL format defines it) has been written, before
//!   `xWrite` returns. SQLite publishes a commit to other connections only
//!   after that (it then updates the wal-index header), so no reader can
//!   see a frame that is not in the file, and a failed write fails the
//!   commit as before;
//! - before any other operation on the WAL file (read, sync, size,
//!   truncate, lock, file control, close), so SQLite's own reads and syncs
//!   see every byte it wrote;
//! - before a write that does not continue the gathered ones, so writes
//!   reach the file in the order SQLite made them;
//! - when [`FLUSH_AT`] bytes are gathered (a transaction that spills).
//!
//! Every other file (the database, its shared memory, journals) is the
//! default VFS's own object, untouched. The file format, locking and
//! durability are SQLite's: a commit is in the file (the OS page cache)
//! when `COMMIT` returns, as without this VFS; with `synchronous = FULL`
//! SQLite syncs the WAL, which writes out what is gathered first.
//!
//! Only the writer connection opens the database through it
//! (`super::sqlite_writer`): the readers and the checkpointer never write
//! the WAL.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name this VFS is registered under.
const NAME: &CStr = c"switchboard-wal";

/// Gathered bytes that are written out even without a commit frame.
const FLUSH_AT: usize = 1 << 20;

/// The most the unix VFS writes in one call: it keeps only the low 17 bits
/// of a write's length (`seekAndWriteFd`), so longer writes go in pieces.
const MAX_WRITE: usize = 0x1ffff;

/// Size of a WAL frame header; bytes 4..8 hold the database size in pages
/// after a commit, 0 in every other frame (sqlite.org/fileformat.html).
const FRAME_HEADER: usize = 24;

/// Registers the VFS once per process (not as the default) and returns its
/// name. Fails only if SQLite has no default VFS.
pub(super) fn register() -> Result<&'static CStr, String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            // SAFETY: sqlite3_vfs_find initialises SQLite and returns the
            // default VFS, which lives as long as the process.
            let inner = unsafe { ffi::sqlite3_vfs_find(ptr::null()) };
            if inner.is_null() {
                return Err("SQLite has no default VFS".to_owned());
            }
            // SAFETY: `inner` is a valid, registered VFS.
            let base = unsafe { &*inner };
            let outer_file = std::mem::size_of::<WalFile>();
            let vfs = Box::leak(Box::new(ffi::sqlite3_vfs {
                iVersion: base.iVersion.min(2),
                // Room for a WAL file's wrapper followed by the inner file;
                // every other file is the inner VFS's object alone.
                szOsFile: (outer_file + base.szOsFile as usize) as c_int,
                mxPathname: base.mxPathname,
                pNext: ptr::null_mut(),
                zName: NAME.as_ptr(),
                pAppData: inner.cast(),
                xOpen: Some(open),
                // The rest go to the inner VFS's own methods.
                xDelete: Some(delete),
                xAccess: Some(access),
                xFullPathname: Some(full_pathname),
                xDlOpen: Some(dl_open),
                xDlError: Some(dl_error),
                xDlSym: Some(dl_sym),
                xDlClose: Some(dl_close),
                xRandomness: Some(randomness),
                xSleep: Some(sleep),
                xCurrentTime: Some(current_time),
                xGetLastError: Some(get_last_error),
                xCurrentTimeInt64: Some(current_time_int64),
                xSetSystemCall: None,
                xGetSystemCall: None,
                xNextSystemCall: None,
            }));
            // SAFETY: `vfs` is leaked, so it outlives every connection.
            match unsafe { ffi::sqlite3_vfs_register(vfs, 0) } {
                ffi::SQLITE_OK => Ok(()),
                rc => Err(format!("registering the WAL VFS failed ({rc})")),
            }
        })
        .clone()
        .map(|()| NAME)
}

/// A WAL file: the wrapper SQLite sees, then the inner VFS's file.
#[repr(C)]
struct WalFile {
    /// Must come first: SQLite casts the file to `sqlite3_file`.
    base: ffi::sqlite3_file,
    inner: *mut ffi::sqlite3_file,
    /// Bytes written but not yet in the file, starting at `start`.
    pending: Vec<u8>,
    start: i64,
    /// The last write was the header of a commit frame: its page is next.
    commit_page_next: bool,
}

static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    // Version 1: a WAL file is never memory-mapped and has no shared memory.
    iVersion: 1,
    xClose: Some(wal_close),
    xRead: Some(wal_read),
    xWrite: Some(wal_write),
    xTruncate: Some(wal_truncate),
    xSync: Some(wal_sync),
    xFileSize: Some(wal_file_size),
    xLock: Some(wal_lock),
    xUnlock: Some(wal_unlock),
    xCheckReservedLock: Some(wal_check_reserved_lock),
    xFileControl: Some(wal_file_control),
    xSectorSize: Some(wal_sector_size),
    xDeviceCharacteristics: Some(wal_device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

fn inner_vfs(vfs: *mut ffi::sqlite3_vfs) -> *mut ffi::sqlite3_vfs {
    // SAFETY: only called with this module's VFS, whose pAppData is the
    // inner VFS.
    unsafe { (*vfs).pAppData.cast() }
}

unsafe extern "C" fn open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let inner = inner_vfs(vfs);
    // SAFETY: SQLite passes a file of our szOsFile bytes, zeroed, and
    // `inner` is the default VFS with all its methods.
    unsafe {
        let inner_open = (*inner).xOpen.expect("a VFS has xOpen");
        if flags & ffi::SQLITE_OPEN_WAL == 0 {
            // Any other file is the inner VFS's own object.
            return inner_open(inner, name, file, flags, out_flags);
        }
        let wal = file.cast::<WalFile>();
        let inner_file = file
            .cast::<u8>()
            .add(std::mem::size_of::<WalFile>())
            .cast::<ffi::sqlite3_file>();
        let rc = inner_open(inner, name, inner_file, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            // SQLite closes a file whose open failed only if pMethods is
            // set: ours stays unset, so close the inner file here if its
            // VFS expects that (it set pMethods).
            if let Some(close) = (*inner_file).pMethods.as_ref().and_then(|m| m.xClose) {
                close(inner_file);
            }
            (*file).pMethods = ptr::null();
            return rc;
        }
        ptr::write(
            wal,
            WalFile {
                base: ffi::sqlite3_file {
                    pMethods: &WAL_METHODS,
                },
                inner: inner_file,
                pending: Vec::new(),
                start: 0,
                commit_page_next: false,
            },
        );
        rc
    }
}

impl WalFile {
    /// # Safety
    /// `file` must be a WAL file opened by [`open`] and not yet closed.
    unsafe fn of<'a>(file: *mut ffi::sqlite3_file) -> &'a mut WalFile {
        unsafe { &mut *file.cast::<WalFile>() }
    }

    fn inner_methods(&self) -> &ffi::sqlite3_io_methods {
        // SAFETY: the inner file is open, so its pMethods is set.
        unsafe { &*(*self.inner).pMethods }
    }

    /// Writes the gathered bytes to the file.
    fn flush(&mut self) -> c_int {
        let write = self.inner_methods().xWrite.expect("a file has xWrite");
        let mut rc = ffi::SQLITE_OK;
        let mut offset = self.start;
        for chunk in self.pending.chunks(MAX_WRITE) {
            // SAFETY: `chunk` is initialised and shorter than c_int::MAX;
            // the inner file's xWrite writes it all or reports an error.
            rc = unsafe { write(self.inner, chunk.as_ptr().cast(), chunk.len() as c_int, offset) };
            #[cfg(test)]
            tests::WAL_WRITES.with(|n| n.set(n.get() + 1));
            if rc != ffi::SQLITE_OK {
                break;
            }
            offset += chunk.len() as i64;
        }
        // On failure SQLite abandons the frames (the commit fails); they
        // must not be written later.
        self.pending.clear();
        self.commit_page_next = false;
        rc
    }

    fn write(&mut self, data: &[u8], offset: i64) -> c_int {
        let continues = self.start + self.pending.len() as i64 == offset;
        if !self.pending.is_empty() && !continues {
            let rc = self.flush();
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        if self.pending.is_empty() {
            self.start = offset;
        }
        self.pending.extend_from_slice(data);
        let completes_commit = std::mem::take(&mut self.commit_page_next);
        if data.len() == FRAME_HEADER && data[4..8] != [0; 4] {
            self.commit_page_next = true;
        }
        if completes_commit || self.pending.len() >= FLUSH_AT {
            return self.flush();
        }
        ffi::SQLITE_OK
    }
}

/// File methods that write out the gathered bytes first, then forward to
/// the inner file.
macro_rules! flush_then_forward {
    ($($name:ident => $method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file, $($arg: $ty),*) -> c_int {
            // SAFETY: SQLite calls a WAL file's methods only between our
            // `open` and `wal_close`; the arguments go on as it passed them.
            unsafe {
                let wal = WalFile::of(file);
                match wal.flush() {
                    ffi::SQLITE_OK => wal.inner_methods().$method.expect(stringify!($method))(wal.inner, $($arg),*),
                    failed => failed,
                }
            }
        }
    )*};
}

flush_then_forward! {
    wal_read => xRead(buf: *mut c_void, amount: c_int, offset: i64);
    wal_truncate => xTruncate(size: i64);
    wal_sync => xSync(flags: c_int);
    wal_file_size => xFileSize(size: *mut i64);
    wal_lock => xLock(level: c_int);
    wal_unlock => xUnlock(level: c_int);
    wal_check_reserved_lock => xCheckReservedLock(out: *mut c_int);
    wal_file_control => xFileControl(op: c_int, arg: *mut c_void);
}

unsafe extern "C" fn wal_close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes a file it opened through `open`, once.
    unsafe {
        let wal = WalFile::of(file);
        let flushed = wal.flush();
        let close = wal.inner_methods().xClose.expect("a file has xClose");
        let closed = close(wal.inner);
        ptr::drop_in_place(&mut wal.pending);
        if flushed != ffi::SQLITE_OK {
            flushed
        } else {
            closed
        }
    }
}

unsafe extern "C" fn wal_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    let Ok(len) = usize::try_from(amount) else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    // SAFETY: SQLite passes `amount` readable bytes at `buf`, valid for the
    // call; they are copied before it returns.
    unsafe {
        let data = std::slice::from_raw_parts(buf.cast::<u8>(), len);
        WalFile::of(file).write(data, offset)
    }
}

unsafe extern "C" fn wal_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: a query of the inner file; nothing to flush.
    unsafe {
        let wal = WalFile::of(file);
        wal.inner_methods().xSectorSize.expect("xSectorSize")(wal.inner)
    }
}

unsafe extern "C" fn wal_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: a query of the inner file; nothing to flush.
    unsafe {
        let wal = WalFile::of(file);
        wal.inner_methods()
            .xDeviceCharacteristics
            .expect("xDeviceCharacteristics")(wal.inner)
    }
}

/// VFS methods forwarded to the inner VFS with the inner VFS as their
/// argument (the unix VFS's ignore it, but a VFS may read it); `$missing`
/// answers for a method the inner VFS does not have.
macro_rules! forward_to_inner_vfs {
    ($($name:ident => $method:ident($($arg:ident: $ty:ty),*) -> $ret:ty, else $missing:expr;)*) => {$(
        unsafe extern "C" fn $name(vfs: *mut ffi::sqlite3_vfs, $($arg: $ty),*) -> $ret {
            let inner = inner_vfs(vfs);
            // SAFETY: `inner` is the registered default VFS; the arguments
            // go on as SQLite passed them.
            unsafe { (*inner).$method.map_or($missing, |f| f(inner, $($arg),*)) }
        }
    )*};
}

type DlSym = unsafe extern "C" fn(*mut ffi::sqlite3_vfs, *mut c_void, *const c_char);

forward_to_inner_vfs! {
    delete => xDelete(name: *const c_char, sync_dir: c_int) -> c_int, else ffi::SQLITE_IOERR_DELETE;
    access => xAccess(name: *const c_char, flags: c_int, out: *mut c_int) -> c_int, else ffi::SQLITE_IOERR_ACCESS;
    full_pathname => xFullPathname(name: *const c_char, n: c_int, out: *mut c_char) -> c_int, else ffi::SQLITE_CANTOPEN;
    dl_open => xDlOpen(name: *const c_char) -> *mut c_void, else ptr::null_mut();
    dl_error => xDlError(n: c_int, out: *mut c_char) -> (), else ();
    dl_sym => xDlSym(handle: *mut c_void, symbol: *const c_char) -> Option<DlSym>, else None;
    dl_close => xDlClose(handle: *mut c_void) -> (), else ();
    randomness => xRandomness(n: c_int, out: *mut c_char) -> c_int, else 0;
    sleep => xSleep(micros: c_int) -> c_int, else 0;
    current_time => xCurrentTime(out: *mut f64) -> c_int, else ffi::SQLITE_ERROR;
    get_last_error => xGetLastError(n: c_int, out: *mut c_char) -> c_int, else 0;
    current_time_int64 => xCurrentTimeInt64(out: *mut i64) -> c_int, else ffi::SQLITE_ERROR;
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::path::Path;

    use rusqlite::{Connection, OpenFlags};

    use super::*;

    thread_local! {
        /// Writes this thread's WAL files made to the inner VFS.
        pub(super) static WAL_WRITES: Cell<usize> = const { Cell::new(0) };
    }

    fn wal_writes() -> usize {
        WAL_WRITES.with(Cell::get)
    }

    /// A writer through this VFS and a reader through the default one, as
    /// the store opens them.
    fn open(path: &Path, synchronous: &str) -> (Connection, Connection) {
        let writer = Connection::open_with_flags_and_vfs(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            register().unwrap(),
        )
        .unwrap();
        writer
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous};
                 PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (id integer PRIMARY KEY, body blob NOT NULL);"
            ))
            .unwrap();
        let reader = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        (writer, reader)
    }

    fn count(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    fn assert_intact(conn: &Connection) {
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    fn insert(conn: &Connection, rows: usize, size: usize) {
        let tx = conn.unchecked_transaction().unwrap();
        for _ in 0..rows {
            tx.execute("INSERT INTO t (body) VALUES (?)", [vec![7u8; size]])
                .unwrap();
        }
        tx.commit().unwrap();
    }

    #[test]
    fn a_commit_reaches_the_wal_in_one_write_and_other_connections_see_it() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, reader) = open(&dir.path().join("w.db"), "NORMAL");
        for round in 1..=50 {
            let before = wal_writes();
            // About 20 pages, as a batch of creates writes.
            insert(&writer, 20, 3000);
            assert_eq!(wal_writes() - before, 1, "round {round}: one write per commit");
            // The reader reads the frames from the file: had they stayed in
            // the writer's memory, it would miss rows or fail.
            assert_eq!(count(&reader), round * 20);
        }
        assert_intact(&reader);
    }

    #[test]
    fn commits_larger_than_one_write_arrive_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, reader) = open(&dir.path().join("w.db"), "NORMAL");
        // 3 MiB in one commit: past FLUSH_AT, and in pieces of at most
        // MAX_WRITE, which the unix VFS cannot exceed in one write.
        let body: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
        writer
            .execute("INSERT INTO t (body) VALUES (?)", [&body])
            .unwrap();
        let read: Vec<u8> = reader.query_row("SELECT body FROM t", [], |r| r.get(0)).unwrap();
        assert!(read == body, "the reader got the same 3 MiB back");
    }

    #[test]
    fn a_rolled_back_spill_leaves_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, reader) = open(&dir.path().join("w.db"), "NORMAL");
        writer.execute_batch("PRAGMA cache_size = -64").unwrap();
        insert(&writer, 5, 100);
        // A transaction larger than the 64 KiB page cache spills frames to
        // the WAL before it ends; rolled back, those frames must not count.
        let tx = writer.unchecked_transaction().unwrap();
        for _ in 0..200 {
            tx.execute("INSERT INTO t (body) VALUES (?)", [vec![1u8; 4000]])
                .unwrap();
        }
        tx.rollback().unwrap();
        insert(&writer, 5, 100);
        assert_eq!(count(&reader), 10);
        assert_intact(&reader);
    }

    #[test]
    fn full_sync_restarted_wals_and_reopening_keep_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        {
            let (writer, reader) = open(&path, "FULL");
            for round in 1..=20 {
                insert(&writer, 10, 1000);
                if round % 5 == 0 {
                    // The WAL starts again at its first frame.
                    writer
                        .query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
                        .unwrap();
                }
                assert_eq!(count(&reader), round * 10);
            }
        }
        // Closed and opened again: recovered from the files alone.
        let again = Connection::open(&path).unwrap();
        assert_eq!(count(&again), 200);
        assert_intact(&again);
    }
}
