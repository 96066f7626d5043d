//! Tickets: Zammad's `/tickets` resource — numbering, defaults, name lookups, the customer
//! field filter, the follow-up rule and the response variants (plain, expand, full, all).

pub mod articles;
pub mod attachments;
pub mod cache;
pub mod history;
pub mod html_limits;
pub mod html_text;
pub mod input;
pub mod links;
pub mod macros;
pub mod mentions;
pub mod params;
pub mod priorities;
pub mod sanitize;
pub mod search_index;
pub mod states;
pub mod tag_list;
pub mod text_modules;
pub mod time_accounting;
pub mod views;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use sqlx::{AnyConnection, FromRow};

use crate::accounts::users::SYSTEM_USER_ID;
use crate::policy::access::{AccessLevel, Actor, load_actor};
use crate::policy::{self, FollowUp, TicketFacts, TicketScope};
use crate::storage::files::FileStore;
use crate::storage::lookup::Named;
use crate::storage::paging::Page;
use crate::storage::store::Store;
use crate::{Error, Result, accounts::groups, accounts::users, storage::clock, storage::settings};

#[derive(Debug, Clone, FromRow)]
pub struct TicketRecord {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub group_id: i64,
    pub priority_id: i64,
    pub state_id: i64,
    pub organization_id: Option<i64>,
    pub owner_id: i64,
    pub customer_id: i64,
    pub note: Option<String>,
    pub first_response_at: Option<String>,
    pub close_at: Option<String>,
    pub last_close_at: Option<String>,
    pub last_contact_at: Option<String>,
    pub last_contact_agent_at: Option<String>,
    pub last_contact_customer_at: Option<String>,
    pub last_owner_update_at: Option<String>,
    pub create_article_type_id: Option<i64>,
    pub create_article_sender_id: Option<i64>,
    pub article_count: i64,
    pub pending_time: Option<String>,
    pub preferences: String,
    /// The sum of the ticket's time accounting entries.
    pub time_unit: Option<f64>,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

pub const COLUMNS: &str = "t.id, t.number, t.title, t.group_id, t.priority_id, t.state_id, t.organization_id, \
    t.owner_id, t.customer_id, t.note, t.first_response_at, t.close_at, t.last_close_at, t.last_contact_at, \
    t.last_contact_agent_at, t.last_contact_customer_at, t.last_owner_update_at, t.create_article_type_id, \
    t.create_article_sender_id, t.article_count, t.pending_time, t.preferences, t.time_unit, t.created_by_id, \
    t.updated_by_id, t.created_at, t.updated_at";

/// [`COLUMNS`] for a `RETURNING` clause: unqualified, as SQLite takes no table alias there.
pub static RETURNING_COLUMNS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| COLUMNS.replace("t.", ""));

impl TicketRecord {
    pub fn facts(&self, closed: bool) -> TicketFacts {
        TicketFacts {
            group_id: self.group_id,
            customer_id: self.customer_id,
            organization_id: self.organization_id,
            closed,
        }
    }
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<TicketRecord> {
    sqlx::query_as::<_, TicketRecord>(&format!("SELECT {COLUMNS} FROM tickets t WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("Ticket", id))
}

/// The ticket and its policy facts; 404 when missing (existence before authorisation).
pub async fn load(conn: &mut AnyConnection, id: i64) -> Result<(TicketRecord, TicketFacts)> {
    load_with(conn, id, "").await
}

/// [`load`] of a ticket about to be changed, with the row lock
/// [`crate::tickets::articles::lock_ticket`] takes in the same statement (PostgreSQL's `FOR
/// UPDATE`; SQLite's writer holds the database's only write lock already).
pub async fn load_locked(conn: &mut AnyConnection, id: i64) -> Result<(TicketRecord, TicketFacts)> {
    let lock = if crate::storage::store::is_postgres(conn) {
        " FOR UPDATE OF t"
    } else {
        ""
    };
    load_with(conn, id, lock).await
}

/// The `SELECT` of [`load`]: [`COLUMNS`] and `closed` (1 when the state's type is closed)
/// of the tickets `t` matching `filter`.
fn load_sql(filter: &str) -> String {
    format!(
        "SELECT {COLUMNS}, (SELECT CASE WHEN st.name = 'closed' THEN 1 ELSE 0 END FROM ticket_states s \
         JOIN ticket_state_types st ON st.id = s.state_type_id WHERE s.id = t.state_id) AS closed \
         FROM tickets t WHERE {filter}"
    )
}

fn loaded(row: &sqlx::any::AnyRow) -> Result<(TicketRecord, TicketFacts)> {
    use sqlx::{FromRow, Row};
    let ticket = TicketRecord::from_row(row)?;
    let closed = row.try_get::<i64, _>("closed")? != 0;
    let facts = ticket.facts(closed);
    Ok((ticket, facts))
}

async fn load_with(
    conn: &mut AnyConnection,
    id: i64,
    lock: &str,
) -> Result<(TicketRecord, TicketFacts)> {
    let row = sqlx::query(&load_sql(&format!("t.id = $1{lock}")))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("Ticket", id))?;
    loaded(&row)
}

/// [`load`] of several tickets on SQLite's reader connection
/// ([`crate::storage::sqlite_reader::SqliteReader`]): those of `ids` that exist, in the order of
/// `ids`, with whether each one's state is closed. One prepared point lookup per id (an `IN`
/// list would make SQLite build a temporary index of the list first), all in one read
/// transaction: one snapshot, and the WAL's shared lock taken once per batch, not per id.
pub fn load_many_sqlite(
    conn: &rusqlite::Connection,
    ids: &[i64],
) -> rusqlite::Result<Vec<(TicketRecord, bool)>> {
    use rusqlite::OptionalExtension;
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| load_sql("t.id = ?1"));
    let snapshot = conn.unchecked_transaction()?;
    let mut found = Vec::with_capacity(ids.len());
    {
        let mut statement = snapshot.prepare_cached(&SQL)?;
        for id in ids {
            if let Some(row) = statement.query_row([id], loaded_sqlite).optional()? {
                found.push(row);
            }
        }
    }
    snapshot.commit()?;
    Ok(found)
}

/// The position of `closed` in a row of [`load_sql`] or [`load_many_postgres`]: right after
/// [`COLUMNS`] (the 27 fields `ticket_record_at!` reads).
const CLOSED_AT: usize = 27;

/// A [`TicketRecord`] from a row whose first columns are [`COLUMNS`], in their order:
/// `$row.$get(i)?` for each field (rusqlite's `get`, sqlx's `try_get`), read by position
/// instead of by name.
macro_rules! ticket_record_at {
    ($row:ident . $get:ident) => {
        TicketRecord {
            id: $row.$get(0)?,
            number: $row.$get(1)?,
            title: $row.$get(2)?,
            group_id: $row.$get(3)?,
            priority_id: $row.$get(4)?,
            state_id: $row.$get(5)?,
            organization_id: $row.$get(6)?,
            owner_id: $row.$get(7)?,
            customer_id: $row.$get(8)?,
            note: $row.$get(9)?,
            first_response_at: $row.$get(10)?,
            close_at: $row.$get(11)?,
            last_close_at: $row.$get(12)?,
            last_contact_at: $row.$get(13)?,
            last_contact_agent_at: $row.$get(14)?,
            last_contact_customer_at: $row.$get(15)?,
            last_owner_update_at: $row.$get(16)?,
            create_article_type_id: $row.$get(17)?,
            create_article_sender_id: $row.$get(18)?,
            article_count: $row.$get(19)?,
            pending_time: $row.$get(20)?,
            preferences: $row.$get(21)?,
            time_unit: $row.$get(22)?,
            created_by_id: $row.$get(23)?,
            updated_by_id: $row.$get(24)?,
            created_at: $row.$get(25)?,
            updated_at: $row.$get(26)?,
        }
    };
}

/// A row of [`load_sql`] on SQLite's reader connection: the record and `closed`.
fn loaded_sqlite(row: &rusqlite::Row) -> rusqlite::Result<(TicketRecord, bool)> {
    let ticket = ticket_record_at!(row.get);
    let closed: i64 = row.get(CLOSED_AT)?;
    Ok((ticket, closed != 0))
}

/// [`load`] of several tickets on PostgreSQL's reader pool
/// ([`crate::Store::postgres_reader`]): those of `ids` that exist, in no particular order,
/// with whether each one's state is closed. One prepared statement for any number of ids (they
/// are bound as one array). Whether a ticket is closed is an uncorrelated subquery, which
/// PostgreSQL runs once per statement and probes as a hash, not two index lookups per ticket
/// as [`load`]'s correlated one (`pgbench`, 2 clients, 16 ids a statement: 30,400 statements a
/// second against 20,300).
pub async fn load_many_postgres(
    pool: &sqlx::PgPool,
    ids: &[i64],
) -> Result<Vec<(TicketRecord, bool)>> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {COLUMNS}, t.state_id IN (SELECT s.id FROM ticket_states s \
             JOIN ticket_state_types st ON st.id = s.state_type_id WHERE st.name = 'closed') AS closed \
             FROM tickets t WHERE t.id = ANY($1)"
        )
    });
    let rows = sqlx::query(&SQL).bind(ids).fetch_all(pool).await?;
    rows.iter().map(loaded_postgres).collect()
}

