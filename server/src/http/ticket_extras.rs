//! Tags, mentions, history and merge: thin handlers over the domain.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::dialects::zammad::ticket_records;
use domain::dialects::zammad::tickets::View;
use domain::tickets;
use domain::{Error, tickets::params};
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, QueryParams};
use super::users::merge_body;
use crate::state::AppState;

fn ticket_object(q: &QueryParams, object_key: &str, id_key: &str) -> ApiResult<i64> {
    let object = q.text(object_key).unwrap_or("Ticket");
    if object != "Ticket" {
        return Err(ApiError(Error::unprocessable(format!(
            "Invalid value for param '{object_key}': {object:?}"
        ))));
    }
    q.int(id_key)?.ok_or_else(|| {
        ApiError(Error::unprocessable(format!(
            "The required value '{id_key}' is missing."
        )))
    })
}

#[utoipa::path(get, path = "/tags", tag = "tags", params(("object" = String, Query), ("o_id" = i64, Query)),
    responses((status = 200, description = "`{tags: [...]}`", body = Value)))]
pub async fn tags(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Value>> {
    let ticket_id = ticket_object(&q, "object", "o_id")?;
    let mut conn = state.store.read().await?;
    Ok(Json(
        json!({"tags": tickets::tags(&mut conn, &caller.actor, ticket_id).await?}),
    ))
}

/// A tag's `item` in a JSON body must be a string (`item: 5` is a 422, not the tag "5").
fn tag_item_is_text(body: &Value) -> ApiResult<()> {
    match body.get("item") {
        None | Some(Value::Null) | Some(Value::String(_)) => Ok(()),
        Some(other) => Err(ApiError(params::invalid("item", other))),
    }
}

async fn change_tag(
    state: AppState,
    caller: Caller,
    q: QueryParams,
    add: bool,
) -> ApiResult<Json<Value>> {
    let ticket_id = ticket_object(&q, "object", "o_id")?;
    let item = q
        .text("item")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            ApiError(Error::unprocessable(
                "The required value 'item' is missing.",
            ))
        })?;
    state
        .desk
        .change_tag(&caller.actor, ticket_id, item, add)
        .await?;
    Ok(Json(json!(true)))
}

#[utoipa::path(post, path = "/tags/add", tag = "tags", request_body = Value,
    responses((status = 201, description = "`true`", body = Value)))]
pub async fn add_tag(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(axum::http::StatusCode, Json<Value>)> {
    tag_item_is_text(&body)?;
    // Zammad's TagsController#add: `render json: success, status: :created`
    let answer = change_tag(state, caller, merge_body(q, &body), true).await?;
    Ok((axum::http::StatusCode::CREATED, answer))
}

#[utoipa::path(delete, path = "/tags/remove", tag = "tags", request_body = Value,
    responses((status = 200, description = "`true`", body = Value)))]
pub async fn remove_tag(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    tag_item_is_text(&body)?;
    change_tag(state, caller, merge_body(q, &body), false).await
}

#[utoipa::path(get, path = "/mentions", tag = "mentions", params(("mentionable_type" = String, Query), ("mentionable_id" = i64, Query)),
    responses((status = 200, description = "`{mentions: [...]}`", body = Value)))]
pub async fn list_mentions(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Value>> {
    let ticket_id = ticket_object(&q, "mentionable_type", "mentionable_id")?;
    let mut conn = state.store.read().await?;
    Ok(Json(
        ticket_records::mentions_list(&mut conn, &caller.actor, ticket_id).await?,
    ))
}

#[utoipa::path(post, path = "/mentions", tag = "mentions", request_body = Value,
    responses((status = 201, description = "Created", body = Value), (status = 403, description = "No agent read access")))]
pub async fn create_mention(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let q = merge_body(q, &body);
    let ticket_id = ticket_object(&q, "mentionable_type", "mentionable_id")?;
    let user_id = params::int(&body, "user_id")?;
    let mention = state
        .desk
        .create_mention(&caller.actor, ticket_id, user_id)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ticket_records::render_mention(&mention)),
    ))
}

#[utoipa::path(delete, path = "/mentions/{id}", tag = "mentions", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted", body = Value)))]
pub async fn delete_mention(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_mention(&caller.actor, id).await?;
    Ok(Json(json!({})))
}

#[utoipa::path(get, path = "/ticket_history/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, description = "`{history, assets}`", body = Value), (status = 403, description = "Agents only")))]
pub async fn ticket_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        domain::dialects::zammad::history::render_history(&mut conn, &caller.actor, id).await?,
    ))
}

