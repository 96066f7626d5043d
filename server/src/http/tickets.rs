//! `/tickets`: thin handlers over `domain::tickets`. Each write is one transaction.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use domain::dialects::zammad::requests as zammad;
use domain::dialects::zammad::tickets::{View, render_index};
use domain::dialects::zammad::tickets::{present_created, present_ticket};
use domain::tickets;
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::{ApiJson, QueryParams};
use crate::state::AppState;

fn view(q: &QueryParams, with_ids: bool) -> View {
    View {
        expand: q.flag("expand"),
        full: q.flag("full"),
        all: q.flag("all"),
        with_ids,
    }
}

/// Tickets the caller can read, ascending id; `per_page` up to 100.
#[utoipa::path(get, path = "/tickets", tag = "tickets",
    params(("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query), ("expand" = Option<bool>, Query), ("full" = Option<bool>, Query)),
    responses((status = 200, description = "Tickets (or `{record_ids, assets}` with full)", body = Value)))]
pub async fn index(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Value>> {
    let page = tickets::index(&state.store, &caller.actor, q.page(100, 100)?).await?;
    let mut conn = state.store.read().await?;
    Ok(Json(
        render_index(&mut conn, &caller.actor, &page, view(&q, false)).await?,
    ))
}

#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets",
    params(("id" = i64, Path), ("expand" = Option<bool>, Query), ("full" = Option<bool>, Query), ("all" = Option<bool>, Query)),
    responses((status = 200, description = "Ticket", body = Value), (status = 403, description = "No access"), (status = 404, description = "Unknown ticket")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    q: QueryParams,
) -> ApiResult<impl IntoResponse> {
    let json = domain::dialects::zammad::tickets::show_ticket(
        &state.store,
        &caller.actor,
        id,
        view(&q, false),
    )
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json))
}

/// Creates a ticket with its first `article`; ids or names for group/state/priority/owner/customer.
#[utoipa::path(post, path = "/tickets", tag = "tickets", request_body = Value,
    responses((status = 201, description = "Created (with article_ids)", body = Value), (status = 422, description = "Invalid input")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let request = zammad::ticket_changes(body)?;
    let created = state.desk.create_ticket(&caller.actor, request).await?;
    let out = present_created(&state.store, &caller.actor, &created, view(&q, true)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(put, path = "/tickets/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated (with article_ids)", body = Value), (status = 422, description = "Invalid input or closed")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    q: QueryParams,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let changes = zammad::ticket_changes(body)?;
    let ticket = state
        .desk
        .update_ticket(&caller.actor, id, &changes)
        .await?;
    let mut conn = state.store.read().await?;
    let out = present_ticket(&mut conn, &caller.actor, &ticket, view(&q, true)).await?;
    Ok(Json(out))
}

/// Admins only; articles, attachments and tags go with the ticket.
#[utoipa::path(delete, path = "/tickets/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted: `{}`", body = Value), (status = 403, description = "Not an admin")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_ticket(&caller.actor, id).await?;
    Ok(Json(json!({})))
}

fn search_request(q: &QueryParams) -> ApiResult<domain::search::SearchRequest> {
    Ok(domain::search::SearchRequest {
        query: q.text("query").unwrap_or_default().to_string(),
        page: q.page(50, 200)?,
        sort_by: q.list("sort_by"),
        order_by: q.list("order_by"),
        want_total: q.flag("with_total_count") || q.flag("only_total_count") || q.flag("full"),
    })
}

/// Full-text and field search inside the caller's scope. Output: `{tickets, tickets_count,
/// assets}` by default; an array with `expand`; `{records, total_count}` with
/// `with_total_count`; `{record_ids, assets, total_count}` with `full`; `{total_count}` with
/// `only_total_count`.
#[utoipa::path(get, path = "/tickets/search", tag = "tickets",
    params(("query" = Option<String>, Query, description = "words, \"phrases\", field:value, AND/OR/NOT, created_at:[A TO B]"),
           ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query), ("limit" = Option<i64>, Query),
           ("sort_by" = Option<String>, Query, description = "column, or several: `sort_by[]=a&sort_by[]=b`, `a,b`, or a JSON array"),
           ("order_by" = Option<String>, Query, description = "asc/desc, one per sort_by column"), ("expand" = Option<bool>, Query),
           ("full" = Option<bool>, Query), ("with_total_count" = Option<bool>, Query), ("only_total_count" = Option<bool>, Query)),
    responses((status = 200, description = "Matches", body = Value), (status = 422, description = "Invalid query")))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Value>> {
    let request = search_request(&q)?;
    let (rows, total) = domain::search::search_in(&state.store, &caller.actor, &request).await?;
    let mut conn = state.store.read().await?;
    let output = domain::dialects::zammad::search::SearchOutput {
        expand: q.flag("expand"),
        full: q.flag("full"),
        with_total_count: q.flag("with_total_count"),
        only_total_count: q.flag("only_total_count"),
    };
    Ok(Json(
        domain::dialects::zammad::search::render_search(
            &mut conn,
            &caller.actor,
            &rows,
            total,
            output,
        )
        .await?,
    ))
}

/// The same search with parameters in a JSON body.
#[utoipa::path(post, path = "/tickets/search", tag = "tickets", request_body = Value,
    responses((status = 200, description = "Matches", body = Value)))]
pub async fn search_post(
    state: State<AppState>,
    caller: Caller,
    q: QueryParams,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    search(state, caller, super::users::merge_body(q, &body)).await
}
