//! Real `tandem` processes (the binary Cargo built for the tests) for tests that kill one
//! (`kill -9`) or run several on one database, and the REST reads those tests make of them.
//!
//! Also the plumbing of the other servers the tests start (free ports, waiting for a listener).
//!
//! Part of the shared test support (`common::process`).
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::live::basic_auth;

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A mail server the tests need is not installed: fails when the test command requires mail
/// (`TANDEM_TEST_REQUIRE_MAIL`), else says the test skips (`None`, no server). `missing` and
/// `skipped` say which.
pub fn mail_server_missing<T>(missing: &str, skipped: &str) -> Option<T> {
    assert!(
        std::env::var("TANDEM_TEST_REQUIRE_MAIL").is_err(),
        "{missing}"
    );
    eprintln!("SKIPPED: {skipped}");
    None
}

/// A free port and an empty directory `tandem-{kind}-…` for a server to run on and in.
pub fn port_and_dir(kind: &str) -> (u16, std::path::PathBuf) {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("tandem-{kind}-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    (port, dir)
}

/// Spawns `command` (its output discarded) and waits up to 20 s until something listens on
/// `port`; panics naming `what`, with `log()` (what it wrote), when nothing does.
pub fn spawn_listening(
    command: &mut Command,
    port: u16,
    what: &str,
    log: impl Fn() -> String,
) -> Child {
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not start: {}",
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// A running `tandem` process with the demo data; killed (`SIGKILL`) when dropped.
pub struct Tandem {
    pub child: Child,
    pub port: u16,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

impl Tandem {
    /// Starts `tandem` on a free port (see [`Tandem::start_on`]).
    pub async fn start(db_url: &str, files: &std::path::Path) -> Tandem {
        Tandem::start_on(db_url, free_port(), files).await
    }

    /// Starts `tandem` on `port` over `db_url` with its files in `files` (warnings on the
    /// test's stderr), and waits until it answers; panics when it does not within 30 s.
    pub async fn start_on(db_url: &str, port: u16, files: &std::path::Path) -> Tandem {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let child = Command::new(env!("CARGO_BIN_EXE_tandem"))
            .current_dir(root)
            .env("TANDEM_LISTEN", format!("127.0.0.1:{port}"))
            .env("TANDEM_DATABASE_URL", db_url)
            .env("TANDEM_DATA_DIR", files)
            .env("TANDEM_DEMO", "1")
            .env("TANDEM_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tandem");
        let tandem = Tandem {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client
                .get(format!("{}/api/v1/openapi.json", tandem.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return tandem;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("tandem did not start on {}", tandem.base); // dropping it kills it
    }

    /// `kill -9`: no shutdown, no final snapshot. Returns once the process is gone.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap tandem");
    }
}

impl Drop for Tandem {
    fn drop(&mut self) {
        // already gone after `kill`: nothing to report then
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET {base}/api/v1{path}` as `login` (demo password), its JSON body.
pub async fn get(base: &str, path: &str, login: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}/api/v1{path}"))
        .header("authorization", basic_auth(login))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The id of the first ticket `login` sees (the demo data has some).
pub async fn first_ticket(base: &str, login: &str) -> i64 {
    get(base, "/tickets", login).await[0]["id"]
        .as_i64()
        .expect("a demo ticket")
}

/// A ticket's stored shared draft as REST shows it: the whole answer and the draft's body
/// (empty without a draft).
pub async fn shared_draft(base: &str, ticket: i64, login: &str) -> (Value, String) {
    let draft = get(base, &format!("/tickets/{ticket}/shared_draft"), login).await;
    let id = draft["shared_draft_id"].to_string();
    let body = draft["assets"]["TicketSharedDraftZoom"][&id]["new_article"]["body"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (draft, body)
}
