//! SQLite: the write-ahead log is copied back into the database file (a checkpoint) by a task
//! of its own instead of by the writer.
//!
//! By default SQLite checkpoints inside the `COMMIT` that takes the log past 1,000 pages
//! (`wal_autocheckpoint`), on the writing connection: copying the pages and `fsync`ing the
//! database file then happens under the single writer's lock, and every writer queued behind
//! it waits. With automatic checkpoints off (`PRAGMA wal_autocheckpoint = 0` on every
//! connection) a committed write starts a `PASSIVE` checkpoint on a pool connection when the
//! last one is at least [`INTERVAL`] old and none is running. A passive checkpoint never
//! blocks the writer or readers (SQLite's "Checkpointing" in <https://sqlite.org/wal.html>):
//! it copies what no reader still needs, and the writer starts the log over once all of it is
//! copied. The last connection to close checkpoints what is left, as before.
//!
//! Measured on the benchmark's database (Python's `sqlite3`, 30 articles per commit): the
//! writer's time per article went from about 335 µs to about 200 µs.
//!
//! Under a steady write load a passive checkpoint never catches up: the writer commits new
//! frames while it copies, so the log is never wholly copied, the writer never starts it over,
//! and it grows without end (the benchmark's log grew from 240 MB to 1.7 GB in 40 s of writes,
//! and every read got slower with it: the `-shm` index a read searches grows with the log;
//! "Avoiding Excessively Large WAL Files" in <https://sqlite.org/wal.html>). So when a passive
//! checkpoint leaves a log longer than [`RESTART_FRAMES`], the checkpointer takes the writer's
//! turn ([`crate::Store::write`]'s semaphore; with group commit the open batch is committed
//! first, answering its writers) and runs a `RESTART` checkpoint: it copies the little the
//! passive one left, waits for the readers still reading the log's frames (their transactions
//! last a request), and the next write starts the log over at its beginning. The file keeps its
//! length (later commits overwrite it instead of growing it).
//!
//! What the restart copies under the turn, the writer waits for; so a second passive checkpoint
//! runs first, off the turn, copying what was committed while the first one ran, and the
//! restart copies only what was committed since the second one started (and what readers kept
//! it from copying). Measured (a build that timed each restart, `tandem-bench --writes-only`,
//! SQLite): the writer's turn held by a restart went from 9.5 ms at the median, 15.7 at p75
//! and 21.4 at p90 (42 restarts) to 8.0, 10.6 and 13.7 ms (74 restarts). What is left is
//! mostly the two `fsync`s (log and database file): the time did not change when the restart
//! did not wait for readers at all.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use sqlx::AnyPool;
use tokio::sync::Semaphore;

use crate::storage::group_commit::GroupCommit;

/// At most one checkpoint starts per interval.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// A log longer than this many frames (pages: 4 KiB each by default, so 64 MiB) after a passive
/// checkpoint is started over under the writer's turn (the module's documentation says why).
pub const RESTART_FRAMES: i64 = 16_384;

/// Turns SQLite's automatic checkpoints off on a new connection.
pub(crate) const AUTOCHECKPOINT_OFF: &str = "PRAGMA wal_autocheckpoint = 0";

/// Starts checkpoints after commits (one store).
pub struct Checkpointer {
    running: AtomicBool,
    last_started: Mutex<Instant>,
    /// [`RESTART_FRAMES`], unless [`Checkpointer::restart_after`] said otherwise.
    restart_frames: AtomicI64,
    /// How many times the log was started over (for tests).
    restarts: AtomicI64,
    pool: AnyPool,
    /// The writer's turn ([`crate::Store::write`]'s semaphore).
    writers: Arc<Semaphore>,
    /// The store's batches, when it commits in groups: its connection holds the open batch.
    group: Option<Arc<GroupCommit>>,
    /// The runtime the store was opened on, where checkpoints run: not the writer thread's
    /// (`storage::writer_thread`), whose commits start most of them, so that a connection a
    /// checkpoint opens does not share the writer's CPU.
    runtime: tokio::runtime::Handle,
}

/// What `PRAGMA wal_checkpoint` answers: whether it could not run to its end, the log's
/// length and how much of it is copied into the database file, in frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointOutcome {
    pub busy: bool,
    pub log_frames: i64,
    pub checkpointed_frames: i64,
}

