//! Named drafts for new tickets (`/tickets/shared_drafts`, docs/zammad-api.md §9.2): a hand-over
//! document per group (`name`, `content`, files), for agents with access to the group.

use serde_json::{Map, Value, json};
use sqlx::{AnyConnection, FromRow};

use super::files::{Owner, Which};
use crate::policy::access::{AccessLevel, Actor};
use crate::storage::files::FileStore;
use crate::{
    Error, Result, accounts::groups, storage::clock, tickets::attachments, tickets::params,
    tickets::sanitize,
};

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

fn render(d: &StartDraft, with_content: bool) -> Value {
    let mut v = json!({
        "id": d.id, "name": d.name, "group_id": d.group_id,
        "created_by_id": d.created_by_id, "updated_by_id": d.updated_by_id,
        "created_at": d.created_at, "updated_at": d.updated_at,
    });
    if with_content {
        v["content"] = serde_json::from_str(&d.content).unwrap_or(Value::Object(Map::new()));
    }
    v
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

fn assets(drafts: &[StartDraft], with_content: bool) -> Value {
    let mut map = Map::new();
    for d in drafts {
        map.insert(d.id.to_string(), render(d, with_content));
    }
    json!({"TicketSharedDraftStart": map})
}

/// `GET /tickets/shared_drafts`: drafts of the groups where the caller has change access.
pub async fn index(conn: &mut AnyConnection, actor: &Actor) -> Result<Value> {
    require_agent(actor)?;
    let groups = actor.groups_with(AccessLevel::Change);
    let all = sqlx::query_as::<_, StartDraft>(&format!(
        "SELECT {COLUMNS} FROM ticket_shared_draft_starts ORDER BY id"
    ))
    .fetch_all(conn)
    .await?;
    let drafts: Vec<StartDraft> = all
        .into_iter()
        .filter(|d| groups.contains(&d.group_id))
        .collect();
    Ok(json!({
        "shared_draft_ids": drafts.iter().map(|d| d.id).collect::<Vec<_>>(),
        "assets": assets(&drafts, false),
    }))
}

/// `GET /tickets/shared_drafts/{id}`.
pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Value> {
    let d = visible(conn, actor, id).await?;
    let files: Vec<Value> = super::files::list(conn, Owner::Start(id)).await?;
    let mut content = serde_json::from_str::<Value>(&d.content).unwrap_or(json!({}));
    content["attachments"] = Value::Array(files);
    Ok(json!({
        "shared_draft_id": d.id,
        "shared_draft_content": content,
        "assets": assets(std::slice::from_ref(&d), true),
    }))
}

/// Parameters of create/update: `name`, `group_id`, `content` (object), `form_id`.
struct Input {
    name: Option<String>,
    group_id: Option<i64>,
    content: Option<Map<String, Value>>,
    form_id: Option<String>,
}

fn input(body: &Value) -> Result<Input> {
    if !body.is_object() {
        return Err(Error::unprocessable(
            "The request body must be a JSON object.",
        ));
    }
    let content = match body.get("content") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            let mut m = m.clone();
            if let Some(Value::String(b)) = m.get("body") {
                crate::tickets::html_limits::check("body", b)?;
                let clean = sanitize::draft_html(b);
                m.insert("body".into(), Value::String(clean));
            }
            Some(m)
        }
        Some(other) => return Err(params::invalid("content", other)),
    };
    Ok(Input {
        name: params::text(body, "name")?,
        group_id: params::int(body, "group_id")?,
        content,
        form_id: params::text(body, "form_id")?,
    })
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

/// `POST /tickets/shared_drafts`.
pub async fn create(conn: &mut AnyConnection, actor: &Actor, body: &Value) -> Result<Value> {
    require_agent(actor)?;
    let input = input(body)?;
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
    show(conn, actor, id).await
}

/// `PUT`/`PATCH /tickets/shared_drafts/{id}`.
pub async fn update(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    id: i64,
    body: &Value,
) -> Result<Value> {
    let current = visible(conn, actor, id).await?;
    let input = input(body)?;
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
    if let Some(form_id) = input.form_id.as_deref().filter(|f| !f.is_empty()) {
        let old =
            super::files::take_uploads(conn, Owner::Start(id), Which::All, actor, form_id).await?;
        attachments::remove_unreferenced(conn, files, &old).await?;
    }
    show(conn, actor, id).await
}

/// `DELETE /tickets/shared_drafts/{id}` → `{shared_draft_id}`.
pub async fn delete(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    id: i64,
) -> Result<Value> {
    visible(conn, actor, id).await?;
    let hashes = super::files::remove(conn, Owner::Start(id), Which::All).await?;
    sqlx::query("DELETE FROM ticket_shared_draft_starts WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    attachments::remove_unreferenced(conn, files, &hashes).await?;
    Ok(json!({"shared_draft_id": id}))
}

/// `POST /tickets/shared_drafts/{id}/import_attachments` (`{form_id}`).
pub async fn import_attachments(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    body: &Value,
) -> Result<Value> {
    visible(conn, actor, id).await?;
    let form_id = params::text(body, "form_id")?
        .filter(|f| !f.trim().is_empty())
        .ok_or_else(|| Error::unprocessable("The required value 'form_id' is missing."))?;
    let list = super::files::copy_to_cache(conn, Owner::Start(id), actor, &form_id).await?;
    Ok(json!({"attachments": list}))
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
