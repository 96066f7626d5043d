//! Telling people what happened (Zammad's `Transaction::Notification` and its auto-reply
//! trigger): agents hear of a new ticket in their groups, a customer's reply on a ticket they
//! own or follow, an assignment to them and a mention of them — in the app (online
//! notifications, the bell) and by e-mail, each switchable in their preferences; customers who
//! open a ticket get their group's acknowledgement. All of it is written in the transaction of
//! the change it tells of; mail goes out through the delivery queue after the commit.
//!
//! Preferences (`users.preferences`), Zammad's shape:
//! `notification_config.matrix.{create,update,assign,mention}.channel.{email,online}`
//! (booleans; missing = on).

use std::sync::Arc;

use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::accounts::users;
use crate::mail::compose::{self, OutgoingMail};
use crate::mail::{addresses, outbox, placeholders, threading};
use crate::policy::access::{AccessLevel, Actor, load_actors};
use crate::storage::{clock, settings};
use crate::tickets::articles::{self, NewArticle};
use crate::tickets::{self, TicketRecord};
use crate::{Error, Result};

use super::mail::MailService;

/// What happened on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Happening {
    /// A new ticket in the group (to the group's agents).
    NewTicket,
    /// A customer wrote (to the owner and the ticket's followers).
    CustomerReply,
    /// The ticket was given to `to`.
    Assigned { to: i64 },
    /// `user` was mentioned (and now follows the ticket).
    Mentioned { user: i64 },
}

impl Happening {
    /// The key in the preference matrix, and the online notification's `reason`.
    pub fn key(self) -> &'static str {
        match self {
            Happening::NewTicket => "create",
            Happening::CustomerReply => "update",
            Happening::Assigned { .. } => "assign",
            Happening::Mentioned { .. } => "mention",
        }
    }

    fn headline(self) -> &'static str {
        match self {
            Happening::NewTicket => "New ticket",
            Happening::CustomerReply => "Customer reply",
            Happening::Assigned { .. } => "Assigned to you",
            Happening::Mentioned { .. } => "You were mentioned",
        }
    }
}

/// Whether a user's preferences want `happening` on `channel` (`email` or `online`).
pub fn wants(preferences: &str, key: &str, channel: &str) -> bool {
    serde_json::from_str::<Value>(preferences)
        .ok()
        .and_then(|p| {
            p.pointer(&format!(
                "/notification_config/matrix/{key}/channel/{channel}"
            ))
            .and_then(Value::as_bool)
        })
        .unwrap_or(true)
}

/// Who is told of `happening`: active agents who may read the ticket's group — its agents
/// (direct or through roles, at most 1,000) for a new ticket, the owner and the mentioned for a
/// customer's reply, the one assigned or mentioned otherwise. Their permissions are read for all
/// of them at once ([`load_actors`]), not one by one inside the write transaction.
async fn recipients(
    conn: &mut AnyConnection,
    about: About,
    happening: Happening,
) -> Result<Vec<Actor>> {
    let mut ids: Vec<i64> = match happening {
        Happening::NewTicket => {
            sqlx::query_scalar(
                "SELECT user_id FROM user_groups WHERE group_id = $1 \
                 UNION SELECT ur.user_id FROM role_groups rg JOIN user_roles ur ON ur.role_id = rg.role_id WHERE rg.group_id = $2 \
                 LIMIT 1000",
            )
            .bind(about.group_id)
            .bind(about.group_id)
            .fetch_all(&mut *conn)
            .await?
        }
        Happening::CustomerReply => {
            let mut ids: Vec<i64> = match about.ticket_id {
                Some(ticket_id) => {
                    sqlx::query_scalar("SELECT user_id FROM mentions WHERE ticket_id = $1")
                        .bind(ticket_id)
                        .fetch_all(&mut *conn)
                        .await?
                }
                None => Vec::new(),
            };
            if about.owner_id != users::SYSTEM_USER_ID {
                ids.push(about.owner_id);
            }
            ids
        }
        Happening::Assigned { to } => vec![to],
        Happening::Mentioned { user } => vec![user],
    };
    ids.sort_unstable();
    ids.dedup();
    Ok(load_actors(conn, &ids)
        .await?
        .into_iter()
        .filter(|actor| actor.has_group_access(about.group_id, AccessLevel::Read))
        .collect())
}