/// A row of [`load_many_postgres`]: the record and `closed`.
fn loaded_postgres(row: &sqlx::postgres::PgRow) -> Result<(TicketRecord, bool)> {
    use sqlx::Row;
    let ticket = ticket_record_at!(row.try_get);
    Ok((ticket, row.try_get(CLOSED_AT)?))
}

/// [`load`] of several tickets (`ids`, at most a few hundred) in one statement: those that
/// exist, in no particular order.
pub async fn load_many(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<(TicketRecord, TicketFacts)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = load_sql(&format!("t.id IN ({})", placeholders.join(", ")));
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    query.fetch_all(conn).await?.iter().map(loaded).collect()
}

/// Loads a ticket the caller may read.
pub async fn load_readable(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<(TicketRecord, TicketFacts)> {
    let (ticket, facts) = load(conn, id).await?;
    policy::authorize_show_ticket(actor, &facts)?;
    Ok((ticket, facts))
}

/// The ticket's follow-up rule where it decides an update by `actor`
/// ([`policy::follow_up_matters`]), else `None` without reading the group.
pub async fn follow_up_for(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &TicketRecord,
    facts: &TicketFacts,
) -> Result<Option<FollowUp>> {
    if policy::follow_up_matters(actor, facts) {
        Ok(Some(follow_up(conn, ticket).await?))
    } else {
        Ok(None)
    }
}

/// Whether a customer may still follow up on `ticket` once it is closed: its group's
/// `follow_up_possible` and `reopen_time_in_days`, and the days since it was closed (the one
/// place this is worked out; Zammad's `Ticket#reopen_after_certain_time?`).
pub async fn follow_up(conn: &mut AnyConnection, ticket: &TicketRecord) -> Result<FollowUp> {
    let group = groups::find(conn, ticket.group_id).await?;
    let closed_days_ago = ticket
        .close_at
        .as_deref()
        .and_then(clock::parse)
        .map(|at| (chrono::Utc::now() - at).num_days());
    Ok(FollowUp::from_setting(
        &group.follow_up_possible,
        closed_days_ago,
        group.reopen_time_in_days,
    ))
}

/// `GET /tickets`: a page of the tickets the caller may read, by ascending id. A deep page
/// starts from the nearest page mark ([`crate::storage::ticket_list_marks`]), so it costs
/// about what the first page costs.
pub async fn index(store: &Store, actor: &Actor, page: Page) -> Result<Vec<TicketRecord>> {
    use crate::storage::ticket_list_marks::list_index;
    let scope = TicketScope::for_actor(actor, AccessLevel::Read).sql_condition();
    let after_mark = store
        .ticket_list_marks()
        .page_ids(store, &scope, page.per_page, page.offset())
        .await?;
    let mut conn = store.read().await?;
    let rows = match after_mark {
        // the scope again: a ticket moved out of it since its id was read is not shown
        Some(ids) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM tickets t WHERE t.id IN ({}) AND {scope} ORDER BY t.id",
                crate::storage::store::id_list(ids)
            );
            sqlx::query_as(&sql).fetch_all(&mut *conn).await?
        }
        // the page's ids walked in the narrow index, then their rows, in one statement
        None => {
            let sql = format!(
                "SELECT {COLUMNS} FROM tickets t WHERE t.id IN (SELECT t.id FROM tickets t{} \
                 WHERE {scope} ORDER BY t.id LIMIT $1 OFFSET $2) ORDER BY t.id",
                list_index(store.backend())
            );
            sqlx::query_as(&sql)
                .bind(page.per_page)
                .bind(page.offset())
                .fetch_all(&mut *conn)
                .await?
        }
    };
    Ok(rows)
}

/// How new tickets' numbers are made (Zammad's `Ticket::Number::Increment`): the system id
/// (setting `system_id`, 10 when unset), then the global counter zero-padded so that the
/// number has at least `min_size` characters (setting `ticket_number_increment`, 5 when unset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberFormat {
    pub system_id: i64,
    pub min_size: usize,
}

impl NumberFormat {
    /// Reads the two settings (one statement; only a read, so callers may read it before the
    /// write transaction, as [`resolve`] does).
    pub async fn read(conn: &mut AnyConnection) -> Result<NumberFormat> {
        let (system_id, increment): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT (SELECT value FROM settings WHERE name = 'system_id'), \
             (SELECT value FROM settings WHERE name = 'ticket_number_increment')",
        )
        .fetch_one(conn)
        .await?;
        Ok(NumberFormat {
            system_id: settings::decode(system_id.as_deref())
                .and_then(|v| v.as_i64())
                .unwrap_or(10),
            min_size: settings::decode(increment.as_deref())
                .and_then(|v| v["min_size"].as_u64())
                .unwrap_or(5) as usize,
        })
    }

    /// The number with counter value `counter`: e.g. system id 31, `min_size` 5, counter 7 →
    /// `"31007"`; a counter longer than the padding is never cut (`"311234"`).
    pub fn number(&self, counter: i64) -> String {
        let (prefix, width) = self.prefix_and_width();
        let counter = counter.to_string();
        let width = width.max(counter.len());
        format!("{prefix}{counter:0>width$}")
    }

    /// The prefix and the counter's least width: [`NumberFormat::number`] is the prefix, then
    /// the counter zero-padded to the width (what SQLite's `printf('%0*d', width, counter)`
    /// gives: SQLite's new ticket takes its number in its insert, [`insert_resolved`]).
    fn prefix_and_width(&self) -> (String, usize) {
        let prefix = self.system_id.to_string();
        let width = self.min_size.saturating_sub(prefix.len());
        (prefix, width)
    }
}

