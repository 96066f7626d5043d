//! An outgoing article as an RFC 5322 message (`lettre`'s builder): the sender as Zammad's
//! `ticket_define_email_from` writes it ("Agent Name via Support <support@example.com>"), the
//! ticket hook in the subject (Zammad's `Ticket::Subject#subject_build`), `Message-ID`,
//! `In-Reply-To` and `References` for threading (RFC 5322 §3.6.4), the HTML body with a
//! plain-text alternative (RFC 2046 §5.1.4), inline images as `multipart/related` parts with
//! their `Content-ID` (RFC 2387), and the other attachments.

use lettre::message::header::{self, ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, Mailboxes, MultiPart, SinglePart};

use crate::tickets::html_text;
use crate::{Error, Result};

/// How the ticket number goes into subjects (Zammad's settings `ticket_hook`,
/// `ticket_hook_divider`, `ticket_hook_position`, `ticket_subject_size`, `ticket_subject_re`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRules {
    /// `Ticket#`
    pub hook: String,
    /// Between hook and number; empty by default.
    pub divider: String,
    /// `right` (default), `left` or `none`.
    pub position: String,
    /// Longer cleaned subjects are cut and end in `[...]`; 110 by default.
    pub max_size: usize,
    /// The reply prefix, `RE` by default ("RE: …").
    pub reply_prefix: String,
}

impl Default for SubjectRules {
    fn default() -> Self {
        SubjectRules {
            hook: "Ticket#".into(),
            divider: String::new(),
            position: "right".into(),
            max_size: 110,
            reply_prefix: "RE".into(),
        }
    }
}

impl SubjectRules {
    /// `[Ticket#31001]`
    pub fn hook_for(&self, number: &str) -> String {
        format!("[{}{}{}]", self.hook, self.divider, number)
    }

    /// Removes ticket hooks of `number` and leading reply/forward prefixes ("Re: ", "AW[2]: "),
    /// cuts to `max_size` characters (Zammad's `subject_clean`).
    pub fn clean(&self, subject: &str, number: &str) -> String {
        let mut out = subject.to_string();
        for form in [
            format!("[{}: {}]", self.hook, number),
            format!("[{}:{}]", self.hook, number),
            self.hook_for(number),
            format!("{}: {}", self.hook, number),
            format!("{}:{}", self.hook, number),
            format!("{}{}{}", self.hook, self.divider, number),
        ] {
            while let Some(at) = out.find(&form) {
                let end = at + form.len();
                let rest = out[end..].trim_start().to_string();
                out = format!("{}{}", &out[..at], rest);
            }
        }
        // leading "..: " or "..[n]: " prefixes, repeatedly
        loop {
            let trimmed = out.trim_start();
            let mut chars = trimmed.char_indices();
            let (Some(_), Some(_), Some((i, c))) = (chars.next(), chars.next(), chars.next())
            else {
                break;
            };
            let after = if c == ':' {
                Some(i + 1)
            } else if c == '[' {
                let close = trimmed[i..].find("]:").map(|p| i + p);
                close
                    .filter(|&p| p > i + 1 && trimmed[i + 1..p].bytes().all(|b| b.is_ascii_digit()))
                    .map(|p| p + 2)
            } else {
                None
            };
            match after {
                Some(end) if trimmed[end..].starts_with(char::is_whitespace) => {
                    out = trimmed[end..].trim_start().to_string();
                }
                _ => break,
            }
        }
        let mut out = out.trim().to_string();
        if out.chars().count() > self.max_size {
            out = format!(
                "{}[...]",
                out.chars().take(self.max_size).collect::<String>()
            );
        }
        out
    }

    /// The subject of an outgoing message: cleaned, with the hook where `position` says,
    /// `reply` adding the reply prefix (Zammad's `subject_build`).
    pub fn build(&self, subject: &str, number: &str, reply: bool) -> String {
        let mut parts = vec![self.clean(subject, number)];
        match self.position.as_str() {
            "left" => parts.insert(0, self.hook_for(number)),
            "none" => {}
            _ => parts.push(self.hook_for(number)),
        }
        if reply && !self.reply_prefix.is_empty() {
            parts.insert(0, format!("{}:", self.reply_prefix));
        }
        parts.retain(|p| !p.is_empty());
        parts.join(" ")
    }

