//! Group commit for SQLite (issue 14): the writes of several requests share one transaction
//! and so one `COMMIT` (one `fsync` of the WAL with `synchronous = FULL`), and each request is
//! answered only after the commit that made its own changes durable.
//!
//! SQLite has one writer at a time anyway ([`crate::Store::write`]'s semaphore). Every write
//! runs on one connection kept here, inside a `SAVEPOINT` of the current batch transaction
//! (`BEGIN IMMEDIATE` by the first writer of a batch). A write that commits releases its
//! savepoint (its changes join the batch), hands the connection on and queues for the writer
//! semaphore again (it is fair, first come first served): the writers that were already
//! waiting add theirs first, then the first of the batch's members to come back commits the
//! whole batch and tells the others, which stop waiting for a turn of their own (a `watch` of
//! the last ended batch). Without other writers waiting, a write commits at once, as before.
//! A write dropped without committing leaves its savepoint to be rolled back by
//! whoever takes the connection next, so nothing of it reaches the batch. When a batch fails
//! to commit, every write in it fails: none was acknowledged.
//!
//! Statements under the writer's turn are what limits SQLite's write throughput (each is a
//! round trip to sqlx's SQLite thread), so the bookkeeping takes as few as it can: a write
//! that joins the batch opens the savepoint for the next one with its own release (`RELEASE
//! …; SAVEPOINT …` in one round trip), and the tickets a batch changed
//! ([`crate::storage::ticket_cache`]) are taken out of `changed_tickets` with its `COMMIT`
//! instead of by every write.
//!
//! A write that holds an in-process lock across its commit (a shared-draft room's write lock)
//! must not wait for the writers after it: one of them may wait for that lock inside its
//! transaction. Such a write commits the batch at once ([`GroupCommit::commit_at_once`],
//! `WriteTx::commit_at_once`), before it hands the connection on.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use sqlx::pool::PoolConnection;
use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::storage::auth_cache::AuthCache;
use crate::storage::ticket_cache::TicketCache;
use crate::{Error, Result};

const SAVEPOINT: &str = "SAVEPOINT tandem_write";
const RELEASE: &str = "RELEASE tandem_write";
const ROLLBACK_TO: &str = "ROLLBACK TO tandem_write";
/// A write's release that opens the next write's savepoint.
const RELEASE_AND_SAVEPOINT: &str = "RELEASE tandem_write; SAVEPOINT tandem_write";
/// The end of a batch, in one round trip: what every SQLite transaction runs before its
/// commit ([`crate::storage::store::SQLITE_BEFORE_COMMIT`]: queued search rows, the tickets
/// it changed, the auth generation it left), then the `COMMIT`.
static TAKE_CHANGED_AND_COMMIT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("{}; COMMIT", *crate::storage::store::SQLITE_BEFORE_COMMIT)
});
/// How many failed batches are remembered for their members to find.
const FAILURES_KEPT: usize = 64;

struct State {
    /// The writer connection, when no write holds it.
    conn: Option<PoolConnection<sqlx::Any>>,
    /// The batch transaction is open (`BEGIN IMMEDIATE` ran, no `COMMIT` yet).
    open: bool,
    /// The number of the open (or next) batch.
    batch: u64,
    /// Batches that failed, with why.
    failed: VecDeque<(u64, String)>,
    /// A write was dropped before it committed: roll it back before anything else.
    dirty: Option<Undo>,
    /// An empty savepoint, opened by the last write's release, waits for the next write.
    spare_savepoint: bool,
}

/// How a dropped write is undone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Undo {
    /// Back to its savepoint: the batch's other writes stay.
    Savepoint,
    /// It began the batch and nothing joined it since: the whole transaction.
    Batch,
}

pub struct GroupCommit {
    state: Mutex<State>,
    /// Forgets the tickets a batch changed once it is committed.
    ticket_cache: Arc<TicketCache>,
    /// Learns the auth generation each committed batch left.
    auth_cache: Arc<AuthCache>,
    /// The highest batch number that has ended (committed or failed; set while `state` is
    /// locked, after a failure is recorded), watched by the members of a batch to learn that
    /// another member committed it without taking a writer turn.
    ended: tokio::sync::watch::Sender<u64>,
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        // Outside a Tokio runtime (a store dropped after its runtime ended) a pooled
        // connection cannot go back to its pool: it is closed on its own instead.
        if let Some(conn) = self.lock().conn.take()
            && tokio::runtime::Handle::try_current().is_err()
        {
            drop(conn.detach());
        }
    }
}

