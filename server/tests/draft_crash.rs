//! `kill -9` of the real `tandem` process while an agent types into a live draft: after a
//! restart the editor reconnects and every keystroke the server had acknowledged (`saved`)
//! is still there (SQLite and PostgreSQL).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::live::{LiveEditor, basic_auth};
use domain::shared_drafts::client::SyncClient;
use serde_json::{Value, json};

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

#[tokio::test]
async fn acknowledged_keystrokes_survive_kill_9() {
    for db in common::support::backends().await {
        let ctx = db.name;
        let url = db.url.clone();
        db.store.close().await;
        let files = std::env::temp_dir().join(format!("tandem-crash-files-{}", std::process::id()));
        let port = free_port();
        let mut tandem = start(&url, port, &files).await;
        let http = reqwest::Client::new();
        let tickets: Value = http
            .get(format!("{}/api/v1/tickets", tandem.base))
            .header("authorization", basic_auth(LOGIN))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ticket = tickets[0]["id"].as_i64().expect("a demo ticket");

        let auth = basic_auth(LOGIN);
        let mut anna = LiveEditor::connect(&tandem.base, ticket, &auth, None, None)
            .await
            .unwrap();
        assert!(
            anna.until(|c| c.last_control("hello").is_some()).await,
            "{ctx}"
        );
        // type, one keystroke per message; a flush stores a snapshot
        for ch in "Acknowledged ".chars() {
            let frame = anna.client.type_text(0, u32::MAX, &ch.to_string());
            anna.send(frame).await;
        }
        let saved_before = anna.client.controls.len();
        anna.send(SyncClient::control(&json!({"t": "flush"}))).await;
        assert!(
            anna.until(|c| c.controls[saved_before..].iter().any(|m| m["t"] == "saved"))
                .await,
            "{ctx}: flush answered"
        );
        // more keystrokes, acknowledged by the batched update log (no snapshot yet)
        for ch in "text ".chars() {
            let frame = anna.client.type_text(0, u32::MAX, &ch.to_string());
            anna.send(frame).await;
        }
        anna.drain(300).await; // every `saved` of the writes so far
        let snapshot_rev = anna.client.last_control("saved").unwrap()["rev"]
            .as_i64()
            .unwrap();
        assert!(
            anna.until(|c| c.last_control("saved").unwrap()["rev"].as_i64() > Some(snapshot_rev))
                .await,
            "{ctx}: the update log write is announced"
        );
        let acknowledged = anna.client.block_text(0);
        assert_eq!(acknowledged, "Acknowledged text", "{ctx}");
        // keep typing (not yet confirmed) and pull the plug mid-stream
        for ch in "and more".chars() {
            let frame = anna.client.type_text(0, u32::MAX, &ch.to_string());
            anna.send(frame).await;
        }
        tandem.child.kill().expect("kill -9"); // SIGKILL: no shutdown, no final snapshot
        tandem.child.wait().unwrap();

        let mut tandem = start(&url, port, &files).await;
        // REST, before any editor is back: the logged updates count, not just the snapshot
        let draft: Value = http
            .get(format!(
                "{}/api/v1/tickets/{ticket}/shared_draft",
                tandem.base
            ))
            .header("authorization", basic_auth(LOGIN))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = draft["shared_draft_id"].to_string();
        let body = draft["assets"]["TicketSharedDraftZoom"][&id]["new_article"]["body"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            body.contains(&acknowledged),
            "{ctx}: REST after the crash: {draft}"
        );
        let mut fresh = LiveEditor::connect(&tandem.base, ticket, &auth, None, None)
            .await
            .unwrap();
        let kept = fresh
            .until(|c| c.block_text(0).starts_with(&acknowledged))
            .await;
        assert!(
            kept,
            "{ctx}: after the restart the draft holds {:?}",
            fresh.client.block_text(0)
        );
        // the editor reconnects (same document, same epoch) and resends its state, as a
        // provider does: its unconfirmed keystrokes merge in once, nothing is duplicated
        let mut again = LiveEditor::connect(&tandem.base, ticket, &auth, None, None)
            .await
            .unwrap();
        again.send(anna.client.full_update()).await;
        assert!(
            fresh
                .until(|c| c.block_text(0) == "Acknowledged text and more")
                .await,
            "{ctx}: {:?}",
            fresh.client.block_text(0)
        );
        tandem.child.kill().unwrap();
        tandem.child.wait().unwrap();
        let _ = std::fs::remove_dir_all(&files);
        db.finish().await;
    }
}
