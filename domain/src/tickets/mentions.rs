//! Mentions: agents subscribing to a ticket (`/mentions`).

use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::policy::access::{AccessLevel, Actor, load_actor};
use crate::{Error, Result, policy, storage::clock, tickets};

/// A user following a ticket: `(id, ticket_id, user_id, created_by_id, created_at,
/// updated_at)`, as the `mentions` table stores it.
pub type MentionRow = (i64, i64, i64, i64, String, String);

/// Zammad's JSON of a mention (`mentionable_type` Ticket, `mentionable_id` the ticket).
pub fn render(row: &MentionRow) -> Value {
    let (id, ticket_id, user_id, created_by_id, created_at, updated_at) = row;
    json!({"id": id, "mentionable_type": "Ticket", "mentionable_id": ticket_id, "user_id": user_id,
           "created_by_id": created_by_id, "updated_by_id": created_by_id, "created_at": created_at, "updated_at": updated_at})
}

/// The users following a ticket the caller may read, oldest first.
pub async fn rows(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<Vec<MentionRow>> {
    tickets::load_readable(conn, actor, ticket_id).await?;
    Ok(sqlx::query_as(
        "SELECT id, ticket_id, user_id, created_by_id, created_at, updated_at FROM mentions WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(conn)
    .await?)
}

/// `GET /mentions?mentionable_type=Ticket&mentionable_id=`: [`rows`] as Zammad renders them.
pub async fn list(conn: &mut AnyConnection, actor: &Actor, ticket_id: i64) -> Result<Value> {
    let rows = rows(conn, actor, ticket_id).await?;
    Ok(json!({"mentions": rows.iter().map(render).collect::<Vec<_>>()}))
}

/// Subscribes `user_id` (default: the caller) to a ticket. The mentioned user must be an agent
/// who can read the ticket.
pub async fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    user_id: Option<i64>,
) -> Result<MentionRow> {
    let (_, facts) = tickets::load(conn, ticket_id).await?;
    policy::authorize_mention(actor, &facts)?;
    let user_id = user_id.unwrap_or(actor.id);
    let mentioned = load_actor(conn, user_id, None).await.map_err(|_| {
        Error::unprocessable(format!("Invalid value for param 'user_id': {user_id}"))
    })?;
    if !mentioned.has_group_access(facts.group_id, AccessLevel::Read) {
        return Err(Error::unprocessable(
            "The mentioned user has no access to this ticket.",
        ));
    }
    let now = clock::now();
    sqlx::query("INSERT INTO mentions (ticket_id, user_id, created_by_id, created_at, updated_at) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING")
        .bind(ticket_id)
        .bind(user_id)
        .bind(actor.id)
        .bind(&now)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_as(
        "SELECT id, ticket_id, user_id, created_by_id, created_at, updated_at FROM mentions WHERE ticket_id = $1 AND user_id = $2",
    )
    .bind(ticket_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?)
}

/// Removes a mention (the mentioned user, or agents with change access); the ticket's id.
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<i64> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT ticket_id, user_id FROM mentions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let (ticket_id, user_id) = row.ok_or_else(|| Error::not_found("Mention", id))?;
    let (_, facts) = tickets::load(conn, ticket_id).await?;
    policy::authorize_mention(actor, &facts)?;
    if user_id != actor.id && !actor.has_group_access(facts.group_id, AccessLevel::Change) {
        return Err(Error::not_authorized());
    }
    sqlx::query("DELETE FROM mentions WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(ticket_id)
}
