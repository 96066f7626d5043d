//! Users: Zammad's `/users` resource (agents, customers, admins are all users with roles).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::{AccessLevel, Actor};
use crate::storage::lookup::{self, Named};
use crate::storage::paging::Page;
use crate::storage::rows;
use crate::storage::store::id_list;
use crate::{Error, Result, accounts::passwords, policy, storage::clock};

/// The system user (login `-`): "nobody", the owner of unassigned tickets.
pub const SYSTEM_USER_ID: i64 = 1;

#[derive(Debug, Clone, FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub organization_id: Option<i64>,
    pub login: String,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub web: String,
    pub phone: String,
    pub fax: String,
    pub mobile: String,
    pub department: String,
    pub street: String,
    pub zip: String,
    pub city: String,
    pub country: String,
    pub address: String,
    pub note: String,
    pub vip: i64,
    pub verified: i64,
    pub active: i64,
    pub login_failed: i64,
    pub last_login: Option<String>,
    pub source: Option<String>,
    pub preferences: String,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, organization_id, login, firstname, lastname, email, web, phone, fax, mobile, \
    department, street, zip, city, country, address, note, vip, verified, active, login_failed, \
    last_login, source, preferences, created_by_id, updated_by_id, created_at, updated_at";

impl UserRecord {
    pub fn fullname(&self) -> String {
        crate::policy::access::fullname(&self.firstname, &self.lastname, &self.email, &self.login)
    }

    /// The stored preferences (an opaque JSON object: notification settings, time zone, …);
    /// `{}` when there are none or they cannot be read.
    pub fn preferences(&self) -> Value {
        serde_json::from_str::<Value>(&self.preferences).unwrap_or_else(|_| json!({}))
    }

    pub fn is_active(&self) -> bool {
        self.active != 0
    }
}

/// Role ids, secondary organisations and direct group access of some users, loaded in bulk.
#[derive(Debug, Default)]
struct Associations {
    role_ids: HashMap<i64, Vec<i64>>,
    organization_ids: HashMap<i64, Vec<i64>>,
    group_ids: HashMap<i64, BTreeMap<i64, BTreeSet<AccessLevel>>>,
}

async fn associations(conn: &mut AnyConnection, ids: &[i64]) -> Result<Associations> {
    let mut assoc = Associations::default();
    if ids.is_empty() {
        return Ok(assoc);
    }
    let list = id_list(ids.iter().copied());
    for (user, role) in sqlx::query_as::<_, (i64, i64)>(&format!(
        "SELECT user_id, role_id FROM user_roles WHERE user_id IN ({list}) ORDER BY role_id"
    ))
    .fetch_all(&mut *conn)
    .await?
    {
        assoc.role_ids.entry(user).or_default().push(role);
    }
    for (user, org) in sqlx::query_as::<_, (i64, i64)>(&format!(
        "SELECT user_id, organization_id FROM user_organizations WHERE user_id IN ({list}) ORDER BY organization_id"
    ))
    .fetch_all(&mut *conn)
    .await?
    {
        assoc.organization_ids.entry(user).or_default().push(org);
    }
    for (user, group, access) in sqlx::query_as::<_, (i64, i64, String)>(&format!(
        "SELECT user_id, group_id, access FROM user_groups WHERE user_id IN ({list})"
    ))
    .fetch_all(&mut *conn)
    .await?
    {
        if let Some(level) = AccessLevel::parse(&access) {
            assoc
                .group_ids
                .entry(user)
                .or_default()
                .entry(group)
                .or_default()
                .insert(level);
        }
    }
    Ok(assoc)
}

/// A user with its roles, secondary organisations and direct group access: what the typed
/// reads return, and what both renderings (Zammad's JSON, the web app's forms) are made of.
#[derive(Debug, Clone)]
pub struct UserDetails {
    pub user: UserRecord,
    /// Role ids, ascending.
    pub role_ids: Vec<i64>,
    /// Secondary organisations, ascending.
    pub organization_ids: Vec<i64>,
    /// Direct group access: group id → its levels.
    pub group_access: BTreeMap<i64, BTreeSet<AccessLevel>>,
}

/// The names `expand=true` adds next to a user's ids (unknown ids are left out).
#[derive(Debug, Clone, Default)]
pub struct UserNames {
    /// The roles' names, in the order of [`UserDetails::role_ids`].
    pub roles: Vec<String>,
    /// The primary organisation's name.
    pub organization: Option<String>,
    /// The secondary organisations' names, in the order of [`UserDetails::organization_ids`].
    pub organizations: Vec<String>,
    /// Direct group access by group name.
    pub groups: BTreeMap<String, BTreeSet<AccessLevel>>,
}

