//! `GET /ws/tickets/{ticket_id}`: the y-sync WebSocket of a ticket's live reply draft.
//! Authentication, the `Origin` check and the ticket permission are settled before the
//! upgrade; the protocol itself lives in `domain::shared_drafts::live`.

use std::collections::HashMap;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use domain::Error;
use domain::shared_drafts::{Editor, Reply, zoom};
use futures::{SinkExt, StreamExt};

use crate::http::caller::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::web::refuse_cross_site_socket;

/// Largest frame a client may send (images travel through the upload cache, not the draft).
pub const MAX_FRAME_BYTES: usize = 2 * 1024 * 1024;

pub async fn ticket_room(
    State(state): State<AppState>,
    Path(ticket_id): Path<i64>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    caller: Caller,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    refuse_cross_site_socket(&headers, &state.settings)?;
    let access = {
        let mut conn = state.store.read().await?;
        zoom::live_access(&mut conn, &caller.actor, ticket_id).await?
    };
    if access == zoom::DraftAccess::None {
        return Err(ApiError(Error::not_authorized()));
    }
    let editor = Editor {
        user_id: caller.actor.id,
        name: caller.actor.fullname(),
        can_edit: access == zoom::DraftAccess::Edit,
    };
    let epoch = query.get("epoch").and_then(|e| e.parse::<i64>().ok());
    let hub = state.desk.drafts.clone();
    Ok(ws
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| relay(socket, hub, ticket_id, editor, epoch)))
}

/// The WebSocket close code of a socket whose room ended (RFC 6455 §7.4.2 private range).
pub const DRAFT_ENDED: u16 = 4410;

async fn relay(
    socket: WebSocket,
    hub: std::sync::Arc<domain::shared_drafts::Hub>,
    ticket_id: i64,
    editor: Editor,
    epoch: Option<i64>,
) {
    let (mut sink, mut stream) = socket.split();
    let (mut connection, first) = match hub.connect(ticket_id, editor, epoch).await {
        Ok(opened) => opened,
        Err(e) => {
            tracing::warn!(ticket_id, error = %e, "could not open the draft room");
            let _ = sink.send(Message::Close(None)).await;
            return;
        }
    };
    let mut feed = connection.feed();
    let mut open = true;
    let mut ended = false;
    for frame in first {
        if sink.send(Message::Binary(frame.into())).await.is_err() {
            open = false;
            break;
        }
    }
    while open {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Binary(bytes))) => match connection.receive(&bytes).await {
                    Reply::Frames(frames) => {
                        for frame in frames {
                            if sink.send(Message::Binary(frame.into())).await.is_err() {
                                open = false;
                                break;
                            }
                        }
                    }
                    Reply::Close(reason) => {
                        tracing::info!(ticket_id, %reason, "closing a draft socket");
                        open = false;
                    }
                },
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Text(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => open = false,
            },
            outgoing = feed.next_frame() => match outgoing {
                Some(frame) => {
                    if sink.send(Message::Binary(frame.as_ref().clone().into())).await.is_err() {
                        open = false;
                    }
                }
                None => {
                    open = false;
                    ended = true;
                }
            },
        }
    }
    // The room ended (draft sent or discarded, ticket deleted): a close code in 4400–4499
    // tells standard y-websocket clients not to reconnect into the next draft with their old
    // copy (Tandem's composer starts a fresh document itself on the control message).
    let close = ended.then(|| axum::extract::ws::CloseFrame {
        code: DRAFT_ENDED,
        reason: "draft ended".into(),
    });
    let _ = sink.send(Message::Close(close)).await;
    connection.close().await;
}