/// Next ticket number on PostgreSQL in `format` (see [`NumberFormat`]): the counter is a
/// sequence (migration 0023), so concurrent creations do not wait for each other's commit; a
/// creation that fails leaves its number unused. It also takes the insert lock of the ticket
/// list's page marks ([`crate::storage::ticket_list_marks`]): call it before inserting the
/// ticket. SQLite has one writer: its counter row is enough, counted up and read by the
/// ticket's insert itself ([`insert_resolved`]).
pub async fn next_number_postgres(
    conn: &mut AnyConnection,
    format: &NumberFormat,
) -> Result<String> {
    // with the shared lock that the ticket's insert (after this) holds to its commit
    let counter: i64 = sqlx::query_scalar(
        "SELECT nextval('ticket_number_seq') FROM \
         (SELECT pg_advisory_xact_lock_shared($1)) AS insert_lock",
    )
    .bind(crate::storage::ticket_list_marks::LOCK_KEY)
    .fetch_one(&mut *conn)
    .await?;
    Ok(format.number(counter))
}

fn clean_title(title: &str) -> String {
    title
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A customer as a request names it, checked: a user reference, or an e-mail address
/// (`guess:<email>` or `{firstname, lastname, email}`) with the names a new customer gets.
enum NamedCustomer<'a> {
    User(&'a input::UserRef),
    Email {
        /// Lowercased, valid.
        email: String,
        firstname: &'a str,
        lastname: &'a str,
    },
}

/// Checks a request's customer reference: 422 for an invalid address or a name longer than
/// its column.
fn named_customer(customer: &input::CustomerRef) -> Result<NamedCustomer<'_>> {
    let (email, firstname, lastname) = match customer {
        input::CustomerRef::User(user) => return Ok(NamedCustomer::User(user)),
        input::CustomerRef::Guess(email) => (email, "", ""),
        input::CustomerRef::Details {
            email,
            firstname,
            lastname,
        } => (email, firstname.as_str(), lastname.as_str()),
    };
    let email = email.trim().to_lowercase();
    if !users::valid_email(&email) {
        return Err(Error::unprocessable(format!(
            "Invalid email '{email}' of customer"
        )));
    }
    for (field, value) in [("firstname", firstname), ("lastname", lastname)] {
        crate::storage::columns::check(field, Some(value), crate::storage::columns::NAME)?;
    }
    Ok(NamedCustomer::Email {
        email,
        firstname,
        lastname,
    })
}

/// The customer a request names, as far as it exists (only reads): `None` when it names none,
/// `Some(None)` when it names a new customer by e-mail address, to be created by
/// [`customer_from`] in the write transaction. Errors as [`customer_from`].
async fn existing_customer(
    conn: &mut AnyConnection,
    customer: Option<&input::CustomerRef>,
) -> Result<Option<Option<i64>>> {
    let Some(customer) = customer else {
        return Ok(None);
    };
    Ok(Some(match named_customer(customer)? {
        NamedCustomer::User(user) => Some(input::resolve_user(conn, "customer", user).await?),
        NamedCustomer::Email { email, .. } => users::id_by_email(conn, &email).await?,
    }))
}

/// The customer a request names (see [`input::CustomerRef`]); `None` when it names none.
/// A customer named by an e-mail address nobody has is created (Zammad: `guess:<email>` and
/// `"customer": {"firstname", "lastname", "email"}` find the customer by e-mail or create one).
async fn customer_from(
    conn: &mut AnyConnection,
    actor: &Actor,
    customer: Option<&input::CustomerRef>,
) -> Result<Option<i64>> {
    let Some(customer) = customer else {
        return Ok(None);
    };
    match named_customer(customer)? {
        NamedCustomer::User(user) => input::resolve_user(conn, "customer", user).await.map(Some),
        NamedCustomer::Email {
            email,
            firstname,
            lastname,
        } => users::find_or_create_by_email_named(conn, Some(actor), &email, firstname, lastname)
            .await
            .map(Some),
    }
}

/// Who can own a ticket of this group: active agents with full access to it (the rule
/// [`sane_owner`] applies), as `(id, name)` sorted by name.
pub async fn owner_candidates(
    conn: &mut AnyConnection,
    group_id: i64,
) -> Result<Vec<(i64, String)>> {
    Ok(group_agents(conn, group_id, AccessLevel::Full)
        .await?
        .into_iter()
        .map(|agent| (agent.id, agent.fullname()))
        .collect())
}

/// The active agents with `level` access to the group (full access covers every level),
/// directly or through their roles, sorted by name: the owner choices (full) and the agents
/// who may be mentioned on its tickets (read).
pub async fn group_agents(
    conn: &mut AnyConnection,
    group_id: i64,
    level: AccessLevel,
) -> Result<Vec<Actor>> {
    let candidates: Vec<i64> = sqlx::query_scalar(
        "SELECT ug.user_id FROM user_groups ug WHERE ug.group_id = $1 AND ug.access IN ($2, 'full') \
         UNION SELECT ur.user_id FROM role_groups rg JOIN user_roles ur ON ur.role_id = rg.role_id \
         WHERE rg.group_id = $3 AND rg.access IN ($4, 'full')",
    )
    .bind(group_id)
    .bind(level.as_str())
    .bind(group_id)
    .bind(level.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for id in candidates {
        if let Ok(agent) = load_actor(conn, id, None).await
            && agent.is_agent()
            && agent.has_group_access(group_id, level)
        {
            out.push(agent);
        }
    }
    out.sort_by_cached_key(Actor::fullname);
    Ok(out)
}

/// Keeps the owner only if it is an active agent with full access to the group; else nobody.
async fn sane_owner(conn: &mut AnyConnection, owner_id: i64, group_id: i64) -> Result<i64> {
    if owner_id == SYSTEM_USER_ID {
        return Ok(owner_id);
    }
    match load_actor(conn, owner_id, None).await {
        Ok(owner) if owner.has_group_access(group_id, AccessLevel::Full) => Ok(owner_id),
        _ => Ok(SYSTEM_USER_ID),
    }
}

/// The customer's organisation: the given one if the customer belongs to it, else the primary.
async fn organization_for(
    conn: &mut AnyConnection,
    customer_id: i64,
    requested: Option<i64>,
) -> Result<Option<i64>> {
    let customer = users::find(conn, customer_id).await?;
    if let Some(org) = requested {
        let secondary: Option<i64> = sqlx::query_scalar(
            "SELECT organization_id FROM user_organizations WHERE user_id = $1 AND organization_id = $2",
        )
        .bind(customer_id)
        .bind(org)
        .fetch_optional(&mut *conn)
        .await?;
        if customer.organization_id == Some(org) || secondary.is_some() {
            return Ok(Some(org));
        }
    }
    Ok(customer.organization_id)
}

/// Zammad's core-workflow defaults for the state a request sets (`CoreWorkflow` in Zammad's
/// `app/models/core_workflow/`): agents choose new, open, pending reminder, pending close and
/// closed; customers open and closed (and new when they create); `merged` comes only from a
/// merge and `removed` never through the API. A 422 names the refused value.
fn check_state_choice(state: &states::StateRecord, agent: bool, creating: bool) -> Result<()> {
    let allowed = match state.state_type.as_str() {
        "merged" | "removed" => false,
        "new" => agent || creating,
        "open" | "closed" => true,
        "pending reminder" | "pending action" => agent,
        _ => agent,
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::unprocessable(format!(
            "Invalid value '{}' for field 'state_id'!",
            state.name
        )))
    }
}

