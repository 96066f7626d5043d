//! The write path's rows of the benchmark (issue 14's targets): an article into a
//! 10,000-article ticket against one into a 10-article ticket, new tickets with their first
//! article under load, three consecutive runs of 64 clients posting articles with HTTP Basic
//! auth, and the server's peak memory while a 40 MB attachment is uploaded.

use std::time::{Duration, Instant};

use base64::Engine;
use domain::Store;
use domain::storage::store::Backend;
use serde_json::json;

use crate::{Stats, load, percentile_ms};

/// Articles of the long ticket.
pub const LONG_TICKET_ARTICLES: i64 = 10_000;

/// Adds two tickets by SQL, after the seeded ones: one with [`LONG_TICKET_ARTICLES`]
/// articles, one with 10 (indexed like the seed). Returns their ids `(long, short)`.
pub async fn seed_long_ticket(store: &Store, after: i64) -> Result<(i64, i64), String> {
    let e = |e: domain::Error| e.to_string();
    let pg = store.backend() == Backend::Postgres;
    let (long, short) = (after + 1, after + 2);
    let mut tx = store.write().await.map_err(e)?;
    for (id, count) in [(long, LONG_TICKET_ARTICLES), (short, 10)] {
        sqlx::query(
            "INSERT INTO tickets (id, number, title, group_id, priority_id, state_id, owner_id, customer_id, \
             article_count, preferences, created_by_id, updated_by_id, created_at, updated_at) \
             VALUES ($1, $2, $3, 1, 2, 2, 1, 5, $4, '{}', 3, 3, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
        )
        .bind(id)
        .bind(format!("99{id}"))
        .bind(format!("Monitoring alerts ({count} articles)"))
        .bind(count)
        .execute(&mut *tx)
        .await
        .map_err(|e| format!("long ticket: {e}"))?;
        let sql = format!(
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}) \
             INSERT INTO ticket_articles (ticket_id, type_id, sender_id, from_address, to_address, subject, content_type, body, \
             internal, preferences, created_by_id, updated_by_id, created_at, updated_at) \
             SELECT {id}, 1, 2, 'monitor@example.test', 'support@example.test', 'Alert', 'text/plain', \
             'Disk usage on host db' || n || ' is above 90 percent', 0, '{{}}', 3, 3, \
             '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM seq"
        );
        sqlx::query(&sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| format!("long ticket articles: {e}"))?;
    }
    crate::index_seeded(&mut tx, pg, &format!("id IN ({long}, {short})")).await?;
    if pg {
        crate::reset_sequences(&mut tx).await?;
    }
    tx.commit().await.map_err(e)?;
    Ok((long, short))
}

/// Sequential `POST /ticket_articles` in pairs, one into the long and one into the short
/// ticket, `n` each: `(p50, p99)` in ms for each. Which of the two goes first is drawn anew
/// for every pair (a fixed hash of the pair's number): SQLite's periodic work (FTS5's merges
/// every so many pages written, the log's restarts) recurs every so many commits, and with a
/// strict alternation an even period put every one of those slow commits on the same side (a
/// run's p99 ratio was 6.14, the next one's 0.41, on the same build).
pub async fn article_into(
    client: &reqwest::Client,
    base: &str,
    auth: &str,
    (long, short): (i64, i64),
    n: usize,
) -> ((f64, f64), (f64, f64)) {
    let (mut l, mut s) = (Vec::new(), Vec::new());
    for i in 0..n {
        // the top bit of a Fibonacci hash of `i`: about every other pair starts with the long
        // ticket, in no period a commit count could share
        let long_first = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 63 == 0;
        let pair = if long_first {
            [(long, &mut l), (short, &mut s)]
        } else {
            [(short, &mut s), (long, &mut l)]
        };
        for (ticket, out) in pair {
            let t = Instant::now();
            let ok = client
                .post(format!("{base}/api/v1/ticket_articles"))
                .header("Authorization", auth)
                .json(&json!({"ticket_id": ticket, "body": format!("<p>Reply {i}: the alert is <b>acknowledged</b>, disk cleaned up.</p>"), "content_type": "text/html", "internal": false}))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                out.push(t.elapsed());
            }
        }
    }
    l.sort();
    s.sort();
    (
        (percentile_ms(&l, 0.5), percentile_ms(&l, 0.99)),
        (percentile_ms(&s, 0.5), percentile_ms(&s, 0.99)),
    )
}

