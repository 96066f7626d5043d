//! Ticket overviews (agents: My tickets, Unassigned & open, All open, Pending, Closed;
//! customers: all, open, closed, with an "only mine" filter) and search results: counts,
//! sortable columns, pages, `j`/`k`/Enter, live refresh.

use crate::components::last_overview::LastOverview;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_params_map, use_query_map};

use crate::api::TicketList;
use crate::api::search::{SearchPage, search_tickets};
use crate::api::tickets::list_tickets;
use crate::api::views::unread_tickets;
use crate::components::bulk::{BulkBar, BulkState, SelectAllCell, SelectCell, UnreadDot};
use crate::components::layout::{SignedIn, ready_marker};
use crate::components::live::{ServerMessage, use_live};
use crate::components::status::ErrorView;
use crate::components::time::When;
use crate::session::SessionUser;

/// Resources are created here, at the top of the route, in a fixed order, never inside a
/// suspended closure: hydration matches them to the server's data by that order.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let list_query = Memo::new(move |_| {
        let q = query.get();
        let overview = params.with(|p| p.get("overview").unwrap_or_else(|| "mine".into()));
        ListQuery {
            query: if overview == "search" {
                q.get("q").unwrap_or_default()
            } else {
                String::new()
            },
            overview,
            sort: q.get("sort").unwrap_or_else(|| "updated".into()),
            descending: q.get("asc").is_none(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
            own_only: q.get("own").is_some(),
        }
    });
    // a search goes through search_tickets: a query it cannot read comes back as a message
    // to show (with 200), not as a failed request; then which rows are unread for the agent
    let list = Resource::new(
        move || list_query.get(),
        |q| async move {
            let page = if !q.query.trim().is_empty() {
                search_tickets(q.query, q.page).await
            } else {
                list_tickets(
                    q.overview,
                    q.sort,
                    q.descending,
                    q.page,
                    q.query,
                    q.own_only,
                )
                .await
                .map(|list| SearchPage {
                    list,
                    problem: None,
                })
            }?;
            let ids: Vec<i64> = page.list.rows.iter().map(|r| r.id).collect();
            let unread = if ids.is_empty() {
                Vec::new()
            } else {
                unread_tickets(ids).await?
            };
            Ok((page, unread))
        },
    );
    // the overview a macro's `next_from_overview` continues in (browser only: an effect)
    let location = use_location();
    Effect::new(move |_| {
        if let Some(Ok((page, _))) = list.get() {
            let search = location.search.get_untracked();
            crate::components::last_overview::remember(&LastOverview {
                path: format!(
                    "{}{}{search}",
                    location.pathname.get_untracked(),
                    if search.is_empty() || search.starts_with('?') {
                        ""
                    } else {
                        "?"
                    }
                ),
                ids: page.list.rows.iter().map(|r| r.id).collect(),
            });
        }
    });
    view! { <SignedIn page=move |user| view! { <Overview user list list_query/> }/> }
}

const COLUMNS: [(&str, &str); 8] = [
    ("number", "Number"),
    ("title", "Title"),
    ("customer", "Customer"),
    ("state", "State"),
    ("priority", "Priority"),
    ("group", "Group"),
    ("owner", "Owner"),
    ("updated", "Updated"),
];

#[derive(Debug, Clone, PartialEq)]
struct ListQuery {
    overview: String,
    sort: String,
    descending: bool,
    page: i64,
    query: String,
    own_only: bool,
}

