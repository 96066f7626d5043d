//! Ticket articles: messages, notes, calls. Creating one updates the ticket (counts, first
//! response, last contact, new → open), all in the caller's transaction.

use serde_json::{Value, json};
use sqlx::{AnyConnection, FromRow, Row};

use crate::policy::access::{AccessLevel, Actor};
use crate::storage::files::FileStore;
use crate::storage::lookup::Named;
use crate::tickets::input::{self, ArticleChanges, ArticleInput};
use crate::{
    Error, Result, accounts::users, policy, storage::clock, storage::settings, tickets,
    tickets::attachments, tickets::sanitize, tickets::states,
};

pub const MAX_BODY_CHARS: usize = 1_500_000;
pub const SENDER_AGENT: i64 = 1;
pub const SENDER_CUSTOMER: i64 = 2;
pub const SENDER_SYSTEM: i64 = 3;
pub const TYPE_NOTE: i64 = 10;
pub const TYPE_WEB: i64 = 11;
pub const TYPE_EMAIL: i64 = 1;
pub const TYPE_PHONE: i64 = 5;

/// Articles that count as contact (`tickets.article_count`): all but System notes.
pub async fn countable(conn: &mut AnyConnection, ticket_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM ticket_articles WHERE ticket_id = $1 AND sender_id <> $2",
    )
    .bind(ticket_id)
    .bind(SENDER_SYSTEM)
    .fetch_one(conn)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct ArticleRecord {
    pub id: i64,
    pub ticket_id: i64,
    pub type_id: i64,
    pub sender_id: i64,
    pub from_address: Option<String>,
    pub to_address: Option<String>,
    pub cc: Option<String>,
    pub subject: Option<String>,
    pub reply_to: Option<String>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub content_type: String,
    pub body: String,
    pub internal: i64,
    pub preferences: String,
    pub origin_by_id: Option<i64>,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, ticket_id, type_id, sender_id, from_address, to_address, cc, subject, reply_to, message_id, \
    in_reply_to, content_type, body, internal, preferences, origin_by_id, created_by_id, updated_by_id, created_at, updated_at";

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<ArticleRecord> {
    sqlx::query_as::<_, ArticleRecord>(&format!(
        "SELECT {COLUMNS} FROM ticket_articles WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::not_found("Ticket::Article", id))
}

/// Articles of a ticket in order; internal ones only for callers who may see them.
pub async fn for_ticket(
    conn: &mut AnyConnection,
    ticket_id: i64,
    with_internal: bool,
) -> Result<Vec<ArticleRecord>> {
    let filter = if with_internal {
        ""
    } else {
        " AND internal = 0"
    };
    Ok(sqlx::query_as::<_, ArticleRecord>(&format!(
        "SELECT {COLUMNS} FROM ticket_articles WHERE ticket_id = $1{filter} ORDER BY created_at, id"
    ))
    .bind(ticket_id)
    .fetch_all(conn)
    .await?)
}

/// An article as far as ticket lists need it: who may see it and whether it counts.
#[derive(Debug, Clone)]
pub struct Visibility {
    pub id: i64,
    pub internal: bool,
    pub sender_id: i64,
}

impl Visibility {
    /// Zammad's customer `article_count`: public, non-System articles.
    pub fn counts_for_customer(&self) -> bool {
        !self.internal && self.sender_id != SENDER_SYSTEM
    }
}

/// The articles of many tickets in order (ids, internal flag, sender), by ticket.
pub async fn visibility_of(
    conn: &mut AnyConnection,
    ticket_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Visibility>>> {
    let mut out: std::collections::HashMap<i64, Vec<Visibility>> = Default::default();
    if ticket_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT ticket_id, id, internal, sender_id FROM ticket_articles WHERE ticket_id IN ({}) ORDER BY ticket_id, created_at, id",
        crate::storage::store::id_list(ticket_ids.iter().copied())
    );
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&sql)
        .persistent(false)
        .fetch_all(conn)
        .await?;
    for (ticket_id, id, internal, sender_id) in rows {
        out.entry(ticket_id).or_default().push(Visibility {
            id,
            internal: internal != 0,
            sender_id,
        });
    }
    Ok(out)
}

/// The names of the types and senders of `list`'s articles, by id (two queries).
pub(crate) async fn type_and_sender_names(
    conn: &mut AnyConnection,
    list: &[ArticleRecord],
) -> Result<(
    std::collections::HashMap<i64, String>,
    std::collections::HashMap<i64, String>,
)> {
    use std::collections::BTreeSet;
    let type_ids: BTreeSet<i64> = list.iter().map(|a| a.type_id).collect();
    let sender_ids: BTreeSet<i64> = list.iter().map(|a| a.sender_id).collect();
    let types = crate::storage::lookup::names_by_ids(conn, Named::ArticleType, &type_ids).await?;
    let senders =
        crate::storage::lookup::names_by_ids(conn, Named::ArticleSender, &sender_ids).await?;
    Ok((types.into_iter().collect(), senders.into_iter().collect()))
}

/// What the write of a new article may have stored besides its row, known from its request
/// and its prepared body: files (sent as base64, inline images lifted out of its HTML, an
/// upload cache or a shared draft claimed, a mail's signature) and time recorded with it. A
/// rendering of the new article reads only what may exist
/// (`dialects::zammad::articles::render_created`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewArticleExtras {
    /// Files may be attached.
    pub files: bool,
    /// Time may be recorded.
    pub time: bool,
}

impl NewArticleExtras {
    /// The extras of `input`'s article, `prepared` its body made before the write (`None`:
    /// not known, files may exist). An article queued as mail may get files with its
    /// signature: set `files` then.
    pub fn of(input: &ArticleInput, prepared: Option<&PreparedBody>) -> Self {
        let files = prepared.is_none_or(|body| !body.files.is_empty())
            || !input.attachments.is_empty()
            || input.form_id.is_some()
            || input.shared_draft_id.is_some();
        NewArticleExtras {
            files,
            time: input.time_unit.is_some(),
        }
    }
}

/// Articles per batched query when many are rendered at once.
pub const RENDER_CHUNK: usize = 500;

/// Article preferences only agents see (a DeskHero BCC, the resent-from address).
pub const AGENT_ONLY_PREFERENCES: [&str; 2] = ["bcc", "resent_from"];

/// `GET /ticket_articles/by_ticket/{id}`: the ticket (which the caller may read) and its
/// articles the caller may see, in order.
pub async fn by_ticket(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<(tickets::TicketRecord, Vec<ArticleRecord>)> {
    let (ticket, _) = tickets::load_readable(conn, actor, ticket_id).await?;
    let with_internal = actor.has_group_access(ticket.group_id, AccessLevel::Read);
    let list = for_ticket(conn, ticket_id, with_internal).await?;
    Ok((ticket, list))
}

/// An article of a ticket's thread as the web app shows it: the record (an HTML body's `cid:`
/// references rewritten to its attachments' URLs), its type and sender names, its files.
#[derive(Debug, Clone)]
pub struct ThreadArticle {
    pub record: ArticleRecord,
    /// `note`, `email`, `phone`, `web`, … (`ticket_article_types.name`).
    pub article_type: String,
    /// `Agent`, `Customer` or `System` (`ticket_article_senders.name`).
    pub sender: String,
    pub attachments: Vec<attachments::AttachmentRecord>,
}

/// A page of the thread of `ticket` (which the caller may read), oldest first: the `limit`
/// newest articles the caller may see with an id below `before` (`None`: the newest of all),
/// and how many visible articles are older still. Customers see no internal articles and no
/// agent-only preferences ([`AGENT_ONLY_PREFERENCES`]). Reads `limit` rows and their files,
/// whatever the thread's length.
pub async fn thread_page(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &tickets::TicketRecord,
    before: Option<i64>,
    limit: usize,
) -> Result<(Vec<ThreadArticle>, i64)> {
    let agent = actor.has_group_access(ticket.group_id, AccessLevel::Read);
    let visible = if agent { "" } else { " AND internal = 0" };
    let before = before.unwrap_or(i64::MAX);
    let mut page = sqlx::query_as::<_, ArticleRecord>(&format!(
        "SELECT {COLUMNS} FROM ticket_articles WHERE ticket_id = $1 AND id < $2{visible} \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(ticket.id)
    .bind(before)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    page.reverse();
    let older: i64 = match page.first() {
        Some(oldest) => {
            sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM ticket_articles WHERE ticket_id = $1 AND id < $2{visible}"
            ))
            .bind(ticket.id)
            .bind(oldest.id)
            .fetch_one(&mut *conn)
            .await?
        }
        None => 0,
    };
    let (type_names, sender_names) = type_and_sender_names(conn, &page).await?;
    let ids: Vec<i64> = page.iter().map(|a| a.id).collect();
    let mut files = attachments::for_articles(conn, &ids).await?;
    let thread = page
        .into_iter()
        .map(|mut record| {
            let files = files.remove(&record.id).unwrap_or_default();
            if record.content_type == "text/html" {
                record.body =
                    attachments::rewrite_cids(&record.body, record.ticket_id, record.id, &files);
            }
            if !agent {
                let mut preferences: serde_json::Map<String, Value> =
                    serde_json::from_str(&record.preferences).unwrap_or_default();
                for key in AGENT_ONLY_PREFERENCES {
                    preferences.remove(key);
                }
                record.preferences = Value::Object(preferences).to_string();
            }
            ThreadArticle {
                article_type: type_names.get(&record.type_id).cloned().unwrap_or_default(),
                sender: sender_names
                    .get(&record.sender_id)
                    .cloned()
                    .unwrap_or_default(),
                attachments: files,
                record,
            }
        })
        .collect();
    Ok((thread, older))
}

/// An article the caller may read, with its ticket's facts.
pub async fn load_readable(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<(ArticleRecord, policy::TicketFacts)> {
    let article = find(conn, id).await?;
    let (_, facts) = tickets::load(conn, article.ticket_id).await?;
    if !policy::can_show_article(actor, &facts, article.internal != 0) {
        return Err(Error::not_authorized());
    }
    Ok((article, facts))
}

/// `POST /ticket_articles` (the request names its `ticket_id`); `prepared` as [`create_on`]
/// takes it.
pub async fn create(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    body: &ArticleInput,
    prepared: Option<Result<PreparedBody>>,
) -> Result<(ArticleRecord, Option<tickets::TicketRecord>)> {
    let ticket_id = body.ticket_id.ok_or_else(|| input::missing("ticket_id"))?;
    // locked and read in one: the checks and the article see the same, current ticket
    let (ticket, facts) = tickets::load_locked(conn, ticket_id).await?;
    authorize_adding(conn, actor, &ticket, &facts).await?;
    let group_id = ticket.group_id;
    let (article, mut after) =
        create_on_loaded(conn, files, actor, ticket, facts, body, false, prepared).await?;
    // a follow-up reopens the ticket only for callers without access to its group (which an
    // article does not change); `reopen_for_follow_up` would read the ticket to find that out
    if !actor.has_group_access(group_id, AccessLevel::Read) {
        tickets::reopen_for_follow_up(conn, actor, ticket_id).await?;
        after = None;
    }
    Ok((article, after))
}

/// May the caller add articles to this ticket at all: change access, and on a closed ticket
/// the same follow-up rule as a ticket update (403 without access, 422 when closed for good).
pub async fn authorize_adding(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &tickets::TicketRecord,
    facts: &policy::TicketFacts,
) -> Result<()> {
    if !policy::can_show_ticket(actor, facts) {
        return Err(Error::not_authorized());
    }
    let follow_up = tickets::follow_up_for(conn, actor, ticket, facts).await?;
    policy::authorize_update_ticket(actor, facts, follow_up)
}

fn from_for(actor: &Actor, sender_id: i64, type_id: i64) -> String {
    let name = actor.fullname();
    if sender_id == SENDER_CUSTOMER && type_id == TYPE_WEB && !actor.email.is_empty() {
        format!("{name} <{}>", actor.email)
    } else {
        name
    }
}

/// An article's body and files made ready before the write transaction, so that nothing slow
/// runs under the database's write lock: the body checked (present, within
/// [`MAX_BODY_CHARS`], a known content type), HTML checked against the nesting limits and
/// sanitised with its data-URI images lifted out as inline files, base64 attachments decoded,
/// and every file's bytes stored.
#[derive(Debug)]
pub struct PreparedBody {
    /// `text/plain` or `text/html`.
    pub content_type: String,
    /// The body as stored (sanitised HTML, or the plain text).
    pub body: String,
    /// The body's plain text for the search index (see
    /// [`crate::tickets::search_index::body_text`]).
    pub body_text: String,
    /// Inline images and attachments, their bytes in the file store.
    pub files: Vec<attachments::NewFile>,
    /// Keeps those bytes from being removed until the write is committed
    /// ([`PreparedBody::take_pin`]).
    pin: Option<crate::storage::files::Pinned>,
    /// Prepared before the ticket existed: this random token stands for the ticket id in the
    /// inline images' Content-IDs (and their `cid:` references) until
    /// [`PreparedBody::for_ticket`] puts the id in.
    ticket_id_placeholder: Option<String>,
}

impl PreparedBody {
    /// The body for ticket `ticket_id`: Content-IDs made before the ticket existed get its id.
    pub fn for_ticket(mut self, ticket_id: i64) -> PreparedBody {
        if let Some(placeholder) = self.ticket_id_placeholder.take() {
            let id = ticket_id.to_string();
            self.body = self.body.replace(&placeholder, &id);
            for file in &mut self.files {
                if let Some(cid) = &mut file.content_id {
                    *cid = cid.replace(&placeholder, &id);
                }
            }
        }
        self
    }

    /// The guard that keeps the files' bytes stored: hold it until after the commit.
    pub fn take_pin(&mut self) -> Option<crate::storage::files::Pinned> {
        self.pin.take()
    }

    /// Stores the files' bytes (see [`attachments::store_bytes`]) and keeps them pinned until
    /// [`PreparedBody::take_pin`]'s guard is dropped.
    pub async fn store_files(&mut self, files: &FileStore) -> Result<()> {
        self.pin = Some(attachments::store_bytes(files, &mut self.files).await?);
        Ok(())
    }

    /// The content hashes of its files (for [`attachments::remove_unreferenced`] when the
    /// transaction that was to store them fails).
    pub fn hashes(&self) -> Vec<String> {
        self.files.iter().filter_map(|f| f.sha256.clone()).collect()
    }
}

/// Prepares the article of a request (`body`, `content_type`, `attachments`); see
/// [`PreparedBody`]. Inline images get Content-IDs `<ticket id>.<random>@<fqdn>` (the ticket
/// id left out while the ticket does not exist yet).
pub async fn prepare(
    files: &FileStore,
    fqdn: &str,
    article: &ArticleInput,
    ticket_id: Option<i64>,
) -> Result<PreparedBody> {
    let text = article.body.clone().unwrap_or_default();
    if text.trim().is_empty() {
        return Err(Error::unprocessable(
            "Need at least an 'article body' field.",
        ));
    }
    let content_type = input::checked("content_type", article.content_type.clone())?
        .unwrap_or_else(|| "text/plain".into())
        .to_lowercase();
    if content_type != "text/plain" && content_type != "text/html" {
        return Err(Error::unprocessable(format!(
            "Invalid value for param 'content_type': {content_type:?}"
        )));
    }
    let mut new_files = attachments::decode_base64_files(&article.attachments)?;
    let mut prepared = prepare_body(fqdn, content_type, text, ticket_id)?;
    new_files.append(&mut prepared.files);
    prepared.files = new_files;
    prepared.store_files(files).await?;
    Ok(prepared)
}

/// [`prepare`] of a body alone (CPU only, nothing stored yet): checked, sanitised, its inline
/// images lifted out.
pub fn prepare_body(
    fqdn: &str,
    content_type: String,
    body: String,
    ticket_id: Option<i64>,
) -> Result<PreparedBody> {
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(Error::unprocessable(format!(
            "The article body is too long (maximum is {MAX_BODY_CHARS} characters)."
        )));
    }
    if content_type != "text/html" {
        return Ok(PreparedBody {
            content_type,
            body_text: body.clone(),
            body,
            files: Vec::new(),
            pin: None,
            ticket_id_placeholder: None,
        });
    }
    crate::tickets::html_limits::check("body", &body)?;
    let fqdn = fqdn.to_string();
    let placeholder = ticket_id
        .is_none()
        .then(|| format!("ticket-{}", crate::accounts::auth::random_token()));
    let ticket = ticket_id.map_or_else(
        || placeholder.clone().unwrap_or_default(),
        |id| id.to_string(),
    );
    let (stored, images) = sanitize::html_with_inline_images(&body, move || {
        // Zammad's Content-ID: <ticket id>.<random>@<fqdn>
        let random = &crate::accounts::auth::random_token()[..16];
        format!("{ticket}.{random}@{fqdn}")
    });
    Ok(PreparedBody {
        body_text: crate::tickets::search_index::body_text(&content_type, &stored),
        content_type,
        body: stored,
        ticket_id_placeholder: placeholder.filter(|_| !images.is_empty()),
        files: attachments::from_inline_images(images),
        pin: None,
    })
}

/// The host name Content-IDs and Message-IDs end in when the `fqdn` setting is unset.
const DEFAULT_FQDN: &str = "tandem.localhost";

/// The host name Content-IDs and Message-IDs end in (the `fqdn` setting).
pub async fn fqdn(conn: &mut AnyConnection) -> Result<String> {
    Ok(settings::get::<String>(conn, "fqdn")
        .await?
        .unwrap_or_else(|| DEFAULT_FQDN.into()))
}

/// [`fqdn`] through the store's settings cache ([`settings::cached`]), for the preparation
/// of an article before its write.
pub async fn fqdn_cached(store: &crate::Store) -> Result<String> {
    Ok(settings::cached::<String>(store, "fqdn")
        .await?
        .unwrap_or_else(|| DEFAULT_FQDN.into()))
}

/// Creates an article on a ticket and applies its side effects on the ticket. `prepared`: the
/// outcome of [`prepare`] made before the transaction, its error raised here, after the
/// ticket's checks, as if the body had been checked now; `None` prepares it here. Returns the
/// article and the ticket as it left it (`None` when recording its time changed the ticket
/// again: read it).
pub async fn create_on(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    ticket_id: i64,
    body: &ArticleInput,
    first: bool,
    prepared: Option<Result<PreparedBody>>,
) -> Result<(ArticleRecord, Option<tickets::TicketRecord>)> {
    let (ticket, facts) = tickets::load_locked(conn, ticket_id).await?;
    create_on_loaded(conn, files, actor, ticket, facts, body, first, prepared).await
}

/// [`create_on`] for a ticket the caller has locked ([`lock_ticket`]) and loaded since (or
/// inserted in this transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn create_on_loaded(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    ticket: tickets::TicketRecord,
    facts: policy::TicketFacts,
    body: &ArticleInput,
    first: bool,
    prepared: Option<Result<PreparedBody>>,
) -> Result<(ArticleRecord, Option<tickets::TicketRecord>)> {
    let ticket_id = ticket.id;
    let customer_only = !actor.has_group_access(ticket.group_id, AccessLevel::Read);
    let prepared = match prepared {
        Some(prepared) => prepared?.for_ticket(ticket_id),
        None => {
            let fqdn = fqdn(conn).await?;
            prepare(files, &fqdn, body, Some(ticket_id)).await?
        }
    };

    let mut type_id =
        input::resolve_opt(conn, Named::ArticleType, "type", body.article_type.as_ref())
            .await?
            .unwrap_or(TYPE_NOTE);
    let mut sender_id =
        input::resolve_opt(conn, Named::ArticleSender, "sender", body.sender.as_ref())
            .await?
            .unwrap_or(if actor.is_agent() && !customer_only {
                SENDER_AGENT
            } else {
                SENDER_CUSTOMER
            });
    let mut internal = body.internal.unwrap_or(false);
    let mut origin_by_id =
        input::resolve_user_opt(conn, "origin_by", body.origin_by.as_ref()).await?;
    if customer_only {
        sender_id = SENDER_CUSTOMER;
        if type_id != TYPE_NOTE && type_id != TYPE_WEB {
            type_id = TYPE_NOTE;
        }
        internal = false;
        origin_by_id = None;
    }
    if !policy::can_create_article(actor, &facts, internal) {
        return Err(Error::not_authorized());
    }
    let text = |field: &str, value: &Option<String>| input::checked(field, value.clone());
    let to = text("to", &body.to)?;
    if type_id == TYPE_EMAIL
        && to.as_deref().is_none_or(|t| {
            !t.split(',').any(|a| {
                users::valid_email(
                    a.trim()
                        .trim_start_matches(|c| c != '<')
                        .trim_matches(['<', '>']),
                ) || users::valid_email(a.trim())
            })
        })
    {
        return Err(Error::unprocessable(
            "Sending an email without a valid recipient is not possible.",
        ));
    }
    // phone calls by the customer, logged by an agent, are on the customer's behalf
    if origin_by_id.is_none()
        && sender_id == SENDER_CUSTOMER
        && !customer_only
        && type_id == TYPE_PHONE
    {
        origin_by_id = Some(ticket.customer_id);
    }
    let form_id = text("form_id", &body.form_id)?;
    let from = match text("from", &body.from)? {
        Some(f) if !f.trim().is_empty() && !customer_only => Some(f),
        _ => None,
    };
    let mut preferences = match &body.preferences {
        Some(p) if !customer_only => p.clone(),
        _ => serde_json::Map::new(),
    };
    if let Some(subtype) = text("subtype", &body.subtype)? {
        preferences.insert("subtype".into(), json!(subtype));
    }
    let new = NewArticle {
        type_id,
        sender_id,
        internal,
        origin_by_id,
        from,
        to,
        cc: text("cc", &body.cc)?,
        subject: text("subject", &body.subject)?,
        reply_to: text("reply_to", &body.reply_to)?,
        message_id: text("message_id", &body.message_id)?,
        in_reply_to: text("in_reply_to", &body.in_reply_to)?,
        content_type: prepared.content_type,
        body: prepared.body,
        body_text: Some(prepared.body_text),
        preferences,
        files: prepared.files,
        form_id,
        cached_file_ids: Vec::new(),
        prepared: true,
    };
    let time_unit = body
        .time_unit
        .map(crate::tickets::time_accounting::check_unit)
        .transpose()?;
    let (article, after) = insert(conn, files, actor, &ticket, new, first).await?;
    let mut after = Some(after);
    // time spent, recorded with the article (agents who may change the ticket; Zammad drops it
    // for others)
    if let Some(unit) = time_unit
        && policy::can_account_time(actor, &ticket.facts(false))
    {
        after = None;
        crate::tickets::time_accounting::record(
            conn,
            actor,
            ticket_id,
            Some(article.id),
            unit,
            None,
        )
        .await?;
    }
    Ok((article, after))
}

/// Locks the ticket row (PostgreSQL) so concurrent articles serialise their counters.
pub async fn lock_ticket(conn: &mut AnyConnection, ticket_id: i64) -> Result<()> {
    // SQLite: a write transaction holds the database's only write lock from its
    // `BEGIN IMMEDIATE` on (`Store::write`), so there is nothing to lock
    if !crate::storage::store::is_postgres(conn) {
        return Ok(());
    }
    sqlx::query("SELECT id FROM tickets WHERE id = $1 FOR UPDATE")
        .bind(ticket_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(())
}

/// An article ready to be stored: what an API dialect (Zammad's `create_on`, DeskHero's
/// `deskhero`) has parsed and authorised. [`insert`] does the rest the same way for both.
#[derive(Debug, Clone, Default)]
pub struct NewArticle {
    pub type_id: i64,
    pub sender_id: i64,
    pub internal: bool,
    pub origin_by_id: Option<i64>,
    /// `None`: the origin's name, else the caller's (`"Name <email>"` for customers on web).
    pub from: Option<String>,
    pub to: Option<String>,
    pub cc: Option<String>,
    pub subject: Option<String>,
    pub reply_to: Option<String>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// `text/plain` or `text/html`; HTML is sanitised and its data-URI images extracted by
    /// [`insert`] unless `prepared`.
    pub content_type: String,
    /// The body as received (unsanitised), or as stored when `prepared`.
    pub body: String,
    /// The body's plain text for the search index, made before the transaction (`None`: made
    /// in [`insert`]).
    pub body_text: Option<String>,
    pub preferences: serde_json::Map<String, Value>,
    /// Files sent with the request.
    pub files: Vec<attachments::NewFile>,
    /// The caller's upload cache to claim as a whole.
    pub form_id: Option<String>,
    /// Single files of the caller's upload cache to claim (checked with
    /// [`attachments::cached_upload`] beforehand; a file that is gone is a 422).
    pub cached_file_ids: Vec<i64>,
    /// `body` and `files` come from [`prepare_body`] (sanitised, inline images among the
    /// files), made before the transaction.
    pub prepared: bool,
}

/// Stores an article on `ticket` (which must be current, read after [`lock_ticket`]): sanitises
/// the body, extracts inline images, attaches files, records history and applies the
/// article's side effects on the ticket. Permissions are the caller's business. Returns the
/// article and the ticket as the article left it.
pub async fn insert(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    ticket: &tickets::TicketRecord,
    new: NewArticle,
    first: bool,
) -> Result<(ArticleRecord, tickets::TicketRecord)> {
    let ticket_id = ticket.id;
    let (stored_body, new_files, body_text) = if new.prepared {
        (new.body, new.files, new.body_text)
    } else {
        let fqdn = fqdn(conn).await?;
        let mut prepared =
            prepare_body(&fqdn, new.content_type.clone(), new.body, Some(ticket_id))?;
        let mut files = new.files;
        files.append(&mut prepared.files);
        (prepared.body, files, Some(prepared.body_text))
    };
    let from = match new.from {
        Some(from) => from,
        None => match new.origin_by_id {
            Some(origin) => users::find(conn, origin).await?.fullname(),
            None => from_for(actor, new.sender_id, new.type_id),
        },
    };
    let now = clock::now();
    let preferences = serde_json::Value::Object(new.preferences).to_string();
    let body_text = body_text.unwrap_or_else(|| {
        crate::tickets::search_index::body_text(&new.content_type, &stored_body)
    });
    let index_text = crate::tickets::search_index::article_text(
        new.subject.as_deref(),
        &body_text,
        Some(&from),
        new.to.as_deref(),
    );
    // the article types are seeded and never written: their flag needs no query
    let communication =
        crate::storage::lookup::article_type_is_communication(new.type_id).unwrap_or(false);
    let after = side_effects(
        conn,
        ticket,
        new.sender_id,
        new.type_id,
        new.internal,
        communication,
        first,
        &now,
    )
    .await?;
    let row = ArticleRow {
        ticket_id,
        type_id: new.type_id,
        sender_id: new.sender_id,
        from: &from,
        to: new.to.as_deref(),
        cc: new.cc.as_deref(),
        subject: new.subject.as_deref(),
        reply_to: new.reply_to.as_deref(),
        message_id: new.message_id.as_deref(),
        in_reply_to: new.in_reply_to.as_deref(),
        content_type: &new.content_type,
        body: &stored_body,
        internal: new.internal,
        preferences: &preferences,
        origin_by_id: new.origin_by_id,
    };
    let (id, ticket) = write_rows(conn, &row, &index_text, &after, actor.id, &now).await?;
    attachments::attach_to_article(conn, files, id, actor.id, &new_files).await?;
    for file_id in new.cached_file_ids {
        if !attachments::claim_cached_upload(conn, actor, file_id, id).await? {
            return Err(Error::unprocessable(format!(
                "Unknown attachment id {file_id} (not in your upload cache)"
            )));
        }
    }
    if let Some(form_id) = new.form_id.filter(|f| !f.is_empty()) {
        attachments::claim_upload_cache(conn, actor, &form_id, id).await?;
    }
    // the row as it was just written (no trigger or later statement changes it)
    let article = ArticleRecord {
        id,
        ticket_id,
        type_id: new.type_id,
        sender_id: new.sender_id,
        from_address: Some(from),
        to_address: new.to,
        cc: new.cc,
        subject: new.subject,
        reply_to: new.reply_to,
        message_id: new.message_id,
        in_reply_to: new.in_reply_to,
        content_type: new.content_type,
        body: stored_body,
        internal: i64::from(new.internal),
        preferences,
        origin_by_id: new.origin_by_id,
        created_by_id: actor.id,
        updated_by_id: actor.id,
        created_at: now.clone(),
        updated_at: now,
    };
    Ok((article, ticket))
}

/// The columns of a new `ticket_articles` row (`created_*`/`updated_*` are the writer and
/// the time of [`write_rows`]).
struct ArticleRow<'a> {
    ticket_id: i64,
    type_id: i64,
    sender_id: i64,
    from: &'a str,
    to: Option<&'a str>,
    cc: Option<&'a str>,
    subject: Option<&'a str>,
    reply_to: Option<&'a str>,
    message_id: Option<&'a str>,
    in_reply_to: Option<&'a str>,
    content_type: &'a str,
    body: &'a str,
    internal: bool,
    preferences: &'a str,
    origin_by_id: Option<i64>,
}

/// The ticket as Zammad's article side effects leave it (docs/zammad-api.md §5): one more
/// countable article is added by [`write_rows`]; here the creating type and sender, the
/// contact times and a new ticket's follow-up state. Reads only where a rule needs the
/// database (the follow-up state, the `ticket_last_contact_behaviour` setting); writes
/// nothing.
#[allow(clippy::too_many_arguments)]
async fn side_effects(
    conn: &mut AnyConnection,
    ticket: &tickets::TicketRecord,
    sender_id: i64,
    type_id: i64,
    internal: bool,
    communication: bool,
    first: bool,
    now: &str,
) -> Result<tickets::TicketRecord> {
    let mut t = ticket.clone();
    if first || t.create_article_type_id.is_none() {
        t.create_article_type_id = Some(type_id);
        t.create_article_sender_id = Some(sender_id);
    }
    let counts_as_contact = !internal && sender_id != SENDER_SYSTEM && communication;
    if counts_as_contact && sender_id == SENDER_AGENT {
        if t.first_response_at.is_none() {
            t.first_response_at = Some(now.to_string());
        }
        t.last_contact_agent_at = Some(now.to_string());
        t.last_contact_at = Some(now.to_string());
        if t.state_id == states::NEW {
            t.state_id = sqlx::query_scalar(
                "SELECT id FROM ticket_states WHERE default_follow_up = 1 ORDER BY id LIMIT 1",
            )
            .fetch_one(&mut *conn)
            .await?;
        }
    }
    if counts_as_contact && sender_id == SENDER_CUSTOMER {
        let behaviour = settings::get::<String>(conn, "ticket_last_contact_behaviour")
            .await?
            .unwrap_or_default();
        let agent_replied_since = match (&t.last_contact_agent_at, &t.last_contact_customer_at) {
            (Some(agent), Some(customer)) => agent > customer,
            (_, None) => true,
            (None, Some(_)) => false,
        };
        if behaviour != "check_if_agent_already_replied"
            || agent_replied_since
            || t.last_contact_at.is_none()
        {
            t.last_contact_at = Some(now.to_string());
        }
        t.last_contact_customer_at = Some(now.to_string());
    }
    Ok(t)
}

/// Writes a new article's rows in one round trip to the database: the article, its search
/// index row (as [`crate::tickets::search_index::article_rows_sql`] writes it: on SQLite
/// queued for the commit), its `created` history entry (as [`crate::tickets::history::record`]) and
/// the ticket's side effects (`after`, from [`side_effects`]; the article count goes up by
/// one unless a system note is added, counted in SQL so the figure stays right whatever the
/// caller's copy of the ticket says). SQLite runs the four statements as one batch (the later ones find the
/// article's id with `last_insert_rowid()`), PostgreSQL as one statement of data-modifying
/// `WITH` queries. Under SQLite's single writer each round trip is a hand-over to sqlx's
/// connection thread and back, so one instead of four is what this is for. Returns the
/// article's id and the ticket as the `UPDATE` left it.
async fn write_rows(
    conn: &mut AnyConnection,
    row: &ArticleRow<'_>,
    index_text: &str,
    after: &tickets::TicketRecord,
    actor_id: i64,
    now: &str,
) -> Result<(i64, tickets::TicketRecord)> {
    const ARTICLE_COLUMNS: &str = "ticket_id, type_id, sender_id, from_address, to_address, cc, subject, reply_to, \
        message_id, in_reply_to, content_type, body, internal, preferences, origin_by_id, created_by_id, \
        updated_by_id, created_at, updated_at";
    const ARTICLE_VALUES: &str =
        "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $17";
    const HISTORY_COLUMNS: &str =
        "ticket_id, history_type, history_object, object_id, created_by_id, created_at";
    let ticket_update = format!(
        "UPDATE tickets SET article_count = article_count + $19, create_article_type_id = $20, \
         create_article_sender_id = $21, first_response_at = $22, last_contact_at = $23, \
         last_contact_agent_at = $24, last_contact_customer_at = $25, state_id = $26, \
         updated_by_id = $16, updated_at = $17 WHERE id = $1 RETURNING {}",
        *tickets::RETURNING_COLUMNS
    );
    let postgres = crate::storage::store::is_postgres(conn);
    let sql = if postgres {
        let indexed =
            crate::tickets::search_index::article_rows_sql(postgres, "SELECT id, $18 FROM article");
        format!(
            "WITH article AS (INSERT INTO ticket_articles ({ARTICLE_COLUMNS}) VALUES ({ARTICLE_VALUES}) RETURNING id), \
             indexed AS ({indexed}), \
             history AS (INSERT INTO ticket_history ({HISTORY_COLUMNS}) \
                SELECT $1, 'created', 'Ticket::Article', id, $16, $17 FROM article), \
             ticket AS ({ticket_update}) \
             SELECT (SELECT id FROM article) AS article_id, ticket.* FROM ticket"
        )
    } else {
        // the queued search row's rowid is the article's, so `last_insert_rowid()` stays it
        let indexed = crate::tickets::search_index::article_rows_sql(
            postgres,
            "VALUES (last_insert_rowid(), $18)",
        );
        format!(
            "INSERT INTO ticket_articles ({ARTICLE_COLUMNS}) VALUES ({ARTICLE_VALUES}) RETURNING id AS article_id; \
             {indexed}; \
             INSERT INTO ticket_history ({HISTORY_COLUMNS}) \
                VALUES ($1, 'created', 'Ticket::Article', last_insert_rowid(), $16, $17); \
             {ticket_update}"
        )
    };
    // every row of every statement: a row limit could end the batch before its last statement
    let rows = sqlx::query(&sql)
        .bind(row.ticket_id)
        .bind(row.type_id)
        .bind(row.sender_id)
        .bind(row.from)
        .bind(row.to)
        .bind(row.cc)
        .bind(row.subject)
        .bind(row.reply_to)
        .bind(row.message_id)
        .bind(row.in_reply_to)
        .bind(row.content_type)
        .bind(row.body)
        .bind(i64::from(row.internal))
        .bind(row.preferences)
        .bind(row.origin_by_id)
        .bind(actor_id)
        .bind(now)
        .bind(index_text)
        .bind(i64::from(row.sender_id != SENDER_SYSTEM))
        .bind(after.create_article_type_id)
        .bind(after.create_article_sender_id)
        .bind(&after.first_response_at)
        .bind(&after.last_contact_at)
        .bind(&after.last_contact_agent_at)
        .bind(&after.last_contact_customer_at)
        .bind(after.state_id)
        .fetch_all(&mut *conn)
        .await?;
    // PostgreSQL: one row with both; SQLite: the article's id, then the ticket
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Err(Error::Internal(
            "an article's insert returned no rows".into(),
        ));
    };
    let id: i64 = first.try_get("article_id")?;
    let ticket = tickets::TicketRecord::from_row(last)?;
    Ok((id, ticket))
}

