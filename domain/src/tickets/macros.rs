//! Macros (Zammad's `Macro`, `app/models/macro.rb`, served by
//! `app/controllers/macros_controller.rb`): a named set of ticket changes (`perform`) an agent
//! applies in one click, then moves on as `ux_flow_next_up` says; optionally limited to groups.
//! The SQL of `macros` and `macro_groups` and the typed `perform`. Zammad's loosely typed JSON
//! is read and rendered in `dialects::zammad::text_modules_macros`; applying a
//! macro is `desk::macros` (the ticket update and tag use cases in one transaction).

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::policy::text_modules_macros::{ToolFacts, authorize, can_manage_macros, can_read_macro};
use crate::storage::paging::Page;
use crate::storage::rows::{self, Row};
use crate::tickets::text_modules::{
    delete_with_groups, groups_of, in_groups_condition, reachable_groups, set_groups,
};
use crate::{Error, Result};

/// Longest name (Zammad's column: 250).
pub const MAX_NAME: usize = 250;
/// Longest note (Zammad's column: 250).
pub const MAX_NOTE: usize = 250;
/// Longest tag list of a `ticket.tags` action (characters).
pub const MAX_TAGS: usize = 2_000;

/// Who owns the ticket after the macro (`ticket.owner_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OwnerChange {
    /// `pre_condition: "current_user.id"`: the agent applying the macro.
    CurrentUser,
    /// `pre_condition: "not_set"`: nobody.
    Nobody,
    /// `pre_condition: "specific"`, `value`: this user.
    User(i64),
}

/// What the macro does to the tags (`ticket.tags`, `operator` `add` or `remove`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagChange {
    pub add: bool,
    /// Comma-separated, as Zammad stores them (`"a, b"`).
    pub names: String,
}

/// A macro's `perform`, typed: the attributes Tandem applies (Zammad's macro editor offers
/// these for tickets: state, priority, group, owner, tags).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacroPerform {
    pub state_id: Option<i64>,
    pub priority_id: Option<i64>,
    pub group_id: Option<i64>,
    pub owner: Option<OwnerChange>,
    pub tags: Option<TagChange>,
}

impl MacroPerform {
    /// Does it change anything?
    pub fn is_empty(&self) -> bool {
        *self == MacroPerform::default()
    }
}

/// Where the web app goes after applying (Zammad's `ux_flow_next_up`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NextUp {
    /// Stay on the ticket.
    #[default]
    None,
    /// Close the ticket's tab (Tandem: back to the overview).
    NextTask,
    /// The next ticket of the overview the agent came from.
    NextFromOverview,
}

impl NextUp {
    pub const ALL: [NextUp; 3] = [NextUp::None, NextUp::NextTask, NextUp::NextFromOverview];

    pub fn as_str(self) -> &'static str {
        match self {
            NextUp::None => "none",
            NextUp::NextTask => "next_task",
            NextUp::NextFromOverview => "next_from_overview",
        }
    }

    pub fn parse(text: &str) -> Option<NextUp> {
        NextUp::ALL.into_iter().find(|n| n.as_str() == text)
    }
}

