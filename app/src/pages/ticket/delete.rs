//! The admin's "Delete ticket", with a confirmation dialog that keeps the focus inside it.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::tickets::delete_ticket;
use crate::components::layout::home_path;
use crate::pages::overview::clean_error;
use crate::session::SessionUser;

#[component]
pub(super) fn DeleteTicket(id: i64, number: String, user: SessionUser) -> impl IntoView {
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let home = home_path(&user);
    let confirm = move |_| {
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // navigating away disposes this dialog: no signal is touched after it
            match delete_ticket(id).await {
                Ok(()) => {
                    let _ = busy.try_set(false);
                    navigate(home, Default::default());
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                    let _ = busy.try_set(false);
                }
            }
        });
    };
    let question = format!("Delete ticket #{number}?");
    let opener = NodeRef::<leptos::html::Button>::new();
    let cancel_button = NodeRef::<leptos::html::Button>::new();
    let delete_button = NodeRef::<leptos::html::Button>::new();
    // focus goes into the dialog when it opens (the safe choice: Cancel)
    Effect::new(move |_| {
        if let Some(b) = cancel_button.get() {
            let _ = b.focus();
        }
    });
    // and back to the button that opened it when it closes
    // (try_*: a window listener may outlive the dialog by a moment)
    let close = move || {
        if busy.try_get_untracked() != Some(false) {
            return;
        }
        let _ = open.try_set(false);
        let _ = error.try_set(None);
        if let Some(b) = opener.try_get_untracked().flatten() {
            let _ = b.focus();
        }
    };
    // While open, on the whole page (also after a click on the backdrop): Escape closes; Tab
    // and Shift+Tab go round the dialog's buttons, never behind it.
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if open.try_get_untracked() != Some(true) {
            return;
        }
        match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                close();
            }
            "Tab" => {
                ev.prevent_default();
                let (Some(cancel), Some(delete)) = (
                    cancel_button.try_get_untracked().flatten(),
                    delete_button.try_get_untracked().flatten(),
                ) else {
                    return;
                };
                let active = document().active_element();
                let on = |b: &leptos::web_sys::HtmlButtonElement| {
                    active.as_ref().is_some_and(|a| {
                        let a: &leptos::web_sys::Node = a;
                        b.is_same_node(Some(a))
                    })
                };
                // two buttons: from one to the other; from elsewhere, Shift+Tab to the last
                let next = if delete.disabled() || on(&delete) {
                    cancel
                } else if on(&cancel) || ev.shift_key() {
                    delete
                } else {
                    cancel
                };
                let _ = next.focus();
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
    view! {
        <div class="danger-zone">
            <button type="button" class="danger" id="delete-ticket" node_ref=opener on:click=move |_| open.set(true)>"Delete ticket"</button>
            {move || open.get().then(|| {
                let confirm = confirm.clone();
                view! {
                    <div class="modal-backdrop">
                        <div class="modal" role="alertdialog" aria-modal="true" aria-labelledby="delete-title" aria-describedby="delete-text">
                            <h2 id="delete-title">{question.clone()}</h2>
                            <p id="delete-text">"The ticket, its articles, attachments and drafts are removed for good."</p>
                            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                            <div class="modal-actions">
                                <button type="button" node_ref=cancel_button on:click=move |_| close() autofocus>"Cancel"</button>
                                <button type="button" class="danger" id="confirm-delete" node_ref=delete_button disabled=move || busy.get() on:click=confirm>
                                    "Delete"
                                </button>
                            </div>
                        </div>
                    </div>
                }
            })}
        </div>
    }
}
