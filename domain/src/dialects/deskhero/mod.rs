//! DeskHero's dialect (docs/deskhero.md): `POST /api/{tenant}/v1/ticket_conversations/{ticket_id}`
//! creates "conversation entries" on a ticket. Each entry becomes a Tandem article through the
//! same pipeline as Zammad's `POST /ticket_articles` ([`articles::insert`]: sanitising, inline
//! images, attachments, side effects); a SUGGESTED_REPLY becomes the ticket's shared draft.
//!
//! A request is all or nothing: every entry is parsed and checked before anything is written,
//! and everything is written in the caller's one transaction. A draft write reaches live
//! editors only after the commit ([`Created::publish`]).
//!
//! The module follows DeskHero's sections: [`errors`], [`dto`], [`route`], [`create`] (the use
//! case), [`parse`] (reading an entry's fields), [`editorjs`], [`output`].

mod create;
mod dto;
mod editorjs;
mod errors;
mod output;
mod parse;
mod route;
#[cfg(test)]
mod tests;

pub use create::*;
pub use dto::*;
use editorjs::*;
pub use errors::*;
pub use output::*;
pub use parse::*;
pub use route::*;

/// The only API version (`/api/{tenant}/v1/...`).
pub const VERSION: &str = "v1";
/// Entries per request.
pub const MAX_ENTRIES: usize = 100;
/// `attachment_status` OK.
pub const ATTACHMENT_STATUS_OK: i64 = 2;
pub(super) const PREVIEW_CHARS: usize = 200;
pub(super) const WORDS_PER_MINUTE: usize = 200;
/// Nesting of editorjs list items.
pub(super) const MAX_LIST_DEPTH: usize = 10;
