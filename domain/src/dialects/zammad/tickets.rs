//! Zammad's ticket JSON: a ticket as `GET /tickets/{id}` answers it (`?expand`, `?full`,
//! `?all` zoom bundle with its assets), the `GET /tickets` page, the `assets` of ticket lists
//! and `GET /links`; rendered from the records the use cases and reads return, after any
//! commit.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value, json};
use sqlx::AnyConnection;

use crate::Result;
use crate::accounts::{groups, users};
use crate::policy::{self, access::AccessLevel, access::Actor};
use crate::storage::lookup::{self, Named};
use crate::tickets::{self, TicketRecord, articles, links, time_accounting};

/// Plain ticket JSON (Zammad's `Ticket#attributes`; the escalation fields and `type`, which
/// Tandem does not keep, are `null`). `article_count` is what the caller can see; a customer
/// does not get `time_unit` (Zammad's customer field filter).
pub fn render(t: &TicketRecord, visible_article_count: i64, customer_view: bool) -> Value {
    serde_json::to_value(PlainTicket::of(t, visible_article_count, customer_view))
        .expect("a ticket's JSON is a map with string keys")
}

/// [`render`] as JSON text, written straight from the record (no `Value` in between): the
/// text a cached ticket keeps for agents (`show_ticket`).
pub fn render_text(t: &TicketRecord, visible_article_count: i64) -> bytes::Bytes {
    serde_json::to_vec(&PlainTicket::of(t, visible_article_count, false))
        .expect("a ticket's JSON is a map with string keys")
        .into()
}

/// The fields of [`render`], in the order a `serde_json` map keeps its keys (by bytes), so
/// that [`render_text`] writes the same text as [`render`]'s `Value` does. `()` is `null`.
#[derive(serde::Serialize)]
struct PlainTicket<'a> {
    article_count: i64,
    close_at: Option<&'a str>,
    close_diff_in_min: (),
    close_escalation_at: (),
    close_in_min: (),
    create_article_sender_id: Option<i64>,
    create_article_type_id: Option<i64>,
    created_at: &'a str,
    created_by_id: i64,
    customer_id: i64,
    escalation_at: (),
    first_response_at: Option<&'a str>,
    first_response_diff_in_min: (),
    first_response_escalation_at: (),
    first_response_in_min: (),
    group_id: i64,
    id: i64,
    last_close_at: Option<&'a str>,
    last_contact_agent_at: Option<&'a str>,
    last_contact_at: Option<&'a str>,
    last_contact_customer_at: Option<&'a str>,
    last_owner_update_at: Option<&'a str>,
    note: Option<&'a str>,
    number: &'a str,
    organization_id: Option<i64>,
    owner_id: i64,
    pending_time: Option<&'a str>,
    /// The stored text read as JSON (`{}` when it is not).
    preferences: Value,
    priority_id: i64,
    state_id: i64,
    /// Left out for customers.
    #[serde(skip_serializing_if = "Option::is_none")]
    time_unit: Option<Option<String>>,
    title: &'a str,
    #[serde(rename = "type")]
    kind: (),
    update_diff_in_min: (),
    update_escalation_at: (),
    update_in_min: (),
    updated_at: &'a str,
    updated_by_id: i64,
}

