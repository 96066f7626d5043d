//! Reading an inbound RFC 5322 message (`mail-parser`: MIME trees of any depth without
//! recursion, RFC 2047 encoded words, RFC 2231 parameters, ISO-8859-x and other charsets)
//! into what a ticket article needs, and classifying it: automatic (RFC 3834 and the usual
//! `Precedence`/`X-Autoreply` markers), a delivery status notification (RFC 3464), or a
//! message from our own instance (`X-Loop`).
//!
//! Nothing here touches the database; the caller sanitises the body like all HTML.

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};

use crate::tickets::attachments::{NewFile, safe_filename};

/// Largest message read (bytes); larger ones are kept as failed mail (Zammad's
/// `postmaster_max_size` is 10 MB by default; attachments of 20 MB are common now).
pub const MAX_MESSAGE_BYTES: usize = 50 * 1024 * 1024;

/// Most attachments taken from one message.
pub const MAX_FILES: usize = 200;

/// Most message ids read from `References`.
pub const MAX_REFERENCES: usize = 50;

/// A readable inbound message.
#[derive(Debug, Clone, Default)]
pub struct InboundMail {
    /// The sender's address, lower-case.
    pub from_address: String,
    /// The sender's display name, if given.
    pub from_name: Option<String>,
    /// `Name <address>, …` as the article's `from`.
    pub from: String,
    pub to: Option<String>,
    pub cc: Option<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    /// With angle brackets.
    pub message_id: Option<String>,
    /// With angle brackets.
    pub in_reply_to: Vec<String>,
    /// With angle brackets, oldest first.
    pub references: Vec<String>,
    /// `text/html` or `text/plain`.
    pub content_type: String,
    /// The body as sent (not yet sanitised).
    pub body: String,
    /// The plain-text body, when the message has one besides the HTML (used if the HTML is
    /// beyond the article limits).
    pub text_body: Option<String>,
    /// Attachments and inline images (with `content_id`), bytes not yet stored.
    pub files: Vec<NewFile>,
    /// Why the message counts as automatic (no acknowledgement is sent to it), if it does.
    pub automatic: Option<String>,
    /// Set for a delivery status notification.
    pub bounce: Option<Bounce>,
    /// The `X-Loop` header, if any.
    pub loop_marker: Option<String>,
}

/// What a delivery status notification says (RFC 3464).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bounce {
    /// The Message-ID (with angle brackets) of the message that failed, if the report quotes it.
    pub original_message_id: Option<String>,
    pub recipient: Option<String>,
    /// `failed`, `delayed`, `delivered`, …
    pub action: Option<String>,
    /// `5.1.1`
    pub status: Option<String>,
    pub diagnostic: Option<String>,
}

impl Bounce {
    /// A permanent failure (`Action: failed` or a 5.x.x status).
    pub fn is_permanent(&self) -> bool {
        self.action.as_deref() == Some("failed")
            || self.status.as_deref().is_some_and(|s| s.starts_with('5'))
    }

    /// "550 5.1.1 user unknown (nobody@example.com)"-like text for the article's status.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(status) = &self.status {
            parts.push(status.clone());
        }
        if let Some(diagnostic) = &self.diagnostic {
            parts.push(diagnostic.clone());
        }
        if let Some(recipient) = &self.recipient {
            parts.push(format!("({recipient})"));
        }
        if parts.is_empty() {
            "Delivery failed".into()
        } else {
            parts.join(" ")
        }
    }
}

/// Why a message cannot become an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    TooLarge { size: usize, max: usize },
    NotAMessage,
    NoSender,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::TooLarge { size, max } => {
                write!(f, "message too large ({size} bytes, at most {max})")
            }
            Unreadable::NotAMessage => write!(f, "not an RFC 5322 message"),
            Unreadable::NoSender => write!(f, "no usable From address"),
        }
    }
}

/// `<id>` for an id with or without brackets; `None` for an empty or absurd one.
pub fn bracketed(id: &str) -> Option<String> {
    let inner = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    if inner.is_empty()
        || inner.len() > 500
        || inner.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    Some(format!("<{inner}>"))
}

fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<String> = match value {
        HeaderValue::Text(t) => t.split_whitespace().filter_map(bracketed).collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|t| bracketed(t)).collect(),
        _ => Vec::new(),
    };
    let skip = ids.len().saturating_sub(MAX_REFERENCES);
    ids.into_iter().skip(skip).collect()
}

fn clip(text: &str, max: usize) -> String {
    text.chars().filter(|c| *c != '\0').take(max).collect()
}

