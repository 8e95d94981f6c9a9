//! `WriterGuard`: owns the writer thread; shutting down drains every ring.

use crate::error::ShutdownError;
use crate::exit::{self, ExitSlot};
use crate::shared::{deadline_after, Shared};
use crate::stats::Stats;
use crate::sync_mode::SyncWriter;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
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
/// A guard that is never dropped — kept in a `static`, `mem::forget`-ed, or
/// alive when the process calls `std::process::exit` — is covered by the
/// exit hook: `exit` shuts the logger down the same way, within
/// [`crate::EXIT_DRAIN_TIMEOUT`]. `_exit`, `abort` and fatal signals run no
/// hook and lose what is not yet written (see the `exit` module docs in
/// the crate source for the whole list).
///
/// In a child forked from the logging process the guard shuts down the
/// writer the child started for the logger, if any; the parent's writer
/// thread does not exist there and is never joined.
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
    /// The writer thread and the channel it signals its end on (in a mutex
    /// only so the guard is `Sync`, e.g. to be kept in a `static`).
    writer: Option<(JoinHandle<()>, Mutex<mpsc::Receiver<()>>)>,
    /// Sync mode's caller-side writer, closed at shutdown.
    sync_writer: Option<Arc<SyncWriter>>,
    /// The logger's place on the exit hook's list (async mode).
    exit: Option<ExitSlot>,
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
        exit: Option<ExitSlot>,
    ) -> WriterGuard {
        WriterGuard {
            shared,
            writer: writer.map(|(h, done)| (h, Mutex::new(done))),
            sync_writer,
            exit,
            finished: false,
            parked: false,
        }
    }

    /// Stops accepting records, drains every ring, writes, closes the
    /// sinks and returns the final counters.
    ///
    /// Fails with [`ShutdownError::Timeout`] if that takes longer than
    /// `timeout` (a sink that does not drain: a pipe nobody reads, a stuck
    /// device). The writer then gives up: producers blocked for room
    /// return at once, their records counted dropped; io_uring writes in
    /// flight are cancelled (leaked after a short grace if the kernel holds
    /// on to them), stream writes stop waiting; the writer stops draining
    /// and ends within a bounded time, counting what it did not write as
    /// dropped. Only a sink's own code that never returns (an inline write
    /// blocked forever) keeps it: it ends when that returns. The counters
    /// balance once it has ended (`Logger::flush` returns
    /// [`crate::FlushError::ShutDown`] from then on).
    pub fn shutdown(mut self, timeout: Duration) -> Result<Stats, ShutdownError> {
        self.shutdown_inner(timeout)
    }

    fn shutdown_inner(&mut self, timeout: Duration) -> Result<Stats, ShutdownError> {
        self.finished = true;
        let result = if self.shared.is_here() {
            self.shut_down_here(timeout)
        } else {
            // Inherited through fork: the writer thread is not in this
            // process. Forget it (its handle names a thread that does not
            // exist here) and shut down this process's successor instead;
            // one started later counts every record dropped. (A store to an
            // atomic is all this does to the inherited engine.)
            std::mem::forget(self.writer.take());
            self.shared.hot.closed.store(true, Ordering::SeqCst);
            self.shared.lineage.shut_down_successor(timeout)
        };
        // Last: until the writer has ended, the exit hook may still wait for it.
        if let Some(slot) = self.exit.take() {
            exit::unregister(&slot);
        }
        result
    }

    fn shut_down_here(&mut self, timeout: Duration) -> Result<Stats, ShutdownError> {
        self.shared
            .begin_shutdown(deadline_after(Instant::now(), timeout));
        let Some((handle, done)) = self.writer.take() else {
            if let Some(w) = &self.sync_writer {
                if let Err(stats) = w.close(&self.shared, timeout) {
                    return Err(ShutdownError::Timeout {
                        timeout_ms: timeout.as_millis() as u64,
                        stats,
                    });
                }
                if w.panicked() {
                    // A sink panicked in a caller (see `sync_mode`).
                    return Err(ShutdownError::WriterPanicked {
                        stats: self.shared.stats(),
                    });
                }
            }
            return Ok(self.shared.stats());
        };
        if self.shared.on_writer_thread() {
            // Joining would wait for this very thread; it ends by itself.
            drop(handle);
            return Err(ShutdownError::OnWriterThread {
                stats: self.shared.stats(),
            });
        }
        let done = done.into_inner().unwrap_or_else(|p| p.into_inner());
        match done.recv_timeout(timeout) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let joined = handle.join();
                if let Err(p) = &joined {
                    // Whatever panicked (a sink's write or its `Drop`), the
                    // reason is kept where the other errors are.
                    self.shared.report_error(format!(
                        "the writer thread panicked: {}",
                        crate::error::panic_text(&**p)
                    ));
                }
                let stats = self.shared.stats();
                if joined.is_err() {
                    Err(ShutdownError::WriterPanicked { stats })
                } else {
                    Ok(stats)
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // The counters as they stood at the timeout: giving up lets
                // the producers blocked for room return (counting the rest
                // of their records dropped) and the writer cancel its
                // writes, all of which may be done before a later read.
                let stats = self.shared.stats();
                self.shared.give_up(timeout);
                Err(ShutdownError::Timeout {
                    timeout_ms: timeout.as_millis() as u64,
                    stats,
                })
            }
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
            exit: self.exit.take(),
            finished: false,
            parked: true,
        }
    }
}

/// The guard may be kept in a `static`.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<WriterGuard>();
};
