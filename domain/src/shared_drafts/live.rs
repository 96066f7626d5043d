//! Live rooms: one in-memory draft document per ticket, shared by every agent's editor
//! (y-sync over a WebSocket, docs/collab-editing.md §6–7) and by the REST endpoints. A room is
//! loaded from its snapshot and update log on first use and dropped when the last editor
//! leaves. Every accepted update is broadcast at once and written to the update log within
//! about 50 ms; the snapshot and the derived REST projection are rewritten every
//! [`SNAPSHOT_EVERY`] updates, after 2 s of quiet, on `flush` and when the last editor leaves.
//!
//! This module knows the y-sync protocol but nothing about WebSockets: the server feeds it
//! binary frames and forwards the frames it returns.
//!
//! Several instances on one PostgreSQL database ([`Hub::relay_postgres`]): every instance with
//! editors of a draft keeps its own room, and each room relays what it accepts (updates,
//! awareness, its end) to the others through [`super::relay`]. Persistence stays exactly-once
//! in effect: an update is logged by the instance its editor is connected to, and a snapshot
//! is always the union of the room's document and everything stored (snapshot and log rows,
//! read under the draft row's lock), so no instance's snapshot can drop what another stored.
//! Applying an update twice changes nothing in a yrs document, so a relayed copy of something
//! a room already holds is harmless. A room whose epoch ended elsewhere closes (the relay's
//! close message, or its periodic check of the stored epoch).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use tokio::sync::{Mutex, broadcast, mpsc, oneshot};
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::sync::{Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, Transact};

use super::document::{self, UpdateError};
use super::relay::{Incoming, Kind, Outgoing, Relay};
use crate::{Result, Store, storage::clock};

/// y-protocols' custom message type used for Tandem's JSON control messages.
pub const MSG_CONTROL: u8 = 100;
/// A document may not grow beyond this (encoded size, roughly).
pub const MAX_DOC_BYTES: usize = 5 * 1024 * 1024;
/// Updates between two snapshots.
pub const SNAPSHOT_EVERY: usize = 100;
/// Awareness states not renewed for this long are removed (y-protocols' `outdatedTimeout`).
pub const AWARENESS_TIMEOUT: Duration = Duration::from_secs(30);
/// Messages a connection may send per second before it is cut off.
pub const MAX_MESSAGES_PER_SECOND: u32 = 500;
const BATCH_WINDOW: Duration = Duration::from_millis(50);
const IDLE_SNAPSHOT: Duration = Duration::from_secs(2);

/// The agent behind a connection, as the server authenticated them.
#[derive(Debug, Clone)]
pub struct Editor {
    pub user_id: i64,
    pub name: String,
    /// Agents with read access see the draft but their updates are dropped.
    pub can_edit: bool,
}

#[derive(Debug, Clone)]
enum RoomEvent {
    /// A frame for every connection but `from` (0: from the server, for everyone).
    Frame { from: u64, data: Arc<Vec<u8>> },
    /// The room is gone (draft sent or deleted, ticket deleted, fatal error): close.
    Closed,
}

enum Persist {
    Update { user_id: i64, bytes: Vec<u8> },
    Flush(oneshot::Sender<Written>),
    Leave,
}

/// What a write of the persister did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// Committed as this revision (and announced to everyone with `saved`).
    Rev(i64),
    /// Nothing to store (no draft yet, or it ended meanwhile).
    Nothing,
    /// Storage refused it; the batch is kept and retried.
    Failed,
}

struct Peer {
    /// The local connection that announced it (0 for a peer on another instance).
    conn: u64,
    /// The instance a remote peer is connected to (`None`: this one).
    origin: Option<i64>,
    clock: u32,
    json: Arc<str>,
    seen: Instant,
}

/// A presence state that ended here (its editor left, said goodbye or went quiet). y-websocket
/// providers echo every awareness state they hear back to the server, so the state can come
/// back from another editor a moment after it ended (an echo that crossed the removal); such an
/// echo must not make the state live again under the echoing connection, which would show the
/// departed editor's caret under the echoing agent's name to everyone who joins later (and to
/// that agent's own other tabs: one's own name on a caret that is not one's own).
struct Gone {
    /// The clock of the removal: an echo carries the same or an older one.
    clock: u32,
    /// The agent whose state it was.
    user_id: Option<i64>,
    at: Instant,
}

/// How long an ended presence state is remembered (echoes arrive within moments).
const GONE_FOR: Duration = Duration::from_secs(60);

fn user_of(json: &str) -> Option<i64> {
    serde_json::from_str::<Value>(json)
        .ok()
        .and_then(|v| v["user"]["id"].as_i64())
}

struct RoomState {
    doc: Doc,
    epoch: i64,
    draft_id: Option<i64>,
    rev: i64,
    approx_bytes: usize,
    closed: bool,
    peers: HashMap<ClientID, Peer>,
    /// Presence states that ended lately, by client id.
    gone: HashMap<ClientID, Gone>,
    /// What REST readers were shown lately (revision, blocks): the base of their next write.
    served: std::collections::VecDeque<(i64, Vec<super::content::SeenBlock>)>,
}

pub struct Room {
    pub ticket_id: i64,
    state: Mutex<RoomState>,
    /// Serialises this draft's database writes (update log, snapshot, REST writes). Taken
    /// inside the write transaction and held across its commit, which is therefore
    /// `WriteTx::commit_at_once` (a batched commit would wait for the next writer, who may
    /// wait for this lock).
    pub(super) write_lock: Arc<Mutex<()>>,
    events: broadcast::Sender<RoomEvent>,
    persist: mpsc::UnboundedSender<Persist>,
    /// The relay to the other instances (PostgreSQL with several instances).
    relay: Option<Arc<Relay>>,
    /// Holders of the room (sockets and REST calls in progress), counted under the hub's
    /// lock: the room is dropped when the last one releases it.
    users: AtomicUsize,
}

/// Every live room of this server process; with PostgreSQL, relayed to the rooms of the other
/// instances on the same database once [`Hub::relay_postgres`] ran (see the module docs).
pub struct Hub {
    store: Store,
    rooms: Mutex<HashMap<i64, Arc<Room>>>,
    next_conn: AtomicU64,
    relay: OnceLock<Arc<Relay>>,
}

