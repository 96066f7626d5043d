//! Co-editing soak (issue 17), native y-sync editors against a real `tandem` process: three
//! agents and the same agent twice edit one draft for a bounded time with random inserts and
//! deletions, go offline and come back (resending what they typed meanwhile, as a provider
//! does), and the server is killed (`kill -9`) and restarted once. At the end every editor and
//! the REST view hold the same text, every token typed and not deleted is in it exactly once,
//! and no client id shows another agent's name. SQLite, and PostgreSQL when available: there
//! with two instances on the database (the editors alternate between them; the one killed is
//! the first).
//! `TANDEM_SOAK_SECONDS` (default 6) runs it longer.

mod common;
use common::process;

use std::collections::HashMap;
use std::time::Duration;

use common::live::basic_auth;
use domain::shared_drafts::client::SyncClient;
use futures::{SinkExt, StreamExt};
use process::{Tandem, first_ticket, shared_draft};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A tiny deterministic generator (xorshift), seeded per run and printed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One editor: its document survives going offline and the server's restart.
struct Editor {
    login: &'static str,
    base: String,
    tag: String,
    client: SyncClient,
    ws: Option<Socket>,
    alive: Vec<String>,
    deleted: Vec<String>,
    typed: usize,
}

impl Editor {
    /// Connects (again) and does what a provider does: sync step 1, everything it holds,
    /// its awareness. `false` when the server does not answer.
    async fn connect(&mut self, ticket: i64) -> bool {
        let url = format!(
            "{}/ws/tickets/{ticket}",
            self.base.replace("http://", "ws://")
        );
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", basic_auth(self.login).parse().unwrap());
        let Ok((ws, _)) = tokio_tungstenite::connect_async(request).await else {
            return false;
        };
        self.ws = Some(ws);
        let step1 = self.client.step1();
        let full = self.client.full_update();
        let caret = self
            .client
            .awareness(&json!({"user": {"name": "x"}, "cursor": null}));
        self.send(step1).await;
        self.send(full).await;
        self.send(caret).await;
        self.ws.is_some()
    }

    async fn send(&mut self, frame: Vec<u8>) {
        if let Some(ws) = &mut self.ws
            && ws.send(Message::Binary(frame.into())).await.is_err()
        {
            self.ws = None;
        }
    }

