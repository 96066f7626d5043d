//! Case-folded columns (`storage::text`): rows a migration could fold only with SQL's
//! `lower()` (ASCII only on SQLite) are folded again in Rust when the store opens, on both
//! databases, and only once.

mod support;

use domain::Store;

#[tokio::test]
async fn columns_listed_by_a_migration_are_folded_again_in_rust() {
    for db in support::backends().await {
        let ctx = db.name;
        {
            let mut tx = db.store.write().await.unwrap();
            // as migration 0019 leaves a name beyond ASCII on SQLite: only ASCII folded
            sqlx::query(
                "INSERT INTO groups (name, name_downcase, created_by_id, updated_by_id, created_at, updated_at) \
                 VALUES ('ÄRZTE SÜD', 'ÄrZTE SÜD', 1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
            )
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "UPDATE users SET firstname = 'ØYVIND', name_downcase = 'Øyvind ' WHERE id = 1",
            )
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO text_folds (table_name, column_name, source) VALUES \
                 ('groups', 'name_downcase', 'name'), \
                 ('users', 'name_downcase', 'firstname || '' '' || lastname')",
            )
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        // opening the store again (as a restarted server does) folds them in Rust
        let reopened = Store::connect(&db.url).await.unwrap();
        let mut conn = reopened.read().await.unwrap();
        let group: String =
            sqlx::query_scalar("SELECT name_downcase FROM groups WHERE name = 'ÄRZTE SÜD'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(group, "ärzte süd", "{ctx}");
        let (first, last, folded): (String, String, String) =
            sqlx::query_as("SELECT firstname, lastname, name_downcase FROM users WHERE id = 1")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            folded,
            format!("øyvind {}", last.to_lowercase()),
            "{ctx}: {first}"
        );
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM text_folds")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(left, 0, "{ctx}: done once");
        drop(conn);
        reopened.close().await;
        db.finish().await;
    }
}
