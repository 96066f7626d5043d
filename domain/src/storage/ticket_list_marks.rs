//! Page marks for the ticket list (`GET /tickets`, issue 14's deep pages): a deep page costs
//! what the first costs, with the same answers as `ORDER BY id LIMIT … OFFSET …`.
//!
//! A page of the list is the tickets of a scope (what the caller may read,
//! the policy's `TicketScope::sql_condition`) by ascending id, after skipping `offset` of
//! them. Walking the skipped entries of the narrow `tickets_list` index is linear in the
//! offset (page 10,000 of 100 walks a million entries). A mark is the id that ends the first
//! `k · stride` tickets of a scope: a page at offset `o` starts after the mark `⌊o / stride⌋`
//! (`WHERE id > mark`) and walks fewer than `stride` entries from there.
//!
//! Marks stay valid while the database's `ticket_list_generation` counter is unchanged
//! (migration 0024). New tickets take ids above every existing one and so move no mark; a
//! deleted ticket, a ticket moved between scopes (group, customer, organisation) and a ticket
//! inserted below the highest id bump the counter, by triggers, in the same transaction as the
//! change. Every page read through a mark reads the counter in the same statement and is
//! answered only if it is still the marks' generation; otherwise the marks are dropped and
//! taken again. The counter lives in the database, so several instances share it.
//!
//! PostgreSQL hands out ids before their transactions commit: ticket 101 may commit before
//! ticket 100, and marks taken in between would be one off once 100 commits. So a ticket
//! insert holds [`LOCK_KEY`] (a shared transaction-level advisory lock, taken by
//! `tickets::next_number_postgres` before the ticket's id is drawn), and marks are taken on a
//! snapshot that starts while the exclusive session lock is held, i.e. while no insert is in flight:
//! every id drawn before that snapshot is committed or rolled back, every id drawn after it is
//! higher than all marks. The exclusive lock is only tried (inserts never wait for it) and
//! held only until the snapshot starts; while inserts keep it taken, deep pages walk their
//! offset as before. SQLite has one writer and assigns ids in commit order.

use std::collections::HashMap;
use std::sync::Mutex;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Connection, Row};

use crate::Result;
use crate::storage::store::{Backend, Store};

/// Tickets between two marks: a page walks fewer index entries than this past its mark.
pub const STRIDE: i64 = 1_000;

/// Scopes whose marks are kept (one per distinct set of readable groups, customer and
/// organisations); beyond this an arbitrary scope's marks are dropped.
const MAX_SCOPES: usize = 512;

/// The advisory lock (PostgreSQL) that orders ticket inserts against taking marks: every
/// ticket insert takes it shared before its id is drawn and holds it to its commit
/// (`tickets::next_number_postgres`); taking marks takes it exclusively.
pub const LOCK_KEY: i64 = 0x7469_636b_6574_6c73; // "ticketls"

/// The counter's name in `counters` (migration 0024).
const GENERATION: &str = "(SELECT value FROM counters WHERE name = 'ticket_list_generation')";

/// The marks of every scope read so far, for one generation of the list.
pub struct TicketListMarks {
    stride: i64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    generation: i64,
    /// Per scope condition: `marks[k]` is the id of the `(k + 1) · stride`-th ticket.
    by_scope: HashMap<String, Vec<i64>>,
}

/// What is known of a scope's marks.
#[derive(Debug, Clone, Copy)]
struct Known {
    generation: i64,
    count: usize,
    /// The last mark's id.
    last: i64,
}

/// Where a page starts: after ticket `after_id`, `skip` more tickets on.
#[derive(Debug, Clone, Copy)]
struct Start {
    generation: i64,
    after_id: i64,
    skip: i64,
}

impl Default for TicketListMarks {
    fn default() -> Self {
        TicketListMarks::with_stride(STRIDE)
    }
}

