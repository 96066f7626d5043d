//! The sidebar's linked tickets (agents): the list, each with a link to the ticket and, for
//! agents with change access, a remove button; and a form linking another ticket by its
//! number as related, parent or child. Through `Desk::change_link`, as `/links/add` and
//! `/links/remove`; read as `/links` lists them. Reloaded whenever the ticket changes (a link
//! added from the other ticket tells this one too).

use leptos::prelude::*;

use super::Shared;
use crate::api::ticket_tools::{LinkedTicket, add_ticket_link, remove_ticket_link, ticket_links};
use crate::pages::overview::clean_error;

/// How a link type reads in the list (the other ticket is this one's …).
fn label(link_type: &str) -> &'static str {
    match link_type {
        "parent" => "Parent",
        "child" => "Child",
        _ => "Related",
    }
}

#[component]
pub(super) fn Links(z: Shared) -> impl IntoView {
    let ticket_id = z.ticket_id;
    let editable = z.can.agent && z.can.change;
    // None: loading
    let links = RwSignal::new(None::<Result<Vec<LinkedTicket>, String>>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let number = RwSignal::new(String::new());
    let link_type = RwSignal::new("normal".to_string());
    let load = move || {
        leptos::task::spawn_local(async move {
            let answer = ticket_links(ticket_id)
                .await
                .map_err(|e| clean_error(&e.to_string()));
            let _ = links.try_set(Some(answer));
        });
    };
    // in the browser only: as loaded, and again whenever a newer version of the ticket arrives
    Effect::new(move |_| {
        z.latest.track();
        load();
    });
    let add = move || {
        let other = number.get_untracked();
        if other.trim().is_empty() || busy.get_untracked() {
            error.set(Some("Enter the number of the ticket to link.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        let kind = link_type.get_untracked();
        leptos::task::spawn_local(async move {
            match add_ticket_link(ticket_id, kind, other).await {
                Ok(()) => {
                    let _ = number.try_set(String::new());
                    load();
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                }
            }
            let _ = busy.try_set(false);
        });
    };
    let remove = move |other_id: i64| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match remove_ticket_link(ticket_id, other_id).await {
                Ok(()) => load(),
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                }
            }
            let _ = busy.try_set(false);
        });
    };
    view! {
        <section class="side-block links-block" aria-labelledby="links-heading">
            <h2 id="links-heading">"Linked tickets"</h2>
            {move || match links.get() {
                None => view! { <p class="muted small" role="status">"Loading links…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted small">"No linked tickets."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="ticket-links" aria-label="Linked tickets">
                        {list.into_iter().map(|l| {
                            let other = l.id;
                            view! {
                                <li class="ticket-link" data-link-type=l.link_type.clone() data-ticket-id=l.id>
                                    <span class=format!("link-type link-{}", l.link_type)>{label(&l.link_type)}</span>
                                    <a href=format!("/tickets/{}", l.id) title=l.title.clone()>
                                        {format!("#{} {}", l.number, l.title)}
                                    </a>
                                    <span class="muted small">{l.state.clone()}</span>
                                    {editable.then(|| view! {
                                        <button
                                            type="button"
                                            class="link-remove"
                                            aria-label=format!("Remove the link to #{}", l.number)
                                            title=format!("Remove the link to #{}", l.number)
                                            disabled=move || busy.get()
                                            on:click=move |_| remove(other)
                                        ></button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            {editable.then(|| view! {
                <form class="link-form" aria-label="Link a ticket" on:submit=move |ev| {
                    ev.prevent_default();
                    add();
                }>
                    <select
                        name="link_type"
                        aria-label="The other ticket is"
                        prop:value=move || link_type.get()
                        on:change=move |ev| link_type.set(event_target_value(&ev))
                    >
                        <option value="normal">"Related"</option>
                        <option value="parent">"Parent"</option>
                        <option value="child">"Child"</option>
                    </select>
                    <input
                        type="text"
                        id="link-number"
                        name="link_number"
                        placeholder="Ticket number"
                        aria-label="Number of the ticket to link"
                        inputmode="numeric"
                        autocomplete="off"
                        prop:value=move || number.get()
                        on:input=move |ev| number.set(event_target_value(&ev))
                    />
                    <button type="submit" id="add-link" disabled=move || busy.get()>"Link"</button>
                </form>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}
