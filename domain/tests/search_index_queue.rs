//! SQLite: the search rows of new articles and of new or renamed tickets wait in a queue of
//! the writing connection and reach the FTS5 index with their transaction's commit
//! (`storage::search_index_queue`), and the write-ahead log is checkpointed off the writer
//! (`storage::wal_checkpoint`). Every committed article and ticket is found by its own word,
//! nothing of a failed or dropped write is in the index, a row removed in the transaction
//! that queued it stays out, a renamed ticket is found by its new title only, and the log
//! does not grow without bound.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use domain::Store;
use domain::tickets::search_index;

const NOW: &str = "2026-01-01T00:00:00.000Z";

async fn new_ticket(store: &Store) -> i64 {
    let mut tx = store.write().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tickets (number, title, group_id, priority_id, state_id, owner_id, customer_id, \
         created_by_id, updated_by_id, created_at, updated_at) \
         VALUES ('90001', 'queue', 1, 2, 1, 1, 1, 1, 1, $1, $1) RETURNING id",
    )
    .bind(NOW)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// What a write does with its article after indexing it.
#[derive(Clone, Copy, Debug)]
enum Ending {
    Commit,
    /// An error after the article and its row were written: rolled back.
    Fail,
    /// The caller goes away at some point of the write.
    Dropped,
    /// The row is removed again (`remove_article`), the article kept: no row.
    RemoveRow,
    /// The article is deleted with its row in the same transaction: no row.
    DeleteArticle,
}

fn ending(n: i64) -> Ending {
    match n % 6 {
        1 => Ending::Fail,
        2 => Ending::Dropped,
        3 => Ending::RemoveRow,
        4 => Ending::DeleteArticle,
        _ => Ending::Commit,
    }
}

/// The word only article `n` contains.
fn word(n: i64) -> String {
    format!("queueword{n}")
}

async fn write(store: &Store, ticket: i64, n: i64, end: Ending) -> domain::Result<()> {
    let mut tx = store.write().await?;
    let body = format!("{} shared text", word(n));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ticket_articles (ticket_id, type_id, sender_id, content_type, body, internal, preferences, \
         subject, created_by_id, updated_by_id, created_at, updated_at) \
         VALUES ($1, 10, 2, 'text/plain', $2, 0, '{}', $3, 1, 1, $4, $4) RETURNING id",
    )
    .bind(ticket)
    .bind(&body)
    .bind(format!("n{n}"))
    .bind(NOW)
    .fetch_one(&mut *tx)
    .await?;
    let text = search_index::article_text(Some(&format!("n{n}")), &body, None, None);
    search_index::index_article(&mut tx, id, &text).await?;
    match end {
        Ending::Fail => return Err(domain::Error::unprocessable("refused on purpose")),
        Ending::RemoveRow => search_index::remove_article(&mut tx, id).await?,
        Ending::DeleteArticle => {
            search_index::remove_article(&mut tx, id).await?;
            sqlx::query("DELETE FROM ticket_articles WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Ending::Commit | Ending::Dropped => {}
    }
    tx.commit().await
}

/// Runs writes `from..to` concurrently; returns those acknowledged and those whose outcome
/// the caller never learnt (dropped).
async fn run_writes(store: &Store, ticket: i64, from: i64, to: i64) -> (Vec<i64>, Vec<i64>) {
    let mut tasks = Vec::new();
    for n in from..to {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let end = ending(n);
            let outcome = match end {
                Ending::Dropped => {
                    let _ = tokio::time::timeout(
                        Duration::from_micros(40 * (n as u64 % 17)),
                        write(&store, ticket, n, Ending::Commit),
                    )
                    .await;
                    None
                }
                _ => Some(write(&store, ticket, n, end).await.is_ok()),
            };
            (n, outcome)
        }));
    }
    let (mut acknowledged, mut unknown) = (Vec::new(), Vec::new());
    for task in tasks {
        let (n, outcome) = task.await.unwrap();
        match (ending(n), outcome) {
            (_, None) => unknown.push(n),
            (Ending::Commit | Ending::RemoveRow | Ending::DeleteArticle, Some(true)) => {
                acknowledged.push(n)
            }
            (Ending::Fail, Some(false)) => {}
            (end, Some(ok)) => panic!("write {n} ({end:?}) ended with ok = {ok}"),
        }
    }
    (acknowledged, unknown)
}

