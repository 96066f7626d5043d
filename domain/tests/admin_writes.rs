//! The writes the web app's admin area and profile added to the domain: the operator's
//! settings, unlocking an account, ending one's other sessions, and deactivation signing a user
//! out. On SQLite and (when configured) PostgreSQL.

mod support;

use std::time::Duration;

use domain::accounts::auth::{create_session, session_actor, sha256_hex};
use domain::accounts::users::{self, UserParams};
use domain::desk::settings::{self, OperatorSettings};
use domain::policy::access::load_actor;

#[tokio::test]
async fn operator_settings_unlock_sessions_and_deactivation() {
    for db in support::backends().await {
        let store = &db.store;
        let mut tx = store.write().await.unwrap();
        let ids = support::demo_accounts(&mut tx).await;
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let admin = load_actor(&mut conn, ids.admin, None).await.unwrap();
        let agent = load_actor(&mut conn, ids.agent1, None).await.unwrap();
        drop(conn);
        let ctx = db.name;

        // settings: admins only; values in range; stored and read back
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            settings::load(&mut conn, &agent)
                .await
                .unwrap_err()
                .status_code(),
            403,
            "{ctx}"
        );
        let current = settings::load(&mut conn, &admin).await.unwrap();
        drop(conn);
        assert_eq!(current.system_id, 31, "{ctx}");
        assert_eq!(current.ticket_hook, "Ticket#", "{ctx}");
        let wanted = OperatorSettings {
            password_min_size: 12,
            password_need_special: true,
            ticket_hook: " Case# ".into(),
            system_id: 99, // shown only: never stored from here
            ..current.clone()
        };
        assert_eq!(
            settings::save(store, &agent, &wanted)
                .await
                .unwrap_err()
                .status_code(),
            403,
            "{ctx}"
        );
        let stored = settings::save(store, &admin, &wanted).await.unwrap();
        assert_eq!(stored.password_min_size, 12, "{ctx}");
        assert!(stored.password_need_special, "{ctx}");
        assert_eq!(stored.ticket_hook, "Case#", "{ctx}");
        assert_eq!(stored.system_id, 31, "{ctx}");
        for bad in [
            OperatorSettings {
                password_min_size: 3,
                ..stored.clone()
            },
            OperatorSettings {
                ticket_hook: "  ".into(),
                ..stored.clone()
            },
            OperatorSettings {
                ticket_hook: "Ticket #".into(),
                ..stored.clone()
            },
        ] {
            assert_eq!(
                settings::save(store, &admin, &bad)
                    .await
                    .unwrap_err()
                    .status_code(),
                422,
                "{ctx}: {bad:?}"
            );
        }
        // the policy in force now asks for 12 characters and a special one
        let mut conn = store.read().await.unwrap();
        let policy = domain::accounts::passwords::PasswordPolicy::load(&mut conn)
            .await
            .unwrap();
        drop(conn);
        assert_eq!((policy.min_size, policy.need_special), (12, true), "{ctx}");

        // unlock: user admins only; clears the lock
        let mut tx = store.write().await.unwrap();
        sqlx::query("UPDATE users SET login_failed = 10, locked_until = $1 WHERE id = $2")
            .bind(domain::storage::clock::format(
                chrono::Utc::now() + chrono::Duration::minutes(15),
            ))
            .bind(ids.agent2)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let locked = |store: &domain::Store| {
            let store = store.clone();
            async move {
                let mut conn = store.read().await.unwrap();
                users::locked_until(&mut conn, ids.agent2).await.unwrap()
            }
        };
        assert!(locked(store).await.is_some(), "{ctx}");
        assert_eq!(
            users::unlock(store, &agent, ids.agent2)
                .await
                .unwrap_err()
                .status_code(),
            403,
            "{ctx}"
        );
        users::unlock(store, &admin, ids.agent2).await.unwrap();
        assert!(locked(store).await.is_none(), "{ctx}");

        // ending one's other sessions keeps the asking one
        let mut tx = store.write().await.unwrap();
        let here = create_session(&mut tx, ids.agent1, Duration::from_secs(3600))
            .await
            .unwrap();
        let elsewhere = create_session(&mut tx, ids.agent1, Duration::from_secs(3600))
            .await
            .unwrap();
        let bob = create_session(&mut tx, ids.agent2, Duration::from_secs(3600))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let keep = sha256_hex(&here.cookie_value);
        let ended = users::end_other_sessions(store, &agent, Some(&keep))
            .await
            .unwrap();
        assert_eq!(ended, 1, "{ctx}");
        let mut conn = store.read().await.unwrap();
        assert!(
            session_actor(&mut conn, &here.cookie_value)
                .await
                .unwrap()
                .is_some(),
            "{ctx}"
        );
        assert!(
            session_actor(&mut conn, &elsewhere.cookie_value)
                .await
                .unwrap()
                .is_none(),
            "{ctx}"
        );
        // another user's session is untouched
        assert!(
            session_actor(&mut conn, &bob.cookie_value)
                .await
                .unwrap()
                .is_some(),
            "{ctx}"
        );
        drop(conn);

        // deactivating a user ends their sessions
        users::update_user(
            store,
            &admin,
            ids.agent2,
            UserParams {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let mut conn = store.read().await.unwrap();
        assert!(
            session_actor(&mut conn, &bob.cookie_value)
                .await
                .unwrap()
                .is_none(),
            "{ctx}"
        );
        drop(conn);
        db.finish().await;
    }
}
