//! How the app copes with the server: readable errors inside the part that failed (with a
//! Retry), an offline banner while the server cannot be reached, recovery by itself once it is
//! back, and a reload offer when the server runs a newer build than this tab's bundle.
//!
//! Every page's failure goes through [`ErrorView`] (or [`readable_error`] for an inline message
//! such as a failed send) and [`Status::noticed`]: a network failure marks the app unreachable
//! (the banner shows and the server is asked again every few seconds); an unknown server
//! function (404: the server was updated) makes the tab compare build ids. When the server
//! answers again, [`Status::back`] ticks and the error views retry by themselves.

use leptos::prelude::*;

use crate::components::live::use_live;

/// The build this bundle (and a server of the same build) was compiled from: a hash of the web
/// app's sources, written by `app/build.rs`.
pub const BUILD_ID: &str = env!("TANDEM_BUILD_ID");

/// The server's build. A fixed path (no hash in it), so a bundle of any version can ask.
#[server(prefix = "/api", endpoint = "tandem_build")]
pub async fn server_build() -> Result<String, ServerFnError> {
    Ok(BUILD_ID.to_string())
}

/// The app's view of the server (provided once per tab by [`provide_status`]).
#[derive(Clone, Copy)]
pub struct Status {
    /// A server call failed on the network: the server cannot be reached.
    pub unreachable: RwSignal<bool>,
    /// The server runs another build than this bundle: offer a reload.
    pub outdated: RwSignal<bool>,
    /// Ticks each time the server answers again after an outage: error views retry.
    pub back: RwSignal<u64>,
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    polling: StoredValue<bool>,
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    checking: StoredValue<bool>,
}

pub fn provide_status() -> Status {
    let status = Status {
        unreachable: RwSignal::new(false),
        outdated: RwSignal::new(false),
        back: RwSignal::new(0),
        polling: StoredValue::new(false),
        checking: StoredValue::new(false),
    };
    provide_context(status);
    status
}

pub fn use_status() -> Status {
    use_context::<Status>().unwrap_or_else(provide_status)
}

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The request did not reach the server (offline, server down).
    Network,
    /// The server does not know the server function: it runs a newer build.
    Outdated,
    /// The server answered with an error (permission, validation, not found…).
    Server,
}

pub fn failure_of(text: &str) -> Failure {
    if text.contains("error reaching server")
        || text.contains("Failed to fetch")
        || text.contains("NetworkError")
        || text.contains("Load failed")
    {
        Failure::Network
    } else if text.contains("Could not find a server function") {
        Failure::Outdated
    } else {
        Failure::Server
    }
}

/// A server function's error as a person reads it: no framework prefixes, and a sentence for
/// an unreachable server or an outdated page instead of the browser's `TypeError`.
pub fn readable_error(e: &ServerFnError) -> String {
    readable_text(&e.to_string())
}

pub fn readable_text(text: &str) -> String {
    match failure_of(text) {
        Failure::Network => {
            "The server cannot be reached. Tandem tries again by itself; nothing you typed is lost."
                .to_string()
        }
        Failure::Outdated => {
            "Tandem was updated on the server. Reload the page to use the new version.".to_string()
        }
        Failure::Server => {
            let clean = text
                .trim_start_matches("error running server function: ")
                .trim_start_matches("ServerFnError: ")
                .trim();
            if clean.is_empty() {
                "Something went wrong. Please try again.".to_string()
            } else {
                clean.to_string()
            }
        }
    }
}

impl Status {
    /// Takes note of a failed server call (browser only; try_*: may run after a page is gone).
    pub fn noticed(&self, e: &ServerFnError) {
        match failure_of(&e.to_string()) {
            Failure::Network => self.went_unreachable(),
            Failure::Outdated => self.check_build(),
            Failure::Server => {}
        }
    }

    fn went_unreachable(&self) {
        if self.unreachable.try_get_untracked() == Some(false) {
            let _ = self.unreachable.try_set(true);
        }
        #[cfg(feature = "browser")]
        if self.polling.try_get_value() == Some(false) {
            let _ = self.polling.try_set_value(true);
            browser::poll(*self);
        }
    }

    /// The server answered again: the banner goes, error views retry.
    pub fn reached(&self) {
        if self.unreachable.try_get_untracked() == Some(true) {
            let _ = self.unreachable.try_set(false);
            let _ = self.back.try_update(|n| *n += 1);
        }
    }

    /// Asks the server for its build and offers a reload when it differs from this bundle's.
    pub fn check_build(&self) {
        #[cfg(feature = "browser")]
        {
            if self.checking.try_get_value() != Some(false) {
                return;
            }
            let _ = self.checking.try_set_value(true);
            let status = *self;
            leptos::task::spawn_local(async move {
                match server_build().await {
                    Ok(id) => {
                        status.reached();
                        if id != BUILD_ID {
                            let _ = status.outdated.try_set(true);
                        }
                    }
                    Err(e) => {
                        if failure_of(&e.to_string()) == Failure::Network {
                            status.went_unreachable();
                        }
                    }
                }
                let _ = status.checking.try_set_value(false);
            });
        }
    }
}