impl GroupCommit {
    /// Batches for one SQLite store; `ticket_cache` forgets what each committed batch changed,
    /// `auth_cache` learns the auth generation it left.
    pub fn new(ticket_cache: Arc<TicketCache>, auth_cache: Arc<AuthCache>) -> GroupCommit {
        GroupCommit {
            ticket_cache,
            auth_cache,
            ended: tokio::sync::watch::Sender::new(0),
            state: Mutex::new(State {
                conn: None,
                open: false,
                batch: 1,
                failed: VecDeque::new(),
                dirty: None,
                spare_savepoint: false,
            }),
        }
    }
}

/// The connection a write holds, inside its savepoint. Dropped without [`Held::release`], it
/// goes back marked for rolling that savepoint back.
pub struct Held {
    conn: Option<PoolConnection<sqlx::Any>>,
    shared: Arc<GroupCommit>,
    /// What undoes this write while it has not joined the batch (`None`: nothing to undo).
    undo: Option<Undo>,
}

impl Held {
    pub fn conn(&self) -> &AnyConnection {
        self.conn.as_deref().expect("held connection")
    }

    pub fn conn_mut(&mut self) -> &mut AnyConnection {
        self.conn.as_deref_mut().expect("held connection")
    }

    /// The write's changes join the batch; returns the batch's number. With `spare`, the
    /// same round trip opens the savepoint the next write of the batch will use.
    pub async fn release(&mut self, spare: bool) -> Result<u64> {
        let statement = match (self.undo, spare) {
            (Some(Undo::Savepoint), true) => Some(RELEASE_AND_SAVEPOINT),
            (Some(Undo::Savepoint), false) => Some(RELEASE),
            (Some(Undo::Batch), true) => Some(SAVEPOINT),
            (Some(Undo::Batch), false) | (None, _) => None,
        };
        if let Some(statement) = statement {
            // several statements: run unprepared, as `sqlx::raw_sql` would
            sqlx::Executor::execute(self.conn_mut(), statement).await?;
        }
        let opened_spare = spare && statement.is_some();
        self.undo = None;
        let mut state = self.shared.lock();
        state.spare_savepoint = opened_spare;
        Ok(state.batch)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut state = self.shared.lock();
            state.conn = Some(conn);
            if self.undo.is_some() {
                state.dirty = self.undo;
            }
        }
    }
}

/// A permit and the connection, dropped in this order (the connection is back before the
/// next writer may look for it).
pub struct Begun {
    pub held: Held,
    pub permit: OwnedSemaphorePermit,
}

