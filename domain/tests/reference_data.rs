//! The article senders and types `storage::lookup` names and resolves without a query
//! (`ARTICLE_SENDERS`, `ARTICLE_TYPES`) are exactly what the migrations seed, on both
//! databases, and the lookups answer for them as the database does.

mod support;

use domain::storage::lookup::{self, ARTICLE_SENDERS, ARTICLE_TYPES, Named};

#[tokio::test]
async fn seeded_senders_and_types_match_the_database() {
    for db in support::backends().await {
        let ctx = db.name;
        let mut conn = db.store.read().await.unwrap();
        for (table, seeded) in [
            ("ticket_article_senders", &ARTICLE_SENDERS[..]),
            ("ticket_article_types", &ARTICLE_TYPES[..]),
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
        // the lookups answer without the database what it would answer, and ask it for the rest
        let ids = [1, 10, 99].into_iter().collect();
        let mut named = lookup::names_by_ids(&mut conn, Named::ArticleType, &ids)
            .await
            .unwrap();
        named.sort();
        assert_eq!(
            named,
            [(1, "email".to_string()), (10, "note".to_string())],
            "{ctx}"
        );
        for (name, id) in [("NOTE", 10), ("Twitter Status", 6)] {
            let found = lookup::id_by_name(&mut conn, Named::ArticleType, "type", name).await;
            assert_eq!(found.unwrap(), id, "{ctx}: {name}");
        }
        let sender = lookup::id_by_name(&mut conn, Named::ArticleSender, "sender", "customer");
        assert_eq!(sender.await.unwrap(), 2, "{ctx}");
        let unknown = lookup::id_by_name(&mut conn, Named::ArticleType, "type", "pigeon").await;
        assert!(unknown.unwrap_err().to_string().contains("pigeon"), "{ctx}");
        let missing = lookup::existing_id(&mut conn, Named::ArticleSender, "sender_id", 4).await;
        assert!(missing.is_err(), "{ctx}: sender 4 does not exist");
        let name = lookup::name_by_id(&mut conn, Named::ArticleSender, 3).await;
        assert_eq!(name.unwrap().as_deref(), Some("System"), "{ctx}");
        // the communication flag an article's side effects take without a query
        let flags: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, communication FROM ticket_article_types ORDER BY id")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        for (id, communication) in flags {
            assert_eq!(
                lookup::article_type_is_communication(id),
                Some(communication != 0),
                "{ctx}: type {id}"
            );
        }
        assert_eq!(lookup::article_type_is_communication(99), None, "{ctx}");
        drop(conn);
        db.finish().await;
    }
}