/// A Tandem control message as a y-protocols frame.
/// Who made a change the room announces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedBy {
    pub user_id: i64,
    /// `rest` when the change came through the REST API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// The room's control messages (y-sync custom frames, JSON tagged by `t`), the ones the
/// composer reads (`frontend/js/src/composer.js`, `reply.js`) and the test client checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ControlMessage {
    /// First frame of a connection: the draft and the caller's role (`edit` or `read`).
    Hello {
        ticket_id: i64,
        epoch: i64,
        rev: i64,
        shared_draft_id: Option<i64>,
        role: String,
        user: Value,
    },
    /// The client's copy is from another epoch: start again from the server's document.
    Reset { epoch: i64 },
    /// Stored as revision `rev` at `at`.
    Saved { rev: i64, at: String },
    /// The body was replaced (by REST).
    Replaced { by: ChangedBy, rev: i64 },
    /// The draft was discarded; the room closes (editors start again with an empty draft).
    Deleted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<ChangedBy>,
    },
    /// The ticket was deleted: the room closes for good (a reconnect is refused with 404), so
    /// editors stop and do not reconnect. Serialized `{"t":"ticket_deleted"}`.
    TicketDeleted,
    /// The draft was sent as this article; the room closes.
    Sent { article_id: Option<i64> },
    /// The ticket moved to another group; the room closes and editors are authorised again.
    Moved { group_id: i64 },
    /// A client's frame was refused (`malformed_message`, `doc_too_large`, `bad_update`,
    /// `too_deep`, `too_many_blocks`, `unsafe_content`, `save_failed`).
    Error {
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
    /// Client → server: store what the room has now.
    Flush,
    /// Client → server: reconnecting at this epoch.
    Resume { epoch: Option<i64> },
}

impl ControlMessage {
    /// An error frame without a limit.
    pub fn error(code: &str) -> ControlMessage {
        ControlMessage::Error {
            code: code.into(),
            limit: None,
        }
    }

    /// `Saved` of revision `rev` now.
    pub fn saved(rev: i64) -> ControlMessage {
        ControlMessage::Saved {
            rev,
            at: clock::now(),
        }
    }
}

/// A control message as a y-sync custom frame.
pub fn control(message: &ControlMessage) -> Vec<u8> {
    let text = serde_json::to_string(message).unwrap_or_default();
    Message::Custom(MSG_CONTROL, text.into_bytes()).encode_v1()
}

fn sync_update(update: &[u8]) -> Vec<u8> {
    Message::Sync(SyncMessage::Update(update.to_vec())).encode_v1()
}

/// The stored draft of a ticket at its current epoch.
struct StoredDoc {
    epoch: i64,
    draft_id: Option<i64>,
    rev: i64,
    snapshot: Vec<u8>,
    updates: Vec<Vec<u8>>,
}

async fn load_stored(conn: &mut AnyConnection, ticket_id: i64) -> Result<StoredDoc> {
    let epoch: i64 = sqlx::query_scalar("SELECT shared_draft_epoch FROM tickets WHERE id = $1")
        .bind(ticket_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| crate::Error::not_found("Ticket", ticket_id))?;
    let row = sqlx::query("SELECT id, rev, ydoc FROM ticket_shared_drafts WHERE ticket_id = $1")
        .bind(ticket_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(StoredDoc {
            epoch,
            draft_id: None,
            rev: 0,
            snapshot: vec![],
            updates: vec![],
        });
    };
    let draft_id: i64 = row.try_get("id")?;
    let updates: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM ticket_shared_draft_updates WHERE draft_id = $1 ORDER BY id",
    )
    .bind(draft_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(StoredDoc {
        epoch,
        draft_id: Some(draft_id),
        rev: row.try_get("rev")?,
        snapshot: row.try_get("ydoc")?,
        updates,
    })
}

