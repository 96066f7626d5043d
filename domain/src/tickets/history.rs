//! Ticket history (`/ticket_history/{id}`): created/updated/removed entries per attribute.

use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::{Error, Result, policy, storage::clock, tickets};

/// One stored history entry (`ticket_history`).
#[derive(Debug, Clone, FromRow)]
pub struct HistoryRecord {
    pub id: i64,
    pub ticket_id: i64,
    pub history_type: String,
    pub history_object: String,
    pub object_id: i64,
    pub attribute: Option<String>,
    pub value_from: Option<String>,
    pub value_to: Option<String>,
    pub id_from: Option<i64>,
    pub id_to: Option<i64>,
    pub created_by_id: i64,
    pub created_at: String,
}

/// One history entry.
#[derive(Debug, Clone, Default)]
pub struct Entry<'a> {
    pub ticket_id: i64,
    pub history_type: &'a str,
    pub history_object: &'a str,
    pub object_id: i64,
    pub attribute: Option<&'a str>,
    pub value_from: Option<String>,
    pub value_to: Option<String>,
    pub id_from: Option<i64>,
    pub id_to: Option<i64>,
}

impl<'a> Entry<'a> {
    /// The ticket's own `attribute` changed from `value_from` to `value_to`.
    pub fn ticket_updated(
        ticket_id: i64,
        attribute: &'a str,
        value_from: Option<String>,
        value_to: Option<String>,
    ) -> Entry<'a> {
        Entry {
            ticket_id,
            history_type: "updated",
            history_object: "Ticket",
            object_id: ticket_id,
            attribute: Some(attribute),
            value_from,
            value_to,
            ..Default::default()
        }
    }
}

/// Stores one history entry written by user `by`, now.
pub async fn record(conn: &mut AnyConnection, by: i64, e: Entry<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_history (ticket_id, history_type, history_object, object_id, attribute, value_from, value_to, \
         id_from, id_to, created_by_id, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(e.ticket_id)
    .bind(e.history_type)
    .bind(e.history_object)
    .bind(e.object_id)
    .bind(e.attribute)
    .bind(e.value_from)
    .bind(e.value_to)
    .bind(e.id_from)
    .bind(e.id_to)
    .bind(by)
    .bind(clock::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the attributes that differ between two versions of a ticket.
pub async fn record_ticket_changes(
    conn: &mut AnyConnection,
    by: i64,
    before: &tickets::TicketRecord,
    after: &tickets::TicketRecord,
) -> Result<()> {
    let ids = [
        ("group_id", before.group_id, after.group_id, "groups"),
        ("state_id", before.state_id, after.state_id, "ticket_states"),
        (
            "priority_id",
            before.priority_id,
            after.priority_id,
            "ticket_priorities",
        ),
        ("owner_id", before.owner_id, after.owner_id, "users"),
        (
            "customer_id",
            before.customer_id,
            after.customer_id,
            "users",
        ),
    ];
    let mut entries = Vec::new();
    for (attribute, from, to, table) in ids {
        if from != to {
            let column = if table == "users" { "login" } else { "name" };
            let name = |id: i64| format!("SELECT {column} FROM {table} WHERE id = {id}");
            let value_from: Option<String> = sqlx::query_scalar(&name(from))
                .fetch_optional(&mut *conn)
                .await?;
            let value_to: Option<String> = sqlx::query_scalar(&name(to))
                .fetch_optional(&mut *conn)
                .await?;
            entries.push(Entry {
                id_from: Some(from),
                id_to: Some(to),
                ..Entry::ticket_updated(
                    after.id,
                    attribute.trim_end_matches("_id"),
                    value_from,
                    value_to,
                )
            });
        }
    }
    if before.title != after.title {
        entries.push(Entry::ticket_updated(
            after.id,
            "title",
            Some(before.title.clone()),
            Some(after.title.clone()),
        ));
    }
    if before.pending_time != after.pending_time {
        entries.push(Entry::ticket_updated(
            after.id,
            "pending_time",
            before.pending_time.clone(),
            after.pending_time.clone(),
        ));
    }
    for entry in entries {
        record(conn, by, entry).await?;
    }
    Ok(())
}

/// A ticket's history, oldest first: agents with read access only (the records
/// `GET /ticket_history/{id}` renders with `dialects::zammad::history::render_history` and the web app's history shows).
pub async fn entries(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<Vec<HistoryRecord>> {
    let (_, facts) = tickets::load(conn, ticket_id).await?;
    if !actor.has_group_access(facts.group_id, crate::policy::access::AccessLevel::Read) {
        return Err(if policy::can_show_ticket(actor, &facts) {
            Error::Forbidden("Not authorized (agent permission required)!".into())
        } else {
            Error::not_authorized()
        });
    }
    Ok(sqlx::query_as::<_, HistoryRecord>(
        "SELECT id, ticket_id, history_type, history_object, object_id, attribute, value_from, value_to, id_from, id_to, \
         created_by_id, created_at FROM ticket_history WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?)
}
