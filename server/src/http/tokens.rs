//! `/user_access_token`: personal access tokens of the caller.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::accounts::tokens::{self, NewToken};
use domain::dialects::zammad::accounts;
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::ApiJson;
use crate::state::AppState;

#[utoipa::path(get, path = "/user_access_token", tag = "user_access_token",
    responses((status = 200, description = "`{tokens, permissions}`", body = Value)))]
pub async fn index(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(accounts::tokens_list(&mut conn, &caller.actor).await?))
}

/// Creates a token; the response's `token` is the only time the secret is shown.
#[utoipa::path(post, path = "/user_access_token", tag = "user_access_token", request_body = Value,
    responses((status = 201, description = "Created; `token` holds the secret", body = Value),
              (status = 422, description = "Missing name/permission, or a permission the user lacks")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(params): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let token = tokens::create_token(&state.store, &caller.actor, &params).await?;
    Ok((
        StatusCode::CREATED,
        Json(accounts::render_created_token(&token)),
    ))
}

#[utoipa::path(delete, path = "/user_access_token/{id}", tag = "user_access_token", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted", body = Value), (status = 404, description = "Not the caller's token")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    tokens::delete_token(&state.store, &caller.actor, id).await?;
    Ok(Json(json!({})))
}
