//! The ticket use cases as whole requests: one transaction, the work, the commit, and what
//! follows a commit (live events for open tabs, closing a sent draft's editors, removing bytes
//! nobody references). The REST handlers and the web app's server functions both call these,
//! so the two can never drift apart.

pub mod macros;
pub mod mail;
pub mod notify;
pub mod search_index;
pub mod settings;
pub mod uploads;
pub mod views;

use std::sync::Arc;

use crate::live::events::{Audience, Bus, Event};
use crate::policy::access::Actor;
use crate::shared_drafts::Hub;
use crate::shared_drafts::live::ControlMessage;
use crate::shared_drafts::start::StartDraftInput;
use crate::storage::files::FileStore;
use crate::storage::generation_cache::GenerationCache;
use crate::tickets::input::{ArticleChanges, ArticleInput, TicketChanges, TimeEntryInput};
use crate::tickets::time_accounting::TimeAccountingRecord;
use crate::tickets::{self, TicketRecord};
use crate::{Result, Store, tickets::articles};

/// A ticket [`Desk::create_ticket`] opened, as its write transaction left it.
#[derive(Debug, Clone)]
pub struct CreatedTicket {
    pub ticket: TicketRecord,
    /// Its first article (the request's `article`), the ticket's only one.
    pub first_article: Option<articles::ArticleRecord>,
}

/// Who hears of a new ticket: its group's agents, its owner (see [`Desk::tell_new_ticket`]).
struct NewTicketAudience {
    /// The group and owner it was read for.
    about: notify::About,
    created: notify::Audience,
    assigned: Option<notify::Audience>,
}

impl NewTicketAudience {
    /// Whether it was read for the ticket's group and owner.
    fn fits(&self, ticket: &TicketRecord) -> bool {
        self.about.group_id == ticket.group_id && self.about.owner_id == ticket.owner_id
    }
}

#[derive(Clone)]
pub struct Desk {
    pub store: Store,
    pub files: FileStore,
    /// The live shared-draft rooms (y-sync).
    pub drafts: Arc<Hub>,
    /// Live events for open tabs.
    pub events: Arc<Bus>,
    /// E-mail: the SMTP relay (none: sending is off) and the delivery worker's wake-up.
    pub mail: mail::MailService,
    /// Who hears of a new ticket, by group and happening ([`notify::audience`]), under the
    /// auth generation: six statements per happening (more with mail on) a new ticket does
    /// not read again.
    audiences: Arc<GenerationCache<(i64, notify::Happening), notify::Audience>>,
    /// The plans of new tickets, per caller and the records their requests name
    /// ([`Desk::plan_new_ticket`]).
    plans: Arc<GenerationCache<tickets::CreatePlanKey, tickets::CreatePlan>>,
}

/// At most this many audiences are kept (a group's agents, the agents a ticket may be
/// assigned to, per group).
const AUDIENCES_KEPT: usize = 4_096;

/// At most this many plans of new tickets are kept (callers times the records they name).
const PLANS_KEPT: usize = 4_096;

impl Desk {
    pub fn new(store: Store, files: FileStore) -> Desk {
        Desk {
            drafts: Hub::new(store.clone()),
            events: Arc::new(Bus::new()),
            mail: mail::MailService::default(),
            audiences: Arc::new(GenerationCache::new(AUDIENCES_KEPT)),
            plans: Arc::new(GenerationCache::new(PLANS_KEPT)),
            store,
            files,
        }
    }

    /// The desk sending e-mail through `mailer` (start the worker with
    /// [`Desk::spawn_mail_delivery`]).
    pub fn with_mailer(mut self, mailer: Option<crate::mail::transport::Mailer>) -> Desk {
        self.mail = mail::MailService::new(mailer);
        self
    }

    /// The article of a request made ready before the write transaction: sanitised, its
    /// files' bytes stored and pinned ([`articles::prepare`]). Its error is kept for the place
    /// in the transaction where the body is checked. Pass the write's outcome to
    /// [`StoredFiles::settle`].
    async fn prepare_article(
        &self,
        article: Option<&ArticleInput>,
        ticket_id: Option<i64>,
    ) -> Result<(Option<Result<articles::PreparedBody>>, StoredFiles)> {
        let Some(article) = article else {
            return Ok((None, StoredFiles::default()));
        };
        let fqdn = articles::fqdn_cached(&self.store).await?;
        let mut prepared = articles::prepare(&self.files, &fqdn, article, ticket_id).await;
        let stored = match &mut prepared {
            Ok(body) => StoredFiles {
                pinned: body.take_pin(),
                hashes: body.hashes(),
            },
            Err(_) => StoredFiles::default(),
        };
        Ok((Some(prepared), stored))
    }

