//! Ticket lists for the web app: the agent overviews (My tickets, Unassigned & open, All open,
//! Pending, Closed), the customer's "My tickets", and search results as the same rows, with
//! the names a list shows already joined in. Always inside the caller's [`TicketScope`].

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, FromRow};

use crate::policy::TicketScope;
use crate::policy::access::{AccessLevel, Actor};
use crate::search::{self, SearchRequest};
use crate::storage::paging::Page;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overview {
    /// Assigned to the caller, not closed.
    Mine,
    /// Nobody's, new or open.
    Unassigned,
    /// New or open.
    Open,
    /// Waiting: pending reminder or pending close.
    Pending,
    Closed,
    /// Customers: every ticket they can see.
    All,
}

impl Overview {
    pub const AGENT: [Overview; 5] = [
        Overview::Mine,
        Overview::Unassigned,
        Overview::Open,
        Overview::Pending,
        Overview::Closed,
    ];
    pub const CUSTOMER: [Overview; 3] = [Overview::All, Overview::Open, Overview::Closed];

    pub fn parse(name: &str) -> Option<Overview> {
        Some(match name {
            "mine" => Overview::Mine,
            "unassigned" => Overview::Unassigned,
            "open" => Overview::Open,
            "pending" => Overview::Pending,
            "closed" => Overview::Closed,
            "all" => Overview::All,
            _ => return None,
        })
    }

    fn condition(self, actor: &Actor) -> String {
        const ACTIVE: &str = "st.name IN ('new', 'open', 'pending reminder', 'pending action')";
        match self {
            Overview::Mine => format!("t.owner_id = {} AND {ACTIVE}", actor.id),
            Overview::Unassigned => "t.owner_id = 1 AND st.name IN ('new', 'open')".into(),
            // customers count a pending ticket as open (it is not done yet)
            Overview::Open if actor.is_customer() && !actor.is_agent() => ACTIVE.into(),
            Overview::Open => "st.name IN ('new', 'open')".into(),
            Overview::Pending => "st.name IN ('pending reminder', 'pending action')".into(),
            Overview::Closed => "st.name = 'closed'".into(),
            Overview::All => "st.name NOT IN ('merged', 'removed')".into(),
        }
    }
}

/// Whose tickets a customer lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Whose {
    #[default]
    Everyone,
    /// Only the caller's own tickets (not the organisation's).
    Own,
}

/// A ticket as a list shows it.
#[derive(Debug, Clone, PartialEq, FromRow, Serialize, Deserialize)]
pub struct Row {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub state: String,
    pub state_type: String,
    pub priority: String,
    pub priority_id: i64,
    pub group_name: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub organization: Option<String>,
    pub article_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// Sortable columns: the public name and the SQL it sorts by.
const SORTS: [(&str, &str); 8] = [
    ("number", "t.number"),
    ("title", "t.title"),
    ("customer", "customer_name"),
    ("state", "s.name"),
    ("priority", "t.priority_id"),
    ("group", "g.name"),
    ("owner", "owner_name"),
    ("updated", "t.updated_at"),
];

pub fn sort_column(name: &str) -> Option<&'static str> {
    SORTS.iter().find(|(n, _)| *n == name).map(|(_, sql)| *sql)
}

const SELECT: &str = "SELECT t.id, t.number, t.title, s.name AS state, st.name AS state_type, \
    p.name AS priority, t.priority_id, g.name AS group_name, t.owner_id, \
    CASE WHEN t.owner_id = 1 THEN '' ELSE TRIM(o.firstname || ' ' || o.lastname) END AS owner_name, \
    t.customer_id, TRIM(c.firstname || ' ' || c.lastname) AS customer_name, org.name AS organization, \
    t.article_count, t.created_at, t.updated_at \
    FROM tickets t \
    JOIN ticket_states s ON s.id = t.state_id \
    JOIN ticket_state_types st ON st.id = s.state_type_id \
    JOIN ticket_priorities p ON p.id = t.priority_id \
    JOIN groups g ON g.id = t.group_id \
    JOIN users c ON c.id = t.customer_id \
    JOIN users o ON o.id = t.owner_id \
    LEFT JOIN organizations org ON org.id = t.organization_id";

