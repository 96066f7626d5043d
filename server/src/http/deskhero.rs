//! DeskHero's dialect (`/api/{tenant}/v1/ticket_conversations/{ticket_id}`): a thin handler over
//! `domain::dialects::deskhero`, and the one mapping of domain errors to DeskHero's error wrapper
//! `{"success": false, "errors": [{"field", "message"}]}` (422 is DeskHero's 400).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::Error;
use domain::dialects::deskhero::{self, Conversation, FieldError};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{ApiError, status_of};
use crate::state::AppState;

/// `DTO_response_wrap` on success.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DTO_response_wrap_ticket_conversations)]
pub struct ConversationsResponse {
    /// Always `true`.
    pub success: bool,
    /// One entry per created conversation, in the order sent.
    pub data: Vec<Conversation>,
}

/// `DTO_response_wrap` on failure (Tandem's shape; DeskHero publishes none).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DTO_response_wrap_error)]
pub struct ErrorResponse {
    /// Always `false`.
    pub success: bool,
    pub errors: Vec<ErrorEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DTO_error)]
pub struct ErrorEntry {
    /// What the error is about: `tenant`, `version`, `ticket_id`, `body`, or a path into the
    /// body such as `[0].email_addresses[1].email`; empty for the request as a whole.
    pub field: String,
    pub message: String,
}

/// The status of a domain error in this dialect.
fn status(err: &Error) -> StatusCode {
    match err {
        Error::Unprocessable(_) => StatusCode::BAD_REQUEST,
        other => status_of(other),
    }
}

/// Domain errors as DeskHero's error wrapper: the first error decides the status.
fn reject(errors: Vec<FieldError>) -> Response {
    let code = errors
        .first()
        .map_or(StatusCode::BAD_REQUEST, |e| status(&e.error));
    let errors = errors
        .into_iter()
        .map(|e| {
            let message = if status(&e.error).is_server_error() {
                // details go to the log; the client gets an id to quote
                let error_id = domain::accounts::auth::random_token()[..12].to_string();
                tracing::error!(error_id, error = %e.error, "DeskHero request failed");
                format!("Error ID {error_id}: Please contact your administrator.")
            } else {
                e.error.to_string()
            };
            ErrorEntry {
                field: e.field,
                message,
            }
        })
        .collect();
    (
        code,
        Json(ErrorResponse {
            success: false,
            errors,
        }),
    )
        .into_response()
}

fn reject_one(field: &str, error: Error) -> Response {
    reject(vec![FieldError::new(field, error)])
}

/// Creates one or more conversation entries on a ticket (DeskHero's "Ticket conversations /
/// Create"), all or nothing. Authentication as for the Zammad API (session + CSRF, Basic,
/// Token); the caller must be allowed to change the ticket.
#[utoipa::path(post, path = "/api/{tenant}/{version}/ticket_conversations/{ticket_id}", tag = "deskhero",
    params(("tenant" = String, Path, description = "The configured tenant slug (at least 2 characters)"),
           ("version" = String, Path, description = "`v1`"),
           ("ticket_id" = i64, Path, description = "Tandem ticket id")),
    request_body(content = Vec<Conversation>, description = "Entries to create; read-only fields are ignored"),
    responses((status = 200, description = "Created entries", body = ConversationsResponse),
              (status = 400, description = "Invalid input (nothing stored)", body = ErrorResponse),
              (status = 401, description = "Wrong credentials", body = ErrorResponse),
              (status = 403, description = "No credentials, or not allowed", body = ErrorResponse),
              (status = 404, description = "Unknown tenant, version or ticket", body = ErrorResponse)))]
pub async fn create(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
    caller: Result<Caller, ApiError>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(Path((tenant, version, ticket_id))) = path else {
        return reject_one("", Error::NotFound("Unknown route".into()));
    };
    if let Err(err) = deskhero::check_route(&tenant, &state.settings.tenant, &version) {
        return reject(vec![err]);
    }
    let caller = match caller {
        Ok(caller) => caller,
        Err(ApiError(err)) => return reject_one("", err),
    };
    let ticket_id = match deskhero::parse_ticket_id(&ticket_id) {
        Ok(id) => id,
        Err(err) => return reject(vec![err]),
    };
    let body: Value = match body {
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return reject_one(
                "body",
                Error::PayloadTooLarge("Request Entity Too Large".into()),
            );
        }
        Err(rejection) => {
            return reject_one(
                "body",
                Error::unprocessable(format!("Could not read the request body: {rejection}")),
            );
        }
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(value) => value,
            Err(err) => {
                return reject_one(
                    "body",
                    Error::unprocessable(format!("Malformed JSON: {err}")),
                );
            }
        },
    };
    if let Err(ApiError(err)) = super::extract::refuse_nul(&body) {
        return reject_one("body", err);
    }
    match deskhero::post_conversations(&state.desk, &caller.actor, ticket_id, &body).await {
        Ok(data) => Json(ConversationsResponse {
            success: true,
            data,
        })
        .into_response(),
        Err(errors) => reject(errors),
    }
}
