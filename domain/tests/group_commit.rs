//! SQLite group commit (`storage::group_commit`): concurrent writes share commits, yet every
//! write that was acknowledged is stored, and nothing of a write that failed, was dropped
//! half-way or whose batch failed is.

mod support;

use std::time::Duration;

use domain::Store;

/// A write as requests run it: begin, an insert, commit; `fail` returns an error after the
/// insert instead of committing (the transaction is dropped, as a request's `?` drops it).
async fn write(store: &Store, n: i64, fail: bool) -> domain::Result<()> {
    let mut tx = store.write().await?;
    sqlx::query("INSERT INTO settings (name, value) VALUES ($1, '1')")
        .bind(format!("gc-{n}"))
        .execute(&mut *tx)
        .await?;
    if fail {
        return Err(domain::Error::unprocessable("refused on purpose"));
    }
    tx.commit().await
}

async fn stored(store: &Store) -> Vec<i64> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM settings WHERE name LIKE 'gc-%'")
        .fetch_all(&mut *store.read().await.unwrap())
        .await
        .unwrap();
    let mut ids: Vec<i64> = names
        .iter()
        .map(|n| n.trim_start_matches("gc-").parse().unwrap())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_are_all_stored_and_failed_ones_not() {
    let db = support::sqlite().await;
    // the same database again, group commit asked for by name (on by default)
    let store = Store::connect_with_group_commit(&db.url, true)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for n in 0..400i64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let fail = n % 7 == 3;
            let dropped = n % 11 == 5;
            let outcome = if dropped {
                // dropped at some point of its way (a client that went away)
                let _ = tokio::time::timeout(
                    Duration::from_micros(50 * (n as u64 % 13)),
                    write(&store, n, false),
                )
                .await;
                None
            } else {
                Some(write(&store, n, fail).await.is_ok())
            };
            (n, outcome)
        }));
    }
    let mut acknowledged = Vec::new();
    let mut maybe = Vec::new();
    for task in tasks {
        let (n, outcome) = task.await.unwrap();
        match outcome {
            Some(true) => acknowledged.push(n),
            Some(false) => assert_eq!(n % 7, 3, "write {n} failed"),
            None => maybe.push(n),
        }
    }
    // one more write after all of them: it commits whatever a dropped write left in a batch
    write(&store, 10_000, false).await.unwrap();
    let rows = stored(&store).await;
    for n in &acknowledged {
        assert!(rows.contains(n), "acknowledged write {n} is not stored");
    }
    for n in &rows {
        assert!(
            acknowledged.contains(n) || maybe.contains(n) || *n == 10_000,
            "write {n} is stored although it failed"
        );
    }
    // and durable: a store opened afresh on the file sees the same
    store.close().await;
    let reopened = Store::connect_with_group_commit(&db.url, true)
        .await
        .unwrap();
    assert_eq!(stored(&reopened).await, rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_after_a_failed_one_starts_at_once() {
    let db = support::sqlite().await;
    // the same database again, group commit asked for by name (on by default)
    let store = &Store::connect_with_group_commit(&db.url, true)
        .await
        .unwrap();
    for n in 0..50 {
        assert!(write(store, n, n % 2 == 0).await.is_err() == (n % 2 == 0));
        tokio::time::timeout(Duration::from_secs(3), write(store, 1000 + n, false))
            .await
            .expect("the next write waited")
            .unwrap();
    }
    let rows = stored(store).await;
    assert_eq!(rows.len(), 25 + 50);
    assert!(rows.iter().all(|n| *n >= 1000 || n % 2 == 1));
}

/// Writer A holds an in-process lock (as a shared-draft room's write lock) across its commit;
/// writer B, queued behind A, takes that lock inside its transaction. `at_once`: A commits with
/// `WriteTx::commit_at_once`. Whether both finished within two seconds.
async fn lock_held_across_commit(store: &Store, at_once: bool) -> bool {
    let lock = std::sync::Arc::new(tokio::sync::Mutex::new(()));
    let (a_holds, b_may_start) = tokio::sync::oneshot::channel::<()>();
    let a = {
        let (store, lock) = (store.clone(), lock.clone());
        tokio::spawn(async move {
            let mut tx = store.write().await?;
            let guard = lock.lock().await;
            sqlx::query("INSERT INTO settings (name, value) VALUES ('gc-a', '1')")
                .execute(&mut *tx)
                .await?;
            let _ = a_holds.send(());
            // B is queued for the writer's turn by now
            tokio::time::sleep(Duration::from_millis(100)).await;
            let committed = if at_once {
                tx.commit_at_once().await
            } else {
                tx.commit().await
            };
            drop(guard);
            committed
        })
    };
    let b = {
        let (store, lock) = (store.clone(), lock.clone());
        tokio::spawn(async move {
            b_may_start.await.ok();
            let mut tx = store.write().await?;
            let _guard = lock.lock().await;
            sqlx::query("INSERT INTO settings (name, value) VALUES ('gc-b', '1')")
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })
    };
    let both = async {
        a.await.unwrap().unwrap();
        b.await.unwrap().unwrap();
    };
    tokio::time::timeout(Duration::from_secs(2), both)
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_holding_a_lock_across_its_commit_commits_at_once() {
    // the hazard: a batched commit waits for B, B for the lock A holds
    let hazard = support::sqlite().await;
    assert!(
        !lock_held_across_commit(&hazard.store, false).await,
        "a batched commit no longer waits for the writer after it: this test proves nothing"
    );
    let db = support::sqlite().await;
    for _ in 0..20 {
        assert!(
            lock_held_across_commit(&db.store, true).await,
            "commit_at_once waited for the writer after it"
        );
        let mut tx = db.store.write().await.unwrap();
        sqlx::query("DELETE FROM settings WHERE name LIKE 'gc-%'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
}

/// A batch's member is answered by another member's commit of the batch: it does not wait
/// for a writer turn of its own behind writers that queued after the batch was closed.
/// Writes A and B share a batch; A commits it while writer C, queued after B's savepoint,
/// holds the writer's turn and does not finish. B's commit must return before C ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_member_is_answered_without_a_writer_turn_of_its_own() {
    let db = support::sqlite().await;
    let store = &db.store;
    let mut a = store.write().await.unwrap();
    sqlx::query("INSERT INTO settings (name, value) VALUES ('gc-1', '1')")
        .execute(&mut *a)
        .await
        .unwrap();
    let (b_inserted, b_has_inserted) = tokio::sync::oneshot::channel::<()>();
    let (b_may_commit, b_commits) = tokio::sync::oneshot::channel::<()>();
    let b = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tx = store.write().await?;
            sqlx::query("INSERT INTO settings (name, value) VALUES ('gc-2', '1')")
                .execute(&mut *tx)
                .await?;
            let _ = b_inserted.send(());
            b_commits.await.ok();
            tx.commit().await
        })
    };
    // B queues for the writer's turn
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A joins the batch and queues to commit it; B takes the writer's turn meanwhile
    let a = tokio::spawn(async move { a.commit().await });
    b_has_inserted.await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // C queues behind A (and so before B's commit) and keeps its turn until told
    let (c_started, c_has_started) = tokio::sync::oneshot::channel::<()>();
    let (c_may_end, c_ends) = tokio::sync::oneshot::channel::<()>();
    let c = {
        let store = store.clone();
        tokio::spawn(async move {
            let tx = store.write().await?;
            let _ = c_started.send(());
            c_ends.await.ok();
            drop(tx);
            Ok::<(), domain::Error>(())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    b_may_commit.send(()).unwrap();
    // A's commit ends the batch; C then holds the turn
    tokio::time::timeout(Duration::from_secs(10), a)
        .await
        .expect("A's commit did not end")
        .unwrap()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), c_has_started)
        .await
        .expect("C never got the writer's turn")
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), b)
        .await
        .expect("B waited for C's turn to learn that A had committed its batch")
        .unwrap()
        .unwrap();
    assert_eq!(stored(store).await, vec![1, 2]);
    c_may_end.send(()).unwrap();
    c.await.unwrap().unwrap();
}
