//! `GET /ws/live`: the one WebSocket of each browser tab. It carries ticket changes and
//! deletions (each checked against the policy before it is sent) and who is viewing or typing
//! on the ticket the tab shows. Messages are small JSON texts, the enums the web app reads
//! (`app::components::live::{ServerMessage, ClientMessage}`), so both ends share one type; nothing but ids and viewer
//! names leaves the server here: pages fetch what changed through their server functions,
//! which apply the same permissions as always.

use std::sync::atomic::{AtomicU64, Ordering};

use app::components::live::{ClientMessage, ServerMessage};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use domain::Actor;
use domain::desk::Desk;
use domain::live::events::{Audience, Event, Viewer};
use domain::policy::access::AccessLevel;
use futures::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::http::caller::Caller;
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::web::refuse_cross_site_socket;

/// Client messages are tiny; anything larger is not ours.
const MAX_MESSAGE_BYTES: usize = 4 * 1024;

/// How long a socket trusts the permissions it loaded: a changed group access or role (or a
/// deactivated account) takes effect within this time, without a reconnect.
pub const PERMISSIONS_TTL: std::time::Duration = std::time::Duration::from_secs(10);

static NEXT_TAB: AtomicU64 = AtomicU64::new(1);

pub async fn tab_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    refuse_cross_site_socket(&headers, &state.settings)?;
    let desk = state.desk.clone();
    let actor = Actor::clone(&caller.actor);
    Ok(ws
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| serve(socket, desk, actor)))
}

/// What a tab is told about an event, if anything.
fn message_for(actor: &Actor, viewing: Option<i64>, event: &Event) -> Option<String> {
    if !domain::live::events::can_hear(actor, event) {
        return None;
    }
    let message = match event {
        Event::TicketChanged { ticket_id, .. } => ServerMessage::TicketChanged {
            ticket_id: *ticket_id,
        },
        Event::TicketDeleted { ticket_id, .. } => ServerMessage::TicketDeleted {
            ticket_id: *ticket_id,
        },
        Event::Viewers {
            ticket_id, viewers, ..
        } => {
            if viewing != Some(*ticket_id) {
                return None;
            }
            ServerMessage::Viewers {
                ticket_id: *ticket_id,
                viewers: viewers
                    .iter()
                    .map(|v| app::components::live::Viewer {
                        user_id: v.user_id,
                        name: v.name.clone(),
                        typing: v.typing,
                    })
                    .collect(),
            }
        }
    };
    serde_json::to_string(&message).ok()
}

/// The caller as they are now; `None` when the account is gone or deactivated.
async fn reload(desk: &Desk, actor: &Actor) -> Option<Actor> {
    let mut conn = desk.store.read().await.ok()?;
    domain::policy::access::load_actor(&mut conn, actor.id, actor.token_permissions.clone())
        .await
        .ok()
}

async fn serve(socket: WebSocket, desk: Desk, mut actor: Actor) {
    let tab = NEXT_TAB.fetch_add(1, Ordering::Relaxed);
    let mut loaded_at = tokio::time::Instant::now();
    let mut events = desk.events.subscribe();
    let (mut sink, mut stream) = socket.split();
    let mut viewing: Option<i64> = None;
    let hello = serde_json::to_string(&ServerMessage::Hello).unwrap_or_default();
    let mut open = sink.send(Message::Text(hello.into())).await.is_ok();
    while open {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    if loaded_at.elapsed() > PERMISSIONS_TTL {
                        match reload(&desk, &actor).await {
                            Some(now) => {
                                actor = now;
                                loaded_at = tokio::time::Instant::now();
                            }
                            None => break, // signed out for good: the socket closes
                        }
                    }
                    if let Some(text) = message_for(&actor, viewing, &event) {
                        open = sink.send(Message::Text(text.into())).await.is_ok();
                    }
                }
                // too slow to keep up: the page reloads what it shows
                Err(RecvError::Lagged(_)) => {
                    let hello = serde_json::to_string(&ServerMessage::Hello).unwrap_or_default();
                    open = sink.send(Message::Text(hello.into())).await.is_ok();
                }
                Err(RecvError::Closed) => open = false,
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let Ok(message) = serde_json::from_str::<ClientMessage>(&text) else {
                        continue; // not ours: ignored
                    };
                    match message {
                        ClientMessage::View { ticket_id, typing } => {
                            if let Some(old) = viewing.filter(|old| *old != ticket_id) {
                                desk.events.leave(tab, old);
                            }
                            viewing = Some(ticket_id);
                            if let Some(audience) = viewable(&desk, &actor, ticket_id).await {
                                let viewer = Viewer { user_id: actor.id, name: actor.fullname(), typing };
                                desk.events.view(tab, ticket_id, audience, viewer);
                            }
                            // the current list, even when this view changed nothing
                            if actor.is_agent()
                                && let Some((audience, viewers)) = desk.events.viewers(ticket_id)
                            {
                                let event = Event::Viewers { ticket_id, audience, viewers };
                                if let Some(text) = message_for(&actor, viewing, &event) {
                                    open = sink.send(Message::Text(text.into())).await.is_ok();
                                }
                            }
                        }
                        ClientMessage::Leave { ticket_id } => {
                            if viewing == Some(ticket_id) {
                                desk.events.leave(tab, ticket_id);
                                viewing = None;
                            }
                        }
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Binary(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => open = false,
            },
        }
    }
    if let Some(ticket_id) = viewing {
        desk.events.leave(tab, ticket_id);
    }
}

/// Agents who may read the ticket are announced as its viewers; customers never are.
async fn viewable(desk: &Desk, actor: &Actor, ticket_id: i64) -> Option<Audience> {
    if !actor.is_agent() {
        return None;
    }
    let mut conn = desk.store.read().await.ok()?;
    let (_, facts) = domain::tickets::load(&mut conn, ticket_id).await.ok()?;
    actor
        .has_group_access(facts.group_id, AccessLevel::Read)
        .then(|| Audience::of(&facts))
}
