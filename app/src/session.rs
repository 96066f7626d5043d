//! Sign-in, sign-out and "who am I" server functions for the web app.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(unused_imports)]
use crate::api::codec::JsonText;

/// The signed-in user as the pages need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub is_agent: bool,
    pub is_admin: bool,
    pub is_customer: bool,
    /// Sent as `X-CSRF-Token` by the browser's own REST calls.
    pub csrf_token: String,
    /// The time zone chosen in the profile (IANA name); `None`: the browser's.
    #[serde(default)]
    pub time_zone: Option<String>,
}

impl SessionUser {
    /// The user's role as the top bar and the profile name it: `Admin`, `Agent` or `Customer`.
    pub fn role_label(&self) -> &'static str {
        if self.is_admin {
            "Admin"
        } else if self.is_agent {
            "Agent"
        } else {
            "Customer"
        }
    }
}

#[cfg(feature = "ssr")]
pub mod server {
    use domain::Actor;
    use leptos::prelude::*;

    use crate::ServerContext;

    pub fn context() -> Result<ServerContext, ServerFnError> {
        use_context::<ServerContext>().ok_or_else(|| ServerFnError::new("server context missing"))
    }

    /// The session cookie of the current request.
    pub async fn session_cookie() -> Option<String> {
        let headers: axum::http::HeaderMap = leptos_axum::extract().await.ok()?;
        headers
            .get(axum::http::header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(domain::accounts::auth::session_from_cookie_header)
    }

    /// The signed-in actor and CSRF token, if any.
    pub async fn signed_in() -> Result<Option<(Actor, String)>, ServerFnError> {
        let Some(cookie) = session_cookie().await else {
            return Ok(None);
        };
        let ctx = context()?;
        let mut conn = ctx.store.read().await.map_err(internal)?;
        domain::accounts::auth::session_actor(&mut conn, &cookie)
            .await
            .map_err(internal)
    }

    /// The signed-in actor; a 401 when nobody is.
    pub async fn actor() -> Result<Actor, ServerFnError> {
        match signed_in().await? {
            Some((actor, _)) => Ok(actor),
            None => {
                reject(axum::http::StatusCode::UNAUTHORIZED).await;
                Err(ServerFnError::new("Please sign in."))
            }
        }
    }

    /// The signed-in admin (the admin area's server functions); a 401 when nobody is signed
    /// in, a 403 "not allowed" for everyone else.
    pub async fn admin() -> Result<Actor, ServerFnError> {
        let actor = actor().await?;
        if actor.is_admin() {
            Ok(actor)
        } else {
            reject(axum::http::StatusCode::FORBIDDEN).await;
            Err(ServerFnError::new(
                "Not allowed: the admin area is for administrators.",
            ))
        }
    }

    /// A domain error as a server-function error, with the same status the REST API uses.
    pub async fn fail(err: domain::Error) -> ServerFnError {
        let status = axum::http::StatusCode::from_u16(err.status_code())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_client_error() {
            reject(status).await;
        }
        internal(err)
    }

    pub fn internal(err: domain::Error) -> ServerFnError {
        leptos::logging::error!("server function failed: {err}");
        ServerFnError::new(match err {
            domain::Error::Database(_) | domain::Error::Internal(_) => {
                "Something went wrong. Please try again.".to_string()
            }
            other => other.to_string(),
        })
    }

    /// Answers a refused server-function call with a 4xx instead of Leptos's default 500. Plain
    /// form posts (no JavaScript) keep Leptos's redirect back to the form with the error.
    pub async fn reject(status: axum::http::StatusCode) {
        let headers: Option<axum::http::HeaderMap> = leptos_axum::extract().await.ok();
        let form_post = headers
            .as_ref()
            .and_then(|h| h.get(axum::http::header::ACCEPT))
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if !form_post {
            expect_context::<leptos_axum::ResponseOptions>().set_status(status);
        }
    }

    /// Runs a domain call, turning its error into the server function's (see [`fail`]).
    pub async fn run<T>(
        work: impl std::future::Future<Output = domain::Result<T>>,
    ) -> Result<T, ServerFnError> {
        match work.await {
            Ok(value) => Ok(value),
            Err(e) => Err(fail(e).await),
        }
    }

    /// The preamble most server functions share: the signed-in actor (a 401 when nobody is,
    /// see [`actor`]) and the server's context, then `work` with both, its error turned into
    /// the server function's (see [`run`]).
    pub async fn as_actor<T, Fut>(
        work: impl FnOnce(Actor, ServerContext) -> Fut,
    ) -> Result<T, ServerFnError>
    where
        Fut: std::future::Future<Output = domain::Result<T>>,
    {
        let actor = actor().await?;
        let ctx = context()?;
        run(work(actor, ctx)).await
    }

    /// [`as_actor`] for the admin area: `work` runs for a signed-in admin only (see [`admin`]).
    pub async fn as_admin<T, Fut>(
        work: impl FnOnce(Actor, ServerContext) -> Fut,
    ) -> Result<T, ServerFnError>
    where
        Fut: std::future::Future<Output = domain::Result<T>>,
    {
        let actor = admin().await?;
        let ctx = context()?;
        run(work(actor, ctx)).await
    }

    /// The time zone in a user's preferences (`timezone`), if one is set.
    pub fn zone_in(preferences: &str) -> Option<String> {
        zone_of(&serde_json::from_str(preferences).ok()?)
    }

    /// The time zone in parsed preferences (`timezone`), if one is set.
    pub fn zone_of(preferences: &serde_json::Value) -> Option<String> {
        preferences
            .get("timezone")?
            .as_str()
            .map(str::to_string)
            .filter(|z| !z.trim().is_empty())
    }

    /// The user's chosen time zone (`None` if none, or if the user cannot be read).
    pub async fn time_zone_of(user_id: i64) -> Option<String> {
        let ctx = context().ok()?;
        let mut conn = ctx.store.read().await.ok()?;
        let user = domain::accounts::users::find(&mut conn, user_id)
            .await
            .ok()?;
        zone_in(&user.preferences)
    }

    pub fn set_cookie(value: String) {
        let response = expect_context::<leptos_axum::ResponseOptions>();
        if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
            response.append_header(axum::http::header::SET_COOKIE, v);
        }
    }
}

