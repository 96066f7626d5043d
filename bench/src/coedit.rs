//! Live co-editing benchmark: N simulated editors (native y-sync clients over real
//! WebSockets), five per ticket, each typing about five keystrokes a second and moving its
//! caret (awareness), against a `tandem` server process. Prints, per N, the
//! keystroke-to-other-editor latency (p50/p99) and the server's CPU and RSS. The baseline in
//! the same run is a trivial WebSocket relay (forwards frames to the room, no CRDT, no
//! storage) with the same clients, so the ratio says what the draft room costs.
//!
//! On PostgreSQL a second `tandem` process joins the same database and the same editors are
//! split over the two instances (the editors of a ticket alternate between them, so most
//! keystrokes travel through the PostgreSQL relay): [`two_instances`] prints that row next to
//! the single-instance figure of the same run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message as AxMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use domain::shared_drafts::client::SyncClient;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use yrs::sync::{MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::{ReadTxn, Transact};

pub const EDITORS_PER_TICKET: usize = 5;
const KEYSTROKE_EVERY: Duration = Duration::from_millis(200);

/// When each keystroke (client id, clock) was sent.
type Sent = Arc<Mutex<HashMap<(u64, u32), Instant>>>;

pub struct Figures {
    pub keystrokes: usize,
    pub deliveries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Runs `editors` editors against `ws_base` (`ws://host:port`) for `seconds`. `path(t)` is
/// the WebSocket path of ticket `t` (1-based); `auth` an Authorization header value.
pub async fn run_editors(
    ws_base: &str,
    path: impl Fn(usize) -> String,
    auth: Option<&str>,
    editors: usize,
    seconds: u64,
) -> Result<Figures, String> {
    run_editors_on(&[ws_base], path, auth, editors, seconds).await
}

/// As [`run_editors`], editor `e` connecting to `ws_bases[e % len]` (several instances).
pub async fn run_editors_on(
    ws_bases: &[&str],
    path: impl Fn(usize) -> String,
    auth: Option<&str>,
    editors: usize,
    seconds: u64,
) -> Result<Figures, String> {
    if ws_bases.is_empty() {
        return Err("no server to connect to".into());
    }
    let sent: Sent = Arc::default();
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let keystrokes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut sockets = Vec::new();
    for e in 0..editors {
        let ws_base = ws_bases[e % ws_bases.len()];
        let url = format!("{ws_base}{}", path(1 + e / EDITORS_PER_TICKET));
        let mut request = url.into_client_request().map_err(|e| e.to_string())?;
        if let Some(a) = auth {
            request
                .headers_mut()
                .insert("authorization", a.parse().map_err(|_| "bad auth header")?);
        }
        let (ws, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
            .await
            .map_err(|err| format!("editor {e}: {err}"))?;
        sockets.push(ws);
    }
    // everyone connected: sync for a second, then type
    let start_at = Instant::now() + Duration::from_secs(1);
    let stop_at = start_at + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (e, ws) in sockets.into_iter().enumerate() {
        let (sent, latencies, keystrokes) = (sent.clone(), latencies.clone(), keystrokes.clone());
        tasks.push(tokio::spawn(async move {
            editor(ws, e, start_at, stop_at, sent, latencies, keystrokes).await
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())?;
    }
    let mut all = latencies.lock().unwrap().clone();
    all.sort();
    Ok(Figures {
        keystrokes: keystrokes.load(std::sync::atomic::Ordering::SeqCst),
        deliveries: all.len(),
        p50_ms: super::percentile_ms(&all, 0.50),
        p99_ms: super::percentile_ms(&all, 0.99),
        max_ms: all.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
    })
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn editor(
    ws: Socket,
    index: usize,
    start_at: Instant,
    stop_at: Instant,
    sent: Sent,
    latencies: Arc<Mutex<Vec<Duration>>>,
    keystrokes: Arc<std::sync::atomic::AtomicUsize>,
) {
    let (mut sink, mut stream) = ws.split();
    let mut client = SyncClient::new();
    let me = client.doc.client_id().get();
    let _ = sink.send(Message::Binary(client.step1().into())).await;
    // spread the editors' keystrokes over the interval
    let offset = KEYSTROKE_EVERY.mul_f64((index % 16) as f64 / 16.0);
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::from_std(start_at + offset),
        KEYSTROKE_EVERY,
    );
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stop = tokio::time::Instant::from_std(stop_at + Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(stop) => break,
            _ = ticker.tick(), if Instant::now() < stop_at => {
                // a keystroke is known by its first clock (the update's lower bound)
                let clock = client.doc.transact().state_vector().get(&client.doc.client_id());
                let frame = client.type_text(0, u32::MAX, "x");
                sent.lock().unwrap().insert((me, clock), Instant::now());
                keystrokes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if sink.send(Message::Binary(frame.into())).await.is_err() { break; }
                let caret = client.awareness(&json!({"user": {"name": format!("editor {index}")}, "cursor": {"anchor": clock, "head": clock}}));
                let _ = sink.send(Message::Binary(caret.into())).await;
            }
            incoming = stream.next() => {
                let Some(Ok(Message::Binary(bytes))) = incoming else {
                    if incoming.is_none() { break; } else { continue; }
                };
                let now = Instant::now();
                record(&bytes, me, now, &sent, &latencies);
                for reply in client.receive(&bytes) {
                    let _ = sink.send(Message::Binary(reply.into())).await;
                }
            }
        }
    }
    let _ = sink.send(Message::Close(None)).await;
}

/// Latency of every keystroke of another editor contained in this frame.
fn record(frame: &[u8], me: u64, now: Instant, sent: &Sent, latencies: &Arc<Mutex<Vec<Duration>>>) {
    let mut decoder = DecoderV1::from(frame);
    for message in MessageReader::new(&mut decoder).flatten() {
        if let yrs::sync::Message::Sync(SyncMessage::Update(u) | SyncMessage::SyncStep2(u)) =
            message
            && let Ok(update) = yrs::Update::decode_v1(&u)
        {
            let sv = update.state_vector_lower();
            let sent = sent.lock().unwrap();
            for (client, clock) in sv.iter() {
                if client.get() != me
                    && let Some(at) = sent.get(&(client.get(), *clock))
                {
                    latencies.lock().unwrap().push(now - *at);
                }
            }
        }
    }
}

/// The two-instance rows: a second `tandem` process on `database_url` (PostgreSQL), then for
/// each number of editors the same load split over the first (`first_ws`) and the second
/// instance. `single`: the single-instance p99 (ms) per number of editors from the same run.
pub async fn two_instances(
    database_url: &str,
    files_dir: &std::path::Path,
    first_ws: &str,
    auth: &str,
    single: &[(usize, f64)],
    seconds: u64,
) -> Result<(), String> {
    let (mut second, base) = super::start_tandem_process(database_url, files_dir, 50).await?;
    let second_ws = base.replace("http://", "ws://");
    let mut result = Ok(());
    for &(n, single_p99) in single {
        let cpu_before = cpu_seconds(second.id());
        let started = Instant::now();
        match run_editors_on(
            &[first_ws, &second_ws],
            |t| format!("/ws/tickets/{t}"),
            Some(auth),
            n,
            seconds,
        )
        .await
        {
            Ok(f) => {
                let cpu = (cpu_seconds(second.id()) - cpu_before) / started.elapsed().as_secs_f64()
                    * 100.0;
                println!(
                    "{n:<9} {:<9} {:>10} {:>10} {:>9.2} {:>9.2} {:>9.2} {:>10} {:>9.1} {:>9.1}",
                    "tandem×2",
                    f.keystrokes,
                    f.deliveries,
                    f.p50_ms,
                    f.p99_ms,
                    f.max_ms,
                    format!("{:.2}×1", f.p99_ms / single_p99),
                    cpu,
                    rss_mib(second.id())
                );
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    println!(
        "(tandem×2: the editors alternate between two instances on one PostgreSQL database, relayed through it; p99/base here is p99 over the single-instance p99 of the same run; CPU/RSS of the second instance; target p99 < 20 ms)"
    );
    let _ = second.kill();
    let _ = second.wait();
    result
}

// ---------------------------------------------------------------------------------------------
// Baseline: a trivial relay with the same traffic

type Rooms = Arc<Mutex<HashMap<String, broadcast::Sender<(u64, Vec<u8>)>>>>;

pub async fn start_baseline_relay() -> String {
    let rooms: Rooms = Arc::default();
    let app = axum::Router::new()
        .route("/relay/{room}", axum::routing::get(relay_upgrade))
        .with_state(rooms);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("ws://{addr}")
}

async fn relay_upgrade(
    State(rooms): State<Rooms>,
    Path(room): Path<String>,
    ws: WebSocketUpgrade,
) -> axum::response::Response {
    let tx = rooms
        .lock()
        .unwrap()
        .entry(room)
        .or_insert_with(|| broadcast::channel(1024).0)
        .clone();
    ws.on_upgrade(move |socket| relay(socket, tx))
}

async fn relay(socket: WebSocket, tx: broadcast::Sender<(u64, Vec<u8>)>) {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut rx = tx.subscribe();
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            m = stream.next() => match m {
                Some(Ok(AxMessage::Binary(b))) => { let _ = tx.send((id, b.to_vec())); }
                Some(Ok(_)) => {}
                _ => break,
            },
            f = rx.recv() => match f {
                Ok((from, data)) if from != id => {
                    if sink.send(AxMessage::Binary(data.into())).await.is_err() { break; }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Server process figures (Linux /proc)

/// CPU seconds (user + system) a process has used.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // fields after ")" start at index 0 = state; utime = 11, stime = 12
    (ticks(11) + ticks(12)) / 100.0
}

/// Resident set size in MiB.
pub fn rss_mib(pid: u32) -> f64 {
    status_mib(pid, "VmRSS")
}

/// A memory figure of `/proc/<pid>/status` (`VmRSS`, `VmHWM`, …) in MiB; NaN when unreadable.
pub fn status_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
