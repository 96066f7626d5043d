//! Zammad's JSON for `/text_modules` and `/macros` → the typed parameters of
//! [`crate::tickets::text_modules`] and [`crate::tickets::macros`], and their records back as
//! Zammad's JSON. Pure (no database): a wrong
//! JSON type, an unknown `perform` attribute or operator, or a value that is too long is a 422
//! naming the parameter, before any transaction starts. Follows Zammad's
//! `app/controllers/text_modules_controller.rb`, `app/controllers/macros_controller.rb` and the
//! `perform` its macro editor writes (`app/assets/javascripts/app/controllers/_ui_element/ticket_perform_action.coffee`).

use serde_json::{Map, Value, json};

use crate::storage::columns;
use crate::tickets::macros::{
    self, MacroParams, MacroPerform, MacroRecord, NextUp, OwnerChange, TagChange,
};
use crate::tickets::params::{flag, int, invalid};
use crate::tickets::text_modules::{self, TextModuleParams, TextModuleRecord};
use crate::{Error, Result};

fn object(body: &Value) -> Result<()> {
    if body.is_object() {
        Ok(())
    } else {
        Err(Error::unprocessable(
            "The request body must be a JSON object.",
        ))
    }
}

/// A string parameter of at most `max` characters.
fn string(body: &Value, field: &str, max: usize) -> Result<Option<String>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            columns::check(field, Some(s), max)?;
            Ok(Some(s.clone()))
        }
        Some(other) => Err(invalid(field, other)),
    }
}

/// `group_ids`: a list of ids (numbers or strings of digits); `null` clears it.
fn group_ids(body: &Value) -> Result<Option<Vec<i64>>> {
    match body.get("group_ids") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Vec::new())),
        Some(Value::Array(items)) => {
            if items.len() > text_modules::MAX_GROUPS {
                return Err(invalid("group_ids", &Value::from(items.len())));
            }
            items
                .iter()
                .map(|item| {
                    let wrapped = serde_json::json!({ "group_ids": item });
                    int(&wrapped, "group_ids")?.ok_or_else(|| invalid("group_ids", item))
                })
                .collect::<Result<Vec<i64>>>()
                .map(Some)
        }
        Some(other) => Err(invalid("group_ids", other)),
    }
}

/// `POST`/`PUT /text_modules`: `name`, `keywords`, `content`, `note`, `active`, `group_ids`;
/// then [`TextModuleParams::prepared`] (HTML sanitised).
pub fn text_module_params(body: &Value) -> Result<TextModuleParams> {
    object(body)?;
    TextModuleParams {
        name: string(body, "name", text_modules::MAX_NAME)?,
        keywords: string(body, "keywords", text_modules::MAX_KEYWORDS)?,
        content: string(body, "content", text_modules::MAX_CONTENT)?,
        note: string(body, "note", text_modules::MAX_NOTE)?,
        active: flag(body, "active")?,
        group_ids: group_ids(body)?,
    }
    .prepared()
}

/// The `value` of a `perform` attribute that names a record by id (`{"value": "4"}`).
fn perform_id(attribute: &str, action: &Value) -> Result<i64> {
    int(action, "value")?.ok_or_else(|| {
        Error::unprocessable(format!(
            "Invalid value for param 'perform': '{attribute}' needs a 'value'."
        ))
    })
}

