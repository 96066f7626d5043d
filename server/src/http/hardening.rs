//! Response rules that hold for every answer, whatever produced it (a handler, an extractor's
//! rejection, the router itself):
//!
//! - every error under the APIs is JSON `{"error","error_human"}` (axum's own rejections are
//!   plain text; a known path with an unknown method is Zammad's JSON 404);
//! - `X-Content-Type-Options: nosniff` and a `Permissions-Policy` on every response,
//!   `Strict-Transport-Security` when Tandem is told it is served over HTTPS;
//! - `Cache-Control: no-store` on everything but the static bundle (API answers and pages may
//!   carry a signed-in user's data);
//! - request heads over [`MAX_HEADER_BYTES`] or [`MAX_HEADER_COUNT`] headers are refused with
//!   431 before anything else runs ([`limit_headers`]);
//! - a body announced larger than the limit is read and dropped before the 413 goes out
//!   ([`refuse_oversized_body`]): a client still writing its upload gets the answer instead of
//!   a reset connection.

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;

use super::error::error_response;
use crate::state::AppState;

/// Browser features no Tandem page uses.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), \
     interest-cohort=(), browsing-topics=()";
/// HSTS for one year (only when `TANDEM_HTTPS` says Tandem is served over HTTPS).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";
/// The most header bytes (names and values) a request may carry: 64 KiB, twice what nginx
/// accepts by default (`large_client_header_buffers 4 8k`) and far above any browser's.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The most headers a request may carry (hyper's own default).
pub const MAX_HEADER_COUNT: usize = 100;
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

/// Refuses a request whose head is larger than Tandem accepts ([`MAX_HEADER_BYTES`],
/// [`MAX_HEADER_COUNT`]) with 431 in Zammad's error shape, whatever the path. The connection
/// builder (`crate::listener`) reads heads up to 2 MiB so that they arrive here.
pub async fn limit_headers(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADER_COUNT || bytes > MAX_HEADER_BYTES {
        return error_response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            &format!(
                "Request header fields too large (at most {MAX_HEADER_COUNT} headers and \
                 {} KiB).",
                MAX_HEADER_BYTES / 1024
            ),
        );
    }
    next.run(request).await
}

/// How much of a refused body is read and dropped (beyond it the connection is closed on the
/// client, who may then see a reset instead of the 413).
pub const MAX_DRAINED_BYTES: u64 = 256 * 1024 * 1024;
/// How long a refused body may take to arrive.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(60);

/// A request whose `Content-Length` exceeds `max_body_bytes` is answered 413 in Zammad's error
/// shape after its body has been read and dropped (up to [`MAX_DRAINED_BYTES`] within a
/// minute), the lingering close web servers do, so the client reads the answer. Bodies
/// without a length are cut by the extractors' limit as before.
pub async fn refuse_oversized_body(
    max_body_bytes: usize,
    request: Request,
    next: Next,
) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let Some(length) = announced.filter(|l| *l > max_body_bytes as u64) else {
        return next.run(request).await;
    };
    if length <= MAX_DRAINED_BYTES {
        let mut body = request.into_body();
        let drain = async {
            while let Some(frame) = body.frame().await {
                if frame.is_err() {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    }
    // the wording of the extractors' limit (`http::extract`), so clients see one message
    error_response(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
}
