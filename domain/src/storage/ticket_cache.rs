//! Tickets recently read, kept in memory so that `GET /tickets/{id}` costs no database round
//! trip when the ticket has not changed. The values are whatever the ticket context stores per
//! ticket id (the ticket context's `CachedTicket`); this module only keeps them in step with
//! the commits.
//!
//! Nothing can change a ticket without the cache hearing of it: database triggers record every
//! updated or deleted ticket inside the writing transaction (SQLite: rows of `changed_tickets`;
//! PostgreSQL: the transaction-local setting `tandem.changed_tickets`, migration 0028), and
//! [`crate::storage::store::WriteTx::commit`] takes those ids in the transaction's last
//! statement and makes this cache forget them once the commit is done. Other instances hear of
//! them through a PostgreSQL `NOTIFY` sent after the commit ([`TicketCache::announce`]); while
//! an instance is not listening, its cache is switched off. On PostgreSQL a cache serves
//! nothing older than [`POSTGRES_MAX_AGE`]: the bound for a change no `NOTIFY` told of (an
//! instance that stopped between a commit and its `NOTIFY`, a write made outside Tandem). A reader
//! that loaded a ticket while some ticket was forgotten does not store what it read (it may be
//! from before the commit).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::any::Any;
use std::future::Future;

use tokio::sync::oneshot;

/// Entries kept at most; when full, the cache starts again empty (simple, and a full cache
/// of hot tickets refills in moments).
const CAPACITY: usize = 50_000;

/// PostgreSQL channel for changed ticket ids (`*` = every ticket).
pub const CHANNEL: &str = "tandem_ticket_cache";

/// PostgreSQL: how long a ticket is served from the cache at most (after that it is read
/// again). The other instances hear of a commit's changes from a `NOTIFY` sent after it
/// ([`TicketCache::announce`]); an instance that stops between its commit and that `NOTIFY`
/// leaves them with what they had read before, for at most this long.
pub const POSTGRES_MAX_AGE: Duration = Duration::from_secs(10);

/// Changed tickets waiting to be announced ([`TicketCache::announce`]) kept at most; more make
/// the next announcement `*` (every ticket).
const UNANNOUNCED_LIMIT: usize = 4_096;

/// The `NOTIFY` of an announcement ([`send_announcements`]), `$1` the channel, `$2` the
/// payload. Its transaction writes nothing but the notification, which is delivered at its
/// commit whether or not the commit is durable (a crashed server drops its listeners'
/// connections, and they start over empty): with `synchronous_commit` off it does not hold
/// PostgreSQL's notification lock through an `fsync`.
pub const NOTIFY_POSTGRES: &str =
    "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)";

#[derive(Debug, Default)]
struct Inner {
    /// Moves on every forget: a load that saw another value may be stale.
    epoch: u64,
    /// Each value with the moment it was stored.
    entries: Entries,
}

/// The cached values by ticket id, each with the moment it was stored (also what
/// [`Inner::empty`] takes out of the cache).
type Entries = HashMap<i64, (Instant, Arc<dyn Any + Send + Sync>)>;

impl Inner {
    /// Empties the cache, keeping its map's capacity (no re-hashing as it refills), and
    /// answers what it held, for the caller to drop after the lock: freeing 50,000 tickets
    /// takes milliseconds, during which every other request's lookup would wait.
    fn empty(&mut self) -> Entries {
        let capacity = self.entries.capacity();
        std::mem::replace(&mut self.entries, HashMap::with_capacity(capacity))
    }
}

/// What a waiter of a batched read gets: the value (`None`: no such ticket), or `Err` when the
/// batch's read failed (the waiter reads on its own, to get its own error).
type BatchAnswer = std::result::Result<Option<Arc<dyn Any + Send + Sync>>, ()>;

/// Ticket ids waiting for a batched read ([`TicketCache::read_batched`]) and how many batch
/// readers run.
#[derive(Debug, Default)]
struct Pending {
    waiters: Vec<(i64, oneshot::Sender<BatchAnswer>)>,
    readers: usize,
}

