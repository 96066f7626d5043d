//! The in-memory ticket cache never answers with a ticket older than the last commit: every
//! change made in SQL (whatever code path makes it) is forgotten when its transaction commits,
//! a rolled-back change is not, and on PostgreSQL another instance hears of it through NOTIFY.

mod support;

use std::time::Duration;

use domain::tickets::cache::load_cached;

async fn seed(db: &support::TestDb) {
    let mut tx = db.store.write().await.unwrap();
    let accounts = support::demo_accounts(&mut tx).await;
    for id in [1, 2] {
        sqlx::query(
            "INSERT INTO tickets (id, number, title, group_id, priority_id, state_id, owner_id, customer_id, \
             article_count, preferences, created_by_id, updated_by_id, created_at, updated_at) \
             VALUES ($1, $2, 'first title', 1, 2, 2, 1, $3, 0, '{}', 1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
        )
        .bind(id)
        .bind(format!("3100{id}"))
        .bind(accounts.nicole)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn title(store: &domain::Store, id: i64) -> Result<String, domain::Error> {
    Ok(load_cached(store, id).await?.record.title.clone())
}

async fn write(store: &domain::Store, sql: &str, commit: bool) {
    let mut tx = store.write().await.unwrap();
    sqlx::query(sql).execute(&mut *tx).await.unwrap();
    if commit {
        tx.commit().await.unwrap();
    }
}

/// Whether ticket `id` stays cached once the seed's own commit notifications have arrived: on
/// PostgreSQL they travel through NOTIFY and may make the cache forget the ticket once more
/// after the first read (forgetting is always safe); the ticket is read again until it stays
/// cached for 200 ms, within 5 s.
async fn cached_once_settled(store: &domain::Store, id: i64) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        let _ = title(store, id).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        if store.ticket_cache().get(id).is_some() {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn a_commit_makes_the_cache_forget() {
    for db in support::backends().await {
        let store = &db.store;
        let ctx = db.name;
        seed(&db).await;
        if db.name == "postgres" {
            // serves once its LISTEN connection is up
            assert!(store.ticket_cache().is_enabled(), "{ctx}: cache on");
        }
        assert_eq!(title(store, 1).await.unwrap(), "first title", "{ctx}");
        assert!(cached_once_settled(store, 1).await, "{ctx}: cached");

        // a rolled-back change: the cached ticket is still the truth
        write(
            store,
            "UPDATE tickets SET title = 'never' WHERE id = 1",
            false,
        )
        .await;
        assert!(store.ticket_cache().get(1).is_some(), "{ctx}: kept");
        assert_eq!(title(store, 1).await.unwrap(), "first title", "{ctx}");

        // a committed change, made in plain SQL: forgotten, the next read sees it
        write(
            store,
            "UPDATE tickets SET title = 'second' WHERE id = 1",
            true,
        )
        .await;
        assert_eq!(title(store, 1).await.unwrap(), "second", "{ctx}");
        // the other ticket stays cached (once it is: a load that overlapped the arrival of
        // an earlier change notification rightly does not store what it read)
        for _ in 0..100 {
            title(store, 2).await.unwrap();
            if store.ticket_cache().get(2).is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        write(
            store,
            "UPDATE tickets SET title = 'third' WHERE id = 1",
            true,
        )
        .await;
        assert!(store.ticket_cache().get(2).is_some(), "{ctx}: others kept");
        assert_eq!(title(store, 1).await.unwrap(), "third", "{ctx}");

        // a state's type changes: every ticket is forgotten (whether it is closed may change)
        write(
            store,
            "UPDATE ticket_states SET note = 'x' WHERE id = 2",
            true,
        )
        .await;
        assert!(
            store.ticket_cache().get(2).is_none(),
            "{ctx}: all forgotten"
        );

        // deleted: 404, not the cached ticket
        title(store, 2).await.unwrap();
        write(store, "DELETE FROM tickets WHERE id = 2", true).await;
        let gone = title(store, 2).await.unwrap_err();
        assert_eq!(gone.status_code(), 404, "{ctx}: {gone:?}");

        // the shortcut for agents answers what the general renderer answers
        let mut conn = store.read().await.unwrap();
        let agent1: i64 =
            sqlx::query_scalar("SELECT id FROM users WHERE login = 'agent1@tandem.test'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        let actor = domain::policy::access::load_actor(&mut conn, agent1, None)
            .await
            .unwrap();
        let shown: serde_json::Value = serde_json::from_slice(
            &domain::dialects::zammad::tickets::show_ticket(store, &actor, 1, Default::default())
                .await
                .unwrap(),
        )
        .unwrap();
        let record = domain::tickets::find(&mut conn, 1).await.unwrap();
        let rendered =
            domain::dialects::zammad::tickets::render_for(&mut conn, &actor, &record, false, false)
                .await
                .unwrap();
        assert_eq!(shown, rendered, "{ctx}");
        drop(conn);

        // nothing stays behind between transactions
        assert_eq!(changed_left(store).await, 0, "{ctx}");
        db.finish().await;
    }
}

/// Rows left in `changed_tickets`: on SQLite every commit takes them out; PostgreSQL lists
/// the changed tickets in the transaction itself (migration 0028) and writes none.
async fn changed_left(store: &domain::Store) -> i64 {
    let mut conn = store.read().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM changed_tickets")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

/// Ticket `id`'s title as `store` reads it once it is `expected` (another instance's change,
/// heard through NOTIFY), or as it still reads after 2 s.
async fn title_once_heard(store: &domain::Store, id: i64, expected: &str) -> String {
    let mut seen = String::new();
    for _ in 0..100 {
        seen = title(store, id).await.unwrap();
        if seen == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    seen
}

#[tokio::test]
async fn another_instance_hears_of_changes() {
    let Some(db) = support::postgres_if_configured().await else {
        return;
    };
    seed(&db).await;
    let other = domain::Store::connect(&db.url).await.unwrap();
    assert_eq!(title(&other, 1).await.unwrap(), "first title");
    assert!(cached_once_settled(&other, 1).await);

    write(
        &db.store,
        "UPDATE tickets SET title = 'changed elsewhere' WHERE id = 1",
        true,
    )
    .await;
    assert_eq!(
        title_once_heard(&other, 1, "changed elsewhere").await,
        "changed elsewhere",
        "the other instance's cache forgot it"
    );
    other.close().await;
    db.finish().await;
}

/// PostgreSQL: an instance that ends right after its commit (`tandem mail deliver`, run by
/// the mail server for each message) still tells the others: closing the store sends what it
/// has yet to announce.
#[tokio::test]
async fn a_store_closed_after_its_commit_has_announced_it() {
    let Some(db) = support::postgres_if_configured().await else {
        return;
    };
    seed(&db).await;
    assert!(cached_once_settled(&db.store, 1).await);
    let brief = domain::Store::connect(&db.url).await.unwrap();
    write(
        &brief,
        "UPDATE tickets SET title = 'delivered' WHERE id = 1",
        true,
    )
    .await;
    brief.close().await;
    assert_eq!(
        title_once_heard(&db.store, 1, "delivered").await,
        "delivered",
        "the long-running instance forgot it"
    );
    db.finish().await;
}

/// Concurrent writes (on SQLite they share batches: the batch's commit takes the changed
/// tickets out of `changed_tickets`, not each write): every ticket any of them changed is
/// forgotten once they are answered, and nothing stays behind in the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_forget_every_ticket_they_changed() {
    for db in support::backends().await {
        let ctx = db.name;
        let store = &db.store;
        seed(&db).await;
        for id in [1, 2] {
            assert!(cached_once_settled(store, id).await, "{ctx}: {id} cached");
        }
        let writes: Vec<_> = (0..24)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let sql = format!(
                        "UPDATE tickets SET title = 'title {n}' WHERE id = {}",
                        1 + n % 2
                    );
                    write(&store, &sql, true).await;
                })
            })
            .collect();
        for w in writes {
            w.await.unwrap();
        }
        let mut conn = store.read().await.unwrap();
        for id in [1i64, 2] {
            let truth: String = sqlx::query_scalar("SELECT title FROM tickets WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_ne!(truth, "first title", "{ctx}");
            assert_eq!(title(store, id).await.unwrap(), truth, "{ctx}: {id}");
        }
        drop(conn);
        assert_eq!(changed_left(store).await, 0, "{ctx}");
        db.finish().await;
    }
}

/// PostgreSQL: what a commit announces to the other instances, after it committed
/// (`ticket_cache::TAKE_POSTGRES`, `TicketCache::announce`): the tickets the triggers listed,
/// once each; `*` when a state changed (every ticket) or the list grew too long; nothing for a
/// transaction that changed no ticket or was rolled back, and nothing of a savepoint rolled
/// back.
#[tokio::test]
async fn commits_announce_what_they_changed() {
    let Some(db) = support::postgres_if_configured().await else {
        return;
    };
    seed(&db).await;
    // 2,000 more tickets: their ids listed are longer than a notification carries
    support::execute(
        &db.store,
        "INSERT INTO tickets (id, number, title, group_id, priority_id, state_id, owner_id, customer_id, \
         article_count, preferences, created_by_id, updated_by_id, created_at, updated_at) \
         SELECT n, 'many' || n, 'many', 1, 2, 2, 1, 1, 0, '{}', 1, 1, '2026-01-01T00:00:00.000Z', \
         '2026-01-01T00:00:00.000Z' FROM generate_series(1000001, 1002000) AS n",
    )
    .await;
    let mut listener = sqlx::postgres::PgListener::connect(&db.url).await.unwrap();
    listener
        .listen(domain::storage::ticket_cache::CHANNEL)
        .await
        .unwrap();
    // a marker, heard after whatever the set-up announced
    write(
        &db.store,
        "UPDATE tickets SET title = 'marker' WHERE id = 2",
        true,
    )
    .await;
    loop {
        let heard = tokio::time::timeout(Duration::from_secs(5), listener.recv())
            .await
            .expect("the marker")
            .unwrap();
        if heard.payload() == "2" {
            break;
        }
    }
    let transactions: [(&[&str], bool, &str); 7] = [
        (
            &[
                "UPDATE tickets SET title = 'a' WHERE id = 2",
                "UPDATE tickets SET title = 'b' WHERE id = 1",
                "UPDATE tickets SET title = 'c' WHERE id = 2",
            ],
            true,
            "1,2",
        ),
        (
            &["UPDATE ticket_states SET note = 'x' WHERE id = 2"],
            true,
            "*",
        ),
        (
            &["UPDATE tickets SET note = 'all' WHERE id > 1000000"],
            true,
            "*",
        ),
        (&["UPDATE settings SET name = name WHERE false"], true, ""),
        (
            &["UPDATE tickets SET title = 'never' WHERE id = 1"],
            false,
            "",
        ),
        (
            &[
                "SAVEPOINT undone",
                "UPDATE tickets SET title = 'undone' WHERE id = 2",
                "ROLLBACK TO SAVEPOINT undone",
                "UPDATE tickets SET title = 'kept' WHERE id = 1",
            ],
            true,
            "1",
        ),
        (&["DELETE FROM tickets WHERE id = 2"], true, "2"),
    ];
    for (statements, commit, expected) in transactions {
        let mut tx = db.store.write().await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(&mut *tx).await.unwrap();
        }
        if commit {
            tx.commit().await.unwrap();
        } else {
            drop(tx);
        }
        if expected.is_empty() {
            continue; // the next case's notification shows none came in between
        }
        let heard = tokio::time::timeout(Duration::from_secs(5), listener.recv())
            .await
            .expect("a notification")
            .unwrap();
        assert_eq!(heard.payload(), expected, "{statements:?}");
    }
    db.finish().await;
}

/// The cache's misses are read on the store's reader connection on SQLite
/// (`tickets::load_many_sqlite`) and its reader pool on PostgreSQL
/// (`tickets::load_many_postgres`), not as `tickets::load` reads: they must read every column
/// as it does (a ticket with every optional column but its organisation filled, and one with
/// only that) and whether the state is closed (also once a state's type changed), leave out
/// ids that do not exist, and see a commit made after they last read.
#[tokio::test]
async fn the_batch_readers_read_what_the_pool_reads() {
    for db in support::backends().await {
        seed(&db).await;
        write(
            &db.store,
            "UPDATE tickets SET note = 'a note', first_response_at = '2026-01-02T00:00:00.000Z', \
             close_at = '2026-01-03T00:00:00.000Z', last_close_at = '2026-01-04T00:00:00.000Z', \
             last_contact_at = '2026-01-05T00:00:00.000Z', last_contact_agent_at = '2026-01-06T00:00:00.000Z', \
             last_contact_customer_at = '2026-01-07T00:00:00.000Z', last_owner_update_at = '2026-01-08T00:00:00.000Z', \
             create_article_type_id = 11, create_article_sender_id = 12, article_count = 13, \
             pending_time = '2026-01-09T00:00:00.000Z', preferences = '{\"channel_id\":3}', time_unit = 2.5, \
             state_id = 4, priority_id = 3, group_id = (SELECT MAX(id) FROM groups), \
             owner_id = (SELECT MAX(id) FROM users), \
             created_by_id = 14, updated_by_id = 15, updated_at = '2026-01-10T00:00:00.000Z' WHERE id = 1",
            true,
        )
        .await;
        // ticket 1's organisation stays empty: every id of the demo's organisations is one
        // of its other numbers already; ticket 2 gets one
        write(
            &db.store,
            "UPDATE tickets SET organization_id = (SELECT MAX(id) FROM organizations) WHERE id = 2",
            true,
        )
        .await;
        let store = db.store.clone();
        let read = |ids: Vec<i64>| {
            let store = store.clone();
            async move { batch_read(&store, ids).await }
        };
        let found = read(vec![1, 2, 99]).await;
        assert_eq!(found.len(), 2, "an id without a ticket is left out");
        for (record, closed) in &found {
            let (expected, facts) =
                domain::tickets::load(&mut db.store.read().await.unwrap(), record.id)
                    .await
                    .unwrap();
            assert_eq!(format!("{record:?}"), format!("{expected:?}"));
            assert_eq!(*closed, facts.closed);
        }
        // ticket 1's numbers differ from each other, so a reader that swapped two columns
        // fails the comparison above
        let t = &found[0].0;
        let numbers = [
            t.id,
            t.group_id,
            t.priority_id,
            t.state_id,
            t.owner_id,
            t.customer_id,
            t.create_article_type_id.unwrap(),
            t.create_article_sender_id.unwrap(),
            t.article_count,
            t.created_by_id,
            t.updated_by_id,
        ];
        let distinct: std::collections::BTreeSet<i64> = numbers.iter().copied().collect();
        assert_eq!(distinct.len(), numbers.len(), "{numbers:?}");
        assert!(found[0].1, "ticket 1's state (4) is closed");
        assert!(found[0].0.time_unit == Some(2.5) && found[0].0.note.is_some());
        assert!(!found[1].1 && found[1].0.note.is_none());

        write(
            &db.store,
            "UPDATE tickets SET title = 'second title' WHERE id = 2",
            true,
        )
        .await;
        assert_eq!(read(vec![2]).await[0].0.title, "second title");
        assert_eq!(title(&db.store, 2).await.unwrap(), "second title");

        // ticket 2's state (2, open) becomes a closed one, then open again
        let closed_type = "(SELECT id FROM ticket_state_types WHERE name = 'closed')";
        write(
            &db.store,
            &format!("UPDATE ticket_states SET state_type_id = {closed_type} WHERE id = 2"),
            true,
        )
        .await;
        assert!(read(vec![2]).await[0].1, "state 2 is closed now");
        write(
            &db.store,
            "UPDATE ticket_states SET state_type_id = \
             (SELECT id FROM ticket_state_types WHERE name = 'open') WHERE id = 2",
            true,
        )
        .await;
        assert!(!read(vec![1, 2]).await[1].1, "state 2 is open again");
        db.finish().await;
    }
}

/// The store's batch read of `ids` (`tickets::cache::BatchSource`, as the cache's misses are
/// read), sorted by id: on its SQLite reader connection or its PostgreSQL reader pool, never
/// the main pool's `tickets::load_many` (what it is compared with).
async fn batch_read(
    store: &domain::Store,
    ids: Vec<i64>,
) -> Vec<(domain::tickets::TicketRecord, bool)> {
    use domain::tickets::cache::BatchSource;
    let source = BatchSource::of(store);
    assert!(
        !matches!(source, BatchSource::Pool(_)),
        "a store on a SQLite file or on PostgreSQL has a batch reader"
    );
    let mut found = source.read(ids).await.unwrap();
    found.sort_by_key(|(record, _)| record.id);
    found
}
