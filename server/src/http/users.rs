//! `/users`: thin handlers over `domain::accounts::users`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::accounts::users::{self, UserParams};
use domain::dialects::zammad::accounts;
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::{ApiJson, QueryParams};
use crate::state::AppState;

/// The caller's own user, with `expand=true` for role, organisation and group names.
#[utoipa::path(get, path = "/users/me", tag = "users",
    params(("expand" = Option<bool>, Query, description = "Add names next to ids")),
    responses((status = 200, description = "The current user", body = Value),
              (status = 403, description = "Authentication required")))]
pub async fn me(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        accounts::render_me(&mut conn, &caller.actor, q.flag("expand")).await?,
    ))
}

/// All users (agents, user admins); customers get themselves.
#[utoipa::path(get, path = "/users", tag = "users",
    params(("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query), ("expand" = Option<bool>, Query)),
    responses((status = 200, description = "Users", body = Vec<Value>)))]
pub async fn index(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    let page = q.page(100, 500)?;
    Ok(Json(
        accounts::users_index(&mut conn, &caller.actor, page, q.flag("expand")).await?,
    ))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = i64, Path), ("expand" = Option<bool>, Query)),
    responses((status = 200, description = "User", body = Value), (status = 404, description = "Unknown user")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    q: QueryParams,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        accounts::show_user(&mut conn, &caller.actor, id, q.flag("expand")).await?,
    ))
}

#[utoipa::path(post, path = "/users", tag = "users", request_body = Value,
    responses((status = 201, description = "Created", body = Value), (status = 422, description = "Invalid or duplicate")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(params): ApiJson<UserParams>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let user = users::create_user(&state.store, &caller.actor, params).await?;
    Ok((StatusCode::CREATED, Json(accounts::render_user(&user))))
}

#[utoipa::path(put, path = "/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value), (status = 422, description = "Invalid")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(params): ApiJson<UserParams>,
) -> ApiResult<Json<Value>> {
    let user = users::update_user(&state.store, &caller.actor, id, params).await?;
    Ok(Json(accounts::render_user(&user)))
}

/// Search by `query` (or `term` for autocomplete entries); `full=true` → `{record_ids, assets}`.
#[utoipa::path(get, path = "/users/search", tag = "users",
    params(("query" = Option<String>, Query), ("term" = Option<String>, Query), ("limit" = Option<i64>, Query),
           ("page" = Option<i64>, Query), ("expand" = Option<bool>, Query), ("full" = Option<bool>, Query)),
    responses((status = 200, description = "Matches", body = Value)))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    let page = q.page(50, 200)?;
    if let Some(term) = q.text("term") {
        let found =
            users::search(&mut conn, state.store.backend(), &caller.actor, term, page).await?;
        return Ok(Json(Value::Array(
            found.iter().map(accounts::autocomplete_entry).collect(),
        )));
    }
    let query = q.text("query").unwrap_or_default();
    let found = users::search(&mut conn, state.store.backend(), &caller.actor, query, page).await?;
    let rendered = accounts::render_users(&mut conn, &found, q.flag("expand")).await?;
    if q.flag("full") {
        let ids: Vec<i64> = found.iter().map(|u| u.id).collect();
        let assets: serde_json::Map<String, Value> = rendered
            .into_iter()
            .map(|u| (u["id"].to_string(), u))
            .collect();
        return Ok(Json(json!({"record_ids": ids, "assets": {"User": assets}})));
    }
    Ok(Json(Value::Array(rendered)))
}

/// The same search as a POST with the parameters in the query or body.
#[utoipa::path(post, path = "/users/search", tag = "users", request_body = Value,
    responses((status = 200, description = "Matches", body = Value)))]
pub async fn search_post(
    state: State<AppState>,
    caller: Caller,
    q: QueryParams,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    search(state, caller, merge_body(q, &body)).await
}

/// POSTed search parameters join the query string's.
pub fn merge_body(mut q: QueryParams, body: &Value) -> QueryParams {
    if let Some(map) = body.as_object() {
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            q.0.insert(k.clone(), text);
        }
    }
    q
}

/// Body of `POST /users/password_change`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub password_old: String,
    pub password_new: String,
}

/// Changes the caller's own password (Zammad's `users#password_change`): the current password
/// is required, the new one must meet the password policy, and every other session of the user
/// ends.
#[utoipa::path(post, path = "/users/password_change", tag = "users", request_body = PasswordChange,
    responses((status = 200, description = "`{message: ok, user_id}`", body = Value),
              (status = 422, description = "Wrong current password, or a new password the policy refuses")))]
pub async fn password_change(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<Json<Value>> {
    for (field, value) in [
        ("password_old", &body.password_old),
        ("password_new", &body.password_new),
    ] {
        domain::storage::columns::check(field, Some(value), domain::storage::columns::PASSWORD)?;
    }
    let keep_session = headers
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(domain::accounts::auth::session_from_cookie_header)
        .map(|cookie| domain::accounts::auth::sha256_hex(&cookie));
    users::change_own_password(
        &state.store,
        &caller.actor,
        &body.password_old,
        &body.password_new,
        keep_session.as_deref(),
    )
    .await?;
    Ok(Json(json!({"message": "ok", "user_id": caller.actor.id})))
}

#[utoipa::path(delete, path = "/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted"), (status = 422, description = "Can't delete, object has references."),
              (status = 403, description = "admin.user only, never oneself")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    users::delete_user(&state.store, &caller.actor, id).await?;
    Ok(Json(json!({})))
}
