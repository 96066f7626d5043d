//! The search index of tickets: one row per ticket with its number, title and the text of its
//! public and internal articles (FTS5 `ticket_fts` on SQLite, `ticket_search` with a tsvector
//! on PostgreSQL). Written in the same transaction as every change to a ticket or its
//! articles; read by the search context.

use sqlx::AnyConnection;

use crate::Result;
use crate::storage::store::is_postgres;

#[derive(sqlx::FromRow)]
struct ArticleText {
    internal: i64,
    subject: Option<String>,
    body: String,
    from_address: Option<String>,
    to_address: Option<String>,
    content_type: String,
}

/// Rebuilds a ticket's search document (after any change to it or its articles).
pub async fn reindex(conn: &mut AnyConnection, ticket_id: i64) -> Result<()> {
    let ticket: Option<(String, String)> =
        sqlx::query_as("SELECT number, title FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((number, title)) = ticket else {
        return remove(conn, ticket_id).await;
    };
    let articles: Vec<ArticleText> = sqlx::query_as(
        "SELECT internal, subject, body, from_address, to_address, content_type FROM ticket_articles WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?;
    let (mut public, mut internal) = (String::new(), String::new());
    for ArticleText {
        internal: is_internal,
        subject,
        body,
        from_address: from,
        to_address: to,
        content_type,
    } in articles
    {
        let body = if content_type == "text/html" {
            crate::tickets::html_text::html_to_text(&body, false)
        } else {
            body
        };
        let text = [
            subject.unwrap_or_default(),
            body,
            from.unwrap_or_default(),
            to.unwrap_or_default(),
        ]
        .join(" ");
        let target = if is_internal != 0 {
            &mut internal
        } else {
            &mut public
        };
        target.push_str(&text);
        target.push('\n');
    }
    remove(conn, ticket_id).await?;
    let sql = if is_postgres(conn) {
        "INSERT INTO ticket_search (ticket_id, number, title, public_text, internal_text) VALUES ($1,$2,$3,$4,$5)"
    } else {
        "INSERT INTO ticket_fts (rowid, number, title, public_text, internal_text) VALUES ($1,$2,$3,$4,$5)"
    };
    sqlx::query(sql)
        .bind(ticket_id)
        .bind(number)
        .bind(title)
        .bind(public)
        .bind(internal)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn remove(conn: &mut AnyConnection, ticket_id: i64) -> Result<()> {
    let sql = if is_postgres(conn) {
        "DELETE FROM ticket_search WHERE ticket_id = $1"
    } else {
        "DELETE FROM ticket_fts WHERE rowid = $1"
    };
    sqlx::query(sql).bind(ticket_id).execute(conn).await?;
    Ok(())
}