impl Hub {
    pub fn new(store: Store) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            rooms: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            relay: OnceLock::new(),
        })
    }

    /// Relays this instance's draft rooms to the other instances on the same PostgreSQL
    /// database and theirs to this one (see the module docs and [`super::relay`]). Call once at
    /// start-up, before editors connect; returns when the LISTEN connection is up. Errors: the
    /// database is unreachable (or not PostgreSQL).
    pub async fn relay_postgres(self: &Arc<Self>) -> Result<()> {
        if self.relay.get().is_some() {
            return Ok(());
        }
        let relay = Relay::start(self.store.url(), Arc::downgrade(self)).await?;
        let _ = self.relay.set(relay);
        Ok(())
    }

    /// Whether rooms are relayed to other instances.
    pub fn relays(&self) -> bool {
        self.relay.get().is_some()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The ticket's room, loaded from storage when it is not live. Every call must be
    /// paired with [`Hub::release`] (or end in [`Hub::close_room`]).
    pub(super) async fn room(self: &Arc<Self>, ticket_id: i64) -> Result<Arc<Room>> {
        let mut rooms = self.rooms.lock().await;
        if let Some(room) = rooms.get(&ticket_id) {
            room.users.fetch_add(1, Ordering::SeqCst);
            return Ok(room.clone());
        }
        let stored = {
            let mut conn = self.store.read().await?;
            load_stored(&mut conn, ticket_id).await?
        };
        let doc = document::load(&stored.snapshot, &stored.updates);
        let approx_bytes =
            stored.snapshot.len() + stored.updates.iter().map(Vec::len).sum::<usize>();
        let (events, _) = broadcast::channel(1024);
        let (persist, persist_rx) = mpsc::unbounded_channel();
        let room = Arc::new(Room {
            ticket_id,
            state: Mutex::new(RoomState {
                doc,
                epoch: stored.epoch,
                draft_id: stored.draft_id,
                rev: stored.rev,
                approx_bytes,
                closed: false,
                peers: HashMap::new(),
                gone: HashMap::new(),
                served: Default::default(),
            }),
            write_lock: Arc::new(Mutex::new(())),
            events,
            persist,
            relay: self.relay.get().cloned(),
            users: AtomicUsize::new(1),
        });
        // what editors on other instances typed that is not stored yet, and their carets
        room.catch_up().await;
        tokio::spawn(persist_loop(
            self.store.clone(),
            Arc::downgrade(self),
            Arc::downgrade(&room),
            persist_rx,
            stored.updates.len(),
        ));
        rooms.insert(ticket_id, room.clone());
        Ok(room)
    }

    /// The ticket's room if it is in memory (nothing is loaded). Pair with [`Hub::release`].
    pub(super) async fn live_room(&self, ticket_id: i64) -> Option<Arc<Room>> {
        let rooms = self.rooms.lock().await;
        let room = rooms.get(&ticket_id)?;
        room.users.fetch_add(1, Ordering::SeqCst);
        Some(room.clone())
    }

    /// Stores what the ticket's live room holds now, if it is in memory: a draft typed in the
    /// last moments (its first write waits a few milliseconds to gather keystrokes) exists for
    /// REST readers too. Call without holding the store's write transaction (the write takes
    /// one).
    pub(super) async fn flush_live(&self, ticket_id: i64) {
        let Some(room) = self.live_room(ticket_id).await else {
            return;
        };
        let (tx, rx) = oneshot::channel();
        if room.persist.send(Persist::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
        self.release(&room).await;
    }

    /// Gives a room back; the last holder drops it (its persister writes what is left).
    pub(super) async fn release(&self, room: &Arc<Room>) {
        let mut rooms = self.rooms.lock().await;
        if room.users.fetch_sub(1, Ordering::SeqCst) == 1
            && rooms
                .get(&room.ticket_id)
                .is_some_and(|r| Arc::ptr_eq(r, room))
        {
            rooms.remove(&room.ticket_id);
            let _ = room.persist.send(Persist::Leave);
        }
    }

    /// Closes a ticket's room after its draft was sent, deleted, or the ticket deleted: editors
    /// get the control message, then their sockets close; the next room starts from storage
    /// (at the new epoch). With several instances the rooms of the others close too (those at
    /// an older epoch than the stored one; all of them for `Moved`). Call after the commit.
    pub async fn close_room(&self, ticket_id: i64, message: ControlMessage) {
        if let Some(relay) = self.relay.get()
            && !matches!(message, ControlMessage::Reset { .. })
        {
            // the epoch after the change: rooms of another instance at an older one end
            let epoch = async {
                let mut conn = self.store.read().await?;
                Ok::<_, crate::Error>(
                    sqlx::query_scalar::<_, i64>(
                        "SELECT shared_draft_epoch FROM tickets WHERE id = $1",
                    )
                    .bind(ticket_id)
                    .fetch_optional(&mut *conn)
                    .await?,
                )
            }
            .await;
            relay.send(Outgoing {
                ticket_id,
                // the ticket is gone, or its epoch unknown (the database is unreachable):
                // every other room of the ticket ends
                epoch: epoch.unwrap_or_else(|e| {
                    tracing::warn!(ticket_id, error = %e, "draft relay: reading the epoch failed");
                    None
                })
                .unwrap_or(i64::MAX),
                kind: Kind::Close,
                payload: serde_json::to_vec(&message).unwrap_or_default(),
            });
        }
        self.close_local(ticket_id, message).await;
    }

    /// Closes this instance's room of a ticket (see [`Hub::close_room`]).
    async fn close_local(&self, ticket_id: i64, message: ControlMessage) {
        let room = self.rooms.lock().await.remove(&ticket_id);
        if let Some(room) = room {
            room.state.lock().await.closed = true;
            let _ = room.events.send(RoomEvent::Frame {
                from: 0,
                data: Arc::new(control(&message)),
            });
            let _ = room.events.send(RoomEvent::Closed);
            let _ = room.persist.send(Persist::Leave);
        }
    }

    /// Opens an editor connection to a ticket's room. `client_epoch` is the epoch of the
    /// document the client still holds (its `?epoch=` parameter on reconnect): a stale one is
    /// told to reset and nothing it sends is accepted. Returns the connection and the frames to
    /// send first (hello, sync step 1, the current presence).
    pub async fn connect(
        self: &Arc<Self>,
        ticket_id: i64,
        editor: Editor,
        client_epoch: Option<i64>,
    ) -> Result<(Connection, Vec<Vec<u8>>)> {
        let room = self.room(ticket_id).await?;
        let id = self.next_conn.fetch_add(1, Ordering::SeqCst);
        let events = room.events.subscribe();
        let st = room.state.lock().await;
        let stale = client_epoch.is_some_and(|e| e != st.epoch);
        let mut frames = vec![control(&ControlMessage::Hello {
            ticket_id,
            epoch: st.epoch,
            rev: st.rev,
            shared_draft_id: st.draft_id,
            role: if editor.can_edit && !stale {
                "edit"
            } else {
                "read"
            }
            .into(),
            user: json!({"id": editor.user_id, "name": editor.name}),
        })];
        if stale {
            frames.push(control(&ControlMessage::Reset { epoch: st.epoch }));
        } else {
            let sv = st.doc.transact().state_vector();
            frames.push(Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1());
            if !st.peers.is_empty() {
                frames.push(Message::Awareness(awareness_of(&st.peers)).encode_v1());
            }
        }
        drop(st);
        Ok((
            Connection {
                id,
                hub: self.clone(),
                room,
                editor,
                stale,
                events: Some(events),
                clients: HashSet::new(),
                window_start: Instant::now(),
                window_count: 0,
            },
            frames,
        ))
    }
}

impl Hub {
    /// Hands a message another instance relayed to this instance's room of the ticket, if
    /// there is one (a room loaded later reads the relay rows itself).
    pub(super) async fn deliver_relayed(&self, message: Incoming) {
        let room = self.rooms.lock().await.get(&message.ticket_id).cloned();
        let Some(room) = room else { return };
        let payload = match message.payload {
            Some(p) => p,
            None => match self.relay.get() {
                Some(relay) => match relay.payload(message.id).await {
                    Ok(Some(p)) => p,
                    Ok(None) => return, // pruned meanwhile: storage has it by now
                    Err(e) => {
                        tracing::warn!(error = %e, "draft relay: reading a row failed");
                        return;
                    }
                },
                None => return,
            },
        };
        match message.kind {
            Kind::Update => room.remote_update(message.epoch, &payload).await,
            Kind::Awareness => {
                if room.state.lock().await.epoch == message.epoch {
                    room.remote_awareness(message.origin, message.age_ms, &payload)
                        .await;
                }
            }
            Kind::Close => {
                let Ok(control) = serde_json::from_slice::<ControlMessage>(&payload) else {
                    return;
                };
                let epoch = room.state.lock().await.epoch;
                let ends = match control {
                    ControlMessage::Moved { .. } => epoch <= message.epoch,
                    _ => epoch < message.epoch,
                };
                if ends {
                    self.close_local(message.ticket_id, control).await;
                }
            }
        }
    }

    /// After the LISTEN connection was lost: every live room reads what other instances
    /// relayed meanwhile (what it already holds changes nothing).
    pub(super) async fn catch_up_all(&self) {
        if self.relay.get().is_none() {
            return;
        }
        let rooms: Vec<Arc<Room>> = self.rooms.lock().await.values().cloned().collect();
        for room in rooms {
            room.catch_up().await;
        }
    }
}

impl Room {
    /// Applies stored state (a merged snapshot another instance contributed to) to the live
    /// document. Returns the update this instance's editors lack (empty when nothing was new);
    /// send it with [`Room::broadcast_local`].
    pub(super) async fn absorb(&self, stored: &[u8]) -> Vec<u8> {
        let mut st = self.state.lock().await;
        let before = st.doc.transact().state_vector();
        match document::apply_update(&st.doc, stored) {
            Ok(true) => {
                let diff = st.doc.transact().encode_state_as_update_v1(&before);
                st.approx_bytes += diff.len();
                diff
            }
            _ => Vec::new(),
        }
    }

    /// [`Room::absorb`], and what was new to this instance's editors.
    async fn absorb_and_forward(&self, stored: &[u8]) {
        let diff = self.absorb(stored).await;
        if !diff.is_empty() {
            self.broadcast_local(&diff);
        }
    }

    /// Sends an update to this instance's editors only.
    pub(super) fn broadcast_local(&self, update: &[u8]) {
        let _ = self.events.send(RoomEvent::Frame {
            from: 0,
            data: Arc::new(sync_update(update)),
        });
    }

    /// Reads what other instances relayed for this room's epoch and is still in the relay
    /// rows (nothing without a relay): updates not stored yet, and the carets of their
    /// editors. What the room already holds changes nothing.
    async fn catch_up(&self) {
        let Some(relay) = &self.relay else { return };
        let epoch = self.state.lock().await.epoch;
        let rows = match relay.recent(self.ticket_id, epoch).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(ticket_id = self.ticket_id, error = %e, "draft relay: catching up failed");
                return;
            }
        };
        for row in rows {
            match (row.kind, row.payload) {
                (Kind::Update, Some(update)) => self.remote_update(epoch, &update).await,
                (Kind::Awareness, Some(bytes)) => {
                    self.remote_awareness(row.origin, row.age_ms, &bytes).await
                }
                _ => {}
            }
        }
    }

    /// Sends a message to the other instances' rooms of this ticket (nothing without a relay).
    fn relay(&self, epoch: i64, kind: Kind, payload: Vec<u8>) {
        if let Some(relay) = &self.relay {
            relay.send(Outgoing {
                ticket_id: self.ticket_id,
                epoch,
                kind,
                payload,
            });
        }
    }

    /// An update an editor on another instance made (logged there): applied and forwarded to
    /// this instance's editors when it is new.
    async fn remote_update(&self, epoch: i64, update: &[u8]) {
        let mut st = self.state.lock().await;
        if st.closed || st.epoch != epoch {
            return;
        }
        if st.approx_bytes + update.len() > MAX_DOC_BYTES {
            return;
        }
        if let Ok(true) = document::apply_update(&st.doc, update) {
            st.approx_bytes += update.len();
            let _ = self.events.send(RoomEvent::Frame {
                from: 0,
                data: Arc::new(sync_update(update)),
            });
        }
    }

    /// Awareness states of editors on another instance (`origin`), `age_ms` old. A client id
    /// held by a connection of this instance stays with it (an editor that moved here), and
    /// an instance can only remove the states it announced.
    async fn remote_awareness(&self, origin: i64, age_ms: u64, bytes: &[u8]) {
        let Ok(update) = AwarenessUpdate::decode_v1(bytes) else {
            return;
        };
        let seen = Instant::now()
            .checked_sub(Duration::from_millis(age_ms))
            .unwrap_or_else(Instant::now);
        let mut st = self.state.lock().await;
        let mut accepted = HashMap::new();
        for (client, entry) in update.clients {
            match st.peers.get(&client) {
                Some(p) if p.origin.is_none() => continue, // local wins
                Some(p) if p.origin != Some(origin) && &*entry.json == "null" => continue,
                Some(p) if p.origin == Some(origin) && entry.clock < p.clock => continue,
                _ => {}
            }
            if &*entry.json == "null" {
                if let Some(p) = st.peers.remove(&client) {
                    st.remember_gone(client, entry.clock, &p);
                    accepted.insert(client, entry);
                }
                continue;
            }
            if entry.json.len() > 16 * 1024 || st.peers.len() >= 4096 {
                continue;
            }
            st.peers.insert(
                client,
                Peer {
                    conn: 0,
                    origin: Some(origin),
                    clock: entry.clock,
                    json: entry.json.clone(),
                    seen,
                },
            );
            accepted.insert(client, entry);
        }
        if !accepted.is_empty() {
            let _ = self.events.send(RoomEvent::Frame {
                from: 0,
                data: Arc::new(
                    Message::Awareness(AwarenessUpdate { clients: accepted }).encode_v1(),
                ),
            });
        }
    }
}

