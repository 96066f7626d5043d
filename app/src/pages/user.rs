//! `/users/:id`: a user's profile for agents, after Zammad's user profile view
//! (`app/assets/javascripts/app/controllers/user_profile.coffee`; mentions link here, as
//! Zammad's `href="/users/ID"`): the person (avatar, name, e-mail, phone, organisation, roles,
//! active or not) and their tickets — open and closed ones as customer, and for an agent the
//! open tickets they own. What the viewer may see is decided on the server (the user policy
//! and the ticket scope): a customer sees their own page and, of the members of their shared
//! organisations, what Zammad shows customers of other users.

use leptos::prelude::*;

use crate::api::users::{UserProfile, UserTickets, show_user};
use crate::components::avatar::Avatar;
use crate::components::layout::{SignedIn, ready_marker, route_id};
use crate::components::status::RecordError;
use crate::components::time::When;

/// The resource is created here, at the top of the route (see `OverviewPage`).
#[component]
pub fn UserPage() -> impl IntoView {
    let id = route_id();
    let profile = Resource::new(move || id.get(), show_user);
    view! { <SignedIn page=move |_| view! { <User profile/> }/> }
}

#[component]
fn User(profile: Resource<Result<UserProfile, ServerFnError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading user…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(p) => view! { <ProfileView p/> }.into_any(),
                    Err(e) => view! {
                        <RecordError error=e refused="User not available" failed="The user could not be loaded" retry=move |_| profile.refetch()/>
                    }
                        .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ProfileView(p: UserProfile) -> impl IntoView {
    let ready = ready_marker();
    let tab_title = format!("{} – Tandem", p.name);
    let heading = if p.name.is_empty() {
        format!("User {}", p.id)
    } else {
        p.name.clone()
    };
    let roles = p.roles.join(", ");
    view! {
        <leptos_meta::Title text=tab_title/>
        <div class="user-page" data-user-id=p.id data-ready=ready>
            <section class="profile-card user-card" aria-labelledby="user-name">
                <div class="user-head">
                    <Avatar name=heading.clone()/>
                    <div>
                        <h1 id="user-name">{heading}</h1>
                        <p class="user-status">
                            {if p.active {
                                view! { <span class="user-active">"Active"</span> }.into_any()
                            } else {
                                view! { <span class="user-inactive">"Inactive"</span> }.into_any()
                            }}
                            {(!roles.is_empty()).then(|| view! {
                                " · " <span class="user-roles">{roles}</span>
                            })}
                        </p>
                    </div>
                </div>
                <dl class="profile-facts">
                    {p.email.clone().map(|email| view! {
                        <dt>"E-mail"</dt>
                        <dd class="user-email">
                            <a href=format!("mailto:{email}")>{email.clone()}</a>
                        </dd>
                    })}
                    {p.phone.clone().map(|phone| view! {
                        <dt>"Phone"</dt>
                        <dd class="user-phone">{phone}</dd>
                    })}
                    {p.mobile.clone().map(|mobile| view! {
                        <dt>"Mobile"</dt>
                        <dd class="user-mobile">{mobile}</dd>
                    })}
                    {p.organization.clone().map(|org| view! {
                        <dt>"Organisation"</dt>
                        <dd class="user-organization">{org}</dd>
                    })}
                </dl>
            </section>
            <TicketList
                heading="Open tickets"
                testid="user-open-tickets"
                list=p.open
                empty="No open tickets."
            />
            <TicketList
                heading="Closed tickets"
                testid="user-closed-tickets"
                list=p.closed
                empty="No closed tickets."
            />
            {p.owned.map(|owned| view! {
                <TicketList
                    heading="Open tickets owned"
                    testid="user-owned-tickets"
                    list=owned
                    empty="Owns no open tickets."
                />
            })}
        </div>
    }
}

/// One list of the page: number, title, state and last change of each ticket, a link to it,
/// and a note when there are more than it shows.
#[component]
fn TicketList(
    heading: &'static str,
    testid: &'static str,
    list: UserTickets,
    empty: &'static str,
) -> impl IntoView {
    let heading_id = format!("{testid}-heading");
    let labelled_by = heading_id.clone();
    let shown = list.tickets.len() as i64;
    let more = (list.total > shown)
        .then(|| format!("Showing the newest {shown} of {} tickets.", list.total));
    view! {
        <section class="profile-card user-tickets" aria-labelledby=labelled_by data-testid=testid>
            <h2 id=heading_id>
                {heading}
                " "
                <span class="muted user-ticket-count">{format!("({})", list.total)}</span>
            </h2>
            {if list.tickets.is_empty() {
                view! { <p class="muted">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul class="user-ticket-list">
                        {list.tickets.into_iter().map(|t| view! {
                            <li data-ticket-id=t.id>
                                <a href=format!("/tickets/{}", t.id) title=t.title.clone()>
                                    <span class="other-number">{format!("#{}", t.number)}</span>
                                    " "
                                    {t.title.clone()}
                                </a>
                                <span class=format!("state state-{}", t.state_type.replace(' ', "-"))>
                                    {t.state}
                                </span>
                                <span class="muted user-ticket-time">
                                    <When iso=t.updated_at relative=true/>
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            {more.map(|m| view! { <p class="muted user-tickets-more" role="note">{m}</p> })}
        </section>
    }
}
