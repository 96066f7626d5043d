//! The database behind Tandem: SQLite (default, embedded) or PostgreSQL, through sqlx's `Any`
//! driver so that every query is written once (the ticket cache's batched reads alone go
//! through each database's own driver: [`SqliteReader`], [`Store::postgres_reader`]). SQL is
//! kept to the dialect both understand (`$1` placeholders, `RETURNING`, `ON CONFLICT`); the few
//! differences go through [`Backend`].

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::Result;
use crate::storage::group_commit::{Begun, GroupCommit, Held};
use crate::storage::sqlite_reader::SqliteReader;
use crate::storage::ticket_cache::{self, TicketCache};
use crate::storage::ticket_list_marks::TicketListMarks;
use crate::storage::wal_checkpoint::Checkpointer;
use crate::storage::writer_thread::WriterThread;
use crate::storage::{search_index_queue, wal_checkpoint};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    /// Case-insensitive `LIKE`.
    pub fn ilike(self) -> &'static str {
        match self {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The URL it was opened with (PostgreSQL: for the LISTEN connection of live events).
    url: Arc<str>,
    /// SQLite has one writer at a time; taking this before `BEGIN` avoids SQLITE_BUSY on
    /// lock upgrades. PostgreSQL gets a large number of permits (row locks do the work there).
    writers: Arc<Semaphore>,
    auth_cache: Arc<crate::storage::auth_cache::AuthCache>,
    /// Settings read on every request of a kind, kept per auth generation.
    settings_cache: Arc<crate::storage::settings::SettingsCache>,
    ticket_cache: Arc<TicketCache>,
    /// SQLite: several requests' writes committed together ([`GroupCommit`]).
    group: Option<Arc<GroupCommit>>,
    /// Where deep pages of the ticket list start ([`TicketListMarks`]).
    ticket_list_marks: Arc<TicketListMarks>,
    /// SQLite: checkpoints of the write-ahead log, off the writer ([`Checkpointer`]).
    checkpointer: Option<Arc<Checkpointer>>,
    /// SQLite on a file: the ticket cache's batched reads ([`SqliteReader`]).
    sqlite_reader: Option<SqliteReader>,
    /// PostgreSQL: the ticket cache's batched reads ([`postgres_reader`]).
    postgres_reader: Option<sqlx::PgPool>,
    /// SQLite: where the busiest write use cases run ([`Store::on_writer_thread`]).
    writer_thread: Option<Arc<WriterThread>>,
}

/// A write transaction. Dropping it without `commit` rolls back, so nothing is half-stored.
pub struct WriteTx {
    // dropped before the permit: the connection is back before the next writer looks for it
    inner: Inner,
    _permit: OwnedSemaphorePermit,
    auth_cache: Arc<crate::storage::auth_cache::AuthCache>,
    ticket_cache: Arc<TicketCache>,
    backend: Backend,
    /// Batched writes: where to wait for the batch's commit.
    group: Option<(Arc<GroupCommit>, AnyPool, Arc<Semaphore>)>,
    /// SQLite: starts a checkpoint after the commit ([`Checkpointer::after_commit`]).
    checkpoint: Option<Arc<Checkpointer>>,
}

enum Inner {
    /// A transaction of its own.
    Tx(Transaction<'static, sqlx::Any>),
    /// A savepoint in the open batch ([`GroupCommit`]).
    Batched(Held),
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match &self.inner {
            Inner::Tx(tx) => tx,
            Inner::Batched(held) => held.conn(),
        }
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.inner {
            Inner::Tx(tx) => tx,
            Inner::Batched(held) => held.conn_mut(),
        }
    }
}

impl WriteTx {
    /// Commits; `Ok` once the write is durable. On SQLite with group commit the write joins
    /// the open batch and may wait for the writers queued after it ([`GroupCommit`]); a write
    /// that holds an in-process lock across its commit uses [`WriteTx::commit_at_once`].
    pub async fn commit(self) -> Result<()> {
        self.finish(false).await
    }

    /// [`WriteTx::commit`] without waiting for later writers (group commit: the open batch
    /// commits now). For writes that hold a lock a later writer may take inside its
    /// transaction — a shared-draft room's write lock (`shared_drafts::live`,
    /// `zoom::PendingWrite`) — which a batched commit would wait for forever.
    pub async fn commit_at_once(self) -> Result<()> {
        self.finish(true).await
    }

