//! Shared drafts: `/tickets/{id}/shared_draft` (the ticket's live reply draft) and
//! `/tickets/shared_drafts` (named drafts for new tickets). Thin handlers over
//! `domain::shared_drafts`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::dialects::zammad::requests as zammad;
use domain::dialects::zammad::shared_drafts::{
    render_draft, show_draft, show_start_draft, start_drafts_index,
};
use domain::shared_drafts::files as draft_files;
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use crate::state::AppState;

fn with_etag(status: StatusCode, body: Value, etag: Option<String>) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// The ticket's reply draft: `{shared_draft_id, assets}` (both `null` when there is none).
/// `ETag` identifies the version (`"<epoch>-<rev>"`).
#[utoipa::path(get, path = "/tickets/{ticket_id}/shared_draft", tag = "shared_drafts", params(("ticket_id" = i64, Path)),
    responses((status = 200, description = "`{shared_draft_id, assets: {TicketSharedDraftZoom, User, Role, Group, Organization}}`", body = Value),
              (status = 403, description = "Not an agent with change access, or drafts off for the group"), (status = 404, description = "Unknown ticket")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(ticket_id): Path<i64>,
) -> ApiResult<Response> {
    let (body, etag) = show_draft(&state.desk.drafts, &caller.actor, ticket_id).await?;
    Ok(with_etag(StatusCode::OK, body, etag))
}

async fn save(
    state: AppState,
    caller: Caller,
    ticket_id: i64,
    headers: &HeaderMap,
    body: Value,
) -> ApiResult<Response> {
    let if_match = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok());
    let write = zammad::draft_write(body)?;
    let saved = state
        .desk
        .save_shared_draft(&caller.actor, ticket_id, &write, if_match)
        .await?;
    let status = if saved.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut conn = state.store.read().await?;
    let body = render_draft(&mut conn, &saved.row).await?;
    Ok(with_etag(status, body, Some(saved.etag)))
}

/// Creates (201) or updates (200) the draft: `{form_id, new_article, ticket_attributes}`.
/// Applied inside the live document, so agents editing it see the change at once and keep
/// what they type. Optional `If-Match` → 412 when the draft changed meanwhile.
#[utoipa::path(put, path = "/tickets/{ticket_id}/shared_draft", tag = "shared_drafts", params(("ticket_id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value), (status = 201, description = "Created", body = Value),
              (status = 412, description = "If-Match did not match"), (status = 422, description = "Invalid input")))]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(ticket_id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Response> {
    save(state, caller, ticket_id, &headers, body).await
}

/// Same as `PUT`; parts not sent (`ticket_attributes`, say) are kept.
#[utoipa::path(patch, path = "/tickets/{ticket_id}/shared_draft", tag = "shared_drafts", params(("ticket_id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value), (status = 201, description = "Created", body = Value)))]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(ticket_id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Response> {
    save(state, caller, ticket_id, &headers, body).await
}

/// Deletes the draft → `{shared_draft_id}`; editors are told and closed. 404 when none.
#[utoipa::path(delete, path = "/tickets/{ticket_id}/shared_draft", tag = "shared_drafts", params(("ticket_id" = i64, Path)),
    responses((status = 200, description = "`{shared_draft_id}`", body = Value), (status = 404, description = "No draft")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(ticket_id): Path<i64>,
) -> ApiResult<Json<Value>> {
    match state
        .desk
        .discard_shared_draft(&caller.actor, ticket_id)
        .await?
    {
        Some(draft_id) => Ok(Json(json!({"shared_draft_id": draft_id}))),
        None => Err(ApiError(domain::Error::NotFound(format!(
            "Couldn't find Ticket::SharedDraftZoom for Ticket with 'id'={ticket_id}"
        )))),
    }
}

/// Copies the draft's files into the caller's upload cache `form_id` → `{attachments}`.
#[utoipa::path(post, path = "/tickets/{ticket_id}/shared_draft/import_attachments", tag = "shared_drafts", params(("ticket_id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "`{attachments: [...]}`", body = Value), (status = 404, description = "No draft")))]
pub async fn import_attachments(
    State(state): State<AppState>,
    caller: Caller,
    Path(ticket_id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let form_id = zammad::draft_import_form_id(&body)?;
    let ids = state
        .desk
        .import_shared_draft_attachments(&caller.actor, ticket_id, &form_id)
        .await?;
    let mut conn = state.store.read().await?;
    Ok(Json(json!({
        "attachments": draft_files::rendered(&mut conn, &ids).await?
    })))
}

/// Named drafts for new tickets in the groups where the caller has change access.
#[utoipa::path(get, path = "/tickets/shared_drafts", tag = "shared_drafts",
    responses((status = 200, description = "`{shared_draft_ids, assets: {TicketSharedDraftStart}}`", body = Value)))]
pub async fn start_index(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(start_drafts_index(&mut conn, &caller.actor).await?))
}

#[utoipa::path(get, path = "/tickets/shared_drafts/{id}", tag = "shared_drafts", params(("id" = i64, Path)),
    responses((status = 200, description = "`{shared_draft_id, shared_draft_content, assets}`", body = Value), (status = 404, description = "Unknown or not visible")))]
pub async fn start_show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(show_start_draft(&mut conn, &caller.actor, id).await?))
}

/// `{name, group_id, form_id, content}`; needs create access on the group.
#[utoipa::path(post, path = "/tickets/shared_drafts", tag = "shared_drafts", request_body = Value,
    responses((status = 201, description = "Created", body = Value), (status = 422, description = "Invalid input or no access to the group")))]
pub async fn start_create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = zammad::start_draft(&body)?;
    let id = state.desk.create_start_draft(&caller.actor, input).await?;
    let mut conn = state.store.read().await?;
    Ok((
        StatusCode::CREATED,
        Json(show_start_draft(&mut conn, &caller.actor, id).await?),
    ))
}

async fn start_save(
    state: AppState,
    caller: Caller,
    id: i64,
    body: Value,
) -> ApiResult<Json<Value>> {
    let input = zammad::start_draft(&body)?;
    state
        .desk
        .update_start_draft(&caller.actor, id, input)
        .await?;
    let mut conn = state.store.read().await?;
    Ok(Json(show_start_draft(&mut conn, &caller.actor, id).await?))
}

#[utoipa::path(put, path = "/tickets/shared_drafts/{id}", tag = "shared_drafts", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value)))]
pub async fn start_put(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    start_save(state, caller, id, body).await
}

#[utoipa::path(patch, path = "/tickets/shared_drafts/{id}", tag = "shared_drafts", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value)))]
pub async fn start_patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    start_save(state, caller, id, body).await
}

#[utoipa::path(delete, path = "/tickets/shared_drafts/{id}", tag = "shared_drafts", params(("id" = i64, Path)),
    responses((status = 200, description = "`{shared_draft_id}`", body = Value)))]
pub async fn start_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_start_draft(&caller.actor, id).await?;
    Ok(Json(json!({"shared_draft_id": id})))
}

#[utoipa::path(post, path = "/tickets/shared_drafts/{id}/import_attachments", tag = "shared_drafts", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "`{attachments: [...]}`", body = Value)))]
pub async fn start_import_attachments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let form_id = domain::tickets::params::text(&body, "form_id")?.unwrap_or_default();
    let ids = state
        .desk
        .import_start_draft_attachments(&caller.actor, id, &form_id)
        .await?;
    let mut conn = state.store.read().await?;
    let list = domain::shared_drafts::files::rendered(&mut conn, &ids).await?;
    Ok(Json(json!({"attachments": list})))
}
