//! Text modules and macros for the web app (issue 16): the macros an agent may apply on a
//! ticket and applying one (`Desk::apply_macro`, as `POST /macros/{id}/apply`), and the admin
//! pages' lists and writes (`Desk::save_text_module`, `Desk::save_macro`, …) — the same use
//! cases as the REST API (Zammad's `/text_modules` and `/macros`).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::Choice;

/// A macro as the ticket view's menu offers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacroChoice {
    pub id: i64,
    pub name: String,
}

/// The outcome of applying a macro: where to go next (`none`, `next_task`,
/// `next_from_overview`), and the next ticket of the agent's overview when there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacroApplied {
    pub next_up: String,
    pub next_ticket_id: Option<i64>,
}

/// A text module as the admin page edits it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TextModuleForm {
    pub id: Option<i64>,
    pub name: String,
    pub keywords: String,
    pub content: String,
    pub note: String,
    pub active: bool,
    pub group_ids: Vec<i64>,
}

/// A macro as the admin page edits it: the `perform` attributes as simple fields (`None`:
/// leave as is).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MacroForm {
    pub id: Option<i64>,
    pub name: String,
    pub state_id: Option<i64>,
    pub priority_id: Option<i64>,
    /// The group the ticket moves to.
    pub group_id: Option<i64>,
    /// Who owns the ticket afterwards: empty (unchanged), [`OWNER_CURRENT_USER`],
    /// [`OWNER_NOBODY`], or an agent's id.
    pub owner: String,
    /// `add`, `remove` or empty.
    pub tags_operator: String,
    pub tags: String,
    /// `none`, `next_task`, `next_from_overview`.
    pub ux_flow_next_up: String,
    pub note: String,
    pub active: bool,
    pub group_ids: Vec<i64>,
}

/// [`MacroForm::owner`]: the agent applying the macro (Zammad's `current_user.id`).
pub const OWNER_CURRENT_USER: &str = "current_user";
/// [`MacroForm::owner`]: nobody (Zammad's `not_set`).
pub const OWNER_NOBODY: &str = "nobody";

/// A text module's admin page: the record (`id` `None`: new) and the groups to choose from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextModuleEdit {
    pub form: TextModuleForm,
    pub groups: Vec<Choice>,
}

/// A macro's admin page: the record (`id` `None`: new) and the choices of its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacroEdit {
    pub form: MacroForm,
    pub groups: Vec<Choice>,
    pub states: Vec<Choice>,
    pub priorities: Vec<Choice>,
    /// The active agents a macro may make owner.
    pub owners: Vec<Choice>,
}

/// The groups by name, as choices (admin pages).
#[cfg(feature = "ssr")]
async fn group_choices(
    conn: &mut sqlx::AnyConnection,
    actor: &domain::Actor,
) -> domain::Result<Vec<Choice>> {
    let mut groups: Vec<Choice> = domain::accounts::groups::list(conn, actor)
        .await?
        .into_iter()
        .map(|g| Choice {
            id: g.id,
            name: g.name,
        })
        .collect();
    groups.sort_by_key(|g| g.name.to_lowercase());
    Ok(groups)
}

/// The active agents (users with access to some group, directly or through a role), by name:
/// whom a macro may make owner of a ticket.
#[cfg(feature = "ssr")]
async fn agent_choices(conn: &mut sqlx::AnyConnection) -> domain::Result<Vec<Choice>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT user_id FROM user_groups UNION \
         SELECT ur.user_id FROM user_roles ur JOIN role_groups rg ON rg.role_id = ur.role_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut agents: Vec<Choice> = domain::policy::access::load_actors(conn, &ids)
        .await?
        .into_iter()
        .filter(|a| a.is_agent())
        .map(|a| Choice {
            id: a.id,
            name: a.fullname(),
        })
        .collect();
    agents.sort_by_key(|a| a.name.to_lowercase());
    Ok(agents)
}

/// Admin page: one text module (`id` 0: a new one) and the groups.
#[server]
pub async fn admin_text_module(id: i64) -> Result<TextModuleEdit, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        domain::policy::text_modules_macros::authorize(
            domain::policy::text_modules_macros::can_manage_text_modules(&actor),
        )?;
        let mut conn = ctx.store.read().await?;
        let form = if id == 0 {
            TextModuleForm {
                active: true,
                ..Default::default()
            }
        } else {
            text_module_form(domain::tickets::text_modules::show(&mut conn, &actor, id).await?)
        };
        Ok(TextModuleEdit {
            form,
            groups: group_choices(&mut conn, &actor).await?,
        })
    })
    .await
}