impl GroupCommit {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `conn` the writer connection, when the store has none yet (the store's first
    /// connection, opened on its writer thread: `storage::writer_thread`).
    pub fn keep_connection(&self, conn: PoolConnection<sqlx::Any>) {
        let kept = self.lock().conn.replace(conn);
        debug_assert!(kept.is_none(), "the store already had a writer connection");
    }

    /// Takes the connection (the caller holds the writer permit): a dropped write's savepoint
    /// rolled back, the batch begun if none is open.
    async fn take(self: &Arc<Self>, pool: &AnyPool) -> Result<Held> {
        let (conn, dirty, open) = {
            let mut state = self.lock();
            let dirty = state.dirty.take();
            if dirty.is_some() {
                // the dropped write was inside the spare savepoint, if there was one
                state.spare_savepoint = false;
            }
            (state.conn.take(), dirty, state.open)
        };
        let mut held = Held {
            conn,
            shared: self.clone(),
            undo: None,
        };
        if held.conn.is_none() {
            // the connection was lost (a panic), or the store kept none: whatever batch was
            // open on it is gone with it (a replacement is opened wherever this write runs,
            // on the writer thread for the busiest ones)
            if open {
                self.end_batch(Some("the writer connection was lost".into()));
            }
            held.conn = Some(pool.acquire().await?);
            return Ok(held);
        }
        if dirty == Some(Undo::Batch) {
            // the batch held only the dropped write: nobody waits for it
            let _ = sqlx::query("ROLLBACK").execute(held.conn_mut()).await;
            self.end_batch(Some("dropped before it committed".into()));
        } else if dirty == Some(Undo::Savepoint) {
            let undone = async {
                sqlx::query(ROLLBACK_TO).execute(held.conn_mut()).await?;
                sqlx::query(RELEASE).execute(held.conn_mut()).await?;
                Ok::<(), sqlx::Error>(())
            }
            .await;
            if let Err(e) = undone {
                // the transaction itself ended (SQLite rolls back the whole transaction on
                // some errors): the batch fails as a whole
                let _ = sqlx::query("ROLLBACK").execute(held.conn_mut()).await;
                self.end_batch(Some(format!("a write of the batch failed: {e}")));
            }
        }
        Ok(held)
    }

    /// Ends the open batch (committed: `None`).
    fn end_batch(&self, failure: Option<String>) {
        let mut state = self.lock();
        let batch = state.batch;
        if let Some(why) = failure {
            state.failed.push_back((batch, why));
            if state.failed.len() > FAILURES_KEPT {
                state.failed.pop_front();
            }
        }
        state.open = false;
        state.spare_savepoint = false;
        state.batch += 1;
        self.ended.send_replace(batch);
    }

    /// Starts a write: the permit's holder gets the connection inside a new savepoint of the
    /// open batch (begun here when none is open). Runs in a task of its own, so a caller
    /// dropped half-way cannot leave the connection in an unknown state (see `Store::write`).
    pub async fn begin(
        self: &Arc<Self>,
        pool: &AnyPool,
        permit: OwnedSemaphorePermit,
    ) -> Result<Begun> {
        let (shared, pool) = (self.clone(), pool.clone());
        tokio::spawn(async move {
            let mut held = shared.take(&pool).await?;
            let (open, spare) = {
                let mut state = shared.lock();
                (state.open, std::mem::take(&mut state.spare_savepoint))
            };
            if open {
                if !spare {
                    sqlx::query(SAVEPOINT).execute(held.conn_mut()).await?;
                }
                held.undo = Some(Undo::Savepoint);
            } else {
                // the first write of a batch needs no savepoint: undoing it is a ROLLBACK
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(held.conn_mut())
                    .await?;
                shared.lock().open = true;
                held.undo = Some(Undo::Batch);
            }
            Ok(Begun { held, permit })
        })
        .await
        .map_err(|e| Error::Internal(format!("BEGIN did not finish: {e}")))?
    }

    /// The writer connection between two batches (the caller holds the writer permit): the
    /// open batch committed (its writers answered), no transaction open. For work that must
    /// not run inside a batch ([`crate::storage::wal_checkpoint`]'s log restart).
    pub async fn between_batches(self: &Arc<Self>, pool: &AnyPool) -> Result<Held> {
        let mut held = self.take(pool).await?;
        if self.lock().open {
            self.commit_open(&mut held).await;
        }
        Ok(held)
    }

    /// Before the pool closes (the caller holds the writer permit, so no write is under
    /// way): the open batch committed, the connection given back to the pool.
    pub async fn close(self: &Arc<Self>, pool: &AnyPool) {
        let open = self.lock().open;
        if let Ok(mut held) = self.take(pool).await {
            if open && self.lock().open {
                self.commit_open(&mut held).await;
            }
            // not back into the slot: to the pool, which is closing
            drop(held.conn.take());
        }
    }

    /// Commits a write: its savepoint released (its changes join the batch), the connection
    /// and the permit handed on, then waits until the batch has ended, committing it when it
    /// is still open; `Ok` once the write is durable. All of it in a task of its own: a caller
    /// that goes away cannot leave a batch open without anyone to commit it.
    pub async fn commit(
        self: &Arc<Self>,
        mut held: Held,
        permit: OwnedSemaphorePermit,
        pool: &AnyPool,
        writers: &Arc<Semaphore>,
    ) -> Result<()> {
        let (shared, pool, writers) = (self.clone(), pool.clone(), writers.clone());
        tokio::spawn(async move {
            let released = held.release(true).await;
            drop(held);
            drop(permit);
            let batch = released?;
            shared.committed(&pool, &writers, batch).await
        })
        .await
        .map_err(|e| Error::Internal(format!("COMMIT did not finish: {e}")))?
    }

    /// Commits a write and the batch it joins now, before handing the connection and the
    /// permit on; `Ok` once the write is durable. For a write that holds an
    /// in-process lock across its commit which a later writer takes inside its transaction
    /// (a shared-draft room's write lock): [`GroupCommit::commit`] would wait for that writer,
    /// and the writer for the lock. The batch's earlier members are answered by this commit.
    /// In a task of its own, as [`GroupCommit::commit`].
    pub async fn commit_at_once(
        self: &Arc<Self>,
        mut held: Held,
        permit: OwnedSemaphorePermit,
    ) -> Result<()> {
        let shared = self.clone();
        tokio::spawn(async move {
            let batch = held.release(false).await?;
            shared.commit_open(&mut held).await;
            drop(held);
            drop(permit);
            shared.outcome(batch)
        })
        .await
        .map_err(|e| Error::Internal(format!("COMMIT did not finish: {e}")))?
    }

    /// `COMMIT` of the open batch on `held` (the caller holds the writer permit), then the
    /// tickets it changed forgotten by the cache; a failed commit rolls back and fails every
    /// write of the batch.
    async fn commit_open(&self, held: &mut Held) {
        use sqlx::Row;
        let committed =
            sqlx::Executor::fetch_all(held.conn_mut(), TAKE_CHANGED_AND_COMMIT.as_str())
                .await
                .and_then(|rows| {
                    rows.iter()
                        .map(|row| row.try_get::<i64, _>(0))
                        .collect::<std::result::Result<Vec<i64>, _>>()
                });
        match committed {
            Ok(rows) => {
                let (changed, generation) = crate::storage::store::changed_and_generation(rows);
                self.end_batch(None);
                self.ticket_cache.forget(&changed);
                match generation {
                    Some(generation) => self.auth_cache.observe(generation),
                    None => self.auth_cache.mark_stale(),
                }
            }
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(held.conn_mut()).await;
                self.end_batch(Some(format!("COMMIT failed: {e}")));
            }
        }
    }

