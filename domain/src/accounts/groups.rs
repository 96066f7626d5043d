//! Groups: the queues tickets live in; agents get access per group.

use serde::Deserialize;
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::{AccessLevel, Actor};
use crate::storage::rows::{self, Row};
use crate::{Error, Result, policy, storage::settings};

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

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<GroupRecord> {
    rows::find(conn, "groups", COLUMNS, "Group", id).await
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

/// A group the caller may see.
pub async fn find_visible(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<GroupRecord> {
    let group = find(conn, id).await?;
    if !visible(conn, actor, &group).await? {
        return Err(Error::not_authorized());
    }
    Ok(group)
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

pub async fn create(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    params: &GroupParams,
) -> Result<GroupRecord> {
    if actor.is_some_and(|a| !policy::can_manage_groups(a)) {
        return Err(forbidden());
    }
    let by = actor.map_or(crate::accounts::users::SYSTEM_USER_ID, |a| a.id);
    rows::save(conn, by, None, params).await
}

pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    params: &GroupParams,
) -> Result<GroupRecord> {
    let current = find(conn, id).await?;
    if !policy::can_manage_groups(actor) {
        return Err(forbidden());
    }
    rows::update(conn, actor.id, id, &current, params).await
}

fn forbidden() -> Error {
    Error::Forbidden("Not authorized (admin permission required)!".into())
}

impl rows::Written for GroupRecord {
    type Params = GroupParams;

    async fn find(conn: &mut AnyConnection, id: i64) -> Result<Self> {
        find(conn, id).await
    }

    /// The group row `params` ask for: checked, over `current` (the stored group; `None` for a new
    /// one, which gets Zammad's defaults: active, follow-up `yes`, shared drafts on).
    async fn row(
        conn: &mut AnyConnection,
        params: &GroupParams,
        current: Option<&Self>,
    ) -> Result<Row> {
        params.check_lengths()?;
        let name = rows::unique_name(
            conn,
            "groups",
            "group",
            params.name.as_deref(),
            current.map(|c| (c.id, c.name.as_str())),
        )
        .await?;
        let follow_up = params
            .follow_up_possible
            .clone()
            .or_else(|| current.map(|c| c.follow_up_possible.clone()))
            .unwrap_or_else(|| "yes".into());
        check_follow_up(&follow_up)?;
        let email_address_id = params
            .email_address_id
            .unwrap_or_else(|| current.and_then(|c| c.email_address_id));
        check_email_address(conn, email_address_id).await?;
        let acknowledgement = match params.acknowledgement.clone() {
            None => current.and_then(|c| c.acknowledgement.clone()),
            Some(text) => text.filter(|t| !t.trim().is_empty()),
        };
        let signature_id = params
            .signature_id
            .unwrap_or_else(|| current.and_then(|c| c.signature_id));
        check_reference(conn, "signatures", "signature_id", signature_id).await?;
        Ok(Row::of("groups")
            .set("name_downcase", crate::storage::text::fold(&name))
            .set("name", name)
            .set(
                "active",
                rows::flag(params.active, current.map(|c| c.active), true),
            )
            .set(
                "note",
                params
                    .note
                    .clone()
                    .or_else(|| current.map(|c| c.note.clone()))
                    .unwrap_or_default(),
            )
            .set("follow_up_possible", follow_up)
            .set(
                "reopen_time_in_days",
                params
                    .reopen_time_in_days
                    .or(current.and_then(|c| c.reopen_time_in_days)),
            )
            .set(
                "shared_drafts",
                rows::flag(params.shared_drafts, current.map(|c| c.shared_drafts), true),
            )
            .set(
                "assignment_timeout",
                params
                    .assignment_timeout
                    .or(current.and_then(|c| c.assignment_timeout)),
            )
            .set("email_address_id", email_address_id)
            .set("acknowledgement", acknowledgement)
            .set("signature_id", signature_id))
    }
}

/// `POST /groups` as one request: one write transaction, the created group. The REST API and
/// the web app's admin area both call this.
pub async fn create_group(
    store: &crate::Store,
    actor: &Actor,
    params: &GroupParams,
) -> Result<GroupRecord> {
    store
        .in_write(async |tx| create(tx, Some(actor), params).await)
        .await
}

/// `PUT /groups/{id}` as one request, like [`create_group`].
pub async fn update_group(
    store: &crate::Store,
    actor: &Actor,
    id: i64,
    params: &GroupParams,
) -> Result<GroupRecord> {
    store
        .in_write(async |tx| update(tx, actor, id, params).await)
        .await
}
