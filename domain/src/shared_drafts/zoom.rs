//! Zammad's ticket reply draft (`/tickets/{id}/shared_draft`, docs/zammad-api.md §9.1) as a
//! projection of the live document: `GET` reads it, `PUT`/`PATCH` write into it as one CRDT
//! transaction (editors converge, their concurrent typing survives), `DELETE` and sending
//! end it and bump the ticket's epoch.

use std::sync::Arc;

use serde_json::{Map, Value};
use sqlx::{AnyConnection, Row};

use super::document::{self, Projection};
use super::files as draft_files;
use super::live::{ChangedBy, ControlMessage, Hub};
use crate::policy::access::Actor;
use crate::storage::files::FileStore;
use crate::storage::store::WriteTx;
use crate::{
    Error, Result, accounts::groups, policy, storage::clock, tickets, tickets::attachments,
    tickets::history,
};

/// The stored row of a draft (what `GET` shows when nobody edits live).
#[derive(Debug, Clone)]
pub struct DraftRow {
    pub id: i64,
    pub ticket_id: i64,
    pub rev: i64,
    pub epoch: i64,
    pub new_article: Value,
    pub ticket_attributes: Value,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

pub(super) async fn insert_row(
    conn: &mut AnyConnection,
    ticket_id: i64,
    epoch: i64,
    snapshot: &[u8],
    p: &Projection,
    by: i64,
) -> Result<i64> {
    let now = clock::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ticket_shared_drafts (ticket_id, epoch, rev, ydoc, new_article, ticket_attributes, \
         created_by_id, updated_by_id, created_at, updated_at) VALUES ($1, $2, 1, $3, $4, $5, $6, $6, $7, $7) RETURNING id",
    )
    .bind(ticket_id)
    .bind(epoch)
    .bind(snapshot.to_vec())
    .bind(p.new_article.to_string())
    .bind(p.ticket_attributes.to_string())
    .bind(by)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    record_history(conn, by, ticket_id, id, "created").await?;
    Ok(id)
}

