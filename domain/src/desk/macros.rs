//! Text modules and macros (issue 16): their admin writes, each one transaction; applying a
//! macro to a ticket (a Tandem addition to Zammad's API, whose web client applies a macro as a
//! ticket update of its own — `app/assets/javascripts/app/controllers/ticket_zoom.coffee`);
//! and the text modules of a ticket with their placeholders filled, as Zammad's web client
//! fills them when inserting (`app/assets/javascripts/app/lib/app_post/utils.coffee`,
//! `App.Utils.replaceTags`) — with the placeholder code of signatures
//! ([`crate::mail::placeholders`]).

use sqlx::AnyConnection;

use super::{Desk, mail};
use crate::policy::access::Actor;
use crate::shared_drafts::live::ControlMessage;
use crate::tickets::input::{Ref, TicketChanges, UserRef};
use crate::tickets::macros::{self, MacroParams, MacroRecord, NextUp, OwnerChange};
use crate::tickets::text_modules::{self, TextModuleParams, TextModuleRecord};
use crate::tickets::{self, TicketRecord, html_text};
use crate::{Error, Result};

/// A macro applied: the ticket as it is now, and where the agent goes next.
#[derive(Debug, Clone)]
pub struct AppliedMacro {
    pub ticket: TicketRecord,
    pub next_up: NextUp,
}

/// A text module ready to insert into a reply on one ticket: its placeholders filled (values
/// HTML-escaped), content sanitised.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandedTextModule {
    pub id: i64,
    pub name: String,
    pub keywords: String,
    pub content: String,
}

/// The ticket changes of a macro's `perform` for `actor` (tags apart).
pub fn ticket_changes(mac: &MacroRecord, actor: &Actor) -> TicketChanges {
    let p = &mac.perform;
    TicketChanges {
        state: p.state_id.map(Ref::Id),
        priority: p.priority_id.map(Ref::Id),
        group: p.group_id.map(Ref::Id),
        owner: p.owner.map(|owner| {
            UserRef::Id(match owner {
                OwnerChange::CurrentUser => actor.id,
                OwnerChange::Nobody => crate::accounts::users::SYSTEM_USER_ID,
                OwnerChange::User(id) => id,
            })
        }),
        ..Default::default()
    }
}

impl Desk {
    /// `POST`/`PUT /text_modules[/{id}]` (`admin.text_module`), `params`
    /// [`TextModuleParams::prepared`] (sanitised) before. `id` `None` creates.
    pub async fn save_text_module(
        &self,
        actor: &Actor,
        id: Option<i64>,
        params: &TextModuleParams,
    ) -> Result<TextModuleRecord> {
        self.store
            .in_write(async |tx| text_modules::save(tx, actor, id, params).await)
            .await
    }

    /// `DELETE /text_modules/{id}` (`admin.text_module`).
    pub async fn delete_text_module(&self, actor: &Actor, id: i64) -> Result<()> {
        self.store
            .in_write(async |tx| text_modules::delete(tx, actor, id).await)
            .await
    }

    /// `POST`/`PUT /macros[/{id}]` (`admin.macro`), `params` checked before
    /// ([`MacroParams::checked`]). `id` `None` creates.
    pub async fn save_macro(
        &self,
        actor: &Actor,
        id: Option<i64>,
        params: &MacroParams,
    ) -> Result<MacroRecord> {
        self.store
            .in_write(async |tx| macros::save(tx, actor, id, params).await)
            .await
    }

    /// `DELETE /macros/{id}` (`admin.macro`).
    pub async fn delete_macro(&self, actor: &Actor, id: i64) -> Result<()> {
        self.store
            .in_write(async |tx| macros::delete(tx, actor, id).await)
            .await
    }

    /// `POST /macros/{id}/apply` (Tandem): the macro's tag changes and ticket changes through
    /// the same use cases as `POST /tags/add` and `PUT /tickets/{id}` (`tickets::change_tag`,
    /// `tickets::update`: the actor's ticket permissions, history, search rows), in one
    /// transaction with the notifications of the change; then the live event and, when the
    /// ticket moved to another group, the draft room's reconnect — as
    /// [`Desk::update_ticket`] does. Only an active macro the agent reaches, on a ticket the
    /// agent may change ([`crate::policy::text_modules_macros::can_apply_macro`]).
    pub async fn apply_macro(
        &self,
        actor: &Actor,
        ticket_id: i64,
        macro_id: i64,
    ) -> Result<AppliedMacro> {
        let mut tx = self.store.write().await?;
        let mac = macros::find(&mut tx, macro_id).await?;
        let before = tickets::find(&mut tx, ticket_id).await?;
        crate::policy::text_modules_macros::authorize(
            crate::policy::text_modules_macros::can_apply_macro(
                actor,
                &mac.facts(),
                &before.facts(false),
            ),
        )?;
        let last_article = mail::last_article_id(&mut tx, ticket_id).await?;
        // tags first: a macro that moves the ticket to a group the agent cannot change in
        // still tags it while the agent may
        if let Some(tags) = &mac.perform.tags {
            tickets::change_tag(&mut tx, actor, ticket_id, &tags.names, tags.add).await?;
        }
        let changes = ticket_changes(&mac, actor);
        if changes.sets_fields() {
            tickets::update(&mut tx, &self.files, actor, ticket_id, &changes, None).await?;
        }
        let ticket = tickets::find(&mut tx, ticket_id).await?;
        let queued = self
            .tell_changes(&mut tx, actor, Some(&before), &ticket, last_article)
            .await?;
        tx.commit().await?;
        if queued {
            self.wake_mail_delivery();
        }
        if before.group_id != ticket.group_id {
            // as in `update_prepared`: editors of the draft reconnect and are authorised again
            self.drafts
                .close_room(
                    ticket_id,
                    ControlMessage::Moved {
                        group_id: ticket.group_id,
                    },
                )
                .await;
        }
        self.changed(&ticket, Some(&before), changes.sets_fields());
        Ok(AppliedMacro {
            ticket,
            next_up: mac.ux_flow_next_up,
        })
    }
}

