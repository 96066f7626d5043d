//! The agents' part of the sidebar (issue 16): the tags, the linked tickets, the actions
//! History, Subscribe and Merge, and the customer's other open tickets. Each part keeps its own
//! state across reloads of the ticket (it is not re-rendered with the sidebar's details).

use leptos::prelude::*;

use super::Shared;
use super::history::HistoryButton;
use super::links::Links;
use super::merge::MergeButton;
use super::others::OtherOpenTickets;
use super::subscribe::SubscribeButton;
use super::tags::Tags;

#[component]
pub(super) fn SidebarTools(z: Shared) -> impl IntoView {
    let ticket_id = z.ticket_id;
    let number = z.latest.with_untracked(|t| t.number.clone());
    let change = z.can.change;
    view! {
        <Tags z/>
        <Links z/>
        <section class="side-block side-actions-block" aria-labelledby="ticket-actions-heading">
            <h2 id="ticket-actions-heading">"Actions"</h2>
            <div class="side-actions">
                <HistoryButton ticket_id/>
                <SubscribeButton z/>
                {change.then(|| view! { <MergeButton ticket_id number/> })}
            </div>
        </section>
        <OtherOpenTickets z/>
    }
}
