//! What a request asks of tickets and articles, typed: the use cases in `desk` take these, so
//! the REST API (whose Zammad JSON `dialects::zammad` parses into them) and the web app's
//! server functions (which build them directly) cannot drift apart.
//!
//! Records may be named by id or by name as Zammad's API allows ([`Ref`], [`UserRef`]); the
//! names are resolved inside the write transaction ([`resolve`], [`resolve_user`]), so an
//! unknown name is a 422 naming the parameter, as Zammad answers.

use serde_json::{Map, Value, json};
use sqlx::AnyConnection;

use crate::storage::lookup::{self, Named};
use crate::tickets::params;
use crate::{Error, Result};

/// A record given by id (`group_id: 2`) or by name (`group: "Sales"`); the id wins when a
/// request sends both.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ref {
    Id(i64),
    Name(String),
}

/// A user given by id (`owner_id: 3`) or by login or e-mail address (`owner: "anna"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    Id(i64),
    Login(String),
}

/// The customer of a ticket, in the three ways Zammad's API names one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CustomerRef {
    User(UserRef),
    /// `customer_id: "guess:<email>"`: the user with that address, created when unknown.
    Guess(String),
    /// `customer: {"firstname", "lastname", "email"}`: found by e-mail, else created with
    /// these names.
    Details {
        email: String,
        firstname: String,
        lastname: String,
    },
}

/// The fields a request sets on a ticket (`POST /tickets` and `PUT /tickets/{id}`): `None`
/// leaves a field as it is (on create: its default). Creating needs `title` and `group`.
/// Customers' requests may carry every field; the rules of what a customer may change (only
/// title, state, priority, group) are applied by `tickets::create` / `tickets::update`.
#[derive(Debug, Clone, Default)]
pub struct TicketChanges {
    /// At most 250 characters (cleaned of line breaks when stored).
    pub title: Option<String>,
    pub group: Option<Ref>,
    pub state: Option<Ref>,
    pub priority: Option<Ref>,
    pub owner: Option<UserRef>,
    pub customer: Option<CustomerRef>,
    pub organization: Option<Ref>,
    /// At most 250 characters.
    pub note: Option<String>,
    /// RFC 3339 or a relative time (`now+1d`); required for pending states.
    pub pending_time: Option<String>,
    /// Merged key-wise into the stored preferences (agents only); opaque to Tandem.
    pub preferences: Option<Map<String, Value>>,
    /// Users to mention on a new ticket.
    pub mentions: Vec<i64>,
    /// Comma-separated tags for a new ticket.
    pub tags: Option<String>,
    /// A new ticket started from this named shared draft: the draft ends.
    pub shared_draft_id: Option<i64>,
    /// An article to add with the change (the first article of a new ticket).
    pub article: Option<ArticleInput>,
}

impl TicketChanges {
    /// Does the request change more than adding an article (a state, an owner, a title, …)?
    /// Decides whether customers hear of an internal article's change.
    pub fn sets_fields(&self) -> bool {
        self.title.is_some()
            || self.group.is_some()
            || self.state.is_some()
            || self.priority.is_some()
            || self.owner.is_some()
            || self.customer.is_some()
            || self.organization.is_some()
            || self.note.is_some()
            || self.pending_time.is_some()
            || self.preferences.is_some()
            || !self.mentions.is_empty()
            || self.tags.is_some()
    }
}

/// A file sent with an article as base64 (Zammad's `attachments` list), decoded when the
/// article is prepared; a missing part is reported then, naming the file's index.
#[derive(Debug, Clone, Default)]
pub struct Base64File {
    pub filename: Option<String>,
    /// Base64 (standard alphabet; line breaks ignored).
    pub data: Option<String>,
    /// `mime-type`; anything that is not `type/subtype` is stored as
    /// `application/octet-stream`.
    pub mime_type: Option<String>,
}

