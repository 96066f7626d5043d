//! Zammad's JSON of the account records: users (`/users`, `/users/me`, the `User` assets of
//! tickets, drafts and history), organisations, groups, roles and personal access tokens;
//! rendered from the records the accounts context reads. Which fields a caller sees is the
//! policy's (`policy::fields`).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use sqlx::AnyConnection;

use crate::accounts::groups::{self, GroupRecord};
use crate::accounts::organizations::{self, Members, OrganizationRecord};
use crate::accounts::roles::{self, RoleRecord};
use crate::accounts::tokens::{self, CreatedToken, TokenList, TokenRecord};
use crate::accounts::users::{self, UserDetails, UserNames, UserRecord};
use crate::policy::{self, access::AccessLevel, access::Actor};
use crate::storage::paging::Page;
use crate::{Error, Result};

// ───────────────────────────── groups ─────────────────────────────

/// A group as Zammad renders it (`GET /groups/{id}`).
pub fn render_group(group: &GroupRecord) -> Value {
    json!({
        "id": group.id,
        "name": group.name,
        "name_last": group.name,
        "parent_id": null,
        "assignment_timeout": group.assignment_timeout,
        "follow_up_possible": group.follow_up_possible,
        "reopen_time_in_days": group.reopen_time_in_days,
        "follow_up_assignment": true,
        "email_address_id": group.email_address_id,
        "acknowledgement": group.acknowledgement,
        "signature_id": group.signature_id,
        "shared_drafts": group.shared_drafts != 0,
        "active": group.active != 0,
        "note": group.note,
        "updated_by_id": group.updated_by_id,
        "created_by_id": group.created_by_id,
        "created_at": group.created_at,
        "updated_at": group.updated_at,
    })
}

