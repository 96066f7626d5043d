//! Bulk actions of the overviews: several tickets changed at once (state with its pending
//! time, priority, owner, group, a tag added or removed). Each ticket goes through the same
//! use cases as `PUT /api/v1/tickets/{id}` and `POST /api/v1/tags/add` / `DELETE
//! /api/v1/tags/remove` (`Desk::update_ticket` with a typed `TicketChanges`,
//! `Desk::change_tag`), one after another, each with the agent's own permissions: a ticket
//! the agent may not change is refused on its own, with the reason, and the others change.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::Choice;
#[allow(unused_imports)]
use super::codec::JsonText;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

/// The most tickets one bulk action changes (a list page holds 25).
pub const MAX_BULK_TICKETS: usize = 100;

/// What the bulk bar offers an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BulkChoices {
    pub states: Vec<Choice>,
    /// The states among `states` that need a pending time.
    pub pending_state_ids: Vec<i64>,
    pub priorities: Vec<Choice>,
    /// The groups the agent may move tickets to (change access).
    pub groups: Vec<Choice>,
    /// Everyone who may own tickets in a group the agent has full access to.
    pub owners: Vec<Choice>,
}

/// One bulk action: what to set on every ticket of `ticket_ids` (`None`: leave it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BulkChanges {
    pub ticket_ids: Vec<i64>,
    pub state_id: Option<i64>,
    /// A pending state's time (RFC 3339, UTC); required when `state_id` is a pending state.
    pub pending_time: Option<String>,
    pub priority_id: Option<i64>,
    pub group_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub add_tag: Option<String>,
    pub remove_tag: Option<String>,
}

impl BulkChanges {
    /// Whether the action changes anything at all.
    pub fn is_empty(&self) -> bool {
        self.state_id.is_none()
            && self.priority_id.is_none()
            && self.group_id.is_none()
            && self.owner_id.is_none()
            && self.add_tag.as_deref().is_none_or(|t| t.trim().is_empty())
            && self
                .remove_tag
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
    }
}

/// A ticket a bulk action did not change, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRefusal {
    pub id: i64,
    /// The ticket's number (empty when the agent may not read the ticket).
    pub number: String,
    pub title: String,
    /// Why, as a person reads it.
    pub error: String,
}

/// What a bulk action did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BulkOutcome {
    /// How many tickets were changed (every part of the action applied).
    pub changed: usize,
    pub refused: Vec<BulkRefusal>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use domain::Actor;
    use domain::policy::access::AccessLevel;
    use domain::tickets::input;

    use super::{BulkChanges, BulkRefusal};

    /// Only agents change several tickets at once (customers never see the bar either).
    pub fn agents_only(actor: &Actor) -> domain::Result<()> {
        if actor.is_agent() {
            Ok(())
        } else {
            Err(domain::Error::Forbidden(
                "Only agents can change several tickets at once.".into(),
            ))
        }
    }

    /// The field changes of a bulk action as the typed request `PUT /tickets/{id}` reads.
    pub fn ticket_changes(changes: &BulkChanges) -> input::TicketChanges {
        input::TicketChanges {
            state: changes.state_id.map(input::Ref::Id),
            priority: changes.priority_id.map(input::Ref::Id),
            group: changes.group_id.map(input::Ref::Id),
            owner: changes.owner_id.map(input::UserRef::Id),
            pending_time: changes
                .state_id
                .and(changes.pending_time.as_deref())
                .map(str::trim)
                .filter(|at| !at.is_empty())
                .map(String::from),
            ..Default::default()
        }
    }

    /// A refused ticket with its number and title (when the agent may read it) and the
    /// reason as a person reads it: a refusal for want of change access names the group.
    pub async fn refusal(
        ctx: &crate::ServerContext,
        actor: &Actor,
        id: i64,
        err: domain::Error,
    ) -> BulkRefusal {
        let mut refusal = BulkRefusal {
            id,
            number: String::new(),
            title: String::new(),
            error: match &err {
                domain::Error::Database(_) | domain::Error::Internal(_) => {
                    leptos::logging::error!("bulk change of ticket {id} failed: {err}");
                    "Something went wrong. Please try again.".to_string()
                }
                other => other.to_string(),
            },
        };
        let Ok(mut conn) = ctx.store.read().await else {
            return refusal;
        };
        if let Ok((record, _)) = domain::tickets::load_readable(&mut conn, actor, id).await {
            refusal.number = record.number.clone();
            refusal.title = record.title.clone();
            if matches!(err, domain::Error::Forbidden(_))
                && !actor.has_group_access(record.group_id, AccessLevel::Change)
            {
                let group = domain::accounts::groups::find(&mut conn, record.group_id)
                    .await
                    .map(|g| g.name)
                    .unwrap_or_default();
                refusal.error = format!("No change access to the group {group}.");
            }
        }
        refusal
    }
}

