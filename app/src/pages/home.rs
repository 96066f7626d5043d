//! The start page after sign-in. Anonymous visitors are sent to the sign-in page.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::session::{SessionUser, SignOut, current_user};

#[component]
pub fn HomePage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! { <Dashboard user/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Dashboard(user: SessionUser) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let role = if user.is_admin {
        "Admin"
    } else if user.is_agent {
        "Agent"
    } else {
        "Customer"
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Tandem"</a>
            <div class="who">
                <span id="current-user">{user.name.clone()}</span>
                <span class="badge">{role}</span>
                <ActionForm action=sign_out>
                    <button type="submit" class="link">"Sign out"</button>
                </ActionForm>
            </div>
        </header>
        <main class="page">
            <h1>"Welcome, " {user.name.clone()}</h1>
            <p class="muted">"Signed in as " {user.login.clone()}</p>
        </main>
    }
}
