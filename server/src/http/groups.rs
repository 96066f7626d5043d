//! `/groups`: thin handlers over `domain::accounts::groups`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::accounts::groups::{self, GroupParams};
use domain::dialects::zammad::accounts;
use serde_json::Value;

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::ApiJson;
use crate::state::AppState;

#[utoipa::path(get, path = "/groups", tag = "groups", responses((status = 200, description = "Groups", body = Vec<Value>)))]
pub async fn index(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        accounts::groups_index(&mut conn, &caller.actor).await?,
    ))
}

#[utoipa::path(get, path = "/groups/{id}", tag = "groups", params(("id" = i64, Path)),
    responses((status = 200, description = "Group", body = Value), (status = 404, description = "Unknown")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        accounts::show_group(&mut conn, &caller.actor, id).await?,
    ))
}

#[utoipa::path(post, path = "/groups", tag = "groups", request_body = Value,
    responses((status = 201, description = "Created", body = Value), (status = 403, description = "Admins only")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(params): ApiJson<GroupParams>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let group = groups::create_group(&state.store, &caller.actor, &params).await?;
    Ok((StatusCode::CREATED, Json(accounts::render_group(&group))))
}

#[utoipa::path(put, path = "/groups/{id}", tag = "groups", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(params): ApiJson<GroupParams>,
) -> ApiResult<Json<Value>> {
    let group = groups::update_group(&state.store, &caller.actor, id, &params).await?;
    Ok(Json(accounts::render_group(&group)))
}