    /// Reads what arrived within `ms`; a closed socket makes the editor offline.
    async fn pump(&mut self, ms: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        while let Some(ws) = &mut self.ws {
            match tokio::time::timeout_at(deadline, ws.next()).await {
                Ok(Some(Ok(Message::Binary(b)))) => {
                    let replies = self.client.receive(&b);
                    for reply in replies {
                        self.send(reply).await;
                    }
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => {
                    self.ws = None;
                }
                Ok(Some(Ok(_))) => {}
                Err(_) => break,
            }
        }
    }

    fn text(&self) -> String {
        self.client.block_text(0)
    }

    /// Inserts a new token at a token boundary of its current text.
    async fn insert(&mut self, rng: &mut Rng) {
        let text = self.text();
        let mut boundaries = vec![0u32];
        for (i, ch) in text.char_indices() {
            if ch == ' ' {
                boundaries.push(i as u32 + 1);
            }
        }
        let at = boundaries[rng.below(boundaries.len())];
        self.typed += 1;
        let token = format!("{}{:04} ", self.tag, self.typed);
        let frame = self.client.type_text(0, at, &token);
        self.alive.push(token);
        self.send(frame).await;
    }

    /// Deletes one of its own tokens (a backspace run over it).
    async fn delete(&mut self, rng: &mut Rng) {
        if self.alive.is_empty() {
            return;
        }
        let i = rng.below(self.alive.len());
        let token = self.alive[i].clone();
        let Some(at) = self.text().find(&token) else {
            return;
        };
        let frame = self.client.delete_text(0, at as u32, token.len() as u32);
        self.alive.remove(i);
        self.deleted.push(token);
        self.send(frame).await;
    }
}

#[tokio::test]
async fn random_edits_offline_reconnects_and_a_kill_9_converge_exactly_once() {
    let seconds: u64 = std::env::var("TANDEM_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    for db in common::support::backends().await {
        let ctx = db.name;
        let url = db.url.clone();
        db.store.close().await;
        let files = std::env::temp_dir().join(format!("tandem-soak-{}-{ctx}", std::process::id()));
        let first = Tandem::start(&url, &files).await;
        let (port, base) = (first.port, first.base.clone());
        let mut server = Some(first);
        // PostgreSQL: a second instance on the same database
        let second = match ctx {
            "postgres" => Some(Tandem::start(&url, &files).await),
            _ => None,
        };
        let ticket = first_ticket(&base, "agent1@tandem.test").await;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1;
        eprintln!("{ctx}: soak seed {seed}, {seconds} s");
        let mut rng = Rng(seed);
        let logins = [
            "agent1@tandem.test",
            "admin@tandem.test",
            "agent1@tandem.test", // the same agent in a second tab
        ];
        let mut editors: Vec<Editor> = logins
            .iter()
            .enumerate()
            .map(|(i, login)| Editor {
                login,
                base: match &second {
                    Some(second) if i % 2 == 1 => second.base.clone(),
                    _ => base.clone(),
                },
                tag: format!("{}", (b'a' + i as u8) as char),
                client: SyncClient::new(),
                ws: None,
                alive: Vec::new(),
                deleted: Vec::new(),
                typed: 0,
            })
            .collect();
        for e in &mut editors {
            assert!(e.connect(ticket).await, "{ctx}: connect");
            e.pump(100).await;
        }
        // one paragraph everyone starts from
        editors[0].insert(&mut rng).await;
        for _ in 0..50 {
            for e in &mut editors {
                e.pump(20).await;
            }
            if editors
                .iter()
                .all(|e| e.client.block_count() == 1 && !e.text().is_empty())
            {
                break;
            }
        }
        let started = tokio::time::Instant::now();
        let end = started + Duration::from_secs(seconds);
        let kill_at = started + Duration::from_secs(seconds) / 2;
        let mut killed = false;
        let mut steps = 0usize;
        while tokio::time::Instant::now() < end {
            steps += 1;
            let i = rng.below(editors.len());
            match rng.below(100) {
                0..=69 => editors[i].insert(&mut rng).await,
                70..=89 => editors[i].delete(&mut rng).await,
                90..=94 => {
                    // offline for a while (edits stay local), or back online
                    if editors[i].ws.is_some() {
                        if let Some(mut ws) = editors[i].ws.take() {
                            let _ = ws.close(None).await;
                        }
                    } else {
                        editors[i].connect(ticket).await;
                    }
                }
                _ => {
                    let flush = SyncClient::control(&json!({"t": "flush"}));
                    editors[i].send(flush).await;
                }
            }
            for e in &mut editors {
                e.pump(2).await;
            }
            if !killed && tokio::time::Instant::now() >= kill_at {
                killed = true;
                drop(server.take()); // SIGKILL: no shutdown, no final snapshot
                server = Some(Tandem::start_on(&url, port, &files).await);
                for e in &mut editors {
                    e.pump(50).await;
                    if e.ws.is_none() {
                        e.connect(ticket).await;
                    }
                }
            }
        }
        // everyone back online; each resends what it holds
        for e in &mut editors {
            if let Some(mut ws) = e.ws.take() {
                let _ = ws.close(None).await;
            }
            assert!(e.connect(ticket).await, "{ctx}: reconnect");
        }
        let mut converged = false;
        for _ in 0..200 {
            for e in &mut editors {
                e.pump(20).await;
            }
            let first = editors[0].text();
            if editors.iter().all(|e| e.text() == first) {
                converged = true;
                break;
            }
        }
        let texts: Vec<String> = editors.iter().map(Editor::text).collect();
        assert!(converged, "{ctx}: editors differ: {texts:#?}");
        let final_text = texts[0].clone();
        let typed: usize = editors.iter().map(|e| e.typed).sum();
        let alive: Vec<String> = editors.iter().flat_map(|e| e.alive.clone()).collect();
        for token in &alive {
            assert_eq!(
                final_text.matches(token.trim()).count(),
                1,
                "{ctx}: {token:?} once in {final_text:?}"
            );
        }
        for token in editors.iter().flat_map(|e| &e.deleted) {
            assert_eq!(
                final_text.matches(token.trim()).count(),
                0,
                "{ctx}: deleted {token:?} stays deleted"
            );
        }
        assert_eq!(
            final_text.split_whitespace().count(),
            alive.len(),
            "{ctx}: nothing else in {final_text:?}"
        );
        // no client id carries another agent's name (one's own caret never shows as someone else)
        let names: HashMap<&str, &str> = [
            ("agent1@tandem.test", "Anna Agent"),
            ("admin@tandem.test", "Ada Admin"),
        ]
        .into();
        for e in &editors {
            let own = e.client.doc.client_id();
            if let Some(json) = editors[0].client.peers.get(&own)
                && json != "null"
            {
                assert!(
                    json.contains(names[e.login]),
                    "{ctx}: {}'s client id shows {json}",
                    e.login
                );
            }
        }
        // stored: REST shows the same text
        let flush = SyncClient::control(&json!({"t": "flush"}));
        editors[0].send(flush).await;
        editors[0].pump(500).await;
        let (_, body) = shared_draft(&base, ticket, "agent1@tandem.test").await;
        for token in &alive {
            assert_eq!(
                body.matches(token.trim()).count(),
                1,
                "{ctx}: REST holds {token:?} once: {body}"
            );
        }
        eprintln!(
            "{ctx}: {steps} steps, {typed} tokens typed, {} kept, converged after a kill -9",
            alive.len()
        );
        drop(editors);
        drop(server);
        drop(second);
        let _ = std::fs::remove_dir_all(&files);
        db.finish().await;
    }
}
