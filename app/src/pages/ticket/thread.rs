//! The thread: the articles (the newest ones as the ticket loads, older ones on demand), each
//! with its delivery state and, for those who may answer, its Reply and Quote buttons (and an
//! e-mail's Reply all and Forward for agents).

use leptos::prelude::*;

use super::Shared;
use super::article_actions::EmailActions;
use super::reply::Reply;
use crate::api::tickets::earlier_articles;
use crate::api::{ArticleView, Delivery};
use crate::components::composer::format_size;
use crate::components::status::use_status;
use crate::components::time::{When, short_time};
use crate::pages::overview::clean_error;

/// The scrolling thread with its "N earlier articles" button; `earlier`: how many older
/// articles the loaded ticket left out.
#[component]
pub(super) fn Thread(z: Shared, earlier: i64) -> impl IntoView {
    let Shared {
        ticket_id, thread, ..
    } = z;
    let status = use_status();
    let earlier = RwSignal::new(earlier);
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
    // who may answer gets the articles' Reply and Quote buttons
    let actions = z.can.change.then_some(z.reply);
    view! {
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
                            view! { <Article a delivery actions/> }
                        }
                    />
                </ol>
            </div>
        </div>
    }
}

/// New or changed articles into the thread (by id, oldest first); the others stay.
pub(super) fn merge_articles(shown: &mut Vec<ArticleView>, incoming: &[ArticleView]) {
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

#[component]
fn Article(
    a: ArticleView,
    delivery: Memo<Option<Delivery>>,
    actions: Option<Reply>,
) -> impl IntoView {
    let expanded = RwSignal::new(false);
    let reply_to = a
        .from
        .clone()
        .filter(|_| a.kind == "email" && a.sender != "Agent");
    let quoted = a.body_html.clone();
    let email = a.clone();
    let buttons = actions.map(|x| {
        let reply = move |_| x.answer(reply_to.as_deref());
        let quote = move |_| x.quote(&quoted);
        // e-mails: Reply all and Forward (agents)
        let email =
            (email.kind == "email" && x.agent()).then(|| view! { <EmailActions a=email reply=x/> });
        view! {
            <span class="article-actions">
                <button type="button" class="link article-reply" on:click=reply>"Reply"</button>
                {email}
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
