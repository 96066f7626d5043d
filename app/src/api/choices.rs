//! The choices of the ticket selects (state, priority, group), read the same way for the
//! ticket sidebar, bulk actions and the macro form.

#[cfg(feature = "ssr")]
pub mod server {
    use domain::policy::access::{AccessLevel, Actor};
    use domain::tickets::states::StateRecord;
    use sqlx::AnyConnection;

    use crate::api::Choice;

    /// The states a ticket can be set to (not `merged` or `removed`), in their stored order.
    pub async fn settable_states(conn: &mut AnyConnection) -> domain::Result<Vec<StateRecord>> {
        Ok(domain::tickets::states::all(conn)
            .await?
            .into_iter()
            .filter(|s| !matches!(s.state_type.as_str(), "merged" | "removed"))
            .collect())
    }

    /// States as select choices.
    pub fn state_choices(states: Vec<StateRecord>) -> Vec<Choice> {
        states
            .into_iter()
            .map(|s| Choice {
                id: s.id,
                name: s.name,
            })
            .collect()
    }

    /// Every priority as a select choice.
    pub async fn priority_choices(conn: &mut AnyConnection) -> domain::Result<Vec<Choice>> {
        Ok(domain::tickets::priorities::all(conn)
            .await?
            .into_iter()
            .map(|p| Choice {
                id: p.id,
                name: p.name,
            })
            .collect())
    }

    /// The active groups `actor` may change tickets in, by name.
    pub async fn changeable_groups(
        conn: &mut AnyConnection,
        actor: &Actor,
    ) -> domain::Result<Vec<Choice>> {
        let mut groups = Vec::new();
        for id in actor.groups_with(AccessLevel::Change) {
            let group = match domain::accounts::groups::find(conn, id).await {
                Ok(group) => group,
                // deleted since the actor was loaded: nothing to offer
                Err(domain::Error::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            if group.active != 0 {
                groups.push(Choice {
                    id: group.id,
                    name: group.name,
                });
            }
        }
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(groups)
    }
}
