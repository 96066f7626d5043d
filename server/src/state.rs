//! What every request handler can reach.

use std::sync::Arc;
use std::time::Duration;

use domain::Store;
use domain::auth::Lockout;
use domain::files::FileStore;
use leptos::config::LeptosOptions;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub files: FileStore,
    /// The live shared-draft rooms (y-sync), shared by the WebSocket and the REST endpoints.
    pub hub: Arc<domain::shared_drafts::Hub>,
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
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}