/// A pending state needs its time (Zammad: `Missing required value for field
/// 'pending_time'!`).
fn require_pending_time(state: &states::StateRecord, pending_time: &Option<String>) -> Result<()> {
    if state.is_pending() && pending_time.is_none() {
        return Err(Error::unprocessable(
            "Missing required value for field 'pending_time'!",
        ));
    }
    Ok(())
}

fn pending_time_for(
    state: &states::StateRecord,
    given: Option<String>,
    current: Option<String>,
) -> Result<Option<String>> {
    if !state.is_pending() {
        return Ok(None);
    }
    match given {
        Some(text) if !text.is_empty() => clock::parse(&text)
            .map(|t| Some(clock::format(t)))
            .ok_or_else(|| {
                Error::unprocessable(format!("Invalid value for param 'pending_time': {text:?}"))
            }),
        _ => Ok(current),
    }
}

/// A ticket ready to be stored: what a channel (the REST API, an inbound e-mail) has parsed
/// and authorised. [`insert`] fills in the rest the same way for every channel.
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    /// Cleaned, not empty.
    pub title: String,
    pub group_id: i64,
    /// `None`: the state marked `default_create` (new).
    pub state_id: Option<i64>,
    /// `None`: the priority marked `default_create` (2 normal).
    pub priority_id: Option<i64>,
    /// [`SYSTEM_USER_ID`] for none; an owner without access to the group becomes none.
    pub owner_id: i64,
    pub customer_id: i64,
    /// Requested organisation (checked against the customer's); `None`: the customer's own.
    pub organization_id: Option<i64>,
    /// At most 250 characters.
    pub note: Option<String>,
    /// As sent (RFC 3339 or a relative time); required for pending states.
    pub pending_time: Option<String>,
    pub preferences: Value,
}

/// What a new ticket's stored values follow from its request, read by [`resolve`]: the
/// default state and priority filled in, the owner kept only with full access to the group,
/// the organisation checked against the customer's, the pending time parsed.
#[derive(Debug, Clone)]
pub struct ResolvedTicket {
    state: states::StateRecord,
    priority_id: i64,
    owner_id: i64,
    organization_id: Option<i64>,
    pending_time: Option<String>,
    number_format: NumberFormat,
}

/// Reads what [`insert_resolved`] needs of `new` (only reads: callers may run it before the
/// write transaction). Errors: 422 for a pending state without its time or an unreadable
/// time; 404 for a customer that does not exist.
pub async fn resolve(conn: &mut AnyConnection, new: &NewTicket) -> Result<ResolvedTicket> {
    let state = states::find_or_default_create(conn, new.state_id).await?;
    let priority_id = match new.priority_id {
        Some(id) => id,
        None => {
            sqlx::query_scalar(
                "SELECT id FROM ticket_priorities WHERE default_create = 1 ORDER BY id LIMIT 1",
            )
            .fetch_one(&mut *conn)
            .await?
        }
    };
    let owner_id = sane_owner(conn, new.owner_id, new.group_id).await?;
    let organization_id = organization_for(conn, new.customer_id, new.organization_id).await?;
    ResolvedTicket {
        state,
        priority_id,
        owner_id,
        organization_id,
        pending_time: None,
        number_format: NumberFormat::read(conn).await?,
    }
    .with_pending_time(new)
}

impl ResolvedTicket {
    /// These values with `new`'s pending time, parsed (422 when unreadable, or missing for a
    /// pending state); none for other states.
    fn with_pending_time(self, new: &NewTicket) -> Result<ResolvedTicket> {
        let pending_time = pending_time_for(&self.state, new.pending_time.clone(), None)?;
        require_pending_time(&self.state, &pending_time)?;
        Ok(ResolvedTicket {
            pending_time,
            ..self
        })
    }
}

/// Stores a new ticket (its number, defaults, `close_at` for closed states, history), in the
/// caller's transaction. Permission checks are the caller's business. Returns the id.
pub async fn insert(conn: &mut AnyConnection, actor: &Actor, new: NewTicket) -> Result<i64> {
    let resolved = resolve(conn, &new).await?;
    Ok(insert_resolved(conn, actor, new, resolved).await?.0.id)
}

