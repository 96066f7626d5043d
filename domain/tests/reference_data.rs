//! The article senders and types the code names without a query (`articles::SENDERS`,
//! `articles::TYPES`) are exactly what the migrations seed, on both databases.

mod support;

use domain::tickets::articles::{SENDERS, TYPES};

#[tokio::test]
async fn seeded_senders_and_types_match_the_database() {
    for db in support::backends().await {
        let ctx = db.name;
        let mut conn = db.store.read().await.unwrap();
        for (table, seeded) in [
            ("ticket_article_senders", &SENDERS[..]),
            ("ticket_article_types", &TYPES[..]),
        ] {
            let stored: Vec<(i64, String)> =
                sqlx::query_as(&format!("SELECT id, name FROM {table} ORDER BY id"))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
            let mut expected: Vec<(i64, String)> =
                seeded.iter().map(|(id, n)| (*id, n.to_string())).collect();
            expected.sort();
            assert_eq!(stored, expected, "{ctx}: {table}");
        }
    }
}
