//! Links between tickets (Zammad's `Link`, `LinksController`): `normal` links read the same
//! from both tickets; a `parent` link from A to B reads `child` from B (and the other way
//! round). One link per pair of tickets.

use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::policy::access::Actor;
use crate::storage::clock;
use crate::{Error, Result, policy, tickets};

/// The link types Zammad knows.
pub const TYPES: [&str; 3] = ["normal", "parent", "child"];

fn seen_from_target(link_type: &str) -> &str {
    match link_type {
        "parent" => "child",
        "child" => "parent",
        other => other,
    }
}

/// The links of a ticket as Zammad lists them: `{link_type, link_object: "Ticket",
/// link_object_value}` (no permission check).
pub async fn of_ticket(conn: &mut AnyConnection, ticket_id: i64) -> Result<Vec<Value>> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT source_id, target_id, link_type FROM ticket_links WHERE source_id = $1 OR target_id = $2 ORDER BY id",
    )
    .bind(ticket_id)
    .bind(ticket_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(source, target, link_type)| {
            let (other, seen) = if source == ticket_id {
                (target, link_type.as_str().to_string())
            } else {
                (source, seen_from_target(&link_type).to_string())
            };
            json!({"link_type": seen, "link_object": "Ticket", "link_object_value": other})
        })
        .collect())
}

/// `GET /links?link_object=Ticket&link_object_value={id}`: the links and the linked tickets'
/// assets the caller may read.
pub async fn index(conn: &mut AnyConnection, actor: &Actor, ticket_id: i64) -> Result<Value> {
    tickets::load_readable(conn, actor, ticket_id).await?;
    if !actor.is_agent() {
        return Err(Error::not_authorized());
    }
    let mut links = Vec::new();
    let mut readable = Vec::new();
    for link in of_ticket(conn, ticket_id).await? {
        let other = link["link_object_value"].as_i64().unwrap_or_default();
        if let Ok((record, facts)) = tickets::load(conn, other).await
            && policy::can_show_ticket(actor, &facts)
        {
            readable.push(record);
            links.push(link);
        }
    }
    let assets = tickets::assets(conn, actor, &readable).await?;
    Ok(json!({"links": links, "assets": assets}))
}

fn check_type(link_type: &str) -> Result<()> {
    if TYPES.contains(&link_type) {
        Ok(())
    } else {
        Err(Error::unprocessable(format!(
            "Invalid value for param 'link_type': {link_type:?}"
        )))
    }
}

async fn may_link(conn: &mut AnyConnection, actor: &Actor, source: i64, target: i64) -> Result<()> {
    let (_, source_facts) = tickets::load(conn, source).await?;
    let (_, target_facts) = tickets::load(conn, target).await?;
    if !policy::can_change_ticket(actor, &target_facts)
        || !policy::can_show_ticket(actor, &source_facts)
        || !actor.is_agent()
    {
        return Err(Error::not_authorized());
    }
    Ok(())
}

/// `POST /links/add`: links `source` (found by number) to `target`. 422 for a ticket linked to
/// itself or an unknown type; linking again replaces the type.
pub async fn add(
    conn: &mut AnyConnection,
    actor: &Actor,
    link_type: &str,
    source_number: &str,
    target: i64,
) -> Result<()> {
    check_type(link_type)?;
    let source: i64 = sqlx::query_scalar("SELECT id FROM tickets WHERE number = $1")
        .bind(source_number)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::unprocessable(format!("No ticket with number {source_number:?}")))?;
    if source == target {
        return Err(Error::unprocessable("A ticket cannot be linked to itself."));
    }
    may_link(conn, actor, source, target).await?;
    sqlx::query("DELETE FROM ticket_links WHERE (source_id = $1 AND target_id = $2) OR (source_id = $3 AND target_id = $4)")
        .bind(source)
        .bind(target)
        .bind(target)
        .bind(source)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO ticket_links (source_id, target_id, link_type, created_by_id, created_at) VALUES ($1,$2,$3,$4,$5)")
        .bind(source)
        .bind(target)
        .bind(link_type)
        .bind(actor.id)
        .bind(clock::now())
        .execute(conn)
        .await?;
    Ok(())
}

/// `DELETE /links/remove`: removes the link between the two tickets (either direction).
pub async fn remove(
    conn: &mut AnyConnection,
    actor: &Actor,
    link_type: &str,
    source: i64,
    target: i64,
) -> Result<()> {
    check_type(link_type)?;
    may_link(conn, actor, source, target).await?;
    let done = sqlx::query("DELETE FROM ticket_links WHERE (source_id = $1 AND target_id = $2) OR (source_id = $3 AND target_id = $4)")
        .bind(source)
        .bind(target)
        .bind(target)
        .bind(source)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound("No such link".into()));
    }
    Ok(())
}