    /// `POST /tickets`: the new ticket and its first article (render them with
    /// `dialects::zammad::tickets::present_created`).
    pub async fn create_ticket(
        &self,
        actor: &Actor,
        request: TicketChanges,
    ) -> Result<CreatedTicket> {
        let (article, stored) = self.prepare_article(request.article.as_ref(), None).await?;
        let outcome = self.create_ticket_prepared(actor, request, article).await;
        stored.settle(self, outcome).await
    }

    async fn create_ticket_prepared(
        &self,
        actor: &Actor,
        request: TicketChanges,
        article: Option<Result<articles::PreparedBody>>,
    ) -> Result<CreatedTicket> {
        // what the request names and who hears of the ticket are read before the write
        // transaction: under SQLite's single writer every statement waits its turn
        let (plan, audience) = {
            let mut read = self.store.read().await?;
            // first: what is kept under it was read after it
            let generation = self.store.auth_cache().generation(&mut read).await?;
            let plan = self
                .plan_new_ticket(&mut read, actor, &request, generation)
                .await?;
            let audience = match plan.owner_id() {
                Some(owner_id) => {
                    let about = notify::About {
                        ticket_id: None,
                        group_id: plan.group_id(),
                        owner_id,
                    };
                    Some(
                        self.new_ticket_audience(&mut read, about, Some(generation))
                            .await?,
                    )
                }
                None => None,
            };
            (plan, audience)
        };
        let (desk, actor) = (self.clone(), actor.clone());
        self.store
            .on_writer_thread(async move {
                desk.write_new_ticket(&actor, &request, plan, article, audience)
                    .await
            })
            .await
    }

    /// [`tickets::plan_create`] of `actor`'s `request`, on a read connection before the write
    /// transaction. The plan's reads (the group, the customer and their organisation, the
    /// state, the priority, the owner, the number format: six statements for the common
    /// request) are kept per [`tickets::CreatePlanKey`] under the auth generation read
    /// before (`generation`), which every change to what they read from bumps (users, roles,
    /// groups, organisations, their links, settings; ticket states and priorities since
    /// migration 0027): the next request of the same caller naming the same records checks
    /// only its own fields. Errors are `plan_create`'s, and are not kept.
    async fn plan_new_ticket(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        request: &TicketChanges,
        generation: u64,
    ) -> Result<tickets::CreatePlan> {
        let key = tickets::CreatePlanKey::of(actor, request);
        if let Some(kept) = self.plans.get(generation, &key) {
            return kept.for_request(actor, request);
        }
        let plan = tickets::plan_create(conn, actor, request).await?;
        if let Some(shared) = plan.shared_part() {
            self.plans.put(generation, key, shared);
        }
        Ok(plan)
    }

    /// [`Desk::create_ticket`]'s write, as planned.
    async fn write_new_ticket(
        &self,
        actor: &Actor,
        request: &TicketChanges,
        plan: tickets::CreatePlan,
        article: Option<Result<articles::PreparedBody>>,
        audience: Option<NewTicketAudience>,
    ) -> Result<CreatedTicket> {
        let quote = quote_of(&article);
        let mut tx = self.store.write().await?;
        let (ticket, first) =
            tickets::create_planned(&mut tx, &self.files, actor, request, plan, article).await?;
        // the first article is the ticket's only one: the mentions, the mail queue and the
        // notifications look at it instead of querying for what is new
        let mut queued = false;
        if let Some(first) = &first {
            queued |= self.tell_mentions(&mut tx, actor, first).await?;
            if mail::is_outgoing(first) {
                queued |= mail::queue_articles(&mut tx, &self.mail, &[first.id]).await?;
            }
        }
        let excerpt = first.as_ref().and_then(|first| customer_text(first, quote));
        // read again only when the ticket did not come out as planned
        let audience = match audience.filter(|audience| audience.fits(&ticket)) {
            Some(audience) => audience,
            None => {
                self.new_ticket_audience(&mut tx, notify::About::ticket(&ticket), None)
                    .await?
            }
        };
        queued |= self
            .tell_new_ticket_to(&mut tx, actor, &ticket, None, excerpt.as_deref(), &audience)
            .await?;
        // a new ticket started from a named shared draft: the draft ends
        if let Some(draft_id) = request.shared_draft_id {
            crate::shared_drafts::start::consume(&mut tx, actor, draft_id, ticket.group_id).await?;
        }
        tx.commit().await?;
        if queued {
            self.wake_mail_delivery();
        }
        self.changed(&ticket, None, true);
        Ok(CreatedTicket {
            ticket,
            first_article: first,
        })
    }

