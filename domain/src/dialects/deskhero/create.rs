//! Creating entries: the use case, its transaction, and how each entry is planned.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use sqlx::AnyConnection;

use crate::policy::TicketFacts;
use crate::policy::access::{AccessLevel, Actor};
use crate::shared_drafts::{Hub, zoom};
use crate::storage::files::FileStore;
use crate::storage::store::WriteTx;
use crate::tickets::articles::{self, ArticleRecord, NewArticle};
use crate::tickets::{self, TicketRecord};
use crate::{Error, Result, accounts::users, tickets::attachments, tickets::sanitize};

use super::*;

/// An entry after parsing, before anything is written.
#[derive(Debug)]
pub(super) struct Entry {
    index: usize,
    kind: ConversationType,
    addresses: Vec<EmailAddress>,
    /// The HTML as sent, or rendered from editorjs (sanitised when stored).
    html: String,
    editorjs: Option<EditorJs>,
    plan: Plan,
}

#[derive(Debug)]
pub(super) enum Plan {
    Article(Box<NewArticle>),
    SuggestedReply,
}

/// An entry's content made ready before the write transaction: the HTML as sent (or rendered
/// from editorjs), its editorjs document, and the article body sanitised with its inline
/// images' bytes stored (pinned by the caller until the write is settled).
pub(super) type Content =
    std::result::Result<(String, Option<EditorJs>, articles::PreparedBody), FieldError>;

/// [`parse_content`] and the sanitising of every entry of a request, before its transaction
/// (CPU and file work only). `None` for an entry that is not an object (its error comes from
/// [`prepare`]). The caller keeps the files' pins until the write is settled.
async fn prepare_contents(
    files: &FileStore,
    fqdn: &str,
    ticket_id: i64,
    body: &Value,
) -> (
    Vec<Option<Content>>,
    Vec<crate::storage::files::Pinned>,
    Vec<String>,
) {
    let mut contents = Vec::new();
    let mut pins = Vec::new();
    let mut hashes = Vec::new();
    let Some(items) = body.as_array().filter(|i| i.len() <= MAX_ENTRIES) else {
        return (contents, pins, hashes);
    };
    for (index, item) in items.iter().enumerate() {
        let suggested = item
            .get("type")
            .is_some_and(|t| t.as_i64() == Some(6) || t.as_str() == Some("SUGGESTED_REPLY"));
        let Some(obj) = item.as_object().filter(|_| !suggested) else {
            // not an object (its error comes later), or a suggested reply (a draft, not an
            // article: prepared in the transaction as drafts are)
            contents.push(None);
            continue;
        };
        let at = format!("[{index}]");
        let content = match parse_content(obj.get("sys_content_rich"), &at) {
            Err(e) => Err(e),
            Ok((html, editorjs)) => {
                match articles::prepare_body(
                    fqdn,
                    "text/html".into(),
                    html.clone(),
                    Some(ticket_id),
                ) {
                    Err(e) => Err(FieldError::new(format!("{at}.sys_content_rich"), e)),
                    Ok(mut prepared) => match prepared.store_files(files).await {
                        Ok(()) => {
                            if let Some(pin) = prepared.take_pin() {
                                pins.push(pin);
                            }
                            hashes.extend(prepared.hashes());
                            Ok((html, editorjs, prepared))
                        }
                        Err(e) => Err(FieldError::new(format!("{at}.sys_content_rich"), e)),
                    },
                }
            }
        };
        contents.push(Some(content));
    }
    (contents, pins, hashes)
}

/// What a request created, in the caller's (uncommitted) transaction.
pub struct Created {
    pub conversations: Vec<Conversation>,
    /// The articles written by the caller as an agent (not REPLY_INBOUND's customer entries)
    /// that hold a mention link: the ones whose mentions count.
    agent_articles: Vec<ArticleRecord>,
    /// The shared-draft write of a SUGGESTED_REPLY, announced to live editors after the commit.
    draft: Option<zoom::PendingWrite>,
}