impl RoomState {
    /// Remembers that `client`'s presence state (`peer`) ended at `clock` (see [`Gone`]).
    fn remember_gone(&mut self, client: ClientID, clock: u32, peer: &Peer) {
        self.gone.insert(
            client,
            Gone {
                clock,
                user_id: user_of(&peer.json),
                at: Instant::now(),
            },
        );
    }
}

fn awareness_of(peers: &HashMap<ClientID, Peer>) -> AwarenessUpdate {
    let clients = peers
        .iter()
        .map(|(id, p)| {
            (
                *id,
                AwarenessUpdateEntry {
                    clock: p.clock,
                    json: p.json.clone(),
                },
            )
        })
        .collect();
    AwarenessUpdate { clients }
}

/// What the server should do after a frame.
#[derive(Debug)]
pub enum Reply {
    /// Send these frames back to this client.
    Frames(Vec<Vec<u8>>),
    /// Close the socket (with this reason).
    Close(String),
}

/// One editor's connection to a room.
pub struct Connection {
    pub id: u64,
    hub: Arc<Hub>,
    room: Arc<Room>,
    editor: Editor,
    stale: bool,
    events: Option<broadcast::Receiver<RoomEvent>>,
    /// Awareness client ids this connection announced (removed when it drops).
    clients: HashSet<ClientID>,
    window_start: Instant,
    window_count: u32,
}

