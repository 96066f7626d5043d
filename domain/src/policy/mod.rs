//! Who may do what with tickets and articles — the one place these rules live
//! (docs/zammad-api.md §3, with Tandem's decisions). Pure functions over an [`Actor`] and the facts of
//! a record, so they are cheap, testable and shared by the REST API and the web app.

pub mod access;
pub mod fields;
pub mod text_modules_macros;

use crate::policy::access::{AccessLevel, Actor};
use crate::{Error, Result};

/// What the policy needs to know about a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketFacts {
    pub group_id: i64,
    pub customer_id: i64,
    pub organization_id: Option<i64>,
    /// The state type is `closed` (follow-up rule).
    pub closed: bool,
}

/// What the policy needs to know about an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleFacts {
    pub internal: bool,
    pub created_by_id: i64,
    /// The article type is a communication type (everything but `note`).
    pub communication: bool,
    /// Seconds since the article was created.
    pub age_seconds: i64,
}

/// A group's follow-up setting for closed tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    Yes,
    NewTicket,
    /// `new_ticket_after_certain_time`: reopen allowed while the ticket closed less than this ago.
    WithinDays {
        closed_days_ago: Option<i64>,
        reopen_days: i64,
    },
}

impl FollowUp {
    pub fn from_setting(
        setting: &str,
        closed_days_ago: Option<i64>,
        reopen_days: Option<i64>,
    ) -> Self {
        match setting {
            "new_ticket" => FollowUp::NewTicket,
            "new_ticket_after_certain_time" => FollowUp::WithinDays {
                closed_days_ago,
                reopen_days: reopen_days.unwrap_or(0),
            },
            _ => FollowUp::Yes,
        }
    }

    /// Whether a customer's follow-up may reopen a closed ticket (else it needs a new one).
    pub fn allows_reopen(self) -> bool {
        match self {
            FollowUp::Yes => true,
            FollowUp::WithinDays {
                closed_days_ago: Some(days),
                reopen_days,
            } => days < reopen_days,
            _ => false,
        }
    }
}

/// The customer side of the ticket check: own ticket, or a ticket of a shared organisation the
/// customer belongs to (primary or secondary).
fn customer_reaches(actor: &Actor, ticket: &TicketFacts) -> bool {
    actor.is_customer()
        && (ticket.customer_id == actor.id
            || ticket
                .organization_id
                .is_some_and(|org| actor.shared_organization_ids.contains(&org)))
}

fn ticket_access(actor: &Actor, ticket: &TicketFacts, level: AccessLevel) -> bool {
    actor.has_group_access(ticket.group_id, level) || customer_reaches(actor, ticket)
}

pub fn can_show_ticket(actor: &Actor, ticket: &TicketFacts) -> bool {
    ticket_access(actor, ticket, AccessLevel::Read)
}

pub fn can_change_ticket(actor: &Actor, ticket: &TicketFacts) -> bool {
    ticket_access(actor, ticket, AccessLevel::Change)
}

/// Recording time on a ticket: agents who may change it (Zammad's
/// `Ticket::TimeAccountingPolicy#create?`).
pub fn can_account_time(actor: &Actor, ticket: &TicketFacts) -> bool {
    actor.has_group_access(ticket.group_id, AccessLevel::Change)
}

/// Reading a ticket's time entries: agents who may read it (customers never).
pub fn can_read_time_accounting(actor: &Actor, ticket: &TicketFacts) -> bool {
    actor.has_group_access(ticket.group_id, AccessLevel::Read)
}

/// Changing or deleting time entries: `admin.time_accounting`.
pub fn can_edit_time_accounting(actor: &Actor) -> bool {
    actor.has_permission("admin.time_accounting")
}