    /// The ticket number a subject's hook names (`[Ticket#31001]`, also `Ticket#31001` and
    /// `[Ticket#: 31001]`), if any.
    pub fn number_in(&self, subject: &str) -> Option<String> {
        let mut rest = subject;
        while let Some(at) = rest.find(&self.hook) {
            let after = &rest[at + self.hook.len()..];
            let after = after.strip_prefix(&self.divider).unwrap_or(after);
            let after = after.strip_prefix(':').unwrap_or(after).trim_start();
            let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
            if !digits.is_empty() && digits.len() <= 30 {
                return Some(digits);
            }
            rest = &rest[at + self.hook.len()..];
        }
        None
    }
}

/// A file of an outgoing message.
#[derive(Debug, Clone)]
pub struct OutgoingFile {
    pub filename: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
    /// Set for inline images the HTML refers to as `cid:<content_id>`.
    pub content_id: Option<String>,
}

/// Everything a message is built from, already decided (addresses checked, subject built).
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// `"Agent Name via Support"`
    pub from_name: String,
    /// The group's sender address.
    pub from_address: String,
    /// Comma-separated RFC 5322 address list (`a@example.com, B <b@example.com>`).
    pub to: String,
    pub cc: Option<String>,
    pub subject: String,
    /// With angle brackets: `<…@fqdn>`.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    /// Message ids with angle brackets, oldest first.
    pub references: Vec<String>,
    /// The article's stored (sanitised) HTML, or plain text when `html` is false.
    pub body: String,
    pub html: bool,
    pub files: Vec<OutgoingFile>,
    /// Marks automatic mail (acknowledgements, notifications): `Auto-Submitted:
    /// auto-generated` and `X-Loop` (RFC 3834), so that other systems do not answer it.
    pub automatic: bool,
    /// The `X-Loop` value (the instance's fqdn).
    pub loop_marker: String,
}

fn mailbox_list(field: &str, text: &str) -> Result<Mailboxes> {
    text.parse::<Mailboxes>()
        .map_err(|e| Error::unprocessable(format!("Invalid address in '{field}': {text:?} ({e})")))
}

/// The sender `"Agent Name via Support"` (Zammad's `AgentNameSystemAddressName` with the
/// separator `via`); just the address name when no agent is named.
pub fn sender_name(agent_name: Option<&str>, address_name: &str) -> String {
    match agent_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(agent) => format!("{agent} via {address_name}"),
        None => address_name.to_string(),
    }
}

/// A new `Message-ID` for an article: `<20261201101500.42.7f3a9c1e@fqdn>` (RFC 5322 §3.6.4:
/// unique left part, the host on the right).
pub fn new_message_id(article_id: i64, fqdn: &str) -> String {
    use rand::Rng;
    let random: u64 = rand::thread_rng().r#gen();
    format!(
        "<{}.{article_id}.{random:016x}@{fqdn}>",
        chrono::Utc::now().format("%Y%m%d%H%M%S")
    )
}

fn content_type(mime: &str) -> ContentType {
    ContentType::parse(mime)
        .unwrap_or_else(|_| ContentType::parse("application/octet-stream").expect("static"))
}

