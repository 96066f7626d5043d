//! Zammad JSON request bodies → [`crate::tickets::input`]. Reading is pure (no database):
//! a value of the wrong JSON type is a 422 naming the parameter (`Invalid value for param
//! '…'`) before any transaction starts; names are looked up later, inside it.

use serde_json::Value;

use crate::shared_drafts::start::StartDraftInput;
use crate::shared_drafts::zoom::DraftWrite;
use crate::storage::lookup;
use crate::tickets::input::{
    ArticleChanges, ArticleInput, Base64File, CustomerRef, Ref, TicketChanges, TimeEntryInput,
    UserRef,
};
use crate::tickets::params;
use crate::tickets::time_accounting;
use crate::{Error, Result};

/// `POST /tickets` and `PUT /tickets/{id}`: Zammad's ticket attributes (`title`, `group` /
/// `group_id`, `state` / `state_id`, `priority` / `priority_id`, `owner` / `owner_id`,
/// `customer` / `customer_id` (also `guess:<email>` and `{firstname, lastname, email}`),
/// `organization` / `organization_id`, `note`, `pending_time`, `preferences`, `mentions`,
/// `tags`, `shared_draft_id`) and the optional `article`.
/// Takes the body by value: the article's attachments (base64, up to tens of megabytes) are
/// moved out of it, never copied.
pub fn ticket_changes(mut body: Value) -> Result<TicketChanges> {
    if !body.is_object() {
        return Err(Error::unprocessable(
            "The request body must be a JSON object.",
        ));
    }
    let mut mentions = Vec::new();
    if let Some(Value::Array(users)) = body.get("mentions") {
        for user in users {
            mentions.push(
                user.as_i64()
                    .ok_or_else(|| params::invalid("mentions", user))?,
            );
        }
    }
    let article = match body.get_mut("article").map(Value::take) {
        None | Some(Value::Null) => None,
        Some(article @ Value::Object(_)) => Some(article_input(article)?),
        Some(other) => return Err(params::invalid("article", &other)),
    };
    let body = &body;
    Ok(TicketChanges {
        title: params::text(body, "title")?,
        group: named(body, "group")?,
        state: named(body, "state")?,
        priority: named(body, "priority")?,
        owner: user(body, "owner")?,
        customer: customer(body)?,
        organization: named(body, "organization")?,
        note: params::text(body, "note")?,
        pending_time: params::text(body, "pending_time")?,
        preferences: params::object(body, "preferences")?.cloned(),
        mentions,
        tags: params::text(body, "tags")?,
        shared_draft_id: params::int(body, "shared_draft_id")?,
        article,
    })
}

/// `POST /ticket_articles` and a ticket's `article`: `ticket_id`, `body`, `content_type`,
/// `attachments` (`[{filename, data, mime-type}]`, base64), `type` / `type_id`, `sender` /
/// `sender_id`, `internal`, `origin_by` / `origin_by_id`, the address fields, `subtype`,
/// `form_id`, `preferences`, `time_unit` (`"1,5"` and `1.5` alike), `shared_draft_id`.
/// Takes the body by value: the body text and the attachments' base64 are moved out of it,
/// never copied (a 40 MB file is 53 MB of base64).
pub fn article_input(mut body: Value) -> Result<ArticleInput> {
    if !body.is_object() {
        return Err(Error::unprocessable(
            "The request body must be a JSON object.",
        ));
    }
    let text_body = match body.get_mut("body").map(Value::take) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => return Err(params::invalid("body", &other)),
    };
    let attachments = match body.get_mut("attachments").map(Value::take) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|mut item| {
                let mut part = |key: &str| match item.get_mut(key).map(Value::take) {
                    Some(Value::String(s)) => Some(s),
                    _ => None,
                };
                Base64File {
                    filename: part("filename"),
                    data: part("data"),
                    mime_type: part("mime-type"),
                }
            })
            .collect(),
        Some(_) => {
            return Err(Error::unprocessable(
                "Invalid value for param 'attachments': expected a list",
            ));
        }
    };
    let body = &body;
    Ok(ArticleInput {
        ticket_id: params::int(body, "ticket_id")?,
        body: text_body,
        content_type: params::text(body, "content_type")?,
        attachments,
        article_type: named(body, "type")?,
        sender: named(body, "sender")?,
        internal: params::flag(body, "internal")?,
        origin_by: user(body, "origin_by")?,
        from: params::text(body, "from")?,
        to: params::text(body, "to")?,
        cc: params::text(body, "cc")?,
        subject: params::text(body, "subject")?,
        reply_to: params::text(body, "reply_to")?,
        message_id: params::text(body, "message_id")?,
        in_reply_to: params::text(body, "in_reply_to")?,
        subtype: params::text(body, "subtype")?,
        form_id: params::text(body, "form_id")?,
        preferences: params::object(body, "preferences")?.cloned(),
        time_unit: time_accounting::parse_unit(body.get("time_unit"))?,
        shared_draft_id: params::int(body, "shared_draft_id")?,
    })
}

