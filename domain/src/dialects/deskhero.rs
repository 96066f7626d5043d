//! DeskHero's dialect (docs/deskhero.md): `POST /api/{tenant}/v1/ticket_conversations/{ticket_id}`
//! creates "conversation entries" on a ticket. Each entry becomes a Tandem article through the
//! same pipeline as Zammad's `POST /ticket_articles` ([`articles::insert`]: sanitising, inline
//! images, attachments, side effects); a SUGGESTED_REPLY becomes the ticket's shared draft.
//!
//! A request is all or nothing: every entry is parsed and checked before anything is written,
//! and everything is written in the caller's one transaction. A draft write reaches live
//! editors only after the commit ([`Created::publish`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::AnyConnection;
use utoipa::ToSchema;

use crate::policy::access::{AccessLevel, Actor};
use crate::policy::{self, TicketFacts};
use crate::shared_drafts::{Hub, zoom};
use crate::storage::files::FileStore;
use crate::tickets::articles::{self, ArticleRecord, NewArticle};
use crate::tickets::html_text::{escape, html_to_text};
use crate::tickets::{self, TicketRecord};
use crate::{
    Error, Result, accounts::users, tickets::attachments, tickets::sanitize, tickets::states,
};

/// The only API version (`/api/{tenant}/v1/...`).
pub const VERSION: &str = "v1";
/// Entries per request.
pub const MAX_ENTRIES: usize = 100;
/// `attachment_status` OK.
pub const ATTACHMENT_STATUS_OK: i64 = 2;
const PREVIEW_CHARS: usize = 200;
const WORDS_PER_MINUTE: usize = 200;
/// Nesting of editorjs list items.
const MAX_LIST_DEPTH: usize = 10;

// ---------------------------------------------------------------------------------------------
// Errors

/// A refused request: the domain error decides the status (422 is DeskHero's 400); `field`
/// names what it is about (`[0].email_addresses[1].email`, `ticket_id`, `body`), empty for the
/// request as a whole.
#[derive(Debug)]
pub struct FieldError {
    pub field: String,
    pub error: Error,
}

impl FieldError {
    pub fn new(field: impl Into<String>, error: Error) -> Self {
        FieldError {
            field: field.into(),
            error,
        }
    }

    fn bad(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError::new(field, Error::Unprocessable(message.into()))
    }
}

impl From<Error> for FieldError {
    fn from(error: Error) -> Self {
        FieldError::new("", error)
    }
}

// ---------------------------------------------------------------------------------------------
// DTOs (DeskHero's names; read-only fields are ignored on input and filled on output)

/// `ENUM ticket_conversation_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationType {
    ReplyInbound = 1,
    NotePrivate = 2,
    NotePublic = 3,
    Forward = 4,
    ReplyOutbound = 5,
    SuggestedReply = 6,
}

impl ConversationType {
    const ALL: [(ConversationType, &'static str); 6] = [
        (ConversationType::ReplyInbound, "REPLY_INBOUND"),
        (ConversationType::NotePrivate, "NOTE_PRIVATE"),
        (ConversationType::NotePublic, "NOTE_PUBLIC"),
        (ConversationType::Forward, "FORWARD"),
        (ConversationType::ReplyOutbound, "REPLY_OUTBOUND"),
        (ConversationType::SuggestedReply, "SUGGESTED_REPLY"),
    ];

    pub fn value(self) -> i64 {
        self as i64
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("UNKNOWN", |(_, n)| n)
    }

    /// The enum value (`1`) or its name (`"REPLY_INBOUND"`); UNKNOWN (0) and others are `None`.
    fn from_json(value: &Value) -> Option<Self> {
        enum_from_json(value, &Self::ALL)
    }
}

/// `ENUM email_address_direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    From = 1,
    To = 2,
    Cc = 3,
    Bcc = 4,
    ForwardedTo = 5,
    ResentFrom = 6,
    ReplyTo = 7,
}

