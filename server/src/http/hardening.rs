//! Response rules that hold for every answer, whatever produced it (a handler, an extractor's
//! rejection, the router itself):
//!
//! - every error under the APIs is JSON `{"error","error_human"}` (axum's own rejections are
//!   plain text; a known path with an unknown method is Zammad's JSON 404);
//! - `X-Content-Type-Options: nosniff` and a `Permissions-Policy` on every response,
//!   `Strict-Transport-Security` when Tandem is told it is served over HTTPS;
//! - `Cache-Control: no-store` on everything but the static bundle (API answers and pages may
//!   carry a signed-in user's data).

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::error::error_response;
use crate::state::AppState;

/// Browser features no Tandem page uses.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), \
     interest-cohort=(), browsing-topics=()";
/// HSTS for one year (only when `TANDEM_HTTPS` says Tandem is served over HTTPS).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";
/// A rejection's plain-text body is kept as the message up to this many bytes.
const MAX_MESSAGE_BYTES: usize = 512;

/// The REST APIs whose errors are Zammad's shape: Zammad's `/api/v1/…`, DeskHero's
/// `/api/{tenant}/v1/ticket_conversations/…` and the WebSocket upgrades. The web app's server
/// functions (also under `/api/`) answer in Leptos' own error encoding and are left alone.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/v1/")
        || path.starts_with("/ws/")
        || path.contains("/ticket_conversations/")
}

/// The middleware: see the module documentation.
pub async fn harden_responses(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    if is_api(&path) {
        if response.status() == StatusCode::METHOD_NOT_ALLOWED {
            response = error_response(
                StatusCode::NOT_FOUND,
                &format!("No route matches [{method}] {path}"),
            );
        } else if response.status().is_client_error() || response.status().is_server_error() {
            response = in_error_shape(response).await;
        }
    }
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    if state.settings.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    let static_file = path.starts_with("/pkg/") || path == "/favicon.ico";
    if !static_file && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// An error response whose body is not JSON, rewritten in Zammad's error shape with the same
/// status; its text (when short) becomes the message.
async fn in_error_shape(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match to_bytes(body, MAX_MESSAGE_BYTES).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let message = if text.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("Request failed")
            .to_string()
    } else {
        text
    };
    let mut shaped = error_response(parts.status, &message);
    for name in [header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            shaped.headers_mut().insert(name, value.clone());
        }
    }
    shaped
}