/// [`insert`] with what [`resolve`] read of `new` known: only the writes — the number, the
/// ticket, its `created` history entry and its search row in as few round trips as the
/// database allows, as under SQLite's single writer each round trip waits for sqlx's
/// connection thread. SQLite: one batch of five statements (the counter counted up, the
/// ticket inserted with its number made from the counter in the insert, its search row, its
/// history); PostgreSQL: the number from its sequence ([`next_number_postgres`]), then one
/// statement of data-modifying `WITH` queries. Returns the ticket as stored and its facts.
pub async fn insert_resolved(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: NewTicket,
    resolved: ResolvedTicket,
) -> Result<(TicketRecord, TicketFacts)> {
    const TICKET_COLUMNS: &str = "number, title, group_id, priority_id, state_id, organization_id, owner_id, \
        customer_id, note, pending_time, preferences, close_at, last_owner_update_at, created_by_id, \
        updated_by_id, created_at, updated_at";
    const TICKET_VALUES: &str =
        "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $15";
    const HISTORY_COLUMNS: &str =
        "ticket_id, history_type, history_object, object_id, created_by_id, created_at";
    let ResolvedTicket {
        state,
        priority_id,
        owner_id,
        organization_id,
        pending_time,
        number_format,
    } = resolved;
    let now = clock::now();
    let returning = &*RETURNING_COLUMNS;
    let postgres = crate::storage::store::is_postgres(conn);
    // $1: the number (PostgreSQL), or its prefix and $16 the counter's least width (SQLite)
    let (number_or_prefix, counter_width, sql) = if postgres {
        let number = next_number_postgres(conn, &number_format).await?;
        let indexed =
            search_index::ticket_rows_sql(postgres, "SELECT id, number, title FROM ticket");
        let sql = format!(
            "WITH ticket AS (INSERT INTO tickets ({TICKET_COLUMNS}) VALUES ($1, {TICKET_VALUES}) \
                RETURNING {returning}), \
             history AS (INSERT INTO ticket_history ({HISTORY_COLUMNS}) \
                SELECT id, 'created', 'Ticket', id, $14, $15 FROM ticket), \
             indexed AS ({indexed}) \
             SELECT * FROM ticket"
        );
        (number, None, sql)
    } else {
        let (prefix, width) = number_format.prefix_and_width();
        // the search row and the history row take the ticket's id from
        // `last_insert_rowid()` (the search row's rowid is the ticket's id)
        let indexed = search_index::ticket_rows_sql(
            postgres,
            "SELECT id, number, title FROM tickets WHERE id = last_insert_rowid()",
        );
        let sql = format!(
            "UPDATE counters SET value = value + 1 WHERE name = 'ticket_number'; \
             INSERT INTO tickets ({TICKET_COLUMNS}) VALUES \
                ((SELECT $1 || printf('%0*d', $16, value) FROM counters \
                  WHERE name = 'ticket_number'), {TICKET_VALUES}) RETURNING {returning}; \
             {indexed}; \
             INSERT INTO ticket_history ({HISTORY_COLUMNS}) \
                VALUES (last_insert_rowid(), 'created', 'Ticket', last_insert_rowid(), $14, $15)"
        );
        (prefix, Some(width as i64), sql)
    };
    // every row of every statement: a row limit could end the batch before its last statement
    let mut query = sqlx::query(&sql)
        .bind(number_or_prefix)
        .bind(&new.title)
        .bind(new.group_id)
        .bind(priority_id)
        .bind(state.id)
        .bind(organization_id)
        .bind(owner_id)
        .bind(new.customer_id)
        .bind(new.note)
        .bind(pending_time)
        .bind(new.preferences.to_string())
        .bind(state.is_closed().then(|| now.clone()))
        .bind((owner_id != SYSTEM_USER_ID).then(|| now.clone()))
        .bind(actor.id)
        .bind(&now);
    if let Some(width) = counter_width {
        query = query.bind(width);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let Some(row) = rows.first() else {
        return Err(Error::Internal("a ticket's insert returned no row".into()));
    };
    let ticket = TicketRecord::from_row(row)?;
    let facts = ticket.facts(state.is_closed());
    Ok((ticket, facts))
}

/// What `POST /tickets` reads and checks of its request before the write transaction
/// ([`plan_create`]): the new ticket with every name resolved to an id, permission checked,
/// and — unless its customer is still to be created — its stored values ([`resolve`]).
#[derive(Debug, Clone)]
pub struct CreatePlan {
    new: NewTicket,
    /// `None`: the request names a customer by an e-mail address nobody has yet; the customer
    /// is created (and the ticket's values resolved) in the write transaction.
    resolved: Option<ResolvedTicket>,
}

impl CreatePlan {
    /// The new ticket's group.
    pub fn group_id(&self) -> i64 {
        self.new.group_id
    }

    /// The owner the ticket will have (`SYSTEM_USER_ID`: none), when already known.
    pub fn owner_id(&self) -> Option<i64> {
        self.resolved.as_ref().map(|r| r.owner_id)
    }

    /// What of this plan serves other requests with the same [`CreatePlanKey`]
    /// ([`CreatePlan::for_request`]): the plan without its request's own title, note, pending
    /// time and preferences. `None` when its customer is still to be created (the plan then
    /// depends on that customer not existing yet).
    pub fn shared_part(&self) -> Option<CreatePlan> {
        self.resolved.as_ref()?;
        Some(CreatePlan {
            new: NewTicket {
                title: String::new(),
                note: None,
                pending_time: None,
                preferences: Value::Null,
                ..self.new.clone()
            },
            resolved: self.resolved.clone(),
        })
    }

    /// This plan for `request`, which has the same [`CreatePlanKey`], while nothing it was
    /// read from has changed: the same records, with `request`'s own title, note, pending
    /// time and preferences, checked as [`plan_create`] checks them (422 errors). Without a
    /// database: the plan's reads are not repeated.
    pub fn for_request(&self, actor: &Actor, request: &input::TicketChanges) -> Result<CreatePlan> {
        let title = new_title(request)?;
        let own = OwnFields::of(actor, request)?;
        let new = NewTicket {
            title,
            note: own.note,
            pending_time: own.pending_time,
            preferences: own.preferences,
            ..self.new.clone()
        };
        let resolved = self
            .resolved
            .clone()
            .map(|r| r.with_pending_time(&new))
            .transpose()?;
        Ok(CreatePlan { new, resolved })
    }
}

/// The reads and checks of `POST /tickets` ([`create`]) that need no write: field lengths,
/// names resolved to ids (422 naming the field when one does not exist), whether `actor` may
/// create a ticket in the group (403), the customer found, the state allowed for the caller,
/// defaults and the owner and organisation rules ([`resolve`]). Run it on a read connection
/// before the write transaction and pass the plan to [`create_planned`]; the rows it read are
/// referenced by foreign keys, so a group, state or user removed in between fails the insert
/// instead of storing a dangling ticket.
pub async fn plan_create(
    conn: &mut AnyConnection,
    actor: &Actor,
    request: &input::TicketChanges,
) -> Result<CreatePlan> {
    let agent = actor.is_agent();
    let title = new_title(request)?;
    let group_id = input::resolve_opt(conn, Named::Group, "group", request.group.as_ref())
        .await?
        .ok_or_else(|| input::missing("group_id"))?;
    let customer_groups = if policy::customer_groups_decide(actor, group_id) {
        groups::customer_create_group_ids(conn).await?
    } else {
        None
    };
    if !policy::can_create_ticket(actor, group_id, customer_groups.as_deref()) {
        return Err(Error::not_authorized());
    }
    let customer_id = if agent {
        match existing_customer(conn, request.customer.as_ref()).await? {
            Some(Some(id)) => Some(id),
            Some(None) => None, // to be created in the write transaction
            None => Some(actor.id),
        }
    } else {
        Some(actor.id) // customers' customer/owner fields are dropped
    };
    let requested_state =
        input::resolve_opt(conn, Named::TicketState, "state", request.state.as_ref()).await?;
    if let Some(state_id) = requested_state {
        check_state_choice(&states::find(conn, state_id).await?, agent, true)?;
    }
    let priority_id = input::resolve_opt(
        conn,
        Named::TicketPriority,
        "priority",
        request.priority.as_ref(),
    )
    .await?;
    let owner_id = if agent {
        input::resolve_user_opt(conn, "owner", request.owner.as_ref())
            .await?
            .unwrap_or(SYSTEM_USER_ID)
    } else {
        SYSTEM_USER_ID
    };
    let requested_org = if agent {
        input::resolve_opt(
            conn,
            Named::Organization,
            "organization",
            request.organization.as_ref(),
        )
        .await?
    } else {
        None
    };
    let own = OwnFields::of(actor, request)?;
    let new = NewTicket {
        title,
        group_id,
        state_id: requested_state,
        priority_id,
        owner_id,
        customer_id: customer_id.unwrap_or(SYSTEM_USER_ID),
        organization_id: requested_org,
        note: own.note,
        pending_time: own.pending_time,
        preferences: own.preferences,
    };
    let resolved = match customer_id {
        Some(_) => Some(resolve(conn, &new).await?),
        None => None,
    };
    Ok(CreatePlan { new, resolved })
}

/// A new ticket's title, cleaned (422 when missing, empty or too long).
fn new_title(request: &input::TicketChanges) -> Result<String> {
    let title = input::checked("title", request.title.clone())?
        .as_deref()
        .map(clean_title)
        .unwrap_or_default();
    if title.is_empty() {
        return Err(input::missing("title"));
    }
    Ok(title)
}

/// What a request sets on a new ticket apart from its title and the records it names:
/// checked, read from nothing but the request.
struct OwnFields {
    note: Option<String>,
    pending_time: Option<String>,
    preferences: Value,
}

impl OwnFields {
    /// 422 for a note longer than 250 characters or an over-long pending time; a customer's
    /// preferences are dropped.
    fn of(actor: &Actor, request: &input::TicketChanges) -> Result<OwnFields> {
        let note = input::checked("note", request.note.clone())?;
        if note.as_ref().is_some_and(|n| n.chars().count() > 250) {
            return Err(Error::unprocessable(
                "The note must not be longer than 250 characters.",
            ));
        }
        let preferences = match &request.preferences {
            Some(p) if actor.is_agent() => Value::Object(p.clone()),
            _ => json!({}),
        };
        Ok(OwnFields {
            note,
            pending_time: input::checked("pending_time", request.pending_time.clone())?,
            preferences,
        })
    }
}

/// What a new ticket's plan ([`plan_create`]) depends on besides the database: what the plan
/// reads of the caller (its id, permissions, the permissions its token narrows to and its
/// access to groups, as the request's actor has them: an actor may have been loaded before
/// the generation the plan is kept under was read, so these cannot be left to it) and the
/// records the request names, as sent. Two requests with the same key have the same plan but
/// for their own title, note, pending time and preferences ([`CreatePlan::for_request`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreatePlanKey {
    actor_id: i64,
    permissions: Vec<String>,
    token_permissions: Option<Vec<String>>,
    group_access: BTreeMap<i64, BTreeSet<AccessLevel>>,
    group: Option<input::Ref>,
    state: Option<input::Ref>,
    priority: Option<input::Ref>,
    owner: Option<input::UserRef>,
    customer: Option<input::CustomerRef>,
    organization: Option<input::Ref>,
}

