//! Reading the fields of an entry: kinds, addresses, content, attachments, the requester.

use serde_json::Value;
use sqlx::AnyConnection;

use crate::policy::access::Actor;
use crate::policy::{self, TicketFacts};
use crate::tickets::articles::{self};
use crate::tickets::html_text::html_to_text;
use crate::{Error, Result, accounts::users, tickets::sanitize};

use super::*;

/// Which entries the caller may create on a ticket they may change (checked before).
pub(super) fn authorize_kind(
    actor: &Actor,
    facts: &TicketFacts,
    kind: ConversationType,
) -> Result<()> {
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

pub(super) fn parse_addresses(
    value: Option<&Value>,
    at: &str,
) -> Result<Vec<EmailAddress>, FieldError> {
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

pub(super) fn optional_text(
    value: Option<&Value>,
    field: &str,
) -> Result<Option<String>, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(FieldError::bad(field, format!("{field} must be a string."))),
    }
}

/// A display name without control characters (no header injection), trimmed.
pub(super) fn clean_name(name: &str) -> String {
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
pub(super) fn parse_content(
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

pub(super) fn parse_attachment_ids(
    value: Option<&Value>,
    at: &str,
) -> Result<Vec<i64>, FieldError> {
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
pub(super) enum Requester {
    Id(i64),
    Email { email: String, name: Option<String> },
}

pub(super) fn parse_requester(
    value: Option<&Value>,
    at: &str,
) -> Result<Option<Requester>, FieldError> {
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

pub(super) async fn resolve_requester(
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
            users::find_or_create_by_email(conn, Some(actor), &email, name.as_deref())
                .await
                .map_err(|e| FieldError::new(format!("{at}.requester.email"), e))
        }
    }
}
