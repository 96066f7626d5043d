//! The ticket view's tools (issue 16): tags with suggestions, the history, merging, links,
//! subscribing, the agents the composer's `@` may mention, and the customer's and
//! organisation's other open tickets. Every write goes
//! through the same `domain::desk::Desk` use case as its REST endpoint (`/tags/add`,
//! `/tags/remove`, `/ticket_merge`, `/links/add`, `/links/remove`, `/mentions`); every read
//! through the same domain read (`/tag_search`, `/ticket_history`, `/links`, `/mentions`,
//! `/tickets/search`), typed.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(unused_imports)]
use super::codec::JsonText;

/// One entry of a ticket's history as the history dialog shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub id: i64,
    /// Who made the change (name, else login or address).
    pub who: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// What happened, e.g. "changed state", "added tag".
    pub action: String,
    /// The value before the change, if it had one.
    pub from: Option<String>,
    /// The value after the change (or the tag, the other ticket).
    pub to: Option<String>,
}

/// A ticket linked to the one in view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedTicket {
    /// `normal`, `parent` (the linked ticket is this one's parent) or `child`.
    pub link_type: String,
    pub id: i64,
    pub number: String,
    pub title: String,
    pub state: String,
}

/// A ticket in the sidebar's "other open tickets" lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketBrief {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub state: String,
}

/// An agent the composer's `@` list offers (`mention_candidates`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentionCandidate {
    pub id: i64,
    /// First and last name (else the address or login): the mention link's text.
    pub name: String,
    pub email: String,
}

/// The customer's and the organisation's other open tickets (the organisation's without the
/// customer's own; empty without an organisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct OtherTickets {
    pub customer: Vec<TicketBrief>,
    pub organization: Vec<TicketBrief>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use domain::accounts::users::UserRecord;
    use domain::tickets::history::HistoryRecord;

    /// Whom the `@` list is for: an existing ticket, or a ticket being created in a group.
    pub enum MentionScope {
        Ticket(i64),
        Group(i64),
    }

    /// The `@` list: the agents the domain offers for `scope` (`mentions::candidates` /
    /// `group_candidates`), at most 10.
    pub async fn mention_list(
        scope: MentionScope,
        query: String,
    ) -> Result<Vec<super::MentionCandidate>, leptos::prelude::ServerFnError> {
        use crate::session::server::as_actor;
        use domain::tickets::mentions;
        as_actor(|actor, ctx| async move {
            let mut conn = ctx.store.read().await?;
            let agents = match scope {
                MentionScope::Ticket(id) => {
                    mentions::candidates(&mut conn, &actor, id, &query, 10).await?
                }
                MentionScope::Group(id) => {
                    mentions::group_candidates(&mut conn, &actor, id, &query, 10).await?
                }
            };
            Ok(agents
                .into_iter()
                .map(|agent| super::MentionCandidate {
                    id: agent.id,
                    name: agent.fullname(),
                    email: agent.email,
                })
                .collect())
        })
        .await
    }

    /// A person's name as the web app shows it: first and last name, else login or address.
    pub fn name_of(user: &UserRecord) -> String {
        let name = format!("{} {}", user.firstname, user.lastname);
        let name = name.trim();
        if !name.is_empty() {
            name.to_string()
        } else if !user.email.is_empty() {
            user.email.clone()
        } else {
            user.login.clone()
        }
    }

    /// What a history entry says, `(action, from, to)`; `number` names another ticket by id.
    pub fn describe(
        h: &HistoryRecord,
        number: impl Fn(Option<i64>) -> Option<String>,
    ) -> (String, Option<String>, Option<String>) {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let attribute = h
            .attribute
            .as_deref()
            .unwrap_or("")
            .replace('_', " ")
            .trim()
            .to_string();
        match (h.history_type.as_str(), h.history_object.as_str()) {
            ("created", "Ticket") => ("created the ticket".into(), None, None),
            ("created", "Ticket::Article") => ("added an article".into(), None, None),
            ("created", "Ticket::SharedDraftZoom") => {
                ("started the shared draft".into(), None, None)
            }
            ("updated", "Ticket::SharedDraftZoom") => {
                ("changed the shared draft".into(), None, None)
            }
            ("added", "Tag") => ("added tag".into(), None, given(&h.value_to)),
            ("removed", "Tag") => ("removed tag".into(), given(&h.value_to), None),
            ("merged_into", _) => ("merged this ticket into".into(), None, number(h.id_to)),
            ("received_merge", _) => ("merged into this ticket".into(), number(h.id_from), None),
            ("updated", _) if !attribute.is_empty() => (
                format!("changed {attribute}"),
                given(&h.value_from),
                given(&h.value_to),
            ),
            (kind, object) => (
                format!("{kind} {}", object.to_lowercase()),
                given(&h.value_from),
                given(&h.value_to),
            ),
        }
    }
}

