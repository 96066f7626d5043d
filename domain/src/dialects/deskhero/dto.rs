//! DeskHero's DTOs (its names; read-only fields are ignored on input and filled on output).

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

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
    pub(super) fn from_json(value: &Value) -> Option<Self> {
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

    pub(super) fn from_json(value: &Value) -> Option<Self> {
        enum_from_json(value, &Self::ALL)
    }
}

pub(super) fn enum_from_json<T: Copy + Into<i64>>(value: &Value, all: &[(T, &str)]) -> Option<T> {
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
