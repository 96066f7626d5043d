//! Live events for open browser tabs: "this ticket changed", "this ticket is gone", and who is
//! viewing (or typing on) a ticket. One in-process [`Bus`] fans them out to every tab's socket;
//! each socket filters them with the policy module before anything reaches a browser.
//!
//! Several app instances on one PostgreSQL database: [`Bus::listen_postgres`] makes
//! [`Bus::publish`] also `NOTIFY tandem_events` and starts one `LISTEN` task that hands what
//! other instances published to [`Bus::deliver`]. Events are small, self-contained JSON (ids
//! and policy facts, never ticket content), well under NOTIFY's 8000-byte payload. Who is
//! viewing a ticket stays per instance (each instance announces its own tabs).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

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
    /// Set once the bus shares events through PostgreSQL.
    peers: OnceLock<crate::Store>,
}

const CHANNEL: &str = "tandem_events";

/// What travels through NOTIFY.
#[derive(Serialize, Deserialize)]
struct Wire {
    origin: u64,
    event: Event,
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
            peers: OnceLock::new(),
        }
    }

    /// Shares ticket events with the other instances on the same PostgreSQL database (see the
    /// module docs). Call once at start-up; it returns when the LISTEN connection is up.
    pub async fn listen_postgres(self: &Arc<Self>, store: &crate::Store) -> crate::Result<()> {
        let mut listener = sqlx::postgres::PgListener::connect(store.url()).await?;
        listener.listen(CHANNEL).await?;
        let _ = self.peers.set(store.clone());
        let bus = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                // recv reconnects by itself after a lost connection
                match listener.recv().await {
                    Ok(notification) => {
                        let Some(bus) = bus.upgrade() else { break };
                        match serde_json::from_str::<Wire>(notification.payload()) {
                            Ok(wire) if wire.origin != bus.instance => bus.deliver(wire.event),
                            Ok(_) => {}
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
        Ok(())
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
        if shared && let Some(store) = self.peers.get() {
            let wire = Wire {
                origin: self.instance,
                event: event.clone(),
            };
            if let Ok(payload) = serde_json::to_string(&wire) {
                let pool = store.pool().clone();
                tokio::spawn(async move {
                    let sent = sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(CHANNEL)
                        .bind(payload)
                        .execute(&pool)
                        .await;
                    if let Err(e) = sent {
                        tracing::warn!(error = %e, "live events: NOTIFY failed");
                    }
                });
            }
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

    /// Who views a ticket now: one entry per user (typing if any of their tabs types).
    pub fn viewers(&self, ticket_id: i64) -> Option<(Audience, Vec<Viewer>)> {
        let rooms = self.viewing.lock().unwrap_or_else(|e| e.into_inner());
        let room = rooms.get(&ticket_id)?;
        let mut by_user: Vec<Viewer> = Vec::new();
        for viewer in room.tabs.values() {
            match by_user.iter_mut().find(|v| v.user_id == viewer.user_id) {
                Some(seen) => seen.typing |= viewer.typing,
                None => by_user.push(viewer.clone()),
            }
        }
        by_user.sort_by(|a, b| a.name.cmp(&b.name).then(a.user_id.cmp(&b.user_id)));
        Some((room.audience, by_user))
    }

    fn announce_viewers(&self, ticket_id: i64) {
        let Some((audience, viewers)) = self.viewers(ticket_id) else {
            return;
        };
        if viewers.is_empty() {
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
}
