//! `WriterGuard`: owns the writer thread; shutting down drains every ring.

use crate::error::ShutdownError;
use crate::shared::Shared;
use crate::stats::Stats;
use crate::sync_mode::SyncWriter;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long `Drop` waits for the writer to drain.
pub const DROP_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Keeps the writer running; shut it down with [`WriterGuard::shutdown`].
///
/// Dropping the guard does the same with a 5 s bound, silently: it never
/// panics and never prints. After shutdown, log calls are counted dropped.
#[must_use = "dropping the guard shuts the writer down at once"]
pub struct WriterGuard {
    shared: Arc<Shared>,
    writer: Option<(JoinHandle<()>, mpsc::Receiver<()>)>,
    /// Sync mode's caller-side writer, closed at shutdown.
    sync_writer: Option<Arc<SyncWriter>>,
    finished: bool,
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
        if !self.finished {
            let _ = self.shutdown_inner(DROP_SHUTDOWN_TIMEOUT);
        }
    }
}