/// Admin page: one macro (`id` 0: a new one) and the choices of its fields.
#[server]
pub async fn admin_macro(id: i64) -> Result<MacroEdit, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        domain::policy::text_modules_macros::authorize(
            domain::policy::text_modules_macros::can_manage_macros(&actor),
        )?;
        let mut conn = ctx.store.read().await?;
        let form = if id == 0 {
            MacroForm {
                active: true,
                ux_flow_next_up: "none".into(),
                ..Default::default()
            }
        } else {
            macro_form(domain::tickets::macros::show(&mut conn, &actor, id).await?)
        };
        use crate::api::choices::server::{priority_choices, settable_states, state_choices};
        let active = settable_states(&mut conn)
            .await?
            .into_iter()
            .filter(|s| s.active != 0)
            .collect();
        let states = state_choices(active);
        let priorities = priority_choices(&mut conn).await?;
        Ok(MacroEdit {
            form,
            groups: group_choices(&mut conn, &actor).await?,
            states,
            priorities,
            owners: agent_choices(&mut conn).await?,
        })
    })
    .await
}

#[cfg(feature = "ssr")]
fn text_module_form(m: domain::tickets::text_modules::TextModuleRecord) -> TextModuleForm {
    TextModuleForm {
        id: Some(m.id),
        name: m.name,
        keywords: m.keywords,
        content: m.content,
        note: m.note,
        active: m.active,
        group_ids: m.group_ids,
    }
}

/// The first 500 records: the admin lists and a ticket's macro menu show them all.
#[cfg(feature = "ssr")]
fn first_500() -> domain::storage::paging::Page {
    domain::storage::paging::Page::new(Some(1), Some(500), 500, 500)
}

#[cfg(feature = "ssr")]
fn macro_form(m: domain::tickets::macros::MacroRecord) -> MacroForm {
    use domain::tickets::macros::OwnerChange;
    MacroForm {
        id: Some(m.id),
        name: m.name,
        state_id: m.perform.state_id,
        priority_id: m.perform.priority_id,
        group_id: m.perform.group_id,
        owner: match m.perform.owner {
            None => String::new(),
            Some(OwnerChange::CurrentUser) => OWNER_CURRENT_USER.into(),
            Some(OwnerChange::Nobody) => OWNER_NOBODY.into(),
            Some(OwnerChange::User(id)) => id.to_string(),
        },
        tags_operator: m
            .perform
            .tags
            .as_ref()
            .map(|t| if t.add { "add" } else { "remove" })
            .unwrap_or_default()
            .to_string(),
        tags: m.perform.tags.map(|t| t.names).unwrap_or_default(),
        ux_flow_next_up: m.ux_flow_next_up.as_str().to_string(),
        note: m.note,
        active: m.active,
        group_ids: m.group_ids,
    }
}

/// The active macros `actor` may apply on ticket `ticket_id` (those of the ticket's group or
/// without groups), by name.
#[server]
pub async fn ticket_macros(ticket_id: i64) -> Result<Vec<MacroChoice>, ServerFnError> {
    use crate::session::server::as_actor;
    use domain::policy::text_modules_macros::can_apply_macro;
    as_actor(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let (ticket, _) = domain::tickets::load_readable(&mut conn, &actor, ticket_id).await?;
        if !actor.is_agent() {
            return Ok(Vec::new());
        }
        let facts = ticket.facts(false);
        Ok(
            domain::tickets::macros::list(&mut conn, &actor, first_500())
                .await?
                .into_iter()
                .filter(|m| {
                    can_apply_macro(&actor, &m.facts(), &facts)
                        && (m.group_ids.is_empty() || m.group_ids.contains(&ticket.group_id))
                })
                .map(|m| MacroChoice {
                    id: m.id,
                    name: m.name,
                })
                .collect(),
        )
    })
    .await
}

/// Applies macro `macro_id` to ticket `ticket_id` ([`domain::desk::Desk::apply_macro`]). For
/// `next_from_overview`, the next ticket is the agent's open ticket with the next-lower id
/// after this one (wrapping), among those the agent may change.
#[server]
pub async fn apply_macro(ticket_id: i64, macro_id: i64) -> Result<MacroApplied, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let applied = ctx.desk.apply_macro(&actor, ticket_id, macro_id).await?;
        let next_ticket_id = if applied.next_up == domain::tickets::macros::NextUp::NextFromOverview
        {
            let mut conn = ctx.store.read().await?;
            domain::tickets::macros::next_open_ticket(&mut conn, &actor, ticket_id).await?
        } else {
            None
        };
        Ok(MacroApplied {
            next_up: applied.next_up.as_str().to_string(),
            next_ticket_id,
        })
    })
    .await
}