/// `GET /groups`: [`groups::list`] as Zammad renders it.
pub async fn groups_index(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<Value>> {
    Ok(groups::list(conn, actor)
        .await?
        .iter()
        .map(render_group)
        .collect())
}

/// `GET /groups/{id}`: a group the caller may see.
pub async fn show_group(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Value> {
    Ok(render_group(&groups::find_visible(conn, actor, id).await?))
}

// ───────────────────────────── organisations ─────────────────────────────

/// An organisation as Zammad renders it, with its member ids (`expanded`: and their logins).
pub async fn render_organization(
    conn: &mut AnyConnection,
    org: &OrganizationRecord,
    expanded: bool,
) -> Result<Value> {
    let Members {
        primary: member_ids,
        secondary,
    } = organizations::members(conn, org.id).await?;
    let mut value = json!({
        "id": org.id,
        "name": org.name,
        "shared": org.shared != 0,
        "domain": org.domain,
        "domain_assignment": org.domain_assignment != 0,
        "active": org.active != 0,
        "vip": org.vip != 0,
        "note": org.note,
        "updated_by_id": org.updated_by_id,
        "created_by_id": org.created_by_id,
        "created_at": org.created_at,
        "updated_at": org.updated_at,
        "member_ids": member_ids,
        "secondary_member_ids": secondary,
    });
    if expanded {
        let logins: Vec<String> =
            sqlx::query_scalar("SELECT login FROM users WHERE organization_id = $1 ORDER BY id")
                .bind(org.id)
                .fetch_all(&mut *conn)
                .await?;
        value["members"] = json!(logins);
    }
    Ok(value)
}

/// `GET /organizations/{id}`: an organisation the caller may see, with the fields the caller
/// may see ([`policy::fields::organization_scope`]).
pub async fn show_organization(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    expanded: bool,
) -> Result<Value> {
    let org = organizations::find_visible(conn, actor, id).await?;
    let mut rendered = render_organization(conn, &org, expanded).await?;
    policy::fields::organization_scope(actor).apply(&mut rendered);
    Ok(rendered)
}

/// `GET /organizations`: [`organizations::list`] as Zammad renders it.
pub async fn organizations_index(
    conn: &mut AnyConnection,
    actor: &Actor,
    page: Page,
    expanded: bool,
) -> Result<Vec<Value>> {
    let orgs = organizations::list(conn, actor, page).await?;
    let mut out = Vec::new();
    for org in &orgs {
        out.push(render_organization(conn, org, expanded).await?);
    }
    Ok(out)
}

// ───────────────────────────── roles ─────────────────────────────

/// A role as Zammad renders it, with its group access (`group_ids`).
pub async fn render_role(conn: &mut AnyConnection, role: &RoleRecord) -> Result<Value> {
    let groups: Vec<(i64, String)> =
        sqlx::query_as("SELECT group_id, access FROM role_groups WHERE role_id = $1")
            .bind(role.id)
            .fetch_all(conn)
            .await?;
    let mut group_ids = serde_json::Map::new();
    for (gid, access) in groups {
        group_ids
            .entry(gid.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("inserted as array")
            .push(json!(access));
    }
    let permissions = role.permission_names();
    Ok(json!({
        "id": role.id,
        "name": role.name,
        "preferences": {},
        "default_at_signup": role.default_at_signup != 0,
        "active": role.active != 0,
        "note": role.note,
        "permissions": permissions,
        "permission_ids": [],
        "group_ids": group_ids,
        "updated_by_id": role.updated_by_id,
        "created_by_id": role.created_by_id,
        "created_at": role.created_at,
        "updated_at": role.updated_at,
    }))
}

/// `GET /roles`: [`roles::list`] as Zammad renders it.
pub async fn roles_index(conn: &mut AnyConnection, actor: &Actor) -> Result<Vec<Value>> {
    let roles = roles::list(conn, actor).await?;
    let mut out = Vec::new();
    for role in &roles {
        out.push(render_role(conn, role).await?);
    }
    Ok(out)
}

/// `GET /roles/{id}`: for those who may read roles.
pub async fn show_role(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<Value> {
    let role = roles::find(conn, id).await?;
    if !policy::can_read_roles(actor) {
        return Err(Error::not_authorized());
    }
    render_role(conn, &role).await
}

// ───────────────────────────── tokens ─────────────────────────────

/// A personal access token as Zammad renders it (never its secret).
pub fn render_token(token: &TokenRecord) -> Value {
    let permissions = token.permission_names();
    json!({
        "id": token.id,
        "user_id": token.user_id,
        "action": "api",
        "name": token.name,
        "label": token.name,
        "preferences": {"permission": permissions},
        "last_used_at": token.last_used_at,
        "expires_at": token.expiry_date(),
        "created_at": token.created_at,
        "updated_at": token.updated_at,
    })
}

/// `GET /user_access_token`: [`tokens::records`] as Zammad renders them.
pub async fn tokens_list(conn: &mut AnyConnection, actor: &Actor) -> Result<Value> {
    let TokenList {
        tokens,
        permissions,
    } = tokens::records(conn, actor).await?;
    let permissions: Vec<Value> = permissions
        .iter()
        .map(|p| json!({"name": p, "active": true, "preferences": {}}))
        .collect();
    Ok(
        json!({"tokens": tokens.iter().map(render_token).collect::<Vec<_>>(), "permissions": permissions}),
    )
}

/// `POST /user_access_token`'s answer: the token as rendered, with its secret in `token`.
pub fn render_created_token(created: &CreatedToken) -> Value {
    let mut value = render_token(&created.record);
    value["token"] = json!(created.secret);
    value
}

// ───────────────────────────── users ─────────────────────────────

fn bool_json(v: i64) -> Value {
    Value::Bool(v != 0)
}

fn levels_json(levels: &BTreeSet<AccessLevel>) -> Value {
    json!(levels.iter().map(|l| l.as_str()).collect::<Vec<_>>())
}

/// The user as Zammad renders it, with association ids.
pub fn render_user(details: &UserDetails) -> Value {
    let UserDetails {
        user,
        role_ids,
        organization_ids,
        group_access,
    } = details;
    let groups: Map<String, Value> = group_access
        .iter()
        .map(|(gid, levels)| (gid.to_string(), levels_json(levels)))
        .collect();
    json!({
        "id": user.id,
        "organization_id": user.organization_id,
        "login": user.login,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "email": user.email,
        "image": null,
        "image_source": null,
        "web": user.web,
        "phone": user.phone,
        "fax": user.fax,
        "mobile": user.mobile,
        "department": user.department,
        "street": user.street,
        "zip": user.zip,
        "city": user.city,
        "country": user.country,
        "address": user.address,
        "vip": bool_json(user.vip),
        "verified": bool_json(user.verified),
        "active": bool_json(user.active),
        "note": user.note,
        "last_login": user.last_login,
        "source": user.source,
        "login_failed": user.login_failed,
        "out_of_office": false,
        "out_of_office_start_at": null,
        "out_of_office_end_at": null,
        "out_of_office_replacement_id": null,
        "preferences": user.preferences(),
        "updated_by_id": user.updated_by_id,
        "created_by_id": user.created_by_id,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "role_ids": role_ids,
        "two_factor_preference_ids": [],
        "organization_ids": organization_ids,
        "authorization_ids": [],
        "overview_sorting_ids": [],
        "group_ids": groups,
    })
}

/// `expand=true`: the names next to the ids of a rendered user.
fn expand(value: &mut Value, names: &UserNames) {
    let groups: Map<String, Value> = names
        .groups
        .iter()
        .map(|(name, levels)| (name.clone(), levels_json(levels)))
        .collect();
    let obj = value.as_object_mut().expect("user renders as an object");
    obj.insert("roles".into(), json!(names.roles));
    obj.insert("organization".into(), json!(names.organization));
    obj.insert("organizations".into(), json!(names.organizations));
    obj.insert("groups".into(), Value::Object(groups));
}

/// Renders users (in the given order) with association ids, optionally expanded.
pub async fn render_users(
    conn: &mut AnyConnection,
    users: &[UserRecord],
    expanded: bool,
) -> Result<Vec<Value>> {
    let details = users::details(conn, users).await?;
    render_user_details(conn, &details, expanded).await
}

/// Renders users read with [`users::details`], optionally expanded.
pub async fn render_user_details(
    conn: &mut AnyConnection,
    users: &[UserDetails],
    expanded: bool,
) -> Result<Vec<Value>> {
    let mut out: Vec<Value> = users.iter().map(render_user).collect();
    if expanded {
        for (value, names) in out.iter_mut().zip(users::names(conn, users).await?) {
            expand(value, &names);
        }
    }
    Ok(out)
}

/// One user as [`render_users`] renders it.
pub async fn render_user_one(
    conn: &mut AnyConnection,
    user: &UserRecord,
    expanded: bool,
) -> Result<Value> {
    Ok(render_users(conn, std::slice::from_ref(user), expanded)
        .await?
        .remove(0))
}

/// `GET /users/{id}`: a user the caller may see, with the fields the caller may see
/// ([`policy::fields::user_scope`]).
pub async fn show_user(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    expanded: bool,
) -> Result<Value> {
    let user = users::find_visible(conn, actor, id).await?;
    let mut rendered = render_user_details(conn, std::slice::from_ref(&user), expanded)
        .await?
        .remove(0);
    policy::fields::user_scope(actor, user.user.id).apply(&mut rendered);
    Ok(rendered)
}

/// `GET /users/me`: the caller.
pub async fn render_me(conn: &mut AnyConnection, actor: &Actor, expanded: bool) -> Result<Value> {
    let user = users::find(conn, actor.id).await?;
    render_user_one(conn, &user, expanded).await
}

/// Autocomplete entries for `term=` searches.
pub fn autocomplete_entry(user: &UserRecord) -> Value {
    let label = if user.email.is_empty() {
        user.fullname()
    } else {
        format!("{} <{}>", user.fullname(), user.email)
    };
    json!({"id": user.id, "label": label, "value": label, "inactive": user.active == 0})
}

/// `GET /users`: the page [`users::index`] read, as Zammad renders it.
pub async fn users_index(
    conn: &mut AnyConnection,
    actor: &Actor,
    page: Page,
    expanded: bool,
) -> Result<Vec<Value>> {
    let page = users::index(conn, actor, page).await?;
    render_users(conn, &page, expanded).await
}