impl CreatePlanKey {
    /// The key of `actor`'s `request`.
    pub fn of(actor: &Actor, request: &input::TicketChanges) -> CreatePlanKey {
        CreatePlanKey {
            actor_id: actor.id,
            permissions: actor.permissions.clone(),
            token_permissions: actor.token_permissions.clone(),
            group_access: actor.group_access.clone(),
            group: request.group.clone(),
            state: request.state.clone(),
            priority: request.priority.clone(),
            owner: request.owner.clone(),
            customer: request.customer.clone(),
            organization: request.organization.clone(),
        }
    }
}

/// `POST /tickets`: creates a ticket (and its first article) in the caller's transaction;
/// the ticket and that article. `prepared_article`: the article's body prepared before the
/// transaction, as [`articles::create_on`] takes it. Reads and checks on `conn` first
/// ([`plan_create`]); [`create_planned`] takes a plan read before the transaction.
pub async fn create(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    request: &input::TicketChanges,
    prepared_article: Option<Result<articles::PreparedBody>>,
) -> Result<(TicketRecord, Option<articles::ArticleRecord>)> {
    let plan = plan_create(conn, actor, request).await?;
    create_planned(conn, files, actor, request, plan, prepared_article).await
}

/// [`create`]'s writes, with its reads and checks done before ([`plan_create`] on
/// `request`): the customer created when the request names a new one, the ticket, its
/// mentions, tags and first article.
pub async fn create_planned(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    request: &input::TicketChanges,
    plan: CreatePlan,
    prepared_article: Option<Result<articles::PreparedBody>>,
) -> Result<(TicketRecord, Option<articles::ArticleRecord>)> {
    let CreatePlan { mut new, resolved } = plan;
    let resolved = match resolved {
        Some(resolved) => resolved,
        None => {
            new.customer_id = customer_from(conn, actor, request.customer.as_ref())
                .await?
                .unwrap_or(actor.id);
            resolve(conn, &new).await?
        }
    };
    let (inserted, facts) = insert_resolved(conn, actor, new, resolved).await?;
    let id = inserted.id;
    let mut changed_since = false;
    for user_id in &request.mentions {
        crate::tickets::mentions::create(conn, actor, id, Some(*user_id)).await?;
        changed_since = true;
    }
    for tag in request.tags.as_deref().into_iter().flat_map(tag_names_in) {
        add_tag(conn, actor, id, tag).await?;
        changed_since = true;
    }
    let Some(article) = &request.article else {
        let ticket = if changed_since {
            find(conn, id).await?
        } else {
            inserted
        };
        return Ok((ticket, None));
    };
    // the ticket as inserted is the ticket as it is, unless mentions or tags changed it
    let (ticket, facts) = if changed_since {
        load_locked(conn, id).await?
    } else {
        (inserted, facts)
    };
    let (first, after) = articles::create_on_loaded(
        conn,
        files,
        actor,
        ticket,
        facts,
        article,
        true,
        prepared_article,
    )
    .await?;
    let ticket = match after {
        Some(ticket) => ticket,
        None => find(conn, id).await?,
    };
    Ok((ticket, Some(first)))
}