/// Admin page: every text module (`admin.text_module`).
#[server]
pub async fn admin_text_modules() -> Result<Vec<TextModuleForm>, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        domain::policy::text_modules_macros::authorize(
            domain::policy::text_modules_macros::can_manage_text_modules(&actor),
        )?;
        let mut conn = ctx.store.read().await?;
        Ok(
            domain::tickets::text_modules::list(&mut conn, &actor, first_500())
                .await?
                .into_iter()
                .map(text_module_form)
                .collect(),
        )
    })
    .await
}

/// Admin page: creates (`id` `None`) or changes a text module.
#[server(input = Json)]
pub async fn save_text_module(form: TextModuleForm) -> Result<i64, ServerFnError> {
    use crate::session::server::as_actor;
    use domain::tickets::text_modules::TextModuleParams;
    as_actor(|actor, ctx| async move {
        let params = TextModuleParams {
            name: Some(form.name),
            keywords: Some(form.keywords),
            content: Some(form.content),
            note: Some(form.note),
            active: Some(form.active),
            group_ids: Some(form.group_ids),
        }
        .prepared()?;
        Ok(ctx
            .desk
            .save_text_module(&actor, form.id, &params)
            .await?
            .id)
    })
    .await
}

/// Admin page: deletes a text module.
#[server]
pub async fn delete_text_module(id: i64) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move { ctx.desk.delete_text_module(&actor, id).await }).await
}

/// Admin page: every macro (`admin.macro`).
#[server]
pub async fn admin_macros() -> Result<Vec<MacroForm>, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        domain::policy::text_modules_macros::authorize(
            domain::policy::text_modules_macros::can_manage_macros(&actor),
        )?;
        let mut conn = ctx.store.read().await?;
        Ok(
            domain::tickets::macros::list(&mut conn, &actor, first_500())
                .await?
                .into_iter()
                .map(macro_form)
                .collect(),
        )
    })
    .await
}

/// Admin page: creates (`id` `None`) or changes a macro: its state, priority, group, owner and
/// tag actions.
#[server(input = Json)]
pub async fn save_macro(form: MacroForm) -> Result<i64, ServerFnError> {
    use crate::session::server::as_actor;
    use domain::tickets::macros::{MacroParams, MacroPerform, NextUp, OwnerChange, TagChange};
    as_actor(|actor, ctx| async move {
        let tags = match form.tags_operator.as_str() {
            "" => None,
            op @ ("add" | "remove") => {
                if domain::tickets::tag_names_in(&form.tags).next().is_none() {
                    return Err(domain::Error::unprocessable(
                        "Name the tags to add or remove.",
                    ));
                }
                Some(TagChange {
                    add: op == "add",
                    names: form.tags.clone(),
                })
            }
            _ => return Err(domain::Error::unprocessable("Unknown tag operator.")),
        };
        let owner = match form.owner.as_str() {
            "" => None,
            OWNER_CURRENT_USER => Some(OwnerChange::CurrentUser),
            OWNER_NOBODY => Some(OwnerChange::Nobody),
            id => {
                Some(OwnerChange::User(id.parse().map_err(|_| {
                    domain::Error::unprocessable("Unknown owner.")
                })?))
            }
        };
        let perform = MacroPerform {
            state_id: form.state_id,
            priority_id: form.priority_id,
            group_id: form.group_id,
            owner,
            tags,
        };
        let params = MacroParams {
            name: Some(form.name),
            perform: Some(perform),
            ux_flow_next_up: Some(NextUp::parse(&form.ux_flow_next_up).ok_or_else(|| {
                domain::Error::unprocessable("Unknown value for 'after applying'.")
            })?),
            note: Some(form.note),
            active: Some(form.active),
            group_ids: Some(form.group_ids),
        }
        .checked()?;
        Ok(ctx.desk.save_macro(&actor, form.id, &params).await?.id)
    })
    .await
}

/// Admin page: deletes a macro.
#[server]
pub async fn delete_macro(id: i64) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move { ctx.desk.delete_macro(&actor, id).await }).await
}
