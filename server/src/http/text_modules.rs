//! `/text_modules` (Zammad's `app/controllers/text_modules_controller.rb`): thin handlers over
//! `domain::tickets::text_modules` (reads) and `Desk::save_text_module` /
//! `Desk::delete_text_module` (writes).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::dialects::zammad::text_modules_macros::{render_text_module, text_module_params};
use domain::tickets::text_modules;
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::{ApiJson, QueryParams};
use crate::state::AppState;

#[utoipa::path(get, path = "/text_modules", tag = "text_modules",
    params(("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query),
        ("ticket_id" = Option<i64>, Query, description = "Tandem: the text modules to insert on this ticket (agents who may change it), placeholders filled for the ticket and the caller; {id, name, keywords, content}"),
        ("query" = Option<String>, Query, description = "Tandem, with ticket_id: only those whose name or keywords contain it")),
    responses((status = 200, description = "Text modules (admins: all; agents: the active ones of their groups and those without groups)", body = Vec<Value>),
        (status = 403, description = "Customers")))]
pub async fn index(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    if let Some(ticket_id) = q.int("ticket_id")? {
        let query: String = q
            .text("query")
            .unwrap_or_default()
            .chars()
            .take(100)
            .collect();
        let modules = domain::desk::macros::text_modules_for_ticket(
            &mut conn,
            &caller.actor,
            ticket_id,
            &query,
            20,
        )
        .await?;
        return Ok(Json(
            modules
                .iter()
                .map(|m| json!({"id": m.id, "name": m.name, "keywords": m.keywords, "content": m.content}))
                .collect(),
        ));
    }
    let list = text_modules::list(&mut conn, &caller.actor, q.page(100, 500)?).await?;
    Ok(Json(list.iter().map(render_text_module).collect()))
}

#[utoipa::path(get, path = "/text_modules/{id}", tag = "text_modules", params(("id" = i64, Path)),
    responses((status = 200, description = "Text module", body = Value), (status = 403, description = "Not readable"), (status = 404, description = "Unknown")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    let module = text_modules::show(&mut conn, &caller.actor, id).await?;
    Ok(Json(render_text_module(&module)))
}

#[utoipa::path(post, path = "/text_modules", tag = "text_modules",
    request_body(content = Value, description = "{name, keywords, content (HTML, sanitised; placeholders such as #{ticket.customer.firstname}), note, active, group_ids}"),
    responses((status = 201, description = "Created", body = Value), (status = 403, description = "Without admin.text_module"), (status = 422, description = "Invalid")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let params = text_module_params(&body)?;
    let module = state
        .desk
        .save_text_module(&caller.actor, None, &params)
        .await?;
    Ok((StatusCode::CREATED, Json(render_text_module(&module))))
}

#[utoipa::path(put, path = "/text_modules/{id}", tag = "text_modules", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value), (status = 403, description = "Without admin.text_module"), (status = 422, description = "Invalid")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let params = text_module_params(&body)?;
    let module = state
        .desk
        .save_text_module(&caller.actor, Some(id), &params)
        .await?;
    Ok(Json(render_text_module(&module)))
}

#[utoipa::path(delete, path = "/text_modules/{id}", tag = "text_modules", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted"), (status = 403, description = "Without admin.text_module")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_text_module(&caller.actor, id).await?;
    Ok(Json(json!({})))
}
