//! `/organizations`: thin handlers over `domain::accounts::organizations`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::accounts::organizations::{self, OrganizationParams};
use domain::dialects::zammad::accounts;
use serde_json::Value;

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::{ApiJson, QueryParams};
use crate::state::AppState;

#[utoipa::path(get, path = "/organizations", tag = "organizations",
    params(("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query), ("expand" = Option<bool>, Query)),
    responses((status = 200, description = "Organizations", body = Vec<Value>)))]
pub async fn index(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        accounts::organizations_index(
            &mut conn,
            &caller.actor,
            q.page(100, 500)?,
            q.flag("expand"),
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/organizations/{id}", tag = "organizations", params(("id" = i64, Path)),
    responses((status = 200, description = "Organization", body = Value), (status = 404, description = "Unknown")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    q: QueryParams,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        accounts::show_organization(&mut conn, &caller.actor, id, q.flag("expand")).await?,
    ))
}

#[utoipa::path(post, path = "/organizations", tag = "organizations", request_body = Value,
    responses((status = 201, description = "Created", body = Value), (status = 422, description = "Invalid or duplicate")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(params): ApiJson<OrganizationParams>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let org = organizations::create_organization(&state.store, &caller.actor, &params).await?;
    let mut conn = state.store.read().await?;
    let body = accounts::render_organization(&mut conn, &org, false).await?;
    Ok((StatusCode::CREATED, Json(body)))
}

#[utoipa::path(put, path = "/organizations/{id}", tag = "organizations", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(params): ApiJson<OrganizationParams>,
) -> ApiResult<Json<Value>> {
    let org = organizations::update_organization(&state.store, &caller.actor, id, &params).await?;
    let mut conn = state.store.read().await?;
    Ok(Json(
        accounts::render_organization(&mut conn, &org, false).await?,
    ))
}

#[utoipa::path(get, path = "/organizations/search", tag = "organizations",
    params(("query" = Option<String>, Query), ("limit" = Option<i64>, Query), ("page" = Option<i64>, Query)),
    responses((status = 200, description = "Matches", body = Vec<Value>)))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    let query = q.text("query").or(q.text("term")).unwrap_or_default();
    let found = organizations::search(
        &mut conn,
        state.store.backend(),
        &caller.actor,
        query,
        q.page(50, 200)?,
    )
    .await?;
    let mut out = Vec::new();
    for org in &found {
        out.push(accounts::render_organization(&mut conn, org, q.flag("expand")).await?);
    }
    Ok(Json(out))
}

#[utoipa::path(delete, path = "/organizations/{id}", tag = "organizations", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted"), (status = 422, description = "Can't delete, object has references.")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    organizations::delete_organization(&state.store, &caller.actor, id).await?;
    Ok(Json(serde_json::json!({})))
}