/// Several users with their associations (three queries for the whole list), in the given
/// order.
pub async fn details(conn: &mut AnyConnection, users: &[UserRecord]) -> Result<Vec<UserDetails>> {
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let assoc = associations(conn, &ids).await?;
    Ok(users
        .iter()
        .map(|user| UserDetails {
            role_ids: assoc.role_ids.get(&user.id).cloned().unwrap_or_default(),
            organization_ids: assoc
                .organization_ids
                .get(&user.id)
                .cloned()
                .unwrap_or_default(),
            group_access: assoc.group_ids.get(&user.id).cloned().unwrap_or_default(),
            user: user.clone(),
        })
        .collect())
}

/// The names of the roles, organisations and groups of several users (one query per kind for
/// the whole list), in the order of `users`.
pub async fn names(conn: &mut AnyConnection, users: &[UserDetails]) -> Result<Vec<UserNames>> {
    let role_ids: BTreeSet<i64> = users.iter().flat_map(|u| u.role_ids.clone()).collect();
    let org_ids: BTreeSet<i64> = users
        .iter()
        .flat_map(|u| {
            u.organization_ids
                .iter()
                .copied()
                .chain(u.user.organization_id)
        })
        .collect();
    let group_ids: BTreeSet<i64> = users
        .iter()
        .flat_map(|u| u.group_access.keys().copied())
        .collect();
    let roles: HashMap<i64, String> = lookup::names_by_ids(conn, Named::Role, &role_ids)
        .await?
        .into_iter()
        .collect();
    let orgs: HashMap<i64, String> = lookup::names_by_ids(conn, Named::Organization, &org_ids)
        .await?
        .into_iter()
        .collect();
    let groups: HashMap<i64, String> = lookup::names_by_ids(conn, Named::Group, &group_ids)
        .await?
        .into_iter()
        .collect();
    Ok(users
        .iter()
        .map(|u| UserNames {
            roles: u
                .role_ids
                .iter()
                .filter_map(|id| roles.get(id).cloned())
                .collect(),
            organization: u.user.organization_id.and_then(|id| orgs.get(&id).cloned()),
            organizations: u
                .organization_ids
                .iter()
                .filter_map(|id| orgs.get(id).cloned())
                .collect(),
            groups: u
                .group_access
                .iter()
                .filter_map(|(id, levels)| Some((groups.get(id)?.clone(), levels.clone())))
                .collect(),
        })
        .collect())
}

/// The logins of several users at once (`id → login`; unknown ids are left out), in chunks of
/// 500 ids: how Zammad names users next to their ids.
pub async fn logins_by_ids(
    conn: &mut AnyConnection,
    ids: &BTreeSet<i64>,
) -> Result<HashMap<i64, String>> {
    let mut out = HashMap::new();
    let ids: Vec<i64> = ids.iter().copied().collect();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, login FROM users WHERE id IN ({})",
            id_list(chunk.iter().copied())
        );
        let rows: Vec<(i64, String)> = sqlx::query_as(&sql)
            .persistent(false)
            .fetch_all(&mut *conn)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Several users at once, in the order of `ids` (unknown ids are left out).
pub async fn find_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<UserRecord>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {COLUMNS} FROM users WHERE id IN ({})",
            id_list(chunk.iter().copied())
        );
        let rows: Vec<UserRecord> = sqlx::query_as(&sql)
            .persistent(false)
            .fetch_all(&mut *conn)
            .await?;
        found.extend(rows.into_iter().map(|u| (u.id, u)));
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<UserRecord> {
    crate::storage::rows::find(conn, "users", COLUMNS, "User", id).await
}

/// Role ids of a user.
pub async fn role_ids(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT role_id FROM user_roles WHERE user_id = $1 ORDER BY role_id")
            .bind(user_id)
            .fetch_all(conn)
            .await?,
    )
}

/// Facts about a user the user policy needs.
async fn target_facts(conn: &mut AnyConnection, user: &UserRecord) -> Result<policy::UserFacts> {
    let perms: Vec<String> = sqlx::query_scalar(
        "SELECT r.permissions FROM roles r JOIN user_roles ur ON ur.role_id = r.id WHERE ur.user_id = $1",
    )
    .bind(user.id)
    .fetch_all(&mut *conn)
    .await?;
    let staff = perms.iter().any(|p| {
        serde_json::from_str::<Vec<String>>(p)
            .unwrap_or_default()
            .iter()
            .any(|name| name == "admin" || name.starts_with("admin.") || name == "ticket.agent")
    });
    let mut org_ids: Vec<i64> =
        sqlx::query_scalar("SELECT organization_id FROM user_organizations WHERE user_id = $1")
            .bind(user.id)
            .fetch_all(&mut *conn)
            .await?;
    org_ids.extend(user.organization_id);
    Ok(policy::UserFacts {
        id: user.id,
        staff,
        organization_ids: org_ids,
    })
}

