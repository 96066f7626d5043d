//! Start-up set-up that is not plain migration data: the system id, and the operator's admin.

use serde_json::json;
use sqlx::AnyConnection;

use crate::accounts::users::{self, UserParams};
use crate::policy::access::AccessLevel;
use crate::{Result, storage::settings};

pub const ADMIN_ROLE_ID: i64 = 1;
pub const AGENT_ROLE_ID: i64 = 2;
pub const CUSTOMER_ROLE_ID: i64 = 3;

/// Sets `system_id` (the ticket number prefix): the configured one, else keeps the stored one,
/// else picks a random 10–99 at first start.
pub async fn ensure_system_id(conn: &mut AnyConnection, configured: Option<u32>) -> Result<i64> {
    if let Some(id) = configured {
        settings::set(conn, "system_id", &json!(id)).await?;
        return Ok(id as i64);
    }
    if let Some(id) = settings::get::<i64>(conn, "system_id").await? {
        return Ok(id);
    }
    let id = 10 + (rand::random::<u32>() % 90) as i64;
    settings::set(conn, "system_id", &json!(id)).await?;
    Ok(id)
}

/// Creates the admin, or resets its password, unlocks and reactivates it. Admins get the Admin
/// and Agent roles and full access to every group, so they can see and delete every ticket.
pub async fn ensure_admin(conn: &mut AnyConnection, login: &str, password: &str) -> Result<i64> {
    let login = login.trim().to_lowercase();
    let existing = crate::storage::lookup::user_id_by_key(conn, &login).await?;
    let id = match existing {
        Some(id) if id != users::SYSTEM_USER_ID => {
            users::set_password(conn, id, password, None).await?;
            sqlx::query("UPDATE users SET active = 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            id
        }
        _ => {
            let email = if users::valid_email(&login) {
                Some(login.clone())
            } else {
                None
            };
            let params = UserParams {
                login: Some(login.clone()),
                firstname: Some("Admin".into()),
                lastname: Some(String::new()),
                email,
                password: Some(password.to_string()),
                role_ids: Some(vec![ADMIN_ROLE_ID, AGENT_ROLE_ID]),
                ..Default::default()
            };
            users::create(conn, None, &params).await?.id
        }
    };
    for role in [ADMIN_ROLE_ID, AGENT_ROLE_ID] {
        sqlx::query(
            "INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(role)
        .execute(&mut *conn)
        .await?;
    }
    grant_all_groups(conn, id).await?;
    Ok(id)
}

/// Full access to every group (for admins).
pub async fn grant_all_groups(conn: &mut AnyConnection, user_id: i64) -> Result<()> {
    let groups: Vec<i64> = sqlx::query_scalar("SELECT id FROM groups")
        .fetch_all(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM user_groups WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for group in groups {
        sqlx::query("INSERT INTO user_groups (user_id, group_id, access) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(group)
            .bind(AccessLevel::Full.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
