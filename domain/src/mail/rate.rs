//! The per-sender rate of inbound mail: more than [`BURST`] messages from one address within
//! [`WINDOW`] are kept as failed mail (a mail loop with another system, or a flood). Counted in
//! the database (`inbound_mail_senders`, one row per message, kept for the window), so every
//! instance on one database counts the same messages.

use std::time::Duration;

use sqlx::AnyConnection;

use crate::Result;
use crate::storage::clock;
use crate::storage::store::Backend;

/// Inbound messages one sender may send in [`WINDOW`] before further ones are failed mail.
pub const BURST: u32 = 30;
/// The window of [`BURST`].
pub const WINDOW: Duration = Duration::from_secs(600);

/// Counts a message from `sender` received `at` (RFC 3339) and answers how many messages it
/// sent within the window up to then, this one included. Rows older than the window go. Run
/// it in a write transaction: on PostgreSQL it holds a per-sender lock until the commit, so
/// that instances counting the same sender at the same moment take turns.
pub async fn count_received(
    conn: &mut AnyConnection,
    backend: Backend,
    sender: &str,
    at: &str,
) -> Result<i64> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("tandem inbound sender {sender}"))
            .execute(&mut *conn)
            .await?;
    }
    let now = clock::parse(at).unwrap_or_else(chrono::Utc::now);
    let window = chrono::Duration::from_std(WINDOW).unwrap_or(chrono::Duration::minutes(10));
    let since = clock::format(now - window);
    sqlx::query("DELETE FROM inbound_mail_senders WHERE received_at <= $1")
        .bind(&since)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO inbound_mail_senders (sender, received_at) VALUES ($1, $2)")
        .bind(sender)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM inbound_mail_senders WHERE sender = $1 AND received_at > $2",
    )
    .bind(sender)
    .bind(&since)
    .fetch_one(conn)
    .await?)
}
