//! The overviews' bulk actions (agents): a checkbox per row, "select all on this page", and a
//! bar that sets state (with a pending state's time), priority, owner, group, or adds or
//! removes a tag on every selected ticket at once (`api::bulk::bulk_update`), then says how
//! many changed and which were refused, and why. Also the rows' unread marker.

use leptos::prelude::*;

use crate::api::bulk::{BulkChanges, BulkChoices, BulkOutcome, bulk_options, bulk_update};
use crate::components::form::{LabelledInput, choice_options};
use crate::components::status::readable_text;
use crate::components::time_input::{tomorrow_nine, utc_of_local};

/// The bulk selection and the bar's choices, kept by the overview across live refreshes of
/// the list (all of it `Copy`).
#[derive(Clone, Copy)]
pub struct BulkState {
    /// The selected tickets, in the order they were chosen.
    pub selected: RwSignal<Vec<i64>>,
    options: RwSignal<Option<Result<BulkChoices, String>>>,
    loading: RwSignal<bool>,
    /// The chosen values as the selects hold them (`""`: leave as it is).
    state_id: RwSignal<String>,
    pending_time: RwSignal<String>,
    priority_id: RwSignal<String>,
    group_id: RwSignal<String>,
    owner_id: RwSignal<String>,
    add_tag: RwSignal<String>,
    remove_tag: RwSignal<String>,
    busy: RwSignal<bool>,
    /// What the last Apply did (or why it failed as a whole).
    outcome: RwSignal<Option<Result<BulkOutcome, String>>>,
}

impl Default for BulkState {
    fn default() -> Self {
        Self::new()
    }
}

impl BulkState {
    /// An empty selection.
    pub fn new() -> BulkState {
        BulkState {
            selected: RwSignal::new(Vec::new()),
            options: RwSignal::new(None),
            loading: RwSignal::new(false),
            state_id: RwSignal::new(String::new()),
            pending_time: RwSignal::new(String::new()),
            priority_id: RwSignal::new(String::new()),
            group_id: RwSignal::new(String::new()),
            owner_id: RwSignal::new(String::new()),
            add_tag: RwSignal::new(String::new()),
            remove_tag: RwSignal::new(String::new()),
            busy: RwSignal::new(false),
            outcome: RwSignal::new(None),
        }
    }

    /// Forgets the selection (another page or overview).
    pub fn clear(self) {
        let _ = self.selected.try_set(Vec::new());
    }

    fn is_selected(self, id: i64) -> bool {
        self.selected.with(|s| s.contains(&id))
    }

    fn toggle(self, id: i64, on: bool) {
        self.selected.update(|s| {
            s.retain(|x| *x != id);
            if on {
                s.push(id);
            }
        });
        if on {
            self.load_options();
        }
    }

    /// The bar's choices, loaded once, when the first ticket is selected.
    fn load_options(self) {
        if self.loading.get_untracked() || self.options.with_untracked(|o| o.is_some()) {
            return;
        }
        self.loading.set(true);
        leptos::task::spawn_local(async move {
            let loaded = bulk_options()
                .await
                .map_err(|e| readable_text(&e.to_string()));
            let _ = self.options.try_set(Some(loaded));
            let _ = self.loading.try_set(false);
        });
    }

    fn chosen(field: RwSignal<String>) -> Option<i64> {
        field.get_untracked().parse().ok()
    }

    fn is_pending_chosen(self) -> bool {
        let state = self.state_id.get();
        self.options.with(|o| {
            o.as_ref().and_then(|o| o.as_ref().ok()).is_some_and(|o| {
                state
                    .parse()
                    .is_ok_and(|s| o.pending_state_ids.contains(&s))
            })
        })
    }

    fn reset_choices(self) {
        for field in [
            self.state_id,
            self.pending_time,
            self.priority_id,
            self.group_id,
            self.owner_id,
            self.add_tag,
            self.remove_tag,
        ] {
            field.set(String::new());
        }
    }
}