/// Batch readers running at once on SQLite; each reads up to [`BATCH_SIZE`] waiting tickets
/// at a time, so concurrent misses share round trips instead of each taking its own.
/// SQLite's read of a ticket is short next to the hand-over to a connection's thread and
/// back, so one reader (longer batches, fewer hand-overs) serves more misses (through sqlx:
/// uniform reads of 100,000 tickets 19.7–20.2 % of the trivial handler against 17.9–18.7 %
/// with two); the store's one reader connection
/// ([`crate::storage::sqlite_reader::SqliteReader`]) runs one batch at a time anyway.
pub const SQLITE_BATCH_READERS: usize = 1;
/// [`SQLITE_BATCH_READERS`] on PostgreSQL, whose read waits for a round trip to the server:
/// a second reader keeps reading meanwhile (on the store's reader pool,
/// `tickets::load_many_postgres`: 32.5 % of the trivial handler against 30.6 % with one and
/// 23.1 % with three, whose extra batches read one ticket each).
pub const POSTGRES_BATCH_READERS: usize = 2;
/// Tickets read by one statement at most.
pub const BATCH_SIZE: usize = 64;

/// Tickets this instance's commits changed that [`send_announcements`] has yet to announce.
#[derive(Debug, Default)]
struct Unannounced {
    ids: Vec<i64>,
    /// Every ticket (id 0 among them, or more than [`UNANNOUNCED_LIMIT`] ids).
    every: bool,
    /// The store is closing: the task sends what is left and ends.
    closing: bool,
}

#[derive(Debug)]
pub struct TicketCache {
    inner: Mutex<Inner>,
    enabled: AtomicBool,
    pending: Mutex<Pending>,
    /// Batch reads at once ([`SQLITE_BATCH_READERS`], [`POSTGRES_BATCH_READERS`]).
    readers: usize,
    /// Served at most this long after it was stored (`None`: until forgotten).
    max_age: Option<Duration>,
    /// PostgreSQL: what the announcing task ([`start_announcing`]) has yet to send, the
    /// wake-up it waits for, and the task (`None` before it starts and once it was awaited).
    unannounced: Mutex<Unannounced>,
    wake_announcer: Arc<tokio::sync::Notify>,
    announcer: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Whether the announcing task was started (announcements are kept from then on).
    announcing: AtomicBool,
}

impl Drop for TicketCache {
    fn drop(&mut self) {
        // the announcing task holds no reference to the cache while it waits: woken, it finds
        // the cache gone and ends
        self.wake_announcer.notify_one();
    }
}

impl TicketCache {
    /// `enabled`: whether it may serve at once (SQLite: yes; PostgreSQL: once listening);
    /// `readers`: batch reads at once (at least one).
    pub fn new(enabled: bool, readers: usize) -> TicketCache {
        TicketCache {
            inner: Mutex::default(),
            enabled: AtomicBool::new(enabled),
            pending: Mutex::default(),
            readers: readers.max(1),
            max_age: None,
            unannounced: Mutex::default(),
            wake_announcer: Arc::default(),
            announcer: Mutex::default(),
            announcing: AtomicBool::new(false),
        }
    }

    /// Serves a value at most `max_age` after it was stored ([`POSTGRES_MAX_AGE`]).
    pub fn with_max_age(mut self, max_age: Duration) -> TicketCache {
        self.max_age = Some(max_age);
        self
    }