/// Whether the groups customers may open tickets in (setting
/// `customer_ticket_create_group_ids`) decide [`can_create_ticket`] for `actor` in `group_id`:
/// only for a customer without access to the group (callers read the setting only then).
pub fn customer_groups_decide(actor: &Actor, group_id: i64) -> bool {
    !actor.has_group_access(group_id, AccessLevel::Create) && actor.is_customer()
}

/// Create a ticket in a group: agents need `create` on it; customers may open tickets for
/// themselves in any group they are offered (`allowed_customer_groups`, `None` = all).
pub fn can_create_ticket(
    actor: &Actor,
    group_id: i64,
    allowed_customer_groups: Option<&[i64]>,
) -> bool {
    actor.has_group_access(group_id, AccessLevel::Create)
        || (actor.is_customer()
            && allowed_customer_groups.is_none_or(|ids| ids.contains(&group_id)))
}

pub fn authorize_show_ticket(actor: &Actor, ticket: &TicketFacts) -> Result<()> {
    if can_show_ticket(actor, ticket) {
        Ok(())
    } else {
        Err(Error::not_authorized())
    }
}

/// Whether the group's follow-up rule decides a ticket update ([`authorize_update_ticket`]):
/// the ticket is closed and the caller may not change it as an agent of its group. Callers
/// read the rule (a query of the group) only then.
pub fn follow_up_matters(actor: &Actor, ticket: &TicketFacts) -> bool {
    ticket.closed && !actor.has_group_access(ticket.group_id, AccessLevel::Change)
}

/// Update rule including Zammad's follow-up rule for closed tickets: `follow_up` is the
/// ticket's group's rule where [`follow_up_matters`] (`None` there refuses, as the rule
/// `new_ticket` does), `None` elsewhere.
pub fn authorize_update_ticket(
    actor: &Actor,
    ticket: &TicketFacts,
    follow_up: Option<FollowUp>,
) -> Result<()> {
    if !can_change_ticket(actor, ticket) {
        return Err(Error::not_authorized());
    }
    if !follow_up_matters(actor, ticket) {
        return Ok(());
    }
    if follow_up.is_some_and(|f| f.allows_reopen()) {
        Ok(())
    } else {
        Err(Error::unprocessable(
            "Cannot follow-up on a closed ticket. Please create a new ticket.",
        ))
    }
}

/// Only admins delete tickets; they need no group access for it.
pub fn authorize_delete_ticket(actor: &Actor, ticket: &TicketFacts) -> Result<()> {
    if actor.is_admin() {
        Ok(())
    } else if can_show_ticket(actor, ticket) {
        Err(Error::Forbidden(
            "Not authorized (admin permission required)!".into(),
        ))
    } else {
        Err(Error::not_authorized())
    }
}

/// Internal articles need agent read access on the ticket; customers never see them.
pub fn can_show_article(actor: &Actor, ticket: &TicketFacts, internal: bool) -> bool {
    if internal {
        actor.has_group_access(ticket.group_id, AccessLevel::Read)
    } else {
        can_show_ticket(actor, ticket)
    }
}

/// Adding an article needs change access on the ticket (zammad#5642), internal ones agent change.
pub fn can_create_article(actor: &Actor, ticket: &TicketFacts, internal: bool) -> bool {
    if internal {
        actor.has_group_access(ticket.group_id, AccessLevel::Change)
    } else {
        can_change_ticket(actor, ticket)
    }
}

/// Writing as the agent side of a ticket (sender Agent: outbound replies, forwards): agents
/// with change access. Customers write as customers.
pub fn can_write_as_agent(actor: &Actor, ticket: &TicketFacts) -> bool {
    actor.has_group_access(ticket.group_id, AccessLevel::Change)
}

/// Only the `internal` flag of an article can change, by agents with change access.
pub fn can_update_article(actor: &Actor, ticket: &TicketFacts) -> bool {
    actor.has_group_access(ticket.group_id, AccessLevel::Change)
}

