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
        lockout: state.settings.lockout.clone(),
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
        // inside the response rules, so their answers carry the same headers
        .layer(middleware::from_fn(move |request, next| {
            http::hardening::refuse_oversized_body(max_body_bytes, request, next)
        }))
        .layer(middleware::from_fn(http::hardening::limit_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            http::hardening::harden_responses,
        ))
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
    if unsafe_method && has_session && !origin_allowed_headers(request.headers(), &state.settings) {
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
    settings: &crate::state::Settings,
) -> Result<(), http::error::ApiError> {
    if origin_allowed_headers(headers, settings) {
        Ok(())
    } else {
        Err(http::error::ApiError(domain::Error::Forbidden(
            "Cross-site request refused (Origin not allowed)".into(),
        )))
    }
}

/// `Origin` absent (same-origin navigation in older browsers), one of the configured extra
/// origins, or the same origin as the request: scheme, host and port all equal (RFC 6454 §5).
/// The request's scheme is `X-Forwarded-Proto` when a proxy sets it, else `https` when
/// Tandem is told it is served over HTTPS, else `http`; its host and port are the `Host`
/// header's (default port of the scheme when absent).
pub fn origin_allowed_headers(
    headers: &axum::http::HeaderMap,
    settings: &crate::state::Settings,
) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if settings.allowed_origins.iter().any(|a| a == origin) {
        return true;
    }
    let Some(theirs) = parse_origin(origin) else {
        return false;
    };
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or(v).trim().to_ascii_lowercase())
        .unwrap_or_else(|| {
            if settings.https {
                "https".into()
            } else {
                "http".into()
            }
        });
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(ours) = parse_origin(&format!("{scheme}://{host}")) else {
        return false;
    };
    theirs == ours
}

/// An origin as (scheme, host, port), lower case, with the scheme's default port filled in;
/// `None` for anything that is not an http(s) origin (`null`, paths, user info).
fn parse_origin(text: &str) -> Option<(String, String, u16)> {
    let uri: axum::http::Uri = text.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = uri.authority()?;
    if authority.as_str().contains('@')
        || uri
            .path_and_query()
            .is_some_and(|p| p.as_str() != "/" && !p.as_str().is_empty())
    {
        return None;
    }
    Some((
        scheme,
        authority.host().to_ascii_lowercase(),
        authority.port_u16().unwrap_or(default_port),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn settings(https: bool) -> crate::state::Settings {
        crate::state::Settings {
            lockout: domain::accounts::auth::Lockout::new(10, std::time::Duration::from_secs(60)),
            session_ttl: std::time::Duration::from_secs(60),
            allowed_origins: vec!["https://partner.example".into()],
            tenant: "t".into(),
            data_dir: "d".into(),
            https,
            smtp: None,
        }
    }

    fn headers(origin: &str, host: &str, proto: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, origin.parse().unwrap());
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(p) = proto {
            h.insert("x-forwarded-proto", p.parse().unwrap());
        }
        h
    }

    #[test]
    fn origin_must_match_scheme_host_and_port() {
        let plain = settings(false);
        assert!(origin_allowed_headers(
            &headers("http://desk.test:3000", "desk.test:3000", None),
            &plain
        ));
        assert!(origin_allowed_headers(
            &headers("http://DESK.test", "desk.test:80", None),
            &plain
        ));
        // another port, another scheme, another host: refused
        assert!(!origin_allowed_headers(
            &headers("http://desk.test:4000", "desk.test:3000", None),
            &plain
        ));
        assert!(!origin_allowed_headers(
            &headers("https://desk.test:3000", "desk.test:3000", None),
            &plain
        ));
        assert!(!origin_allowed_headers(
            &headers("http://evil.test", "desk.test", None),
            &plain
        ));
        assert!(!origin_allowed_headers(
            &headers("null", "desk.test", None),
            &plain
        ));
        assert!(!origin_allowed_headers(
            &headers("http://desk.test.evil.test", "desk.test", None),
            &plain
        ));
        // behind TLS: the setting or the proxy's header gives the scheme
        assert!(origin_allowed_headers(
            &headers("https://desk.test", "desk.test", None),
            &settings(true)
        ));
        assert!(origin_allowed_headers(
            &headers("https://desk.test", "desk.test", Some("https")),
            &plain
        ));
        assert!(!origin_allowed_headers(
            &headers("http://desk.test", "desk.test", None),
            &settings(true)
        ));
        // configured extra origins
        assert!(origin_allowed_headers(
            &headers("https://partner.example", "desk.test", None),
            &plain
        ));
    }
}
