//! `/ticket_articles`: thin handlers over `domain::tickets::articles`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::dialects::zammad::articles as zammad_articles;
use domain::dialects::zammad::requests as zammad;
use domain::tickets::attachments;
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::ApiJson;
use crate::state::AppState;

#[utoipa::path(get, path = "/ticket_articles/by_ticket/{ticket_id}", tag = "ticket_articles", params(("ticket_id" = i64, Path)),
    responses((status = 200, description = "Articles the caller may see, in order", body = Vec<Value>)))]
pub async fn by_ticket(
    State(state): State<AppState>,
    caller: Caller,
    Path(ticket_id): Path<i64>,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        zammad_articles::by_ticket(&mut conn, &caller.actor, ticket_id).await?,
    ))
}

#[utoipa::path(get, path = "/ticket_articles/{id}", tag = "ticket_articles", params(("id" = i64, Path)),
    responses((status = 200, description = "Article", body = Value), (status = 403, description = "Internal or no access")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        zammad_articles::show_article(&mut conn, &caller.actor, id).await?,
    ))
}

#[utoipa::path(post, path = "/ticket_articles", tag = "ticket_articles", request_body = Value,
    responses((status = 201, description = "Created", body = Value), (status = 422, description = "Invalid input")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = zammad::article_input(body)?;
    let (article, extras) = state.desk.create_article(&caller.actor, input).await?;
    let mut conn = state.store.read().await?;
    let json = zammad_articles::render_created(&mut conn, &caller.actor, &article, extras).await?;
    Ok((StatusCode::CREATED, Json(json)))
}

/// Only `internal` (and `preferences.highlight`) can change.
#[utoipa::path(put, path = "/ticket_articles/{id}", tag = "ticket_articles", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let changes = zammad::article_changes(&body)?;
    let article = state
        .desk
        .update_article(&caller.actor, id, &changes)
        .await?;
    let mut conn = state.store.read().await?;
    Ok(Json(zammad_articles::render(&mut conn, &article).await?))
}

#[utoipa::path(delete, path = "/ticket_articles/{id}", tag = "ticket_articles", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted", body = Value), (status = 403, description = "Zammad's delete rules")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_article(&caller.actor, id).await?;
    Ok(Json(json!({})))
}

/// Forwarding an article: its attached files (not its inline images) copied into the caller's
/// upload cache `form_id`, for the article the caller sends next with that `form_id`.
/// Zammad's `TicketArticlesController#ticket_attachment_upload_clone_by_article`.
#[utoipa::path(post, path = "/ticket_attachment_upload_clone_by_article/{article_id}", tag = "ticket_articles",
    params(("article_id" = i64, Path)), request_body(content = Value, description = "`{form_id}`"),
    responses((status = 200, description = "`{attachments: [{id, filename, size, preferences}]}` (the copies)", body = Value),
        (status = 403, description = "The article is not the caller's to read"), (status = 422, description = "No `form_id`")))]
pub async fn clone_attachments(
    State(state): State<AppState>,
    caller: Caller,
    Path(article_id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let form_id = zammad::clone_form_id(&body)?;
    let copies = state
        .desk
        .clone_article_attachments(&caller.actor, article_id, &form_id)
        .await?;
    let attachments: Vec<Value> = copies.iter().map(attachments::render).collect();
    Ok(Json(json!({ "attachments": attachments })))
}
