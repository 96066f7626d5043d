//! Server functions of the admin area's e-mail screens: sender addresses, mailboxes (IMAP
//! channels), signatures and failed mail. Only admins get answers; every change goes through
//! the same `Desk` use cases as the REST API (`/email_addresses`, `/email_channels`,
//! `/signatures`), with the same checks and errors. A mailbox's password goes in, never out.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::Choice;
#[allow(unused_imports)]
use super::codec::JsonText;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

/// The encryption choices of a mailbox (`ssl` of `/email_channels`), with their labels.
pub const SSL_CHOICES: [(&str, &str); 3] = [
    ("ssl", "SSL/TLS (port 993)"),
    ("starttls", "STARTTLS (port 143)"),
    ("off", "None (port 143)"),
];

/// A sender address as the list and the form hold it (`id` 0: a new one).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EmailAddressForm {
    pub id: i64,
    /// The display name ("Example Support").
    pub name: String,
    pub email: String,
    pub active: bool,
    pub note: String,
    /// The groups sending from it (read-only; chosen on the group's page).
    pub groups: Vec<String>,
}

/// A mailbox in the list, with how its last poll went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxRow {
    pub id: i64,
    pub group: String,
    pub host: String,
    pub port: i64,
    pub ssl: String,
    pub user: String,
    pub folder: String,
    pub active: bool,
    /// `ok`, `error`, or none before the first poll.
    pub status_in: Option<String>,
    /// The last poll's error.
    pub last_log_in: Option<String>,
    /// When it was last polled (RFC 3339, UTC).
    pub last_fetch_at: Option<String>,
}

/// A mailbox as the form holds it (`id` 0: a new one). The stored password is never sent to
/// the browser: `password` empty keeps it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MailboxForm {
    pub id: i64,
    pub group_id: Option<i64>,
    pub host: String,
    /// Empty: the encryption's default port.
    pub port: String,
    pub ssl: String,
    pub user: String,
    pub password: String,
    pub folder: String,
    pub keep_on_server: bool,
    pub active: bool,
}

/// The mailbox form's data: the mailbox, the groups to choose from, whether a password is
/// stored, and the last poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxEdit {
    pub mailbox: MailboxForm,
    pub groups: Vec<Choice>,
    pub has_password: bool,
    pub status: Option<MailboxRow>,
}

/// A signature as the list and the form hold it (`id` 0: a new one).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SignatureForm {
    pub id: i64,
    pub name: String,
    /// HTML with placeholders (`#{user.firstname}`, `#{ticket.number}`, …).
    pub body: String,
    pub active: bool,
    pub note: String,
    /// The groups using it (read-only; chosen on the group's page).
    pub groups: Vec<String>,
}

/// The signature form's data: the signature and the placeholders its body may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureEdit {
    pub signature: SignatureForm,
    /// `user.firstname`, `ticket.number`, … (written `#{user.firstname}`).
    pub placeholders: Vec<String>,
}

/// A message kept as failed mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedMailRow {
    pub id: i64,
    pub reason: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub group: Option<String>,
    pub size: i64,
    pub created_at: String,
}

/// A failed message with its text as received (cut at [`RAW_SHOWN`] bytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedMailView {
    pub mail: FailedMailRow,
    pub raw: String,
    /// The message is longer than what `raw` shows.
    pub cut: bool,
}

/// The most of a failed message's bytes the page shows (the whole message: `…/raw` of the
/// REST API).
pub const RAW_SHOWN: usize = 256 * 1024;

/// What reprocessing a failed message did, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reprocessed {
    pub message: String,
    /// The ticket it went to, if it became an article.
    pub ticket_id: Option<i64>,
}

#[cfg(feature = "ssr")]
mod server {
    use std::collections::HashMap;

    use domain::Actor;
    use sqlx::AnyConnection;

    pub use crate::session::server::as_admin;

    /// Every group's name by id.
    pub async fn group_names(
        conn: &mut AnyConnection,
        actor: &Actor,
    ) -> domain::Result<HashMap<i64, String>> {
        Ok(domain::accounts::groups::list(conn, actor)
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect())
    }

    /// Which groups use which address and signature: (address id → names, signature id →
    /// names), names sorted.
    pub type Users = HashMap<i64, Vec<String>>;

    pub async fn group_uses(
        conn: &mut AnyConnection,
        actor: &Actor,
    ) -> domain::Result<(Users, Users)> {
        let mut addresses: Users = HashMap::new();
        let mut signatures: Users = HashMap::new();
        for g in domain::accounts::groups::list(conn, actor).await? {
            if let Some(a) = g.email_address_id {
                addresses.entry(a).or_default().push(g.name.clone());
            }
            if let Some(s) = g.signature_id {
                signatures.entry(s).or_default().push(g.name);
            }
        }
        for names in addresses.values_mut().chain(signatures.values_mut()) {
            names.sort();
        }
        Ok((addresses, signatures))
    }