    /// `PUT /tickets/{id}`: field changes and an optional new article, in one transaction;
    /// the ticket as it is now (render it with `dialects::zammad::tickets::present_ticket`).
    pub async fn update_ticket(
        &self,
        actor: &Actor,
        id: i64,
        changes: &TicketChanges,
    ) -> Result<TicketRecord> {
        self.update(actor, id, changes, false).await
    }

    /// [`Desk::update_ticket`] whose article is the ticket's live shared draft, as the web
    /// app's co-editing composer sends it: the draft ends with this article, and the editors
    /// of the draft close.
    pub async fn send_live_draft(
        &self,
        actor: &Actor,
        id: i64,
        changes: &TicketChanges,
    ) -> Result<TicketRecord> {
        self.update(actor, id, changes, true).await
    }

    async fn update(
        &self,
        actor: &Actor,
        id: i64,
        changes: &TicketChanges,
        live_draft: bool,
    ) -> Result<TicketRecord> {
        let (article, stored) = self
            .prepare_article(changes.article.as_ref(), Some(id))
            .await?;
        let outcome = self
            .update_prepared(actor, id, changes, live_draft, article)
            .await;
        stored.settle(self, outcome).await
    }

    async fn update_prepared(
        &self,
        actor: &Actor,
        id: i64,
        changes: &TicketChanges,
        live_draft: bool,
        article: Option<Result<articles::PreparedBody>>,
    ) -> Result<TicketRecord> {
        let mut tx = self.store.write().await?;
        let before = tickets::find(&mut tx, id).await.ok();
        let last_article = mail::last_article_id(&mut tx, id).await?;
        let (ticket, new_article) =
            tickets::update(&mut tx, &self.files, actor, id, changes, article).await?;
        let mut queued = match (new_article, &changes.article) {
            (Some(article_id), Some(input))
                if crate::tickets::mentions::input_may_mention(input) =>
            {
                let article = articles::find(&mut tx, article_id).await?;
                self.tell_mentions(&mut tx, actor, &article).await?
            }
            _ => false,
        };
        queued |= mail::queue_outgoing(&mut tx, &self.mail, id, last_article).await?;
        queued |= self
            .tell_changes(&mut tx, actor, before.as_ref(), &ticket, last_article)
            .await?;
        // sending the ticket's shared draft: the draft ends with this article
        let named_draft = changes.article.as_ref().and_then(|a| a.shared_draft_id);
        if let Some(draft_id) = named_draft {
            crate::shared_drafts::zoom::consume(&mut tx, actor, id, draft_id).await?;
        }
        let live_draft = live_draft && crate::policy::can_use_shared_draft(actor, ticket.group_id);
        if live_draft {
            crate::shared_drafts::zoom::end_for_send(&mut tx, actor, id).await?;
        }
        tx.commit().await?;
        if queued {
            self.wake_mail_delivery();
        }
        if live_draft || named_draft.is_some() {
            // the draft became this article: editors close, the next draft starts fresh
            self.drafts
                .close_room(
                    id,
                    ControlMessage::Sent {
                        article_id: new_article,
                    },
                )
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
                .close_room(
                    id,
                    ControlMessage::Moved {
                        group_id: ticket.group_id,
                    },
                )
                .await;
        }
        let customer_visible = changes
            .article
            .as_ref()
            .is_none_or(|a| !a.internal.unwrap_or(false))
            || changes.sets_fields();
        self.changed(&ticket, before.as_ref(), customer_visible);
        Ok(ticket)
    }

    /// `DELETE /tickets/{id}` (admins).
    pub async fn delete_ticket(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut tx = self.store.write().await?;
        let (_, facts) = tickets::load(&mut tx, id).await?;
        let hashes = tickets::delete(&mut tx, actor, id).await?;
        tx.commit().await?;
        // not `Deleted` (a discarded draft: editors start a new one): the ticket is gone, so
        // its editors stop instead of reconnecting to a room that now answers 404
        self.drafts
            .close_room(id, ControlMessage::TicketDeleted)
            .await;
        self.events.publish(Event::TicketDeleted {
            ticket_id: id,
            audience: Audience::of(&facts),
        });
        let mut conn = self.store.read().await?;
        crate::tickets::attachments::remove_unreferenced(&mut conn, &self.files, &hashes).await?;
        Ok(())
    }

    /// `POST /ticket_articles`: the new article and what its write may have stored besides
    /// its row (render them with `dialects::zammad::articles::render_created`).
    pub async fn create_article(
        &self,
        actor: &Actor,
        article: ArticleInput,
    ) -> Result<(articles::ArticleRecord, articles::NewArticleExtras)> {
        let (prepared, stored) = self
            .prepare_article(Some(&article), article.ticket_id)
            .await?;
        let (desk, actor) = (self.clone(), actor.clone());
        let outcome = self
            .store
            .on_writer_thread(async move {
                desk.create_article_prepared(&actor, &article, prepared)
                    .await
            })
            .await;
        stored.settle(self, outcome).await
    }

