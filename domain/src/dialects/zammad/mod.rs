//! Zammad's REST dialect: its loosely typed JSON requests (ids as numbers or strings, names
//! instead of ids, booleans as Rails casts them — see `docs/input-rules.md`) read into the
//! typed requests of [`crate::tickets::input`] that the use cases take, and the records the use
//! cases return rendered as Zammad's JSON (`tickets`, `articles`, `search`, `shared_drafts`,
//! `history`, `accounts`, `ticket_records`, `email`, `text_modules_macros`).

pub mod accounts;
pub mod articles;
pub mod email;
pub mod history;
pub mod requests;
pub mod search;
pub mod shared_drafts;
pub mod text_modules_macros;
pub mod ticket_records;
pub mod tickets;
