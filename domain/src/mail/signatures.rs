//! Signatures (Zammad's `Signature`, `/api/v1/signatures`, `groups.signature_id`): the HTML an
//! agent's e-mail from a group ends with, with placeholders (`#{user.firstname}`,
//! `#{ticket.number}`, …). Zammad's web client inserts it into the editor; Tandem adds it when
//! the e-mail is queued, so that every client (REST, DeskHero, the web app) sends it alike —
//! see docs/decisions.md.

use serde::Deserialize;
use sqlx::{AnyConnection, FromRow};

use crate::mail::placeholders;
use crate::policy::access::Actor;
use crate::storage::columns;
use crate::storage::rows::{self, Row};
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

/// A signature by id; 404 when there is none.
pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<SignatureRecord> {
    rows::find(conn, "signatures", COLUMNS, "Signature", id).await
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

/// `GET /signatures/{id}` (agents and admins).
pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<SignatureRecord> {
    require(actor, false)?;
    find(conn, id).await
}

/// The fields `POST`/`PUT /signatures` take.
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

impl rows::Written for SignatureRecord {
    type Params = SignatureParams;

    async fn find(conn: &mut AnyConnection, id: i64) -> Result<Self> {
        find(conn, id).await
    }

    /// The row a create (`current` = `None`: `name` required) or an update (the given fields
    /// change) writes.
    async fn row(
        _conn: &mut AnyConnection,
        params: &SignatureParams,
        current: Option<&Self>,
    ) -> Result<Row> {
        let name = params
            .name
            .as_deref()
            .map(|n| n.trim().to_string())
            .or_else(|| current.map(|c| c.name.clone()))
            .unwrap_or_default();
        if name.is_empty() {
            return Err(Error::unprocessable(
                "The required value 'name' is missing.",
            ));
        }
        let text = |given: &Option<String>, stored: Option<&String>| {
            given
                .clone()
                .or_else(|| stored.cloned())
                .unwrap_or_default()
        };
        Ok(Row::of("signatures")
            .set("name", name)
            .set("body", text(&params.body, current.map(|c| &c.body)))
            .set(
                "active",
                params
                    .active
                    .map_or(current.map_or(1, |c| c.active), i64::from),
            )
            .set("note", text(&params.note, current.map(|c| &c.note))))
    }
}

/// `POST /signatures` (`id` `None`) or `PUT /signatures/{id}` (the given fields change; 404 when
/// unknown): the record as stored.
/// Admins only.
pub async fn save(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Option<i64>,
    params: &SignatureParams,
) -> Result<SignatureRecord> {
    require(actor, true)?;
    rows::save(conn, actor.id, id, params).await
}

/// `DELETE /signatures/{id}`; groups using it go without (`ON DELETE SET NULL`).
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    require(actor, true)?;
    find(conn, id).await?;
    rows::delete_unreferenced(conn, "signatures", id, &[]).await
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
