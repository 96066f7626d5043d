//! What each agent has seen of a ticket ([`crate::tickets::views`]): recorded when the ticket
//! page shows it, read by the overviews for their unread markers.

use crate::Result;
use crate::desk::Desk;
use crate::policy::access::Actor;
use crate::tickets;

impl Desk {
    /// The ticket page showed ticket `ticket_id` to `actor` as it was at `seen_updated_at`
    /// (the `updated_at` it showed): it is read for them until someone else changes it. A
    /// short write of its own after the page's read (never inside another request's
    /// transaction); a version newer than the ticket's is taken as the ticket's. Only agents
    /// have unread markers: for customers nothing is stored.
    pub async fn record_ticket_view(
        &self,
        actor: &Actor,
        ticket_id: i64,
        seen_updated_at: &str,
    ) -> Result<()> {
        if crate::storage::clock::parse(seen_updated_at).is_none() {
            return Err(crate::Error::unprocessable(
                "The ticket version seen is not a timestamp.",
            ));
        }
        let current = {
            let mut conn = self.store.read().await?;
            let (record, _) = tickets::load_readable(&mut conn, actor, ticket_id).await?;
            record.updated_at
        };
        if !actor.is_agent() {
            return Ok(());
        }
        let seen = if seen_updated_at > current.as_str() {
            current.as_str()
        } else {
            seen_updated_at
        };
        self.store
            .in_write(async |conn| tickets::views::record(conn, actor.id, ticket_id, seen).await)
            .await
    }

    /// Of the tickets `ids` (a list page), those unread for `actor` (see
    /// [`tickets::views::unread`]); empty for customers.
    pub async fn unread_tickets(&self, actor: &Actor, ids: &[i64]) -> Result<Vec<i64>> {
        let mut conn = self.store.read().await?;
        tickets::views::unread(&mut conn, actor, ids).await
    }
}
