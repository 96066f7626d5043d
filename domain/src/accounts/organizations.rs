//! Organisations: customers' companies. `shared` lets members see each other's tickets.

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::storage::paging::Page;
use crate::storage::store::Backend;
use crate::storage::text::{fold, wildcard_like};
use crate::{Error, Result, policy, storage::clock};

#[derive(Debug, Clone, FromRow)]
pub struct OrganizationRecord {
    pub id: i64,
    pub name: String,
    pub shared: i64,
    pub domain: String,
    pub domain_assignment: i64,
    pub active: i64,
    pub vip: i64,
    pub note: String,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, name, shared, domain, domain_assignment, active, vip, note, created_by_id, \
    updated_by_id, created_at, updated_at";

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<OrganizationRecord> {
    sqlx::query_as::<_, OrganizationRecord>(&format!(
        "SELECT {COLUMNS} FROM organizations WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::not_found("Organization", id))
}

/// The members of an organisation.
#[derive(Debug, Clone, Default)]
pub struct Members {
    /// Users whose primary organisation it is, by id.
    pub primary: Vec<i64>,
    /// Users who have it as a secondary organisation, by id.
    pub secondary: Vec<i64>,
}

pub async fn members(conn: &mut AnyConnection, org_id: i64) -> Result<Members> {
    let primary: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE organization_id = $1 ORDER BY id")
            .bind(org_id)
            .fetch_all(&mut *conn)
            .await?;
    let secondary: Vec<i64> = sqlx::query_scalar(
        "SELECT user_id FROM user_organizations WHERE organization_id = $1 ORDER BY user_id",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Members { primary, secondary })
}

/// How many users have each of these organisations as their primary one (one query;
/// organisations without members are left out).
pub async fn member_counts(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, usize>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT organization_id, COUNT(*) FROM users WHERE organization_id IN ({}) \
         GROUP BY organization_id",
        crate::storage::store::id_list(ids.iter().copied())
    ))
    .persistent(false)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, count)| (id, usize::try_from(count).unwrap_or_default()))
        .collect())
}

