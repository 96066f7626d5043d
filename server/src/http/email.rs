//! E-mail: sender addresses (`/email_addresses`, Zammad's `EmailAddressesController`), an
//! article's whole message (`/ticket_article_plain/{id}`, Zammad's
//! `TicketArticlesController#retrieve_plain`), the inbound endpoint for an MTA or a script
//! (`POST /channels_email/inbound`), the channel's status, and the failed-mail list.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Error;
use domain::desk::mail::Received;
use domain::dialects::zammad::email::{
    render_email_address, render_email_channel, render_failed_mail, render_signature,
};
use domain::mail::addresses::{self, EmailAddressParams};
use domain::mail::channels::{self, EmailChannelParams};
use domain::mail::signatures::{self, SignatureParams};
use domain::mail::{failed, raw};
use domain::tickets::articles;
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::{ApiJson, QueryParams};
use crate::state::AppState;

#[utoipa::path(get, path = "/email_addresses", tag = "email",
    responses((status = 200, description = "Sender addresses (admins)", body = Vec<Value>), (status = 403, description = "Admins only")))]
pub async fn index(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    let list = addresses::list(&mut conn, &caller.actor).await?;
    Ok(Json(list.iter().map(render_email_address).collect()))
}

#[utoipa::path(get, path = "/email_addresses/{id}", tag = "email", params(("id" = i64, Path)),
    responses((status = 200, description = "Sender address", body = Value), (status = 404, description = "Unknown")))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    let address = addresses::show(&mut conn, &caller.actor, id).await?;
    Ok(Json(render_email_address(&address)))
}

#[utoipa::path(post, path = "/email_addresses", tag = "email", request_body = Value,
    responses((status = 201, description = "Created", body = Value), (status = 422, description = "Invalid or taken address")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(params): ApiJson<EmailAddressParams>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let address = state
        .desk
        .save_email_address(&caller.actor, None, &params)
        .await?;
    Ok((StatusCode::CREATED, Json(render_email_address(&address))))
}

#[utoipa::path(put, path = "/email_addresses/{id}", tag = "email", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(params): ApiJson<EmailAddressParams>,
) -> ApiResult<Json<Value>> {
    let address = state
        .desk
        .save_email_address(&caller.actor, Some(id), &params)
        .await?;
    Ok(Json(render_email_address(&address)))
}

#[utoipa::path(delete, path = "/email_addresses/{id}", tag = "email", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_email_address(&caller.actor, id).await?;
    Ok(Json(json!({})))
}

/// A stored message as a download: `message/rfc822`, never rendered by the browser.
fn eml_response(bytes: Vec<u8>, filename: &str) -> Response {
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("message/rfc822"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

#[utoipa::path(get, path = "/ticket_article_plain/{id}", tag = "email", params(("id" = i64, Path)),
    responses((status = 200, description = "The article's RFC 5322 message (message/rfc822)"),
              (status = 403, description = "No access"), (status = 404, description = "No such article, or no message stored for it")))]
pub async fn article_plain(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let mut conn = state.store.read().await?;
    let (article, _) = articles::load_readable(&mut conn, &caller.actor, id).await?;
    let sha = raw::of_article(&mut conn, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("No e-mail stored for article {id}")))?;
    drop(conn);
    let bytes = state.files.get(&sha).await?;
    Ok(eml_response(
        bytes,
        &format!("ticket-{}-article-{}.eml", article.ticket_id, id),
    ))
}

#[utoipa::path(post, path = "/channels_email/inbound", tag = "email",
    params(("group" = Option<String>, Query, description = "The group's name (default: the group whose address the message was sent to, else the first active group)")),
    request_body(content = String, content_type = "message/rfc822", description = "One RFC 5322 message"),
    responses((status = 201, description = "Received: the ticket and article, a bounce, or kept as failed mail", body = Value),
              (status = 403, description = "Admins with admin.channel_email only")))]
pub async fn inbound(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    domain::policy::authorize_email_admin(&caller.actor)?;
    let received = state.desk.receive_mail(&body, q.text("group")).await?;
    Ok((StatusCode::CREATED, Json(render_received(&received))))
}

/// The outcome of receiving a message as JSON (also printed by `tandem mail deliver`).
pub fn render_received(received: &Received) -> Value {
    match received {
        Received::Article {
            ticket_id,
            article_id,
            new_ticket,
        } => {
            json!({"result": "article", "ticket_id": ticket_id, "article_id": article_id, "new_ticket": new_ticket})
        }
        Received::Bounce { article_id } => json!({"result": "bounce", "article_id": article_id}),
        Received::Failed {
            failed_mail_id,
            reason,
        } => json!({"result": "failed", "failed_mail_id": failed_mail_id, "reason": reason}),
        Received::Duplicate { article_id } => {
            json!({"result": "duplicate", "article_id": article_id})
        }
    }
}

#[utoipa::path(get, path = "/channels_email", tag = "email",
    responses((status = 200, description = "Sending on or off, the relay (without password), queue and failed-mail counts", body = Value)))]
