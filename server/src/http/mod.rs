//! The REST API (`/api/v1`, and DeskHero's `/api/{tenant}/v1/...`): routes, OpenAPI document,
//! and the JSON 404 for unknown routes.

pub mod articles;
pub mod attachments;
pub mod caller;
pub mod deskhero;
pub mod email;
pub mod error;
pub mod extract;
pub mod groups;
pub mod hardening;
pub mod lookups;
pub mod macros;
pub mod notifications;
pub mod organizations;
pub mod sessions;
pub mod shared_drafts;
pub mod text_modules;
pub mod ticket_extras;
pub mod tickets;
pub mod tokens;
pub mod users;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tandem REST API",
        description = "Zammad-compatible helpdesk API (v1)."
    ),
    components(schemas(sessions::SignIn))
)]
struct ApiDoc;

/// Every REST route with its OpenAPI description.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::<AppState>::new()
        .routes(routes!(sessions::signin))
        .routes(routes!(sessions::signout))
        .routes(routes!(sessions::signshow))
        .routes(routes!(users::me))
        .routes(routes!(users::password_change))
        .routes(routes!(users::index, users::create))
        .routes(routes!(users::search, users::search_post))
        .routes(routes!(users::show, users::update, users::delete))
        .routes(routes!(organizations::index, organizations::create))
        .routes(routes!(organizations::search))
        .routes(routes!(
            organizations::show,
            organizations::update,
            organizations::delete
        ))
        .routes(routes!(groups::index, groups::create))
        .routes(routes!(groups::show, groups::update))
        .routes(routes!(lookups::roles_index))
        .routes(routes!(lookups::roles_show))
        .routes(routes!(lookups::states_index))
        .routes(routes!(lookups::states_show))
        .routes(routes!(lookups::priorities_index))
        .routes(routes!(lookups::priorities_show))
        .routes(routes!(tokens::index, tokens::create))
        .routes(routes!(tokens::delete))
        .routes(routes!(tickets::index, tickets::create))
        .routes(routes!(tickets::search, tickets::search_post))
        .routes(routes!(tickets::show, tickets::update, tickets::delete))
        .routes(routes!(
            shared_drafts::show,
            shared_drafts::put,
            shared_drafts::patch,
            shared_drafts::delete
        ))
        .routes(routes!(shared_drafts::import_attachments))
        .routes(routes!(
            shared_drafts::start_index,
            shared_drafts::start_create
        ))
        .routes(routes!(
            shared_drafts::start_show,
            shared_drafts::start_put,
            shared_drafts::start_patch,
            shared_drafts::start_delete
        ))
        .routes(routes!(shared_drafts::start_import_attachments))
        .routes(routes!(articles::by_ticket))
        .routes(routes!(articles::create))
        .routes(routes!(articles::show, articles::update, articles::delete))
        .routes(routes!(articles::clone_attachments))
        .routes(routes!(attachments::download))
        .routes(routes!(attachments::upload))
        .routes(routes!(attachments::delete_cached))
        .routes(routes!(ticket_extras::tags))
        .routes(routes!(ticket_extras::add_tag))
        .routes(routes!(ticket_extras::remove_tag))
        .routes(routes!(
            ticket_extras::list_mentions,
            ticket_extras::create_mention
        ))
        .routes(routes!(ticket_extras::delete_mention))
        .routes(routes!(ticket_extras::ticket_history))
        .routes(routes!(ticket_extras::merge))
        .routes(routes!(
            ticket_extras::tag_list,
            ticket_extras::create_tag_item
        ))
        .routes(routes!(
            ticket_extras::rename_tag_item,
            ticket_extras::delete_tag_item
        ))
        .routes(routes!(ticket_extras::tag_search))
        .routes(routes!(ticket_extras::links))
        .routes(routes!(ticket_extras::add_link))
        .routes(routes!(ticket_extras::remove_link))
        .routes(routes!(
            ticket_extras::time_accountings,
            ticket_extras::create_time_accounting
        ))
        .routes(routes!(
            ticket_extras::show_time_accounting,
            ticket_extras::update_time_accounting,
            ticket_extras::delete_time_accounting
        ))
        .routes(routes!(email::index, email::create))
        .routes(routes!(email::show, email::update, email::delete))
        .routes(routes!(email::article_plain))
        .routes(routes!(email::inbound))
        .routes(routes!(email::channel_status))
        .routes(routes!(email::failed_index))
        .routes(routes!(email::failed_raw))
        .routes(routes!(email::signatures_index, email::signatures_create))
        .routes(routes!(
            email::signatures_show,
            email::signatures_update,
            email::signatures_delete
        ))
        .routes(routes!(text_modules::index, text_modules::create))
        .routes(routes!(
            text_modules::show,
            text_modules::update,
            text_modules::delete
        ))
        .routes(routes!(macros::index, macros::create))
        .routes(routes!(macros::show, macros::update, macros::delete))
        .routes(routes!(macros::apply))
        .routes(routes!(notifications::index))
        .routes(routes!(notifications::mark_all_as_read))
        .routes(routes!(notifications::update, notifications::delete))
        .routes(routes!(email::channels_index, email::channels_create))
        .routes(routes!(
            email::channels_show,
            email::channels_update,
            email::channels_delete
        ));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(deskhero::create))
        .nest("/api/v1", v1)
        .split_for_parts()
}

/// Unknown API routes and methods answer like Zammad: 404 `No route matches [METHOD] /path`.
pub async fn no_route(request: Request) -> Response {
    let message = format!(
        "No route matches [{}] {}",
        request.method(),
        request.uri().path()
    );
    error::error_response(StatusCode::NOT_FOUND, &message)
}

/// Panics become a JSON 500 instead of a dropped connection.
pub fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    error::error_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        .into_response()
}