    async fn create_article_prepared(
        &self,
        actor: &Actor,
        input: &ArticleInput,
        prepared: Option<Result<articles::PreparedBody>>,
    ) -> Result<(articles::ArticleRecord, articles::NewArticleExtras)> {
        let quote = quote_of(&prepared);
        let mut extras = articles::NewArticleExtras::of(
            input,
            prepared.as_ref().and_then(|body| body.as_ref().ok()),
        );
        let mut tx = self.store.write().await?;
        let (article, after) =
            articles::create(&mut tx, &self.files, actor, input, prepared).await?;
        let mut queued = self.tell_mentions(&mut tx, actor, &article).await?;
        // the write added this one article: the mail queue and the notifications look at it
        // instead of querying for what is new (fewer statements under SQLite's write lock)
        let outgoing = mail::is_outgoing(&article);
        extras.files |= outgoing;
        if outgoing {
            queued |= mail::queue_articles(&mut tx, &self.mail, &[article.id]).await?;
        }
        // the ticket as the article left it (read again only when something changed it since)
        let ticket = match after {
            Some(ticket) => ticket,
            None => tickets::find(&mut tx, article.ticket_id).await?,
        };
        let customer_text = customer_text(&article, quote);
        queued |= self
            .tell_changes_with(&mut tx, actor, None, &ticket, customer_text)
            .await?;
        // queuing gave it its Message-ID and signature
        let article = if outgoing {
            articles::find(&mut tx, article.id).await?
        } else {
            article
        };
        tx.commit().await?;
        if queued {
            self.wake_mail_delivery();
        }
        self.changed(&ticket, None, article.internal == 0);
        Ok((article, extras))
    }

    /// `PUT /ticket_articles/{id}` (only `internal` and `preferences.highlight` change): the
    /// article as it is now. Open tabs hear of it; customers too, as an article may have
    /// become visible or invisible to them.
    pub async fn update_article(
        &self,
        actor: &Actor,
        id: i64,
        changes: &ArticleChanges,
    ) -> Result<articles::ArticleRecord> {
        let mut tx = self.store.write().await?;
        let article = articles::update(&mut tx, actor, id, changes).await?;
        let ticket = tickets::find(&mut tx, article.ticket_id).await?;
        tx.commit().await?;
        self.changed(&ticket, None, true);
        Ok(article)
    }

    /// `DELETE /ticket_articles/{id}` (Zammad's delete rules): the bytes of its attachments
    /// go when nothing else refers to them.
    pub async fn delete_article(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut tx = self.store.write().await?;
        let deleted = articles::delete(&mut tx, actor, id).await?;
        let ticket = tickets::find(&mut tx, deleted.ticket_id).await?;
        tx.commit().await?;
        self.changed(&ticket, None, !deleted.internal);
        let mut conn = self.store.read().await?;
        crate::tickets::attachments::remove_unreferenced(&mut conn, &self.files, &deleted.hashes)
            .await?;
        Ok(())
    }

    /// `POST /tags/add` and `DELETE /tags/remove`: tags are agent-only, so customers are not
    /// told.
    pub async fn change_tag(
        &self,
        actor: &Actor,
        ticket_id: i64,
        name: &str,
        add: bool,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        tickets::change_tag(&mut tx, actor, ticket_id, name, add).await?;
        tx.commit().await?;
        self.announce(ticket_id, false).await;
        Ok(())
    }

    /// `PUT /ticket_merge/{source}/{target_number}`: both tickets as they are now, `(target,
    /// source)` (`None` when the target number is unknown).
    pub async fn merge_tickets(
        &self,
        actor: &Actor,
        source_id: i64,
        target_number: &str,
    ) -> Result<Option<(TicketRecord, TicketRecord)>> {
        let mut tx = self.store.write().await?;
        let outcome = tickets::merge(&mut tx, actor, source_id, target_number).await?;
        let tickets::MergeOutcome::Merged { source, target } = outcome else {
            return Ok(None);
        };
        tx.commit().await?;
        self.changed(&source, None, true);
        self.changed(&target, None, true);
        Ok(Some((*target, *source)))
    }