/// The header cell: selects (or unselects) every ticket of this page.
#[component]
pub fn SelectAllCell(bulk: BulkState, page_ids: Vec<i64>) -> impl IntoView {
    // plain values, not a StoredValue: a live refresh replaces this cell while the selection
    // changes, and its closures may run once more after it is gone
    let ids = std::sync::Arc::new(page_ids);
    let all = {
        let ids = ids.clone();
        move || !ids.is_empty() && ids.iter().all(|id| bulk.is_selected(*id))
    };
    let some = {
        let ids = ids.clone();
        move || ids.iter().any(|id| bulk.is_selected(*id))
    };
    let indeterminate = {
        let all = all.clone();
        move || some() && !all()
    };
    view! {
        <th scope="col" class="col-select">
            <input
                type="checkbox"
                id="select-page"
                aria-label="Select all tickets on this page"
                prop:checked=all
                prop:indeterminate=indeterminate
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    for id in ids.iter() {
                        bulk.toggle(*id, on);
                    }
                }
            />
        </th>
    }
}

/// A row's selection cell.
#[component]
pub fn SelectCell(bulk: BulkState, id: i64, number: String) -> impl IntoView {
    view! {
        <td class="col-select">
            <input
                type="checkbox"
                class="select-ticket"
                aria-label=format!("Select ticket {number}")
                prop:checked=move || bulk.is_selected(id)
                on:change=move |ev| bulk.toggle(id, event_target_checked(&ev))
            />
        </td>
    }
}

/// The unread marker before a title: a dot, named for screen readers.
#[component]
pub fn UnreadDot() -> impl IntoView {
    view! {
        <span class="unread-dot" title="Changed since you last opened it">
            <span class="sr-only">"Unread: "</span>
        </span>
    }
}

/// A select of the bar: `""` leaves the field as it is.
#[component]
fn BulkSelect(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    choices: Vec<crate::api::Choice>,
) -> impl IntoView {
    view! {
        <label class="bulk-field">
            <span>{label}</span>
            <select
                name=name
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                <option value="">"– unchanged –"</option>
                {choice_options(choices)}
            </select>
        </label>
    }
}