    pub fn mailbox_row(
        c: domain::mail::channels::EmailChannelRecord,
        groups: &HashMap<i64, String>,
    ) -> super::MailboxRow {
        super::MailboxRow {
            id: c.id,
            group: groups.get(&c.group_id).cloned().unwrap_or_default(),
            host: c.host,
            port: c.port,
            ssl: c.ssl,
            user: c.username,
            folder: c.folder,
            active: c.active != 0,
            status_in: c.status_in,
            last_log_in: c.last_log_in,
            last_fetch_at: c.last_fetch_at,
        }
    }

    pub fn failed_row(
        f: domain::mail::failed::FailedMailRecord,
        groups: &HashMap<i64, String>,
    ) -> super::FailedMailRow {
        super::FailedMailRow {
            id: f.id,
            group: f.group_id.and_then(|g| groups.get(&g).cloned()),
            reason: f.reason,
            sender: f.sender,
            subject: f.subject,
            size: f.size,
            created_at: f.created_at,
        }
    }

    /// A stored sender address for the list and the form, with the groups sending from it
    /// (taken out of `uses`).
    pub fn address_form(
        a: domain::mail::addresses::EmailAddressRecord,
        uses: &mut Users,
    ) -> super::EmailAddressForm {
        super::EmailAddressForm {
            groups: uses.remove(&a.id).unwrap_or_default(),
            id: a.id,
            name: a.name,
            email: a.email,
            active: a.active != 0,
            note: a.note,
        }
    }

    /// A stored signature for the list and the form, with the groups using it (taken out of
    /// `uses`).
    pub fn signature_form(
        s: domain::mail::signatures::SignatureRecord,
        uses: &mut Users,
    ) -> super::SignatureForm {
        super::SignatureForm {
            groups: uses.remove(&s.id).unwrap_or_default(),
            id: s.id,
            name: s.name,
            body: s.body,
            active: s.active != 0,
            note: s.note,
        }
    }

    /// `0` creates, anything else updates that record.
    pub fn target(id: i64) -> Option<i64> {
        (id != 0).then_some(id)
    }
}

// ───────────────────────────── sender addresses ─────────────────────────────

/// Every sender address, with the groups sending from it.
#[server(output = JsonText)]
pub async fn admin_email_addresses() -> Result<Vec<EmailAddressForm>, ServerFnError> {
    use self::server::{address_form, as_admin, group_uses};
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let list = domain::mail::addresses::list(&mut conn, &actor).await?;
        let (mut uses, _) = group_uses(&mut conn, &actor).await?;
        Ok(list
            .into_iter()
            .map(|a| address_form(a, &mut uses))
            .collect())
    })
    .await
}

/// One sender address for its form (`id` 0: an empty form).
#[server(output = JsonText)]
pub async fn admin_email_address(id: i64) -> Result<EmailAddressForm, ServerFnError> {
    use self::server::{address_form, as_admin, group_uses};
    as_admin(|actor, ctx| async move {
        domain::policy::authorize_email_admin(&actor)?;
        if id == 0 {
            return Ok(EmailAddressForm {
                active: true,
                ..Default::default()
            });
        }
        let mut conn = ctx.store.read().await?;
        let a = domain::mail::addresses::find(&mut conn, id).await?;
        let (mut uses, _) = group_uses(&mut conn, &actor).await?;
        Ok(address_form(a, &mut uses))
    })
    .await
}

/// Creates (`id` 0) or updates a sender address ([`domain::desk::Desk::save_email_address`]);
/// returns its id.
#[server(input = Json)]
pub async fn save_admin_email_address(address: EmailAddressForm) -> Result<i64, ServerFnError> {
    use self::server::{as_admin, target};
    use domain::mail::addresses::EmailAddressParams;
    as_admin(|actor, ctx| async move {
        let params = EmailAddressParams {
            name: Some(address.name),
            email: Some(address.email),
            active: Some(address.active),
            note: Some(address.note),
        };
        let saved = ctx
            .desk
            .save_email_address(&actor, target(address.id), &params)
            .await?;
        Ok(saved.id)
    })
    .await
}

/// Removes a sender address ([`domain::desk::Desk::delete_email_address`]); groups sending
/// from it send from none.
#[server]
pub async fn delete_admin_email_address(id: i64) -> Result<(), ServerFnError> {
    use self::server::as_admin;
    as_admin(|actor, ctx| async move { ctx.desk.delete_email_address(&actor, id).await }).await
}

