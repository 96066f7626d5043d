//! Credentials are checked against the database once, not once per concurrent request:
//! requests with the same credential that miss the cache together wait for the first check
//! (`AuthCache::checking`) instead of each hashing the password (issue 14's first Basic-auth
//! run: 64 clients of one integration starting at once).

mod support;

use domain::accounts::auth::{Credentials, Lockout, authenticate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_with_one_credential_check_it_once() {
    for db in support::backends().await {
        let ctx = db.name;
        let lockout = with_demo_accounts(&db.store).await;
        let before = db.store.auth_cache().credentials_checked();
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (store, lockout) = (db.store.clone(), lockout.clone());
            tasks.push(tokio::spawn(async move {
                sign_in(&store, &lockout, "agent1@tandem.test").await
            }));
        }
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap().expect("signed in"));
        }
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ctx}: {ids:?}");
        assert_eq!(
            db.store.auth_cache().credentials_checked() - before,
            1,
            "{ctx}: the password was checked more than once"
        );
        // a wrong password is not cached: every attempt is checked (and counted for lockout)
        let wrong = Credentials::Basic {
            login: "agent1@tandem.test".into(),
            password: "not the password".into(),
        };
        let before = db.store.auth_cache().credentials_checked();
        for _ in 0..3 {
            assert!(
                authenticate(&db.store, &wrong, &lockout, "test")
                    .await
                    .is_err()
            );
        }
        assert_eq!(
            db.store.auth_cache().credentials_checked() - before,
            3,
            "{ctx}"
        );
        db.finish().await;
    }
}

/// The demo accounts stored; a fresh lockout policy.
async fn with_demo_accounts(store: &domain::Store) -> Lockout {
    let mut tx = store.write().await.unwrap();
    support::demo_accounts(&mut tx).await;
    tx.commit().await.unwrap();
    Lockout::default()
}

/// Signs in with Basic auth as `login` (the demo password): the user's id, or the error.
async fn sign_in(store: &domain::Store, lockout: &Lockout, login: &str) -> Result<i64, String> {
    let credentials = Credentials::Basic {
        login: login.into(),
        password: domain::setup::demo::PASSWORD.into(),
    };
    authenticate(store, &credentials, lockout, "test")
        .await
        .map(|a| a.actor.id)
        .map_err(|e| e.to_string())
}

/// A committed change to an account is seen by the very next request, though a commit no
/// longer makes the next request read the `auth_generation` counter: the commit reads it in
/// its own transaction (`AuthCache::observe`), also when the change was committed by another
/// write's batch (SQLite's group commit). Settings read through `settings::cached` follow the
/// same generation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_change_is_seen_by_the_next_request() {
    for db in support::backends().await {
        let ctx = db.name;
        let lockout = with_demo_accounts(&db.store).await;
        // both credentials checked once (a first sign-in records `last_login`, which leaves
        // the auth generation as it is), then served by the cache
        let before = db.store.auth_cache().credentials_checked();
        for login in ["agent1@tandem.test", "agent2@tandem.test"] {
            sign_in(&db.store, &lockout, login).await.expect(ctx);
        }
        for login in ["agent1@tandem.test", "agent2@tandem.test"] {
            sign_in(&db.store, &lockout, login).await.expect(ctx);
        }
        assert_eq!(
            db.store.auth_cache().credentials_checked() - before,
            2,
            "{ctx}: a sign-in after the first was not served by the cache"
        );

        // a write of its own: the next request refuses the deactivated account at once
        let mut tx = db.store.write().await.unwrap();
        sqlx::query("UPDATE users SET active = 0 WHERE login = 'agent1@tandem.test'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            sign_in(&db.store, &lockout, "agent1@tandem.test")
                .await
                .is_err(),
            "{ctx}: a deactivated account still signs in after the commit"
        );

        // the same change among concurrent writes (committed in one batch on SQLite)
        let mut writes = Vec::new();
        for i in 0..8 {
            let store = db.store.clone();
            writes.push(tokio::spawn(async move {
                let mut tx = store.write().await.unwrap();
                let statement = if i == 4 {
                    "UPDATE users SET active = 0 WHERE login = 'agent2@tandem.test'"
                } else {
                    "UPDATE settings SET value = value WHERE name = 'no such setting'"
                };
                sqlx::query(statement).execute(&mut *tx).await.unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for write in writes {
            write.await.unwrap();
        }
        assert!(
            sign_in(&db.store, &lockout, "agent2@tandem.test")
                .await
                .is_err(),
            "{ctx}: a deactivated account still signs in after its batch committed"
        );

        // a setting read through the cache: the changed value right after the commit
        let fqdn = || domain::storage::settings::cached::<String>(&db.store, "fqdn");
        let mut tx = db.store.write().await.unwrap();
        domain::storage::settings::set(&mut tx, "fqdn", &serde_json::json!("one.example"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            fqdn().await.unwrap().as_deref(),
            Some("one.example"),
            "{ctx}"
        );
        assert_eq!(
            fqdn().await.unwrap().as_deref(),
            Some("one.example"),
            "{ctx}"
        );
        let mut tx = db.store.write().await.unwrap();
        domain::storage::settings::set(&mut tx, "fqdn", &serde_json::json!("two.example"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            fqdn().await.unwrap().as_deref(),
            Some("two.example"),
            "{ctx}"
        );
        db.finish().await;
    }
}

/// Every update of a user's names or preferences bumps the auth generation (migration 0026),
/// as one of their login or e-mail does: the values kept under it (who hears of a new ticket,
/// with their notification settings) are read again after it. `last_login` does not.
#[tokio::test]
async fn names_and_preferences_bump_the_auth_generation() {
    for db in support::backends().await {
        let ctx = db.name;
        with_demo_accounts(&db.store).await;
        let mut conn = db.store.read().await.unwrap();
        let mut generation = domain::storage::auth_cache::generation(&mut conn)
            .await
            .unwrap();
        drop(conn);
        for (change, bumps) in [
            ("preferences = '{\"x\":1}'", true),
            ("firstname = 'Ann'", true),
            ("lastname = 'Other'", true),
            ("email = 'a@b.test'", true),
            ("last_login = updated_at", false),
        ] {
            let statement = format!("UPDATE users SET {change} WHERE login = 'agent1@tandem.test'");
            let mut tx = db.store.write().await.unwrap();
            sqlx::query(&statement).execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
            let mut conn = db.store.read().await.unwrap();
            let now = domain::storage::auth_cache::generation(&mut conn)
                .await
                .unwrap();
            assert_eq!(now > generation, bumps, "{ctx}: {statement}");
            generation = now;
        }
        db.finish().await;
    }
}