/// The bar over the list: shown while tickets are selected, and with the last outcome.
/// `done` runs after an Apply (the list reloads; live events also tell it).
#[component]
pub fn BulkBar(bulk: BulkState, done: Callback<()>) -> impl IntoView {
    let count = move || bulk.selected.with(Vec::len);
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if bulk.busy.get_untracked() {
            return;
        }
        let pending = bulk.is_pending_chosen();
        let pending_time = if pending {
            match utc_of_local(&bulk.pending_time.get_untracked()) {
                Some(t) => Some(t),
                None => {
                    bulk.outcome.set(Some(Err(
                        "A pending state needs the date and time to wait until.".into(),
                    )));
                    return;
                }
            }
        } else {
            None
        };
        let text = |f: RwSignal<String>| {
            Some(f.get_untracked().trim().to_string()).filter(|t| !t.is_empty())
        };
        let changes = BulkChanges {
            ticket_ids: bulk.selected.get_untracked(),
            state_id: BulkState::chosen(bulk.state_id),
            pending_time,
            priority_id: BulkState::chosen(bulk.priority_id),
            group_id: BulkState::chosen(bulk.group_id),
            owner_id: BulkState::chosen(bulk.owner_id),
            add_tag: text(bulk.add_tag),
            remove_tag: text(bulk.remove_tag),
        };
        if changes.is_empty() {
            bulk.outcome
                .set(Some(Err("Choose something to change first.".into())));
            return;
        }
        bulk.busy.set(true);
        bulk.outcome.set(None);
        leptos::task::spawn_local(async move {
            let result = bulk_update(changes)
                .await
                .map_err(|e| readable_text(&e.to_string()));
            if let Ok(outcome) = &result {
                // the refused stay selected, to try again or look at
                let refused: Vec<i64> = outcome.refused.iter().map(|r| r.id).collect();
                let _ = bulk
                    .selected
                    .try_update(|s| s.retain(|id| refused.contains(id)));
                if refused.is_empty() {
                    bulk.reset_choices();
                }
            }
            let _ = bulk.outcome.try_set(Some(result));
            let _ = bulk.busy.try_set(false);
            done.run(());
        });
    };
    // a pending state needs its time: tomorrow 09:00 unless one is set
    Effect::new(move |_| {
        if bulk.is_pending_chosen() && bulk.pending_time.get_untracked().is_empty() {
            bulk.pending_time.set(tomorrow_nine());
        }
    });
    let form = move || {
        (count() > 0).then(|| {
            view! {
                <form class="bulk-bar" aria-label="Change the selected tickets" on:submit=apply>
                    <strong class="bulk-count" id="bulk-count">
                        {move || match count() {
                            1 => "1 ticket selected".to_string(),
                            n => format!("{n} tickets selected"),
                        }}
                    </strong>
                    {move || match bulk.options.get() {
                        None => view! { <span class="muted">"Loading choices…"</span> }.into_any(),
                        Some(Err(e)) => view! { <span class="error" role="alert">{e}</span> }.into_any(),
                        Some(Ok(o)) => view! {
                            <BulkSelect label="State" name="bulk-state" value=bulk.state_id choices=o.states/>
                            {move || bulk.is_pending_chosen().then(|| view! {
                                <LabelledInput
                                    class="bulk-field"
                                    label="Pending until"
                                    value=bulk.pending_time
                                    kind="datetime-local"
                                    name="bulk-pending-time"
                                    required=true
                                />
                            })}
                            <BulkSelect label="Priority" name="bulk-priority" value=bulk.priority_id choices=o.priorities/>
                            <BulkSelect label="Owner" name="bulk-owner" value=bulk.owner_id choices=o.owners/>
                            <BulkSelect label="Group" name="bulk-group" value=bulk.group_id choices=o.groups/>
                            <LabelledInput
                                class="bulk-field"
                                label="Add tag"
                                value=bulk.add_tag
                                kind="text"
                                name="bulk-add-tag"
                                maxlength="100"
                            />
                            <LabelledInput
                                class="bulk-field"
                                label="Remove tag"
                                value=bulk.remove_tag
                                kind="text"
                                name="bulk-remove-tag"
                                maxlength="100"
                            />
                        }
                            .into_any(),
                    }}
                    <div class="bulk-actions">
                        <button type="submit" class="primary" id="bulk-apply" disabled=move || bulk.busy.get()>
                            {move || if bulk.busy.get() { "Applying…" } else { "Apply" }}
                        </button>
                        <button type="button" class="link" on:click=move |_| bulk.clear()>
                            "Clear selection"
                        </button>
                    </div>
                </form>
            }
        })
    };
    let outcome = move || {
        bulk.outcome.get().map(|result| {
            let close = move |_| bulk.outcome.set(None);
            match result {
                Ok(o) => {
                    let changed = match o.changed {
                        1 => "1 ticket changed.".to_string(),
                        n => format!("{n} tickets changed."),
                    };
                    let refused = o.refused.len();
                    view! {
                        <div class="bulk-outcome" class:partial=(refused > 0) role="status" id="bulk-outcome">
                            <p>
                                {changed}
                                {(refused > 0).then(|| match refused {
                                    1 => " 1 ticket was not changed:".to_string(),
                                    n => format!(" {n} tickets were not changed:"),
                                })}
                            </p>
                            {(refused > 0).then(|| view! {
                                <ul class="bulk-refused">
                                    {o.refused
                                        .into_iter()
                                        .map(|r| {
                                            let name = if r.number.is_empty() {
                                                format!("Ticket {}", r.id)
                                            } else {
                                                format!("#{} {}", r.number, r.title)
                                            };
                                            view! {
                                                <li data-ticket-id=r.id>
                                                    <a href=format!("/tickets/{}", r.id)>{name}</a>
                                                    ": "
                                                    <span class="error">{r.error}</span>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            })}
                            <button type="button" class="link" on:click=close>"Dismiss"</button>
                        </div>
                    }
                        .into_any()
                }
                Err(e) => view! {
                    <div class="bulk-outcome failed" role="alert" id="bulk-outcome">
                        <p class="error">{e}</p>
                        <button type="button" class="link" on:click=close>"Dismiss"</button>
                    </div>
                }
                    .into_any(),
            }
        })
    };
    view! {
        {form}
        {outcome}
    }
}