    async fn finish(self, at_once: bool) -> Result<()> {
        let WriteTx {
            inner,
            _permit: permit,
            auth_cache,
            ticket_cache,
            backend,
            group,
            checkpoint,
        } = self;
        let checkpoint = move || {
            if let Some(checkpointer) = checkpoint {
                checkpointer.after_commit();
            }
        };
        let mut tx = match inner {
            Inner::Tx(tx) => tx,
            // joins its batch, answered once the batch is durable; the batch's commit makes
            // the ticket cache forget what it changed and tells the auth cache the generation
            // it left (the task runs even if the caller goes)
            Inner::Batched(held) => {
                let (group, pool, writers) =
                    group.ok_or_else(|| crate::Error::Internal("no group commit".into()))?;
                let committed = if at_once {
                    group.commit_at_once(held, permit).await
                } else {
                    group.commit(held, permit, &pool, &writers).await
                };
                if committed.is_ok() {
                    checkpoint();
                }
                return committed;
            }
        };
        // Tickets this transaction changed (recorded by triggers): forgotten by this
        // instance's cache after the commit, by the others' through the NOTIFY announced after
        // it; and the auth generation it left (it may have changed accounts or permissions)
        let (changed, generation): (Vec<i64>, Option<u64>) = match backend {
            Backend::Postgres => {
                use crate::storage::ticket_cache::{TAKE_POSTGRES, parse_payload};
                use sqlx::Row;
                let row = sqlx::query(TAKE_POSTGRES).fetch_one(&mut *tx).await?;
                let listed: Option<String> = row.try_get("ids")?;
                let generation: i64 = row.try_get("auth_generation")?;
                (
                    listed.map(|ids| parse_payload(&ids)).unwrap_or_default(),
                    u64::try_from(generation).ok(),
                )
            }
            Backend::Sqlite => changed_and_generation(
                sqlx::query_scalar(&SQLITE_BEFORE_COMMIT)
                    .fetch_all(&mut *tx)
                    .await?,
            ),
        };
        // a COMMIT that failed may still have committed (a connection lost on the way back):
        // its tickets are forgotten and announced all the same
        let committed = tx.commit().await;
        drop(permit);
        if committed.is_ok() {
            checkpoint();
        }
        ticket_cache.forget(&changed);
        ticket_cache.announce(changed);
        match generation.filter(|_| committed.is_ok()) {
            Some(generation) => auth_cache.observe(generation),
            None => auth_cache.mark_stale(),
        }
        committed.map_err(Into::into)
    }
}

/// How long a SQLite statement waits for a lock another connection holds (ms) before it fails
/// with "database is locked".
pub(crate) const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

/// How every SQLite connection of a store reads (the pool's and the reader's,
/// [`crate::storage::sqlite_reader`]), in one batch of statements: waiting up to
/// [`SQLITE_BUSY_TIMEOUT_MS`] for a lock, pages mapped from the file (no read system call per
/// page, shared by all connections through the OS page cache; 1 GiB at most) and a larger
/// private cache per connection (32 MiB).
pub(crate) static SQLITE_READ_SETTINGS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        format!(
            "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA mmap_size = 1073741824; \
             PRAGMA cache_size = -32768"
        )
    });

/// What every SQLite write transaction runs before its `COMMIT` (one round trip): the queued
/// search rows moved into the index ([`search_index_queue`]), the tickets it changed
/// (recorded by triggers) taken for the ticket cache, returned as rows of `ticket_id`, and
/// last one row of the `auth_generation` counter as the transaction leaves it (for
/// [`AuthCache::observe`](crate::storage::auth_cache::AuthCache::observe): the requests after
/// a write need not read it again). Split the rows with [`changed_and_generation`].
pub(crate) static SQLITE_BEFORE_COMMIT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        format!(
            "{}; DELETE FROM changed_tickets RETURNING ticket_id; \
             SELECT COALESCE((SELECT value FROM counters WHERE name = 'auth_generation'), 0)",
            search_index_queue::MOVE_TO_INDEX
        )
    });

