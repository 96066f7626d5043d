//! Inbound messages that did not become an article — unreadable, too large, from our own
//! address, over the per-sender rate — kept whole (bytes in the file store) with the reason,
//! for an admin to look at and, after a fix, deliver again (Zammad's
//! `var/spool/unprocessable_mail`). Nothing that reaches Tandem is lost.

use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::storage::clock;
use crate::{Error, Result};

#[derive(Debug, Clone, FromRow)]
pub struct FailedMailRecord {
    pub id: i64,
    pub reason: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub group_id: Option<i64>,
    pub sha256: String,
    pub size: i64,
    pub created_at: String,
}

const COLUMNS: &str = "id, reason, sender, subject, group_id, sha256, size, created_at";

/// What is known of a failed message.
#[derive(Debug, Clone, Default)]
pub struct NewFailedMail {
    pub reason: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub group_id: Option<i64>,
    /// Of the bytes already in the file store.
    pub sha256: String,
    pub size: usize,
}

pub async fn record(conn: &mut AnyConnection, new: NewFailedMail) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO failed_mails (reason, sender, subject, group_id, sha256, size, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
    )
    .bind(new.reason.chars().take(1_000).collect::<String>())
    .bind(new.sender.map(|s| s.chars().take(255).collect::<String>()))
    .bind(new.subject.map(|s| s.chars().take(255).collect::<String>()))
    .bind(new.group_id)
    .bind(new.sha256)
    .bind(new.size as i64)
    .bind(clock::now())
    .fetch_one(conn)
    .await?)
}

/// Newest first, at most 500 (admins with `admin.channel_email`).
pub async fn list(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<FailedMailRecord>> {
    crate::policy::authorize_email_admin(actor)?;
    Ok(sqlx::query_as::<_, FailedMailRecord>(&format!(
        "SELECT {COLUMNS} FROM failed_mails ORDER BY id DESC LIMIT 500"
    ))
    .fetch_all(conn)
    .await?)
}

/// Forgets a failed message (admins); returns its record, whose bytes the caller removes
/// after the commit when nothing else refers to them.
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<FailedMailRecord> {
    let record = find(conn, actor, id).await?;
    sqlx::query("DELETE FROM failed_mails WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(record)
}

pub async fn find(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<FailedMailRecord> {
    crate::policy::authorize_email_admin(actor)?;
    sqlx::query_as::<_, FailedMailRecord>(&format!(
        "SELECT {COLUMNS} FROM failed_mails WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::not_found("FailedMail", id))
}
