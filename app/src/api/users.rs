//! User server functions: the new-ticket form's customer picker.

use leptos::prelude::*;

use super::CustomerHit;
#[allow(unused_imports)]
use super::codec::JsonText;

/// Agents: users matching a name, e-mail, login or phone fragment (at most 10).
#[server(output = JsonText)]
pub async fn search_customers(query: String) -> Result<Vec<CustomerHit>, ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = actor().await?;
    let ctx = context()?;
    if query.trim().chars().count() < 2 {
        return Ok(Vec::new());
    }
    let result = async {
        let mut conn = ctx.store.read().await?;
        let page = domain::storage::paging::Page {
            page: 1,
            per_page: 10,
        };
        let users =
            domain::accounts::users::search(&mut conn, ctx.store.backend(), &actor, &query, page)
                .await?;
        let mut hits = Vec::new();
        for u in users {
            let organization = match u.organization_id {
                Some(id) => domain::accounts::organizations::find(&mut conn, id)
                    .await
                    .ok()
                    .map(|o| o.name),
                None => None,
            };
            hits.push(CustomerHit {
                id: u.id,
                name: u.fullname(),
                email: u.email.clone(),
                organization,
            });
        }
        domain::Result::Ok(hits)
    }
    .await;
    match result {
        Ok(hits) => Ok(hits),
        Err(e) => Err(fail(e).await),
    }
}
