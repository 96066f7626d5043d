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
    #[cfg(feature = "browser")]
    socket: StoredValue<Option<web_sys::WebSocket>, LocalStorage>,
}

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
        }
    }

    /// Tells the others this tab views a ticket (and whether its user is typing).
    pub fn view(&self, ticket_id: i64, typing: bool) {
        if self.viewing.get_untracked() == Some((ticket_id, typing)) {
            return;
        }
        if let Some((old, _)) = self.viewing.get_untracked()
            && old != ticket_id
        {
            self.send(&ClientMessage::Leave { ticket_id: old });
        }
        self.viewing.set(Some((ticket_id, typing)));
        self.send(&ClientMessage::View { ticket_id, typing });
    }

    /// Leaves whatever ticket this tab views (a page going away).
    pub fn leave_current(&self) {
        if let Some(Some((ticket_id, _))) = self.viewing.try_get_untracked() {
            self.leave(ticket_id);
        }
    }

    pub fn leave(&self, ticket_id: i64) {
        if self.viewing.get_untracked().map(|v| v.0) == Some(ticket_id) {
            self.viewing.set(None);
            self.viewers.set(Vec::new());
            self.send(&ClientMessage::Leave { ticket_id });
        }
    }

    fn send(&self, message: &ClientMessage) {
        #[cfg(feature = "browser")]
        self.socket.with_value(|s| {
            if let Some(s) = s
                && s.ready_state() == web_sys::WebSocket::OPEN
                && let Ok(text) = serde_json::to_string(message)
            {
                let _ = s.send_with_str(&text);
            }
        });
        #[cfg(not(feature = "browser"))]
        let _ = message;
    }

    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    fn receive(&self, message: ServerMessage) {
        if let ServerMessage::Viewers { ticket_id, viewers } = &message {
            if self.viewing.get_untracked().map(|v| v.0) == Some(*ticket_id) {
                self.viewers.set(viewers.clone());
            }
            return;
        }
        if message == ServerMessage::Hello {
            let first = self.connections.get_untracked() == 0;
            self.connections.update(|n| *n += 1);
            if first {
                return;
            }
        }
        self.event.update(|(n, e)| {
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
    /// Opens the socket (once per tab).
    pub fn connect(&self) {
        #[cfg(feature = "browser")]
        {
            if self.socket.with_value(|s| s.is_some()) {
                return;
            }
            browser::open(*self, 0);
        }
    }
}

#[cfg(feature = "browser")]
mod browser {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    use super::{ClientMessage, Live, ServerMessage};
    use leptos::prelude::*;

    pub fn open(live: Live, attempt: u32) {
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
        let Ok(socket) = web_sys::WebSocket::new(&format!("{scheme}://{host}/ws/live")) else {
            return;
        };
        let on_open = Closure::<dyn FnMut()>::new(move || {
            live.connected.set(true);
            if let Some((ticket_id, typing)) = live.viewing.get_untracked() {
                live.send(&ClientMessage::View { ticket_id, typing });
            }
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                if let Some(text) = event.data().as_string()
                    && let Ok(message) = serde_json::from_str::<ServerMessage>(&text)
                {
                    live.receive(message);
                }
            },
        );
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_close =
            Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |event: web_sys::CloseEvent| {
                live.connected.set(false);
                live.socket.set_value(None);
                // 4401: signed out; don't hammer the server
                if event.code() == 4401 {
                    return;
                }
                let delay = (500 * 2u32.saturating_pow(attempt.min(5))).min(15_000);
                set_timeout(
                    move || open(live, attempt + 1),
                    std::time::Duration::from_millis(delay as u64),
                );
            });
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
        live.socket.set_value(Some(socket));
    }
}
