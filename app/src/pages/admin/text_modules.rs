//! Admin: text modules (Zammad's "Text modules", `admin.text_module`) — the list and a record's
//! page: name, keywords (what `::` finds them by), the HTML content with placeholders, the
//! groups it is offered in (none: every group), active, note.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::{AdminTable, Cell, Section, after_save, list_page, record_page};
use crate::api::Choice;
use crate::api::macros::{
    TextModuleEdit, TextModuleForm, admin_text_module, admin_text_modules, delete_text_module,
    save_text_module,
};
use crate::components::form::{CheckField, FormActions, FormState, TextArea, TextField};
use crate::components::layout::ready_marker;
use crate::pages::overview::clean_error;

/// The placeholders the composer fills when a module is inserted.
pub(super) const PLACEHOLDERS: [&str; 8] = [
    "ticket.customer.firstname",
    "ticket.customer.lastname",
    "ticket.number",
    "ticket.title",
    "ticket.group.name",
    "ticket.owner.firstname",
    "user.firstname",
    "user.lastname",
];

#[component]
pub fn TextModulesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_text_modules());
    list_page(
        Section::TextModules,
        "Text modules",
        Some(("/admin/text_modules/new", "New text module")),
        list,
        |rows| view! { <TextModuleTable rows/> }.into_any(),
    )
}

#[component]
fn TextModuleTable(rows: Vec<TextModuleForm>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No text modules yet."</p> }.into_any();
    }
    let rows = rows
        .into_iter()
        .map(|m| {
            vec![
                Cell::Link(
                    format!("/admin/text_modules/{}", m.id.unwrap_or_default()),
                    m.name,
                ),
                Cell::Muted(if m.keywords.is_empty() {
                    "–".into()
                } else {
                    m.keywords
                }),
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
        <AdminTable id="text-module-table" headers=&["Name", "Keywords", "Groups", "Status"] rows/>
        <p class="hint muted">"Agents type " <code>"::"</code> " and a keyword in a reply to insert a text module."</p>
    }
    .into_any()
}

#[component]
pub fn TextModulePage(id: i64) -> impl IntoView {
    let data = Resource::new(move || id, admin_text_module);
    let title = if id == 0 {
        "New text module"
    } else {
        "Text module"
    };
    record_page(
        Section::TextModule(id),
        title,
        ("/admin/text_modules", "Text modules"),
        data,
        |edit| view! { <TextModuleEditor edit/> }.into_any(),
    )
}

/// Checkboxes for the groups a record is limited to (none ticked: every group).
pub(super) fn group_boxes(
    prefix: &'static str,
    groups: Vec<Choice>,
    chosen: RwSignal<Vec<i64>>,
    state: FormState,
) -> impl IntoView {
    view! {
        <fieldset class="field group-boxes">
            <legend>"Groups (none: all groups)"</legend>
            {groups
                .into_iter()
                .map(|g| {
                    let gid = g.id;
                    let checked = chosen.get_untracked().contains(&gid);
                    view! {
                        <label class="check">
                            <input
                                type="checkbox"
                                id=format!("{prefix}-group-{gid}")
                                checked=checked
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|ids| {
                                        ids.retain(|i| *i != gid);
                                        if on {
                                            ids.push(gid);
                                        }
                                    });
                                    state.changed();
                                }
                            />
                            " " {g.name}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// A "Delete" button that asks first, then goes back to the list.
pub(super) fn delete_button<F, Fut>(
    id: &'static str,
    question: String,
    back: &'static str,
    call: F,
) -> impl IntoView
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), ServerFnError>> + 'static,
{
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let confirm = move |_| {
        let call = call.clone();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match call().await {
                Ok(()) => navigate(back, Default::default()),
                Err(e) => {
                    let _ = error.try_set(Some(clean_error(&e.to_string())));
                }
            }
        });
    };
    view! {
        <section class="danger-card">
            {move || if confirming.get() {
                let confirm = confirm.clone();
                view! {
                    <p>{question.clone()}</p>
                    <button type="button" class="danger" id=id on:click=confirm>"Delete"</button>
                    " "
                    <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Cancel"</button>
                }
                .into_any()
            } else {
                view! {
                    <button type="button" class="danger" on:click=move |_| confirming.set(true)>"Delete…"</button>
                }
                .into_any()
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn TextModuleEditor(edit: TextModuleEdit) -> impl IntoView {
    let TextModuleEdit { form, groups } = edit;
    let id = form.id;
    let state = FormState::new();
    let name = RwSignal::new(form.name.clone());
    let keywords = RwSignal::new(form.keywords.clone());
    let content = RwSignal::new(form.content.clone());
    let note = RwSignal::new(form.note.clone());
    let active = RwSignal::new(form.active);
    let chosen = RwSignal::new(form.group_ids.clone());
    let on_saved = after_save(id.is_none(), "/admin/text_modules");
    let heading = if id.is_none() {
        "New text module".to_string()
    } else {
        form.name.clone()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = TextModuleForm {
            id,
            name: name.get_untracked(),
            keywords: keywords.get_untracked(),
            content: content.get_untracked(),
            note: note.get_untracked(),
            active: active.get_untracked(),
            group_ids: chosen.get_untracked(),
        };
        state.run(save_text_module(form), on_saved.clone());
    };
    let initial_content = form.content.clone();
    view! {
        <h1>{heading}</h1>
        <form class="admin-form" id="text-module-form" data-ready=ready_marker() on:submit=submit>
            <fieldset>
                <legend>"Text module"</legend>
                <TextField id="text-module-name" label="Name" value=name required=true state/>
                <TextField id="text-module-keywords" label="Keywords" value=keywords hint="What agents type after :: to find it." state/>
                <div class="field">
                    <label for="text-module-content">"Content"</label>
                    <textarea
                        id="text-module-content"
                        rows="8"
                        required
                        aria-describedby="text-module-placeholders"
                        prop:value=move || content.get()
                        on:input=move |ev| {
                            content.set(event_target_value(&ev));
                            state.changed();
                        }
                    >
                        {initial_content}
                    </textarea>
                    <div class="hint muted" id="text-module-placeholders">
                        <p>"HTML or plain text. Placeholders are filled for the ticket when the module is inserted:"</p>
                        <ul class="chips">
                            {PLACEHOLDERS
                                .iter()
                                .map(|p| view! { <li><code>{format!("#{{{p}}}")}</code></li> })
                                .collect_view()}
                        </ul>
                    </div>
                </div>
                {group_boxes("text-module", groups, chosen, state)}
                <TextArea id="text-module-note" label="Note" value=note state/>
                <CheckField id="text-module-active" label="Active" value=active state/>
            </fieldset>
            <FormActions
                state
                id="save-text-module"
                label=if id.is_none() { "Create text module" } else { "Save text module" }
                busy="Saving…"
            />
        </form>
        {id.map(|id| delete_button(
            "delete-text-module",
            format!("Delete the text module {}?", form.name),
            "/admin/text_modules",
            move || delete_text_module(id),
        ))}
    }
}
