//! Rooms across instances: several `tandem` processes on one PostgreSQL database relay what
//! their draft rooms accept (y-sync updates, awareness states, the room's end) to each other,
//! so agents connected to different instances edit one draft live (docs/collab-editing.md
//! §7.5, "PostgreSQL `LISTEN/NOTIFY` + update rows").
//!
//! Each message is one row of `shared_draft_relay` (the bytes) and one `NOTIFY tandem_drafts`
//! sent by the same statement, so the announcement is delivered exactly when the row is
//! committed. The notification's payload is text, `origin id ticket epoch kind base64`, with
//! the bytes inline when they are at most [`INLINE_MAX`] bytes (a keystroke, a caret); larger
//! ones are read from the row. Rows are only a way to catch up (a room loaded while others
//! type, a LISTEN connection that was lost): the draft's storage stays the snapshot and its
//! update log, and rows older than [`KEEP`] are deleted by every instance.
//!
//! Relaying is at-least-once and order-insensitive: yrs updates are idempotent and commutative
//! (applying one twice changes nothing), awareness entries carry clocks, a room's end carries
//! the epoch it ended. SQLite runs one instance and never starts a relay.

use std::sync::Weak;
use std::time::Duration;

use base64::Engine;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;

use super::live::Hub;
use crate::Result;

/// The NOTIFY channel.
pub const CHANNEL: &str = "tandem_drafts";
/// Relay rows older than this are deleted (a y-protocols client renews its awareness every
/// 15 s, so a room loaded now still learns every live caret from the rows).
pub const KEEP: Duration = Duration::from_secs(60);
/// Largest payload (bytes) carried inside the notification; larger ones are read from the row.
pub const INLINE_MAX: usize = 5_000;
/// Messages written by one statement at most.
const BATCH_MAX: usize = 256;
/// Messages waiting for the writer at the most (about 40 batches). Beyond it — the database
/// far slower than the editors — new messages are dropped with a warning: the other
/// instances' rooms catch up from storage, as after a lost notification.
pub const OUTBOX_MAX: usize = 10_000;
/// Rows a room reads when it is loaded (the newest; older ones are in storage by then).
const CATCH_UP_MAX: i64 = 20_000;

/// What a relay row carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A y-sync update (yrs v1 encoding) the room accepted.
    Update = 0,
    /// An awareness update (y-protocols encoding) the room accepted.
    Awareness = 1,
    /// The room ended: a JSON [`super::live::ControlMessage`]; `epoch` is the ticket's draft
    /// epoch after the change (`i64::MAX` when the ticket is gone).
    Close = 2,
}

impl Kind {
    fn from_i16(v: i16) -> Option<Kind> {
        match v {
            0 => Some(Kind::Update),
            1 => Some(Kind::Awareness),
            2 => Some(Kind::Close),
            _ => None,
        }
    }
}

/// A message for the other instances.
#[derive(Debug)]
pub struct Outgoing {
    pub ticket_id: i64,
    pub epoch: i64,
    pub kind: Kind,
    pub payload: Vec<u8>,
}

/// A message from another instance.
#[derive(Debug)]
pub struct Incoming {
    pub id: i64,
    pub origin: i64,
    pub ticket_id: i64,
    pub epoch: i64,
    pub kind: Kind,
    /// `None`: too large for the notification; read it with [`Relay::payload`].
    pub payload: Option<Vec<u8>>,
    /// How old the message is, in milliseconds (0 for live notifications).
    pub age_ms: u64,
}

