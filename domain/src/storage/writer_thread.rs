//! SQLite: the write use cases that run most often run on a thread of their own, so that the
//! time a write holds SQLite's single writer is the time its statements take.
//!
//! A write awaits sqlx's SQLite thread once per statement. Awaited from the server's runtime,
//! every answer wakes the write's task from outside that runtime: the task is queued behind
//! whatever the runtime's workers are busy with (HTTP connections, other requests' parsing and
//! rendering) and runs again only once a worker gets to it, and all that time the write still
//! holds the writer turn every other write waits for. On this thread, whose runtime runs
//! nothing but writes, the answer finds the task's thread idle: it runs at once. The writes'
//! own hand-overs (the writer semaphore, the group commit's batch) stay on the thread as well.
//!
//! With group commit (the default) the thread runs on one CPU ([`WriterThread::cpu`]), and
//! the store opens its first connection, the group's writer connection, from it: sqlx's
//! SQLite thread of a connection is started by the thread that opens it and inherits its CPUs,
//! so both run on the same CPU and a statement's hand-over between them is a switch on one
//! CPU instead of waking a thread on another, which on a virtual machine takes tens of
//! microseconds each way and was most of a write's time under the writer's turn (three round
//! trips per article). A first experiment pinned the two threads from outside with `taskset`
//! (`tandem-bench --writes-only`, SQLite, 2 CPUs, two alternating pairs): `POST
//! /ticket_articles` 2,218 and 2,592 /s, p50 11.9 and 10.7 ms, against 1,982 and 2,043 /s,
//! p50 14.8 and 14.6 ms unpinned; the README gives this code's own figures. The other threads
//! (HTTP, readers, checkpoints: `storage::wal_checkpoint` runs them on the server's runtime)
//! are not pinned, and the kernel moves them to the other CPUs. A writer connection opened
//! again after one was lost is opened wherever the write that needs it runs (the writer thread
//! for the busiest writes). Without group commit nothing is pinned: writes take any pooled
//! connection.
//!
//! Work sent here must not block its thread (it is async like all of Tandem's use cases);
//! PostgreSQL, whose writes run side by side, keeps them on the server's runtime.

use std::future::Future;

use tokio::sync::oneshot;
use tracing::Instrument;

use crate::{Error, Result};

/// The thread and its runtime; both end when this is dropped (writes still under way on it
/// are dropped, and roll back, as a dropped request's write does).
#[derive(Debug)]
pub struct WriterThread {
    runtime: tokio::runtime::Handle,
    /// Dropped with the thread's handle: ends the runtime's `block_on`.
    _stop: oneshot::Sender<()>,
    /// The CPU it runs on ([`writer_cpu`]).
    cpu: Option<usize>,
}

/// The CPU for the writer thread: one of those the calling thread may run on (on Linux its
/// affinity mask, which a thread inherits from the process's main thread unless changed),
/// picked by the process id so that several Tandem processes on one machine spread over its
/// CPUs; `None` when there is only one (or `core_affinity` cannot tell on this platform).
fn writer_cpu() -> Option<core_affinity::CoreId> {
    let allowed = core_affinity::get_core_ids()?;
    if allowed.len() < 2 {
        return None;
    }
    let index = usize::try_from(std::process::id()).unwrap_or(0) % allowed.len();
    allowed.get(index).copied()
}

impl WriterThread {
    /// Starts the thread (named `tandem-writer`) with a current-thread Tokio runtime (I/O and
    /// time enabled); with `pin`, pinned to one CPU ([`WriterThread::cpu`]) before it runs
    /// anything. Errors: the thread or its runtime could not be created.
    pub fn start(pin: bool) -> Result<WriterThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("writer thread: no runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let cpu = pin.then(writer_cpu).flatten();
        let (pinned, pinned_outcome) = std::sync::mpsc::channel::<bool>();
        std::thread::Builder::new()
            .name("tandem-writer".into())
            .spawn(move || {
                let outcome = cpu.is_some_and(core_affinity::set_for_current);
                if cpu.is_some() && !outcome {
                    tracing::warn!("the SQLite writer thread runs unpinned");
                }
                let _ = pinned.send(outcome);
                // runs the spawned writes until the handle is dropped; the runtime (with any
                // write left on it) is dropped here, outside its own context
                let _ = runtime.block_on(stopped);
                drop(runtime);
            })
            .map_err(|e| Error::Internal(format!("writer thread: {e}")))?;
        // the thread answers at once, before it runs anything
        let pinned = pinned_outcome.recv().unwrap_or(false);
        Ok(WriterThread {
            runtime: handle,
            _stop: stop,
            cpu: cpu.filter(|_| pinned).map(|cpu| cpu.id),
        })
    }

    /// The CPU the thread is pinned to (the number Linux gives it, as in `/proc/cpuinfo`),
    /// `None` when it is not (not asked to, one CPU only, or the pinning failed).
    pub fn cpu(&self) -> Option<usize> {
        self.cpu
    }

    /// Runs `work` on the thread (in the caller's tracing span) and answers its result. The
    /// work goes on if the caller goes away (as a write's `BEGIN` and `COMMIT` do). Errors:
    /// `work`'s own, or [`Error::Internal`] when it panicked or the thread has stopped.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        self.runtime
            .spawn(work.instrument(tracing::Span::current()))
            .await
            .map_err(|e| Error::Internal(format!("the write did not finish: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_the_thread_and_its_outcome_comes_back() {
        let thread = WriterThread::start(true).unwrap();
        let name = thread
            .run(async { Ok(std::thread::current().name().map(str::to_string)) })
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("tandem-writer"));
        let failed: Result<()> = thread.run(async { Err(Error::unprocessable("no")) }).await;
        assert!(matches!(failed, Err(Error::Unprocessable(_))), "{failed:?}");
        // a panic fails only its own work
        let panicked: Result<()> = thread.run(async { panic!("a failing write") }).await;
        assert!(matches!(panicked, Err(Error::Internal(_))), "{panicked:?}");
        assert_eq!(thread.run(async { Ok(7) }).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn work_goes_on_when_its_caller_goes() {
        let thread = std::sync::Arc::new(WriterThread::start(true).unwrap());
        let (done, finished) = oneshot::channel();
        let (started, running) = oneshot::channel::<()>();
        let (release, released) = oneshot::channel::<()>();
        // the store keeps its thread: the caller holds only a handle of its own
        let handle = thread.clone();
        let caller = tokio::spawn(async move {
            handle
                .run(async move {
                    let _ = started.send(());
                    let _ = released.await;
                    let _ = done.send(());
                    Ok(())
                })
                .await
        });
        running.await.unwrap();
        caller.abort();
        let _ = caller.await;
        release.send(()).unwrap();
        finished
            .await
            .expect("the work finished after its caller went");
        drop(thread);
    }
}
