//! E-mail use cases: queueing outgoing e-mail articles with the write that creates them,
//! delivering the queue through the SMTP relay (a background worker), and receiving an
//! inbound message (an MTA pipe, `tandem mail deliver`, or a mailbox poller) into a new
//! ticket, a follow-up, or a bounce noted on the article it answers.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::AnyConnection;
use tokio::sync::Notify;

use crate::accounts::{groups, users};
use crate::mail::compose::{self, OutgoingFile, OutgoingMail};
use crate::mail::inbound::{self, InboundMail};
use crate::mail::transport::Mailer;
use crate::mail::{addresses, failed, outbox, raw, threading};
use crate::policy::access::load_actor;
use crate::storage::{clock, settings};
use crate::tickets::articles::{self, NewArticle};
use crate::tickets::{self, attachments};
use crate::{Error, Result};

use super::Desk;

/// Inbound messages one sender may send in [`SENDER_WINDOW`] before further ones are kept as
/// failed mail (a mail loop with another system, or a flood), counted in the database.
pub use crate::mail::rate::{BURST as SENDER_BURST, WINDOW as SENDER_WINDOW};

/// The e-mail side of a [`Desk`]: the relay (none: sending is off) and the worker's wake-up.
#[derive(Clone)]
pub struct MailService {
    pub mailer: Option<Mailer>,
    wake: Arc<Notify>,
}

impl Default for MailService {
    fn default() -> Self {
        MailService::new(None)
    }
}

impl MailService {
    pub fn new(mailer: Option<Mailer>) -> MailService {
        MailService {
            mailer,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Is outgoing e-mail on (`TANDEM_SMTP_URL` set)?
    pub fn sending_enabled(&self) -> bool {
        self.mailer.is_some()
    }
}

/// What became of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A new ticket, or an article on an existing one.
    Article {
        ticket_id: i64,
        article_id: i64,
        new_ticket: bool,
    },
    /// A delivery status notification, noted on the article it answers.
    Bounce { article_id: i64 },
    /// Kept as failed mail for an admin (unreadable, too large, a loop, over the rate).
    Failed { failed_mail_id: i64, reason: String },
    /// Received before (the same `Message-ID` from a customer is stored): nothing new. Happens
    /// when a mailbox is read again after a crash between storing and marking it seen.
    Duplicate { article_id: i64 },
}

/// Which group an inbound message's new ticket goes to.
#[derive(Debug, Clone, Copy)]
pub enum InboundGroup<'a> {
    /// By name (`tandem mail deliver --group`, `?group=`); an unknown name is a 422.
    Named(&'a str),
    /// A mailbox channel's group.
    Id(i64),
    /// The group whose sender address the message was sent to, else the first active group.
    ByRecipient,
}

/// The text shown when sending is off.
pub const SENDING_OFF: &str = "E-mail sending is off: TANDEM_SMTP_URL is not set.";

/// The largest article id of a ticket (0 for none): pass it to [`queue_outgoing`] after the
/// write that may add e-mail articles.
pub async fn last_article_id(conn: &mut AnyConnection, ticket_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(id) FROM ticket_articles WHERE ticket_id = $1",
    )
    .bind(ticket_id)
    .fetch_one(conn)
    .await?
    .unwrap_or(0))
}

/// Queues the outgoing e-mail articles of `ticket_id` newer than `since` (agents' public
/// articles of type `email`), in the caller's transaction: each gets its `Message-ID` now, so a
/// resend carries the same one. With sending off, the article says so instead. Returns
/// whether anything was queued.
pub async fn queue_outgoing(
    conn: &mut AnyConnection,
    mail: &MailService,
    ticket_id: i64,
    since: i64,
) -> Result<bool> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM ticket_articles WHERE ticket_id = $1 AND id > $2 AND type_id = $3 \
         AND sender_id = $4 AND internal = 0 ORDER BY id",
    )
    .bind(ticket_id)
    .bind(since)
    .bind(articles::TYPE_EMAIL)
    .bind(articles::SENDER_AGENT)
    .fetch_all(&mut *conn)
    .await?;
    queue_articles(conn, mail, &ids).await
}

/// Whether `article` goes out by e-mail: an agent's public article of type `email` (what
/// [`queue_outgoing`] looks for).
pub fn is_outgoing(article: &articles::ArticleRecord) -> bool {
    article.type_id == articles::TYPE_EMAIL
        && article.sender_id == articles::SENDER_AGENT
        && article.internal == 0
}

/// [`queue_outgoing`] for articles already known to go out (`ids`, see [`is_outgoing`]).
pub async fn queue_articles(
    conn: &mut AnyConnection,
    mail: &MailService,
    ids: &[i64],
) -> Result<bool> {
    if ids.is_empty() {
        return Ok(false);
    }
    let fqdn = articles::fqdn(conn).await?;
    for id in ids {
        articles::ensure_message_id(conn, *id, || compose::new_message_id(*id, &fqdn)).await?;
        add_signature(conn, *id, &fqdn).await?;
        if mail.sending_enabled() {
            outbox::enqueue(conn, *id).await?;
        } else {
            articles::set_preferences(
                conn,
                *id,
                &[
                    ("delivery_status", json!("fail")),
                    ("delivery_status_message", json!(SENDING_OFF)),
                    ("delivery_status_date", json!(clock::now())),
                ],
                false,
            )
            .await?;
        }
    }
    Ok(mail.sending_enabled())
}

