//! Zammad's search answers (`GET /tickets/search`), rendered from the rows the search read.

use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::Result;
use crate::policy::access::Actor;
use crate::tickets::TicketRecord;

/// Output switches of the search endpoint (see docs/decisions.md).
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchOutput {
    pub expand: bool,
    pub full: bool,
    pub with_total_count: bool,
    pub only_total_count: bool,
}

/// `GET /tickets/search`'s answer in the shape `out` asks for (Zammad's
/// `TicketsController#search`): only the total, the records with the total, the records
/// (`expand`), record ids with assets (`full`), or Zammad's default `{tickets, tickets_count,
/// assets}`.
pub async fn render_search(
    conn: &mut AnyConnection,
    actor: &Actor,
    rows: &[TicketRecord],
    total: i64,
    out: SearchOutput,
) -> Result<Value> {
    if out.only_total_count {
        return Ok(json!({"total_count": total}));
    }
    let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
    if out.full {
        return Ok(
            json!({"record_ids": ids, "assets": super::tickets::assets(conn, actor, rows).await?, "total_count": total}),
        );
    }
    if out.with_total_count || out.expand {
        let records = super::tickets::render_many(conn, actor, rows, true, out.expand).await?;
        if out.with_total_count {
            return Ok(json!({"records": records, "total_count": total}));
        }
        return Ok(Value::Array(records));
    }
    Ok(
        json!({"tickets": ids, "tickets_count": ids.len(), "assets": super::tickets::assets(conn, actor, rows).await?}),
    )
}
