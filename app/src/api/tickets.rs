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
    use serde_json::{Value, json};

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

    fn text(v: &Value, key: &str) -> String {
        v[key].as_str().unwrap_or_default().to_string()
    }

    fn opt_text(v: &Value, key: &str) -> Option<String> {
        v[key]
            .as_str()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
    }

    fn name_of(user: &Value) -> String {
        let name = format!("{} {}", text(user, "firstname"), text(user, "lastname"));
        let name = name.trim();
        if name.is_empty() {
            text(user, "email")
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

    fn attachments(ticket_id: i64, a: &Value) -> Vec<AttachmentView> {
        let article_id = a["id"].as_i64().unwrap_or_default();
        a["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                let id = f["id"].as_i64().unwrap_or_default();
                let content_type = f["preferences"]["Content-Type"]
                    .as_str()
                    .unwrap_or("application/octet-stream")
                    .to_string();
                let url = format!("/api/v1/ticket_attachment/{ticket_id}/{article_id}/{id}");
                let image = matches!(
                    content_type.as_str(),
                    "image/png" | "image/jpeg" | "image/gif" | "image/webp"
                );
                AttachmentView {
                    id,
                    filename: text(f, "filename"),
                    size: text(f, "size").parse().unwrap_or_default(),
                    preview_url: image.then(|| format!("{url}?view=preview")),
                    inline: f["preferences"]["Content-Disposition"] == "inline"
                        || f["preferences"].get("Content-ID").is_some(),
                    url,
                    content_type,
                }
            })
            .collect()
    }

    /// An agent's public e-mail article: its delivery state from the preferences the mail
    /// worker writes (agents only; customers see the message, not its delivery).
    pub fn delivery(a: &Value, agent: bool) -> Option<Delivery> {
        let outgoing = a["type"] == "email" && a["sender"] == "Agent" && a["internal"] != true;
        if !agent || !outgoing {
            return None;
        }
        let p = &a["preferences"];
        Some(Delivery {
            status: opt_text(p, "delivery_status"),
            message: opt_text(p, "delivery_status_message"),
            date: opt_text(p, "delivery_status_date"),
            will_retry: p["delivery_will_retry"].as_bool().unwrap_or(false),
        })
    }

    fn article(ticket_id: i64, a: &Value, users: &Value, agent: bool) -> ArticleView {
        let body = text(a, "body");
        let body_html = if a["content_type"] == "text/html" {
            body // sanitised with ammonia when it was stored
        } else {
            plain_to_html(&body)
        };
        let author = a["created_by_id"]
            .as_i64()
            .map(|id| &users[id.to_string()])
            .filter(|u| u.is_object())
            .map(name_of)
            .or_else(|| opt_text(a, "from"))
            .unwrap_or_default();
        ArticleView {
            id: a["id"].as_i64().unwrap_or_default(),
            sender: text(a, "sender"),
            kind: text(a, "type"),
            internal: a["internal"].as_bool().unwrap_or(false),
            author,
            from: opt_text(a, "from"),
            to: opt_text(a, "to"),
            cc: opt_text(a, "cc"),
            subject: opt_text(a, "subject"),
            body_html,
            created_at: text(a, "created_at"),
            attachments: attachments(ticket_id, a),
            delivery: delivery(a, agent),
        }
    }

    /// The ticket view from the same zoom bundle `GET /tickets/{id}?all=true` returns.
    /// The signed-in caller's [`zoom`] of a ticket, as a server function answers it.
    pub async fn caller_zoom(id: i64) -> Result<TicketZoom, leptos::prelude::ServerFnError> {
        use crate::session::server::{actor, context, run};
        let actor = actor().await?;
        let ctx = context()?;
        run(async {
            let mut conn = ctx.store.read().await?;
            zoom(&mut conn, &actor, id).await
        })
        .await
    }

    pub async fn zoom(
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        id: i64,
    ) -> domain::Result<TicketZoom> {
        let (record, facts) = domain::tickets::load_readable(conn, actor, id).await?;
        let bundle = domain::desk::present_ticket(
            conn,
            actor,
            &record,
            domain::tickets::View {
                all: true,
                ..Default::default()
            },
        )
        .await?;
        let assets = &bundle["assets"];
        let users = &assets["User"];
        // customers' users come from the ticket's own assets; others may be missing
        let mut users = users.clone();
        for article in assets["TicketArticle"].as_object().into_iter().flatten() {
            if let Some(author) = article.1["created_by_id"].as_i64()
                && users[author.to_string()].is_null()
                && let Ok(user) = domain::accounts::users::find(conn, author).await
            {
                users[author.to_string()] = json!({"firstname": user.firstname, "lastname": user.lastname, "email": user.email});
            }
        }
        let customer = &users[record.customer_id.to_string()];
        let organization = record
            .organization_id
            .map(|o| text(&assets["Organization"][o.to_string()], "name"))
            .filter(|n| !n.is_empty());
        let agent = actor.has_group_access(record.group_id, AccessLevel::Read);
        let articles = bundle["ticket_article_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|aid| aid.as_i64())
            .map(|aid| article(id, &assets["TicketArticle"][aid.to_string()], &users, agent))
            .collect();

        let change = domain::policy::can_change_ticket(actor, &facts);
        let assign = actor.has_group_access(record.group_id, AccessLevel::Full);
        let state = domain::tickets::states::find(conn, record.state_id).await?;
        let priority = domain::tickets::priorities::find(conn, record.priority_id).await?;
        let group = domain::accounts::groups::find(conn, record.group_id).await?;
        let all_states: Vec<_> = domain::tickets::states::all(conn)
            .await?
            .into_iter()
            .filter(|s| !matches!(s.state_type.as_str(), "merged" | "removed"))
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
        let states = all_states
            .into_iter()
            .map(|s| Choice {
                id: s.id,
                name: s.name,
            })
            .collect();
        let priorities = domain::tickets::priorities::all(conn)
            .await?
            .into_iter()
            .map(|p| Choice {
                id: p.id,
                name: p.name,
            })
            .collect();
        let mut groups = Vec::new();
        if agent {
            for gid in actor.groups_with(AccessLevel::Change) {
                if let Ok(g) = domain::accounts::groups::find(conn, gid).await
                    && g.active != 0
                {
                    groups.push(Choice {
                        id: g.id,
                        name: g.name,
                    });
                }
            }
            groups.sort_by(|a, b| a.name.cmp(&b.name));
        }
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
        let owner = if record.owner_id == 1 {
            String::new()
        } else {
            name_of(&users[record.owner_id.to_string()])
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
                name: name_of(customer),
                email: text(customer, "email"),
                phone: text(customer, "phone"),
                organization,
            },
            tags: if agent {
                bundle["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            } else {
                Vec::new()
            },
            created_at: record.created_at.clone(),
            updated_at: record.updated_at.clone(),
            articles,
            earlier: 0,
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

    fn article_body(reply: &NewReply, agent: bool) -> Value {
        let kind = if agent {
            match reply.kind.as_str() {
                "email" | "phone" => reply.kind.as_str(),
                _ => "note",
            }
        } else {
            "web"
        };
        let mut article = json!({
            "type": kind,
            "internal": agent && reply.internal,
            "body": reply.body_html,
            "content_type": "text/html",
            "form_id": reply.form_id,
        });
        if agent && kind == "email" {
            article["to"] = json!(reply.to);
            article["cc"] = json!(reply.cc);
            let subject = reply.subject.trim();
            if !subject.is_empty() {
                article["subject"] = json!(subject);
            }
        }
        article
    }

    /// The `PUT /tickets/{id}` body for what the ticket view sends.
    pub fn update_body(changes: &TicketChanges, agent: bool) -> Value {
        let mut body = json!({});
        if let Some(title) = &changes.title {
            body["title"] = json!(title);
        }
        for (key, value) in [
            ("state_id", changes.state_id),
            ("priority_id", changes.priority_id),
            ("group_id", changes.group_id),
            ("owner_id", changes.owner_id),
        ] {
            if let Some(v) = value {
                body[key] = json!(v);
            }
        }
        if let Some(at) = changes.pending_time.as_deref().map(str::trim)
            && !at.is_empty()
        {
            body["pending_time"] = json!(at);
        }
        if let Some(reply) = &changes.article {
            body["article"] = article_body(reply, agent);
        }
        body
    }

    pub fn create_body(ticket: &crate::api::NewTicket, agent: bool) -> Value {
        let reply = NewReply {
            kind: ticket.kind.clone(),
            internal: false,
            body_html: ticket.body_html.clone(),
            form_id: ticket.form_id.clone(),
            ..Default::default()
        };
        let mut body = json!({
            "title": ticket.title,
            "group_id": ticket.group_id,
            "article": article_body(&reply, agent),
        });
        if agent {
            if ticket.customer_id > 0 {
                body["customer_id"] = json!(ticket.customer_id);
            } else {
                // an existing user with this address, else a new customer with this name
                body["customer"] = json!({
                    "email": ticket.customer_email.trim(),
                    "firstname": ticket.customer_firstname.trim(),
                    "lastname": ticket.customer_lastname.trim(),
                });
            }
        }
        body
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

/// The ticket view: ticket, visible thread, sidebar choices and abilities.
#[server(output = JsonText)]
pub async fn show_ticket(id: i64) -> Result<TicketZoom, ServerFnError> {
    let mut zoom = ssr::caller_zoom(id).await?;
    // a long thread opens at its newest articles; older ones come on demand
    let older = zoom.articles.len().saturating_sub(crate::api::THREAD_TAIL);
    zoom.articles.drain(..older);
    zoom.earlier = older as i64;
    Ok(zoom)
}

/// Older articles of a ticket's thread: the [`crate::api::THREAD_PAGE`] articles before the
/// article `before` (oldest first), and how many are older still.
#[server(output = JsonText)]
pub async fn earlier_articles(id: i64, before: i64) -> Result<ArticlePage, ServerFnError> {
    let zoom = ssr::caller_zoom(id).await?;
    let mut older: Vec<_> = zoom
        .articles
        .into_iter()
        .filter(|a| a.id < before)
        .collect();
    let rest = older.len().saturating_sub(crate::api::THREAD_PAGE);
    let articles = older.split_off(rest);
    Ok(ArticlePage {
        articles,
        earlier: rest as i64,
    })
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
    let body = ssr::update_body(&changes, actor.is_agent());
    if body.as_object().is_some_and(|o| o.is_empty()) {
        return Err(ssr::bad_input("Nothing to save."));
    }
    let from_draft = changes
        .article
        .as_ref()
        .is_some_and(|a| a.from_shared_draft);
    let result = if from_draft {
        ctx.desk
            .send_live_draft(&actor, id, &body, Default::default())
            .await
    } else {
        ctx.desk
            .update_ticket(&actor, id, &body, Default::default())
            .await
    };
    match result {
        Ok(_) => Ok(()),
        Err(e) => Err(fail(e).await),
    }
}

/// Admins: deletes the ticket with its thread and files.
#[server]
pub async fn delete_ticket(id: i64) -> Result<(), ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = actor().await?;
    let ctx = context()?;
    match ctx.desk.delete_ticket(&actor, id).await {
        Ok(()) => Ok(()),
        Err(e) => Err(fail(e).await),
    }
}

/// Creates a ticket with its first article; answers the new ticket's id.
#[server(input = Json)]
pub async fn create_ticket(ticket: NewTicket) -> Result<i64, ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = actor().await?;
    let ctx = context()?;
    let body = ssr::create_body(&ticket, actor.is_agent());
    match ctx
        .desk
        .create_ticket(&actor, &body, Default::default())
        .await
    {
        Ok(out) => Ok(out["id"].as_i64().unwrap_or_default()),
        Err(e) => Err(fail(e).await),
    }
}

/// The groups the caller may open a ticket in.
#[server(output = JsonText)]
pub async fn ticket_form_options() -> Result<NewTicketOptions, ServerFnError> {
    use crate::api::Choice;
    use crate::session::server::{actor, context, fail};
    use domain::policy::access::AccessLevel;
    let actor = actor().await?;
    let ctx = context()?;
    let result = async {
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
        domain::Result::Ok(NewTicketOptions { groups, agent })
    }
    .await;
    match result {
        Ok(o) => Ok(o),
        Err(e) => Err(fail(e).await),
    }
}

/// Discards the ticket's shared reply draft (its editors are told and start empty).
#[server]
pub async fn discard_shared_draft(id: i64) -> Result<(), ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = actor().await?;
    let ctx = context()?;
    match ctx.desk.discard_shared_draft(&actor, id).await {
        Ok(_) => Ok(()),
        Err(e) => Err(fail(e).await),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use serde_json::json;

    use super::ssr::delivery;

    fn label(preferences: serde_json::Value) -> (&'static str, String) {
        let article = json!({"type": "email", "sender": "Agent", "internal": false, "preferences": preferences});
        delivery(&article, true)
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
        let email =
            json!({"type": "email", "sender": "Agent", "internal": false, "preferences": {}});
        assert!(delivery(&email, true).is_some());
        assert!(delivery(&email, false).is_none(), "customers do not");
        let internal =
            json!({"type": "email", "sender": "Agent", "internal": true, "preferences": {}});
        assert!(delivery(&internal, true).is_none());
        let inbound =
            json!({"type": "email", "sender": "Customer", "internal": false, "preferences": {}});
        assert!(delivery(&inbound, true).is_none());
        let note = json!({"type": "note", "sender": "Agent", "internal": false, "preferences": {}});
        assert!(delivery(&note, true).is_none());
    }
}