/// One instance's end of the relay.
pub struct Relay {
    /// This instance (random per process): its own notifications are ignored.
    instance: i64,
    pool: PgPool,
    outbox: mpsc::Sender<Outgoing>,
    /// Messages dropped because the outbox was full (logged every 1,000th).
    dropped: std::sync::atomic::AtomicU64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Parses a notification payload (`origin id ticket epoch kind [base64]`).
fn parse(text: &str) -> Option<Incoming> {
    let mut parts = text.splitn(6, ' ');
    let origin = parts.next()?.parse().ok()?;
    let id = parts.next()?.parse().ok()?;
    let ticket_id = parts.next()?.parse().ok()?;
    let epoch = parts.next()?.parse().ok()?;
    let kind = Kind::from_i16(parts.next()?.parse().ok()?)?;
    let inline = parts.next().unwrap_or("");
    let payload = if inline.is_empty() {
        None
    } else {
        let clean: String = inline.chars().filter(|c| !c.is_whitespace()).collect();
        Some(
            base64::engine::general_purpose::STANDARD
                .decode(clean)
                .ok()?,
        )
    };
    Some(Incoming {
        id,
        origin,
        ticket_id,
        epoch,
        kind,
        payload,
        age_ms: 0,
    })
}

impl Relay {
    /// Connects to the database at `url` (a pool of its own and the LISTEN connection), and
    /// starts the writer, the listener and the pruner; the listener hands what other instances
    /// relay to `hub`. Returns when LISTEN is in place.
    pub async fn start(url: &str, hub: Weak<Hub>) -> Result<std::sync::Arc<Relay>> {
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .connect(url)
            .await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.ignore_pool_close_event(true);
        listener.listen(CHANNEL).await?;
        let (outbox, rx) = mpsc::channel(OUTBOX_MAX);
        let relay = std::sync::Arc::new(Relay {
            instance: rand::random::<i64>(),
            pool: pool.clone(),
            outbox,
            dropped: std::sync::atomic::AtomicU64::new(0),
        });
        tokio::spawn(write_loop(pool.clone(), relay.instance, rx));
        tokio::spawn(listen_loop(listener, relay.instance, hub.clone()));
        tokio::spawn(prune_loop(pool, hub));
        Ok(relay)
    }

    /// Queues a message for the other instances (written within a few milliseconds); never
    /// waits. A full outbox ([`OUTBOX_MAX`]) drops the message: the other instances catch up
    /// from storage.
    pub fn send(&self, message: Outgoing) {
        match self.outbox.try_send(message) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                let dropped = self
                    .dropped
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if dropped.is_multiple_of(1_000) {
                    tracing::warn!(
                        dropped = dropped + 1,
                        "draft relay: outbox full (the database is behind); message dropped"
                    );
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                // the writer task ended (it only does when it panicked): the other instances
                // catch up from storage
                tracing::warn!("draft relay: the writer is gone; message dropped");
            }
        }
    }

    /// The bytes of relay row `id` (a payload too large for its notification).
    pub async fn payload(&self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT payload FROM shared_draft_relay WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// What other instances relayed for a ticket's draft at `epoch` within [`KEEP`] (updates
    /// from this instance too, awareness only from the others), oldest first.
    pub async fn recent(&self, ticket_id: i64, epoch: i64) -> Result<Vec<Incoming>> {
        let rows: Vec<(i64, i64, i16, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT id, origin, kind, payload, created_ms FROM (
                 SELECT id, origin, kind, payload, created_ms FROM shared_draft_relay
                 WHERE ticket_id = $1 AND epoch = $2 AND kind <> 2 AND created_ms >= $3
                 ORDER BY id DESC LIMIT $4) newest ORDER BY id",
        )
        .bind(ticket_id)
        .bind(epoch)
        .bind(now_ms() - KEEP.as_millis() as i64)
        .bind(CATCH_UP_MAX)
        .fetch_all(&self.pool)
        .await?;
        let now = now_ms();
        Ok(rows
            .into_iter()
            .filter_map(|(id, origin, kind, payload, created)| {
                let kind = Kind::from_i16(kind)?;
                if kind == Kind::Awareness && origin == self.instance {
                    return None; // our own connections' states are local
                }
                Some(Incoming {
                    id,
                    origin,
                    ticket_id,
                    epoch,
                    kind,
                    payload: Some(payload),
                    age_ms: (now - created).max(0) as u64,
                })
            })
            .collect())
    }
}

/// Writes queued messages: each batch is one statement that inserts the rows and notifies.
async fn write_loop(pool: PgPool, instance: i64, mut rx: mpsc::Receiver<Outgoing>) {
    let mut batch: Vec<Outgoing> = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < BATCH_MAX {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        // a failed write is retried a few times (the database restarting); then dropped:
        // the rooms catch up from storage (see `Hub`'s anti-entropy) and clients resync
        for attempt in 0..5u32 {
            match write_batch(&pool, instance, &batch).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "draft relay: write failed");
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                }
            }
        }
        batch.clear();
    }
}

