//! System settings (Zammad's `Setting`): JSON values by name.

use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::AnyConnection;

use crate::Result;
use crate::storage::generation_cache::GenerationCache;

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

/// Settings as of one `auth_generation` (which triggers bump on any change to `settings`,
/// migration 0006): values read on every request of a kind (the FQDN of every new article)
/// without a statement each, for a read connection's view (never inside a write that may
/// change them). Another instance's change is seen as late as the generation is
/// ([`crate::storage::auth_cache::AuthCache::known_generation`], at most 100 ms).
#[derive(Debug)]
pub struct SettingsCache {
    /// The values read, by name (absent ones as `None`).
    values: GenerationCache<String, Option<Value>>,
}

impl Default for SettingsCache {
    fn default() -> SettingsCache {
        SettingsCache {
            // far more than the settings a request reads through it
            values: GenerationCache::new(256),
        }
    }
}

/// [`get`] through the store's [`SettingsCache`]: a statement only when the setting was not
/// read since the last change to settings, accounts or groups (the generation is read first
/// when not known, so a value is never older than the generation it is kept under).
pub async fn cached<T: DeserializeOwned>(store: &crate::Store, name: &str) -> Result<Option<T>> {
    let auth_cache = store.auth_cache();
    // a read connection only when something must be read, and one for both reads
    let mut conn = None;
    let generation = match auth_cache.known_generation() {
        Some(generation) => generation,
        None => {
            let conn = conn.insert(store.read().await?);
            auth_cache.generation(conn).await?
        }
    };
    let cache = &store.settings_cache().values;
    let value = match cache.get(generation, name) {
        Some(value) => value,
        None => {
            let conn = match &mut conn {
                Some(conn) => conn,
                None => conn.insert(store.read().await?),
            };
            let value = get_value(conn, name).await?;
            cache.put(generation, name.to_string(), value.clone());
            value
        }
    };
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
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