/// The values of Zammad's placeholders for `actor` writing on `ticket` (`#{ticket.number}`,
/// `#{ticket.customer.firstname}`, `#{user.firstname}`, …), the names signatures use and more.
pub async fn placeholder_values(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket: &TicketRecord,
) -> Result<Vec<(&'static str, String)>> {
    use crate::accounts::{groups, users};
    let customer = users::find(conn, ticket.customer_id).await?;
    let owner = users::find(conn, ticket.owner_id).await?;
    let group = groups::find(conn, ticket.group_id).await?;
    let state = tickets::states::find(conn, ticket.state_id).await?;
    let (owner_first, owner_last) = if owner.id == crate::accounts::users::SYSTEM_USER_ID {
        (String::new(), String::new())
    } else {
        (owner.firstname.clone(), owner.lastname.clone())
    };
    Ok(vec![
        ("user.firstname", actor.firstname.clone()),
        ("user.lastname", actor.lastname.clone()),
        ("user.email", actor.email.clone()),
        ("ticket.id", ticket.id.to_string()),
        ("ticket.number", ticket.number.clone()),
        ("ticket.title", ticket.title.clone()),
        ("ticket.state.name", state.name.clone()),
        ("ticket.group.name", group.name.clone()),
        ("ticket.owner.firstname", owner_first),
        ("ticket.owner.lastname", owner_last),
        ("ticket.customer.firstname", customer.firstname.clone()),
        ("ticket.customer.lastname", customer.lastname.clone()),
        ("ticket.customer.email", customer.email.clone()),
        ("config.fqdn", tickets::articles::fqdn(conn).await?),
    ])
}

/// `content` with its placeholders filled by `values`, each HTML-escaped (the content is HTML).
pub fn expand(content: &str, values: &[(&str, String)]) -> String {
    let escaped: Vec<(&str, String)> = values
        .iter()
        .map(|(k, v)| (*k, html_text::escape(v)))
        .collect();
    crate::mail::placeholders::render(content, &escaped)
}

/// The text modules `actor` may insert on `ticket_id` (active, of the ticket's group or without
/// groups — Zammad's composer offers those of the ticket's group), placeholders filled for this
/// ticket and this agent; `query` narrows them to those whose name or keywords contain it
/// (case-insensitive). At most `limit`.
pub async fn text_modules_for_ticket(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    query: &str,
    limit: usize,
) -> Result<Vec<ExpandedTextModule>> {
    use crate::policy::text_modules_macros::{ToolFacts, can_read_text_module};
    let ticket = tickets::find(conn, ticket_id).await?;
    if !crate::policy::can_change_ticket(actor, &ticket.facts(false)) || !actor.is_agent() {
        return Err(Error::not_authorized());
    }
    let page = crate::storage::paging::Page::new(Some(1), Some(500), 500, 500);
    let query = query.trim().to_lowercase();
    let modules: Vec<TextModuleRecord> = text_modules::list(conn, actor, page)
        .await?
        .into_iter()
        .filter(|m| {
            // as an agent sees it, in this ticket's group
            let facts = ToolFacts {
                active: m.active,
                group_ids: &m.group_ids,
            };
            m.active
                && (m.group_ids.is_empty() || m.group_ids.contains(&ticket.group_id))
                && can_read_text_module(actor, &facts)
        })
        .filter(|m| {
            query.is_empty()
                || m.name.to_lowercase().contains(&query)
                || m.keywords.to_lowercase().contains(&query)
        })
        .take(limit)
        .collect();
    if modules.is_empty() {
        return Ok(Vec::new());
    }
    let values = placeholder_values(conn, actor, &ticket).await?;
    Ok(modules
        .into_iter()
        .map(|m| ExpandedTextModule {
            id: m.id,
            content: expand(&m.content, &values),
            name: m.name,
            keywords: m.keywords,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_into_the_html() {
        let values = [
            ("ticket.customer.firstname", "<b>Nic</b>".to_string()),
            ("ticket.number", "42001".to_string()),
        ];
        assert_eq!(
            expand(
                "<p>Hi #{ticket.customer.firstname} (#{ticket.number}) #{nope}</p>",
                &values
            ),
            "<p>Hi &lt;b&gt;Nic&lt;/b&gt; (42001) -</p>"
        );
    }
}
