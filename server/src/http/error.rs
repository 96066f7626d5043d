//! The one mapping from domain errors to HTTP: status code, Zammad's `{"error","error_human"}`
//! body, and the `X-Failure` header on 401/403.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::Error;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        ApiError(err)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

pub fn status_of(err: &Error) -> StatusCode {
    StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A Zammad-shaped error response.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let mut response = (
        status,
        Json(json!({"error": message, "error_human": message})),
    )
        .into_response();
    if (status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN)
        && let Ok(value) = HeaderValue::from_str(&message.replace(['\r', '\n'], " "))
    {
        response.headers_mut().insert("x-failure", value);
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        if status.is_server_error() {
            // Details go to the log; the client gets an id to quote.
            let error_id = domain::accounts::auth::random_token()[..12].to_string();
            tracing::error!(error_id, error = %self.0, "request failed");
            return error_response(
                status,
                &format!("Error ID {error_id}: Please contact your administrator."),
            );
        }
        let mut response = error_response(status, &self.0.to_string());
        if let Error::TooManyAttempts {
            retry_after_seconds,
        } = self.0
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after_seconds.into());
        }
        response
    }
}
