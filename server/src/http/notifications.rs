//! `/online_notifications`: the caller's bell (Zammad's `OnlineNotificationsController`):
//! list, mark one seen, mark all read, delete. Thin handlers over `domain::desk::notify`.

use axum::Json;
use axum::extract::{Path, State};
use domain::desk::notify;
use domain::dialects::zammad::ticket_records;
use domain::tickets::params;
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::ApiJson;
use crate::state::AppState;

#[utoipa::path(get, path = "/online_notifications", tag = "notifications",
    responses((status = 200, description = "The caller's notifications, newest first: {id, o_id, object, type (create|update), reason (create|update|assign|mention), seen, ticket_title, ticket_number, …}", body = Vec<Value>)))]
pub async fn index(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    let list = notify::online_index(&mut conn, &caller.actor).await?;
    Ok(Json(
        list.iter()
            .map(|n| ticket_records::render_online_notification(n, caller.actor.id))
            .collect(),
    ))
}

#[utoipa::path(put, path = "/online_notifications/{id}", tag = "notifications", params(("id" = i64, Path)),
    request_body(content = Value, description = "{\"seen\": true}"),
    responses((status = 200, description = "Updated"), (status = 404, description = "Not the caller's")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let seen = params::flag(&body, "seen")?.unwrap_or(true);
    state
        .desk
        .mark_notification(&caller.actor, id, seen)
        .await?;
    Ok(Json(json!({"id": id, "seen": seen})))
}

#[utoipa::path(post, path = "/online_notifications/mark_all_as_read", tag = "notifications",
    responses((status = 200, description = "Every notification of the caller seen")))]
pub async fn mark_all_as_read(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    state.desk.mark_all_notifications(&caller.actor).await?;
    Ok(Json(json!({})))
}

#[utoipa::path(delete, path = "/online_notifications/{id}", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted"), (status = 404, description = "Not the caller's")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_notification(&caller.actor, id).await?;
    Ok(Json(json!({})))
}