#[cfg(feature = "browser")]
mod browser {
    use super::{Failure, Status, failure_of, server_build};
    use leptos::prelude::*;

    /// While the server cannot be reached: ask every 3 s until it answers.
    pub fn poll(status: Status) {
        set_timeout(
            move || {
                if status.unreachable.try_get_untracked() != Some(true) {
                    let _ = status.polling.try_set_value(false);
                    return;
                }
                leptos::task::spawn_local(async move {
                    match server_build().await {
                        Ok(id) => {
                            let _ = status.polling.try_set_value(false);
                            if id != super::BUILD_ID {
                                let _ = status.outdated.try_set(true);
                            }
                            status.reached();
                        }
                        Err(e) if failure_of(&e.to_string()) == Failure::Network => poll(status),
                        Err(_) => {
                            let _ = status.polling.try_set_value(false);
                            status.reached();
                        }
                    }
                });
            },
            std::time::Duration::from_secs(3),
        );
    }

    pub fn reload() {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    }
}

/// A whole page whose record (a ticket, a user) could not be loaded: the heading `refused`
/// when the server refused it (unknown, not the viewer's), else `failed`; the failure with a
/// Retry, and the way back to the tickets.
#[component]
pub fn RecordError(
    error: ServerFnError,
    /// E.g. "Ticket not available".
    refused: &'static str,
    /// E.g. "The ticket could not be loaded".
    failed: &'static str,
    #[prop(into)] retry: Callback<()>,
) -> impl IntoView {
    let title = if failure_of(&error.to_string()) == Failure::Server {
        refused
    } else {
        failed
    };
    view! {
        <div class="error-page">
            <ErrorView error title retry/>
            <a href="/">"Back to the tickets"</a>
        </div>
    }
}

/// A failure inside the part of the page that failed: what went wrong, in words, and a Retry.
/// It retries by itself when the server is back after an outage.
#[component]
pub fn ErrorView(
    error: ServerFnError,
    #[prop(into)] retry: Callback<()>,
    /// A heading above the message (a whole page that could not load).
    #[prop(optional)]
    title: Option<&'static str>,
) -> impl IntoView {
    let status = use_status();
    let message = readable_error(&error);
    let failure = failure_of(&error.to_string());
    // in the browser: note the failure (banner, build check), retry when the server is back
    Effect::new(move |_| status.noticed(&error));
    Effect::new(move |seen: Option<u64>| {
        let n = status.back.get();
        if seen.is_some_and(|s| s != n) {
            retry.run(());
        }
        n
    });
    let kind = match failure {
        Failure::Network => "network",
        Failure::Outdated => "outdated",
        Failure::Server => "server",
    };
    view! {
        <div class="error-box" role="alert" data-failure=kind>
            {title.map(|t| view! { <h1>{t}</h1> })}
            <p class="error">{message}</p>
            <button type="button" class="retry" on:click=move |_| retry.run(())>"Retry"</button>
        </div>
    }
}

/// The banners every signed-in page carries: offline (the server cannot be reached, the live
/// connection is down) and a newer version of Tandem on the server.
#[component]
pub fn StatusBanners() -> impl IntoView {
    let status = use_status();
    let live = use_live();
    // the tab's live socket dropped (after it had connected once), or a server call failed
    let offline =
        move || status.unreachable.get() || (live.ever_connected() && !live.connected.get());
    // every (re)connection of the live socket: the server may have been restarted with another
    // build, and whatever failed meanwhile may work again
    Effect::new(move |was: Option<bool>| {
        let now = live.connected.get();
        if now && was != Some(true) {
            status.check_build();
        }
        now
    });
    view! {
        {move || offline().then(|| view! {
            <div class="banner offline" role="status" data-testid="offline-banner">
                <strong>"Offline."</strong>
                " The server cannot be reached. Tandem reconnects by itself; what you write is kept."
            </div>
        })}
        {move || status.outdated.get().then(|| view! {
            <div class="banner update" role="alert" data-testid="update-banner">
                <strong>"Tandem was updated."</strong>
                " This page is from an older version, so saving may fail. "
                <button
                    type="button"
                    class="primary"
                    id="reload-app"
                    on:click=move |_| {
                        #[cfg(feature = "browser")]
                        browser::reload();
                    }
                >
                    "Reload"
                </button>
            </div>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_read_as_sentences() {
        let offline = "error reaching server to call server function: TypeError: Failed to fetch";
        assert_eq!(failure_of(offline), Failure::Network);
        assert!(readable_text(offline).starts_with("The server cannot be reached."));
        let outdated = "error deserializing server function results: Could not deserialize error \"Could not find a server function at the route /api/list_tickets12\"";
        assert_eq!(failure_of(outdated), Failure::Outdated);
        assert!(readable_text(outdated).contains("Reload the page"));
        let refused = "error running server function: You have no permission to do this.";
        assert_eq!(failure_of(refused), Failure::Server);
        assert_eq!(readable_text(refused), "You have no permission to do this.");
        assert_eq!(
            readable_text("ServerFnError: "),
            "Something went wrong. Please try again."
        );
    }
}
