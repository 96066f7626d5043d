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
        let mut tx = db.store.write().await.unwrap();
        support::demo_accounts(&mut tx).await;
        tx.commit().await.unwrap();
        let lockout = Lockout::default();
        let before = db.store.auth_cache().credentials_checked();
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (store, lockout) = (db.store.clone(), lockout.clone());
            tasks.push(tokio::spawn(async move {
                let credentials = Credentials::Basic {
                    login: "agent1@tandem.test".into(),
                    password: domain::setup::demo::PASSWORD.into(),
                };
                authenticate(&store, &credentials, &lockout, "test")
                    .await
                    .map(|a| a.actor.id)
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
    }
}
