//! The caller of a request: a user with their effective permissions, organisations and group
//! access, loaded once per request. All permission decisions read from this (see `policy`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::{Error, Result};

/// Zammad's group access levels. `full` implies every other level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessLevel {
    Read,
    Create,
    Change,
    Overview,
    Full,
}

impl AccessLevel {
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::Read,
        AccessLevel::Create,
        AccessLevel::Change,
        AccessLevel::Overview,
        AccessLevel::Full,
    ];

    pub fn parse(text: &str) -> Option<AccessLevel> {
        AccessLevel::ALL.into_iter().find(|l| l.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Read => "read",
            AccessLevel::Create => "create",
            AccessLevel::Change => "change",
            AccessLevel::Overview => "overview",
            AccessLevel::Full => "full",
        }
    }
}

/// Does permission `granted` cover `wanted`? A parent covers its children (`admin` → `admin.user`).
pub fn permission_covers(granted: &str, wanted: &str) -> bool {
    wanted == granted
        || (wanted.len() > granted.len()
            && wanted.starts_with(granted)
            && wanted.as_bytes()[granted.len()] == b'.')
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Actor {
    pub id: i64,
    pub login: String,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub organization_id: Option<i64>,
    /// Primary and secondary organisations.
    pub organization_ids: Vec<i64>,
    /// The subset of `organization_ids` whose organisation has `shared = true`.
    pub shared_organization_ids: Vec<i64>,
    pub permissions: Vec<String>,
    /// A personal access token narrows the user's permissions to this list.
    pub token_permissions: Option<Vec<String>>,
    /// Effective group access (direct + via roles), only for active groups.
    pub group_access: BTreeMap<i64, BTreeSet<AccessLevel>>,
}

impl Actor {
    pub fn has_permission(&self, wanted: &str) -> bool {
        let user_has = self
            .permissions
            .iter()
            .any(|p| permission_covers(p, wanted));
        let token_allows = self
            .token_permissions
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|p| permission_covers(p, wanted)));
        user_has && token_allows
    }

    pub fn is_admin(&self) -> bool {
        self.has_permission("admin")
    }

    pub fn is_agent(&self) -> bool {
        self.has_permission("ticket.agent")
    }

    pub fn is_customer(&self) -> bool {
        self.has_permission("ticket.customer")
    }

    /// Agent access to a group at a level (`full` covers every level).
    pub fn has_group_access(&self, group_id: i64, level: AccessLevel) -> bool {
        self.is_agent()
            && self.group_access.get(&group_id).is_some_and(|levels| {
                levels.contains(&level) || levels.contains(&AccessLevel::Full)
            })
    }

    /// Groups the caller reaches as an agent at `level`.
    pub fn groups_with(&self, level: AccessLevel) -> Vec<i64> {
        if !self.is_agent() {
            return Vec::new();
        }
        self.group_access
            .iter()
            .filter(|(_, levels)| levels.contains(&level) || levels.contains(&AccessLevel::Full))
            .map(|(id, _)| *id)
            .collect()
    }

    pub fn fullname(&self) -> String {
        fullname(&self.firstname, &self.lastname, &self.email, &self.login)
    }

    /// Tandem itself (user 1, "System", no permissions): the author of what background work
    /// writes, e.g. the note about an e-mail that could not be sent.
    pub fn system() -> Actor {
        Actor {
            id: 1,
            login: "-".into(),
            firstname: "System".into(),
            lastname: String::new(),
            email: String::new(),
            organization_id: None,
            organization_ids: Vec::new(),
            shared_organization_ids: Vec::new(),
            permissions: Vec::new(),
            token_permissions: None,
            group_access: BTreeMap::new(),
        }
    }
}

