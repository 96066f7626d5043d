//! Read-only lookup resources: `/roles`, `/ticket_states`, `/ticket_priorities`.

use axum::Json;
use axum::extract::{Path, State};
use domain::dialects::zammad::accounts;
use domain::dialects::zammad::ticket_records;
use domain::{tickets::priorities, tickets::states};
use serde_json::Value;

use super::caller::Caller;
use super::error::ApiResult;
use crate::state::AppState;

#[utoipa::path(get, path = "/roles", tag = "roles", responses((status = 200, description = "Roles", body = Vec<Value>)))]
pub async fn roles_index(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    Ok(Json(accounts::roles_index(&mut conn, &caller.actor).await?))
}

#[utoipa::path(get, path = "/roles/{id}", tag = "roles", params(("id" = i64, Path)),
    responses((status = 200, description = "Role", body = Value), (status = 404, description = "Unknown")))]
pub async fn roles_show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        accounts::show_role(&mut conn, &caller.actor, id).await?,
    ))
}

#[utoipa::path(get, path = "/ticket_states", tag = "ticket_states",
    responses((status = 200, description = "Ticket states", body = Vec<Value>)))]
pub async fn states_index(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        states::all(&mut conn)
            .await?
            .iter()
            .map(ticket_records::render_state)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/ticket_states/{id}", tag = "ticket_states", params(("id" = i64, Path)),
    responses((status = 200, description = "Ticket state", body = Value), (status = 404, description = "Unknown")))]
pub async fn states_show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(ticket_records::render_state(
        &states::find(&mut conn, id).await?,
    )))
}

#[utoipa::path(get, path = "/ticket_priorities", tag = "ticket_priorities",
    responses((status = 200, description = "Ticket priorities", body = Vec<Value>)))]
pub async fn priorities_index(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        priorities::all(&mut conn)
            .await?
            .iter()
            .map(ticket_records::render_priority)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/ticket_priorities/{id}", tag = "ticket_priorities", params(("id" = i64, Path)),
    responses((status = 200, description = "Ticket priority", body = Value), (status = 404, description = "Unknown")))]
pub async fn priorities_show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(ticket_records::render_priority(
        &priorities::find(&mut conn, id).await?,
    )))
}
