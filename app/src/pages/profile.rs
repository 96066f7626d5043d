//! `/profile`: who is signed in and, for agents, their notification settings — which events
//! (new ticket, customer reply, assignment, mention) reach them in the app (the bell) and by
//! e-mail.

use leptos::prelude::*;

use crate::api::notifications::{
    EVENTS, NotificationSettings, my_notification_settings, save_notification_settings,
};
use crate::components::account::{AccountCards, AccountResources};
use crate::components::layout::{SignedIn, ready_marker};
use crate::components::status::ErrorView;
use crate::components::time::TimeZoneForm;
use crate::pages::overview::clean_error;
use crate::session::SessionUser;

/// Resources are created here, at the top of the route (see `OverviewPage`).
#[component]
pub fn ProfilePage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| my_notification_settings());
    let account = AccountResources::new();
    view! {
        <SignedIn page=move |user: SessionUser| view! {
            <Profile user=user.clone() settings/>
            <AccountCards user resources=account/>
        }/>
    }
}

#[component]
fn Profile(
    user: SessionUser,
    settings: Resource<Result<Option<NotificationSettings>, ServerFnError>>,
) -> impl IntoView {
    let role = user.role_label();
    view! {
        <h1>"Profile"</h1>
        <section class="profile-card" aria-labelledby="profile-you">
            <h2 id="profile-you" class="sr-only">"You"</h2>
            <dl class="profile-facts">
                <dt>"Name"</dt>
                <dd>{user.name.clone()}</dd>
                <dt>"Login"</dt>
                <dd>{user.login.clone()}</dd>
                <dt>"Role"</dt>
                <dd>{role}</dd>
            </dl>
        </section>
        <TimeZoneForm initial=user.time_zone.clone()/>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(Some(s)) => view! { <NotificationForm initial=s/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! {
                        <ErrorView error=e retry=move |_| settings.refetch()/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NotificationForm(initial: NotificationSettings) -> impl IntoView {
    let settings = RwSignal::new(initial);
    let saving = RwSignal::new(false);
    // `Some(true)`: saved; `Some(false)`: changed since
    let saved = RwSignal::new(None::<bool>);
    let error = RwSignal::new(None::<String>);
    let set = move |key: &'static str, online: bool, on: bool| {
        settings.update(|s| {
            if let Some(c) = s.get_mut(key) {
                if online {
                    c.online = on;
                } else {
                    c.email = on;
                }
            }
        });
        if saved.get_untracked().is_some() {
            saved.set(Some(false));
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        error.set(None);
        let wanted = settings.get_untracked();
        // the page may be gone when the answer comes: try_*
        leptos::task::spawn_local(async move {
            match save_notification_settings(wanted).await {
                Ok(stored) => {
                    let _ = settings.try_set(stored);
                    let _ = saved.try_set(Some(true));
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                }
            }
            let _ = saving.try_set(false);
        });
    };
    let checkbox = move |key: &'static str, label: &'static str, online: bool| {
        let id = format!("notify-{key}-{}", if online { "online" } else { "email" });
        let name = format!(
            "{label}: {}",
            if online { "in the app" } else { "by e-mail" }
        );
        let value = move || {
            settings.with(|s| {
                s.get(key)
                    .is_some_and(|c| if online { c.online } else { c.email })
            })
        };
        let initially = initial
            .get(key)
            .is_some_and(|c| if online { c.online } else { c.email });
        view! {
            <td>
                <input
                    type="checkbox"
                    id=id.clone()
                    name=id
                    aria-label=name
                    checked=initially
                    prop:checked=value
                    on:change=move |ev| set(key, online, event_target_checked(&ev))
                />
            </td>
        }
    };
    view! {
        <section class="profile-card" aria-labelledby="notifications-heading">
            <h2 id="notifications-heading">"Notifications"</h2>
            <p class="muted hint">
                "Which events reach you in the app (the bell in the top bar) and by e-mail."
            </p>
            <form class="notification-settings" data-ready=ready_marker() on:submit=save>
                <table class="notification-matrix">
                    <thead>
                        <tr>
                            <th scope="col">"Event"</th>
                            <th scope="col">"In the app"</th>
                            <th scope="col">"By e-mail"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {EVENTS
                            .iter()
                            .map(|&(key, label)| {
                                view! {
                                    <tr>
                                        <th scope="row">{label}</th>
                                        {checkbox(key, label, true)}
                                        {checkbox(key, label, false)}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save notification settings" }}
                    </button>
                    <span class="saved-note" role="status">
                        {move || (saved.get() == Some(true)).then_some("Notification settings saved.")}
                    </span>
                </div>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </form>
        </section>
    }
}
