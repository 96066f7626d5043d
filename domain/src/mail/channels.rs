//! Inbound mailboxes (`/api/v1/email_channels`; Zammad keeps these as a `Channel` whose
//! `options.inbound` is an IMAP adapter): where Tandem fetches customers' mail from, and the
//! group new tickets from it go to. The password is stored for the poller and never rendered.

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::storage::{clock, columns};
use crate::{Error, Result};

#[derive(Debug, Clone, FromRow)]
pub struct EmailChannelRecord {
    pub id: i64,
    pub group_id: i64,
    pub host: String,
    pub port: i64,
    /// `ssl` (TLS from the start), `starttls` or `off`.
    pub ssl: String,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub keep_on_server: i64,
    pub active: i64,
    pub status_in: Option<String>,
    pub last_log_in: Option<String>,
    pub last_fetch_at: Option<String>,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, group_id, host, port, ssl, username, password, folder, keep_on_server, active, \
    status_in, last_log_in, last_fetch_at, created_by_id, updated_by_id, created_at, updated_at";

/// The channel as JSON, without its password.
pub fn render(c: &EmailChannelRecord) -> Value {
    json!({
        "id": c.id,
        "area": "Email::Account",
        "group_id": c.group_id,
        "inbound": {"adapter": "imap", "options": {
            "host": c.host, "port": c.port, "ssl": c.ssl, "user": c.username,
            "folder": c.folder, "keep_on_server": c.keep_on_server != 0,
        }},
        "active": c.active != 0,
        "status_in": c.status_in,
        "last_log_in": c.last_log_in,
        "last_fetch_at": c.last_fetch_at,
        "updated_by_id": c.updated_by_id,
        "created_by_id": c.created_by_id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    })
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<EmailChannelRecord> {
    sqlx::query_as::<_, EmailChannelRecord>(&format!(
        "SELECT {COLUMNS} FROM email_channels WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::not_found("Channel", id))
}

/// Every active channel (for the poller).
pub async fn active(conn: &mut AnyConnection) -> Result<Vec<EmailChannelRecord>> {
    Ok(sqlx::query_as::<_, EmailChannelRecord>(&format!(
        "SELECT {COLUMNS} FROM email_channels WHERE active = 1 ORDER BY id"
    ))
    .fetch_all(conn)
    .await?)
}

/// Every channel, by id, for e-mail admins (the records hold the password: never render it).
pub async fn list(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<EmailChannelRecord>> {
    crate::policy::authorize_email_admin(actor)?;
    Ok(sqlx::query_as::<_, EmailChannelRecord>(&format!(
        "SELECT {COLUMNS} FROM email_channels ORDER BY id"
    ))
    .fetch_all(conn)
    .await?)
}

/// `GET /email_channels`: [`list`] as JSON, without passwords.
pub async fn index(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<Value>> {
    Ok(list(conn, actor).await?.iter().map(render).collect())
}

pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Value> {
    crate::policy::authorize_email_admin(actor)?;
    Ok(render(&find(conn, id).await?))
}

/// The fields `POST`/`PUT /email_channels` take.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct EmailChannelParams {
    pub group_id: Option<i64>,
    pub host: Option<String>,
    pub port: Option<i64>,
    pub ssl: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub folder: Option<String>,
    pub keep_on_server: Option<bool>,
    pub active: Option<bool>,
}

impl EmailChannelParams {
    fn check(&self) -> Result<()> {
        columns::check("host", self.host.as_deref(), columns::LOGIN)?;
        columns::check("user", self.user.as_deref(), columns::LOGIN)?;
        columns::check("password", self.password.as_deref(), columns::PASSWORD)?;
        columns::check("folder", self.folder.as_deref(), columns::MEDIUM)?;
        if let Some(ssl) = &self.ssl
            && !["ssl", "starttls", "off"].contains(&ssl.as_str())
        {
            return Err(Error::unprocessable(format!(
                "Invalid value for param 'ssl': {ssl:?} (ssl, starttls or off)"
            )));
        }
        if let Some(port) = self.port
            && !(1..=65_535).contains(&port)
        {
            return Err(Error::unprocessable(format!(
                "Invalid value for param 'port': {port}"
            )));
        }
        if let Some(host) = &self.host
            && (host.trim().is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/'))
        {
            return Err(Error::unprocessable(format!(
                "Invalid value for param 'host': {host:?}"
            )));
        }
        Ok(())
    }
}

async fn check_group(conn: &mut AnyConnection, group_id: i64) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM groups WHERE id = $1")
        .bind(group_id)
        .fetch_optional(conn)
        .await?;
    found.map(|_| ()).ok_or_else(|| {
        Error::unprocessable(format!("Invalid value for param 'group_id': {group_id}"))
    })
}

pub async fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    params: &EmailChannelParams,
) -> Result<EmailChannelRecord> {
    crate::policy::authorize_email_admin(actor)?;
    params.check()?;
    let required = |name: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Error::unprocessable(format!("The required value '{name}' is missing.")))
    };
    let host = required("host", &params.host)?;
    let user = required("user", &params.user)?;
    let password = params.password.clone().unwrap_or_default();
    let group_id = params
        .group_id
        .ok_or_else(|| Error::unprocessable("The required value 'group_id' is missing."))?;
    check_group(conn, group_id).await?;
    let ssl = params.ssl.clone().unwrap_or_else(|| "ssl".into());
    let port = params.port.unwrap_or(if ssl == "ssl" { 993 } else { 143 });
    let now = clock::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO email_channels (group_id, host, port, ssl, username, password, folder, keep_on_server, active, \
         created_by_id, updated_by_id, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id",
    )
    .bind(group_id)
    .bind(host)
    .bind(port)
    .bind(ssl)
    .bind(user)
    .bind(password)
    .bind(params.folder.clone().filter(|f| !f.trim().is_empty()).unwrap_or_else(|| "INBOX".into()))
    .bind(params.keep_on_server.unwrap_or(false) as i64)
    .bind(params.active.unwrap_or(true) as i64)
    .bind(actor.id)
    .bind(actor.id)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    find(conn, id).await
}

pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    params: &EmailChannelParams,
) -> Result<EmailChannelRecord> {
    crate::policy::authorize_email_admin(actor)?;
    params.check()?;
    let current = find(conn, id).await?;
    let group_id = params.group_id.unwrap_or(current.group_id);
    check_group(conn, group_id).await?;
    sqlx::query(
        "UPDATE email_channels SET group_id = $1, host = $2, port = $3, ssl = $4, username = $5, password = $6, \
         folder = $7, keep_on_server = $8, active = $9, updated_by_id = $10, updated_at = $11 WHERE id = $12",
    )
    .bind(group_id)
    .bind(params.host.clone().map(|h| h.trim().to_string()).unwrap_or(current.host))
    .bind(params.port.unwrap_or(current.port))
    .bind(params.ssl.clone().unwrap_or(current.ssl))
    .bind(params.user.clone().map(|u| u.trim().to_string()).unwrap_or(current.username))
    .bind(params.password.clone().unwrap_or(current.password))
    .bind(params.folder.clone().unwrap_or(current.folder))
    .bind(params.keep_on_server.map_or(current.keep_on_server, i64::from))
    .bind(params.active.map_or(current.active, i64::from))
    .bind(actor.id)
    .bind(clock::now())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    find(conn, id).await
}

pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    crate::policy::authorize_email_admin(actor)?;
    find(conn, id).await?;
    sqlx::query("DELETE FROM email_channels WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes or renews the polling lease of a channel for `holder` (an instance's random id) until
/// `until`; false while another instance holds an unexpired lease.
pub async fn take_lease(
    conn: &mut AnyConnection,
    id: i64,
    holder: &str,
    until: &str,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE email_channels SET poll_lock_until = $1, poll_holder = $2 WHERE id = $3 AND active = 1 \
         AND (poll_lock_until IS NULL OR poll_lock_until < $4 OR poll_holder = $5)",
    )
    .bind(until)
    .bind(holder)
    .bind(id)
    .bind(now)
    .bind(holder)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease back (the poller stops).
pub async fn release_lease(conn: &mut AnyConnection, id: i64, holder: &str) -> Result<()> {
    sqlx::query(
        "UPDATE email_channels SET poll_lock_until = NULL WHERE id = $1 AND poll_holder = $2",
    )
    .bind(id)
    .bind(holder)
    .execute(conn)
    .await?;
    Ok(())
}

/// Notes the outcome of a poll (`error`: `None` for success).
pub async fn record_poll(conn: &mut AnyConnection, id: i64, error: Option<&str>) -> Result<()> {
    sqlx::query(
        "UPDATE email_channels SET status_in = $1, last_log_in = $2, last_fetch_at = $3 WHERE id = $4",
    )
    .bind(if error.is_some() { "error" } else { "ok" })
    .bind(error.map(|e| e.chars().take(1_000).collect::<String>()))
    .bind(clock::now())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}