// ───────────────────────────── mailboxes ─────────────────────────────

/// Every mailbox with its last poll.
#[server(output = JsonText)]
pub async fn admin_mailboxes() -> Result<Vec<MailboxRow>, ServerFnError> {
    use self::server::{as_admin, group_names, mailbox_row};
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let list = domain::mail::channels::list(&mut conn, &actor).await?;
        let groups = group_names(&mut conn, &actor).await?;
        Ok(list.into_iter().map(|c| mailbox_row(c, &groups)).collect())
    })
    .await
}

/// One mailbox for its form (`id` 0: an empty form), without its password.
#[server(output = JsonText)]
pub async fn admin_mailbox(id: i64) -> Result<MailboxEdit, ServerFnError> {
    use self::server::{as_admin, group_names, mailbox_row};
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        domain::policy::authorize_email_admin(&actor)?;
        let names = group_names(&mut conn, &actor).await?;
        let mut groups: Vec<Choice> = names
            .iter()
            .map(|(id, name)| Choice {
                id: *id,
                name: name.clone(),
            })
            .collect();
        groups.sort_by_key(|c| c.name.to_lowercase());
        if id == 0 {
            return Ok(MailboxEdit {
                mailbox: MailboxForm {
                    group_id: groups.first().map(|g| g.id),
                    ssl: "ssl".into(),
                    folder: "INBOX".into(),
                    active: true,
                    ..Default::default()
                },
                groups,
                has_password: false,
                status: None,
            });
        }
        let c = domain::mail::channels::find(&mut conn, id).await?;
        let form = MailboxForm {
            id: c.id,
            group_id: Some(c.group_id),
            host: c.host.clone(),
            port: c.port.to_string(),
            ssl: c.ssl.clone(),
            user: c.username.clone(),
            password: String::new(),
            folder: c.folder.clone(),
            keep_on_server: c.keep_on_server != 0,
            active: c.active != 0,
        };
        let has_password = !c.password.is_empty();
        Ok(MailboxEdit {
            mailbox: form,
            groups,
            has_password,
            status: Some(mailbox_row(c, &names)),
        })
    })
    .await
}

/// Creates (`id` 0) or updates a mailbox ([`domain::desk::Desk::save_email_channel`]) without
/// connecting to it (its poller does, on its next round); returns its id.
#[server(input = Json)]
pub async fn save_admin_mailbox(mailbox: MailboxForm) -> Result<i64, ServerFnError> {
    use self::server::{as_admin, target};
    use domain::mail::channels::EmailChannelParams;
    as_admin(|actor, ctx| async move {
        let port = mailbox.port.trim();
        let port = if port.is_empty() {
            None
        } else {
            Some(port.parse::<i64>().map_err(|_| {
                domain::Error::unprocessable("The port must be a number from 1 to 65535.")
            })?)
        };
        let params = EmailChannelParams {
            group_id: mailbox.group_id,
            host: Some(mailbox.host),
            port,
            ssl: Some(mailbox.ssl),
            user: Some(mailbox.user),
            // empty: the stored password stays
            password: (!mailbox.password.is_empty()).then_some(mailbox.password),
            folder: Some(mailbox.folder),
            keep_on_server: Some(mailbox.keep_on_server),
            active: Some(mailbox.active),
        };
        let saved = ctx
            .desk
            .save_email_channel(&actor, target(mailbox.id), &params)
            .await?;
        Ok(saved.id)
    })
    .await
}

/// Removes a mailbox ([`domain::desk::Desk::delete_email_channel`]); its poller stops.
#[server]
pub async fn delete_admin_mailbox(id: i64) -> Result<(), ServerFnError> {
    use self::server::as_admin;
    as_admin(|actor, ctx| async move { ctx.desk.delete_email_channel(&actor, id).await }).await
}

// ───────────────────────────── signatures ─────────────────────────────

/// Every signature, with the groups using it.
#[server(output = JsonText)]
pub async fn admin_signatures() -> Result<Vec<SignatureForm>, ServerFnError> {
    use self::server::{as_admin, group_uses, signature_form};
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let list = domain::mail::signatures::list(&mut conn, &actor).await?;
        let (_, mut uses) = group_uses(&mut conn, &actor).await?;
        Ok(list
            .into_iter()
            .map(|s| signature_form(s, &mut uses))
            .collect())
    })
    .await
}