impl Direction {
    const ALL: [(Direction, &'static str); 7] = [
        (Direction::From, "FROM"),
        (Direction::To, "TO"),
        (Direction::Cc, "CC"),
        (Direction::Bcc, "BCC"),
        (Direction::ForwardedTo, "FORWARDED_TO"),
        (Direction::ResentFrom, "RESENT_FROM"),
        (Direction::ReplyTo, "REPLY_TO"),
    ];

    pub fn value(self) -> i64 {
        self as i64
    }

    fn from_json(value: &Value) -> Option<Self> {
        enum_from_json(value, &Self::ALL)
    }
}

fn enum_from_json<T: Copy + Into<i64>>(value: &Value, all: &[(T, &str)]) -> Option<T> {
    match value {
        Value::Number(n) => {
            let n = n.as_i64()?;
            all.iter().find(|(t, _)| (*t).into() == n).map(|(t, _)| *t)
        }
        Value::String(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<i64>() {
                return all.iter().find(|(t, _)| (*t).into() == n).map(|(t, _)| *t);
            }
            all.iter()
                .find(|(_, name)| name.eq_ignore_ascii_case(s))
                .map(|(t, _)| *t)
        }
        _ => None,
    }
}

impl From<ConversationType> for i64 {
    fn from(t: ConversationType) -> i64 {
        t.value()
    }
}

impl From<Direction> for i64 {
    fn from(d: Direction) -> i64 {
        d.value()
    }
}

/// `DTO_ticket_conversation`: one conversation entry of a ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DTO_ticket_conversation)]
pub struct Conversation {
    /// The article id (the shared-draft id for SUGGESTED_REPLY).
    #[schema(read_only)]
    pub id: i64,
    /// The ticket (the one in the path; optional on input).
    pub ticket_id: i64,
    /// `ENUM ticket_conversation_type`: 1 REPLY_INBOUND, 2 NOTE_PRIVATE, 3 NOTE_PUBLIC,
    /// 4 FORWARD, 5 REPLY_OUTBOUND, 6 SUGGESTED_REPLY (0 UNKNOWN is refused). The name is
    /// accepted on input too.
    #[serde(rename = "type")]
    #[schema(minimum = 1, maximum = 6, example = 1)]
    pub kind: i64,
    /// The ticket's state when the entry was created.
    #[schema(read_only)]
    pub sys_status: ReferenceColor,
    #[schema(read_only)]
    pub created_by: ReferenceUser,
    #[schema(read_only)]
    pub last_updated_by: ReferenceUser,
    /// For REPLY_INBOUND: the customer the entry comes from (`user_id`, or `email` + `name`:
    /// found or created). On output: the article's origin, else its author.
    pub requester: Contact,
    /// The newest message of the body, without quoted history.
    #[schema(read_only)]
    pub last_message_extracted: String,
    /// On input: `[{"id": N}]`, files already in the caller's upload cache (`POST
    /// /api/v1/attachments`).
    pub sys_attachments: Vec<ReferenceAttachment>,
    #[schema(read_only, format = DateTime)]
    pub created: String,
    #[schema(read_only, format = DateTime)]
    pub last_updated: String,
    pub email_addresses: Vec<EmailAddress>,
    pub sys_content_rich: RichText,
}

/// `DTO_reference_color`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DTO_reference_color)]
pub struct ReferenceColor {
    pub id: i64,
    #[schema(read_only)]
    pub label: String,
    #[schema(read_only)]
    pub bg_color: String,
    #[schema(read_only)]
    pub text_color: String,
}

/// `DTO_reference_user`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DTO_reference_user)]
pub struct ReferenceUser {
    pub id: i64,
    /// Full name.
    #[schema(read_only)]
    pub label: String,
    #[schema(read_only)]
    pub email: String,
    /// Tandem keeps no profile pictures: always empty.
    #[schema(read_only)]
    pub profile_pic: String,
}

/// `DTO_contact`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DTO_contact)]
pub struct Contact {
    pub user_id: Option<i64>,
    pub email: String,
    pub name: String,
    #[schema(read_only)]
    pub profile_pic: String,
}

/// `DTO_reference_attachment`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DTO_reference_attachment)]
pub struct ReferenceAttachment {
    /// The attachment id (on input: an id from the caller's upload cache).
    pub id: i64,
    /// The file name.
    #[schema(read_only)]
    pub label: String,
    /// Size in KiB, rounded up.
    #[schema(read_only)]
    pub size_kb: i64,
    /// `ENUM attachment_status`: 2 OK.
    #[schema(read_only)]
    pub status: i64,
    #[schema(read_only)]
    pub status_message: String,
    /// `/api/v1/ticket_attachment/{ticket_id}/{article_id}/{file_id}`.
    #[schema(read_only)]
    pub download_url: String,
}

/// `DTO_email_address`.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
#[schema(as = DTO_email_address)]
pub struct EmailAddress {
    pub email: String,
    pub name: String,
    /// `ENUM email_address_direction`: 1 FROM, 2 TO, 3 CC, 4 BCC, 5 FORWARDED_TO,
    /// 6 RESENT_FROM, 7 REPLY_TO (the name is accepted on input too).
    #[schema(minimum = 1, maximum = 7, example = 2)]
    pub direction: i64,
}

/// `DTO_rich_text`: `html` wins; else `editorjs.blocks` are rendered to HTML.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DTO_rich_text)]
pub struct RichText {
    #[schema(read_only)]
    pub plain_preview: String,
    /// Sanitised like every article body; inline data-URI images become attachments.
    pub html: String,
    /// Echoed when the entry was sent as editorjs.
    pub editorjs: Option<EditorJs>,
    /// Words / 200, rounded up, at least 1 (computed).
    #[schema(read_only)]
    pub read_minutes: i64,
}

/// `DTO_editorjs`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DTO_editorjs)]
pub struct EditorJs {
    pub time: Option<i64>,
    pub version: Option<String>,
    pub blocks: Vec<EditorJsBlock>,
}

/// `DTO_editorjs_block`: paragraph, header, list, quote, code, delimiter, image.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DTO_editorjs_block)]
pub struct EditorJsBlock {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Object)]
    pub data: Value,
}

// ---------------------------------------------------------------------------------------------
// Route

/// The tenant (at least 2 characters, the configured one) and the version (`v1`); else 404.
pub fn check_route(tenant: &str, configured_tenant: &str, version: &str) -> Result<(), FieldError> {
    if tenant.chars().count() < 2 || tenant != configured_tenant {
        return Err(FieldError::new(
            "tenant",
            Error::NotFound(format!("Unknown tenant '{tenant}'")),
        ));
    }
    if version != VERSION {
        return Err(FieldError::new(
            "version",
            Error::NotFound(format!("Unsupported API version '{version}'")),
        ));
    }
    Ok(())
}

pub fn parse_ticket_id(text: &str) -> Result<i64, FieldError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| FieldError::bad("ticket_id", "ticket_id must be a positive integer"))
}

// ---------------------------------------------------------------------------------------------
// Creating entries

/// An entry after parsing, before anything is written.
#[derive(Debug)]
struct Entry {
    index: usize,
    kind: ConversationType,
    addresses: Vec<EmailAddress>,
    /// The HTML as sent, or rendered from editorjs (sanitised when stored).
    html: String,
    editorjs: Option<EditorJs>,
    plan: Plan,
}

#[derive(Debug)]
enum Plan {
    Article(Box<NewArticle>),
    SuggestedReply,
}

/// What a request created, in the caller's (uncommitted) transaction.
pub struct Created {
    pub conversations: Vec<Conversation>,
    /// The shared-draft write of a SUGGESTED_REPLY, announced to live editors after the commit.
    draft: Option<zoom::PendingWrite>,
}

impl Created {
    /// After the commit: live editors get the suggested reply.
    pub async fn publish(self, hub: &Arc<Hub>) -> Vec<Conversation> {
        if let Some(draft) = self.draft {
            draft.publish(hub).await;
        }
        self.conversations
    }

    /// The commit failed: live editors resync from storage.
    pub async fn abandon(self, hub: &Arc<Hub>) {
        if let Some(draft) = self.draft {
            draft.abandon(hub).await;
        }
    }
}

/// `POST /api/{tenant}/v1/ticket_conversations/{ticket_id}` as one use case: the transaction,
/// [`create_conversations`], the commit, then live editors get a suggested reply and open tabs
/// hear of the change. Errors are DeskHero's field errors; nothing is stored on any error.
pub async fn post_conversations(
    desk: &crate::desk::Desk,
    actor: &Actor,
    ticket_id: i64,
    body: &Value,
) -> Result<Vec<Conversation>, Vec<FieldError>> {
    let mut tx = desk.store.write().await.map_err(|e| vec![e.into()])?;
    let created =
        create_conversations(&mut tx, &desk.drafts, &desk.files, actor, ticket_id, body).await?;
    match tx.commit().await {
        Ok(()) => {
            let data = created.publish(&desk.drafts).await;
            desk.announce(ticket_id, true).await;
            Ok(data)
        }
        Err(err) => {
            created.abandon(&desk.drafts).await;
            Err(vec![err.into()])
        }
    }
}