/// Checks the index against the articles stored: exactly the committed ones that keep their
/// row are indexed, each found by its own word.
async fn check_index(store: &Store, acknowledged: &[i64], unknown: &[i64]) {
    let mut conn = store.read().await.unwrap();
    let stored: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, subject FROM ticket_articles WHERE subject LIKE 'n%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    let indexed: BTreeSet<i64> = sqlx::query_scalar("SELECT rowid FROM article_fts")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let mut expected = BTreeSet::new();
    for (id, subject) in &stored {
        let n: i64 = subject[1..].parse().unwrap();
        match ending(n) {
            Ending::Commit => {
                assert!(
                    acknowledged.contains(&n) || unknown.contains(&n),
                    "write {n} is stored but failed"
                );
                expected.insert(*id);
                let found: Vec<i64> =
                    sqlx::query_scalar("SELECT rowid FROM article_fts WHERE article_fts MATCH $1")
                        .bind(word(n))
                        .fetch_all(&mut *conn)
                        .await
                        .unwrap();
                assert_eq!(found, vec![*id], "article {n} is found by its word");
            }
            Ending::Dropped => {
                expected.insert(*id);
            }
            Ending::RemoveRow => {}
            Ending::DeleteArticle | Ending::Fail => panic!("write {n} left its article"),
        }
    }
    for n in acknowledged {
        if matches!(ending(*n), Ending::Commit | Ending::RemoveRow) {
            assert!(
                stored.iter().any(|(_, s)| s == &format!("n{n}")),
                "acknowledged write {n} is stored"
            );
        }
    }
    assert_eq!(
        indexed, expected,
        "the index holds exactly the committed rows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queued_search_rows_reach_the_index_with_their_commit_and_only_then() {
    let db = support::sqlite().await;
    let ticket = new_ticket(&db.store).await;
    // group commit (the default): writes share batches, each in a savepoint of its own
    let (mut acknowledged, mut unknown) = run_writes(&db.store, ticket, 0, 240).await;
    // one transaction per write: the queue moves with each commit
    let single = Store::connect_with_group_commit(&db.url, false)
        .await
        .unwrap();
    let (more, more_unknown) = run_writes(&single, ticket, 240, 360).await;
    acknowledged.extend(more);
    unknown.extend(more_unknown);
    assert!(acknowledged.len() > 150, "most writes were acknowledged");
    check_index(&db.store, &acknowledged, &unknown).await;
    // later batches add their rows and leave the earlier ones as they were
    let (last, _) = run_writes(&db.store, ticket, 360, 372).await;
    acknowledged.extend(last);
    check_index(&db.store, &acknowledged, &unknown).await;
    single.close().await;
    db.store.close().await;
}

/// Both FTS5 tables merge 16 segments at a time and merge a whole level at once only past 64
/// segments (migration `0025_search_merges.sql`): with FTS5's defaults every 64 leaf pages a
/// commit merged 64 x levels pages while the single writer waited (14-166 ms for 1 % of the
/// benchmark's batches). The settings live in each table's `_config` table, so every
/// connection, and a database migrated from an earlier version, uses them.
#[tokio::test]
async fn the_search_index_merges_sixteen_segments_at_a_time() {
    let db = support::sqlite().await;
    let mut conn = db.store.read().await.unwrap();
    for table in ["article_fts", "ticket_fts"] {
        let settings: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT k, v FROM {table}_config WHERE k IN ('automerge', 'crisismerge') ORDER BY k"
        ))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert_eq!(
            settings,
            [
                ("automerge".to_string(), 16),
                ("crisismerge".to_string(), 64)
            ],
            "{table}"
        );
    }
    drop(conn);
    db.store.close().await;
}

