//! The ticket view's "Macros" menu (issue 16): the active macros the agent may apply here;
//! applying one runs `Desk::apply_macro` through [`apply_macro`], then the view follows the
//! change (the live event reloads it) and moves on as the macro's `ux_flow_next_up` says
//! (Zammad's `app/assets/javascripts/app/controllers/ticket_zoom.coffee`: `next_task` closes
//! the ticket's tab — here: back to the list — and `next_from_overview` opens the ticket after
//! this one in the overview the agent came from, [`last_overview`], or goes back to it).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::Shared;
use crate::api::macros::{MacroChoice, apply_macro, ticket_macros};
use crate::components::last_overview::{self, NextStop};
use crate::pages::overview::clean_error;

#[component]
pub(super) fn MacroMenu(z: Shared, home: &'static str) -> impl IntoView {
    let ticket_id = z.ticket_id;
    // loaded in the browser only (an effect): the server and the hydrating client render the
    // same empty slot, and the menu appears once the list is there
    let macros = RwSignal::new(Vec::<MacroChoice>::new());
    let unavailable = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            match ticket_macros(ticket_id).await {
                Ok(list) => {
                    let _ = macros.try_set(list);
                }
                Err(e) => {
                    let _ = unavailable.try_set(Some(format!(
                        "Macros are unavailable: {}",
                        clean_error(&e.to_string())
                    )));
                }
            }
        });
    });
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let apply = move |macro_id: i64, name: String| {
        busy.set(true);
        error.set(None);
        done.set(None);
        let navigate = navigate.clone();
        // taken before the change, as Zammad does: the ticket may leave the overview with it
        let next_stop = last_overview::recall().map(|o| o.after(ticket_id));
        leptos::task::spawn_local(async move {
            match apply_macro(ticket_id, macro_id).await {
                Ok(applied) => {
                    let _ = busy.try_set(false);
                    let _ = open.try_set(false);
                    let _ = done.try_set(Some(format!("Applied \u{201c}{name}\u{201d}.")));
                    z.reload();
                    match applied.next_up.as_str() {
                        "next_from_overview" => match next_stop {
                            Some(NextStop::Ticket(next)) => {
                                navigate(&format!("/tickets/{next}"), Default::default())
                            }
                            Some(NextStop::Overview(path)) => navigate(&path, Default::default()),
                            // opened without an overview (a link, a notification): the
                            // server's next open ticket
                            None => match applied.next_ticket_id {
                                Some(next) => {
                                    navigate(&format!("/tickets/{next}"), Default::default())
                                }
                                None => navigate(home, Default::default()),
                            },
                        },
                        "next_task" => navigate(home, Default::default()),
                        _ => {}
                    }
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                    let _ = busy.try_set(false);
                }
            }
        });
    };
    view! {
        <div class="macro-slot">
            {move || {
                let list = macros.get();
                let apply = apply.clone();
                (!list.is_empty()).then(|| {
                    view! {
                        <section class="macro-menu" data-testid="macros">
                            <button
                                type="button"
                                class="secondary"
                                aria-expanded=move || open.get().to_string()
                                aria-controls="macro-list"
                                on:click=move |_| open.update(|o| *o = !*o)
                            >
                                "Macros"
                            </button>
                            <ul id="macro-list" class="macro-list" hidden=move || !open.get()>
                                {list
                                    .into_iter()
                                    .map(|m| {
                                        let apply = apply.clone();
                                        let name = m.name.clone();
                                        view! {
                                            <li>
                                                <button
                                                    type="button"
                                                    class="link"
                                                    data-macro-id=m.id
                                                    disabled=move || busy.get()
                                                    on:click=move |_| apply(m.id, name.clone())
                                                >
                                                    {m.name.clone()}
                                                </button>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                            <p class="muted" role="status">{move || done.get()}</p>
                            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                        </section>
                    }
                })
            }}
            {move || unavailable.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}
