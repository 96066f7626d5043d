//! The ticket view (zoom): editable title, the thread, the sidebar (state, priority, group,
//! owner, customer, tags), the reply composer (sent together with the sidebar changes, in one
//! request), who else is viewing or typing, live refresh, and the admin's delete.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::mail::email_sending_enabled;
use crate::api::tickets::{
    delete_ticket, discard_shared_draft, earlier_articles, show_ticket, update_ticket,
};
use crate::api::{ArticleView, Delivery, NewReply, TicketChanges, TicketZoom};
use crate::components::composer::{Composer, ComposerSetup, ReplyControl, format_size};
use crate::components::layout::{SignedIn, home_path, ready_marker};
use crate::components::live::{ServerMessage, use_live};
use crate::components::status::{ErrorView, Failure, failure_of, use_status};
use crate::components::time::{When, short_time};
use crate::pages::overview::clean_error;
use crate::session::SessionUser;

/// The resource is created here, at the top of the route (see `OverviewPage`).
#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| {
            p.get("id")
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0)
        })
    });
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
                            Err(e) => {
                                let title = if failure_of(&e.to_string()) == Failure::Server {
                                    "Ticket not available"
                                } else {
                                    "The ticket could not be loaded"
                                };
                                view! {
                                    <div class="error-page">
                                        <ErrorView error=e title retry=move |_| zoom.refetch()/>
                                        <a href="/">"Back to the tickets"</a>
                                    </div>
                                }
                                    .into_any()
                            }
                        }
                    })
                }
            }
        </Transition>
    }
}

/// The sidebar's unsaved choices.
#[derive(Clone, Copy)]
struct Sidebar {
    state_id: RwSignal<i64>,
    priority_id: RwSignal<i64>,
    group_id: RwSignal<i64>,
    owner_id: RwSignal<i64>,
    /// A pending state's time as the `datetime-local` input holds it (local, `YYYY-MM-DDTHH:MM`).
    pending_time: RwSignal<String>,
}