/// Existing tag names containing `term` (any case; without a term the most used), at most
/// 10: the suggestions of the sidebar's tag input (the domain read of `/tag_search`).
#[server(output = JsonText)]
pub async fn tag_suggestions(term: String) -> Result<Vec<String>, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let found = domain::tickets::tag_list::search_names(&mut conn, &actor, &term, 10).await?;
        Ok(found.into_iter().map(|(_, name)| name).collect())
    })
    .await
}

/// Adds (`add`) or removes a tag of a ticket: `Desk::change_tag`, as `/tags/add` and
/// `/tags/remove` (agents with change access; open tabs hear of it).
#[server]
pub async fn change_ticket_tag(
    ticket_id: i64,
    name: String,
    add: bool,
) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move { ctx.desk.change_tag(&actor, ticket_id, &name, add).await })
        .await
}

/// Forwarding an e-mail article: its attached files (not its inline images) copied into the
/// reply's upload cache `form_id`, returned as the composer's chips. The domain use case of
/// `POST /ticket_attachment_upload_clone_by_article/{article_id}`; a second call copies
/// nothing twice.
#[server(output = JsonText)]
pub async fn forward_attachments(
    article_id: i64,
    form_id: String,
) -> Result<Vec<super::UploadedFile>, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let copies = ctx
            .desk
            .clone_article_attachments(&actor, article_id, &form_id)
            .await?;
        Ok(copies
            .into_iter()
            .map(|f| super::UploadedFile {
                id: f.id,
                filename: f.filename,
                size: f.size,
                content_type: f.mime_type,
            })
            .collect())
    })
    .await
}

/// The ticket's history, oldest first (the domain read of `/ticket_history/{id}`; agents).
#[server(output = JsonText)]
pub async fn ticket_history(ticket_id: i64) -> Result<Vec<HistoryItem>, ServerFnError> {
    use crate::session::server::as_actor;
    use std::collections::HashMap;
    as_actor(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let entries = domain::tickets::history::entries(&mut conn, &actor, ticket_id).await?;
        let mut author_ids: Vec<i64> = entries.iter().map(|h| h.created_by_id).collect();
        author_ids.sort_unstable();
        author_ids.dedup();
        let authors: HashMap<i64, String> =
            domain::accounts::users::find_many(&mut conn, &author_ids)
                .await?
                .iter()
                .map(|u| (u.id, ssr::name_of(u)))
                .collect();
        // the other tickets of merges, by number
        let mut numbers = HashMap::new();
        for h in &entries {
            if matches!(h.history_type.as_str(), "merged_into" | "received_merge") {
                for id in [h.id_from, h.id_to].into_iter().flatten() {
                    if let std::collections::hash_map::Entry::Vacant(slot) = numbers.entry(id)
                        && let Ok(t) = domain::tickets::find(&mut conn, id).await
                    {
                        slot.insert(t.number);
                    }
                }
            }
        }
        Ok(entries
            .iter()
            .map(|h| {
                let (action, from, to) = ssr::describe(h, |id| {
                    id.map(|id| {
                        numbers
                            .get(&id)
                            .map(|n| format!("#{n}"))
                            .unwrap_or_else(|| format!("ticket {id}"))
                    })
                });
                HistoryItem {
                    id: h.id,
                    who: authors.get(&h.created_by_id).cloned().unwrap_or_default(),
                    at: h.created_at.clone(),
                    action,
                    from,
                    to,
                }
            })
            .collect())
    })
    .await
}

