//! Which ticket an inbound message belongs to (Zammad's `Channel::Filter::FollowUpCheck`):
//! the ticket hook in the subject first, then `In-Reply-To` and `References` against the
//! `Message-ID`s of stored articles (newest reference first).

use sqlx::AnyConnection;

use crate::Result;
use crate::mail::compose::SubjectRules;
use crate::storage::settings;

/// The subject rules from the settings (Zammad's names and defaults).
pub async fn subject_rules(conn: &mut AnyConnection) -> Result<SubjectRules> {
    let defaults = SubjectRules::default();
    Ok(SubjectRules {
        hook: settings::get::<String>(conn, "ticket_hook")
            .await?
            .filter(|h| !h.is_empty())
            .unwrap_or(defaults.hook),
        divider: settings::get::<String>(conn, "ticket_hook_divider")
            .await?
            .unwrap_or(defaults.divider),
        position: settings::get::<String>(conn, "ticket_hook_position")
            .await?
            .unwrap_or(defaults.position),
        max_size: settings::get::<usize>(conn, "ticket_subject_size")
            .await?
            .unwrap_or(defaults.max_size),
        reply_prefix: settings::get::<String>(conn, "ticket_subject_re")
            .await?
            .unwrap_or(defaults.reply_prefix),
    })
}

/// The ticket a message follows up, if any: by the number in its subject's hook, else by the
/// message ids it answers.
pub async fn ticket_of(
    conn: &mut AnyConnection,
    rules: &SubjectRules,
    subject: &str,
    in_reply_to: &[String],
    references: &[String],
) -> Result<Option<i64>> {
    if let Some(number) = rules.number_in(subject) {
        let by_number: Option<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE number = $1")
            .bind(&number)
            .fetch_optional(&mut *conn)
            .await?;
        if by_number.is_some() {
            return Ok(by_number);
        }
    }
    for id in in_reply_to.iter().chain(references.iter().rev()) {
        let by_reference: Option<i64> = sqlx::query_scalar(
            "SELECT ticket_id FROM ticket_articles WHERE message_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        if by_reference.is_some() {
            return Ok(by_reference);
        }
    }
    Ok(None)
}

/// The article a message id names (for bounces), if stored.
pub async fn article_with_message_id(
    conn: &mut AnyConnection,
    message_id: &str,
) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, ticket_id FROM ticket_articles WHERE message_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(message_id)
    .fetch_optional(conn)
    .await?)
}

/// The ids an answer on `ticket_id` refers to: `In-Reply-To` the customer's last message (else
/// the ticket's last message with an id), `References` the ticket's message ids (at most 20,
/// oldest first).
pub async fn reply_headers(
    conn: &mut AnyConnection,
    ticket_id: i64,
    except_article: i64,
) -> Result<(Option<String>, Vec<String>)> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT message_id, sender_id FROM ticket_articles WHERE ticket_id = $1 AND id <> $2 \
         AND message_id IS NOT NULL ORDER BY id DESC LIMIT 20",
    )
    .bind(ticket_id)
    .bind(except_article)
    .fetch_all(conn)
    .await?;
    let in_reply_to = rows
        .iter()
        .find(|(_, sender)| *sender == crate::tickets::articles::SENDER_CUSTOMER)
        .or(rows.first())
        .map(|(id, _)| id.clone());
    let references = rows.into_iter().rev().map(|(id, _)| id).collect();
    Ok((in_reply_to, references))
}