/// Ends an outgoing article with its group's signature (placeholders filled), unless the body
/// ends with it already (a client that inserted it, as Zammad's web client does).
async fn add_signature(conn: &mut AnyConnection, article_id: i64, fqdn: &str) -> Result<()> {
    let article = articles::find(conn, article_id).await?;
    let ticket = tickets::find(conn, article.ticket_id).await?;
    let Some(signature) = crate::mail::signatures::of_group(conn, ticket.group_id).await? else {
        return Ok(());
    };
    let agent = users::find(conn, article.created_by_id).await?;
    let customer = users::find(conn, ticket.customer_id).await?;
    let group = groups::find(conn, ticket.group_id).await?;
    let values = [
        ("user.firstname", agent.firstname.clone()),
        ("user.lastname", agent.lastname.clone()),
        ("user.email", agent.email.clone()),
        ("ticket.number", ticket.number.clone()),
        ("ticket.title", ticket.title.clone()),
        ("ticket.group.name", group.name.clone()),
        ("ticket.customer.firstname", customer.firstname.clone()),
        ("ticket.customer.lastname", customer.lastname.clone()),
        ("config.fqdn", fqdn.to_string()),
    ];
    debug_assert!(
        values
            .iter()
            .map(|(k, _)| *k)
            .eq(crate::mail::signatures::PLACEHOLDERS)
    );
    let signature = crate::mail::signatures::rendered(&signature, &values, &article.content_type);
    if article.body.trim_end().ends_with(signature.trim_end()) {
        return Ok(());
    }
    sqlx::query("UPDATE ticket_articles SET body = $1 WHERE id = $2")
        .bind(format!("{}{signature}", article.body))
        .bind(article_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a delivery attempt needs, read before sending.
struct Delivery {
    ticket_id: i64,
    mail: OutgoingMail,
}

impl Desk {
    /// Wakes the delivery worker (after a commit that queued mail).
    pub fn wake_mail_delivery(&self) {
        self.mail.wake.notify_one();
    }

    /// Starts the delivery worker on the current runtime (no-op when sending is off): it
    /// delivers what is due, then sleeps until the next row falls due, a write queues mail,
    /// or 30 s pass (rows queued by other instances).
    pub fn spawn_mail_delivery(&self) -> Option<tokio::task::JoinHandle<()>> {
        self.mail.mailer.as_ref()?;
        let desk = self.clone();
        Some(tokio::spawn(async move {
            loop {
                if let Err(e) = desk.deliver_due().await {
                    tracing::warn!(error = %e, "mail delivery round failed");
                }
                let wait = match desk.store.read().await {
                    Ok(mut conn) => outbox::next_due(&mut conn)
                        .await
                        .ok()
                        .flatten()
                        .and_then(|at| clock::parse(&at))
                        .map(|at| (at - chrono::Utc::now()).num_milliseconds().max(50) as u64)
                        .unwrap_or(30_000)
                        .min(30_000),
                    Err(_) => 5_000,
                };
                tokio::select! {
                    _ = desk.mail.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                }
            }
        }))
    }

    /// Delivers every due message of the queue, one at a time. Returns how many were tried.
    pub async fn deliver_due(&self) -> Result<usize> {
        let Some(mailer) = self.mail.mailer.clone() else {
            return Ok(0);
        };
        let mut tried = 0;
        loop {
            let claim = {
                let mut tx = self.store.write().await?;
                let claim = outbox::claim_due(&mut tx, outbox::Queue::Articles).await?;
                tx.commit().await?;
                claim
            };
            let Some(claim) = claim else {
                break;
            };
            tried += 1;
            self.deliver(&mailer, claim).await?;
        }
        loop {
            let claim = {
                let mut tx = self.store.write().await?;
                let claim = outbox::claim_due(&mut tx, outbox::Queue::System).await?;
                tx.commit().await?;
                claim
            };
            let Some(claim) = claim else {
                return Ok(tried);
            };
            tried += 1;
            self.deliver_system(&mailer, claim).await?;
        }
    }

    /// Sends one automatic message (built when queued); retried like articles, then dropped
    /// with a warning in the log.
    async fn deliver_system(&self, mailer: &Mailer, claim: outbox::Claim) -> Result<()> {
        let queue = outbox::Queue::System;
        let row = {
            let mut conn = self.store.read().await?;
            outbox::system_message(&mut conn, claim.article_id).await?
        };
        let Some((message, from, recipients)) = row else {
            return Ok(());
        };
        let to: Vec<&str> = recipients.split(',').filter(|r| !r.is_empty()).collect();
        let outcome = mailer.send_raw(&from, &to, message.as_bytes()).await;
        let mut tx = self.store.write().await?;
        match outcome {
            Ok(()) => outbox::remove(&mut tx, queue, claim.article_id).await?,
            Err(e) if e.permanent || claim.attempts + 1 >= outbox::MAX_ATTEMPTS => {
                tracing::warn!(to = %recipients, error = %e.message, "automatic e-mail given up");
                outbox::remove(&mut tx, queue, claim.article_id).await?;
            }
            Err(e) => {
                outbox::retry_later(
                    &mut tx,
                    queue,
                    claim.article_id,
                    claim.attempts + 1,
                    &e.message,
                )
                .await?;
            }
        }
        tx.commit().await
    }

    async fn deliver(&self, mailer: &Mailer, claim: outbox::Claim) -> Result<()> {
        let prepared = {
            let mut conn = self.store.read().await?;
            self.delivery_of(&mut conn, claim.article_id).await
        };
        let delivery = match prepared {
            Ok(Some(d)) => d,
            Ok(None) => {
                // the article is gone (deleted with its ticket): nothing to send
                let mut tx = self.store.write().await?;
                outbox::remove(&mut tx, outbox::Queue::Articles, claim.article_id).await?;
                return tx.commit().await;
            }
            Err(e) => {
                return self
                    .delivery_failed(claim, None, &e.to_string(), true)
                    .await;
            }
        };
        let message = match compose::build(&delivery.mail) {
            Ok(m) => m,
            Err(e) => {
                return self
                    .delivery_failed(claim, Some(delivery.ticket_id), &e.to_string(), true)
                    .await;
            }
        };
        let formatted = message.formatted();
        match mailer.send(message).await {
            Ok(()) => {
                // the message as sent, for ticket_article_plain; without it the send still counts
                let sha = match self.files.put(&formatted).await {
                    Ok(sha) => Some(sha),
                    Err(e) => {
                        tracing::warn!(article_id = claim.article_id, error = %e, "sent message not kept");
                        None
                    }
                };
                let mut tx = self.store.write().await?;
                outbox::remove(&mut tx, outbox::Queue::Articles, claim.article_id).await?;
                articles::set_preferences(
                    &mut tx,
                    claim.article_id,
                    &[
                        ("delivery_status", json!("success")),
                        ("delivery_status_message", Value::Null),
                        ("delivery_status_date", json!(clock::now())),
                        ("delivery_retry", json!(claim.attempts + 1)),
                        ("delivery_will_retry", Value::Null),
                    ],
                    true,
                )
                .await?;
                if let Some(sha) = sha {
                    raw::record(&mut tx, claim.article_id, &sha, formatted.len()).await?;
                }
                let from = format!(
                    "{} <{}>",
                    delivery.mail.from_name.replace(['"', '<', '>'], ""),
                    delivery.mail.from_address
                );
                articles::set_from(&mut tx, claim.article_id, &from).await?;
                tx.commit().await?;
                self.announce(delivery.ticket_id, false).await;
                Ok(())
            }
            Err(e) => {
                tracing::warn!(article_id = claim.article_id, error = %e.message, "e-mail not accepted");
                self.delivery_failed(claim, Some(delivery.ticket_id), &e.message, e.permanent)
                    .await
            }
        }
    }

    /// Records a failed attempt: tried again later, or (permanent, or out of attempts) given
    /// up with a note on the ticket (as Zammad's "Unable to send email").
    async fn delivery_failed(
        &self,
        claim: outbox::Claim,
        ticket_id: Option<i64>,
        message: &str,
        permanent: bool,
    ) -> Result<()> {
        let failed_attempts = claim.attempts + 1;
        let give_up = permanent || failed_attempts >= outbox::MAX_ATTEMPTS;
        let message: String = message.chars().take(1_000).collect();
        let mut tx = self.store.write().await?;
        if give_up {
            outbox::remove(&mut tx, outbox::Queue::Articles, claim.article_id).await?;
        } else {
            outbox::retry_later(
                &mut tx,
                outbox::Queue::Articles,
                claim.article_id,
                failed_attempts,
                &message,
            )
            .await?;
        }
        let exists = articles::set_preferences(
            &mut tx,
            claim.article_id,
            &[
                ("delivery_status", json!("fail")),
                ("delivery_status_message", json!(message)),
                ("delivery_status_date", json!(clock::now())),
                ("delivery_retry", json!(failed_attempts)),
                ("delivery_will_retry", json!(!give_up)),
            ],
            true,
        )
        .await;
        let ticket_id = match ticket_id {
            Some(id) => Some(id),
            None => {
                sqlx::query_scalar("SELECT ticket_id FROM ticket_articles WHERE id = $1")
                    .bind(claim.article_id)
                    .fetch_optional(&mut *tx)
                    .await?
            }
        };
        if let (true, Some(ticket_id), Ok(())) = (give_up, ticket_id, &exists) {
            let to: Option<String> =
                sqlx::query_scalar("SELECT to_address FROM ticket_articles WHERE id = $1")
                    .bind(claim.article_id)
                    .fetch_one(&mut *tx)
                    .await?;
            articles::create_system_note(
                &mut tx,
                &crate::policy::access::Actor::system(),
                ticket_id,
                &format!(
                    "Unable to send email to '{}': {message}",
                    to.unwrap_or_default()
                ),
            )
            .await?;
        }
        tx.commit().await?;
        if let Some(ticket_id) = ticket_id {
            self.announce(ticket_id, false).await;
        }
        Ok(())
    }

    /// The message for an article (`None`: the article is gone).
    async fn delivery_of(
        &self,
        conn: &mut AnyConnection,
        article_id: i64,
    ) -> Result<Option<Delivery>> {
        let Ok(article) = articles::find(conn, article_id).await else {
            return Ok(None);
        };
        let ticket = tickets::find(conn, article.ticket_id).await?;
        let group = groups::find(conn, ticket.group_id).await?;
        let sender = addresses::of_group(conn, ticket.group_id)
            .await?
            .ok_or_else(|| {
                Error::unprocessable(format!(
                    "Group '{}' has no e-mail address to send from.",
                    group.name
                ))
            })?;
        let automatic = article.sender_id == articles::SENDER_SYSTEM;
        let agent = if automatic {
            None
        } else {
            users::find(conn, article.created_by_id).await.ok()
        };
        let to = match article.to_address.clone().filter(|t| !t.trim().is_empty()) {
            Some(to) => to,
            None => {
                let customer = users::find(conn, ticket.customer_id).await?;
                if customer.email.is_empty() {
                    return Err(Error::unprocessable(
                        "The article has no recipient and the customer no e-mail address.",
                    ));
                }
                customer.email
            }
        };
        let rules = threading::subject_rules(conn).await?;
        let subject = article
            .subject
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| ticket.title.clone());
        // a reply when it answers an earlier message of the ticket ("RE: …")
        let (in_reply_to, references) =
            threading::reply_headers(conn, ticket.id, article_id).await?;
        let fqdn = articles::fqdn(conn).await?;
        let message_id = article
            .message_id
            .clone()
            .unwrap_or_else(|| compose::new_message_id(article_id, &fqdn));
        let mut files = Vec::new();
        for file in attachments::for_article(conn, article_id).await? {
            files.push(OutgoingFile {
                bytes: self.files.get(&file.sha256).await?,
                filename: file.filename,
                mime_type: file.mime_type,
                content_id: file.content_id,
            });
        }
        Ok(Some(Delivery {
            ticket_id: ticket.id,
            mail: OutgoingMail {
                from_name: compose::sender_name(
                    agent.as_ref().map(|a| a.fullname()).as_deref(),
                    &sender.name,
                ),
                from_address: sender.email,
                to,
                cc: article.cc.clone(),
                subject: rules.build(&subject, &ticket.number, in_reply_to.is_some()),
                message_id,
                in_reply_to,
                references,
                html: article.content_type == "text/html",
                body: article.body.clone(),
                files,
                automatic,
                loop_marker: fqdn,
            },
        }))
    }

    /// Receives one RFC 5322 message for `group` (a group name; `None`: the group whose sender
    /// address the message was sent to, else the first active group). Never loses a message:
    /// what cannot become an article is kept as failed mail. Errors only when storing fails.
    pub async fn receive_mail(&self, raw_message: &[u8], group: Option<&str>) -> Result<Received> {
        let group = group.map_or(InboundGroup::ByRecipient, InboundGroup::Named);
        self.receive_mail_in(raw_message, group).await
    }

    /// [`Desk::receive_mail`] with the group chosen as `group` says.
    pub async fn receive_mail_in(
        &self,
        raw_message: &[u8],
        group: InboundGroup<'_>,
    ) -> Result<Received> {
        let sha = FileStoreKey::store(self, raw_message).await?;
        let outcome = self.receive_stored(raw_message, &sha, group).await;
        drop(sha.pin);
        outcome
    }

    async fn receive_stored(
        &self,
        raw_message: &[u8],
        key: &FileStoreKey,
        group: InboundGroup<'_>,
    ) -> Result<Received> {
        let mail = match inbound::read(raw_message) {
            Ok(mail) => mail,
            Err(why) => {
                let subject = inbound::subject_hint(raw_message);
                return self
                    .keep_failed(key, raw_message.len(), why.to_string(), None, subject, None)
                    .await;
            }
        };
        let (group_id, own_addresses, fqdn) = {
            let mut conn = self.store.read().await?;
            let own = addresses::all_emails(&mut conn).await?;
            let group_id = self.inbound_group(&mut conn, group, &mail, &own).await?;
            (group_id, own, articles::fqdn(&mut conn).await?)
        };
        let failed = |reason: String| {
            self.keep_failed(
                key,
                raw_message.len(),
                reason,
                Some(mail.from_address.clone()),
                Some(mail.subject.clone()),
                group_id,
            )
        };
        if own_addresses
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&mail.from_address))
            || mail.loop_marker.as_deref() == Some(fqdn.as_str())
        {
            return failed("loop: the message comes from this helpdesk's own address".into()).await;
        }
        if !self.sender_within_rate(&mail.from_address).await? {
            return failed(format!(
                "rate limit: more than {SENDER_BURST} messages from {} in {} minutes",
                mail.from_address,
                SENDER_WINDOW.as_secs() / 60
            ))
            .await;
        }
        if let Some(article_id) = self.already_received(&mail).await? {
            return Ok(Received::Duplicate { article_id });
        }
        if let Some(bounce) = &mail.bounce {
            return match self.note_bounce(bounce).await? {
                Some(article_id) => Ok(Received::Bounce { article_id }),
                None => failed("bounce for a message this helpdesk did not send".into()).await,
            };
        }
        let Some(group_id) = group_id else {
            return failed("no active group to put the ticket in".into()).await;
        };
        let mut prepared = prepare_inbound_body(&fqdn, &mail)?;
        prepared.store_files(&self.files).await?;
        let hashes = prepared.hashes();
        let pin = prepared.take_pin();
        let outcome = self
            .store_inbound(&mail, prepared, key, raw_message.len(), group_id)
            .await;
        drop(pin);
        match outcome {
            Ok(received) => Ok(received),
            Err(e) => {
                let removed = match self.store.read().await {
                    Ok(mut conn) => {
                        attachments::remove_unreferenced(&mut conn, &self.files, &hashes).await
                    }
                    Err(e) => Err(e),
                };
                if let Err(e) = removed {
                    tracing::warn!(error = %e, "bytes of an unstored inbound message stay in the file store");
                }
                failed(format!("not stored: {e}")).await
            }
        }
    }

    /// Counts this message against its sender's rate in the database (every instance on it
    /// counts the same messages): false beyond [`SENDER_BURST`] in [`SENDER_WINDOW`].
    async fn sender_within_rate(&self, sender: &str) -> Result<bool> {
        let mut tx = self.store.write().await?;
        let received =
            crate::mail::rate::count_received(&mut tx, self.store.backend(), sender, &clock::now())
                .await?;
        tx.commit().await?;
        Ok(received <= i64::from(SENDER_BURST))
    }

    /// The customer article already stored for this message's `Message-ID`, if any.
    async fn already_received(&self, mail: &InboundMail) -> Result<Option<i64>> {
        let Some(message_id) = &mail.message_id else {
            return Ok(None);
        };
        let mut conn = self.store.read().await?;
        Ok(sqlx::query_scalar(
            "SELECT id FROM ticket_articles WHERE message_id = $1 AND sender_id = $2 ORDER BY id LIMIT 1",
        )
        .bind(message_id)
        .bind(articles::SENDER_CUSTOMER)
        .fetch_optional(&mut *conn)
        .await?)
    }

    async fn inbound_group(
        &self,
        conn: &mut AnyConnection,
        choice: InboundGroup<'_>,
        mail: &InboundMail,
        own: &[String],
    ) -> Result<Option<i64>> {
        if let InboundGroup::Id(id) = choice {
            return Ok(Some(id));
        }
        if let InboundGroup::Named(name) = choice {
            let id: Option<i64> =
                sqlx::query_scalar("SELECT id FROM groups WHERE lower(name) = lower($1)")
                    .bind(name)
                    .fetch_optional(&mut *conn)
                    .await?;
            return id
                .map(Some)
                .ok_or_else(|| Error::unprocessable(format!("No group named '{name}'.")));
        }
        let recipients = format!(
            "{} {}",
            mail.to.as_deref().unwrap_or_default(),
            mail.cc.as_deref().unwrap_or_default()
        )
        .to_lowercase();
        for address in own {
            if recipients.contains(address.as_str()) {
                let id: Option<i64> = sqlx::query_scalar(
                    "SELECT g.id FROM groups g JOIN email_addresses e ON e.id = g.email_address_id \
                     WHERE lower(e.email) = $1 AND g.active = 1 ORDER BY g.id LIMIT 1",
                )
                .bind(address)
                .fetch_optional(&mut *conn)
                .await?;
                if id.is_some() {
                    return Ok(id);
                }
            }
        }
        Ok(
            sqlx::query_scalar("SELECT id FROM groups WHERE active = 1 ORDER BY id LIMIT 1")
                .fetch_optional(conn)
                .await?,
        )
    }

    async fn keep_failed(
        &self,
        key: &FileStoreKey,
        size: usize,
        reason: String,
        sender: Option<String>,
        subject: Option<String>,
        group_id: Option<i64>,
    ) -> Result<Received> {
        tracing::warn!(%reason, "inbound e-mail kept as failed mail");
        let mut tx = self.store.write().await?;
        let id = failed::record(
            &mut tx,
            failed::NewFailedMail {
                reason: reason.clone(),
                sender,
                subject,
                group_id,
                sha256: key.sha256.clone(),
                size,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Received::Failed {
            failed_mail_id: id,
            reason,
        })
    }

    /// Notes a bounce on the article whose message failed; `None` if no such article.
    async fn note_bounce(&self, bounce: &inbound::Bounce) -> Result<Option<i64>> {
        let Some(original) = &bounce.original_message_id else {
            return Ok(None);
        };
        let mut tx = self.store.write().await?;
        let Some((article_id, ticket_id)) =
            threading::article_with_message_id(&mut tx, original).await?
        else {
            return Ok(None);
        };
        let status = if bounce.is_permanent() {
            "fail"
        } else {
            "delayed"
        };
        articles::set_preferences(
            &mut tx,
            article_id,
            &[
                ("delivery_status", json!(status)),
                ("delivery_status_message", json!(bounce.summary())),
                ("delivery_status_date", json!(clock::now())),
                ("delivery_will_retry", Value::Null),
            ],
            true,
        )
        .await?;
        tx.commit().await?;
        self.announce(ticket_id, false).await;
        Ok(Some(article_id))
    }

    async fn store_inbound(
        &self,
        mail: &InboundMail,
        prepared: articles::PreparedBody,
        key: &FileStoreKey,
        size: usize,
        group_id: i64,
    ) -> Result<Received> {
        let mut tx = self.store.write().await?;
        let customer_id = users::find_or_create_by_email(
            &mut tx,
            None,
            &mail.from_address,
            mail.from_name.as_deref(),
        )
        .await?;
        let customer = load_actor(&mut tx, customer_id, None).await?;
        let rules = threading::subject_rules(&mut tx).await?;
        let existing = threading::ticket_of(
            &mut tx,
            &rules,
            &mail.subject,
            &mail.in_reply_to,
            &mail.references,
        )
        .await?;
        let follow_up_on = match existing {
            Some(id) => {
                articles::lock_ticket(&mut tx, id).await?;
                let ticket = tickets::find(&mut tx, id).await?;
                let closed = crate::tickets::states::find(&mut tx, ticket.state_id)
                    .await?
                    .is_closed();
                let allowed =
                    !closed || tickets::follow_up(&mut tx, &ticket).await?.allows_reopen();
                allowed.then_some(ticket)
            }
            None => None,
        };
        let new_ticket = follow_up_on.is_none();
        let ticket = match follow_up_on {
            Some(ticket) => ticket,
            None => {
                let title = rules.clean(&mail.subject, "");
                let title = if title.trim().is_empty() {
                    "-".to_string()
                } else {
                    title
                };
                let id = tickets::insert(
                    &mut tx,
                    &customer,
                    tickets::NewTicket {
                        title: title.chars().take(250).collect(),
                        group_id,
                        owner_id: users::SYSTEM_USER_ID,
                        customer_id,
                        preferences: json!({"channel": "email"}),
                        ..Default::default()
                    },
                )
                .await?;
                tickets::find(&mut tx, id).await?
            }
        };
        let prepared = prepared.for_ticket(ticket.id);
        let mut preferences = serde_json::Map::new();
        if let Some(reason) = &mail.automatic {
            preferences.insert("is-auto-response".into(), json!(true));
            preferences.insert("auto_response_reason".into(), json!(reason));
        }
        let (article, after) = articles::insert(
            &mut tx,
            &self.files,
            &customer,
            &ticket,
            NewArticle {
                type_id: articles::TYPE_EMAIL,
                sender_id: articles::SENDER_CUSTOMER,
                internal: false,
                from: Some(mail.from.clone()),
                to: mail.to.clone(),
                cc: mail.cc.clone(),
                subject: Some(mail.subject.clone()),
                reply_to: mail.reply_to.clone(),
                message_id: mail.message_id.clone(),
                in_reply_to: mail.in_reply_to.first().cloned(),
                content_type: prepared.content_type.clone(),
                body: prepared.body.clone(),
                body_text: Some(prepared.body_text.clone()),
                preferences,
                files: prepared.files.clone(),
                prepared: true,
                ..Default::default()
            },
            new_ticket,
        )
        .await?;
        raw::record(&mut tx, article.id, &key.sha256, size).await?;
        // an agent's e-mail may mention colleagues as a web reply does (a customer's cannot)
        let mentioned = self.tell_mentions(&mut tx, &customer, &article).await?;
        let after = if new_ticket {
            after
        } else {
            tickets::reopen_for_follow_up(&mut tx, &customer, ticket.id).await?;
            tickets::find(&mut tx, ticket.id).await?
        };
        let queued = if new_ticket && mail.automatic.is_none() {
            self.tell_new_ticket(&mut tx, &customer, &after, mail.message_id.as_deref())
                .await?
        } else if new_ticket {
            // an auto-reply opening a ticket: agents hear of it, nobody answers it
            super::notify::notify(
                &mut tx,
                &self.mail,
                &customer,
                &after,
                super::notify::Happening::NewTicket,
                None,
            )
            .await?
        } else {
            self.tell_changes(&mut tx, &customer, None, &after, article.id - 1)
                .await?
        };
        tx.commit().await?;
        if queued || mentioned {
            self.wake_mail_delivery();
        }
        self.changed(&after, (!new_ticket).then_some(&ticket), true);
        Ok(Received::Article {
            ticket_id: ticket.id,
            article_id: article.id,
            new_ticket,
        })
    }
}