fn render_addresses(address: Option<&Address<'_>>) -> Option<String> {
    let list: Vec<String> = address?
        .iter()
        .take(100)
        .filter_map(|a| {
            let email = a.address()?.trim();
            Some(match a.name().map(str::trim).filter(|n| !n.is_empty()) {
                Some(name) => format!("{} <{email}>", name.replace(['<', '>', '"'], "")),
                None => email.to_string(),
            })
        })
        .collect();
    (!list.is_empty()).then(|| clip(&list.join(", "), 5_000))
}

fn header_text<'a>(message: &'a Message<'_>, name: &'static str) -> Option<&'a str> {
    message.header_raw(name).map(str::trim)
}

/// RFC 3834 and common practice: why a message is automatic, if it is.
fn automatic_reason(message: &Message<'_>) -> Option<String> {
    if let Some(value) = header_text(message, "Auto-Submitted")
        && !value.to_ascii_lowercase().starts_with("no")
    {
        return Some(format!("Auto-Submitted: {value}"));
    }
    if let Some(value) = header_text(message, "Precedence") {
        let value = value.to_ascii_lowercase();
        if ["bulk", "list", "junk", "auto_reply"].contains(&value.as_str()) {
            return Some(format!("Precedence: {value}"));
        }
    }
    for header in [
        "X-Autoreply",
        "X-Autorespond",
        "X-Auto-Response-Suppress",
        "List-Id",
        "X-Loop",
    ] {
        if header_text(message, header).is_some_and(|v| !v.is_empty()) {
            return Some(format!("{header} header"));
        }
    }
    None
}

/// The RFC 3464 report of a `multipart/report; report-type=delivery-status` message.
fn bounce_of(message: &Message<'_>) -> Option<Bounce> {
    let root = message.root_part().content_type()?;
    let is_report = root.ctype().eq_ignore_ascii_case("multipart")
        && root
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        && root
            .attribute("report-type")
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"));
    if !is_report {
        return None;
    }
    let mut bounce = Bounce::default();
    for part in message.parts.iter() {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let sub = ct.subtype().unwrap_or_default().to_ascii_lowercase();
        let kind = ct.ctype().to_ascii_lowercase();
        if kind == "message" && (sub == "delivery-status" || sub == "global-delivery-status") {
            let text = String::from_utf8_lossy(part.contents()).into_owned();
            read_status_fields(&text, &mut bounce);
        } else if (kind == "text" && sub == "rfc822-headers")
            || (kind == "message" && sub == "rfc822")
        {
            if let PartType::Message(original) = &part.body {
                bounce.original_message_id = original.message_id().and_then(bracketed);
            }
            if bounce.original_message_id.is_none() {
                let text = String::from_utf8_lossy(part.contents()).into_owned();
                bounce.original_message_id = text.lines().find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.trim()
                        .eq_ignore_ascii_case("message-id")
                        .then(|| bracketed(value))
                        .flatten()
                });
            }
        }
    }
    Some(bounce)
}

fn read_status_fields(text: &str, bounce: &mut Bounce) {
    for line in text.lines().take(500) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = clip(value.trim(), 500);
        match name.trim().to_ascii_lowercase().as_str() {
            "final-recipient" | "original-recipient" if bounce.recipient.is_none() => {
                let address = value
                    .rsplit(';')
                    .next()
                    .unwrap_or(&value)
                    .trim()
                    .to_string();
                bounce.recipient = Some(address);
            }
            "action" if bounce.action.is_none() => bounce.action = Some(value.to_ascii_lowercase()),
            "status" if bounce.status.is_none() => bounce.status = Some(value),
            "diagnostic-code" if bounce.diagnostic.is_none() => {
                let text = value
                    .split_once(';')
                    .map_or(value.as_str(), |(_, t)| t)
                    .trim();
                bounce.diagnostic = Some(text.to_string());
            }
            _ => {}
        }
    }
}