/// `PUT /tickets/{id}`: changes fields (customers: only title, state, priority, group) and
/// optionally adds an article, in the caller's transaction (`prepared_article` as in
/// [`create`]). Returns the ticket as it is now and the new article's id.
pub async fn update(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    id: i64,
    request: &input::TicketChanges,
    prepared_article: Option<Result<articles::PreparedBody>>,
) -> Result<(TicketRecord, Option<i64>)> {
    let for_update = sqlx::query_scalar::<_, i64>("SELECT id FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    if for_update.is_none() {
        return Err(Error::not_found("Ticket", id));
    }
    let (current, facts) = load(conn, id).await?;
    let follow_up = follow_up_for(conn, actor, &current, &facts).await?;
    policy::authorize_update_ticket(actor, &facts, follow_up)?;
    let agent = actor.has_group_access(current.group_id, AccessLevel::Change);

    let title = match input::checked("title", request.title.clone())? {
        Some(t) if clean_title(&t).is_empty() => return Err(input::missing("title")),
        Some(t) => clean_title(&t),
        None => current.title.clone(),
    };
    let group_id = input::resolve_opt(conn, Named::Group, "group", request.group.as_ref())
        .await?
        .unwrap_or(current.group_id);
    if group_id != current.group_id
        && agent
        && !actor.has_group_access(group_id, AccessLevel::Create)
        && !actor.has_group_access(group_id, AccessLevel::Change)
    {
        return Err(Error::Forbidden(
            "Not authorized (no access to the target group)!".into(),
        ));
    }
    let state_id = input::resolve_opt(conn, Named::TicketState, "state", request.state.as_ref())
        .await?
        .unwrap_or(current.state_id);
    let state = states::find(conn, state_id).await?;
    if state_id != current.state_id {
        check_state_choice(&state, agent, false)?;
    }
    let priority_id = input::resolve_opt(
        conn,
        Named::TicketPriority,
        "priority",
        request.priority.as_ref(),
    )
    .await?
    .unwrap_or(current.priority_id);
    let (owner_id, customer_id, requested_org) = if agent {
        (
            input::resolve_user_opt(conn, "owner", request.owner.as_ref())
                .await?
                .unwrap_or(current.owner_id),
            customer_from(conn, actor, request.customer.as_ref())
                .await?
                .unwrap_or(current.customer_id),
            input::resolve_opt(
                conn,
                Named::Organization,
                "organization",
                request.organization.as_ref(),
            )
            .await?,
        )
    } else {
        (current.owner_id, current.customer_id, None)
    };
    let owner_id = if state.is_closed() {
        owner_id
    } else {
        sane_owner(conn, owner_id, group_id).await?
    };
    let organization_id = if customer_id != current.customer_id || requested_org.is_some() {
        organization_for(conn, customer_id, requested_org.or(current.organization_id)).await?
    } else {
        current.organization_id
    };
    let note = if agent {
        input::checked("note", request.note.clone())?.or(current.note.clone())
    } else {
        current.note.clone()
    };
    if note.as_ref().is_some_and(|n| n.chars().count() > 250) {
        return Err(Error::unprocessable(
            "The note must not be longer than 250 characters.",
        ));
    }
    let pending_time = pending_time_for(
        &state,
        input::checked("pending_time", request.pending_time.clone())?,
        current.pending_time.clone(),
    )?;
    if state_id != current.state_id {
        require_pending_time(&state, &pending_time)?;
    }
    let mut preferences: Map<String, Value> =
        serde_json::from_str(&current.preferences).unwrap_or_default();
    if let Some(more) = &request.preferences
        && agent
    {
        preferences.extend(more.clone()); // merged key-wise
    }
    let now = clock::now();
    let was_closed = states::find(conn, current.state_id).await?.is_closed();
    let close_at = if state.is_closed() && current.close_at.is_none() {
        Some(now.clone())
    } else {
        current.close_at.clone()
    };
    let last_close_at = if state.is_closed() && !was_closed {
        Some(now.clone())
    } else {
        current.last_close_at.clone()
    };
    let last_owner_update_at = if owner_id != current.owner_id {
        Some(now.clone())
    } else {
        current.last_owner_update_at.clone()
    };
    sqlx::query(
        "UPDATE tickets SET title = $1, group_id = $2, state_id = $3, priority_id = $4, owner_id = $5, customer_id = $6, \
         organization_id = $7, note = $8, pending_time = $9, preferences = $10, close_at = $11, last_close_at = $12, \
         last_owner_update_at = $13, updated_by_id = $14, updated_at = $15 WHERE id = $16",
    )
    .bind(&title)
    .bind(group_id)
    .bind(state_id)
    .bind(priority_id)
    .bind(owner_id)
    .bind(customer_id)
    .bind(organization_id)
    .bind(note)
    .bind(pending_time)
    .bind(Value::Object(preferences).to_string())
    .bind(close_at)
    .bind(last_close_at)
    .bind(last_owner_update_at)
    .bind(actor.id)
    .bind(&now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let after = find(conn, id).await?;
    crate::tickets::history::record_ticket_changes(conn, actor.id, &current, &after).await?;
    let mut article_id = None;
    if let Some(article) = &request.article {
        let (created, _) =
            articles::create_on(conn, files, actor, id, article, false, prepared_article).await?;
        article_id = Some(created.id);
        if request.state.is_none() {
            reopen_for_follow_up(conn, actor, id).await?;
        }
    }
    if after.title != current.title {
        crate::tickets::search_index::index_ticket(conn, id).await?;
    }
    Ok((find(conn, id).await?, article_id))
}

/// A customer's follow-up (an article of theirs) on a closed or pending ticket reopens it,
/// to the state marked `default_follow_up` (open), as Zammad does for follow-ups the group
/// allows (those it does not allow were refused before). Agents' articles and requests that
/// set the state themselves leave it alone.
pub async fn reopen_for_follow_up(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<()> {
    let current = find(conn, ticket_id).await?;
    if actor.has_group_access(current.group_id, AccessLevel::Read) {
        return Ok(());
    }
    let state = states::find(conn, current.state_id).await?;
    if !state.is_closed() && !state.is_pending() {
        return Ok(());
    }
    let follow_up: i64 = sqlx::query_scalar(
        "SELECT id FROM ticket_states WHERE default_follow_up = 1 ORDER BY id LIMIT 1",
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE tickets SET state_id = $1, pending_time = NULL, updated_by_id = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(follow_up)
    .bind(actor.id)
    .bind(clock::now())
    .bind(ticket_id)
    .execute(&mut *conn)
    .await?;
    let after = find(conn, ticket_id).await?;
    crate::tickets::history::record_ticket_changes(conn, actor.id, &current, &after).await
}

/// `DELETE /tickets/{id}`: admins only; articles, attachments and tags go with it (foreign keys
/// cascade). Returns the content hashes whose bytes may now be unreferenced: pass them to
/// [`attachments::remove_unreferenced`] after the commit.
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Vec<String>> {
    let (_, facts) = load(conn, id).await?;
    policy::authorize_delete_ticket(actor, &facts)?;
    let hashes = attachments::hashes_of_ticket(conn, id).await?;
    crate::tickets::search_index::remove_ticket(conn, id).await?;
    sqlx::query("DELETE FROM tickets WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(hashes)
}

pub async fn tag_names(conn: &mut AnyConnection, ticket_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT name FROM ticket_tags WHERE ticket_id = $1 ORDER BY created_at, name",
    )
    .bind(ticket_id)
    .fetch_all(conn)
    .await?)
}

pub async fn add_tag(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    name: &str,
) -> Result<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::unprocessable("Invalid tag name."));
    }
    sqlx::query("INSERT INTO ticket_tags (ticket_id, name, created_by_id, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING")
        .bind(ticket_id)
        .bind(name)
        .bind(actor.id)
        .bind(clock::now())
        .execute(&mut *conn)
        .await?;
    tag_list::remember(conn, name).await
}

/// Removes the tag named exactly `name` (Zammad's `Tag.tag_remove`: `VIP` and `vip` are two
/// tags).
pub async fn remove_tag(conn: &mut AnyConnection, ticket_id: i64, name: &str) -> Result<()> {
    sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1 AND name = $2")
        .bind(ticket_id)
        .bind(name.trim())
        .execute(conn)
        .await?;
    Ok(())
}

/// `GET /tags?object=Ticket&o_id=`: agents who can read the ticket.
pub async fn tags(conn: &mut AnyConnection, actor: &Actor, ticket_id: i64) -> Result<Vec<String>> {
    let (_, facts) = load(conn, ticket_id).await?;
    if !actor.has_group_access(facts.group_id, AccessLevel::Read) {
        return Err(Error::not_authorized());
    }
    tag_names(conn, ticket_id).await
}

