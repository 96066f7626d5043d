//! Turning the names Zammad clients send (`group: "Users"`, `owner: "agent@x"`) into ids.

use sqlx::AnyConnection;

use crate::{Error, Result};

/// A table that can be looked up by name. The SQL pieces are constants, never user input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Named {
    Group,
    Organization,
    Role,
    TicketState,
    TicketPriority,
    ArticleType,
    ArticleSender,
}

impl Named {
    fn table(self) -> &'static str {
        match self {
            Named::Group => "groups",
            Named::Organization => "organizations",
            Named::Role => "roles",
            Named::TicketState => "ticket_states",
            Named::TicketPriority => "ticket_priorities",
            Named::ArticleType => "ticket_article_types",
            Named::ArticleSender => "ticket_article_senders",
        }
    }

    /// The rows of a table the first migration seeds and nothing writes afterwards (article
    /// senders and types): looked up here without a query. Empty for the other tables.
    fn seeded(self) -> &'static [(i64, &'static str)] {
        match self {
            Named::ArticleType => &ARTICLE_TYPES,
            Named::ArticleSender => &ARTICLE_SENDERS,
            _ => &[],
        }
    }

    /// The seeded row with this id ([`Named::seeded`]).
    fn seeded_name(self, id: i64) -> Option<&'static str> {
        self.seeded()
            .iter()
            .find(|(seeded, _)| *seeded == id)
            .map(|(_, name)| *name)
    }
}

/// `ticket_article_senders` as the first migration seeds it (Zammad's `Ticket::Article::Sender`
/// seeds); `domain/tests/reference_data.rs` checks it against both databases.
pub const ARTICLE_SENDERS: [(i64, &str); 3] = [(1, "Agent"), (2, "Customer"), (3, "System")];

/// `ticket_article_types` as the first migration seeds it (Zammad's `Ticket::Article::Type`
/// seeds); checked as [`ARTICLE_SENDERS`] is.
pub const ARTICLE_TYPES: [(i64, &str); 12] = [
    (1, "email"),
    (2, "sms"),
    (3, "chat"),
    (4, "fax"),
    (5, "phone"),
    (6, "twitter status"),
    (7, "twitter direct-message"),
    (8, "facebook feed post"),
    (9, "facebook feed comment"),
    (10, "note"),
    (11, "web"),
    (12, "telegram personal-message"),
];

/// Whether the seeded article type `type_id` is a communication type (`ticket_article_types.
/// communication`: every type but `note`, Zammad's `Ticket::Article::Type` seeds): such an
/// article is a contact with the customer unless internal. `None` for an id the migrations do
/// not seed (no such type: the article's insert fails on its foreign key).
pub fn article_type_is_communication(type_id: i64) -> Option<bool> {
    Named::ArticleType
        .seeded_name(type_id)
        .map(|name| name != "note")
}

/// Id of the record named `name` in any case, or 422 `No lookup value found for '<field>':
/// "<name>"`. Tables with a folded copy of the name (`name_downcase`, see
/// [`crate::storage::text`]) compare in every script; the others (seeded ASCII names) with
/// SQL's `lower()`.
pub async fn id_by_name(
    conn: &mut AnyConnection,
    what: Named,
    field: &str,
    name: &str,
) -> Result<i64> {
    if let Some((id, _)) = what
        .seeded()
        .iter()
        .find(|(_, seeded)| seeded.eq_ignore_ascii_case(name))
    {
        return Ok(*id);
    }
    let folded = matches!(
        what,
        Named::Group | Named::Organization | Named::TicketState | Named::TicketPriority
    );
    let (sql, value) = if folded {
        (
            format!("SELECT id FROM {} WHERE name_downcase = $1", what.table()),
            crate::storage::text::fold(name),
        )
    } else {
        (
            format!(
                "SELECT id FROM {} WHERE lower(name) = lower($1)",
                what.table()
            ),
            name.to_string(),
        )
    };
    sqlx::query_scalar::<_, i64>(&sql)
        .bind(value)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| no_lookup_value(field, name))
}

/// Checks that an id exists, or 422 `Invalid value for param '<field>': <id>`.
pub async fn existing_id(
    conn: &mut AnyConnection,
    what: Named,
    field: &str,
    id: i64,
) -> Result<i64> {
    if what.seeded_name(id).is_some() {
        return Ok(id);
    }
    let sql = format!("SELECT id FROM {} WHERE id = $1", what.table());
    sqlx::query_scalar::<_, i64>(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::unprocessable(format!("Invalid value for param '{field}': {id}")))
}

pub async fn name_by_id(conn: &mut AnyConnection, what: Named, id: i64) -> Result<Option<String>> {
    if let Some(name) = what.seeded_name(id) {
        return Ok(Some(name.to_string()));
    }
    let sql = format!("SELECT name FROM {} WHERE id = $1", what.table());
    Ok(sqlx::query_scalar::<_, String>(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Names of many records of one table at once (seeded rows without a query).
pub async fn names_by_ids(
    conn: &mut AnyConnection,
    what: Named,
    ids: &std::collections::BTreeSet<i64>,
) -> Result<Vec<(i64, String)>> {
    let mut names = Vec::new();
    let mut unknown = Vec::new();
    for &id in ids {
        match what.seeded_name(id) {
            Some(name) => names.push((id, name.to_string())),
            None => unknown.push(id),
        }
    }
    if unknown.is_empty() {
        return Ok(names);
    }
    let sql = format!(
        "SELECT id, name FROM {} WHERE id IN ({})",
        what.table(),
        crate::storage::store::id_list(unknown)
    );
    let stored: Vec<(i64, String)> = sqlx::query_as(&sql)
        .persistent(false)
        .fetch_all(conn)
        .await?;
    names.extend(stored);
    Ok(names)
}

/// A user by login, then e-mail (case-insensitive), or by id when all digits.
pub async fn user_id_by_key(conn: &mut AnyConnection, key: &str) -> Result<Option<i64>> {
    let key = key.trim().to_lowercase();
    if !key.is_empty()
        && key.bytes().all(|b| b.is_ascii_digit())
        && let Ok(id) = key.parse::<i64>()
    {
        let found = sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT id FROM users WHERE login = $1 OR (email <> '' AND email = $2) ORDER BY (login = $3) DESC, id LIMIT 1",
    )
    .bind(&key)
    .bind(&key)
    .bind(&key)
    .fetch_optional(conn)
    .await?)
}

pub fn no_lookup_value(field: &str, value: &str) -> Error {
    Error::unprocessable(format!("No lookup value found for '{field}': {value:?}"))
}