/// Merges the ticket into the ticket numbered `target_number` (`Desk::merge_tickets`, as
/// `/ticket_merge`); answers the target's id.
#[server]
pub async fn merge_ticket(ticket_id: i64, target_number: String) -> Result<i64, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let number = target_number.trim().trim_start_matches('#').to_string();
        if number.is_empty() {
            return Err(domain::Error::unprocessable(
                "Enter the number of the ticket to merge into.",
            ));
        }
        match ctx.desk.merge_tickets(&actor, ticket_id, &number).await? {
            Some((target, _)) => Ok(target.id),
            None => Err(domain::Error::unprocessable(format!(
                "There is no ticket with the number {number}."
            ))),
        }
    })
    .await
}

/// The tickets linked to this one that the caller may read (the domain read of `/links`).
#[server(output = JsonText)]
pub async fn ticket_links(ticket_id: i64) -> Result<Vec<LinkedTicket>, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let linked = domain::tickets::links::readable(&mut conn, &actor, ticket_id).await?;
        let mut out = Vec::new();
        for (link, record) in linked {
            let state = domain::tickets::states::find(&mut conn, record.state_id)
                .await
                .map(|s| s.name)
                .unwrap_or_default();
            out.push(LinkedTicket {
                link_type: link.link_type,
                id: record.id,
                number: record.number,
                title: record.title,
                state,
            });
        }
        Ok(out)
    })
    .await
}

/// Links the ticket numbered `other_number` to this one as `link_type` (`normal`; `parent`:
/// the other ticket becomes this one's parent; `child`), through `Desk::change_link` as
/// `/links/add`.
#[server]
pub async fn add_ticket_link(
    ticket_id: i64,
    link_type: String,
    other_number: String,
) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    use domain::desk::LinkEnd;
    as_actor(|actor, ctx| async move {
        let number = other_number.trim().trim_start_matches('#').to_string();
        if number.is_empty() {
            return Err(domain::Error::unprocessable(
                "Enter the number of the ticket to link.",
            ));
        }
        // stored from the other ticket (the source) to this one: its type as the source reads it
        let stored = domain::tickets::links::reversed(&link_type).to_string();
        ctx.desk
            .change_link(&actor, true, &stored, LinkEnd::Number(&number), ticket_id)
            .await
    })
    .await
}

/// Removes the link between this ticket and `other_id` (`Desk::change_link`, as
/// `/links/remove`).
#[server]
pub async fn remove_ticket_link(ticket_id: i64, other_id: i64) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    use domain::desk::LinkEnd;
    as_actor(|actor, ctx| async move {
        ctx.desk
            .change_link(&actor, false, "normal", LinkEnd::Id(other_id), ticket_id)
            .await
    })
    .await
}

/// The caller's subscription to the ticket: the id of the mention of themselves, if any
/// (the domain read of `/mentions`).
#[server]
pub async fn my_subscription(ticket_id: i64) -> Result<Option<i64>, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let rows = domain::tickets::mentions::rows(&mut conn, &actor, ticket_id).await?;
        Ok(rows
            .iter()
            .find(|(_, _, user_id, ..)| *user_id == actor.id)
            .map(|(id, ..)| *id))
    })
    .await
}

/// Subscribes the caller to the ticket (`Desk::create_mention`, as `POST /mentions`); answers
/// the mention's id.
#[server]
pub async fn subscribe_ticket(ticket_id: i64) -> Result<i64, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let (id, ..) = ctx.desk.create_mention(&actor, ticket_id, None).await?;
        Ok(id)
    })
    .await
}

