//! The permission matrix: every kind of caller × every ticket/article action → allowed or not.
//! Callers are real users created through the domain services and loaded from the database,
//! on SQLite and (when configured) PostgreSQL.

mod support;

use std::collections::BTreeMap;

use domain::Actor;
use domain::accounts::groups::{self, GroupParams};
use domain::accounts::organizations::{self, OrganizationParams};
use domain::accounts::users::{self, AccessList, UserParams};
use domain::live::events::{Audience, Event};
use domain::policy::access::AccessLevel;
use domain::policy::access::load_actor;
use domain::policy::text_modules_macros as tools;
use domain::policy::{self, ArticleFacts, FollowUp, TicketFacts, TicketScope};

/// An enum of the matrix's rows or columns and `$all`, its variants in declaration order.
macro_rules! listed {
    ($name:ident, $all:ident { $($variant:ident,)* }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        enum $name {
            $($variant,)*
        }
        const $all: &[$name] = &[$($name::$variant,)*];
    };
}

listed!(
    Who,
    ALL_WHO {
        Admin,
        AgentFull,
        AgentReadOnly,
        AgentOtherGroup,
        CustomerOwner,
        CustomerSharedOrg,
        CustomerNonSharedOrg,
        OtherCustomer,
    }
);

listed!(
    Action,
    ALL_ACTIONS {
        ShowTicket,
        ListContainsTicket,
        UpdateTicket,
        CreateTicketInGroup,
        DeleteTicket,
        ShowPublicArticle,
        ShowInternalArticle,
        CreatePublicArticle,
        CreateInternalArticle,
        UpdateArticle,
        DeleteOwnNote,
        Mention,
        UseSharedDraft,
        WatchSharedDraft,
        ReopenClosedTicket,
        HearPublicChange,
        HearInternalChange,
        HearViewers,
        HearDeletion,
        ManageEmail,
        AccountTime,
        DeleteOtherUser,
        DeleteOrganization,
        ManageSettings,
        ReadTextModuleOfGroup,
        ManageTextModules,
        ReadMacroOfGroup,
        ManageMacros,
        ApplyMacro,
    }
);

use Action::*;
use Who::*;

