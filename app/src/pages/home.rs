//! `/`: agents go to their tickets, customers to theirs, anonymous visitors to sign in.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::layout::home_path;
use crate::components::status::ErrorView;
use crate::session::current_user;

#[component]
pub fn HomePage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! { <Redirect path=home_path(&user)/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! {
                        <main class="page" id="main">
                            <div class="error-page">
                                <ErrorView error=e title="Tandem could not load this page" retry=move |_| user.refetch()/>
                            </div>
                        </main>
                    }
                        .into_any(),
                }
            })}
        </Suspense>
    }
}