/// `POST /api/{tenant}/v1/ticket_conversations/{ticket_id}`: creates every entry of `body` (a
/// JSON array of `DTO_ticket_conversation`) on the ticket, or none. The caller commits, then
/// calls [`Created::publish`] (or [`Created::abandon`] when the commit fails).
pub async fn create_conversations(
    conn: &mut AnyConnection,
    hub: &Arc<Hub>,
    files: &FileStore,
    actor: &Actor,
    ticket_id: i64,
    body: &Value,
) -> Result<Created, Vec<FieldError>> {
    articles::lock_ticket(conn, ticket_id)
        .await
        .map_err(|e| vec![e.into()])?;
    let (ticket, facts) = tickets::load(conn, ticket_id)
        .await
        .map_err(|e| vec![FieldError::new("ticket_id", e)])?;
    articles::authorize_adding(conn, actor, &ticket, &facts)
        .await
        .map_err(|e| vec![FieldError::new("ticket_id", e)])?;
    let Some(items) = body.as_array() else {
        return Err(vec![FieldError::bad(
            "body",
            "The body must be a JSON array of conversation entries.",
        )]);
    };
    if items.is_empty() {
        return Err(vec![FieldError::bad(
            "body",
            "At least one conversation entry is needed.",
        )]);
    }
    if items.len() > MAX_ENTRIES {
        return Err(vec![FieldError::bad(
            "body",
            format!("At most {MAX_ENTRIES} conversation entries per request."),
        )]);
    }

    // 1. parse and check everything
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut claimed = HashSet::new();
    let mut suggestions = 0;
    for (index, item) in items.iter().enumerate() {
        match prepare(conn, actor, &ticket, &facts, index, item, &mut claimed).await {
            Ok(entry) if entry.kind == ConversationType::SuggestedReply && suggestions > 0 => {
                errors.push(FieldError::bad(
                    format!("[{index}].type"),
                    "Only one SUGGESTED_REPLY per request: a ticket has one shared draft.",
                ));
            }
            Ok(entry) => {
                suggestions += usize::from(entry.kind == ConversationType::SuggestedReply);
                entries.push(entry);
            }
            Err(err) => errors.push(err),
        }
    }
    if !errors.is_empty() {
        // a refusal outranks bad input: the caller may not do this whatever they fix
        let (forbidden, rest): (Vec<_>, Vec<_>) = errors
            .into_iter()
            .partition(|e| matches!(e.error, Error::Forbidden(_)));
        return Err(if forbidden.is_empty() {
            rest
        } else {
            forbidden
        });
    }

    // 2. write
    let mut written = Vec::new();
    let mut draft: Option<zoom::PendingWrite> = None;
    for entry in entries {
        let field = format!("[{}]", entry.index);
        let outcome = match entry.plan {
            Plan::Article(ref new) => {
                // current counters: earlier entries of this request changed the ticket
                let stored = match tickets::load(conn, ticket_id).await {
                    Ok((current, _)) => {
                        articles::insert(conn, files, actor, &current, (**new).clone(), false).await
                    }
                    Err(e) => Err(e),
                };
                stored.map(|article| Written::Article(Box::new(article)))
            }
            Plan::SuggestedReply => {
                store_suggested_reply(conn, hub, files, actor, ticket_id, &entry.html)
                    .await
                    .map(|(reply, pending)| {
                        draft = Some(pending);
                        Written::Draft(reply)
                    })
            }
        };
        match outcome {
            Ok(outcome) => written.push((entry.kind, entry.addresses, entry.editorjs, outcome)),
            Err(e) => {
                let field = if entry.kind == ConversationType::SuggestedReply {
                    format!("{field}.type")
                } else {
                    field
                };
                if let Some(draft) = draft {
                    draft.abandon(hub).await;
                }
                return Err(vec![FieldError::new(field, e)]);
            }
        }
    }
    let answer = answer(conn, ticket_id, written).await;
    match answer {
        Ok(conversations) => Ok(Created {
            conversations,
            draft,
        }),
        Err(e) => {
            if let Some(draft) = draft {
                draft.abandon(hub).await;
            }
            Err(vec![e.into()])
        }
    }
}

type WrittenEntry = (
    ConversationType,
    Vec<EmailAddress>,
    Option<EditorJs>,
    Written,
);

/// Reindexes the ticket and renders what was written.
async fn answer(
    conn: &mut AnyConnection,
    ticket_id: i64,
    written: Vec<WrittenEntry>,
) -> Result<Vec<Conversation>> {
    crate::tickets::search_index::reindex(conn, ticket_id).await?;
    let (after, _) = tickets::load(conn, ticket_id).await?;
    let status = sys_status(conn, &after).await?;
    let mut people = People::default();
    let mut out = Vec::new();
    for (kind, addresses, editorjs, outcome) in written {
        out.push(match outcome {
            Written::Article(article) => {
                present_article(
                    conn,
                    &mut people,
                    &article,
                    kind,
                    addresses,
                    editorjs,
                    &status,
                )
                .await?
            }
            Written::Draft(reply) => {
                present_draft(
                    conn,
                    &mut people,
                    ticket_id,
                    &reply,
                    addresses,
                    editorjs,
                    &status,
                )
                .await?
            }
        });
    }
    Ok(out)
}

enum Written {
    Article(Box<ArticleRecord>),
    Draft(SuggestedReply),
}

