//! Inbound mailboxes (`/api/v1/email_channels`; Zammad keeps these as a `Channel` whose
//! `options.inbound` is an IMAP adapter): where Tandem fetches customers' mail from, and the
//! group new tickets from it go to. The password is stored for the poller and never rendered.

use serde::Deserialize;
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::storage::rows::{self, Row};
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

/// A mailbox by id; 404 when there is none.
pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<EmailChannelRecord> {
    rows::find(conn, "email_channels", COLUMNS, "Channel", id).await
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

/// `GET /email_channels/{id}` (e-mail admins; the record holds the password: never render it).
pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<EmailChannelRecord> {
    crate::policy::authorize_email_admin(actor)?;
    find(conn, id).await
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

impl rows::Written for EmailChannelRecord {
    type Params = EmailChannelParams;

    async fn find(conn: &mut AnyConnection, id: i64) -> Result<Self> {
        find(conn, id).await
    }

    /// The row a create (`current` = `None`: `host`, `user` and `group_id` required; TLS, port 993
    /// or 143, folder `INBOX`, active by default) or an update (the given fields change) writes.
    async fn row(
        conn: &mut AnyConnection,
        params: &EmailChannelParams,
        current: Option<&Self>,
    ) -> Result<Row> {
        params.check()?;
        let required = |name: &str, given: &Option<String>, stored: Option<&String>| {
            given
                .as_deref()
                .or(stored.map(String::as_str))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| {
                    Error::unprocessable(format!("The required value '{name}' is missing."))
                })
        };
        let host = required("host", &params.host, current.map(|c| &c.host))?;
        let user = required("user", &params.user, current.map(|c| &c.username))?;
        let group_id = params
            .group_id
            .or(current.map(|c| c.group_id))
            .ok_or_else(|| Error::unprocessable("The required value 'group_id' is missing."))?;
        check_group(conn, group_id).await?;
        let ssl = params
            .ssl
            .clone()
            .or_else(|| current.map(|c| c.ssl.clone()))
            .unwrap_or_else(|| "ssl".into());
        let port = params
            .port
            .or(current.map(|c| c.port))
            .unwrap_or(if ssl == "ssl" { 993 } else { 143 });
        let folder = params
            .folder
            .clone()
            .or_else(|| current.map(|c| c.folder.clone()))
            .filter(|f| !f.trim().is_empty())
            .unwrap_or_else(|| "INBOX".into());
        Ok(Row::of("email_channels")
            .set("group_id", group_id)
            .set("host", host)
            .set("port", port)
            .set("ssl", ssl)
            .set("username", user)
            .set(
                "password",
                params
                    .password
                    .clone()
                    .or_else(|| current.map(|c| c.password.clone()))
                    .unwrap_or_default(),
            )
            .set("folder", folder)
            .set(
                "keep_on_server",
                rows::flag(
                    params.keep_on_server,
                    current.map(|c| c.keep_on_server),
                    false,
                ),
            )
            .set(
                "active",
                rows::flag(params.active, current.map(|c| c.active), true),
            ))
    }
}

/// `POST /email_channels` (`id` `None`) or `PUT /email_channels/{id}` (the given fields change; 404 when
/// unknown): the record as stored.
/// E-mail admins only; a missing password keeps the stored one.
pub async fn save(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Option<i64>,
    params: &EmailChannelParams,
) -> Result<EmailChannelRecord> {
    crate::policy::authorize_email_admin(actor)?;
    rows::save(conn, actor.id, id, params).await
}

/// `DELETE /email_channels/{id}`.
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    crate::policy::authorize_email_admin(actor)?;
    find(conn, id).await?;
    rows::delete_unreferenced(conn, "email_channels", id, &[]).await
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