/// Zammad's article destroy rules, checked in order.
pub fn authorize_delete_article(
    actor: &Actor,
    ticket: &TicketFacts,
    article: &ArticleFacts,
    delete_timeframe_seconds: i64,
) -> Result<()> {
    if !can_show_article(actor, ticket, article.internal) {
        return Err(Error::not_authorized());
    }
    if !actor.is_agent() {
        return Err(Error::Forbidden(
            "Not authorized (agent permission required)!".into(),
        ));
    }
    // Deleting changes the ticket: read-only agents may not, even for notes they once wrote.
    if !actor.has_group_access(ticket.group_id, AccessLevel::Change) {
        return Err(Error::not_authorized());
    }
    if article.created_by_id != actor.id {
        return Err(Error::Forbidden(
            "Not authorized (you can only delete your own notes)!".into(),
        ));
    }
    if article.communication && !article.internal {
        return Err(Error::Forbidden(
            "Not authorized (communication articles cannot be deleted)!".into(),
        ));
    }
    if delete_timeframe_seconds > 0 && article.age_seconds > delete_timeframe_seconds {
        return Err(Error::Forbidden(
            "Not authorized (note is too old to be deleted)!".into(),
        ));
    }
    Ok(())
}

/// Mentioning (subscribing) users needs agent read access on the ticket.
pub fn authorize_mention(actor: &Actor, ticket: &TicketFacts) -> Result<()> {
    if can_mention_in_group(actor, ticket.group_id) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "You have insufficient permissions to mention other users.".into(),
        ))
    }
}

/// Whether `actor` may mention users in a ticket of `group_id` (an existing one, or one being
/// created there): agent read access on the group, as [`authorize_mention`].
pub fn can_mention_in_group(actor: &Actor, group_id: i64) -> bool {
    actor.has_group_access(group_id, AccessLevel::Read)
}

/// Shared drafts: agents with change access on the ticket's group.
pub fn can_use_shared_draft(actor: &Actor, group_id: i64) -> bool {
    actor.has_group_access(group_id, AccessLevel::Change)
}

/// Watching a ticket's live draft (read-only when not [`can_use_shared_draft`]): agents who
/// may see the ticket. Customers never see drafts.
pub fn can_watch_shared_draft(actor: &Actor, ticket: &TicketFacts) -> bool {
    actor.has_group_access(ticket.group_id, AccessLevel::Read)
        || can_use_shared_draft(actor, ticket.group_id)
}

/// Which tickets a list (index, search, overviews) may contain: the same rules as
/// [`can_show_ticket`], as a set that storage turns into a `WHERE` clause.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketScope {
    pub group_ids: Vec<i64>,
    pub customer_id: Option<i64>,
    pub organization_ids: Vec<i64>,
}