/// The mailbox pollers: one task per active channel, each holding the channel's lease so
/// that of several instances on one database only one reads a mailbox.
impl Desk {
    /// Starts the supervisor: every 10 s it reads the active channels, starts a poller for a
    /// new or changed one and stops the poller of a removed, deactivated or changed one.
    /// `interval`: the wait between polls without IDLE, and the longest IDLE.
    pub fn spawn_mailbox_pollers(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let desk = self.clone();
        let holder = crate::accounts::auth::random_token();
        tokio::spawn(async move {
            let mut running: std::collections::HashMap<i64, (String, tokio::task::JoinHandle<()>)> =
                std::collections::HashMap::new();
            loop {
                let channels = match desk.store.read().await {
                    Ok(mut conn) => crate::mail::channels::active(&mut conn).await,
                    Err(e) => Err(e),
                };
                let channels = channels
                    .inspect_err(|e| tracing::warn!(error = %e, "mailbox channels not read"))
                    .ok();
                if let Some(channels) = channels {
                    running.retain(|id, (version, task)| {
                        let current = channels.iter().find(|c| c.id == *id);
                        let keep = current.is_some_and(|c| &c.updated_at == version)
                            && !task.is_finished();
                        if !keep {
                            task.abort();
                        }
                        keep
                    });
                    for channel in channels {
                        if running.contains_key(&channel.id) {
                            continue;
                        }
                        let version = channel.updated_at.clone();
                        let id = channel.id;
                        let task = tokio::spawn(desk.clone().poll_mailbox(
                            channel,
                            holder.clone(),
                            interval,
                        ));
                        running.insert(id, (version, task));
                    }
                }
                tokio::time::sleep(interval.min(Duration::from_secs(10))).await;
            }
        })
    }

