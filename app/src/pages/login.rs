//! The sign-in page. Works without JavaScript (a plain form post) and hydrated.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::session::SignIn;

#[component]
pub fn LoginPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let result = sign_in.value();
    // After a successful sign-in in the browser, load the app with the new session.
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            let navigate = use_navigate();
            navigate("/", Default::default());
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys_window() {
                let _ = window.location().assign("/");
            }
        }
    });
    let error = move || match result.get() {
        Some(Err(e)) => Some(
            e.to_string()
                .trim_start_matches("error running server function: ")
                .to_string(),
        ),
        _ => None,
    };
    view! {
        <main class="login-page">
            <section class="login-card" aria-labelledby="login-title">
                <h1 id="login-title" class="brand">"Tandem"</h1>
                <p class="muted">"Sign in to your helpdesk"</p>
                <ActionForm action=sign_in>
                    <label for="login">"Login or e-mail"</label>
                    <input id="login" name="login" type="text" autocomplete="username" required autofocus/>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    {move || error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                    <button type="submit" class="primary" disabled=move || sign_in.pending().get()>
                        {move || if sign_in.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </section>
        </main>
    }
}

#[cfg(feature = "hydrate")]
fn web_sys_window() -> Option<web_sys::Window> {
    web_sys::window()
}