/// Ends the caller's subscription `mention_id` (`Desk::delete_mention`, as
/// `DELETE /mentions/{id}`).
#[server]
pub async fn unsubscribe_ticket(mention_id: i64) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move { ctx.desk.delete_mention(&actor, mention_id).await }).await
}

/// The agents the caller may mention on the ticket (active agents with access to its group)
/// whose name or e-mail address contains `query`, by name, at most 10: the composer's `@` list
/// (`domain::tickets::mentions::candidates`; agents of the ticket's group only). The article
/// that carries the mention is checked again when it is stored.
#[server(output = JsonText)]
pub async fn mention_candidates(
    ticket_id: i64,
    query: String,
) -> Result<Vec<MentionCandidate>, ServerFnError> {
    ssr::mention_list(ssr::MentionScope::Ticket(ticket_id), query).await
}

/// [`mention_candidates`] on the new-ticket form, before the ticket exists: the agents of the
/// chosen group (`domain::tickets::mentions::group_candidates`).
#[server(output = JsonText)]
pub async fn group_mention_candidates(
    group_id: i64,
    query: String,
) -> Result<Vec<MentionCandidate>, ServerFnError> {
    ssr::mention_list(ssr::MentionScope::Group(group_id), query).await
}

/// The other open tickets (new, open, pending) of the ticket's customer and organisation that
/// the caller may read, newest first, at most 10 each (the domain's ticket search, as
/// `/tickets/search?query=customer_id:…`).
#[server(output = JsonText)]
pub async fn other_open_tickets(ticket_id: i64) -> Result<OtherTickets, ServerFnError> {
    use crate::session::server::as_actor;
    use domain::search::overviews;
    as_actor(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let (record, _) = domain::tickets::load_readable(&mut conn, &actor, ticket_id).await?;
        let page = domain::storage::paging::Page {
            page: 1,
            per_page: 100,
        };
        let open = |r: &overviews::Row| {
            r.id != ticket_id
                && matches!(
                    r.state_type.as_str(),
                    "new" | "open" | "pending reminder" | "pending action"
                )
        };
        let brief = |r: overviews::Row| TicketBrief {
            id: r.id,
            number: r.number,
            title: r.title,
            state: r.state,
        };
        let newest_first = |mut rows: Vec<overviews::Row>| {
            rows.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
            rows
        };
        let (rows, _) = overviews::search(
            &mut conn,
            &actor,
            &format!(
                "customer_id:{} AND NOT state.name:closed AND NOT state.name:merged",
                record.customer_id
            ),
            page,
        )
        .await?;
        let customer: Vec<TicketBrief> = newest_first(rows)
            .into_iter()
            .filter(open)
            .take(10)
            .map(brief)
            .collect();
        let organization = match record.organization_id {
            Some(org) if actor.is_agent() => {
                let (rows, _) = overviews::search(
                    &mut conn,
                    &actor,
                    &format!(
                        "organization_id:{org} AND NOT state.name:closed AND NOT state.name:merged"
                    ),
                    page,
                )
                .await?;
                newest_first(rows)
                    .into_iter()
                    .filter(|r| open(r) && r.customer_id != record.customer_id)
                    .take(10)
                    .map(brief)
                    .collect()
            }
            _ => Vec::new(),
        };
        Ok(OtherTickets {
            customer,
            organization,
        })
    })
    .await
}

/// The addresses Tandem sends from (lower-case), which a Reply all leaves out (agents; as
/// Zammad's article actions leave out its own `EmailAddress` records).
#[server]
pub async fn own_addresses() -> Result<Vec<String>, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        if !actor.is_agent() {
            return Err(domain::Error::not_authorized());
        }
        let mut conn = ctx.store.read().await?;
        Ok(domain::mail::addresses::all_emails(&mut conn)
            .await?
            .into_iter()
            .map(|a| a.trim().to_lowercase())
            .collect())
    })
    .await
}
