//! Runs the real router on an ephemeral port over a fresh database per backend.
#![allow(dead_code)]

#[path = "../../../domain/tests/support/mod.rs"]
pub mod support;

pub mod fake_s3;
pub mod imap;
pub mod live;
pub mod process;
pub mod smtp;

use std::time::Duration;

use domain::accounts::auth::Lockout;
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;
use server::state::{AppState, Settings};

pub struct TestServer {
    pub base: String,
    pub files: domain::storage::files::FileStore,
    /// The local data directory (where files would be without object storage).
    pub files_dir: std::path::PathBuf,
    pub db: support::TestDb,
    pub client: Client,
    task: tokio::task::JoinHandle<()>,
}

pub const PASSWORD: &str = domain::setup::demo::PASSWORD;

pub async fn start(db: support::TestDb, max_body_bytes: usize) -> TestServer {
    start_with_files(db, max_body_bytes, None).await
}

/// As [`start`], with another attachment store (`None`: the local test directory).
pub async fn start_with_files(
    db: support::TestDb,
    max_body_bytes: usize,
    files: Option<domain::storage::files::FileStore>,
) -> TestServer {
    start_full(db, max_body_bytes, files, None).await
}

/// As [`start`], sending e-mail through the relay at `smtp_url` (its delivery worker runs).
pub async fn start_with_smtp(db: support::TestDb, smtp_url: &str) -> TestServer {
    start_full(db, 50 * 1024 * 1024, None, Some(smtp_url)).await
}

async fn start_full(
    db: support::TestDb,
    max_body_bytes: usize,
    files: Option<domain::storage::files::FileStore>,
    smtp_url: Option<&str>,
) -> TestServer {
    {
        let mut tx = db.store.write().await.unwrap();
        domain::setup::seeds::ensure_system_id(&mut tx, Some(42))
            .await
            .unwrap();
        domain::setup::demo::load_accounts(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
    }
    let leptos_options = leptos::config::get_configuration(None)
        .unwrap()
        .leptos_options;
    let files_dir = std::env::temp_dir().join(format!("tandem-test-files-{}", std::process::id()));
    let files = files.unwrap_or_else(|| domain::storage::files::FileStore::new(&files_dir));
    let state = AppState::new(
        db.store.clone(),
        files.clone(),
        Settings {
            lockout: Lockout::new(10, Duration::from_secs(60)),
            session_ttl: Duration::from_secs(3600),
            allowed_origins: vec![],
            tenant: "acme".into(),
            data_dir: files_dir.clone(),
            https: false,
            smtp: smtp_url.map(|u| domain::mail::transport::Mailer::from_url(u).unwrap()),
        },
        leptos_options,
    );
    let delivery = state.desk.spawn_mail_delivery();
    let mailboxes = state.desk.spawn_mailbox_pollers(Duration::from_millis(500));
    let app = server::web::router(state, max_body_bytes);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        server::listener::serve(listener, app, std::future::pending()).await;
        if let Some(delivery) = delivery {
            delivery.abort();
        }
        mailboxes.abort();
    });
    TestServer {
        base,
        db,
        client: Client::new(),
        task,
        files,
        files_dir,
    }
}

/// One running server per available backend.
pub async fn servers() -> Vec<TestServer> {
    let mut out = Vec::new();
    for db in support::backends().await {
        out.push(start(db, 50 * 1024 * 1024).await);
    }
    out
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }
    pub fn as_user(&self, builder: RequestBuilder, login: &str) -> RequestBuilder {
        builder.basic_auth(login, Some(PASSWORD))
    }
    pub fn get(&self, path: &str, login: &str) -> RequestBuilder {
        self.as_user(self.client.get(self.url(path)), login)
    }
    pub fn post(&self, path: &str, login: &str) -> RequestBuilder {
        self.as_user(self.client.post(self.url(path)), login)
    }
    pub fn put(&self, path: &str, login: &str) -> RequestBuilder {
        self.as_user(self.client.put(self.url(path)), login)
    }
    pub fn delete(&self, path: &str, login: &str) -> RequestBuilder {
        self.as_user(self.client.delete(self.url(path)), login)
    }
    pub fn db_files(&self) -> &domain::storage::files::FileStore {
        &self.files
    }
    pub async fn finish(self) {
        self.task.abort();
        self.db.finish().await;
    }
}

pub const ADMIN: &str = "admin@tandem.test";
pub const AGENT1: &str = "agent1@tandem.test";
pub const AGENT2: &str = "agent2@tandem.test";
pub const NICOLE: &str = "nicole@customer.test";
pub const SAM: &str = "sam@customer.test";
pub const LEE: &str = "lee@other.test";

/// Status and JSON body.
pub async fn send(builder: RequestBuilder) -> (u16, Value) {
    let response: Response = builder.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Asserts a Zammad-shaped error with this status and message.
pub fn assert_error(got: &(u16, Value), status: u16, message: &str, ctx: &str) {
    assert_eq!(got.0, status, "{ctx}: status; body {}", got.1);
    assert_eq!(got.1["error"], message, "{ctx}: error; body {}", got.1);
    assert_eq!(got.1["error_human"], message, "{ctx}: error_human");
}