    /// Reads ticket `id` together with the other tickets missed at the same time. Every
    /// caller queues its id. While fewer than its `readers` read, the caller reads itself:
    /// after letting the tasks ready now run once (those that miss as well join the batch),
    /// the queue's first [`BATCH_SIZE`] ids with one call of `read` (ids sorted, without
    /// repeats → the rows found, as `(id, value)`), storing what it read (as
    /// [`TicketCache::put`]) and answering their callers, until its own id is answered; ids
    /// still queued then are left to a reader task. Otherwise it waits for a reader. Alone, a
    /// caller reads just its own id in its own task; under load, concurrent misses share
    /// statements. A batch's read starts after each of its ids was queued, so it sees every
    /// commit that ended before its callers asked.
    ///
    /// `Ok(None)`: no such ticket. `Err(())`: the batch's read failed or its reader stopped
    /// (a panic, a cancelled request); the caller reads on its own (and gets its own error).
    pub async fn read_batched<T, R, F>(
        self: &Arc<Self>,
        id: i64,
        read: R,
    ) -> std::result::Result<Option<Arc<T>>, ()>
    where
        T: Any + Send + Sync,
        R: Fn(Vec<i64>) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = crate::Result<Vec<(i64, T)>>> + Send + 'static,
    {
        let (sender, mut receiver) = oneshot::channel();
        let lead = {
            let mut pending = lock(&self.pending);
            pending.waiters.push((id, sender));
            let lead = pending.readers < self.readers;
            if lead {
                pending.readers += 1;
            }
            lead
        };
        let answer = if lead {
            let mut reader = Reader {
                cache: self,
                done: false,
            };
            let answer = loop {
                match receiver.try_recv() {
                    Ok(answer) => break answer,
                    Err(oneshot::error::TryRecvError::Closed) => break Err(()),
                    Err(oneshot::error::TryRecvError::Empty) => {
                        if !read_batch(self, &read).await {
                            // another reader took this id and answers it
                            break (&mut receiver).await.unwrap_or(Err(()));
                        }
                    }
                }
            };
            let more = {
                let mut pending = lock(&self.pending);
                let more = !pending.waiters.is_empty();
                if !more {
                    pending.readers -= 1;
                }
                more
            };
            reader.done = true;
            if more {
                // this reader's place goes to a task that reads the rest
                tokio::spawn(read_batches(self.clone(), read));
            }
            answer
        } else {
            receiver.await.unwrap_or(Err(()))
        };
        match answer {
            Ok(Some(value)) => value.downcast::<T>().map(Some).map_err(|_| ()),
            Ok(None) => Ok(None),
            Err(()) => Err(()),
        }
    }

