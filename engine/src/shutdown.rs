//! `WriterGuard`: owns the writer thread; shutting down drains every ring.

use crate::error::ShutdownError;
use crate::shared::{deadline_after, lock, Shared};
use crate::stats::Stats;
use crate::sync_mode::SyncWriter;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long `Drop` waits for the writer to drain.
pub const DROP_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Decides when the writer drains and stops: [`WriterGuard::shutdown`]
/// returns the final counters.
///
/// Dropping the guard shuts down with a 5 s bound, silently (it never
/// panics and never prints) — once no [`Logger`](crate::Logger) handle
/// lives. While handles live, the writer keeps running and the last handle
/// dropped shuts it down the same way, so `let (logger, _) = …build()?`
/// loses nothing. After shutdown, log calls are counted dropped.
///
/// ```
/// use std::time::Duration;
/// use uringlog::{Logger, MemorySink, ShutdownError};
///
/// let (logger, guard) = Logger::builder().sink(MemorySink::new().0).build()?;
/// uringlog::info!(logger, "last words");
/// let stats = guard.shutdown(Duration::from_secs(5))?; // drain, write, close
/// assert_eq!((stats.enqueued, stats.written, stats.dropped), (1, 1, 0));
/// uringlog::info!(logger, "too late");                 // counted dropped
/// assert_eq!(logger.stats().dropped, 1);
/// # let _: Option<ShutdownError> = None;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "keep the guard to shut down explicitly and read the final counters"]
pub struct WriterGuard {
    shared: Arc<Shared>,
    writer: Option<(JoinHandle<()>, mpsc::Receiver<()>)>,
    /// Sync mode's caller-side writer, closed at shutdown.
    sync_writer: Option<Arc<SyncWriter>>,
    finished: bool,
    /// Parked in the logger's lifecycle: its drop shuts down.
    parked: bool,
}

impl fmt::Debug for WriterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriterGuard")
            .field("finished", &self.finished)
            .finish()
    }
}

impl WriterGuard {
    pub(crate) fn new(
        shared: Arc<Shared>,
        writer: Option<(JoinHandle<()>, mpsc::Receiver<()>)>,
        sync_writer: Option<Arc<SyncWriter>>,
    ) -> WriterGuard {
        WriterGuard {
            shared,
            writer,
            sync_writer,
            finished: false,
            parked: false,
        }
    }

    /// Stops accepting records, drains every ring, writes, closes the
    /// sinks and returns the final counters. Fails if that takes longer
    /// than `timeout` (the writer keeps draining in the background).
    pub fn shutdown(mut self, timeout: Duration) -> Result<Stats, ShutdownError> {
        self.shutdown_inner(timeout)
    }

    fn shutdown_inner(&mut self, timeout: Duration) -> Result<Stats, ShutdownError> {
        self.finished = true;
        *lock(&self.shared.shutdown_deadline) = Some(deadline_after(Instant::now(), timeout));
        // SeqCst: producers that load `closed` after this count their record
        // dropped; the writer's close drains whatever was pushed before.
        self.shared.hot.closed.store(true, Ordering::SeqCst);
        let Some((handle, done)) = self.writer.take() else {
            if let Some(w) = &self.sync_writer {
                w.close(&self.shared);
            }
            return Ok(self.shared.stats());
        };
        self.shared.wake_writer();
        let me = std::thread::current().id();
        if self
            .shared
            .writer_thread
            .get()
            .is_some_and(|t| t.id() == me)
        {
            // Dropped by code running on the writer itself (a sink holding
            // the last handle): the writer sees `closed` and finishes alone.
            return Ok(self.shared.stats());
        }
        match done.recv_timeout(timeout) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let panicked = handle.join().is_err();
                let stats = self.shared.stats();
                if panicked {
                    Err(ShutdownError::WriterPanicked { stats })
                } else {
                    Ok(stats)
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Err(ShutdownError::Timeout {
                timeout_ms: timeout.as_millis() as u64,
                stats: self.shared.stats(),
            }),
        }
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Handles still live: the last one shuts down (see `lifecycle`).
        let shared = self.shared.clone();
        if !self.parked && shared.lifecycle.park(|| self.take_for_parking()) {
            return;
        }
        let _ = self.shutdown_inner(DROP_SHUTDOWN_TIMEOUT);
    }
}

impl WriterGuard {
    /// Moves this guard's writer into a parked guard, whose `Drop` shuts
    /// down; this one is left finished.
    fn take_for_parking(&mut self) -> WriterGuard {
        self.finished = true;
        WriterGuard {
            shared: self.shared.clone(),
            writer: self.writer.take(),
            sync_writer: self.sync_writer.take(),
            finished: false,
            parked: true,
        }
    }
}
