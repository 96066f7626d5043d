//! The ticket context's entry in the store's ticket cache ([`crate::storage::ticket_cache`]):
//! a ticket as [`super::load`] reads it, and its plain agent JSON made once.

use std::sync::Arc;

use super::TicketRecord;
use crate::Result;

/// A ticket as `tickets::load` reads it: the record and whether its state is closed.
#[derive(Debug)]
pub struct CachedTicket {
    pub record: TicketRecord,
    pub closed: bool,
    /// The plain JSON an agent who sees every article gets, made on first use.
    pub agent_json: std::sync::OnceLock<bytes::Bytes>,
}

impl CachedTicket {
    pub fn new(record: TicketRecord, closed: bool) -> CachedTicket {
        CachedTicket {
            record,
            closed,
            agent_json: Default::default(),
        }
    }
}

/// [`super::load`] for reads outside a write transaction, through the store's ticket cache.
/// The database is read only on a miss; misses at the same time are read together, up to
/// [`crate::storage::ticket_cache::BATCH_SIZE`] tickets per batch
/// ([`crate::storage::ticket_cache::TicketCache::read_batched`]): on SQLite on the store's
/// reader connection ([`super::load_many_sqlite`]), on PostgreSQL on the store's reader pool
/// ([`super::load_many_postgres`]), else in one statement on a pooled connection. 404 when
/// there is no such ticket.
pub async fn load_cached(store: &crate::Store, id: i64) -> Result<Arc<CachedTicket>> {
    let cache = store.ticket_cache();
    if let Some(hit) = cache.get_as::<CachedTicket>(id) {
        return Ok(hit);
    }
    let source = BatchSource::of(store);
    let read = move |ids: Vec<i64>| {
        let source = source.clone();
        async move {
            Ok(source
                .read(ids)
                .await?
                .into_iter()
                .map(|(record, closed)| (record.id, CachedTicket::new(record, closed)))
                .collect())
        }
    };
    match store.ticket_cache_arc().read_batched(id, read).await {
        Ok(Some(ticket)) => return Ok(ticket),
        Ok(None) => return Err(crate::Error::not_found("Ticket", id)),
        Err(()) => {}
    }
    let epoch = cache.epoch();
    let (record, facts) = super::load(&mut *store.read().await?, id).await?;
    Ok(cache.put(epoch, id, CachedTicket::new(record, facts.closed)))
}

/// Where [`load_cached`]'s batches of misses are read: the store's reader connection (SQLite
/// on a file), its reader pool (PostgreSQL), else its main pool (SQLite in memory). One
/// handle, so a miss clones one reference, not the whole store.
#[derive(Clone)]
pub enum BatchSource {
    Sqlite(crate::storage::sqlite_reader::SqliteReader),
    Postgres(sqlx::PgPool),
    Pool(sqlx::AnyPool),
}

impl BatchSource {
    /// The store's batch reader.
    pub fn of(store: &crate::Store) -> BatchSource {
        match (store.sqlite_reader(), store.postgres_reader()) {
            (Some(reader), _) => BatchSource::Sqlite(reader.clone()),
            (None, Some(pool)) => BatchSource::Postgres(pool.clone()),
            (None, None) => BatchSource::Pool(store.pool().clone()),
        }
    }

    /// The tickets of `ids` that exist, in no particular order, with whether each one's state
    /// is closed.
    pub async fn read(self, ids: Vec<i64>) -> Result<Vec<(TicketRecord, bool)>> {
        match self {
            BatchSource::Sqlite(reader) => {
                reader
                    .run(move |conn| super::load_many_sqlite(conn, &ids))
                    .await
            }
            BatchSource::Postgres(pool) => super::load_many_postgres(&pool, &ids).await,
            BatchSource::Pool(pool) => Ok(super::load_many(&mut *pool.acquire().await?, &ids)
                .await?
                .into_iter()
                .map(|(record, facts)| (record, facts.closed))
                .collect()),
        }
    }
}
