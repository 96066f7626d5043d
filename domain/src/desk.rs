//! The ticket use cases as whole requests: one transaction, the work, the commit, and what
//! follows a commit (live events for open tabs, closing a sent draft's editors, removing bytes
//! nobody references). The REST handlers and the web app's server functions both call these,
//! so the two can never drift apart.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::access::Actor;
use crate::events::{Audience, Bus, Event};
use crate::files::FileStore;
use crate::shared_drafts::Hub;
use crate::tickets::{self, TicketRecord, View};
use crate::{Result, Store, articles};

#[derive(Clone)]
pub struct Desk {
    pub store: Store,
    pub files: FileStore,
    /// The live shared-draft rooms (y-sync).
    pub drafts: Arc<Hub>,
    /// Live events for open tabs.
    pub events: Arc<Bus>,
}

impl Desk {
    pub fn new(store: Store, files: FileStore) -> Desk {
        Desk {
            drafts: Hub::new(store.clone()),
            events: Arc::new(Bus::new()),
            store,
            files,
        }
    }

    /// `POST /tickets`, rendered as `view` asks.
    pub async fn create_ticket(&self, actor: &Actor, body: &Value, view: View) -> Result<Value> {
        let mut tx = self.store.write().await?;
        let ticket = tickets::create(&mut tx, &self.files, actor, body).await?;
        let out = tickets::present(&mut tx, actor, &ticket, view).await?;
        tx.commit().await?;
        self.changed(&ticket, None, true);
        Ok(out)
    }

    /// `PUT /tickets/{id}`: field changes and an optional new article, in one transaction.
    pub async fn update_ticket(
        &self,
        actor: &Actor,
        id: i64,
        body: &Value,
        view: View,
    ) -> Result<Value> {
        self.update(actor, id, body, view, false).await
    }

    /// [`Desk::update_ticket`] whose article is the ticket's live shared draft, as the web
    /// app's co-editing composer sends it: the draft ends with this article, and the editors
    /// of the draft close.
    pub async fn send_live_draft(
        &self,
        actor: &Actor,
        id: i64,
        body: &Value,
        view: View,
    ) -> Result<Value> {
        self.update(actor, id, body, view, true).await
    }

    async fn update(
        &self,
        actor: &Actor,
        id: i64,
        body: &Value,
        view: View,
        live_draft: bool,
    ) -> Result<Value> {
        let mut tx = self.store.write().await?;
        let before = tickets::find(&mut tx, id).await.ok();
        let ticket = tickets::update(&mut tx, &self.files, actor, id, body).await?;
        let live_draft = live_draft && crate::policy::can_use_shared_draft(actor, ticket.group_id);
        if live_draft {
            crate::shared_drafts::zoom::end_for_send(&mut tx, actor, id).await?;
        }
        let out = tickets::present(&mut tx, actor, &ticket, view).await?;
        tx.commit().await?;
        if live_draft || body["article"].get("shared_draft_id").is_some() {
            // the draft became this article: editors close, the next draft starts fresh
            let article_id = out["article_ids"]
                .as_array()
                .and_then(|ids| ids.last())
                .cloned();
            self.drafts
                .close_room(id, json!({"t": "sent", "article_id": article_id}))
                .await;
        }
        if before
            .as_ref()
            .is_some_and(|b| b.group_id != ticket.group_id)
        {
            // Another group means other people may edit the draft: every editor is
            // disconnected and its reconnect is authorised again (those without access to the
            // new group are refused). Nothing typed is lost: the room stores it on closing.
            self.drafts
                .close_room(id, json!({"t": "moved", "group_id": ticket.group_id}))
                .await;
        }
        let customer_visible = !body["article"].is_object()
            || !body["article"]["internal"].as_bool().unwrap_or(false)
            || field_changed(body);
        self.changed(&ticket, before.as_ref(), customer_visible);
        Ok(out)
    }

    /// `DELETE /tickets/{id}` (admins).
    pub async fn delete_ticket(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut tx = self.store.write().await?;
        let (_, facts) = tickets::load(&mut tx, id).await?;
        let hashes = tickets::delete(&mut tx, actor, id).await?;
        tx.commit().await?;
        self.drafts.close_room(id, json!({"t": "deleted"})).await;
        self.events.publish(Event::TicketDeleted {
            ticket_id: id,
            audience: Audience::of(&facts),
        });
        let mut conn = self.store.read().await?;
        crate::attachments::remove_unreferenced(&mut conn, &self.files, &hashes).await?;
        Ok(())
    }

    /// `POST /ticket_articles`: the rendered article.
    pub async fn create_article(&self, actor: &Actor, body: &Value) -> Result<Value> {
        let mut tx = self.store.write().await?;
        let article = articles::create(&mut tx, &self.files, actor, body).await?;
        let out = articles::render(&mut tx, &article).await?;
        let ticket = tickets::find(&mut tx, article.ticket_id).await?;
        tx.commit().await?;
        self.changed(&ticket, None, article.internal == 0);
        Ok(out)
    }

    /// [`Desk::changed`] for a writer that only knows the ticket's id (tags, merges, DeskHero):
    /// call after the commit. A ticket that is gone meanwhile is not announced.
    pub async fn announce(&self, ticket_id: i64, customer_visible: bool) {
        let ticket = match self.store.read().await {
            Ok(mut conn) => tickets::find(&mut conn, ticket_id).await.ok(),
            Err(_) => None,
        };
        if let Some(ticket) = ticket {
            self.changed(&ticket, None, customer_visible);
        }
    }

    /// Tells open tabs that a ticket changed (after the commit).
    pub fn changed(&self, ticket: &TicketRecord, before: Option<&TicketRecord>, visible: bool) {
        let audience = Audience::of(&ticket.facts(false));
        let before = before
            .map(|b| Audience::of(&b.facts(false)))
            .filter(|b| *b != audience);
        self.events.publish(Event::TicketChanged {
            ticket_id: ticket.id,
            audience,
            before,
            customer_visible: visible || before.is_some(),
        });
    }
}

/// Does a ticket update change more than adding an article (state, owner, title, …)?
fn field_changed(body: &Value) -> bool {
    body.as_object()
        .is_some_and(|o| o.keys().any(|k| k != "article" && k != "id"))
}
