//! Time accounting (Zammad's `Ticket::TimeAccounting`, `TicketTimeAccountingsController`):
//! entries of time spent on a ticket, recorded alone or with an article (`time_unit` on article
//! create); the ticket's `time_unit` is their sum. Agents who may change the ticket record time;
//! changing or deleting an entry needs `admin.time_accounting`.

use serde_json::Value;
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::storage::clock;
use crate::tickets::input::TimeEntryInput;
use crate::{Error, Result, policy, tickets};

#[derive(Debug, Clone, FromRow)]
pub struct TimeAccountingRecord {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_article_id: Option<i64>,
    pub time_unit: f64,
    pub type_id: Option<i64>,
    pub created_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str =
    "id, ticket_id, ticket_article_id, time_unit, type_id, created_by_id, created_at, updated_at";

/// Largest time unit one entry may carry (absolute).
pub const MAX_UNIT: f64 = 100_000.0;

/// Zammad's decimal as text: `1.5`, `15.0`.
pub fn format_unit(unit: f64) -> String {
    let rounded = (unit * 100.0).round() / 100.0;
    let text = rounded.to_string();
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// `time_unit` as a client sends it: a number, or text with a decimal point or comma (`"1,5"`).
/// Absent, `null` or empty: `None`. 422 for anything else or beyond ±[`MAX_UNIT`].
pub fn parse_unit(value: Option<&Value>) -> Result<Option<f64>> {
    let invalid =
        |v: &Value| Error::unprocessable(format!("Invalid value for param 'time_unit': {v}"));
    let unit = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| invalid(value.unwrap()))?,
        Some(v @ Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            if s.len() > 32 {
                return Err(invalid(v));
            }
            s.replace(',', ".").parse::<f64>().map_err(|_| invalid(v))?
        }
        Some(other) => return Err(invalid(other)),
    };
    if !unit.is_finite() || unit.abs() > MAX_UNIT {
        return Err(invalid(value.unwrap()));
    }
    Ok(Some(unit))
}

/// 422 for a unit that is not finite or beyond ±[`MAX_UNIT`] (a typed request skips
/// [`parse_unit`]).
pub fn check_unit(unit: f64) -> Result<f64> {
    if !unit.is_finite() || unit.abs() > MAX_UNIT {
        return Err(Error::unprocessable(format!(
            "Invalid value for param 'time_unit': {unit}"
        )));
    }
    Ok(unit)
}

async fn sum_into_ticket(conn: &mut AnyConnection, ticket_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE tickets SET time_unit = (SELECT SUM(time_unit) FROM ticket_time_accountings WHERE ticket_id = $1) \
         WHERE id = $2",
    )
    .bind(ticket_id)
    .bind(ticket_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records `unit` on a ticket (optionally for an article), in the caller's transaction, and
/// updates the ticket's sum. Permission checks are the caller's (see [`create`]).
pub async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    article_id: Option<i64>,
    unit: f64,
    type_id: Option<i64>,
) -> Result<TimeAccountingRecord> {
    let now = clock::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ticket_time_accountings (ticket_id, ticket_article_id, time_unit, type_id, created_by_id, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
    )
    .bind(ticket_id)
    .bind(article_id)
    .bind(unit)
    .bind(type_id)
    .bind(actor.id)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    sum_into_ticket(conn, ticket_id).await?;
    find(conn, ticket_id, id).await
}

pub async fn find(
    conn: &mut AnyConnection,
    ticket_id: i64,
    id: i64,
) -> Result<TimeAccountingRecord> {
    sqlx::query_as::<_, TimeAccountingRecord>(&format!(
        "SELECT {COLUMNS} FROM ticket_time_accountings WHERE id = $1 AND ticket_id = $2"
    ))
    .bind(id)
    .bind(ticket_id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::not_found("Ticket::TimeAccounting", id))
}

/// The entries of a ticket, oldest first (no permission check).
pub async fn of_ticket(
    conn: &mut AnyConnection,
    ticket_id: i64,
) -> Result<Vec<TimeAccountingRecord>> {
    Ok(sqlx::query_as::<_, TimeAccountingRecord>(&format!(
        "SELECT {COLUMNS} FROM ticket_time_accountings WHERE ticket_id = $1 ORDER BY id"
    ))
    .bind(ticket_id)
    .fetch_all(conn)
    .await?)
}

/// Entry ids per ticket for a page of tickets (one query).
pub async fn ids_of(
    conn: &mut AnyConnection,
    ticket_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<i64>>> {
    let mut out: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    if ticket_ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT ticket_id, id FROM ticket_time_accountings WHERE ticket_id IN ({}) ORDER BY id",
        crate::storage::store::id_list(ticket_ids.iter().copied())
    ))
    .fetch_all(conn)
    .await?;
    for (ticket, id) in rows {
        out.entry(ticket).or_default().push(id);
    }
    Ok(out)
}

