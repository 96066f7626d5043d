//! Mentions: agents subscribing to a ticket (`/mentions`), or mentioned in an agent's article
//! (a link `<a data-mention-user-id="5" …>`, which the composer's `@` inserts; Zammad's
//! `Ticket::Article#check_mentions`).

use sqlx::AnyConnection;

use crate::policy::access::{AccessLevel, Actor, load_actor, load_actors};
use crate::tickets::articles::ArticleRecord;
use crate::tickets::{TicketRecord, html_text, sanitize};
use crate::{Error, Result, policy, storage::clock, tickets};

/// The most users one article mentions: links beyond these are read as plain links (each
/// mention is a notification, and may be an e-mail).
pub const MAX_MENTIONS_PER_ARTICLE: usize = 100;

/// A user following a ticket: `(id, ticket_id, user_id, created_by_id, created_at,
/// updated_at)`, as the `mentions` table stores it.
pub type MentionRow = (i64, i64, i64, i64, String, String);

/// The users following a ticket the caller may read, oldest first.
pub async fn rows(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<Vec<MentionRow>> {
    tickets::load_readable(conn, actor, ticket_id).await?;
    Ok(sqlx::query_as(
        "SELECT id, ticket_id, user_id, created_by_id, created_at, updated_at FROM mentions WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(conn)
    .await?)
}

/// Subscribes `user_id` (default: the caller) to a ticket. The mentioned user must be an agent
/// who can read the ticket.
pub async fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    user_id: Option<i64>,
) -> Result<MentionRow> {
    let (_, facts) = tickets::load(conn, ticket_id).await?;
    policy::authorize_mention(actor, &facts)?;
    let user_id = user_id.unwrap_or(actor.id);
    let mentioned = load_actor(conn, user_id, None).await.map_err(|_| {
        Error::unprocessable(format!("Invalid value for param 'user_id': {user_id}"))
    })?;
    if !mentioned.has_group_access(facts.group_id, AccessLevel::Read) {
        return Err(Error::unprocessable(
            "The mentioned user has no access to this ticket.",
        ));
    }
    subscribe(conn, actor, ticket_id, user_id).await
}

/// Writes the mention of `user_id` on the ticket by `actor` (kept as it is when there is one
/// already) and reads it back. The caller checked who may mention whom.
async fn subscribe(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    user_id: i64,
) -> Result<MentionRow> {
    let now = clock::now();
    sqlx::query("INSERT INTO mentions (ticket_id, user_id, created_by_id, created_at, updated_at) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING")
        .bind(ticket_id)
        .bind(user_id)
        .bind(actor.id)
        .bind(&now)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_as(
        "SELECT id, ticket_id, user_id, created_by_id, created_at, updated_at FROM mentions WHERE ticket_id = $1 AND user_id = $2",
    )
    .bind(ticket_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?)
}

/// The users an HTML body mentions: the `data-mention-user-id` of its links (Zammad reads
/// `a[data-mention-user-id]`), each once, in order, at most [`MAX_MENTIONS_PER_ARTICLE`];
/// values that are no user id are skipped.
pub fn mentioned_in(html: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for value in html_text::attribute_values(html, "a", sanitize::MENTION_ATTRIBUTE) {
        if let Some(id) = sanitize::mention_user_id(&value)
            && !ids.contains(&id)
        {
            ids.push(id);
            if ids.len() == MAX_MENTIONS_PER_ARTICLE {
                break;
            }
        }
    }
    ids
}

/// Whether a stored article can mention anyone: an HTML body with a mention link. Checked
/// before anything is read for [`from_article`].
pub fn may_mention(article: &ArticleRecord) -> bool {
    article.content_type.eq_ignore_ascii_case("text/html")
        && article.body.contains(sanitize::MENTION_ATTRIBUTE)
}

/// Whether an article request's body holds a mention link at all (sanitising only removes
/// links): when not, the stored article mentions nobody and is not read again.
pub fn input_may_mention(input: &crate::tickets::input::ArticleInput) -> bool {
    input
        .body
        .as_deref()
        .is_some_and(|b| b.contains(sanitize::MENTION_ATTRIBUTE))
}

/// The mentions of a new article (its stored, sanitised HTML body), in the article's
/// transaction: when `actor` wrote it as an agent of the ticket's group ([`policy::authorize_mention`]),
/// each mentioned user who is an active agent with access to the group follows the ticket now.
/// Anyone else (unknown ids, customers, agents of other groups) is left out, and so are the
/// mentions of an author who may not mention, without an error (docs/decisions.md). Returns
/// the users mentioned, for the desk to tell them.
pub async fn from_article(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &TicketRecord,
    article: &ArticleRecord,
) -> Result<Vec<i64>> {
    // most articles mention nobody: they are not parsed again inside the transaction
    if !may_mention(article) || policy::authorize_mention(actor, &ticket.facts(false)).is_err() {
        return Ok(Vec::new());
    }
    let ids = mentioned_in(&article.body);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut mentioned = Vec::new();
    for user in load_actors(conn, &ids).await? {
        if user.has_group_access(ticket.group_id, AccessLevel::Read) {
            subscribe(conn, actor, ticket.id, user.id).await?;
            mentioned.push(user.id);
        }
    }
    Ok(mentioned)
}

/// Who `actor` may mention on a ticket: the active agents with access to its group
/// ([`tickets::group_agents`]) whose name or e-mail address contains `query` (any case), sorted
/// by name, at most `limit`. Nobody for those who may not mention
/// ([`policy::authorize_mention`]).
pub async fn candidates(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    query: &str,
    limit: usize,
) -> Result<Vec<Actor>> {
    let (ticket, _) = tickets::load(conn, ticket_id).await?;
    group_candidates(conn, actor, ticket.group_id, query, limit).await
}

/// [`candidates`] for a ticket not created yet (the new-ticket form's `@`): the active agents
/// with access to `group_id`, for an agent who may mention there
/// ([`policy::can_mention_in_group`]), else nobody; an unknown group has nobody.
pub async fn group_candidates(
    conn: &mut AnyConnection,
    actor: &Actor,
    group_id: i64,
    query: &str,
    limit: usize,
) -> Result<Vec<Actor>> {
    if !policy::can_mention_in_group(actor, group_id) {
        return Ok(Vec::new());
    }
    let wanted = query.trim().to_lowercase();
    Ok(tickets::group_agents(conn, group_id, AccessLevel::Read)
        .await?
        .into_iter()
        .filter(|agent| {
            wanted.is_empty()
                || agent.fullname().to_lowercase().contains(&wanted)
                || agent.email.to_lowercase().contains(&wanted)
        })
        .take(limit)
        .collect())
}

/// Removes a mention (the mentioned user, or agents with change access); the ticket's id.
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<i64> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT ticket_id, user_id FROM mentions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let (ticket_id, user_id) = row.ok_or_else(|| Error::not_found("Mention", id))?;
    let (_, facts) = tickets::load(conn, ticket_id).await?;
    policy::authorize_mention(actor, &facts)?;
    if user_id != actor.id && !actor.has_group_access(facts.group_id, AccessLevel::Change) {
        return Err(Error::not_authorized());
    }
    sqlx::query("DELETE FROM mentions WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(ticket_id)
}