/// `POST /tickets` with a first article under load.
pub async fn create_tickets(
    client: &reqwest::Client,
    base: &str,
    auth: &str,
    concurrency: usize,
    seconds: u64,
) -> Stats {
    let (u, a) = (base.to_string(), auth.to_string());
    load(client, concurrency, seconds, move |cl, i| {
        cl.post(format!("{u}/api/v1/tickets"))
            .header("Authorization", &a)
            .json(&json!({
                "title": format!("Benchmark ticket {i}"),
                "group_id": 1,
                "customer_id": 5,
                "article": {"body": "<p>My printer prints <i>blank pages</i> since this morning.</p>", "content_type": "text/html", "type": "note"}
            }))
    })
    .await
}

/// `runs` consecutive runs of `clients` clients posting articles with HTTP Basic auth.
pub async fn basic_auth_runs(
    base: &str,
    tickets: u64,
    clients: usize,
    seconds: u64,
    runs: usize,
) -> Vec<Stats> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("client");
    let mut out = Vec::new();
    for _ in 0..runs {
        let u = base.to_string();
        out.push(
            load(&client, clients, seconds, move |cl, i| {
                cl.post(format!("{u}/api/v1/ticket_articles"))
                    .basic_auth("agent1@tandem.test", Some(domain::setup::demo::PASSWORD))
                    .json(&json!({"ticket_id": 1 + (i * 2_654_435_761) % tickets, "body": "basic auth reply", "internal": true}))
            })
            .await,
        );
    }
    out
}

/// Peak resident memory of a `tandem` process while it accepts one attachment of
/// `megabytes` MB, base64 in a JSON article and as a multipart upload: `(name, status, idle
/// RSS MiB, peak RSS MiB)` per way. The peak is the kernel's high-water mark (`VmHWM`),
/// reset before each upload (`/proc/<pid>/clear_refs`).
pub async fn upload_peaks(
    base: &str,
    auth: &str,
    pid: u32,
    megabytes: usize,
) -> Vec<(&'static str, u16, f64, f64)> {
    let bytes: Vec<u8> = (0..megabytes * 1_000_000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .expect("client");
    let mut out = Vec::new();
    // JSON with base64
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let body = serde_json::to_vec(&json!({
        "ticket_id": 1, "body": "the log file", "internal": true,
        "attachments": [{"filename": "big.log", "data": encoded, "mime-type": "text/plain"}]
    }))
    .expect("json");
    drop(encoded);
    let idle = reset_peak(pid);
    let status = client
        .post(format!("{base}/api/v1/ticket_articles"))
        .header("Authorization", auth)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    out.push((
        "base64 in JSON (POST /ticket_articles)",
        status,
        idle,
        peak_mib(pid),
    ));
    // multipart
    let form = reqwest::multipart::Form::new()
        .text("form_id", "bench-upload")
        .part(
            "File",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("big.log")
                .mime_str("text/plain")
                .expect("mime"),
        );
    let idle = reset_peak(pid);
    let status = client
        .post(format!("{base}/api/v1/attachments"))
        .header("Authorization", auth)
        .multipart(form)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    out.push(("multipart (POST /attachments)", status, idle, peak_mib(pid)));
    out
}

/// Resets the process's peak RSS to its current RSS; returns the current RSS in MiB, NaN when
/// the kernel refused the reset (the peak would then include earlier work, so it is not shown).
fn reset_peak(pid: u32) -> f64 {
    match std::fs::write(format!("/proc/{pid}/clear_refs"), "5") {
        Ok(()) => crate::coedit::rss_mib(pid),
        Err(e) => {
            eprintln!("cannot reset the peak RSS of {pid}: {e}");
            f64::NAN
        }
    }
}

fn peak_mib(pid: u32) -> f64 {
    crate::coedit::status_mib(pid, "VmHWM")
}
