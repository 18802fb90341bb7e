//! The SQLite writer's prepared write statements, run with their parameters
//! bound in place.
//!
//! rusqlite binds every text parameter with `SQLITE_TRANSIENT`, so SQLite
//! allocates and copies each string, and its statement cache hashes the SQL
//! text twice per run (to take the statement out and to put it back, which
//! also clears the bindings and frees those copies). A create binds about
//! 18 strings. Here the statements stay prepared in a map keyed by their
//! SQL, and strings are bound `SQLITE_STATIC`: SQLite reads them from the
//! caller's values, which outlive the step because the statement is reset
//! and its bindings cleared before [`WriteStatements::execute`] returns.
//!
//! Only the writer's `INSERT`/`UPDATE`/`DELETE`s come here (no rows to
//! read); queries and transaction control keep rusqlite's cache. Callgrind:
//! 173.5K server instructions per create before, 169.2K after
//! (docs/performance-history.md, ninth session).
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{CStr, c_int};
use std::ptr::{self, NonNull};

use rusqlite::{Connection, ffi};
use sea_orm::Value;

/// One prepared statement, finalized on drop.
#[derive(Debug)]
struct Prepared(NonNull<ffi::sqlite3_stmt>);

// SAFETY: a statement is used only by the thread that holds the writer's
// connection lock, one call at a time (`super::sqlite_writer`).
unsafe impl Send for Prepared {}

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared on a connection that is still
        // open (`WriteStatements` is dropped before it) and is not running.
        unsafe { ffi::sqlite3_finalize(self.0.as_ptr()) };
    }
}

/// The writer connection's write statements, prepared once each.
///
/// Must be dropped before the connection they were prepared on. Keyed with
/// foldhash (rusqlite's cache uses it too): std's SipHash over an `INSERT`'s
/// few hundred bytes of SQL cost a create 1.8K instructions.
#[derive(Debug, Default)]
pub(super) struct WriteStatements(HashMap<Box<str>, Prepared, foldhash::fast::RandomState>);

impl WriteStatements {
    /// Runs `sql` with `values` as its parameters on `conn`, preparing it on
    /// first use, and returns the number of rows it changed.
    pub(super) fn execute(
        &mut self,
        conn: &Connection,
        capacity: usize,
        sql: &str,
        values: &[Value],
    ) -> rusqlite::Result<u64> {
        // SAFETY: `conn` is open and used only on this thread meanwhile.
        let db = unsafe { conn.handle() };
        let stmt = match self.0.get(sql) {
            Some(prepared) => prepared.0,
            None => {
                if self.0.len() >= capacity {
                    self.0.clear();
                }
                let prepared = prepare(db, sql)?;
                let stmt = prepared.0;
                self.0.insert(sql.into(), prepared);
                stmt
            }
        };
        let stmt = stmt.as_ptr();
        // Texts made here for JSON and char values; like `values`, they live
        // until the statement is reset below.
        let mut owned: Vec<String> = Vec::new();
        let result = bind_all(db, stmt, values, &mut owned).and_then(|()| {
            // SAFETY: a prepared statement of `db` with every parameter bound.
            match unsafe { ffi::sqlite3_step(stmt) } {
                ffi::SQLITE_DONE => Ok(conn.changes()),
                ffi::SQLITE_ROW => Err(rusqlite::Error::ExecuteReturnedResults),
                code => Err(error(db, code)),
            }
        });
        // SAFETY: as above. Reset returns the step's error again, already
        // taken; clearing the bindings leaves no pointer into `values` or
        // `owned` behind.
        unsafe {
            ffi::sqlite3_reset(stmt);
            ffi::sqlite3_clear_bindings(stmt);
        }
        drop(owned);
        result
    }
}

fn prepare(db: *mut ffi::sqlite3, sql: &str) -> rusqlite::Result<Prepared> {
    let length = c_int::try_from(sql.len()).map_err(|_| {
        rusqlite::Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_TOOBIG),
            Some("statement too long".to_owned()),
        )
    })?;
    let mut stmt = ptr::null_mut();
    // SAFETY: `sql` is valid for `length` bytes (no NUL terminator needed
    // with an explicit length); `stmt` receives the new statement.
    let code = unsafe {
        ffi::sqlite3_prepare_v3(
            db,
            sql.as_ptr().cast(),
            length,
            ffi::SQLITE_PREPARE_PERSISTENT,
            &mut stmt,
            ptr::null_mut(),
        )
    };
    if code != ffi::SQLITE_OK {
        return Err(error(db, code));
    }
    NonNull::new(stmt).map(Prepared).ok_or_else(|| {
        rusqlite::Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_MISUSE),
            Some(format!("no statement in {sql:?}")),
        )
    })
}

