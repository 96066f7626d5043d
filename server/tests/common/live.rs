//! WebSockets to the test server: a browser tab's `/ws/live` and a native y-sync editor on a
//! ticket's live draft.

use std::time::Duration;

use base64::Engine;
use domain::shared_drafts::client::SyncClient;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// `Authorization` value for HTTP Basic with the demo password.
pub fn basic_auth(login: &str) -> String {
    let pair = format!("{login}:{}", domain::setup::demo::PASSWORD);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// A client WebSocket to the test server.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the WebSocket at `url` (ws://…) with these `Authorization` and `Origin` headers.
/// `Err(status)` when the upgrade is refused; any other failure panics.
pub async fn upgrade(
    url: &str,
    authorization: Option<&str>,
    origin: Option<&str>,
) -> Result<Socket, u16> {
    let mut request = url.into_client_request().unwrap();
    if let Some(a) = authorization {
        request
            .headers_mut()
            .insert("authorization", a.parse().unwrap());
    }
    if let Some(o) = origin {
        request.headers_mut().insert("origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(other) => panic!("websocket: {other}"),
    }
}

/// A browser tab's `/ws/live` socket on `base` (http://…) as `login`, its "hello" read.
pub async fn open_tab(base: &str, login: &str, origin: Option<&str>) -> Result<Socket, u16> {
    let url = format!("{}/ws/live", base.replace("http://", "ws://"));
    let mut ws = upgrade(&url, Some(&basic_auth(login)), origin).await?;
    assert_eq!(next_message(&mut ws).await.unwrap()["t"], "hello");
    Ok(ws)
}

/// The next JSON message on a tab, or `None` when nothing arrives within a short while.
pub async fn next_message(ws: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_millis(700), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).ok(),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// Every message that arrives on a tab until it is quiet.
pub async fn drain_tab(ws: &mut Socket) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(v) = next_message(ws).await {
        out.push(v);
    }
    out
}

/// Sends one JSON message on a tab.
pub async fn send_message(ws: &mut Socket, value: Value) {
    ws.send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

pub struct LiveEditor {
    pub client: SyncClient,
    ws: Socket,
}

impl LiveEditor {
    /// Opens `/ws/tickets/{ticket}` on `base` (http://…) and sends sync step 1. `Err(status)`
    /// when the upgrade is refused.
    pub async fn connect(
        base: &str,
        ticket: i64,
        authorization: &str,
        origin: Option<&str>,
        epoch: Option<i64>,
    ) -> Result<LiveEditor, u16> {
        let url = format!(
            "{}/ws/tickets/{ticket}{}",
            base.replace("http://", "ws://"),
            epoch.map(|e| format!("?epoch={e}")).unwrap_or_default()
        );
        let ws = upgrade(&url, Some(authorization), origin).await?;
        let mut e = LiveEditor {
            client: SyncClient::new(),
            ws,
        };
        let step1 = e.client.step1();
        e.send(step1).await;
        Ok(e)
    }

    /// Opens the live draft of `ticket` as `login` (HTTP Basic, no origin); panics if refused.
    pub async fn open(base: &str, ticket: i64, login: &str) -> LiveEditor {
        LiveEditor::connect(base, ticket, &basic_auth(login), None, None)
            .await
            .unwrap_or_else(|status| panic!("{login} on ticket {ticket}: {status}"))
    }

    /// Types `text` at the end of the first paragraph, one keystroke per message.
    pub async fn type_keystrokes(&mut self, text: &str) {
        for ch in text.chars() {
            let frame = self.client.type_text(0, u32::MAX, &ch.to_string());
            self.send(frame).await;
        }
    }

    /// Asks the server to store a snapshot; whether a new "saved" answers it (within 10 s).
    pub async fn flush(&mut self) -> bool {
        let before = self.client.controls.len();
        self.send(SyncClient::control(&serde_json::json!({"t": "flush"})))
            .await;
        self.until(|c| c.controls[before..].iter().any(|m| m["t"] == "saved"))
            .await
    }

    pub async fn send(&mut self, frame: Vec<u8>) {
        self.ws.send(Message::Binary(frame.into())).await.unwrap();
    }

    /// Reads frames until `done` holds (or the socket closes / 10 s pass).
    pub async fn until(&mut self, done: impl Fn(&SyncClient) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(&self.client) {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(Message::Binary(b)))) => {
                    for reply in self.client.receive(&b) {
                        let _ = self.ws.send(Message::Binary(reply.into())).await;
                    }
                }
                Ok(Some(Ok(_))) => {}
                _ => return done(&self.client),
            }
        }
        true
    }

    /// Reads whatever arrives within `ms` milliseconds.
    pub async fn drain(&mut self, ms: u64) {
        let _ = tokio::time::timeout(Duration::from_millis(ms), self.until(|_| false)).await;
    }

    pub async fn closed(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(Message::Binary(b)))) => {
                    self.client.receive(&b);
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => {}
                Err(_) => return false,
            }
        }
    }
}
