//! The frame of every signed-in page: top bar (brand, navigation, search, agents' notification
//! bell, user with a link to the profile, sign out), the tab's live connection, and the sign-in
//! check (anonymous visitors go to `/login`).

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::{use_location, use_query_map};

use crate::components::bell::Bell;
use crate::components::live::use_live;
use crate::components::status::{ErrorView, StatusBanners};
use crate::components::time::use_clock;
use crate::session::{SessionUser, SignOut, current_user};

/// The user this tab last knew to be signed in: when the server cannot be reached while the
/// user moves to another page, that page still gets its frame (top bar, navigation) and only
/// the parts that could not load show their errors.
#[derive(Clone, Copy)]
struct KnownUser(RwSignal<Option<SessionUser>>);

fn known_user() -> RwSignal<Option<SessionUser>> {
    match use_context::<KnownUser>() {
        Some(k) => k.0,
        None => {
            let k = KnownUser(RwSignal::new(None));
            provide_context(k);
            k.0
        }
    }
}

/// Provided once per tab (by the app), so every page's [`SignedIn`] shares it.
pub fn provide_known_user() {
    let _ = known_user();
}

/// Renders `page` with the signed-in user inside the app frame.
#[component]
pub fn SignedIn<F, V>(page: F) -> impl IntoView
where
    F: Fn(SessionUser) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let user = Resource::new(|| (), |_| current_user());
    let known = known_user();
    let clock = use_clock();
    view! {
        <Suspense fallback=|| view! { <p class="loading page" role="status">"Loading…"</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => {
                            let _ = known.try_set(Some(user.clone()));
                            clock.set_zone(user.time_zone.clone());
                            let content = page(user.clone());
                            view! { <Frame user>{content}</Frame> }.into_any()
                        }
                        Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                        // the server did not answer: the page keeps its frame, its parts show
                        // their own errors and retry once the server is back
                        Err(e) => match known.try_get_untracked().flatten() {
                            Some(user) => {
                                use_context::<crate::components::status::Status>()
                                    .inspect(|s| s.noticed(&e));
                                let content = page(user.clone());
                                view! { <Frame user>{content}</Frame> }.into_any()
                            }
                            None => view! {
                                <main class="page" id="main">
                                    <div class="error-page">
                                        <ErrorView
                                            error=e
                                            title="Tandem could not load this page"
                                            retry=move |_| user.refetch()
                                        />
                                    </div>
                                </main>
                            }
                                .into_any(),
                        },
                    }
                })
            }}
        </Suspense>
    }
}

/// Where a user starts: agents at their tickets, customers at theirs.
pub fn home_path(user: &SessionUser) -> &'static str {
    if user.is_agent {
        "/tickets/view/mine"
    } else {
        "/tickets/view/all"
    }
}

#[component]
fn Frame(user: SessionUser, children: Children) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let live = use_live();
    Effect::new(move |_| live.connect());
    let role = user.role_label();
    let home = home_path(&user);
    let agent = user.is_agent;
    // the search box keeps the query of the search results it shows (reloads included)
    let location = use_location();
    let query = use_query_map();
    let searched = Memo::new(move |_| {
        if location.pathname.get() == "/tickets/view/search" {
            query.with(|q| q.get("q")).unwrap_or_default()
        } else {
            String::new()
        }
    });
    view! {
        <header class="topbar">
            <a class="brand" href=home>"Tandem"</a>
            <nav class="mainnav" aria-label="Main">
                <A href=home>"Tickets"</A>
                <A href="/tickets/new">"New ticket"</A>
                {user.is_admin.then(|| view! { <A href="/admin">"Admin"</A> })}
            </nav>
            <form class="search" method="get" action="/tickets/view/search" role="search">
                <label class="sr-only" for="search-q">"Search tickets"</label>
                <input
                    id="search-q"
                    name="q"
                    type="search"
                    placeholder="Search tickets…"
                    autocomplete="off"
                    value=move || searched.get()
                    prop:value=move || searched.get()
                />
            </form>
            <div class="who">
                <span
                    class="live-dot"
                    class:online=move || live.connected.get()
                    title=move || if live.connected.get() { "Live updates on" } else { "Live updates offline" }
                    aria-hidden="true"
                ></span>
                {agent.then(|| view! { <Bell/> })}
                <a class="profile-link" href="/profile" title="Your profile and notification settings">
                    <span id="current-user">{user.name.clone()}</span>
                </a>
                <span class="badge">{role}</span>
                <ActionForm action=sign_out>
                    <button type="submit" class="link">"Sign out"</button>
                </ActionForm>
            </div>
        </header>
        <main class="page" id="main">
            <StatusBanners/>
            {children()}
        </main>
    }
}

/// `data-ready="true"` once this part of the page is hydrated and interactive (on the server
/// and before hydration it is absent). Tests wait for it before they click.
pub fn ready_marker() -> impl Fn() -> Option<&'static str> + Copy + Send + Sync + 'static {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    move || hydrated.get().then_some("true")
}

/// The route's `:id` parameter as a record id (0 when it is missing or no number: the record
/// read then answers "not found").
pub fn route_id() -> Memo<i64> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| {
        params.with(|p| {
            p.get("id")
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0)
        })
    })
}