/// `PUT /ticket_articles/{id}`: only `internal` (and `preferences.highlight`) change.
pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    changes: &ArticleChanges,
) -> Result<ArticleRecord> {
    let (article, facts) = load_readable(conn, actor, id).await?;
    if !policy::can_update_article(actor, &facts) {
        return Err(Error::not_authorized());
    }
    let internal = changes.internal.map_or(article.internal, i64::from);
    let mut preferences: serde_json::Map<String, Value> =
        serde_json::from_str(&article.preferences).unwrap_or_default();
    if let Some(h) = &changes.highlight {
        preferences.insert("highlight".into(), h.clone());
    }
    sqlx::query("UPDATE ticket_articles SET internal = $1, preferences = $2, updated_by_id = $3, updated_at = $4 WHERE id = $5")
        .bind(internal)
        .bind(Value::Object(preferences).to_string())
        .bind(actor.id)
        .bind(clock::now())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    find(conn, id).await
}

/// `DELETE /ticket_articles/{id}` with Zammad's rules; recounts the ticket's articles.
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<DeletedArticle> {
    let article = find(conn, id).await?;
    let (_, facts) = tickets::load(conn, article.ticket_id).await?;
    let communication: i64 =
        sqlx::query_scalar("SELECT communication FROM ticket_article_types WHERE id = $1")
            .bind(article.type_id)
            .fetch_one(&mut *conn)
            .await?;
    let age =
        clock::parse(&article.created_at).map_or(0, |at| (chrono::Utc::now() - at).num_seconds());
    let timeframe = settings::article_delete_timeframe(conn).await?;
    let article_facts = policy::ArticleFacts {
        internal: article.internal != 0,
        created_by_id: article.created_by_id,
        communication: communication != 0,
        age_seconds: age,
    };
    policy::authorize_delete_article(actor, &facts, &article_facts, timeframe)?;
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT sha256 FROM attachments WHERE article_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    crate::tickets::search_index::remove_article(conn, id).await?;
    sqlx::query("DELETE FROM ticket_articles WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let count = countable(conn, article.ticket_id).await?;
    sqlx::query("UPDATE tickets SET article_count = $1, updated_at = $2 WHERE id = $3")
        .bind(count)
        .bind(clock::now())
        .bind(article.ticket_id)
        .execute(&mut *conn)
        .await?;
    Ok(DeletedArticle {
        ticket_id: article.ticket_id,
        internal: article.internal != 0,
        hashes,
    })
}

/// What [`delete`] removed: the article's ticket, whether customers could see it, and the
/// content hashes of its attachments (pass them to `attachments::remove_unreferenced` after
/// the commit).
#[derive(Debug)]
pub struct DeletedArticle {
    pub ticket_id: i64,
    pub internal: bool,
    pub hashes: Vec<String>,
}

/// A System note (e.g. "merged into …"); does not count as contact and not in `article_count`.
pub async fn create_system_note(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    text: &str,
) -> Result<i64> {
    let now = clock::now();
    let from = actor.fullname();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ticket_articles (ticket_id, type_id, sender_id, from_address, content_type, body, internal,          preferences, created_by_id, updated_by_id, created_at, updated_at)          VALUES ($1, $2, $3, $4, 'text/plain', $5, 1, '{}', $6, $7, $8, $9) RETURNING id",
    )
    .bind(ticket_id)
    .bind(TYPE_NOTE)
    .bind(SENDER_SYSTEM)
    .bind(&from)
    .bind(text)
    .bind(actor.id)
    .bind(actor.id)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    let text = crate::tickets::search_index::article_text(None, text, Some(&from), None);
    crate::tickets::search_index::index_article(conn, id, &text).await?;
    Ok(id)
}

