//! Accepting connections: hyper-util's connection builder with Tandem's limits, instead of
//! `axum::serve`, whose builder cannot be configured.
//!
//! - A request head may take up to [`MAX_HEAD_BUFFER`] bytes and [`MAX_PARSED_HEADERS`]
//!   headers, so heads larger than what Tandem accepts still reach the application, which
//!   refuses them with 431 in Zammad's error shape (`http::hardening::limit_headers`). Only a
//!   head beyond the buffer gets hyper's own 431 without a body.
//! - A client has [`HEAD_READ_TIMEOUT`] to send a request head (slow-loris senders are cut).
//! - Every connection gets `TCP_NODELAY` (keystrokes and carets must not wait for Nagle's
//!   algorithm) and the peer address as `ConnectInfo` (the sign-in throttle keys on it).
//! - Upgrades (the WebSockets) work on HTTP/1.1; shutdown lets running requests finish.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

/// hyper's read buffer for a request head, in bytes (its default is about 400 KB).
pub const MAX_HEAD_BUFFER: usize = 2 * 1024 * 1024;
/// Headers hyper parses per request (its default is 100).
pub const MAX_PARSED_HEADERS: usize = 1_000;
/// Time allowed for a request head to arrive.
pub const HEAD_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Time running requests get to finish after the shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` completes, then lets running requests finish
/// (up to 30 s).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BUFFER)
        .max_headers(MAX_PARSED_HEADERS);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // out of file descriptors and the like: wait instead of spinning
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY: {e}");
        }
        let service = app.clone().map_request(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(tcp), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!("connection {peer}: {e}");
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("requests still running after the shutdown grace period");
        }
    }
}
