//! SQLite's writer thread and the thread sqlx runs the writer connection's statements on share
//! one CPU (`storage::writer_thread`): a statement's hand-over between them then never wakes a
//! thread on another CPU. No other connection runs there, not even one a checkpoint started by
//! a commit on the writer thread opens. Linux only (it reads `/proc/self/task`); a test binary
//! of its own, so that no other store's threads are about.

mod support;

#[cfg(target_os = "linux")]
/// `(thread name, CPUs it may run on)` for every thread of this process, as Linux lists them
/// (`Cpus_allowed_list`, e.g. `0-1` or `1`).
fn threads() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let path = task.unwrap().path();
        let (Ok(name), Ok(status)) = (
            std::fs::read_to_string(path.join("comm")),
            std::fs::read_to_string(path.join("status")),
        ) else {
            continue; // the thread ended meanwhile
        };
        let cpus = status
            .lines()
            .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
            .unwrap_or_default()
            .trim()
            .to_string();
        found.push((name.trim().to_string(), cpus));
    }
    found
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_writer_connection_runs_on_the_writer_threads_cpu() {
    let allowed = core_affinity::get_core_ids().map_or(0, |ids| ids.len());
    if allowed < 2 {
        println!("SKIPPED: this process may run on {allowed} CPU(s); nothing to pin");
        return;
    }
    let db = support::sqlite().await;
    let cpu = db
        .store
        .writer_cpu()
        .expect("the writer thread is pinned")
        .to_string();
    // reads hold connections the test's thread opened, so what a checkpoint needs it opens
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = db.store.read().await.unwrap();
        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM settings")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        held.push(conn);
    }
    // writes on the writer thread, as the busiest use cases run; their commits start the
    // checkpoints (and, with so short a log allowed, the log's restarts)
    let checkpointer = db.store.checkpointer().expect("a checkpointer");
    checkpointer.restart_after(1);
    for n in 0..50 {
        let store = db.store.clone();
        db.store
            .on_writer_thread(async move {
                support::put_setting(&store, &format!("pinned-{n}"), "1").await;
                Ok(())
            })
            .await
            .unwrap();
        if checkpointer.restarts() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    }
    assert!(
        checkpointer.restarts() > 0,
        "no checkpoint restarted the log"
    );

    let threads = threads();
    let writer: Vec<&String> = threads
        .iter()
        .filter(|(name, _)| name == "tandem-writer")
        .map(|(_, cpus)| cpus)
        .collect();
    assert_eq!(writer, [&cpu], "the writer thread: {threads:?}");
    // sqlx names a connection's thread `sqlx-sqlite-worker-N` (Linux keeps 15 bytes of it)
    let workers: Vec<&String> = threads
        .iter()
        .filter(|(name, _)| name.starts_with("sqlx-sqlite"))
        .map(|(_, cpus)| cpus)
        .collect();
    assert!(workers.len() >= 3, "the pool's connections: {threads:?}");
    let pinned = workers.iter().filter(|cpus| ***cpus == cpu).count();
    assert_eq!(
        pinned, 1,
        "exactly the writer connection runs on CPU {cpu}: {threads:?}"
    );
    drop(held);
    db.finish().await;
}
