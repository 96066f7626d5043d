//! Text modules (Zammad's `TextModule`, `app/models/text_module.rb`, served by
//! `app/controllers/text_modules_controller.rb`): named snippets of HTML with placeholders
//! (`#{ticket.customer.firstname}`, …) that agents insert into a reply (`::` in the composer),
//! optionally limited to groups. The SQL of `text_modules` and `text_module_groups`, the
//! checked parameters (Zammad's JSON is rendered in `dialects::zammad::text_modules_macros`); the rules are in
//! [`crate::policy::text_modules_macros`], the placeholders are filled by `desk`.

use serde::Deserialize;
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::policy::text_modules_macros::{
    ToolFacts, authorize, can_manage_text_modules, can_read_text_module,
};
use crate::storage::rows::{self, Row};
use crate::storage::{columns, paging::Page};
use crate::tickets::{html_limits, html_text, sanitize};
use crate::{Error, Result};

/// Longest name (Zammad's column: 250).
pub const MAX_NAME: usize = 250;
/// Longest keywords (Zammad's column: 500).
pub const MAX_KEYWORDS: usize = 500;
/// Longest note (Zammad's column: 250).
pub const MAX_NOTE: usize = 250;
/// Longest content, in characters (Zammad allows 10 MB; a snippet is far shorter).
pub const MAX_CONTENT: usize = 100_000;
/// Most groups a record may be limited to.
pub const MAX_GROUPS: usize = 1_000;

/// A text module as stored, with the groups it is limited to.
#[derive(Debug, Clone, PartialEq)]
pub struct TextModuleRecord {
    pub id: i64,
    pub name: String,
    pub keywords: String,
    /// Sanitised HTML with placeholders.
    pub content: String,
    pub note: String,
    pub active: bool,
    /// Empty: every group.
    pub group_ids: Vec<i64>,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl TextModuleRecord {
    /// What the policy needs to know.
    pub fn facts(&self) -> ToolFacts<'_> {
        ToolFacts {
            active: self.active,
            group_ids: &self.group_ids,
        }
    }
}

#[derive(FromRow)]
struct StoredRow {
    id: i64,
    name: String,
    keywords: String,
    content: String,
    note: String,
    active: i64,
    created_by_id: i64,
    updated_by_id: i64,
    created_at: String,
    updated_at: String,
}

const COLUMNS: &str = "id, name, keywords, content, note, active, created_by_id, updated_by_id, \
                       created_at, updated_at";

/// The groups of each of `ids` in `table` (`text_module_groups` or `macro_groups`, keyed by
/// `key`), in the order of `ids`.
pub(crate) async fn groups_of(
    conn: &mut AnyConnection,
    table: &str,
    key: &str,
    ids: &[i64],
) -> Result<Vec<Vec<i64>>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT {key}, group_id FROM {table} WHERE {key} IN ({list}) ORDER BY group_id"
    ))
    .fetch_all(conn)
    .await?;
    Ok(ids
        .iter()
        .map(|id| {
            rows.iter()
                .filter(|(owner, _)| owner == id)
                .map(|(_, g)| *g)
                .collect()
        })
        .collect())
}