impl<'a> PlainTicket<'a> {
    fn of(t: &'a TicketRecord, visible_article_count: i64, customer_view: bool) -> Self {
        let preferences = serde_json::from_str(&t.preferences).unwrap_or_else(|_| json!({}));
        PlainTicket {
            article_count: visible_article_count,
            close_at: t.close_at.as_deref(),
            close_diff_in_min: (),
            close_escalation_at: (),
            close_in_min: (),
            create_article_sender_id: t.create_article_sender_id,
            create_article_type_id: t.create_article_type_id,
            created_at: &t.created_at,
            created_by_id: t.created_by_id,
            customer_id: t.customer_id,
            escalation_at: (),
            first_response_at: t.first_response_at.as_deref(),
            first_response_diff_in_min: (),
            first_response_escalation_at: (),
            first_response_in_min: (),
            group_id: t.group_id,
            id: t.id,
            last_close_at: t.last_close_at.as_deref(),
            last_contact_agent_at: t.last_contact_agent_at.as_deref(),
            last_contact_at: t.last_contact_at.as_deref(),
            last_contact_customer_at: t.last_contact_customer_at.as_deref(),
            last_owner_update_at: t.last_owner_update_at.as_deref(),
            note: t.note.as_deref(),
            number: &t.number,
            organization_id: t.organization_id,
            owner_id: t.owner_id,
            pending_time: t.pending_time.as_deref(),
            preferences,
            priority_id: t.priority_id,
            state_id: t.state_id,
            time_unit: (!customer_view).then(|| t.time_unit.map(time_accounting::format_unit)),
            title: &t.title,
            kind: (),
            update_diff_in_min: (),
            update_escalation_at: (),
            update_in_min: (),
            updated_at: &t.updated_at,
            updated_by_id: t.updated_by_id,
        }
    }
}

/// Plain JSON for a caller: article counts and ids hide internal articles from customers.
pub async fn render_for(
    conn: &mut AnyConnection,
    actor: &Actor,
    t: &TicketRecord,
    with_ids: bool,
    expanded: bool,
) -> Result<Value> {
    let mut one = render_many(conn, actor, std::slice::from_ref(t), with_ids, expanded).await?;
    Ok(one.pop().unwrap_or(Value::Null))
}

/// [`render_for`] for a page of tickets with a fixed number of queries, whatever the page size:
/// one for the article ids and counts the caller may see (only when needed) and, with
/// `expanded`, one per kind of name (groups, states, users, …). Expanded answers carry the
/// association ids too (`article_ids`, `ticket_time_accounting_ids`), as Zammad builds them
/// from `attributes_with_association_ids` plus the names.
pub async fn render_many(
    conn: &mut AnyConnection,
    actor: &Actor,
    tickets: &[TicketRecord],
    with_ids: bool,
    expanded: bool,
) -> Result<Vec<Value>> {
    let with_ids = with_ids || expanded;
    let sees_internal = |t: &TicketRecord| actor.has_group_access(t.group_id, AccessLevel::Read);
    let need_articles: Vec<i64> = tickets
        .iter()
        .filter(|t| with_ids || !sees_internal(t))
        .map(|t| t.id)
        .collect();
    let articles = articles::visibility_of(conn, &need_articles).await?;
    let time_ids = if with_ids {
        let agent_tickets: Vec<i64> = tickets
            .iter()
            .filter(|t| sees_internal(t))
            .map(|t| t.id)
            .collect();
        time_accounting::ids_of(conn, &agent_tickets).await?
    } else {
        Default::default()
    };
    let names = if expanded {
        Some(Names::load(conn, tickets).await?)
    } else {
        None
    };
    let mut out = Vec::with_capacity(tickets.len());
    for t in tickets {
        let listed = articles.get(&t.id).map(Vec::as_slice).unwrap_or_default();
        let time_ids = with_ids.then(|| time_ids.get(&t.id).map(Vec::as_slice).unwrap_or_default());
        let mut v = render_listed(actor, t, listed, time_ids);
        if let Some(names) = &names {
            names.expand(&mut v);
        }
        out.push(v);
    }
    Ok(out)
}

