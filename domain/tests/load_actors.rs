//! `load_actors` (everyone's permissions read at once, for notifications) answers exactly what
//! `load_actor` answers for each user alone: the same permissions, organisations and group
//! access; inactive users are left out.

mod support;

use domain::policy::access::{load_actor, load_actors};

#[tokio::test]
async fn load_actors_matches_load_actor_for_every_user() {
    for db in support::backends().await {
        let ctx = db.name;
        let mut tx = db.store.write().await.unwrap();
        let demo = support::demo_accounts(&mut tx).await;
        // a secondary organisation and an inactive user make the comparison richer
        sqlx::query("INSERT INTO user_organizations (user_id, organization_id) SELECT $1, id FROM organizations")
            .bind(demo.nicole)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("UPDATE users SET active = 0 WHERE id = $1")
            .bind(demo.sam)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut conn = db.store.read().await.unwrap();
        let mut ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM users ORDER BY id DESC")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        ids.push(999_999); // unknown: left out
        let together = load_actors(&mut conn, &ids).await.unwrap();
        let mut alone = Vec::new();
        for id in &ids {
            if let Ok(actor) = load_actor(&mut conn, *id, None).await {
                alone.push(actor);
            }
        }
        assert!(alone.len() >= 4, "{ctx}: demo users");
        assert!(
            together.iter().all(|a| a.id != demo.sam),
            "{ctx}: inactive left out"
        );
        assert_eq!(
            format!("{together:?}"),
            format!("{alone:?}"),
            "{ctx}: same actors, in the order asked"
        );
        assert!(
            together.iter().any(|a| a.organization_ids.len() > 1),
            "{ctx}: a secondary organisation is read"
        );
        assert!(
            together.iter().any(|a| !a.group_access.is_empty()),
            "{ctx}: group access is read"
        );
        drop(conn);
        db.finish().await;
    }
}