pub async fn channel_status(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<domain::desk::mail::MailStatus>> {
    domain::policy::authorize_email_admin(&caller.actor)?;
    let mut conn = state.store.read().await?;
    Ok(Json(
        domain::desk::mail::status(&mut conn, &state.desk.mail).await?,
    ))
}

#[utoipa::path(get, path = "/failed_mails", tag = "email",
    responses((status = 200, description = "Inbound messages that did not become articles, newest first", body = Vec<Value>)))]
pub async fn failed_index(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    let list = failed::list(&mut conn, &caller.actor).await?;
    Ok(Json(list.iter().map(render_failed_mail).collect()))
}

#[utoipa::path(get, path = "/failed_mails/{id}/raw", tag = "email", params(("id" = i64, Path)),
    responses((status = 200, description = "The message as received (message/rfc822)")))]
pub async fn failed_raw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let mut conn = state.store.read().await?;
    let record = failed::find(&mut conn, &caller.actor, id).await?;
    drop(conn);
    let bytes = state.files.get(&record.sha256).await?;
    Ok(eml_response(bytes, &format!("failed-mail-{id}.eml")))
}

#[utoipa::path(get, path = "/email_channels", tag = "email",
    responses((status = 200, description = "Inbound mailboxes (IMAP), without passwords; status_in/last_log_in tell how the last poll went", body = Vec<Value>)))]
pub async fn channels_index(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    let list = channels::list(&mut conn, &caller.actor).await?;
    Ok(Json(list.iter().map(render_email_channel).collect()))
}

#[utoipa::path(get, path = "/email_channels/{id}", tag = "email", params(("id" = i64, Path)),
    responses((status = 200, description = "Inbound mailbox", body = Value)))]
pub async fn channels_show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    let channel = channels::show(&mut conn, &caller.actor, id).await?;
    Ok(Json(render_email_channel(&channel)))
}

#[utoipa::path(post, path = "/email_channels", tag = "email",
    request_body(content = Value, description = "{group_id, host, port, ssl: ssl|starttls|off, user, password, folder, keep_on_server, active}"),
    responses((status = 201, description = "Created; polled from now on", body = Value)))]
pub async fn channels_create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(params): ApiJson<EmailChannelParams>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let channel = state
        .desk
        .save_email_channel(&caller.actor, None, &params)
        .await?;
    Ok((StatusCode::CREATED, Json(render_email_channel(&channel))))
}

#[utoipa::path(put, path = "/email_channels/{id}", tag = "email", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated (the poller restarts with the new settings)", body = Value)))]
pub async fn channels_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(params): ApiJson<EmailChannelParams>,
) -> ApiResult<Json<Value>> {
    let channel = state
        .desk
        .save_email_channel(&caller.actor, Some(id), &params)
        .await?;
    Ok(Json(render_email_channel(&channel)))
}

#[utoipa::path(delete, path = "/email_channels/{id}", tag = "email", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted")))]
pub async fn channels_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_email_channel(&caller.actor, id).await?;
    Ok(Json(json!({})))
}

#[utoipa::path(get, path = "/signatures", tag = "email",
    responses((status = 200, description = "Signatures (agents read, admins change)", body = Vec<Value>)))]
pub async fn signatures_index(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Value>>> {
    let mut conn = state.store.read().await?;
    let list = signatures::list(&mut conn, &caller.actor).await?;
    Ok(Json(list.iter().map(render_signature).collect()))
}

#[utoipa::path(get, path = "/signatures/{id}", tag = "email", params(("id" = i64, Path)),
    responses((status = 200, description = "Signature", body = Value)))]
pub async fn signatures_show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.store.read().await?;
    let signature = signatures::show(&mut conn, &caller.actor, id).await?;
    Ok(Json(render_signature(&signature)))
}

#[utoipa::path(post, path = "/signatures", tag = "email",
    request_body(content = Value, description = "{name, body (HTML with placeholders such as #{user.firstname}, #{ticket.number}), active, note}"),
    responses((status = 201, description = "Created", body = Value)))]
pub async fn signatures_create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(params): ApiJson<SignatureParams>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let params = params.prepared()?;
    let signature = state
        .desk
        .save_signature(&caller.actor, None, &params)
        .await?;
    Ok((StatusCode::CREATED, Json(render_signature(&signature))))
}

#[utoipa::path(put, path = "/signatures/{id}", tag = "email", params(("id" = i64, Path)), request_body = Value,
    responses((status = 200, description = "Updated", body = Value)))]
pub async fn signatures_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(params): ApiJson<SignatureParams>,
) -> ApiResult<Json<Value>> {
    let params = params.prepared()?;
    let signature = state
        .desk
        .save_signature(&caller.actor, Some(id), &params)
        .await?;
    Ok(Json(render_signature(&signature)))
}

#[utoipa::path(delete, path = "/signatures/{id}", tag = "email", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted")))]
pub async fn signatures_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_signature(&caller.actor, id).await?;
    Ok(Json(json!({})))
}
