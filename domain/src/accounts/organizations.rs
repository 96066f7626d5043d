//! Organisations: customers' companies. `shared` lets members see each other's tickets.

use serde::Deserialize;
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::storage::paging::Page;
use crate::storage::rows::{self, Row};
use crate::storage::store::Backend;
use crate::storage::text::{fold, wildcard_like};
use crate::{Error, Result, policy};

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
    rows::find(conn, "organizations", COLUMNS, "Organization", id).await
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

pub async fn create(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    params: &OrganizationParams,
) -> Result<OrganizationRecord> {
    if actor.is_some_and(|a| !policy::can_manage_organizations(a)) {
        return Err(Error::not_authorized());
    }
    let by = actor.map_or(crate::accounts::users::SYSTEM_USER_ID, |a| a.id);
    rows::save(conn, by, None, params).await
}

pub async fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    params: &OrganizationParams,
) -> Result<OrganizationRecord> {
    let current = find(conn, id).await?;
    if !policy::can_manage_organizations(actor) {
        return Err(Error::not_authorized());
    }
    rows::update(conn, actor.id, id, &current, params).await
}

impl rows::Written for OrganizationRecord {
    type Params = OrganizationParams;

    async fn find(conn: &mut AnyConnection, id: i64) -> Result<Self> {
        find(conn, id).await
    }

    /// The organisation row `params` ask for: checked, over `current` (the stored one; `None` for
    /// a new one, which gets Zammad's defaults: shared, active, no domain assignment, not VIP).
    async fn row(
        conn: &mut AnyConnection,
        params: &OrganizationParams,
        current: Option<&Self>,
    ) -> Result<Row> {
        params.check_lengths()?;
        let name = rows::unique_name(
            conn,
            "organizations",
            "organization",
            params.name.as_deref(),
            current.map(|c| (c.id, c.name.as_str())),
        )
        .await?;
        let note = params
            .note
            .clone()
            .or_else(|| current.map(|c| c.note.clone()))
            .unwrap_or_default();
        Ok(Row::of("organizations")
            .set("name_downcase", fold(&name))
            .set("name", name)
            .set(
                "shared",
                rows::flag(params.shared, current.map(|c| c.shared), true),
            )
            .set(
                "domain",
                params
                    .domain
                    .clone()
                    .or_else(|| current.map(|c| c.domain.clone()))
                    .unwrap_or_default(),
            )
            .set(
                "domain_assignment",
                rows::flag(
                    params.domain_assignment,
                    current.map(|c| c.domain_assignment),
                    false,
                ),
            )
            .set(
                "active",
                rows::flag(params.active, current.map(|c| c.active), true),
            )
            .set("vip", rows::flag(params.vip, current.map(|c| c.vip), false))
            .set("note_downcase", fold(&note))
            .set("note", note))
    }
}

/// `POST /organizations` as one request: one write transaction, the created organisation
/// (rendered by [`render`]). The REST API and the web app's admin area both call this.
pub async fn create_organization(
    store: &crate::Store,
    actor: &Actor,
    params: &OrganizationParams,
) -> Result<OrganizationRecord> {
    store
        .in_write(async |tx| create(tx, Some(actor), params).await)
        .await
}

/// `PUT /organizations/{id}` as one request, like [`create_organization`].
pub async fn update_organization(
    store: &crate::Store,
    actor: &Actor,
    id: i64,
    params: &OrganizationParams,
) -> Result<OrganizationRecord> {
    store
        .in_write(async |tx| update(tx, actor, id, params).await)
        .await
}

/// `DELETE /organizations/{id}` (Zammad's rule): only an organisation without members and
/// tickets, else 422 `Can't delete, object has references.`
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    if !crate::policy::can_delete_organization(actor) {
        return Err(Error::not_authorized());
    }
    find(conn, id).await?;
    rows::delete_unreferenced(
        conn,
        "organizations",
        id,
        &[
            ("users", "organization_id"),
            ("user_organizations", "organization_id"),
            ("tickets", "organization_id"),
        ],
    )
    .await
}

/// [`delete`] as one request (`DELETE /organizations/{id}`).
pub async fn delete_organization(store: &crate::Store, actor: &Actor, id: i64) -> Result<()> {
    store.in_write(async |tx| delete(tx, actor, id).await).await
}