/// What a list asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub overview: Overview,
    pub whose: Whose,
    /// One of the names in [`SORTS`] (default: updated).
    pub sort: String,
    pub descending: bool,
    pub page: Page,
}

fn scope_condition(actor: &Actor, whose: Whose) -> String {
    let scope = TicketScope::for_actor(actor, AccessLevel::Read);
    match whose {
        Whose::Own if actor.is_customer() && !actor.is_agent() => {
            format!("t.customer_id = {}", actor.id)
        }
        _ => scope.sql_condition(),
    }
}

/// Customer-only callers (no agent role).
fn customer_only(actor: &Actor) -> bool {
    actor.is_customer() && !actor.is_agent()
}

/// The overviews the caller has, with how many tickets each holds.
pub async fn counts(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<(Overview, i64)>> {
    let overviews: &[Overview] = if customer_only(actor) {
        &Overview::CUSTOMER
    } else {
        &Overview::AGENT
    };
    let sums: Vec<String> = overviews
        .iter()
        .map(|o| format!("SUM(CASE WHEN {} THEN 1 ELSE 0 END)", o.condition(actor)))
        .collect();
    let sql = format!(
        "SELECT {} FROM tickets t JOIN ticket_states s ON s.id = t.state_id \
         JOIN ticket_state_types st ON st.id = s.state_type_id WHERE {}",
        sums.join(", "),
        scope_condition(actor, Whose::Everyone)
    );
    use sqlx::Row as _;
    let row = sqlx::query(&sql).fetch_one(conn).await?;
    let mut out = Vec::new();
    for (i, o) in overviews.iter().enumerate() {
        // SUM over no rows is NULL
        let n: Option<i64> = row.try_get(i).ok().flatten();
        out.push((*o, n.unwrap_or(0)));
    }
    Ok(out)
}

/// One page of an overview and the total number of its tickets.
pub async fn list(
    conn: &mut AnyConnection,
    actor: &Actor,
    request: &ListRequest,
) -> Result<(Vec<Row>, i64)> {
    let allowed = if customer_only(actor) {
        Overview::CUSTOMER.contains(&request.overview)
    } else {
        Overview::AGENT.contains(&request.overview)
    };
    if !allowed {
        return Err(Error::unprocessable("Unknown overview."));
    }
    let sort = sort_column(&request.sort)
        .ok_or_else(|| Error::unprocessable(format!("Cannot sort by {:?}.", request.sort)))?;
    let order = if request.descending { "DESC" } else { "ASC" };
    let filter = format!(
        "{} AND {}",
        scope_condition(actor, request.whose),
        request.overview.condition(actor)
    );
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM tickets t JOIN ticket_states s ON s.id = t.state_id \
         JOIN ticket_state_types st ON st.id = s.state_type_id WHERE {filter}"
    ))
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query_as::<_, Row>(&format!(
        "{SELECT} WHERE {filter} ORDER BY {sort} {order}, t.id {order} LIMIT $1 OFFSET $2"
    ))
    .bind(request.page.per_page)
    .bind(request.page.offset())
    .fetch_all(conn)
    .await?;
    Ok((rows, total))
}

/// A page of search results (the API's search, same query language) as list rows.
pub async fn search(
    conn: &mut AnyConnection,
    actor: &Actor,
    query: &str,
    page: Page,
) -> Result<(Vec<Row>, i64)> {
    let request = SearchRequest {
        query: query.to_string(),
        page,
        sort_by: Vec::new(),
        order_by: Vec::new(),
        want_total: true,
    };
    let (records, total) = search::search(conn, actor, &request).await?;
    let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
    let rows = rows_by_id(conn, &ids).await?;
    Ok((rows, total))
}

/// List rows for tickets the caller was already allowed to see, in the order of `ids`.
pub async fn rows_by_id(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Row>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = crate::storage::store::id_list(ids.iter().copied());
    let mut rows = sqlx::query_as::<_, Row>(&format!("{SELECT} WHERE t.id IN ({list})"))
        .fetch_all(conn)
        .await?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}
