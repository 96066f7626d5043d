//! A native y-sync editor on a ticket's live draft, over a real WebSocket.

use std::time::Duration;

use base64::Engine;
use domain::shared_drafts::client::SyncClient;
use futures::{SinkExt, StreamExt};
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

pub struct LiveEditor {
    pub client: SyncClient,
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
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
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", authorization.parse().unwrap());
        if let Some(o) = origin {
            request.headers_mut().insert("origin", o.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((ws, _)) => {
                let mut e = LiveEditor {
                    client: SyncClient::new(),
                    ws,
                };
                let step1 = e.client.step1();
                e.send(step1).await;
                Ok(e)
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
            Err(other) => panic!("websocket: {other}"),
        }
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
