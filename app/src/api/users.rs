//! User server functions: the new-ticket form's customer picker and the user page
//! (`/users/:id`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::CustomerHit;
#[allow(unused_imports)]
use super::codec::JsonText;

/// Agents: users matching a name, e-mail, login or phone fragment (at most 10).
#[server(output = JsonText)]
pub async fn search_customers(query: String) -> Result<Vec<CustomerHit>, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        if query.trim().chars().count() < 2 {
            return Ok(Vec::new());
        }
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
        Ok(hits)
    })
    .await
}

/// The most tickets each list of the user page shows (the newest first).
pub const USER_TICKETS_LIMIT: i64 = 50;

/// A ticket in one of the user page's lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserTicket {
    pub id: i64,
    pub number: String,
    pub title: String,
    /// The state's name (`new`, `open`, `pending reminder`, …).
    pub state: String,
    /// The state's type, which colours the badge (`new`, `open`, `closed`, …).
    pub state_type: String,
    /// Last change (RFC 3339, UTC).
    pub updated_at: String,
}

/// One of the user page's ticket lists: the newest matching tickets the viewer may see (at
/// most [`USER_TICKETS_LIMIT`]) and how many the viewer may see in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserTickets {
    pub tickets: Vec<UserTicket>,
    pub total: i64,
}

/// A user as the agent-facing user page (`/users/:id`) shows it, after Zammad's user profile
/// view (`app/assets/javascripts/app/controllers/user_profile.coffee`): the person and their
/// tickets. Fields the viewer may not see (the user policy's field scope,
/// `domain::policy::fields::user_scope`) are `None` or empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProfile {
    pub id: i64,
    /// First and last name; the e-mail address when the user has no name and the viewer may
    /// see it; else empty.
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    /// The primary organisation's name.
    pub organization: Option<String>,
    /// The names of the user's roles (empty when the viewer may not see them).
    pub roles: Vec<String>,
    pub active: bool,
    /// Has an agent role: the page lists the open tickets the user owns.
    pub agent: bool,
    /// The user's tickets as customer that are not done (not closed, merged or removed).
    pub open: UserTickets,
    /// The user's closed tickets as customer.
    pub closed: UserTickets,
    /// Agents: the open tickets they own (`None` for other users).
    pub owned: Option<UserTickets>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use domain::Actor;
    use domain::search::overviews;
    use sqlx::AnyConnection;

    use super::{USER_TICKETS_LIMIT, UserTicket, UserTickets};

    /// A search (the query language of `/tickets/search`, inside the viewer's ticket scope) as
    /// one of the page's lists, newest first.
    pub async fn tickets(
        conn: &mut AnyConnection,
        actor: &Actor,
        query: &str,
    ) -> domain::Result<UserTickets> {
        let page = domain::storage::paging::Page {
            page: 1,
            per_page: USER_TICKETS_LIMIT,
        };
        let (rows, total) = overviews::search(conn, actor, query, page).await?;
        let tickets: Vec<UserTicket> = rows
            .into_iter()
            .map(|r: overviews::Row| UserTicket {
                id: r.id,
                number: r.number,
                title: r.title,
                state: r.state,
                state_type: r.state_type,
                updated_at: r.updated_at,
            })
            .collect();
        let total = total.max(tickets.len() as i64);
        Ok(UserTickets { tickets, total })
    }
}

/// The user page: user `user_id` as the viewer may see them (the user policy: agents and
/// user admins see everyone, customers themselves and the members of their shared
/// organisations; the field scope decides which fields), with their tickets the viewer may
/// see (the same search as `/tickets/search`). An unknown user is a 404, one the viewer may
/// not see a 403 ("Not authorized"), as `GET /users/{id}` answers.
#[server(output = JsonText)]
pub async fn show_user(user_id: i64) -> Result<UserProfile, ServerFnError> {
    use crate::session::server::as_actor;
    use domain::accounts::users;
    use domain::policy::access::load_actor;
    use domain::policy::fields::user_scope;
    as_actor(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let details = users::find_visible(&mut conn, &actor, user_id).await?;
        let names = users::names(&mut conn, std::slice::from_ref(&details))
            .await?
            .pop()
            .unwrap_or_default();
        let scope = user_scope(&actor, user_id);
        let sees = |field: &str| scope.allows(field);
        let user = &details.user;
        let given = |field: &str, value: &str| {
            let value = value.trim();
            (sees(field) && !value.is_empty()).then(|| value.to_string())
        };
        let email = given("email", &user.email);
        let full = format!("{} {}", user.firstname.trim(), user.lastname.trim());
        let name = match full.trim() {
            "" => email.clone().unwrap_or_default(),
            n => n.to_string(),
        };
        // an agent (the page lists what they own): their actor has `ticket.agent`
        let agent = sees("role_ids")
            && user.is_active()
            && load_actor(&mut conn, user_id, None).await?.is_agent();
        const NOT_DONE: &str = "NOT state.name:(closed OR merged OR removed)";
        let open = ssr::tickets(
            &mut conn,
            &actor,
            &format!("customer_id:{user_id} AND {NOT_DONE}"),
        )
        .await?;
        let closed = ssr::tickets(
            &mut conn,
            &actor,
            &format!("customer_id:{user_id} AND state.name:closed"),
        )
        .await?;
        let owned = if agent {
            Some(
                ssr::tickets(
                    &mut conn,
                    &actor,
                    &format!("owner_id:{user_id} AND {NOT_DONE}"),
                )
                .await?,
            )
        } else {
            None
        };
        Ok(UserProfile {
            id: user.id,
            name,
            email,
            phone: given("phone", &user.phone),
            mobile: given("mobile", &user.mobile),
            organization: if sees("organization_id") {
                names.organization
            } else {
                None
            },
            roles: if sees("role_ids") {
                names.roles
            } else {
                Vec::new()
            },
            active: user.is_active(),
            agent,
            open,
            closed,
            owned,
        })
    })
    .await
}
