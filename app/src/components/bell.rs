//! The top bar's bell (agents): how many notifications are unread, and a list of them —
//! what happened on which ticket. Opening one marks it read and shows the ticket. It reloads
//! when the tab's live socket hears of a ticket change (a new notification comes with one) and
//! once a minute besides.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::notifications::{
    BellItem, mark_all_notifications_read, mark_notification_read, my_notifications,
};
use crate::components::live::{ServerMessage, use_live};
use crate::components::time::When;
use crate::pages::overview::clean_error;

/// How often the bell asks even when the socket heard nothing (a missed event, a socket down).
#[cfg(feature = "browser")]
const POLL: std::time::Duration = std::time::Duration::from_secs(60);

/// The button's accessible name.
pub fn bell_label(unread: usize) -> String {
    match unread {
        0 => "Notifications, none unread".to_string(),
        1 => "Notifications, 1 unread".to_string(),
        n => format!("Notifications, {n} unread"),
    }
}

#[component]
pub fn Bell() -> impl IntoView {
    // `None` until the first answer (the server renders the bell without a count)
    let items = RwSignal::new(None::<Vec<BellItem>>);
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // the latest request's number: an older answer arriving late is dropped
    let asked = StoredValue::new(0u64);
    let button = NodeRef::<leptos::html::Button>::new();
    let live = use_live();
    let navigate = use_navigate();

    // Answers, socket events and timers come at any time, also after the bell is gone
    // (another page): every signal access in them is a try_*.
    let load = move || {
        let Some(mine) = asked.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let result = my_notifications().await;
            if asked.try_get_value() != Some(mine) {
                return;
            }
            match result {
                Ok(list) => {
                    let _ = items.try_set(Some(list));
                    let _ = error.try_set(None);
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                }
            }
        });
    };

    // first load once hydrated, then again on every ticket event (and after a reconnect)
    Effect::new(move |seen: Option<u64>| {
        let (n, event) = live.event.get();
        if seen.is_none()
            || (seen != Some(n)
                && matches!(
                    event,
                    Some(ServerMessage::TicketChanged { .. })
                        | Some(ServerMessage::TicketDeleted { .. })
                        | Some(ServerMessage::Hello)
                ))
        {
            load();
        }
        n
    });
    #[cfg(feature = "browser")]
    if let Ok(handle) = set_interval_with_handle(load, POLL) {
        on_cleanup(move || handle.clear());
    }
    // a click elsewhere closes the list
    #[cfg(feature = "browser")]
    {
        let handle = window_event_listener(leptos::ev::click, move |ev| {
            use leptos::wasm_bindgen::JsCast;
            let inside = ev
                .target()
                .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
                .and_then(|el| el.closest(".bell").ok().flatten())
                .is_some();
            if !inside && open.try_get_untracked() == Some(true) {
                let _ = open.try_set(false);
            }
        });
        on_cleanup(move || handle.remove());
    }

    let unread = Memo::new(move |_| {
        items.with(|l| {
            l.as_ref()
                .map_or(0, |l| l.iter().filter(|i| !i.seen).count())
        })
    });
    let close = move || {
        let _ = open.try_set(false);
        if let Some(b) = button.get_untracked() {
            let _ = b.focus();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            ev.prevent_default();
            close();
        }
    };
    let toggle = move |_| {
        let now = !open.get_untracked();
        open.set(now);
        if now {
            load();
        }
    };
    let mark_all = move |_| {
        let _ = items.try_update(|l| {
            for i in l.iter_mut().flatten() {
                i.seen = true;
            }
        });
        leptos::task::spawn_local(async move {
            if let Err(e) = mark_all_notifications_read().await {
                let _ = error.try_set(Some(clean_error(&e.to_string())));
            }
            load();
        });
    };
    // marks it read (waiting, so that the next page's bell already counts it), then goes
    let activate = move |ev: leptos::ev::MouseEvent, id: i64, ticket: i64, seen: bool| {
        let new_tab = ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.button() != 0;
        if !new_tab {
            ev.prevent_default();
            let _ = open.try_set(false);
        }
        let _ = items.try_update(|l| {
            for i in l.iter_mut().flatten().filter(|i| i.id == id) {
                i.seen = true;
            }
        });
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            if !seen && let Err(e) = mark_notification_read(id).await {
                let _ = error.try_set(Some(clean_error(&e.to_string())));
            }
            if !new_tab {
                navigate(&format!("/tickets/{ticket}"), Default::default());
            }
        });
    };

    view! {
        <div class="bell" on:keydown=on_keydown>
            <button
                type="button"
                class="bell-button"
                node_ref=button
                aria-label=move || bell_label(unread.get())
                title=move || bell_label(unread.get())
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-controls="bell-panel"
                on:click=toggle
            >
                <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
                    <path
                        d="M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15zM10 20.5a2 2 0 0 0 4 0"
                        fill="none"
                        stroke="currentColor"
                        stroke-width="1.8"
                        stroke-linejoin="round"
                        stroke-linecap="round"
                    ></path>
                </svg>
                {move || {
                    let n = unread.get();
                    (n > 0).then(|| {
                        view! {
                            <span class="bell-count" aria-hidden="true">
                                {if n > 99 { "99+".to_string() } else { n.to_string() }}
                            </span>
                        }
                    })
                }}
            </button>
            <Show when=move || open.get()>
                <div class="bell-panel" id="bell-panel" role="region" aria-label="Notifications">
                    <div class="bell-head">
                        <h2>"Notifications"</h2>
                        <button
                            type="button"
                            class="link"
                            disabled=move || unread.get() == 0
                            on:click=mark_all
                        >
                            "Mark all as read"
                        </button>
                    </div>
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    {
                        let activate = activate.clone();
                        move || match items.get() {
                        None => view! { <p class="muted bell-empty" role="status">"Loading…"</p> }.into_any(),
                        Some(list) if list.is_empty() => {
                            view! { <p class="muted bell-empty">"No notifications."</p> }.into_any()
                        }
                        Some(list) => {
                            view! {
                                <ul class="bell-list">
                                    {list
                                        .into_iter()
                                        .map(|item| {
                                            let (id, ticket, seen) = (item.id, item.o_id, item.seen);
                                            let activate = activate.clone();
                                            view! {
                                                <li class:unread=!seen>
                                                    <a
                                                        href=format!("/tickets/{ticket}")
                                                        on:click=move |ev| activate(ev, id, ticket, seen)
                                                    >
                                                        <span class="bell-reason">
                                                            {(!seen).then(|| view! { <span class="sr-only">"Unread: "</span> })}
                                                            {item.headline()}
                                                        </span>
                                                        <span class="bell-ticket">
                                                            {format!("#{} {}", item.ticket_number, item.ticket_title)}
                                                        </span>
                                                        <span class="bell-time">
                                                            <When iso=item.created_at.clone() relative=true/>
                                                        </span>
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }}
                </div>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::bell_label;

    #[test]
    fn the_button_says_how_many_are_unread() {
        assert_eq!(bell_label(0), "Notifications, none unread");
        assert_eq!(bell_label(1), "Notifications, 1 unread");
        assert_eq!(bell_label(7), "Notifications, 7 unread");
    }
}