/// The time recorded with several articles at once (`article id → sum`; articles without
/// any are left out).
pub async fn of_articles(
    conn: &mut AnyConnection,
    article_ids: &[i64],
) -> Result<std::collections::HashMap<i64, f64>> {
    if article_ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT ticket_article_id, SUM(time_unit) FROM ticket_time_accountings \
         WHERE ticket_article_id IN ({}) GROUP BY ticket_article_id",
        crate::storage::store::id_list(article_ids.iter().copied())
    );
    let rows: Vec<(i64, f64)> = sqlx::query_as(&sql)
        .persistent(false)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

async fn readable(conn: &mut AnyConnection, actor: &Actor, ticket_id: i64) -> Result<()> {
    let (_, facts) = tickets::load(conn, ticket_id).await?;
    if !policy::can_read_time_accounting(actor, &facts) {
        return Err(Error::not_authorized());
    }
    Ok(())
}

/// `GET /tickets/{id}/time_accountings`: the ticket's entries, for those who may read them.
pub async fn index(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<Vec<TimeAccountingRecord>> {
    readable(conn, actor, ticket_id).await?;
    of_ticket(conn, ticket_id).await
}

/// `GET /tickets/{id}/time_accountings/{entry}`.
pub async fn show(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    id: i64,
) -> Result<TimeAccountingRecord> {
    readable(conn, actor, ticket_id).await?;
    find(conn, ticket_id, id).await
}

/// `POST /tickets/{id}/time_accountings` `{time_unit, type_id?, ticket_article_id?}`.
pub async fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    entry: &TimeEntryInput,
) -> Result<TimeAccountingRecord> {
    let (_, facts) = tickets::load(conn, ticket_id).await?;
    if !policy::can_account_time(actor, &facts) {
        return Err(Error::not_authorized());
    }
    let unit = entry
        .time_unit
        .map(check_unit)
        .transpose()?
        .ok_or_else(|| Error::unprocessable("The required value 'time_unit' is missing."))?;
    let article_id = entry.ticket_article_id;
    if let Some(article_id) = article_id {
        let article = crate::tickets::articles::find(conn, article_id).await?;
        if article.ticket_id != ticket_id {
            return Err(Error::unprocessable(format!(
                "Invalid value for param 'ticket_article_id': {article_id}"
            )));
        }
    }
    let type_id = entry.type_id.flatten();
    record(conn, actor, ticket_id, article_id, unit, type_id).await
}

/// `PUT /tickets/{id}/time_accountings/{entry}` (`time_unit`, `type_id`): time accounting admins.
pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    id: i64,
    entry: &TimeEntryInput,
) -> Result<TimeAccountingRecord> {
    if !policy::can_edit_time_accounting(actor) {
        return Err(Error::not_authorized());
    }
    let current = find(conn, ticket_id, id).await?;
    let unit = entry
        .time_unit
        .map(check_unit)
        .transpose()?
        .unwrap_or(current.time_unit);
    let type_id = entry.type_id.unwrap_or(current.type_id);
    sqlx::query("UPDATE ticket_time_accountings SET time_unit = $1, type_id = $2, updated_at = $3 WHERE id = $4")
        .bind(unit)
        .bind(type_id)
        .bind(clock::now())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sum_into_ticket(conn, ticket_id).await?;
    find(conn, ticket_id, id).await
}

/// `DELETE /tickets/{id}/time_accountings/{entry}`: time accounting admins.
pub async fn delete(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    id: i64,
) -> Result<()> {
    if !policy::can_edit_time_accounting(actor) {
        return Err(Error::not_authorized());
    }
    find(conn, ticket_id, id).await?;
    sqlx::query("DELETE FROM ticket_time_accountings WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sum_into_ticket(conn, ticket_id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn units_are_read_like_zammad_and_written_as_decimals() {
        assert_eq!(parse_unit(Some(&json!("1,5"))).unwrap(), Some(1.5));
        assert_eq!(parse_unit(Some(&json!(1.5))).unwrap(), Some(1.5));
        assert_eq!(parse_unit(Some(&json!(""))).unwrap(), None);
        assert_eq!(parse_unit(None).unwrap(), None);
        assert!(parse_unit(Some(&json!("abc"))).is_err());
        assert!(parse_unit(Some(&json!(1e9))).is_err());
        assert!(parse_unit(Some(&json!([1]))).is_err());
        assert_eq!(format_unit(1.5), "1.5");
        assert_eq!(format_unit(15.0), "15.0");
        assert_eq!(format_unit(0.1 + 0.2), "0.3");
    }
}
