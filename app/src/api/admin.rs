//! Server functions of the admin area (`/admin`): users, organisations, groups, roles and the
//! operator's settings. Only admins get answers (403 for everyone else); every change goes
//! through the same domain functions as the REST API (`/users`, `/organizations`, `/groups`),
//! with the same rules and errors.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::Choice;
#[allow(unused_imports)]
use super::codec::JsonText;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

/// The access levels a user may have on a group, in the order the matrix shows them.
pub const ACCESS_LEVELS: [(&str, &str); 5] = [
    ("full", "Full"),
    ("read", "Read"),
    ("create", "Create"),
    ("change", "Change"),
    ("overview", "Overview"),
];

/// A user in the admin list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub login: String,
    pub email: String,
    pub roles: Vec<String>,
    pub organization: Option<String>,
    pub active: bool,
}

/// A user as the edit form holds it (`id` 0: a new user).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UserForm {
    pub id: i64,
    pub login: String,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub organization_id: Option<i64>,
    pub role_ids: Vec<i64>,
    /// Direct group access: group id and its levels (`full`, or any of the others).
    pub group_access: Vec<(i64, Vec<String>)>,
    pub active: bool,
    /// A new password (empty: unchanged; required rules are the password policy's).
    pub password: String,
}

/// The edit form's data: the user, the choices, and whether the account is locked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserEdit {
    pub user: UserForm,
    pub roles: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub organizations: Vec<Choice>,
    /// Locked after failed logins until then (RFC 3339, UTC).
    pub locked_until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationRow {
    pub id: i64,
    pub name: String,
    pub shared: bool,
    pub active: bool,
    pub members: usize,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OrganizationForm {
    pub id: i64,
    pub name: String,
    pub shared: bool,
    pub active: bool,
    pub domain: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationEdit {
    pub organization: OrganizationForm,
    /// Members (primary organisation), linked to their user page.
    pub members: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub shared_drafts: bool,
    pub follow_up: String,
    pub email_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupForm {
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub shared_drafts: bool,
    /// `yes`, `new_ticket` or `new_ticket_after_certain_time`.
    pub follow_up_possible: String,
    pub reopen_time_in_days: Option<i64>,
    pub email_address_id: Option<i64>,
    pub signature_id: Option<i64>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupEdit {
    pub group: GroupForm,
    pub email_addresses: Vec<Choice>,
    pub signatures: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRow {
    pub id: i64,
    pub name: String,
    pub permissions: Vec<String>,
    pub active: bool,
    pub default_at_signup: bool,
    pub note: String,
}

/// The operator's settings, and the lockout the server was started with.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SettingsForm {
    pub password_min_size: usize,
    pub password_need_mixed_case: bool,
    pub password_need_digit: bool,
    pub password_need_special: bool,
    pub ticket_hook: String,
    pub system_id: i64,
    /// Read-only here: `TANDEM_LOCKOUT_FAILURES` and `TANDEM_LOCKOUT_MINUTES`.
    pub lockout_failures: i64,
    pub lockout_minutes: u64,
}

#[cfg(feature = "ssr")]
mod server {
    use domain::Actor;
    use leptos::prelude::ServerFnError;
    use serde_json::Value;

    use crate::api::Choice;
    pub use crate::session::server::run;
    use crate::session::server::{actor, reject};

    /// The signed-in admin; a 403 "not allowed" for everyone else.
    pub async fn admin() -> Result<Actor, ServerFnError> {
        let actor = actor().await?;
        if actor.is_admin() {
            Ok(actor)
        } else {
            reject(axum::http::StatusCode::FORBIDDEN).await;
            Err(ServerFnError::new(
                "Not allowed: the admin area is for administrators.",
            ))
        }
    }

    pub fn text(v: &Value, key: &str) -> String {
        v[key].as_str().unwrap_or_default().to_string()
    }

    pub fn flag(v: &Value, key: &str) -> bool {
        v[key].as_bool().unwrap_or(false)
    }

    /// The strings of a JSON array (none if it is not one).
    pub fn strings(v: &Value) -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(String::from))
            .collect()
    }

    /// `{id, name}` pairs of rendered records.
    pub fn choices(values: &[Value]) -> Vec<Choice> {
        values
            .iter()
            .map(|v| Choice {
                id: v["id"].as_i64().unwrap_or_default(),
                name: text(v, "name"),
            })
            .collect()
    }

    pub fn page(per_page: i64) -> domain::storage::paging::Page {
        domain::storage::paging::Page { page: 1, per_page }
    }
}

/// Users matching `query` (name, login, e-mail, phone; empty: everyone), at most 200.
#[server(output = JsonText)]
pub async fn admin_users(query: String) -> Result<Vec<UserRow>, ServerFnError> {
    use self::server::{admin, flag, page, run, strings};
    use domain::accounts::users;
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    run(async {
        let mut conn = ctx.store.read().await?;
        let found =
            users::search(&mut conn, ctx.store.backend(), &actor, &query, page(200)).await?;
        let rendered = users::render_many(&mut conn, &found, true).await?;
        Ok(found
            .iter()
            .zip(rendered)
            .map(|(u, v)| UserRow {
                id: u.id,
                name: u.fullname(),
                login: u.login.clone(),
                email: u.email.clone(),
                roles: strings(&v["roles"]),
                organization: v["organization"].as_str().map(String::from),
                active: flag(&v, "active"),
            })
            .collect())
    })
    .await
}

/// A user for the edit form (`id` 0: an empty form for a new user), with its choices.
#[server(output = JsonText)]
pub async fn admin_user(id: i64) -> Result<UserEdit, ServerFnError> {
    use self::server::{admin, choices, flag, page, run, text};
    use domain::accounts::{groups, organizations, roles, users};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    run(async {
        let mut conn = ctx.store.read().await?;
        let roles = choices(&roles::index(&mut conn, &actor).await?);
        let mut groups = choices(&groups::index(&mut conn, &actor).await?);
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        let mut organizations =
            choices(&organizations::index(&mut conn, &actor, page(500), false).await?);
        organizations.sort_by(|a, b| a.name.cmp(&b.name));
        let (user, locked_until) = if id == 0 {
            let agent_role = roles.iter().find(|r| r.name == "Agent").map(|r| r.id);
            (
                UserForm {
                    active: true,
                    role_ids: agent_role.into_iter().collect(),
                    ..Default::default()
                },
                None,
            )
        } else {
            let v = users::show(&mut conn, &actor, id, false).await?;
            let ids = |key: &str| -> Vec<i64> {
                v[key]
                    .as_array()
                    .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
                    .unwrap_or_default()
            };
            let group_access = v["group_ids"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(gid, levels)| {
                            let levels = levels
                                .as_array()?
                                .iter()
                                .filter_map(|l| l.as_str().map(String::from))
                                .collect();
                            Some((gid.parse().ok()?, levels))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (
                UserForm {
                    id,
                    login: text(&v, "login"),
                    firstname: text(&v, "firstname"),
                    lastname: text(&v, "lastname"),
                    email: text(&v, "email"),
                    organization_id: v["organization_id"].as_i64(),
                    role_ids: ids("role_ids"),
                    group_access,
                    active: flag(&v, "active"),
                    password: String::new(),
                },
                users::locked_until(&mut conn, id).await?,
            )
        };
        Ok(UserEdit {
            user,
            roles,
            groups,
            organizations,
            locked_until,
        })
    })
    .await
}

/// Creates (`id` 0) or updates a user through `users::create_user` / `users::update_user`;
/// returns its id.
#[server(input = Json)]
pub async fn save_admin_user(user: UserForm) -> Result<i64, ServerFnError> {
    use self::server::{admin, run};
    use domain::accounts::users::{self, AccessList, UserParams};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    let some = |s: &str| Some(s.trim().to_string());
    let params = UserParams {
        login: Some(user.login.trim().to_string()).filter(|l| !l.is_empty()),
        firstname: some(&user.firstname),
        lastname: some(&user.lastname),
        email: some(&user.email),
        password: Some(user.password.clone()).filter(|p| !p.is_empty()),
        active: Some(user.active),
        organization_id: Some(user.organization_id),
        role_ids: Some(user.role_ids.clone()),
        group_ids: Some(
            user.group_access
                .iter()
                .filter(|(_, levels)| !levels.is_empty())
                .map(|(gid, levels)| (gid.to_string(), AccessList::Many(levels.clone())))
                .collect(),
        ),
        ..Default::default()
    };
    run(async {
        let saved = if user.id == 0 {
            users::create_user(&ctx.store, &actor, params).await?
        } else {
            users::update_user(&ctx.store, &actor, user.id, params).await?
        };
        Ok(saved["id"].as_i64().unwrap_or_default())
    })
    .await
}

/// Unlocks an account locked after failed logins.
#[server]
pub async fn unlock_admin_user(id: i64) -> Result<(), ServerFnError> {
    use self::server::{admin, run};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    run(domain::accounts::users::unlock(&ctx.store, &actor, id)).await
}

#[server(output = JsonText)]
pub async fn admin_organizations() -> Result<Vec<OrganizationRow>, ServerFnError> {
    use self::server::{admin, flag, page, run, text};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    run(async {
        let mut conn = ctx.store.read().await?;
        let all =
            domain::accounts::organizations::index(&mut conn, &actor, page(500), false).await?;
        let mut rows: Vec<OrganizationRow> = all
            .iter()
            .map(|v| OrganizationRow {
                id: v["id"].as_i64().unwrap_or_default(),
                name: text(v, "name"),
                shared: flag(v, "shared"),
                active: flag(v, "active"),
                members: v["member_ids"].as_array().map_or(0, Vec::len),
            })
            .collect();
        rows.sort_by_key(|r| r.name.to_lowercase());
        Ok(rows)
    })
    .await
}

#[server(output = JsonText)]
pub async fn admin_organization(id: i64) -> Result<OrganizationEdit, ServerFnError> {
    use self::server::{admin, flag, run, text};
    use domain::accounts::{organizations, users};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    run(async {
        if id == 0 {
            return Ok(OrganizationEdit {
                organization: OrganizationForm {
                    shared: true,
                    active: true,
                    ..Default::default()
                },
                members: Vec::new(),
            });
        }
        let mut conn = ctx.store.read().await?;
        let v = organizations::show(&mut conn, &actor, id, false).await?;
        let member_ids: Vec<i64> = v["member_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_i64)
            .collect();
        let members = users::find_many(&mut conn, &member_ids)
            .await?
            .into_iter()
            .map(|u| Choice {
                id: u.id,
                name: u.fullname(),
            })
            .collect();
        Ok(OrganizationEdit {
            organization: OrganizationForm {
                id,
                name: text(&v, "name"),
                shared: flag(&v, "shared"),
                active: flag(&v, "active"),
                domain: text(&v, "domain"),
                note: text(&v, "note"),
            },
            members,
        })
    })
    .await
}

/// Creates (`id` 0) or updates an organisation; returns its id.
#[server(input = Json)]
pub async fn save_admin_organization(org: OrganizationForm) -> Result<i64, ServerFnError> {
    use self::server::{admin, run};
    use domain::accounts::organizations::{self, OrganizationParams};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    let params = OrganizationParams {
        name: Some(org.name.clone()),
        shared: Some(org.shared),
        active: Some(org.active),
        domain: Some(org.domain.trim().to_string()),
        note: Some(org.note.clone()),
        ..Default::default()
    };
    run(async {
        let saved = if org.id == 0 {
            organizations::create_organization(&ctx.store, &actor, &params).await?
        } else {
            organizations::update_organization(&ctx.store, &actor, org.id, &params).await?
        };
        Ok(saved["id"].as_i64().unwrap_or_default())
    })
    .await
}

#[server(output = JsonText)]
pub async fn admin_groups() -> Result<Vec<GroupRow>, ServerFnError> {
    use self::server::{admin, flag, run, text};
    use domain::mail::addresses;
    use std::collections::HashMap;
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    run(async {
        let mut conn = ctx.store.read().await?;
        let emails: HashMap<i64, String> = addresses::index(&mut conn, &actor)
            .await?
            .iter()
            .filter_map(|a| Some((a["id"].as_i64()?, text(a, "email"))))
            .collect();
        let mut rows: Vec<GroupRow> = domain::accounts::groups::index(&mut conn, &actor)
            .await?
            .iter()
            .map(|g| GroupRow {
                id: g["id"].as_i64().unwrap_or_default(),
                name: text(g, "name"),
                active: flag(g, "active"),
                shared_drafts: flag(g, "shared_drafts"),
                follow_up: text(g, "follow_up_possible"),
                email_address: g["email_address_id"]
                    .as_i64()
                    .and_then(|aid| emails.get(&aid).cloned()),
            })
            .collect();
        rows.sort_by_key(|r| r.name.to_lowercase());
        Ok(rows)
    })
    .await
}

#[server(output = JsonText)]
pub async fn admin_group(id: i64) -> Result<GroupEdit, ServerFnError> {
    use self::server::{admin, flag, run, text};
    use domain::accounts::groups;
    use domain::mail::{addresses, signatures};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    run(async {
        let mut conn = ctx.store.read().await?;
        let email_addresses = addresses::index(&mut conn, &actor)
            .await?
            .iter()
            .map(|v| {
                let name = text(v, "name");
                let email = text(v, "email");
                Choice {
                    id: v["id"].as_i64().unwrap_or_default(),
                    name: if name.is_empty() {
                        email
                    } else {
                        format!("{name} <{email}>")
                    },
                }
            })
            .collect();
        let signatures = server::choices(&signatures::index(&mut conn, &actor).await?);
        let group = if id == 0 {
            GroupForm {
                active: true,
                shared_drafts: true,
                follow_up_possible: "yes".into(),
                ..Default::default()
            }
        } else {
            let g = groups::show(&mut conn, &actor, id).await?;
            GroupForm {
                id,
                name: text(&g, "name"),
                active: flag(&g, "active"),
                shared_drafts: flag(&g, "shared_drafts"),
                follow_up_possible: text(&g, "follow_up_possible"),
                reopen_time_in_days: g["reopen_time_in_days"].as_i64(),
                email_address_id: g["email_address_id"].as_i64(),
                signature_id: g["signature_id"].as_i64(),
                note: text(&g, "note"),
            }
        };
        Ok(GroupEdit {
            group,
            email_addresses,
            signatures,
        })
    })
    .await
}

/// Creates (`id` 0) or updates a group; returns its id.
#[server(input = Json)]
pub async fn save_admin_group(group: GroupForm) -> Result<i64, ServerFnError> {
    use self::server::{admin, run};
    use domain::accounts::groups::{self, GroupParams};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    let params = GroupParams {
        name: Some(group.name.clone()),
        active: Some(group.active),
        note: Some(group.note.clone()),
        follow_up_possible: Some(group.follow_up_possible.clone()),
        reopen_time_in_days: group.reopen_time_in_days,
        shared_drafts: Some(group.shared_drafts),
        email_address_id: Some(group.email_address_id),
        signature_id: Some(group.signature_id),
        ..Default::default()
    };
    run(async {
        let saved = if group.id == 0 {
            groups::create_group(&ctx.store, &actor, &params).await?
        } else {
            groups::update_group(&ctx.store, &actor, group.id, &params).await?
        };
        Ok(saved.id)
    })
    .await
}

#[server(output = JsonText)]
pub async fn admin_roles() -> Result<Vec<RoleRow>, ServerFnError> {
    use self::server::{admin, flag, run, strings, text};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    run(async {
        let mut conn = ctx.store.read().await?;
        Ok(domain::accounts::roles::index(&mut conn, &actor)
            .await?
            .iter()
            .map(|v| RoleRow {
                id: v["id"].as_i64().unwrap_or_default(),
                name: text(v, "name"),
                permissions: strings(&v["permissions"]),
                active: flag(v, "active"),
                default_at_signup: flag(v, "default_at_signup"),
                note: text(v, "note"),
            })
            .collect())
    })
    .await
}

#[cfg(feature = "ssr")]
fn settings_form(
    s: domain::desk::settings::OperatorSettings,
    ctx: &crate::ServerContext,
) -> SettingsForm {
    SettingsForm {
        password_min_size: s.password_min_size,
        password_need_mixed_case: s.password_need_mixed_case,
        password_need_digit: s.password_need_digit,
        password_need_special: s.password_need_special,
        ticket_hook: s.ticket_hook,
        system_id: s.system_id,
        lockout_failures: ctx.lockout.max_failures,
        lockout_minutes: ctx.lockout.duration.as_secs() / 60,
    }
}

#[server(output = JsonText)]
pub async fn admin_settings() -> Result<SettingsForm, ServerFnError> {
    use self::server::{admin, run};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    let stored = run(async {
        let mut conn = ctx.store.read().await?;
        domain::desk::settings::load(&mut conn, &actor).await
    })
    .await?;
    Ok(settings_form(stored, &ctx))
}

#[server(input = Json, output = JsonText)]
pub async fn save_admin_settings(settings: SettingsForm) -> Result<SettingsForm, ServerFnError> {
    use self::server::{admin, run};
    use domain::desk::settings::{self, OperatorSettings};
    let actor = admin().await?;
    let ctx = crate::session::server::context()?;
    let wanted = OperatorSettings {
        password_min_size: settings.password_min_size,
        password_need_mixed_case: settings.password_need_mixed_case,
        password_need_digit: settings.password_need_digit,
        password_need_special: settings.password_need_special,
        ticket_hook: settings.ticket_hook.clone(),
        system_id: settings.system_id,
    };
    let stored = run(settings::save(&ctx.store, &actor, &wanted)).await?;
    Ok(settings_form(stored, &ctx))
}
