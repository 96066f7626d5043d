//! Ticket priorities (1 low, 2 normal, 3 high).

use sqlx::{AnyConnection, FromRow};

use crate::{Error, Result};

#[derive(Debug, Clone, FromRow)]
pub struct PriorityRecord {
    pub id: i64,
    pub name: String,
    pub default_create: i64,
    pub ui_icon: Option<String>,
    pub ui_color: Option<String>,
    pub active: i64,
    pub note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const SELECT: &str = "SELECT id, name, default_create, ui_icon, ui_color, active, note, created_at, updated_at FROM ticket_priorities";

pub async fn all(conn: &mut AnyConnection) -> Result<Vec<PriorityRecord>> {
    Ok(
        sqlx::query_as::<_, PriorityRecord>(&format!("{SELECT} ORDER BY id"))
            .fetch_all(conn)
            .await?,
    )
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<PriorityRecord> {
    sqlx::query_as::<_, PriorityRecord>(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("Ticket::Priority", id))
}
