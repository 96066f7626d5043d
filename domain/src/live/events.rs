//! Live events for open browser tabs: "this ticket changed", "this ticket is gone", and who is
//! viewing (or typing on) a ticket. One in-process [`Bus`] fans them out to every tab's socket;
//! each socket filters them with the policy module before anything reaches a browser.
//!
//! Several app instances on one PostgreSQL database: [`Bus::listen_postgres`] makes
//! [`Bus::publish`] also `NOTIFY tandem_events` and starts one `LISTEN` task that hands what
//! other instances published to [`Bus::deliver`]. Events are small, self-contained JSON (ids
//! and policy facts, never ticket content), well under NOTIFY's 8000-byte payload. One task
//! sends them, in order: what queued while its last `NOTIFY` ran goes out together, as a
//! JSON array of up to [`NOTIFY_PAYLOAD_LIMIT`] bytes ([`pack`]), so under write load an
//! instance does not add a statement to the database for every change.
//!
//! Who is viewing a ticket spans the instances too: each instance announces the viewers of
//! its own tabs per ticket (when they change, and again every [`VIEWERS_RENEW`]); the others
//! keep the latest list per instance, drop it after [`VIEWERS_EXPIRE`] without renewal (an
//! instance that died), and show one merged row with every user once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use crate::policy::TicketFacts;

/// Who may hear about a ticket: its policy facts, as they were when the event happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    pub group_id: i64,
    pub customer_id: i64,
    pub organization_id: Option<i64>,
}

impl Audience {
    pub fn of(facts: &TicketFacts) -> Audience {
        Audience {
            group_id: facts.group_id,
            customer_id: facts.customer_id,
            organization_id: facts.organization_id,
        }
    }

    pub fn facts(&self) -> TicketFacts {
        TicketFacts {
            group_id: self.group_id,
            customer_id: self.customer_id,
            organization_id: self.organization_id,
            closed: false,
        }
    }
}

/// Someone looking at a ticket right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: i64,
    pub name: String,
    pub typing: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Event {
    /// The ticket or its thread changed. `before` is set when the change moved the ticket
    /// (another group or customer): tabs that could see it before hear about it too, so that
    /// their lists drop it. `customer_visible` is false for agent-only changes (an internal
    /// note): customers are not even told that something happened.
    TicketChanged {
        ticket_id: i64,
        audience: Audience,
        before: Option<Audience>,
        customer_visible: bool,
    },
    TicketDeleted {
        ticket_id: i64,
        audience: Audience,
    },
    /// The agents viewing a ticket (sent to agents only).
    Viewers {
        ticket_id: i64,
        audience: Audience,
        viewers: Vec<Viewer>,
    },
}

impl Event {
    pub fn ticket_id(&self) -> i64 {
        match self {
            Event::TicketChanged { ticket_id, .. }
            | Event::TicketDeleted { ticket_id, .. }
            | Event::Viewers { ticket_id, .. } => *ticket_id,
        }
    }
}

/// Fan-out of [`Event`]s to every subscriber of this process (see the module docs for several).
pub struct Bus {
    sender: broadcast::Sender<Event>,
    viewing: Mutex<HashMap<i64, ViewingRoom>>,
    /// Tells this instance's own notifications apart from the others'.
    instance: u64,
    /// Set once the bus shares events through PostgreSQL: the queue of the task that sends
    /// them (wire messages as JSON objects).
    outbox: OnceLock<mpsc::Sender<String>>,
    /// Viewers on the other instances: ticket → instance → their list.
    remote_viewing: Mutex<HashMap<i64, HashMap<u64, RemoteViewers>>>,
}

const CHANNEL: &str = "tandem_events";
/// How often an instance announces its viewers again (several instances).
pub const VIEWERS_RENEW: Duration = Duration::from_secs(10);
/// Another instance's viewers not renewed for this long are dropped.
pub const VIEWERS_EXPIRE: Duration = Duration::from_secs(25);
/// Viewers of one ticket one instance announces at most (the payload stays small).
const MAX_ANNOUNCED_VIEWERS: usize = 40;
/// The longest `NOTIFY` payload sent, in bytes (PostgreSQL refuses 8000 and more).
pub const NOTIFY_PAYLOAD_LIMIT: usize = 7_900;
/// Wire messages waiting for the sending task at most; more are dropped (with a warning), as
/// live events are hints that a tab reloads on, not the record of a change.
const OUTBOX_CAPACITY: usize = 4_096;