    /// How batch `batch` ended: `Ok` once committed.
    fn outcome(&self, batch: u64) -> Result<()> {
        let state = self.lock();
        match state.failed.iter().find(|(b, _)| *b == batch) {
            Some((_, why)) => Err(Error::Internal(why.clone())),
            None if *self.ended.borrow() >= batch => Ok(()),
            None => Err(Error::Internal("the write's batch was lost".into())),
        }
    }

    /// Waits until batch `batch` has ended, committing it when it is still open: `Ok` once
    /// its changes are durable. A member of the batch waits for a writer turn only until
    /// another member has committed the batch: the first member back at the front of the
    /// writers' queue commits for all, the others are answered by that commit instead of
    /// each waiting for a turn of its own (one queue pass per write, not two).
    async fn committed(
        self: &Arc<Self>,
        pool: &AnyPool,
        writers: &Arc<Semaphore>,
        batch: u64,
    ) -> Result<()> {
        let mut ended = self.ended.subscribe();
        let _permit = tokio::select! {
            biased;
            // `wait_for` errs only when the sender is gone, which `self` keeps
            _ = ended.wait_for(|ended| *ended >= batch) => return self.outcome(batch),
            permit = writers.clone().acquire_owned() => {
                permit.map_err(|_| Error::Internal("store is closing".into()))?
            }
        };
        if *self.ended.borrow() < batch {
            // this batch is still open: commit it (with everything added since)
            let mut held = self.take(pool).await?;
            let still_open = {
                let state = self.lock();
                state.open && state.batch == batch
            };
            if still_open {
                self.commit_open(&mut held).await;
            }
            drop(held);
        }
        self.outcome(batch)
    }
}