/// `PUT /ticket_articles/{id}`: `internal` and `preferences.highlight`.
pub fn article_changes(body: &Value) -> Result<ArticleChanges> {
    Ok(ArticleChanges {
        internal: params::flag(body, "internal")?,
        highlight: body
            .get("preferences")
            .and_then(|p| p.get("highlight"))
            .cloned(),
    })
}

/// `POST` / `PUT /tickets/{id}/time_accountings[/{entry}]`: `time_unit`,
/// `ticket_article_id`, `type_id` (`null` clears it).
pub fn time_entry(body: &Value) -> Result<TimeEntryInput> {
    Ok(TimeEntryInput {
        time_unit: time_accounting::parse_unit(body.get("time_unit"))?,
        ticket_article_id: params::int(body, "ticket_article_id")?,
        type_id: match body.get("type_id") {
            None => None,
            Some(_) => Some(params::int(body, "type_id")?),
        },
    })
}

/// `POST`/`PUT /tickets/shared_drafts[/{id}]`: `name`, `group_id`, `content` (an object),
/// `form_id`.
pub fn start_draft(body: &Value) -> Result<StartDraftInput> {
    if !body.is_object() {
        return Err(Error::unprocessable(
            "The request body must be a JSON object.",
        ));
    }
    Ok(StartDraftInput {
        name: params::text(body, "name")?,
        group_id: params::int(body, "group_id")?,
        content: params::object(body, "content")?.cloned(),
        form_id: params::text(body, "form_id")?,
    })
}

/// `PUT`/`PATCH /tickets/{id}/shared_draft`: `new_article` and `ticket_attributes` (objects;
/// a missing one keeps the stored part), `form_id`.
pub fn draft_write(mut body: Value) -> Result<DraftWrite> {
    if !body.is_object() {
        return Err(Error::unprocessable(
            "The request body must be a JSON object.",
        ));
    }
    let mut part = |key: &str| match body.get_mut(key).map(Value::take) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(params::invalid(key, &other)),
    };
    let new_article = part("new_article")?;
    let ticket_attributes = part("ticket_attributes")?;
    DraftWrite::new(
        new_article,
        ticket_attributes,
        params::text(&body, "form_id")?,
    )
}

/// `POST /tickets/{id}/shared_draft/import_attachments`: the `form_id` the draft's files are
/// copied to (422 when missing or blank).
pub fn draft_import_form_id(body: &Value) -> Result<String> {
    params::text(body, "form_id")?
        .filter(|f| !f.trim().is_empty())
        .ok_or_else(|| Error::unprocessable("The required value 'form_id' is missing."))
}

/// `<name>_id` (a number or a string of digits) or `<name>` (a name); the id wins.
fn named(body: &Value, name: &str) -> Result<Option<Ref>> {
    if let Some(id) = params::int(body, &format!("{name}_id"))? {
        return Ok(Some(Ref::Id(id)));
    }
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(Ref::Name(s.clone()))),
        Some(other) => Err(lookup::no_lookup_value(name, &other.to_string())),
    }
}

/// `<name>_id` or a login / e-mail address in `<name>`.
fn user(body: &Value, name: &str) -> Result<Option<UserRef>> {
    Ok(named(body, name)?.map(|r| match r {
        Ref::Id(id) => UserRef::Id(id),
        Ref::Name(login) => UserRef::Login(login),
    }))
}

