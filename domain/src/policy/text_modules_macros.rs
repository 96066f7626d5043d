//! Who may read, change and apply text modules and macros (Zammad's
//! `app/policies/controllers/text_modules_controller_policy.rb`,
//! `app/policies/text_module_policy/scope.rb`, `app/policies/controllers/macros_controller_policy.rb`
//! and `app/policies/macro_policy/scope.rb`).

use crate::policy::TicketFacts;
use crate::policy::access::{AccessLevel, Actor};
use crate::{Error, Result};

/// What the rules need to know about a text module or a macro.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolFacts<'a> {
    pub active: bool,
    /// The groups it is limited to; empty: every group.
    pub group_ids: &'a [i64],
}

/// An agent reaches a record limited to `group_ids` when it has no groups or one of them is a
/// group the agent may change or create tickets in (Zammad's `group_ids_access(%i[change
/// create])`).
fn agent_reaches(actor: &Actor, group_ids: &[i64]) -> bool {
    actor.is_agent()
        && (group_ids.is_empty()
            || group_ids.iter().any(|g| {
                actor.has_group_access(*g, AccessLevel::Change)
                    || actor.has_group_access(*g, AccessLevel::Create)
            }))
}

/// Creating, changing and deleting text modules: `admin.text_module`.
pub fn can_manage_text_modules(actor: &Actor) -> bool {
    actor.has_permission("admin.text_module")
}

/// Reading a text module: `admin.text_module` reads all; agents the active ones of their
/// groups and those without groups.
pub fn can_read_text_module(actor: &Actor, module: &ToolFacts) -> bool {
    can_manage_text_modules(actor) || (module.active && agent_reaches(actor, module.group_ids))
}

/// Creating, changing and deleting macros: `admin.macro`.
pub fn can_manage_macros(actor: &Actor) -> bool {
    actor.has_permission("admin.macro")
}

/// Reading a macro: `admin.macro` reads all; agents those of their groups and those without
/// groups (inactive ones too: Zammad's list shows them, they cannot be applied).
pub fn can_read_macro(actor: &Actor, mac: &ToolFacts) -> bool {
    can_manage_macros(actor) || agent_reaches(actor, mac.group_ids)
}

/// Applying a macro to a ticket (a Tandem addition, `POST /macros/{id}/apply`): an active macro
/// the agent reaches, on a ticket the agent may change. Customers never apply macros.
pub fn can_apply_macro(actor: &Actor, mac: &ToolFacts, ticket: &TicketFacts) -> bool {
    mac.active
        && agent_reaches(actor, mac.group_ids)
        && actor.has_group_access(ticket.group_id, AccessLevel::Change)
}

/// `allowed` as a 403 in Zammad's words.
pub fn authorize(allowed: bool) -> Result<()> {
    if allowed {
        Ok(())
    } else {
        Err(Error::not_authorized())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inactive_macros_are_never_applied() {
        let mut actor = Actor::system();
        actor.permissions = vec!["ticket.agent".into(), "admin".into()];
        actor
            .group_access
            .insert(1, [AccessLevel::Full].into_iter().collect());
        let ticket = TicketFacts {
            group_id: 1,
            customer_id: 9,
            organization_id: None,
            closed: false,
        };
        let on = ToolFacts {
            active: true,
            group_ids: &[],
        };
        assert!(can_apply_macro(&actor, &on, &ticket));
        let off = ToolFacts {
            active: false,
            ..on
        };
        assert!(!can_apply_macro(&actor, &off, &ticket));
        assert!(can_read_macro(&actor, &off));
        let elsewhere = ToolFacts {
            active: true,
            group_ids: &[2],
        };
        // admins read every macro, but apply only those of their groups
        assert!(can_read_macro(&actor, &elsewhere));
        assert!(!can_apply_macro(&actor, &elsewhere, &ticket));
    }
}
