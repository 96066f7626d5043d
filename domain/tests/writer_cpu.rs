//! SQLite's writer thread and the thread sqlx runs the writer connection's statements on share
//! one CPU (`storage::writer_thread`): a statement's hand-over between them then never wakes a
//! thread on another CPU. Linux only (it reads `/proc/self/task`); a test binary of its own, so
//! that no other store's threads are about.

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
    // a write and some reads, so the pool has opened connections of its own
    let mut tx = db.store.write().await.unwrap();
    sqlx::query("INSERT INTO settings (name, value) VALUES ('pinned', '1')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (mut a, mut b) = (
        db.store.read().await.unwrap(),
        db.store.read().await.unwrap(),
    );
    for conn in [&mut a, &mut b] {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM settings WHERE name = 'pinned'")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }

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
    assert!(workers.len() >= 2, "the pool's connections: {threads:?}");
    let pinned = workers.iter().filter(|cpus| ***cpus == cpu).count();
    assert_eq!(
        pinned, 1,
        "exactly the writer connection runs on CPU {cpu}: {threads:?}"
    );
    drop((a, b));
    db.finish().await;
}