impl Created {
    /// The new articles the caller wrote as an agent, in request order.
    pub fn agent_articles(&self) -> &[ArticleRecord] {
        &self.agent_articles
    }

    /// Commits the caller's transaction, then live editors get the suggested reply (a failed
    /// commit makes them resync from storage). With a suggested reply the commit is at once:
    /// its draft write holds the room's write lock ([`zoom::PendingWrite::commit`]).
    pub async fn commit(self, tx: WriteTx, hub: &Arc<Hub>) -> Result<Vec<Conversation>> {
        match self.draft {
            Some(draft) => {
                draft.commit(tx, hub).await?;
            }
            None => tx.commit().await?,
        }
        Ok(self.conversations)
    }

    /// The transaction failed before its commit: live editors resync from storage.
    pub async fn abandon(self, hub: &Arc<Hub>) {
        if let Some(draft) = self.draft {
            draft.abandon(hub).await;
        }
    }
}

/// `POST /api/{tenant}/v1/ticket_conversations/{ticket_id}` as one use case: the transaction,
/// [`create_conversations`], the commit, then live editors get a suggested reply and open tabs
/// hear of the change. Errors are DeskHero's field errors; nothing is stored on any error.
pub async fn post_conversations(
    desk: &crate::desk::Desk,
    actor: &Actor,
    ticket_id: i64,
    body: &Value,
) -> Result<Vec<Conversation>, Vec<FieldError>> {
    // parsing, sanitising and storing inline images before the write transaction (only for a
    // caller who may see the ticket; the transaction gives everyone else their error)
    let (fqdn, readable) = {
        let mut conn = desk.store.read().await.map_err(|e| vec![e.into()])?;
        let readable = tickets::load(&mut conn, ticket_id)
            .await
            .is_ok_and(|(_, facts)| crate::policy::can_show_ticket(actor, &facts));
        (
            articles::fqdn(&mut conn)
                .await
                .map_err(|e| vec![e.into()])?,
            readable,
        )
    };
    let (contents, pins, hashes) = if readable {
        prepare_contents(&desk.files, &fqdn, ticket_id, body).await
    } else {
        Default::default()
    };
    let outcome = post_prepared(desk, actor, ticket_id, body, contents).await;
    drop(pins);
    if outcome.is_err()
        && !hashes.is_empty()
        && let Ok(mut conn) = desk.store.read().await
        && let Err(e) = attachments::remove_unreferenced(&mut conn, &desk.files, &hashes).await
    {
        tracing::warn!(error = %e, "bytes of a refused DeskHero request stay in the file store");
    }
    outcome
}

async fn post_prepared(
    desk: &crate::desk::Desk,
    actor: &Actor,
    ticket_id: i64,
    body: &Value,
    contents: Vec<Option<Content>>,
) -> Result<Vec<Conversation>, Vec<FieldError>> {
    let mut tx = desk.store.write().await.map_err(|e| vec![e.into()])?;
    let last_article = crate::desk::mail::last_article_id(&mut tx, ticket_id)
        .await
        .map_err(|e| vec![e.into()])?;
    let created = create_conversations(
        &mut tx,
        &desk.drafts,
        &desk.files,
        actor,
        ticket_id,
        body,
        contents,
    )
    .await?;
    let queued = async {
        // mentions in the new articles, as in any other article an agent writes
        let mut queued = false;
        for article in created.agent_articles() {
            queued |= desk.tell_mentions(&mut tx, actor, article).await?;
        }
        // EMAIL entries by agents go out like any e-mail article
        Ok::<bool, Error>(
            queued
                | crate::desk::mail::queue_outgoing(&mut tx, &desk.mail, ticket_id, last_article)
                    .await?,
        )
    }
    .await;
    let queued = match queued {
        Ok(queued) => queued,
        Err(e) => {
            created.abandon(&desk.drafts).await;
            return Err(vec![e.into()]);
        }
    };
    let data = created
        .commit(tx, &desk.drafts)
        .await
        .map_err(|e| vec![e.into()])?;
    if queued {
        desk.wake_mail_delivery();
    }
    desk.announce(ticket_id, true).await;
    Ok(data)
}