/// [`SQLITE_BEFORE_COMMIT`]'s rows: the changed tickets' ids and the auth generation (its
/// last row; `None` when the rows are not what it returns).
pub(crate) fn changed_and_generation(mut rows: Vec<i64>) -> (Vec<i64>, Option<u64>) {
    let generation = rows.pop().and_then(|g| u64::try_from(g).ok());
    (rows, generation)
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Removes SQLite's `sqlite_stat4` samples and reloads the statistics left (`sqlite_stat1`) on
/// the connection that runs it ([`Store::analyze`], [`Store::connect`]).
///
/// libsqlite3-sys builds SQLite with `SQLITE_ENABLE_STAT4`. Once `ANALYZE` has stored samples,
/// a prepared statement that compares a bound value with the leading column of an index "will
/// be automatically recompiled, as if there had been a schema change, on the first
/// sqlite3_step() call following any change to the bindings" (SQLite's `sqlite3_prepare_v2`
/// documentation): every `tickets.id = ?` (the leading column of `tickets_list`) would be parsed
/// and planned again on each execution (it was most of the statement time of a cold
/// `GET /tickets/{id}`).
/// `sqlite_stat1` (rows per index key) stays; the planner's choices rest on it.
const SQLITE_DROP_STAT4: &str = "DELETE FROM sqlite_stat4; ANALYZE sqlite_schema";

/// Whether SQLite's `sqlite_stat4` holds samples (it exists once `ANALYZE` ran).
async fn sqlite_has_stat4(conn: &mut AnyConnection) -> Result<bool> {
    let table: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat4'")
            .fetch_one(&mut *conn)
            .await?;
    if table == 0 {
        return Ok(false);
    }
    let sampled: Option<i64> = sqlx::query_scalar("SELECT 1 FROM sqlite_stat4 LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(sampled.is_some())
}

impl Store {
    /// Connects, creating the SQLite file (and its directory) when missing, and runs migrations.
    /// SQLite: `sqlite_stat4` samples a past `ANALYZE` left are removed ([`SQLITE_DROP_STAT4`]).
    /// On SQLite concurrent writes share their commits ([`Store::connect_with_group_commit`]).
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with_group_commit(url, true).await
    }

    /// [`Store::connect`]; on SQLite with `group_commit`, concurrent writes share their commits
    /// ([`GroupCommit`]: one `fsync` for a batch, each write answered once its batch is
    /// durable); without, every write is a transaction of its own (`--sqlite-group-commit=0`).
    /// A batched commit waits for the writers queued after it, so a write that holds an
    /// in-process lock across its commit commits with [`WriteTx::commit_at_once`].
    /// PostgreSQL ignores it.
    pub async fn connect_with_group_commit(url: &str, group_commit: bool) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            crate::Error::Internal(format!(
                "unsupported database URL {url:?}: use sqlite://… or postgres://…"
            ))
        })?;
        let (options, max_connections, writers) = match backend {
            Backend::Sqlite => {
                let url = prepare_sqlite_url(url)?;
                (AnyConnectOptions::from_str(&url)?, 8, 1)
            }
            Backend::Postgres => (
                AnyConnectOptions::from_str(url)?,
                32,
                Semaphore::MAX_PERMITS,
            ),
        };
        let pool_options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .before_acquire(ping_if_idle)
            // A connection goes back to the pool outside any transaction. A dropped
            // transaction's ROLLBACK is queued on its connection; the ping runs it. One still
            // inside a transaction after that (a write dropped where sqlx cannot undo it) is
            // closed, which ends the transaction, instead of being handed out again: it would
            // hold SQLite's write lock and fail every later BEGIN.
            .after_release(|conn, _meta| {
                Box::pin(async move {
                    use sqlx::Connection;
                    if conn.is_in_transaction() {
                        conn.ping().await?;
                        if conn.is_in_transaction() {
                            tracing::warn!("a connection came back inside a transaction: closed");
                            return Ok(false);
                        }
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL for concurrent readers; synchronous=FULL so an acknowledged
                        // commit survives a power cut; foreign keys are off by default in SQLite.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = FULL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        // several statements: run unprepared, as `sqlx::raw_sql` would
                        sqlx::Executor::execute(&mut *conn, SQLITE_READ_SETTINGS.as_str()).await?;
                        // checkpoints run off the writer ([`Checkpointer`])
                        sqlx::query(wal_checkpoint::AUTOCHECKPOINT_OFF)
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query(search_index_queue::CREATE)
                            .execute(&mut *conn)
                            .await?;
                    } else {
                        // No JIT compilation: Tandem's statements take milliseconds, and
                        // PostgreSQL compiles a statement whose estimated cost passes
                        // `jit_above_cost` (a correlated lookup per index match easily does)
                        // for 100–200 ms before running it.
                        sqlx::query("SET jit = off").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        let pool = match backend {
            // opened below, the first on the writer thread
            Backend::Sqlite => pool_options.connect_lazy_with(options),
            Backend::Postgres => pool_options.connect_with(options).await?,
        };
        // PostgreSQL: serves once listening for other instances' changes (below).
        let ticket_cache = Arc::new(match backend {
            Backend::Sqlite => TicketCache::new(true, ticket_cache::SQLITE_BATCH_READERS),
            Backend::Postgres => TicketCache::new(false, ticket_cache::POSTGRES_BATCH_READERS)
                .with_max_age(ticket_cache::POSTGRES_MAX_AGE),
        });
        let auth_cache: Arc<crate::storage::auth_cache::AuthCache> = Arc::default();
        let writers = Arc::new(Semaphore::new(writers));
        let group = (group_commit && backend == Backend::Sqlite)
            .then(|| Arc::new(GroupCommit::new(ticket_cache.clone(), auth_cache.clone())));
        let checkpointer = (backend == Backend::Sqlite).then(|| {
            Arc::new(Checkpointer::new(
                pool.clone(),
                writers.clone(),
                group.clone(),
            ))
        });
        let mut store = Store {
            pool,
            backend,
            url: Arc::from(url),
            writers,
            auth_cache: auth_cache.clone(),
            settings_cache: Arc::default(),
            ticket_cache: ticket_cache.clone(),
            group,
            ticket_list_marks: Arc::default(),
            checkpointer,
            sqlite_reader: None,
            postgres_reader: match backend {
                Backend::Postgres => Some(postgres_reader(url)?),
                Backend::Sqlite => None,
            },
            writer_thread: match backend {
                // pinned to a CPU only for the group's writer connection (opened below)
                Backend::Sqlite => Some(Arc::new(WriterThread::start(group_commit)?)),
                Backend::Postgres => None,
            },
        };
        if backend == Backend::Sqlite {
            // The store's first connection (the pool is lazy, `min_connections` 0: nothing
            // opened one before), before any other has loaded the statistics: it removes the
            // `sqlite_stat4` samples. Opened on the writer thread: with group commit it is the
            // writer connection, and sqlx's SQLite thread of it runs on the writer thread's CPU
            // ([`WriterThread`]; without group commit the thread is not pinned).
            let pool = store.pool.clone();
            let mut conn = store
                .on_writer_thread(async move { Ok(pool.acquire().await?) })
                .await?;
            if sqlite_has_stat4(&mut conn).await? {
                tracing::info!("SQLite: sqlite_stat4 samples removed (sqlite_stat1 kept)");
                sqlx::raw_sql(SQLITE_DROP_STAT4).execute(&mut *conn).await?;
            }
            if let Some(group) = &store.group {
                group.keep_connection(conn);
            }
        }
        store.migrate().await?;
        if backend == Backend::Sqlite
            && let Some(file) = crate::storage::sqlite_reader::file_of_url(url)
        {
            // after the migrations: the reader opens an existing, current database
            match SqliteReader::open(&file) {
                Ok(reader) => store.sqlite_reader = Some(reader),
                Err(e) => tracing::warn!(error = %e, "ticket reads through the pool"),
            }
        }
        if backend == Backend::Postgres {
            crate::storage::ticket_cache::start_announcing(&store);
        }
        if backend == Backend::Postgres
            && let Err(e) = crate::storage::ticket_cache::listen_postgres(&store).await
        {
            tracing::warn!(error = %e, "ticket cache off: cannot LISTEN for changes");
        }
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| crate::Error::Internal(format!("migration failed: {e}")))?;
        // case-folded columns a migration could fill only with SQL's lower()
        crate::storage::text::refold_listed(&self.pool).await
    }

    /// Refreshes the query planner's statistics of every table (`ANALYZE`), in a write
    /// transaction. SQLite keeps no `sqlite_stat4` samples ([`SQLITE_DROP_STAT4`] says why);
    /// PostgreSQL's autovacuum does the same on its own. For a quiet moment (after a bulk
    /// import): it reads every index.
    pub async fn analyze(&self) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("ANALYZE").execute(&mut *tx).await?;
        if self.backend == Backend::Sqlite && sqlite_has_stat4(&mut tx).await? {
            sqlx::raw_sql(SQLITE_DROP_STAT4).execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn auth_cache(&self) -> &crate::storage::auth_cache::AuthCache {
        &self.auth_cache
    }

    /// See [`crate::storage::settings::cached`].
    pub fn settings_cache(&self) -> &crate::storage::settings::SettingsCache {
        &self.settings_cache
    }

    pub fn ticket_cache(&self) -> &TicketCache {
        &self.ticket_cache
    }

    pub fn ticket_list_marks(&self) -> &TicketListMarks {
        &self.ticket_list_marks
    }

    /// The store with other page marks (tests: a small stride).
    pub fn with_ticket_list_marks(mut self, marks: TicketListMarks) -> Store {
        self.ticket_list_marks = Arc::new(marks);
        self
    }

    /// SQLite on a file: the read-only connection of the ticket cache's batched reads.
    pub fn sqlite_reader(&self) -> Option<&SqliteReader> {
        self.sqlite_reader.as_ref()
    }

    /// PostgreSQL: the connections of the ticket cache's batched reads ([`postgres_reader`]).
    pub fn postgres_reader(&self) -> Option<&sqlx::PgPool> {
        self.postgres_reader.as_ref()
    }

    pub(crate) fn ticket_cache_arc(&self) -> &Arc<TicketCache> {
        &self.ticket_cache
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Runs a write use case (`work`, which takes its write with [`Store::write`]) on the
    /// store's writer thread on SQLite ([`WriterThread`] says why: the write's turn then lasts
    /// as long as its statements), right here on PostgreSQL. `work` owns what it needs and
    /// goes on if the caller goes away. Errors: `work`'s own, or [`crate::Error::Internal`]
    /// when it panicked.
    pub async fn on_writer_thread<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        match &self.writer_thread {
            Some(thread) => thread.run(work).await,
            None => work.await,
        }
    }

    /// SQLite with group commit: the CPU its writer thread and writer connection are pinned
    /// to ([`WriterThread::cpu`]); `None` on PostgreSQL, without group commit, or when they
    /// are not pinned.
    pub fn writer_cpu(&self) -> Option<usize> {
        self.writer_thread.as_ref().and_then(|thread| thread.cpu())
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts the one transaction a request writes in. On SQLite it is a savepoint in a batch
    /// that several writers share ([`GroupCommit`]): `commit` returns once the batch is
    /// committed, so one `fsync` serves all of them and every acknowledged write is durable.
    pub async fn write(&self) -> Result<WriteTx> {
        let permit = self
            .writers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| crate::Error::Internal("store is closing".into()))?;
        // SQLite: take the write lock at BEGIN, so a transaction never has to upgrade a stale
        // read snapshot (which fails at once with SQLITE_BUSY instead of waiting).
        // BEGIN runs in a task of its own, so that a request dropped while it waits (the client
        // went away, a navigation aborted a server-function call) cannot cancel it half-way:
        // sqlx's `begin_with` awaits once more after its BEGIN ran, and a drop there would
        // return the connection to the pool inside a transaction holding SQLite's write lock.
        // A transaction the dropped caller never receives is rolled back like any unused one.
        if let Some(group) = &self.group {
            let Begun { held, permit } = group.begin(&self.pool, permit).await?;
            return Ok(WriteTx {
                inner: Inner::Batched(held),
                _permit: permit,
                auth_cache: self.auth_cache.clone(),
                ticket_cache: self.ticket_cache.clone(),
                backend: self.backend,
                group: Some((group.clone(), self.pool.clone(), self.writers.clone())),
                checkpoint: self.checkpointer.clone(),
            });
        }
        let pool = self.pool.clone();
        let backend = self.backend;
        let tx = tokio::spawn(async move {
            match backend {
                Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
                Backend::Postgres => pool.begin().await,
            }
        })
        .await
        .map_err(|e| crate::Error::Internal(format!("BEGIN did not finish: {e}")))??;
        Ok(WriteTx {
            inner: Inner::Tx(tx),
            _permit: permit,
            auth_cache: self.auth_cache.clone(),
            ticket_cache: self.ticket_cache.clone(),
            backend: self.backend,
            group: None,
            checkpoint: self.checkpointer.clone(),
        })
    }

    /// SQLite: the write-ahead log's checkpoints ([`Checkpointer`]).
    pub fn checkpointer(&self) -> Option<&Checkpointer> {
        self.checkpointer.as_deref()
    }

    /// Runs `work` in one write transaction ([`Store::write`]) and commits when it returns
    /// `Ok`; an `Err` rolls everything back and is returned as it is. For use cases with nothing
    /// to do after the commit (no live events, no files to remove): the admin records, sessions.
    pub async fn in_write<T>(
        &self,
        work: impl AsyncFnOnce(&mut AnyConnection) -> Result<T>,
    ) -> Result<T> {
        let mut tx = self.write().await?;
        let value = work(&mut tx).await?;
        tx.commit().await?;
        Ok(value)
    }

    /// Ends the store: what the ticket cache still has to announce to the other instances is
    /// sent ([`TicketCache::finish_announcing`]), SQLite's open batch of writes commits, and
    /// the pools close.
    pub async fn close(&self) {
        self.ticket_cache.finish_announcing().await;
        if let Some(group) = &self.group
            && let Ok(_permit) = self.writers.acquire().await
        {
            group.close(&self.pool).await;
        }
        self.pool.close().await;
        if let Some(reader) = &self.postgres_reader {
            reader.close().await;
        }
    }
}

/// PostgreSQL: a pool of its own for the ticket cache's batched reads
/// (`tickets::load_many_postgres`), one connection per batch reader
/// ([`ticket_cache::POSTGRES_BATCH_READERS`]), opened on first use. Through PostgreSQL's own
/// sqlx driver, not `Any`: a batch binds its ids as one array (one prepared statement for
/// every batch size), and its rows are decoded once instead of copied into `AnyRow`s first;
/// without the main pool's hook on every return. Pinged as the main pool's connections are
/// ([`ping_if_idle`]). Errors: `url` is not a PostgreSQL URL.
fn postgres_reader(url: &str) -> Result<sqlx::PgPool> {
    // no JIT compilation, as on the main pool's connections (sent with the connection's start-up)
    let options = sqlx::postgres::PgConnectOptions::from_str(url)?.options([("jit", "off")]);
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(ticket_cache::POSTGRES_BATCH_READERS as u32)
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .before_acquire(ping_if_idle)
        .connect_lazy_with(options))
}

/// A pool's check of a connection before it is handed out: pings it (a round trip) only when it
/// sat idle for more than 5 s (the database may have restarted since); a ping before every
/// checkout would cost a round trip per request. Errors: the ping failed (the pool opens
/// another connection).
fn ping_if_idle<C: sqlx::Connection>(
    conn: &mut C,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = sqlx::Result<bool>> + Send + '_>> {
    Box::pin(async move {
        if meta.idle_for > Duration::from_secs(5) {
            conn.ping().await?;
        }
        Ok(true)
    })
}

/// Makes sure the directory of a SQLite file exists and the file is created on first use.
fn prepare_sqlite_url(url: &str) -> Result<String> {
    if let Some(path) = crate::storage::sqlite_reader::file_of_url(url)
        && let Some(dir) = std::path::Path::new(&path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| crate::Error::Internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    Ok(if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// Whether a connection talks to PostgreSQL (for the few dialect differences).
pub fn is_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("postgresql")
}

/// `1,2,3` for `IN (…)`: ids are integers, so they are written into the SQL (no bind limit;
/// run such statements with `.persistent(false)` so they don't crowd the statement cache).
pub fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    ids.into_iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(",")
}
