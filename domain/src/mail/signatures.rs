//! Signatures (Zammad's `Signature`, `/api/v1/signatures`, `groups.signature_id`): the HTML an
//! agent's e-mail from a group ends with, with placeholders (`#{user.firstname}`,
//! `#{ticket.number}`, …). Zammad's web client inserts it into the editor; Tandem adds it when
//! the e-mail is queued, so that every client (REST, DeskHero, the web app) sends it alike —
//! see docs/decisions.md.

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{AnyConnection, FromRow};

use crate::mail::placeholders;
use crate::policy::access::Actor;
use crate::storage::{clock, columns};
use crate::tickets::{html_text, sanitize};
use crate::{Error, Result};

#[derive(Debug, Clone, FromRow)]
pub struct SignatureRecord {
    pub id: i64,
    pub name: String,
    /// Sanitised HTML with placeholders.
    pub body: String,
    pub active: i64,
    pub note: String,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str =
    "id, name, body, active, note, created_by_id, updated_by_id, created_at, updated_at";

/// The placeholders a signature may use, filled when an e-mail is queued (the agent as
/// `user`, the ticket, its group and customer, the helpdesk's host name).
pub const PLACEHOLDERS: [&str; 9] = [
    "user.firstname",
    "user.lastname",
    "user.email",
    "ticket.number",
    "ticket.title",
    "ticket.group.name",
    "ticket.customer.firstname",
    "ticket.customer.lastname",
    "config.fqdn",
];

/// Longest signature body (characters).
pub const MAX_BODY: usize = 10_000;

pub fn render(s: &SignatureRecord) -> Value {
    json!({
        "id": s.id, "name": s.name, "body": s.body, "active": s.active != 0, "note": s.note,
        "updated_by_id": s.updated_by_id, "created_by_id": s.created_by_id,
        "created_at": s.created_at, "updated_at": s.updated_at,
    })
}

/// Agents may read signatures (their composer shows them); admins change them.
fn require(actor: &Actor, change: bool) -> Result<()> {
    let allowed = if change {
        crate::policy::can_manage_groups(actor)
    } else {
        actor.is_agent() || crate::policy::can_manage_groups(actor)
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::not_authorized())
    }
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<SignatureRecord> {
    sqlx::query_as::<_, SignatureRecord>(&format!("SELECT {COLUMNS} FROM signatures WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("Signature", id))
}

/// Every signature, by id, for those who may read them.
pub async fn list(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<SignatureRecord>> {
    require(actor, false)?;
    Ok(sqlx::query_as::<_, SignatureRecord>(&format!(
        "SELECT {COLUMNS} FROM signatures ORDER BY id"
    ))
    .fetch_all(conn)
    .await?)
}

/// `GET /signatures`: [`list`] as Zammad renders it.
pub async fn index(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<Value>> {
    Ok(list(conn, actor).await?.iter().map(render).collect())
}

pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Value> {
    require(actor, false)?;
    Ok(render(&find(conn, id).await?))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct SignatureParams {
    pub name: Option<String>,
    pub body: Option<String>,
    pub active: Option<bool>,
    pub note: Option<String>,
}

impl SignatureParams {
    /// Checked and the body sanitised (before the write transaction).
    pub fn prepared(mut self) -> Result<SignatureParams> {
        columns::check("name", self.name.as_deref(), columns::TITLE)?;
        columns::check("note", self.note.as_deref(), columns::NOTE)?;
        columns::check("body", self.body.as_deref(), MAX_BODY)?;
        if let Some(body) = &self.body {
            crate::tickets::html_limits::check("body", body)?;
            self.body = Some(sanitize::html(body));
        }
        Ok(self)
    }
}

pub async fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    params: &SignatureParams,
) -> Result<SignatureRecord> {
    require(actor, true)?;
    let name = params.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(Error::unprocessable(
            "The required value 'name' is missing.",
        ));
    }
    let now = clock::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO signatures (name, body, active, note, created_by_id, updated_by_id, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(name)
    .bind(params.body.clone().unwrap_or_default())
    .bind(params.active.unwrap_or(true) as i64)
    .bind(params.note.clone().unwrap_or_default())
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
    params: &SignatureParams,
) -> Result<SignatureRecord> {
    require(actor, true)?;
    let current = find(conn, id).await?;
    sqlx::query(
        "UPDATE signatures SET name = $1, body = $2, active = $3, note = $4, updated_by_id = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(params.name.clone().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).unwrap_or(current.name))
    .bind(params.body.clone().unwrap_or(current.body))
    .bind(params.active.map_or(current.active, i64::from))
    .bind(params.note.clone().unwrap_or(current.note))
    .bind(actor.id)
    .bind(clock::now())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    find(conn, id).await
}

pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    require(actor, true)?;
    find(conn, id).await?;
    sqlx::query("DELETE FROM signatures WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The active signature of a group, if any.
pub async fn of_group(conn: &mut AnyConnection, group_id: i64) -> Result<Option<SignatureRecord>> {
    Ok(sqlx::query_as::<_, SignatureRecord>(&format!(
        "SELECT {COLUMNS} FROM signatures WHERE active = 1 \
         AND id = (SELECT signature_id FROM groups WHERE id = $1)"
    ))
    .bind(group_id)
    .fetch_optional(conn)
    .await?)
}

/// The signature for a body of `content_type`: placeholders filled (values HTML-escaped for
/// HTML bodies), as HTML or as RFC 3676 text (`-- ` line).
pub fn rendered(
    signature: &SignatureRecord,
    values: &[(&str, String)],
    content_type: &str,
) -> String {
    if content_type == "text/html" {
        let escaped: Vec<(&str, String)> = values
            .iter()
            .map(|(k, v)| (*k, html_text::escape(v)))
            .collect();
        format!(
            "<div>{}</div>",
            placeholders::render(&signature.body, &escaped)
        )
    } else {
        let text = html_text::html_to_text(&signature.body, false);
        format!("\n\n-- \n{}", placeholders::render(&text, values))
    }
}