/// A user the caller may see, with its associations. Which of its fields the caller may see
/// is the renderer's business ([`policy::fields::user_scope`]).
pub async fn find_visible(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<UserDetails> {
    let user = find(conn, id).await?;
    let facts = target_facts(conn, &user).await?;
    if !policy::can_show_user(actor, &facts) {
        return Err(Error::not_authorized());
    }
    Ok(details(conn, std::slice::from_ref(&user)).await?.remove(0))
}

/// `GET /users`: staff see everyone (system user excluded); customers see themselves.
pub async fn index(conn: &mut AnyConnection, actor: &Actor, page: Page) -> Result<Vec<UserRecord>> {
    let users = if policy::can_list_users(actor) {
        sqlx::query_as::<_, UserRecord>(&format!(
            "SELECT {COLUMNS} FROM users WHERE id <> {SYSTEM_USER_ID} ORDER BY id LIMIT $1 OFFSET $2"
        ))
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(&mut *conn)
        .await?
    } else if page.page == 1 {
        vec![find(conn, actor.id).await?]
    } else {
        Vec::new()
    };
    Ok(users)
}

/// The folded "firstname lastname" a user search compares with (`users.name_downcase`):
/// first name, last name and full name in one, in every script on both databases.
fn name_downcase(firstname: &str, lastname: &str) -> String {
    crate::storage::text::fold(&format!("{firstname} {lastname}"))
}

/// Substring search over login, names, e-mail and phone, without regard to case in any
/// script; `*` or empty matches all, a `*` inside the query is a wildcard.
pub async fn search(
    conn: &mut AnyConnection,
    backend: crate::storage::store::Backend,
    actor: &Actor,
    query: &str,
    page: Page,
) -> Result<Vec<UserRecord>> {
    if !policy::can_list_users(actor) {
        return Err(Error::not_authorized());
    }
    let query = crate::storage::text::fold(query.trim().trim_matches('*'));
    let like = format!("%{}%", crate::storage::text::wildcard_like(&query));
    let op = backend.ilike();
    // login and e-mail are stored folded already; names through users.name_downcase
    Ok(sqlx::query_as::<_, UserRecord>(&format!(
        "SELECT {COLUMNS} FROM users WHERE id <> {SYSTEM_USER_ID} AND ( \
         login {op} $1 ESCAPE '\\' OR name_downcase LIKE $2 ESCAPE '\\' OR email {op} $3 ESCAPE '\\' \
         OR phone {op} $4 ESCAPE '\\' OR mobile {op} $5 ESCAPE '\\') \
         ORDER BY firstname, lastname, id LIMIT $6 OFFSET $7"
    ))
    .bind(&like)
    .bind(&like)
    .bind(&like)
    .bind(&like)
    .bind(&like)
    .bind(page.per_page)
    .bind(page.offset())
    .fetch_all(conn)
    .await?)
}

pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `POST /users` as one request: the password hashed first, then one write transaction;
/// the created user with its associations (rendered by
/// `dialects::zammad::accounts::render_user`).
pub async fn create_user(
    store: &crate::Store,
    actor: &Actor,
    mut params: UserParams,
) -> Result<UserDetails> {
    params.hash_password().await?;
    let mut tx = store.write().await?;
    let user = create(&mut tx, Some(actor), &params).await?;
    let saved = details(&mut tx, std::slice::from_ref(&user))
        .await?
        .remove(0);
    tx.commit().await?;
    Ok(saved)
}

/// `PUT /users/{id}` as one request, like [`create_user`] (the password hashed before the
/// transaction).
pub async fn update_user(
    store: &crate::Store,
    actor: &Actor,
    id: i64,
    mut params: UserParams,
) -> Result<UserDetails> {
    params.hash_password().await?;
    update_user_from(store, actor, id, move |_| params).await
}

/// [`update_user`] whose changes are computed from the user as stored, inside the write
/// transaction, so that a read-modify-write (merging preferences) loses no concurrent change.
/// `change` must not set a password it has not hashed ([`UserParams::hash_password`] is slow
/// and belongs before the transaction): such a password is refused with a 422.
pub async fn update_user_from(
    store: &crate::Store,
    actor: &Actor,
    id: i64,
    change: impl FnOnce(&UserRecord) -> UserParams,
) -> Result<UserDetails> {
    let mut tx = store.write().await?;
    let current = find(&mut tx, id).await?;
    let params = change(&current);
    if params.password.is_some() && params.password_hash.is_none() {
        return Err(Error::unprocessable(
            "A password is changed on its own (PUT /users/{id} or password_change).",
        ));
    }
    let user = update(&mut tx, actor, id, &params).await?;
    let saved = details(&mut tx, std::slice::from_ref(&user))
        .await?
        .remove(0);
    tx.commit().await?;
    Ok(saved)
}

/// Body of `POST /users` and `PUT /users/{id}`. Unknown keys are ignored, as Zammad does.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct UserParams {
    pub login: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub web: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub mobile: Option<String>,
    pub department: Option<String>,
    pub street: Option<String>,
    pub zip: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub vip: Option<bool>,
    pub verified: Option<bool>,
    pub active: Option<bool>,
    pub organization_id: Option<Option<i64>>,
    pub organization: Option<String>,
    pub organization_ids: Option<Vec<i64>>,
    pub role_ids: Option<Vec<i64>>,
    pub roles: Option<Vec<String>>,
    /// `{"<group id>": ["read", "change"]}` or `{"<group id>": "full"}`.
    pub group_ids: Option<BTreeMap<String, AccessList>>,
    pub preferences: Option<Map<String, Value>>,
    /// The Argon2 hash of `password`, made by [`UserParams::hash_password`] before the write
    /// transaction (never read from the request).
    #[serde(skip)]
    pub password_hash: Option<String>,
}

