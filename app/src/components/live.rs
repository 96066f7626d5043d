//! One WebSocket per tab (`/ws/live`, authenticated by the session cookie): ticket changes and
//! deletions for the lists and the ticket view, and who is viewing or typing on a ticket.
//! Pages read the signals of [`Live`]; the socket reconnects by itself and, after a gap,
//! tells pages to reload what they show (events may have been missed meanwhile).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Someone viewing the same ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: i64,
    pub name: String,
    pub typing: bool,
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ServerMessage {
    TicketChanged {
        ticket_id: i64,
    },
    TicketDeleted {
        ticket_id: i64,
    },
    Viewers {
        ticket_id: i64,
        viewers: Vec<Viewer>,
    },
    /// Sent after (re)connecting: reload, something may have been missed.
    Hello,
}

/// What the browser sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ClientMessage {
    View { ticket_id: i64, typing: bool },
    Leave { ticket_id: i64 },
}

#[derive(Clone, Copy)]
pub struct Live {
    /// The latest ticket event and a sequence number (so equal events still notify).
    pub event: RwSignal<(u64, Option<ServerMessage>)>,
    /// Viewers of the ticket this tab views.
    pub viewers: RwSignal<Vec<Viewer>>,
    pub connected: RwSignal<bool>,
    viewing: RwSignal<Option<(i64, bool)>>,
    /// Connections so far: the first `hello` needs no reload, later ones (after a gap) do.
    connections: RwSignal<u32>,
    /// The open socket's outgoing queue (the socket itself lives in its task, [`browser::open`]).
    #[cfg(feature = "browser")]
    socket: StoredValue<Option<futures::channel::mpsc::UnboundedSender<String>>, LocalStorage>,
    /// Bumped by every socket opened: handlers and retry timers of an older socket stand down.
    #[cfg(feature = "browser")]
    generation: StoredValue<u32>,
}

// Socket handlers, retry timers and page cleanups call these at any time, also after the
// reactive owner is gone: every access is a `try_*` and does nothing then.
impl Live {
    fn new() -> Live {
        Live {
            event: RwSignal::new((0, None)),
            viewers: RwSignal::new(Vec::new()),
            connected: RwSignal::new(false),
            viewing: RwSignal::new(None),
            connections: RwSignal::new(0),
            #[cfg(feature = "browser")]
            socket: StoredValue::new_local(None),
            #[cfg(feature = "browser")]
            generation: StoredValue::new(0),
        }
    }

    /// Tells the others this tab views a ticket (and whether its user is typing).
    pub fn view(&self, ticket_id: i64, typing: bool) {
        let Some(viewing) = self.viewing.try_get_untracked() else {
            return;
        };
        if viewing == Some((ticket_id, typing)) {
            return;
        }
        if let Some((old, _)) = viewing
            && old != ticket_id
        {
            self.send(&ClientMessage::Leave { ticket_id: old });
        }
        let _ = self.viewing.try_set(Some((ticket_id, typing)));
        self.send(&ClientMessage::View { ticket_id, typing });
    }

    /// Whether the socket has been connected since the page loaded (or since the last sign-in):
    /// a drop after that means the server cannot be reached.
    pub fn ever_connected(&self) -> bool {
        self.connections.get() > 0
    }

    /// Leaves whatever ticket this tab views (a page going away).
    pub fn leave_current(&self) {
        if let Some(Some((ticket_id, _))) = self.viewing.try_get_untracked() {
            self.leave(ticket_id);
        }
    }

    pub fn leave(&self, ticket_id: i64) {
        if self.viewing.try_get_untracked().flatten().map(|v| v.0) == Some(ticket_id) {
            let _ = self.viewing.try_set(None);
            let _ = self.viewers.try_set(Vec::new());
            self.send(&ClientMessage::Leave { ticket_id });
        }
    }

    fn send(&self, message: &ClientMessage) {
        #[cfg(feature = "browser")]
        // only on an open socket: after (re)opening, the socket's task sends what this tab views
        if self.connected.try_get_untracked() == Some(true)
            && let Some(queue) = self.socket.try_with_value(|s| s.clone()).flatten()
            && let Ok(text) = serde_json::to_string(message)
        {
            let _ = queue.unbounded_send(text);
        }
        #[cfg(not(feature = "browser"))]
        let _ = message;
    }

    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    fn receive(&self, message: ServerMessage) {
        if let ServerMessage::Viewers { ticket_id, viewers } = &message {
            if self.viewing.try_get_untracked().flatten().map(|v| v.0) == Some(*ticket_id) {
                let _ = self.viewers.try_set(viewers.clone());
            }
            return;
        }
        if message == ServerMessage::Hello {
            let Some(first) = self.connections.try_update(|n| {
                *n += 1;
                *n == 1
            }) else {
                return;
            };
            if first {
                return;
            }
        }
        let _ = self.event.try_update(|(n, e)| {
            *n += 1;
            *e = Some(message);
        });
    }
}

