//! Ticket server functions: lists, the ticket view, replies with sidebar changes, new
//! tickets and deletion. Reads go through the domain's overviews and `tickets::show`; writes
//! through `domain::desk::Desk`, exactly like `POST/PUT/DELETE /api/v1/tickets`.

use leptos::prelude::*;

use super::{ArticlePage, NewTicket, NewTicketOptions, TicketChanges, TicketList, TicketZoom};
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[allow(unused_imports)]
use super::codec::JsonText;

#[cfg(feature = "ssr")]
mod ssr {
    use domain::Actor;
    use domain::policy::access::AccessLevel;
    use domain::search::overviews::{Overview, Row};
    use leptos::prelude::ServerFnError;
    use std::collections::HashMap;

    use domain::accounts::users::UserRecord;
    use domain::tickets::articles::ThreadArticle;
    use domain::tickets::input;
    use serde_json::{Map, Value};

    use crate::api::{
        Abilities, ArticleView, AttachmentView, Choice, Delivery, NewReply, OverviewTab, Person,
        TicketChanges, TicketRow, TicketZoom,
    };

    pub fn row(r: Row) -> TicketRow {
        TicketRow {
            id: r.id,
            number: r.number,
            title: r.title,
            state: r.state,
            state_type: r.state_type,
            priority: r.priority,
            priority_id: r.priority_id,
            group: r.group_name,
            owner: r.owner_name,
            customer: r.customer_name,
            organization: r.organization,
            updated_at: r.updated_at,
        }
    }

    pub fn tab(o: Overview, count: i64, customer: bool) -> OverviewTab {
        let (key, label) = match o {
            Overview::Mine => ("mine", "My tickets"),
            Overview::Unassigned => ("unassigned", "Unassigned & open"),
            Overview::Open if customer => ("open", "Open"),
            Overview::Open => ("open", "All open"),
            Overview::Pending => ("pending", "Pending"),
            Overview::Closed => ("closed", "Closed"),
            Overview::All => ("all", "All my tickets"),
        };
        OverviewTab {
            key: key.into(),
            label: label.into(),
            count,
        }
    }

    /// A person's name as the web app shows it: first and last name, else the address.
    fn name_of(user: &UserRecord) -> String {
        let name = format!("{} {}", user.firstname, user.lastname);
        let name = name.trim();
        if name.is_empty() {
            user.email.clone()
        } else {
            name.to_string()
        }
    }

    /// Plain text bodies: escaped, one paragraph per blank-line block, line breaks kept.
    pub fn plain_to_html(body: &str) -> String {
        let escape = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        body.split("\n\n")
            .filter(|p| !p.trim().is_empty())
            .map(|p| format!("<p>{}</p>", escape(p.trim_end()).replace('\n', "<br>")))
            .collect()
    }

    fn attachments(a: &ThreadArticle) -> Vec<AttachmentView> {
        let (ticket_id, article_id) = (a.record.ticket_id, a.record.id);
        a.attachments
            .iter()
            .map(|f| {
                let url = format!(
                    "/api/v1/ticket_attachment/{ticket_id}/{article_id}/{}",
                    f.id
                );
                let image = matches!(
                    f.mime_type.as_str(),
                    "image/png" | "image/jpeg" | "image/gif" | "image/webp"
                );
                AttachmentView {
                    id: f.id,
                    filename: f.filename.clone(),
                    size: f.size,
                    preview_url: image.then(|| format!("{url}?view=preview")),
                    inline: f.inline != 0 || f.content_id.is_some(),
                    url,
                    content_type: f.mime_type.clone(),
                }
            })
            .collect()
    }

