//! The ticket view (zoom): editable title, the thread, the sidebar (state, priority, group,
//! owner, customer, tags), the reply composer (sent together with the sidebar changes, in one
//! request), who else is viewing or typing, live refresh, and the admin's delete.
//!
//! This file loads the ticket and composes the parts; each part keeps its own state and
//! effects, and they share [`Shared`].

mod article_actions;
mod delete;
mod dialog;
mod history;
mod links;
mod macros;
mod merge;
mod others;
mod reply;
mod sidebar;
mod subscribe;
mod tags;
mod thread;
mod title;
mod tools;

use leptos::prelude::*;

use crate::api::tickets::show_ticket;
use crate::api::{Abilities, ArticleView, TicketZoom};
use crate::components::layout::{SignedIn, home_path, ready_marker, route_id};
use crate::components::live::{ServerMessage, use_live};
use crate::components::status::RecordError;
use crate::session::SessionUser;
use delete::DeleteTicket;
use reply::{DraftWatch, Reply, ReplyForm};
use sidebar::{Choices, Sidebar};
use thread::{Thread, merge_articles};
use title::TitleRow;

/// The resource is created here, at the top of the route (see `OverviewPage`).
#[component]
pub fn TicketPage() -> impl IntoView {
    let id = route_id();
    // loaded once per ticket; later changes are applied in place by TicketView
    let zoom = Resource::new(move || id.get(), show_ticket);
    view! { <SignedIn page=move |user| view! { <Ticket user id zoom/> }/> }
}

#[component]
fn Ticket(
    user: SessionUser,
    id: Memo<i64>,
    zoom: Resource<Result<TicketZoom, ServerFnError>>,
) -> impl IntoView {
    let live = use_live();
    let deleted = RwSignal::new(false);
    // this tab views the ticket (agents see each other in the viewing row)
    Effect::new(move |_| {
        let ticket = id.get();
        if ticket > 0 {
            live.view(ticket, false);
        }
    });
    on_cleanup(move || live.leave_current());
    let home = home_path(&user);
    view! {
        {move || deleted.get().then(|| view! {
            <div class="banner error" role="alert">
                "This ticket was deleted. " <a href=home>"Back to the list"</a>
            </div>
        })}
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading ticket…"</p> }>
            {
                let user = user.clone();
                move || {
                    let user = user.clone();
                    Suspend::new(async move {
                        match zoom.await {
                            Ok(t) => view! { <TicketView t user deleted/> }.into_any(),
                            Err(e) => view! {
                                <RecordError error=e refused="Ticket not available" failed="The ticket could not be loaded" retry=move |_| zoom.refetch()/>
                            }
                                .into_any(),
                        }
                    })
                }
            }
        </Transition>
    }
}

/// What the parts of the ticket view share (all of it `Copy`).
#[derive(Clone, Copy)]
struct Shared {
    ticket_id: i64,
    can: Abilities,
    /// The version the sidebar's choices are compared with: as loaded, then as last reloaded.
    original: StoredValue<TicketZoom>,
    /// The newest version (the sidebar and the tab's title show it).
    latest: RwSignal<TicketZoom>,
    /// The thread: the newest articles first, older ones added on demand ("N earlier").
    thread: RwSignal<Vec<ArticleView>>,
    /// The sidebar's unsaved choices.
    choices: Choices,
    /// The reply being written.
    reply: Reply,
    /// The tab's live socket said the ticket was deleted.
    deleted: RwSignal<bool>,
}

impl Shared {
    fn new(t: &TicketZoom, deleted: RwSignal<bool>) -> Shared {
        Shared {
            ticket_id: t.id,
            can: t.can,
            original: StoredValue::new(t.clone()),
            latest: RwSignal::new(t.clone()),
            thread: RwSignal::new(t.articles.clone()),
            choices: Choices::new(t),
            reply: Reply::new(t),
            deleted,
        }
    }

    /// A newer version of the ticket: the thread grows in place, the composer and the
    /// sidebar choices the user has not touched follow the server, touched ones stay.
    fn reload(self) {
        leptos::task::spawn_local(async move {
            if let Ok(z) = show_ticket(self.ticket_id).await {
                // the page may have gone away while the request ran
                let Some(o) = self.original.try_get_value() else {
                    return;
                };
                self.choices.follow(&o, &z);
                // new and changed articles go into the thread; older ones stay as loaded
                let _ = self
                    .thread
                    .try_update(|shown| merge_articles(shown, &z.articles));
                let _ = self.original.try_set_value(z.clone());
                let _ = self.latest.try_set(z);
            }
        });
    }

    /// What the tab's live socket says about this ticket: a change (or a reconnection, after
    /// which anything may have changed) reloads it; a deletion is shown.
    fn follow_live(self) {
        let live = use_live();
        Effect::new(move |seen: Option<u64>| {
            let (n, event) = live.event.get();
            if seen.is_some_and(|s| s != n) {
                match event {
                    Some(ServerMessage::TicketChanged { ticket_id: changed })
                        if changed == self.ticket_id =>
                    {
                        self.reload()
                    }
                    Some(ServerMessage::TicketDeleted { ticket_id: gone })
                        if gone == self.ticket_id =>
                    {
                        self.deleted.set(true)
                    }
                    Some(ServerMessage::Hello) => self.reload(),
                    _ => {}
                }
            }
            n
        });
    }
}

#[component]
fn TicketView(t: TicketZoom, user: SessionUser, deleted: RwSignal<bool>) -> impl IntoView {
    let z = Shared::new(&t, deleted);
    z.follow_live();
    crate::components::seen::record_views(t.id, move || z.latest.with(|t| t.updated_at.clone()));
    let ready = ready_marker();
    // the browser tab names the ticket
    let tab_title = move || {
        z.latest
            .with(|t| format!("#{} {} – Tandem", t.number, t.title))
    };
    let reload = move || z.reload();
    view! {
        <leptos_meta::Title text=tab_title/>
        <div class="zoom" data-ticket-id=t.id data-text-modules=(z.can.agent && z.can.change).then_some(t.id) data-ready=ready>
            <div class="zoom-main">
                <TitleRow t=t.clone() reload/>
                {(z.can.agent && z.can.change).then(|| view! { <macros::MacroMenu z home=home_path(&user)/> })}
                <Viewers me=user.id/>
                <Thread z earlier=t.earlier/>
                {z.can.change.then(|| view! { <ReplyForm z user=user.clone()/> })}
                {z.can.watch_draft.then(|| view! { <DraftWatch z user=user.clone()/> })}
            </div>
            <Sidebar z>
                {z.can.delete.then(|| view! { <DeleteTicket id=t.id number=t.number.clone() user=user.clone()/> })}
            </Sidebar>
        </div>
    }
}

/// Who else views the ticket, and who of them is typing.
#[component]
fn Viewers(me: i64) -> impl IntoView {
    let live = use_live();
    let others = move || {
        live.viewers
            .get()
            .into_iter()
            .filter(|v| v.user_id != me)
            .collect::<Vec<_>>()
    };
    view! {
        <div class="viewers" aria-live="polite" data-testid="viewers">
            {move || {
                let others = others();
                (!others.is_empty()).then(|| view! {
                    <span class="muted">"Also here: "</span>
                    {others.into_iter().map(|v| view! {
                        <span class="viewer" class:typing=v.typing data-user-id=v.user_id>
                            {v.name.clone()}
                            {v.typing.then(|| view! { <em class="typing-label">" typing…"</em> })}
                        </span>
                    }).collect_view()}
                })
            }}
        </div>
    }
}