/// Binds `values` to the parameters of `stmt` in order; there must be one
/// per parameter.
fn bind_all(
    db: *mut ffi::sqlite3,
    stmt: *mut ffi::sqlite3_stmt,
    values: &[Value],
    owned: &mut Vec<String>,
) -> rusqlite::Result<()> {
    // SAFETY: `stmt` is a prepared statement.
    let expected = unsafe { ffi::sqlite3_bind_parameter_count(stmt) };
    if usize::try_from(expected).ok() != Some(values.len()) {
        return Err(rusqlite::Error::InvalidParameterCount(
            values.len(),
            expected as usize,
        ));
    }
    for (index, value) in values.iter().enumerate() {
        let at = (index + 1) as c_int;
        let bound = bound(value)?;
        // SAFETY: `at` is a parameter of `stmt`; texts and blobs are bound
        // `SQLITE_STATIC` from `values` and `owned`, which outlive the step
        // (see `execute`). A `String` in `owned` keeps its buffer where it
        // is when the vector grows.
        let code = unsafe {
            match bound {
                Bound::Null => ffi::sqlite3_bind_null(stmt, at),
                Bound::Integer(v) => ffi::sqlite3_bind_int64(stmt, at, v),
                Bound::Real(v) => ffi::sqlite3_bind_double(stmt, at, v),
                Bound::Text(text) => bind_text(stmt, at, text),
                Bound::OwnedText(text) => {
                    owned.push(text);
                    bind_text(stmt, at, owned.last().map_or("", String::as_str))
                }
                Bound::Blob(bytes) => ffi::sqlite3_bind_blob64(
                    stmt,
                    at,
                    bytes.as_ptr().cast(),
                    bytes.len() as u64,
                    ffi::SQLITE_STATIC(),
                ),
            }
        };
        if code != ffi::SQLITE_OK {
            return Err(error(db, code));
        }
    }
    Ok(())
}

/// Binds `text` without a copy: the caller keeps it alive until the
/// statement is reset and its bindings cleared.
unsafe fn bind_text(stmt: *mut ffi::sqlite3_stmt, at: c_int, text: &str) -> c_int {
    // SAFETY: per the caller; `text` is valid UTF-8 for its length.
    unsafe {
        ffi::sqlite3_bind_text64(
            stmt,
            at,
            text.as_ptr().cast(),
            text.len() as u64,
            ffi::SQLITE_STATIC(),
            ffi::SQLITE_UTF8 as u8,
        )
    }
}

/// A SeaORM value as a SQLite parameter, encoded as sqlx encodes it (the
/// readers use sqlx): integers and booleans as INTEGER, JSON as TEXT.
pub(super) enum Bound<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    /// Text made from the value (JSON, a char).
    OwnedText(String),
    Blob(&'a [u8]),
}

/// How `value` is bound.
pub(super) fn bound(value: &Value) -> rusqlite::Result<Bound<'_>> {
    fn int(value: Option<i64>) -> Bound<'static> {
        value.map_or(Bound::Null, Bound::Integer)
    }
    Ok(match value {
        Value::Bool(v) => int(v.map(i64::from)),
        Value::TinyInt(v) => int(v.map(i64::from)),
        Value::SmallInt(v) => int(v.map(i64::from)),
        Value::Int(v) => int(v.map(i64::from)),
        Value::BigInt(v) => int(*v),
        Value::TinyUnsigned(v) => int(v.map(i64::from)),
        Value::SmallUnsigned(v) => int(v.map(i64::from)),
        Value::Unsigned(v) => int(v.map(i64::from)),
        Value::BigUnsigned(None) => Bound::Null,
        Value::BigUnsigned(Some(v)) => Bound::Integer(
            i64::try_from(*v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
        ),
        Value::Float(v) => v.map_or(Bound::Null, |f| Bound::Real(f.into())),
        Value::Double(v) => v.map_or(Bound::Null, Bound::Real),
        Value::String(None) | Value::Char(None) | Value::Bytes(None) | Value::Json(None) => Bound::Null,
        Value::String(Some(s)) => Bound::Text(s),
        Value::Char(Some(c)) => Bound::OwnedText(c.to_string()),
        Value::Bytes(Some(b)) => Bound::Blob(b),
        // `to_string` would go through `Display`, which writes every token
        // through `fmt`: several times slower for the calls' legs.
        Value::Json(Some(json)) => Bound::OwnedText(
            serde_json::to_string(json).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
        ),
        other => {
            return Err(rusqlite::Error::ToSqlConversionFailure(
                format!("no SQLite encoding for {other:?}").into(),
            ));
        }
    })
}

/// The error SQLite reports on `db` for a call that returned `code` (an
/// extended code: rusqlite turns those on for every connection).
fn error(db: *mut ffi::sqlite3, code: c_int) -> rusqlite::Error {
    // SAFETY: `db` is open; the message is copied before any other call.
    let message = unsafe {
        let text = ffi::sqlite3_errmsg(db);
        (!text.is_null()).then(|| CStr::from_ptr(text).to_string_lossy().into_owned())
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), message)
}