/// The shared draft a SUGGESTED_REPLY was written into.
#[derive(Debug, Clone)]
pub struct SuggestedReply {
    pub draft_id: i64,
    /// The draft's body as stored (sanitised, in the composer's schema).
    pub html: String,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// SUGGESTED_REPLY → the ticket's shared draft: creates it, or replaces its body (the rest of
/// the draft — type, recipients, ticket attributes — stays), inside the request's transaction
/// `conn`. Live editors see it once the caller publishes the returned write after the commit.
/// The caller has been checked with [`policy::can_use_shared_draft`]; the service also wants
/// shared drafts switched on for the ticket's group (403 otherwise).
pub async fn store_suggested_reply(
    conn: &mut AnyConnection,
    hub: &Arc<Hub>,
    files: &FileStore,
    actor: &Actor,
    ticket_id: i64,
    html: &str,
) -> Result<(SuggestedReply, zoom::PendingWrite)> {
    let mut new_article = zoom::find_row(conn, ticket_id)
        .await?
        .and_then(|row| row.new_article.as_object().cloned())
        .unwrap_or_else(|| {
            let mut fresh = Map::new();
            fresh.insert("type".into(), json!("email"));
            fresh.insert("internal".into(), json!(false));
            fresh
        });
    new_article.remove("attachments");
    new_article.insert("body".into(), json!(sanitize::draft_html(html)));
    new_article.insert("content_type".into(), json!("text/html"));
    let body = json!({ "new_article": new_article });
    let pending = zoom::write_in(conn, hub, files, actor, ticket_id, &body, None, false).await?;
    let row = match zoom::find_row(conn, ticket_id).await {
        Ok(Some(row)) => row,
        other => {
            pending.abandon(hub).await;
            return Err(other
                .err()
                .unwrap_or_else(|| Error::Internal("the shared draft vanished".into())));
        }
    };
    let stored_html = row
        .new_article
        .get("body")
        .and_then(Value::as_str)
        .map_or_else(|| sanitize::draft_html(html), str::to_string);
    Ok((
        SuggestedReply {
            draft_id: pending.draft_id(),
            html: stored_html,
            created_by_id: row.created_by_id,
            updated_by_id: row.updated_by_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
        pending,
    ))
}

/// Parses one entry and checks what can be checked before writing.
async fn prepare(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &TicketRecord,
    facts: &TicketFacts,
    index: usize,
    item: &Value,
    claimed: &mut HashSet<i64>,
) -> Result<Entry, FieldError> {
    let at = format!("[{index}]");
    let Some(obj) = item.as_object() else {
        return Err(FieldError::bad(
            at,
            "A conversation entry must be a JSON object.",
        ));
    };
    let kind = match obj.get("type") {
        None | Some(Value::Null) => {
            return Err(FieldError::bad(
                format!("{at}.type"),
                "The type is missing.",
            ));
        }
        Some(v) => ConversationType::from_json(v).ok_or_else(|| {
            FieldError::bad(
                format!("{at}.type"),
                format!(
                    "Unknown conversation type {v}; use 1 to 6 (REPLY_INBOUND … SUGGESTED_REPLY)."
                ),
            )
        })?,
    };
    authorize_kind(actor, facts, kind).map_err(|e| FieldError::new(format!("{at}.type"), e))?;
    if let Some(v) = obj.get("ticket_id").filter(|v| !v.is_null())
        && v.as_i64() != Some(ticket.id)
        && v.as_str().and_then(|s| s.trim().parse::<i64>().ok()) != Some(ticket.id)
    {
        return Err(FieldError::bad(
            format!("{at}.ticket_id"),
            format!(
                "ticket_id {v} does not match the ticket in the path ({}).",
                ticket.id
            ),
        ));
    }
    let mut addresses = parse_addresses(obj.get("email_addresses"), &at)?;
    let (html, editorjs) = parse_content(obj.get("sys_content_rich"), &at)?;
    let attachment_ids = parse_attachment_ids(obj.get("sys_attachments"), &at)?;
    let requester = parse_requester(obj.get("requester"), &at)?;

    if kind == ConversationType::SuggestedReply {
        if !attachment_ids.is_empty() {
            return Err(FieldError::bad(
                format!("{at}.sys_attachments"),
                "A SUGGESTED_REPLY cannot carry attachments.",
            ));
        }
        return Ok(Entry {
            index,
            kind,
            addresses,
            html,
            editorjs,
            plan: Plan::SuggestedReply,
        });
    }

    for (j, id) in attachment_ids.iter().enumerate() {
        let field = format!("{at}.sys_attachments[{j}].id");
        if !claimed.insert(*id) {
            return Err(FieldError::bad(
                field,
                format!("Attachment {id} is used twice."),
            ));
        }
        if attachments::cached_upload(conn, actor, *id)
            .await
            .map_err(|e| FieldError::new(field.clone(), e))?
            .is_none()
        {
            return Err(FieldError::bad(
                field,
                format!("Unknown attachment id {id} (not in your upload cache)."),
            ));
        }
    }

    // who writes, as whom
    let agent_side = actor.has_group_access(ticket.group_id, AccessLevel::Read);
    let (type_id, sender_id, internal) = match kind {
        ConversationType::ReplyInbound => (articles::TYPE_EMAIL, articles::SENDER_CUSTOMER, false),
        ConversationType::NotePrivate => (articles::TYPE_NOTE, articles::SENDER_AGENT, true),
        ConversationType::NotePublic => (
            articles::TYPE_NOTE,
            if agent_side {
                articles::SENDER_AGENT
            } else {
                articles::SENDER_CUSTOMER
            },
            false,
        ),
        ConversationType::Forward | ConversationType::ReplyOutbound => {
            (articles::TYPE_EMAIL, articles::SENDER_AGENT, false)
        }
        ConversationType::SuggestedReply => unreachable!("handled above"),
    };
    let mut origin_by_id = None;
    let mut computed_from: Option<(String, String)> = None; // (email, name)
    if !agent_side {
        // customers write as themselves: no requester, no FROM of their own choosing
        addresses.retain(|a| a.direction != Direction::From.value());
        computed_from = Some((actor.email.clone(), actor.fullname()));
    } else if kind == ConversationType::ReplyInbound {
        let origin = match requester {
            Some(requester) => resolve_requester(conn, actor, requester, &at).await?,
            None => ticket.customer_id,
        };
        let user = users::find(conn, origin)
            .await
            .map_err(|e| FieldError::new(format!("{at}.requester"), e))?;
        origin_by_id = Some(origin);
        computed_from = Some((user.email.clone(), user.fullname()));
    }
    let has = |d: Direction, list: &[EmailAddress]| list.iter().any(|a| a.direction == d.value());
    if let Some((email, name)) = computed_from
        && !has(Direction::From, &addresses)
        && !email.is_empty()
    {
        addresses.insert(
            0,
            EmailAddress {
                email,
                name,
                direction: Direction::From.value(),
            },
        );
    }
    match kind {
        ConversationType::ReplyOutbound if !has(Direction::To, &addresses) => {
            // a reply goes to the ticket's customer unless told otherwise
            let customer = users::find(conn, ticket.customer_id)
                .await
                .map_err(|e| FieldError::new(format!("{at}.email_addresses"), e))?;
            if !users::valid_email(&customer.email) {
                return Err(FieldError::bad(
                    format!("{at}.email_addresses"),
                    "Sending an email without a valid recipient is not possible.",
                ));
            }
            addresses.push(EmailAddress {
                email: customer.email.clone(),
                name: customer.fullname(),
                direction: Direction::To.value(),
            });
        }
        ConversationType::Forward
            if !has(Direction::To, &addresses) && !has(Direction::ForwardedTo, &addresses) =>
        {
            return Err(FieldError::bad(
                format!("{at}.email_addresses"),
                "Sending an email without a valid recipient is not possible (FORWARD needs TO or FORWARDED_TO).",
            ));
        }
        _ => {}
    }

    let joined = |directions: &[Direction]| -> Option<String> {
        let list: Vec<String> = addresses
            .iter()
            .filter(|a| directions.iter().any(|d| d.value() == a.direction))
            .map(|a| format_address(&a.name, &a.email))
            .collect();
        (!list.is_empty()).then(|| list.join(", "))
    };
    let forward = kind == ConversationType::Forward;
    let to = if forward {
        joined(&[Direction::To, Direction::ForwardedTo])
    } else {
        joined(&[Direction::To])
    };
    let mut preferences = Map::new();
    for (key, direction) in [
        ("bcc", Direction::Bcc),
        ("resent_from", Direction::ResentFrom),
    ] {
        if let Some(list) = joined(&[direction]) {
            preferences.insert(key.into(), json!(list));
        }
    }
    if !forward && let Some(list) = joined(&[Direction::ForwardedTo]) {
        preferences.insert("forwarded_to".into(), json!(list));
    }
    let new = NewArticle {
        type_id,
        sender_id,
        internal,
        origin_by_id,
        from: joined(&[Direction::From]),
        to,
        cc: joined(&[Direction::Cc]),
        reply_to: joined(&[Direction::ReplyTo]),
        content_type: "text/html".into(),
        body: html.clone(),
        preferences,
        cached_file_ids: attachment_ids,
        ..Default::default()
    };
    Ok(Entry {
        index,
        kind,
        addresses,
        html,
        editorjs,
        plan: Plan::Article(Box::new(new)),
    })
}

/// Which entries the caller may create on a ticket they may change (checked before).
fn authorize_kind(actor: &Actor, facts: &TicketFacts, kind: ConversationType) -> Result<()> {
    let allowed = match kind {
        ConversationType::NotePrivate => policy::can_create_article(actor, facts, true),
        ConversationType::Forward | ConversationType::ReplyOutbound => {
            policy::can_write_as_agent(actor, facts)
        }
        ConversationType::SuggestedReply => policy::can_use_shared_draft(actor, facts.group_id),
        ConversationType::ReplyInbound | ConversationType::NotePublic => {
            policy::can_create_article(actor, facts, false)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "Not authorized to create {} entries on this ticket",
            kind.name()
        )))
    }
}