/// A macro as stored, with the groups it is limited to.
#[derive(Debug, Clone, PartialEq)]
pub struct MacroRecord {
    pub id: i64,
    pub name: String,
    pub perform: MacroPerform,
    pub ux_flow_next_up: NextUp,
    pub note: String,
    pub active: bool,
    /// Empty: every group.
    pub group_ids: Vec<i64>,
    pub created_by_id: i64,
    pub updated_by_id: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl MacroRecord {
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
    perform: String,
    ux_flow_next_up: String,
    note: String,
    active: i64,
    created_by_id: i64,
    updated_by_id: i64,
    created_at: String,
    updated_at: String,
}

const COLUMNS: &str = "m.id, m.name, m.perform, m.ux_flow_next_up, m.note, m.active, \
                       m.created_by_id, m.updated_by_id, m.created_at, m.updated_at";

async fn records(conn: &mut AnyConnection, rows: Vec<StoredRow>) -> Result<Vec<MacroRecord>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let groups = groups_of(conn, "macro_groups", "macro_id", &ids).await?;
    rows.into_iter()
        .zip(groups)
        .map(|(r, group_ids)| {
            Ok(MacroRecord {
                id: r.id,
                name: r.name,
                perform: serde_json::from_str(&r.perform)
                    .map_err(|e| Error::Internal(format!("macro {}: perform: {e}", r.id)))?,
                ux_flow_next_up: NextUp::parse(&r.ux_flow_next_up).unwrap_or_default(),
                note: r.note,
                active: r.active != 0,
                group_ids,
                created_by_id: r.created_by_id,
                updated_by_id: r.updated_by_id,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
        })
        .collect()
}

/// A macro by id (no permission check), 404 when unknown.
pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<MacroRecord> {
    let row =
        sqlx::query_as::<_, StoredRow>(&format!("SELECT {COLUMNS} FROM macros m WHERE m.id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| Error::not_found("Macro", id))?;
    Ok(records(conn, vec![row]).await?.remove(0))
}

/// `GET /macros`: the macros `actor` may read, by name then id, one page (Zammad's
/// `MacroPolicy::Scope`: admins all, agents those of their groups and those without groups,
/// customers none — a 403).
pub async fn list(conn: &mut AnyConnection, actor: &Actor, page: Page) -> Result<Vec<MacroRecord>> {
    let condition = if can_manage_macros(actor) {
        "1 = 1".to_string()
    } else if actor.is_agent() {
        in_groups_condition("macro_groups", "macro_id", "m", &reachable_groups(actor))
    } else {
        return Err(Error::not_authorized());
    };
    let rows = sqlx::query_as::<_, StoredRow>(&format!(
        "SELECT {COLUMNS} FROM macros m WHERE {condition} ORDER BY m.name, m.id LIMIT $1 OFFSET $2"
    ))
    .bind(page.per_page)
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    records(conn, rows).await
}

/// `GET /macros/{id}`: 404 when unknown, 403 when `actor` may not read it.
pub async fn show(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<MacroRecord> {
    let found = find(conn, id).await?;
    authorize(can_read_macro(actor, &found.facts()))?;
    Ok(found)
}

/// What `POST`/`PUT /macros` set (`None`: unchanged; on create the default), checked (lengths,
/// `perform`'s shape) before the write transaction by
/// `dialects::zammad::text_modules_macros::macro_params` or built typed by the web app.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MacroParams {
    pub name: Option<String>,
    pub perform: Option<MacroPerform>,
    pub ux_flow_next_up: Option<NextUp>,
    pub note: Option<String>,
    pub active: Option<bool>,
    pub group_ids: Option<Vec<i64>>,
}

impl MacroParams {
    /// Lengths checked (the web app's path; the REST dialect checks the same when reading).
    pub fn checked(mut self) -> Result<MacroParams> {
        use crate::storage::columns::check;
        check("name", self.name.as_deref(), MAX_NAME)?;
        check("note", self.note.as_deref(), MAX_NOTE)?;
        if let Some(tags) = self.perform.as_ref().and_then(|p| p.tags.as_ref()) {
            check("perform", Some(&tags.names), MAX_TAGS)?;
        }
        if self
            .group_ids
            .as_ref()
            .is_some_and(|g| g.len() > crate::tickets::text_modules::MAX_GROUPS)
        {
            return Err(Error::unprocessable(
                "Invalid value for param 'group_ids': too many groups.",
            ));
        }
        self.name = self.name.map(|n| n.trim().to_string());
        Ok(self)
    }
}

/// The state, priority, group and owner a perform names must exist (422 naming `perform`).
async fn check_targets(conn: &mut AnyConnection, perform: &MacroPerform) -> Result<()> {
    let checks = [
        ("ticket_states", perform.state_id, "ticket.state_id"),
        (
            "ticket_priorities",
            perform.priority_id,
            "ticket.priority_id",
        ),
        ("groups", perform.group_id, "ticket.group_id"),
        (
            "users",
            match perform.owner {
                Some(OwnerChange::User(u)) => Some(u),
                _ => None,
            },
            "ticket.owner_id",
        ),
    ];
    for (table, id, attribute) in checks {
        let Some(id) = id else { continue };
        let known: Option<i64> =
            sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        if known.is_none() {
            return Err(Error::unprocessable(format!(
                "Invalid value for param 'perform': '{attribute}' names no record with id {id}."
            )));
        }
    }
    Ok(())
}

fn store_perform(perform: &MacroPerform) -> Result<String> {
    serde_json::to_string(perform).map_err(|e| Error::Internal(e.to_string()))
}

impl rows::Written for MacroRecord {
    type Params = MacroParams;

    async fn find(conn: &mut AnyConnection, id: i64) -> Result<Self> {
        find(conn, id).await
    }

    /// The row a create (`current` = `None`: `name` and `perform` required, the rest defaulted)
    /// or an update (the given fields change, the others keep `current`'s values) writes; the
    /// records `perform` names must exist.
    async fn row(
        conn: &mut AnyConnection,
        params: &MacroParams,
        current: Option<&Self>,
    ) -> Result<Row> {
        let name = params
            .name
            .clone()
            .or_else(|| current.map(|c| c.name.clone()))
            .unwrap_or_default();
        if name.is_empty() {
            return Err(Error::unprocessable(
                "The required value 'name' is missing.",
            ));
        }
        let Some(perform) = params
            .perform
            .clone()
            .or_else(|| current.map(|c| c.perform.clone()))
        else {
            return Err(Error::unprocessable(
                "The required value 'perform' is missing.",
            ));
        };
        check_targets(conn, &perform).await?;
        let next_up = params
            .ux_flow_next_up
            .or(current.map(|c| c.ux_flow_next_up))
            .unwrap_or_default();
        let note = params
            .note
            .clone()
            .or_else(|| current.map(|c| c.note.clone()))
            .unwrap_or_default();
        Ok(Row::of("macros")
            .set("name", name)
            .set("perform", store_perform(&perform)?)
            .set("ux_flow_next_up", next_up.as_str())
            .set("note", note)
            .set(
                "active",
                i64::from(params.active.or(current.map(|c| c.active)).unwrap_or(true)),
            ))
    }

    async fn after_write(conn: &mut AnyConnection, id: i64, params: &MacroParams) -> Result<()> {
        if let Some(groups) = &params.group_ids {
            set_groups(conn, "macro_groups", "macro_id", id, groups).await?;
        }
        Ok(())
    }
}

/// `POST /macros` (`id` `None`) or `PUT /macros/{id}` (the given fields change; 404 when
/// unknown): the record as stored.
/// `admin.macro`; a new macro needs `name` and `perform`.
pub async fn save(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Option<i64>,
    params: &MacroParams,
) -> Result<MacroRecord> {
    authorize(can_manage_macros(actor))?;
    rows::save(conn, actor.id, id, params).await
}

/// `DELETE /macros/{id}` (`admin.macro`).
pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    authorize(can_manage_macros(actor))?;
    find(conn, id).await?;
    delete_with_groups(conn, "macros", "macro_groups", "macro_id", id).await
}

/// Where `next_from_overview` leads after applying a macro on ticket `after`: the next open
/// ticket (state type neither closed nor merged nor removed) the agent may change, the next
/// higher id, else the lowest.
pub async fn next_open_ticket(
    conn: &mut AnyConnection,
    actor: &Actor,
    after: i64,
) -> Result<Option<i64>> {
    use crate::policy::TicketScope;
    use crate::policy::access::AccessLevel;
    let scope = TicketScope::for_actor(actor, AccessLevel::Change);
    if scope.is_empty() {
        return Ok(None);
    }
    let sql = format!(
        "SELECT t.id FROM tickets t JOIN ticket_states s ON s.id = t.state_id \
         JOIN ticket_state_types st ON st.id = s.state_type_id \
         WHERE st.name NOT IN ('closed', 'merged', 'removed') AND t.id <> $1 AND ({}) \
         ORDER BY CASE WHEN t.id > $2 THEN 0 ELSE 1 END, t.id LIMIT 1",
        scope.sql_condition()
    );
    Ok(sqlx::query_scalar::<_, i64>(&sql)
        .bind(after)
        .bind(after)
        .fetch_optional(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perform_knows_when_it_is_empty() {
        let perform = MacroPerform {
            state_id: Some(4),
            owner: Some(OwnerChange::CurrentUser),
            tags: Some(TagChange {
                add: false,
                names: "a, b".into(),
            }),
            ..Default::default()
        };
        assert!(!perform.is_empty());
        assert!(MacroPerform::default().is_empty());
        for next in NextUp::ALL {
            assert_eq!(NextUp::parse(next.as_str()), Some(next));
        }
        assert_eq!(NextUp::parse("elsewhere"), None);
    }
}
