//! What server functions need from the server: the store and session settings.

use std::time::Duration;

use domain::Store;
use domain::auth::Lockout;

#[derive(Clone)]
pub struct ServerContext {
    pub store: Store,
    pub lockout: Lockout,
    pub session_ttl: Duration,
}