    /// What is cached for ticket `id`, of whatever type the reader stored.
    pub fn get(&self, id: i64) -> Option<Arc<dyn Any + Send + Sync>> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        let inner = self.inner.lock().ok()?;
        let (stored, value) = inner.entries.get(&id)?;
        if self.max_age.is_some_and(|max| stored.elapsed() >= max) {
            return None;
        }
        Some(value.clone())
    }

    /// [`TicketCache::get`] as the type `T` it was stored as (None for another type).
    pub fn get_as<T: Any + Send + Sync>(&self, id: i64) -> Option<Arc<T>> {
        self.get(id)?.downcast::<T>().ok()
    }

    /// Take before reading a ticket from the database; hand to [`TicketCache::put`].
    pub fn epoch(&self) -> u64 {
        self.inner.lock().map(|i| i.epoch).unwrap_or(u64::MAX)
    }

    /// Stores what was read, unless anything was forgotten since `epoch` was taken.
    pub fn put<T: Any + Send + Sync>(&self, epoch: u64, id: i64, value: T) -> Arc<T> {
        let ticket = Arc::new(value);
        let mut full = None;
        if self.enabled.load(Ordering::Acquire)
            && let Ok(mut inner) = self.inner.lock()
            && inner.epoch == epoch
        {
            if inner.entries.len() >= CAPACITY {
                full = Some(inner.empty());
            }
            inner.entries.insert(id, (Instant::now(), ticket.clone()));
        }
        drop(full);
        ticket
    }

    /// These tickets changed (id 0: every ticket may have).
    pub fn forget(&self, ids: &[i64]) {
        if ids.is_empty() {
            return;
        }
        let mut every = None;
        if let Ok(mut inner) = self.inner.lock() {
            inner.epoch += 1;
            if ids.contains(&0) {
                every = Some(inner.empty());
            } else {
                for id in ids {
                    inner.entries.remove(id);
                }
            }
        }
        drop(every);
    }

    pub fn forget_all(&self) {
        self.forget(&[0]);
    }

    /// PostgreSQL: tells the other instances that these tickets changed (id 0: every ticket),
    /// after the commit that changed them: kept for the task [`start_announcing`] started,
    /// which sends whatever was kept meanwhile as one `NOTIFY` ([`payload`]); more than
    /// [`UNANNOUNCED_LIMIT`] ids waiting go as `*`. Nothing without that task (SQLite).
    pub fn announce(&self, ids: Vec<i64>) {
        if ids.is_empty() || !self.announcing.load(Ordering::Acquire) {
            return;
        }
        // only the new ids are looked at for ticket 0: the waiting ones were, when they came
        let every = ids.contains(&0);
        {
            let mut unannounced = lock(&self.unannounced);
            if !unannounced.every {
                unannounced.ids.extend(ids);
                if every || unannounced.ids.len() > UNANNOUNCED_LIMIT {
                    unannounced.every = true;
                    unannounced.ids = Vec::new();
                }
            }
        }
        self.wake_announcer.notify_one();
    }

    /// Sends what is still to be announced to the other instances and ends the announcing
    /// task: for the end of the store ([`crate::Store::close`]), before its pool closes, so
    /// that a short-lived process (`tandem mail deliver`) does not end before its changes
    /// were announced. A commit after it is announced to no one (its tickets are served
    /// elsewhere up to [`POSTGRES_MAX_AGE`] as they were).
    pub async fn finish_announcing(&self) {
        lock(&self.unannounced).closing = true;
        self.wake_announcer.notify_one();
        let task = lock(&self.announcer).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// Switches serving off (empty) or on.
    pub fn set_enabled(&self, enabled: bool) {
        self.forget_all();
        self.enabled.store(enabled, Ordering::Release);
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A reader's place among the cache's `readers`. Given up without `done` (a panic in the
/// read, a cancelled request), it lets the waiters of its batch and, if no other reader runs,
/// the queued ones read on their own.
struct Reader<'a> {
    cache: &'a TicketCache,
    done: bool,
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut pending = lock(&self.cache.pending);
        pending.readers -= 1;
        if pending.readers == 0 {
            // dropping the senders answers the waiters `Err`
            pending.waiters.clear();
        }
    }
}

/// A reader task ([`TicketCache::read_batched`]): reads batches until the queue is empty.
async fn read_batches<T, R, F>(cache: Arc<TicketCache>, read: R)
where
    T: Any + Send + Sync,
    R: Fn(Vec<i64>) -> F,
    F: Future<Output = crate::Result<Vec<(i64, T)>>>,
{
    let mut reader = Reader {
        cache: &cache,
        done: false,
    };
    loop {
        {
            let mut pending = lock(&cache.pending);
            if pending.waiters.is_empty() {
                // in the same lock as the queue was found empty: a caller queued after
                // this reads itself
                pending.readers -= 1;
                reader.done = true;
                return;
            }
        }
        read_batch(&cache, &read).await;
    }
}

/// Reads the first [`BATCH_SIZE`] queued ids with one call of `read` and answers their
/// callers; `false` when none was queued.
async fn read_batch<T, R, F>(cache: &TicketCache, read: &R) -> bool
where
    T: Any + Send + Sync,
    R: Fn(Vec<i64>) -> F,
    F: Future<Output = crate::Result<Vec<(i64, T)>>>,
{
    // Once behind the tasks ready now: those that miss too join this batch instead of the
    // next (PostgreSQL, uniform reads of 100,000 tickets: two thirds of the batches read one
    // ticket without it; 32.5–32.8 % of the trivial handler against 28.1–28.6 %; SQLite
    // 41.5–41.9 % against 38.7–39.7 %). Alone, a caller is back at once.
    tokio::task::yield_now().await;
    let batch: Vec<_> = {
        let mut pending = lock(&cache.pending);
        let n = pending.waiters.len().min(BATCH_SIZE);
        pending.waiters.drain(..n).collect()
    };
    if batch.is_empty() {
        return false;
    }
    let mut ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let epoch = cache.epoch();
    match read(ids).await {
        Ok(rows) => {
            let found: HashMap<i64, Arc<T>> = rows
                .into_iter()
                .map(|(id, value)| (id, cache.put(epoch, id, value)))
                .collect();
            for (id, sender) in batch {
                let value = found
                    .get(&id)
                    .map(|v| v.clone() as Arc<dyn Any + Send + Sync>);
                let _ = sender.send(Ok(value));
            }
        }
        Err(_) => {
            for (_, sender) in batch {
                let _ = sender.send(Err(()));
            }
        }
    }
    true
}

/// PostgreSQL, the last statement of a write transaction (one round trip): the tickets it
/// changed, as the triggers listed them in the transaction-local setting
/// `tandem.changed_tickets` (migration 0028), and the auth generation. Answers one row: `ids`,
/// `NULL` when no ticket changed, else the ids (`3,4`) or `*` (every ticket: a state changed,
/// or the list would have grown past [`PAYLOAD_LIMIT`]), for [`parse_payload`]; and `auth_generation`, the counter as the
/// transaction sees it after its own changes (for
/// [`AuthCache::observe`](crate::storage::auth_cache::AuthCache::observe)). The other
/// instances hear of the ids after the commit ([`TicketCache::announce`]): a `NOTIFY` in the
/// transaction would hold PostgreSQL's one notification lock from its commit until the commit
/// is durable, so every writing transaction of every instance would wait for the others'
/// `fsync` in turn (articles: 1,500 against 2,700 transactions a second, `pgbench` with 32
/// clients on the benchmark's database).
pub const TAKE_POSTGRES: &str = "SELECT NULLIF(current_setting('tandem.changed_tickets', true), '') AS ids, \
     COALESCE((SELECT value FROM counters WHERE name = 'auth_generation'), 0) AS auth_generation";

/// The longest id list a change notification carries; longer ones say `*` (PostgreSQL's
/// payloads end at 8,000 bytes).
pub const PAYLOAD_LIMIT: i64 = 7_000;

/// The payload of a change notification for these ids (id 0: every ticket): the ids sorted,
/// once each, comma-separated (`3,4`), or `*` when ticket 0 is among them or the list is
/// longer than [`PAYLOAD_LIMIT`] characters. [`parse_payload`] reads it.
pub fn payload(ids: &[i64]) -> String {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.contains(&0) {
        return "*".into();
    }
    let listed = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    if listed.len() as i64 > PAYLOAD_LIMIT {
        "*".into()
    } else {
        listed
    }
}

/// The ids of a change notification (`*` → `[0]`, every ticket).
pub fn parse_payload(payload: &str) -> Vec<i64> {
    if payload == "*" {
        return vec![0];
    }
    let ids: Option<Vec<i64>> = payload.split(',').map(|s| s.parse().ok()).collect();
    ids.unwrap_or_else(|| vec![0])
}

/// PostgreSQL: starts the task that tells the other instances which tickets this one's commits
/// changed ([`TicketCache::announce`], [`send_announcements`]), whether or not this instance
/// can listen to theirs. Once per store.
pub fn start_announcing(store: &crate::Store) {
    let cache = store.ticket_cache_arc();
    if cache.announcing.swap(true, Ordering::AcqRel) {
        return;
    }
    let task = tokio::spawn(send_announcements(
        store.pool().clone(),
        Arc::downgrade(cache),
        cache.wake_announcer.clone(),
    ));
    *lock(&cache.announcer) = Some(task);
}

/// PostgreSQL: listens for other instances' changes for as long as the store lives. The cache
/// serves only while the LISTEN connection is up; after a lost connection it starts empty.
pub async fn listen_postgres(store: &crate::Store) -> crate::Result<()> {
    let mut listener = sqlx::postgres::PgListener::connect(store.url()).await?;
    listener.listen(CHANNEL).await?;
    let weak = Arc::downgrade(store.ticket_cache_arc());
    let url = store.url().to_string();
    store.ticket_cache().set_enabled(true);
    tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    let Some(cache) = weak.upgrade() else { break };
                    cache.forget(&parse_payload(notification.payload()));
                }
                // the connection was lost: changes may be missed until listening again
                lost => {
                    let Some(cache) = weak.upgrade() else { break };
                    cache.set_enabled(false);
                    drop(cache);
                    let error = lost.err().map(|e| e.to_string()).unwrap_or_default();
                    tracing::warn!(%error, "ticket cache: LISTEN connection lost; cache off until back");
                    loop {
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        if weak.strong_count() == 0 {
                            return;
                        }
                        let Ok(mut fresh) = sqlx::postgres::PgListener::connect(&url).await else {
                            continue;
                        };
                        if fresh.listen(CHANNEL).await.is_ok() {
                            listener = fresh;
                            break;
                        }
                    }
                    if let Some(cache) = weak.upgrade() {
                        tracing::info!("ticket cache: listening again, cache on");
                        cache.set_enabled(true);
                    }
                }
            }
        }
    });
    Ok(())
}

