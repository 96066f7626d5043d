//! Who has seen which version of a ticket (a Tandem table, `ticket_views`; Zammad has no such
//! field): the ticket page records the `updated_at` it showed, and the overviews mark a ticket
//! *unread* for a user when someone else changed it after that (a field change, a tag or a new
//! article all move `updated_at`), or when the user never opened it. The user's own changes
//! never make a ticket unread for them.

use sqlx::AnyConnection;

use crate::policy::TicketScope;
use crate::policy::access::{AccessLevel, Actor};
use crate::storage::clock;
use crate::{Error, Result};

/// Records that `user_id` has seen ticket `ticket_id` as it was at `seen_updated_at` (the
/// ticket's `updated_at`, a stored timestamp). One upsert; an older version never replaces a
/// newer one already recorded (two tabs, a slow request).
pub async fn record(
    conn: &mut AnyConnection,
    user_id: i64,
    ticket_id: i64,
    seen_updated_at: &str,
) -> Result<()> {
    if clock::parse(seen_updated_at).is_none() {
        return Err(Error::unprocessable(
            "The ticket version seen is not a timestamp.",
        ));
    }
    sqlx::query(
        "INSERT INTO ticket_views (user_id, ticket_id, seen_updated_at, viewed_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, ticket_id) DO UPDATE SET \
         seen_updated_at = CASE WHEN excluded.seen_updated_at > ticket_views.seen_updated_at \
         THEN excluded.seen_updated_at ELSE ticket_views.seen_updated_at END, \
         viewed_at = excluded.viewed_at",
    )
    .bind(user_id)
    .bind(ticket_id)
    .bind(seen_updated_at)
    .bind(clock::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// The version of a ticket `user_id` last saw (its `updated_at` then), if they opened it.
pub async fn seen(
    conn: &mut AnyConnection,
    user_id: i64,
    ticket_id: i64,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT seen_updated_at FROM ticket_views WHERE user_id = $1 AND ticket_id = $2",
    )
    .bind(user_id)
    .bind(ticket_id)
    .fetch_optional(conn)
    .await?)
}

/// Of `ids`, the tickets that are unread for the agent `actor`: within the tickets they may
/// read, changed last by someone else, after the version they last saw (or never opened).
/// One query for a whole list page. Customers have no unread markers: always empty.
pub async fn unread(conn: &mut AnyConnection, actor: &Actor, ids: &[i64]) -> Result<Vec<i64>> {
    if ids.is_empty() || !actor.is_agent() {
        return Ok(Vec::new());
    }
    let scope = TicketScope::for_actor(actor, AccessLevel::Read).sql_condition();
    let list = crate::storage::store::id_list(ids.iter().copied());
    let sql = format!(
        "SELECT t.id FROM tickets t \
         LEFT JOIN ticket_views v ON v.ticket_id = t.id AND v.user_id = $1 \
         WHERE t.id IN ({list}) AND {scope} AND t.updated_by_id <> $2 \
         AND (v.seen_updated_at IS NULL OR t.updated_at > v.seen_updated_at) \
         ORDER BY t.id"
    );
    Ok(sqlx::query_scalar(&sql)
        .persistent(false)
        .bind(actor.id)
        .bind(actor.id)
        .fetch_all(conn)
        .await?)
}
