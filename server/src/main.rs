//! `tandem`: the helpdesk server — REST API, server-rendered web app, and WebSockets.
#![recursion_limit = "512"]

use std::time::Duration;

use clap::Parser;
use domain::Store;
use domain::accounts::auth::Lockout;
use domain::storage::files::FileStore;
use tracing_subscriber::EnvFilter;

use server::config::{AdminAction, Cli, Command, Config, MailAction};
use server::state::{AppState, Settings};
use server::web;

/// mimalloc instead of glibc's allocator: a request allocates and frees hundreds of small
/// buffers (headers, JSON values, records) on whichever worker thread runs it, and glibc's
/// `malloc`/`free` with its arena locks and `malloc_consolidate` took 17 % of the process's
/// samples while tickets were read (`perf record`, `GET /tickets/{id}` uniformly over 100,000
/// tickets).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.config.log_json);
    let result = match cli.command {
        None | Some(Command::Serve) => serve(cli.config).await,
        Some(Command::Admin {
            action: AdminAction::Create { login, password },
        }) => admin_create(&cli.config, &login, &password).await,
        Some(Command::Mail {
            action: MailAction::Deliver { group },
        }) => {
            return mail_deliver(&cli.config, group.as_deref()).await;
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("tandem: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing(json: bool) {
    let filter = EnvFilter::try_from_env("TANDEM_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    // the log goes to stderr: stdout is what a command answers (`tandem mail deliver`'s JSON
    // result, read by the mail server's delivery pipe)
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn admin_create(config: &Config, login: &str, password: &str) -> Result<(), String> {
    let store = Store::connect(&config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let mut tx = store.write().await.map_err(|e| e.to_string())?;
    let id = domain::setup::seeds::ensure_admin(&mut tx, login, password)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    println!("admin {login} ready (user id {id})");
    Ok(())
}

/// `tandem mail deliver`: one message from stdin into the helpdesk. Prints the outcome as
/// JSON; exit code 75 (EX_TEMPFAIL) when it could not be stored, so that the MTA retries.
async fn mail_deliver(config: &Config, group: Option<&str>) -> std::process::ExitCode {
    use std::io::Read;
    const EX_TEMPFAIL: u8 = 75;
    let limit = domain::mail::inbound::MAX_MESSAGE_BYTES as u64 + 1;
    let mut message = Vec::new();
    if let Err(e) = std::io::stdin().take(limit).read_to_end(&mut message) {
        eprintln!("tandem: cannot read the message from stdin: {e}");
        return std::process::ExitCode::from(EX_TEMPFAIL);
    }
    let outcome = async {
        let files = config.file_store()?;
        let store = Store::connect(&config.database_url)
            .await
            .map_err(|e| e.to_string())?;
        let desk = domain::desk::Desk::new(store.clone(), files);
        let received = desk
            .receive_mail(&message, group)
            .await
            .map_err(|e| e.to_string());
        store.close().await;
        received
    }
    .await;
    match outcome {
        Ok(received) => {
            println!("{}", server::http::email::render_received(&received));
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tandem: the message was not stored: {e}");
            std::process::ExitCode::from(EX_TEMPFAIL)
        }
    }
}

/// The demo logins, from the one list in code (`domain::setup::demo::LOGINS`).
fn print_demo_logins() {
    println!(
        "\n  Demo logins (password: {})",
        domain::setup::demo::PASSWORD
    );
    for login in &domain::setup::demo::LOGINS {
        println!("    {:<22} {:<13} {}", login.login, login.name, login.role);
    }
    println!();
}

/// Opens the database and applies start-up set-up in one transaction.
async fn prepare_store(config: &Config, files: &FileStore) -> Result<Store, String> {
    let store = Store::connect_with_group_commit(&config.database_url, config.sqlite_group_commit)
        .await
        .map_err(|e| e.to_string())?;
    let mut tx = store.write().await.map_err(|e| e.to_string())?;
    let system_id = domain::setup::seeds::ensure_system_id(&mut tx, config.system_id)
        .await
        .map_err(|e| e.to_string())?;
    if config.demo
        && domain::setup::demo::load(&mut tx, files)
            .await
            .map_err(|e| e.to_string())?
            .is_some()
    {
        tracing::info!("demo data loaded");
    }
    match (&config.admin_login, &config.admin_password) {
        (Some(login), Some(password)) => {
            domain::setup::seeds::ensure_admin(&mut tx, login, password)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(login, "admin account created or reset");
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err("TANDEM_ADMIN_LOGIN and TANDEM_ADMIN_PASSWORD go together".into());
        }
        (None, None) => {}
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    tracing::info!(system_id, backend = ?store.backend(), "database ready");
    Ok(store)
}

async fn serve(config: Config) -> Result<(), String> {
    let files = config.file_store()?;
    let smtp = match config.smtp_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => {
            let mailer = domain::mail::transport::Mailer::from_url(url)
                .map_err(|e| format!("TANDEM_SMTP_URL: {e}"))?;
            tracing::info!(relay = %mailer.shown_url, "e-mail sending on");
            Some(mailer)
        }
        None => {
            tracing::info!("e-mail sending off (TANDEM_SMTP_URL is not set)");
            None
        }
    };
    tracing::info!(files = %files.describe(), "attachment storage");
    let store = prepare_store(&config, &files).await?;
    let leptos_options = leptos::config::get_configuration(None)
        .map_err(|e| format!("leptos configuration: {e}"))?
        .leptos_options;
    let state = AppState::new(
        store.clone(),
        files,
        Settings {
            lockout: Lockout::new(
                config.lockout_failures.max(1),
                Duration::from_secs(config.lockout_minutes * 60),
            ),
            session_ttl: Duration::from_secs(config.session_hours * 3600),
            allowed_origins: config.allowed_origins.clone(),
            tenant: config.tenant.clone(),
            data_dir: config.data_dir.clone(),
            https: config.https,
            smtp,
        },
        leptos_options,
    );
    if store.backend() == domain::storage::store::Backend::Postgres {
        // several instances on one database hear each other's ticket events
        state
            .desk
            .events
            .listen_postgres(&store)
            .await
            .map_err(|e| format!("live events (LISTEN): {e}"))?;
        // and edit the same drafts live: rooms are relayed between instances
        state
            .desk
            .drafts
            .relay_postgres()
            .await
            .map_err(|e| format!("draft rooms (LISTEN): {e}"))?;
    }
    let _backfill = state.desk.spawn_search_backfill();
    let delivery = state.desk.spawn_mail_delivery();
    let mailboxes = state
        .desk
        .spawn_mailbox_pollers(Duration::from_secs(config.imap_poll_seconds.max(1)));
    let app = web::router(state, config.max_body_mb * 1024 * 1024);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    tracing::info!("Tandem listening on http://{}", config.listen);
    if config.demo {
        print_demo_logins();
    }
    server::listener::serve(listener, app, shutdown_signal()).await;
    if let Some(delivery) = delivery {
        delivery.abort();
    }
    mailboxes.abort();
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish in-flight requests, close the database.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut sig) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            sig.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