impl TicketScope {
    pub fn for_actor(actor: &Actor, level: AccessLevel) -> TicketScope {
        let customer = actor.is_customer();
        TicketScope {
            group_ids: actor.groups_with(level),
            customer_id: customer.then_some(actor.id),
            organization_ids: if customer {
                actor.shared_organization_ids.clone()
            } else {
                Vec::new()
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.group_ids.is_empty() && self.customer_id.is_none() && self.organization_ids.is_empty()
    }

    pub fn contains(&self, ticket: &TicketFacts) -> bool {
        self.group_ids.contains(&ticket.group_id)
            || self.customer_id == Some(ticket.customer_id)
            || ticket
                .organization_id
                .is_some_and(|o| self.organization_ids.contains(&o))
    }

    /// SQL condition on a table aliased `t`. Ids are integers, so they are inlined safely.
    pub fn sql_condition(&self) -> String {
        let mut parts = Vec::new();
        if !self.group_ids.is_empty() {
            parts.push(format!("t.group_id IN ({})", join_ids(&self.group_ids)));
        }
        if let Some(customer) = self.customer_id {
            parts.push(format!("t.customer_id = {customer}"));
        }
        if !self.organization_ids.is_empty() {
            parts.push(format!(
                "t.organization_id IN ({})",
                join_ids(&self.organization_ids)
            ));
        }
        if parts.is_empty() {
            "1 = 0".into()
        } else {
            format!("({})", parts.join(" OR "))
        }
    }
}

fn join_ids(ids: &[i64]) -> String {
    crate::storage::store::id_list(ids.iter().copied())
}

/// What the user policy needs to know about the user being read or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacts {
    pub id: i64,
    /// Has an agent or admin role (only admins may change those).
    pub staff: bool,
    pub organization_ids: Vec<i64>,
}

/// Agents and user admins see everyone; customers see themselves and members of their shared
/// organisations.
pub fn can_show_user(actor: &Actor, user: &UserFacts) -> bool {
    can_list_users(actor)
        || actor.id == user.id
        || (actor.is_customer()
            && user
                .organization_ids
                .iter()
                .any(|o| actor.shared_organization_ids.contains(o)))
}

pub fn can_list_users(actor: &Actor) -> bool {
    actor.is_agent() || actor.has_permission("admin.user")
}

pub fn can_create_user(actor: &Actor) -> bool {
    actor.is_agent() || actor.has_permission("admin.user")
}

/// User admins change anyone; agents change customers (not other staff) and themselves.
pub fn can_update_user(actor: &Actor, user: &UserFacts) -> bool {
    actor.has_permission("admin.user") || (actor.is_agent() && (!user.staff || actor.id == user.id))
}

/// Roles, group access and other users' passwords: user admins only.
pub fn can_manage_user_roles(actor: &Actor) -> bool {
    actor.has_permission("admin.user")
}

/// Organisations: agents and organisation admins see all; customers their own.
pub fn can_show_organization(actor: &Actor, organization_id: i64) -> bool {
    can_manage_organizations(actor) || actor.organization_ids.contains(&organization_id)
}

pub fn can_manage_organizations(actor: &Actor) -> bool {
    actor.is_agent() || actor.has_permission("admin.organization")
}

/// Groups: admins see every group; agents and customers the active ones (customers only those
/// they may open tickets in).
pub fn can_manage_groups(actor: &Actor) -> bool {
    actor.has_permission("admin.group")
}

/// Deleting users: `admin.user` (Zammad's `UserPolicy#destroy?`); nobody deletes themself.
pub fn can_delete_user(actor: &Actor, user_id: i64) -> bool {
    actor.has_permission("admin.user") && actor.id != user_id
}

/// Deleting organisations: `admin.organization`.
pub fn can_delete_organization(actor: &Actor) -> bool {
    actor.has_permission("admin.organization")
}

/// Sender addresses, the failed-mail list and raw inbound messages of others: admins with
/// `admin.channel_email` (Zammad's `EmailAddressPolicy`).
pub fn can_manage_email_addresses(actor: &Actor) -> bool {
    actor.has_permission("admin.channel_email")
}

/// [`can_manage_email_addresses`] as a 403.
pub fn authorize_email_admin(actor: &Actor) -> Result<()> {
    if can_manage_email_addresses(actor) {
        Ok(())
    } else {
        Err(Error::not_authorized())
    }
}

pub fn can_read_roles(actor: &Actor) -> bool {
    actor.is_agent() || actor.has_permission("admin.role") || actor.has_permission("admin.user")
}

/// Personal access tokens: agents and admins (Zammad's `user_preferences.access_token`).
pub fn can_use_access_tokens(actor: &Actor) -> bool {
    actor.is_agent() || actor.is_admin()
}

/// The operator's settings (password policy, ticket hook): admins (`admin`, Zammad's
/// `admin.*` setting pages).
pub fn can_manage_settings(actor: &Actor) -> bool {
    actor.is_admin()
}

/// `From:` / `X-On-Behalf-Of:` impersonation.
pub fn can_impersonate(actor: &Actor) -> bool {
    actor.has_permission("admin.user")
}