impl ListQuery {
    fn href(&self, change: impl FnOnce(&mut ListQuery)) -> String {
        let mut q = self.clone();
        change(&mut q);
        let mut params = vec![];
        if !q.query.is_empty() {
            params.push(format!("q={}", encode(&q.query)));
        }
        if q.sort != "updated" {
            params.push(format!("sort={}", q.sort));
        }
        if !q.descending {
            params.push("asc=1".to_string());
        }
        if q.page > 1 {
            params.push(format!("page={}", q.page));
        }
        if q.own_only {
            params.push("own=1".to_string());
        }
        let tail = if params.is_empty() {
            String::new()
        } else {
            format!("?{}", params.join("&"))
        };
        format!("/tickets/view/{}{tail}", q.overview)
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn Overview(
    user: SessionUser,
    list: Resource<Result<(SearchPage, Vec<i64>), ServerFnError>>,
    list_query: Memo<ListQuery>,
) -> impl IntoView {
    let live = use_live();
    // the bulk selection outlives live refreshes of the list, not another page or overview
    let bulk = user.is_agent.then(BulkState::new);
    // made here, not in the list that a live refresh replaces while a bulk action runs
    let done = Callback::new(move |()| list.refetch());
    Effect::new(move |seen: Option<ListQuery>| {
        let q = list_query.get();
        if seen.is_some_and(|s| s != q)
            && let Some(b) = bulk
        {
            b.clear();
        }
        q
    });
    // any change to a ticket this user can see may move it between lists
    Effect::new(move |seen: Option<u64>| {
        let (n, event) = live.event.get();
        if seen.is_some_and(|s| s != n)
            && matches!(
                event,
                Some(ServerMessage::TicketChanged { .. })
                    | Some(ServerMessage::TicketDeleted { .. })
                    | Some(ServerMessage::Hello)
            )
        {
            list.refetch();
        }
        n
    });
    let customer = !user.is_agent;
    view! {
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading tickets…"</p> }>
            {move || Suspend::new(async move {
                let q = list_query.get();
                match list.await {
                    Ok((SearchPage { list: data, problem }, unread)) => {
                        view! { <ListView data problem q customer unread bulk done/> }.into_any()
                    }
                    Err(e) => view! {
                        <ErrorView error=e retry=move |_| list.refetch()/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A server function's error text as a person reads it (see `components::status`).
pub fn clean_error(text: &str) -> String {
    crate::components::status::readable_text(text)
}

/// A list page; `problem`: why a search query could not be read (shown instead of results).
#[component]
fn ListView(
    data: TicketList,
    problem: Option<String>,
    q: ListQuery,
    customer: bool,
    /// The rows changed since the agent last opened them.
    unread: Vec<i64>,
    /// Agents: the bulk selection and bar.
    bulk: Option<BulkState>,
    /// Runs after a bulk action.
    done: Callback<()>,
) -> impl IntoView {
    let selected = RwSignal::new(0usize);
    let rows = data.rows.clone();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let count = ids.len();
    // j / k move the selection, Enter opens it (not while typing in a field)
    let navigate = use_navigate();
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        let typing = ev
            .target()
            .and_then(|t| {
                use leptos::wasm_bindgen::JsCast;
                t.dyn_into::<leptos::web_sys::HtmlElement>().ok()
            })
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || el.is_content_editable()
            });
        if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() || count == 0 {
            return;
        }
        match ev.key().as_str() {
            // a window listener: try_*, in case a key arrives while the list goes away
            "j" => {
                let _ = selected.try_update(|s| *s = (*s + 1).min(count - 1));
            }
            "k" => {
                let _ = selected.try_update(|s| *s = s.saturating_sub(1));
            }
            "Enter" => {
                if let Some(id) = selected.try_get_untracked().and_then(|s| ids.get(s)) {
                    navigate(&format!("/tickets/{id}"), Default::default());
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
    let searching = !q.query.is_empty() || q.overview == "search";
    let empty_search = searching && q.query.trim().is_empty();
    let first = (data.page - 1) * data.per_page + 1;
    let last = first + data.rows.len() as i64 - 1;
    let has_next = last < data.total;
    let q2 = q.clone();
    let q3 = q.clone();
    let q4 = q.clone();
    let ready = ready_marker();
    let page_ids: Vec<i64> = data.rows.iter().map(|r| r.id).collect();
    view! {
        <nav class="tabs" aria-label="Overviews">
            {data
                .tabs
                .iter()
                .map(|t| {
                    let current = !searching && t.key == q.overview;
                    let href = q.href(|x| {
                        x.overview = t.key.clone();
                        x.page = 1;
                        x.query.clear();
                    });
                    view! {
                        <a
                            href=href
                            class="tab"
                            class:current=current
                            aria-current=current.then_some("page")
                            data-overview=t.key.clone()
                        >
                            {t.label.clone()}
                            " "
                            <span class="count">{t.count}</span>
                        </a>
                    }
                })
                .collect_view()}
        </nav>
        <div class="list-head">
            <h1>
                {if empty_search {
                    "Search".to_string()
                } else if searching {
                    format!("Search: {}", q.query)
                } else {
                    data.tabs
                        .iter()
                        .find(|t| t.key == q.overview)
                        .map(|t| t.label.clone())
                        .unwrap_or_else(|| "Tickets".into())
                }}
            </h1>
            {customer.then(|| {
                let href = q4.href(|x| {
                    x.own_only = !x.own_only;
                    x.page = 1;
                });
                view! {
                    <a class="filter" href=href role="switch" aria-checked=q4.own_only.to_string()>
                        {if q4.own_only { "☑ Only my own tickets" } else { "☐ Only my own tickets" }}
                    </a>
                }
            })}
            <span class="muted" id="list-total">
                {if data.total == 0 {
                    "No tickets".to_string()
                } else {
                    format!("{first}–{last} of {}", data.total)
                }}
            </span>
        </div>
        {bulk.map(|bulk| view! { <BulkBar bulk done/> })}
        <div class="table-wrap" data-ready=ready>
            <table class="tickets">
                <thead>
                    <tr>
                        {bulk.map(|bulk| view! { <SelectAllCell bulk page_ids/> })}
                        {COLUMNS
                            .iter()
                            .map(|(key, label)| {
                                let sorted = !searching && q2.sort == *key;
                                let href = q2.href(|x| {
                                    x.descending = if x.sort == *key { !x.descending } else { *key == "updated" };
                                    x.sort = key.to_string();
                                    x.page = 1;
                                });
                                let aria = if sorted {
                                    if q2.descending { "descending" } else { "ascending" }
                                } else {
                                    "none"
                                };
                                view! {
                                    <th scope="col" aria-sort=aria class=format!("col-{key}")>
                                        {if searching {
                                            view! { <span>{*label}</span> }.into_any()
                                        } else {
                                            view! {
                                                <a href=href>
                                                    {*label}
                                                    {sorted.then_some(if q2.descending { " ▾" } else { " ▴" })}
                                                </a>
                                            }
                                                .into_any()
                                        }}
                                    </th>
                                }
                            })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .enumerate()
                        .map(|(i, r)| {
                            let href = format!("/tickets/{}", r.id);
                            let is_unread = unread.contains(&r.id);
                            view! {
                                <tr
                                    class="ticket-row"
                                    class:selected=move || selected.get() == i
                                    class:unread=is_unread
                                    aria-selected=move || (selected.get() == i).to_string()
                                    data-ticket-id=r.id
                                    data-unread=is_unread.then_some("true")
                                >
                                    {bulk.map(|bulk| view! { <SelectCell bulk id=r.id number=r.number.clone()/> })}
                                    <td class="col-number">{r.number.clone()}</td>
                                    <td class="col-title">
                                        {is_unread.then(|| view! { <UnreadDot/> })}
                                        <a href=href>{r.title.clone()}</a>
                                    </td>
                                    <td class="col-customer">{r.customer.clone()}</td>
                                    <td class="col-state">
                                        <span class=format!("state state-{}", r.state_type.replace(' ', "-"))>
                                            {r.state.clone()}
                                        </span>
                                    </td>
                                    <td class="col-priority">
                                        <span class=format!("prio prio-{}", r.priority_id)>{r.priority.clone()}</span>
                                    </td>
                                    <td class="col-group">{r.group.clone()}</td>
                                    <td class="col-owner">{r.owner.clone()}</td>
                                    <td class="col-updated">
                                        <When iso=r.updated_at.clone() relative=true/>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            {if let Some(problem) = problem {
                Some(view! { <p class="error search-problem" role="alert">{problem}</p> }.into_any())
            } else if empty_search {
                Some(view! {
                    <p class="empty search-hint" role="status">
                        "Type what you are looking for in the search box above: words of a title or a message, a ticket number, a customer's name or address."
                    </p>
                }
                    .into_any())
            } else {
                (data.total == 0).then(|| view! { <p class="empty">"Nothing here."</p> }.into_any())
            }}
        </div>
        <nav class="pager" aria-label="Pages">
            {(data.page > 1).then(|| {
                let href = q3.href(|x| x.page -= 1);
                view! { <a href=href rel="prev">"← Previous"</a> }
            })}
            {has_next.then(|| {
                let href = q3.href(|x| x.page += 1);
                view! { <a href=href rel="next">"Next →"</a> }
            })}
        </nav>
        <p class="muted hint">"Keyboard: j / k to move, Enter to open."</p>
    }
}

pub use crate::components::time::short_time;