/// Writes a new snapshot and projection, which supersede the update log. The snapshot is the
/// union of `snapshot` and what is stored (the stored snapshot and the log rows), read under
/// the draft row's lock: with several instances another one may have stored updates this
/// document has not seen yet, and a snapshot must never drop them (nor may the log rows it
/// deletes be any but those it read). Returns the new revision and, when the stored state
/// held something `snapshot` lacked, the merged snapshot (apply it to the live document; `p`
/// was then recomputed from it).
pub(super) async fn update_row(
    conn: &mut AnyConnection,
    id: i64,
    snapshot: &[u8],
    p: &Projection,
    by: Option<i64>,
) -> Result<(i64, Option<Vec<u8>>)> {
    // taking the row lock first: a log append of another instance commits after this
    let (rev, stored): (i64, Vec<u8>) = sqlx::query_as(
        "UPDATE ticket_shared_drafts SET rev = rev + 1, updated_by_id = COALESCE($2, updated_by_id), \
         updated_at = $3 WHERE id = $1 RETURNING rev, ydoc",
    )
    .bind(id)
    .bind(by)
    .bind(clock::now())
    .fetch_one(&mut *conn)
    .await?;
    let logged: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT id, payload FROM ticket_shared_draft_updates WHERE draft_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let merged = {
        let doc = document::load(snapshot, &[]);
        let mut changed = false;
        for part in std::iter::once(stored.as_slice())
            .filter(|s| !s.is_empty())
            .chain(logged.iter().map(|(_, b)| b.as_slice()))
        {
            match document::apply_update(&doc, part) {
                Ok(new) => changed |= new,
                // as when loading: a damaged row must not make the whole draft unusable
                Err(e) => {
                    tracing::error!(draft_id = id, error = ?e, "a stored shared-draft update could not be applied")
                }
            }
        }
        changed.then(|| (document::snapshot(&doc), document::project(&doc)))
    };
    let (bytes, projection) = match &merged {
        Some((bytes, projection)) => (bytes.as_slice(), projection),
        None => (snapshot, p),
    };
    sqlx::query(
        "UPDATE ticket_shared_drafts SET ydoc = $2, new_article = $3, ticket_attributes = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(bytes.to_vec())
    .bind(projection.new_article.to_string())
    .bind(projection.ticket_attributes.to_string())
    .execute(&mut *conn)
    .await?;
    if let Some(last) = logged.last().map(|(log_id, _)| *log_id) {
        sqlx::query("DELETE FROM ticket_shared_draft_updates WHERE draft_id = $1 AND id <= $2")
            .bind(id)
            .bind(last)
            .execute(&mut *conn)
            .await?;
    }
    Ok((rev, merged.map(|(bytes, _)| bytes)))
}

pub async fn find_row(conn: &mut AnyConnection, ticket_id: i64) -> Result<Option<DraftRow>> {
    let row = sqlx::query(
        "SELECT id, ticket_id, rev, epoch, new_article, ticket_attributes, created_by_id, updated_by_id, \
         created_at, updated_at FROM ticket_shared_drafts WHERE ticket_id = $1",
    )
    .bind(ticket_id)
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let parse = |s: String| serde_json::from_str(&s).unwrap_or(Value::Object(Map::new()));
    Ok(Some(DraftRow {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        rev: r.try_get("rev")?,
        epoch: r.try_get("epoch")?,
        new_article: parse(r.try_get("new_article")?),
        ticket_attributes: parse(r.try_get("ticket_attributes")?),
        created_by_id: r.try_get("created_by_id")?,
        updated_by_id: r.try_get("updated_by_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    }))
}

/// What an actor may do with a ticket's reply draft: `None` when the group has shared drafts
/// switched off or the actor may not see drafts (customers, agents without the group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftAccess {
    None,
    Read,
    Edit,
}

/// The ticket and the actor's access to its draft.
async fn access(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<(tickets::TicketRecord, DraftAccess, bool)> {
    let (ticket, facts) = tickets::load(conn, ticket_id).await?;
    let drafts_on = groups::find(conn, ticket.group_id).await?.shared_drafts != 0;
    let level = if !drafts_on || !policy::can_watch_shared_draft(actor, &facts) {
        DraftAccess::None
    } else if policy::can_use_shared_draft(actor, ticket.group_id) {
        DraftAccess::Edit
    } else {
        DraftAccess::Read
    };
    Ok((ticket, level, drafts_on))
}

/// The ticket, if the actor may use its reply draft: an agent with change access on the
/// ticket's group, and the group has shared drafts switched on.
async fn authorize(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<tickets::TicketRecord> {
    let (ticket, level, drafts_on) = access(conn, actor, ticket_id).await?;
    match level {
        DraftAccess::Edit => Ok(ticket),
        _ if drafts_on || !policy::can_use_shared_draft(actor, ticket.group_id) => {
            Err(Error::not_authorized())
        }
        _ => Err(Error::Forbidden(
            "Shared drafts are not activated for this group.".into(),
        )),
    }
}

/// What the actor may do in the ticket's live draft (the WebSocket).
pub async fn live_access(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<DraftAccess> {
    Ok(access(conn, actor, ticket_id).await?.1)
}

/// `ETag` of a draft: `"<epoch>-<rev>"`.
pub fn etag(epoch: i64, rev: i64) -> String {
    format!("\"{epoch}-{rev}\"")
}

/// The row with the live document's projection when editors (or unsaved updates left by a
/// crash) are ahead of the stored snapshot; remembers what the reader saw, as the base of
/// their next write.
async fn with_live_projection(
    conn: &mut AnyConnection,
    hub: &Arc<Hub>,
    mut row: DraftRow,
) -> Result<DraftRow> {
    let room = match hub.live_room(row.ticket_id).await {
        Some(room) => room,
        None => {
            let unsaved: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM ticket_shared_draft_updates WHERE draft_id = $1 LIMIT 1",
            )
            .bind(row.id)
            .fetch_optional(conn)
            .await?;
            if unsaved.is_none() {
                return Ok(row); // the stored projection is the draft
            }
            hub.room(row.ticket_id).await?
        }
    };
    let (p, blocks) = room
        .with_doc(|doc| (document::project(doc), document::seen_blocks(doc)))
        .await;
    let (_, _, rev) = room.ids().await;
    room.remember_served(rev.max(row.rev), blocks).await;
    hub.release(&room).await;
    row.new_article = p.new_article;
    row.ticket_attributes = p.ticket_attributes;
    row.rev = rev.max(row.rev);
    Ok(row)
}

/// `GET /tickets/{id}/shared_draft`: the draft as editors see it now (the live document's
/// projection when it is ahead of storage) and its `ETag`; `None` when there is no draft.
pub async fn show(
    hub: &Arc<Hub>,
    actor: &Actor,
    ticket_id: i64,
) -> Result<Option<(DraftRow, String)>> {
    let mut conn = hub.store().read().await?;
    authorize(&mut conn, actor, ticket_id).await?;
    let row = match find_row(&mut conn, ticket_id).await? {
        Some(row) => Some(row),
        None => {
            // typed live but not stored yet: store it now, so the reader sees what editors see
            drop(conn);
            hub.flush_live(ticket_id).await;
            conn = hub.store().read().await?;
            find_row(&mut conn, ticket_id).await?
        }
    };
    let Some(row) = row else {
        return Ok(None);
    };
    let row = with_live_projection(&mut conn, hub, row).await?;
    let tag = etag(row.epoch, row.rev);
    Ok(Some((row, tag)))
}

/// Result of a `PUT`/`PATCH`: the draft as written (render it with
/// `dialects::zammad::shared_drafts::render_draft`) and whether it was created (201).
pub struct Saved {
    pub row: DraftRow,
    pub created: bool,
    pub etag: String,
}

/// What a write into a ticket's reply draft carries (`PUT`/`PATCH /tickets/{id}/shared_draft`,
/// read by `dialects::zammad::requests::draft_write`; a DeskHero entry saved as a draft). The
/// parts it replaces stay Zammad's objects — `new_article` (`body`, `to`, `cc`, `subject`,
/// `type`, `internal`, …) and `ticket_attributes` — because that is the draft's stored shape
/// (`docs/zammad-api.md`, shared drafts); `None` keeps the stored part. `form_id`: the upload
/// cache whose files the draft takes.
#[derive(Debug, Default, Clone)]
pub struct DraftWrite {
    new_article: Option<Map<String, Value>>,
    ticket_attributes: Option<Map<String, Value>>,
    form_id: Option<String>,
}

impl DraftWrite {
    /// Checks the article's `body` before any transaction: a string of at most
    /// `articles::MAX_BODY_CHARS` characters within the HTML limits (422 otherwise).
    pub fn new(
        new_article: Option<Map<String, Value>>,
        ticket_attributes: Option<Map<String, Value>>,
        form_id: Option<String>,
    ) -> Result<DraftWrite> {
        if let Some(b) = new_article.as_ref().and_then(|a| a.get("body")) {
            let Some(text) = b.as_str() else {
                return Err(crate::tickets::params::invalid("body", b));
            };
            if text.chars().count() > crate::tickets::articles::MAX_BODY_CHARS {
                return Err(Error::unprocessable(format!(
                    "The article body is too long (maximum is {} characters).",
                    crate::tickets::articles::MAX_BODY_CHARS
                )));
            }
            crate::tickets::html_limits::check("body", text)?;
        }
        Ok(DraftWrite {
            new_article,
            ticket_attributes,
            form_id,
        })
    }
}

/// A draft write that is in the live document and in the caller's transaction, not yet
/// announced: [`PendingWrite::commit`] commits and announces it, [`PendingWrite::abandon`]
/// gives it up when the transaction fails before (the room is dropped and editors resync
/// from storage).
pub struct PendingWrite {
    room: Arc<super::live::Room>,
    guard: tokio::sync::OwnedMutexGuard<()>,
    ticket_id: i64,
    actor_id: i64,
    draft_id: i64,
    epoch: i64,
    rev: i64,
    update: Vec<u8>,
    /// What storage held that the live document lacked (from another instance).
    absorbed: Vec<u8>,
    blocks: Vec<super::content::SeenBlock>,
    attachments: Vec<Value>,
    /// The draft as this write left it (read inside its transaction).
    pub row: DraftRow,
    pub created: bool,
}

impl PendingWrite {
    pub fn draft_id(&self) -> i64 {
        self.draft_id
    }

    /// Commits the transaction the write is in — at once, since this write holds the room's
    /// write lock until it is announced (`WriteTx::commit_at_once`) — then editors hear of it;
    /// a failed commit drops the room (editors resync from storage) and is returned.
    pub async fn commit(self, tx: WriteTx, hub: &Arc<Hub>) -> Result<Saved> {
        match tx.commit_at_once().await {
            Ok(()) => Ok(self.publish(hub).await),
            Err(e) => {
                self.abandon(hub).await;
                Err(e)
            }
        }
    }

    async fn publish(self, hub: &Arc<Hub>) -> Saved {
        let room = self.room.clone();
        room.set_ids(Some(self.draft_id), self.rev).await;
        room.remember_served(self.rev, self.blocks).await;
        let files_update = room
            .with_doc(|doc| document::set_attachments(doc, &self.attachments))
            .await;
        if !self.absorbed.is_empty() {
            room.broadcast_local(&self.absorbed);
        }
        room.broadcast(
            &self.update,
            ControlMessage::Replaced {
                by: ChangedBy {
                    user_id: self.actor_id,
                    via: Some("rest".into()),
                },
                rev: self.rev,
            },
        )
        .await;
        room.broadcast(&files_update, ControlMessage::saved(self.rev))
            .await;
        drop(self.guard);
        hub.release(&room).await;
        Saved {
            row: self.row,
            created: self.created,
            etag: etag(self.epoch, self.rev),
        }
    }

    /// The write will not be committed (its transaction failed or is dropped): the room is
    /// dropped and editors resync from storage.
    pub async fn abandon(self, hub: &Arc<Hub>) {
        drop(self.guard);
        hub.close_room(self.ticket_id, ControlMessage::Reset { epoch: self.epoch })
            .await;
    }
}

/// Writes into the ticket's draft inside the caller's transaction (`Desk::save_shared_draft`).
/// `merge_with_read`: merge the body against what this writer last read (REST clients);
/// otherwise the body is replaced block by block (a suggestion that takes over the draft).
#[allow(clippy::too_many_arguments)]
pub async fn write_in(
    conn: &mut AnyConnection,
    hub: &Arc<Hub>,
    files: &FileStore,
    actor: &Actor,
    ticket_id: i64,
    write: &DraftWrite,
    if_match: Option<&str>,
    merge_with_read: bool,
) -> Result<PendingWrite> {
    let new_article = write.new_article.as_ref();
    let ticket_attributes = write.ticket_attributes.as_ref();
    authorize(conn, actor, ticket_id).await?;
    // the ticket before the draft row, in the order every ticket write locks them (see
    // `live::write_locked`)
    tickets::articles::lock_ticket(conn, ticket_id).await?;
    let room = hub.room(ticket_id).await?;
    let guard = room.write_lock.clone().lock_owned().await;
    let existing = find_row(conn, ticket_id).await?;
    let (epoch, _, live_rev) = room.ids().await;
    if let Some(expected) = if_match {
        let current = existing
            .as_ref()
            .map(|r| etag(r.epoch, live_rev.max(r.rev)))
            .unwrap_or_else(|| etag(epoch, 0));
        if expected.trim() != "*" && expected.trim() != current {
            drop(guard);
            hub.release(&room).await;
            return Err(Error::PreconditionFailed(
                "The shared draft was changed by someone else.".into(),
            ));
        }
    }
    // one CRDT transaction inside the live document, merged against what the writer read
    let seen_rev = if_match.and_then(|tag| {
        tag.trim()
            .trim_matches('"')
            .rsplit_once('-')
            .and_then(|(_, rev)| rev.parse::<i64>().ok())
    });
    let base = if existing.is_some() && merge_with_read {
        room.served_base(seen_rev).await
    } else {
        None
    };
    let (update, snapshot, projection, blocks) = room
        .with_doc(|doc| {
            let update = document::apply_rest(doc, new_article, ticket_attributes, base.as_deref());
            (
                update,
                document::snapshot(doc),
                document::project(doc),
                document::seen_blocks(doc),
            )
        })
        .await;
    let mut absorbed = Vec::new();
    let stored = async {
        let (id, rev, created) = match &existing {
            None => (
                insert_row(conn, ticket_id, epoch, &snapshot, &projection, actor.id).await?,
                1,
                true,
            ),
            Some(row) => {
                let (rev, merged) =
                    update_row(conn, row.id, &snapshot, &projection, Some(actor.id)).await?;
                if let Some(merged) = merged {
                    // stored by another instance, not seen here yet: into the live document
                    absorbed = room.absorb(&merged).await;
                }
                record_history(conn, actor.id, ticket_id, row.id, "updated").await?;
                (row.id, rev, false)
            }
        };
        let mut removed_hashes = Vec::new();
        if let Some(form_id) = write.form_id.as_deref().filter(|f| !f.trim().is_empty()) {
            removed_hashes = draft_files::take_uploads(
                conn,
                draft_files::Owner::Reply(id),
                draft_files::Which::NonInline,
                actor,
                form_id,
            )
            .await?;
        }
        let attachment_list = draft_files::list(conn, draft_files::Owner::Reply(id)).await?;
        tickets::touch(conn, actor, ticket_id).await?;
        let row = find_row(conn, ticket_id)
            .await?
            .ok_or_else(|| Error::Internal("draft vanished".into()))?;
        attachments::remove_unreferenced(conn, files, &removed_hashes).await?;
        Ok::<_, Error>((id, rev, created, attachment_list, row))
    }
    .await;
    match stored {
        Ok((draft_id, rev, created, attachments, row)) => Ok(PendingWrite {
            room,
            guard,
            ticket_id,
            actor_id: actor.id,
            draft_id,
            epoch,
            rev,
            update,
            absorbed,
            blocks,
            attachments,
            row,
            created,
        }),
        Err(e) => {
            // the document holds a change storage refused: drop the room, editors resync
            drop(guard);
            hub.close_room(ticket_id, ControlMessage::Reset { epoch })
                .await;
            Err(e)
        }
    }
}

/// What [`discard`] ended: the stored draft's id (`None`: nothing was stored yet, only the
/// live document ended), and the content hashes of its files (remove the unreferenced ones
/// after the commit).
#[derive(Debug)]
pub struct Discarded {
    pub draft_id: Option<i64>,
    pub hashes: Vec<String>,
}

/// Discards the ticket's reply draft in the caller's transaction: the stored draft and its
/// files go, and the epoch moves on either way, so the live document ends too (a snapshot
/// still on its way cannot store it afterwards). The caller commits, then closes the room
/// with `ControlMessage::Deleted`.
pub async fn discard(conn: &mut AnyConnection, actor: &Actor, ticket_id: i64) -> Result<Discarded> {
    authorize(conn, actor, ticket_id).await?;
    let Some(row) = find_row(conn, ticket_id).await? else {
        end_for_send(conn, actor, ticket_id).await?;
        return Ok(Discarded {
            draft_id: None,
            hashes: vec![],
        });
    };
    let hashes = end_draft(conn, actor.id, ticket_id, &row, "removed").await?;
    tickets::touch(conn, actor, ticket_id).await?;
    Ok(Discarded {
        draft_id: Some(row.id),
        hashes,
    })
}

/// Deletes the draft row and bumps the ticket's epoch (inside the caller's transaction).
/// Returns the hashes of its files.
async fn end_draft(
    conn: &mut AnyConnection,
    by: i64,
    ticket_id: i64,
    row: &DraftRow,
    history_type: &str,
) -> Result<Vec<String>> {
    // the ticket before the draft row, the order of every writer (see `live::write_locked`)
    tickets::articles::lock_ticket(conn, ticket_id).await?;
    let hashes = draft_files::remove(
        conn,
        draft_files::Owner::Reply(row.id),
        draft_files::Which::All,
    )
    .await?;
    sqlx::query("DELETE FROM ticket_shared_drafts WHERE id = $1")
        .bind(row.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE tickets SET shared_draft_epoch = shared_draft_epoch + 1 WHERE id = $1")
        .bind(ticket_id)
        .execute(&mut *conn)
        .await?;
    record_history(conn, by, ticket_id, row.id, history_type).await?;
    Ok(hashes)
}

/// Sending: `PUT /tickets/{id}` with `article.shared_draft_id` turns the draft into the new
/// article; the draft ends (inside the ticket update's transaction). 422 for another ticket's
/// draft. After the commit, call [`Hub::close_room`] with `ControlMessage::Sent`.
pub async fn consume(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    draft_id: i64,
) -> Result<()> {
    let row = find_row(conn, ticket_id).await?;
    match row {
        Some(row) if row.id == draft_id => {
            end_draft(conn, actor.id, ticket_id, &row, "removed").await?;
            Ok(())
        }
        _ => {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM ticket_shared_drafts WHERE id = $1")
                    .bind(draft_id)
                    .fetch_optional(&mut *conn)
                    .await?;
            if exists.is_some() {
                Err(Error::unprocessable(
                    "Shared draft cannot be selected for this ticket.",
                ))
            } else {
                // Zammad ignores an unknown draft id
                Ok(())
            }
        }
    }
}

/// Sending the live draft from the web app's composer (which sends the text it shows): the
/// draft ends inside the ticket update's transaction whether or not it was stored yet. With no
/// stored row the epoch still moves on, so a snapshot still in flight cannot bring the sent
/// text back. After the commit, call [`Hub::close_room`] with `ControlMessage::Sent`.
pub async fn end_for_send(conn: &mut AnyConnection, actor: &Actor, ticket_id: i64) -> Result<()> {
    match find_row(conn, ticket_id).await? {
        Some(row) => {
            end_draft(conn, actor.id, ticket_id, &row, "removed").await?;
        }
        None => {
            sqlx::query(
                "UPDATE tickets SET shared_draft_epoch = shared_draft_epoch + 1 WHERE id = $1",
            )
            .bind(ticket_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// `POST /tickets/{id}/shared_draft/import_attachments`, in the caller's transaction: copies
/// the draft's files into the caller's upload cache `form_id` → the copies' ids
/// (`draft_files::rendered` shows them).
pub async fn import_attachments(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    form_id: &str,
) -> Result<Vec<i64>> {
    authorize(conn, actor, ticket_id).await?;
    let Some(row) = find_row(conn, ticket_id).await? else {
        return Err(Error::NotFound(format!(
            "Couldn't find Ticket::SharedDraftZoom for Ticket with 'id'={ticket_id}"
        )));
    };
    draft_files::copy_to_cache(conn, draft_files::Owner::Reply(row.id), actor, form_id).await
}

/// A history entry of the ticket's reply draft (`Ticket::SharedDraftZoom`): `created`,
/// `updated`, or how it ended.
async fn record_history(
    conn: &mut AnyConnection,
    by: i64,
    ticket_id: i64,
    draft_id: i64,
    history_type: &str,
) -> Result<()> {
    history::record(
        conn,
        by,
        history::Entry {
            ticket_id,
            history_type,
            history_object: "Ticket::SharedDraftZoom",
            object_id: draft_id,
            ..Default::default()
        },
    )
    .await
}