impl Connection {
    /// Handles one binary frame from the client (one or more y-protocols messages).
    pub async fn receive(&mut self, frame: &[u8]) -> Reply {
        if self.window_start.elapsed() >= Duration::from_secs(1) {
            self.window_start = Instant::now();
            self.window_count = 0;
        }
        self.window_count += 1;
        if self.window_count > MAX_MESSAGES_PER_SECOND {
            return Reply::Close("rate limit exceeded".into());
        }
        let mut decoder = DecoderV1::from(frame);
        let messages: Vec<_> = MessageReader::new(&mut decoder).collect();
        let mut out = Vec::new();
        for message in messages {
            let Ok(message) = message else {
                out.push(control(&ControlMessage::error("malformed_message")));
                break;
            };
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    if self.stale {
                        continue;
                    }
                    let st = self.room.state.lock().await;
                    let update = st.doc.transact().encode_state_as_update_v1(&sv);
                    out.push(Message::Sync(SyncMessage::SyncStep2(update)).encode_v1());
                }
                Message::Sync(SyncMessage::SyncStep2(update))
                | Message::Sync(SyncMessage::Update(update)) => {
                    if let Some(reply) = self.apply(update).await {
                        out.push(reply);
                    }
                }
                Message::Awareness(update) => self.awareness(update).await,
                Message::AwarenessQuery => {
                    let st = self.room.state.lock().await;
                    out.push(Message::Awareness(awareness_of(&st.peers)).encode_v1());
                }
                Message::Custom(MSG_CONTROL, data) => {
                    if let Some(reply) = self.control(&data).await {
                        out.push(reply);
                    }
                }
                Message::Auth(_) | Message::Custom(..) => {}
            }
        }
        Reply::Frames(out)
    }

    async fn apply(&mut self, update: Vec<u8>) -> Option<Vec<u8>> {
        if self.stale || !self.editor.can_edit {
            return None; // read-only peers: dropped
        }
        let mut st = self.room.state.lock().await;
        if st.closed {
            return None;
        }
        if st.approx_bytes + update.len() > MAX_DOC_BYTES {
            return Some(control(&ControlMessage::Error {
                code: "doc_too_large".into(),
                limit: Some(MAX_DOC_BYTES),
            }));
        }
        match document::apply_update(&st.doc, &update) {
            Ok(true) => {}
            Ok(false) => return None, // nothing the server did not have
            Err(refusal) => {
                let code = match refusal {
                    UpdateError::TooDeep => "too_deep",
                    UpdateError::TooManyBranches => "too_many_blocks",
                    UpdateError::UnsafeAttribute => "unsafe_content",
                    UpdateError::Malformed | UpdateError::Rejected => "bad_update",
                };
                return Some(control(&ControlMessage::error(code)));
            }
        }
        st.approx_bytes += update.len();
        let _ = self.room.events.send(RoomEvent::Frame {
            from: self.id,
            data: Arc::new(sync_update(&update)),
        });
        self.room.relay(st.epoch, Kind::Update, update.clone());
        drop(st);
        let _ = self.room.persist.send(Persist::Update {
            user_id: self.editor.user_id,
            bytes: update,
        });
        None
    }

    /// Awareness from the client: each state is bound to this connection and its `user` is
    /// overwritten with the authenticated agent, so nobody can appear under another name.
    async fn awareness(&mut self, update: AwarenessUpdate) {
        if self.stale {
            return;
        }
        let mut st = self.room.state.lock().await;
        let mut accepted = Vec::new();
        for (client, entry) in update.clients {
            if let Some(p) = st.peers.get(&client) {
                match p.origin {
                    None if p.conn != self.id => continue, // another connection's client id
                    None => {}
                    Some(_) => {
                        // held by an editor on another instance. y-websocket providers echo
                        // every state they hear (same clock): such an echo must not turn the
                        // other editor's caret into this one's. Only the same agent, moved
                        // here (its next state has a newer clock), takes its client id over.
                        let same_agent = serde_json::from_str::<Value>(&p.json)
                            .ok()
                            .and_then(|v| v["user"]["id"].as_i64())
                            == Some(self.editor.user_id);
                        if !same_agent || entry.clock <= p.clock || &*entry.json == "null" {
                            continue;
                        }
                    }
                }
            } else if let Some(gone) = st.gone.get(&client)
                && &*entry.json != "null"
            {
                // the state of an editor who left: an echo of it (same or older clock) from
                // another connection is not that connection's. The editor itself may go on:
                // on the connection that announced it (its state had only expired), or back on
                // a new one of its own, whose first state it is (a provider announces its own
                // state first thing, before it can echo anything)
                let owner = self.clients.contains(&client)
                    || (self.clients.is_empty() && gone.user_id == Some(self.editor.user_id));
                if entry.clock <= gone.clock && !owner {
                    continue;
                }
            }
            if &*entry.json == "null" {
                if let Some(p) = st.peers.remove(&client) {
                    st.remember_gone(client, entry.clock, &p);
                    self.clients.remove(&client);
                    accepted.push((client, entry));
                }
                continue;
            }
            if self.clients.len() >= 8 && !self.clients.contains(&client) {
                continue; // one tab announces one client id; allow a few, not thousands
            }
            let mut state: serde_json::Map<String, Value> =
                serde_json::from_str(&entry.json).unwrap_or_default();
            let color = state
                .get("user")
                .and_then(|u| u.get("color"))
                .and_then(Value::as_str)
                .filter(|c| {
                    c.len() == 7
                        && c.starts_with('#')
                        && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
                })
                .map(str::to_string)
                .unwrap_or_else(|| color_for(self.editor.user_id));
            state.insert(
                "user".into(),
                json!({"id": self.editor.user_id, "name": self.editor.name, "color": color}),
            );
            let json: Arc<str> = Value::Object(state).to_string().into();
            if json.len() > 16 * 1024 {
                continue;
            }
            st.gone.remove(&client);
            st.peers.insert(
                client,
                Peer {
                    conn: self.id,
                    origin: None,
                    clock: entry.clock,
                    json: json.clone(),
                    seen: Instant::now(),
                },
            );
            self.clients.insert(client);
            accepted.push((
                client,
                AwarenessUpdateEntry {
                    clock: entry.clock,
                    json,
                },
            ));
        }
        if !accepted.is_empty() {
            let update = AwarenessUpdate {
                clients: accepted.into_iter().collect(),
            };
            self.room
                .relay(st.epoch, Kind::Awareness, update.encode_v1());
            // to every connection, the sender too: a client alone in the room hears its own
            // renewals, which keeps standard y-websocket clients (30 s silence = reconnect)
            // from dropping the connection
            let _ = self.room.events.send(RoomEvent::Frame {
                from: 0,
                data: Arc::new(Message::Awareness(update).encode_v1()),
            });
        }
    }

    async fn control(&mut self, data: &[u8]) -> Option<Vec<u8>> {
        let message: ControlMessage = serde_json::from_slice(data).ok()?;
        match message {
            ControlMessage::Flush => {
                let (tx, rx) = oneshot::channel();
                let _ = self.room.persist.send(Persist::Flush(tx));
                match rx.await.unwrap_or(Written::Failed) {
                    Written::Rev(_) => None, // the `saved` broadcast reached this client too
                    Written::Nothing => {
                        let rev = self.room.state.lock().await.rev;
                        Some(control(&ControlMessage::saved(rev)))
                    }
                    Written::Failed => Some(control(&ControlMessage::error("save_failed"))),
                }
            }
            ControlMessage::Resume { epoch } => {
                let st = self.room.state.lock().await;
                if epoch.is_some_and(|e| e != st.epoch) {
                    self.stale = true;
                    Some(control(&ControlMessage::Reset { epoch: st.epoch }))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// The frames other editors (and the server) send to this client. Taken once, so the
    /// socket can wait on it while [`Connection::receive`] handles the client's frames.
    pub fn feed(&mut self) -> Feed {
        Feed {
            conn: self.id,
            events: self.events.take().expect("the feed is taken once"),
        }
    }

    /// The socket is gone: remove this connection's presence and leave the room.
    pub async fn close(self) {
        {
            let mut st = self.room.state.lock().await;
            let mut gone = Vec::new();
            for client in &self.clients {
                if let Some(p) = st.peers.remove(client) {
                    st.remember_gone(*client, p.clock + 1, &p);
                    gone.push((
                        *client,
                        AwarenessUpdateEntry {
                            clock: p.clock + 1,
                            json: "null".into(),
                        },
                    ));
                }
            }
            if !gone.is_empty() {
                let update = AwarenessUpdate {
                    clients: gone.into_iter().collect(),
                };
                self.room
                    .relay(st.epoch, Kind::Awareness, update.encode_v1());
                let _ = self.room.events.send(RoomEvent::Frame {
                    from: self.id,
                    data: Arc::new(Message::Awareness(update).encode_v1()),
                });
            }
        }
        self.hub.release(&self.room).await;
    }
}

/// What a connection receives from its room.
pub struct Feed {
    conn: u64,
    events: broadcast::Receiver<RoomEvent>,
}

impl Feed {
    /// The next frame for this client; `None` when the room closed (or this client fell too
    /// far behind: it reconnects and resyncs, which is cheap and always correct).
    pub async fn next_frame(&mut self) -> Option<Arc<Vec<u8>>> {
        loop {
            match self.events.recv().await {
                Ok(RoomEvent::Frame { from, data }) => {
                    if from != self.conn {
                        return Some(data);
                    }
                }
                Ok(RoomEvent::Closed) => return None,
                Err(broadcast::error::RecvError::Lagged(_)) => return None,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// A stable colour per agent for carets and the presence list.
pub fn color_for(user_id: i64) -> String {
    const COLORS: [&str; 8] = [
        "#e8590c", "#1c7ed6", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#d6336c", "#5c7cfa",
    ];
    COLORS[user_id.unsigned_abs() as usize % COLORS.len()].to_string()
}

// ---------------------------------------------------------------------------------------------
// Persistence

async fn persist_loop(
    store: Store,
    hub: std::sync::Weak<Hub>,
    room: std::sync::Weak<Room>,
    mut rx: mpsc::UnboundedReceiver<Persist>,
    mut since_snapshot: usize,
) {
    let mut batch: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut dirty = false;
    let mut janitor = tokio::time::interval(Duration::from_secs(5));
    // a message that arrived while gathering a batch, handled next
    let mut carried: Option<Persist> = None;
    loop {
        let message = match carried.take() {
            Some(m) => m,
            None => tokio::select! {
                m = rx.recv() => match m { Some(m) => m, None => break },
                _ = tokio::time::sleep(IDLE_SNAPSHOT), if dirty => {
                    dirty = match room.upgrade() {
                        Some(room) => {
                            write(&store, &room, &mut batch, true, &mut since_snapshot).await
                                == Written::Failed
                        }
                        None => false,
                    };
                    continue;
                }
                _ = janitor.tick() => {
                    if let Some(room) = room.upgrade() {
                        expire_peers(&room).await;
                        if let Some(hub) = hub.upgrade() && hub.relays() {
                            check_stored(&store, &hub, &room).await;
                        }
                    }
                    continue;
                }
            },
        };
        let Some(room) = room.upgrade() else { break };
        match message {
            Persist::Update { user_id, bytes } => {
                batch.push((user_id, bytes));
                // gather what arrives in the next few milliseconds into the same write
                let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
                while let Ok(Some(m)) = tokio::time::timeout_at(deadline, rx.recv()).await {
                    match m {
                        Persist::Update { user_id, bytes } => batch.push((user_id, bytes)),
                        other => {
                            carried = Some(other);
                            break;
                        }
                    }
                }
                let snapshot_now = since_snapshot + batch.len() >= SNAPSHOT_EVERY;
                let written =
                    write(&store, &room, &mut batch, snapshot_now, &mut since_snapshot).await;
                // a failed write is retried after the quiet period
                dirty = !snapshot_now || written == Written::Failed;
            }
            Persist::Flush(done) => {
                let written = write(&store, &room, &mut batch, true, &mut since_snapshot).await;
                dirty = written == Written::Failed;
                let _ = done.send(written);
            }
            Persist::Leave => {
                if dirty {
                    write(&store, &room, &mut batch, true, &mut since_snapshot).await;
                }
                break;
            }
        }
    }
}

async fn expire_peers(room: &Room) {
    let mut st = room.state.lock().await;
    st.gone.retain(|_, g| g.at.elapsed() < GONE_FOR);
    let expired: Vec<ClientID> = st
        .peers
        .iter()
        .filter(|(_, p)| p.seen.elapsed() > AWARENESS_TIMEOUT)
        .map(|(id, _)| *id)
        .collect();
    if expired.is_empty() {
        return;
    }
    let mut gone = HashMap::new();
    let mut gone_here = HashMap::new();
    for id in expired {
        if let Some(p) = st.peers.remove(&id) {
            st.remember_gone(id, p.clock + 1, &p);
            let entry = AwarenessUpdateEntry {
                clock: p.clock + 1,
                json: "null".into(),
            };
            if p.origin.is_none() {
                gone_here.insert(id, entry.clone());
            }
            gone.insert(id, entry);
        }
    }
    if !gone_here.is_empty() {
        let update = AwarenessUpdate { clients: gone_here };
        room.relay(st.epoch, Kind::Awareness, update.encode_v1());
    }
    let _ = room.events.send(RoomEvent::Frame {
        from: 0,
        data: Arc::new(Message::Awareness(AwarenessUpdate { clients: gone }).encode_v1()),
    });
}

/// With several instances, every few seconds: a room whose draft ended elsewhere (and whose
/// close message was lost) closes, and what other instances stored that this room lacks (a
/// relay message that never arrived) is applied and sent to its editors.
async fn check_stored(store: &Store, hub: &Arc<Hub>, room: &Arc<Room>) {
    let (epoch, rev) = {
        let st = room.state.lock().await;
        if st.closed {
            return;
        }
        (st.epoch, st.rev)
    };
    let facts: std::result::Result<Option<(i64, Option<i64>)>, sqlx::Error> = async {
        let mut conn = store.pool().acquire().await?;
        sqlx::query_as(
            "SELECT t.shared_draft_epoch, d.rev FROM tickets t \
             LEFT JOIN ticket_shared_drafts d ON d.ticket_id = t.id AND d.epoch = t.shared_draft_epoch \
             WHERE t.id = $1",
        )
        .bind(room.ticket_id)
        .fetch_optional(&mut *conn)
        .await
    }
    .await;
    match facts {
        Ok(None) => {
            hub.close_local(room.ticket_id, ControlMessage::TicketDeleted)
                .await
        }
        Ok(Some((stored_epoch, _))) if stored_epoch != epoch => {
            hub.close_local(room.ticket_id, ControlMessage::Deleted { by: None })
                .await
        }
        Ok(Some((_, Some(stored_rev)))) if stored_rev > rev => {
            let stored = async {
                let mut conn = store.read().await?;
                load_stored(&mut conn, room.ticket_id).await
            }
            .await;
            let stored = match stored {
                Ok(stored) if stored.epoch == epoch => stored,
                Ok(_) => return,
                Err(e) => {
                    tracing::debug!(ticket_id = room.ticket_id, error = %e, "reading a room's draft failed");
                    return;
                }
            };
            for part in std::iter::once(&stored.snapshot)
                .filter(|s| !s.is_empty())
                .chain(stored.updates.iter())
            {
                room.absorb_and_forward(part).await;
            }
            let mut st = room.state.lock().await;
            st.rev = st.rev.max(stored.rev);
            if st.draft_id.is_none() {
                st.draft_id = stored.draft_id;
            }
        }
        Ok(Some(_)) => {}
        Err(e) => tracing::debug!(ticket_id = room.ticket_id, error = %e, "checking a room failed"),
    }
}

/// Writes the batch to the update log (creating the draft row on the first write), or a new
/// snapshot with the derived projection. Announces `saved` when it committed.
async fn write(
    store: &Store,
    room: &Arc<Room>,
    batch: &mut Vec<(i64, Vec<u8>)>,
    snapshot: bool,
    since_snapshot: &mut usize,
) -> Written {
    if batch.is_empty() && !snapshot {
        return Written::Nothing;
    }
    // Lock order, everywhere: the store's write transaction first, then the ticket's row, then
    // the room's write lock
    // (a REST write or a DeskHero request reaches the room inside its own transaction; taking
    // them the other way round here deadlocked against such a write on SQLite's one writer).
    let mut tx = match store.write().await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::warn!(ticket_id = room.ticket_id, error = %e, "shared draft write failed");
            return Written::Failed;
        }
    };
    // Then the ticket's row (PostgreSQL), as every ticket write and a REST draft write lock it
    // before the draft's: a draft row locked first deadlocked with sending the draft, which
    // holds the ticket and deletes the draft (the second UPDATE of the draft row in one
    // transaction re-checks its foreign key to the ticket, KEY SHARE against FOR UPDATE).
    if let Err(e) = crate::tickets::articles::lock_ticket(&mut tx, room.ticket_id).await {
        tracing::warn!(ticket_id = room.ticket_id, error = %e, "shared draft write failed");
        return Written::Failed;
    }
    let _guard = room.write_lock.lock().await;
    let user_id = batch.last().map(|(u, _)| *u);
    let result = write_locked(tx, room, batch, snapshot, user_id).await;
    match result {
        Ok(Some(rev)) => {
            if snapshot {
                *since_snapshot = 0;
            } else {
                *since_snapshot += batch.len();
            }
            batch.clear();
            let _ = room.events.send(RoomEvent::Frame {
                from: 0,
                data: Arc::new(control(&ControlMessage::saved(rev))),
            });
            Written::Rev(rev)
        }
        Ok(None) => {
            batch.clear(); // nothing to write, or the draft is gone
            Written::Nothing
        }
        Err(e) => {
            // keep the batch: the next write retries it
            tracing::warn!(ticket_id = room.ticket_id, error = %e, "shared draft write failed");
            Written::Failed
        }
    }
}

async fn write_locked(
    mut tx: crate::storage::store::WriteTx,
    room: &Arc<Room>,
    batch: &[(i64, Vec<u8>)],
    snapshot: bool,
    user_id: Option<i64>,
) -> Result<Option<i64>> {
    let (epoch, draft_id, full) = {
        let st = room.state.lock().await;
        if st.closed {
            return Ok(None);
        }
        let needs_row = st.draft_id.is_none();
        if needs_row && document::is_blank(&st.doc) {
            return Ok(None);
        }
        let full = (snapshot || needs_row)
            .then(|| (document::snapshot(&st.doc), document::project(&st.doc)));
        (st.epoch, st.draft_id, full)
    };
    let current_epoch: Option<i64> =
        sqlx::query_scalar("SELECT shared_draft_epoch FROM tickets WHERE id = $1")
            .bind(room.ticket_id)
            .fetch_optional(&mut *tx)
            .await?;
    if current_epoch != Some(epoch) {
        return Ok(None); // sent or deleted meanwhile
    }
    let now = clock::now();
    let mut full = full;
    let draft_id = match draft_id {
        Some(id) => Some(id),
        // another instance may have stored the draft first: write into its row
        None => {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM ticket_shared_drafts WHERE ticket_id = $1 AND epoch = $2",
            )
            .bind(room.ticket_id)
            .bind(epoch)
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_some() && full.is_none() {
                let st = room.state.lock().await;
                full = Some((document::snapshot(&st.doc), document::project(&st.doc)));
            }
            found
        }
    };
    let mut merged = None;
    let (id, rev) = match (draft_id, full) {
        (None, Some((bytes, projection))) => {
            let by = user_id.unwrap_or(1);
            let id =
                super::zoom::insert_row(&mut tx, room.ticket_id, epoch, &bytes, &projection, by)
                    .await?;
            (id, 1)
        }
        (Some(id), Some((bytes, projection))) => {
            let (rev, stored) =
                super::zoom::update_row(&mut tx, id, &bytes, &projection, user_id).await?;
            merged = stored;
            (id, rev)
        }
        (Some(id), None) => {
            for (user, bytes) in batch {
                sqlx::query("INSERT INTO ticket_shared_draft_updates (draft_id, payload, user_id, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(bytes.clone())
                    .bind(*user)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
            }
            let rev: i64 = sqlx::query_scalar(
                "UPDATE ticket_shared_drafts SET rev = rev + 1, updated_by_id = $2, updated_at = $3 WHERE id = $1 RETURNING rev",
            )
            .bind(id)
            .bind(user_id.unwrap_or(1))
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?;
            (id, rev)
        }
        (None, None) => return Ok(None),
    };
    // at once: the caller holds the room's write lock, which the next writer may wait for
    // inside its transaction (a batched commit would wait for that writer)
    tx.commit_at_once().await?;
    if let Some(merged) = merged {
        // another instance stored what this room had not seen: its editors get it now
        room.absorb_and_forward(&merged).await;
    }
    let mut st = room.state.lock().await;
    st.draft_id = Some(id);
    st.rev = rev;
    Ok(Some(rev))
}

// ---------------------------------------------------------------------------------------------
// REST access to the live document (used by `zoom`)

impl Room {
    /// Runs `f` on the document under the room's lock.
    pub(super) async fn with_doc<R>(&self, f: impl FnOnce(&Doc) -> R) -> R {
        let st = self.state.lock().await;
        f(&st.doc)
    }

    pub(super) async fn ids(&self) -> (i64, Option<i64>, i64) {
        let st = self.state.lock().await;
        (st.epoch, st.draft_id, st.rev)
    }

    pub(super) async fn set_ids(&self, draft_id: Option<i64>, rev: i64) {
        let mut st = self.state.lock().await;
        st.draft_id = draft_id;
        st.rev = rev;
    }

    /// Remembers what a REST reader was shown at revision `rev`.
    pub(super) async fn remember_served(&self, rev: i64, blocks: Vec<super::content::SeenBlock>) {
        let mut st = self.state.lock().await;
        st.served.retain(|(r, _)| *r != rev);
        st.served.push_back((rev, blocks));
        while st.served.len() > 16 {
            st.served.pop_front();
        }
    }

    /// The blocks a REST writer based its change on: those shown at revision `rev`, or the
    /// latest shown.
    pub(super) async fn served_base(
        &self,
        rev: Option<i64>,
    ) -> Option<Vec<super::content::SeenBlock>> {
        let st = self.state.lock().await;
        match rev {
            Some(rev) => st
                .served
                .iter()
                .find(|(r, _)| *r == rev)
                .map(|(_, b)| b.clone()),
            None => st.served.back().map(|(_, b)| b.clone()),
        }
    }

    /// Broadcasts an update the server made (REST) and a control message; the update goes to
    /// the other instances' rooms too.
    pub(super) async fn broadcast(&self, update: &[u8], message: ControlMessage) {
        if !update.is_empty() {
            let epoch = self.state.lock().await.epoch;
            self.relay(epoch, Kind::Update, update.to_vec());
            let _ = self.events.send(RoomEvent::Frame {
                from: 0,
                data: Arc::new(sync_update(update)),
            });
        }
        let _ = self.events.send(RoomEvent::Frame {
            from: 0,
            data: Arc::new(control(&message)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_messages_are_tagged_json() {
        let text = |m: &ControlMessage| serde_json::to_string(m).unwrap();
        // a deleted ticket is not a discarded draft: the composer stops on the first, starts
        // a new draft on the second (docs/collab-editing.md §6)
        assert_eq!(
            text(&ControlMessage::TicketDeleted),
            r#"{"t":"ticket_deleted"}"#
        );
        assert_eq!(
            text(&ControlMessage::Deleted { by: None }),
            r#"{"t":"deleted"}"#
        );
        assert_eq!(
            serde_json::from_str::<ControlMessage>(r#"{"t":"ticket_deleted"}"#).unwrap(),
            ControlMessage::TicketDeleted
        );
        let frame = control(&ControlMessage::TicketDeleted);
        let mut expected = vec![MSG_CONTROL, 22];
        expected.extend_from_slice(br#"{"t":"ticket_deleted"}"#);
        assert_eq!(frame, expected);
    }
}