#[server(output = JsonText)]
pub async fn current_user() -> Result<Option<SessionUser>, ServerFnError> {
    let Some((actor, csrf_token)) = server::signed_in().await? else {
        return Ok(None);
    };
    let time_zone = server::time_zone_of(actor.id).await;
    Ok(Some(SessionUser {
        id: actor.id,
        login: actor.login.clone(),
        name: actor.fullname(),
        is_agent: actor.is_agent(),
        is_admin: actor.is_admin(),
        is_customer: actor.is_customer(),
        csrf_token,
        time_zone,
    }))
}

/// Saves the caller's time zone (an IANA name such as `Europe/Berlin`; empty: the browser's) in
/// their preferences (`preferences.timezone`). Answers what is stored now.
#[server]
pub async fn save_time_zone(zone: String) -> Result<Option<String>, ServerFnError> {
    use domain::accounts::users;
    let actor = server::actor().await?;
    let zone = zone.trim().to_string();
    if !zone.is_empty() && !crate::components::time::valid_zone(&zone) {
        server::reject(axum::http::StatusCode::UNPROCESSABLE_ENTITY).await;
        return Err(ServerFnError::new("Unknown time zone."));
    }
    let ctx = server::context()?;
    let value = if zone.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::Value::String(zone)
    };
    let params = users::UserParams {
        preferences: Some(serde_json::Map::from_iter([(
            "timezone".to_string(),
            value,
        )])),
        ..Default::default()
    };
    let saved = server::run(users::update_user(&ctx.store, &actor, actor.id, params)).await?;
    Ok(server::zone_of(&saved.user.preferences()))
}

#[server]
pub async fn sign_in(login: String, password: String) -> Result<(), ServerFnError> {
    let ctx = server::context()?;
    let client = use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    let outcome = domain::accounts::auth::sign_in(
        &ctx.store,
        &login,
        &password,
        &ctx.lockout,
        &client,
        ctx.session_ttl,
    )
    .await
    .map_err(server::internal)?;
    let (_, session) = match outcome {
        Ok(signed_in) => signed_in,
        Err(failure) => {
            server::reject(axum::http::StatusCode::UNAUTHORIZED).await;
            return Err(ServerFnError::new(
                failure.into_error("Invalid login or password.").to_string(),
            ));
        }
    };
    server::set_cookie(domain::accounts::auth::session_cookie(
        &session.cookie_value,
        ctx.session_ttl.as_secs(),
    ));
    leptos_axum::redirect("/");
    Ok(())
}

#[server]
pub async fn sign_out() -> Result<(), ServerFnError> {
    if let Some(cookie) = server::session_cookie().await {
        let ctx = server::context()?;
        domain::accounts::auth::sign_out(&ctx.store, &cookie)
            .await
            .map_err(server::internal)?;
    }
    server::set_cookie(domain::accounts::auth::cleared_session_cookie());
    leptos_axum::redirect("/login");
    Ok(())
}
