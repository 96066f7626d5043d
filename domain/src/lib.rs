//! Tandem's domain: every rule about users, tickets, articles and permissions lives here,
//! free of HTTP. The REST handlers (`server`) and the web app's server functions (`app`) both
//! call these services, so there is one implementation of each behaviour.
//!
//! The modules are contexts, listed from the bottom up; each may use only the ones above it
//! in this list (see `ARCHITECTURE.md`; `tests/layering.rs` fails on an import that points up).

pub mod accounts;
pub mod desk;
pub mod dialects;
pub mod error;
pub mod live;
pub mod mail;
pub mod policy;
pub mod search;
pub mod setup;
pub mod shared_drafts;
pub mod storage;
pub mod tickets;

pub use error::{Error, Result};
pub use policy::access::Actor;
pub use storage::store::Store;