    /// Reads one mailbox for as long as it runs: take the lease, log in, store the unseen
    /// messages, wait (IDLE or the interval), again. Errors are noted on the channel
    /// (`status_in`, `last_log_in`) and retried after the interval.
    async fn poll_mailbox(
        self,
        channel: crate::mail::channels::EmailChannelRecord,
        holder: String,
        interval: Duration,
    ) {
        use crate::mail::channels;
        use crate::mail::imap::Mailbox;
        let lease =
            chrono::Duration::from_std(interval * 3 + crate::mail::imap::COMMAND_TIMEOUT * 2)
                .unwrap_or(chrono::Duration::minutes(10));
        let take_lease = |desk: &Desk| {
            let desk = desk.clone();
            let holder = holder.clone();
            async move {
                let now = chrono::Utc::now();
                let mut tx = desk.store.write().await?;
                let got = channels::take_lease(
                    &mut tx,
                    channel.id,
                    &holder,
                    &clock::format(now + lease),
                    &clock::format(now),
                )
                .await?;
                tx.commit().await?;
                Ok::<bool, Error>(got)
            }
        };
        let note = |desk: &Desk, error: Option<String>| {
            let desk = desk.clone();
            async move {
                let recorded = async {
                    let mut tx = desk.store.write().await?;
                    channels::record_poll(&mut tx, channel.id, error.as_deref()).await?;
                    tx.commit().await
                }
                .await;
                if let Err(e) = recorded {
                    tracing::warn!(channel = channel.id, error = %e, "mailbox status not recorded");
                }
            }
        };
        loop {
            if !take_lease(&self).await.unwrap_or(false) {
                tokio::time::sleep(interval).await;
                continue;
            }
            let mut mailbox = match Mailbox::open(&channel).await {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(channel = channel.id, error = %e, "mailbox not reachable");
                    note(&self, Some(e)).await;
                    tokio::time::sleep(interval).await;
                    continue;
                }
            };
            loop {
                if let Err(e) = self.fetch_mailbox(&mut mailbox, &channel).await {
                    tracing::warn!(channel = channel.id, error = %e, "mailbox poll failed");
                    note(&self, Some(e)).await;
                    break;
                }
                note(&self, None).await;
                if !take_lease(&self).await.unwrap_or(false) {
                    break;
                }
                mailbox = match mailbox.wait(interval).await {
                    Ok(m) => m,
                    Err(e) => {
                        note(&self, Some(e)).await;
                        break;
                    }
                };
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Stores every unseen message of the mailbox, marking each seen (or deleting it) only
    /// once it is stored. A message over the size limit is kept as failed mail with its
    /// header and left (seen) in the mailbox.
    async fn fetch_mailbox(
        &self,
        mailbox: &mut crate::mail::imap::Mailbox,
        channel: &crate::mail::channels::EmailChannelRecord,
    ) -> std::result::Result<usize, String> {
        let mut stored = 0;
        for uid in mailbox.unseen().await? {
            let size = mailbox.size(uid).await?.unwrap_or(0) as usize;
            if size > inbound::MAX_MESSAGE_BYTES {
                let header = mailbox.fetch(uid, true).await?.unwrap_or_default();
                let key = FileStoreKey::store(self, &header)
                    .await
                    .map_err(|e| e.to_string())?;
                self.keep_failed(
                    &key,
                    size,
                    format!(
                        "message too large ({size} bytes, at most {}): only its header is kept here, the message stays in the mailbox",
                        inbound::MAX_MESSAGE_BYTES
                    ),
                    None,
                    None,
                    Some(channel.group_id),
                )
                .await
                .map_err(|e| e.to_string())?;
                mailbox.finish(uid, true).await?;
                continue;
            }
            let Some(raw_message) = mailbox.fetch(uid, false).await? else {
                continue;
            };
            self.receive_mail_in(&raw_message, InboundGroup::Id(channel.group_id))
                .await
                .map_err(|e| format!("message not stored: {e}"))?;
            mailbox.finish(uid, channel.keep_on_server != 0).await?;
            stored += 1;
        }
        Ok(stored)
    }
}

/// The raw message's bytes in the file store, pinned while it is being received.
struct FileStoreKey {
    sha256: String,
    pin: crate::storage::files::Pinned,
}

impl FileStoreKey {
    async fn store(desk: &Desk, bytes: &[u8]) -> Result<FileStoreKey> {
        let sha256 = crate::storage::files::FileStore::sha256(bytes);
        let pin = desk.files.pin(vec![sha256.clone()]);
        desk.files.put_hashed(&sha256, bytes).await?;
        Ok(FileStoreKey { sha256, pin })
    }
}

/// The article body of an inbound message: its HTML sanitised like all HTML (inline data-URI
/// images lifted out), else — HTML beyond the article limits — its text part, else the text
/// cut to the limit. The message's own files come along (their bytes not yet stored).
fn prepare_inbound_body(fqdn: &str, mail: &InboundMail) -> Result<articles::PreparedBody> {
    let attempt = articles::prepare_body(fqdn, mail.content_type.clone(), mail.body.clone(), None);
    let mut prepared = match attempt {
        Ok(p) => p,
        Err(_) => {
            let text = mail
                .text_body
                .clone()
                .unwrap_or_else(|| crate::tickets::html_text::html_to_text(&mail.body, false));
            let text: String = text.chars().take(articles::MAX_BODY_CHARS).collect();
            articles::prepare_body(fqdn, "text/plain".into(), text, None)?
        }
    };
    let mut files = mail.files.clone();
    files.append(&mut prepared.files);
    prepared.files = files;
    Ok(prepared)
}

/// What e-mail is doing, for the REST `GET` of the channel.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MailStatus {
    /// Whether a relay is configured (`TANDEM_SMTP_URL`).
    pub sending: bool,
    /// The relay's URL without its password.
    pub smtp: Option<String>,
    /// Messages waiting in the outbox.
    pub queued: i64,
    pub failed_mails: i64,
    /// The subject's ticket hook (`Ticket#`).
    pub ticket_hook: String,
}

/// The settings the delivery and receiving code reads, and the queues' sizes.
pub async fn status(conn: &mut AnyConnection, mail: &MailService) -> Result<MailStatus> {
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox")
        .fetch_one(&mut *conn)
        .await?;
    let failed_mails: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM failed_mails")
        .fetch_one(&mut *conn)
        .await?;
    Ok(MailStatus {
        sending: mail.sending_enabled(),
        smtp: mail.mailer.as_ref().map(|m| m.shown_url.clone()),
        queued,
        failed_mails,
        ticket_hook: settings::get::<String>(conn, "ticket_hook")
            .await?
            .unwrap_or_else(|| "Ticket#".into()),
    })
}

/// The e-mail settings admins keep (`/email_addresses`, `/email_channels`, `/signatures`):
/// each change one transaction. `id` `None` creates, `Some` updates; the mailbox pollers read
/// their channels' settings on their next round.
impl Desk {
    /// `POST`/`PUT /email_addresses[/{id}]` (admins): the address as stored.
    pub async fn save_email_address(
        &self,
        actor: &crate::Actor,
        id: Option<i64>,
        params: &addresses::EmailAddressParams,
    ) -> Result<addresses::EmailAddressRecord> {
        self.store
            .in_write(async |tx| crate::mail::addresses::save(tx, actor, id, params).await)
            .await
    }