/// A new article as a request describes it (`POST /ticket_articles`, the `article` of a
/// ticket create or update). The body is checked (present, a known content type, within the
/// length limit) when it is prepared, before the write transaction.
#[derive(Debug, Clone, Default)]
pub struct ArticleInput {
    /// The ticket (`POST /ticket_articles` only; a ticket's own article goes on that ticket).
    pub ticket_id: Option<i64>,
    pub body: Option<String>,
    /// `text/plain` (the default) or `text/html`.
    pub content_type: Option<String>,
    pub attachments: Vec<Base64File>,
    /// `note` when absent.
    pub article_type: Option<Ref>,
    /// `Agent` for agents, `Customer` for customers when absent.
    pub sender: Option<Ref>,
    pub internal: Option<bool>,
    /// An agent writes on behalf of this user (a phone call's customer).
    pub origin_by: Option<UserRef>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub cc: Option<String>,
    pub subject: Option<String>,
    pub reply_to: Option<String>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// `preferences.subtype` (`reply`, `forward`).
    pub subtype: Option<String>,
    /// The upload cache whose files the article takes.
    pub form_id: Option<String>,
    /// Opaque to Tandem (agents only).
    pub preferences: Option<Map<String, Value>>,
    /// Time spent, in the ticket's time units.
    pub time_unit: Option<f64>,
    /// This article is the ticket's named shared draft, which ends with it.
    pub shared_draft_id: Option<i64>,
}

/// `PUT /ticket_articles/{id}`: what may change of an article.
#[derive(Debug, Clone, Default)]
pub struct ArticleChanges {
    pub internal: Option<bool>,
    /// `preferences.highlight`, opaque to Tandem.
    pub highlight: Option<Value>,
}

/// `POST` and `PUT /tickets/{id}/time_accountings[/{entry}]`.
#[derive(Debug, Clone, Default)]
pub struct TimeEntryInput {
    pub time_unit: Option<f64>,
    pub ticket_article_id: Option<i64>,
    /// `Some(None)`: the type is cleared.
    pub type_id: Option<Option<i64>>,
}

/// The id a [`Ref`] names: an id checked to exist, or the record with that name (`field` is
/// the parameter's name without `_id`, for the error).
pub async fn resolve(conn: &mut AnyConnection, what: Named, field: &str, r: &Ref) -> Result<i64> {
    match r {
        Ref::Id(id) => lookup::existing_id(conn, what, &format!("{field}_id"), *id).await,
        Ref::Name(name) => lookup::id_by_name(conn, what, field, name).await,
    }
}

/// [`resolve`] of an optional reference.
pub async fn resolve_opt(
    conn: &mut AnyConnection,
    what: Named,
    field: &str,
    r: Option<&Ref>,
) -> Result<Option<i64>> {
    match r {
        Some(r) => resolve(conn, what, field, r).await.map(Some),
        None => Ok(None),
    }
}

/// The id of the user a [`UserRef`] names (422 naming `field` when there is none).
pub async fn resolve_user(conn: &mut AnyConnection, field: &str, r: &UserRef) -> Result<i64> {
    match r {
        UserRef::Id(id) => {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            exists.ok_or_else(|| params::invalid(&format!("{field}_id"), &json!(id)))
        }
        UserRef::Login(key) => lookup::user_id_by_key(conn, key)
            .await?
            .ok_or_else(|| lookup::no_lookup_value(field, key)),
    }
}

/// [`resolve_user`] of an optional reference.
pub async fn resolve_user_opt(
    conn: &mut AnyConnection,
    field: &str,
    r: Option<&UserRef>,
) -> Result<Option<i64>> {
    match r {
        Some(r) => resolve_user(conn, field, r).await.map(Some),
        None => Ok(None),
    }
}

/// 422 unless `value` fits `field`'s length (see [`params::max_chars`]).
pub fn checked(field: &str, value: Option<String>) -> Result<Option<String>> {
    if let Some(v) = &value {
        params::check_length(field, v)?;
    }
    Ok(value)
}

impl From<i64> for Ref {
    fn from(id: i64) -> Ref {
        Ref::Id(id)
    }
}

impl From<i64> for UserRef {
    fn from(id: i64) -> UserRef {
        UserRef::Id(id)
    }
}

/// A required value that is missing (Zammad's message).
pub fn missing(field: &str) -> Error {
    Error::unprocessable(format!("The required value '{field}' is missing."))
}