/// Sets entries of an article's `preferences` (others kept), e.g. Zammad's
/// `delivery_status`, `delivery_status_message`, `delivery_status_date`, `delivery_retry`;
/// a `null` value removes the entry. `touch`: `updated_at` becomes now (not when the article is
/// being created in the same transaction, so that the creating request's answer stays true).
pub async fn set_preferences(
    conn: &mut AnyConnection,
    article_id: i64,
    entries: &[(&str, Value)],
    touch: bool,
) -> Result<()> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT preferences FROM ticket_articles WHERE id = $1")
            .bind(article_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(stored) = stored else {
        return Err(Error::not_found("Ticket::Article", article_id));
    };
    let mut preferences = match serde_json::from_str::<Value>(&stored) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    for (name, value) in entries {
        if value.is_null() {
            preferences.remove(*name);
        } else {
            preferences.insert((*name).to_string(), value.clone());
        }
    }
    sqlx::query(
        "UPDATE ticket_articles SET preferences = $1, updated_at = CASE WHEN $2 = 1 THEN $3 ELSE updated_at END \
         WHERE id = $4",
    )
    .bind(Value::Object(preferences).to_string())
    .bind(touch as i64)
    .bind(clock::now())
    .bind(article_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets an article's `message_id` when it has none (an outgoing e-mail gets its id when
/// queued, so that a resend carries the same one). Returns the article's id.
pub async fn ensure_message_id(
    conn: &mut AnyConnection,
    article_id: i64,
    new_id: impl FnOnce() -> String,
) -> Result<String> {
    let current: Option<String> =
        sqlx::query_scalar("SELECT message_id FROM ticket_articles WHERE id = $1")
            .bind(article_id)
            .fetch_one(&mut *conn)
            .await?;
    if let Some(id) = current.filter(|id| !id.is_empty()) {
        return Ok(id);
    }
    let id = new_id();
    sqlx::query("UPDATE ticket_articles SET message_id = $1 WHERE id = $2")
        .bind(&id)
        .bind(article_id)
        .execute(conn)
        .await?;
    Ok(id)
}

/// Sets an article's `from` (an e-mail's From header once it was sent, as Zammad stores it).
pub async fn set_from(conn: &mut AnyConnection, article_id: i64, from: &str) -> Result<()> {
    sqlx::query("UPDATE ticket_articles SET from_address = $1 WHERE id = $2")
        .bind(from)
        .bind(article_id)
        .execute(conn)
        .await?;
    Ok(())
}
