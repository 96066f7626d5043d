//! Zammad's ticket JSON: a ticket as `GET /tickets/{id}` answers it (`?expand`, `?all` zoom
//! bundle with its assets), rendered after the use case's commit.

use serde_json::Value;

use crate::Result;
use crate::policy::access::Actor;
use crate::tickets::{self, TicketRecord, View};

/// A ticket as `view` asks ([`tickets::present`]); the zoom bundle (`all`) also carries the
/// reply draft for agents who may use it.
pub async fn present_ticket(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    ticket: &TicketRecord,
    view: View,
) -> Result<Value> {
    let mut out = tickets::present(conn, actor, ticket, view).await?;
    if view.all
        && let Some(assets) = out.get_mut("assets").and_then(Value::as_object_mut)
    {
        crate::shared_drafts::zoom::add_to_assets(conn, actor, ticket, assets).await?;
    }
    Ok(out)
}

/// `GET /tickets/{id}` as JSON text: the ticket from the cache when unchanged (see
/// `tickets::cache`). The plain answer to an agent needs nothing else, so it takes no database
/// connection at all (sqlx pings every connection it gets back: a round trip per checkout),
/// and its text is made once per cached ticket.
pub async fn show_ticket(
    store: &crate::Store,
    actor: &Actor,
    id: i64,
    view: View,
) -> Result<bytes::Bytes> {
    let ticket = tickets::cache::load_cached(store, id).await?;
    let t = &ticket.record;
    crate::policy::authorize_show_ticket(actor, &t.facts(ticket.closed))?;
    if view == View::default()
        && actor.has_group_access(t.group_id, crate::policy::access::AccessLevel::Read)
    {
        // what `render_many` answers for an agent who sees every article
        let json = ticket.agent_json.get_or_init(|| {
            tickets::render(t, t.article_count, false)
                .to_string()
                .into()
        });
        return Ok(json.clone());
    }
    let value = present_ticket(&mut *store.read().await?, actor, t, view).await?;
    Ok(value.to_string().into())
}