struct RemoteViewers {
    audience: Audience,
    viewers: Vec<Viewer>,
    seen: Instant,
}

/// What travels through NOTIFY: a ticket event, an instance's viewers of a ticket, or a new
/// instance asking the others to announce theirs.
#[derive(Serialize, Deserialize)]
struct Wire {
    origin: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    viewing: Option<Viewing>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    query: bool,
}

/// One instance's viewers of a ticket (one entry per user; empty: none left).
#[derive(Serialize, Deserialize)]
struct Viewing {
    ticket_id: i64,
    audience: Audience,
    viewers: Vec<Viewer>,
}

struct ViewingRoom {
    audience: Audience,
    /// tab id → viewer
    tabs: HashMap<u64, Viewer>,
}

impl Default for Bus {
    fn default() -> Self {
        Bus::new()
    }
}

impl Bus {
    pub fn new() -> Bus {
        let (sender, _) = broadcast::channel(1024);
        Bus {
            sender,
            viewing: Mutex::new(HashMap::new()),
            instance: rand::random(),
            outbox: OnceLock::new(),
            remote_viewing: Mutex::new(HashMap::new()),
        }
    }

    /// Shares ticket events with the other instances on the same PostgreSQL database (see the
    /// module docs). Call once at start-up; it returns when the LISTEN connection is up.
    pub async fn listen_postgres(self: &Arc<Self>, store: &crate::Store) -> crate::Result<()> {
        let mut listener = sqlx::postgres::PgListener::connect(store.url()).await?;
        listener.listen(CHANNEL).await?;
        let (outbox, queued) = mpsc::channel(OUTBOX_CAPACITY);
        if self.outbox.set(outbox).is_ok() {
            tokio::spawn(send_notifications(store.pool().clone(), queued));
        }
        let bus = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                // recv reconnects by itself after a lost connection
                match listener.recv().await {
                    Ok(notification) => {
                        let Some(bus) = bus.upgrade() else { break };
                        match unpack(notification.payload()) {
                            Ok(wires) => {
                                for wire in wires {
                                    if wire.origin != bus.instance {
                                        bus.receive(wire);
                                    }
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "unreadable live event from a peer")
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "live events: LISTEN connection failed");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        // viewers: renewed while this instance runs, others' expire when theirs stops
        let bus = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(VIEWERS_RENEW);
            loop {
                tick.tick().await;
                let Some(bus) = bus.upgrade() else { break };
                bus.renew_viewers();
            }
        });
        self.notify(Wire {
            origin: self.instance,
            event: None,
            viewing: None,
            query: true,
        });
        Ok(())
    }

    /// Sends a wire message to the other instances (nothing without PostgreSQL): queued for
    /// the sending task ([`send_notifications`]).
    fn notify(&self, wire: Wire) {
        let Some(outbox) = self.outbox.get() else {
            return;
        };
        let Ok(payload) = serde_json::to_string(&wire) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = outbox.try_send(payload) {
            tracing::warn!("live events: NOTIFY queue full, an event for other instances dropped");
        }
    }

    /// A message from another instance.
    fn receive(&self, wire: Wire) {
        if let Some(event) = wire.event {
            self.deliver(event);
        }
        if let Some(viewing) = wire.viewing {
            {
                let mut remote = self
                    .remote_viewing
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                let of_ticket = remote.entry(viewing.ticket_id).or_default();
                if viewing.viewers.is_empty() {
                    of_ticket.remove(&wire.origin);
                } else {
                    let mut viewers = viewing.viewers;
                    viewers.truncate(MAX_ANNOUNCED_VIEWERS);
                    of_ticket.insert(
                        wire.origin,
                        RemoteViewers {
                            audience: viewing.audience,
                            viewers,
                            seen: Instant::now(),
                        },
                    );
                }
                if of_ticket.is_empty() {
                    remote.remove(&viewing.ticket_id);
                }
            }
            self.announce_merged(viewing.ticket_id, Some(viewing.audience));
        }
        if wire.query {
            self.renew_viewers();
        }
    }

    /// This instance's viewers of a ticket, one entry per user.
    fn local_viewers(&self, ticket_id: i64) -> Option<(Audience, Vec<Viewer>)> {
        let rooms = self.viewing.lock().unwrap_or_else(|e| e.into_inner());
        let room = rooms.get(&ticket_id)?;
        Some((room.audience, merge_viewers(room.tabs.values())))
    }

    /// Announces this instance's viewers of every ticket again, and drops other instances'
    /// lists that were not renewed.
    fn renew_viewers(&self) {
        let tickets: Vec<i64> = {
            let rooms = self.viewing.lock().unwrap_or_else(|e| e.into_inner());
            rooms.keys().copied().collect()
        };
        for ticket_id in tickets {
            self.share_viewers(ticket_id);
        }
        let expired: Vec<i64> = {
            let mut remote = self
                .remote_viewing
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let mut expired = Vec::new();
            for (ticket_id, of_ticket) in remote.iter_mut() {
                let before = of_ticket.len();
                of_ticket.retain(|_, r| r.seen.elapsed() < VIEWERS_EXPIRE);
                if of_ticket.len() != before {
                    expired.push(*ticket_id);
                }
            }
            remote.retain(|_, of_ticket| !of_ticket.is_empty());
            expired
        };
        for ticket_id in expired {
            self.announce_merged(ticket_id, None);
        }
    }

    /// Tells the other instances who views a ticket here.
    fn share_viewers(&self, ticket_id: i64) {
        if self.outbox.get().is_none() {
            return;
        }
        let (audience, mut viewers) = match self.local_viewers(ticket_id) {
            Some(local) => local,
            None => match self.remote_audience(ticket_id) {
                Some(audience) => (audience, Vec::new()),
                None => return,
            },
        };
        viewers.truncate(MAX_ANNOUNCED_VIEWERS);
        self.notify(Wire {
            origin: self.instance,
            event: None,
            viewing: Some(Viewing {
                ticket_id,
                audience,
                viewers,
            }),
            query: false,
        });
    }

    fn remote_audience(&self, ticket_id: i64) -> Option<Audience> {
        let remote = self
            .remote_viewing
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        remote
            .get(&ticket_id)
            .and_then(|m| m.values().next())
            .map(|r| r.audience)
    }

    /// Delivers the merged viewers of a ticket to this instance's tabs.
    fn announce_merged(&self, ticket_id: i64, audience: Option<Audience>) {
        let (audience, viewers) = match self.viewers(ticket_id) {
            Some(merged) => merged,
            None => match audience {
                Some(audience) => (audience, Vec::new()),
                None => return,
            },
        };
        self.deliver(Event::Viewers {
            ticket_id,
            audience,
            viewers,
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Announces an event (after the transaction that caused it committed): to this
    /// instance's tabs, and through PostgreSQL to the other instances' when connected.
    pub fn publish(&self, event: Event) {
        let shared = matches!(
            event,
            Event::TicketChanged { .. } | Event::TicketDeleted { .. }
        );
        if shared {
            self.notify(Wire {
                origin: self.instance,
                event: Some(event.clone()),
                viewing: None,
                query: false,
            });
        }
        self.deliver(event);
    }

    /// Hands an event to this process's subscribers.
    pub fn deliver(&self, event: Event) {
        // no subscriber is not an error: nobody has a tab open
        let _ = self.sender.send(event);
    }

    /// A tab started (or keeps) viewing a ticket; `typing` tells whether its user is writing.
    pub fn view(&self, tab: u64, ticket_id: i64, audience: Audience, viewer: Viewer) {
        let changed = {
            let mut rooms = self.viewing.lock().unwrap_or_else(|e| e.into_inner());
            let room = rooms.entry(ticket_id).or_insert_with(|| ViewingRoom {
                audience,
                tabs: HashMap::new(),
            });
            room.audience = audience;
            room.tabs.insert(tab, viewer.clone()) != Some(viewer)
        };
        if changed {
            self.announce_viewers(ticket_id);
        }
    }

    /// A tab stopped viewing a ticket (navigated away or closed).
    pub fn leave(&self, tab: u64, ticket_id: i64) {
        let changed = {
            let mut rooms = self.viewing.lock().unwrap_or_else(|e| e.into_inner());
            match rooms.get_mut(&ticket_id) {
                Some(room) => room.tabs.remove(&tab).is_some(),
                None => false,
            }
        };
        if changed {
            self.announce_viewers(ticket_id);
        }
    }

    /// Who views a ticket now, on this instance and (with PostgreSQL) the others: one entry
    /// per user (typing if any of their tabs types), sorted by name.
    pub fn viewers(&self, ticket_id: i64) -> Option<(Audience, Vec<Viewer>)> {
        let local = self.local_viewers(ticket_id);
        let remote = self
            .remote_viewing
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let others = remote.get(&ticket_id);
        let audience = match (&local, others) {
            (Some((audience, _)), _) => *audience,
            (None, Some(others)) => others.values().next()?.audience,
            (None, None) => return None,
        };
        let local_list = local.map(|(_, v)| v).unwrap_or_default();
        let merged = merge_viewers(
            local_list.iter().chain(
                others
                    .into_iter()
                    .flat_map(|m| m.values())
                    .flat_map(|r| &r.viewers),
            ),
        );
        Some((audience, merged))
    }

    fn announce_viewers(&self, ticket_id: i64) {
        self.share_viewers(ticket_id);
        let Some((audience, viewers)) = self.viewers(ticket_id) else {
            return;
        };
        {
            let mut rooms = self.viewing.lock().unwrap_or_else(|e| e.into_inner());
            if rooms.get(&ticket_id).is_some_and(|r| r.tabs.is_empty()) {
                rooms.remove(&ticket_id);
            }
        }
        self.deliver(Event::Viewers {
            ticket_id,
            audience,
            viewers,
        });
    }
}

/// One entry per user (typing if any of theirs types), sorted by name then id.
fn merge_viewers<'a>(viewers: impl Iterator<Item = &'a Viewer>) -> Vec<Viewer> {
    let mut by_user: Vec<Viewer> = Vec::new();
    for viewer in viewers {
        match by_user.iter_mut().find(|v| v.user_id == viewer.user_id) {
            Some(seen) => seen.typing |= viewer.typing,
            None => by_user.push(viewer.clone()),
        }
    }
    by_user.sort_by(|a, b| a.name.cmp(&b.name).then(a.user_id.cmp(&b.user_id)));
    by_user
}

/// May a browser tab of `actor` be told about a live event? Only about tickets they can read;
/// customers are not told about agent-only changes (an internal note), and only agents with
/// access to the group learn who is viewing it. A ticket that moved away (another group or
/// customer) is announced to those who could see it before, so that their lists drop it.
pub fn can_hear(actor: &crate::Actor, event: &Event) -> bool {
    let sees = |a: &Audience| crate::policy::can_show_ticket(actor, &a.facts());
    let agent_of =
        |a: &Audience| actor.has_group_access(a.group_id, crate::policy::access::AccessLevel::Read);
    match event {
        Event::TicketChanged {
            audience,
            before,
            customer_visible,
            ..
        } => {
            let audiences = std::iter::once(audience).chain(before.as_ref());
            audiences
                .filter(|a| sees(a))
                .any(|a| *customer_visible || agent_of(a))
        }
        Event::TicketDeleted { audience, .. } => sees(audience),
        Event::Viewers { audience, .. } => actor.is_agent() && agent_of(audience),
    }
}

/// The task that sends this instance's wire messages (`queued`, JSON objects) to the others:
/// whatever queued while the last `NOTIFY` ran goes out together ([`pack`]), in order. Ends
/// when the bus is gone.
async fn send_notifications(pool: sqlx::AnyPool, mut queued: mpsc::Receiver<String>) {
    while let Some(first) = queued.recv().await {
        let mut messages = vec![first];
        while let Ok(next) = queued.try_recv() {
            messages.push(next);
        }
        for payload in pack(messages, NOTIFY_PAYLOAD_LIMIT) {
            let sent = sqlx::query(crate::storage::ticket_cache::NOTIFY_POSTGRES)
                .bind(CHANNEL)
                .bind(payload)
                .execute(&pool)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "live events: NOTIFY failed");
            }
        }
    }
}

/// Groups wire messages (each a JSON object) into `NOTIFY` payloads of at most `limit` bytes,
/// keeping their order: a message alone stays as it is, several go as one JSON array. A
/// message longer than `limit` goes alone (and PostgreSQL refuses it, as before).
pub fn pack(messages: Vec<String>, limit: usize) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut group: Vec<String> = Vec::new();
    // the group's length as an array: brackets and commas included
    let mut length = 1;
    let flush = |group: &mut Vec<String>, payloads: &mut Vec<String>| match group.len() {
        0 => {}
        1 => payloads.extend(group.pop()),
        _ => payloads.push(format!("[{}]", std::mem::take(group).join(","))),
    };
    for message in messages {
        if !group.is_empty() && length + 1 + message.len() > limit {
            flush(&mut group, &mut payloads);
            length = 1;
        }
        length += 1 + message.len();
        group.push(message);
    }
    flush(&mut group, &mut payloads);
    payloads
}