/// `http://fqdn` (setting `http_type`; `fqdn` as read).
async fn base_url(conn: &mut AnyConnection, fqdn: &str) -> Result<String> {
    let scheme = settings::get::<String>(conn, "http_type")
        .await?
        .unwrap_or_else(|| "http".into());
    Ok(format!("{scheme}://{fqdn}"))
}

/// Whether `user` is sent `happening` by e-mail: their preferences want it and their address
/// is valid (sending being on is the caller's check).
fn mailed_to(user: &users::UserRecord, happening: Happening) -> bool {
    wants(&user.preferences, happening.key(), "email") && users::valid_email(&user.email)
}

/// Recipients per statement of [`insert_online`] (binds: four shared, one per recipient).
const ONLINE_ROWS_PER_INSERT: usize = 500;

/// The online notifications of `happening` for `users`, a statement per
/// [`ONLINE_ROWS_PER_INSERT`] of them (each statement under SQLite's write lock costs a round
/// trip to its connection thread).
async fn insert_online(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &TicketRecord,
    happening: Happening,
    users: &[i64],
) -> Result<()> {
    let now = clock::now();
    for chunk in users.chunks(ONLINE_ROWS_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, $1, $2, 0, $3, $4, $4)", i + 5))
            .collect();
        let sql = format!(
            "INSERT INTO online_notifications (user_id, ticket_id, type, seen, created_by_id, \
             created_at, updated_at) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(ticket.id)
            .bind(happening.key())
            .bind(actor.id)
            .bind(&now);
        for user_id in chunk {
            query = query.bind(*user_id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The ticket a happening is about, as far as choosing its recipients needs it: a new
/// ticket's recipients are known before it is stored.
#[derive(Debug, Clone, Copy)]
pub struct About {
    /// `None`: the ticket is not stored yet (it has no followers).
    pub ticket_id: Option<i64>,
    pub group_id: i64,
    /// `SYSTEM_USER_ID`: nobody.
    pub owner_id: i64,
}

impl About {
    pub fn ticket(ticket: &TicketRecord) -> About {
        About {
            ticket_id: Some(ticket.id),
            group_id: ticket.group_id,
            owner_id: ticket.owner_id,
        }
    }
}

/// Who is told of a happening and how, read by [`audience`] (only reads: it may run before
/// the write transaction that [`tell`] writes in, and the desk keeps a new ticket's).
#[derive(Debug, Clone)]
pub struct Audience {
    happening: Happening,
    /// The recipients, the one who caused the happening included when they are one of them
    /// ([`tell`] leaves them out); shared by the copies of a kept audience.
    people: Arc<[users::UserRecord]>,
    /// What notification mails are made of, when one is to be sent: the FQDN (Message-IDs,
    /// loop marker), the sender address (setting `notification_sender`) and the base URL of
    /// ticket links.
    mail: Option<MailParts>,
}

#[derive(Debug, Clone)]
struct MailParts {
    fqdn: String,
    sender: String,
    base_url: String,
}

impl Audience {
    /// Who is told: everyone but `actor`, who caused the happening.
    fn people<'a>(&'a self, actor: &'a Actor) -> impl Iterator<Item = &'a users::UserRecord> {
        self.people.iter().filter(move |user| user.id != actor.id)
    }
}

/// Reads who is told of `happening` (see [`recipients`]) and, when sending is on and one of
/// them wants it by e-mail, the settings its mails are made of. Whoever causes the happening
/// is left out when it is told ([`tell`]), not here: what this reads of a new ticket's
/// audience ([`Happening::NewTicket`], [`Happening::Assigned`]) follows from accounts, groups
/// and settings alone, so the desk keeps it for every actor under the auth generation
/// (`storage::generation_cache`).
pub async fn audience(
    conn: &mut AnyConnection,
    mail: &MailService,
    about: About,
    happening: Happening,
) -> Result<Audience> {
    let ids: Vec<i64> = recipients(conn, about, happening)
        .await?
        .iter()
        .map(|person| person.id)
        .collect();
    let people = users::find_many(conn, &ids).await?;
    let mailed = mail.sending_enabled() && people.iter().any(|user| mailed_to(user, happening));
    let mail = if mailed {
        let fqdn = articles::fqdn(conn).await?;
        let sender = settings::get::<String>(conn, "notification_sender")
            .await?
            .unwrap_or_else(|| format!("noreply@{fqdn}"));
        Some(MailParts {
            base_url: base_url(conn, &fqdn).await?,
            fqdn,
            sender,
        })
    } else {
        None
    };
    Ok(Audience {
        happening,
        people: people.into(),
        mail,
    })
}

/// Writes the notifications of `happening` (by `actor`, never to `actor`) in the caller's
/// transaction. `excerpt`: the text that came with it (a reply's first lines). Returns
/// whether mail was queued (wake the delivery worker after the commit).
pub async fn notify(
    conn: &mut AnyConnection,
    mail: &MailService,
    actor: &Actor,
    ticket: &TicketRecord,
    happening: Happening,
    excerpt: Option<&str>,
) -> Result<bool> {
    let audience = audience(conn, mail, About::ticket(ticket), happening).await?;
    tell(conn, actor, ticket, &audience, excerpt).await
}

/// Writes what [`audience`] read: the online notifications of those who want them, and the
/// mails (queued) of those who want them by e-mail, in the caller's transaction. Returns
/// whether mail was queued.
pub async fn tell(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &TicketRecord,
    audience: &Audience,
    excerpt: Option<&str>,
) -> Result<bool> {
    let happening = audience.happening;
    let mut queued = false;
    let online: Vec<i64> = audience
        .people(actor)
        .filter(|user| wants(&user.preferences, happening.key(), "online"))
        .map(|user| user.id)
        .collect();
    insert_online(conn, actor, ticket, happening, &online).await?;
    let Some(MailParts {
        fqdn,
        sender,
        base_url,
    }) = &audience.mail
    else {
        return Ok(queued);
    };
    for user in audience
        .people(actor)
        .filter(|user| mailed_to(user, happening))
    {
        let link = format!("{base_url}/tickets/{}", ticket.id);
        let excerpt: String = excerpt.unwrap_or_default().chars().take(1_000).collect();
        let body = format!(
            "{} — {}\n\nTicket#{}: {}\nBy: {}\n\n{}\n\n{}\n\nYou get this e-mail because of your notification settings in Tandem.\n",
            happening.headline(),
            ticket.title,
            ticket.number,
            ticket.title,
            actor.fullname(),
            excerpt.trim(),
            link
        );
        let message = compose::build(&OutgoingMail {
            from_name: "Tandem Notification".into(),
            from_address: sender.clone(),
            to: user.email.clone(),
            cc: None,
            subject: format!(
                "[Ticket#{}] {}: {}",
                ticket.number,
                happening.headline(),
                ticket.title
            ),
            message_id: compose::new_message_id(ticket.id, fqdn),
            in_reply_to: None,
            references: Vec::new(),
            body,
            html: false,
            files: Vec::new(),
            automatic: true,
            loop_marker: fqdn.clone(),
        });
        match message {
            Ok(message) => {
                let formatted = String::from_utf8_lossy(&message.formatted()).into_owned();
                outbox::enqueue_system(conn, &formatted, sender, std::slice::from_ref(&user.email))
                    .await?;
                queued = true;
            }
            Err(e) => tracing::warn!(user = user.id, error = %e, "notification mail not built"),
        }
    }
    Ok(queued)
}

/// The group's acknowledgement to the customer of a new ticket, as an e-mail article of the
/// system (Zammad's auto-reply trigger), queued for sending: only when the group has an
/// acknowledgement and a sender address, the customer a valid address, and the customer's own
/// message was not automatic. `answering`: the customer's Message-ID, for threading.
pub async fn acknowledge(
    conn: &mut AnyConnection,
    mail: &MailService,
    files: &crate::storage::files::FileStore,
    ticket: &TicketRecord,
    answering: Option<&str>,
) -> Result<bool> {
    let group = crate::accounts::groups::find(conn, ticket.group_id).await?;
    let Some(template) = group.acknowledgement.clone() else {
        return Ok(false);
    };
    let Some(sender) = addresses::of_group(conn, ticket.group_id).await? else {
        return Ok(false);
    };
    let customer = users::find(conn, ticket.customer_id).await?;
    if !users::valid_email(&customer.email) {
        return Ok(false);
    }
    let values = [
        ("ticket.number", ticket.number.clone()),
        ("ticket.title", ticket.title.clone()),
        ("ticket.customer.firstname", customer.firstname.clone()),
        ("ticket.customer.lastname", customer.lastname.clone()),
        ("ticket.customer.email", customer.email.clone()),
        ("ticket.group.name", group.name.clone()),
        ("config.fqdn", articles::fqdn(conn).await?),
    ];
    let text = placeholders::render(&template, &values);
    let rules = threading::subject_rules(conn).await?;
    let subject = format!("Thanks for your inquiry ({})", ticket.title);
    let system = Actor::system();
    let current = tickets::find(conn, ticket.id).await?;
    let (article, _) = articles::insert(
        conn,
        files,
        &system,
        &current,
        NewArticle {
            type_id: articles::TYPE_EMAIL,
            sender_id: articles::SENDER_SYSTEM,
            internal: false,
            from: Some(format!("{} <{}>", sender.name, sender.email)),
            to: Some(customer.email.clone()),
            subject: Some(rules.build(&subject, &ticket.number, false)),
            in_reply_to: answering.map(str::to_string),
            content_type: "text/plain".into(),
            body: text,
            preferences: serde_json::Map::from_iter([(
                "is-auto-response".to_string(),
                json!(true),
            )]),
            prepared: true,
            ..Default::default()
        },
        false,
    )
    .await?;
    let fqdn = articles::fqdn(conn).await?;
    articles::ensure_message_id(conn, article.id, || {
        compose::new_message_id(article.id, &fqdn)
    })
    .await?;
    if mail.sending_enabled() {
        outbox::enqueue(conn, article.id).await?;
        Ok(true)
    } else {
        Ok(false)
    }
}

/// One of a user's online notifications (Zammad's `OnlineNotification` for a ticket).
#[derive(Debug, Clone)]
pub struct OnlineNotification {
    pub id: i64,
    pub ticket_id: i64,
    /// `create`, `update`, `reply`, `assigned`, `mention`.
    pub reason: String,
    pub seen: bool,
    pub created_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
    /// `None` when the ticket is gone.
    pub ticket_title: Option<String>,
    pub ticket_number: Option<String>,
}

/// `GET /online_notifications`: the caller's, newest first (at most 200), with their
/// tickets' titles and numbers (one query).
pub async fn online_index(
    conn: &mut AnyConnection,
    actor: &Actor,
) -> Result<Vec<OnlineNotification>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        ticket_id: i64,
        reason: String,
        seen: i64,
        created_by_id: i64,
        created_at: String,
        updated_at: String,
        title: Option<String>,
        number: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT n.id, n.ticket_id, n.type AS reason, n.seen, n.created_by_id, n.created_at, \
         n.updated_at, t.title, t.number FROM online_notifications n \
         LEFT JOIN tickets t ON t.id = n.ticket_id WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT 200",
    )
    .bind(actor.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OnlineNotification {
            id: r.id,
            ticket_id: r.ticket_id,
            reason: r.reason,
            seen: r.seen != 0,
            created_by_id: r.created_by_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            ticket_title: r.title,
            ticket_number: r.number,
        })
        .collect())
}

/// `PUT /online_notifications/{id}` (`seen`), own notifications only.
pub async fn online_mark(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    seen: bool,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE online_notifications SET seen = $1, updated_at = $2 WHERE id = $3 AND user_id = $4",
    )
    .bind(seen as i64)
    .bind(clock::now())
    .bind(id)
    .bind(actor.id)
    .execute(conn)
    .await?;
    found(done.rows_affected(), id)
}

/// `POST /online_notifications/mark_all_as_read`.
pub async fn online_mark_all(conn: &mut AnyConnection, actor: &Actor) -> Result<()> {
    sqlx::query(
        "UPDATE online_notifications SET seen = 1, updated_at = $1 WHERE user_id = $2 AND seen = 0",
    )
    .bind(clock::now())
    .bind(actor.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// `DELETE /online_notifications/{id}`, own notifications only.
pub async fn online_delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    let done = sqlx::query("DELETE FROM online_notifications WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(actor.id)
        .execute(conn)
        .await?;
    found(done.rows_affected(), id)
}

/// 404 for notification `id` when a change touched no row (unknown, or someone else's).
fn found(rows_affected: u64, id: i64) -> Result<()> {
    if rows_affected == 0 {
        return Err(Error::not_found("OnlineNotification", id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_switch_channels_and_default_to_on() {
        let prefs = r#"{"notification_config":{"matrix":{"create":{"channel":{"email":false,"online":true}}}}}"#;
        assert!(!wants(prefs, "create", "email"));
        assert!(wants(prefs, "create", "online"));
        assert!(wants(prefs, "update", "email"));
        assert!(wants("{}", "mention", "online"));
        assert!(wants("not json", "assign", "email"));
    }
}
