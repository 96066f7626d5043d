//! Reading Zammad's loosely typed JSON parameters: ids as numbers or strings, names instead of
//! ids, booleans as strings. Bad values are 422s naming the parameter.

use serde_json::Value;
use sqlx::AnyConnection;

use crate::storage::lookup::{self, Named};
use crate::{Error, Result};

pub fn invalid(field: &str, value: &Value) -> Error {
    Error::unprocessable(format!("Invalid value for param '{field}': {value}"))
}

/// An integer given as a number or a string of digits.
pub fn int(body: &Value, field: &str) -> Result<Option<i64>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid(field, &body[field])),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| invalid(field, &body[field])),
        Some(other) => Err(invalid(field, other)),
    }
}

/// Longest value of a text parameter, in characters (Zammad's column sizes: ticket `title`
/// and `note` 250, article addresses and `subject` 3,000, `reply_to` 300; see
/// docs/input-rules.md). Every text parameter has one; the default is 3,000.
pub fn max_chars(field: &str) -> usize {
    match field {
        "title" | "note" | "name" | "tags" => 250,
        "reply_to" => 300,
        "content_type" | "subtype" | "pending_time" | "form_id" => 100,
        _ => 3_000,
    }
}

/// A text parameter: a JSON string of at most [`max_chars`] characters. Other JSON types are
/// a 422 (a number is not silently a title), except `form_id`, which Zammad's web client
/// sends as a number.
pub fn text(body: &Value, field: &str) -> Result<Option<String>> {
    let value = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if field == "form_id" => n.to_string(),
        Some(other) => return Err(invalid(field, other)),
    };
    check_length(field, &value)?;
    Ok(Some(value))
}

/// 422 when `value` is longer than [`max_chars`] allows for `field`, or holds a NUL character
/// (no text column stores one).
pub fn check_length(field: &str, value: &str) -> Result<()> {
    crate::storage::columns::check(field, Some(value), max_chars(field))
}

/// An object parameter (`preferences`): a JSON object, or `None` when absent or `null`; any
/// other JSON type is a 422.
pub fn object<'a>(
    body: &'a Value,
    field: &str,
) -> Result<Option<&'a serde_json::Map<String, Value>>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(invalid(field, other)),
    }
}

/// A boolean as Rails casts the values Zammad clients send: `true`/`false`, the strings
/// `"true"`/`"false"`, `"t"`/`"f"`, `"on"`/`"off"`, `"1"`/`"0"` (any case), the numbers `1`/`0`;
/// an empty string is false. Anything else (`"yes"`, `2`, an object) is a 422.
pub fn flag(body: &Value, field: &str) -> Result<Option<bool>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "on" => Ok(Some(true)),
            "false" | "f" | "0" | "off" | "" => Ok(Some(false)),
            _ => Err(invalid(field, &body[field])),
        },
        Some(Value::Number(n)) => match n.as_i64() {
            Some(1) => Ok(Some(true)),
            Some(0) => Ok(Some(false)),
            _ => Err(invalid(field, &body[field])),
        },
        Some(other) => Err(invalid(field, other)),
    }
}

/// `<name>_id` (checked to exist) or `<name>` (looked up by name); the id wins if both are sent.
pub async fn named_id(
    conn: &mut AnyConnection,
    body: &Value,
    name: &str,
    what: Named,
) -> Result<Option<i64>> {
    let id_field = format!("{name}_id");
    if let Some(id) = int(body, &id_field)? {
        return lookup::existing_id(conn, what, &id_field, id)
            .await
            .map(Some);
    }
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => lookup::id_by_name(conn, what, name, s).await.map(Some),
        Some(other) => Err(lookup::no_lookup_value(name, &other.to_string())),
    }
}

/// A user by `<name>_id` or by login/e-mail in `<name>`.
pub async fn user_id(conn: &mut AnyConnection, body: &Value, name: &str) -> Result<Option<i64>> {
    let id_field = format!("{name}_id");
    if let Some(id) = int(body, &id_field)? {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        return exists
            .map(Some)
            .ok_or_else(|| invalid(&id_field, &body[&id_field]));
    }
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => lookup::user_id_by_key(conn, s)
            .await?
            .map(Some)
            .ok_or_else(|| lookup::no_lookup_value(name, s)),
        Some(other) => Err(lookup::no_lookup_value(name, &other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flags_accept_what_rails_casts_and_refuse_the_rest() {
        for (v, want) in [
            (json!(true), true),
            (json!("true"), true),
            (json!("1"), true),
            (json!(1), true),
            (json!("T"), true),
            (json!(false), false),
            (json!("0"), false),
            (json!(0), false),
            (json!(""), false),
        ] {
            assert_eq!(
                flag(&json!({"internal": v}), "internal").unwrap(),
                Some(want),
                "{v}"
            );
        }
        for v in [
            json!("yes"),
            json!(2),
            json!(-1),
            json!({}),
            json!([true]),
            json!(0.5),
        ] {
            assert!(flag(&json!({"internal": v}), "internal").is_err(), "{v}");
        }
    }

    #[test]
    fn objects_are_objects() {
        for bad in [json!("x"), json!([{"a": 1}]), json!(5), json!(true)] {
            assert!(
                object(&json!({"preferences": bad}), "preferences").is_err(),
                "{bad}"
            );
        }
        assert!(
            object(&json!({"preferences": null}), "preferences")
                .unwrap()
                .is_none()
        );
        assert!(
            object(&json!({"preferences": {"a": 1}}), "preferences")
                .unwrap()
                .is_some()
        );
        // the length check also refuses NUL in any text parameter
        assert!(text(&json!({"subject": "a\u{0}b"}), "subject").is_err());
    }

    #[test]
    fn texts_are_strings_within_their_length() {
        assert!(text(&json!({"title": 123}), "title").is_err());
        assert!(text(&json!({"title": "x".repeat(251)}), "title").is_err());
        assert_eq!(
            text(&json!({"title": "é".repeat(250)}), "title")
                .unwrap()
                .unwrap()
                .chars()
                .count(),
            250
        );
        assert_eq!(
            text(&json!({"form_id": 12345}), "form_id")
                .unwrap()
                .as_deref(),
            Some("12345")
        );
        assert!(text(&json!({"subject": "s".repeat(3_001)}), "subject").is_err());
    }
}
