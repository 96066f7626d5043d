//! The whole message of an article (Zammad's `GET /ticket_article_plain/{id}`): inbound
//! messages as received, outbound ones as handed to the relay. The bytes live in the file
//! store (content-addressed), the row in `ticket_article_mails`.

use sqlx::AnyConnection;

use crate::Result;

/// Notes the stored bytes `sha256` (`size` bytes) as article `article_id`'s message.
pub async fn record(
    conn: &mut AnyConnection,
    article_id: i64,
    sha256: &str,
    size: usize,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_article_mails (article_id, sha256, size) SELECT $1, $2, $3 \
         WHERE NOT EXISTS (SELECT 1 FROM ticket_article_mails WHERE article_id = $4)",
    )
    .bind(article_id)
    .bind(sha256)
    .bind(size as i64)
    .bind(article_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The hash of article `article_id`'s message, if it has one.
pub async fn of_article(conn: &mut AnyConnection, article_id: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT sha256 FROM ticket_article_mails WHERE article_id = $1")
            .bind(article_id)
            .fetch_optional(conn)
            .await?,
    )
}