/// Every SQLite connection of a store reads with the same settings (`SQLITE_READ_SETTINGS`,
/// one batch of statements): the pool's connections and the ticket cache's reader wait 10 s
/// for a lock, map up to 1 GiB of the file and keep a 32 MiB page cache; the pool's have
/// automatic checkpoints off.
#[tokio::test]
async fn every_connection_reads_with_the_same_settings() {
    const PRAGMAS: [&str; 3] = [
        "PRAGMA busy_timeout",
        "PRAGMA mmap_size",
        "PRAGMA cache_size",
    ];
    let db = support::sqlite().await;
    let mut conn = db.store.read().await.unwrap();
    let mut pooled = Vec::new();
    for pragma in PRAGMAS {
        let value: i64 = sqlx::query_scalar(pragma)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        pooled.push(value);
    }
    assert_eq!(pooled, [10_000, 1_073_741_824, -32_768]);
    let checkpoints: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(checkpoints, 0);
    drop(conn);
    let reader: Vec<i64> = db
        .store
        .sqlite_reader()
        .expect("a SQLite store has a reader")
        .run(|conn| {
            PRAGMAS
                .iter()
                .map(|pragma| conn.query_row(pragma, [], |r| r.get(0)))
                .collect()
        })
        .await
        .unwrap();
    assert_eq!(reader, pooled);
    db.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_ahead_log_is_checkpointed_off_the_writer() {
    let db = support::sqlite().await;
    let wal = log_file(&db.url);
    let blob = "x".repeat(400_000);
    // 30 writes of 400 KB, spaced past the checkpoint interval: 12 MB through the log
    for n in 0..30 {
        support::put_setting(&db.store, &format!("wal-{n}"), &blob).await;
        tokio::time::sleep(domain::storage::wal_checkpoint::INTERVAL + Duration::from_millis(20))
            .await;
    }
    let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    // automatic checkpoints are off: without the checkpointer the log would hold all 12 MB
    assert!(
        size < 4_000_000,
        "the log is reused after checkpoints: {size} bytes"
    );
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings WHERE name LIKE 'wal-%'")
        .fetch_one(&mut *db.store.read().await.unwrap())
        .await
        .unwrap();
    assert_eq!(stored, 30);
    db.store.close().await;
}

/// Under a steady load (writers committing back to back, readers always reading) a passive
/// checkpoint never copies the whole log, so the log would never start over and would grow
/// without end: the checkpointer starts it over under the writer's turn once it is longer than
/// its limit (here 256 frames, 1 MiB), with and without group commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_write_ahead_log_starts_over_under_a_steady_load() {
    let db = support::sqlite().await;
    let wal = log_file(&db.url);
    db.store.checkpointer().unwrap().restart_after(256);
    let (writes, largest) = steady_load(&db.store, &wal, "batched").await;
    check_log(&db.store, writes, largest);
    db.store.close().await;
    // one transaction per write
    let single = Store::connect_with_group_commit(&db.url, false)
        .await
        .unwrap();
    single.checkpointer().unwrap().restart_after(256);
    let (writes, largest) = steady_load(&single, &wal, "single").await;
    check_log(&single, writes, largest);
    single.close().await;
}

/// The log started over and stayed short for `writes` writes of 20 KB.
fn check_log(store: &Store, writes: i64, largest: u64) {
    let restarts = store.checkpointer().unwrap().restarts();
    let written = writes as u64 * 20_000;
    assert!(restarts > 0, "the log never started over ({writes} writes)");
    assert!(
        largest < written / 2 && largest < 24 << 20,
        "the log grew to {largest} bytes for {written} bytes written ({restarts} restarts)"
    );
}