    /// `DELETE /tickets/{id}/shared_draft` and the composer's Discard: the draft ends (stored
    /// or only live), its editors are told and start empty, its files' bytes go when nothing
    /// else refers to them. Returns the stored draft's id (`None`: nothing was stored yet;
    /// REST answers 404 for that, as Zammad).
    pub async fn discard_shared_draft(&self, actor: &Actor, ticket_id: i64) -> Result<Option<i64>> {
        let mut tx = self.store.write().await?;
        let discarded = crate::shared_drafts::zoom::discard(&mut tx, actor, ticket_id).await?;
        tx.commit().await?;
        self.drafts
            .close_room(
                ticket_id,
                ControlMessage::Deleted {
                    by: Some(crate::shared_drafts::live::ChangedBy {
                        user_id: actor.id,
                        via: None,
                    }),
                },
            )
            .await;
        if !discarded.hashes.is_empty() {
            let mut conn = self.store.read().await?;
            crate::tickets::attachments::remove_unreferenced(
                &mut conn,
                &self.files,
                &discarded.hashes,
            )
            .await?;
        }
        Ok(discarded.draft_id)
    }

    /// `PUT`/`PATCH /tickets/{id}/shared_draft`: creates the ticket's reply draft or writes
    /// into it, inside the live document so its editors keep typing. Both replace the parts
    /// they carry (`new_article`, `ticket_attributes`); a missing part is kept. `if_match` is
    /// the `ETag` the caller last saw (412 when the draft changed since). Editors hear of it
    /// after the commit; a failed commit drops the room and they resync from storage.
    pub async fn save_shared_draft(
        &self,
        actor: &Actor,
        ticket_id: i64,
        write: &crate::shared_drafts::zoom::DraftWrite,
        if_match: Option<&str>,
    ) -> Result<crate::shared_drafts::zoom::Saved> {
        use crate::shared_drafts::zoom;
        let mut tx = self.store.write().await?;
        let pending = zoom::write_in(
            &mut tx,
            &self.drafts,
            &self.files,
            actor,
            ticket_id,
            write,
            if_match,
            true,
        )
        .await?;
        pending.commit(tx, &self.drafts).await
    }

    /// `POST /tickets/{id}/shared_draft/import_attachments`: copies the draft's files into the
    /// caller's upload cache `form_id`; the copies' ids.
    pub async fn import_shared_draft_attachments(
        &self,
        actor: &Actor,
        ticket_id: i64,
        form_id: &str,
    ) -> Result<Vec<i64>> {
        self.store
            .in_write(async |tx| {
                crate::shared_drafts::zoom::import_attachments(tx, actor, ticket_id, form_id).await
            })
            .await
    }

