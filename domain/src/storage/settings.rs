//! System settings (Zammad's `Setting`): JSON values by name.

use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::AnyConnection;

use crate::Result;

pub async fn get_value(conn: &mut AnyConnection, name: &str) -> Result<Option<Value>> {
    let text = sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    Ok(decode(text.as_deref()))
}

/// A setting's stored text as its JSON value (`None` when absent or not JSON), for a
/// statement that reads settings along with other columns (`SELECT value FROM settings …`
/// as a subquery).
pub fn decode(text: Option<&str>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

pub async fn get<T: DeserializeOwned>(conn: &mut AnyConnection, name: &str) -> Result<Option<T>> {
    Ok(get_value(conn, name)
        .await?
        .and_then(|v| serde_json::from_value(v).ok()))
}

pub async fn set(conn: &mut AnyConnection, name: &str, value: &Value) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name)
    .bind(value.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// `ui_ticket_zoom_article_delete_timeframe` (seconds, 0 = unlimited).
pub async fn article_delete_timeframe(conn: &mut AnyConnection) -> Result<i64> {
    Ok(get::<i64>(conn, "ui_ticket_zoom_article_delete_timeframe")
        .await?
        .unwrap_or(600))
}

pub async fn flag(conn: &mut AnyConnection, name: &str) -> Result<bool> {
    Ok(get::<bool>(conn, name).await?.unwrap_or(true))
}
