//! A read-only SQLite connection on a thread of its own, for the one read that runs far more
//! often than any other: the ticket cache's batched misses (`TicketCache::read_batched`).
//!
//! Through sqlx, a batch of ticket rows crosses threads row by row (sqlx's SQLite worker sends
//! each row over a channel), every value is copied twice (`SqliteRow`, then `AnyRow`), and a
//! connection given back to the pool is pinged (another hand-over). Here a job runs on the
//! connection's own thread with `rusqlite` (the same SQLite library sqlx links): it reads its
//! rows straight into the records it returns, and only the finished result crosses back.
//! A job is a closure over the connection, so the statements stay with the context that owns
//! them; this module knows nothing of tickets.
//!
//! The connection is opened read-only (`SQLITE_OPEN_READ_ONLY`) on the file the store writes
//! in WAL mode: every statement sees the commits that ended before it started, as a pooled
//! connection's would.

use std::sync::mpsc;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::{Error, Result};

/// A job for the reader's thread.
type Job = Box<dyn FnOnce(&Connection) + Send>;

/// Prepared statements the reader keeps (rusqlite's statement cache).
const CACHED_STATEMENTS: usize = 32;

/// The reader: a handle to its thread, which ends once every handle is dropped.
#[derive(Debug, Clone)]
pub struct SqliteReader {
    jobs: mpsc::Sender<Job>,
}

impl SqliteReader {
    /// Opens `path` (a SQLite file the store has created and migrated) read-only on a new
    /// thread, with the pool's read settings (`store::SQLITE_READ_SETTINGS`: pages mapped from
    /// the file, 32 MiB page cache, waiting up to 10 s for a lock). Errors: the file cannot be
    /// opened as a database.
    pub fn open(path: &str) -> Result<SqliteReader> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .and_then(|conn| {
            conn.execute_batch(&crate::storage::store::SQLITE_READ_SETTINGS)?;
            conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
            Ok(conn)
        })
        .map_err(|e| Error::Internal(format!("SQLite reader: cannot open {path:?}: {e}")))?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("tandem-sqlite-read".into())
            .spawn(move || {
                for job in queue {
                    // a job that panics drops its answer (its caller gets an error); the
                    // thread goes on with the next
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&conn)));
                }
            })
            .map_err(|e| Error::Internal(format!("SQLite reader: no thread: {e}")))?;
        Ok(SqliteReader { jobs })
    }

    /// Runs `read` on the reader's connection and answers its result. Jobs run one after
    /// another in the order they came. Errors: `read`'s own (as [`Error::Internal`]), or
    /// `read` panicked.
    pub async fn run<T, F>(&self, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = answer.send(read(conn));
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::Internal("SQLite reader stopped".into()))?;
        answered
            .await
            .map_err(|_| Error::Internal("SQLite reader stopped".into()))?
            .map_err(|e| Error::Internal(format!("SQLite read: {e}")))
    }
}

/// The file a `sqlite:` URL names (without the URL's query), for [`SqliteReader::open`] and
/// the store's creation of the file's directory; `None` for an in-memory database (no file,
/// and no second connection can open it).
pub fn file_of_url(url: &str) -> Option<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, _query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_of_urls() {
        assert_eq!(
            file_of_url("sqlite:///tmp/a/t.db?mode=rwc").as_deref(),
            Some("/tmp/a/t.db")
        );
        assert_eq!(
            file_of_url("sqlite://data/t.db").as_deref(),
            Some("data/t.db")
        );
        assert_eq!(file_of_url("sqlite::memory:"), None);
        assert_eq!(file_of_url("sqlite://:memory:"), None);
    }

    #[tokio::test]
    async fn jobs_run_on_the_file_and_errors_come_back() {
        let dir = std::env::temp_dir().join(format!("tandem-reader-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7)",
            )
            .unwrap();
        let reader = SqliteReader::open(path.to_str().unwrap()).unwrap();
        let v: i64 = reader
            .run(|c| c.query_row("SELECT v FROM t", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(v, 7);
        // a commit after the reader opened is seen by its next statement
        writer.execute("UPDATE t SET v = 8", []).unwrap();
        let v: i64 = reader
            .run(|c| c.query_row("SELECT v FROM t", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(v, 8);
        // read-only
        let write = reader.run(|c| c.execute("UPDATE t SET v = 9", [])).await;
        assert!(matches!(write, Err(Error::Internal(_))), "{write:?}");
        // a job that panics fails only itself: the next one runs
        let panicked = reader
            .run(|_| -> rusqlite::Result<i64> { panic!("a failing job") })
            .await;
        assert!(matches!(panicked, Err(Error::Internal(_))), "{panicked:?}");
        let missing = reader
            .run(|c| c.query_row("SELECT nope FROM t", [], |r| r.get::<_, i64>(0)))
            .await;
        assert!(matches!(missing, Err(Error::Internal(_))), "{missing:?}");
        let v: i64 = reader
            .run(|c| c.query_row("SELECT v FROM t", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(v, 8, "the reader still answers after a panic and an error");
        std::fs::remove_dir_all(&dir).ok();
    }
}
