//! The e-mail records as Zammad's JSON: sender addresses (`EmailAddress`,
//! `app/models/email_address.rb`), mailboxes (`Channel` with `area` `Email::Account`,
//! `app/models/channel.rb`; the password is never rendered), signatures (`Signature`) and
//! Tandem's failed-mail records.

use serde_json::{Value, json};

use crate::mail::addresses::EmailAddressRecord;
use crate::mail::channels::EmailChannelRecord;
use crate::mail::failed::FailedMailRecord;
use crate::mail::signatures::SignatureRecord;

/// Zammad's JSON shape of an e-mail address.
pub fn render_email_address(a: &EmailAddressRecord) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "email": a.email,
        "channel_id": null,
        "active": a.active != 0,
        "note": a.note,
        "preferences": {},
        "updated_by_id": a.updated_by_id,
        "created_by_id": a.created_by_id,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    })
}

/// A mailbox as Zammad's `Channel` JSON (`area` `Email::Account`, `options.inbound`), without
/// its password.
pub fn render_email_channel(c: &EmailChannelRecord) -> Value {
    json!({
        "id": c.id,
        "area": "Email::Account",
        "group_id": c.group_id,
        "inbound": {"adapter": "imap", "options": {
            "host": c.host, "port": c.port, "ssl": c.ssl, "user": c.username,
            "folder": c.folder, "keep_on_server": c.keep_on_server != 0,
        }},
        "active": c.active != 0,
        "status_in": c.status_in,
        "last_log_in": c.last_log_in,
        "last_fetch_at": c.last_fetch_at,
        "updated_by_id": c.updated_by_id,
        "created_by_id": c.created_by_id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    })
}

/// A signature as Zammad's JSON.
pub fn render_signature(s: &SignatureRecord) -> Value {
    json!({
        "id": s.id, "name": s.name, "body": s.body, "active": s.active != 0, "note": s.note,
        "updated_by_id": s.updated_by_id, "created_by_id": s.created_by_id,
        "created_at": s.created_at, "updated_at": s.updated_at,
    })
}

/// A failed mail as JSON (`/failed_mails`; Zammad keeps these as files, Tandem as records).
pub fn render_failed_mail(f: &FailedMailRecord) -> Value {
    json!({
        "id": f.id,
        "reason": f.reason,
        "sender": f.sender,
        "subject": f.subject,
        "group_id": f.group_id,
        "size": f.size,
        "created_at": f.created_at,
    })
}