#[utoipa::path(put, path = "/ticket_merge/{source_ticket_id}/{target_ticket_number}", tag = "tickets",
    params(("source_ticket_id" = i64, Path), ("target_ticket_number" = String, Path)),
    responses((status = 200, description = "`{result: success, target_ticket, source_ticket}` or `{result: failed, message}`", body = Value)))]
pub async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    Path((source, target)): Path<(i64, String)>,
) -> ApiResult<Json<Value>> {
    let view = View {
        with_ids: true,
        ..Default::default()
    };
    let merged = state
        .desk
        .merge_tickets(&caller.actor, source, &target)
        .await?;
    let body = match merged {
        None => {
            json!({"result": "failed", "message": "The target ticket number could not be found."})
        }
        Some((target_ticket, source_ticket)) => {
            let mut conn = state.store.read().await?;
            json!({
                "result": "success",
                "target_ticket": domain::dialects::zammad::tickets::present_ticket(&mut conn, &caller.actor, &target_ticket, view).await?,
                "source_ticket": domain::dialects::zammad::tickets::present_ticket(&mut conn, &caller.actor, &source_ticket, view).await?,
            })
        }
    };
    Ok(Json(body))
}

#[utoipa::path(get, path = "/tickets/{ticket_id}/time_accountings", tag = "time accounting",
    params(("ticket_id" = i64, Path)),
    responses((status = 200, description = "The ticket's time entries (agents): {id, ticket_id, ticket_article_id, time_unit (\"1.5\"), type_id, …}", body = Vec<Value>)))]
pub async fn time_accountings(
    State(state): State<AppState>,
    caller: Caller,
    Path(ticket_id): Path<i64>,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        domain::tickets::time_accounting::index(&mut conn, &caller.actor, ticket_id)
            .await?
            .iter()
            .map(ticket_records::render_time_accounting)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/tickets/{ticket_id}/time_accountings", tag = "time accounting",
    params(("ticket_id" = i64, Path)),
    request_body(content = Value, description = "{time_unit: 1.5 or \"1,5\", type_id?, ticket_article_id?}"),
    responses((status = 201, description = "Recorded", body = Value), (status = 403, description = "No change access")))]
pub async fn create_time_accounting(
    State(state): State<AppState>,
    caller: Caller,
    Path(ticket_id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let entry = domain::dialects::zammad::requests::time_entry(&body)?;
    let entry = state
        .desk
        .create_time_accounting(&caller.actor, ticket_id, &entry)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ticket_records::render_time_accounting(&entry)),
    ))
}

#[utoipa::path(get, path = "/tickets/{ticket_id}/time_accountings/{id}", tag = "time accounting",
    params(("ticket_id" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, description = "Time entry", body = Value)))]
pub async fn show_time_accounting(
    State(state): State<AppState>,
    caller: Caller,
    Path((ticket_id, id)): Path<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(ticket_records::render_time_accounting(
        &domain::tickets::time_accounting::show(&mut conn, &caller.actor, ticket_id, id).await?,
    )))
}

#[utoipa::path(put, path = "/tickets/{ticket_id}/time_accountings/{id}", tag = "time accounting",
    params(("ticket_id" = i64, Path), ("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated (admin.time_accounting)", body = Value)))]
pub async fn update_time_accounting(
    State(state): State<AppState>,
    caller: Caller,
    Path((ticket_id, id)): Path<(i64, i64)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let entry = domain::dialects::zammad::requests::time_entry(&body)?;
    let entry = state
        .desk
        .update_time_accounting(&caller.actor, ticket_id, id, &entry)
        .await?;
    Ok(Json(ticket_records::render_time_accounting(&entry)))
}

#[utoipa::path(delete, path = "/tickets/{ticket_id}/time_accountings/{id}", tag = "time accounting",
    params(("ticket_id" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, description = "Deleted (admin.time_accounting)")))]
pub async fn delete_time_accounting(
    State(state): State<AppState>,
    caller: Caller,
    Path((ticket_id, id)): Path<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    state
        .desk
        .delete_time_accounting(&caller.actor, ticket_id, id)
        .await?;
    Ok(Json(serde_json::json!({})))
}

#[utoipa::path(get, path = "/links", tag = "links",
    params(("link_object" = String, Query, description = "Ticket"), ("link_object_value" = i64, Query)),
    responses((status = 200, description = "`{links: [{link_type, link_object, link_object_value}], assets}` (agents)", body = Value)))]