/// The RFC 5322 bytes and the envelope recipients of `mail`. 422 for an unusable address.
pub fn build(mail: &OutgoingMail) -> Result<lettre::Message> {
    let from_address = mail.from_address.parse().map_err(|_| {
        Error::unprocessable(format!("Invalid sender address {:?}", mail.from_address))
    })?;
    let mut builder = lettre::Message::builder()
        .from(Mailbox::new(Some(mail.from_name.clone()), from_address))
        .mailbox(header::To::from(mailbox_list("to", &mail.to)?))
        .subject(mail.subject.clone())
        .message_id(Some(mail.message_id.clone()));
    if let Some(cc) = mail.cc.as_deref().filter(|c| !c.trim().is_empty()) {
        builder = builder.mailbox(header::Cc::from(mailbox_list("cc", cc)?));
    }
    if let Some(parent) = &mail.in_reply_to {
        builder = builder.in_reply_to(parent.clone());
    }
    if !mail.references.is_empty() {
        builder = builder.references(mail.references.join(" "));
    }
    if mail.automatic {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Loop"),
                mail.loop_marker.clone(),
            ));
    }
    let (text, html) = if mail.html {
        (
            html_text::html_to_text(&mail.body, false),
            Some(format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{}</body></html>",
                mail.body
            )),
        )
    } else {
        (mail.body.clone(), None)
    };
    let (inline, attached): (Vec<&OutgoingFile>, Vec<&OutgoingFile>) =
        mail.files.iter().partition(|f| {
            f.content_id
                .as_deref()
                .is_some_and(|cid| mail.html && mail.body.contains(&format!("cid:{cid}")))
        });
    let body = match html {
        None => MultiPart::mixed().singlepart(SinglePart::plain(text)),
        Some(html) => {
            let html_part = if inline.is_empty() {
                MultiPart::alternative_plain_html(text, html)
            } else {
                let mut related = MultiPart::related().singlepart(SinglePart::html(html));
                for file in &inline {
                    let cid = file.content_id.clone().unwrap_or_default();
                    related = related.singlepart(
                        Attachment::new_inline_with_name(cid, file.filename.clone())
                            .body(file.bytes.clone(), content_type(&file.mime_type)),
                    );
                }
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(text))
                    .multipart(related)
            };
            if attached.is_empty() {
                return builder.multipart(html_part).map_err(|e| {
                    Error::unprocessable(format!("The message cannot be built: {e}"))
                });
            }
            MultiPart::mixed().multipart(html_part)
        }
    };
    let mut body = body;
    for file in attached {
        body = body.singlepart(
            Attachment::new(file.filename.clone())
                .body(file.bytes.clone(), content_type(&file.mime_type)),
        );
    }
    builder
        .multipart(body)
        .map_err(|e| Error::unprocessable(format!("The message cannot be built: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_carry_the_hook_on_the_right_and_lose_old_hooks_and_prefixes() {
        let rules = SubjectRules::default();
        assert_eq!(
            rules.build("Printer broken", "31001", false),
            "Printer broken [Ticket#31001]"
        );
        assert_eq!(
            rules.build("Re: AW[2]: [Ticket#31001] Printer broken", "31001", true),
            "RE: Printer broken [Ticket#31001]"
        );
        let left = SubjectRules {
            position: "left".into(),
            ..SubjectRules::default()
        };
        assert_eq!(left.build("Hi", "7", false), "[Ticket#7] Hi");
        let long = "x".repeat(200);
        assert!(rules.clean(&long, "1").ends_with("[...]"));
        assert_eq!(rules.clean(&long, "1").chars().count(), 115);
    }

    #[test]
    fn the_hook_is_found_in_subjects() {
        let rules = SubjectRules::default();
        assert_eq!(
            rules.number_in("RE: Printer [Ticket#31001]").as_deref(),
            Some("31001")
        );
        assert_eq!(rules.number_in("[Ticket#: 42] x").as_deref(), Some("42"));
        assert_eq!(rules.number_in("Ticket# none"), None);
        assert_eq!(rules.number_in("no hook"), None);
    }

    #[test]
    fn a_message_has_threading_headers_alternative_and_attachments() {
        let mail = OutgoingMail {
            from_name: sender_name(Some("Agnes Agent"), "Example Support"),
            from_address: "support@example.com".into(),
            to: "Carla Customer <carla@example.org>".into(),
            cc: None,
            subject: "RE: Printer [Ticket#31001]".into(),
            message_id: "<1.2.3@tandem.example>".into(),
            in_reply_to: Some("<c1@example.org>".into()),
            references: vec!["<c1@example.org>".into()],
            body: "<p>Hello <b>Carla</b></p><img src=\"cid:logo@x\">".into(),
            html: true,
            files: vec![
                OutgoingFile {
                    filename: "logo.png".into(),
                    mime_type: "image/png".into(),
                    bytes: vec![1, 2, 3],
                    content_id: Some("logo@x".into()),
                },
                OutgoingFile {
                    filename: "invoice.pdf".into(),
                    mime_type: "application/pdf".into(),
                    bytes: b"%PDF-1.4".to_vec(),
                    content_id: None,
                },
            ],
            automatic: false,
            loop_marker: "tandem.example".into(),
        };
        let raw = String::from_utf8(build(&mail).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("From: \"Agnes Agent via Example Support\" <support@example.com>"),
            "{raw}"
        );
        assert!(raw.contains("In-Reply-To: <c1@example.org>"));
        assert!(raw.contains("References: <c1@example.org>"));
        assert!(raw.contains("Message-ID: <1.2.3@tandem.example>"));
        assert!(raw.contains("multipart/mixed"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("multipart/related"));
        assert!(raw.contains("Content-ID: <logo@x>"));
        assert!(raw.contains("invoice.pdf"));
        assert!(raw.contains("Hello Carla"), "plain alternative: {raw}");
        assert!(!raw.contains("Auto-Submitted"));
    }
}
