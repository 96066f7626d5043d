//! Server functions of the web app, one module per resource, and the data they exchange with
//! the pages. Every function calls the same domain services as the REST API.

pub mod admin;
pub mod bulk;
pub mod choices;
pub mod codec;
pub mod email_admin;
pub mod macros;
pub mod mail;
pub mod notifications;
pub mod profile;
pub mod search;
pub mod ticket_tools;
pub mod tickets;
pub mod users;
pub mod views;

use serde::{Deserialize, Serialize};

/// A ticket as the lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub state: String,
    pub state_type: String,
    pub priority: String,
    pub priority_id: i64,
    pub group: String,
    pub owner: String,
    pub customer: String,
    pub organization: Option<String>,
    pub updated_at: String,
}

/// An overview tab with how many tickets it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewTab {
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// One page of a ticket list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketList {
    pub tabs: Vec<OverviewTab>,
    pub rows: Vec<TicketRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A choice in a select: id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentView {
    pub id: i64,
    pub filename: String,
    pub size: i64,
    pub content_type: String,
    pub url: String,
    /// Images: a small preview (`view=preview`).
    pub preview_url: Option<String>,
    /// Shown inside the body (a pasted image), not as a chip.
    pub inline: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleView {
    pub id: i64,
    /// `Agent`, `Customer` or `System`.
    pub sender: String,
    /// `note`, `email`, `phone`, `web`, …
    pub kind: String,
    pub internal: bool,
    pub author: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub cc: Option<String>,
    pub subject: Option<String>,
    /// Sanitised HTML (plain text bodies are escaped and turned into paragraphs).
    pub body_html: String,
    pub created_at: String,
    pub attachments: Vec<AttachmentView>,
    /// An agent's e-mail as agents see it: what became of sending it (`None`: not an
    /// outgoing e-mail, or a customer's view).
    pub delivery: Option<Delivery>,
}

/// The delivery state of an outgoing e-mail article, from its preferences (Zammad's names).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Delivery {
    /// `delivery_status`: `success`, `fail`, `delayed` (a bounce); `None` while queued.
    pub status: Option<String>,
    /// `delivery_status_message`: why it failed or bounced.
    pub message: Option<String>,
    /// `delivery_status_date`.
    pub date: Option<String>,
    /// `delivery_will_retry`: a failed attempt is tried again.
    pub will_retry: bool,
}

impl Delivery {
    /// What the thread shows: a CSS modifier (`pending`, `sent`, `retrying`, `failed`,
    /// `bounced`) and the text.
    pub fn label(&self) -> (&'static str, String) {
        let message = self.message.as_deref().unwrap_or("").trim();
        let with = |prefix: &str| {
            if message.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}: {message}")
            }
        };
        match self.status.as_deref() {
            None | Some("") => ("pending", "Sending…".to_string()),
            Some("success") => ("sent", "Sent".to_string()),
            Some("fail") if self.will_retry => ("retrying", with("Delivery failed, retrying")),
            Some("delayed") => ("bounced", with("Bounced")),
            Some(_) => ("failed", with("Not delivered")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub organization: Option<String>,
}

/// What the caller may do on this ticket (decided by the policy module on the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Abilities {
    pub agent: bool,
    pub change: bool,
    /// Owner may be set (full access to the group).
    pub assign: bool,
    pub delete: bool,
    /// The reply is a live shared draft (group setting + change access).
    pub shared_draft: bool,
    /// May watch the shared draft read-only (agents with read but not change access).
    pub watch_draft: bool,
}

/// The ticket view: the ticket, its thread and the sidebar's choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketZoom {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub state_id: i64,
    pub state: String,
    pub priority_id: i64,
    pub priority: String,
    pub group_id: i64,
    pub group: String,
    pub owner_id: i64,
    pub owner: String,
    pub customer: Person,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The newest articles of the thread (at most [`THREAD_TAIL`]), oldest first.
    pub articles: Vec<ArticleView>,
    /// How many older articles there are before `articles` (loaded on demand).
    pub earlier: i64,
    pub states: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub owners: Vec<Choice>,
    /// The states among `states` that wait for a time (pending reminder, pending close): the
    /// sidebar asks for `pending_time` when one is chosen.
    pub pending_state_ids: Vec<i64>,
    /// When a pending ticket is due (RFC 3339, UTC); `None` when it is not pending.
    pub pending_time: Option<String>,
    pub can: Abilities,
}

/// How many of a thread's newest articles the ticket view opens with.
pub const THREAD_TAIL: usize = 20;
/// How many older articles one "earlier articles" click loads.
pub const THREAD_PAGE: usize = 50;

/// Older articles of a thread: a page before a given article, and how many are older still.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticlePage {
    pub articles: Vec<ArticleView>,
    pub earlier: i64,
}

/// A reply (and sidebar changes) sent from the ticket view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TicketChanges {
    pub title: Option<String>,
    pub state_id: Option<i64>,
    pub priority_id: Option<i64>,
    pub group_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// A pending state's time (RFC 3339, UTC); required when `state_id` is a pending state.
    pub pending_time: Option<String>,
    pub article: Option<NewReply>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NewReply {
    /// `note`, `email` or `phone` (customers: always `web`).
    pub kind: String,
    pub internal: bool,
    pub to: String,
    pub cc: String,
    /// E-mail: the subject (empty: the ticket's title).
    pub subject: String,
    pub body_html: String,
    /// The upload cache the composer's files went to.
    pub form_id: String,
    /// The reply is the ticket's live shared draft (co-edited): the draft ends with it.
    pub from_shared_draft: bool,
}

/// The new-ticket form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NewTicket {
    pub title: String,
    pub group_id: i64,
    /// Agents: the customer's id, or 0 with `customer_email` to create one.
    pub customer_id: i64,
    pub customer_email: String,
    /// A new customer's name (optional; only used when `customer_email` creates one).
    pub customer_firstname: String,
    pub customer_lastname: String,
    pub kind: String,
    pub body_html: String,
    pub form_id: String,
}

/// What the new-ticket form may offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicketOptions {
    pub groups: Vec<Choice>,
    pub agent: bool,
}

/// A customer found by the picker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerHit {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub organization: Option<String>,
}

/// A file in a reply's upload cache (`form_id`), shown as a chip under the composer: `size`
/// in bytes, `content_type` its MIME type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadedFile {
    pub id: i64,
    pub filename: String,
    pub size: i64,
    pub content_type: String,
}
