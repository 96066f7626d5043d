//! Tandem's web app: components rendered on the server and hydrated in the browser, and the
//! server functions they call (which use the same domain services as the REST API).
#![recursion_limit = "512"]

pub mod api;
pub mod components;
pub mod pages;
pub mod session;

#[cfg(feature = "ssr")]
mod server_context;
#[cfg(feature = "ssr")]
pub use server_context::ServerContext;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_security_headers();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// A strict Content-Security-Policy for every page: scripts only from us (the inline hydration
/// scripts carry this response's nonce), no plugins, no framing. Article bodies are stored
/// sanitised and shown inside this policy, so even a sanitiser miss cannot run script.
#[cfg(feature = "ssr")]
fn set_security_headers() {
    use axum::http::{HeaderName, HeaderValue, header};
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce()
        .map(|n| format!(" 'nonce-{n}'"))
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    let headers: [(HeaderName, String); 3] = [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        (header::REFERRER_POLICY, "same-origin".into()),
    ];
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.insert_header(name, value);
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::live::provide_live();
    components::status::provide_status();
    components::time::provide_clock();
    components::layout::provide_known_user();
    // Marks the page once the browser has hydrated it (tests wait for this; SSR never sets it).
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/tandem.css"/>
        <Title text="Tandem"/>
        <Router>
            // Async SSR: pages arrive complete, so they read fine without JavaScript.
            <Routes fallback=|| view! { <main class="page"><h1>"Page not found"</h1></main> }>
                <Route path=path!("/") view=pages::home::HomePage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/profile") view=pages::profile::ProfilePage ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=pages::admin::AdminPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/*any") view=pages::admin::AdminPage ssr=SsrMode::Async/>
                <Route path=path!("/tickets/new") view=pages::new_ticket::NewTicketPage ssr=SsrMode::Async/>
                <Route path=path!("/tickets/view/:overview") view=pages::overview::OverviewPage ssr=SsrMode::Async/>
                <Route path=path!("/tickets/:id") view=pages::ticket::TicketPage ssr=SsrMode::Async/>
                <Route path=path!("/users/:id") view=pages::user::UserPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