/// `POST /api/{tenant}/v1/ticket_conversations/{ticket_id}`: creates every entry of `body` (a
/// JSON array of `DTO_ticket_conversation`) on the ticket, or none, in the caller's
/// transaction; `contents` are the entries' contents prepared before it
/// ([`prepare_contents`]; missing ones are prepared here). The caller commits through
/// [`Created::commit`].
pub async fn create_conversations(
    conn: &mut AnyConnection,
    hub: &Arc<Hub>,
    files: &FileStore,
    actor: &Actor,
    ticket_id: i64,
    body: &Value,
    mut contents: Vec<Option<Content>>,
) -> Result<Created, Vec<FieldError>> {
    let (ticket, facts) = tickets::load_locked(conn, ticket_id)
        .await
        .map_err(|e| vec![FieldError::new("ticket_id", e)])?;
    articles::authorize_adding(conn, actor, &ticket, &facts)
        .await
        .map_err(|e| vec![FieldError::new("ticket_id", e)])?;
    let Some(items) = body.as_array() else {
        return Err(vec![FieldError::bad(
            "body",
            "The body must be a JSON array of conversation entries.",
        )]);
    };
    if items.is_empty() {
        return Err(vec![FieldError::bad(
            "body",
            "At least one conversation entry is needed.",
        )]);
    }
    if items.len() > MAX_ENTRIES {
        return Err(vec![FieldError::bad(
            "body",
            format!("At most {MAX_ENTRIES} conversation entries per request."),
        )]);
    }

    // 1. parse and check everything
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut claimed = HashSet::new();
    let mut suggestions = 0;
    for (index, item) in items.iter().enumerate() {
        let content = contents.get_mut(index).and_then(Option::take);
        match prepare(
            conn,
            actor,
            &ticket,
            &facts,
            (index, item),
            &mut claimed,
            content,
        )
        .await
        {
            Ok(entry) if entry.kind == ConversationType::SuggestedReply && suggestions > 0 => {
                errors.push(FieldError::bad(
                    format!("[{index}].type"),
                    "Only one SUGGESTED_REPLY per request: a ticket has one shared draft.",
                ));
            }
            Ok(entry) => {
                suggestions += usize::from(entry.kind == ConversationType::SuggestedReply);
                entries.push(entry);
            }
            Err(err) => errors.push(err),
        }
    }
    if !errors.is_empty() {
        // a refusal outranks bad input: the caller may not do this whatever they fix
        let (forbidden, rest): (Vec<_>, Vec<_>) = errors
            .into_iter()
            .partition(|e| matches!(e.error, Error::Forbidden(_)));
        return Err(if forbidden.is_empty() {
            rest
        } else {
            forbidden
        });
    }

    // 2. write
    let mut written = Vec::new();
    let mut draft: Option<zoom::PendingWrite> = None;
    for entry in entries {
        let field = format!("[{}]", entry.index);
        let outcome = match entry.plan {
            Plan::Article(ref new) => {
                // current counters: earlier entries of this request changed the ticket
                let stored = match tickets::load(conn, ticket_id).await {
                    Ok((current, _)) => {
                        articles::insert(conn, files, actor, &current, (**new).clone(), false).await
                    }
                    Err(e) => Err(e),
                };
                stored.map(|(article, _)| Written::Article(Box::new(article)))
            }
            Plan::SuggestedReply => {
                store_suggested_reply(conn, hub, files, actor, ticket_id, &entry.html)
                    .await
                    .map(|(reply, pending)| {
                        draft = Some(pending);
                        Written::Draft(reply)
                    })
            }
        };
        match outcome {
            Ok(outcome) => written.push((entry.kind, entry.addresses, entry.editorjs, outcome)),
            Err(e) => {
                let field = if entry.kind == ConversationType::SuggestedReply {
                    format!("{field}.type")
                } else {
                    field
                };
                if let Some(draft) = draft {
                    draft.abandon(hub).await;
                }
                return Err(vec![FieldError::new(field, e)]);
            }
        }
    }
    let agent_articles = written
        .iter()
        .filter_map(|(_, _, _, outcome)| match outcome {
            Written::Article(a)
                if a.sender_id == articles::SENDER_AGENT
                    && crate::tickets::mentions::may_mention(a) =>
            {
                Some((**a).clone())
            }
            _ => None,
        })
        .collect();
    let answer = answer(conn, ticket_id, written).await;
    match answer {
        Ok(conversations) => Ok(Created {
            conversations,
            agent_articles,
            draft,
        }),
        Err(e) => {
            if let Some(draft) = draft {
                draft.abandon(hub).await;
            }
            Err(vec![e.into()])
        }
    }
}

