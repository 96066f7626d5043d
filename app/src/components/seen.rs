//! Recording what an agent has seen of a ticket, for the overviews' unread markers.

use leptos::prelude::*;

use crate::api::views::record_ticket_view;

/// Records, in the browser after the page has shown it, each version of ticket `ticket_id`
/// the page shows (`updated_at`: the ticket's `updated_at` as last loaded): the ticket is read
/// for this agent until someone else changes it. A failure only leaves the marker as it was.
pub fn record_views(ticket_id: i64, updated_at: impl Fn() -> String + Send + Sync + 'static) {
    Effect::new(move |recorded: Option<String>| {
        let seen = updated_at();
        if recorded.as_ref() != Some(&seen) && ticket_id > 0 && !seen.is_empty() {
            let version = seen.clone();
            leptos::task::spawn_local(async move {
                let _ = record_ticket_view(ticket_id, version).await;
            });
        }
        seen
    });
}
