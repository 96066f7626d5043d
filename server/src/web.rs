//! Assembles the whole HTTP surface: REST API, OpenAPI, the Leptos app with its server
//! functions, static files, and the cross-cutting layers (limits, tracing, compression).

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::http;
use crate::state::AppState;

pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let (api, openapi) = http::api();
    let openapi = Arc::new(openapi);
    let routes = generate_route_list(app::App);
    let context = app::ServerContext {
        store: state.store.clone(),
        desk: state.desk.clone(),
        lockout: state.settings.lockout,
        session_ttl: state.settings.session_ttl,
    };
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(openapi.as_ref().clone()) }),
        )
        .route("/api/v1/{*rest}", any(http::no_route))
        .route(
            "/ws/tickets/{ticket_id}",
            get(crate::draft_socket::ticket_room),
        )
        .route("/ws/live", get(crate::tab_socket::tab_socket))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context.clone()),
            move || app::shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(middleware::from_fn(http::method_not_allowed_as_404))
        .layer(middleware::from_fn_with_state(state.clone(), check_origin))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(CompressionLayer::new())
        .layer(CatchPanicLayer::custom(http::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Cookie-authenticated writes (REST and server functions) must come from our own pages: a
/// cross-site `Origin` is refused. Token and Basic clients send no cookie and are not affected.
async fn check_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let has_session = request
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(domain::accounts::auth::session_from_cookie_header)
        .is_some();
    if unsafe_method && has_session && !origin_allowed(&request, &state.settings.allowed_origins) {
        return http::error::error_response(
            StatusCode::FORBIDDEN,
            "Cross-site request refused (Origin not allowed)",
        )
        .into_response();
    }
    next.run(request).await
}

/// WebSocket upgrades: a cookie alone must not open a socket from another site (cross-site
/// WebSocket hijacking), so a foreign `Origin` is refused before the upgrade.
pub fn refuse_cross_site_socket(
    headers: &axum::http::HeaderMap,
    allowed: &[String],
) -> Result<(), http::error::ApiError> {
    if origin_allowed_headers(headers, allowed) {
        Ok(())
    } else {
        Err(http::error::ApiError(domain::Error::Forbidden(
            "Cross-site request refused (Origin not allowed)".into(),
        )))
    }
}

/// `Origin` absent (same-origin navigation in older browsers) or equal to our own host.
pub fn origin_allowed(request: &Request, allowed: &[String]) -> bool {
    origin_allowed_headers(request.headers(), allowed)
}

/// [`origin_allowed`] on a request's headers.
pub fn origin_allowed_headers(headers: &axum::http::HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if allowed.iter().any(|a| a == origin) {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}
