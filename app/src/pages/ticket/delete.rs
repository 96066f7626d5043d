//! The admin's "Delete ticket", confirmed in a [`Dialog`] (an `alertdialog`).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::dialog::{Dialog, DialogClose};
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
    let open_dialog = move |_| {
        error.set(None);
        open.set(true);
    };
    // the dialog's behaviour (focus inside, Tab kept in it, Escape, the focus given back) is
    // the shared [`Dialog`]'s; Cancel is its first control, so it takes the focus (the safe
    // choice)
    view! {
        <div class="danger-zone">
            <button type="button" class="danger" id="delete-ticket" node_ref=opener on:click=open_dialog>"Delete ticket"</button>
            <Dialog open opener labelled_by="delete-title" alert=true described_by="delete-text" busy=Signal::from(busy)>
                <DeleteQuestion question=question.clone() error busy confirm=confirm.clone()/>
            </Dialog>
        </div>
    }
}

/// The dialog's content: the question, what deleting removes, an error, Cancel and Delete.
#[component]
fn DeleteQuestion(
    question: String,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    confirm: impl Fn(leptos::ev::MouseEvent) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let DialogClose(close) = expect_context::<DialogClose>();
    view! {
        <h2 id="delete-title">{question}</h2>
        <p id="delete-text">"The ticket, its articles, attachments and drafts are removed for good."</p>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <div class="modal-actions">
            <button type="button" on:click=move |_| close.run(())>"Cancel"</button>
            <button type="button" class="danger" id="confirm-delete" disabled=move || busy.get() on:click=confirm>
                "Delete"
            </button>
        </div>
    }
}
