//! `Logger`: the cheap, cloneable handle every log call goes through.
//!
//! A call finds the calling thread's [`Producer`] for this logger in a
//! thread-local list (registering a new ring on the thread's first call) and
//! logs through it. Several loggers may coexist; each thread holds one
//! producer per logger it has used. When the thread exits, its producers are
//! dropped, the writer drains what they left and releases their rings.

use crate::builder::Builder;
use crate::error::FlushError;
use crate::field::Field;
use crate::io::IoBackendInfo;
use crate::level::Level;
use crate::producer::Producer;
use crate::shared::{lock, Shared};
use crate::stats::Stats;
use crate::sync_mode::SyncWriter;
use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

thread_local! {
    /// This thread's producers, one per logger it has logged through.
    static LOCAL: RefCell<Vec<Producer>> = const { RefCell::new(Vec::new()) };
}

/// A handle to a logger: `Clone + Send + Sync`, cheap to clone.
///
/// Log with the macros: `uringlog::info!(logger, "id={}", 42)`.
#[derive(Clone)]
pub struct Logger {
    pub(crate) shared: Arc<Shared>,
    /// Sync mode's caller-side writer (`None` in async mode).
    pub(crate) sync_writer: Option<Arc<SyncWriter>>,
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("level", &self.level())
            .field("policy", &self.shared.policy)
            .field("mode", &self.shared.mode)
            .finish_non_exhaustive()
    }
}

