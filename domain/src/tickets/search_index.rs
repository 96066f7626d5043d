//! The search index: one row per ticket with its number and title, and one row per article
//! with its text (subject, body as plain text, from, to). SQLite: FTS5 tables `ticket_fts`
//! (rowid = ticket id) and `article_fts` (rowid = article id); PostgreSQL: `ticket_search`
//! and `article_search` with `tsvector`s and GIN indexes (migration `0016_article_search`).
//!
//! Each change writes only its own rows, in the transaction of the change: a new article
//! indexes itself, a changed title its ticket's row. On SQLite the rows wait in the
//! transaction's queue until its `COMMIT` ([`crate::storage::search_index_queue`]), where a
//! batch's rows are written in one statement per table. Which ticket an article belongs to and
//! whether it is internal are not in the index: the search context reads them from
//! `ticket_articles`, so merging tickets or flagging an article internal needs no reindexing
//! (and internal text can never leak through a stale index row).

use sqlx::AnyConnection;

use crate::Result;
use crate::storage::store::is_postgres;

/// The most characters of one article's text that are indexed (the rest of a longer article
/// is not searchable). PostgreSQL refuses a `tsvector` over 1 MiB, which text of this length
/// cannot reach.
pub const MAX_INDEXED_CHARS: usize = 200_000;

/// The plain text of an article body as the index holds it: HTML reduced to its text
/// (Zammad's `html2text`), plain text as it is. CPU only: call it before the write
/// transaction where the body is known (see `PreparedBody::body_text`).
pub fn body_text(content_type: &str, body: &str) -> String {
    if content_type.eq_ignore_ascii_case("text/html") {
        crate::tickets::html_text::html_to_text(body, false)
    } else {
        body.to_string()
    }
}

/// The indexed text of an article: subject, body text, from and to, clipped to
/// [`MAX_INDEXED_CHARS`] characters.
pub fn article_text(
    subject: Option<&str>,
    body_text: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> String {
    let mut text = String::with_capacity(body_text.len() + 128);
    for part in [
        subject.unwrap_or_default(),
        body_text,
        from.unwrap_or_default(),
        to.unwrap_or_default(),
    ] {
        if !part.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(part);
        }
    }
    match text.char_indices().nth(MAX_INDEXED_CHARS) {
        Some((end, _)) => text[..end].to_string(),
        None => text,
    }
}

/// The statement that writes (or rewrites) the search rows of the tickets `rows` yields: a
/// query or `VALUES` list of `(id, number, title)`. The one definition of a ticket's row, for
/// [`index_ticket`] and for writes that index a new ticket within a statement of their own
/// (`tickets::insert_resolved`). SQLite: the rows are queued and reach `ticket_fts` with the
/// transaction's `COMMIT`, where FTS5 replaces a row with the same rowid
/// ([`crate::storage::search_index_queue`]); PostgreSQL writes them now.
pub(crate) fn ticket_rows_sql(postgres: bool, rows: &str) -> String {
    if postgres {
        format!(
            "INSERT INTO ticket_search (ticket_id, number, title) {rows} \
             ON CONFLICT (ticket_id) DO UPDATE SET number = excluded.number, title = excluded.title"
        )
    } else {
        // queued for the commit, as an article's row (see the queue's module for why)
        format!("REPLACE INTO ticket_fts_pending (rowid, number, title) {rows}")
    }
}

/// The statement that writes (or replaces) the search rows of the articles `rows` yields: a
/// query or `VALUES` list of `(id, text)` (`text` from [`article_text`]). The one definition
/// of an article's row, for [`index_article`] and for a new article's write
/// (`articles::write_rows`). SQLite: the rows are queued and reach `article_fts` with the
/// transaction's `COMMIT` ([`crate::storage::search_index_queue`]); PostgreSQL writes them now.
pub(crate) fn article_rows_sql(postgres: bool, rows: &str) -> String {
    if postgres {
        format!(
            "INSERT INTO article_search (article_id, tsv) \
             SELECT r.id, to_tsvector('simple', r.text) FROM ({rows}) AS r (id, text) \
             ON CONFLICT (article_id) DO UPDATE SET tsv = excluded.tsv"
        )
    } else {
        // queued for the commit, which moves the transaction's rows into `article_fts` in
        // one statement (see the queue's module for why)
        format!("REPLACE INTO article_fts_pending (rowid, text) {rows}")
    }
}

/// Writes (or rewrites) a ticket's own row: its number and title (SQLite: queued for the
/// `COMMIT`, as [`ticket_rows_sql`] says). Call after creating a
/// ticket and after its title changed.
pub async fn index_ticket(conn: &mut AnyConnection, ticket_id: i64) -> Result<()> {
    // one statement: the row copied from the ticket (nothing when the ticket is gone)
    let sql = ticket_rows_sql(
        is_postgres(conn),
        "SELECT id, number, title FROM tickets WHERE id = $1",
    );
    sqlx::query(&sql).bind(ticket_id).execute(conn).await?;
    Ok(())
}

/// Writes an article's row with `text` (see [`article_text`]); an existing row is replaced.
/// SQLite: the row is queued and written with the transaction's `COMMIT`
/// ([`crate::storage::search_index_queue`]); PostgreSQL writes it now.
pub async fn index_article(conn: &mut AnyConnection, article_id: i64, text: &str) -> Result<()> {
    let sql = article_rows_sql(is_postgres(conn), "VALUES ($1, $2)");
    sqlx::query(&sql)
        .bind(article_id)
        .bind(text)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes an article's row (PostgreSQL's also goes with the article by foreign key).
