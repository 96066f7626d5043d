//! Roles: named permission sets (Admin, Agent, Customer), optionally with group access.

use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::{Error, Result, policy};

#[derive(Debug, Clone, FromRow)]
pub struct RoleRecord {
    pub id: i64,
    pub name: String,
    pub permissions: String,
    pub default_at_signup: i64,
    pub active: i64,
    pub note: String,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl RoleRecord {
    /// The role's permission names (`admin.user`, `ticket.agent`, …).
    pub fn permission_names(&self) -> Vec<String> {
        serde_json::from_str(&self.permissions).unwrap_or_default()
    }
}

const COLUMNS: &str = "id, name, permissions, default_at_signup, active, note, created_by_id, updated_by_id, created_at, updated_at";

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<RoleRecord> {
    crate::storage::rows::find(conn, "roles", COLUMNS, "Role", id).await
}

/// Every role, by id, for those who may read roles.
pub async fn list(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<RoleRecord>> {
    if !policy::can_read_roles(actor) {
        return Err(Error::not_authorized());
    }
    Ok(
        sqlx::query_as::<_, RoleRecord>(&format!("SELECT {COLUMNS} FROM roles ORDER BY id"))
            .fetch_all(conn)
            .await?,
    )
}