/// The task that tells the other instances which tickets this one changed: whatever was
/// kept while the last `NOTIFY` ran goes out together ([`payload`], [`NOTIFY_POSTGRES`]). A
/// failed `NOTIFY` is sent again as `*` a second later, until it goes through (the others'
/// caches serve at most [`POSTGRES_MAX_AGE`] meanwhile). Ends with the cache, or once nothing
/// is left after [`TicketCache::finish_announcing`] (then a failed `NOTIFY` is not tried
/// again).
async fn send_announcements(
    pool: sqlx::AnyPool,
    cache: std::sync::Weak<TicketCache>,
    wake: Arc<tokio::sync::Notify>,
) {
    loop {
        let (announced, closing) = {
            let Some(cache) = cache.upgrade() else { return };
            let mut unannounced = lock(&cache.unannounced);
            let announced = if unannounced.every {
                Some("*".to_string())
            } else if unannounced.ids.is_empty() {
                None
            } else {
                Some(payload(&unannounced.ids))
            };
            unannounced.ids = Vec::new();
            unannounced.every = false;
            (announced, unannounced.closing)
        };
        match announced {
            Some(announced) => {
                if !notify_until_sent(&pool, &cache, announced).await {
                    return;
                }
            }
            None if closing => return,
            None => wake.notified().await,
        }
    }
}

