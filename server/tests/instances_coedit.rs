//! Rooms across instances (issue 17): two real `tandem` processes on one PostgreSQL database.
//! Editors connected to different instances converge while typing concurrently, see each
//! other's carets once, and the "who is viewing" row lists both; `kill -9` of one instance
//! mid-typing loses nothing the server acknowledged when its editor reconnects to the other;
//! discarding the draft on one instance ends the room on the other; the stored draft holds
//! every keystroke exactly once. PostgreSQL only (SQLite runs one instance): without
//! `TANDEM_TEST_POSTGRES_URL` the test prints SKIPPED and passes.

mod common;
use common::process;

use std::time::Duration;

use common::live::{LiveEditor, Socket, basic_auth, open_tab, send_message};
use domain::shared_drafts::client::SyncClient;
use futures::StreamExt;
use process::{Tandem, first_ticket, get, shared_draft};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const ANNA: &str = "agent1@tandem.test";
/// The admin (full access to every group): the second editor.
const BOB: &str = "admin@tandem.test";

/// The stored draft's body as REST shows it.
async fn rest_body(base: &str, ticket: i64) -> String {
    shared_draft(base, ticket, ANNA).await.1
}

/// A user's name as the viewers row and the carets show it.
async fn full_name(base: &str, login: &str) -> String {
    let me = get(base, "/users/me", login).await;
    format!(
        "{} {}",
        me["firstname"].as_str().unwrap_or_default(),
        me["lastname"].as_str().unwrap_or_default()
    )
}

/// Whether an editor sees someone's caret at position `at`.
fn has_caret_at(client: &SyncClient, at: u32) -> bool {
    let at = format!("\"at\":{at}");
    client.peers.values().any(|json| json.contains(&at))
}

/// Awareness states (non-null) of a user, by name, an editor sees.
fn carets_of(client: &SyncClient, name: &str) -> usize {
    client
        .peers
        .values()
        .filter(|json| {
            serde_json::from_str::<Value>(json)
                .ok()
                .is_some_and(|v| v["user"]["name"] == name)
        })
        .count()
}

/// A browser tab's `/ws/live` socket viewing `ticket`.
async fn viewing_tab(base: &str, login: &str, ticket: i64) -> Socket {
    let mut ws = open_tab(base, login, None).await.unwrap();
    send_message(
        &mut ws,
        json!({"t": "view", "ticket_id": ticket, "typing": false}),
    )
    .await;
    ws
}

/// Reads the tab's messages until its viewers row holds exactly `names` (sorted).
async fn viewers_become(ws: &mut Socket, names: &[&str]) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut last = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, ws.next()).await {
        let Message::Text(text) = message else {
            continue;
        };
        let value: Value = serde_json::from_str(&text).unwrap_or_default();
        if value["t"] == "viewers" {
            last = value["viewers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| v["name"].as_str().unwrap_or_default().to_string())
                .collect();
            if last == names {
                break;
            }
        }
    }
    last
}

