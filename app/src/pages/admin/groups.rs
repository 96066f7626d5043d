//! Admin: groups — the list, and one group's form: name, shared reply drafts, what a
//! customer's reply to a closed ticket does (follow-up), the sender address and signature of
//! its e-mail, note, active.

use leptos::prelude::*;

use super::{AdminTable, Cell, NONE, Section, after_save, list_page, optional_select, record_page};
use crate::api::admin::{
    GroupEdit, GroupForm, GroupRow, admin_group, admin_groups, save_admin_group,
};
use crate::components::form::{CheckField, FormActions, FormState, TextArea, TextField};
use crate::components::layout::ready_marker;

const FOLLOW_UPS: [(&str, &str); 3] = [
    ("yes", "Reopens the ticket"),
    ("new_ticket", "Opens a new ticket"),
    (
        "new_ticket_after_certain_time",
        "Reopens it for some days, then opens a new ticket",
    ),
];

fn follow_up_label(key: &str) -> &'static str {
    FOLLOW_UPS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, label)| label)
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_groups());
    list_page(
        Section::Groups,
        "Groups",
        Some(("/admin/groups/new", "New group")),
        list,
        |rows| view! { <GroupTable rows/> }.into_any(),
    )
}

#[component]
fn GroupTable(rows: Vec<GroupRow>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|g| {
            vec![
                Cell::Link(format!("/admin/groups/{}", g.id), g.name),
                Cell::Text(if g.shared_drafts { "On" } else { "Off" }.into()),
                Cell::Muted(follow_up_label(&g.follow_up).into()),
                Cell::Muted(g.email_address.unwrap_or_else(|| "–".into())),
                Cell::Status(g.active),
            ]
        })
        .collect();
    view! {
        <AdminTable
            headers=&["Name", "Shared drafts", "Reply to a closed ticket", "Sends from", "Status"]
            rows
        />
    }
}

#[component]
pub fn GroupPage(id: i64) -> impl IntoView {
    let data = Resource::new(move || id, admin_group);
    let title = if id == 0 { "New group" } else { "Group" };
    record_page(
        Section::Group(id),
        title,
        ("/admin/groups", "Groups"),
        data,
        |edit| view! { <GroupEditor edit/> }.into_any(),
    )
}

#[component]
fn GroupEditor(edit: GroupEdit) -> impl IntoView {
    let GroupEdit {
        group,
        email_addresses,
        signatures,
    } = edit;
    let id = group.id;
    let state = FormState::new();
    let name = RwSignal::new(group.name.clone());
    let active = RwSignal::new(group.active);
    let shared_drafts = RwSignal::new(group.shared_drafts);
    let follow_up = RwSignal::new(group.follow_up_possible.clone());
    let reopen_days = RwSignal::new(
        group
            .reopen_time_in_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
    );
    let email_address = RwSignal::new(group.email_address_id);
    let signature = RwSignal::new(group.signature_id);
    let note = RwSignal::new(group.note);
    let on_saved = after_save(id == 0, "/admin/groups");
    let heading = if id == 0 {
        "New group".to_string()
    } else {
        group.name.clone()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = GroupForm {
            id,
            name: name.get_untracked(),
            active: active.get_untracked(),
            shared_drafts: shared_drafts.get_untracked(),
            follow_up_possible: follow_up.get_untracked(),
            reopen_time_in_days: reopen_days.get_untracked().trim().parse().ok(),
            email_address_id: email_address.get_untracked(),
            signature_id: signature.get_untracked(),
            note: note.get_untracked(),
        };
        state.run(save_admin_group(form), on_saved.clone());
    };
    let save_label = if id == 0 {
        "Create group"
    } else {
        "Save group"
    };
    let initial_follow_up = group.follow_up_possible.clone();
    view! {
        <h1>{heading}</h1>
        <form class="admin-form" id="group-form" data-ready=ready_marker() on:submit=submit>
            <fieldset>
                <legend>"Group"</legend>
                <TextField id="group-name" label="Name" value=name required=true state/>
                <CheckField
                    id="group-shared-drafts"
                    label="Shared reply drafts"
                    value=shared_drafts
                    state
                    hint="Agents with change access write the reply together, live."
                />
                <CheckField id="group-active" label="Active" value=active state/>
            </fieldset>
            <fieldset>
                <legend>"Follow-ups"</legend>
                <div class="field">
                    <label for="group-follow-up">"A customer's reply to a closed ticket"</label>
                    <select
                        id="group-follow-up"
                        prop:value=move || follow_up.get()
                        on:change=move |ev| {
                            follow_up.set(event_target_value(&ev));
                            state.changed();
                        }
                    >
                        {FOLLOW_UPS
                            .iter()
                            .map(|&(key, label)| {
                                view! { <option value=key selected={key == initial_follow_up}>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <Show when=move || follow_up.with(|f| f == "new_ticket_after_certain_time")>
                    <TextField
                        id="group-reopen-days"
                        label="Days a closed ticket may be reopened"
                        value=reopen_days
                        kind="number"
                        state
                    />
                </Show>
            </fieldset>
            <fieldset>
                <legend>"E-mail"</legend>
                <div class="row">
                    <div class="field">
                        <label for="group-email-address">"Sender address"</label>
                        {optional_select("group-email-address", NONE, email_addresses, email_address, state)}
                    </div>
                    <div class="field">
                        <label for="group-signature">"Signature"</label>
                        {optional_select("group-signature", NONE, signatures, signature, state)}
                    </div>
                </div>
                <p class="hint muted">
                    "Agents' e-mails from this group are sent from this address and end with this signature."
                </p>
            </fieldset>
            <fieldset>
                <legend>"Note"</legend>
                <TextArea id="group-note" label="Note" value=note quiet_label=true state/>
            </fieldset>
            <FormActions state id="save-group" label=save_label busy="Saving…"/>
        </form>
    }
}