pub async fn links(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Value>> {
    let ticket_id = ticket_object(&q, "link_object", "link_object_value")?;
    let mut conn = state.store.read().await?;
    Ok(Json(
        domain::dialects::zammad::tickets::links_index(&mut conn, &caller.actor, ticket_id).await?,
    ))
}

#[utoipa::path(post, path = "/links/add", tag = "links",
    request_body(content = Value, description = "{link_type: normal|parent|child, link_object_source: Ticket, link_object_source_number, link_object_target: Ticket, link_object_target_value}"),
    responses((status = 201, description = "Linked", body = Value), (status = 422, description = "Unknown type or ticket, or a ticket linked to itself")))]
pub async fn add_link(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let q = merge_body(q, &body);
    let target = ticket_object(&q, "link_object_target", "link_object_target_value")?;
    let _ = ticket_object(&q, "link_object_source", "link_object_target_value")?;
    let link_type = q.text("link_type").unwrap_or("normal").to_string();
    let number = q
        .text("link_object_source_number")
        .ok_or_else(|| {
            ApiError(Error::unprocessable(
                "The required value 'link_object_source_number' is missing.",
            ))
        })?
        .to_string();
    state
        .desk
        .change_link(
            &caller.actor,
            true,
            &link_type,
            domain::desk::LinkEnd::Number(&number),
            target,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({}))))
}

#[utoipa::path(delete, path = "/links/remove", tag = "links",
    request_body(content = Value, description = "{link_type, link_object_source: Ticket, link_object_source_value, link_object_target: Ticket, link_object_target_value}"),
    responses((status = 200, description = "Unlinked", body = Value), (status = 404, description = "No such link")))]
pub async fn remove_link(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let q = merge_body(q, &body);
    let target = ticket_object(&q, "link_object_target", "link_object_target_value")?;
    let source = ticket_object(&q, "link_object_source", "link_object_source_value")?;
    let link_type = q.text("link_type").unwrap_or("normal").to_string();
    state
        .desk
        .change_link(
            &caller.actor,
            false,
            &link_type,
            domain::desk::LinkEnd::Id(source),
            target,
        )
        .await?;
    Ok(Json(json!({})))
}

#[utoipa::path(get, path = "/tag_list", tag = "tags",
    params(("limit" = Option<i64>, Query)),
    responses((status = 200, description = "Every tag name with its ticket count, by name: [{id, name, count}] (admin.tag)", body = Vec<Value>)))]
pub async fn tag_list(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Vec<Value>>> {
    let limit = q.int("limit")?.unwrap_or(1_000);
    let mut conn = state.store.read().await?;
    Ok(Json(
        ticket_records::tag_list(&mut conn, &caller.actor, limit).await?,
    ))
}

#[utoipa::path(post, path = "/tag_list", tag = "tags", request_body(content = Value, description = "{name}"),
    responses((status = 200, description = "Created (or already there)", body = Value)))]
pub async fn create_tag_item(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let name = params::text(&body, "name")?.unwrap_or_default();
    state
        .desk
        .change_tag_item(&caller.actor, None, Some(&name))
        .await?;
    Ok(Json(json!({})))
}

#[utoipa::path(put, path = "/tag_list/{id}", tag = "tags", params(("id" = i64, Path)),
    request_body(content = Value, description = "{name}: renames on every ticket (merges into an existing name)"),
    responses((status = 200, description = "Renamed", body = Value)))]
pub async fn rename_tag_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let name = params::text(&body, "name")?.unwrap_or_default();
    state
        .desk
        .change_tag_item(&caller.actor, Some(id), Some(&name))
        .await?;
    Ok(Json(json!({})))
}

#[utoipa::path(delete, path = "/tag_list/{id}", tag = "tags", params(("id" = i64, Path)),
    responses((status = 200, description = "Removed from every ticket", body = Value)))]
pub async fn delete_tag_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state
        .desk
        .change_tag_item(&caller.actor, Some(id), None)
        .await?;
    Ok(Json(json!({})))
}

#[utoipa::path(get, path = "/tag_search", tag = "tags",
    params(("term" = Option<String>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "Tag names containing the term, any case: [{id, value}] (agents)", body = Vec<Value>)))]
pub async fn tag_search(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Vec<Value>>> {
    let limit = q.int("limit")?.unwrap_or(10);
    let term = q.text("term").unwrap_or_default().to_string();
    let mut conn = state.store.read().await?;
    Ok(Json(
        ticket_records::tag_search(&mut conn, &caller.actor, &term, limit).await?,
    ))
}
