//! The query planner's statistics as Tandem keeps them (`Store::analyze`, `Store::connect`):
//! SQLite keeps `sqlite_stat1` and never `sqlite_stat4` samples, with which every statement
//! comparing a bound value with an index's leading column would be compiled again on each
//! execution. PostgreSQL's `ANALYZE` runs as it is.

mod support;

use domain::Store;

const NOW: &str = "2026-01-01T00:00:00.000Z";

/// Rows in `table` (0 when it does not exist).
async fn rows(store: &Store, table: &str) -> i64 {
    let exists: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_schema WHERE name = $1")
        .bind(table)
        .fetch_one(store.pool())
        .await
        .unwrap();
    if exists == 0 {
        return 0;
    }
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// `count` tickets numbered from `first`: enough for `ANALYZE` to sample the tickets' indexes.
async fn add_tickets(store: &Store, first: i64, count: i64) {
    let mut tx = store.write().await.unwrap();
    for n in 0..count {
        sqlx::query(
            "INSERT INTO tickets (number, title, group_id, priority_id, state_id, owner_id, \
             customer_id, created_by_id, updated_by_id, created_at, updated_at) \
             VALUES ($1, 'statistics', 1, 2, 1, 1, 1, 1, 1, $2, $2)",
        )
        .bind(format!("{}", first + n))
        .bind(NOW)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn sqlite_keeps_stat1_and_no_stat4_samples() {
    let db = support::sqlite().await;
    add_tickets(&db.store, 80_000, 200).await;

    // an administrator's `ANALYZE` (the sqlite3 shell) stores samples ...
    sqlx::query("ANALYZE")
        .execute(db.store.pool())
        .await
        .unwrap();
    assert!(
        rows(&db.store, "sqlite_stat4").await > 0,
        "this SQLite build keeps no STAT4 samples: the test checks nothing"
    );
    let stat1 = rows(&db.store, "sqlite_stat1").await;
    assert!(stat1 > 0);

    // ... which the next start of Tandem removes, keeping the rest
    db.store.close().await;
    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(
        rows(&store, "sqlite_stat4").await,
        0,
        "samples left at start"
    );
    assert_eq!(
        rows(&store, "sqlite_stat1").await,
        stat1,
        "sqlite_stat1 lost"
    );

    // Tandem's own `ANALYZE` leaves none either
    add_tickets(&store, 80_200, 100).await;
    store.analyze().await.unwrap();
    assert_eq!(
        rows(&store, "sqlite_stat4").await,
        0,
        "samples left by analyze"
    );
    let tickets_list: Option<String> =
        sqlx::query_scalar("SELECT stat FROM sqlite_stat1 WHERE idx = 'tickets_list'")
            .fetch_optional(store.pool())
            .await
            .unwrap();
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(tickets >= 300);
    assert_eq!(
        tickets_list.as_deref().and_then(|s| s.split(' ').next()),
        Some(tickets.to_string().as_str()),
        "sqlite_stat1 counts the tickets"
    );
    // and a ticket is read by its id as before
    let number: String =
        sqlx::query_scalar("SELECT number FROM tickets WHERE id = (SELECT max(id) FROM tickets)")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(number, "80299");
    store.close().await;
    db.finish().await;
}

#[tokio::test]
async fn postgres_analyze_runs() {
    let Some(db) = support::postgres_if_configured().await else {
        return;
    };
    add_tickets(&db.store, 80_000, 10).await;
    db.store.analyze().await.unwrap();
    let analyzed: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'tickets' AND last_analyze IS NOT NULL",
    )
    .fetch_optional(db.store.pool())
    .await
    .unwrap();
    assert_eq!(analyzed, Some(1));
    db.finish().await;
}
