//! A request whose future is dropped part-way (the client went away, a navigation aborted a
//! server-function call, a poller's timeout fired) must never leave a pooled connection inside
//! a transaction. Such a connection holds SQLite's write lock for good: every later write waits
//! for the busy timeout and fails with "database is locked", and handing the connection out
//! again fails with "attempted to call begin_with at non-zero transaction depth" (both seen
//! when a browser test navigated away during a write).
//!
//! The test drops a write at every point it can be dropped at (after 0, 1, 2, … polls, with
//! the database's worker thread given time in between) and checks after each that the next
//! write starts at once and that no connection is left in a transaction.

mod support;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use domain::Store;
use sqlx::Connection;

/// A write use case as requests run it: begin, one statement, commit.
async fn one_write(store: &Store, n: i64) -> domain::Result<()> {
    let mut tx = store.write().await?;
    sqlx::query("UPDATE settings SET value = value WHERE name = $1")
        .bind(format!("no-such-setting-{n}"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Polls `future` `polls` times (sleeping `gap` between polls, so the database's own thread
/// moves on), then drops it unless it finished.
async fn poll_then_drop<F: Future>(future: F, polls: usize, gap: Duration) {
    let mut future = pin!(future);
    for _ in 0..polls {
        let done = std::future::poll_fn(|cx: &mut Context<'_>| {
            Poll::Ready(future.as_mut().poll(cx).is_ready())
        })
        .await;
        if done {
            return;
        }
        tokio::time::sleep(gap).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_dropped_at_any_point_leaves_no_transaction_open() {
    let dbs = support::backends().await;
    let mut stores: Vec<(&'static str, Store)> = Vec::new();
    for db in &dbs {
        if db.name == "sqlite" {
            // SQLite without group commit too (the default batches writes as savepoints of
            // a shared transaction; here every write is a transaction of its own)
            let alone = Store::connect_with_group_commit(&db.url, false)
                .await
                .unwrap();
            stores.push(("sqlite, no group commit", alone));
        }
        stores.push((db.name, db.store.clone()));
    }
    for (ctx, store) in &stores {
        let ctx = *ctx;
        for polls in 0..24 {
            for gap_us in [0u64, 50, 200, 1_000] {
                poll_then_drop(
                    one_write(store, polls as i64),
                    polls,
                    Duration::from_micros(gap_us),
                )
                .await;
                // the next write starts at once (a leftover transaction would hold the lock
                // until the 10 s busy timeout, or fail its BEGIN)
                tokio::time::timeout(Duration::from_secs(3), one_write(store, 1))
                    .await
                    .unwrap_or_else(|_| {
                        panic!("{ctx}: a write after a drop at poll {polls} waited 3 s")
                    })
                    .unwrap_or_else(|e| {
                        panic!("{ctx}: a write after a drop at poll {polls} failed: {e}")
                    });
            }
        }
        if store.backend() == domain::storage::store::Backend::Postgres {
            // no session of this database is left inside a transaction (a dropped write's
            // ROLLBACK is queued on its connection and runs as the connection goes back to
            // the pool: it may take a moment)
            let mut conn = store.read().await.unwrap();
            let mut open = -1i64;
            for _ in 0..30 {
                open = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND state LIKE 'idle in transaction%'",
                )
                .fetch_one(&mut *conn)
                .await
                .unwrap();
                if open == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(open, 0, "{ctx}: sessions left inside a transaction");
        }
        // every connection the pool hands out is outside any transaction
        let mut held = Vec::new();
        for _ in 0..4 {
            let conn = store.read().await.unwrap();
            assert!(
                !conn.is_in_transaction(),
                "{ctx}: a pooled connection is still in a transaction"
            );
            held.push(conn);
        }
    }
    for (_, store) in &stores {
        store.close().await;
    }
    for db in dbs {
        db.finish().await;
    }
}