/// Sends one announcement ([`send_announcements`]); a failed `NOTIFY` again as `*` a second
/// later. `false`: the store is closing or gone and the last attempt failed, or the pool is
/// closed (nothing more is sent).
async fn notify_until_sent(
    pool: &sqlx::AnyPool,
    cache: &std::sync::Weak<TicketCache>,
    mut announced: String,
) -> bool {
    loop {
        let sent = sqlx::query(NOTIFY_POSTGRES)
            .bind(CHANNEL)
            .bind(&announced)
            .execute(pool)
            .await;
        match sent {
            Ok(_) => return true,
            Err(sqlx::Error::PoolClosed) => return false,
            Err(e) => {
                tracing::warn!(error = %e, "ticket cache: NOTIFY failed; again in a second, as every ticket");
                // the store is closing (or gone): no second attempt holds it up
                let closing = cache
                    .upgrade()
                    .is_none_or(|cache| lock(&cache.unannounced).closing);
                if closing {
                    return false;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                announced = "*".into();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::AtomicUsize;

    type Read = futures::future::BoxFuture<'static, crate::Result<Vec<(i64, i64)>>>;

    /// A read that answers every even id (`id * 10`) after yielding once (so that other
    /// callers queue meanwhile), counting its calls and the most ids one call read.
    fn even_ids(
        calls: Arc<AtomicUsize>,
        widest: Arc<AtomicUsize>,
    ) -> impl Fn(Vec<i64>) -> Read + Clone + Send + Sync + 'static {
        move |ids: Vec<i64>| {
            calls.fetch_add(1, Ordering::SeqCst);
            widest.fetch_max(ids.len(), Ordering::SeqCst);
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
            Box::pin(async move {
                tokio::task::yield_now().await;
                Ok(ids
                    .into_iter()
                    .filter(|id| id % 2 == 0)
                    .map(|id| (id, id * 10))
                    .collect())
            })
        }
    }

    /// On one thread, the first callers read and the others queue meanwhile: 400 callers
    /// (200 ids) take the leaders' reads plus reads of at most `BATCH_SIZE` queued ids.
    #[tokio::test]
    async fn concurrent_misses_share_reads() {
        for readers in [SQLITE_BATCH_READERS, POSTGRES_BATCH_READERS] {
            let cache = Arc::new(TicketCache::new(true, readers));
            let (calls, widest) = (Arc::default(), Arc::default());
            let read = even_ids(Arc::clone(&calls), Arc::clone(&widest));
            // 400 callers, each id twice
            let answers = futures::future::join_all((0..400i64).map(|i| {
                let (cache, read) = (cache.clone(), read.clone());
                async move { (i / 2, cache.read_batched(i / 2, read).await) }
            }))
            .await;
            for (id, answer) in answers {
                let expected = (id % 2 == 0).then_some(id * 10);
                assert_eq!(
                    answer.map(|v| v.map(|v: Arc<i64>| *v)),
                    Ok(expected),
                    "{readers} readers: {id}"
                );
            }
            let calls = calls.load(Ordering::SeqCst);
            let most = readers + (400 - readers).div_ceil(BATCH_SIZE);
            assert!(
                (1..=most).contains(&calls),
                "{readers} readers: {calls} reads"
            );
            assert!(widest.load(Ordering::SeqCst) <= BATCH_SIZE);
            // what was read is cached; the readers are gone
            assert_eq!(cache.get_as::<i64>(8).map(|v| *v), Some(80));
            assert_eq!(lock(&cache.pending).readers, 0);
        }
    }

    /// Callers on several threads: every one is answered right (none waits for an id that
    /// another reader took and answers), within seconds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn callers_on_several_threads_are_all_answered() {
        for readers in [SQLITE_BATCH_READERS, POSTGRES_BATCH_READERS] {
            callers_on_several_threads(readers).await;
        }
    }

    async fn callers_on_several_threads(readers: usize) {
        let cache = Arc::new(TicketCache::new(true, readers));
        let read = even_ids(Arc::default(), Arc::default());
        for round in 0..20i64 {
            cache.forget_all();
            let callers: Vec<_> = (0..200i64)
                .map(|i| {
                    let (cache, read) = (cache.clone(), read.clone());
                    let id = (i * 7 + round) % 50;
                    tokio::spawn(async move { (id, cache.read_batched(id, read).await) })
                })
                .collect();
            let answers = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                futures::future::join_all(callers),
            )
            .await
            .expect("every caller answered");
            for answer in answers {
                let (id, answer) = answer.unwrap();
                let expected = (id % 2 == 0).then_some(id * 10);
                assert_eq!(
                    answer.map(|v| v.map(|v: Arc<i64>| *v)),
                    Ok(expected),
                    "{id}"
                );
            }
        }
        // reader tasks end once they find the queue empty
        for _ in 0..100 {
            if lock(&cache.pending).readers == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("readers left running");
    }

    /// A caller alone reads its own id in its own task, no reader task.
    #[tokio::test]
    async fn a_lone_miss_reads_itself() {
        let cache = Arc::new(TicketCache::new(true, POSTGRES_BATCH_READERS));
        let calls = Arc::new(AtomicUsize::new(0));
        let read = even_ids(calls.clone(), Arc::default());
        for id in [2, 3, 4] {
            let answer = cache.read_batched(id, read.clone()).await;
            assert_eq!(
                answer.map(|v| v.map(|v| *v)),
                Ok((id % 2 == 0).then_some(id * 10))
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(lock(&cache.pending).readers, 0);
    }

    /// A failed read answers its batch `Err` (each caller reads alone); a read that panics
    /// fails its own caller and answers the rest `Err`, and its place is given back.
    #[tokio::test]
    async fn a_failed_or_panicking_read_lets_the_callers_read_alone() {
        let cache = Arc::new(TicketCache::new(true, POSTGRES_BATCH_READERS));
        let failing = |_: Vec<i64>| -> Read {
            Box::pin(async {
                tokio::task::yield_now().await;
                Err(crate::Error::Internal("down".into()))
            })
        };
        let answers = futures::future::join_all(
            (0..10).map(|id| cache.read_batched::<i64, _, _>(id, failing)),
        )
        .await;
        assert!(answers.iter().all(|a| a.is_err()));
        let panicking = |_: Vec<i64>| -> Read {
            Box::pin(async {
                tokio::task::yield_now().await;
                panic!("a bug in the read")
            })
        };
        let callers: Vec<_> = (0..10)
            .map(|id| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.read_batched::<i64, _, _>(id, panicking).await })
            })
            .collect();
        for caller in callers {
            match caller.await {
                Ok(answer) => assert_eq!(answer, Err(())),
                Err(e) => assert!(e.is_panic()),
            }
        }
        // the places were given back: the next read works
        assert_eq!(lock(&cache.pending).readers, 0);
        let read = even_ids(Arc::default(), Arc::default());
        let answer = cache.read_batched(2, read).await.map(|v| v.map(|v| *v));
        assert_eq!(answer, Ok(Some(20)));
    }

    #[test]
    fn payloads_parse() {
        assert_eq!(parse_payload("3,4"), vec![3, 4]);
        assert_eq!(parse_payload("*"), vec![0]);
        assert_eq!(parse_payload("garbage"), vec![0]);
    }

    /// What queued for one `NOTIFY` goes as the ids once each, sorted, or `*` for every
    /// ticket: when ticket 0 is among them, or the list is longer than a payload carries.
    #[test]
    fn announcements_carry_each_id_once() {
        assert_eq!(payload(&[4, 3, 4, 3]), "3,4");
        assert_eq!(parse_payload(&payload(&[9, 12, 9])), vec![9, 12]);
        assert_eq!(payload(&[5, 0]), "*");
        let many: Vec<i64> = (1_000_000..1_001_000).collect();
        assert_eq!(payload(&many[..875]).len(), 6_999);
        assert_eq!(parse_payload(&payload(&many[..875])), many[..875]);
        assert_eq!(payload(&many[..876]), "*");
    }

    /// With a largest age (PostgreSQL), a value is served until it is that old, then read
    /// again; without, until it is forgotten.
    #[test]
    fn values_older_than_the_largest_age_are_not_served() {
        let aging = TicketCache::new(true, 1).with_max_age(Duration::from_millis(300));
        let keeping = TicketCache::new(true, 1);
        for cache in [&aging, &keeping] {
            let epoch = cache.epoch();
            cache.put(epoch, 7, 70i64);
            assert_eq!(cache.get_as::<i64>(7).as_deref(), Some(&70));
        }
        std::thread::sleep(Duration::from_millis(320));
        assert!(aging.get(7).is_none(), "too old");
        assert_eq!(keeping.get_as::<i64>(7).as_deref(), Some(&70));
        let epoch = aging.epoch();
        aging.put(epoch, 7, 71i64);
        assert_eq!(aging.get_as::<i64>(7).as_deref(), Some(&71), "read again");
    }
}
