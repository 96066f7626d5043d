//! Roles: named permission sets (Admin, Agent, Customer), optionally with group access.

use serde_json::{Value, json};
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

pub async fn render(conn: &mut AnyConnection, role: &RoleRecord) -> Result<Value> {
    let groups: Vec<(i64, String)> =
        sqlx::query_as("SELECT group_id, access FROM role_groups WHERE role_id = $1")
            .bind(role.id)
            .fetch_all(conn)
            .await?;
    let mut group_ids = serde_json::Map::new();
    for (gid, access) in groups {
        group_ids
            .entry(gid.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("inserted as array")
            .push(json!(access));
    }
    let permissions = role.permission_names();
    Ok(json!({
        "id": role.id,
        "name": role.name,
        "preferences": {},
        "default_at_signup": role.default_at_signup != 0,
        "active": role.active != 0,
        "note": role.note,
        "permissions": permissions,
        "permission_ids": [],
        "group_ids": group_ids,
        "updated_by_id": role.updated_by_id,
        "created_by_id": role.created_by_id,
        "created_at": role.created_at,
        "updated_at": role.updated_at,
    }))
}

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

/// `GET /roles`: [`list`] as Zammad renders it.
pub async fn index(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<Value>> {
    let roles = list(conn, actor).await?;
    let mut out = Vec::new();
    for role in &roles {
        out.push(render(conn, role).await?);
    }
    Ok(out)
}

pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Value> {
    let role = find(conn, id).await?;
    if !policy::can_read_roles(actor) {
        return Err(Error::not_authorized());
    }
    render(conn, &role).await
}