impl TicketListMarks {
    /// Marks every `stride` tickets (tests use small strides; [`STRIDE`] otherwise).
    pub fn with_stride(stride: i64) -> TicketListMarks {
        assert!(stride > 0, "stride must be positive");
        TicketListMarks {
            stride,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many marks a page at `offset` can use: those that end before it.
    fn marks_before(&self, offset: i64) -> usize {
        usize::try_from(offset / self.stride).unwrap_or(usize::MAX)
    }

    /// What is known of `scope`'s marks, if any are.
    fn known(&self, scope: &str) -> Option<Known> {
        let state = self.lock();
        let marks = state.by_scope.get(scope)?;
        Some(Known {
            generation: state.generation,
            count: marks.len(),
            last: *marks.last()?,
        })
    }

    /// Where a page at `offset` starts: after the nearest known mark before it, if any.
    fn start(&self, scope: &str, offset: i64) -> Option<Start> {
        let state = self.lock();
        let marks = state.by_scope.get(scope)?;
        let used = self.marks_before(offset).min(marks.len());
        (used > 0).then(|| Start {
            generation: state.generation,
            after_id: marks[used - 1],
            skip: offset - used as i64 * self.stride,
        })
    }

    /// The marks kept for `scope` (tests check them against the list).
    pub fn marks_of(&self, scope: &str) -> Vec<i64> {
        self.lock().by_scope.get(scope).cloned().unwrap_or_default()
    }

    /// Forgets every scope's marks if `generation` is newer than theirs.
    fn observe(&self, generation: i64) {
        let mut state = self.lock();
        if generation > state.generation {
            state.generation = generation;
            state.by_scope.clear();
        }
    }

    /// Adds marks read at `generation` after the first `known` of `scope`'s marks.
    fn extend(&self, scope: &str, generation: i64, known: usize, more: Vec<i64>) {
        self.observe(generation);
        let mut state = self.lock();
        if state.generation != generation {
            return;
        }
        if !state.by_scope.contains_key(scope)
            && state.by_scope.len() >= MAX_SCOPES
            && let Some(evicted) = state.by_scope.keys().next().cloned()
        {
            state.by_scope.remove(&evicted);
        }
        let marks = state.by_scope.entry(scope.to_string()).or_default();
        // another request may have extended them meanwhile: keep the first `known`, add ours
        if marks.len() >= known {
            marks.truncate(known);
            marks.extend(more);
        }
    }

    /// The ids of a page of `scope` (a condition on `tickets t`), ascending, read from the
    /// nearest mark before it: the `per_page` tickets after the first `offset`, as `ORDER BY
    /// t.id LIMIT per_page OFFSET offset` gives them. `None` when no mark serves the page (a
    /// page of the first stride, a page past the end, marks not to be had): the caller walks
    /// its offset. Holds one of the store's connections at a time.
    pub async fn page_ids(
        &self,
        store: &Store,
        scope: &str,
        per_page: i64,
        offset: i64,
    ) -> Result<Option<Vec<i64>>> {
        if offset < self.stride {
            return Ok(None);
        }
        let indexed_by = list_index(store.backend());
        let wanted = self.marks_before(offset);
        for _ in 0..2 {
            if self.known(scope).is_none_or(|known| known.count < wanted) {
                self.take_marks(store, scope, indexed_by, offset, true)
                    .await?;
            }
            let Some(start) = self.start(scope, offset) else {
                break; // fewer tickets than one stride: nothing to start after
            };
            let mut conn = store.read().await?;
            match page_after(&mut conn, scope, indexed_by, per_page, start).await? {
                AfterMark::Page(ids) => return Ok(Some(ids)),
                // the list changed since the marks were taken: take them again, once
                AfterMark::Stale(generation) => self.observe(generation),
                // past the end, or a stale mark that cannot tell: walk
                AfterMark::Empty => break,
            }
        }
        Ok(None)
    }

    /// Reads the marks of `scope` up to `offset` and keeps them: with `extend`, after the
    /// known ones (taken again from the start if those turn out stale), else from the start.
    async fn take_marks(
        &self,
        store: &Store,
        scope: &str,
        indexed_by: &str,
        offset: i64,
        extend: bool,
    ) -> Result<()> {
        let known = extend.then(|| self.known(scope)).flatten();
        let (after_id, known_count) = known.map_or((0, 0), |k| (k.last, k.count));
        let walk = (offset / self.stride)
            .saturating_sub(known_count as i64)
            .saturating_mul(self.stride);
        let sql = format!(
            "SELECT w.id, {GENERATION} AS generation FROM (SELECT t.id, ROW_NUMBER() OVER \
             (ORDER BY t.id) AS n FROM tickets t{indexed_by} WHERE {scope} AND t.id > $1 \
             ORDER BY t.id LIMIT $2) w WHERE w.n % {} = 0 ORDER BY w.id",
            self.stride
        );
        let rows = match store.backend() {
            Backend::Sqlite => {
                let mut conn = store.read().await?;
                sqlx::query(&sql)
                    .bind(after_id)
                    .bind(walk)
                    .fetch_all(&mut *conn)
                    .await?
            }
            Backend::Postgres => {
                match read_with_no_insert_in_flight(store.pool().clone(), sql, after_id, walk)
                    .await?
                {
                    Some(rows) => rows,
                    None => return Ok(()), // inserts all the while: this page walks
                }
            }
        };
        let mut generation = None;
        let mut more = Vec::with_capacity(rows.len());
        for row in &rows {
            more.push(row.try_get::<i64, _>("id")?);
            generation = Some(row.try_get::<i64, _>("generation")?);
        }
        let Some(generation) = generation else {
            return Ok(()); // no further mark: the scope ends before the next one
        };
        if known.is_some_and(|k| k.generation != generation) {
            // the known marks are stale: ours count from a wrong start, take all afresh
            self.observe(generation);
            return Box::pin(self.take_marks(store, scope, indexed_by, offset, false)).await;
        }
        self.extend(scope, generation, known_count, more);
        Ok(())
    }
}

/// How a walk over the ticket list names its index: SQLite is told to read the narrow
/// `tickets_list` index (migration 0018), not the ticket rows; PostgreSQL chooses it itself.
pub fn list_index(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => " INDEXED BY tickets_list",
        Backend::Postgres => "",
    }
}

/// What reading a page after a mark found.
enum AfterMark {
    /// The page's ids, read at the mark's generation.
    Page(Vec<i64>),
    /// The list's generation is no longer the mark's: this one.
    Stale(i64),
    /// No ticket after the mark's position (which cannot tell whether the mark was stale).
    Empty,
}

/// The page after a mark, with the list's generation read in the same statement.
async fn page_after(
    conn: &mut AnyConnection,
    scope: &str,
    indexed_by: &str,
    per_page: i64,
    start: Start,
) -> Result<AfterMark> {
    let sql = format!(
        "SELECT p.id, {GENERATION} AS generation FROM (SELECT t.id FROM tickets t{indexed_by} \
         WHERE {scope} AND t.id > $1 ORDER BY t.id LIMIT $2 OFFSET $3) p ORDER BY p.id"
    );
    let rows = sqlx::query(&sql)
        .bind(start.after_id)
        .bind(per_page)
        .bind(start.skip)
        .fetch_all(&mut *conn)
        .await?;
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let generation = row.try_get::<i64, _>("generation")?;
        if generation != start.generation {
            return Ok(AfterMark::Stale(generation));
        }
        ids.push(row.try_get::<i64, _>("id")?);
    }
    Ok(if ids.is_empty() {
        AfterMark::Empty
    } else {
        AfterMark::Page(ids)
    })
}

