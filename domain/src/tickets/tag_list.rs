//! The tag list (Zammad's `Tag::Item` and `TagsController#admin_*`, `#search`): every tag name
//! with how many tickets carry it; admins (`admin.tag`) create, rename (a rename onto an
//! existing name merges the two) and delete names everywhere; agents search names for
//! suggestions. Names are exact (`VIP` and `vip` are two tags), searching ignores case.

use sqlx::AnyConnection;

use crate::policy::access::Actor;
use crate::storage::clock;
use crate::{Error, Result};

/// Longest tag name (characters), as ticket tags.
pub const MAX_NAME: usize = 100;

fn require_admin(actor: &Actor) -> Result<()> {
    if actor.has_permission("admin.tag") {
        Ok(())
    } else {
        Err(Error::not_authorized())
    }
}

fn clean(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.contains('\0') {
        return Err(Error::unprocessable("Invalid tag name."));
    }
    Ok(name.to_string())
}

/// Makes sure `name` is in the list (called whenever a ticket gets a tag), its lower-case form
/// folded in Rust (the migration could fold existing names only with SQL's ASCII `lower()`).
pub async fn remember(conn: &mut AnyConnection, name: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO tag_items (name, name_downcase, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET name_downcase = excluded.name_downcase",
    )
    .bind(name)
    .bind(name.to_lowercase())
    .bind(clock::now())
    .execute(conn)
    .await?;
    Ok(())
}

/// `GET /tag_list`: the known tags `(id, name, count)` by name (at most `limit`, 1,000 by
/// default); admins only.
pub async fn index(
    conn: &mut AnyConnection,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<(i64, String, i64)>> {
    require_admin(actor)?;
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT i.id, i.name, (SELECT COUNT(*) FROM ticket_tags t WHERE t.name = i.name) \
         FROM tag_items i ORDER BY i.name LIMIT $1",
    )
    .bind(limit.clamp(1, 10_000))
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// `POST /tag_list` `{name}`.
pub async fn create(conn: &mut AnyConnection, actor: &Actor, name: &str) -> Result<()> {
    require_admin(actor)?;
    remember(conn, &clean(name)?).await
}

async fn name_of(conn: &mut AnyConnection, id: i64) -> Result<String> {
    sqlx::query_scalar("SELECT name FROM tag_items WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found("Tag::Item", id))
}

/// `PUT /tag_list/{id}` `{name}`: renames the tag on every ticket; onto an existing name the two
/// merge. Returns the ids of the tickets that changed.
pub async fn rename(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    name: &str,
) -> Result<Vec<i64>> {
    require_admin(actor)?;
    let new = clean(name)?;
    let old = name_of(conn, id).await?;
    if new == old {
        return Ok(Vec::new());
    }
    let tickets: Vec<i64> = sqlx::query_scalar("SELECT ticket_id FROM ticket_tags WHERE name = $1")
        .bind(&old)
        .fetch_all(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE ticket_tags SET name = $1 WHERE name = $2 \
         AND ticket_id NOT IN (SELECT ticket_id FROM ticket_tags WHERE name = $3)",
    )
    .bind(&new)
    .bind(&old)
    .bind(&new)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM ticket_tags WHERE name = $1")
        .bind(&old)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM tag_items WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    remember(conn, &new).await?;
    Ok(tickets)
}

/// `DELETE /tag_list/{id}`: removes the tag from every ticket. Returns the tickets that had it.
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Vec<i64>> {
    require_admin(actor)?;
    let name = name_of(conn, id).await?;
    let tickets: Vec<i64> = sqlx::query_scalar("SELECT ticket_id FROM ticket_tags WHERE name = $1")
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM ticket_tags WHERE name = $1")
        .bind(&name)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM tag_items WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(tickets)
}

/// Tag names for suggestions, `(id, name)`: names containing `term` in any case (by name), or
/// without a term the most used; agents only (`GET /tag_search` and the ticket view's tags).
pub async fn search_names(
    conn: &mut AnyConnection,
    actor: &Actor,
    term: &str,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    if !actor.is_agent() {
        return Err(Error::not_authorized());
    }
    let limit = limit.clamp(1, 100);
    let term = term.trim().to_lowercase();
    Ok(if term.is_empty() {
        sqlx::query_as(
            "SELECT i.id, i.name FROM tag_items i ORDER BY \
             (SELECT COUNT(*) FROM ticket_tags t WHERE t.name = i.name) DESC, i.name LIMIT $1",
        )
        .bind(limit)
        .fetch_all(conn)
        .await?
    } else {
        let pattern = format!("%{}%", crate::accounts::users::escape_like(&term));
        sqlx::query_as(
            "SELECT id, name FROM tag_items WHERE name_downcase LIKE $1 ESCAPE '\\' ORDER BY name LIMIT $2",
        )
        .bind(pattern)
        .bind(limit)
        .fetch_all(conn)
        .await?
    })
}
