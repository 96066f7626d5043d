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

/// A row a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub article_id: i64,
    /// Attempts before this one.
    pub attempts: i64,
}

/// Claims the oldest due row whose lease (if any) ran out, in its own statement: the row's
/// lease and attempt count are set atomically, and the condition is checked again on the row
/// itself so that two workers (PostgreSQL, several instances) never both win.
pub async fn claim_due(conn: &mut AnyConnection) -> Result<Option<Claim>> {
    let now = chrono::Utc::now();
    let now_text = clock::format(now);
    let lease = clock::format(now + chrono::Duration::seconds(LEASE_SECONDS));
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE mail_outbox SET locked_until = $1, attempts = attempts + 1 \
         WHERE article_id = (SELECT article_id FROM mail_outbox WHERE next_attempt_at <= $2 \
           AND (locked_until IS NULL OR locked_until < $3) ORDER BY next_attempt_at, article_id LIMIT 1) \
         AND next_attempt_at <= $4 AND (locked_until IS NULL OR locked_until < $5) \
         RETURNING article_id, attempts",
    )
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
pub async fn remove(conn: &mut AnyConnection, article_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM mail_outbox WHERE article_id = $1")
        .bind(article_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A failed attempt: released for another try after the backoff.
pub async fn retry_later(
    conn: &mut AnyConnection,
    article_id: i64,
    failed_attempts: i64,
    error: &str,
) -> Result<()> {
    let next = chrono::Utc::now() + chrono::Duration::seconds(backoff_seconds(failed_attempts));
    sqlx::query(
        "UPDATE mail_outbox SET locked_until = NULL, next_attempt_at = $1, last_error = $2 WHERE article_id = $3",
    )
    .bind(clock::format(next))
    .bind(error)
    .bind(article_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The earliest time a row falls due (for the worker's sleep), if any row is queued.
pub async fn next_due(conn: &mut AnyConnection) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(CASE WHEN locked_until IS NOT NULL AND locked_until > next_attempt_at \
         THEN locked_until ELSE next_attempt_at END) FROM mail_outbox",
    )
    .fetch_one(conn)
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