#[component]
fn TicketView(t: TicketZoom, user: SessionUser, deleted: RwSignal<bool>) -> impl IntoView {
    let ticket_id = t.id;
    let original = StoredValue::new(t.clone());
    let latest = RwSignal::new(t.clone());
    // The thread: the newest articles first, older ones added on demand ("N earlier").
    let thread = RwSignal::new(t.articles.clone());
    let earlier = RwSignal::new(t.earlier);
    let status = use_status();
    let sidebar = Sidebar {
        state_id: RwSignal::new(t.state_id),
        priority_id: RwSignal::new(t.priority_id),
        group_id: RwSignal::new(t.group_id),
        owner_id: RwSignal::new(t.owner_id),
        pending_time: RwSignal::new(local_input(t.pending_time.as_deref())),
    };
    let pending_ids = StoredValue::new(t.pending_state_ids.clone());
    let is_pending = move |state_id: i64| pending_ids.with_value(|ids| ids.contains(&state_id));
    // a pending state needs its time: tomorrow 09:00 unless one is set
    Effect::new(move |_| {
        if is_pending(sidebar.state_id.get()) && sidebar.pending_time.get_untracked().is_empty() {
            sidebar.pending_time.set(tomorrow_nine());
        }
    });
    let control = ReplyControl::new();
    let kind = RwSignal::new(if t.can.agent {
        "note".to_string()
    } else {
        "web".to_string()
    });
    let internal = RwSignal::new(t.can.agent);
    let to = RwSignal::new(t.customer.email.clone());
    let cc = RwSignal::new(String::new());
    let subject = RwSignal::new(t.title.clone());
    // whether this server sends e-mail: asked once the agent chooses the E-mail type
    let email_on = RwSignal::new(None::<bool>);
    let email_asked = StoredValue::new(false);
    Effect::new(move |_| {
        if kind.get() != "email" || email_asked.get_value() {
            return;
        }
        email_asked.set_value(true);
        leptos::task::spawn_local(async move {
            match email_sending_enabled().await {
                Ok(on) => {
                    let _ = email_on.try_set(Some(on));
                }
                // asked again the next time E-mail is chosen
                Err(_) => {
                    let _ = email_asked.try_set_value(false);
                }
            }
        });
    });
    let sending = RwSignal::new(false);
    let send_error = RwSignal::new(None::<String>);
    let form_id = StoredValue::new(new_form_id(ticket_id));
    let live = use_live();

    // A newer version of the ticket: the thread grows in place, the composer and the
    // sidebar choices the user has not touched follow the server, touched ones stay.
    let reload = move || {
        leptos::task::spawn_local(async move {
            if let Ok(z) = show_ticket(ticket_id).await {
                // the page may have gone away while the request ran
                let Some(o) = original.try_get_value() else {
                    return;
                };
                let follow = |signal: RwSignal<i64>, was: i64, now: i64| {
                    if signal.try_get_untracked() == Some(was) {
                        let _ = signal.try_set(now);
                    }
                };
                follow(sidebar.state_id, o.state_id, z.state_id);
                follow(sidebar.priority_id, o.priority_id, z.priority_id);
                follow(sidebar.group_id, o.group_id, z.group_id);
                follow(sidebar.owner_id, o.owner_id, z.owner_id);
                if sidebar.pending_time.try_get_untracked()
                    == Some(local_input(o.pending_time.as_deref()))
                {
                    let _ = sidebar
                        .pending_time
                        .try_set(local_input(z.pending_time.as_deref()));
                }
                // new and changed articles go into the thread; older ones stay as loaded
                let _ = thread.try_update(|shown| merge_articles(shown, &z.articles));
                let _ = original.try_set_value(z.clone());
                let _ = latest.try_set(z);
            }
        });
    };
    let loading_earlier = RwSignal::new(false);
    let earlier_error = RwSignal::new(None::<String>);
    let load_earlier = move || {
        if loading_earlier.get_untracked() {
            return;
        }
        let Some(first) = thread.with_untracked(|a| a.first().map(|a| a.id)) else {
            return;
        };
        loading_earlier.set(true);
        earlier_error.set(None);
        leptos::task::spawn_local(async move {
            match earlier_articles(ticket_id, first).await {
                Ok(page) => {
                    let _ = thread.try_update(|shown| merge_articles(shown, &page.articles));
                    let _ = earlier.try_set(page.earlier);
                }
                Err(e) => {
                    status.noticed(&e);
                    let _ = earlier_error.try_set(Some(clean_error(&e.to_string())));
                }
            }
            let _ = loading_earlier.try_set(false);
        });
    };
    Effect::new(move |seen: Option<u64>| {
        let (n, event) = live.event.get();
        if seen.is_some_and(|s| s != n) {
            match event {
                Some(ServerMessage::TicketChanged { ticket_id: changed })
                    if changed == ticket_id =>
                {
                    reload()
                }
                Some(ServerMessage::TicketDeleted { ticket_id: gone }) if gone == ticket_id => {
                    deleted.set(true)
                }
                Some(ServerMessage::Hello) => reload(),
                _ => {}
            }
        }
        n
    });

    // typing indicator: on while edits arrive, off 3 s after the last one
    let typing_until = StoredValue::new(0.0f64);
    Effect::new(move |prev: Option<u32>| {
        let n = control.edits.get();
        if prev.is_some_and(|p| p != n) && !control.empty.get_untracked() {
            live.view(ticket_id, true);
            typing_until.set_value(now_ms() + 3000.0);
            set_timeout(
                move || {
                    if typing_until.try_get_value().is_some_and(|t| now_ms() >= t) {
                        live.view(ticket_id, false);
                    }
                },
                std::time::Duration::from_millis(3100),
            );
        }
        n
    });

    let can_coedit = t.can.shared_draft;
    let confirm_discard = RwSignal::new(false);
    let changes = move || {
        let o = original.get_value();
        let mut c = TicketChanges::default();
        let pick = |now: i64, was: i64| (now != was).then_some(now);
        c.state_id = pick(sidebar.state_id.get_untracked(), o.state_id);
        c.priority_id = pick(sidebar.priority_id.get_untracked(), o.priority_id);
        c.group_id = pick(sidebar.group_id.get_untracked(), o.group_id);
        c.owner_id = pick(sidebar.owner_id.get_untracked(), o.owner_id);
        if is_pending(sidebar.state_id.get_untracked()) {
            let chosen = sidebar.pending_time.get_untracked();
            if c.state_id.is_some() || chosen != local_input(o.pending_time.as_deref()) {
                c.pending_time = Some(utc_of_local(&chosen).unwrap_or_default());
            }
        }
        // (trailing empty paragraphs are not sent: an editor holding only those sends nothing)
        let body_html = control.html();
        let has_files = control.files.with_untracked(|f| !f.is_empty());
        if control.has_content() && (!body_html.trim().is_empty() || has_files) {
            c.article = Some(NewReply {
                kind: kind.get_untracked(),
                internal: internal.get_untracked(),
                to: to.get_untracked(),
                cc: cc.get_untracked(),
                subject: subject.get_untracked(),
                body_html,
                form_id: form_id.get_value(),
                from_shared_draft: can_coedit,
            });
        }
        c
    };
    let dirty = move || {
        let o = original.get_value();
        sidebar.state_id.get() != o.state_id
            || sidebar.priority_id.get() != o.priority_id
            || sidebar.group_id.get() != o.group_id
            || sidebar.owner_id.get() != o.owner_id
            || (is_pending(sidebar.state_id.get())
                && sidebar.pending_time.get() != local_input(o.pending_time.as_deref()))
            || !control.empty.get()
            || !control.files.get().is_empty()
    };
    let submit = move || {
        if sending.get_untracked() || control.busy.get_untracked() > 0 {
            return;
        }
        let c = changes();
        if c == TicketChanges::default() {
            return;
        }
        if c.pending_time.as_deref() == Some("") {
            send_error.set(Some(
                "Choose the date and time the ticket is pending till.".into(),
            ));
            return;
        }
        sending.set(true);
        send_error.set(None);
        let had_article = c.article.is_some();
        leptos::task::spawn_local(async move {
            // the page may have gone away while the request ran: try_*
            match update_ticket(ticket_id, c).await {
                Ok(()) => {
                    // the uploads were claimed by the article; the form id stays usable
                    if had_article {
                        control.sent();
                    }
                    if sending.try_get_untracked().is_some() {
                        live.view(ticket_id, false);
                        reload();
                    }
                }
                // the text stays in the editor (and in local storage) to try again
                Err(e) => {
                    status.noticed(&e);
                    let _ = send_error.try_set(Some(clean_error(&e.to_string())));
                }
            }
            let _ = sending.try_set(false);
        });
    };
    Effect::new(move |prev: Option<u32>| {
        let n = control.submits.get();
        if prev.is_some_and(|p| p != n) {
            submit();
        }
        n
    });

    // Co-editing: the reply options and the sidebar are part of the shared draft too, so
    // every agent sees (and sends) the same choices.
    if can_coedit {
        Effect::new(move |_| {
            let m = control.meta.get();
            let apply = |signal: RwSignal<String>, value: Option<String>| {
                if let Some(v) = value
                    && signal.get_untracked() != v
                {
                    signal.set(v);
                }
            };
            apply(kind, m.kind);
            apply(to, m.to);
            apply(cc, m.cc);
            apply(subject, m.subject);
            if let Some(i) = m.internal
                && internal.get_untracked() != i
            {
                internal.set(i);
            }
        });
        Effect::new(move |_| {
            let t = control.ticket.get();
            for (signal, value) in [
                (sidebar.state_id, t.state_id),
                (sidebar.priority_id, t.priority_id),
                (sidebar.group_id, t.group_id),
                (sidebar.owner_id, t.owner_id),
            ] {
                if let Some(id) = value.and_then(|v| v.id())
                    && signal.get_untracked() != id
                {
                    signal.set(id);
                }
            }
        });
        // the user's own sidebar choices go into the draft
        Effect::new(move |_| {
            let chosen = [
                ("state_id", sidebar.state_id.get()),
                ("priority_id", sidebar.priority_id.get()),
                ("group_id", sidebar.group_id.get()),
                ("owner_id", sidebar.owner_id.get()),
            ];
            let Some(o) = original.try_get_value() else {
                return;
            };
            let draft = control.ticket.get_untracked();
            let in_draft = [
                (draft.state_id, o.state_id),
                (draft.priority_id, o.priority_id),
                (draft.group_id, o.group_id),
                (draft.owner_id, o.owner_id),
            ];
            for ((key, value), (drafted, stored)) in chosen.into_iter().zip(in_draft) {
                let drafted = drafted.and_then(|d| d.id());
                if drafted != Some(value) && !(drafted.is_none() && value == stored) {
                    control.set_ticket_attr(key, value);
                }
            }
        });
    }

    let can = t.can;
    let viewers = move || {
        live.viewers
            .get()
            .into_iter()
            .filter(|v| v.user_id != user.id)
            .collect::<Vec<_>>()
    };
    let title_row = view! { <TitleRow t=t.clone() reload/> };
    let setup = ComposerSetup {
        form_id: form_id.get_value(),
        csrf_token: user.csrf_token.clone(),
        storage_key: format!("tandem-reply-{ticket_id}"),
        placeholder: if can.agent {
            "Write a reply or an internal note…".into()
        } else {
            "Write a reply…".into()
        },
        // agents with the group's shared drafts co-edit the reply live
        collab: can
            .shared_draft
            .then(|| (ticket_id, user.id, user.name.clone())),
        rich: can.agent,
        editable: true,
    };
    // agents who may only read the ticket watch the shared draft as it is written
    let watch = can.watch_draft.then(|| ComposerSetup {
        form_id: String::new(),
        csrf_token: String::new(),
        storage_key: String::new(),
        placeholder: "No reply draft yet.".into(),
        collab: Some((ticket_id, user.id, user.name.clone())),
        rich: false,
        editable: false,
    });
    let watch_control = ReplyControl::new();
    // The ticket was deleted (the tab's live socket said so): its draft room refuses every
    // reconnect (404), which a browser cannot tell from an outage, so the composers stop here,
    // whether or not the room's own `ticket_deleted` reached them.
    Effect::new(move |_| {
        if deleted.get() {
            control.close("gone");
            watch_control.close("gone");
        }
    });
    let setup = StoredValue::new(setup);
    let number = t.number.clone();
    let ready = ready_marker();
    // the browser tab names the ticket
    let tab_title = move || latest.with(|t| format!("#{} {} – Tandem", t.number, t.title));
    view! {
        <leptos_meta::Title text=tab_title/>
        <div class="zoom" data-ticket-id=ticket_id data-ready=ready>
            <div class="zoom-main">
                {title_row}
                <div class="viewers" aria-live="polite" data-testid="viewers">
                    {move || {
                        let others = viewers();
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
                // a scroll box anchored at its end: the thread opens at the newest article, also
                // before the page has hydrated, and older articles load above without a jump
                <div class="thread-scroll" data-testid="thread">
                    <div class="thread-inner">
                        {move || (earlier.get() > 0).then(|| {
                            let n = earlier.get();
                            view! {
                                <div class="earlier">
                                    <button
                                        type="button"
                                        class="earlier-button"
                                        id="earlier-articles"
                                        disabled=move || loading_earlier.get()
                                        on:click=move |_| load_earlier()
                                    >
                                        {move || if loading_earlier.get() {
                                            "Loading…".to_string()
                                        } else if n == 1 {
                                            "1 earlier article".to_string()
                                        } else {
                                            format!("{n} earlier articles")
                                        }}
                                    </button>
                                    {move || earlier_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                                </div>
                            }
                        })}
                        <ol class="thread" aria-label="Conversation">
                            <For
                                each=move || thread.get()
                                key=|a| a.id
                                children=move |a| {
                                    // the delivery state changes in place (the worker's attempts)
                                    let article_id = a.id;
                                    let delivery = Memo::new(move |_| {
                                        thread.with(|t| {
                                            t.iter()
                                                .find(|x| x.id == article_id)
                                                .and_then(|x| x.delivery.clone())
                                        })
                                    });
                                    let actions = can.change.then_some(ArticleActions {
                                        control,
                                        kind,
                                        internal,
                                        to,
                                        coedit: can_coedit,
                                        agent: can.agent,
                                    });
                                    view! { <Article a delivery actions/> }
                                }
                            />
                        </ol>
                    </div>
                </div>
                {can.change.then(|| view! {
                    <section class="reply" aria-label="Reply">
                        <h2 class="sr-only">"Reply"</h2>
                        {can.agent.then(|| view! {
                            <div class="reply-options">
                                <label>
                                    "Type "
                                    <select
                                        name="article-type"
                                        on:change=move |ev| {
                                            let v = event_target_value(&ev);
                                            internal.set(v == "note");
                                            if can_coedit {
                                                control.set_meta_text("type", &v);
                                                control.set_meta_flag("internal", v == "note");
                                            }
                                            kind.set(v);
                                        }
                                        prop:value=move || kind.get()
                                    >
                                        <option value="note">"Note"</option>
                                        <option value="email">"E-mail"</option>
                                        <option value="phone">"Phone"</option>
                                    </select>
                                </label>
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        name="internal"
                                        prop:checked=move || internal.get()
                                        on:change=move |ev| {
                                            let checked = event_target_checked(&ev);
                                            internal.set(checked);
                                            if can_coedit {
                                                control.set_meta_flag("internal", checked);
                                            }
                                        }
                                    />
                                    " Internal"
                                </label>
                                {move || (kind.get() == "email").then(|| view! {
                                    <label class="grow">"To " <input type="email" multiple name="to" prop:value=move || to.get() on:input=move |ev| { let v = event_target_value(&ev); if can_coedit { control.set_meta_text("to", &v); } to.set(v); }/></label>
                                    <label class="grow">"Cc " <input type="text" name="cc" prop:value=move || cc.get() on:input=move |ev| { let v = event_target_value(&ev); if can_coedit { control.set_meta_text("cc", &v); } cc.set(v); }/></label>
                                    <label class="grow">"Subject " <input type="text" name="subject" prop:value=move || subject.get() on:input=move |ev| { let v = event_target_value(&ev); if can_coedit { control.set_meta_text("subject", &v); } subject.set(v); }/></label>
                                    <EmailHint on=email_on/>
                                })}
                            </div>
                        })}
                        <Composer control setup=setup.get_value()/>
                        <div class="reply-actions">
                            {move || send_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                            <span class="muted hint">"Ctrl+Enter sends the reply with the sidebar changes."</span>
                            {move || if confirm_discard.get() {
                                view! {
                                    <span class="confirm" role="group" aria-label="Discard the reply?">
                                        <span>{if can_coedit { "Discard the draft for everyone?" } else { "Discard the reply?" }}</span>
                                        <button type="button" on:click=move |_| confirm_discard.set(false)>"Keep"</button>
                                        <button
                                            type="button"
                                            class="danger"
                                            id="confirm-discard"
                                            on:click=move |_| {
                                                confirm_discard.set(false);
                                                if can_coedit {
                                                    leptos::task::spawn_local(async move {
                                                        if let Err(e) = discard_shared_draft(ticket_id).await {
                                                            let _ = send_error.try_set(Some(clean_error(&e.to_string())));
                                                        }
                                                    });
                                                }
                                                control.sent();
                                            }
                                        >
                                            "Discard"
                                        </button>
                                    </span>
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <button
                                        type="button"
                                        id="discard-reply"
                                        disabled=move || sending.get() || (control.empty.get() && control.files.get().is_empty())
                                        on:click=move |_| confirm_discard.set(true)
                                    >
                                        "Discard"
                                    </button>
                                }
                                    .into_any()
                            }}
                            <button
                                type="button"
                                class="primary"
                                id="submit-reply"
                                disabled=move || sending.get() || !dirty()
                                on:click=move |_| submit()
                            >
                                {move || if sending.get() {
                                    "Saving…"
                                } else if control.empty.get() && control.files.get().is_empty() {
                                    "Update"
                                } else {
                                    "Send"
                                }}
                            </button>
                        </div>
                    </section>
                })}
                {watch.map(|setup| view! {
                    <section class="reply draft-watch" aria-label="Reply draft (read only)">
                        <h2 class="small-heading">"Reply draft (read only)"</h2>
                        <Composer control=watch_control setup/>
                    </section>
                })}
            </div>
            {move || view! { <Sidebar t=latest.get() sidebar can/> }}
            {can.delete.then(|| view! { <DeleteTicket id=ticket_id number=number.clone() user=user.clone()/> })}
        </div>
    }
}

fn new_form_id(ticket_id: i64) -> String {
    #[cfg(feature = "browser")]
    {
        format!("web-{ticket_id}-{}", (js_sys::Math::random() * 1e15) as u64)
    }
    #[cfg(not(feature = "browser"))]
    format!("web-{ticket_id}")
}

/// An RFC 3339 time as a `datetime-local` input's value in the browser's time zone
/// (`YYYY-MM-DDTHH:MM`; on the server, UTC). Empty for none or an unreadable time.
fn local_input(utc: Option<&str>) -> String {
    let Some(utc) = utc.filter(|u| !u.is_empty()) else {
        return String::new();
    };
    #[cfg(feature = "browser")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(utc));
        if date.get_time().is_nan() {
            return String::new();
        }
        local_text(&date, 'T')
    }
    #[cfg(not(feature = "browser"))]
    utc.get(..16).unwrap_or_default().to_string()
}

/// A `datetime-local` value (the browser's time zone) as RFC 3339 UTC; `None` if unreadable.
fn utc_of_local(local: &str) -> Option<String> {
    let local = local.trim();
    // YYYY-MM-DDTHH:MM, optionally with seconds
    if local.len() < 16 || local.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    #[cfg(feature = "browser")]
    {
        // a date-time without an offset is local time to `Date`
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local));
        if date.get_time().is_nan() {
            return None;
        }
        let iso = String::from(date.to_iso_string()); // 2026-05-02T07:00:00.000Z
        Some(match iso.split_once('.') {
            Some((head, _)) => format!("{head}Z"),
            None => iso,
        })
    }
    #[cfg(not(feature = "browser"))]
    Some(format!("{}:00Z", &local[..16]))
}

/// Tomorrow 09:00 in the browser's time zone, as a `datetime-local` value.
fn tomorrow_nine() -> String {
    #[cfg(feature = "browser")]
    {
        let date = js_sys::Date::new_0();
        date.set_date(date.get_date() + 1); // rolls over into the next month
        date.set_hours(9);
        date.set_minutes(0);
        date.set_seconds(0);
        date.set_milliseconds(0);
        local_text(&date, 'T')
    }
    #[cfg(not(feature = "browser"))]
    String::new()
}

/// `YYYY-MM-DD<sep>HH:MM` in the browser's time zone.
#[cfg(feature = "browser")]
fn local_text(date: &js_sys::Date, sep: char) -> String {
    format!(
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// A saved pending time for reading: local time in the browser, UTC on the server (the page
/// hydrates with the server's text and switches to local time right after).
fn pending_label(utc: &str, local: bool) -> String {
    #[cfg(feature = "browser")]
    if local {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(utc));
        if !date.get_time().is_nan() {
            return local_text(&date, ' ');
        }
    }
    let _ = local;
    format!("{} UTC", short_time(utc))
}

fn now_ms() -> f64 {
    #[cfg(feature = "browser")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "browser"))]
    0.0
}

#[component]
fn TitleRow(t: TicketZoom, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let ticket_id = t.id;
    let title = RwSignal::new(t.title.clone());
    let saved = StoredValue::new(t.title.clone());
    let error = RwSignal::new(None::<String>);
    let save = move || {
        let now = title.get_untracked().trim().to_string();
        if now.is_empty() || now == saved.get_value() {
            return;
        }
        leptos::task::spawn_local(async move {
            let changes = TicketChanges {
                title: Some(now.clone()),
                ..Default::default()
            };
            // the page may have gone away while the request ran: try_*
            match update_ticket(ticket_id, changes).await {
                Ok(()) => {
                    if saved.try_set_value(now).is_none() {
                        let _ = error.try_set(None);
                        reload();
                    }
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                }
            }
        });
    };
    view! {
        <header class="zoom-head">
            <p class="muted ticket-number">"Ticket #" {t.number.clone()}</p>
            {if t.can.change && t.can.agent {
                view! {
                    <h1>
                        <label class="sr-only" for="ticket-title">"Title"</label>
                        <input
                            id="ticket-title"
                            class="title-input"
                            prop:value=move || title.get()
                            on:input=move |ev| title.set(event_target_value(&ev))
                            on:blur=move |_| save()
                            on:keydown=move |ev| {
                                if ev.key() == "Enter" {
                                    ev.prevent_default();
                                    save();
                                }
                            }
                        />
                    </h1>
                }
                    .into_any()
            } else {
                view! { <h1 id="ticket-title">{t.title.clone()}</h1> }.into_any()
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </header>
    }
}

/// Under the e-mail fields: whether the article will really be sent.
#[component]
fn EmailHint(on: RwSignal<Option<bool>>) -> impl IntoView {
    let hint = move || match on.get() {
        Some(true) => ("email-hint on", "Sent by e-mail to the recipients"),
        Some(false) => (
            "email-hint off",
            "E-mail sending is off on this server (TANDEM_SMTP_URL is not set): the article is stored but not sent",
        ),
        None => ("email-hint muted", "Checking e-mail sending…"),
    };
    view! { <p class=move || hint().0 role="status" data-testid="email-hint">{move || hint().1}</p> }
}

/// An outgoing e-mail's delivery state in the article's header.
#[component]
fn DeliveryState(delivery: Memo<Option<Delivery>>) -> impl IntoView {
    move || {
        delivery.get().map(|d| {
            let (modifier, text) = d.label();
            let title = d.date.clone().map(|date| match modifier {
                "sent" => format!("Sent {} UTC", short_time(&date)),
                _ => format!("Last attempt {} UTC", short_time(&date)),
            });
            view! {
                <span class=format!("delivery delivery-{modifier}") title=title data-testid="delivery">{text}</span>
            }
        })
    }
}

/// New or changed articles into the thread (by id, oldest first); the others stay.
fn merge_articles(shown: &mut Vec<ArticleView>, incoming: &[ArticleView]) {
    for a in incoming {
        match shown.iter_mut().find(|s| s.id == a.id) {
            Some(s) => {
                if s != a {
                    *s = a.clone();
                }
            }
            None => shown.push(a.clone()),
        }
    }
    shown.sort_by_key(|a| a.id);
}

/// What an article's Reply and Quote buttons reach: the composer and the reply options.
#[derive(Clone, Copy)]
struct ArticleActions {
    control: ReplyControl,
    kind: RwSignal<String>,
    internal: RwSignal<bool>,
    to: RwSignal<String>,
    coedit: bool,
    agent: bool,
}

#[component]
fn Article(
    a: ArticleView,
    delivery: Memo<Option<Delivery>>,
    actions: Option<ArticleActions>,
) -> impl IntoView {
    let expanded = RwSignal::new(false);
    let reply_to = a
        .from
        .clone()
        .filter(|_| a.kind == "email" && a.sender != "Agent");
    let quoted = a.body_html.clone();
    let buttons = actions.map(|x| {
        // an e-mail from the customer is answered by e-mail, to its sender
        let reply = move |_| {
            if x.agent
                && let Some(from) = reply_to.clone()
            {
                x.kind.set("email".into());
                x.internal.set(false);
                x.to.set(from.clone());
                if x.coedit {
                    x.control.set_meta_text("type", "email");
                    x.control.set_meta_flag("internal", false);
                    x.control.set_meta_text("to", &from);
                }
            }
            x.control.focus();
        };
        let quote = move |_| x.control.quote(&quoted);
        view! {
            <span class="article-actions">
                <button type="button" class="link article-reply" on:click=reply>"Reply"</button>
                <button type="button" class="link article-quote" on:click=quote>"Quote"</button>
            </span>
        }
    });
    let long = a.body_html.len() > 2500;
    let sender = a.sender.to_ascii_lowercase();
    let files: Vec<_> = a
        .attachments
        .iter()
        .filter(|f| !f.inline)
        .cloned()
        .collect();
    view! {
        <li
            class=format!("article sender-{sender} kind-{}", a.kind)
            class:internal=a.internal
            data-article-id=a.id
        >
            <div class="article-meta">
                <strong class="author">{a.author.clone()}</strong>
                <span class="kind">{a.kind.clone()}</span>
                {a.internal.then(|| view! { <span class="internal-badge">"Internal note"</span> })}
                <DeliveryState delivery/>
                <When iso=a.created_at.clone() relative=true/>
                {buttons}
            </div>
            {(a.kind == "email").then(|| view! {
                <dl class="addresses">
                    {a.from.clone().map(|v| view! { <dt>"From"</dt><dd>{v}</dd> })}
                    {a.to.clone().map(|v| view! { <dt>"To"</dt><dd>{v}</dd> })}
                    {a.cc.clone().map(|v| view! { <dt>"Cc"</dt><dd>{v}</dd> })}
                </dl>
            })}
            {a.subject.clone().filter(|s| !s.is_empty() && a.kind == "email").map(|s| view! { <p class="subject">{s}</p> })}
            <div class="body" class:collapsed=move || long && !expanded.get() inner_html=a.body_html.clone()></div>
            {long.then(|| view! {
                <button type="button" class="link show-more" on:click=move |_| expanded.update(|e| *e = !*e)>
                    {move || if expanded.get() { "Show less" } else { "Show more" }}
                </button>
            })}
            {(!files.is_empty()).then(|| view! {
                <ul class="attachments" aria-label="Attachments">
                    {files.into_iter().map(|f| view! {
                        <li class="attachment">
                            {match f.preview_url.clone() {
                                Some(preview) => view! { <img class="preview" src=preview alt="" loading="lazy"/> }.into_any(),
                                None => view! { <span class="file-icon" aria-hidden="true">{icon_for(&f.content_type)}</span> }.into_any(),
                            }}
                            <a href=format!("{}?disposition=attachment", f.url)>{f.filename.clone()}</a>
                            <span class="muted">{format_size(f.size)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </li>
    }
}

/// A short type label for a file tile (no icon font needed).
fn icon_for(content_type: &str) -> &'static str {
    match content_type {
        t if t.starts_with("image/") => "IMG",
        "application/pdf" => "PDF",
        t if t.starts_with("text/") => "TXT",
        t if t.contains("zip") || t.contains("compressed") => "ZIP",
        t if t.contains("word") || t.contains("document") => "DOC",
        t if t.contains("sheet") || t.contains("excel") => "XLS",
        _ => "FILE",
    }
}

#[component]
fn Sidebar(t: TicketZoom, sidebar: Sidebar, can: crate::api::Abilities) -> impl IntoView {
    let select = |label: &'static str,
                  name: &'static str,
                  signal: RwSignal<i64>,
                  choices: Vec<crate::api::Choice>,
                  enabled: bool,
                  empty: Option<&'static str>| {
        view! {
            <label class="field">
                <span>{label}</span>
                <select
                    name=name
                    disabled=!enabled
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<i64>() {
                            signal.set(v);
                        }
                    }
                    prop:value=move || signal.get().to_string()
                >
                    {empty.map(|e| view! { <option value="1">{e}</option> })}
                    {choices
                        .into_iter()
                        .map(|c| view! { <option value=c.id.to_string()>{c.name}</option> })
                        .collect_view()}
                </select>
            </label>
        }
    };
    let agent = can.agent;
    let states = t.states.clone();
    // a customer sees only the states offered to them; keep the current one listed
    let states = if states.iter().any(|s| s.id == t.state_id) {
        states
    } else {
        let mut s = states;
        s.insert(
            0,
            crate::api::Choice {
                id: t.state_id,
                name: t.state.clone(),
            },
        );
        s
    };
    let pending_ids = t.pending_state_ids.clone();
    let chosen_pending = move || pending_ids.contains(&sidebar.state_id.get());
    // the saved time: the server's UTC text first (hydration), then the browser's local time
    let saved_pending = t.pending_time.clone();
    let saved_label = RwSignal::new(
        saved_pending
            .as_deref()
            .map(|p| pending_label(p, false))
            .unwrap_or_default(),
    );
    {
        let saved_pending = saved_pending.clone();
        Effect::new(move |_| {
            if let Some(p) = saved_pending.as_deref() {
                saved_label.set(pending_label(p, true));
            }
        });
    }
    // a customer without a name is shown by the address, once
    let customer_email = t.customer.email.trim().to_string();
    let customer_name = t.customer.name.trim().to_string();
    let (customer_name, email_line) =
        if customer_name.is_empty() || customer_name.eq_ignore_ascii_case(&customer_email) {
            (customer_email.clone(), false)
        } else {
            (customer_name, !customer_email.is_empty())
        };
    let name_is_email = !email_line && !customer_email.is_empty();
    view! {
        <aside class="zoom-side" aria-label="Ticket details">
            <section class="side-block">
                <h2>"Ticket"</h2>
                {select("State", "state_id", sidebar.state_id, states, can.change, None)}
                {move || (can.change && chosen_pending()).then(|| view! {
                    <label class="field">
                        <span>"Pending till"</span>
                        <input
                            type="datetime-local"
                            id="pending-time"
                            name="pending_time"
                            required
                            prop:value=move || sidebar.pending_time.get()
                            on:input=move |ev| sidebar.pending_time.set(event_target_value(&ev))
                        />
                    </label>
                })}
                {saved_pending.map(|utc| view! {
                    <p class="field pending-saved" data-testid="pending-time">
                        <span>"Due"</span>
                        " "
                        <time datetime=utc>{move || saved_label.get()}</time>
                    </p>
                })}
                {agent.then(|| select("Priority", "priority_id", sidebar.priority_id, t.priorities.clone(), can.change, None))}
                {if agent {
                    select("Group", "group_id", sidebar.group_id, t.groups.clone(), can.change, None).into_any()
                } else {
                    view! { <p class="field"><span>"Group"</span> {t.group.clone()}</p> }.into_any()
                }}
                {if can.assign {
                    select("Owner", "owner_id", sidebar.owner_id, t.owners.clone(), can.change, Some("– nobody –")).into_any()
                } else {
                    view! { <p class="field"><span>"Owner"</span> {if t.owner.is_empty() { "–".to_string() } else { t.owner.clone() }}</p> }.into_any()
                }}
            </section>
            <section class="side-block" aria-label="Customer">
                <h2>"Customer"</h2>
                {if name_is_email {
                    view! {
                        <p class="customer-name">
                            <a href=format!("mailto:{customer_email}")>{customer_email.clone()}</a>
                        </p>
                    }
                        .into_any()
                } else {
                    view! { <p class="customer-name">{customer_name}</p> }.into_any()
                }}
                {email_line.then(|| view! { <p><a href=format!("mailto:{}", t.customer.email)>{t.customer.email.clone()}</a></p> })}
                {(!t.customer.phone.is_empty()).then(|| view! { <p>{t.customer.phone.clone()}</p> })}
                {t.customer.organization.clone().map(|o| view! { <p class="muted">"Organisation: " {o}</p> })}
            </section>
            {(agent && !t.tags.is_empty()).then(|| view! {
                <section class="side-block">
                    <h2>"Tags"</h2>
                    <ul class="tags">{t.tags.iter().map(|tag| view! { <li class="tag">{tag.clone()}</li> }).collect_view()}</ul>
                </section>
            })}
            <p class="muted small">"Created " <When iso=t.created_at.clone()/> <br/> "Updated " <When iso=t.updated_at.clone() relative=true/></p>
        </aside>
    }
}

#[component]
fn DeleteTicket(id: i64, number: String, user: SessionUser) -> impl IntoView {
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let home = home_path(&user);
    let confirm = move |_| {
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // navigating away disposes this dialog: no signal is touched after it
            match delete_ticket(id).await {
                Ok(()) => {
                    let _ = busy.try_set(false);
                    navigate(home, Default::default());
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                    let _ = busy.try_set(false);
                }
            }
        });
    };
    let question = format!("Delete ticket #{number}?");
    let opener = NodeRef::<leptos::html::Button>::new();
    let cancel_button = NodeRef::<leptos::html::Button>::new();
    let delete_button = NodeRef::<leptos::html::Button>::new();
    // focus goes into the dialog when it opens (the safe choice: Cancel)
    Effect::new(move |_| {
        if let Some(b) = cancel_button.get() {
            let _ = b.focus();
        }
    });
    // and back to the button that opened it when it closes
    // (try_*: a window listener may outlive the dialog by a moment)
    let close = move || {
        if busy.try_get_untracked() != Some(false) {
            return;
        }
        let _ = open.try_set(false);
        let _ = error.try_set(None);
        if let Some(b) = opener.try_get_untracked().flatten() {
            let _ = b.focus();
        }
    };
    // While open, on the whole page (also after a click on the backdrop): Escape closes; Tab
    // and Shift+Tab go round the dialog's buttons, never behind it.
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if open.try_get_untracked() != Some(true) {
            return;
        }
        match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                close();
            }
            "Tab" => {
                ev.prevent_default();
                let (Some(cancel), Some(delete)) = (
                    cancel_button.try_get_untracked().flatten(),
                    delete_button.try_get_untracked().flatten(),
                ) else {
                    return;
                };
                let active = document().active_element();
                let on = |b: &leptos::web_sys::HtmlButtonElement| {
                    active.as_ref().is_some_and(|a| {
                        let a: &leptos::web_sys::Node = a;
                        b.is_same_node(Some(a))
                    })
                };
                // two buttons: from one to the other; from elsewhere, Shift+Tab to the last
                let next = if delete.disabled() || on(&delete) {
                    cancel
                } else if on(&cancel) || ev.shift_key() {
                    delete
                } else {
                    cancel
                };
                let _ = next.focus();
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
    view! {
        <div class="danger-zone">
            <button type="button" class="danger" id="delete-ticket" node_ref=opener on:click=move |_| open.set(true)>"Delete ticket"</button>
            {move || open.get().then(|| {
                let confirm = confirm.clone();
                view! {
                    <div class="modal-backdrop">
                        <div class="modal" role="alertdialog" aria-modal="true" aria-labelledby="delete-title" aria-describedby="delete-text">
                            <h2 id="delete-title">{question.clone()}</h2>
                            <p id="delete-text">"The ticket, its articles, attachments and drafts are removed for good."</p>
                            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                            <div class="modal-actions">
                                <button type="button" node_ref=cancel_button on:click=move |_| close() autofocus>"Cancel"</button>
                                <button type="button" class="danger" id="confirm-delete" node_ref=delete_button disabled=move || busy.get() on:click=confirm>
                                    "Delete"
                                </button>
                            </div>
                        </div>
                    </div>
                }
            })}
        </div>
    }
}