/// Four writers committing 20 KB each back to back and two readers always reading, for 2.5 s;
/// every write is checked to be stored. Returns the writes and the log's largest length seen.
async fn steady_load(store: &Store, wal: &std::path::Path, tag: &str) -> (i64, u64) {
    let blob = "x".repeat(20_000);
    let deadline = std::time::Instant::now() + Duration::from_millis(2_500);
    let mut writers = Vec::new();
    for w in 0..4i64 {
        let (store, blob, tag) = (store.clone(), blob.clone(), tag.to_string());
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while std::time::Instant::now() < deadline {
                support::put_setting(&store, &format!("steady-{tag}-{w}-{n}"), &blob).await;
                n += 1;
            }
            n
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..2 {
        let store = store.clone();
        readers.push(tokio::spawn(async move {
            while std::time::Instant::now() < deadline {
                let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings")
                    .fetch_one(&mut *store.read().await.unwrap())
                    .await
                    .unwrap();
            }
        }));
    }
    let mut largest = 0;
    while writers.iter().any(|t| !t.is_finished()) {
        largest = largest.max(std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut writes = 0;
    for task in writers {
        writes += task.await.unwrap();
    }
    for task in readers {
        task.await.unwrap();
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings WHERE name LIKE $1")
        .bind(format!("steady-{tag}-%"))
        .fetch_one(&mut *store.read().await.unwrap())
        .await
        .unwrap();
    assert_eq!(stored, writes);
    (writes, largest)
}

/// The write-ahead log of the SQLite database at `url`.
fn log_file(url: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{}-wal", url.trim_start_matches("sqlite://")))
}

/// What a write does with the ticket it created and indexed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum TicketEnding {
    Commit,
    /// An error after the ticket and its row were written: rolled back.
    Fail,
    /// The caller goes away at some point of the write.
    Dropped,
    /// The title changes and the row is written again: the index holds the new title only.
    Renamed,
    /// The ticket is deleted with its row in the same transaction: no row.
    Deleted,
}

fn ticket_ending(n: i64) -> TicketEnding {
    match n % 5 {
        1 => TicketEnding::Fail,
        2 => TicketEnding::Dropped,
        3 => TicketEnding::Renamed,
        4 => TicketEnding::Deleted,
        _ => TicketEnding::Commit,
    }
}

async fn write_ticket(store: &Store, n: i64, end: TicketEnding) -> domain::Result<()> {
    let mut tx = store.write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tickets (number, title, group_id, priority_id, state_id, owner_id, customer_id, \
         created_by_id, updated_by_id, created_at, updated_at) \
         VALUES ($1, $2, 1, 2, 1, 1, 1, 1, 1, $3, $3) RETURNING id",
    )
    .bind(format!("7{n:05}"))
    .bind(format!("ticketword{n} queued"))
    .bind(NOW)
    .fetch_one(&mut *tx)
    .await?;
    search_index::index_ticket(&mut tx, id).await?;
    match end {
        TicketEnding::Fail => return Err(domain::Error::unprocessable("refused on purpose")),
        TicketEnding::Renamed => {
            sqlx::query("UPDATE tickets SET title = $1 WHERE id = $2")
                .bind(format!("renamedword{n} queued"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            search_index::index_ticket(&mut tx, id).await?;
        }
        TicketEnding::Deleted => {
            search_index::remove_ticket(&mut tx, id).await?;
            sqlx::query("DELETE FROM ticket_history WHERE ticket_id = $1; DELETE FROM tickets WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        TicketEnding::Commit | TicketEnding::Dropped => {}
    }
    tx.commit().await
}

/// The rowids `ticket_fts` finds for `word`.
async fn tickets_matching(store: &Store, word: &str) -> Vec<i64> {
    sqlx::query_scalar("SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH $1")
        .bind(word)
        .fetch_all(&mut *store.read().await.unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queued_ticket_rows_reach_the_index_with_their_commit_and_only_then() {
    let db = support::sqlite().await;
    let mut tasks = Vec::new();
    for n in 0..200 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let end = ticket_ending(n);
            match end {
                TicketEnding::Dropped => {
                    let _ = tokio::time::timeout(
                        Duration::from_micros(40 * (n as u64 % 17)),
                        write_ticket(&store, n, TicketEnding::Commit),
                    )
                    .await;
                }
                _ => {
                    let ok = write_ticket(&store, n, end).await.is_ok();
                    assert_eq!(ok, end != TicketEnding::Fail, "write {n} ({end:?})");
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut conn = db.store.read().await.unwrap();
    let stored: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, number FROM tickets WHERE number LIKE '7%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    // every title this test writes has the word "queued"
    let indexed: BTreeSet<i64> =
        sqlx::query_scalar("SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH 'queued'")
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .into_iter()
            .collect();
    drop(conn);
    let mut expected = BTreeSet::new();
    for (id, number) in &stored {
        let n: i64 = number[1..].parse().unwrap();
        expected.insert(*id);
        match ticket_ending(n) {
            TicketEnding::Commit | TicketEnding::Dropped => {
                assert_eq!(
                    tickets_matching(&db.store, &format!("ticketword{n}")).await,
                    vec![*id],
                    "ticket {n} is found by its title"
                );
            }
            TicketEnding::Renamed => {
                assert_eq!(
                    tickets_matching(&db.store, &format!("renamedword{n}")).await,
                    vec![*id],
                    "ticket {n} is found by its new title"
                );
                assert!(
                    tickets_matching(&db.store, &format!("ticketword{n}"))
                        .await
                        .is_empty(),
                    "ticket {n}'s old title is not indexed"
                );
            }
            end => panic!("write {n} ({end:?}) left its ticket"),
        }
    }
    assert!(
        stored.len() >= 80,
        "the committed tickets are stored: {}",
        stored.len()
    );
    assert_eq!(
        indexed, expected,
        "the index holds exactly the committed tickets"
    );
    assert!(
        tickets_matching(&db.store, "ticketword1").await.is_empty(),
        "a failed write left no row"
    );
    db.store.close().await;
}
