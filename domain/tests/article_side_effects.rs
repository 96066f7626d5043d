//! An article's write hands back the ticket as the article left it (its `UPDATE … RETURNING`,
//! so the use cases do not read the ticket again under the write lock): that ticket is what
//! the database then holds, and where something changed the ticket after the article (time
//! accounting, a customer's follow-up reopening it) there is none to trust — on SQLite and
//! PostgreSQL.

mod support;

use domain::Actor;
use domain::desk::Desk;
use domain::dialects::zammad::requests::{article_input, ticket_changes};
use domain::policy::access::load_actor;
use domain::storage::files::FileStore;
use domain::tickets::{self, TicketRecord, articles};
use serde_json::{Value, json};

async fn stored(db: &support::TestDb, id: i64) -> TicketRecord {
    let mut conn = db.store.read().await.unwrap();
    tickets::find(&mut conn, id).await.unwrap()
}

/// `articles::create` in a transaction of its own, committed: the ticket it handed back.
async fn add(
    db: &support::TestDb,
    files: &FileStore,
    actor: &Actor,
    body: Value,
) -> Option<TicketRecord> {
    let input = article_input(body).unwrap();
    let mut tx = db.store.write().await.unwrap();
    let (article, after) = articles::create(&mut tx, files, actor, &input, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(Some(article.ticket_id), input.ticket_id);
    after
}

#[tokio::test]
async fn an_article_hands_back_the_ticket_as_stored() {
    for db in support::backends().await {
        let ctx = db.name;
        let files = FileStore::new(
            std::env::temp_dir().join(format!("tandem-side-effects-{}", std::process::id())),
        );
        let desk = Desk::new(db.store.clone(), files.clone());
        let mut tx = db.store.write().await.unwrap();
        let ids = support::demo_accounts(&mut tx).await;
        tx.commit().await.unwrap();
        let mut conn = db.store.read().await.unwrap();
        let anna = load_actor(&mut conn, ids.agent1, None).await.unwrap();
        let nicole = load_actor(&mut conn, ids.nicole, None).await.unwrap();
        drop(conn);

        // a new ticket with its first article: the ticket after that article, as stored
        let created = desk
            .create_ticket(
                &anna,
                ticket_changes(json!({
                    "title": "Printer", "group": "Users", "customer": "nicole@customer.test",
                    "article": {"body": "It jams.", "type": "phone"}}))
                .unwrap(),
            )
            .await
            .unwrap()
            .ticket;
        assert_eq!(created.article_count, 1, "{ctx}");
        let id = created.id;
        assert_eq!(
            format!("{created:?}"),
            format!("{:?}", stored(&db, id).await),
            "{ctx}"
        );

        // an internal note, then a reply that counts as the first response: each hands back
        // the ticket the database holds afterwards (counters, contact times, state)
        for body in [
            json!({"ticket_id": id, "body": "checked the queue", "internal": true}),
            json!({"ticket_id": id, "body": "Please restart it.", "type": "phone"}),
        ] {
            let after = add(&db, &files, &anna, body.clone()).await;
            let after = after.unwrap_or_else(|| panic!("{ctx}: a ticket for {body}"));
            assert_eq!(
                format!("{after:?}"),
                format!("{:?}", stored(&db, id).await),
                "{ctx}: {body}"
            );
        }
        let answered = stored(&db, id).await;
        assert_eq!(answered.article_count, 3, "{ctx}");
        assert!(answered.first_response_at.is_some(), "{ctx}");

        // time spent changes the ticket after the article: nothing handed back
        let timed = json!({"ticket_id": id, "body": "on site", "internal": true, "time_unit": 15});
        assert!(add(&db, &files, &anna, timed).await.is_none(), "{ctx}");

        // a customer's follow-up on a closed ticket reopens it after the article: nothing
        // handed back, and the stored ticket is open again
        let close = ticket_changes(json!({"state": "closed"})).unwrap();
        desk.update_ticket(&anna, id, &close).await.unwrap();
        let follow_up = json!({"ticket_id": id, "body": "It jams again.", "type": "web"});
        assert!(
            add(&db, &files, &nicole, follow_up).await.is_none(),
            "{ctx}"
        );
        let reopened = stored(&db, id).await;
        assert_ne!(
            reopened.state_id,
            closed_state(&db).await,
            "{ctx}: reopened"
        );
        assert_eq!(reopened.article_count, 5, "{ctx}");
        db.finish().await;
    }
}

async fn closed_state(db: &support::TestDb) -> i64 {
    let mut conn = db.store.read().await.unwrap();
    sqlx::query_scalar("SELECT id FROM ticket_states WHERE name = 'closed'")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}
