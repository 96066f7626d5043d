//! Tandem's web app: components rendered on the server and hydrated in the browser, and the
//! server functions they call (which use the same domain services as the REST API).

pub mod pages;
pub mod session;

#[cfg(feature = "ssr")]
mod server_context;
#[cfg(feature = "ssr")]
pub use server_context::ServerContext;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/tandem.css"/>
        <Title text="Tandem"/>
        <Router>
            <Routes fallback=|| view! { <main class="page"><h1>"Page not found"</h1></main> }>
                <Route path=path!("/") view=pages::home::HomePage/>
                <Route path=path!("/login") view=pages::login::LoginPage/>
            </Routes>
        </Router>
    }
}