#[cfg(test)]
mod tests {
    use rusqlite::ErrorCode;
    use serde_json::json;

    use super::*;

    const INSERT: &str = "INSERT INTO t (i, r, s, j, b, c, n) VALUES (?, ?, ?, ?, ?, ?, ?)";

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (i INTEGER, r REAL, s TEXT UNIQUE, j TEXT, b BLOB, c TEXT, n TEXT)",
        )
        .unwrap();
        conn
    }

    #[test]
    fn an_empty_string_is_text_not_null() {
        let conn = table();
        let mut statements = WriteStatements::default();
        let mut values = row("");
        values[6] = Value::String(Some(String::new()));
        statements.execute(&conn, 8, INSERT, &values).unwrap();
        let (s, n): (Option<String>, Option<String>) = conn
            .query_row("SELECT s, n FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((s.as_deref(), n.as_deref()), (Some(""), Some("")));
    }

    fn row(s: &str) -> Vec<Value> {
        vec![
            Value::BigInt(Some(7)),
            Value::Double(Some(1.5)),
            Value::String(Some(s.to_owned())),
            Value::Json(Some(Box::new(json!({"k": [1, "v"]})))),
            Value::Bytes(Some(vec![0, 1, 2])),
            Value::Char(Some('x')),
            Value::String(None),
        ]
    }

    #[test]
    fn every_kind_of_value_is_stored_as_bound() {
        let conn = table();
        let mut statements = WriteStatements::default();
        for name in ["first", "second"] {
            let values = row(name);
            assert_eq!(statements.execute(&conn, 8, INSERT, &values).unwrap(), 1);
            // The values go after the step: SQLite kept no pointer into them.
            drop(values);
        }
        let stored: (i64, f64, String, String, Vec<u8>, String, Option<String>) = conn
            .query_row("SELECT i, r, s, j, b, c, n FROM t WHERE s = 'second'", [], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .unwrap();
        assert_eq!(
            stored,
            (
                7,
                1.5,
                "second".to_owned(),
                r#"{"k":[1,"v"]}"#.to_owned(),
                vec![0, 1, 2],
                "x".to_owned(),
                None
            )
        );
        assert_eq!(statements.0.len(), 1, "prepared once");
    }

    #[test]
    fn failures_keep_sqlite_codes_and_leave_the_statement_usable() {
        let conn = table();
        let mut statements = WriteStatements::default();
        statements.execute(&conn, 8, INSERT, &row("a")).unwrap();
        let duplicate = statements.execute(&conn, 8, INSERT, &row("a")).unwrap_err();
        assert_eq!(
            duplicate.sqlite_error_code(),
            Some(ErrorCode::ConstraintViolation)
        );
        assert!(duplicate.to_string().contains("UNIQUE"), "{duplicate}");
        assert_eq!(statements.execute(&conn, 8, INSERT, &row("b")).unwrap(), 1);

        let short = statements.execute(&conn, 8, INSERT, &row("c")[..2]).unwrap_err();
        assert!(
            matches!(short, rusqlite::Error::InvalidParameterCount(2, 7)),
            "{short:?}"
        );
        let bad_sql = statements
            .execute(&conn, 8, "INSERT INTO nowhere VALUES (?)", &[])
            .unwrap_err();
        assert!(bad_sql.to_string().contains("no such table"), "{bad_sql}");
        let rows = statements.execute(&conn, 8, "SELECT 1", &[]).unwrap_err();
        assert!(
            matches!(rows, rusqlite::Error::ExecuteReturnedResults),
            "{rows:?}"
        );
    }

    #[test]
    fn statements_follow_schema_changes_and_the_cache_stays_bounded() {
        let conn = table();
        let mut statements = WriteStatements::default();
        statements.execute(&conn, 2, INSERT, &row("a")).unwrap();
        conn.execute_batch("ALTER TABLE t ADD COLUMN extra TEXT").unwrap();
        assert_eq!(statements.execute(&conn, 2, INSERT, &row("b")).unwrap(), 1);
        assert_eq!(
            statements
                .execute(
                    &conn,
                    2,
                    "UPDATE t SET extra = ? WHERE s = ?",
                    &[
                        Value::String(Some("e".to_owned())),
                        Value::String(Some("b".to_owned())),
                    ]
                )
                .unwrap(),
            1
        );
        statements
            .execute(
                &conn,
                2,
                "DELETE FROM t WHERE s = ?",
                &[Value::String(Some("a".to_owned()))],
            )
            .unwrap();
        assert!(statements.0.len() <= 2);
        let left: Vec<String> = conn
            .prepare("SELECT s || ':' || coalesce(extra, '') FROM t")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(left, ["b:e"]);
    }
}
