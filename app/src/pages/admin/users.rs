//! Admin: users (agents and customers) — the searchable list, and one user's form: name,
//! e-mail, login, organisation, roles, access per group, active, a new password, unlock.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{
    AdminShell, AdminTable, Cell, NONE, Section, after_save, list_head, loaded, optional_select,
    record_page,
};
use crate::api::admin::{
    ACCESS_LEVELS, UserEdit, UserForm, UserRow, admin_user, admin_users, save_admin_user,
    unlock_admin_user,
};
use crate::components::form::{After, CheckField, FormActions, FormState, TextField};
use crate::components::layout::ready_marker;

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.with(|m| m.get("q").unwrap_or_default()));
    let list = Resource::new(move || q.get(), admin_users);
    view! {
        <AdminShell section=Section::Users title="Users" content=move || view! {
            {list_head("Users", Some(("/admin/users/new", "New user")), view! {
                <form class="admin-search" method="get" action="/admin/users" role="search">
                    <label class="sr-only" for="user-q">"Search users"</label>
                    <input
                        id="user-q"
                        name="q"
                        type="search"
                        placeholder="Name, login or e-mail…"
                        value=move || q.get()
                    />
                    <button type="submit">"Search"</button>
                </form>
            })}
            {loaded(list, |rows| view! { <UserTable rows/> }.into_any())}
        }/>
    }
}

#[component]
fn UserTable(rows: Vec<UserRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No user matches."</p> }.into_any();
    }
    let rows = rows
        .into_iter()
        .map(|u| {
            vec![
                Cell::Link(format!("/admin/users/{}", u.id), u.name),
                Cell::Muted(u.login),
                Cell::Text(u.email),
                Cell::Text(u.roles.join(", ")),
                Cell::Muted(u.organization.unwrap_or_default()),
                Cell::Status(u.active),
            ]
        })
        .collect();
    view! {
        <AdminTable
            id="admin-users"
            headers=&["Name", "Login", "E-mail", "Roles", "Organisation", "Status"]
            rows
        />
    }
    .into_any()
}

#[component]
pub fn UserPage(id: i64) -> impl IntoView {
    let data = Resource::new(move || id, admin_user);
    let title = if id == 0 { "New user" } else { "User" };
    record_page(
        Section::User(id),
        title,
        ("/admin/users", "Users"),
        data,
        |edit| view! { <UserEditor edit/> }.into_any(),
    )
}

