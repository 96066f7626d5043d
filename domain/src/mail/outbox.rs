//! The outbound queue (`mail_outbox`): one row per outgoing e-mail article until its message is
//! accepted by the SMTP relay or given up. Rows are written in the transaction that stores the
//! article, so a crash after the commit loses nothing; a worker claims a due row with a lease
//! (`locked_until`), so two instances never work on the same message at once, and a worker
//! that dies mid-send leaves a lease that runs out and the row is tried again.
//!
//! Delivery is at least once: if the process dies after the relay accepted a message and
//! before the row is removed, the message goes out again with the same `Message-ID`, which
//! receiving systems use to drop the copy. SMTP offers nothing stronger.

use sqlx::AnyConnection;

use crate::Result;
use crate::storage::clock;

/// How long a claimed row stays with its worker (a send has a 60 s SMTP timeout).
pub const LEASE_SECONDS: i64 = 300;

/// Attempts before giving up (Zammad's communicate-email job tries 4 times).
pub const MAX_ATTEMPTS: i64 = 5;

/// Seconds to wait before attempt `attempt` (1-based count of failed attempts so far):
/// 30 s, 2 min, 8 min, 32 min.
pub fn backoff_seconds(failed_attempts: i64) -> i64 {
    30 * 4_i64.pow(failed_attempts.clamp(1, 6) as u32 - 1)
}

/// Queues an article for sending now (no-op if it is queued already).
pub async fn enqueue(conn: &mut AnyConnection, article_id: i64) -> Result<()> {
    let now = clock::now();
    sqlx::query(
        "INSERT INTO mail_outbox (article_id, attempts, next_attempt_at, created_at) \
         SELECT $1, 0, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM mail_outbox WHERE article_id = $4)",
    )
    .bind(article_id)
    .bind(&now)
    .bind(&now)
    .bind(article_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The two queues: outgoing e-mail articles (`mail_outbox`, keyed by article) and automatic
/// mail built when queued (`system_mail_queue`: notifications, acknowledgements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Articles,
    System,
}

impl Queue {
    fn table(self) -> &'static str {
        match self {
            Queue::Articles => "mail_outbox",
            Queue::System => "system_mail_queue",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Queue::Articles => "article_id",
            Queue::System => "id",
        }
    }
}

/// A row a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The article id (`Queue::Articles`) or the row id (`Queue::System`).
    pub article_id: i64,
    /// Attempts before this one.
    pub attempts: i64,
}

/// Claims the oldest due row whose lease (if any) ran out, in its own statement: the row's
/// lease and attempt count are set atomically, and the condition is checked again on the row
/// itself so that two workers (PostgreSQL, several instances) never both win.
pub async fn claim_due(conn: &mut AnyConnection, queue: Queue) -> Result<Option<Claim>> {
    let (table, key) = (queue.table(), queue.key());
    let now = chrono::Utc::now();
    let now_text = clock::format(now);
    let lease = clock::format(now + chrono::Duration::seconds(LEASE_SECONDS));
    let row: Option<(i64, i64)> = sqlx::query_as(&format!(
        "UPDATE {table} SET locked_until = $1, attempts = attempts + 1 \
         WHERE {key} = (SELECT {key} FROM {table} WHERE next_attempt_at <= $2 \
           AND (locked_until IS NULL OR locked_until < $3) ORDER BY next_attempt_at, {key} LIMIT 1) \
         AND next_attempt_at <= $4 AND (locked_until IS NULL OR locked_until < $5) \
         RETURNING {key}, attempts"
    ))
    .bind(&lease)
    .bind(&now_text)
    .bind(&now_text)
    .bind(&now_text)
    .bind(&now_text)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(article_id, attempts)| Claim {
        article_id,
        attempts: attempts - 1,
    }))
}

/// The message was accepted (or given up): the row goes.
pub async fn remove(conn: &mut AnyConnection, queue: Queue, id: i64) -> Result<()> {
    sqlx::query(&format!(
        "DELETE FROM {} WHERE {} = $1",
        queue.table(),
        queue.key()
    ))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A failed attempt: released for another try after the backoff.
pub async fn retry_later(
    conn: &mut AnyConnection,
    queue: Queue,
    id: i64,
    failed_attempts: i64,
    error: &str,
) -> Result<()> {
    let next = chrono::Utc::now() + chrono::Duration::seconds(backoff_seconds(failed_attempts));
    sqlx::query(&format!(
        "UPDATE {} SET locked_until = NULL, next_attempt_at = $1, last_error = $2 WHERE {} = $3",
        queue.table(),
        queue.key()
    ))
    .bind(clock::format(next))
    .bind(error)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The earliest time a row falls due (for the worker's sleep), if any row is queued.
pub async fn next_due(conn: &mut AnyConnection) -> Result<Option<String>> {
    let mut earliest: Option<String> = None;
    for queue in [Queue::Articles, Queue::System] {
        let due: Option<String> = sqlx::query_scalar(&format!(
            "SELECT MIN(CASE WHEN locked_until IS NOT NULL AND locked_until > next_attempt_at \
             THEN locked_until ELSE next_attempt_at END) FROM {}",
            queue.table()
        ))
        .fetch_one(&mut *conn)
        .await?;
        earliest = match (earliest, due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(earliest)
}

/// Queues an automatic message (built already) for `recipients`.
pub async fn enqueue_system(
    conn: &mut AnyConnection,
    message: &str,
    envelope_from: &str,
    recipients: &[String],
) -> Result<()> {
    let now = clock::now();
    sqlx::query(
        "INSERT INTO system_mail_queue (message, envelope_from, recipients, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, 0, $4, $5)",
    )
    .bind(message)
    .bind(envelope_from)
    .bind(recipients.join(","))
    .bind(&now)
    .bind(&now)
    .execute(conn)
    .await?;
    Ok(())
}

/// An automatic message: (message, envelope sender, recipients).
pub async fn system_message(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT message, envelope_from, recipients FROM system_mail_queue WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_fourfold() {
        assert_eq!(backoff_seconds(1), 30);
        assert_eq!(backoff_seconds(2), 120);
        assert_eq!(backoff_seconds(3), 480);
        assert_eq!(backoff_seconds(4), 1920);
    }
}
