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
    let read = {
        let store = store.clone();
        move |ids: Vec<i64>| {
            let store = store.clone();
            async move {
                // (record, closed) from the reader connections, else from the pool
                let rows: Vec<(TicketRecord, bool)> =
                    match (store.sqlite_reader(), store.postgres_reader()) {
                        (Some(reader), _) => {
                            reader
                                .run(move |conn| super::load_many_sqlite(conn, &ids))
                                .await?
                        }
                        (None, Some(reader)) => super::load_many_postgres(reader, &ids).await?,
                        (None, None) => super::load_many(&mut *store.read().await?, &ids)
                            .await?
                            .into_iter()
                            .map(|(record, facts)| (record, facts.closed))
                            .collect(),
                    };
                Ok(rows
                    .into_iter()
                    .map(|(record, closed)| (record.id, CachedTicket::new(record, closed)))
                    .collect())
            }
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