fn parse_addresses(value: Option<&Value>, at: &str) -> Result<Vec<EmailAddress>, FieldError> {
    let field = format!("{at}.email_addresses");
    let list = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(FieldError::bad(field, "email_addresses must be an array.")),
    };
    let mut out = Vec::new();
    for (j, item) in list.iter().enumerate() {
        let at = format!("{field}[{j}]");
        let Some(obj) = item.as_object() else {
            return Err(FieldError::bad(at, "An e-mail address must be an object."));
        };
        let email = match obj.get("email") {
            Some(Value::String(s)) => s.trim().to_string(),
            None | Some(Value::Null) => {
                return Err(FieldError::bad(
                    format!("{at}.email"),
                    "The e-mail is missing.",
                ));
            }
            Some(_) => {
                return Err(FieldError::bad(
                    format!("{at}.email"),
                    "The e-mail must be a string.",
                ));
            }
        };
        if !users::valid_email(&email) {
            return Err(FieldError::bad(
                format!("{at}.email"),
                format!("Invalid email '{email}'"),
            ));
        }
        let name = optional_text(obj.get("name"), &format!("{at}.name"))?
            .map(|n| clean_name(&n))
            .unwrap_or_default();
        let direction = match obj.get("direction") {
            None | Some(Value::Null) => {
                return Err(FieldError::bad(
                    format!("{at}.direction"),
                    "The direction is missing.",
                ));
            }
            Some(v) => Direction::from_json(v).ok_or_else(|| {
                FieldError::bad(
                    format!("{at}.direction"),
                    format!("Unknown direction {v}; use 1 to 7 (FROM … REPLY_TO)."),
                )
            })?,
        };
        out.push(EmailAddress {
            email,
            name,
            direction: direction.value(),
        });
    }
    Ok(out)
}

fn optional_text(value: Option<&Value>, field: &str) -> Result<Option<String>, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(FieldError::bad(field, format!("{field} must be a string."))),
    }
}

/// A display name without control characters (no header injection), trimmed.
fn clean_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `Name <email>` (the name quoted when it has characters that would split an address list).
pub fn format_address(name: &str, email: &str) -> String {
    if name.is_empty() {
        return email.to_string();
    }
    if name.contains([',', ';', '<', '>', '"', '@', '(', ')', ':', '\\']) {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\" <{email}>")
    } else {
        format!("{name} <{email}>")
    }
}

/// `sys_content_rich` → the HTML to store and the editorjs document it came from (if any).
fn parse_content(
    value: Option<&Value>,
    at: &str,
) -> Result<(String, Option<EditorJs>), FieldError> {
    let field = format!("{at}.sys_content_rich");
    let obj = match value {
        None | Some(Value::Null) => {
            return Err(FieldError::bad(
                field,
                "sys_content_rich with html or editorjs blocks is needed.",
            ));
        }
        Some(Value::Object(obj)) => obj,
        Some(_) => {
            return Err(FieldError::bad(
                field,
                "sys_content_rich must be an object.",
            ));
        }
    };
    let html = optional_text(obj.get("html"), &format!("{field}.html"))?;
    let (html, editorjs) = match (html, obj.get("editorjs")) {
        (Some(html), _) if !html.trim().is_empty() => (html, None),
        (_, Some(doc)) if !doc.is_null() => {
            let (html, doc) = render_editorjs(doc, &format!("{field}.editorjs"))?;
            (html, Some(doc))
        }
        _ => {
            return Err(FieldError::bad(
                field,
                "sys_content_rich needs html or editorjs blocks.",
            ));
        }
    };
    if html.chars().count() > articles::MAX_BODY_CHARS {
        return Err(FieldError::bad(
            field,
            format!(
                "The message is too long (maximum is {} characters).",
                articles::MAX_BODY_CHARS
            ),
        ));
    }
    crate::tickets::html_limits::check(&field, &html).map_err(|e| FieldError::new(&field, e))?;
    let clean = sanitize::html(&html);
    if html_to_text(&clean, false).trim().is_empty() && !clean.contains("<img") {
        return Err(FieldError::bad(field, "The message is empty."));
    }
    Ok((html, editorjs))
}

fn parse_attachment_ids(value: Option<&Value>, at: &str) -> Result<Vec<i64>, FieldError> {
    let field = format!("{at}.sys_attachments");
    let list = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(FieldError::bad(field, "sys_attachments must be an array.")),
    };
    list.iter()
        .enumerate()
        .map(|(j, item)| {
            let id = match item {
                Value::Object(obj) => obj.get("id"),
                number @ Value::Number(_) => Some(number),
                _ => None,
            };
            id.and_then(Value::as_i64).ok_or_else(|| {
                FieldError::bad(
                    format!("{field}[{j}].id"),
                    "An attachment reference needs a numeric id.",
                )
            })
        })
        .collect()
}