    /// An agent's public e-mail article: its delivery state from the preferences the mail
    /// worker writes (agents only; customers see the message, not its delivery).
    pub fn delivery(
        kind: &str,
        sender: &str,
        internal: bool,
        preferences: &Map<String, Value>,
        agent: bool,
    ) -> Option<Delivery> {
        let outgoing = kind == "email" && sender == "Agent" && !internal;
        if !agent || !outgoing {
            return None;
        }
        let text = |key: &str| {
            preferences
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
        };
        Some(Delivery {
            status: text("delivery_status"),
            message: text("delivery_status_message"),
            date: text("delivery_status_date"),
            will_retry: preferences
                .get("delivery_will_retry")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    fn article(a: &ThreadArticle, authors: &HashMap<i64, UserRecord>, agent: bool) -> ArticleView {
        let r = &a.record;
        let body_html = if r.content_type == "text/html" {
            r.body.clone() // sanitised with ammonia when it was stored
        } else {
            plain_to_html(&r.body)
        };
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let author = authors
            .get(&r.created_by_id)
            .map(name_of)
            .or_else(|| given(&r.from_address))
            .unwrap_or_default();
        // the preferences are opaque to Tandem: only the mail worker's delivery keys are read
        let preferences: Map<String, Value> =
            serde_json::from_str(&r.preferences).unwrap_or_default();
        ArticleView {
            id: r.id,
            sender: a.sender.clone(),
            kind: a.article_type.clone(),
            internal: r.internal != 0,
            author,
            from: given(&r.from_address),
            to: given(&r.to_address),
            cc: given(&r.cc),
            subject: given(&r.subject),
            body_html,
            created_at: r.created_at.clone(),
            attachments: attachments(a),
            delivery: delivery(
                &a.article_type,
                &a.sender,
                r.internal != 0,
                &preferences,
                agent,
            ),
        }
    }

    /// A page of the thread of a ticket the caller may read (see
    /// [`domain::tickets::articles::thread_page`]): its articles as the web app shows them,
    /// and how many are older.
    pub async fn thread(
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        record: &domain::tickets::TicketRecord,
        before: Option<i64>,
        limit: usize,
    ) -> domain::Result<(Vec<ArticleView>, i64)> {
        let (page, older) =
            domain::tickets::articles::thread_page(conn, actor, record, before, limit).await?;
        let author_ids: Vec<i64> = page.iter().map(|a| a.record.created_by_id).collect();
        let authors: HashMap<i64, UserRecord> =
            domain::accounts::users::find_many(conn, &author_ids)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect();
        let agent = actor.has_group_access(record.group_id, AccessLevel::Read);
        Ok((
            page.iter().map(|a| article(a, &authors, agent)).collect(),
            older,
        ))
    }

    /// The signed-in caller's [`zoom`] of a ticket, as a server function answers it.
    pub async fn caller_zoom(id: i64) -> Result<TicketZoom, leptos::prelude::ServerFnError> {
        use crate::session::server::as_actor;
        as_actor(|actor, ctx| async move {
            let mut conn = ctx.store.read().await?;
            zoom(&mut conn, &actor, id).await
        })
        .await
    }

    /// The ticket view: the ticket, the newest [`crate::api::THREAD_TAIL`] articles of its
    /// thread, the sidebar's choices and what the caller may do.
    pub async fn zoom(
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        id: i64,
    ) -> domain::Result<TicketZoom> {
        let (record, facts) = domain::tickets::load_readable(conn, actor, id).await?;
        let agent = actor.has_group_access(record.group_id, AccessLevel::Read);
        let (articles, earlier) =
            thread(conn, actor, &record, None, crate::api::THREAD_TAIL).await?;
        let customer = domain::accounts::users::find(conn, record.customer_id).await?;
        // of other users, customers see only names (Zammad's filter_unauthorized_attributes)
        let contact = agent || record.customer_id == actor.id;
        let organization = match record.organization_id {
            Some(o) => Some(domain::accounts::organizations::find(conn, o).await?.name)
                .filter(|n| !n.is_empty()),
            None => None,
        };
        let tags = if agent {
            domain::tickets::tag_names(conn, id).await?
        } else {
            Vec::new()
        };

        let change = domain::policy::can_change_ticket(actor, &facts);
        let assign = actor.has_group_access(record.group_id, AccessLevel::Full);
        let state = domain::tickets::states::find(conn, record.state_id).await?;
        let priority = domain::tickets::priorities::find(conn, record.priority_id).await?;
        let group = domain::accounts::groups::find(conn, record.group_id).await?;
        use crate::api::choices::server::{
            changeable_groups, priority_choices, settable_states, state_choices,
        };
        let all_states: Vec<_> = settable_states(conn)
            .await?
            .into_iter()
            // customers choose between closing and reopening (Zammad's customer form)
            .filter(|s| agent || matches!(s.name.as_str(), "open" | "closed" | "new"))
            .collect();
        let mut pending_state_ids: Vec<i64> = all_states
            .iter()
            .filter(|s| s.is_pending())
            .map(|s| s.id)
            .collect();
        if state.is_pending() && !pending_state_ids.contains(&state.id) {
            pending_state_ids.push(state.id);
        }
        let states = state_choices(all_states);
        let priorities = priority_choices(conn).await?;
        let groups = if agent {
            changeable_groups(conn, actor).await?
        } else {
            Vec::new()
        };
        let owners = if assign {
            domain::tickets::owner_candidates(conn, record.group_id)
                .await?
                .into_iter()
                .map(|(id, name)| Choice { id, name })
                .collect()
        } else {
            Vec::new()
        };
        let pending_time = if state.is_pending() {
            record.pending_time.clone().filter(|t| !t.is_empty())
        } else {
            None
        };
        let owner = if record.owner_id == domain::accounts::users::SYSTEM_USER_ID {
            String::new()
        } else {
            name_of(&domain::accounts::users::find(conn, record.owner_id).await?)
        };
        Ok(TicketZoom {
            id,
            number: record.number.clone(),
            title: record.title.clone(),
            state_id: record.state_id,
            state: state.name,
            priority_id: record.priority_id,
            priority: priority.name,
            group_id: record.group_id,
            group: group.name,
            owner_id: record.owner_id,
            owner,
            customer: Person {
                id: record.customer_id,
                name: name_of(&customer),
                email: if contact {
                    customer.email.clone()
                } else {
                    String::new()
                },
                phone: if contact {
                    customer.phone.clone()
                } else {
                    String::new()
                },
                organization,
            },
            tags,
            created_at: record.created_at.clone(),
            updated_at: record.updated_at.clone(),
            articles,
            earlier,
            states,
            priorities,
            groups,
            owners,
            pending_state_ids,
            pending_time,
            can: Abilities {
                agent,
                change,
                assign,
                delete: domain::policy::authorize_delete_ticket(actor, &facts).is_ok(),
                shared_draft: domain::policy::can_use_shared_draft(actor, record.group_id)
                    && group.shared_drafts != 0,
                watch_draft: !change
                    && domain::policy::can_watch_shared_draft(actor, &facts)
                    && group.shared_drafts != 0,
            },
        })
    }

    /// The article the reply form describes: agents write notes, calls and e-mails, customers
    /// write on the web.
    fn article_input(reply: &NewReply, agent: bool) -> input::ArticleInput {
        let kind = if agent {
            match reply.kind.as_str() {
                "email" | "phone" => reply.kind.as_str(),
                _ => "note",
            }
        } else {
            "web"
        };
        let email = agent && kind == "email";
        let subject = reply.subject.trim();
        input::ArticleInput {
            article_type: Some(input::Ref::Name(kind.to_string())),
            internal: Some(agent && reply.internal),
            body: Some(reply.body_html.clone()),
            content_type: Some("text/html".into()),
            form_id: Some(reply.form_id.clone()),
            to: email.then(|| reply.to.clone()),
            cc: email.then(|| reply.cc.clone()),
            subject: (email && !subject.is_empty()).then(|| subject.to_string()),
            ..Default::default()
        }
    }

    /// The ticket changes the ticket view sends.
    pub fn ticket_changes(changes: &TicketChanges, agent: bool) -> input::TicketChanges {
        input::TicketChanges {
            title: changes.title.clone(),
            state: changes.state_id.map(input::Ref::Id),
            priority: changes.priority_id.map(input::Ref::Id),
            group: changes.group_id.map(input::Ref::Id),
            owner: changes.owner_id.map(input::UserRef::Id),
            pending_time: changes
                .pending_time
                .as_deref()
                .map(str::trim)
                .filter(|at| !at.is_empty())
                .map(String::from),
            article: changes
                .article
                .as_ref()
                .map(|reply| article_input(reply, agent)),
            ..Default::default()
        }
    }

    /// The new ticket the new-ticket form describes.
    pub fn new_ticket(ticket: &crate::api::NewTicket, agent: bool) -> input::TicketChanges {
        let reply = NewReply {
            kind: ticket.kind.clone(),
            internal: false,
            body_html: ticket.body_html.clone(),
            form_id: ticket.form_id.clone(),
            ..Default::default()
        };
        let customer = if !agent {
            None
        } else if ticket.customer_id > 0 {
            Some(input::CustomerRef::User(input::UserRef::Id(
                ticket.customer_id,
            )))
        } else {
            // an existing user with this address, else a new customer with this name
            Some(input::CustomerRef::Details {
                email: ticket.customer_email.trim().to_string(),
                firstname: ticket.customer_firstname.trim().to_string(),
                lastname: ticket.customer_lastname.trim().to_string(),
            })
        };
        input::TicketChanges {
            title: Some(ticket.title.clone()),
            group: Some(input::Ref::Id(ticket.group_id)),
            customer,
            article: Some(article_input(&reply, agent)),
            ..Default::default()
        }
    }

    pub fn bad_input(message: &str) -> ServerFnError {
        ServerFnError::new(message.to_string())
    }
}

/// A page of an overview (`overview`: mine, unassigned, open, pending, closed; customers: all,
/// open, closed) or, with a `query`, of search results.
#[server(output = JsonText)]
pub async fn list_tickets(
    overview: String,
    sort: String,
    descending: bool,
    page: i64,
    query: String,
    own_only: bool,
) -> Result<TicketList, ServerFnError> {
    use crate::session::server::{actor, context, fail};
    use domain::search::overviews::{self, ListRequest, Overview, Whose};
    let actor = actor().await?;
    let ctx = context()?;
    let page = domain::storage::paging::Page {
        page: page.max(1),
        per_page: 25,
    };
    let mut conn = match ctx.store.read().await {
        Ok(c) => c,
        Err(e) => return Err(fail(e).await),
    };
    let customer = actor.is_customer() && !actor.is_agent();
    let counts = match overviews::counts(&mut conn, &actor).await {
        Ok(c) => c,
        Err(e) => return Err(fail(e).await),
    };
    let tabs = counts
        .into_iter()
        .map(|(o, n)| ssr::tab(o, n, customer))
        .collect();
    if query.trim().is_empty() && overview == "search" {
        // an empty search: the tabs and a hint, no list
        return Ok(TicketList {
            tabs,
            rows: Vec::new(),
            total: 0,
            page: 1,
            per_page: page.per_page,
        });
    }
    let result = if query.trim().is_empty() {
        let Some(overview) = Overview::parse(&overview) else {
            return Err(fail(domain::Error::unprocessable("Unknown overview.")).await);
        };
        let request = ListRequest {
            overview,
            whose: if own_only {
                Whose::Own
            } else {
                Whose::Everyone
            },
            sort: if sort.is_empty() {
                "updated".into()
            } else {
                sort
            },
            descending,
            page,
        };
        overviews::list(&mut conn, &actor, &request).await
    } else {
        overviews::search(&mut conn, &actor, query.trim(), page).await
    };
    let (rows, total) = match result {
        Ok(r) => r,
        Err(e) => return Err(fail(e).await),
    };
    let customer_ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    let mut rows: Vec<_> = rows.into_iter().map(ssr::row).collect();
    // a customer without a name (created from a bare address) shows as their e-mail address
    let mut emails = std::collections::HashMap::new();
    for (row, customer_id) in rows.iter_mut().zip(customer_ids) {
        if !row.customer.trim().is_empty() {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = emails.entry(customer_id) {
            let email = match domain::accounts::users::find(&mut conn, customer_id).await {
                Ok(u) => u.email,
                Err(_) => String::new(),
            };
            slot.insert(email);
        }
        row.customer = emails[&customer_id].clone();
    }
    Ok(TicketList {
        tabs,
        rows,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// The ticket view: ticket, the newest articles of its visible thread, sidebar choices and
/// abilities.
#[server(output = JsonText)]
pub async fn show_ticket(id: i64) -> Result<TicketZoom, ServerFnError> {
    ssr::caller_zoom(id).await
}

/// Older articles of a ticket's thread: the [`crate::api::THREAD_PAGE`] articles before the
/// article `before` (oldest first), and how many are older still.
#[server(output = JsonText)]
pub async fn earlier_articles(id: i64, before: i64) -> Result<ArticlePage, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let (record, _) = domain::tickets::load_readable(&mut conn, &actor, id).await?;
        let (articles, earlier) = ssr::thread(
            &mut conn,
            &actor,
            &record,
            Some(before),
            crate::api::THREAD_PAGE,
        )
        .await?;
        Ok(ArticlePage { articles, earlier })
    })
    .await
}

/// Sidebar changes and an optional reply, in one request (one transaction).
#[server(input = Json)]
pub async fn update_ticket(id: i64, changes: TicketChanges) -> Result<(), ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = actor().await?;
    let ctx = context()?;
    if let Some(reply) = &changes.article
        && reply.body_html.len() > 10 * 1024 * 1024
    {
        return Err(fail(domain::Error::PayloadTooLarge(
            "The reply is too large.".into(),
        ))
        .await);
    }
    let request = ssr::ticket_changes(&changes, actor.is_agent());
    if !request.sets_fields() && request.article.is_none() {
        return Err(ssr::bad_input("Nothing to save."));
    }
    let from_draft = changes
        .article
        .as_ref()
        .is_some_and(|a| a.from_shared_draft);
    let result = if from_draft {
        ctx.desk.send_live_draft(&actor, id, &request).await
    } else {
        ctx.desk.update_ticket(&actor, id, &request).await
    };
    match result {
        Ok(_) => Ok(()),
        Err(e) => Err(fail(e).await),
    }
}

/// Admins: deletes the ticket with its thread and files.
#[server]
pub async fn delete_ticket(id: i64) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move { ctx.desk.delete_ticket(&actor, id).await }).await
}

/// Creates a ticket with its first article; answers the new ticket's id.
#[server(input = Json)]
pub async fn create_ticket(ticket: NewTicket) -> Result<i64, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let request = ssr::new_ticket(&ticket, actor.is_agent());
        Ok(ctx.desk.create_ticket(&actor, request).await?.ticket.id)
    })
    .await
}

