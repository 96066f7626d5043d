//! Zammad's article JSON (`GET /ticket_articles/{id}`, `by_ticket`, the zoom bundle's
//! `TicketArticle` assets), rendered from the article records the use cases and reads return.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::Result;
use crate::accounts::users;
use crate::policy::access::{AccessLevel, Actor};
use crate::tickets::articles::{
    AGENT_ONLY_PREFERENCES, ArticleRecord, NewArticleExtras, RENDER_CHUNK, type_and_sender_names,
};
use crate::tickets::attachments;

/// Article JSON with the names Zammad always adds (`type`, `sender`, `created_by`, …).
pub async fn render(conn: &mut AnyConnection, a: &ArticleRecord) -> Result<Value> {
    Ok(render_many(conn, std::slice::from_ref(a))
        .await?
        .pop()
        .unwrap_or(Value::Null))
}

/// Renders articles (in the given order) as [`render`] does, with a fixed number of queries
/// whatever their number: names, attachments, logins and time units are read for all of
/// them at once (in chunks of [`RENDER_CHUNK`] ids), so a ticket's 10,000 articles cost what
/// their rows cost.
pub async fn render_many(conn: &mut AnyConnection, list: &[ArticleRecord]) -> Result<Vec<Value>> {
    use std::collections::BTreeSet;
    let user_ids: BTreeSet<i64> = list
        .iter()
        .flat_map(|a| [Some(a.created_by_id), Some(a.updated_by_id), a.origin_by_id])
        .flatten()
        .collect();
    let mut related = Related {
        names: type_and_sender_names(conn, list).await?,
        logins: users::logins_by_ids(conn, &user_ids).await?,
        ..Related::default()
    };
    for chunk in list.chunks(RENDER_CHUNK) {
        let ids: Vec<i64> = chunk.iter().map(|a| a.id).collect();
        related
            .files
            .extend(attachments::for_articles(conn, &ids).await?);
        related
            .time_units
            .extend(crate::tickets::time_accounting::of_articles(conn, &ids).await?);
    }
    Ok(list.iter().map(|a| related.render(a)).collect())
}

/// [`render`] of the article `actor`'s write just created (`POST /ticket_articles`): the
/// same JSON, reading only what the write may have stored besides the row (`extras`) and
/// the login of an origin other than `actor` — none of it for a plain note or reply.
pub async fn render_created(
    conn: &mut AnyConnection,
    actor: &Actor,
    a: &ArticleRecord,
    extras: NewArticleExtras,
) -> Result<Value> {
    let list = std::slice::from_ref(a);
    let others: std::collections::BTreeSet<i64> =
        [Some(a.created_by_id), Some(a.updated_by_id), a.origin_by_id]
            .into_iter()
            .flatten()
            .filter(|id| *id != actor.id)
            .collect();
    let mut related = Related {
        names: type_and_sender_names(conn, list).await?,
        logins: users::logins_by_ids(conn, &others).await?,
        ..Related::default()
    };
    related.logins.insert(actor.id, actor.login.clone());
    if extras.files {
        related.files = attachments::for_articles(conn, &[a.id]).await?;
    }
    if extras.time {
        related.time_units = crate::tickets::time_accounting::of_articles(conn, &[a.id]).await?;
    }
    Ok(related.render(a))
}

/// What an article's JSON shows besides its row, read for the articles being rendered.
#[derive(Default)]
struct Related {
    /// Article type and sender names by id.
    names: (HashMap<i64, String>, HashMap<i64, String>),
    /// Logins by user id.
    logins: HashMap<i64, String>,
    /// Files by article id.
    files: HashMap<i64, Vec<attachments::AttachmentRecord>>,
    /// Time recorded by article id.
    time_units: HashMap<i64, f64>,
}

impl Related {
    /// One article's JSON (its files taken out of `files`).
    fn render(&mut self, a: &ArticleRecord) -> Value {
        let login = |id: Option<i64>| {
            id.and_then(|id| self.logins.get(&id).cloned())
                .map_or(Value::Null, Value::String)
        };
        let files = self.files.remove(&a.id).unwrap_or_default();
        let body = if a.content_type == "text/html" {
            attachments::rewrite_cids(&a.body, a.ticket_id, a.id, &files)
        } else {
            a.body.clone()
        };
        json!({
            "id": a.id, "ticket_id": a.ticket_id, "type_id": a.type_id, "sender_id": a.sender_id,
            "from": a.from_address, "to": a.to_address, "cc": a.cc, "subject": a.subject, "reply_to": a.reply_to,
            "message_id": a.message_id, "message_id_md5": null, "in_reply_to": a.in_reply_to,
            "content_type": a.content_type, "references": null, "body": body, "internal": a.internal != 0,
            "preferences": serde_json::from_str::<Value>(&a.preferences).unwrap_or_else(|_| json!({})),
            "updated_by_id": a.updated_by_id, "created_by_id": a.created_by_id, "origin_by_id": a.origin_by_id,
            "created_at": a.created_at, "updated_at": a.updated_at,
            "attachments": files.iter().map(attachments::render).collect::<Vec<_>>(),
            "type": self.names.0.get(&a.type_id), "sender": self.names.1.get(&a.sender_id),
            "created_by": login(Some(a.created_by_id)),
            "updated_by": login(Some(a.updated_by_id)),
            "origin_by": login(a.origin_by_id),
            "time_unit": self.time_units.get(&a.id).copied().map(crate::tickets::time_accounting::format_unit),
        })
    }
}

/// [`render`] for a reader: without read access to the ticket's group (customers) the
/// agent-only preferences are left out.
pub async fn render_for(
    conn: &mut AnyConnection,
    actor: &Actor,
    group_id: i64,
    a: &ArticleRecord,
) -> Result<Value> {
    Ok(
        render_many_for(conn, actor, group_id, std::slice::from_ref(a))
            .await?
            .pop()
            .unwrap_or(Value::Null),
    )
}

/// [`render_many`] for `actor`, who reads them in a ticket of `group_id` (customers don't
/// see [`AGENT_ONLY_PREFERENCES`]).
pub async fn render_many_for(
    conn: &mut AnyConnection,
    actor: &Actor,
    group_id: i64,
    list: &[ArticleRecord],
) -> Result<Vec<Value>> {
    let mut out = render_many(conn, list).await?;
    if !actor.has_group_access(group_id, AccessLevel::Read) {
        for article in &mut out {
            if let Some(preferences) = article
                .get_mut("preferences")
                .and_then(Value::as_object_mut)
            {
                for key in AGENT_ONLY_PREFERENCES {
                    preferences.remove(key);
                }
            }
        }
    }
    Ok(out)
}

/// `GET /ticket_articles/{id}`: an article the caller may read
/// ([`crate::tickets::articles::load_readable`]).
pub async fn show_article(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Value> {
    let (article, facts) = crate::tickets::articles::load_readable(conn, actor, id).await?;
    render_for(conn, actor, facts.group_id, &article).await
}

/// `GET /ticket_articles/by_ticket/{id}`: the articles the caller may see, in order.
pub async fn by_ticket(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<Vec<Value>> {
    let (ticket, list) = crate::tickets::articles::by_ticket(conn, actor, ticket_id).await?;
    render_many_for(conn, actor, ticket.group_id, &list).await
}