#[derive(Debug)]
enum Requester {
    Id(i64),
    Email { email: String, name: Option<String> },
}

fn parse_requester(value: Option<&Value>, at: &str) -> Result<Option<Requester>, FieldError> {
    let field = format!("{at}.requester");
    let obj = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(obj)) => obj,
        Some(_) => return Err(FieldError::bad(field, "requester must be an object.")),
    };
    match obj.get("user_id") {
        None | Some(Value::Null) => {}
        Some(v) => {
            return v.as_i64().map(|id| Some(Requester::Id(id))).ok_or_else(|| {
                FieldError::bad(format!("{field}.user_id"), "user_id must be an integer.")
            });
        }
    }
    let name = optional_text(obj.get("name"), &format!("{field}.name"))?.map(|n| clean_name(&n));
    match optional_text(obj.get("email"), &format!("{field}.email"))? {
        Some(email) if !email.trim().is_empty() => {
            let email = email.trim().to_lowercase();
            if !users::valid_email(&email) {
                return Err(FieldError::bad(
                    format!("{field}.email"),
                    format!("Invalid email '{email}'"),
                ));
            }
            Ok(Some(Requester::Email { email, name }))
        }
        _ => Ok(None),
    }
}

async fn resolve_requester(
    conn: &mut AnyConnection,
    actor: &Actor,
    requester: Requester,
    at: &str,
) -> Result<i64, FieldError> {
    match requester {
        Requester::Id(id) => match users::find(conn, id).await {
            Ok(user) => Ok(user.id),
            Err(Error::NotFound(_)) => Err(FieldError::bad(
                format!("{at}.requester.user_id"),
                format!("Unknown user {id}"),
            )),
            Err(e) => Err(FieldError::new(format!("{at}.requester.user_id"), e)),
        },
        Requester::Email { email, name } => {
            users::find_or_create_by_email(conn, actor, &email, name.as_deref())
                .await
                .map_err(|e| FieldError::new(format!("{at}.requester.email"), e))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// editorjs

/// Renders an editorjs document to HTML. Text fields are editorjs inline HTML (bold, italic,
/// links…): each is cleaned to inline markup on its own, plain fields (code, URLs, alt text)
/// are escaped, and the whole result goes through the article sanitiser when stored.
fn render_editorjs(doc: &Value, field: &str) -> Result<(String, EditorJs), FieldError> {
    let Some(obj) = doc.as_object() else {
        return Err(FieldError::bad(field, "editorjs must be an object."));
    };
    let time =
        match obj.get("time") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| {
                FieldError::bad(format!("{field}.time"), "time must be an integer.")
            })?),
        };
    let version = optional_text(obj.get("version"), &format!("{field}.version"))?;
    let blocks = match obj.get("blocks") {
        Some(Value::Array(blocks)) => blocks,
        None | Some(Value::Null) => {
            return Err(FieldError::bad(
                format!("{field}.blocks"),
                "blocks are missing.",
            ));
        }
        Some(_) => {
            return Err(FieldError::bad(
                format!("{field}.blocks"),
                "blocks must be an array.",
            ));
        }
    };
    let mut html = String::new();
    let mut out = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let at = format!("{field}.blocks[{i}]");
        let Some(b) = block.as_object() else {
            return Err(FieldError::bad(at, "A block must be an object."));
        };
        let kind = match b.get("type") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(FieldError::bad(
                    format!("{at}.type"),
                    "The block type is missing.",
                ));
            }
        };
        let id = optional_text(b.get("id"), &format!("{at}.id"))?;
        let data = match b.get("data") {
            Some(Value::Object(d)) => d.clone(),
            None | Some(Value::Null) if kind == "delimiter" => Map::new(),
            _ => {
                return Err(FieldError::bad(
                    format!("{at}.data"),
                    "The block data must be an object.",
                ));
            }
        };
        let d = format!("{at}.data");
        html.push_str(&render_block(&kind, &data, &d, &at)?);
        out.push(EditorJsBlock {
            id,
            kind,
            data: Value::Object(data),
        });
    }
    Ok((
        html,
        EditorJs {
            time,
            version,
            blocks: out,
        },
    ))
}

fn render_block(
    kind: &str,
    data: &Map<String, Value>,
    d: &str,
    at: &str,
) -> Result<String, FieldError> {
    let text = |key: &str| -> Result<String, FieldError> {
        match data.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(FieldError::bad(
                format!("{d}.{key}"),
                format!("{key} must be a string."),
            )),
        }
    };
    let optional = |key: &str| optional_text(data.get(key), &format!("{d}.{key}"));
    Ok(match kind {
        "paragraph" => format!("<p>{}</p>", inline(&text("text")?)),
        "header" => {
            let level = match data.get("level") {
                None | Some(Value::Null) => 2,
                Some(v) => v.as_i64().filter(|l| (1..=6).contains(l)).ok_or_else(|| {
                    FieldError::bad(format!("{d}.level"), "level must be 1 to 6.")
                })?,
            };
            format!("<h{level}>{}</h{level}>", inline(&text("text")?))
        }
        "list" => {
            let style = optional("style")?.unwrap_or_else(|| "unordered".into());
            if !["ordered", "unordered", "checklist"].contains(&style.as_str()) {
                return Err(FieldError::bad(
                    format!("{d}.style"),
                    "style must be ordered, unordered or checklist.",
                ));
            }
            render_list(&style, data.get("items"), &format!("{d}.items"), 0)?
        }
        "quote" => {
            let caption = optional("caption")?
                .filter(|c| !c.trim().is_empty())
                .map(|c| format!("<footer>{}</footer>", inline(&c)))
                .unwrap_or_default();
            format!(
                "<blockquote><p>{}</p>{caption}</blockquote>",
                inline(&text("text")?)
            )
        }
        "code" => format!("<pre><code>{}</code></pre>", escape(&text("code")?)),
        "delimiter" => "<hr>".to_string(),
        "image" => {
            let url = match (data.get("file"), data.get("url")) {
                (Some(Value::Object(file)), _) => file.get("url").and_then(Value::as_str),
                (_, Some(Value::String(url))) => Some(url.as_str()),
                _ => None,
            }
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| FieldError::bad(format!("{d}.file.url"), "The image needs a URL."))?;
            let lower = url.to_ascii_lowercase();
            if url.contains(|c: char| c.is_whitespace() || c.is_control() || "\"<>\\`".contains(c))
            {
                return Err(FieldError::bad(
                    format!("{d}.file.url"),
                    "The image URL is not a valid URL.",
                ));
            }
            if !(lower.starts_with("https://")
                || lower.starts_with("http://")
                || lower.starts_with("data:image/"))
            {
                return Err(FieldError::bad(
                    format!("{d}.file.url"),
                    "The image URL must be http(s) or a data:image URI.",
                ));
            }
            let caption = optional("caption")?.unwrap_or_default();
            let alt = html_to_text(&inline(&caption), false);
            let figcaption = if caption.trim().is_empty() {
                String::new()
            } else {
                format!("<figcaption>{}</figcaption>", inline(&caption))
            };
            format!(
                "<figure><img src=\"{}\" alt=\"{}\">{figcaption}</figure>",
                escape(url),
                escape(alt.trim())
            )
        }
        other => {
            return Err(FieldError::bad(
                format!("{at}.type"),
                format!(
                    "Unknown block type '{other}' (paragraph, header, list, quote, code, delimiter, image)."
                ),
            ));
        }
    })
}