/// Replaces the groups of `id` in `table`; every group must exist (422 otherwise).
pub(crate) async fn set_groups(
    conn: &mut AnyConnection,
    table: &str,
    key: &str,
    id: i64,
    group_ids: &[i64],
) -> Result<()> {
    let mut wanted: Vec<i64> = group_ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    for group_id in &wanted {
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM groups WHERE id = $1")
            .bind(group_id)
            .fetch_optional(&mut *conn)
            .await?;
        if known.is_none() {
            return Err(Error::unprocessable(format!(
                "Invalid value for param 'group_ids': no group with id {group_id}."
            )));
        }
    }
    sqlx::query(&format!("DELETE FROM {table} WHERE {key} = $1"))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for group_id in wanted {
        sqlx::query(&format!(
            "INSERT INTO {table} ({key}, group_id) VALUES ($1, $2)"
        ))
        .bind(id)
        .bind(group_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The SQL condition limiting `table`'s rows (`alias.id`) to those without groups or with one
/// of `groups`.
pub(crate) fn in_groups_condition(table: &str, key: &str, alias: &str, groups: &[i64]) -> String {
    let none = format!("NOT EXISTS (SELECT 1 FROM {table} g WHERE g.{key} = {alias}.id)");
    if groups.is_empty() {
        return none;
    }
    let list = groups
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "({none} OR EXISTS (SELECT 1 FROM {table} g WHERE g.{key} = {alias}.id \
         AND g.group_id IN ({list})))"
    )
}

/// The groups whose records an agent reaches (change or create access).
pub(crate) fn reachable_groups(actor: &Actor) -> Vec<i64> {
    use crate::policy::access::AccessLevel;
    let mut groups = actor.groups_with(AccessLevel::Change);
    groups.extend(actor.groups_with(AccessLevel::Create));
    groups.sort_unstable();
    groups.dedup();
    groups
}

async fn records(conn: &mut AnyConnection, rows: Vec<StoredRow>) -> Result<Vec<TextModuleRecord>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let groups = groups_of(conn, "text_module_groups", "text_module_id", &ids).await?;
    Ok(rows
        .into_iter()
        .zip(groups)
        .map(|(r, group_ids)| TextModuleRecord {
            id: r.id,
            name: r.name,
            keywords: r.keywords,
            content: r.content,
            note: r.note,
            active: r.active != 0,
            group_ids,
            created_by_id: r.created_by_id,
            updated_by_id: r.updated_by_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// A text module by id (no permission check), 404 when unknown.
pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<TextModuleRecord> {
    let row = sqlx::query_as::<_, StoredRow>(&format!(
        "SELECT {COLUMNS} FROM text_modules WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::not_found("TextModule", id))?;
    Ok(records(conn, vec![row]).await?.remove(0))
}

/// `GET /text_modules`: the text modules `actor` may read, by name then id, one page (Zammad's
/// `TextModulePolicy::Scope`: admins all, agents the active ones of their groups and those
/// without groups, customers none — a 403).
pub async fn list(
    conn: &mut AnyConnection,
    actor: &Actor,
    page: Page,
) -> Result<Vec<TextModuleRecord>> {
    let condition = if can_manage_text_modules(actor) {
        "1 = 1".to_string()
    } else if actor.is_agent() {
        format!(
            "t.active = 1 AND {}",
            in_groups_condition(
                "text_module_groups",
                "text_module_id",
                "t",
                &reachable_groups(actor)
            )
        )
    } else {
        return Err(Error::not_authorized());
    };
    let rows = sqlx::query_as::<_, StoredRow>(&format!(
        "SELECT {} FROM text_modules t WHERE {condition} ORDER BY t.name, t.id LIMIT $1 OFFSET $2",
        COLUMNS
            .split(", ")
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(page.per_page)
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    records(conn, rows).await
}

/// `GET /text_modules/{id}`: 404 when unknown, 403 when `actor` may not read it.
pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<TextModuleRecord> {
    let module = find(conn, id).await?;
    authorize(can_read_text_module(actor, &module.facts()))?;
    Ok(module)
}

/// What `POST`/`PUT /text_modules` set (`None`: unchanged; on create the default). Read with
/// [`TextModuleParams::prepared`] before the write transaction.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TextModuleParams {
    pub name: Option<String>,
    pub keywords: Option<String>,
    /// HTML (plain text is turned into HTML, as Zammad's `validate_content` does), sanitised.
    pub content: Option<String>,
    pub note: Option<String>,
    pub active: Option<bool>,
    pub group_ids: Option<Vec<i64>>,
}

/// Plain text (no tag in it) as HTML: escaped, line breaks as `<br>`, in a `<div>` (Zammad's
/// `text2html`).
pub fn text_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    format!(
        "<div>{}</div>",
        html_text::escape(&text).replace('\n', "<br>")
    )
}

fn looks_like_html(text: &str) -> bool {
    text.find('<')
        .is_some_and(|start| text[start + 1..].find('>').is_some_and(|end| end > 0))
}

impl TextModuleParams {
    /// Lengths checked, the content made HTML and sanitised (before the write transaction).
    pub fn prepared(mut self) -> Result<TextModuleParams> {
        columns::check("name", self.name.as_deref(), MAX_NAME)?;
        columns::check("keywords", self.keywords.as_deref(), MAX_KEYWORDS)?;
        columns::check("note", self.note.as_deref(), MAX_NOTE)?;
        columns::check("content", self.content.as_deref(), MAX_CONTENT)?;
        if self
            .group_ids
            .as_ref()
            .is_some_and(|g| g.len() > MAX_GROUPS)
        {
            return Err(Error::unprocessable(format!(
                "Invalid value for param 'group_ids': at most {MAX_GROUPS} groups."
            )));
        }
        if let Some(content) = &self.content {
            let html = if looks_like_html(content) {
                content.clone()
            } else {
                text_to_html(content)
            };
            html_limits::check("content", &html)?;
            self.content = Some(sanitize::html(&html));
        }
        self.name = self.name.map(|n| n.trim().to_string());
        Ok(self)
    }
}

fn required(field: &str) -> Error {
    Error::unprocessable(format!("The required value '{field}' is missing."))
}

/// A content that is empty once sanitised (only tags, or nothing) counts as missing.
fn has_content(html: &str) -> bool {
    !html_text::html_to_text(html, false).trim().is_empty()
}

impl rows::Written for TextModuleRecord {
    type Params = TextModuleParams;

    async fn find(conn: &mut AnyConnection, id: i64) -> Result<Self> {
        find(conn, id).await
    }

    /// The row a create (`current` = `None`: `name` and `content` required, the rest defaulted)
    /// or an update (the given fields change, the others keep `current`'s values) writes.
    async fn row(
        _conn: &mut AnyConnection,
        params: &TextModuleParams,
        current: Option<&Self>,
    ) -> Result<Row> {
        let name = match (&params.name, current) {
            (Some(name), _) => name.clone(),
            (None, Some(current)) => current.name.clone(),
            (None, None) => String::new(),
        };
        if name.is_empty() {
            return Err(required("name"));
        }
        let content = match (&params.content, current) {
            (Some(content), _) => content.clone(),
            (None, Some(current)) => current.content.clone(),
            (None, None) => String::new(),
        };
        if !has_content(&content) {
            return Err(required("content"));
        }
        let keep = |given: &Option<String>, stored: fn(&TextModuleRecord) -> &String| {
            given
                .clone()
                .or_else(|| current.map(|c| stored(c).clone()))
                .unwrap_or_default()
        };
        Ok(Row::of("text_modules")
            .set("name", name)
            .set("keywords", keep(&params.keywords, |c| &c.keywords))
            .set("content", content)
            .set("note", keep(&params.note, |c| &c.note))
            .set(
                "active",
                i64::from(params.active.or(current.map(|c| c.active)).unwrap_or(true)),
            ))
    }

    async fn after_write(
        conn: &mut AnyConnection,
        id: i64,
        params: &TextModuleParams,
    ) -> Result<()> {
        if let Some(groups) = &params.group_ids {
            set_groups(conn, "text_module_groups", "text_module_id", id, groups).await?;
        }
        Ok(())
    }
}

/// `POST /text_modules` (`id` `None`) or `PUT /text_modules/{id}` (the given fields change; 404 when
/// unknown): the record as stored.
/// `admin.text_module`; a new text module needs `name` and `content`.
pub async fn save(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Option<i64>,
    params: &TextModuleParams,
) -> Result<TextModuleRecord> {
    authorize(can_manage_text_modules(actor))?;
    rows::save(conn, actor.id, id, params).await
}

/// `DELETE /text_modules/{id}` (`admin.text_module`).
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    authorize(can_manage_text_modules(actor))?;
    find(conn, id).await?;
    delete_with_groups(
        conn,
        "text_modules",
        "text_module_groups",
        "text_module_id",
        id,
    )
    .await
}

/// Deletes the row of `table` with this `id` and its group limits (`groups_table`, keyed by
/// `key`): a text module or a macro.
pub(crate) async fn delete_with_groups(
    conn: &mut AnyConnection,
    table: &'static str,
    groups_table: &'static str,
    key: &'static str,
    id: i64,
) -> Result<()> {
    sqlx::query(&format!("DELETE FROM {groups_table} WHERE {key} = $1"))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    rows::delete_unreferenced(conn, table, id, &[]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_becomes_escaped_html_and_html_is_sanitised() {
        let p = TextModuleParams {
            name: Some("  Thanks ".into()),
            content: Some("Hi #{ticket.customer.firstname},\n1 < 2 & so".into()),
            ..Default::default()
        }
        .prepared()
        .unwrap();
        assert_eq!(p.name.as_deref(), Some("Thanks"));
        assert_eq!(
            p.content.as_deref(),
            Some("<div>Hi #{ticket.customer.firstname},<br>1 &lt; 2 &amp; so</div>")
        );
        let p = TextModuleParams {
            content: Some("<p onclick=\"x()\">Hi<script>alert(1)</script></p>".into()),
            ..Default::default()
        }
        .prepared()
        .unwrap();
        let html = p.content.unwrap();
        assert!(
            !html.contains("script") && !html.contains("onclick"),
            "{html}"
        );
        assert!(html.contains("Hi"), "{html}");
    }

    #[test]
    fn lengths_are_limited() {
        let long = TextModuleParams {
            name: Some("n".repeat(MAX_NAME + 1)),
            ..Default::default()
        };
        assert!(matches!(long.prepared(), Err(Error::Unprocessable(_))));
        let long = TextModuleParams {
            keywords: Some("k".repeat(MAX_KEYWORDS + 1)),
            ..Default::default()
        };
        assert!(matches!(long.prepared(), Err(Error::Unprocessable(_))));
    }

    #[test]
    fn agents_see_modules_without_groups_or_of_their_groups() {
        assert_eq!(
            in_groups_condition("text_module_groups", "text_module_id", "t", &[]),
            "NOT EXISTS (SELECT 1 FROM text_module_groups g WHERE g.text_module_id = t.id)"
        );
        assert!(
            in_groups_condition("macro_groups", "macro_id", "m", &[1, 3])
                .ends_with("g.group_id IN (1,3)))")
        );
    }
}
