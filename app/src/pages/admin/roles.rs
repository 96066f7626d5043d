//! Admin: roles — what each role may do. Roles are fixed here (Admin, Agent, Customer); a
//! user's roles are chosen on their user page.

use leptos::prelude::*;

use super::{AdminTable, Cell, Section, list_page};
use crate::api::admin::{RoleRow, admin_roles};

#[component]
pub fn RolesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_roles());
    list_page(Section::Roles, "Roles", None, list, |rows| {
        view! { <RoleTable rows/> }.into_any()
    })
}

#[component]
fn RoleTable(rows: Vec<RoleRow>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|r| {
            vec![
                Cell::Strong(r.name, r.note),
                Cell::Chips(r.permissions),
                Cell::Text(if r.default_at_signup { "Given" } else { "–" }.into()),
                Cell::Status(r.active),
            ]
        })
        .collect();
    view! {
        <AdminTable id="admin-roles" headers=&["Role", "Permissions", "New sign-ups", "Status"] rows/>
        <p class="hint muted">"A user's roles and group access are set on their user page."</p>
    }
}
