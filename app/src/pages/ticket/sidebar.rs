//! The sidebar: the ticket's state (with a pending state's time), priority, group and owner,
//! chosen here and sent with the reply in one request; the customer; for agents the tools
//! (tags, links, actions: [`SidebarTools`]).

use leptos::prelude::*;

use super::Shared;
use super::tools::SidebarTools;
use crate::api::{Abilities, Choice, TicketChanges, TicketZoom};
use crate::components::avatar::Avatar;
use crate::components::form::{LabelledInput, choice_options};
use crate::components::time::When;
use crate::components::time_input::{local_input, pending_label, tomorrow_nine, utc_of_local};

/// The sidebar's unsaved choices.
#[derive(Clone, Copy)]
pub(super) struct Choices {
    pub state_id: RwSignal<i64>,
    pub priority_id: RwSignal<i64>,
    pub group_id: RwSignal<i64>,
    pub owner_id: RwSignal<i64>,
    /// A pending state's time as the `datetime-local` input holds it (local, `YYYY-MM-DDTHH:MM`).
    pub pending_time: RwSignal<String>,
    /// The states that need a pending time.
    pending_ids: StoredValue<Vec<i64>>,
}

impl Choices {
    pub fn new(t: &TicketZoom) -> Choices {
        Choices {
            state_id: RwSignal::new(t.state_id),
            priority_id: RwSignal::new(t.priority_id),
            group_id: RwSignal::new(t.group_id),
            owner_id: RwSignal::new(t.owner_id),
            pending_time: RwSignal::new(local_input(t.pending_time.as_deref())),
            pending_ids: StoredValue::new(t.pending_state_ids.clone()),
        }
    }

    pub fn is_pending(self, state_id: i64) -> bool {
        self.pending_ids.with_value(|ids| ids.contains(&state_id))
    }

    /// A newer version of the ticket (`was` → `now`): the choices the user has not touched
    /// follow it, touched ones stay. (try_*: the page may have gone away meanwhile.)
    pub fn follow(self, was: &TicketZoom, now: &TicketZoom) {
        let follow = |signal: RwSignal<i64>, was: i64, now: i64| {
            if signal.try_get_untracked() == Some(was) {
                let _ = signal.try_set(now);
            }
        };
        follow(self.state_id, was.state_id, now.state_id);
        follow(self.priority_id, was.priority_id, now.priority_id);
        follow(self.group_id, was.group_id, now.group_id);
        follow(self.owner_id, was.owner_id, now.owner_id);
        if self.pending_time.try_get_untracked() == Some(local_input(was.pending_time.as_deref())) {
            let _ = self
                .pending_time
                .try_set(local_input(now.pending_time.as_deref()));
        }
    }

    /// What the choices change on the ticket `o` (no article; not tracked).
    pub fn changes(self, o: &TicketZoom) -> TicketChanges {
        let mut c = TicketChanges::default();
        let pick = |now: i64, was: i64| (now != was).then_some(now);
        c.state_id = pick(self.state_id.get_untracked(), o.state_id);
        c.priority_id = pick(self.priority_id.get_untracked(), o.priority_id);
        c.group_id = pick(self.group_id.get_untracked(), o.group_id);
        c.owner_id = pick(self.owner_id.get_untracked(), o.owner_id);
        if self.is_pending(self.state_id.get_untracked()) {
            let chosen = self.pending_time.get_untracked();
            if c.state_id.is_some() || chosen != local_input(o.pending_time.as_deref()) {
                c.pending_time = Some(utc_of_local(&chosen).unwrap_or_default());
            }
        }
        c
    }

    /// Whether the choices differ from the ticket `o` (tracked).
    pub fn differ(self, o: &TicketZoom) -> bool {
        self.state_id.get() != o.state_id
            || self.priority_id.get() != o.priority_id
            || self.group_id.get() != o.group_id
            || self.owner_id.get() != o.owner_id
            || (self.is_pending(self.state_id.get())
                && self.pending_time.get() != local_input(o.pending_time.as_deref()))
    }
}

/// The sidebar of the newest version of the ticket, with the unsaved choices; `children` end
/// it (the admin's delete button), so they scroll with the sidebar and are never covered by it.
#[component]
pub(super) fn Sidebar(z: Shared, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    let choices = z.choices;
    // a pending state needs its time: tomorrow 09:00 unless one is set
    Effect::new(move |_| {
        if choices.is_pending(choices.state_id.get())
            && choices.pending_time.get_untracked().is_empty()
        {
            choices.pending_time.set(tomorrow_nine());
        }
    });
    if z.can.shared_draft {
        share_in_draft(z);
    }
    let can = z.can;
    view! {
        <aside class="zoom-side" aria-label="Ticket details">
            {move || view! { <Details t=z.latest.get() sidebar=choices can/> }}
            {can.agent.then(|| view! { <SidebarTools z/> })}
            {move || z.latest.with(|t| view! {
                <p class="muted small">"Created " <When iso=t.created_at.clone()/> <br/> "Updated " <When iso=t.updated_at.clone() relative=true/></p>
            })}
            {children.map(|children| children())}
        </aside>
    }
}