async fn write_batch(pool: &PgPool, instance: i64, batch: &[Outgoing]) -> sqlx::Result<()> {
    let tickets: Vec<i64> = batch.iter().map(|m| m.ticket_id).collect();
    let epochs: Vec<i64> = batch.iter().map(|m| m.epoch).collect();
    let kinds: Vec<i16> = batch.iter().map(|m| m.kind as i16).collect();
    let payloads: Vec<Vec<u8>> = batch.iter().map(|m| m.payload.clone()).collect();
    sqlx::query(
        "WITH ins AS (
             INSERT INTO shared_draft_relay (ticket_id, epoch, origin, kind, payload, created_ms)
             SELECT t, e, $3, k, p, $6
             FROM UNNEST($1::int8[], $2::int8[], $4::int2[], $5::bytea[]) WITH ORDINALITY AS u(t, e, k, p, n)
             ORDER BY n
             RETURNING id, ticket_id, epoch, kind, payload)
         SELECT pg_notify($7, concat_ws(' ', $3::text, id::text, ticket_id::text, epoch::text, kind::text,
             CASE WHEN octet_length(payload) <= $8 THEN translate(encode(payload, 'base64'), E'\n', '') ELSE '' END))
         FROM (SELECT * FROM ins ORDER BY id) AS rows",
    )
    .bind(tickets)
    .bind(epochs)
    .bind(instance)
    .bind(kinds)
    .bind(payloads)
    .bind(now_ms())
    .bind(CHANNEL)
    .bind(INLINE_MAX as i32)
    .execute(pool)
    .await?;
    Ok(())
}

async fn listen_loop(mut listener: PgListener, instance: i64, hub: Weak<Hub>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                let Some(hub) = hub.upgrade() else { break };
                let Some(incoming) = parse(notification.payload()) else {
                    tracing::warn!("draft relay: unreadable notification");
                    continue;
                };
                if incoming.origin != instance {
                    hub.deliver_relayed(incoming).await;
                }
            }
            Ok(None) => {
                // the connection was lost (notifications in between are gone) and is opened
                // again by the next call: live rooms read what they missed from the rows
                tracing::warn!("draft relay: LISTEN connection lost; catching up");
                let Some(hub) = hub.upgrade() else { break };
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    hub.catch_up_all().await;
                });
            }
            Err(e) => {
                if hub.strong_count() == 0 {
                    break;
                }
                tracing::warn!(error = %e, "draft relay: LISTEN failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Deletes rows older than [`KEEP`] every few seconds (every instance does; it is cheap).
async fn prune_loop(pool: PgPool, hub: Weak<Hub>) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tick.tick().await;
        if hub.strong_count() == 0 {
            break;
        }
        let cutoff = now_ms() - KEEP.as_millis() as i64;
        if let Err(e) = sqlx::query("DELETE FROM shared_draft_relay WHERE created_ms < $1")
            .bind(cutoff)
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "draft relay: pruning failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_parse_with_and_without_inline_bytes() {
        let n = parse("-5 12 7 3 0 AAEC\nAw==").unwrap();
        assert_eq!((n.origin, n.id, n.ticket_id, n.epoch), (-5, 12, 7, 3));
        assert_eq!(n.kind, Kind::Update);
        assert_eq!(n.payload.as_deref(), Some(&[0u8, 1, 2, 3][..]));
        let n = parse("1 2 3 4 2 ").unwrap();
        assert_eq!(n.kind, Kind::Close);
        assert!(n.payload.is_none());
        assert!(parse("1 2 3 4 9 ").is_none());
        assert!(parse("garbage").is_none());
        assert!(parse("1 2 3 4 0 !!!").is_none());
    }
}