/// The tags a text names: split at commas, trimmed, empty parts dropped. One rule for every
/// place a client names tags (`tags` of a new ticket, `item` of `/tags/add` and
/// `/tags/remove`): a tag never contains a comma, as in Zammad's tag field.
pub fn tag_names_in(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// `POST /tags/add` and `DELETE /tags/remove`: agents with change access. `name` may name
/// several tags ([`tag_names_in`]).
pub async fn change_tag(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    name: &str,
    add: bool,
) -> Result<()> {
    params::check_length("tags", name)?;
    let (_, facts) = load(conn, ticket_id).await?;
    if !actor.has_group_access(facts.group_id, AccessLevel::Change) {
        return Err(Error::not_authorized());
    }
    let names: Vec<&str> = tag_names_in(name).collect();
    if names.is_empty() {
        return Err(Error::unprocessable("Invalid tag name."));
    }
    for name in names {
        if add {
            add_tag(conn, actor, ticket_id, name).await?;
        } else {
            remove_tag(conn, ticket_id, name).await?;
        }
        crate::tickets::history::record(
            conn,
            actor.id,
            crate::tickets::history::Entry {
                ticket_id,
                history_type: if add { "added" } else { "removed" },
                history_object: "Tag",
                object_id: ticket_id,
                value_to: Some(name.to_string()),
                ..Default::default()
            },
        )
        .await?;
    }
    touch(conn, actor, ticket_id).await
}

pub async fn touch(conn: &mut AnyConnection, actor: &Actor, ticket_id: i64) -> Result<()> {
    sqlx::query("UPDATE tickets SET updated_at = $1, updated_by_id = $2 WHERE id = $3")
        .bind(clock::now())
        .bind(actor.id)
        .bind(ticket_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Outcome of `PUT /ticket_merge/{source}/{target_number}`.
pub enum MergeOutcome {
    Merged {
        source: Box<TicketRecord>,
        target: Box<TicketRecord>,
    },
    TargetNotFound,
}

/// Merges `source` into the ticket numbered `target_number`: articles, tags and mentions move,
/// the source is set to `merged`, unassigned, and gets a note pointing at the target.
pub async fn merge(
    conn: &mut AnyConnection,
    actor: &Actor,
    source_id: i64,
    target_number: &str,
) -> Result<MergeOutcome> {
    let (_, source_facts) = load(conn, source_id).await?;
    if !actor.has_group_access(source_facts.group_id, AccessLevel::Change) {
        return Err(Error::not_authorized());
    }
    let target_id: Option<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE number = $1")
        .bind(target_number.trim())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(target_id) = target_id else {
        return Ok(MergeOutcome::TargetNotFound);
    };
    if target_id == source_id {
        return Err(Error::unprocessable(
            "A ticket cannot be merged into itself.",
        ));
    }
    // both rows locked (in id order, so opposite merges wait for each other instead of
    // deadlocking) and read again: of two opposite merges at the same moment, the second
    // finds a merged ticket
    for id in [source_id.min(target_id), source_id.max(target_id)] {
        articles::lock_ticket(conn, id).await?;
    }
    let (source, _) = load(conn, source_id).await?;
    let (target, target_facts) = load(conn, target_id).await?;
    if !actor.has_group_access(target_facts.group_id, AccessLevel::Change) {
        return Err(Error::not_authorized());
    }
    if source.state_id == states::MERGED || target.state_id == states::MERGED {
        // Zammad's wording (Ticket#merge_to)
        return Err(Error::unprocessable(
            "ticket already merged, no merge into merged ticket possible",
        ));
    }
    sqlx::query("UPDATE ticket_articles SET ticket_id = $1 WHERE ticket_id = $2")
        .bind(target_id)
        .bind(source_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO ticket_tags (ticket_id, name, created_by_id, created_at) SELECT $1, name, created_by_id, created_at FROM ticket_tags WHERE ticket_id = $2 ON CONFLICT DO NOTHING")
        .bind(target_id).bind(source_id).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO mentions (ticket_id, user_id, created_by_id, created_at, updated_at) SELECT $1, user_id, created_by_id, created_at, updated_at FROM mentions WHERE ticket_id = $2 ON CONFLICT DO NOTHING")
        .bind(target_id).bind(source_id).execute(&mut *conn).await?;
    let now = clock::now();
    sqlx::query("UPDATE tickets SET state_id = $1, owner_id = $2, updated_at = $3, updated_by_id = $4 WHERE id = $5")
        .bind(states::MERGED).bind(SYSTEM_USER_ID).bind(&now).bind(actor.id).bind(source_id)
        .execute(&mut *conn).await?;
    articles::create_system_note(
        conn,
        actor,
        source_id,
        &format!("merged into ticket #{}", target.number),
    )
    .await?;
    for (ticket, kind, other) in [
        (source_id, "merged_into", target_id),
        (target_id, "received_merge", source_id),
    ] {
        crate::tickets::history::record(
            conn,
            actor.id,
            crate::tickets::history::Entry {
                ticket_id: ticket,
                history_type: kind,
                history_object: "Ticket",
                object_id: ticket,
                id_from: Some(source_id),
                id_to: Some(target_id),
                value_to: Some(other.to_string()),
                ..Default::default()
            },
        )
        .await?;
    }
    for id in [source_id, target_id] {
        let count = articles::countable(conn, id).await?;
        sqlx::query("UPDATE tickets SET article_count = $1, updated_at = $2 WHERE id = $3")
            .bind(count)
            .bind(&now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(MergeOutcome::Merged {
        source: Box::new(find(conn, source_id).await?),
        target: Box::new(find(conn, target_id).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(permissions: &[&str], group_access: Value) -> Actor {
        serde_json::from_value(json!({
            "id": 3, "login": "anna", "firstname": "Anna", "lastname": "A",
            "email": "anna@example.test", "organization_id": null, "organization_ids": [],
            "shared_organization_ids": [], "permissions": permissions,
            "token_permissions": null, "group_access": group_access,
        }))
        .unwrap()
    }

    /// A plan kept for one actor never serves the same account with other permissions or
    /// group access (an actor loaded before a change, and one loaded after it).
    #[test]
    fn plans_are_kept_per_permissions_and_group_access() {
        let request = input::TicketChanges {
            group: Some(input::Ref::Id(1)),
            ..Default::default()
        };
        let agent = actor(&["ticket.agent"], json!({"1": ["create", "full"]}));
        let key = |actor: &Actor| CreatePlanKey::of(actor, &request);
        assert_eq!(key(&agent), key(&agent.clone()));
        let fewer_groups = actor(&["ticket.agent"], json!({"1": ["read"]}));
        assert_ne!(key(&agent), key(&fewer_groups));
        let customer = actor(&["ticket.customer"], json!({"1": ["create", "full"]}));
        assert_ne!(key(&agent), key(&customer));
        let narrowed = Actor {
            token_permissions: Some(vec!["user_preferences".into()]),
            ..agent.clone()
        };
        assert_ne!(key(&agent), key(&narrowed));
    }
}