/// `customer_id: "guess:<email>"`, `customer: {firstname, lastname, email}`, or a user.
fn customer(body: &Value) -> Result<Option<CustomerRef>> {
    if let Some(Value::String(s)) = body.get("customer_id")
        && let Some(email) = s.strip_prefix("guess:")
    {
        return Ok(Some(CustomerRef::Guess(email.to_string())));
    }
    if let Some(details @ Value::Object(_)) = body.get("customer") {
        return Ok(Some(CustomerRef::Details {
            email: params::text(details, "email")?.unwrap_or_default(),
            firstname: params::text(details, "firstname")?.unwrap_or_default(),
            lastname: params::text(details, "lastname")?.unwrap_or_default(),
        }));
    }
    Ok(user(body, "customer")?.map(CustomerRef::User))
}

/// `POST /ticket_attachment_upload_clone_by_article/{article_id}`: the `form_id` of the upload
/// cache the article's files go to (a string, or a number as Zammad's UI sends it). 422 with
/// Zammad's message (`app/controllers/concerns/clones_ticket_article_attachments.rb`) when it
/// is missing or blank.
pub fn clone_form_id(body: &Value) -> Result<String> {
    match params::text(body, "form_id")? {
        Some(form_id) if !form_id.trim().is_empty() => Ok(form_id),
        _ => Err(Error::unprocessable(
            "Need 'form_id' to add attachments to new form.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_win_over_names_and_strings_of_digits_are_ids() {
        let t =
            ticket_changes(json!({"group": "Sales", "group_id": "2", "owner": "anna"})).unwrap();
        assert_eq!(t.group, Some(Ref::Id(2)));
        assert_eq!(t.owner, Some(UserRef::Login("anna".into())));
        assert!(t.sets_fields());
    }

    #[test]
    fn wrong_json_types_are_422s_before_any_lookup() {
        for bad in [
            json!({"title": 5}),
            json!({"group": 5.5}),
            json!({"article": "x"}),
            json!({"mentions": ["a"]}),
            json!({"article": {"body": 3}}),
            json!({"article": {"attachments": "x"}}),
            json!({"article": {"internal": "yes"}}),
            json!({"article": {"time_unit": "lots"}}),
            json!([1]),
        ] {
            let err = ticket_changes(bad.clone()).unwrap_err();
            assert_eq!(err.status_code(), 422, "{bad}");
        }
    }

    #[test]
    fn customers_in_three_shapes() {
        let guess = ticket_changes(json!({"customer_id": "guess:a@b.test"})).unwrap();
        assert_eq!(guess.customer, Some(CustomerRef::Guess("a@b.test".into())));
        let details =
            ticket_changes(json!({"customer": {"email": "ina@x.test", "firstname": "Ina"}}))
                .unwrap();
        assert!(
            matches!(details.customer, Some(CustomerRef::Details { ref firstname, .. }) if firstname == "Ina")
        );
        let by_login = ticket_changes(json!({"customer": "nicole"})).unwrap();
        assert_eq!(
            by_login.customer,
            Some(CustomerRef::User(UserRef::Login("nicole".into())))
        );
    }

    #[test]
    fn a_draft_write_takes_objects_and_refuses_other_types_and_long_bodies() {
        let write = draft_write(json!({
            "new_article": {"body": "<p>hi</p>", "to": "a@example.com"},
            "ticket_attributes": null,
            "form_id": "123"
        }))
        .unwrap();
        let expected = DraftWrite::new(
            json!({"body": "<p>hi</p>", "to": "a@example.com"})
                .as_object()
                .cloned(),
            None,
            Some("123".into()),
        )
        .unwrap();
        assert_eq!(format!("{write:?}"), format!("{expected:?}"));
        for (body, error) in [
            (json!([]), "The request body must be a JSON object."),
            (
                json!({"new_article": "text"}),
                "Invalid value for param 'new_article': \"text\"",
            ),
            (
                json!({"ticket_attributes": [1]}),
                "Invalid value for param 'ticket_attributes': [1]",
            ),
            (
                json!({"new_article": {"body": 5}}),
                "Invalid value for param 'body': 5",
            ),
        ] {
            let refused = draft_write(body).unwrap_err();
            assert!(refused.to_string().contains(error), "{refused}");
        }
        let long = "x".repeat(crate::tickets::articles::MAX_BODY_CHARS + 1);
        let refused = draft_write(json!({"new_article": {"body": long}})).unwrap_err();
        assert!(refused.to_string().contains("too long"), "{refused}");
    }
}