pub async fn remove_article(conn: &mut AnyConnection, article_id: i64) -> Result<()> {
    let sql = if is_postgres(conn) {
        "DELETE FROM article_search WHERE article_id = $1"
    } else {
        // with a row still queued by this transaction
        "DELETE FROM article_fts WHERE rowid = $1; DELETE FROM article_fts_pending WHERE rowid = $1"
    };
    sqlx::query(sql).bind(article_id).execute(conn).await?;
    Ok(())
}

/// Removes a ticket's row and its articles' rows: call before the ticket is deleted.
pub async fn remove_ticket(conn: &mut AnyConnection, ticket_id: i64) -> Result<()> {
    let statements: [&str; 2] = if is_postgres(conn) {
        [
            "DELETE FROM article_search WHERE article_id IN \
             (SELECT id FROM ticket_articles WHERE ticket_id = $1)",
            "DELETE FROM ticket_search WHERE ticket_id = $1",
        ]
    } else {
        [
            "DELETE FROM article_fts WHERE rowid IN \
             (SELECT id FROM ticket_articles WHERE ticket_id = $1); \
             DELETE FROM article_fts_pending WHERE rowid IN \
             (SELECT id FROM ticket_articles WHERE ticket_id = $1)",
            // with a row still queued by this transaction
            "DELETE FROM ticket_fts WHERE rowid = $1; \
             DELETE FROM ticket_fts_pending WHERE rowid = $1",
        ]
    };
    for sql in statements {
        sqlx::query(sql).bind(ticket_id).execute(&mut *conn).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct StoredArticle {
    id: i64,
    subject: Option<String>,
    body: String,
    from_address: Option<String>,
    to_address: Option<String>,
    content_type: String,
}

/// Articles indexed per [`backfill_step`] (one write transaction each).
pub const BACKFILL_BATCH: i64 = 500;

/// The articles written before the per-article index existed still to be indexed, as
/// `(next_id, end_id)`; `None` when there are none.
pub async fn backfill_pending(conn: &mut AnyConnection) -> Result<Option<(i64, i64)>> {
    Ok(
        sqlx::query_as("SELECT next_id, end_id FROM search_backfill LIMIT 1")
            .fetch_optional(conn)
            .await?,
    )
}

/// A batch of the backfill, read and turned into text outside any write transaction
/// ([`backfill_read`]), written by [`backfill_write`].
#[derive(Debug)]
pub struct BackfillBatch {
    /// The mark the batch was read at.
    from_id: i64,
    /// The mark after it (past `end_id` when the backfill is done).
    next_id: i64,
    end_id: i64,
    /// `(article id, indexed text)`.
    texts: Vec<(i64, String)>,
}

/// Reads the next [`BACKFILL_BATCH`] articles of the backfill (on a read connection) and
/// makes their text; `None` when nothing is left to index.
pub async fn backfill_read(conn: &mut AnyConnection) -> Result<Option<BackfillBatch>> {
    let Some((from_id, end_id)) = backfill_pending(conn).await? else {
        return Ok(None);
    };
    let articles: Vec<StoredArticle> = sqlx::query_as(
        "SELECT id, subject, body, from_address, to_address, content_type FROM ticket_articles \
         WHERE id >= $1 AND id <= $2 ORDER BY id LIMIT $3",
    )
    .bind(from_id)
    .bind(end_id)
    .bind(BACKFILL_BATCH)
    .fetch_all(&mut *conn)
    .await?;
    let next_id = match articles.last() {
        Some(last) if articles.len() as i64 == BACKFILL_BATCH => last.id + 1,
        _ => end_id + 1,
    };
    let texts = articles
        .into_iter()
        .map(|a| {
            let text = article_text(
                a.subject.as_deref(),
                &body_text(&a.content_type, &a.body),
                a.from_address.as_deref(),
                a.to_address.as_deref(),
            );
            (a.id, text)
        })
        .collect();
    Ok(Some(BackfillBatch {
        from_id,
        next_id,
        end_id,
        texts,
    }))
}

/// Writes a batch in the caller's write transaction and moves the mark on; returns whether
/// more remain. Several instances may run the backfill: the mark moves only from the value
/// the batch was read at, so a batch another instance wrote in between is skipped (articles
/// deleted since the read are skipped too).
pub async fn backfill_write(conn: &mut AnyConnection, batch: BackfillBatch) -> Result<bool> {
    let moved = sqlx::query("UPDATE search_backfill SET next_id = $1 WHERE next_id = $2")
        .bind(batch.next_id)
        .bind(batch.from_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if moved == 0 {
        return Ok(backfill_pending(conn).await?.is_some());
    }
    // one query for the articles still there (the batch is a run of ids below `next_id`)
    let still_there: std::collections::HashSet<i64> =
        sqlx::query_scalar("SELECT id FROM ticket_articles WHERE id >= $1 AND id < $2")
            .bind(batch.from_id)
            .bind(batch.next_id)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    for (id, text) in batch.texts {
        if still_there.contains(&id) {
            index_article(conn, id, &text).await?;
        }
    }
    if batch.next_id > batch.end_id {
        sqlx::query("DELETE FROM search_backfill")
            .execute(&mut *conn)
            .await?;
        return Ok(false);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_text_joins_the_parts_and_clips() {
        assert_eq!(
            article_text(Some("Hi"), "body", None, Some("a@b.test")),
            "Hi body a@b.test"
        );
        let long = "ä".repeat(MAX_INDEXED_CHARS + 10);
        assert_eq!(
            article_text(None, &long, None, None).chars().count(),
            MAX_INDEXED_CHARS
        );
        let text = body_text("text/html", "<p>alpha</p><p>beta &amp; gamma</p>");
        assert!(text.contains("alpha") && text.contains("beta & gamma") && !text.contains('<'));
    }
}