#[component]
fn UserEditor(edit: UserEdit) -> impl IntoView {
    let UserEdit {
        user,
        roles,
        groups,
        organizations,
        locked_until,
    } = edit;
    let id = user.id;
    let state = FormState::new();
    let firstname = RwSignal::new(user.firstname.clone());
    let lastname = RwSignal::new(user.lastname.clone());
    let email = RwSignal::new(user.email.clone());
    let login = RwSignal::new(user.login.clone());
    let password = RwSignal::new(String::new());
    let active = RwSignal::new(user.active);
    let organization = RwSignal::new(user.organization_id);
    let role_ids = RwSignal::new(user.role_ids.clone());
    let access = RwSignal::new(user.group_access.clone());
    let locked = RwSignal::new(locked_until);
    let on_saved = after_save(id == 0, "/admin/users");
    let name = format!("{} {}", user.firstname, user.lastname);
    let heading = match (id, name.trim()) {
        (0, _) => "New user".to_string(),
        (_, "") => user.email.clone(),
        (_, name) => name.to_string(),
    };
    let (password_label, password_hint, save_label) = if id == 0 {
        (
            "Password",
            "Optional: without one, the user cannot sign in with a password yet.",
            "Create user",
        )
    } else {
        (
            "Set a new password",
            "Empty: the password stays. A new one also unlocks the account.",
            "Save user",
        )
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = UserForm {
            id,
            login: login.get_untracked(),
            firstname: firstname.get_untracked(),
            lastname: lastname.get_untracked(),
            email: email.get_untracked(),
            organization_id: organization.get_untracked(),
            role_ids: role_ids.get_untracked(),
            group_access: access.get_untracked(),
            active: active.get_untracked(),
            password: password.get_untracked(),
        };
        let on_saved = on_saved.clone();
        state.run(save_admin_user(form), move |saved| {
            if id != 0 {
                password.set(String::new());
            }
            on_saved(saved)
        });
    };
    let unlock = move |_: leptos::ev::MouseEvent| {
        state.run(unlock_admin_user(id), move |_| {
            let _ = locked.try_set(None);
            After::Note("Unlocked: the user may sign in again.".to_string())
        });
    };
    let toggle_role = move |role: i64, on: bool| {
        role_ids.update(|ids| {
            ids.retain(|r| *r != role);
            if on {
                ids.push(role);
            }
        });
        state.changed();
    };
    let has_level = move |group: i64, level: &str| {
        access.with(|a| {
            a.iter()
                .any(|(g, levels)| *g == group && levels.iter().any(|l| l == level))
        })
    };
    let toggle_level = move |group: i64, level: &'static str, on: bool| {
        access.update(|a| {
            let at = a.iter().position(|(g, _)| *g == group).unwrap_or_else(|| {
                a.push((group, Vec::new()));
                a.len() - 1
            });
            let levels = &mut a[at].1;
            levels.retain(|l| l != level);
            if on {
                // `full` covers the others, which the domain refuses to combine with it
                if level == "full" {
                    levels.clear();
                } else {
                    levels.retain(|l| l != "full");
                }
                levels.push(level.to_string());
            }
            a.retain(|(_, levels)| !levels.is_empty());
        });
        state.changed();
    };
    view! {
        <h1>{heading}</h1>
        <form class="admin-form" id="user-form" data-ready=ready_marker() on:submit=submit>
            <fieldset>
                <legend>"Person"</legend>
                <div class="row">
                    <TextField id="user-firstname" label="First name" value=firstname state/>
                    <TextField id="user-lastname" label="Last name" value=lastname state/>
                </div>
                <div class="row">
                    <TextField id="user-email" label="E-mail" value=email kind="email" state/>
                    <TextField
                        id="user-login"
                        label="Login"
                        value=login
                        state
                        hint="Empty: the e-mail address."
                    />
                </div>
                <div class="field">
                    <label for="user-organization">"Organisation"</label>
                    {optional_select("user-organization", NONE, organizations, organization, state)}
                </div>
            </fieldset>
            <fieldset>
                <legend>"Roles"</legend>
                <div class="choice-row" role="group" aria-label="Roles">
                    {roles
                        .into_iter()
                        .map(|r| {
                            let rid = r.id;
                            let initially = user.role_ids.contains(&rid);
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        name="role"
                                        value=rid.to_string()
                                        checked=initially
                                        prop:checked=move || role_ids.with(|ids| ids.contains(&rid))
                                        on:change=move |ev| toggle_role(rid, event_target_checked(&ev))
                                    />
                                    <span>{r.name}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
            </fieldset>
            <fieldset>
                <legend>"Group access"</legend>
                <p class="hint muted">
                    "What this user may do in each group as an agent. Full covers all; roles may grant more."
                </p>
                <table class="notification-matrix access-matrix">
                    <thead>
                        <tr>
                            <th scope="col">"Group"</th>
                            {ACCESS_LEVELS
                                .iter()
                                .map(|&(_, label)| view! { <th scope="col">{label}</th> })
                                .collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {groups
                            .into_iter()
                            .map(|g| {
                                let gid = g.id;
                                let name = g.name.clone();
                                view! {
                                    <tr>
                                        <th scope="row">{g.name}</th>
                                        {ACCESS_LEVELS
                                            .iter()
                                            .map(|&(level, label)| {
                                                let initially = user
                                                    .group_access
                                                    .iter()
                                                    .any(|(g, l)| *g == gid && l.iter().any(|x| x == level));
                                                view! {
                                                    <td>
                                                        <input
                                                            type="checkbox"
                                                            name=format!("access-{gid}-{level}")
                                                            aria-label=format!("{name}: {label}")
                                                            checked=initially
                                                            prop:checked=move || has_level(gid, level)
                                                            on:change=move |ev| toggle_level(gid, level, event_target_checked(&ev))
                                                        />
                                                    </td>
                                                }
                                            })
                                            .collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </fieldset>
            <fieldset>
                <legend>"Sign-in"</legend>
                <CheckField
                    id="user-active"
                    label="Active"
                    value=active
                    state
                    hint="Inactive users cannot sign in; their tickets stay."
                />
                <TextField
                    id="user-password"
                    label=password_label
                    value=password
                    kind="password"
                    autocomplete="new-password"
                    state
                    hint=password_hint
                />
                {move || locked.get().map(|until| view! {
                    <p class="locked-note" role="status">
                        "Locked after failed sign-ins until " <time>{until}</time> ". "
                        <button type="button" class="link" id="user-unlock" on:click=unlock>"Unlock now"</button>
                    </p>
                })}
            </fieldset>
            <FormActions state id="save-user" label=save_label busy="Saving…"/>
        </form>
    }
}