/// One ticket as [`render_many`] renders it without names, from what was read of it:
/// `listed`, its articles in order (needed for association ids and for a customer's
/// `article_count`); `time_ids`, its time entries' ids (`Some`: the answer carries association
/// ids, `article_ids` and `ticket_time_accounting_ids`; customers get none of the latter).
fn render_listed(
    actor: &Actor,
    t: &TicketRecord,
    listed: &[articles::Visibility],
    time_ids: Option<&[i64]>,
) -> Value {
    let internal_too = actor.has_group_access(t.group_id, AccessLevel::Read);
    let count = if internal_too {
        t.article_count
    } else {
        listed.iter().filter(|a| a.counts_for_customer()).count() as i64
    };
    let mut v = render(t, count, !internal_too);
    if let Some(time_ids) = time_ids {
        let ids: Vec<i64> = listed
            .iter()
            .filter(|a| internal_too || !a.internal)
            .map(|a| a.id)
            .collect();
        v["article_ids"] = json!(ids);
        // customers see no time entries
        v["ticket_time_accounting_ids"] = json!(if internal_too { time_ids } else { &[] });
    }
    v
}

/// The names `expand=true` puts next to ids (users by login), loaded for many tickets at once.
struct Names {
    named: HashMap<(Named, i64), String>,
    logins: HashMap<i64, String>,
}

impl Names {
    async fn load(conn: &mut AnyConnection, tickets: &[TicketRecord]) -> Result<Names> {
        let mut wanted: BTreeMap<Named, BTreeSet<i64>> = BTreeMap::new();
        let mut user_ids = BTreeSet::new();
        for t in tickets {
            let mut want = |what: Named, id: Option<i64>| {
                if let Some(id) = id {
                    wanted.entry(what).or_default().insert(id);
                }
            };
            want(Named::Group, Some(t.group_id));
            want(Named::Organization, t.organization_id);
            want(Named::TicketState, Some(t.state_id));
            want(Named::TicketPriority, Some(t.priority_id));
            want(Named::ArticleType, t.create_article_type_id);
            want(Named::ArticleSender, t.create_article_sender_id);
            user_ids.extend([t.owner_id, t.customer_id, t.created_by_id, t.updated_by_id]);
        }
        let mut named = HashMap::new();
        for (what, ids) in wanted {
            for (id, name) in lookup::names_by_ids(conn, what, &ids).await? {
                named.insert((what, id), name);
            }
        }
        let logins = users::logins_by_ids(conn, &user_ids).await?;
        Ok(Names { named, logins })
    }

    fn expand(&self, v: &mut Value) {
        let id = |k: &str| v[k].as_i64();
        let name = |what: Named, key: &str| {
            id(key)
                .and_then(|id| self.named.get(&(what, id)))
                .map_or(Value::Null, |n| Value::String(n.clone()))
        };
        let login = |key: &str| {
            id(key)
                .and_then(|id| self.logins.get(&id))
                .map_or(Value::Null, |l| Value::String(l.clone()))
        };
        let extra = [
            ("group", name(Named::Group, "group_id")),
            ("organization", name(Named::Organization, "organization_id")),
            ("state", name(Named::TicketState, "state_id")),
            ("priority", name(Named::TicketPriority, "priority_id")),
            ("owner", login("owner_id")),
            ("customer", login("customer_id")),
            ("created_by", login("created_by_id")),
            ("updated_by", login("updated_by_id")),
            (
                "create_article_type",
                name(Named::ArticleType, "create_article_type_id"),
            ),
            (
                "create_article_sender",
                name(Named::ArticleSender, "create_article_sender_id"),
            ),
            ("ticket_time_accounting", json!([])),
        ];
        if let Some(obj) = v.as_object_mut() {
            for (k, val) in extra {
                obj.insert(k.into(), val);
            }
        }
    }
}

