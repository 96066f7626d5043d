//! Tickets recently read, kept in memory so that `GET /tickets/{id}` costs no database round
//! trip when the ticket has not changed. The values are whatever the ticket context stores per
//! ticket id (the ticket context's `CachedTicket`); this module only keeps them in step with
//! the commits.
//!
//! Nothing can change a ticket without the cache hearing of it: database triggers record every
//! updated or deleted ticket in `changed_tickets` inside the writing transaction, and
//! [`crate::storage::store::WriteTx::commit`] takes those ids out of the table in the same transaction
//! and makes this cache forget them once the commit is done. Other instances hear of them
//! through PostgreSQL `NOTIFY` (sent by the same transaction, so only when it commits); while an
//! instance is not listening, its cache is switched off. A reader that loaded a ticket while
//! some ticket was forgotten does not store what it read (it may be from before the commit).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use std::any::Any;

/// Entries kept at most; when full, the cache starts again empty (simple, and a full cache
/// of hot tickets refills in moments).
const CAPACITY: usize = 50_000;

/// PostgreSQL channel for changed ticket ids (`*` = every ticket).
pub const CHANNEL: &str = "tandem_ticket_cache";

#[derive(Debug, Default)]
struct Inner {
    /// Moves on every forget: a load that saw another value may be stale.
    epoch: u64,
    entries: HashMap<i64, Arc<dyn Any + Send + Sync>>,
}

#[derive(Debug)]
pub struct TicketCache {
    inner: Mutex<Inner>,
    enabled: AtomicBool,
}

impl TicketCache {
    /// `enabled`: whether it may serve at once (SQLite: yes; PostgreSQL: once listening).
    pub fn new(enabled: bool) -> TicketCache {
        TicketCache {
            inner: Mutex::default(),
            enabled: AtomicBool::new(enabled),
        }
    }

    /// What is cached for ticket `id`, of whatever type the reader stored.
    pub fn get(&self, id: i64) -> Option<Arc<dyn Any + Send + Sync>> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        self.inner.lock().ok()?.entries.get(&id).cloned()
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
        if self.enabled.load(Ordering::Acquire)
            && let Ok(mut inner) = self.inner.lock()
            && inner.epoch == epoch
        {
            if inner.entries.len() >= CAPACITY {
                inner.entries.clear();
            }
            inner.entries.insert(id, ticket.clone());
        }
        ticket
    }

    /// These tickets changed (id 0: every ticket may have).
    pub fn forget(&self, ids: &[i64]) {
        if ids.is_empty() {
            return;
        }
        if let Ok(mut inner) = self.inner.lock() {
            inner.epoch += 1;
            if ids.contains(&0) {
                inner.entries.clear();
            } else {
                for id in ids {
                    inner.entries.remove(id);
                }
            }
        }
    }

    pub fn forget_all(&self) {
        self.forget(&[0]);
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

/// PostgreSQL, at the end of a write transaction: the tickets it changed taken out of
/// `changed_tickets` and announced to the other instances (`NOTIFY` on [`CHANNEL`], delivered
/// only if the transaction commits), in one round trip. Binds: `$1` the channel, `$2` the
/// longest id list sent as it is (characters). Answers no row when nothing changed, else the
/// ids (`3,4`, for [`parse_payload`]); the payload is that list, or `*` (every ticket) when it
/// is longer or names ticket `0`.
pub const TAKE_AND_NOTIFY_POSTGRES: &str = "WITH changed AS (DELETE FROM changed_tickets RETURNING ticket_id), \
    listed AS (SELECT string_agg(DISTINCT ticket_id::text, ',') AS ids, bool_or(ticket_id = 0) AS every FROM changed) \
    SELECT ids, pg_notify($1, CASE WHEN every OR length(ids) > $2 THEN '*' ELSE ids END)::text \
    FROM listed WHERE ids IS NOT NULL";

/// The longest id list a change notification carries; longer ones say `*` (PostgreSQL's
/// payloads end at 8,000 bytes).
pub const PAYLOAD_LIMIT: i64 = 7_000;

/// The ids of a change notification (`*` → `[0]`, every ticket).
pub fn parse_payload(payload: &str) -> Vec<i64> {
    if payload == "*" {
        return vec![0];
    }
    let ids: Option<Vec<i64>> = payload.split(',').map(|s| s.parse().ok()).collect();
    ids.unwrap_or_else(|| vec![0])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_parse() {
        assert_eq!(parse_payload("3,4"), vec![3, 4]);
        assert_eq!(parse_payload("*"), vec![0]);
        assert_eq!(parse_payload("garbage"), vec![0]);
    }
}
