//! The customer's and organisation's other open tickets in the sidebar (links to them).

use leptos::prelude::*;

use super::Shared;
use crate::api::ticket_tools::{OtherTickets, TicketBrief, other_open_tickets};
use crate::pages::overview::clean_error;

/// The other open tickets of the customer and of the organisation (agents), reloaded with the
/// ticket (a new customer, a new ticket of theirs).
#[component]
pub(super) fn OtherOpenTickets(z: Shared) -> impl IntoView {
    let ticket_id = z.ticket_id;
    // None: loading
    let others = RwSignal::new(None::<Result<OtherTickets, String>>);
    let customer = Memo::new(move |_| z.latest.with(|t| t.customer.id));
    let organization = Memo::new(move |_| z.latest.with(|t| t.customer.organization.clone()));
    // in the browser only: as loaded, and again when the ticket gets another customer
    Effect::new(move |_| {
        customer.track();
        leptos::task::spawn_local(async move {
            let answer = other_open_tickets(ticket_id)
                .await
                .map_err(|e| clean_error(&e.to_string()));
            let _ = others.try_set(Some(answer));
        });
    });
    let list = |tickets: Vec<TicketBrief>, label: &'static str, testid: &'static str| {
        view! {
            <ul class="other-tickets" aria-label=label data-testid=testid>
                {tickets.into_iter().map(|t| view! {
                    <li>
                        <a href=format!("/tickets/{}", t.id) title=t.title.clone()>
                            <span class="other-number">{format!("#{}", t.number)}</span>
                            " "
                            {t.title.clone()}
                        </a>
                        <span class="muted small">{t.state}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
    };
    let customer_name = Memo::new(move |_| z.latest.with(|t| t.customer.name.clone()));
    view! {
        <section class="side-block other-open" aria-labelledby="other-open-heading">
            <h2 id="other-open-heading">"Other open tickets"</h2>
            {move || match others.get() {
                None => view! { <p class="muted small" role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error small" role="alert">{e}</p> }.into_any(),
                Some(Ok(o)) => {
                    let org = organization.get().unwrap_or_else(|| "the organisation".into());
                    view! {
                        <h3 class="small-heading">{customer_name.get()}</h3>
                        {if o.customer.is_empty() {
                            view! { <p class="muted small" data-testid="customer-tickets">"None."</p> }.into_any()
                        } else {
                            list(o.customer, "Other open tickets of the customer", "customer-tickets").into_any()
                        }}
                        {(!o.organization.is_empty()).then(|| view! {
                            <h3 class="small-heading">{org}</h3>
                            {list(o.organization, "Other open tickets of the organisation", "organization-tickets")}
                        })}
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