impl Logger {
    /// A builder with the defaults listed on [`Builder`].
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Whether a record at `level` would be accepted (one relaxed load).
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        self.shared.enabled(level)
    }

    /// The minimum level accepted.
    pub fn level(&self) -> Level {
        Level::from_u8(self.shared.hot.level.load(Ordering::Relaxed)).unwrap_or(Level::Error)
    }

    /// Changes the minimum level accepted, for every handle of this logger.
    /// It never goes below the lowest level any sink takes (a record no
    /// sink wants is not accepted, rather than accepted and lost).
    pub fn set_level(&self, level: Level) {
        let level = level.max(self.shared.level_floor);
        self.shared.hot.level.store(level as u8, Ordering::Relaxed);
    }

    /// Logs one record through the calling thread's producer.
    #[inline]
    pub fn log(&self, level: Level, target: &str, args: fmt::Arguments<'_>) {
        if self.shared.enabled(level) {
            self.with_producer(|p| p.log_enabled(level, target, args));
        }
    }

    /// Logs one record with structured fields through the calling thread's
    /// producer (what `info!(logger, key = value; "msg")` calls).
    #[inline]
    pub fn log_fields(
        &self,
        level: Level,
        target: &str,
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        if self.shared.enabled(level) {
            self.with_producer(|p| p.log_fields_enabled(level, target, fields, args));
        }
    }

    /// Runs `f` on this thread's producer for this logger, registering one
    /// on first use; counts the call dropped when there is none to be had.
    #[inline]
    fn with_producer(&self, f: impl FnOnce(&mut Producer)) {
        let logged = LOCAL
            .try_with(|cell| {
                let Ok(mut list) = cell.try_borrow_mut() else {
                    return false;
                };
                let p = match list
                    .iter()
                    .position(|p| Arc::ptr_eq(&p.shared, &self.shared))
                {
                    Some(i) => &mut list[i],
                    None => self.register_local(&mut list),
                };
                f(p);
                true
            })
            .unwrap_or(false);
        if !logged {
            self.count_unroutable();
        }
    }

    #[cold]
    fn register_local<'a>(&self, list: &'a mut Vec<Producer>) -> &'a mut Producer {
        // Release the rings of loggers that have shut down.
        list.retain(|p| !p.shared.is_closed());
        list.push(Producer::register(&self.shared, self.sync_writer.as_ref()));
        list.last_mut().expect("just pushed")
    }

    /// A call made while this thread's producers are unavailable (logging
    /// from inside a `Display` impl being logged, or from a thread-local
    /// destructor): counted as enqueued and dropped.
    #[cold]
    fn count_unroutable(&self) {
        self.shared.misc.enqueued.fetch_add(1, Ordering::Relaxed);
        self.shared.misc.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// An explicit producer with its own ring, for hot loops that want no
    /// thread-local lookup. Records from it keep their order.
    pub fn producer(&self) -> Producer {
        Producer::register(&self.shared, self.sync_writer.as_ref())
    }

    /// Waits until every record logged before the call, from any thread, has
    /// been handed to the kernel (or counted dropped).
    ///
    /// Returns [`FlushError::Io`] when batches failed since the previous
    /// flush returned, and [`FlushError::ShutDown`] after shutdown.
    pub fn flush(&self) -> Result<(), FlushError> {
        self.flush_inner(None)
    }

    /// [`Logger::flush`] that gives up after `timeout`.
    pub fn flush_timeout(&self, timeout: Duration) -> Result<(), FlushError> {
        self.flush_inner(Some(timeout))
    }

    /// Waits until every record logged before the call, from any thread,
    /// is written *and* made durable: each file sink is `fdatasync`ed after
    /// its writes completed. Errors as for [`Logger::flush`], including a
    /// failed sync.
    ///
    /// With io_uring the writer keeps draining while the sync runs in the
    /// kernel; with pwrite the writer thread itself waits for the disk. In
    /// sync mode the calling thread syncs.
    pub fn flush_sync(&self) -> Result<(), FlushError> {
        let sh = &self.shared;
        if let Some(w) = &self.sync_writer {
            if sh.is_closed() {
                return Err(FlushError::ShutDown);
            }
            w.sync(sh);
            return self.io_result();
        }
        let f = &sh.flush;
        self.wait_ticket(&f.sync_requested, &f.sync_done, None)
    }

    fn flush_inner(&self, timeout: Option<Duration>) -> Result<(), FlushError> {
        let sh = &self.shared;
        if self.sync_writer.is_some() {
            return if sh.is_closed() {
                Err(FlushError::ShutDown)
            } else {
                self.io_result()
            };
        }
        self.wait_ticket(&sh.flush.requested, &sh.flush.done, timeout)
    }

    /// Takes a ticket from `requested` and waits until `done` reaches it.
    fn wait_ticket(
        &self,
        requested: &AtomicU64,
        done: &AtomicU64,
        timeout: Option<Duration>,
    ) -> Result<(), FlushError> {
        let sh = &self.shared;
        if sh.writer_done.load(Ordering::Acquire) {
            return Err(FlushError::ShutDown);
        }
        // SeqCst: pairs with the writer's Acquire load in `control`; every
        // record this thread (or any thread that synchronised with it)
        // committed before is visible to the writer's next read.
        let ticket = requested.fetch_add(1, Ordering::SeqCst) + 1;
        sh.wake_writer();
        let deadline = timeout.map(|t| Instant::now() + t);
        if !sh.flush.wait(done, ticket, &sh.writer_done, deadline) {
            if sh.writer_done.load(Ordering::Acquire) {
                return Err(FlushError::ShutDown);
            }
            return Err(FlushError::Timeout {
                timeout_ms: timeout.unwrap_or_default().as_millis() as u64,
            });
        }
        self.io_result()
    }

    /// `Err(Io)` when batches failed since the previous flush returned.
    fn io_result(&self) -> Result<(), FlushError> {
        let sh = &self.shared;
        let now = sh.counters.errors.load(Ordering::Relaxed);
        let before = sh.flush.errors_seen.swap(now, Ordering::Relaxed);
        if now > before {
            let last = lock(&sh.recent_errors).back().cloned().unwrap_or_default();
            return Err(FlushError::Io {
                failed_batches: now - before,
                last,
            });
        }
        Ok(())
    }

    /// The counters now. Once the writer has shut down and every log call
    /// has returned, `written + dropped == enqueued` exactly.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// The I/O backend in use and why it was chosen.
    pub fn io_backend(&self) -> IoBackendInfo {
        self.shared.backend.get().cloned().unwrap_or(IoBackendInfo {
            kind: crate::io::BackendKind::Pwrite,
            reason: "not started".to_owned(),
        })
    }

    /// How producers wake a sleeping writer: `membarrier` (the writer pays
    /// a barrier syscall on its way to sleep, a producer only a compiler
    /// fence per record), or a `SeqCst` fence per record where `membarrier`
    /// is refused, with the reason.
    pub fn wake_mechanism(&self) -> &str {
        &self.shared.wake_note
    }

    /// Debug accessor: how often the writer registered to sleep, and how
    /// many wake-up syscalls woke it (each woke one sleep; a burst of
    /// records pays one). The second never exceeds the first.
    #[doc(hidden)]
    pub fn writer_wake_counts(&self) -> (u64, u64) {
        self.shared.wake.counts()
    }

    /// The most recent I/O error descriptions (oldest first, at most 32).
    pub fn recent_errors(&self) -> Vec<String> {
        lock(&self.shared.recent_errors).iter().cloned().collect()
    }

    /// Whether shutdown has begun; records logged now are counted dropped.
    pub fn is_shut_down(&self) -> bool {
        self.shared.is_closed()
    }
}