/// A macro's `perform`: `ticket.state_id`, `ticket.priority_id`, `ticket.group_id`
/// (`{"value": id}`), `ticket.owner_id` (`{"pre_condition": "specific", "value": id}`,
/// `"current_user.id"` or `"not_set"`), `ticket.tags` (`{"operator": "add"|"remove", "value":
/// "a, b"}`). Any other attribute is a 422 (Tandem applies nothing it does not understand).
pub fn perform(value: &Value) -> Result<MacroPerform> {
    let Value::Object(map) = value else {
        return Err(invalid("perform", value));
    };
    let mut out = MacroPerform::default();
    for (attribute, action) in map {
        if !action.is_object() {
            return Err(Error::unprocessable(format!(
                "Invalid value for param 'perform': '{attribute}' must be an object."
            )));
        }
        match attribute.as_str() {
            "ticket.state_id" => out.state_id = Some(perform_id(attribute, action)?),
            "ticket.priority_id" => out.priority_id = Some(perform_id(attribute, action)?),
            "ticket.group_id" => out.group_id = Some(perform_id(attribute, action)?),
            "ticket.owner_id" => {
                let pre = match action.get("pre_condition") {
                    None | Some(Value::Null) => "specific",
                    Some(Value::String(s)) => s.as_str(),
                    Some(other) => return Err(invalid("perform", other)),
                };
                out.owner = Some(match pre {
                    "current_user.id" => OwnerChange::CurrentUser,
                    "not_set" => OwnerChange::Nobody,
                    "specific" => OwnerChange::User(perform_id(attribute, action)?),
                    other => {
                        return Err(Error::unprocessable(format!(
                            "Invalid value for param 'perform': unknown pre_condition '{}' of 'ticket.owner_id'.",
                            other.chars().take(50).collect::<String>()
                        )));
                    }
                });
            }
            "ticket.tags" => {
                let add = match action.get("operator").and_then(Value::as_str) {
                    Some("add") => true,
                    Some("remove") => false,
                    _ => {
                        return Err(Error::unprocessable(
                            "Invalid value for param 'perform': the operator of 'ticket.tags' must be 'add' or 'remove'.",
                        ));
                    }
                };
                let names = match action.get("value") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|i| {
                            i.as_str()
                                .map(str::to_string)
                                .ok_or_else(|| invalid("perform", i))
                        })
                        .collect::<Result<Vec<_>>>()?
                        .join(", "),
                    _ => {
                        return Err(Error::unprocessable(
                            "Invalid value for param 'perform': 'ticket.tags' needs a 'value'.",
                        ));
                    }
                };
                columns::check("perform", Some(&names), macros::MAX_TAGS)?;
                if crate::tickets::tag_names_in(&names).next().is_none() {
                    return Err(Error::unprocessable(
                        "Invalid value for param 'perform': 'ticket.tags' names no tag.",
                    ));
                }
                for name in crate::tickets::tag_names_in(&names) {
                    crate::tickets::params::check_length("tags", name)?;
                }
                out.tags = Some(TagChange { add, names });
            }
            other => {
                return Err(Error::unprocessable(format!(
                    "Invalid value for param 'perform': Tandem's macros do not support '{}'.",
                    other.chars().take(100).collect::<String>()
                )));
            }
        }
    }
    Ok(out)
}

/// `POST`/`PUT /macros`: `name`, `perform`, `ux_flow_next_up`, `note`, `active`, `group_ids`.
pub fn macro_params(body: &Value) -> Result<MacroParams> {
    object(body)?;
    let perform = match body.get("perform") {
        None | Some(Value::Null) => None,
        Some(p) => Some(perform(p)?),
    };
    let ux_flow_next_up = match body.get("ux_flow_next_up") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(NextUp::parse(s).ok_or_else(|| {
            Error::unprocessable(
                "Invalid value for param 'ux_flow_next_up': one of none, next_task, next_from_overview.",
            )
        })?),
        Some(other) => return Err(invalid("ux_flow_next_up", other)),
    };
    MacroParams {
        name: string(body, "name", macros::MAX_NAME)?,
        perform,
        ux_flow_next_up,
        note: string(body, "note", macros::MAX_NOTE)?,
        active: flag(body, "active")?,
        group_ids: group_ids(body)?,
    }
    .checked()
}

/// `POST /macros/{id}/apply` (a Tandem addition): `{"ticket_id": N}`.
pub fn apply_ticket_id(body: &Value) -> Result<i64> {
    object(body)?;
    int(body, "ticket_id")?
        .ok_or_else(|| Error::unprocessable("The required value 'ticket_id' is missing."))
}

// ---- rendering: the records as Zammad's JSON ----

/// Zammad's JSON of a text module (`user_id` and `foreign_id` are always `null` in Tandem).
pub fn render_text_module(m: &TextModuleRecord) -> Value {
    json!({
        "id": m.id, "name": m.name, "keywords": m.keywords, "content": m.content,
        "note": m.note, "active": m.active, "group_ids": m.group_ids, "user_id": null,
        "foreign_id": null, "created_by_id": m.created_by_id, "updated_by_id": m.updated_by_id,
        "created_at": m.created_at, "updated_at": m.updated_at,
    })
}

