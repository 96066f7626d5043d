//! Groups: the queues tickets live in; agents get access per group.

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::{AccessLevel, Actor};
use crate::{Error, Result, policy, storage::clock, storage::settings};

#[derive(Debug, Clone, FromRow)]
pub struct GroupRecord {
    pub id: i64,
    pub name: String,
    pub active: i64,
    pub note: String,
    pub follow_up_possible: String,
    pub reopen_time_in_days: Option<i64>,
    pub shared_drafts: i64,
    pub assignment_timeout: Option<i64>,
    /// The sender address of the group's outgoing e-mail (`email_addresses`).
    pub email_address_id: Option<i64>,
    /// The text new customers get when they open a ticket by e-mail or on the web (Zammad's
    /// "auto reply" trigger), with placeholders; `None`: no acknowledgement.
    pub acknowledgement: Option<String>,
    /// The signature agents' e-mails from this group end with (`signatures`).
    pub signature_id: Option<i64>,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, name, active, note, follow_up_possible, reopen_time_in_days, shared_drafts, \
    assignment_timeout, email_address_id, acknowledgement, signature_id, created_by_id, updated_by_id, created_at, updated_at";

pub fn render(group: &GroupRecord) -> Value {
    json!({
        "id": group.id,
        "name": group.name,
        "name_last": group.name,
        "parent_id": null,
        "assignment_timeout": group.assignment_timeout,
        "follow_up_possible": group.follow_up_possible,
        "reopen_time_in_days": group.reopen_time_in_days,
        "follow_up_assignment": true,
        "email_address_id": group.email_address_id,
        "acknowledgement": group.acknowledgement,
        "signature_id": group.signature_id,
        "shared_drafts": group.shared_drafts != 0,
        "active": group.active != 0,
        "note": group.note,
        "updated_by_id": group.updated_by_id,
        "created_by_id": group.created_by_id,
        "created_at": group.created_at,
        "updated_at": group.updated_at,
    })
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<GroupRecord> {
    sqlx::query_as::<_, GroupRecord>(&format!("SELECT {COLUMNS} FROM groups WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("Group", id))
}

/// Group ids customers may open tickets in (`None` = every active group).
pub async fn customer_create_group_ids(conn: &mut AnyConnection) -> Result<Option<Vec<i64>>> {
    settings::get::<Vec<i64>>(conn, "customer_ticket_create_group_ids").await
}

/// Which groups the caller may see in lists.
async fn visible(conn: &mut AnyConnection, actor: &Actor, group: &GroupRecord) -> Result<bool> {
    if policy::can_manage_groups(actor) {
        return Ok(true);
    }
    if group.active == 0 {
        return Ok(false);
    }
    if actor.is_agent()
        && AccessLevel::ALL
            .iter()
            .any(|l| actor.has_group_access(group.id, *l))
    {
        return Ok(true);
    }
    if actor.is_customer() {
        return Ok(customer_create_group_ids(conn)
            .await?
            .is_none_or(|ids| ids.contains(&group.id)));
    }
    Ok(actor.is_agent())
}

/// The groups the caller may see, by id.
pub async fn list(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<GroupRecord>> {
    let groups =
        sqlx::query_as::<_, GroupRecord>(&format!("SELECT {COLUMNS} FROM groups ORDER BY id"))
            .fetch_all(&mut *conn)
            .await?;
    let mut out = Vec::new();
    for group in groups {
        if visible(conn, actor, &group).await? {
            out.push(group);
        }
    }
    Ok(out)
}

/// `GET /groups`: [`list`] as Zammad renders it.
pub async fn index(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<Value>> {
    Ok(list(conn, actor).await?.iter().map(render).collect())
}

/// A group the caller may see.
pub async fn find_visible(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<GroupRecord> {
    let group = find(conn, id).await?;
    if !visible(conn, actor, &group).await? {
        return Err(Error::not_authorized());
    }
    Ok(group)
}

pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Value> {
    Ok(render(&find_visible(conn, actor, id).await?))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct GroupParams {
    pub name: Option<String>,
    pub active: Option<bool>,
    pub note: Option<String>,
    pub follow_up_possible: Option<String>,
    pub reopen_time_in_days: Option<i64>,
    pub shared_drafts: Option<bool>,
    pub assignment_timeout: Option<i64>,
    /// Absent: unchanged; `null`: none; an id: that sender address.
    #[serde(default, deserialize_with = "present_or_null")]
    pub email_address_id: Option<Option<i64>>,
    /// Absent: unchanged; `null` or empty: none; a text: the acknowledgement.
    #[serde(default, deserialize_with = "present_or_null")]
    pub acknowledgement: Option<Option<String>>,
    /// Absent: unchanged; `null`: none; an id: that signature.
    #[serde(default, deserialize_with = "present_or_null")]
    pub signature_id: Option<Option<i64>>,
}

/// `Some(None)` for an explicit `null`, so that "absent" and "cleared" differ.
fn present_or_null<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// 422 unless `id` names a sender address.
async fn check_email_address(conn: &mut AnyConnection, id: Option<i64>) -> Result<()> {
    check_reference(conn, "email_addresses", "email_address_id", id).await
}

/// 422 unless `id` (if any) is a row of `table`.
async fn check_reference(
    conn: &mut AnyConnection,
    table: &str,
    field: &str,
    id: Option<i64>,
) -> Result<()> {
    let Some(id) = id else { return Ok(()) };
    let found: Option<i64> = sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(Error::unprocessable(format!(
            "Invalid value for param '{field}': {id}"
        ))),
    }
}

impl GroupParams {
    /// Every text field within its column size (422 naming the first that is not).
    pub fn check_lengths(&self) -> Result<()> {
        use crate::storage::columns;
        columns::check("name", self.name.as_deref(), columns::TITLE)?;
        columns::check("note", self.note.as_deref(), columns::NOTE)?;
        columns::check(
            "acknowledgement",
            self.acknowledgement.clone().flatten().as_deref(),
            columns::NOTE,
        )?;
        columns::check(
            "follow_up_possible",
            self.follow_up_possible.as_deref(),
            columns::SHORT,
        )?;
        Ok(())
    }
}

fn check_follow_up(value: &str) -> Result<()> {
    match value {
        "yes" | "new_ticket" | "new_ticket_after_certain_time" => Ok(()),
        other => Err(Error::unprocessable(format!(
            "Invalid value for param 'follow_up_possible': {other:?}"
        ))),
    }
}

async fn ensure_unique_name(conn: &mut AnyConnection, name: &str, except: i64) -> Result<()> {
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM groups WHERE name_downcase = $1 AND id <> $2")
            .bind(crate::storage::text::fold(name))
            .bind(except)
            .fetch_optional(conn)
            .await?;
    match taken {
        Some(_) => Err(Error::unprocessable(format!(
            "Name '{name}' is already used for another group."
        ))),
        None => Ok(()),
    }
}

pub async fn create(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    params: &GroupParams,
) -> Result<GroupRecord> {
    params.check_lengths()?;
    if actor.is_some_and(|a| !policy::can_manage_groups(a)) {
        return Err(Error::Forbidden(
            "Not authorized (admin permission required)!".into(),
        ));
    }
    let name = params.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(Error::unprocessable(
            "The required value 'name' is missing.",
        ));
    }
    ensure_unique_name(conn, name, 0).await?;
    let follow_up = params
        .follow_up_possible
        .clone()
        .unwrap_or_else(|| "yes".into());
    check_follow_up(&follow_up)?;
    let email_address_id = params.email_address_id.flatten();
    check_email_address(conn, email_address_id).await?;
    let acknowledgement = params
        .acknowledgement
        .clone()
        .flatten()
        .filter(|t| !t.trim().is_empty());
    let signature_id = params.signature_id.flatten();
    check_reference(conn, "signatures", "signature_id", signature_id).await?;
    let by = actor.map_or(crate::accounts::users::SYSTEM_USER_ID, |a| a.id);
    let now = clock::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO groups (name, active, note, follow_up_possible, reopen_time_in_days, shared_drafts, \
         assignment_timeout, email_address_id, acknowledgement, signature_id, created_by_id, updated_by_id, created_at, \
         updated_at, name_downcase) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING id",
    )
    .bind(name)
    .bind(params.active.unwrap_or(true) as i64)
    .bind(params.note.clone().unwrap_or_default())
    .bind(follow_up)
    .bind(params.reopen_time_in_days)
    .bind(params.shared_drafts.unwrap_or(true) as i64)
    .bind(params.assignment_timeout)
    .bind(email_address_id)
    .bind(acknowledgement)
    .bind(signature_id)
    .bind(by)
    .bind(by)
    .bind(&now)
    .bind(&now)
    .bind(crate::storage::text::fold(name))
    .fetch_one(&mut *conn)
    .await?;
    find(conn, id).await
}

pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    params: &GroupParams,
) -> Result<GroupRecord> {
    params.check_lengths()?;
    let current = find(conn, id).await?;
    if !policy::can_manage_groups(actor) {
        return Err(Error::Forbidden(
            "Not authorized (admin permission required)!".into(),
        ));
    }
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
    ensure_unique_name(conn, &name, id).await?;
    let follow_up = params
        .follow_up_possible
        .clone()
        .unwrap_or(current.follow_up_possible);
    check_follow_up(&follow_up)?;
    let email_address_id = params.email_address_id.unwrap_or(current.email_address_id);
    check_email_address(conn, email_address_id).await?;
    let acknowledgement = match params.acknowledgement.clone() {
        None => current.acknowledgement.clone(),
        Some(text) => text.filter(|t| !t.trim().is_empty()),
    };
    let signature_id = params.signature_id.unwrap_or(current.signature_id);
    check_reference(conn, "signatures", "signature_id", signature_id).await?;
    sqlx::query(
        "UPDATE groups SET name = $1, active = $2, note = $3, follow_up_possible = $4, reopen_time_in_days = $5, \
         shared_drafts = $6, assignment_timeout = $7, email_address_id = $8, acknowledgement = $9, signature_id = $10, \
         updated_by_id = $11, updated_at = $12, name_downcase = $13 WHERE id = $14",
    )
    .bind(&name)
    .bind(params.active.map_or(current.active, i64::from))
    .bind(params.note.clone().unwrap_or(current.note))
    .bind(follow_up)
    .bind(params.reopen_time_in_days.or(current.reopen_time_in_days))
    .bind(params.shared_drafts.map_or(current.shared_drafts, i64::from))
    .bind(params.assignment_timeout.or(current.assignment_timeout))
    .bind(email_address_id)
    .bind(acknowledgement)
    .bind(signature_id)
    .bind(actor.id)
    .bind(clock::now())
    .bind(crate::storage::text::fold(&name))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    find(conn, id).await
}

/// `POST /groups` as one request: one write transaction, the created group. The REST API and
/// the web app's admin area both call this.
pub async fn create_group(
    store: &crate::Store,
    actor: &Actor,
    params: &GroupParams,
) -> Result<GroupRecord> {
    let mut tx = store.write().await?;
    let group = create(&mut tx, Some(actor), params).await?;
    tx.commit().await?;
    Ok(group)
}

/// `PUT /groups/{id}` as one request, like [`create_group`].
pub async fn update_group(
    store: &crate::Store,
    actor: &Actor,
    id: i64,
    params: &GroupParams,
) -> Result<GroupRecord> {
    let mut tx = store.write().await?;
    let group = update(&mut tx, actor, id, params).await?;
    tx.commit().await?;
    Ok(group)
}