/// How often taking marks on PostgreSQL tries the exclusive lock, and how long it waits
/// between tries, before it leaves the page to walk its offset.
const LOCK_TRIES: u32 = 20;
const LOCK_RETRY: std::time::Duration = std::time::Duration::from_millis(5);

/// PostgreSQL: runs the marks' `sql` (binds `after_id`, `walk`) on a snapshot that starts
/// while no ticket insert is in flight (see the module's documentation); `None` if inserts
/// kept the lock taken for [`LOCK_TRIES`] tries. The exclusive lock is only ever tried, never
/// queued for, so ticket inserts never wait behind it (and no lock cycle can form through
/// it), and it is held only until the snapshot starts. It runs as a task of its own on a
/// connection of its own, so that a request given up half-way cannot hand a connection that
/// holds the lock back to the pool; if the unlock fails the connection is closed (ending its
/// session ends the lock).
async fn read_with_no_insert_in_flight(
    pool: AnyPool,
    sql: String,
    after_id: i64,
    walk: i64,
) -> Result<Option<Vec<AnyRow>>> {
    let task = tokio::spawn(async move {
        let mut conn = pool.acquire().await?;
        let mut locked = false;
        for attempt in 0..LOCK_TRIES {
            if attempt > 0 {
                tokio::time::sleep(LOCK_RETRY).await;
            }
            locked = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(LOCK_KEY)
                .fetch_one(&mut *conn)
                .await?;
            if locked {
                break;
            }
        }
        if !locked {
            return Ok(None);
        }
        let mut unlocked = false;
        let rows = async {
            let mut tx = conn.begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
            // the transaction's first statement takes its snapshot, with the lock still held
            unlocked = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
                .bind(LOCK_KEY)
                .fetch_one(&mut *tx)
                .await?;
            let rows = sqlx::query(&sql)
                .bind(after_id)
                .bind(walk)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, crate::Error>(rows)
        }
        .await;
        if !unlocked {
            conn.close_on_drop();
        }
        rows.map(Some)
    });
    task.await
        .map_err(|e| crate::Error::Internal(format!("taking ticket list marks: {e}")))?
}
