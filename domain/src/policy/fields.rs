//! Which fields of a user, group or organisation record a caller may see, wherever such a
//! record is embedded (a ticket's `assets`, search results, the zoom bundle, a user's own
//! answer). Zammad's `ApplicationPolicy::FieldScope` as used by `app/policies/user_policy.rb`
//! (customers see of other users only their name, image and whether they are active) and
//! `app/policies/group_policy.rb` (customers see of a group only what the ticket view needs).

use serde_json::Value;

use super::access::{AccessLevel, Actor};

/// What a customer sees of any user but themselves (Zammad's user `customer_field_scope`).
pub const CUSTOMER_VISIBLE_USER_FIELDS: &[&str] = &[
    "id",
    "firstname",
    "lastname",
    "image",
    "image_source",
    "active",
];

/// What a customer sees of a group (Zammad's group `customer_field_scope`).
pub const CUSTOMER_VISIBLE_GROUP_FIELDS: &[&str] = &[
    "id",
    "name",
    "follow_up_possible",
    "reopen_time_in_days",
    "active",
];

/// Fields of an organisation only agents and admins see.
pub const STAFF_ONLY_ORGANIZATION_FIELDS: &[&str] = &["note"];

/// Which fields of a record the caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldScope {
    /// Every field.
    All,
    /// Only these fields.
    Allow(&'static [&'static str]),
    /// Every field but these.
    Deny(&'static [&'static str]),
}

impl FieldScope {
    /// Whether the scope lets `field` (a Zammad attribute name, e.g. `email`) through.
    pub fn allows(self, field: &str) -> bool {
        match self {
            FieldScope::All => true,
            FieldScope::Allow(fields) => fields.contains(&field),
            FieldScope::Deny(fields) => !fields.contains(&field),
        }
    }

    /// Removes from a rendered record (a JSON object) what the scope does not let through.
    pub fn apply(self, record: &mut Value) {
        if let Some(object) = record.as_object_mut() {
            object.retain(|k, _| self.allows(k));
        }
    }
}

/// Staff: agents and user or organisation admins.
fn is_staff(actor: &Actor) -> bool {
    actor.is_agent() || actor.has_permission("admin.user") || actor.has_permission("admin.*")
}

/// The fields of user `user_id` that `actor` sees: all of their own account, all for staff,
/// else [`CUSTOMER_VISIBLE_USER_FIELDS`].
pub fn user_scope(actor: &Actor, user_id: i64) -> FieldScope {
    if actor.id == user_id || is_staff(actor) {
        FieldScope::All
    } else {
        FieldScope::Allow(CUSTOMER_VISIBLE_USER_FIELDS)
    }
}

/// The fields of group `group_id` that `actor` sees: all for group admins and agents with
/// access to the group, else [`CUSTOMER_VISIBLE_GROUP_FIELDS`].
pub fn group_scope(actor: &Actor, group_id: i64) -> FieldScope {
    if actor.has_permission("admin.group") || actor.has_group_access(group_id, AccessLevel::Read) {
        FieldScope::All
    } else {
        FieldScope::Allow(CUSTOMER_VISIBLE_GROUP_FIELDS)
    }
}

/// The fields of an organisation that `actor` sees: all for staff, else all but
/// [`STAFF_ONLY_ORGANIZATION_FIELDS`].
pub fn organization_scope(actor: &Actor) -> FieldScope {
    if is_staff(actor) || actor.has_permission("admin.organization") {
        FieldScope::All
    } else {
        FieldScope::Deny(STAFF_ONLY_ORGANIZATION_FIELDS)
    }
}

/// Applies the scopes to an `assets` object (`{"User": {id: record}, "Group": …,
/// "Organization": …}`), in place.
pub fn filter_assets(actor: &Actor, assets: &mut serde_json::Map<String, Value>) {
    for (kind, records) in assets.iter_mut() {
        let Some(records) = records.as_object_mut() else {
            continue;
        };
        for (id, record) in records.iter_mut() {
            let id: i64 = id.parse().unwrap_or(0);
            match kind.as_str() {
                "User" => user_scope(actor, id).apply(record),
                "Group" => group_scope(actor, id).apply(record),
                "Organization" => organization_scope(actor).apply(record),
                _ => {}
            }
        }
    }
}
