//! Named drafts for new tickets (`/tickets/shared_drafts`, docs/zammad-api.md §9.2): a hand-over
//! document per group (`name`, `content`, files), for agents with access to the group.

use serde_json::{Map, Value};
use sqlx::{AnyConnection, FromRow};

use super::files::{Owner, Which};
use crate::policy::access::{AccessLevel, Actor};
use crate::{Error, Result, accounts::groups, storage::clock, tickets::params, tickets::sanitize};

#[derive(Debug, Clone, FromRow)]
pub struct StartDraft {
    pub id: i64,
    pub name: String,
    pub group_id: i64,
    pub content: String,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str =
    "id, name, group_id, content, created_by_id, updated_by_id, created_at, updated_at";

fn require_agent(actor: &Actor) -> Result<()> {
    if actor.is_agent() {
        Ok(())
    } else {
        Err(Error::not_authorized())
    }
}

async fn visible(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<StartDraft> {
    require_agent(actor)?;
    let draft = sqlx::query_as::<_, StartDraft>(&format!(
        "SELECT {COLUMNS} FROM ticket_shared_draft_starts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .filter(|d| actor.has_group_access(d.group_id, AccessLevel::Change))
    .ok_or_else(|| Error::not_found("Ticket::SharedDraftStart", id))?;
    Ok(draft)
}

/// `GET /tickets/shared_drafts`: drafts of the groups where the caller has change access, by id.
pub async fn index(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<StartDraft>> {
    require_agent(actor)?;
    let groups = actor.groups_with(AccessLevel::Change);
    let all = sqlx::query_as::<_, StartDraft>(&format!(
        "SELECT {COLUMNS} FROM ticket_shared_draft_starts ORDER BY id"
    ))
    .fetch_all(conn)
    .await?;
    Ok(all
        .into_iter()
        .filter(|d| groups.contains(&d.group_id))
        .collect())
}

/// `GET /tickets/shared_drafts/{id}`: the draft and its files (as the draft stores them).
pub async fn show(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<(StartDraft, Vec<Value>)> {
    let d = visible(conn, actor, id).await?;
    let files: Vec<Value> = super::files::list(conn, Owner::Start(id)).await?;
    Ok((d, files))
}

/// What a request sets on a named draft (`POST`/`PUT /tickets/shared_drafts`): `None`
/// leaves a field as it is. Make it ready with [`StartDraftInput::sanitized`] before the write
/// transaction.
#[derive(Debug, Clone, Default)]
pub struct StartDraftInput {
    pub name: Option<String>,
    pub group_id: Option<i64>,
    /// The draft's article fields (`body` HTML, `to`, …), opaque to Tandem but for `body`,
    /// which is checked against the nesting limits and sanitised.
    pub content: Option<Map<String, Value>>,
    /// The upload cache whose files the draft takes (all of them, replacing its own).
    pub form_id: Option<String>,
}

impl StartDraftInput {
    /// The input with its content's HTML `body` checked against the nesting limits and
    /// sanitised (CPU only: call it before the transaction); 422 for a body nested too deep.
    pub fn sanitized(mut self) -> Result<StartDraftInput> {
        if let Some(content) = &mut self.content
            && let Some(Value::String(body)) = content.get("body")
        {
            crate::tickets::html_limits::check("body", body)?;
            let clean = sanitize::draft_html(body);
            content.insert("body".into(), Value::String(clean));
        }
        if let Some(name) = &self.name {
            params::check_length("name", name)?;
        }
        if let Some(form_id) = &self.form_id {
            params::check_length("form_id", form_id)?;
        }
        Ok(self)
    }
}

async fn check_group(conn: &mut AnyConnection, actor: &Actor, group_id: i64) -> Result<()> {
    groups::find(conn, group_id).await?;
    if !actor.has_group_access(group_id, AccessLevel::Create) {
        return Err(Error::unprocessable(format!(
            "User {} does not have access to group {group_id}.",
            actor.login
        )));
    }
    Ok(())
}

/// `POST /tickets/shared_drafts` (`input` [`StartDraftInput::sanitized`]): the new draft's id.
pub async fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: StartDraftInput,
) -> Result<i64> {
    require_agent(actor)?;
    let name = input
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| Error::unprocessable("The required value 'name' is missing."))?;
    let group_id = input
        .group_id
        .ok_or_else(|| Error::unprocessable("The required value 'group_id' is missing."))?;
    check_group(conn, actor, group_id).await?;
    let now = clock::now();
    let content = Value::Object(input.content.unwrap_or_default()).to_string();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ticket_shared_draft_starts (name, group_id, content, created_by_id, updated_by_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4, $5, $5) RETURNING id",
    )
    .bind(name.trim())
    .bind(group_id)
    .bind(content)
    .bind(actor.id)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    if let Some(form_id) = input.form_id.as_deref().filter(|f| !f.is_empty()) {
        super::files::take_uploads(conn, Owner::Start(id), Which::All, actor, form_id).await?;
    }
    Ok(id)
}

/// `PUT`/`PATCH /tickets/shared_drafts/{id}` (`input` [`StartDraftInput::sanitized`]): the
/// content hashes of the files the draft no longer holds (remove them when unreferenced,
/// after the commit).
pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    input: StartDraftInput,
) -> Result<Vec<String>> {
    let current = visible(conn, actor, id).await?;
    let group_id = input.group_id.unwrap_or(current.group_id);
    if group_id != current.group_id {
        check_group(conn, actor, group_id).await?;
    }
    let name = match input.name {
        Some(n) if n.trim().is_empty() => {
            return Err(Error::unprocessable(
                "The required value 'name' is missing.",
            ));
        }
        Some(n) => n.trim().to_string(),
        None => current.name.clone(),
    };
    let content = input
        .content
        .map(|c| Value::Object(c).to_string())
        .unwrap_or(current.content);
    sqlx::query(
        "UPDATE ticket_shared_draft_starts SET name = $2, group_id = $3, content = $4, updated_by_id = $5, updated_at = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(group_id)
    .bind(content)
    .bind(actor.id)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    match input.form_id.as_deref().filter(|f| !f.is_empty()) {
        Some(form_id) => {
            super::files::take_uploads(conn, Owner::Start(id), Which::All, actor, form_id).await
        }
        None => Ok(Vec::new()),
    }
}

/// `DELETE /tickets/shared_drafts/{id}`: the content hashes of the draft's files (remove them
/// when unreferenced, after the commit).
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Vec<String>> {
    visible(conn, actor, id).await?;
    let hashes = super::files::remove(conn, Owner::Start(id), Which::All).await?;
    sqlx::query("DELETE FROM ticket_shared_draft_starts WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(hashes)
}

/// `POST /tickets/shared_drafts/{id}/import_attachments`: copies the draft's files into the
/// upload cache `form_id`; the copies' ids.
pub async fn import_attachments(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    form_id: &str,
) -> Result<Vec<i64>> {
    visible(conn, actor, id).await?;
    super::files::copy_to_cache(conn, Owner::Start(id), actor, form_id).await
}

/// `POST /tickets` with `shared_draft_id`: the draft is used up by the new ticket (inside the
/// ticket's transaction). 422 when its group differs from the ticket's or the group has shared
/// drafts off; an unknown id is ignored (Zammad).
pub async fn consume(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    ticket_group_id: i64,
) -> Result<()> {
    let Ok(draft) = visible(conn, actor, id).await else {
        return Ok(());
    };
    let group = groups::find(conn, ticket_group_id).await?;
    if draft.group_id != ticket_group_id || group.shared_drafts == 0 {
        return Err(Error::unprocessable(
            "Shared draft cannot be selected for this ticket.",
        ));
    }
    sqlx::query("DELETE FROM ticket_shared_draft_starts WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
