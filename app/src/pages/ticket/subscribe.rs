//! "Subscribe" / "Unsubscribe" (agents): following the ticket is a mention of oneself, as in
//! Zammad; through `Desk::create_mention` and `Desk::delete_mention`, as `/mentions`.

use leptos::prelude::*;

use super::Shared;
use crate::api::ticket_tools::{my_subscription, subscribe_ticket, unsubscribe_ticket};
use crate::pages::overview::clean_error;

#[component]
pub(super) fn SubscribeButton(z: Shared) -> impl IntoView {
    let ticket_id = z.ticket_id;
    // None: not known yet; Some(None): not subscribed; Some(Some(id)): the mention's id
    let mention = RwSignal::new(None::<Option<i64>>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // in the browser only: as loaded, and again whenever a newer version of the ticket arrives
    Effect::new(move |_| {
        z.latest.track();
        leptos::task::spawn_local(async move {
            match my_subscription(ticket_id).await {
                Ok(m) => {
                    let _ = mention.try_set(Some(m));
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                }
            }
        });
    });
    let toggle = move |_| {
        let Some(now) = mention.get_untracked() else {
            return;
        };
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let answer = match now {
                Some(id) => unsubscribe_ticket(id).await.map(|()| None),
                None => subscribe_ticket(ticket_id).await.map(Some),
            };
            match answer {
                Ok(m) => {
                    let _ = mention.try_set(Some(m));
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                }
            }
            let _ = busy.try_set(false);
        });
    };
    let subscribed = move || mention.get().flatten().is_some();
    view! {
        <button
            type="button"
            id="subscribe-ticket"
            class:subscribed=subscribed
            aria-pressed=move || subscribed().to_string()
            title="Subscribed agents are notified of changes to this ticket"
            disabled=move || busy.get() || mention.get().is_none()
            on:click=toggle
        >
            {move || if subscribed() { "Unsubscribe" } else { "Subscribe" }}
        </button>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}
