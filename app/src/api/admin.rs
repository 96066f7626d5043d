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
    pub use crate::session::server::as_admin;

    pub fn page(per_page: i64) -> domain::storage::paging::Page {
        domain::storage::paging::Page { page: 1, per_page }
    }
}

/// Users matching `query` (name, login, e-mail, phone; empty: everyone), at most 200.
#[server(output = JsonText)]
pub async fn admin_users(query: String) -> Result<Vec<UserRow>, ServerFnError> {
    use self::server::{as_admin, page};
    use domain::accounts::users;
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let found =
            users::search(&mut conn, ctx.store.backend(), &actor, &query, page(200)).await?;
        let found = users::details(&mut conn, &found).await?;
        let names = users::names(&mut conn, &found).await?;
        Ok(found
            .into_iter()
            .zip(names)
            .map(|(u, names)| UserRow {
                id: u.user.id,
                name: u.user.fullname(),
                active: u.user.is_active(),
                login: u.user.login,
                email: u.user.email,
                roles: names.roles,
                organization: names.organization,
            })
            .collect())
    })
    .await
}

/// A user for the edit form (`id` 0: an empty form for a new user), with its choices.
#[server(output = JsonText)]
pub async fn admin_user(id: i64) -> Result<UserEdit, ServerFnError> {
    use self::server::{as_admin, page};
    use domain::accounts::{groups, organizations, roles, users};
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let roles: Vec<Choice> = roles::list(&mut conn, &actor)
            .await?
            .into_iter()
            .map(|r| Choice {
                id: r.id,
                name: r.name,
            })
            .collect();
        let mut groups: Vec<Choice> = groups::list(&mut conn, &actor)
            .await?
            .into_iter()
            .map(|g| Choice {
                id: g.id,
                name: g.name,
            })
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        let mut organizations: Vec<Choice> = organizations::list(&mut conn, &actor, page(500))
            .await?
            .into_iter()
            .map(|o| Choice {
                id: o.id,
                name: o.name,
            })
            .collect();
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
            let found = users::find_visible(&mut conn, &actor, id).await?;
            (
                UserForm {
                    id,
                    active: found.user.is_active(),
                    login: found.user.login,
                    firstname: found.user.firstname,
                    lastname: found.user.lastname,
                    email: found.user.email,
                    organization_id: found.user.organization_id,
                    role_ids: found.role_ids,
                    group_access: found
                        .group_access
                        .into_iter()
                        .map(|(gid, levels)| {
                            (gid, levels.iter().map(|l| l.as_str().to_string()).collect())
                        })
                        .collect(),
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
    use self::server::as_admin;
    use domain::accounts::users::{self, AccessList, UserParams};
    as_admin(|actor, ctx| async move {
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
        let saved = if user.id == 0 {
            users::create_user(&ctx.store, &actor, params).await?
        } else {
            users::update_user(&ctx.store, &actor, user.id, params).await?
        };
        Ok(saved.user.id)
    })
    .await
}

/// Unlocks an account locked after failed logins.
#[server]
pub async fn unlock_admin_user(id: i64) -> Result<(), ServerFnError> {
    use self::server::as_admin;
    as_admin(
        |actor, ctx| async move { domain::accounts::users::unlock(&ctx.store, &actor, id).await },
    )
    .await
}

#[server(output = JsonText)]
pub async fn admin_organizations() -> Result<Vec<OrganizationRow>, ServerFnError> {
    use self::server::{as_admin, page};
    use domain::accounts::organizations;
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let all = organizations::list(&mut conn, &actor, page(500)).await?;
        let ids: Vec<i64> = all.iter().map(|o| o.id).collect();
        let counts = organizations::member_counts(&mut conn, &ids).await?;
        let mut rows: Vec<OrganizationRow> = all
            .into_iter()
            .map(|o| OrganizationRow {
                id: o.id,
                members: counts.get(&o.id).copied().unwrap_or_default(),
                shared: o.shared != 0,
                active: o.active != 0,
                name: o.name,
            })
            .collect();
        rows.sort_by_key(|r| r.name.to_lowercase());
        Ok(rows)
    })
    .await
}

#[server(output = JsonText)]
pub async fn admin_organization(id: i64) -> Result<OrganizationEdit, ServerFnError> {
    use self::server::as_admin;
    use domain::accounts::{organizations, users};
    as_admin(|actor, ctx| async move {
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
        let org = organizations::find_visible(&mut conn, &actor, id).await?;
        let member_ids = organizations::members(&mut conn, id).await?.primary;
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
                name: org.name,
                shared: org.shared != 0,
                active: org.active != 0,
                domain: org.domain,
                note: org.note,
            },
            members,
        })
    })
    .await
}