/// The bar's choices: states, priorities, the groups the agent may change tickets in, and the
/// possible owners in the groups they have full access to. Agents only.
#[server(output = JsonText)]
pub async fn bulk_options() -> Result<BulkChoices, ServerFnError> {
    use crate::session::server::as_actor;
    use domain::policy::access::AccessLevel;
    as_actor(|actor, ctx| async move {
        ssr::agents_only(&actor)?;
        let mut conn = ctx.store.read().await?;
        use crate::api::choices::server::{
            changeable_groups, priority_choices, settable_states, state_choices,
        };
        let all_states = settable_states(&mut conn).await?;
        let pending_state_ids = all_states
            .iter()
            .filter(|s| s.is_pending())
            .map(|s| s.id)
            .collect();
        let states = state_choices(all_states);
        let priorities = priority_choices(&mut conn).await?;
        let groups = changeable_groups(&mut conn, &actor).await?;
        let mut owners: Vec<Choice> = Vec::new();
        for gid in actor.groups_with(AccessLevel::Full) {
            for (id, name) in domain::tickets::owner_candidates(&mut conn, gid).await? {
                if !owners.iter().any(|o| o.id == id) {
                    owners.push(Choice { id, name });
                }
            }
        }
        owners.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(BulkChoices {
            states,
            pending_state_ids,
            priorities,
            groups,
            owners,
        })
    })
    .await
}

/// Applies one bulk action to every ticket of `changes.ticket_ids`, one after another, each
/// in its own transaction and with the agent's own permissions (the fields first, then the
/// tags). Answers how many changed and which were refused, with the reason.
#[server(input = Json, output = JsonText)]
pub async fn bulk_update(changes: BulkChanges) -> Result<BulkOutcome, ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = actor().await?;
    let ctx = context()?;
    if let Err(e) = ssr::agents_only(&actor) {
        return Err(fail(e).await);
    }
    let mut seen = std::collections::HashSet::new();
    let mut ids = changes.ticket_ids.clone();
    ids.retain(|id| seen.insert(*id));
    if ids.is_empty() {
        return Err(fail(domain::Error::unprocessable("Select at least one ticket.")).await);
    }
    if ids.len() > MAX_BULK_TICKETS {
        return Err(fail(domain::Error::unprocessable(format!(
            "At most {MAX_BULK_TICKETS} tickets can be changed at once."
        )))
        .await);
    }
    if changes.is_empty() {
        return Err(fail(domain::Error::unprocessable("Choose something to change.")).await);
    }
    let request = ssr::ticket_changes(&changes);
    let tag = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
    };
    let (add_tag, remove_tag) = (tag(&changes.add_tag), tag(&changes.remove_tag));
    let mut outcome = BulkOutcome::default();
    for id in ids {
        let result = async {
            if request.sets_fields() {
                ctx.desk.update_ticket(&actor, id, &request).await?;
            }
            if let Some(name) = &add_tag {
                ctx.desk.change_tag(&actor, id, name, true).await?;
            }
            if let Some(name) = &remove_tag {
                ctx.desk.change_tag(&actor, id, name, false).await?;
            }
            domain::Result::Ok(())
        }
        .await;
        match result {
            Ok(()) => outcome.changed += 1,
            Err(e) => outcome
                .refused
                .push(ssr::refusal(&ctx, &actor, id, e).await),
        }
    }
    Ok(outcome)
}
