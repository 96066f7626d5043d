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

pub fn text(body: &Value, field: &str) -> Result<Option<String>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(invalid(field, other)),
    }
}

pub fn flag(body: &Value, field: &str) -> Result<Option<bool>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Some(true)),
            "false" | "0" | "no" | "off" | "" => Ok(Some(false)),
            _ => Err(invalid(field, &body[field])),
        },
        Some(Value::Number(n)) => Ok(Some(n.as_i64() == Some(1))),
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