/// The tab's live connection (provided by [`provide_live`]).
pub fn use_live() -> Live {
    use_context::<Live>().unwrap_or_else(Live::new)
}

/// Creates the tab's [`Live`] context; the socket opens once the page has hydrated and a
/// user is signed in ([`Live::connect`]).
pub fn provide_live() -> Live {
    let live = Live::new();
    provide_context(live);
    live
}

impl Live {
    /// Opens the socket (once per tab; again at once after a drop, instead of the retry timer).
    pub fn connect(&self) {
        #[cfg(feature = "browser")]
        {
            if self.socket.try_with_value(|s| s.is_some()) != Some(false) {
                return;
            }
            browser::open(*self, 0);
        }
    }
}

/// The socket, through `gloo-net`: one task per socket reads what the server sends and writes
/// what [`Live::send`] queued; when the socket closes, the task schedules the next one.
#[cfg(feature = "browser")]
mod browser {
    use futures::channel::mpsc;
    use futures::future::{Either, select};
    use futures::{SinkExt, StreamExt};
    use gloo_net::websocket::futures::WebSocket;
    use gloo_net::websocket::{Message, State, WebSocketError};

    use super::{ClientMessage, Live};
    use leptos::prelude::*;

    /// Close code of a socket whose session ended: no retry (and no offline banner).
    const SIGNED_OUT: u16 = 4401;

    pub fn open(live: Live, attempt: u32) {
        // this socket's number; `None`: the app is gone
        let Some(mine) = live.generation.try_update_value(|g| {
            *g = g.wrapping_add(1);
            *g
        }) else {
            return;
        };
        // whether this socket is still the tab's current one (and the app still there)
        let current = move || live.generation.try_get_value() == Some(mine);
        let Some(window) = web_sys::window() else {
            return;
        };
        let location = window.location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().unwrap_or_default();
        let Ok(mut socket) = WebSocket::open(&format!("{scheme}://{host}/ws/live")) else {
            return;
        };
        let (queue, mut outgoing) = mpsc::unbounded::<String>();
        let _ = live.socket.try_set_value(Some(queue));
        leptos::task::spawn_local(async move {
            // open, or failed to open: the sink is ready either way
            let opened = std::future::poll_fn(|cx| socket.poll_ready_unpin(cx))
                .await
                .is_ok()
                && matches!(socket.state(), State::Open);
            let mut close_code = None;
            if opened && current() {
                let _ = live.connected.try_set(true);
                if let Some(Some((ticket_id, typing))) = live.viewing.try_get_untracked() {
                    live.send(&ClientMessage::View { ticket_id, typing });
                }
                loop {
                    match select(socket.next(), outgoing.next()).await {
                        Either::Left((Some(Ok(Message::Text(text))), _)) => {
                            if !current() {
                                break;
                            }
                            if let Ok(message) = serde_json::from_str(&text) {
                                live.receive(message);
                            }
                        }
                        Either::Left((Some(Ok(Message::Bytes(_))), _)) => {}
                        Either::Left((Some(Err(WebSocketError::ConnectionClose(event))), _)) => {
                            close_code = Some(event.code);
                            break;
                        }
                        Either::Left((Some(Err(_)), _)) => {}
                        Either::Left((None, _)) | Either::Right((None, _)) => break,
                        Either::Right((Some(text), _)) => {
                            if socket.send(Message::Text(text)).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            }
            drop(socket); // closes it, if the server did not
            if !current() {
                return;
            }
            let _ = live.connected.try_set(false);
            let _ = live.socket.try_set_value(None);
            if close_code == Some(SIGNED_OUT) {
                let _ = live.connections.try_set(0);
                return;
            }
            // after a connection that worked, the next drop retries quickly again
            let attempt = if opened { 0 } else { attempt };
            let delay = (500 * 2u32.saturating_pow(attempt.min(5))).min(5_000);
            // a page that connected meanwhile ([`Live::connect`]) made this retry stale
            set_timeout(
                move || {
                    if current() {
                        open(live, attempt + 1)
                    }
                },
                std::time::Duration::from_millis(delay as u64),
            );
        });
    }
}