/// Loads the actor for a user id. Inactive users are refused.
pub async fn load_actor(
    conn: &mut AnyConnection,
    user_id: i64,
    token_permissions: Option<Vec<String>>,
) -> Result<Actor> {
    let rejected = || {
        Error::CredentialsRejected("Login failed. Have you double-checked your credentials and completed the email verification step?".into())
    };
    let Some(mut actor) = load_actors(conn, &[user_id]).await?.pop() else {
        // unknown or inactive: only this (failing) path asks which
        let active: Option<i64> = sqlx::query_scalar("SELECT active FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
        return Err(match active {
            Some(0) => Error::CredentialsRejected("User is inactive.".into()),
            _ => rejected(),
        });
    };
    actor.token_permissions = token_permissions;
    Ok(actor)
}

/// The actors of these users, in the order of `ids` (unknown and inactive users left out,
/// no token narrowing), read in four queries per 500 ids however many there are: for
/// decisions about many people at once, such as who is told about a new ticket.
pub async fn load_actors(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Actor>> {
    let mut found: BTreeMap<i64, Actor> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let list = crate::storage::store::id_list(chunk.iter().copied());
        let users: Vec<(i64, String, String, String, String, Option<i64>)> =
            sqlx::query_as(&format!(
                "SELECT id, login, firstname, lastname, email, organization_id FROM users \
             WHERE active = 1 AND id IN ({list})"
            ))
            .persistent(false)
            .fetch_all(&mut *conn)
            .await?;
        for (id, login, firstname, lastname, email, organization_id) in users {
            let actor = Actor {
                id,
                login,
                firstname,
                lastname,
                email,
                organization_id,
                organization_ids: Vec::new(),
                shared_organization_ids: Vec::new(),
                permissions: Vec::new(),
                token_permissions: None,
                group_access: BTreeMap::new(),
            };
            found.insert(id, actor);
        }
        let permissions: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT ur.user_id, r.permissions FROM roles r JOIN user_roles ur ON ur.role_id = r.id \
             WHERE ur.user_id IN ({list}) AND r.active = 1"
        ))
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
        for (user_id, text) in permissions {
            if let Some(actor) = found.get_mut(&user_id) {
                let names: Vec<String> = serde_json::from_str(&text).unwrap_or_default();
                actor.permissions.extend(names);
            }
        }
        let organizations: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT u.id, o.id, o.shared FROM users u JOIN organizations o ON o.active = 1 \
             AND (o.id = u.organization_id OR o.id IN \
             (SELECT organization_id FROM user_organizations WHERE user_id = u.id)) \
             WHERE u.id IN ({list}) ORDER BY u.id, o.id"
        ))
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
        for (user_id, organization_id, shared) in organizations {
            if let Some(actor) = found.get_mut(&user_id) {
                actor.organization_ids.push(organization_id);
                if shared != 0 {
                    actor.shared_organization_ids.push(organization_id);
                }
            }
        }
        let grants: Vec<(i64, i64, String)> = sqlx::query_as(&format!(
            "SELECT ug.user_id, ug.group_id, ug.access FROM user_groups ug JOIN groups g ON g.id = ug.group_id \
             WHERE ug.user_id IN ({list}) AND g.active = 1 \
             UNION \
             SELECT ur.user_id, rg.group_id, rg.access FROM role_groups rg JOIN user_roles ur ON ur.role_id = rg.role_id \
             JOIN roles r ON r.id = rg.role_id JOIN groups g ON g.id = rg.group_id \
             WHERE ur.user_id IN ({list}) AND r.active = 1 AND g.active = 1"
        ))
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
        for (user_id, group_id, access) in grants {
            if let (Some(actor), Some(level)) =
                (found.get_mut(&user_id), AccessLevel::parse(&access))
            {
                actor
                    .group_access
                    .entry(group_id)
                    .or_default()
                    .insert(level);
            }
        }
    }
    Ok(ids
        .iter()
        .filter_map(|id| found.remove(id))
        .map(|mut actor| {
            // one role's permissions may repeat another's: a set, as before
            actor.permissions.sort();
            actor.permissions.dedup();
            actor
        })
        .collect())
}

/// "First Last", else the e-mail, else the login.
pub fn fullname(firstname: &str, lastname: &str, email: &str, login: &str) -> String {
    let name = format!("{} {}", firstname.trim(), lastname.trim())
        .trim()
        .to_string();
    if !name.is_empty() {
        name
    } else if !email.is_empty() {
        email.to_string()
    } else {
        login.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::permission_covers;

    #[test]
    fn parent_permissions_cover_children() {
        assert!(permission_covers("admin", "admin"));
        assert!(permission_covers("admin", "admin.user"));
        assert!(!permission_covers("admin.user", "admin"));
        assert!(!permission_covers("admin", "administrator"));
        assert!(!permission_covers("ticket.agent", "ticket.customer"));
    }
}