/// Zammad's JSON of a macro.
pub fn render_macro(m: &MacroRecord) -> Value {
    json!({
        "id": m.id, "name": m.name, "perform": render_perform(&m.perform),
        "ux_flow_next_up": m.ux_flow_next_up.as_str(), "note": m.note, "active": m.active,
        "group_ids": m.group_ids, "created_by_id": m.created_by_id,
        "updated_by_id": m.updated_by_id, "created_at": m.created_at, "updated_at": m.updated_at,
    })
}

/// Zammad's shape: `{"ticket.state_id": {"value": "4"}, "ticket.tags": {"operator": "add",
/// "value": "a, b"}, …}` (ids as strings, as Zammad's editor sends them).
pub fn render_perform(perform: &MacroPerform) -> Value {
    let mut out = Map::new();
    let id = |v: i64| json!({"value": v.to_string()});
    if let Some(v) = perform.state_id {
        out.insert("ticket.state_id".into(), id(v));
    }
    if let Some(v) = perform.priority_id {
        out.insert("ticket.priority_id".into(), id(v));
    }
    if let Some(v) = perform.group_id {
        out.insert("ticket.group_id".into(), id(v));
    }
    if let Some(owner) = perform.owner {
        out.insert(
            "ticket.owner_id".into(),
            match owner {
                OwnerChange::CurrentUser => {
                    json!({"pre_condition": "current_user.id", "value": ""})
                }
                OwnerChange::Nobody => json!({"pre_condition": "not_set", "value": ""}),
                OwnerChange::User(u) => {
                    json!({"pre_condition": "specific", "value": u.to_string()})
                }
            },
        );
    }
    if let Some(tags) = &perform.tags {
        out.insert(
            "ticket.tags".into(),
            json!({"operator": if tags.add { "add" } else { "remove" }, "value": tags.names}),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zammads_perform_is_read_typed() {
        let p = perform(&json!({
            "ticket.state_id": {"value": "4"},
            "ticket.priority_id": {"value": 3},
            "ticket.owner_id": {"pre_condition": "specific", "value": "7"},
            "ticket.tags": {"operator": "add", "value": "a, b"},
        }))
        .unwrap();
        assert_eq!(p.state_id, Some(4));
        assert_eq!(p.priority_id, Some(3));
        assert_eq!(p.owner, Some(OwnerChange::User(7)));
        assert_eq!(
            p.tags,
            Some(TagChange {
                add: true,
                names: "a, b".into()
            })
        );
        // rendered back, read again: the same
        assert_eq!(perform(&render_perform(&p)).unwrap(), p);
    }

    #[test]
    fn perform_renders_in_zammads_shape() {
        let p = MacroPerform {
            state_id: Some(4),
            owner: Some(OwnerChange::CurrentUser),
            tags: Some(TagChange {
                add: false,
                names: "a, b".into(),
            }),
            ..Default::default()
        };
        assert_eq!(
            render_perform(&p),
            json!({
                "ticket.state_id": {"value": "4"},
                "ticket.owner_id": {"pre_condition": "current_user.id", "value": ""},
                "ticket.tags": {"operator": "remove", "value": "a, b"},
            })
        );
    }

    #[test]
    fn bad_performs_are_422s() {
        for bad in [
            json!("x"),
            json!({"ticket.state_id": "4"}),
            json!({"ticket.state_id": {"value": "four"}}),
            json!({"ticket.tags": {"operator": "replace", "value": "a"}}),
            json!({"ticket.tags": {"operator": "add", "value": " , "}}),
            json!({"ticket.owner_id": {"pre_condition": "elsewhere"}}),
            json!({"notification.email": {"body": "x"}}),
        ] {
            assert!(
                matches!(perform(&bad), Err(Error::Unprocessable(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            macro_params(&json!({"name": "x", "ux_flow_next_up": "somewhere"})),
            Err(Error::Unprocessable(_))
        ));
        assert!(matches!(
            macro_params(&json!({"name": "n".repeat(251)})),
            Err(Error::Unprocessable(_))
        ));
        assert!(matches!(
            text_module_params(&json!({"group_ids": ["x"]})),
            Err(Error::Unprocessable(_))
        ));
    }
}