/// `assets` for `full=true` / `all=true`: the ticket and the records it refers to.
pub async fn assets(
    conn: &mut AnyConnection,
    actor: &Actor,
    tickets: &[TicketRecord],
) -> Result<Map<String, Value>> {
    let mut ticket_assets = Map::new();
    let mut user_ids = std::collections::BTreeSet::new();
    let mut group_ids = std::collections::BTreeSet::new();
    let mut org_ids = std::collections::BTreeSet::new();
    let rendered = render_many(conn, actor, tickets, true, false).await?;
    for (t, v) in tickets.iter().zip(rendered) {
        ticket_assets.insert(t.id.to_string(), v);
        user_ids.extend([t.owner_id, t.customer_id, t.created_by_id, t.updated_by_id]);
        group_ids.insert(t.group_id);
        org_ids.extend(t.organization_id);
    }
    let mut user_assets = Map::new();
    for id in user_ids {
        let user = users::find(conn, id).await?;
        org_ids.extend(user.organization_id);
        user_assets.insert(
            id.to_string(),
            super::accounts::render_user_one(conn, &user, false).await?,
        );
    }
    let mut group_assets = Map::new();
    for id in group_ids {
        group_assets.insert(
            id.to_string(),
            super::accounts::render_group(&groups::find(conn, id).await?),
        );
    }
    let mut org_assets = Map::new();
    for id in org_ids {
        let org = crate::accounts::organizations::find(conn, id).await?;
        org_assets.insert(
            id.to_string(),
            super::accounts::render_organization(conn, &org, false).await?,
        );
    }
    let mut out = Map::new();
    out.insert("Ticket".into(), Value::Object(ticket_assets));
    out.insert("User".into(), Value::Object(user_assets));
    out.insert("Group".into(), Value::Object(group_assets));
    out.insert("Organization".into(), Value::Object(org_assets));
    policy::fields::filter_assets(actor, &mut out);
    Ok(out)
}

/// How a ticket should be rendered (Zammad's `expand` / `full` / `all` switches).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct View {
    pub expand: bool,
    pub full: bool,
    pub all: bool,
    /// create/update responses carry association ids.
    pub with_ids: bool,
}

pub async fn present(
    conn: &mut AnyConnection,
    actor: &Actor,
    t: &TicketRecord,
    view: View,
) -> Result<Value> {
    if view.all {
        let sees_internal = actor.has_group_access(t.group_id, AccessLevel::Read);
        let article_ids: Vec<i64> = articles::visibility_of(conn, &[t.id])
            .await?
            .remove(&t.id)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| sees_internal || !a.internal)
            .map(|a| a.id)
            .collect();
        let mut assets = assets(conn, actor, std::slice::from_ref(t)).await?;
        let list = articles::for_ticket(conn, t.id, sees_internal).await?;
        let rendered = super::articles::render_many_for(conn, actor, t.group_id, &list).await?;
        let article_assets: Map<String, Value> = list
            .iter()
            .map(|a| a.id.to_string())
            .zip(rendered)
            .collect();
        assets.insert("TicketArticle".into(), Value::Object(article_assets));
        return Ok(json!({
            "ticket_id": t.id, "ticket_article_ids": article_ids, "assets": assets,
            "links": if actor.is_agent() { links_of_ticket(conn, t.id).await? } else { Vec::new() },
            "tags": tickets::tag_names(conn, t.id).await?, "mentions": [], "form_meta": {},
            "time_accountings": if actor.has_group_access(t.group_id, AccessLevel::Read) {
                time_accounting::of_ticket(conn, t.id).await?.iter().map(super::ticket_records::render_time_accounting).collect::<Vec<_>>()
            } else {
                Vec::new()
            },
        }));
    }
    if view.full {
        return Ok(
            json!({"id": t.id, "assets": assets(conn, actor, std::slice::from_ref(t)).await?}),
        );
    }
    render_for(conn, actor, t, view.with_ids, view.expand).await
}

/// A ticket as `view` asks ([`present`]); the zoom bundle (`all`) also carries the
/// reply draft for agents who may use it.
pub async fn present_ticket(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    ticket: &TicketRecord,
    view: View,
) -> Result<Value> {
    let mut out = present(conn, actor, ticket, view).await?;
    if view.all
        && let Some(assets) = out.get_mut("assets").and_then(Value::as_object_mut)
    {
        super::shared_drafts::add_to_assets(conn, actor, ticket, assets).await?;
    }
    Ok(out)
}