/// Co-editing: the sidebar's choices are part of the shared draft too, so every agent sees
/// (and sends) the same ones.
fn share_in_draft(z: Shared) {
    let Shared {
        choices: sidebar,
        original,
        ..
    } = z;
    let control = z.reply.control;
    Effect::new(move |_| {
        let t = control.ticket.get();
        for (signal, value) in [
            (sidebar.state_id, t.state_id),
            (sidebar.priority_id, t.priority_id),
            (sidebar.group_id, t.group_id),
            (sidebar.owner_id, t.owner_id),
        ] {
            if let Some(id) = value.and_then(|v| v.id())
                && signal.get_untracked() != id
            {
                signal.set(id);
            }
        }
    });
    // the user's own sidebar choices go into the draft
    Effect::new(move |_| {
        let chosen = [
            ("state_id", sidebar.state_id.get()),
            ("priority_id", sidebar.priority_id.get()),
            ("group_id", sidebar.group_id.get()),
            ("owner_id", sidebar.owner_id.get()),
        ];
        let Some(o) = original.try_get_value() else {
            return;
        };
        let draft = control.ticket.get_untracked();
        let in_draft = [
            (draft.state_id, o.state_id),
            (draft.priority_id, o.priority_id),
            (draft.group_id, o.group_id),
            (draft.owner_id, o.owner_id),
        ];
        for ((key, value), (drafted, stored)) in chosen.into_iter().zip(in_draft) {
            let drafted = drafted.and_then(|d| d.id());
            if drafted != Some(value) && !(drafted.is_none() && value == stored) {
                control.set_ticket_attr(key, value);
            }
        }
    });
}

/// The sidebar as of one version of the ticket (re-rendered when a newer one arrives).
#[component]
fn Details(t: TicketZoom, sidebar: Choices, can: Abilities) -> impl IntoView {
    let select = |label: &'static str,
                  name: &'static str,
                  signal: RwSignal<i64>,
                  choices: Vec<Choice>,
                  enabled: bool,
                  empty: Option<&'static str>| {
        view! {
            <label class="field">
                <span>{label}</span>
                <select
                    name=name
                    disabled=!enabled
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<i64>() {
                            signal.set(v);
                        }
                    }
                    prop:value=move || signal.get().to_string()
                >
                    {empty.map(|e| view! { <option value="1">{e}</option> })}
                    {choice_options(choices)}
                </select>
            </label>
        }
    };
    let agent = can.agent;
    let states = t.states.clone();
    // a customer sees only the states offered to them; keep the current one listed
    let states = if states.iter().any(|s| s.id == t.state_id) {
        states
    } else {
        let mut s = states;
        s.insert(
            0,
            Choice {
                id: t.state_id,
                name: t.state.clone(),
            },
        );
        s
    };
    let pending_ids = t.pending_state_ids.clone();
    let chosen_pending = move || pending_ids.contains(&sidebar.state_id.get());
    // the saved time: the server's UTC text first (hydration), then the browser's local time
    let saved_pending = t.pending_time.clone();
    let saved_label = RwSignal::new(
        saved_pending
            .as_deref()
            .map(|p| pending_label(p, false))
            .unwrap_or_default(),
    );
    {
        let saved_pending = saved_pending.clone();
        Effect::new(move |_| {
            if let Some(p) = saved_pending.as_deref() {
                saved_label.set(pending_label(p, true));
            }
        });
    }
    // a customer without a name is shown by the address, once
    let customer_email = t.customer.email.trim().to_string();
    let customer_name = t.customer.name.trim().to_string();
    let (customer_name, email_line) =
        if customer_name.is_empty() || customer_name.eq_ignore_ascii_case(&customer_email) {
            (customer_email.clone(), false)
        } else {
            (customer_name, !customer_email.is_empty())
        };
    let name_is_email = !email_line && !customer_email.is_empty();
    view! {
        <>
            <section class="side-block">
                <h2>"Ticket"</h2>
                {select("State", "state_id", sidebar.state_id, states, can.change, None)}
                {move || (can.change && chosen_pending()).then(|| view! {
                    <LabelledInput
                        class="field"
                        label="Pending till"
                        value=sidebar.pending_time
                        kind="datetime-local"
                        id="pending-time"
                        name="pending_time"
                        required=true
                    />
                })}
                {saved_pending.map(|utc| view! {
                    <p class="field pending-saved" data-testid="pending-time">
                        <span>"Due"</span>
                        " "
                        <time datetime=utc>{move || saved_label.get()}</time>
                    </p>
                })}
                {agent.then(|| select("Priority", "priority_id", sidebar.priority_id, t.priorities.clone(), can.change, None))}
                {if agent {
                    select("Group", "group_id", sidebar.group_id, t.groups.clone(), can.change, None).into_any()
                } else {
                    view! { <p class="field"><span>"Group"</span> {t.group.clone()}</p> }.into_any()
                }}
                {if can.assign {
                    select("Owner", "owner_id", sidebar.owner_id, t.owners.clone(), can.change, Some("– nobody –")).into_any()
                } else {
                    view! { <p class="field"><span>"Owner"</span> {if t.owner.is_empty() { "–".to_string() } else { t.owner.clone() }}</p> }.into_any()
                }}
            </section>
            <section class="side-block" aria-label="Customer">
                <h2>"Customer"</h2>
                <Avatar name=customer_name.clone()/>
                {if name_is_email {
                    view! {
                        <p class="customer-name">
                            <a href=format!("mailto:{customer_email}")>{customer_email.clone()}</a>
                        </p>
                    }
                        .into_any()
                } else {
                    view! { <p class="customer-name"><a href=format!("/users/{}", t.customer.id)>{customer_name}</a></p> }.into_any()
                }}
                {email_line.then(|| view! { <p><a href=format!("mailto:{}", t.customer.email)>{t.customer.email.clone()}</a></p> })}
                {(!t.customer.phone.is_empty()).then(|| view! { <p>{t.customer.phone.clone()}</p> })}
                {t.customer.organization.clone().map(|o| view! { <p class="muted">"Organisation: " {o}</p> })}
            </section>
        </>
    }
}
