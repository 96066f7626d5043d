//! What every request handler can reach.

use std::sync::Arc;
use std::time::Duration;

use domain::Store;
use domain::accounts::auth::Lockout;
use domain::desk::Desk;
use domain::storage::files::FileStore;
use leptos::config::LeptosOptions;

/// Cloned for every extractor of every request: one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub store: Store,
    pub files: FileStore,
    /// The ticket use cases (shared with the web app's server functions), the live
    /// shared-draft rooms and the live event bus.
    pub desk: Desk,
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub lockout: Lockout,
    pub session_ttl: Duration,
    pub allowed_origins: Vec<String>,
    pub tenant: String,
    pub data_dir: std::path::PathBuf,
    /// Served over HTTPS (a proxy terminates TLS): responses carry HSTS.
    pub https: bool,
    /// The SMTP relay outgoing e-mail goes through (`TANDEM_SMTP_URL`); `None`: sending is off.
    pub smtp: Option<domain::mail::transport::Mailer>,
}

impl AppState {
    pub fn new(
        store: Store,
        files: FileStore,
        settings: Settings,
        leptos_options: LeptosOptions,
    ) -> AppState {
        AppState(Arc::new(Shared {
            desk: Desk::new(store.clone(), files.clone()).with_mailer(settings.smtp.clone()),
            store,
            files,
            settings: Arc::new(settings),
            leptos_options,
        }))
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}
