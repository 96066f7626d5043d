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
//! The thread runs on one CPU ([`WriterThread::cpu`]), and the store opens its writer
//! connection from it, so sqlx's SQLite thread of that connection (a connection's thread is
//! started by the thread that opens it, and inherits its CPUs) runs on the same CPU: a
//! statement's hand-over between the two threads is then a switch on one CPU instead of
//! waking a thread on another, which on a virtual machine takes tens of microseconds each
//! way and was most of a write's time under the writer's turn (three round trips per
//! article). Measured with `tandem-bench --writes-only` (SQLite, two alternating pairs on 2
//! CPUs, the two threads pinned from outside with `taskset`): `POST /ticket_articles`
//! 2,218 and 2,592 /s, p50 11.9 and 10.7 ms, against 1,982 and 2,043 /s, p50 14.8 and
//! 14.6 ms unpinned. The other threads (HTTP, readers, checkpoints) are not pinned: the
//! kernel moves them to the other CPUs.
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

/// The CPU for the writer thread: one of those this process may run on, picked by the process
/// id (several Tandem processes on one machine spread over its CPUs), or `None` when the
/// process may run on only one CPU (or Linux's affinity calls are not available): then the
/// thread is not pinned.
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
    /// time enabled), pinned to one CPU ([`WriterThread::cpu`]) before it runs anything.
    /// Errors: the thread or its runtime could not be created.
    pub fn start() -> Result<WriterThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("writer thread: no runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let cpu = writer_cpu();
        std::thread::Builder::new()
            .name("tandem-writer".into())
            .spawn(move || {
                if let Some(cpu) = cpu
                    && !core_affinity::set_for_current(cpu)
                {
                    tracing::warn!(cpu = cpu.id, "the SQLite writer thread runs unpinned");
                }
                // runs the spawned writes until the handle is dropped; the runtime (with any
                // write left on it) is dropped here, outside its own context
                let _ = runtime.block_on(stopped);
                drop(runtime);
            })
            .map_err(|e| Error::Internal(format!("writer thread: {e}")))?;
        Ok(WriterThread {
            runtime: handle,
            _stop: stop,
            cpu: cpu.map(|cpu| cpu.id),
        })
    }

    /// The CPU the thread runs on (the number Linux gives it, as in `/proc/cpuinfo`), `None`
    /// when it is not pinned (the process may run on one CPU only).
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
        let thread = WriterThread::start().unwrap();
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
        let thread = std::sync::Arc::new(WriterThread::start().unwrap());
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