/// The groups the caller may open a ticket in.
#[server(output = JsonText)]
pub async fn ticket_form_options() -> Result<NewTicketOptions, ServerFnError> {
    use crate::api::Choice;
    use crate::session::server::as_actor;
    use domain::policy::access::AccessLevel;
    as_actor(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let agent = actor.is_agent();
        let ids = if agent {
            actor.groups_with(AccessLevel::Create)
        } else {
            match domain::accounts::groups::customer_create_group_ids(&mut conn).await? {
                Some(ids) => ids,
                None => {
                    sqlx::query_scalar("SELECT id FROM groups WHERE active = 1 ORDER BY name")
                        .fetch_all(&mut *conn)
                        .await?
                }
            }
        };
        let mut groups = Vec::new();
        for id in ids {
            let g = domain::accounts::groups::find(&mut conn, id).await?;
            if g.active != 0 {
                groups.push(Choice {
                    id: g.id,
                    name: g.name,
                });
            }
        }
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(NewTicketOptions { groups, agent })
    })
    .await
}

/// Discards the ticket's shared reply draft (its editors are told and start empty).
#[server]
pub async fn discard_shared_draft(id: i64) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        ctx.desk.discard_shared_draft(&actor, id).await?;
        Ok(())
    })
    .await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use serde_json::json;

    use super::ssr::delivery;

    fn label(preferences: serde_json::Value) -> (&'static str, String) {
        let preferences = preferences.as_object().cloned().unwrap_or_default();
        delivery("email", "Agent", false, &preferences, true)
            .expect("an outgoing e-mail")
            .label()
    }

    #[test]
    fn an_outgoing_email_shows_what_became_of_it() {
        assert_eq!(label(json!({})), ("pending", "Sending…".into()));
        assert_eq!(
            label(json!({"delivery_status": "success", "delivery_status_message": null})),
            ("sent", "Sent".into())
        );
        assert_eq!(
            label(
                json!({"delivery_status": "fail", "delivery_status_message": "421 busy", "delivery_will_retry": true})
            ),
            ("retrying", "Delivery failed, retrying: 421 busy".into())
        );
        assert_eq!(
            label(
                json!({"delivery_status": "fail", "delivery_status_message": "550 no such user", "delivery_will_retry": false})
            ),
            ("failed", "Not delivered: 550 no such user".into())
        );
        // sending off: the domain's message, never retried
        assert_eq!(
            label(
                json!({"delivery_status": "fail", "delivery_status_message": "E-mail sending is off: TANDEM_SMTP_URL is not set."})
            ),
            (
                "failed",
                "Not delivered: E-mail sending is off: TANDEM_SMTP_URL is not set.".into()
            )
        );
        assert_eq!(
            label(json!({"delivery_status": "delayed", "delivery_status_message": "mailbox full"})),
            ("bounced", "Bounced: mailbox full".into())
        );
    }

    #[test]
    fn only_agents_see_the_delivery_of_agents_public_emails() {
        let none = serde_json::Map::new();
        assert!(delivery("email", "Agent", false, &none, true).is_some());
        assert!(
            delivery("email", "Agent", false, &none, false).is_none(),
            "customers do not"
        );
        assert!(delivery("email", "Agent", true, &none, true).is_none());
        assert!(delivery("email", "Customer", false, &none, true).is_none());
        assert!(delivery("note", "Agent", false, &none, true).is_none());
    }
}