    /// `POST /tickets/shared_drafts`: a named draft for a new ticket; its id. The content's
    /// HTML is sanitised before the transaction.
    pub async fn create_start_draft(&self, actor: &Actor, input: StartDraftInput) -> Result<i64> {
        let input = input.sanitized()?;
        let mut tx = self.store.write().await?;
        let id = crate::shared_drafts::start::create(&mut tx, actor, input).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// `PUT`/`PATCH /tickets/shared_drafts/{id}`: the files it no longer holds go after the
    /// commit when nothing else refers to them.
    pub async fn update_start_draft(
        &self,
        actor: &Actor,
        id: i64,
        input: StartDraftInput,
    ) -> Result<()> {
        let input = input.sanitized()?;
        let mut tx = self.store.write().await?;
        let dropped = crate::shared_drafts::start::update(&mut tx, actor, id, input).await?;
        tx.commit().await?;
        self.remove_unreferenced(&dropped).await
    }

    /// `DELETE /tickets/shared_drafts/{id}`, its files' bytes with it when unreferenced.
    pub async fn delete_start_draft(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut tx = self.store.write().await?;
        let hashes = crate::shared_drafts::start::delete(&mut tx, actor, id).await?;
        tx.commit().await?;
        self.remove_unreferenced(&hashes).await
    }

    /// `POST /tickets/shared_drafts/{id}/import_attachments`: the draft's files copied into the
    /// upload cache `form_id`; the copies' ids.
    pub async fn import_start_draft_attachments(
        &self,
        actor: &Actor,
        id: i64,
        form_id: &str,
    ) -> Result<Vec<i64>> {
        let mut tx = self.store.write().await?;
        let ids =
            crate::shared_drafts::start::import_attachments(&mut tx, actor, id, form_id).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// `DELETE /mentions/{id}`: the user stops following the ticket; agents' tabs hear of it.
    pub async fn delete_mention(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut tx = self.store.write().await?;
        let ticket_id = crate::tickets::mentions::delete(&mut tx, actor, id).await?;
        tx.commit().await?;
        self.announce(ticket_id, false).await;
        Ok(())
    }

    /// `PUT /online_notifications/{id}` and the bell: one of the caller's notifications seen
    /// (or unseen); 404 for another user's.
    pub async fn mark_notification(&self, actor: &Actor, id: i64, seen: bool) -> Result<()> {
        let mut tx = self.store.write().await?;
        notify::online_mark(&mut tx, actor, id, seen).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `POST /online_notifications/mark_all_as_read` and the bell's "mark all read".
    pub async fn mark_all_notifications(&self, actor: &Actor) -> Result<()> {
        let mut tx = self.store.write().await?;
        notify::online_mark_all(&mut tx, actor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `DELETE /online_notifications/{id}`: one of the caller's notifications.
    pub async fn delete_notification(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut tx = self.store.write().await?;
        notify::online_delete(&mut tx, actor, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the bytes of `hashes` that no record refers to any more (after a commit).
    async fn remove_unreferenced(&self, hashes: &[String]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        let mut conn = self.store.read().await?;
        crate::tickets::attachments::remove_unreferenced(&mut conn, &self.files, hashes).await
    }

    /// Notifications for a new ticket: the group's agents; the new owner when it was given to
    /// someone else; the customer's acknowledgement when a customer opened it (web or e-mail;
    /// `answering`: the e-mail's Message-ID). Returns whether mail was queued.
    pub(crate) async fn tell_new_ticket(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        ticket: &TicketRecord,
        answering: Option<&str>,
    ) -> Result<bool> {
        let excerpt = first_customer_text(conn, ticket.id, 0).await?;
        let audience = self
            .new_ticket_audience(conn, notify::About::ticket(ticket), None)
            .await?;
        self.tell_new_ticket_to(
            conn,
            actor,
            ticket,
            answering,
            excerpt.as_deref(),
            &audience,
        )
        .await
    }

    /// Who hears of a new ticket (see [`Desk::tell_new_ticket`]), read before it is stored
    /// when its group and owner are known: then with the auth `generation` read first, and
    /// through the desk's audience cache ([`Desk::audience`]).
    async fn new_ticket_audience(
        &self,
        conn: &mut sqlx::AnyConnection,
        about: notify::About,
        generation: Option<u64>,
    ) -> Result<NewTicketAudience> {
        let created = self
            .audience(conn, about, notify::Happening::NewTicket, generation)
            .await?;
        let assigned = if about.owner_id != crate::accounts::users::SYSTEM_USER_ID {
            let assigned = notify::Happening::Assigned { to: about.owner_id };
            Some(self.audience(conn, about, assigned, generation).await?)
        } else {
            None
        };
        Ok(NewTicketAudience {
            about,
            created,
            assigned,
        })
    }

    /// [`notify::audience`] of a new ticket's `happening`; with the auth `generation` read
    /// first (outside a write transaction only), through the desk's audience cache.
    async fn audience(
        &self,
        conn: &mut sqlx::AnyConnection,
        about: notify::About,
        happening: notify::Happening,
        generation: Option<u64>,
    ) -> Result<notify::Audience> {
        let Some(generation) = generation else {
            return notify::audience(conn, &self.mail, about, happening).await;
        };
        let key = (about.group_id, happening);
        if let Some(audience) = self.audiences.get(generation, &key) {
            return Ok(audience);
        }
        let audience = notify::audience(conn, &self.mail, about, happening).await?;
        self.audiences.put(generation, key, audience.clone());
        Ok(audience)
    }

    /// [`Desk::tell_new_ticket`] with the customer's text known (`excerpt`, at most 1,000
    /// characters) and the audience read before: writes only (and the customer's
    /// acknowledgement).
    async fn tell_new_ticket_to(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        ticket: &TicketRecord,
        answering: Option<&str>,
        excerpt: Option<&str>,
        audience: &NewTicketAudience,
    ) -> Result<bool> {
        let mut queued = notify::tell(conn, actor, ticket, &audience.created, excerpt).await?;
        if let Some(assigned) = &audience.assigned {
            queued |= notify::tell(conn, actor, ticket, assigned, None).await?;
        }
        if !actor.is_agent() {
            queued |= notify::acknowledge(conn, &self.mail, &self.files, ticket, answering).await?;
        }
        Ok(queued)
    }

    /// The notification of the ticket's owner that it is assigned to them. Returns whether mail
    /// was queued.
    async fn tell_assignment(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        ticket: &TicketRecord,
    ) -> Result<bool> {
        let assigned = notify::Happening::Assigned {
            to: ticket.owner_id,
        };
        notify::notify(conn, &self.mail, actor, ticket, assigned, None).await
    }

    /// Notifications for a change: an assignment to someone else, a customer's new article
    /// (newer than `since`). Returns whether mail was queued.
    pub(crate) async fn tell_changes(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        before: Option<&TicketRecord>,
        ticket: &TicketRecord,
        since: i64,
    ) -> Result<bool> {
        let customer_text = first_customer_text(conn, ticket.id, since).await?;
        self.tell_changes_with(conn, actor, before, ticket, customer_text)
            .await
    }

    /// [`Desk::tell_changes`] with the customer's new text (for the notification) known.
    async fn tell_changes_with(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        before: Option<&TicketRecord>,
        ticket: &TicketRecord,
        customer_text: Option<String>,
    ) -> Result<bool> {
        let mut queued = false;
        if let Some(before) = before
            && before.owner_id != ticket.owner_id
            && ticket.owner_id != crate::accounts::users::SYSTEM_USER_ID
        {
            queued |= self.tell_assignment(conn, actor, ticket).await?;
        }
        if let Some(text) = customer_text {
            queued |= notify::notify(
                conn,
                &self.mail,
                actor,
                ticket,
                notify::Happening::CustomerReply,
                Some(&text),
            )
            .await?;
        }
        Ok(queued)
    }

    /// `POST /links/add` / `DELETE /links/remove` (`add`: source by number, else by id); both
    /// tickets' tabs hear of it.
    pub async fn change_link(
        &self,
        actor: &Actor,
        add: bool,
        link_type: &str,
        source: LinkEnd<'_>,
        target: i64,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        let source_id = match (add, source) {
            (true, LinkEnd::Number(number)) => {
                crate::tickets::links::add(&mut tx, actor, link_type, number, target).await?;
                sqlx::query_scalar("SELECT id FROM tickets WHERE number = $1")
                    .bind(number)
                    .fetch_one(&mut *tx)
                    .await?
            }
            (_, LinkEnd::Id(id)) if !add => {
                crate::tickets::links::remove(&mut tx, actor, link_type, id, target).await?;
                id
            }
            _ => {
                return Err(crate::Error::unprocessable(
                    "Links are added by the source's number and removed by its id.",
                ));
            }
        };
        tx.commit().await?;
        self.announce(source_id, false).await;
        self.announce(target, false).await;
        Ok(())
    }

    /// `POST /tag_list` (`name`), `PUT /tag_list/{id}` (rename, `Some(name)`) and
    /// `DELETE /tag_list/{id}` (`None`): admins; agents' tabs of the changed tickets hear of it.
    pub async fn change_tag_item(
        &self,
        actor: &Actor,
        id: Option<i64>,
        name: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        let changed = match (id, name) {
            (None, Some(name)) => {
                crate::tickets::tag_list::create(&mut tx, actor, name).await?;
                Vec::new()
            }
            (Some(id), Some(name)) => {
                crate::tickets::tag_list::rename(&mut tx, actor, id, name).await?
            }
            (Some(id), None) => crate::tickets::tag_list::delete(&mut tx, actor, id).await?,
            (None, None) => {
                return Err(crate::Error::unprocessable(
                    "The required value 'name' is missing.",
                ));
            }
        };
        tx.commit().await?;
        for ticket_id in changed {
            self.announce(ticket_id, false).await;
        }
        Ok(())
    }

    /// `POST /tickets/{id}/time_accountings`: records time spent (agents with change access).
    pub async fn create_time_accounting(
        &self,
        actor: &Actor,
        ticket_id: i64,
        entry: &TimeEntryInput,
    ) -> Result<TimeAccountingRecord> {
        let mut tx = self.store.write().await?;
        let entry =
            crate::tickets::time_accounting::create(&mut tx, actor, ticket_id, entry).await?;
        tx.commit().await?;
        self.announce(ticket_id, false).await;
        Ok(entry)
    }

    /// `PUT /tickets/{id}/time_accountings/{entry}` (time accounting admins).
    pub async fn update_time_accounting(
        &self,
        actor: &Actor,
        ticket_id: i64,
        id: i64,
        entry: &TimeEntryInput,
    ) -> Result<TimeAccountingRecord> {
        let mut tx = self.store.write().await?;
        let entry =
            crate::tickets::time_accounting::update(&mut tx, actor, ticket_id, id, entry).await?;
        tx.commit().await?;
        self.announce(ticket_id, false).await;
        Ok(entry)
    }

    /// `DELETE /tickets/{id}/time_accountings/{entry}` (time accounting admins).
    pub async fn delete_time_accounting(
        &self,
        actor: &Actor,
        ticket_id: i64,
        id: i64,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        crate::tickets::time_accounting::delete(&mut tx, actor, ticket_id, id).await?;
        tx.commit().await?;
        self.announce(ticket_id, false).await;
        Ok(())
    }

    /// `POST /mentions`: mentions a user on a ticket (who then follows it) and tells them.
    pub async fn create_mention(
        &self,
        actor: &Actor,
        ticket_id: i64,
        user_id: Option<i64>,
    ) -> Result<crate::tickets::mentions::MentionRow> {
        let mut tx = self.store.write().await?;
        let mention = crate::tickets::mentions::create(&mut tx, actor, ticket_id, user_id).await?;
        let ticket = tickets::find(&mut tx, ticket_id).await?;
        let queued = notify::notify(
            &mut tx,
            &self.mail,
            actor,
            &ticket,
            notify::Happening::Mentioned {
                user: user_id.unwrap_or(actor.id),
            },
            None,
        )
        .await?;
        tx.commit().await?;
        if queued {
            self.wake_mail_delivery();
        }
        // agents' tabs (and the mentioned agent's bell) hear of it
        self.changed(&ticket, None, false);
        Ok(mention)
    }

    /// The mentions in a new article (its `data-mention-user-id` links, when an agent of the
    /// ticket's group wrote it: [`crate::tickets::mentions::from_article`]): in the article's
    /// transaction the mentioned agents follow the ticket and are told, as
    /// [`Desk::create_mention`] tells them; the caller's commit publishes the ticket's change
    /// (which their bells hear) and wakes the mail delivery when this returns true (mail was
    /// queued). The REST writes (`POST /ticket_articles`, `POST /tickets`, `PUT /tickets/{id}`),
    /// the web app's reply, received e-mail and DeskHero's conversations all come through here.
    /// Most articles mention nobody: one without a mention link costs no query here.
    pub(crate) async fn tell_mentions(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        article: &articles::ArticleRecord,
    ) -> Result<bool> {
        if !crate::tickets::mentions::may_mention(article) {
            return Ok(false);
        }
        let ticket = tickets::find(conn, article.ticket_id).await?;
        let mentioned =
            crate::tickets::mentions::from_article(conn, actor, &ticket, article).await?;
        let mut queued = false;
        for user in mentioned {
            queued |= notify::notify(
                conn,
                &self.mail,
                actor,
                &ticket,
                notify::Happening::Mentioned { user },
                None,
            )
            .await?;
        }
        Ok(queued)
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

/// The bytes a prepared article stored before its transaction: pinned until the write is
/// settled, and removed again (when nothing else refers to them) if it failed.
#[derive(Default)]
struct StoredFiles {
    pinned: Option<crate::storage::files::Pinned>,
    hashes: Vec<String>,
}

impl StoredFiles {
    /// Ends the pin and passes `outcome` on; a failed write's unreferenced bytes go (a
    /// failure to remove them is logged: they are orphans, not lost data).
    async fn settle<T>(self, desk: &Desk, outcome: Result<T>) -> Result<T> {
        drop(self.pinned);
        if outcome.is_err() && !self.hashes.is_empty() {
            let removed = match desk.store.read().await {
                Ok(mut conn) => {
                    crate::tickets::attachments::remove_unreferenced(
                        &mut conn,
                        &desk.files,
                        &self.hashes,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = removed {
                tracing::warn!(error = %e, "bytes of a failed article write stay in the file store");
            }
        }
        outcome
    }
}

/// How a link request names its source ticket.
#[derive(Debug, Clone, Copy)]
pub enum LinkEnd<'a> {
    Number(&'a str),
    Id(i64),
}

/// The text of the first customer article of a ticket newer than `since` (at most 1,000
/// characters), if there is one.
async fn first_customer_text(
    conn: &mut sqlx::AnyConnection,
    ticket_id: i64,
    since: i64,
) -> Result<Option<String>> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT content_type, body FROM ticket_articles WHERE ticket_id = $1 AND id > $2 \
         AND sender_id = $3 AND internal = 0 ORDER BY id LIMIT 1",
    )
    .bind(ticket_id)
    .bind(since)
    .bind(articles::SENDER_CUSTOMER)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(content_type, body)| notification_text(&content_type, &body)))
}

/// An article's text as a notification quotes it: plain, at most 1,000 characters.
fn notification_text(content_type: &str, body: &str) -> String {
    notification_quote(&crate::tickets::search_index::body_text(content_type, body))
}

/// The first 1,000 characters of an article's plain text ([`notification_text`]).
fn notification_quote(text: &str) -> String {
    text.chars().take(1_000).collect()
}

/// What a customer's notification would quote of an article prepared before the write
/// transaction (from the text made then: no HTML parsing under the write lock).
fn quote_of(prepared: &Option<Result<articles::PreparedBody>>) -> Option<String> {
    match prepared {
        Some(Ok(body)) => Some(notification_quote(&body.body_text)),
        _ => None,
    }
}

/// The text notifications quote of `article` when a customer wrote it in public: `quote`
/// when it was made before the transaction ([`quote_of`]), else from the stored body.
fn customer_text(article: &articles::ArticleRecord, quote: Option<String>) -> Option<String> {
    (article.sender_id == articles::SENDER_CUSTOMER && article.internal == 0)
        .then(|| quote.unwrap_or_else(|| notification_text(&article.content_type, &article.body)))
}
