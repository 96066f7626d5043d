//! Ticket states and their types (new, open, pending…, closed, merged, removed).

use sqlx::{AnyConnection, FromRow};

use crate::{Error, Result};

pub const NEW: i64 = 1;
pub const OPEN: i64 = 2;
pub const MERGED: i64 = 5;

/// State type names that count as pending (pending_time is kept only for these).
pub const PENDING_TYPES: [&str; 2] = ["pending reminder", "pending action"];

#[derive(Debug, Clone, FromRow)]
pub struct StateRecord {
    pub id: i64,
    pub state_type_id: i64,
    pub state_type: String,
    pub name: String,
    pub next_state_id: Option<i64>,
    pub ignore_escalation: i64,
    pub default_create: i64,
    pub default_follow_up: i64,
    pub active: i64,
    pub note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const SELECT: &str = "SELECT s.id, s.state_type_id, st.name AS state_type, s.name, s.next_state_id, \
    s.ignore_escalation, s.default_create, s.default_follow_up, s.active, s.note, s.created_at, s.updated_at \
    FROM ticket_states s JOIN ticket_state_types st ON st.id = s.state_type_id";

impl StateRecord {
    pub fn is_closed(&self) -> bool {
        self.state_type == "closed"
    }
    pub fn is_pending(&self) -> bool {
        PENDING_TYPES.contains(&self.state_type.as_str())
    }
}

pub async fn all(conn: &mut AnyConnection) -> Result<Vec<StateRecord>> {
    Ok(
        sqlx::query_as::<_, StateRecord>(&format!("{SELECT} ORDER BY s.id"))
            .fetch_all(conn)
            .await?,
    )
}

/// The state `id`, or with `None` the state new tickets get (`default_create`, the first by
/// id): one statement either way. Errors: 404 when there is no state `id`; internal when no
/// state is marked `default_create`.
pub async fn find_or_default_create(
    conn: &mut AnyConnection,
    id: Option<i64>,
) -> Result<StateRecord> {
    sqlx::query_as::<_, StateRecord>(&format!(
        "{SELECT} WHERE s.id = COALESCE($1, \
         (SELECT id FROM ticket_states WHERE default_create = 1 ORDER BY id LIMIT 1))"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| match id {
        Some(id) => Error::not_found("Ticket::State", id),
        None => Error::Internal("no ticket state is marked default_create".into()),
    })
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<StateRecord> {
    sqlx::query_as::<_, StateRecord>(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("Ticket::State", id))
}
