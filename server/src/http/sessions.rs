//! Browser sign-in and sign-out (`/signin`, `/signout`, `/signshow`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use crate::state::AppState;
use domain::accounts::auth::SESSION_COOKIE;

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignIn {
    /// Login or e-mail.
    pub username: String,
    pub password: String,
}

fn header(text: String) -> HeaderValue {
    HeaderValue::from_str(&text).expect("cookie values are hex")
}

/// Sign in with login/e-mail and password; sets the session cookie and returns the CSRF token
/// (also in the `CSRF-Token` header) that cookie-authenticated writes must send as `X-CSRF-Token`.
#[utoipa::path(post, path = "/signin", tag = "sessions", request_body = SignIn,
    responses((status = 201, description = "Signed in", body = serde_json::Value),
              (status = 401, description = "Wrong login or password, or account locked")))]
pub async fn signin(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    ApiJson(body): ApiJson<SignIn>,
) -> ApiResult<Response> {
    let client = super::caller::client_address(&extensions);
    let (actor, session) = domain::accounts::auth::sign_in(
        &state.store,
        &body.username,
        &body.password,
        &state.settings.lockout,
        &client,
        state.settings.session_ttl,
    )
    .await?
    .map_err(|failure| ApiError(failure.into_error("Wrong Username or Password combination.")))?;
    let user = domain::dialects::zammad::accounts::render_me(
        &mut *state.store.read().await?,
        &actor,
        false,
    )
    .await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        header(domain::accounts::auth::session_cookie(
            &session.cookie_value,
            state.settings.session_ttl.as_secs(),
        )),
    );
    if let Ok(v) = HeaderValue::from_str(&session.csrf_token) {
        headers.insert("csrf-token", v);
    }
    Ok((
        StatusCode::CREATED,
        headers,
        Json(json!({"session": user, "csrf_token": session.csrf_token})),
    )
        .into_response())
}

/// Ends the browser session.
#[utoipa::path(delete, path = "/signout", tag = "sessions",
    responses((status = 200, description = "Signed out", body = serde_json::Value)))]
pub async fn signout(
    State(state): State<AppState>,
    _caller: Caller,
    jar: CookieJar,
) -> ApiResult<Response> {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        domain::accounts::auth::sign_out(&state.store, cookie.value()).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            header(domain::accounts::auth::cleared_session_cookie()),
        )],
        Json(json!({})),
    )
        .into_response())
}

/// The current session's user.
#[utoipa::path(get, path = "/signshow", tag = "sessions",
    responses((status = 200, description = "Current session", body = serde_json::Value)))]
pub async fn signshow(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<serde_json::Value>> {
    let mut conn = state.store.read().await?;
    let user =
        domain::dialects::zammad::accounts::render_me(&mut conn, &caller.actor, false).await?;
    Ok(Json(json!({"session": user})))
}
