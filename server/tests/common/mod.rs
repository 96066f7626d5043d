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

/// One server per available backend, each sending e-mail through its own SMTP sink (none when
/// no sink can run here).
pub async fn servers_with_smtp() -> Vec<(TestServer, smtp::SmtpSink)> {
    let mut out = Vec::new();
    for db in support::backends().await {
        let Some(smtp) = smtp::SmtpSink::start() else {
            return Vec::new();
        };
        out.push((start_with_smtp(db, &smtp.url()).await, smtp));
    }
    out
}

/// Agent1 opens a ticket with this request body (201); its id.
pub async fn create_ticket(s: &TestServer, body: &Value) -> i64 {
    let r = send(s.post("/tickets", AGENT1).json(body)).await;
    assert_eq!(r.0, 201, "{}: create ticket: {}", s.db.name, r.1);
    r.1["id"].as_i64().unwrap()
}

/// One server per available backend, each with a ticket agent1 opened with `body`.
pub async fn servers_with_ticket(body: Value) -> Vec<(TestServer, i64)> {
    let mut out = Vec::new();
    for s in servers().await {
        let t = create_ticket(&s, &body).await;
        out.push((s, t));
    }
    out
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
    /// A GET of an absolute `url` (a download, another API) as `login`.
    pub fn get_url(&self, url: impl reqwest::IntoUrl, login: &str) -> RequestBuilder {
        self.as_user(self.client.get(url), login)
    }
    /// The response to a GET of an absolute `url` as `login`.
    pub async fn fetch(&self, url: impl reqwest::IntoUrl, login: &str) -> Response {
        self.get_url(url, login).send().await.expect("request")
    }
    /// The id of the group called `name`, as the admin lists them.
    pub async fn group_id(&self, name: &str) -> i64 {
        let r = send(self.get("/groups", ADMIN)).await;
        assert_eq!(r.0, 200, "{}", r.1);
        r.1.as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap_or_else(|| panic!("group {name}"))["id"]
            .as_i64()
            .unwrap()
    }
    /// The id of the user `login` (from `/users/me`).
    pub async fn user_id(&self, login: &str) -> i64 {
        let me = send(self.get("/users/me", login)).await;
        assert_eq!(me.0, 200, "{login}: {}", me.1);
        me.1["id"].as_i64().unwrap()
    }
    /// The OpenAPI document the server publishes (fetched without credentials).
    pub async fn openapi(&self) -> Value {
        let response = self.client.get(self.url("/openapi.json")).send().await;
        response.expect("request").json().await.unwrap()
    }
    /// A ticket's articles as `login` reads them (`/ticket_articles/by_ticket`, 200).
    pub async fn articles(&self, ticket: i64, login: &str) -> Vec<Value> {
        let r = send(self.get(&format!("/ticket_articles/by_ticket/{ticket}"), login)).await;
        assert_eq!(r.0, 200, "{}: by_ticket: {}", self.db.name, r.1);
        r.1.as_array().unwrap().clone()
    }
    /// Agent1 sets `ticket`'s state by name (200).
    pub async fn set_state(&self, ticket: i64, state: &str) {
        let r = send(
            self.put(&format!("/tickets/{ticket}"), AGENT1)
                .json(&serde_json::json!({"state": state})),
        )
        .await;
        assert_eq!(r.0, 200, "{}: {ticket} → {state}: {}", self.db.name, r.1);
    }
    /// Signs `login` in with the demo password (`POST /signin`, 201) as a browser does.
    pub async fn sign_in(&self, login: &str) -> Session {
        let response = self
            .client
            .post(self.url("/signin"))
            .json(&serde_json::json!({"username": login, "password": PASSWORD}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "{}: sign in {login}", self.db.name);
        let set_cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string();
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        let body: Value = response.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_string();
        Session {
            set_cookie,
            cookie,
            csrf,
        }
    }
    /// Runs `tandem` (the binary) with `args` on this server's database and files, `stdin` piped in.
    pub fn run_cli(&self, args: &[&str], stdin: &[u8]) -> std::process::Output {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tandem"))
            .args(args)
            .env("TANDEM_DATABASE_URL", &self.db.url)
            .env("TANDEM_DATA_DIR", &self.files_dir)
            .env_remove("TANDEM_FILES_URL")
            // everything logged: none of it may reach stdout, the command's answer
            .env("TANDEM_LOG", "debug")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }
    pub fn db_files(&self) -> &domain::storage::files::FileStore {
        &self.files
    }
    pub async fn finish(self) {
        self.task.abort();
        self.db.finish().await;
    }
}

/// A browser session after `POST /signin`.
pub struct Session {
    /// The whole `Set-Cookie` header (with its attributes).
    pub set_cookie: String,
    /// The session cookie as a `Cookie` header sends it (`name=value`).
    pub cookie: String,
    /// The CSRF token writes must send in `X-CSRF-Token`.
    pub csrf: String,
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

/// Sends the request and asserts its status (`ctx` names the case); the JSON body.
pub async fn assert_status(builder: RequestBuilder, status: u16, ctx: &str) -> Value {
    let r = send(builder).await;
    assert_eq!(r.0, status, "{ctx}: body {}", r.1);
    r.1
}

/// Sends the request and asserts the Zammad-shaped error it answers (see [`assert_error`]).
pub async fn assert_refused(builder: RequestBuilder, status: u16, message: &str, ctx: &str) {
    assert_error(&send(builder).await, status, message, ctx);
}

/// The last of a ticket's `article_ids` (the article a create or update just added).
pub fn last_article_id(ticket: &Value) -> i64 {
    ticket["article_ids"]
        .as_array()
        .and_then(|ids| ids.last())
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("no article_ids in {ticket}"))
}

/// Waits until `check` holds (up to 30 s, polling every 100 ms); panics naming `what`.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// The domain's actor for `login`, loaded from the test server's database.
pub async fn actor(s: &TestServer, login: &str) -> domain::Actor {
    let id = s.user_id(login).await;
    let mut conn = s.db.store.read().await.unwrap();
    domain::policy::access::load_actor(&mut conn, id, None)
        .await
        .unwrap()
}

/// Posts a raw e-mail to `/channels_email/inbound` as the admin (201); what became of it.
pub async fn inbound(s: &TestServer, message: Vec<u8>) -> Value {
    let r = send(
        s.post("/channels_email/inbound", ADMIN)
            .header("content-type", "message/rfc822")
            .body(message),
    )
    .await;
    assert_eq!(r.0, 201, "{}: inbound: {}", s.db.name, r.1);
    r.1
}

/// A sender address "support@example.com" for group "Users"; returns (address id, group id).
pub async fn support_address(s: &TestServer) -> (i64, i64) {
    let r = send(
        s.post("/email_addresses", ADMIN)
            .json(&serde_json::json!({"name": "Example Support", "email": "Support@Example.com"})),
    )
    .await;
    assert_eq!(r.0, 201, "{}: {}", s.db.name, r.1);
    assert_eq!(r.1["email"], "support@example.com");
    let address = r.1["id"].as_i64().unwrap();
    let users = s.group_id("Users").await;
    let r = send(
        s.put(&format!("/groups/{users}"), ADMIN)
            .json(&serde_json::json!({"email_address_id": address})),
    )
    .await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert_eq!(r.1["email_address_id"], address);
    (address, users)
}
