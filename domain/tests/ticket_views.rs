//! Unread markers: what each agent has seen of a ticket (`ticket_views`, migration 0022) and
//! which tickets changed since, by someone else — on SQLite and PostgreSQL.

mod support;

use std::time::Duration;

use domain::Actor;
use domain::desk::Desk;
use domain::dialects::zammad::requests::ticket_changes;
use domain::policy::access::load_actor;
use domain::storage::files::FileStore;
use domain::tickets::views;
use serde_json::json;

struct People {
    anna: Actor,
    admin: Actor,
    bob: Actor,
    nicole: Actor,
    lee: Actor,
}

async fn people(db: &support::TestDb) -> People {
    let mut tx = db.store.write().await.unwrap();
    let ids = support::demo_accounts(&mut tx).await;
    tx.commit().await.unwrap();
    let mut conn = db.store.read().await.unwrap();
    let mut load = async |id| load_actor(&mut conn, id, None).await.unwrap();
    People {
        anna: load(ids.agent1).await,
        admin: load(ids.admin).await,
        bob: load(ids.agent2).await,
        nicole: load(ids.nicole).await,
        lee: load(ids.lee).await,
    }
}

async fn unread(desk: &Desk, actor: &Actor, ids: &[i64]) -> Vec<i64> {
    desk.unread_tickets(actor, ids).await.unwrap()
}

async fn version(desk: &Desk, id: i64) -> String {
    let mut conn = desk.store.read().await.unwrap();
    domain::tickets::find(&mut conn, id)
        .await
        .unwrap()
        .updated_at
}

async fn seen(desk: &Desk, actor: &Actor, id: i64) -> Option<String> {
    let mut conn = desk.store.read().await.unwrap();
    views::seen(&mut conn, actor.id, id).await.unwrap()
}

/// Timestamps have milliseconds: a pause keeps two writes from sharing one.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

#[tokio::test]
async fn a_ticket_is_unread_when_someone_else_changed_it_after_the_agent_saw_it() {
    for db in support::backends().await {
        let name = db.name;
        let files = FileStore::new(
            std::env::temp_dir().join(format!("tandem-views-files-{}", std::process::id())),
        );
        let desk = Desk::new(db.store.clone(), files);
        let p = people(&db).await;
        let create = |group: &str| {
            ticket_changes(json!({
                "title": "Printer", "group": group, "customer": "nicole@customer.test",
                "article": {"body": "It jams.", "type": "phone"}}))
            .unwrap()
        };
        let users = desk
            .create_ticket(&p.anna, create("Users"))
            .await
            .unwrap()
            .ticket
            .id;
        let sales = desk
            .create_ticket(&p.anna, create("Sales"))
            .await
            .unwrap()
            .ticket
            .id;
        let both = [users, sales];

        // the writer's own change never makes it unread for them; never opened by others: unread
        assert_eq!(
            unread(&desk, &p.anna, &both).await,
            Vec::<i64>::new(),
            "{name}"
        );
        assert_eq!(
            unread(&desk, &p.admin, &both).await,
            vec![users, sales],
            "{name}"
        );
        // only tickets the agent may read: Bob reads Users, not Sales
        assert_eq!(unread(&desk, &p.bob, &both).await, vec![users], "{name}");

        // the admin opens the Users ticket: read
        let shown = version(&desk, users).await;
        desk.record_ticket_view(&p.admin, users, &shown)
            .await
            .unwrap();
        assert_eq!(
            seen(&desk, &p.admin, users).await.as_deref(),
            Some(shown.as_str()),
            "{name}"
        );
        assert_eq!(unread(&desk, &p.admin, &both).await, vec![sales], "{name}");

        // Anna changes it: unread for the admin again, still read for Anna
        tick().await;
        let priority = ticket_changes(json!({"priority_id": 3})).unwrap();
        desk.update_ticket(&p.anna, users, &priority).await.unwrap();
        assert_eq!(
            unread(&desk, &p.admin, &both).await,
            vec![users, sales],
            "{name}"
        );
        assert_eq!(
            unread(&desk, &p.anna, &both).await,
            Vec::<i64>::new(),
            "{name}"
        );

        // an older version recorded late (a slow tab) never replaces a newer one
        let newer = version(&desk, users).await;
        desk.record_ticket_view(&p.admin, users, &newer)
            .await
            .unwrap();
        desk.record_ticket_view(&p.admin, users, &shown)
            .await
            .unwrap();
        assert_eq!(
            seen(&desk, &p.admin, users).await,
            Some(newer.clone()),
            "{name}"
        );
        assert_eq!(unread(&desk, &p.admin, &both).await, vec![sales], "{name}");

        // a version from the future counts as the ticket's own
        desk.record_ticket_view(&p.admin, sales, "2999-01-01T00:00:00.000Z")
            .await
            .unwrap();
        assert_eq!(
            seen(&desk, &p.admin, sales).await,
            Some(version(&desk, sales).await),
            "{name}"
        );
        assert_eq!(
            unread(&desk, &p.admin, &both).await,
            Vec::<i64>::new(),
            "{name}"
        );
        tick().await;
        desk.update_ticket(&p.anna, sales, &priority).await.unwrap();
        assert_eq!(unread(&desk, &p.admin, &both).await, vec![sales], "{name}");
        let shown = version(&desk, sales).await;
        desk.record_ticket_view(&p.admin, sales, &shown)
            .await
            .unwrap();

        // a customer's new article marks it unread for the admin; the admin's own reply does not
        tick().await;
        let reply =
            ticket_changes(json!({"article": {"body": "Still jams.", "type": "web"}})).unwrap();
        desk.update_ticket(&p.nicole, users, &reply).await.unwrap();
        assert_eq!(unread(&desk, &p.admin, &both).await, vec![users], "{name}");
        tick().await;
        let note = ticket_changes(json!({"article": {"body": "On it.", "type": "note"}})).unwrap();
        desk.update_ticket(&p.admin, users, &note).await.unwrap();
        assert_eq!(
            unread(&desk, &p.admin, &both).await,
            Vec::<i64>::new(),
            "{name}"
        );
        // … but it does for Anna, who saw neither
        assert_eq!(unread(&desk, &p.anna, &both).await, vec![users], "{name}");
        // a tag is a change too
        tick().await;
        desk.change_tag(&p.anna, sales, "printer", true)
            .await
            .unwrap();
        assert_eq!(unread(&desk, &p.admin, &both).await, vec![sales], "{name}");

        // customers have no markers and store nothing; nobody records a ticket they can't read
        desk.record_ticket_view(&p.nicole, users, &version(&desk, users).await)
            .await
            .unwrap();
        assert_eq!(seen(&desk, &p.nicole, users).await, None, "{name}");
        assert_eq!(
            unread(&desk, &p.nicole, &both).await,
            Vec::<i64>::new(),
            "{name}"
        );
        assert!(
            desk.record_ticket_view(&p.lee, users, &version(&desk, users).await)
                .await
                .is_err(),
            "{name}: Lee may not read Nicole's ticket"
        );
        assert_eq!(seen(&desk, &p.lee, users).await, None, "{name}");
        assert!(
            desk.record_ticket_view(&p.admin, users, "yesterday")
                .await
                .is_err(),
            "{name}: not a timestamp"
        );

        // a deleted ticket takes its views along
        desk.delete_ticket(&p.admin, users).await.unwrap();
        assert_eq!(seen(&desk, &p.admin, users).await, None, "{name}");
        assert_eq!(unread(&desk, &p.admin, &both).await, vec![sales], "{name}");

        drop(desk);
        db.finish().await;
    }
}
