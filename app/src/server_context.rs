//! What server functions need from the server: the ticket services and session settings.

use std::time::Duration;

use domain::Store;
use domain::accounts::auth::Lockout;
use domain::desk::Desk;

#[derive(Clone)]
pub struct ServerContext {
    pub store: Store,
    pub desk: Desk,
    pub lockout: Lockout,
    pub session_ttl: Duration,
}