/// An editorjs list: items as strings (list 1.x) or `{content, items, meta}` (nested list 2.x).
fn render_list(
    style: &str,
    items: Option<&Value>,
    field: &str,
    depth: usize,
) -> Result<String, FieldError> {
    if depth >= MAX_LIST_DEPTH {
        return Err(FieldError::bad(field, "The list is nested too deeply."));
    }
    let items = match items {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) if depth > 0 => return Ok(String::new()),
        _ => return Err(FieldError::bad(field, "items must be an array.")),
    };
    if items.is_empty() && depth > 0 {
        return Ok(String::new());
    }
    let tag = if style == "ordered" { "ol" } else { "ul" };
    let mut html = format!("<{tag}>");
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let (content, checked, children) = match item {
            Value::String(s) => (s.clone(), false, None),
            Value::Object(obj) => {
                let content = match obj.get("content").or_else(|| obj.get("text")) {
                    Some(Value::String(s)) => s.clone(),
                    _ => {
                        return Err(FieldError::bad(
                            format!("{at}.content"),
                            "A list item needs its content as a string.",
                        ));
                    }
                };
                let checked = obj
                    .get("meta")
                    .and_then(|m| m.get("checked"))
                    .or_else(|| obj.get("checked"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                (content, checked, obj.get("items"))
            }
            _ => {
                return Err(FieldError::bad(
                    at,
                    "A list item must be a string or an object.",
                ));
            }
        };
        let marker = match (style, checked) {
            ("checklist", true) => "☑ ",
            ("checklist", false) => "☐ ",
            _ => "",
        };
        let nested = render_list(style, children, &format!("{at}.items"), depth + 1)?;
        html.push_str(&format!("<li>{marker}{}{nested}</li>", inline(&content)));
    }
    html.push_str(&format!("</{tag}>"));
    Ok(html)
}

/// editorjs inline HTML reduced to inline markup (scripts and their content dropped).
fn inline(text: &str) -> String {
    let mut b = ammonia::Builder::empty();
    b.add_tags([
        "b", "strong", "i", "em", "u", "s", "strike", "del", "mark", "code", "a", "br", "span",
        "sub", "sup", "small",
    ])
    .add_tag_attributes("a", ["href"])
    .clean_content_tags(std::collections::HashSet::from(["script", "style"]))
    .url_schemes(std::collections::HashSet::from([
        "http", "https", "mailto", "tel",
    ]))
    .link_rel(Some("noopener noreferrer nofollow"));
    b.clean(text).to_string()
}

/// Text for an HTML text node or a double-quoted attribute.

// ---------------------------------------------------------------------------------------------
// Text of a body

/// words / 200, rounded up, at least 1.
pub fn read_minutes(text: &str) -> i64 {
    let words = text.split_whitespace().count();
    words.div_ceil(WORDS_PER_MINUTE).max(1) as i64
}