/// Creates (`id` 0) or updates an organisation; returns its id.
#[server(input = Json)]
pub async fn save_admin_organization(org: OrganizationForm) -> Result<i64, ServerFnError> {
    use self::server::as_admin;
    use domain::accounts::organizations::{self, OrganizationParams};
    as_admin(|actor, ctx| async move {
        let params = OrganizationParams {
            name: Some(org.name.clone()),
            shared: Some(org.shared),
            active: Some(org.active),
            domain: Some(org.domain.trim().to_string()),
            note: Some(org.note.clone()),
            ..Default::default()
        };
        let saved = if org.id == 0 {
            organizations::create_organization(&ctx.store, &actor, &params).await?
        } else {
            organizations::update_organization(&ctx.store, &actor, org.id, &params).await?
        };
        Ok(saved.id)
    })
    .await
}

#[server(output = JsonText)]
pub async fn admin_groups() -> Result<Vec<GroupRow>, ServerFnError> {
    use self::server::as_admin;
    use domain::mail::addresses;
    use std::collections::HashMap;
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let emails: HashMap<i64, String> = addresses::list(&mut conn, &actor)
            .await?
            .into_iter()
            .map(|a| (a.id, a.email))
            .collect();
        let mut rows: Vec<GroupRow> = domain::accounts::groups::list(&mut conn, &actor)
            .await?
            .into_iter()
            .map(|g| GroupRow {
                id: g.id,
                active: g.active != 0,
                shared_drafts: g.shared_drafts != 0,
                email_address: g.email_address_id.and_then(|aid| emails.get(&aid).cloned()),
                follow_up: g.follow_up_possible,
                name: g.name,
            })
            .collect();
        rows.sort_by_key(|r| r.name.to_lowercase());
        Ok(rows)
    })
    .await
}

#[server(output = JsonText)]
pub async fn admin_group(id: i64) -> Result<GroupEdit, ServerFnError> {
    use self::server::as_admin;
    use domain::accounts::groups;
    use domain::mail::{addresses, signatures};
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let email_addresses = addresses::list(&mut conn, &actor)
            .await?
            .into_iter()
            .map(|a| Choice {
                id: a.id,
                name: if a.name.is_empty() {
                    a.email
                } else {
                    format!("{} <{}>", a.name, a.email)
                },
            })
            .collect();
        let signatures = signatures::list(&mut conn, &actor)
            .await?
            .into_iter()
            .map(|s| Choice {
                id: s.id,
                name: s.name,
            })
            .collect();
        let group = if id == 0 {
            GroupForm {
                active: true,
                shared_drafts: true,
                follow_up_possible: "yes".into(),
                ..Default::default()
            }
        } else {
            let g = groups::find_visible(&mut conn, &actor, id).await?;
            GroupForm {
                id,
                active: g.active != 0,
                shared_drafts: g.shared_drafts != 0,
                reopen_time_in_days: g.reopen_time_in_days,
                email_address_id: g.email_address_id,
                signature_id: g.signature_id,
                name: g.name,
                follow_up_possible: g.follow_up_possible,
                note: g.note,
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
    use self::server::as_admin;
    use domain::accounts::groups::{self, GroupParams};
    as_admin(|actor, ctx| async move {
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
    use self::server::as_admin;
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        Ok(domain::accounts::roles::list(&mut conn, &actor)
            .await?
            .into_iter()
            .map(|r| RoleRow {
                id: r.id,
                permissions: r.permission_names(),
                active: r.active != 0,
                default_at_signup: r.default_at_signup != 0,
                name: r.name,
                note: r.note,
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
    use self::server::as_admin;
    as_admin(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let stored = domain::desk::settings::load(&mut conn, &actor).await?;
        Ok(settings_form(stored, &ctx))
    })
    .await
}

#[server(input = Json, output = JsonText)]
pub async fn save_admin_settings(settings: SettingsForm) -> Result<SettingsForm, ServerFnError> {
    use self::server::as_admin;
    use domain::desk::settings::{self, OperatorSettings};
    as_admin(|actor, ctx| async move {
        let wanted = OperatorSettings {
            password_min_size: settings.password_min_size,
            password_need_mixed_case: settings.password_need_mixed_case,
            password_need_digit: settings.password_need_digit,
            password_need_special: settings.password_need_special,
            ticket_hook: settings.ticket_hook.clone(),
            system_id: settings.system_id,
        };
        let stored = settings::save(&ctx.store, &actor, &wanted).await?;
        Ok(settings_form(stored, &ctx))
    })
    .await
}