impl UserParams {
    /// Hashes `password` (when given) off the async runtime, so the write transaction that
    /// stores it does not wait for Argon2.
    pub async fn hash_password(&mut self) -> Result<()> {
        if let Some(password) = &self.password {
            self.password_hash = Some(passwords::hash_blocking(password.clone()).await?);
        }
        Ok(())
    }

    /// Every text field within its column size (422 naming the first that is not).
    pub fn check_lengths(&self) -> Result<()> {
        use crate::storage::columns::{self, ADDRESS, LOGIN, MEDIUM, NAME, NOTE, PASSWORD, SHORT};
        let fields: [(&str, &Option<String>, usize); 16] = [
            ("login", &self.login, LOGIN),
            ("firstname", &self.firstname, NAME),
            ("lastname", &self.lastname, NAME),
            ("email", &self.email, LOGIN),
            ("password", &self.password, PASSWORD),
            ("web", &self.web, SHORT),
            ("phone", &self.phone, SHORT),
            ("fax", &self.fax, SHORT),
            ("mobile", &self.mobile, SHORT),
            ("department", &self.department, MEDIUM),
            ("street", &self.street, MEDIUM),
            ("zip", &self.zip, SHORT),
            ("city", &self.city, SHORT),
            ("country", &self.country, SHORT),
            ("address", &self.address, ADDRESS),
            ("note", &self.note, NOTE),
        ];
        for (field, value, max) in fields {
            columns::check(field, value.as_deref(), max)?;
        }
        columns::check("organization", self.organization.as_deref(), columns::TITLE)?;
        if let Some(preferences) = &self.preferences {
            columns::check(
                "preferences",
                Some(&serde_json::to_string(preferences).unwrap_or_default()),
                NOTE,
            )?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AccessList {
    One(String),
    Many(Vec<String>),
}

impl AccessList {
    fn levels(&self) -> Vec<&str> {
        match self {
            AccessList::One(s) => vec![s.as_str()],
            AccessList::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
}

/// An existing user with this e-mail, else a new customer with it (Zammad's `guess:`). `name`
/// ("First Last") names a new user. The e-mail must be valid; the caller must be allowed to
/// create users (`None`: the system, e.g. for the sender of an inbound e-mail).
pub async fn find_or_create_by_email(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    email: &str,
    name: Option<&str>,
) -> Result<i64> {
    let name = name.map(str::trim).unwrap_or_default();
    let (firstname, lastname) = name.split_once(' ').unwrap_or((name, ""));
    find_or_create_by_email_named(conn, actor, email, firstname, lastname.trim()).await
}

/// The id of the user with this e-mail address (exactly as stored: lowercased), if any.
pub async fn id_by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&mut *conn)
        .await?)
}

/// [`find_or_create_by_email`] with the new user's first and last name apart (Zammad's
/// `customer: {firstname, lastname, email}` on ticket create).
pub async fn find_or_create_by_email_named(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    email: &str,
    firstname: &str,
    lastname: &str,
) -> Result<i64> {
    let email = email.trim().to_lowercase();
    if let Some(id) = id_by_email(conn, &email).await? {
        return Ok(id);
    }
    let params = UserParams {
        email: Some(email),
        firstname: Some(firstname.trim().to_string()).filter(|s| !s.is_empty()),
        lastname: Some(lastname.trim().to_string()).filter(|s| !s.is_empty()),
        ..Default::default()
    };
    Ok(create(conn, actor, &params).await?.id)
}

/// Field values after validation; shared by create and update.
struct Resolved {
    organization_id: Option<Option<i64>>,
    secondary_org_ids: Option<Vec<i64>>,
    role_ids: Option<Vec<i64>>,
    group_access: Option<Vec<(i64, AccessLevel)>>,
}

async fn resolve(
    conn: &mut AnyConnection,
    params: &UserParams,
    actor: Option<&Actor>,
) -> Result<Resolved> {
    let admin = actor.is_none_or(policy::can_manage_user_roles);
    let organization_id = match (&params.organization_id, &params.organization) {
        (Some(Some(id)), _) => Some(Some(
            lookup::existing_id(conn, Named::Organization, "organization_id", *id).await?,
        )),
        (Some(None), _) => Some(None),
        (None, Some(name)) if !name.trim().is_empty() => Some(Some(
            lookup::id_by_name(conn, Named::Organization, "organization", name).await?,
        )),
        _ => None,
    };
    let secondary_org_ids = match &params.organization_ids {
        Some(ids) => {
            let mut out = Vec::new();
            for id in ids {
                out.push(
                    lookup::existing_id(conn, Named::Organization, "organization_ids", *id).await?,
                );
            }
            Some(out)
        }
        None => None,
    };
    let role_ids = if !admin {
        None // silently dropped for non-admins, as Zammad drops forbidden fields
    } else if let Some(ids) = &params.role_ids {
        let mut out = Vec::new();
        for id in ids {
            out.push(lookup::existing_id(conn, Named::Role, "role_ids", *id).await?);
        }
        Some(out)
    } else if let Some(names) = &params.roles {
        let mut out = Vec::new();
        for name in names {
            out.push(lookup::id_by_name(conn, Named::Role, "roles", name).await?);
        }
        Some(out)
    } else {
        None
    };
    let group_access = match (&params.group_ids, admin) {
        (Some(map), true) => {
            let mut out = Vec::new();
            for (gid, list) in map {
                let id: i64 = gid.parse().map_err(|_| {
                    Error::unprocessable(format!("Invalid value for param 'group_ids': {gid:?}"))
                })?;
                lookup::existing_id(conn, Named::Group, "group_ids", id).await?;
                let levels = list.levels();
                if levels.contains(&"full") && levels.len() > 1 {
                    return Err(Error::unprocessable(
                        "Group access 'full' cannot be combined with other access levels.",
                    ));
                }
                for level in levels {
                    let level = AccessLevel::parse(level).ok_or_else(|| {
                        Error::unprocessable(format!(
                            "Invalid access level {level:?} for group {id}"
                        ))
                    })?;
                    out.push((id, level));
                }
            }
            Some(out)
        }
        _ => None,
    };
    Ok(Resolved {
        organization_id,
        secondary_org_ids,
        role_ids,
        group_access,
    })
}

fn clean(value: &Option<String>) -> Option<String> {
    value.as_ref().map(|s| s.trim().to_string())
}

async fn ensure_unique(
    conn: &mut AnyConnection,
    login: &str,
    email: &str,
    except: i64,
) -> Result<()> {
    if !email.is_empty() {
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1 AND id <> $2")
                .bind(email)
                .bind(except)
                .fetch_optional(&mut *conn)
                .await?;
        if taken.is_some() {
            return Err(Error::unprocessable(format!(
                "Email address '{email}' is already used for another user."
            )));
        }
    }
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE login = $1 AND id <> $2")
            .bind(login)
            .bind(except)
            .fetch_optional(&mut *conn)
            .await?;
    if taken.is_some() {
        return Err(Error::unprocessable(format!(
            "Login '{login}' is already used for another user."
        )));
    }
    Ok(())
}

/// Creates a user. `actor` is `None` for system-internal creation (seeds, bootstrap, CLI).
pub async fn create(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    params: &UserParams,
) -> Result<UserRecord> {
    params.check_lengths()?;
    if let Some(actor) = actor
        && !policy::can_create_user(actor)
    {
        return Err(Error::not_authorized());
    }
    let email = clean(&params.email).unwrap_or_default().to_lowercase();
    if !email.is_empty() && !valid_email(&email) {
        return Err(Error::unprocessable(format!("Invalid email '{email}'")));
    }
    let firstname = clean(&params.firstname).unwrap_or_default();
    let lastname = clean(&params.lastname).unwrap_or_default();
    let phone = clean(&params.phone).unwrap_or_default();
    let mobile = clean(&params.mobile).unwrap_or_default();
    if [&firstname, &lastname, &email, &phone, &mobile]
        .iter()
        .all(|s| s.is_empty())
    {
        return Err(Error::unprocessable(
            "At least one identifier (firstname, lastname, phone, mobile or email) for user is required.",
        ));
    }
    let login = match clean(&params.login)
        .map(|l| l.to_lowercase())
        .filter(|l| !l.is_empty())
    {
        Some(login) => login,
        None if !email.is_empty() => email.clone(),
        None => generated_login(&firstname, &lastname, &phone, &mobile),
    };
    ensure_unique(conn, &login, &email, 0).await?;
    let password_hash = match &params.password {
        Some(pw) if actor.is_none_or(policy::can_manage_user_roles) => {
            // accounts made through the API meet the password policy; seed data is trusted
            if actor.is_some() {
                passwords::PasswordPolicy::load(conn)
                    .await?
                    .check(pw, &[&login, &email, &firstname, &lastname])?;
            }
            Some(match &params.password_hash {
                Some(hash) => hash.clone(),
                None => passwords::hash(pw)?,
            })
        }
        _ => None,
    };
    let resolved = resolve(conn, params, actor).await?;
    let by = actor.map_or(SYSTEM_USER_ID, |a| a.id);
    let now = clock::now();
    let preferences = params
        .preferences
        .clone()
        .map(Value::Object)
        .unwrap_or_else(|| json!({}));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (organization_id, login, firstname, lastname, email, password_hash, web, phone, fax, \
         mobile, department, street, zip, city, country, address, note, vip, verified, active, preferences, \
         created_by_id, updated_by_id, created_at, updated_at, name_downcase) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26) RETURNING id",
    )
    .bind(resolved.organization_id.flatten())
    .bind(&login)
    .bind(&firstname)
    .bind(&lastname)
    .bind(&email)
    .bind(password_hash)
    .bind(clean(&params.web).unwrap_or_default())
    .bind(&phone)
    .bind(clean(&params.fax).unwrap_or_default())
    .bind(&mobile)
    .bind(clean(&params.department).unwrap_or_default())
    .bind(clean(&params.street).unwrap_or_default())
    .bind(clean(&params.zip).unwrap_or_default())
    .bind(clean(&params.city).unwrap_or_default())
    .bind(clean(&params.country).unwrap_or_default())
    .bind(clean(&params.address).unwrap_or_default())
    .bind(params.note.clone().unwrap_or_default())
    .bind(params.vip.unwrap_or(false) as i64)
    .bind(params.verified.unwrap_or(false) as i64)
    .bind(params.active.unwrap_or(true) as i64)
    .bind(preferences.to_string())
    .bind(by)
    .bind(by)
    .bind(&now)
    .bind(&now)
    .bind(name_downcase(&firstname, &lastname))
    .fetch_one(&mut *conn)
    .await?;
    let role_ids = match resolved.role_ids {
        Some(ids) if !ids.is_empty() => ids,
        _ => {
            sqlx::query_scalar("SELECT id FROM roles WHERE default_at_signup = 1 AND active = 1")
                .fetch_all(&mut *conn)
                .await?
        }
    };
    replace_roles(conn, id, &role_ids).await?;
    if let Some(orgs) = &resolved.secondary_org_ids {
        replace_secondary_orgs(conn, id, orgs).await?;
    }
    if let Some(access) = &resolved.group_access {
        replace_group_access(conn, id, access).await?;
    }
    find(conn, id).await
}