/// The wire messages of one `NOTIFY` payload: one JSON object, or an array of them ([`pack`]).
fn unpack(payload: &str) -> serde_json::Result<Vec<Wire>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Payload {
        Several(Vec<Wire>),
        One(Wire),
    }
    Ok(match serde_json::from_str(payload)? {
        Payload::Several(wires) => wires,
        Payload::One(wire) => vec![wire],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audience() -> Audience {
        Audience {
            group_id: 1,
            customer_id: 2,
            organization_id: None,
        }
    }

    fn viewer(id: i64, name: &str, typing: bool) -> Viewer {
        Viewer {
            user_id: id,
            name: name.into(),
            typing,
        }
    }

    #[test]
    fn viewers_are_announced_per_user_and_removed_on_leave() {
        let bus = Bus::new();
        let mut rx = bus.subscribe();
        bus.view(1, 7, audience(), viewer(3, "Anna", false));
        bus.view(2, 7, audience(), viewer(4, "Bob", false));
        bus.view(3, 7, audience(), viewer(3, "Anna", true)); // Anna's second tab types
        let mut last = None;
        while let Ok(event) = rx.try_recv() {
            last = Some(event);
        }
        let Some(Event::Viewers { viewers, .. }) = last else {
            panic!("no viewers event");
        };
        assert_eq!(
            viewers,
            vec![viewer(3, "Anna", true), viewer(4, "Bob", false)]
        );
        bus.leave(2, 7);
        let Ok(Event::Viewers { viewers, .. }) = rx.try_recv() else {
            panic!("no event after leave");
        };
        assert_eq!(viewers.len(), 1);
        // repeating the same state announces nothing
        bus.view(1, 7, audience(), viewer(3, "Anna", false));
        assert!(rx.try_recv().is_err());
        bus.leave(1, 7);
        bus.leave(3, 7);
        let mut last = None;
        while let Ok(event) = rx.try_recv() {
            last = Some(event);
        }
        assert!(matches!(last, Some(Event::Viewers { ref viewers, .. }) if viewers.is_empty()));
        assert!(bus.viewers(7).is_none());
    }

    fn wire(ticket_id: i64) -> String {
        serde_json::to_string(&Wire {
            origin: 7,
            event: Some(Event::TicketDeleted {
                ticket_id,
                audience: Audience {
                    group_id: 1,
                    customer_id: 2,
                    organization_id: None,
                },
            }),
            viewing: None,
            query: false,
        })
        .unwrap()
    }

    fn tickets(payload: &str) -> Vec<i64> {
        unpack(payload)
            .unwrap()
            .iter()
            .map(|w| w.event.as_ref().unwrap().ticket_id())
            .collect()
    }

    #[test]
    fn one_message_goes_as_it_is() {
        let payloads = pack(vec![wire(1)], NOTIFY_PAYLOAD_LIMIT);
        assert_eq!(payloads, vec![wire(1)]);
        assert_eq!(tickets(&payloads[0]), vec![1]);
    }

    #[test]
    fn several_go_together_in_order_within_the_limit() {
        let messages: Vec<String> = (1..=500).map(wire).collect();
        let payloads = pack(messages.clone(), NOTIFY_PAYLOAD_LIMIT);
        assert!(payloads.len() > 1, "500 messages do not fit one payload");
        assert!(payloads.len() < 500 / 10, "{} payloads", payloads.len());
        for payload in &payloads {
            assert!(payload.len() <= NOTIFY_PAYLOAD_LIMIT, "{}", payload.len());
        }
        let all: Vec<i64> = payloads.iter().flat_map(|p| tickets(p)).collect();
        assert_eq!(all, (1..=500).collect::<Vec<i64>>());
        // exactly at the limit: one payload; one byte less: two
        let two = vec![wire(1), wire(2)];
        let exact = two.iter().map(String::len).sum::<usize>() + 3;
        assert_eq!(pack(two.clone(), exact).len(), 1);
        assert_eq!(pack(two, exact - 1).len(), 2);
    }

    #[test]
    fn a_message_over_the_limit_goes_alone() {
        let long = wire(2);
        let payloads = pack(vec![wire(1), long.clone(), wire(3)], long.len() - 1);
        assert_eq!(payloads, vec![wire(1), long, wire(3)]);
    }
}