/// One signature for its form (`id` 0: an empty form).
#[server(output = JsonText)]
pub async fn admin_signature(id: i64) -> Result<SignatureEdit, ServerFnError> {
    use self::server::{as_admin, group_uses, signature_form};
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        // the list's permission rule (readers of signatures)
        domain::mail::signatures::list(&mut conn, &actor).await?;
        let placeholders = domain::mail::signatures::PLACEHOLDERS
            .iter()
            .map(|p| p.to_string())
            .collect();
        if id == 0 {
            return Ok(SignatureEdit {
                signature: SignatureForm {
                    active: true,
                    ..Default::default()
                },
                placeholders,
            });
        }
        let s = domain::mail::signatures::find(&mut conn, id).await?;
        let (_, mut uses) = group_uses(&mut conn, &actor).await?;
        Ok(SignatureEdit {
            signature: signature_form(s, &mut uses),
            placeholders,
        })
    })
    .await
}

/// Creates (`id` 0) or updates a signature ([`domain::desk::Desk::save_signature`], the body
/// checked and sanitised as for the REST API); returns its id.
#[server(input = Json)]
pub async fn save_admin_signature(signature: SignatureForm) -> Result<i64, ServerFnError> {
    use self::server::{as_admin, target};
    use domain::mail::signatures::SignatureParams;
    as_admin(|actor, ctx| async move {
        let params = SignatureParams {
            name: Some(signature.name),
            body: Some(signature.body),
            active: Some(signature.active),
            note: Some(signature.note),
        }
        .prepared()?;
        let saved = ctx
            .desk
            .save_signature(&actor, target(signature.id), &params)
            .await?;
        Ok(saved.id)
    })
    .await
}

/// Removes a signature ([`domain::desk::Desk::delete_signature`]).
#[server]
pub async fn delete_admin_signature(id: i64) -> Result<(), ServerFnError> {
    use self::server::as_admin;
    as_admin(|actor, ctx| async move { ctx.desk.delete_signature(&actor, id).await }).await
}

// ───────────────────────────── failed mail ─────────────────────────────

/// Failed mail, newest first (at most 500).
#[server(output = JsonText)]
pub async fn admin_failed_mails() -> Result<Vec<FailedMailRow>, ServerFnError> {
    use self::server::{as_admin, failed_row, group_names};
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let list = domain::mail::failed::list(&mut conn, &actor).await?;
        let groups = group_names(&mut conn, &actor).await?;
        Ok(list.into_iter().map(|f| failed_row(f, &groups)).collect())
    })
    .await
}

/// One failed message with its text as received.
#[server(output = JsonText)]
pub async fn admin_failed_mail(id: i64) -> Result<FailedMailView, ServerFnError> {
    use self::server::{as_admin, failed_row, group_names};
    as_admin(|actor, ctx| async move {
        let (record, bytes) = ctx.desk.failed_mail_raw(&actor, id).await?;
        let mut conn = ctx.store.read().await?;
        let groups = group_names(&mut conn, &actor).await?;
        let cut = bytes.len() > RAW_SHOWN;
        let raw = String::from_utf8_lossy(&bytes[..bytes.len().min(RAW_SHOWN)]).into_owned();
        Ok(FailedMailView {
            mail: failed_row(record, &groups),
            raw,
            cut,
        })
    })
    .await
}

/// Receives a failed message again ([`domain::desk::Desk::reprocess_failed_mail`]).
#[server]
pub async fn reprocess_admin_failed_mail(id: i64) -> Result<Reprocessed, ServerFnError> {
    use self::server::as_admin;
    use domain::desk::mail::Received;
    let received =
        as_admin(|actor, ctx| async move { ctx.desk.reprocess_failed_mail(&actor, id).await })
            .await?;
    Ok(match received {
        Received::Article {
            ticket_id,
            new_ticket,
            ..
        } => Reprocessed {
            message: if new_ticket {
                format!("Received: it opened ticket {ticket_id}.")
            } else {
                format!("Received: it was added to ticket {ticket_id}.")
            },
            ticket_id: Some(ticket_id),
        },
        Received::Bounce { .. } => Reprocessed {
            message: "Received: a bounce, noted on the article it answers.".into(),
            ticket_id: None,
        },
        Received::Duplicate { .. } => Reprocessed {
            message: "Received before: nothing new.".into(),
            ticket_id: None,
        },
        Received::Failed { reason, .. } => Reprocessed {
            message: format!("Failed again and kept as failed mail: {reason}"),
            ticket_id: None,
        },
    })
}

/// Forgets a failed message ([`domain::desk::Desk::delete_failed_mail`]).
#[server]
pub async fn delete_admin_failed_mail(id: i64) -> Result<(), ServerFnError> {
    use self::server::as_admin;
    as_admin(|actor, ctx| async move { ctx.desk.delete_failed_mail(&actor, id).await }).await
}