fn generated_login(firstname: &str, lastname: &str, phone: &str, mobile: &str) -> String {
    let base: String = format!("{firstname}.{lastname}{phone}{mobile}")
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '.')
        .collect();
    let suffix: u32 = rand::random::<u32>() % 100_000;
    format!("{}.{suffix}", base.trim_matches('.'))
}

async fn replace_roles(conn: &mut AnyConnection, user_id: i64, role_ids: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for role in role_ids.iter().collect::<BTreeSet<_>>() {
        sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(role)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn replace_secondary_orgs(
    conn: &mut AnyConnection,
    user_id: i64,
    org_ids: &[i64],
) -> Result<()> {
    sqlx::query("DELETE FROM user_organizations WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for org in org_ids.iter().collect::<BTreeSet<_>>() {
        sqlx::query("INSERT INTO user_organizations (user_id, organization_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(org)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn replace_group_access(
    conn: &mut AnyConnection,
    user_id: i64,
    access: &[(i64, AccessLevel)],
) -> Result<()> {
    sqlx::query("DELETE FROM user_groups WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for (group, level) in access.iter().collect::<BTreeSet<_>>() {
        sqlx::query("INSERT INTO user_groups (user_id, group_id, access) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(group)
            .bind(level.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Updates the given fields of a user.
pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    params: &UserParams,
) -> Result<UserRecord> {
    params.check_lengths()?;
    let current = find(conn, id).await?;
    let facts = target_facts(conn, &current).await?;
    if !policy::can_update_user(actor, &facts) {
        return Err(Error::not_authorized());
    }
    let email = clean(&params.email)
        .map(|e| e.to_lowercase())
        .unwrap_or_else(|| current.email.clone());
    if !email.is_empty() && !valid_email(&email) {
        return Err(Error::unprocessable(format!("Invalid email '{email}'")));
    }
    let login = clean(&params.login)
        .map(|l| l.to_lowercase())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| current.login.clone());
    ensure_unique(conn, &login, &email, id).await?;
    let resolved = resolve(conn, params, Some(actor)).await?;
    let pick = |new: &Option<String>, old: &str| clean(new).unwrap_or_else(|| old.to_string());
    let firstname = pick(&params.firstname, &current.firstname);
    let lastname = pick(&params.lastname, &current.lastname);
    let phone = pick(&params.phone, &current.phone);
    let mobile = pick(&params.mobile, &current.mobile);
    if [&firstname, &lastname, &email, &phone, &mobile]
        .iter()
        .all(|s| s.is_empty())
    {
        return Err(Error::unprocessable(
            "At least one identifier (firstname, lastname, phone, mobile or email) for user is required.",
        ));
    }
    let mut preferences: Map<String, Value> =
        serde_json::from_str(&current.preferences).unwrap_or_default();
    if let Some(more) = &params.preferences {
        preferences.extend(more.clone());
    }
    let organization_id = resolved.organization_id.unwrap_or(current.organization_id);
    sqlx::query(
        "UPDATE users SET organization_id = $1, login = $2, firstname = $3, lastname = $4, email = $5, web = $6, \
         phone = $7, fax = $8, mobile = $9, department = $10, street = $11, zip = $12, city = $13, country = $14, \
         address = $15, note = $16, vip = $17, verified = $18, active = $19, preferences = $20, \
         updated_by_id = $21, updated_at = $22, name_downcase = $23 WHERE id = $24",
    )
    .bind(organization_id)
    .bind(&login)
    .bind(&firstname)
    .bind(&lastname)
    .bind(&email)
    .bind(pick(&params.web, &current.web))
    .bind(&phone)
    .bind(pick(&params.fax, &current.fax))
    .bind(&mobile)
    .bind(pick(&params.department, &current.department))
    .bind(pick(&params.street, &current.street))
    .bind(pick(&params.zip, &current.zip))
    .bind(pick(&params.city, &current.city))
    .bind(pick(&params.country, &current.country))
    .bind(pick(&params.address, &current.address))
    .bind(params.note.clone().unwrap_or(current.note.clone()))
    .bind(params.vip.map_or(current.vip, i64::from))
    .bind(params.verified.map_or(current.verified, i64::from))
    .bind(params.active.map_or(current.active, i64::from))
    .bind(Value::Object(preferences).to_string())
    .bind(actor.id)
    .bind(clock::now())
    .bind(name_downcase(&firstname, &lastname))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if params.active == Some(false) && current.active != 0 {
        // an inactive user cannot sign in: their sessions end too (open tabs go to sign-in)
        delete_other_sessions(conn, id, None).await?;
    }
    if let Some(pw) = &params.password {
        // one's own password changes only with the current one (`password_change`); admins
        // may set anyone's
        if !policy::can_manage_user_roles(actor) {
            return Err(Error::unprocessable(
                "The password cannot be changed here: use POST /api/v1/users/password_change with the current password.",
            ));
        }
        set_password(conn, id, pw, params.password_hash.as_deref()).await?;
    }
    if let Some(roles) = &resolved.role_ids {
        replace_roles(conn, id, roles).await?;
    }
    if let Some(orgs) = &resolved.secondary_org_ids {
        replace_secondary_orgs(conn, id, orgs).await?;
    }
    if let Some(access) = &resolved.group_access {
        replace_group_access(conn, id, access).await?;
    }
    find(conn, id).await
}

/// `POST /users/password_change` (Zammad's `users#password_change`): the caller changes their
/// own password, proving the current one. Every other session of the user ends (`keep_session`:
/// the SHA-256 of the session making the change, which stays). Errors: 422 for a wrong current
/// password or a new one the policy refuses.
pub async fn change_own_password(
    store: &crate::Store,
    actor: &Actor,
    current_password: &str,
    new_password: &str,
    keep_session: Option<&str>,
) -> Result<()> {
    // the current password is checked (Argon2, tens of milliseconds) before the write
    // transaction, so no writer waits for it
    let stored: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(actor.id)
            .fetch_optional(&mut *store.read().await?)
            .await?
            .flatten();
    if !passwords::verify_blocking(current_password.to_string(), stored).await {
        return Err(Error::unprocessable("The current password is wrong."));
    }
    let hash = passwords::hash_blocking(new_password.to_string()).await?;
    let mut tx = store.write().await?;
    set_password(&mut tx, actor.id, new_password, Some(&hash)).await?;
    delete_other_sessions(&mut tx, actor.id, keep_session).await?;
    tx.commit().await
}

/// Signs the caller out everywhere else: every session of theirs but `keep_session` (the
/// SHA-256 of the session asking) ends. Returns how many ended.
pub async fn end_other_sessions(
    store: &crate::Store,
    actor: &Actor,
    keep_session: Option<&str>,
) -> Result<u64> {
    store
        .in_write(async |tx| delete_other_sessions(tx, actor.id, keep_session).await)
        .await
}

async fn delete_other_sessions(
    conn: &mut AnyConnection,
    user_id: i64,
    keep_session: Option<&str>,
) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep_session.unwrap_or_default())
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// When a user's account is locked until after failed logins (`None`: not locked).
pub async fn locked_until(conn: &mut AnyConnection, user_id: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT locked_until FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await?
            .flatten()
            .filter(|until| clock::parse(until).is_some_and(|at| at > chrono::Utc::now())),
    )
}

/// Unlocks an account locked after failed logins (its failure count starts again): user
/// admins only, like setting another user's password.
pub async fn unlock(store: &crate::Store, actor: &Actor, id: i64) -> Result<()> {
    if !policy::can_manage_user_roles(actor) {
        return Err(Error::not_authorized());
    }
    let mut tx = store.write().await?;
    find(&mut tx, id).await?;
    sqlx::query("UPDATE users SET login_failed = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Sets a new password (checked against the password policy and the user's own login,
/// e-mail and name) and unlocks the account. `hash` is the password's Argon2 hash made before
/// the transaction ([`passwords::hash_blocking`]); `None` hashes here (seed data only).
pub async fn set_password(
    conn: &mut AnyConnection,
    user_id: i64,
    password: &str,
    hash: Option<&str>,
) -> Result<()> {
    let user = find(conn, user_id).await?;
    passwords::PasswordPolicy::load(conn).await?.check(
        password,
        &[&user.login, &user.email, &user.firstname, &user.lastname],
    )?;
    sqlx::query(
        "UPDATE users SET password_hash = $1, login_failed = 0, locked_until = NULL WHERE id = $2",
    )
    .bind(match hash {
        Some(hash) => hash.to_string(),
        None => passwords::hash(password)?,
    })
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// `DELETE /users/{id}` (Zammad's rule): only a user nothing refers to — no tickets as customer,
/// owner or creator, no articles, no mentions, history or time entries — else 422
/// `Can't delete, object has references.`; the system user never. Sessions, tokens, roles and
/// group access go with the user.
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    if !policy::can_delete_user(actor, id) {
        return Err(Error::not_authorized());
    }
    find(conn, id).await?;
    if id == SYSTEM_USER_ID {
        return Err(Error::unprocessable("Can't delete, object has references."));
    }
    rows::delete_unreferenced(
        conn,
        "users",
        id,
        &[
            ("tickets", "customer_id"),
            ("tickets", "owner_id"),
            ("tickets", "created_by_id"),
            ("tickets", "updated_by_id"),
            ("ticket_articles", "created_by_id"),
            ("ticket_articles", "origin_by_id"),
            ("mentions", "user_id"),
            ("ticket_history", "created_by_id"),
            ("ticket_time_accountings", "created_by_id"),
        ],
    )
    .await
}

/// [`delete`] as one request (`DELETE /users/{id}`).
pub async fn delete_user(store: &crate::Store, actor: &Actor, id: i64) -> Result<()> {
    store.in_write(async |tx| delete(tx, actor, id).await).await
}
