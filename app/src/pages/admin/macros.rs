//! Admin: macros (Zammad's "Macros", `admin.macro`) — the list and a record's page: name, what
//! the macro sets (state, priority, group, owner, tags added or removed), where the agent goes afterwards
//! (`ux_flow_next_up`), the groups it is offered in (none: every group), active, note.

use leptos::prelude::*;

use super::text_modules::{delete_button, group_boxes};
use super::{
    AdminTable, Cell, Section, UNCHANGED, after_save, list_page, optional_select, record_page,
    text_select,
};
use crate::api::macros::{
    MacroEdit, MacroForm, OWNER_CURRENT_USER, OWNER_NOBODY, admin_macro, admin_macros,
    delete_macro, save_macro,
};
use crate::components::form::{CheckField, FormActions, FormState, TextArea, TextField};
use crate::components::layout::ready_marker;

const NEXT_UP: [(&str, &str); 3] = [
    ("none", "Stay on the ticket"),
    ("next_task", "Back to the list"),
    ("next_from_overview", "Next open ticket"),
];

#[component]
pub fn MacrosPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_macros());
    list_page(
        Section::Macros,
        "Macros",
        Some(("/admin/macros/new", "New macro")),
        list,
        |rows| view! { <MacroTable rows/> }.into_any(),
    )
}

#[component]
fn MacroTable(rows: Vec<MacroForm>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No macros yet."</p> }.into_any();
    }
    let rows = rows
        .into_iter()
        .map(|m| {
            let after = NEXT_UP
                .iter()
                .find(|(k, _)| *k == m.ux_flow_next_up)
                .map_or("–", |(_, label)| label);
            vec![
                Cell::Link(
                    format!("/admin/macros/{}", m.id.unwrap_or_default()),
                    m.name,
                ),
                Cell::Muted(after.to_string()),
                Cell::Muted(if m.group_ids.is_empty() {
                    "All groups".into()
                } else {
                    format!("{} group(s)", m.group_ids.len())
                }),
                Cell::Status(m.active),
            ]
        })
        .collect();
    view! {
        <AdminTable id="macro-table" headers=&["Name", "Afterwards", "Groups", "Status"] rows/>
        <p class="hint muted">"Agents apply macros from the \u{201c}Macros\u{201d} menu of a ticket."</p>
    }
    .into_any()
}

#[component]
pub fn MacroPage(id: i64) -> impl IntoView {
    let data = Resource::new(move || id, admin_macro);
    let title = if id == 0 { "New macro" } else { "Macro" };
    record_page(
        Section::Macro(id),
        title,
        ("/admin/macros", "Macros"),
        data,
        |edit| view! { <MacroEditor edit/> }.into_any(),
    )
}

#[component]
fn MacroEditor(edit: MacroEdit) -> impl IntoView {
    let MacroEdit {
        form,
        groups,
        states,
        priorities,
        owners,
    } = edit;
    let id = form.id;
    let state = FormState::new();
    let name = RwSignal::new(form.name.clone());
    let state_id = RwSignal::new(form.state_id);
    let priority_id = RwSignal::new(form.priority_id);
    let group_id = RwSignal::new(form.group_id);
    let owner = RwSignal::new(form.owner.clone());
    let tags_operator = RwSignal::new(form.tags_operator.clone());
    let tags = RwSignal::new(form.tags.clone());
    let next_up = RwSignal::new(form.ux_flow_next_up.clone());
    let note = RwSignal::new(form.note.clone());
    let active = RwSignal::new(form.active);
    let chosen = RwSignal::new(form.group_ids.clone());
    let on_saved = after_save(id.is_none(), "/admin/macros");
    let heading = if id.is_none() {
        "New macro".to_string()
    } else {
        form.name.clone()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = MacroForm {
            id,
            name: name.get_untracked(),
            state_id: state_id.get_untracked(),
            priority_id: priority_id.get_untracked(),
            group_id: group_id.get_untracked(),
            owner: owner.get_untracked(),
            tags_operator: tags_operator.get_untracked(),
            tags: tags.get_untracked(),
            ux_flow_next_up: next_up.get_untracked(),
            note: note.get_untracked(),
            active: active.get_untracked(),
            group_ids: chosen.get_untracked(),
        };
        state.run(save_macro(form), on_saved.clone());
    };
    let owner_options: Vec<(String, String)> = [
        (String::new(), UNCHANGED.to_string()),
        (
            OWNER_CURRENT_USER.to_string(),
            "The agent applying it".to_string(),
        ),
        (OWNER_NOBODY.to_string(), "Nobody".to_string()),
    ]
    .into_iter()
    .chain(owners.into_iter().map(|a| (a.id.to_string(), a.name)))
    .collect();
    let group_moves = groups.clone();
    view! {
        <h1>{heading}</h1>
        <form class="admin-form" id="macro-form" data-ready=ready_marker() on:submit=submit>
            <fieldset>
                <legend>"Macro"</legend>
                <TextField id="macro-name" label="Name" value=name required=true state/>
                <div class="field">
                    <label for="macro-state">"State"</label>
                    {optional_select("macro-state", UNCHANGED, states, state_id, state)}
                </div>
                <div class="field">
                    <label for="macro-priority">"Priority"</label>
                    {optional_select("macro-priority", UNCHANGED, priorities, priority_id, state)}
                </div>
                <div class="field">
                    <label for="macro-group">"Move to group"</label>
                    {optional_select("macro-group", UNCHANGED, group_moves, group_id, state)}
                </div>
                <div class="field">
                    <label for="macro-owner">"Owner"</label>
                    {text_select("macro-owner", owner_options, owner, state)}
                </div>
                <div class="field">
                    <label for="macro-tags-operator">"Tags"</label>
                    {text_select("macro-tags-operator", [("", UNCHANGED), ("add", "Add"), ("remove", "Remove")]
                        .into_iter()
                        .map(|(v, l)| (v.to_string(), l.to_string()))
                        .collect(), tags_operator, state)}
                </div>
                <TextField id="macro-tags" label="Tag names" value=tags hint="Separated by commas." state/>
                <div class="field">
                    <label for="macro-next-up">"Afterwards"</label>
                    {text_select("macro-next-up", NEXT_UP
                        .iter()
                        .map(|(v, l)| (v.to_string(), l.to_string()))
                        .collect(), next_up, state)}
                </div>
                {group_boxes("macro", groups, chosen, state)}
                <TextArea id="macro-note" label="Note" value=note state/>
                <CheckField id="macro-active" label="Active" value=active state/>
            </fieldset>
            <FormActions
                state
                id="save-macro"
                label=if id.is_none() { "Create macro" } else { "Save macro" }
                busy="Saving…"
            />
        </form>
        {id.map(|id| delete_button(
            "delete-macro",
            format!("Delete the macro {}?", form.name),
            "/admin/macros",
            move || delete_macro(id),
        ))}
    }
}
