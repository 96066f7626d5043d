//! Admin: organisations — the list, and one organisation's form (name, shared, domain, note,
//! active) with its members. Members join an organisation on their user page.

use leptos::prelude::*;

use super::{AdminTable, Cell, Section, after_save, list_page, record_page};
use crate::api::admin::{
    OrganizationEdit, OrganizationForm, OrganizationRow, admin_organization, admin_organizations,
    save_admin_organization,
};
use crate::components::form::{CheckField, FormActions, FormState, TextArea, TextField};
use crate::components::layout::ready_marker;

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_organizations());
    list_page(
        Section::Organizations,
        "Organisations",
        Some(("/admin/organizations/new", "New organisation")),
        list,
        |rows| view! { <OrganizationTable rows/> }.into_any(),
    )
}

#[component]
fn OrganizationTable(rows: Vec<OrganizationRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No organisations yet."</p> }.into_any();
    }
    let rows = rows
        .into_iter()
        .map(|o| {
            vec![
                Cell::Link(format!("/admin/organizations/{}", o.id), o.name),
                Cell::Text(if o.shared { "Shared" } else { "Not shared" }.into()),
                Cell::Text(o.members.to_string()),
                Cell::Status(o.active),
            ]
        })
        .collect();
    view! {
        <AdminTable headers=&["Name", "Shared", "Members", "Status"] rows/>
        <p class="hint muted">"Members of a shared organisation see each other's tickets."</p>
    }
    .into_any()
}

#[component]
pub fn OrganizationPage(id: i64) -> impl IntoView {
    let data = Resource::new(move || id, admin_organization);
    let title = if id == 0 {
        "New organisation"
    } else {
        "Organisation"
    };
    record_page(
        Section::Organization(id),
        title,
        ("/admin/organizations", "Organisations"),
        data,
        |edit| view! { <OrganizationEditor edit/> }.into_any(),
    )
}

#[component]
fn OrganizationEditor(edit: OrganizationEdit) -> impl IntoView {
    let OrganizationEdit {
        organization: org,
        members,
    } = edit;
    let id = org.id;
    let state = FormState::new();
    let name = RwSignal::new(org.name.clone());
    let shared = RwSignal::new(org.shared);
    let active = RwSignal::new(org.active);
    let domain = RwSignal::new(org.domain.clone());
    let note = RwSignal::new(org.note);
    let on_saved = after_save(id == 0, "/admin/organizations");
    let heading = if id == 0 {
        "New organisation".to_string()
    } else {
        org.name.clone()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = OrganizationForm {
            id,
            name: name.get_untracked(),
            shared: shared.get_untracked(),
            active: active.get_untracked(),
            domain: domain.get_untracked(),
            note: note.get_untracked(),
        };
        state.run(save_admin_organization(form), on_saved.clone());
    };
    let save_label = if id == 0 {
        "Create organisation"
    } else {
        "Save organisation"
    };
    view! {
        <h1>{heading}</h1>
        <form class="admin-form" id="organization-form" data-ready=ready_marker() on:submit=submit>
            <fieldset>
                <legend>"Organisation"</legend>
                <TextField id="org-name" label="Name" value=name required=true state/>
                <CheckField
                    id="org-shared"
                    label="Shared"
                    value=shared
                    state
                    hint="Members see every ticket of the organisation, not only their own."
                />
                <TextField
                    id="org-domain"
                    label="Domain"
                    value=domain
                    state
                    hint="The e-mail domain of its people (example.com)."
                />
                <TextArea id="org-note" label="Note" value=note state/>
                <CheckField id="org-active" label="Active" value=active state/>
            </fieldset>
            <FormActions state id="save-organization" label=save_label busy="Saving…"/>
        </form>
        {(id != 0).then(|| view! {
            <section class="admin-card" aria-labelledby="members-title">
                <h2 id="members-title">"Members"</h2>
                {if members.is_empty() {
                    view! {
                        <p class="muted">"No members yet. A user joins on their user page (Organisation)."</p>
                    }
                    .into_any()
                } else {
                    view! {
                        <ul class="member-list">
                            {members
                                .into_iter()
                                .map(|m| view! { <li><a href=format!("/admin/users/{}", m.id)>{m.name}</a></li> })
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                }}
            </section>
        })}
    }
}