    /// `DELETE /email_addresses/{id}` (admins).
    pub async fn delete_email_address(&self, actor: &crate::Actor, id: i64) -> Result<()> {
        self.store
            .in_write(async |tx| crate::mail::addresses::delete(tx, actor, id).await)
            .await
    }

    /// `POST`/`PUT /email_channels[/{id}]` (admins): the mailbox as stored.
    pub async fn save_email_channel(
        &self,
        actor: &crate::Actor,
        id: Option<i64>,
        params: &crate::mail::channels::EmailChannelParams,
    ) -> Result<crate::mail::channels::EmailChannelRecord> {
        self.store
            .in_write(async |tx| crate::mail::channels::save(tx, actor, id, params).await)
            .await
    }

    /// `DELETE /email_channels/{id}` (admins): its poller stops on its next round.
    pub async fn delete_email_channel(&self, actor: &crate::Actor, id: i64) -> Result<()> {
        self.store
            .in_write(async |tx| crate::mail::channels::delete(tx, actor, id).await)
            .await
    }

    /// `POST`/`PUT /signatures[/{id}]` (admins), `params`
    /// [`crate::mail::signatures::SignatureParams::prepared`] (sanitised) before.
    pub async fn save_signature(
        &self,
        actor: &crate::Actor,
        id: Option<i64>,
        params: &crate::mail::signatures::SignatureParams,
    ) -> Result<crate::mail::signatures::SignatureRecord> {
        self.store
            .in_write(async |tx| crate::mail::signatures::save(tx, actor, id, params).await)
            .await
    }