pub async fn render(
    conn: &mut AnyConnection,
    org: &OrganizationRecord,
    expanded: bool,
) -> Result<Value> {
    let Members {
        primary: member_ids,
        secondary,
    } = members(conn, org.id).await?;
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

/// An organisation the caller may see. Which of its fields the caller may see is the
/// renderer's business ([`policy::fields::organization_scope`]).
pub async fn find_visible(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<OrganizationRecord> {
    let org = find(conn, id).await?;
    if !policy::can_show_organization(actor, id) {
        return Err(Error::not_authorized());
    }
    Ok(org)
}

pub async fn show(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    expanded: bool,
) -> Result<Value> {
    let org = find_visible(conn, actor, id).await?;
    let mut rendered = render(conn, &org, expanded).await?;
    policy::fields::organization_scope(actor).apply(&mut rendered);
    Ok(rendered)
}

/// The organisations the caller may see, one page: all of them by id for organisation admins,
/// else their own.
pub async fn list(
    conn: &mut AnyConnection,
    actor: &Actor,
    page: Page,
) -> Result<Vec<OrganizationRecord>> {
    if policy::can_manage_organizations(actor) {
        Ok(sqlx::query_as::<_, OrganizationRecord>(&format!(
            "SELECT {COLUMNS} FROM organizations ORDER BY id LIMIT $1 OFFSET $2"
        ))
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(&mut *conn)
        .await?)
    } else {
        let mut own = Vec::new();
        for id in actor
            .organization_ids
            .iter()
            .skip(page.offset() as usize)
            .take(page.per_page as usize)
        {
            own.push(find(conn, *id).await?);
        }
        Ok(own)
    }
}

/// `GET /organizations`: [`list`] as Zammad renders it.
pub async fn index(
    conn: &mut AnyConnection,
    actor: &Actor,
    page: Page,
    expanded: bool,
) -> Result<Vec<Value>> {
    let orgs = list(conn, actor, page).await?;
    let mut out = Vec::new();
    for org in &orgs {
        out.push(render(conn, org, expanded).await?);
    }
    Ok(out)
}

pub async fn search(
    conn: &mut AnyConnection,
    backend: Backend,
    actor: &Actor,
    query: &str,
    page: Page,
) -> Result<Vec<OrganizationRecord>> {
    if !policy::can_manage_organizations(actor) {
        return Err(Error::not_authorized());
    }
    // name and note through their folded copies (every script, both databases alike); a `*`
    // inside the query is a wildcard
    let like = format!("%{}%", wildcard_like(&fold(query.trim().trim_matches('*'))));
    let op = backend.ilike();
    Ok(sqlx::query_as::<_, OrganizationRecord>(&format!(
        "SELECT {COLUMNS} FROM organizations WHERE name_downcase LIKE $1 ESCAPE '\\' \
         OR domain {op} $2 ESCAPE '\\' OR note_downcase LIKE $3 ESCAPE '\\' ORDER BY name, id LIMIT $4 OFFSET $5"
    ))
    .bind(&like)
    .bind(&like)
    .bind(&like)
    .bind(page.per_page)
    .bind(page.offset())
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct OrganizationParams {
    pub name: Option<String>,
    pub shared: Option<bool>,
    pub domain: Option<String>,
    pub domain_assignment: Option<bool>,
    pub active: Option<bool>,
    pub vip: Option<bool>,
    pub note: Option<String>,
}

impl OrganizationParams {
    /// Every text field within its column size (422 naming the first that is not).
    pub fn check_lengths(&self) -> Result<()> {
        use crate::storage::columns;
        columns::check("name", self.name.as_deref(), columns::TITLE)?;
        columns::check("note", self.note.as_deref(), columns::NOTE)?;
        columns::check("domain", self.domain.as_deref(), columns::LOGIN)?;
        Ok(())
    }
}

async fn ensure_unique_name(conn: &mut AnyConnection, name: &str, except: i64) -> Result<()> {
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM organizations WHERE name_downcase = $1 AND id <> $2")
            .bind(fold(name))
            .bind(except)
            .fetch_optional(conn)
            .await?;
    match taken {
        Some(_) => Err(Error::unprocessable(format!(
            "Name '{name}' is already used for another organization."
        ))),
        None => Ok(()),
    }
}

pub async fn create(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    params: &OrganizationParams,
) -> Result<OrganizationRecord> {
    params.check_lengths()?;
    if actor.is_some_and(|a| !policy::can_manage_organizations(a)) {
        return Err(Error::not_authorized());
    }
    let name = params.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(Error::unprocessable(
            "The required value 'name' is missing.",
        ));
    }
    ensure_unique_name(conn, name, 0).await?;
    let by = actor.map_or(crate::accounts::users::SYSTEM_USER_ID, |a| a.id);
    let now = clock::now();
    let note = params.note.clone().unwrap_or_default();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO organizations (name, shared, domain, domain_assignment, active, vip, note, created_by_id, \
         updated_by_id, created_at, updated_at, name_downcase, note_downcase) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id",
    )
    .bind(name)
    .bind(params.shared.unwrap_or(true) as i64)
    .bind(params.domain.clone().unwrap_or_default())
    .bind(params.domain_assignment.unwrap_or(false) as i64)
    .bind(params.active.unwrap_or(true) as i64)
    .bind(params.vip.unwrap_or(false) as i64)
    .bind(&note)
    .bind(by)
    .bind(by)
    .bind(&now)
    .bind(&now)
    .bind(fold(name))
    .bind(fold(&note))
    .fetch_one(&mut *conn)
    .await?;
    find(conn, id).await
}

pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    params: &OrganizationParams,
) -> Result<OrganizationRecord> {
    params.check_lengths()?;
    let current = find(conn, id).await?;
    if !policy::can_manage_organizations(actor) {
        return Err(Error::not_authorized());
    }
    let name = params
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&current.name)
        .to_string();
    if name.is_empty() {
        return Err(Error::unprocessable(
            "The required value 'name' is missing.",
        ));
    }
    ensure_unique_name(conn, &name, id).await?;
    let note = params.note.clone().unwrap_or(current.note);
    sqlx::query(
        "UPDATE organizations SET name = $1, shared = $2, domain = $3, domain_assignment = $4, active = $5, vip = $6, \
         note = $7, updated_by_id = $8, updated_at = $9, name_downcase = $10, note_downcase = $11 WHERE id = $12",
    )
    .bind(&name)
    .bind(params.shared.map_or(current.shared, i64::from))
    .bind(params.domain.clone().unwrap_or(current.domain))
    .bind(params.domain_assignment.map_or(current.domain_assignment, i64::from))
    .bind(params.active.map_or(current.active, i64::from))
    .bind(params.vip.map_or(current.vip, i64::from))
    .bind(&note)
    .bind(actor.id)
    .bind(clock::now())
    .bind(fold(&name))
    .bind(fold(&note))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    find(conn, id).await
}

/// `POST /organizations` as one request: one write transaction, the created organisation
/// (rendered by [`render`]). The REST API and the web app's admin area both call this.
pub async fn create_organization(
    store: &crate::Store,
    actor: &Actor,
    params: &OrganizationParams,
) -> Result<OrganizationRecord> {
    let mut tx = store.write().await?;
    let org = create(&mut tx, Some(actor), params).await?;
    tx.commit().await?;
    Ok(org)
}

/// `PUT /organizations/{id}` as one request, like [`create_organization`].
pub async fn update_organization(
    store: &crate::Store,
    actor: &Actor,
    id: i64,
    params: &OrganizationParams,
) -> Result<OrganizationRecord> {
    let mut tx = store.write().await?;
    let org = update(&mut tx, actor, id, params).await?;
    tx.commit().await?;
    Ok(org)
}

/// `DELETE /organizations/{id}` (Zammad's rule): only an organisation without members and
/// tickets, else 422 `Can't delete, object has references.`
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    if !crate::policy::can_delete_organization(actor) {
        return Err(Error::not_authorized());
    }
    find(conn, id).await?;
    let references: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM users WHERE organization_id = $1) \
         + (SELECT COUNT(*) FROM user_organizations WHERE organization_id = $2) \
         + (SELECT COUNT(*) FROM tickets WHERE organization_id = $3)",
    )
    .bind(id)
    .bind(id)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if references > 0 {
        return Err(Error::unprocessable("Can't delete, object has references."));
    }
    sqlx::query("DELETE FROM organizations WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
