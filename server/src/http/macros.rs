//! `/macros` (Zammad's `app/controllers/macros_controller.rb`): thin handlers over
//! `domain::tickets::macros` (reads) and `Desk::save_macro` / `Desk::delete_macro` (writes),
//! and Tandem's `POST /macros/{id}/apply` over `Desk::apply_macro` (docs/decisions.md).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::dialects::zammad::text_modules_macros::{apply_ticket_id, macro_params, render_macro};
use domain::dialects::zammad::tickets::View;
use domain::dialects::zammad::tickets::present_ticket;
use domain::tickets::macros;
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::{ApiJson, QueryParams};
use crate::state::AppState;

#[utoipa::path(get, path = "/macros", tag = "macros",
    params(("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)),
    responses((status = 200, description = "Macros (admins: all; agents: those of their groups and those without groups)", body = Vec<Value>),
        (status = 403, description = "Customers")))]
pub async fn index(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    let list = macros::list(&mut conn, &caller.actor, q.page(100, 500)?).await?;
    Ok(Json(list.iter().map(render_macro).collect()))
}

#[utoipa::path(get, path = "/macros/{id}", tag = "macros", params(("id" = i64, Path)),
    responses((status = 200, description = "Macro", body = Value), (status = 403, description = "Not readable"), (status = 404, description = "Unknown")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    let found = macros::show(&mut conn, &caller.actor, id).await?;
    Ok(Json(render_macro(&found)))
}

#[utoipa::path(post, path = "/macros", tag = "macros",
    request_body(content = Value, description = "{name, perform: {\"ticket.state_id\": {\"value\": \"4\"}, \"ticket.priority_id\", \"ticket.group_id\", \"ticket.owner_id\": {\"pre_condition\": \"specific\"|\"current_user.id\"|\"not_set\", \"value\"}, \"ticket.tags\": {\"operator\": \"add\"|\"remove\", \"value\": \"a, b\"}}, ux_flow_next_up (none, next_task, next_from_overview), note, active, group_ids}"),
    responses((status = 201, description = "Created", body = Value), (status = 403, description = "Without admin.macro"), (status = 422, description = "Invalid")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let params = macro_params(&body)?;
    let saved = state.desk.save_macro(&caller.actor, None, &params).await?;
    Ok((StatusCode::CREATED, Json(render_macro(&saved))))
}

#[utoipa::path(put, path = "/macros/{id}", tag = "macros", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value), (status = 403, description = "Without admin.macro"), (status = 422, description = "Invalid")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let params = macro_params(&body)?;
    let saved = state
        .desk
        .save_macro(&caller.actor, Some(id), &params)
        .await?;
    Ok(Json(render_macro(&saved)))
}

#[utoipa::path(delete, path = "/macros/{id}", tag = "macros", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted"), (status = 403, description = "Without admin.macro")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_macro(&caller.actor, id).await?;
    Ok(Json(json!({})))
}

#[utoipa::path(post, path = "/macros/{id}/apply", tag = "macros", params(("id" = i64, Path)),
    request_body(content = Value, description = "{\"ticket_id\": N} (a Tandem addition, see docs/decisions.md)"),
    responses((status = 200, description = "The ticket as it is now, and ux_flow_next_up: {\"ticket\": {…}, \"ux_flow_next_up\": \"none\"}", body = Value),
        (status = 403, description = "Not an agent who may change the ticket, or an inactive macro"),
        (status = 404, description = "Unknown macro or ticket"), (status = 422, description = "Invalid")))]
pub async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let ticket_id = apply_ticket_id(&body)?;
    let applied = state.desk.apply_macro(&caller.actor, ticket_id, id).await?;
    let mut conn = state.store.read().await?;
    let ticket = present_ticket(
        &mut conn,
        &caller.actor,
        &applied.ticket,
        View {
            expand: false,
            full: false,
            all: false,
            with_ids: true,
        },
    )
    .await?;
    Ok(Json(
        json!({"ticket": ticket, "ux_flow_next_up": applied.next_up.as_str()}),
    ))
}
