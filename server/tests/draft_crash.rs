//! `kill -9` of the real `tandem` process while an agent types into a live draft: after a
//! restart the editor reconnects and every keystroke the server had acknowledged (`saved`)
//! is still there (SQLite and PostgreSQL).

#[path = "../../domain/tests/support/mod.rs"]
mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use domain::shared_drafts::client::SyncClient;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const LOGIN: &str = "agent1@tandem.test";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Tandem {
    child: Child,
    base: String,
}

async fn start(db_url: &str, port: u16, files: &std::path::Path) -> Tandem {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .current_dir(root)
        .env("TANDEM_LISTEN", format!("127.0.0.1:{port}"))
        .env("TANDEM_DATABASE_URL", db_url)
        .env("TANDEM_DATA_DIR", files)
        .env("TANDEM_DEMO", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tandem");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{base}/api/v1/openapi.json"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Tandem { child, base };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("tandem did not start on {base}");
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(base: &str, ticket: i64) -> (Socket, SyncClient) {
    let url = format!("{}/ws/tickets/{ticket}", base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{LOGIN}:tandem-demo"));
    request
        .headers_mut()
        .insert("authorization", format!("Basic {auth}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");
    let client = SyncClient::new();
    ws.send(Message::Binary(client.step1().into()))
        .await
        .unwrap();
    (ws, client)
}

/// Reads frames until `done` holds (false after 10 s or when the socket ends).
async fn until(
    ws: &mut Socket,
    client: &mut SyncClient,
    done: impl Fn(&SyncClient) -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(client) {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => {
                for reply in client.receive(&b) {
                    let _ = ws.send(Message::Binary(reply.into())).await;
                }
            }
            Ok(Some(Ok(_))) => {}
            _ => return done(client),
        }
    }
    true
}

#[tokio::test]
async fn acknowledged_keystrokes_survive_kill_9() {
    for db in support::backends().await {
        let ctx = db.name;
        let url = db.url.clone();
        db.store.close().await;
        let files = std::env::temp_dir().join(format!("tandem-crash-files-{}", std::process::id()));
        let port = free_port();
        let mut tandem = start(&url, port, &files).await;
        let http = reqwest::Client::new();
        let tickets: Value = http
            .get(format!("{}/api/v1/tickets", tandem.base))
            .basic_auth(LOGIN, Some("tandem-demo"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ticket = tickets[0]["id"].as_i64().expect("a demo ticket");

        let (mut ws, mut client) = connect(&tandem.base, ticket).await;
        assert!(
            until(&mut ws, &mut client, |c| c.last_control("hello").is_some()).await,
            "{ctx}"
        );
        // type, one keystroke per message, and ask the server to confirm what it stored
        for ch in "Acknowledged text ".chars() {
            let frame = client.type_text(0, u32::MAX, &ch.to_string());
            ws.send(Message::Binary(frame.into())).await.unwrap();
        }
        let saved_before = client.controls.len();
        ws.send(Message::Binary(
            SyncClient::control(&json!({"t": "flush"})).into(),
        ))
        .await
        .unwrap();
        assert!(
            until(&mut ws, &mut client, |c| c.controls[saved_before..]
                .iter()
                .any(|m| m["t"] == "saved"))
            .await,
            "{ctx}: flush answered"
        );
        let acknowledged = client.block_text(0);
        assert_eq!(acknowledged, "Acknowledged text", "{ctx}");
        // keep typing (not yet confirmed) and pull the plug mid-stream
        for ch in "and more".chars() {
            let frame = client.type_text(0, u32::MAX, &ch.to_string());
            ws.send(Message::Binary(frame.into())).await.unwrap();
        }
        tandem.child.kill().expect("kill -9"); // SIGKILL: no shutdown, no final snapshot
        tandem.child.wait().unwrap();

        let mut tandem = start(&url, port, &files).await;
        let (mut ws, mut fresh) = connect(&tandem.base, ticket).await;
        let kept = until(&mut ws, &mut fresh, |c| {
            c.block_text(0).starts_with(&acknowledged)
        })
        .await;
        assert!(
            kept,
            "{ctx}: after the restart the draft holds {:?}",
            fresh.block_text(0)
        );
        // the editor reconnects (same document, same epoch) and resends its state, as a
        // provider does: its unconfirmed keystrokes merge in once, nothing is duplicated
        let (mut old_ws, _) = connect(&tandem.base, ticket).await;
        old_ws
            .send(Message::Binary(client.full_update().into()))
            .await
            .unwrap();
        assert!(
            until(&mut ws, &mut fresh, |c| c.block_text(0)
                == "Acknowledged text and more")
            .await,
            "{ctx}: {:?}",
            fresh.block_text(0)
        );
        tandem.child.kill().unwrap();
        tandem.child.wait().unwrap();
        let _ = std::fs::remove_dir_all(&files);
        db.finish().await;
    }
}
