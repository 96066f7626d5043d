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
        // a clone: no reactive borrow is held while the browser runs
        if let Some(s) = self.socket.try_with_value(|s| s.clone()).flatten()
            && s.ready_state() == web_sys::WebSocket::OPEN
            && let Ok(text) = serde_json::to_string(message)
        {
            let _ = s.send_with_str(&text);
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

#[cfg(feature = "browser")]
mod browser {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    use super::{ClientMessage, Live};
    use leptos::prelude::*;

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
        let Ok(socket) = web_sys::WebSocket::new(&format!("{scheme}://{host}/ws/live")) else {
            return;
        };
        // after a connection that worked, the next drop retries quickly again
        let opened = std::rc::Rc::new(std::cell::Cell::new(false));
        let on_open_flag = opened.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            if !current() {
                return;
            }
            on_open_flag.set(true);
            let _ = live.connected.try_set(true);
            if let Some(Some((ticket_id, typing))) = live.viewing.try_get_untracked() {
                live.send(&ClientMessage::View { ticket_id, typing });
            }
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                if current()
                    && let Some(text) = event.data().as_string()
                    && let Ok(message) = serde_json::from_str(&text)
                {
                    live.receive(message);
                }
            },
        );
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_close =
            Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |event: web_sys::CloseEvent| {
                if !current() {
                    return;
                }
                let _ = live.connected.try_set(false);
                let _ = live.socket.try_set_value(None);
                // 4401: signed out; don't hammer the server (and no offline banner)
                if event.code() == 4401 {
                    let _ = live.connections.try_set(0);
                    return;
                }
                let attempt = if opened.get() { 0 } else { attempt };
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
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
        let _ = live.socket.try_set_value(Some(socket));
    }
}