/// The expected matrix, written out row by row (Y = allowed).
fn expected(who: Who, action: Action) -> bool {
    // columns:            Show List Upd  Crt  Del  ShP  ShI  CrP  CrI  UpA  DelN Ment Draft Watch Reopen
    //                     live events: HearPub HearInt Viewers Deleted
    //                     e-mail admin (addresses, mailboxes, failed mail, inbound endpoint)
    //                     AccountTime (record time) DeleteOtherUser DeleteOrganization
    //                     ManageSettings (password policy, ticket hook)
    //                     text modules and macros: ReadTextModuleOfGroup ManageTextModules
    //                     ReadMacroOfGroup ManageMacros ApplyMacro
    let row: [u8; 29] = match who {
        Admin => [
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        ],
        AgentFull => [
            1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1,
        ],
        AgentReadOnly => [
            1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        AgentOtherGroup => [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        CustomerOwner => [
            1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        CustomerSharedOrg => [
            1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        CustomerNonSharedOrg => [
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        OtherCustomer => [
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    };
    row[action as usize] == 1
}

/// The facts the matrix is evaluated on: one ticket per customer scenario.
struct World {
    actors: BTreeMap<Who, Actor>,
    group: i64,
    shared_ticket: TicketFacts,
    nonshared_ticket: TicketFacts,
}

impl World {
    /// The ticket a row is about: the non-shared-org colleague is asked about their org's ticket.
    fn ticket_for(&self, who: Who) -> TicketFacts {
        if who == CustomerNonSharedOrg {
            self.nonshared_ticket
        } else {
            self.shared_ticket
        }
    }
}

fn user(
    login: &str,
    org: Option<i64>,
    secondary: Vec<i64>,
    roles: Vec<i64>,
    groups: &[(i64, &str)],
) -> UserParams {
    UserParams {
        login: Some(login.into()),
        email: Some(format!("{login}@matrix.test")),
        firstname: Some(login.into()),
        organization_id: org.map(Some),
        organization_ids: Some(secondary),
        role_ids: Some(roles),
        group_ids: Some(
            groups
                .iter()
                .map(|(g, l)| (g.to_string(), AccessList::One(l.to_string())))
                .collect(),
        ),
        ..Default::default()
    }
}

async fn build_world(store: &domain::Store) -> World {
    let mut tx = store.write().await.unwrap();
    let other_group = groups::create(
        &mut tx,
        None,
        &GroupParams {
            name: Some("Other".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let group = 1;
    let shared = organizations::create(
        &mut tx,
        None,
        &OrganizationParams {
            name: Some("Shared Inc".into()),
            shared: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let nonshared = organizations::create(
        &mut tx,
        None,
        &OrganizationParams {
            name: Some("Private Ltd".into()),
            shared: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let (admin_role, agent_role, customer_role) = (1, 2, 3);
    let specs: Vec<(Who, UserParams)> = vec![
        (Admin, user("admin", None, vec![], vec![admin_role], &[])),
        (
            AgentFull,
            user(
                "agentfull",
                None,
                vec![],
                vec![agent_role],
                &[(group, "full")],
            ),
        ),
        (
            AgentReadOnly,
            user(
                "agentread",
                None,
                vec![],
                vec![agent_role],
                &[(group, "read")],
            ),
        ),
        (
            AgentOtherGroup,
            user(
                "agentother",
                None,
                vec![],
                vec![agent_role],
                &[(other_group, "full")],
            ),
        ),
        (
            CustomerOwner,
            user("owner", Some(shared), vec![], vec![customer_role], &[]),
        ),
        // a member of the shared organisation through a *secondary* membership
        (
            CustomerSharedOrg,
            user("colleague", None, vec![shared], vec![customer_role], &[]),
        ),
        (
            CustomerNonSharedOrg,
            user("private", Some(nonshared), vec![], vec![customer_role], &[]),
        ),
        (
            OtherCustomer,
            user("stranger", None, vec![], vec![customer_role], &[]),
        ),
    ];
    let mut ids = BTreeMap::new();
    for (who, params) in specs {
        ids.insert(who, users::create(&mut tx, None, &params).await.unwrap().id);
    }
    // The admin role alone carries no ticket.agent: admins delete without group access.
    let nonshared_owner = users::create(
        &mut tx,
        None,
        &user(
            "privateowner",
            Some(nonshared),
            vec![],
            vec![customer_role],
            &[],
        ),
    )
    .await
    .unwrap()
    .id;
    tx.commit().await.unwrap();

    let mut conn = store.read().await.unwrap();
    let mut actors = BTreeMap::new();
    for (who, id) in &ids {
        actors.insert(*who, load_actor(&mut conn, *id, None).await.unwrap());
    }
    World {
        actors,
        group,
        shared_ticket: TicketFacts {
            group_id: group,
            customer_id: ids[&CustomerOwner],
            organization_id: Some(shared),
            closed: false,
        },
        nonshared_ticket: TicketFacts {
            group_id: group,
            customer_id: nonshared_owner,
            organization_id: Some(nonshared),
            closed: false,
        },
    }
}

fn decide(world: &World, who: Who, action: Action) -> bool {
    let actor = &world.actors[&who];
    let ticket = world.ticket_for(who);
    let own_note = ArticleFacts {
        internal: true,
        created_by_id: actor.id,
        communication: false,
        age_seconds: 10,
    };
    // an active text module or macro limited to the ticket's group
    let groups = [world.group];
    let of_group = tools::ToolFacts {
        active: true,
        group_ids: &groups,
    };
    match action {
        ShowTicket => policy::can_show_ticket(actor, &ticket),
        ManageEmail => policy::can_manage_email_addresses(actor),
        AccountTime => policy::can_account_time(actor, &ticket),
        // someone else (the matrix's users are ids 2..; id 0 is nobody's)
        DeleteOtherUser => policy::can_delete_user(actor, 0),
        DeleteOrganization => policy::can_delete_organization(actor),
        ManageSettings => policy::can_manage_settings(actor),
        ReadTextModuleOfGroup => tools::can_read_text_module(actor, &of_group),
        ManageTextModules => tools::can_manage_text_modules(actor),
        ReadMacroOfGroup => tools::can_read_macro(actor, &of_group),
        ManageMacros => tools::can_manage_macros(actor),
        ApplyMacro => tools::can_apply_macro(actor, &of_group, &ticket),
        ListContainsTicket => TicketScope::for_actor(actor, AccessLevel::Read).contains(&ticket),
        UpdateTicket => {
            policy::authorize_update_ticket(actor, &ticket, Some(FollowUp::Yes)).is_ok()
        }
        CreateTicketInGroup => policy::can_create_ticket(actor, world.group, None),
        DeleteTicket => policy::authorize_delete_ticket(actor, &ticket).is_ok(),
        ShowPublicArticle => policy::can_show_article(actor, &ticket, false),
        ShowInternalArticle => policy::can_show_article(actor, &ticket, true),
        CreatePublicArticle => policy::can_create_article(actor, &ticket, false),
        CreateInternalArticle => policy::can_create_article(actor, &ticket, true),
        UpdateArticle => policy::can_update_article(actor, &ticket),
        DeleteOwnNote => policy::authorize_delete_article(actor, &ticket, &own_note, 600).is_ok(),
        Mention => policy::authorize_mention(actor, &ticket).is_ok(),
        UseSharedDraft => policy::can_use_shared_draft(actor, ticket.group_id),
        WatchSharedDraft => policy::can_watch_shared_draft(actor, &ticket),
        ReopenClosedTicket => {
            let closed = TicketFacts {
                closed: true,
                ..ticket
            };
            let allowed =
                policy::authorize_update_ticket(actor, &closed, Some(FollowUp::NewTicket)).is_ok();
            // the rule is read only where it decides; unread there, the update is refused
            assert_eq!(
                allowed,
                policy::authorize_update_ticket(actor, &closed, None).is_ok(),
                "an unread follow-up rule decides differently from `new_ticket`"
            );
            assert_eq!(
                allowed,
                !policy::follow_up_matters(actor, &closed)
                    && policy::can_change_ticket(actor, &closed)
            );
            allowed
        }
        HearPublicChange | HearInternalChange => domain::live::events::can_hear(
            actor,
            &Event::TicketChanged {
                ticket_id: 1,
                audience: Audience::of(&ticket),
                before: None,
                customer_visible: action == HearPublicChange,
            },
        ),
        HearViewers => domain::live::events::can_hear(
            actor,
            &Event::Viewers {
                ticket_id: 1,
                audience: Audience::of(&ticket),
                viewers: vec![],
            },
        ),
        HearDeletion => domain::live::events::can_hear(
            actor,
            &Event::TicketDeleted {
                ticket_id: 1,
                audience: Audience::of(&ticket),
            },
        ),
    }
}

#[tokio::test]
async fn permission_matrix_on_every_backend() {
    for db in support::backends().await {
        let mut world = build_world(&db.store).await;
        // Admins in Tandem also hold the Agent role with full access to every group.
        {
            let mut tx = db.store.write().await.unwrap();
            let admin_id = world.actors[&Admin].id;
            sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, 2)")
                .bind(admin_id)
                .execute(&mut *tx)
                .await
                .unwrap();
            domain::setup::seeds::grant_all_groups(&mut tx, admin_id)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let mut conn = db.store.read().await.unwrap();
            world
                .actors
                .insert(Admin, load_actor(&mut conn, admin_id, None).await.unwrap());
        }
        let mut failures = Vec::new();
        for &who in ALL_WHO {
            for &action in ALL_ACTIONS {
                let got = decide(&world, who, action);
                if got != expected(who, action) {
                    failures.push(format!(
                        "{}: {who:?} × {action:?}: expected {}, got {got}",
                        db.name,
                        expected(who, action)
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "matrix mismatches:\n{}",
            failures.join("\n")
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn admin_without_group_access_may_delete_but_not_read() {
    for db in support::backends().await {
        let world = build_world(&db.store).await;
        let admin = &world.actors[&Admin]; // Admin role only, no agent role, no groups
        assert!(
            policy::authorize_delete_ticket(admin, &world.shared_ticket).is_ok(),
            "{}",
            db.name
        );
        assert!(
            !policy::can_show_ticket(admin, &world.shared_ticket),
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn token_permissions_narrow_the_user() {
    for db in support::backends().await {
        let world = build_world(&db.store).await;
        let mut conn = db.store.read().await.unwrap();
        let full = world.actors[&AgentFull].id;
        let narrowed = load_actor(&mut conn, full, Some(vec!["user_preferences".into()]))
            .await
            .unwrap();
        assert!(!narrowed.is_agent(), "{}", db.name);
        assert!(
            !policy::can_show_ticket(&narrowed, &world.shared_ticket),
            "{}",
            db.name
        );
        let agent_token = load_actor(&mut conn, full, Some(vec!["ticket.agent".into()]))
            .await
            .unwrap();
        assert!(
            policy::can_show_ticket(&agent_token, &world.shared_ticket),
            "{}",
            db.name
        );
        drop(conn);
        db.finish().await;
    }
}

#[tokio::test]
async fn delete_note_rules_in_order() {
    let db = support::sqlite().await;
    let world = build_world(&db.store).await;
    let agent = &world.actors[&AgentFull];
    let t = &world.shared_ticket;
    let note = |created_by_id, communication, internal, age_seconds| ArticleFacts {
        internal,
        created_by_id,
        communication,
        age_seconds,
    };
    let msg = |r: Result<(), domain::Error>| r.err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        msg(policy::authorize_delete_article(
            agent,
            t,
            &note(999, false, true, 1),
            600
        )),
        "Not authorized (you can only delete your own notes)!"
    );
    assert_eq!(
        msg(policy::authorize_delete_article(
            agent,
            t,
            &note(agent.id, true, false, 1),
            600
        )),
        "Not authorized (communication articles cannot be deleted)!"
    );
    assert!(
        policy::authorize_delete_article(agent, t, &note(agent.id, true, true, 1), 600).is_ok()
    );
    assert_eq!(
        msg(policy::authorize_delete_article(
            agent,
            t,
            &note(agent.id, false, true, 601),
            600
        )),
        "Not authorized (note is too old to be deleted)!"
    );
    assert!(
        policy::authorize_delete_article(agent, t, &note(agent.id, false, true, 99_999), 0).is_ok()
    );
    let customer = &world.actors[&CustomerOwner];
    assert_eq!(
        msg(policy::authorize_delete_article(
            customer,
            t,
            &note(customer.id, false, false, 1),
            600
        )),
        "Not authorized (agent permission required)!"
    );
    db.finish().await;
}

/// The field matrix: what each kind of caller sees of another user, of a group and of an
/// organisation wherever such a record is embedded (Zammad's field scopes).
#[tokio::test]
async fn field_matrix_on_every_backend() {
    use domain::policy::fields::{
        CUSTOMER_VISIBLE_GROUP_FIELDS, CUSTOMER_VISIBLE_USER_FIELDS, FieldScope, group_scope,
        organization_scope, user_scope,
    };
    let private_user = serde_json::json!({
        "id": 99, "firstname": "Olga", "lastname": "Owner", "image": null, "image_source": null,
        "active": true, "email": "olga@x.test", "phone": "1", "street": "s", "note": "internal",
        "last_login": "2026-01-01", "login_failed": 3, "group_ids": {"1": ["full"]},
        "preferences": {"locale": "de"}, "login": "olga"
    });
    let group = serde_json::json!({"id": 1, "name": "Users", "note": "staff only",
        "follow_up_possible": "yes", "reopen_time_in_days": 0, "active": true,
        "email_address_id": null, "signature_id": null, "shared_drafts": true});
    let org = serde_json::json!({"id": 5, "name": "Acme", "note": "staff only", "shared": true});
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let sorted = |fields: &[&str]| -> Vec<String> {
        let mut k: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        k.sort();
        k
    };
    for db in support::backends().await {
        let world = build_world(&db.store).await;
        for &who in ALL_WHO {
            let actor = &world.actors[&who];
            let staff = matches!(who, Admin | AgentFull | AgentReadOnly | AgentOtherGroup);
            // another user's record
            let mut seen = private_user.clone();
            user_scope(actor, 99).apply(&mut seen);
            let want = if staff {
                keys(&private_user)
            } else {
                sorted(CUSTOMER_VISIBLE_USER_FIELDS)
            };
            assert_eq!(
                keys(&seen),
                want,
                "{}: {who:?} sees of another user",
                db.name
            );
            // their own record: everything
            assert_eq!(
                user_scope(actor, actor.id),
                FieldScope::All,
                "{who:?} own account"
            );
            // a group: agents of the group (and admins) see all, others the customer scope
            let mut seen = group.clone();
            group_scope(actor, world.group).apply(&mut seen);
            let group_staff = matches!(who, Admin | AgentFull | AgentReadOnly);
            let want = if group_staff {
                keys(&group)
            } else {
                sorted(CUSTOMER_VISIBLE_GROUP_FIELDS)
            };
            assert_eq!(keys(&seen), want, "{}: {who:?} sees of the group", db.name);
            // an organisation: no internal note for customers
            let mut seen = org.clone();
            organization_scope(actor).apply(&mut seen);
            assert_eq!(
                seen.get("note").is_some(),
                staff,
                "{}: {who:?} sees the organisation's note",
                db.name
            );
        }
        db.finish().await;
    }
}
