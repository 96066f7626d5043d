//! Links between tickets (Zammad's `Link`, `LinksController`): `normal` links read the same
//! from both tickets; a `parent` link from A to B reads `child` from B (and the other way
//! round). One link per pair of tickets.

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

/// One link as one of its tickets sees it: `link_type` reads from this ticket (`parent`: the
/// other ticket is this one's parent), `other` is the linked ticket's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub link_type: String,
    pub other: i64,
}

/// The links of a ticket, oldest first (no permission check).
pub async fn links_of(conn: &mut AnyConnection, ticket_id: i64) -> Result<Vec<Link>> {
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
            if source == ticket_id {
                Link {
                    link_type,
                    other: target,
                }
            } else {
                Link {
                    link_type: seen_from_target(&link_type).to_string(),
                    other: source,
                }
            }
        })
        .collect())
}

/// The links of a ticket the caller may read (agents), with the linked tickets the caller may
/// read: what `GET /links` lists and the ticket view shows.
pub async fn readable(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<Vec<(Link, tickets::TicketRecord)>> {
    tickets::load_readable(conn, actor, ticket_id).await?;
    if !actor.is_agent() {
        return Err(Error::not_authorized());
    }
    let mut linked = Vec::new();
    for link in links_of(conn, ticket_id).await? {
        if let Ok((record, facts)) = tickets::load(conn, link.other).await
            && policy::can_show_ticket(actor, &facts)
        {
            linked.push((link, record));
        }
    }
    Ok(linked)
}

/// The link type as the other ticket reads it (`parent` ⇄ `child`).
pub fn reversed(link_type: &str) -> &str {
    seen_from_target(link_type)
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
