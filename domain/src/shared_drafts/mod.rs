//! Shared drafts (issue: agents writing one reply together, live).
//!
//! - [`content`]: the composer's schema; HTML ⇄ nodes ⇄ yrs XML; the block diff.
//! - [`document`]: one ticket's draft as a yrs document and its REST projection.
//! - [`files`]: a draft's attachments and the upload caches.
//! - [`live`]: the live rooms (y-sync relay, presence, persistence).
//! - [`relay`]: rooms across instances (PostgreSQL rows + `LISTEN`/`NOTIFY`).
//! - [`guard`]: what every peer update must satisfy (shallow, safe attributes).
//! - [`zoom`]: Zammad's `/tickets/{id}/shared_draft` over the live document.
//! - [`start`]: Zammad's named drafts for new tickets (`/tickets/shared_drafts`).

#[cfg(feature = "sync-client")]
pub mod client;
pub mod content;
pub mod document;
pub mod files;
pub mod guard;
pub mod live;
pub mod relay;
pub mod start;
pub mod zoom;

pub use live::{Connection, Editor, Feed, Hub, Reply};
