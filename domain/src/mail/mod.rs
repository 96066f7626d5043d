//! E-mail, the helpdesk's first channel: the addresses groups send from, the outbound queue,
//! building an article into an RFC 5322 message and handing it to an SMTP relay (`lettre`),
//! and reading an inbound message (`mail-parser`) into what a ticket needs.
//!
//! This context knows messages and tickets but opens no transaction of its own for a whole
//! use case: receiving a message and delivering the queue are `desk` use cases
//! (`desk::mail`), which combine this context with tickets, accounts and live events.
//!
//! Sources: RFC 5322 (message format), RFC 2045–2049 (MIME), RFC 2047 (encoded words),
//! RFC 2231 (parameter values), RFC 3834 (automatic responses), RFC 3464 (delivery status
//! notifications); Zammad's `app/models/channel/email_parser.rb`,
//! `app/models/channel/filter/*`, `app/models/ticket/subject.rb` and
//! `app/jobs/ticket_article_communicate_email_job.rb` for the helpdesk behaviour.

pub mod addresses;
pub mod channels;
pub mod compose;
pub mod failed;
pub mod imap;
pub mod inbound;
pub mod outbox;
pub mod placeholders;
pub mod rate;
pub mod raw;
pub mod signatures;
pub mod threading;
pub mod transport;
