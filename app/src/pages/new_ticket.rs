//! The new-ticket form: customer picker for agents (search as you type, or a new customer by
//! e-mail), group (customers: only the groups they may open tickets in), title and the first
//! article with the composer and attachments.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::tickets::{create_ticket, ticket_form_options};
use crate::api::users::search_customers;
use crate::api::{CustomerHit, NewTicket};
use crate::components::composer::{Composer, ComposerSetup, MentionScope, ReplyControl};
use crate::components::form::LabelledInput;
use crate::components::layout::{SignedIn, ready_marker};
use crate::components::status::ErrorView;
use crate::pages::overview::clean_error;
use crate::session::SessionUser;

/// Resources are created here, at the top of the route (see `OverviewPage`).
#[component]
pub fn NewTicketPage() -> impl IntoView {
    let options = Resource::new(|| (), |_| ticket_form_options());
    let customer_query = RwSignal::new(String::new());
    let hits = Resource::new(
        move || customer_query.get(),
        |q| async move {
            if q.trim().chars().count() < 2 {
                Ok(Vec::new())
            } else {
                search_customers(q).await
            }
        },
    );
    view! {
        <SignedIn page=move |user| view! { <NewTicketForm user options customer_query hits/> }/>
    }
}

#[component]
fn NewTicketForm(
    user: SessionUser,
    options: Resource<Result<crate::api::NewTicketOptions, ServerFnError>>,
    customer_query: RwSignal<String>,
    hits: Resource<Result<Vec<CustomerHit>, ServerFnError>>,
) -> impl IntoView {
    let title = RwSignal::new(String::new());
    let group_id = RwSignal::new(0i64);
    let kind = RwSignal::new("phone".to_string());
    let customer = RwSignal::new(None::<CustomerHit>);
    // a new customer's name (optional), asked next to a typed e-mail address
    let firstname = RwSignal::new(String::new());
    let lastname = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let control = ReplyControl::new();
    let form_id = format!("new-{}-{}", user.id, random_suffix());
    let agent = user.is_agent;
    let navigate = use_navigate();
    let form_id_for_submit = form_id.clone();
    let submit = move || {
        if sending.get_untracked() {
            return;
        }
        let (customer_id, customer_email) = match customer.get_untracked() {
            Some(c) => (c.id, String::new()),
            None => (0, customer_query.get_untracked().trim().to_string()),
        };
        if agent && customer_id == 0 && !customer_email.contains('@') {
            error.set(Some(
                "Choose a customer, or type their e-mail address.".into(),
            ));
            return;
        }
        if title.get_untracked().trim().is_empty() {
            error.set(Some("The title is missing.".into()));
            return;
        }
        if group_id.get_untracked() == 0 {
            error.set(Some("Choose a group.".into()));
            return;
        }
        if !control.has_content() {
            error.set(Some("Describe the request in the message.".into()));
            return;
        }
        let ticket = NewTicket {
            title: title.get_untracked(),
            group_id: group_id.get_untracked(),
            customer_id,
            customer_firstname: if customer_id == 0 {
                firstname.get_untracked().trim().to_string()
            } else {
                String::new()
            },
            customer_lastname: if customer_id == 0 {
                lastname.get_untracked().trim().to_string()
            } else {
                String::new()
            },
            customer_email,
            kind: kind.get_untracked(),
            body_html: control.html(),
            form_id: form_id_for_submit.clone(),
        };
        sending.set(true);
        error.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // the form may be gone by now (navigated away, or just below): try_set
            match create_ticket(ticket).await {
                Ok(id) => {
                    control.sent();
                    let _ = sending.try_set(false);
                    navigate(&format!("/tickets/{id}"), Default::default());
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                    let _ = sending.try_set(false);
                }
            }
        });
    };
    let submit_on_key = submit.clone();
    Effect::new(move |prev: Option<u32>| {
        let n = control.submits.get();
        if prev.is_some_and(|p| p != n) {
            submit_on_key();
        }
        n
    });
    let ready = ready_marker();
    let setup = ComposerSetup {
        form_id,
        csrf_token: user.csrf_token.clone(),
        storage_key: format!("tandem-new-ticket-{}", user.id),
        placeholder: "Describe the request…".into(),
        collab: None,
        rich: agent,
        editable: true,
        // no ticket yet: the `@` list offers the agents of the group chosen so far
        mentions: agent.then(|| {
            MentionScope::Group(Signal::derive(move || {
                Some(group_id.get()).filter(|id| *id != 0)
            }))
        }),
    };
    view! {
        <h1>"New ticket"</h1>
        <form class="new-ticket" data-ready=ready on:submit=move |ev| { ev.prevent_default(); submit(); }>
            {agent.then(|| view! {
                <div class="field customer-picker">
                    <label for="customer-search">"Customer"</label>
                    {move || match customer.get() {
                        Some(c) => view! {
                            <p class="picked">
                                <strong>{display_name(&c)}</strong> {(!c.name.trim().is_empty() && c.name != c.email).then(|| view! { " " <span class="muted">{c.email.clone()}</span> })}
                                <button type="button" class="link" on:click=move |_| customer.set(None)>"change"</button>
                            </p>
                        }.into_any(),
                        None => view! {
                            <input
                                id="customer-search"
                                type="search"
                                autocomplete="off"
                                placeholder="Name or e-mail; a new e-mail creates the customer"
                                prop:value=move || customer_query.get()
                                on:input=move |ev| customer_query.set(event_target_value(&ev))
                            />
                            {move || customer_query.with(|q| q.contains('@')).then(|| view! {
                                <div class="row new-customer" role="group" aria-label="New customer's name (optional)">
                                    <LabelledInput
                                        class="field"
                                        label="First name"
                                        value=firstname
                                        id="customer-firstname"
                                        autocomplete="off"
                                        placeholder="optional"
                                    />
                                    <LabelledInput
                                        class="field"
                                        label="Last name"
                                        value=lastname
                                        id="customer-lastname"
                                        autocomplete="off"
                                        placeholder="optional"
                                    />
                                    <p class="muted small">"Names a new customer; an existing address keeps its customer."</p>
                                </div>
                            })}
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    let found = hits.await.unwrap_or_default();
                                    view! {
                                        <ul class="hits" role="listbox" aria-label="Matching customers">
                                            {found.into_iter().map(|h| {
                                                let pick = h.clone();
                                                view! {
                                                    <li role="option" aria-selected="false">
                                                        <button type="button" class="hit" on:click=move |_| customer.set(Some(pick.clone()))>
                                                            <strong>{display_name(&h)}</strong> {(!h.name.trim().is_empty() && h.name != h.email).then(|| view! { " " <span class="muted">{h.email.clone()}</span> })}
                                                            {h.organization.clone().map(|o| view! { <span class="muted">" · " {o}</span> })}
                                                        </button>
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    }
                                })}
                            </Transition>
                        }.into_any(),
                    }}
                </div>
            })}
            <div class="field">
                <label for="new-title">"Title"</label>
                <input id="new-title" required prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/>
            </div>
            <div class="row">
                <Transition fallback=|| view! { <p class="loading">"Loading groups…"</p> }>
                    {move || Suspend::new(async move {
                        match options.await {
                            Ok(o) => {
                                if group_id.get_untracked() == 0 && o.groups.len() == 1 {
                                    group_id.set(o.groups[0].id);
                                }
                                view! {
                                    <label class="field">
                                        <span>"Group"</span>
                                        <select id="new-group" on:change=move |ev| group_id.set(event_target_value(&ev).parse().unwrap_or(0)) prop:value=move || group_id.get().to_string()>
                                            <option value="0">"– choose –"</option>
                                            {o.groups.into_iter().map(|g| view! { <option value=g.id.to_string()>{g.name}</option> }).collect_view()}
                                        </select>
                                    </label>
                                }.into_any()
                            }
                            Err(e) => view! { <ErrorView error=e retry=move |_| options.refetch()/> }.into_any(),
                        }
                    })}
                </Transition>
                {agent.then(|| view! {
                    <label class="field">
                        <span>"Channel"</span>
                        <select on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                            <option value="phone">"Phone"</option>
                            <option value="email">"E-mail"</option>
                            <option value="note">"Note"</option>
                        </select>
                    </label>
                })}
            </div>
            <div class="field">
                <span class="label">"Message"</span>
                <Composer control setup/>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button type="submit" class="primary" id="create-ticket" disabled=move || sending.get()>
                {move || if sending.get() { "Creating…" } else { "Create ticket" }}
            </button>
        </form>
    }
}

/// A customer's name, or their e-mail address when they have none.
fn display_name(c: &CustomerHit) -> String {
    if c.name.trim().is_empty() {
        c.email.clone()
    } else {
        c.name.clone()
    }
}

fn random_suffix() -> u64 {
    #[cfg(feature = "browser")]
    {
        (js_sys::Math::random() * 1e15) as u64
    }
    #[cfg(not(feature = "browser"))]
    0
}
