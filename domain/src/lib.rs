//! Tandem's domain: every rule about users, tickets, articles and permissions lives here,
//! free of HTTP. The REST handlers (`server`) and the web app's server functions (`app`) both
//! call these services, so there is one implementation of each behaviour.

pub mod access;
pub mod articles;
pub mod attachments;
pub mod auth;
pub mod auth_cache;
pub mod clock;
pub mod demo;
pub mod desk;
pub mod deskhero;
pub mod error;
pub mod events;
pub mod files;
pub mod groups;
pub mod history;
pub mod lookup;
pub mod mentions;
pub mod organizations;
pub mod overviews;
pub mod paging;
pub mod params;
pub mod passwords;
pub mod policy;
pub mod roles;
pub mod sanitize;
pub mod search;
pub mod seeds;
pub mod settings;
pub mod shared_drafts;
pub mod store;
pub mod ticket_cache;
pub mod ticket_priorities;
pub mod ticket_states;
pub mod tickets;
pub mod tokens;
pub mod users;

pub use access::Actor;
pub use error::{Error, Result};
pub use store::Store;