/// The body: the first real HTML body, else the text bodies joined.
fn body_of(message: &Message<'_>) -> (String, String, Option<String>) {
    let text: Option<String> = {
        let parts: Vec<String> = message
            .text_bodies()
            .filter_map(|p| match &p.body {
                PartType::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("\n\n"))
    };
    let html = message.html_bodies().find_map(|p| match &p.body {
        PartType::Html(h) => Some(h.to_string()),
        _ => None,
    });
    match html {
        Some(html) => ("text/html".into(), html, text),
        None => ("text/plain".into(), text.unwrap_or_default(), None),
    }
}

fn files_of(message: &Message<'_>, html: &str) -> Vec<NewFile> {
    let mut files = Vec::new();
    for (n, part) in message.attachments().enumerate() {
        if files.len() >= MAX_FILES {
            break;
        }
        let mime = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into())
            .to_ascii_lowercase();
        let content_id = part
            .content_id()
            .map(|id| {
                id.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
            .filter(|id| !id.is_empty() && id.len() <= 500);
        let inline = content_id
            .as_deref()
            .is_some_and(|cid| html.contains(&format!("cid:{cid}")));
        let name = match (part.attachment_name(), &part.body) {
            (Some(name), _) => safe_filename(&clip(name, 250)),
            (None, PartType::Message(nested)) => {
                let subject = nested.subject().unwrap_or("message");
                safe_filename(&format!("{}.eml", clip(subject, 200)))
            }
            (None, _) => {
                let ext = mime.rsplit('/').next().unwrap_or("bin");
                format!(
                    "file-{}.{}",
                    n + 1,
                    if ext.len() <= 10 { ext } else { "bin" }
                )
            }
        };
        let bytes = part.contents().to_vec();
        files.push(NewFile {
            filename: name,
            mime_type: mime,
            bytes,
            content_id: content_id.filter(|_| inline),
            inline,
            sha256: None,
        });
    }
    files
}

/// Reads a message. Errors say why it cannot become an article; the caller keeps it as
/// failed mail.
/// The subject of a message [`read`] refused (no sender, say), if its headers can be read at
/// all and it is not too large: for the admin's list of failed mail.
pub fn subject_hint(raw: &[u8]) -> Option<String> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return None;
    }
    let message = MessageParser::default().parse_headers(raw)?;
    Some(clip(message.subject()?.trim(), 250)).filter(|s| !s.is_empty())
}

pub fn read(raw: &[u8]) -> Result<InboundMail, Unreadable> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(Unreadable::TooLarge {
            size: raw.len(),
            max: MAX_MESSAGE_BYTES,
        });
    }
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.headers().is_empty())
        .ok_or(Unreadable::NotAMessage)?;
    let sender = message
        .from()
        .or_else(|| message.sender())
        .and_then(|a| a.first())
        .ok_or(Unreadable::NoSender)?;
    let from_address = sender
        .address()
        .map(|a| a.trim().to_lowercase())
        .filter(|a| {
            a.contains('@')
                && a.len() <= 254
                && !a.chars().any(|c| c.is_whitespace() || c.is_control())
        })
        .ok_or(Unreadable::NoSender)?;
    let from_name = sender
        .name()
        .map(|n| clip(n.trim(), 150))
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(&from_address));
    let from = match &from_name {
        Some(name) => format!("{} <{from_address}>", name.replace(['<', '>', '"'], "")),
        None => from_address.clone(),
    };
    let (content_type, body, text_body) = body_of(&message);
    let files = files_of(
        &message,
        if content_type == "text/html" {
            &body
        } else {
            ""
        },
    );
    Ok(InboundMail {
        from_address,
        from_name,
        from,
        to: render_addresses(message.to()),
        cc: render_addresses(message.cc()),
        reply_to: render_addresses(message.reply_to()),
        subject: clip(message.subject().unwrap_or_default().trim(), 250),
        message_id: message.message_id().and_then(bracketed),
        in_reply_to: id_list(message.in_reply_to()),
        references: id_list(message.references()),
        content_type,
        body,
        text_body,
        files,
        automatic: automatic_reason(&message),
        bounce: bounce_of(&message),
        loop_marker: header_text(&message, "X-Loop").map(|v| clip(v, 200)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_get_brackets_and_odd_ones_are_dropped() {
        assert_eq!(bracketed("abc@x").as_deref(), Some("<abc@x>"));
        assert_eq!(bracketed(" <abc@x> ").as_deref(), Some("<abc@x>"));
        assert_eq!(bracketed("<>"), None);
        assert_eq!(bracketed("a b@x"), None);
    }

    #[test]
    fn a_plain_message_is_read() {
        let raw = b"From: Carla Customer <Carla@Example.org>\r\nTo: support@example.com\r\nSubject: Printer\r\nMessage-ID: <m1@example.org>\r\nIn-Reply-To: <p1@x>\r\nReferences: <r0@x> <p1@x>\r\n\r\nIt is broken.\r\n";
        let mail = read(raw).unwrap();
        assert_eq!(mail.from_address, "carla@example.org");
        assert_eq!(mail.from, "Carla Customer <carla@example.org>");
        assert_eq!(mail.subject, "Printer");
        assert_eq!(mail.message_id.as_deref(), Some("<m1@example.org>"));
        assert_eq!(mail.in_reply_to, vec!["<p1@x>"]);
        assert_eq!(mail.references, vec!["<r0@x>", "<p1@x>"]);
        assert_eq!(mail.content_type, "text/plain");
        assert!(mail.body.contains("It is broken."));
        assert!(mail.automatic.is_none() && mail.bounce.is_none());
    }

    #[test]
    fn garbage_and_senderless_messages_are_unreadable() {
        assert_eq!(read(b"").unwrap_err(), Unreadable::NotAMessage);
        assert_eq!(
            read(b"Subject: x\r\n\r\nbody").unwrap_err(),
            Unreadable::NoSender
        );
    }
}
