//! The ticket's history (agents): a "History" button opening a dialog that lists who changed
//! what and when (in the user's time zone), from → to, read through the same domain read as
//! `/ticket_history/{id}`. Loaded each time the dialog opens, so it is never stale.

use leptos::html::Button;
use leptos::prelude::*;

use super::dialog::{Dialog, DialogClose};
use crate::api::ticket_tools::{HistoryItem, ticket_history};
use crate::components::time::When;
use crate::pages::overview::clean_error;

#[component]
pub(super) fn HistoryButton(ticket_id: i64) -> impl IntoView {
    let open = RwSignal::new(false);
    let opener = NodeRef::<Button>::new();
    // None: loading
    let entries = RwSignal::new(None::<Result<Vec<HistoryItem>, String>>);
    let load = move || {
        entries.set(None);
        leptos::task::spawn_local(async move {
            let answer = ticket_history(ticket_id)
                .await
                .map_err(|e| clean_error(&e.to_string()));
            let _ = entries.try_set(Some(answer));
        });
    };
    view! {
        <button
            type="button"
            id="ticket-history"
            node_ref=opener
            aria-haspopup="dialog"
            on:click=move |_| {
                load();
                open.set(true);
            }
        >
            "History"
        </button>
        <Dialog open opener labelled_by="history-title" class="history-dialog">
            <h2 id="history-title">"History"</h2>
            <div class="history-scroll" tabindex="0" role="region" aria-label="History entries" aria-live="polite">
                {move || match entries.get() {
                    None => view! { <p class="loading" role="status">"Loading history…"</p> }.into_any(),
                    Some(Err(e)) => view! {
                        <p class="error" role="alert">{e}</p>
                        <button type="button" on:click=move |_| load()>"Retry"</button>
                    }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! { <p>"No changes recorded yet."</p> }.into_any(),
                    Some(Ok(list)) => view! {
                        <ol class="history-list">
                            {list.into_iter().rev().map(|h| view! { <Entry h/> }).collect_view()}
                        </ol>
                    }.into_any(),
                }}
            </div>
            <div class="modal-actions">
                <CloseButton/>
            </div>
        </Dialog>
    }
}

/// One entry: who, when, what, from → to.
#[component]
fn Entry(h: HistoryItem) -> impl IntoView {
    let change = match (h.from, h.to) {
        (Some(from), Some(to)) => view! {
            <span class="history-from">{from}</span>
            <span class="history-arrow" aria-label="to">" → "</span>
            <span class="history-to">{to}</span>
        }
        .into_any(),
        (Some(from), None) => view! { <span class="history-from">{from}</span> }.into_any(),
        (None, Some(to)) => view! { <span class="history-to">{to}</span> }.into_any(),
        (None, None) => ().into_any(),
    };
    view! {
        <li class="history-entry" data-history-id=h.id>
            <div class="history-meta">
                <strong>{if h.who.is_empty() { "Someone".to_string() } else { h.who }}</strong>
                " "
                <When iso=h.at/>
            </div>
            <div class="history-change">
                <span class="history-action">{h.action}</span>
                " "
                {change}
            </div>
        </li>
    }
}

/// The dialog's Close button.
#[component]
fn CloseButton() -> impl IntoView {
    let close = use_context::<DialogClose>();
    view! {
        <button type="button" class="primary" on:click=move |_| {
            if let Some(DialogClose(c)) = close {
                c.run(());
            }
        }>"Close"</button>
    }
}
