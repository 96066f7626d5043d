//! The sidebar's tags: chips, and for agents with change access a remove button on each and
//! an input with suggestions from the existing tags (Enter adds the typed or the chosen one).
//! Adding and removing go through `Desk::change_tag`, as `/tags/add` and `/tags/remove`; the
//! ticket's live event reloads the view, which shows the tags as they are now.

use leptos::prelude::*;

use super::Shared;
use crate::api::ticket_tools::{change_ticket_tag, tag_suggestions};
use crate::pages::overview::clean_error;

#[component]
pub(super) fn Tags(z: Shared) -> impl IntoView {
    let ticket_id = z.ticket_id;
    let editable = z.can.agent && z.can.change;
    let tags = Memo::new(move |_| z.latest.with(|t| t.tags.clone()));
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let text = RwSignal::new(String::new());
    let suggestions = RwSignal::new(Vec::<String>::new());
    let open = RwSignal::new(false);
    let highlighted = RwSignal::new(None::<usize>);
    // the answer to the newest suggestion request wins
    let asked = StoredValue::new(0u64);
    let input = NodeRef::<leptos::html::Input>::new();

    let suggest = move |term: String| {
        let n = asked.get_value() + 1;
        asked.set_value(n);
        leptos::task::spawn_local(async move {
            let Ok(found) = tag_suggestions(term).await else {
                return; // no suggestions; the input still adds what is typed
            };
            if asked.try_get_value() != Some(n) {
                return;
            }
            let have = tags.try_get_untracked().unwrap_or_default();
            let found: Vec<String> = found.into_iter().filter(|f| !have.contains(f)).collect();
            let _ = highlighted.try_set(None);
            let _ = open.try_set(!found.is_empty());
            let _ = suggestions.try_set(found);
        });
    };
    let change = move |name: String, add: bool| {
        let name = name.trim().to_string();
        if name.is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match change_ticket_tag(ticket_id, name, add).await {
                Ok(()) => {
                    if add {
                        let _ = text.try_set(String::new());
                        let _ = open.try_set(false);
                        let _ = suggestions.try_set(Vec::new());
                    }
                    z.reload();
                }
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                }
            }
            let _ = busy.try_set(false);
            if add && let Some(i) = input.try_get_untracked().flatten() {
                let _ = i.focus();
            }
        });
    };
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        let count = suggestions.with_untracked(Vec::len);
        match ev.key().as_str() {
            "Enter" => {
                ev.prevent_default();
                let chosen = highlighted
                    .get_untracked()
                    .filter(|_| open.get_untracked())
                    .and_then(|i| suggestions.with_untracked(|s| s.get(i).cloned()));
                change(chosen.unwrap_or_else(|| text.get_untracked()), true);
            }
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                open.set(true);
                highlighted.set(Some(match highlighted.get_untracked() {
                    Some(i) if i + 1 < count => i + 1,
                    _ => 0,
                }));
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                open.set(true);
                highlighted.set(Some(match highlighted.get_untracked() {
                    Some(0) | None => count - 1,
                    Some(i) => i - 1,
                }));
            }
            "Escape" if open.get_untracked() => {
                ev.prevent_default();
                ev.stop_propagation();
                open.set(false);
                highlighted.set(None);
            }
            _ => {}
        }
    };
    let list_id = format!("tag-suggestions-{ticket_id}");
    let option_id = move |i: usize| format!("tag-suggestion-{ticket_id}-{i}");
    view! {
        {move || (editable || !tags.with(Vec::is_empty)).then(|| {
            let list_id = list_id.clone();
            view! {
                <section class="side-block tags-block" aria-labelledby="tags-heading">
                    <h2 id="tags-heading">"Tags"</h2>
                    <ul class="tags" aria-label="Tags of this ticket">
                        <For each=move || tags.get() key=|t| t.clone() let:tag>
                            <li class="tag" data-tag=tag.clone()>
                                {tag.clone()}
                                {editable.then(|| {
                                    let name = tag.clone();
                                    view! {
                                        <button
                                            type="button"
                                            class="tag-remove"
                                            aria-label=format!("Remove tag {tag}")
                                            title=format!("Remove tag {tag}")
                                            disabled=move || busy.get()
                                            on:click=move |_| change(name.clone(), false)
                                        ></button>
                                    }
                                })}
                            </li>
                        </For>
                    </ul>
                    {editable.then(|| {
                        let list_id = list_id.clone();
                        view! {
                            <div class="tag-input">
                                <input
                                    type="text"
                                    id="tag-input"
                                    node_ref=input
                                    placeholder="Add a tag…"
                                    aria-label="Add a tag"
                                    role="combobox"
                                    aria-autocomplete="list"
                                    aria-controls=list_id.clone()
                                    aria-expanded=move || open.get().to_string()
                                    aria-activedescendant=move || highlighted.get().filter(|_| open.get()).map(option_id)
                                    maxlength="100"
                                    autocomplete="off"
                                    disabled=move || busy.get()
                                    prop:value=move || text.get()
                                    on:input=move |ev| {
                                        let v = event_target_value(&ev);
                                        text.set(v.clone());
                                        suggest(v);
                                    }
                                    on:focus=move |_| {
                                        if suggestions.with_untracked(Vec::is_empty) {
                                            suggest(text.get_untracked());
                                        } else {
                                            open.set(true);
                                        }
                                    }
                                    on:blur=move |_| {
                                        // a click on a suggestion lands before the list closes
                                        set_timeout(
                                            move || {
                                                let _ = open.try_set(false);
                                            },
                                            std::time::Duration::from_millis(150),
                                        );
                                    }
                                    on:keydown=keydown
                                />
                                <ul
                                    class="tag-suggestions"
                                    id=list_id
                                    role="listbox"
                                    aria-label="Existing tags"
                                    hidden=move || !open.get()
                                >
                                    {move || suggestions.get().into_iter().enumerate().map(|(i, s)| {
                                        let name = s.clone();
                                        view! {
                                            <li
                                                role="option"
                                                id=option_id(i)
                                                aria-selected=move || (highlighted.get() == Some(i)).to_string()
                                                on:mousedown=move |ev| {
                                                    ev.prevent_default();
                                                    change(name.clone(), true);
                                                }
                                            >
                                                {s}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </div>
                        }
                    })}
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                </section>
            }
        })}
    }
}
