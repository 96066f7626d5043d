//! Zammad's JSON of a ticket's smaller records: states and priorities (`/ticket_states`,
//! `/ticket_priorities`), time accounting entries, mentions (`/mentions`) and online
//! notifications (`/online_notifications`), tags (`/tag_list`, `/tag_search`).

use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::Result;
use crate::desk::notify::OnlineNotification;
use crate::policy::access::Actor;
use crate::tickets::mentions::{self, MentionRow};
use crate::tickets::priorities::PriorityRecord;
use crate::tickets::states::StateRecord;
use crate::tickets::tag_list;
use crate::tickets::time_accounting::{self, TimeAccountingRecord};

/// A ticket state as Zammad renders it (`GET /ticket_states/{id}`).
pub fn render_state(state: &StateRecord) -> Value {
    json!({
        "id": state.id,
        "state_type_id": state.state_type_id,
        "name": state.name,
        "next_state_id": state.next_state_id,
        "ignore_escalation": state.ignore_escalation != 0,
        "default_create": state.default_create != 0,
        "default_follow_up": state.default_follow_up != 0,
        "note": state.note,
        "active": state.active != 0,
        "updated_by_id": 1,
        "created_by_id": 1,
        "created_at": state.created_at,
        "updated_at": state.updated_at,
    })
}

/// A ticket priority as Zammad renders it (`GET /ticket_priorities/{id}`).
pub fn render_priority(p: &PriorityRecord) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "default_create": p.default_create != 0,
        "ui_icon": p.ui_icon,
        "ui_color": p.ui_color,
        "note": p.note,
        "active": p.active != 0,
        "updated_by_id": 1,
        "created_by_id": 1,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

/// A time accounting entry as Zammad renders it (`/tickets/{id}/time_accountings`).
pub fn render_time_accounting(e: &TimeAccountingRecord) -> Value {
    json!({
        "id": e.id, "ticket_id": e.ticket_id, "ticket_article_id": e.ticket_article_id,
        "time_unit": time_accounting::format_unit(e.time_unit), "type_id": e.type_id,
        "created_by_id": e.created_by_id, "created_at": e.created_at, "updated_at": e.updated_at,
    })
}

/// Zammad's JSON of a mention (`mentionable_type` Ticket, `mentionable_id` the ticket).
pub fn render_mention(row: &MentionRow) -> Value {
    let (id, ticket_id, user_id, created_by_id, created_at, updated_at) = row;
    json!({"id": id, "mentionable_type": "Ticket", "mentionable_id": ticket_id, "user_id": user_id,
           "created_by_id": created_by_id, "updated_by_id": created_by_id, "created_at": created_at, "updated_at": updated_at})
}

/// `GET /mentions?mentionable_type=Ticket&mentionable_id=`: [`mentions::rows`] as Zammad renders them.
pub async fn mentions_list(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<Value> {
    let rows = mentions::rows(conn, actor, ticket_id).await?;
    Ok(json!({"mentions": rows.iter().map(render_mention).collect::<Vec<_>>()}))
}

/// An online notification as Zammad renders it for `GET /online_notifications` (`o_id` the
/// ticket, `type` create or update, Tandem's `reason` beside it); `user_id` its owner.
pub fn render_online_notification(n: &OnlineNotification, user_id: i64) -> Value {
    json!({
        "id": n.id, "o_id": n.ticket_id, "object": "Ticket",
        "type": if n.reason == "create" { "create" } else { "update" },
        "reason": n.reason, "seen": n.seen, "user_id": user_id,
        "created_by_id": n.created_by_id, "created_at": n.created_at,
        "updated_at": n.updated_at,
        "ticket_title": n.ticket_title, "ticket_number": n.ticket_number,
    })
}

/// `GET /tag_list`: `[{id, name, count}]` ([`tag_list::index`]).
pub async fn tag_list(conn: &mut AnyConnection, actor: &Actor, limit: i64) -> Result<Vec<Value>> {
    Ok(tag_list::index(conn, actor, limit)
        .await?
        .into_iter()
        .map(|(id, name, count)| json!({"id": id, "name": name, "count": count}))
        .collect())
}

/// `GET /tag_search?term=`: `[{id, value}]` ([`tag_list::search_names`]).
pub async fn tag_search(
    conn: &mut AnyConnection,
    actor: &Actor,
    term: &str,
    limit: i64,
) -> Result<Vec<Value>> {
    Ok(tag_list::search_names(conn, actor, term, limit)
        .await?
        .into_iter()
        .map(|(id, name)| json!({"id": id, "value": name}))
        .collect())
}
