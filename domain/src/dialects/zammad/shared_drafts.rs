//! Zammad's shared-draft JSON (`/tickets/{id}/shared_draft`, docs/zammad-api.md §9.1; the
//! zoom bundle's `TicketSharedDraftZoom` asset) and of the named drafts for new tickets
//! (`/tickets/shared_drafts`), rendered from the rows `shared_drafts` reads and writes.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use sqlx::AnyConnection;

use crate::Result;
use crate::accounts::{groups, users};
use crate::policy::access::Actor;
use crate::shared_drafts::files as draft_files;
use crate::shared_drafts::live::Hub;
use crate::shared_drafts::start::{self, StartDraft};
use crate::shared_drafts::zoom::{self, DraftRow};

/// `GET /tickets/{id}/shared_draft`: the draft ([`render_draft`]) and its `ETag`;
/// `{shared_draft_id: null, assets: null}` without one.
pub async fn show_draft(
    hub: &Arc<Hub>,
    actor: &Actor,
    ticket_id: i64,
) -> Result<(Value, Option<String>)> {
    match zoom::show(hub, actor, ticket_id).await? {
        None => Ok((json!({"shared_draft_id": null, "assets": null}), None)),
        Some((row, etag)) => {
            let mut conn = hub.store().read().await?;
            Ok((render_draft(&mut conn, &row).await?, Some(etag)))
        }
    }
}

/// A ticket's reply draft as Zammad answers it: `{shared_draft_id, assets:
/// {TicketSharedDraftZoom, User, Role, Group, Organization}}` (the draft, its files, and the
/// users who created and last changed it with their roles, groups and organisations).
pub async fn render_draft(conn: &mut AnyConnection, row: &DraftRow) -> Result<Value> {
    let mut new_article = row.new_article.clone();
    if let Some(obj) = new_article.as_object_mut() {
        obj.insert(
            "attachments".into(),
            Value::Array(draft_files::list(conn, draft_files::Owner::Reply(row.id)).await?),
        );
    }
    let draft = json!({
        "id": row.id, "ticket_id": row.ticket_id, "new_article": new_article,
        "ticket_attributes": row.ticket_attributes, "created_by_id": row.created_by_id,
        "updated_by_id": row.updated_by_id, "created_at": row.created_at, "updated_at": row.updated_at,
    });
    let mut user_assets = Map::new();
    let mut role_assets = Map::new();
    let mut group_assets = Map::new();
    let mut org_assets = Map::new();
    let mut user_ids = vec![row.created_by_id, row.updated_by_id];
    user_ids.dedup();
    for id in user_ids {
        let user = users::find(conn, id).await?;
        let rendered = super::accounts::render_user_one(conn, &user, false).await?;
        for role_id in users::role_ids(conn, id).await? {
            let role = crate::accounts::roles::find(conn, role_id).await?;
            role_assets.insert(
                role_id.to_string(),
                super::accounts::render_role(conn, &role).await?,
            );
        }
        if let Some(groups) = rendered.get("group_ids").and_then(Value::as_object) {
            for gid in groups.keys().filter_map(|k| k.parse::<i64>().ok()) {
                let group = groups::find(conn, gid).await?;
                group_assets.insert(gid.to_string(), super::accounts::render_group(&group));
            }
        }
        if let Some(org_id) = user.organization_id {
            let org = crate::accounts::organizations::find(conn, org_id).await?;
            org_assets.insert(
                org_id.to_string(),
                super::accounts::render_organization(conn, &org, false).await?,
            );
        }
        user_assets.insert(id.to_string(), rendered);
    }
    let mut drafts = Map::new();
    drafts.insert(row.id.to_string(), draft);
    let mut assets = Map::new();
    assets.insert("TicketSharedDraftZoom".into(), Value::Object(drafts));
    assets.insert("User".into(), Value::Object(user_assets));
    assets.insert("Role".into(), Value::Object(role_assets));
    assets.insert("Group".into(), Value::Object(group_assets));
    assets.insert("Organization".into(), Value::Object(org_assets));
    Ok(json!({"shared_draft_id": row.id, "assets": assets}))
}

/// Adds the ticket's reply draft to a zoom bundle's `assets` (`TicketSharedDraftZoom`, Zammad's
/// "Draft available"), for agents who may use it. `assets`: the bundle's `assets` object.
pub async fn add_to_assets(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &crate::tickets::TicketRecord,
    assets: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    if !crate::policy::can_use_shared_draft(actor, ticket.group_id) {
        return Ok(());
    }
    if let Some(draft) = zoom::find_row(conn, ticket.id).await? {
        let mut drafts = serde_json::Map::new();
        drafts.insert(
            draft.id.to_string(),
            serde_json::json!({"id": draft.id, "ticket_id": draft.ticket_id, "new_article": draft.new_article,
                   "ticket_attributes": draft.ticket_attributes, "created_by_id": draft.created_by_id,
                   "updated_by_id": draft.updated_by_id, "created_at": draft.created_at, "updated_at": draft.updated_at}),
        );
        assets.insert(
            "TicketSharedDraftZoom".into(),
            serde_json::Value::Object(drafts),
        );
    }
    Ok(())
}

/// A named draft for new tickets as Zammad renders it (`content` only when asked).
fn render_start_draft(d: &StartDraft, with_content: bool) -> Value {
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

/// `{TicketSharedDraftStart: {id: draft}}`.
fn start_draft_assets(drafts: &[StartDraft], with_content: bool) -> Value {
    let mut map = Map::new();
    for d in drafts {
        map.insert(d.id.to_string(), render_start_draft(d, with_content));
    }
    json!({"TicketSharedDraftStart": map})
}

/// `GET /tickets/shared_drafts`: `{shared_draft_ids, assets}` of [`start::index`]'s drafts.
pub async fn start_drafts_index(conn: &mut AnyConnection, actor: &Actor) -> Result<Value> {
    let drafts = start::index(conn, actor).await?;
    Ok(json!({
        "shared_draft_ids": drafts.iter().map(|d| d.id).collect::<Vec<_>>(),
        "assets": start_draft_assets(&drafts, false),
    }))
}

/// `GET /tickets/shared_drafts/{id}` (and the answer to its create and update):
/// `{shared_draft_id, shared_draft_content (with its attachments), assets}`.
pub async fn show_start_draft(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Value> {
    let (d, files) = start::show(conn, actor, id).await?;
    let mut content = serde_json::from_str::<Value>(&d.content).unwrap_or(json!({}));
    content["attachments"] = Value::Array(files);
    Ok(json!({
        "shared_draft_id": d.id,
        "shared_draft_content": content,
        "assets": start_draft_assets(std::slice::from_ref(&d), true),
    }))
}