/// The text on one line, cut at 200 characters.
pub fn plain_preview(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= PREVIEW_CHARS {
        flat
    } else {
        let cut: String = flat.chars().take(PREVIEW_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

// ---------------------------------------------------------------------------------------------
// Output

#[derive(Default)]
struct People(HashMap<i64, users::UserRecord>);

impl People {
    async fn get(&mut self, conn: &mut AnyConnection, id: i64) -> Result<&users::UserRecord> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.0.entry(id) {
            slot.insert(users::find(conn, id).await?);
        }
        Ok(&self.0[&id])
    }

    async fn reference(&mut self, conn: &mut AnyConnection, id: i64) -> Result<ReferenceUser> {
        let u = self.get(conn, id).await?;
        Ok(ReferenceUser {
            id: u.id,
            label: u.fullname(),
            email: u.email.clone(),
            profile_pic: String::new(),
        })
    }

    async fn contact(&mut self, conn: &mut AnyConnection, id: i64) -> Result<Contact> {
        let u = self.get(conn, id).await?;
        Ok(Contact {
            user_id: Some(u.id),
            email: u.email.clone(),
            name: u.fullname(),
            profile_pic: String::new(),
        })
    }
}

/// The ticket's state as a coloured reference.
async fn sys_status(conn: &mut AnyConnection, ticket: &TicketRecord) -> Result<ReferenceColor> {
    let state = states::find(conn, ticket.state_id).await?;
    let bg = match state.state_type.as_str() {
        "new" => "#1e88e5",
        "open" => "#43a047",
        "pending reminder" | "pending action" => "#fb8c00",
        "closed" => "#757575",
        _ => "#9e9e9e",
    };
    Ok(ReferenceColor {
        id: state.id,
        label: state.name,
        bg_color: bg.into(),
        text_color: "#ffffff".into(),
    })
}

fn rich_text(html: String, stored_body: &str, editorjs: Option<EditorJs>) -> (RichText, String) {
    let text = html_to_text(stored_body, false);
    let newest = html_to_text(stored_body, true);
    (
        RichText {
            plain_preview: plain_preview(&text),
            html,
            editorjs,
            read_minutes: read_minutes(&text),
        },
        newest,
    )
}

async fn present_article(
    conn: &mut AnyConnection,
    people: &mut People,
    article: &ArticleRecord,
    kind: ConversationType,
    addresses: Vec<EmailAddress>,
    editorjs: Option<EditorJs>,
    status: &ReferenceColor,
) -> Result<Conversation> {
    let files = attachments::for_article(conn, article.id).await?;
    let html = attachments::rewrite_cids(&article.body, article.ticket_id, article.id, &files);
    let (content, newest) = rich_text(html, &article.body, editorjs);
    Ok(Conversation {
        id: article.id,
        ticket_id: article.ticket_id,
        kind: kind.value(),
        sys_status: status.clone(),
        created_by: people.reference(conn, article.created_by_id).await?,
        last_updated_by: people.reference(conn, article.updated_by_id).await?,
        requester: people
            .contact(conn, article.origin_by_id.unwrap_or(article.created_by_id))
            .await?,
        last_message_extracted: newest,
        sys_attachments: files
            .iter()
            .map(|f| ReferenceAttachment {
                id: f.id,
                label: f.filename.clone(),
                size_kb: (f.size + 1023) / 1024,
                status: ATTACHMENT_STATUS_OK,
                status_message: "OK".into(),
                download_url: format!(
                    "/api/v1/ticket_attachment/{}/{}/{}",
                    article.ticket_id, article.id, f.id
                ),
            })
            .collect(),
        created: article.created_at.clone(),
        last_updated: article.updated_at.clone(),
        email_addresses: addresses,
        sys_content_rich: content,
    })
}

async fn present_draft(
    conn: &mut AnyConnection,
    people: &mut People,
    ticket_id: i64,
    draft: &SuggestedReply,
    addresses: Vec<EmailAddress>,
    editorjs: Option<EditorJs>,
    status: &ReferenceColor,
) -> Result<Conversation> {
    let (content, newest) = rich_text(draft.html.clone(), &draft.html, editorjs);
    Ok(Conversation {
        id: draft.draft_id,
        ticket_id,
        kind: ConversationType::SuggestedReply.value(),
        sys_status: status.clone(),
        created_by: people.reference(conn, draft.created_by_id).await?,
        last_updated_by: people.reference(conn, draft.updated_by_id).await?,
        requester: people.contact(conn, draft.updated_by_id).await?,
        last_message_extracted: newest,
        sys_attachments: Vec::new(),
        created: draft.created_at.clone(),
        last_updated: draft.updated_at.clone(),
        email_addresses: addresses,
        sys_content_rich: content,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_by_value_or_name() {
        assert_eq!(
            ConversationType::from_json(&json!(4)),
            Some(ConversationType::Forward)
        );
        assert_eq!(
            ConversationType::from_json(&json!("note_private")),
            Some(ConversationType::NotePrivate)
        );
        assert_eq!(ConversationType::from_json(&json!(0)), None);
        assert_eq!(ConversationType::from_json(&json!(7)), None);
        assert_eq!(ConversationType::from_json(&json!(true)), None);
        assert_eq!(Direction::from_json(&json!("7")), Some(Direction::ReplyTo));
        assert_eq!(Direction::from_json(&json!("UNKNOWN")), None);
    }

    #[test]
    fn addresses_are_formatted_and_quoted() {
        assert_eq!(format_address("", "a@b.test"), "a@b.test");
        assert_eq!(format_address("Ann Lee", "a@b.test"), "Ann Lee <a@b.test>");
        assert_eq!(
            format_address("Lee, Ann \"A\"", "a@b.test"),
            "\"Lee, Ann \\\"A\\\"\" <a@b.test>"
        );
        assert_eq!(clean_name(" Ann\r\nBcc: x@y.test "), "Ann Bcc: x@y.test");
    }

    #[test]
    fn text_preview_and_minutes() {
        let html = "<p>Hello &amp; <b>welcome</b></p><blockquote type=\"cite\"><p>old</p></blockquote><p>&gt; quoted</p><p>On Mon, Ann wrote:</p><p>older</p>";
        assert_eq!(
            html_to_text(html, false),
            "Hello & welcome\nold\n> quoted\nOn Mon, Ann wrote:\nolder"
        );
        assert_eq!(html_to_text(html, true), "Hello & welcome");
        assert_eq!(
            html_to_text("<p title=\"a>b\">x&#38;&#x41;</p>", false),
            "x&A"
        );
        assert_eq!(read_minutes(""), 1);
        assert_eq!(read_minutes(&"w ".repeat(200)), 1);
        assert_eq!(read_minutes(&"w ".repeat(201)), 2);
        let long = "word ".repeat(100);
        let preview = plain_preview(&long);
        assert_eq!(preview.chars().count(), 200);
        assert!(preview.ends_with('…'));
    }

    #[test]
    fn editorjs_blocks_render_and_escape() {
        let doc = json!({"time": 1, "version": "2.28", "blocks": [
            {"id": "a", "type": "paragraph", "data": {"text": "Hi <b>there</b><script>alert(1)</script><img src=x onerror=alert(2)>"}},
            {"type": "header", "data": {"text": "Title", "level": 3}},
            {"type": "list", "data": {"style": "ordered", "items": ["one", {"content": "two", "items": [{"content": "two.a", "items": []}]}]}},
            {"type": "quote", "data": {"text": "Wise", "caption": "Someone"}},
            {"type": "code", "data": {"code": "if a < b { \"x\" }"}},
            {"type": "delimiter", "data": {}},
            {"type": "image", "data": {"file": {"url": "https://example.test/a.png?x=1&y='2'"}, "caption": "A <i>cat</i>"}},
        ]});
        let (html, parsed) = render_editorjs(&doc, "e").unwrap();
        assert_eq!(parsed.blocks.len(), 7);
        assert!(html.starts_with("<p>Hi <b>there</b></p>"), "{html}");
        assert!(
            !html.contains("script") && !html.contains("onerror") && !html.contains("alert"),
            "{html}"
        );
        assert!(html.contains("<h3>Title</h3>"));
        assert!(
            html.contains("<ol><li>one</li><li>two<ol><li>two.a</li></ol></li></ol>"),
            "{html}"
        );
        assert!(html.contains("<blockquote><p>Wise</p><footer>Someone</footer></blockquote>"));
        assert!(
            html.contains("<pre><code>if a &lt; b { &quot;x&quot; }</code></pre>"),
            "{html}"
        );
        assert!(html.contains("<hr>"));
        assert!(
            html.contains("src=\"https://example.test/a.png?x=1&amp;y=&#39;2&#39;\""),
            "{html}"
        );
        assert!(html.contains("alt=\"A cat\""), "{html}");
        let bad = json!({"blocks": [{"type": "table", "data": {}}]});
        let err = render_editorjs(&bad, "e").unwrap_err();
        assert_eq!(err.field, "e.blocks[0].type");
        let js = json!({"blocks": [{"type": "image", "data": {"url": "javascript:alert(1)"}}]});
        assert!(render_editorjs(&js, "e").is_err());
    }
}