pub(super) type WrittenEntry = (
    ConversationType,
    Vec<EmailAddress>,
    Option<EditorJs>,
    Written,
);

/// Renders what was written.
pub(super) async fn answer(
    conn: &mut AnyConnection,
    ticket_id: i64,
    written: Vec<WrittenEntry>,
) -> Result<Vec<Conversation>> {
    let (after, _) = tickets::load(conn, ticket_id).await?;
    let status = sys_status(conn, &after).await?;
    let mut people = People::default();
    let mut out = Vec::new();
    for (kind, addresses, editorjs, outcome) in written {
        out.push(match outcome {
            Written::Article(article) => {
                present_article(
                    conn,
                    &mut people,
                    &article,
                    kind,
                    addresses,
                    editorjs,
                    &status,
                )
                .await?
            }
            Written::Draft(reply) => {
                present_draft(
                    conn,
                    &mut people,
                    ticket_id,
                    &reply,
                    addresses,
                    editorjs,
                    &status,
                )
                .await?
            }
        });
    }
    Ok(out)
}

pub(super) enum Written {
    Article(Box<ArticleRecord>),
    Draft(SuggestedReply),
}

/// The shared draft a SUGGESTED_REPLY was written into.
#[derive(Debug, Clone)]
pub struct SuggestedReply {
    pub draft_id: i64,
    /// The draft's body as stored (sanitised, in the composer's schema).
    pub html: String,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// SUGGESTED_REPLY → the ticket's shared draft: creates it, or replaces its body (the rest of
/// the draft — type, recipients, ticket attributes — stays), inside the request's transaction
/// `conn`. Live editors see it once the caller publishes the returned write after the commit.
/// The caller has been checked with [`policy::can_use_shared_draft`]; the service also wants
/// shared drafts switched on for the ticket's group (403 otherwise).
pub async fn store_suggested_reply(
    conn: &mut AnyConnection,
    hub: &Arc<Hub>,
    files: &FileStore,
    actor: &Actor,
    ticket_id: i64,
    html: &str,
) -> Result<(SuggestedReply, zoom::PendingWrite)> {
    let mut new_article = zoom::find_row(conn, ticket_id)
        .await?
        .and_then(|row| row.new_article.as_object().cloned())
        .unwrap_or_else(|| {
            let mut fresh = Map::new();
            fresh.insert("type".into(), json!("email"));
            fresh.insert("internal".into(), json!(false));
            fresh
        });
    new_article.remove("attachments");
    new_article.insert("body".into(), json!(sanitize::draft_html(html)));
    new_article.insert("content_type".into(), json!("text/html"));
    let write = zoom::DraftWrite::new(Some(new_article), None, None)?;
    let pending = zoom::write_in(conn, hub, files, actor, ticket_id, &write, None, false).await?;
    let row = match zoom::find_row(conn, ticket_id).await {
        Ok(Some(row)) => row,
        other => {
            pending.abandon(hub).await;
            return Err(other
                .err()
                .unwrap_or_else(|| Error::Internal("the shared draft vanished".into())));
        }
    };
    let stored_html = row
        .new_article
        .get("body")
        .and_then(Value::as_str)
        .map_or_else(|| sanitize::draft_html(html), str::to_string);
    Ok((
        SuggestedReply {
            draft_id: pending.draft_id(),
            html: stored_html,
            created_by_id: row.created_by_id,
            updated_by_id: row.updated_by_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
        pending,
    ))
}

/// Parses one entry and checks what can be checked before writing.
pub(super) async fn prepare(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &TicketRecord,
    facts: &TicketFacts,
    (index, item): (usize, &Value),
    claimed: &mut HashSet<i64>,
    content: Option<Content>,
) -> Result<Entry, FieldError> {
    let at = format!("[{index}]");
    let Some(obj) = item.as_object() else {
        return Err(FieldError::bad(
            at,
            "A conversation entry must be a JSON object.",
        ));
    };
    let kind = match obj.get("type") {
        None | Some(Value::Null) => {
            return Err(FieldError::bad(
                format!("{at}.type"),
                "The type is missing.",
            ));
        }
        Some(v) => ConversationType::from_json(v).ok_or_else(|| {
            FieldError::bad(
                format!("{at}.type"),
                format!(
                    "Unknown conversation type {v}; use 1 to 6 (REPLY_INBOUND … SUGGESTED_REPLY)."
                ),
            )
        })?,
    };
    authorize_kind(actor, facts, kind).map_err(|e| FieldError::new(format!("{at}.type"), e))?;
    if let Some(v) = obj.get("ticket_id").filter(|v| !v.is_null())
        && v.as_i64() != Some(ticket.id)
        && v.as_str().and_then(|s| s.trim().parse::<i64>().ok()) != Some(ticket.id)
    {
        return Err(FieldError::bad(
            format!("{at}.ticket_id"),
            format!(
                "ticket_id {v} does not match the ticket in the path ({}).",
                ticket.id
            ),
        ));
    }
    let mut addresses = parse_addresses(obj.get("email_addresses"), &at)?;
    let (html, editorjs, prepared) = match content {
        Some(content) => {
            let (html, editorjs, prepared) = content?;
            (html, editorjs, Some(prepared))
        }
        None => {
            let (html, editorjs) = parse_content(obj.get("sys_content_rich"), &at)?;
            (html, editorjs, None)
        }
    };
    let attachment_ids = parse_attachment_ids(obj.get("sys_attachments"), &at)?;
    let requester = parse_requester(obj.get("requester"), &at)?;

    if kind == ConversationType::SuggestedReply {
        if !attachment_ids.is_empty() {
            return Err(FieldError::bad(
                format!("{at}.sys_attachments"),
                "A SUGGESTED_REPLY cannot carry attachments.",
            ));
        }
        return Ok(Entry {
            index,
            kind,
            addresses,
            html,
            editorjs,
            plan: Plan::SuggestedReply,
        });
    }

    for (j, id) in attachment_ids.iter().enumerate() {
        let field = format!("{at}.sys_attachments[{j}].id");
        if !claimed.insert(*id) {
            return Err(FieldError::bad(
                field,
                format!("Attachment {id} is used twice."),
            ));
        }
        if attachments::cached_upload(conn, actor, *id)
            .await
            .map_err(|e| FieldError::new(field.clone(), e))?
            .is_none()
        {
            return Err(FieldError::bad(
                field,
                format!("Unknown attachment id {id} (not in your upload cache)."),
            ));
        }
    }

    // who writes, as whom
    let agent_side = actor.has_group_access(ticket.group_id, AccessLevel::Read);
    let (type_id, sender_id, internal) = match kind {
        ConversationType::ReplyInbound => (articles::TYPE_EMAIL, articles::SENDER_CUSTOMER, false),
        ConversationType::NotePrivate => (articles::TYPE_NOTE, articles::SENDER_AGENT, true),
        ConversationType::NotePublic => (
            articles::TYPE_NOTE,
            if agent_side {
                articles::SENDER_AGENT
            } else {
                articles::SENDER_CUSTOMER
            },
            false,
        ),
        ConversationType::Forward | ConversationType::ReplyOutbound => {
            (articles::TYPE_EMAIL, articles::SENDER_AGENT, false)
        }
        ConversationType::SuggestedReply => unreachable!("handled above"),
    };
    let mut origin_by_id = None;
    let mut computed_from: Option<(String, String)> = None; // (email, name)
    if !agent_side {
        // customers write as themselves: no requester, no FROM of their own choosing
        addresses.retain(|a| a.direction != Direction::From.value());
        computed_from = Some((actor.email.clone(), actor.fullname()));
    } else if kind == ConversationType::ReplyInbound {
        let origin = match requester {
            Some(requester) => resolve_requester(conn, actor, requester, &at).await?,
            None => ticket.customer_id,
        };
        let user = users::find(conn, origin)
            .await
            .map_err(|e| FieldError::new(format!("{at}.requester"), e))?;
        origin_by_id = Some(origin);
        computed_from = Some((user.email.clone(), user.fullname()));
    }
    let has = |d: Direction, list: &[EmailAddress]| list.iter().any(|a| a.direction == d.value());
    if let Some((email, name)) = computed_from
        && !has(Direction::From, &addresses)
        && !email.is_empty()
    {
        addresses.insert(
            0,
            EmailAddress {
                email,
                name,
                direction: Direction::From.value(),
            },
        );
    }
    match kind {
        ConversationType::ReplyOutbound if !has(Direction::To, &addresses) => {
            // a reply goes to the ticket's customer unless told otherwise
            let customer = users::find(conn, ticket.customer_id)
                .await
                .map_err(|e| FieldError::new(format!("{at}.email_addresses"), e))?;
            if !users::valid_email(&customer.email) {
                return Err(FieldError::bad(
                    format!("{at}.email_addresses"),
                    "Sending an email without a valid recipient is not possible.",
                ));
            }
            addresses.push(EmailAddress {
                email: customer.email.clone(),
                name: customer.fullname(),
                direction: Direction::To.value(),
            });
        }
        ConversationType::Forward
            if !has(Direction::To, &addresses) && !has(Direction::ForwardedTo, &addresses) =>
        {
            return Err(FieldError::bad(
                format!("{at}.email_addresses"),
                "Sending an email without a valid recipient is not possible (FORWARD needs TO or FORWARDED_TO).",
            ));
        }
        _ => {}
    }

    let joined = |directions: &[Direction]| -> Option<String> {
        let list: Vec<String> = addresses
            .iter()
            .filter(|a| directions.iter().any(|d| d.value() == a.direction))
            .map(|a| format_address(&a.name, &a.email))
            .collect();
        (!list.is_empty()).then(|| list.join(", "))
    };
    let forward = kind == ConversationType::Forward;
    let to = if forward {
        joined(&[Direction::To, Direction::ForwardedTo])
    } else {
        joined(&[Direction::To])
    };
    let mut preferences = Map::new();
    for (key, direction) in [
        ("bcc", Direction::Bcc),
        ("resent_from", Direction::ResentFrom),
    ] {
        if let Some(list) = joined(&[direction]) {
            preferences.insert(key.into(), json!(list));
        }
    }
    if !forward && let Some(list) = joined(&[Direction::ForwardedTo]) {
        preferences.insert("forwarded_to".into(), json!(list));
    }
    let new = NewArticle {
        type_id,
        sender_id,
        internal,
        origin_by_id,
        from: joined(&[Direction::From]),
        to,
        cc: joined(&[Direction::Cc]),
        reply_to: joined(&[Direction::ReplyTo]),
        content_type: "text/html".into(),
        body: prepared
            .as_ref()
            .map_or_else(|| html.clone(), |p| p.body.clone()),
        files: prepared
            .as_ref()
            .map(|p| p.files.clone())
            .unwrap_or_default(),
        body_text: prepared.as_ref().map(|p| p.body_text.clone()),
        prepared: prepared.is_some(),
        preferences,
        cached_file_ids: attachment_ids,
        ..Default::default()
    };
    Ok(Entry {
        index,
        kind,
        addresses,
        html,
        editorjs,
        plan: Plan::Article(Box::new(new)),
    })
}