/// `POST /tickets`'s answer: [`present_ticket`] of the new ticket. The plain answer with
/// association ids (no `expand`, `full` or `all`) of a ticket without time entries is made
/// from what the write returned, its first article being its only one, without a connection:
/// under load, reading the ticket's articles and time entries again took two statements.
pub async fn present_created(
    store: &crate::Store,
    actor: &Actor,
    created: &crate::desk::CreatedTicket,
    view: View,
) -> Result<Value> {
    let t = &created.ticket;
    let plain = View {
        with_ids: true,
        ..View::default()
    };
    // the ticket's `time_unit` is the sum of its time entries: none without one
    if view == plain && t.time_unit.is_none() {
        let listed: Vec<articles::Visibility> = created
            .first_article
            .iter()
            .map(|a| articles::Visibility {
                id: a.id,
                internal: a.internal != 0,
                sender_id: a.sender_id,
            })
            .collect();
        return Ok(render_listed(actor, t, &listed, Some(&[])));
    }
    present_ticket(&mut *store.read().await?, actor, t, view).await
}

/// `GET /tickets/{id}` as JSON text: the ticket from the cache when unchanged (see
/// `tickets::cache`). The plain answer to an agent needs nothing else, so it takes no database
/// connection at all (sqlx pings every connection it gets back: a round trip per checkout),
/// and its text is made once per cached ticket.
pub async fn show_ticket(
    store: &crate::Store,
    actor: &Actor,
    id: i64,
    view: View,
) -> Result<bytes::Bytes> {
    let ticket = tickets::cache::load_cached(store, id).await?;
    let t = &ticket.record;
    crate::policy::authorize_show_ticket(actor, &t.facts(ticket.closed))?;
    if view == View::default()
        && actor.has_group_access(t.group_id, crate::policy::access::AccessLevel::Read)
    {
        // what `render_many` answers for an agent who sees every article
        let json = ticket
            .agent_json
            .get_or_init(|| render_text(t, t.article_count));
        return Ok(json.clone());
    }
    let value = present_ticket(&mut *store.read().await?, actor, t, view).await?;
    Ok(value.to_string().into())
}

/// `GET /tickets`: the page [`tickets::index`] read, as `view` asks (`full`: record ids and
/// assets; else the tickets, `expand`ed with names).
pub async fn render_index(
    conn: &mut AnyConnection,
    actor: &Actor,
    tickets: &[TicketRecord],
    view: View,
) -> Result<Value> {
    if view.full {
        let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
        return Ok(json!({"record_ids": ids, "assets": assets(conn, actor, tickets).await?}));
    }
    Ok(Value::Array(
        render_many(conn, actor, tickets, false, view.expand).await?,
    ))
}

/// `GET /links?link_object=Ticket&link_object_value={id}`: the links and the linked tickets'
/// assets the caller may read ([`links::readable`]).
pub async fn links_index(conn: &mut AnyConnection, actor: &Actor, ticket_id: i64) -> Result<Value> {
    let linked = links::readable(conn, actor, ticket_id).await?;
    let links: Vec<Value> = linked
        .iter()
        .map(|(l, _)| json!({"link_type": l.link_type, "link_object": "Ticket", "link_object_value": l.other}))
        .collect();
    let records: Vec<TicketRecord> = linked.into_iter().map(|(_, r)| r).collect();
    let assets = assets(conn, actor, &records).await?;
    Ok(json!({"links": links, "assets": assets}))
}