#[tokio::test]
async fn rooms_span_two_instances_on_postgres() {
    let Some(admin_url) = common::support::postgres_url() else {
        eprintln!("SKIPPED: TANDEM_TEST_POSTGRES_URL not set (two instances need PostgreSQL)");
        return;
    };
    let db = common::support::postgres(&admin_url).await;
    let url = db.url.clone();
    let files = std::env::temp_dir().join(format!("tandem-instances-{}", std::process::id()));
    // the first instance loads the demo data, then the second starts on the same database
    let mut a = Tandem::start(&url, &files).await;
    let b = Tandem::start(&url, &files).await;
    let ticket = first_ticket(&a.base, ANNA).await;
    let anna_name = full_name(&a.base, ANNA).await;
    let bob_name = full_name(&b.base, BOB).await;

    // the "who is viewing" row spans the instances
    let mut anna_tab = viewing_tab(&a.base, ANNA, ticket).await;
    let mut bob_tab = viewing_tab(&b.base, BOB, ticket).await;
    let mut both = vec![anna_name.as_str(), bob_name.as_str()];
    both.sort();
    assert_eq!(viewers_become(&mut anna_tab, &both).await, both, "row on A");
    assert_eq!(viewers_become(&mut bob_tab, &both).await, both, "row on B");

    // Anna on instance A, Bob on instance B
    let mut anna = LiveEditor::open(&a.base, ticket, ANNA).await;
    let mut bob = LiveEditor::open(&b.base, ticket, BOB).await;
    assert!(anna.until(|c| c.last_control("hello").is_some()).await);
    assert!(bob.until(|c| c.last_control("hello").is_some()).await);
    let caret = json!({"user": {"name": "spoofed", "color": "#123456"}, "cursor": null});
    let frame = anna.client.awareness(&caret);
    anna.send(frame).await;
    let frame = bob.client.awareness(&caret);
    bob.send(frame).await;
    assert!(
        anna.until(|c| carets_of(c, &bob_name) == 1).await,
        "Anna (A) sees Bob's caret (B): {:?}",
        anna.client.peers
    );
    assert!(
        bob.until(|c| carets_of(c, &anna_name) == 1).await,
        "Bob (B) sees Anna's caret (A): {:?}",
        bob.client.peers
    );

    // caret moves (renewed states) travel too
    for i in 0..3 {
        let frame = bob.client.awareness(&json!({"cursor": {"at": i}}));
        bob.send(frame).await;
    }
    assert!(
        anna.until(|c| has_caret_at(c, 2)).await,
        "Anna sees Bob's caret move: {:?}",
        anna.client.peers
    );

    // y-websocket providers echo every state they hear (with its clock): Anna's echo of Bob's
    // state must not make Bob's caret hers, and Bob's next move still reaches her
    let (bob_id, bob_json) = anna
        .client
        .peers
        .iter()
        .find(|(_, j)| j.contains(r#""at":2"#))
        .map(|(id, j)| (*id, j.clone()))
        .unwrap();
    anna.send(SyncClient::awareness_of(bob_id, 4, &bob_json))
        .await;
    anna.drain(200).await;
    let frame = bob.client.awareness(&json!({"cursor": {"at": 7}}));
    bob.send(frame).await;
    assert!(
        anna.until(|c| has_caret_at(c, 7)).await,
        "Bob's caret is still his after Anna's echo: {:?}",
        anna.client.peers
    );
    assert_eq!(
        carets_of(&anna.client, &anna_name),
        1,
        "{:?}",
        anna.client.peers
    );

    // a seed, then concurrent typing: Anna appends, Bob writes in front
    let started = std::time::Instant::now();
    let frame = anna.client.type_text(0, u32::MAX, "|");
    anna.send(frame).await;
    assert!(bob.until(|c| c.block_text(0) == "|").await, "seed relayed");
    let anna_text = "Anna on A types this.";
    let bob_text = "Ada on B wrote that. ";
    assert_eq!(anna_text.len(), bob_text.len());
    for (i, (ca, cb)) in anna_text.chars().zip(bob_text.chars()).enumerate() {
        let frame = anna.client.type_text(0, u32::MAX, &ca.to_string());
        anna.send(frame).await;
        let frame = bob.client.type_text(0, i as u32, &cb.to_string());
        bob.send(frame).await;
        anna.drain(2).await;
        bob.drain(2).await;
    }
    let expected = format!("{bob_text}|{anna_text}");
    assert!(
        anna.until(|c| c.block_text(0) == expected).await,
        "A converges: {:?}",
        anna.client.block_text(0)
    );
    assert!(
        bob.until(|c| c.block_text(0) == expected).await,
        "B converges: {:?}",
        bob.client.block_text(0)
    );
    eprintln!(
        "two instances: {} concurrent keystrokes converged in {:?}",
        anna_text.len() + bob_text.len(),
        started.elapsed()
    );
    // carets still once each, and nobody sees a second copy of themselves from the other side
    assert_eq!(carets_of(&anna.client, &bob_name), 1);
    assert_eq!(carets_of(&bob.client, &anna_name), 1);
    assert!(carets_of(&bob.client, &bob_name) <= 1);

    // acknowledged on A (flush → saved), then more keystrokes and kill -9 of A mid-typing
    assert!(anna.flush().await, "flush answered");
    let acknowledged = anna.client.block_text(0);
    let pending = "then more";
    anna.type_keystrokes(pending).await;
    a.kill();
    // what was acknowledged is on B at once, and in storage
    assert!(
        bob.until(|c| c.block_text(0).starts_with(&acknowledged))
            .await,
        "B holds the acknowledged text: {:?}",
        bob.client.block_text(0)
    );
    assert!(
        rest_body(&b.base, ticket)
            .await
            .contains(acknowledged.trim_end()),
        "REST on B after the crash"
    );
    // Anna's editor reconnects to B with its document, as a provider does (same client id)
    let old = std::mem::take(&mut anna.client);
    let mut anna = LiveEditor::open(&b.base, ticket, ANNA).await;
    anna.client = old;
    let frame = anna.client.step1();
    anna.send(frame).await;
    let frame = anna.client.full_update();
    anna.send(frame).await;
    let frame = anna.client.awareness(&caret);
    anna.send(frame).await;
    let full = format!("{expected}{pending}");
    assert!(
        bob.until(|c| c.block_text(0) == full).await,
        "every keystroke once after the reconnect: {:?}",
        bob.client.block_text(0)
    );
    assert!(anna.until(|c| c.block_text(0) == full).await);
    bob.drain(300).await;
    assert_eq!(
        carets_of(&bob.client, &anna_name),
        1,
        "Anna's caret once after moving to B: {:?}",
        bob.client.peers
    );

    // a new instance A joins: a fresh editor there loads the same text, exactly once
    let a2 = Tandem::start(&url, &files).await;
    let mut carl = LiveEditor::open(&a2.base, ticket, ANNA).await;
    assert!(
        carl.until(|c| c.block_text(0) == full).await,
        "a room loaded on another instance: {:?}",
        carl.client.block_text(0)
    );
    // typing there reaches B
    let frame = carl.client.type_text(0, u32::MAX, "!");
    carl.send(frame).await;
    let full = format!("{full}!");
    assert!(bob.until(|c| c.block_text(0) == full).await);
    assert!(anna.until(|c| c.block_text(0) == full).await);
    // stored once, whoever snapshots
    assert!(bob.flush().await);
    assert!(carl.flush().await);
    let body = rest_body(&a2.base, ticket).await;
    assert_eq!(
        body.matches(&full).count(),
        1,
        "stored exactly once: {body}"
    );
    assert_eq!(body.matches(anna_text.trim()).count(), 1, "{body}");

    // discarding the draft on one instance ends the rooms on the other (code 4410 closes)
    let discarded = reqwest::Client::new()
        .delete(format!("{}/api/v1/tickets/{ticket}/shared_draft", a2.base))
        .header("authorization", basic_auth(ANNA))
        .send()
        .await
        .unwrap();
    assert!(discarded.status().is_success(), "{}", discarded.status());
    assert!(bob.closed().await, "B's room closed");
    assert!(
        bob.client.controls.iter().any(|m| m["t"] == "deleted"),
        "B was told: {:?}",
        bob.client.controls
    );
    assert!(anna.closed().await, "Anna's room on B closed");
    assert!(carl.closed().await, "A's room closed");
    // the next room on B starts empty at the new epoch
    let mut fresh = LiveEditor::open(&b.base, ticket, BOB).await;
    assert!(fresh.until(|c| c.last_control("hello").is_some()).await);
    fresh.drain(300).await;
    assert_eq!(
        fresh.client.block_text(0),
        "",
        "a new draft after the discard"
    );

    drop(anna_tab);
    drop(bob_tab);
    drop(a2);
    drop(b);
    let _ = std::fs::remove_dir_all(&files);
    db.finish().await;
}
