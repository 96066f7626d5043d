//! "Merge" (agents with change access): the ticket goes into another one, named by its number,
//! after a confirmation; through `Desk::merge_tickets`, as `/ticket_merge/{source}/{target}`.
//! Afterwards the view moves to the target ticket.

use leptos::html::Button;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::dialog::{Dialog, DialogClose};
use crate::api::ticket_tools::merge_ticket;
use crate::pages::overview::clean_error;

#[component]
pub(super) fn MergeButton(ticket_id: i64, number: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let opener = NodeRef::<Button>::new();
    let target = RwSignal::new(String::new());
    // the number was entered and the agent is asked to confirm
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let merge = move || {
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        let number = target.get_untracked();
        leptos::task::spawn_local(async move {
            match merge_ticket(ticket_id, number).await {
                Ok(target_id) => {
                    let _ = busy.try_set(false);
                    let _ = open.try_set(false);
                    // navigating away disposes this view: nothing is touched after it
                    navigate(&format!("/tickets/{target_id}"), Default::default());
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                    let _ = confirming.try_set(false);
                    let _ = busy.try_set(false);
                }
            }
        });
    };
    let ask = move || {
        let wanted = target.get_untracked();
        let wanted = wanted.trim().trim_start_matches('#');
        if wanted.is_empty() {
            error.set(Some("Enter the number of the ticket to merge into.".into()));
        } else {
            error.set(None);
            confirming.set(true);
        }
    };
    // the focus follows the step: the safe "Back" when asked, the number when back
    let back_button = NodeRef::<Button>::new();
    let number_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(b) = back_button.get() {
            let _ = b.focus();
        }
    });
    Effect::new(move |_| {
        if let Some(i) = number_input.get() {
            let _ = i.focus();
        }
    });
    let this = number.clone();
    view! {
        <button
            type="button"
            id="merge-ticket"
            node_ref=opener
            aria-haspopup="dialog"
            on:click=move |_| {
                target.set(String::new());
                confirming.set(false);
                error.set(None);
                open.set(true);
            }
        >
            "Merge"
        </button>
        <Dialog open opener labelled_by="merge-title" busy=Signal::derive(move || busy.get())>
            <h2 id="merge-title">{format!("Merge ticket #{this} into another ticket")}</h2>
            {
                let this = this.clone();
                let merge = merge.clone();
                move || if confirming.get() {
                    let merge = merge.clone();
                    let into = target.get().trim().trim_start_matches('#').to_string();
                    view! {
                        <p id="merge-question" class="merge-question">
                            {format!("Merge #{this} into #{into}? Its articles, tags and subscribers move to #{into}; this ticket is closed as merged. This cannot be undone.")}
                        </p>
                        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                        <div class="modal-actions">
                            <button type="button" node_ref=back_button on:click=move |_| confirming.set(false) disabled=move || busy.get()>"Back"</button>
                            <button type="button" class="danger" id="confirm-merge" disabled=move || busy.get() on:click=move |_| merge()>
                                {move || if busy.get() { "Merging…" } else { "Merge" }}
                            </button>
                        </div>
                    }
                        .into_any()
                } else {
                    view! {
                        <form class="merge-form" on:submit=move |ev| {
                            ev.prevent_default();
                            ask();
                        }>
                            <label class="field">
                                <span>"Number of the ticket to merge into"</span>
                                <input
                                    type="text"
                                    id="merge-target"
                                    node_ref=number_input
                                    name="target_number"
                                    inputmode="numeric"
                                    autocomplete="off"
                                    required
                                    prop:value=move || target.get()
                                    on:input=move |ev| target.set(event_target_value(&ev))
                                />
                            </label>
                            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                            <div class="modal-actions">
                                <CancelButton/>
                                <button type="submit" class="primary" id="merge-next">"Continue"</button>
                            </div>
                        </form>
                    }
                        .into_any()
                }
            }
        </Dialog>
    }
}

/// The dialog's Cancel button.
#[component]
fn CancelButton() -> impl IntoView {
    let close = use_context::<DialogClose>();
    view! {
        <button type="button" on:click=move |_| {
            if let Some(DialogClose(c)) = close {
                c.run(());
            }
        }>"Cancel"</button>
    }
}