impl CheckpointOutcome {
    /// The row `PRAGMA wal_checkpoint(…)` returns: `(busy, log, checkpointed)`.
    pub(crate) fn of_row(row: &sqlx::any::AnyRow) -> Result<CheckpointOutcome, sqlx::Error> {
        use sqlx::Row;
        Ok(CheckpointOutcome {
            busy: row.try_get::<i64, _>(0)? != 0,
            log_frames: row.try_get(1)?,
            checkpointed_frames: row.try_get(2)?,
        })
    }
}

impl Checkpointer {
    /// Checkpoints for the SQLite store whose pool, writer semaphore and (with group commit)
    /// batches these are; they run on the caller's Tokio runtime (panics outside one).
    pub fn new(
        pool: AnyPool,
        writers: Arc<Semaphore>,
        group: Option<Arc<GroupCommit>>,
    ) -> Checkpointer {
        Checkpointer {
            running: AtomicBool::new(false),
            last_started: Mutex::new(Instant::now()),
            restart_frames: AtomicI64::new(RESTART_FRAMES),
            restarts: AtomicI64::new(0),
            pool,
            writers,
            group,
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// Starts the log over once a passive checkpoint leaves more than `frames` frames in it
    /// (default [`RESTART_FRAMES`]; tests use small logs).
    pub fn restart_after(&self, frames: i64) {
        self.restart_frames.store(frames.max(1), Ordering::Relaxed);
    }

    /// How many times the log was started over under the writer's turn.
    pub fn restarts(&self) -> i64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// A write was committed: starts a passive checkpoint in a task of its own unless one is
    /// running or one started less than [`INTERVAL`] ago; when it leaves a long log, starts
    /// the log over ([`Checkpointer::restart_log`]). Never waits.
    pub fn after_commit(self: &Arc<Self>) {
        {
            let mut last = self.last_started.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() < INTERVAL || self.running.swap(true, Ordering::AcqRel) {
                return;
            }
            *last = Instant::now();
        }
        let checkpointer = self.clone();
        self.runtime.spawn(async move {
            let done = async {
                let passive = checkpointer.passive().await?;
                if passive.log_frames > checkpointer.restart_frames.load(Ordering::Relaxed) {
                    // what was committed while it copied is copied as well before the turn
                    // is taken: the restart then copies only what the wait for the turn let in
                    checkpointer.passive().await?;
                    checkpointer.restart_log().await?;
                }
                Ok::<(), crate::Error>(())
            }
            .await;
            if let Err(e) = done {
                // the pool closing, or the disk: the next commit tries again
                tracing::debug!(error = %e, "WAL checkpoint failed");
            }
            checkpointer.running.store(false, Ordering::Release);
        });
    }

    /// A `PASSIVE` checkpoint on a pool connection.
    async fn passive(&self) -> crate::Result<CheckpointOutcome> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut *conn)
            .await?;
        Ok(CheckpointOutcome::of_row(&row)?)
    }

    /// Under the writer's turn (the open batch committed first): a `RESTART` checkpoint, after
    /// which the next write starts the log over.
    async fn restart_log(&self) -> crate::Result<()> {
        let Ok(_permit) = self.writers.acquire().await else {
            return Ok(()); // the store is closing
        };
        let outcome = match &self.group {
            Some(group) => {
                let mut held = group.between_batches(&self.pool).await?;
                restart_on(held.conn_mut()).await?
            }
            None => {
                let mut conn = self.pool.acquire().await?;
                restart_on(&mut conn).await?
            }
        };
        if outcome.busy {
            tracing::debug!(?outcome, "WAL restart: readers kept the log");
        } else {
            self.restarts.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// How long a `RESTART` checkpoint waits for readers still reading the log before it gives
/// up (it holds the writer's turn meanwhile; the next long log tries again).
const RESTART_WAIT_MS: u32 = 50;

/// A `RESTART` checkpoint on `conn` (outside any transaction), waiting at most
/// [`RESTART_WAIT_MS`] for readers; the connection's busy timeout is put back afterwards.
async fn restart_on(conn: &mut sqlx::AnyConnection) -> Result<CheckpointOutcome, sqlx::Error> {
    sqlx::query(&format!("PRAGMA busy_timeout = {RESTART_WAIT_MS}"))
        .execute(&mut *conn)
        .await?;
    let checkpointed = sqlx::query("PRAGMA wal_checkpoint(RESTART)")
        .fetch_one(&mut *conn)
        .await;
    sqlx::query(&format!(
        "PRAGMA busy_timeout = {}",
        crate::storage::store::SQLITE_BUSY_TIMEOUT_MS
    ))
    .execute(&mut *conn)
    .await?;
    CheckpointOutcome::of_row(&checkpointed?)
}
