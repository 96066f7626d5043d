//! What an agent has seen of a ticket: the ticket page records the version it showed
//! (`Desk::record_ticket_view`), the overviews ask which of their rows are unread
//! (`Desk::unread_tickets`).

use leptos::prelude::*;

#[allow(unused_imports)]
use super::codec::JsonText;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

/// The caller has seen ticket `id` as it was at `updated_at` (the ticket's `updated_at` the
/// page shows). Customers: nothing is stored.
#[server]
pub async fn record_ticket_view(id: i64, updated_at: String) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move { ctx.desk.record_ticket_view(&actor, id, &updated_at).await })
        .await
}

/// Of the tickets `ids` (one list page, at most 100), those unread for the caller: changed by
/// someone else since they last opened them, or never opened. Empty for customers.
#[server(input = Json, output = JsonText)]
pub async fn unread_tickets(ids: Vec<i64>) -> Result<Vec<i64>, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        if ids.len() > 100 {
            return Err(domain::Error::unprocessable("At most 100 tickets at once."));
        }
        ctx.desk.unread_tickets(&actor, &ids).await
    })
    .await
}