/// The links of a ticket as Zammad lists them in the zoom bundle: `{link_type, link_object:
/// "Ticket", link_object_value}` (the caller checked access to the ticket).
async fn links_of_ticket(conn: &mut AnyConnection, ticket_id: i64) -> Result<Vec<Value>> {
    Ok(links::links_of(conn, ticket_id)
        .await?
        .into_iter()
        .map(|l| json!({"link_type": l.link_type, "link_object": "Ticket", "link_object_value": l.other}))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(filled: bool) -> TicketRecord {
        let at = |s: &str| filled.then(|| s.to_string());
        TicketRecord {
            id: 42,
            number: "31042".into(),
            title: "Printer \"on fire\" <again>".into(),
            group_id: 1,
            priority_id: 2,
            state_id: 3,
            organization_id: filled.then_some(7),
            owner_id: 4,
            customer_id: 5,
            note: at("a note"),
            first_response_at: at("2026-01-01T00:00:01.000Z"),
            close_at: at("2026-01-01T00:00:02.000Z"),
            last_close_at: at("2026-01-01T00:00:03.000Z"),
            last_contact_at: at("2026-01-01T00:00:04.000Z"),
            last_contact_agent_at: at("2026-01-01T00:00:05.000Z"),
            last_contact_customer_at: at("2026-01-01T00:00:06.000Z"),
            last_owner_update_at: at("2026-01-01T00:00:07.000Z"),
            create_article_type_id: filled.then_some(10),
            create_article_sender_id: filled.then_some(11),
            article_count: 9,
            pending_time: at("2026-01-02T00:00:00.000Z"),
            preferences: if filled {
                r#"{ "channel_id": 3, "a": [1, {"b": null}] }"#.into()
            } else {
                "not json".into()
            },
            time_unit: filled.then_some(1.5),
            created_by_id: 6,
            updated_by_id: 8,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:09.000Z".into(),
        }
    }

    /// The keys Zammad's ticket JSON has (as `render` built them with `json!` before it was
    /// written from `PlainTicket`).
    const KEYS: [&str; 38] = [
        "id",
        "group_id",
        "priority_id",
        "state_id",
        "organization_id",
        "number",
        "title",
        "owner_id",
        "customer_id",
        "note",
        "first_response_at",
        "first_response_escalation_at",
        "first_response_in_min",
        "first_response_diff_in_min",
        "close_at",
        "close_escalation_at",
        "close_in_min",
        "close_diff_in_min",
        "update_escalation_at",
        "update_in_min",
        "update_diff_in_min",
        "last_close_at",
        "last_contact_at",
        "last_contact_agent_at",
        "last_contact_customer_at",
        "last_owner_update_at",
        "create_article_type_id",
        "create_article_sender_id",
        "article_count",
        "escalation_at",
        "pending_time",
        "type",
        "time_unit",
        "preferences",
        "updated_by_id",
        "created_by_id",
        "created_at",
        "updated_at",
    ];

    #[test]
    fn the_text_is_the_values_text_and_every_field_is_there() {
        let keys: BTreeSet<&str> = KEYS.into_iter().collect();
        for filled in [true, false] {
            let t = ticket(filled);
            let value = render(&t, 3, false);
            assert_eq!(
                String::from_utf8(render_text(&t, 3).to_vec()).unwrap(),
                value.to_string(),
                "filled: {filled}"
            );
            let object = value.as_object().unwrap();
            assert_eq!(
                object.keys().map(String::as_str).collect::<BTreeSet<_>>(),
                keys
            );
            assert_eq!(object["article_count"], 3);
            assert_eq!(object["title"], "Printer \"on fire\" <again>");
            let customer = render(&t, 3, true);
            assert!(
                customer.get("time_unit").is_none(),
                "a customer sees no time_unit"
            );
            assert_eq!(customer.as_object().unwrap().len(), keys.len() - 1);
        }
        let filled = render(&ticket(true), 3, false);
        assert_eq!(filled["time_unit"], "1.5");
        assert_eq!(
            filled["preferences"],
            json!({"channel_id": 3, "a": [1, {"b": null}]})
        );
        assert_eq!(filled["organization_id"], 7);
        let sparse = render(&ticket(false), 3, false);
        assert_eq!(sparse["time_unit"], Value::Null);
        assert_eq!(sparse["preferences"], json!({}));
        assert_eq!(sparse["close_at"], Value::Null);
    }
}
