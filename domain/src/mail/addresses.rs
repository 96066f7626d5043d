//! Sender addresses (Zammad's `EmailAddress`, `/api/v1/email_addresses`): the `Name <email>`
//! a group's outgoing mail comes from (`groups.email_address_id`). Inbound mail from one of
//! these addresses is our own and never becomes an article (a loop).

use serde::Deserialize;
use sqlx::{AnyConnection, FromRow};

use crate::accounts::users;
use crate::policy::access::Actor;
use crate::storage::columns;
use crate::storage::rows::{self, Row};
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

/// A sender address by id; 404 when there is none.
pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<EmailAddressRecord> {
    rows::find(conn, "email_addresses", COLUMNS, "EmailAddress", id).await
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

/// `GET /email_addresses/{id}` (e-mail admins).
pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<EmailAddressRecord> {
    crate::policy::authorize_email_admin(actor)?;
    find(conn, id).await
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

impl rows::Written for EmailAddressRecord {
    type Params = EmailAddressParams;

    async fn find(conn: &mut AnyConnection, id: i64) -> Result<Self> {
        find(conn, id).await
    }

    /// The row a create (`current` = `None`: `name` and `email` required) or an update (the given
    /// fields change) writes: trimmed, the address lower-case and unique (Zammad's message).
    async fn row(
        conn: &mut AnyConnection,
        params: &EmailAddressParams,
        current: Option<&Self>,
    ) -> Result<Row> {
        params.check()?;
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
        let email = params
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .or_else(|| current.map(|c| c.email.clone()))
            .unwrap_or_default();
        if email.is_empty() {
            return Err(Error::unprocessable(
                "The required value 'email' is missing.",
            ));
        }
        ensure_unique(conn, &email, current.map_or(0, |c| c.id)).await?;
        Ok(Row::of("email_addresses")
            .set("name", name)
            .set("email", email)
            .set(
                "active",
                params
                    .active
                    .map_or(current.map_or(1, |c| c.active), i64::from),
            )
            .set(
                "note",
                params
                    .note
                    .clone()
                    .or_else(|| current.map(|c| c.note.clone()))
                    .unwrap_or_default(),
            ))
    }
}

/// `POST /email_addresses` (`id` `None`) or `PUT /email_addresses/{id}` (the given fields change; 404 when
/// unknown): the record as stored.
/// E-mail admins only.
pub async fn save(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Option<i64>,
    params: &EmailAddressParams,
) -> Result<EmailAddressRecord> {
    crate::policy::authorize_email_admin(actor)?;
    rows::save(conn, actor.id, id, params).await
}

/// Removes an address; groups sending from it send from none (`ON DELETE SET NULL`).
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    crate::policy::authorize_email_admin(actor)?;
    find(conn, id).await?;
    rows::delete_unreferenced(conn, "email_addresses", id, &[]).await
}