    /// `DELETE /signatures/{id}` (admins).
    pub async fn delete_signature(&self, actor: &crate::Actor, id: i64) -> Result<()> {
        self.store
            .in_write(async |tx| crate::mail::signatures::delete(tx, actor, id).await)
            .await
    }
}

/// Failed mail (admins): reading a kept message, delivering it again after a fix, forgetting
/// it. The bytes go from the file store once nothing refers to them any more.
impl Desk {
    /// A failed message's record and its bytes as received.
    pub async fn failed_mail_raw(
        &self,
        actor: &crate::Actor,
        id: i64,
    ) -> Result<(failed::FailedMailRecord, Vec<u8>)> {
        let record = {
            let mut conn = self.store.read().await?;
            failed::find(&mut conn, actor, id).await?
        };
        let bytes = self.files.get(&record.sha256).await?;
        Ok((record, bytes))
    }

    /// Receives a failed message again (into its group when it had one) and forgets the old
    /// record: the message is now an article, or — failing again — kept under a new record
    /// with the reason of this attempt.
    pub async fn reprocess_failed_mail(&self, actor: &crate::Actor, id: i64) -> Result<Received> {
        let (record, bytes) = self.failed_mail_raw(actor, id).await?;
        let group = record
            .group_id
            .map_or(InboundGroup::ByRecipient, InboundGroup::Id);
        let received = self.receive_mail_in(&bytes, group).await?;
        self.delete_failed_mail(actor, id).await?;
        Ok(received)
    }

    /// Forgets a failed message, and its bytes when nothing else refers to them.
    pub async fn delete_failed_mail(&self, actor: &crate::Actor, id: i64) -> Result<()> {
        let mut tx = self.store.write().await?;
        let record = failed::delete(&mut tx, actor, id).await?;
        tx.commit().await?;
        self.remove_unreferenced(&[record.sha256]).await
    }
}
