//! Sender addresses (Zammad's `EmailAddress`, `/api/v1/email_addresses`): the `Name <email>`
//! a group's outgoing mail comes from (`groups.email_address_id`). Inbound mail from one of
//! these addresses is our own and never becomes an article (a loop).

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{AnyConnection, FromRow};

use crate::accounts::users;
use crate::policy::access::Actor;
use crate::storage::{clock, columns};
use crate::{Error, Result};

#[derive(Debug, Clone, FromRow)]
pub struct EmailAddressRecord {
    pub id: i64,
    /// The display name (Zammad's `name`, e.g. "Example Support").
    pub name: String,
    /// The address itself, lower-case.
    pub email: String,
    pub active: i64,
    pub note: String,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str =
    "id, name, email, active, note, created_by_id, updated_by_id, created_at, updated_at";

/// Zammad's JSON shape of an e-mail address.
pub fn render(a: &EmailAddressRecord) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "email": a.email,
        "channel_id": null,
        "active": a.active != 0,
        "note": a.note,
        "preferences": {},
        "updated_by_id": a.updated_by_id,
        "created_by_id": a.created_by_id,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    })
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<EmailAddressRecord> {
    sqlx::query_as::<_, EmailAddressRecord>(&format!(
        "SELECT {COLUMNS} FROM email_addresses WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::not_found("EmailAddress", id))
}

/// The active sender address of a group, if it has one.
pub async fn of_group(
    conn: &mut AnyConnection,
    group_id: i64,
) -> Result<Option<EmailAddressRecord>> {
    Ok(sqlx::query_as::<_, EmailAddressRecord>(&format!(
        "SELECT {COLUMNS} FROM email_addresses WHERE active = 1 \
         AND id = (SELECT email_address_id FROM groups WHERE id = $1)"
    ))
    .bind(group_id)
    .fetch_optional(conn)
    .await?)
}

/// Every address Tandem sends from (active or not), lower-case: mail from them is ours.
pub async fn all_emails(conn: &mut AnyConnection) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT email FROM email_addresses")
        .fetch_all(conn)
        .await?)
}

/// Every sender address, by id, for e-mail admins.
pub async fn list(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<EmailAddressRecord>> {
    crate::policy::authorize_email_admin(actor)?;
    Ok(sqlx::query_as::<_, EmailAddressRecord>(&format!(
        "SELECT {COLUMNS} FROM email_addresses ORDER BY id"
    ))
    .fetch_all(conn)
    .await?)
}

/// `GET /email_addresses`: [`list`] as Zammad renders it.
pub async fn index(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<Value>> {
    Ok(list(conn, actor).await?.iter().map(render).collect())
}

pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Value> {
    crate::policy::authorize_email_admin(actor)?;
    Ok(render(&find(conn, id).await?))
}

/// The fields `POST`/`PUT /email_addresses` take.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct EmailAddressParams {
    pub name: Option<String>,
    pub email: Option<String>,
    pub active: Option<bool>,
    pub note: Option<String>,
}

impl EmailAddressParams {
    fn check(&self) -> Result<()> {
        columns::check("name", self.name.as_deref(), columns::TITLE)?;
        columns::check("email", self.email.as_deref(), columns::LOGIN)?;
        columns::check("note", self.note.as_deref(), columns::NOTE)?;
        if let Some(email) = &self.email
            && !users::valid_email(email.trim())
        {
            return Err(Error::unprocessable(format!(
                "Invalid email '{}'",
                email.trim()
            )));
        }
        Ok(())
    }
}

async fn ensure_unique(conn: &mut AnyConnection, email: &str, except: i64) -> Result<()> {
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM email_addresses WHERE lower(email) = lower($1) AND id <> $2",
    )
    .bind(email)
    .bind(except)
    .fetch_optional(conn)
    .await?;
    match taken {
        Some(_) => Err(Error::unprocessable(format!(
            "Email address '{email}' is already used for another email address."
        ))),
        None => Ok(()),
    }
}

pub async fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    params: &EmailAddressParams,
) -> Result<EmailAddressRecord> {
    crate::policy::authorize_email_admin(actor)?;
    params.check()?;
    let name = params.name.as_deref().map(str::trim).unwrap_or_default();
    let email = params
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .unwrap_or_default();
    if name.is_empty() {
        return Err(Error::unprocessable(
            "The required value 'name' is missing.",
        ));
    }
    if email.is_empty() {
        return Err(Error::unprocessable(
            "The required value 'email' is missing.",
        ));
    }
    ensure_unique(conn, &email, 0).await?;
    let now = clock::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO email_addresses (name, email, active, note, created_by_id, updated_by_id, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(name)
    .bind(&email)
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
    params: &EmailAddressParams,
) -> Result<EmailAddressRecord> {
    crate::policy::authorize_email_admin(actor)?;
    params.check()?;
    let current = find(conn, id).await?;
    let name = params
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&current.name)
        .to_string();
    if name.is_empty() {
        return Err(Error::unprocessable(
            "The required value 'name' is missing.",
        ));
    }
    let email = params
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .unwrap_or(current.email.clone());
    ensure_unique(conn, &email, id).await?;
    sqlx::query(
        "UPDATE email_addresses SET name = $1, email = $2, active = $3, note = $4, updated_by_id = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(&name)
    .bind(&email)
    .bind(params.active.map_or(current.active, |a| a as i64))
    .bind(params.note.clone().unwrap_or(current.note))
    .bind(actor.id)
    .bind(clock::now())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    find(conn, id).await
}

/// Removes an address; groups sending from it send from none (`ON DELETE SET NULL`).
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    crate::policy::authorize_email_admin(actor)?;
    find(conn, id).await?;
    sqlx::query("DELETE FROM email_addresses WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
