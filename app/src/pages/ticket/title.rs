//! The ticket's number and title; agents who may change the ticket edit the title in place
//! (saved on Enter or when the field loses focus).

use leptos::prelude::*;

use crate::api::tickets::update_ticket;
use crate::api::{TicketChanges, TicketZoom};
use crate::pages::overview::clean_error;

#[component]
pub(super) fn TitleRow(
    t: TicketZoom,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ticket_id = t.id;
    let title = RwSignal::new(t.title.clone());
    let saved = StoredValue::new(t.title.clone());
    let error = RwSignal::new(None::<String>);
    let save = move || {
        let now = title.get_untracked().trim().to_string();
        if now.is_empty() || now == saved.get_value() {
            return;
        }
        leptos::task::spawn_local(async move {
            let changes = TicketChanges {
                title: Some(now.clone()),
                ..Default::default()
            };
            // the page may have gone away while the request ran: try_*
            match update_ticket(ticket_id, changes).await {
                Ok(()) => {
                    if saved.try_set_value(now).is_none() {
                        let _ = error.try_set(None);
                        reload();
                    }
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                }
            }
        });
    };
    view! {
        <header class="zoom-head">
            <p class="muted ticket-number">"Ticket #" {t.number.clone()}</p>
            {if t.can.change && t.can.agent {
                view! {
                    <h1>
                        <label class="sr-only" for="ticket-title">"Title"</label>
                        <input
                            id="ticket-title"
                            class="title-input"
                            prop:value=move || title.get()
                            on:input=move |ev| title.set(event_target_value(&ev))
                            on:blur=move |_| save()
                            on:keydown=move |ev| {
                                if ev.key() == "Enter" {
                                    ev.prevent_default();
                                    save();
                                }
                            }
                        />
                    </h1>
                }
                    .into_any()
            } else {
                view! { <h1 id="ticket-title">{t.title.clone()}</h1> }.into_any()
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </header>
    }
}
