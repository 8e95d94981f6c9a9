//! `Logger`: the cheap, cloneable handle every log call goes through.
//!
//! A call finds the calling thread's [`Producer`] for this logger in a
//! thread-local list (registering a new ring on the thread's first call) and
//! logs through it. Several loggers may coexist; each thread holds one
//! producer per logger it has used. When the thread exits, its producers are
//! dropped, the writer drains what they left and releases their rings.

use crate::builder::Builder;
use crate::callsite::CallSite;
use crate::deferred::encode::EncodeArgs;
use crate::error::{FlushError, ReopenError};
use crate::field::Field;
use crate::filter::CallsiteCache;
use crate::io::IoBackendInfo;
use crate::level::Level;
use crate::producer::Producer;
use crate::record::{Location, RecordKind};
use crate::shared::{deadline_after, lock, Shared};
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
///
/// The writer runs while the [`WriterGuard`](crate::WriterGuard) or any
/// handle lives: when the guard was dropped first, dropping the last
/// handle drains and stops it (waiting up to
/// [`DROP_SHUTDOWN_TIMEOUT`](crate::DROP_SHUTDOWN_TIMEOUT)).
///
/// ```
/// use std::time::Duration;
/// use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
///
/// let (sink, out) = MemorySink::new();
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .format(Format::text().timestamp(Timestamp::Off))
///     .build()?;
/// let worker = logger.clone(); // one handle per thread, cheap
/// std::thread::spawn(move || uringlog::info!(worker, target: "job", "id={}", 7))
///     .join()
///     .unwrap();
/// logger.log(Level::Warn, "job", format_args!("pre-formatted"));
/// logger.flush()?; // every record logged before it is written
/// assert_eq!(out.text(), "INFO  job: id=7\nWARN  job: pre-formatted\n");
/// assert_eq!(logger.stats().written, 2);
/// guard.shutdown(Duration::from_secs(5))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Logger {
    pub(crate) shared: Arc<Shared>,
    /// Sync mode's caller-side writer (`None` in async mode).
    pub(crate) sync_writer: Option<Arc<SyncWriter>>,
    /// Counted in the logger's lifecycle (keeps a dropped guard's writer
    /// running). False for the handles front ends keep (`log` facade,
    /// `tracing` layer and writer), which live as long as the process.
    counted: bool,
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

impl Clone for Logger {
    fn clone(&self) -> Logger {
        let mut l = Logger::from_shared(self.shared.clone(), self.sync_writer.clone());
        if !self.counted {
            l.make_uncounted();
        }
        l
    }
}

impl Drop for Logger {
    fn drop(&mut self) {
        if self.counted {
            self.shared.lifecycle.handle_dropped();
        }
    }
}

impl Logger {
    /// A handle on `shared`.
    pub(crate) fn from_shared(shared: Arc<Shared>, sync_writer: Option<Arc<SyncWriter>>) -> Logger {
        shared.lifecycle.handle_created();
        Logger {
            shared,
            sync_writer,
            counted: true,
        }
    }

    /// A handle for a front end that keeps it for good (a global
    /// subscriber or the `log` facade): it does not keep a dropped guard's
    /// writer running, so dropping the user's last handle still drains.
    pub(crate) fn uncounted(&self) -> Logger {
        let mut l = self.clone();
        l.make_uncounted();
        l
    }

    fn make_uncounted(&mut self) {
        if std::mem::replace(&mut self.counted, false) {
            self.shared.lifecycle.handle_dropped();
        }
    }

    /// A builder with the defaults listed on [`Builder`].
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Whether a record at `level` may be accepted for some target (one
    /// relaxed load): without target directives, whether it is accepted.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        self.shared.enabled(level)
    }

    /// Whether a record at `level` for `target` is accepted. With target
    /// directives this matches `target` against their prefixes; the macros
    /// use [`Logger::enabled_at`] instead.
    #[inline]
    pub fn enabled_for(&self, level: Level, target: &str) -> bool {
        self.shared.enabled_for(level, target)
    }

    /// [`Logger::enabled_for`] with a call site's cached decision: two
    /// loads and a compare once cached. `target` must be the same on every
    /// call with `cache` (see [`CallsiteCache`]).
    #[inline]
    pub fn enabled_at(&self, level: Level, target: &str, cache: &CallsiteCache) -> bool {
        self.shared.enabled_at(level, target, cache)
    }

    /// The default level: the minimum level of targets no directive names.
    pub fn level(&self) -> Level {
        self.shared.filter.default_level()
    }

    /// Changes the default level, for every handle of this logger and
    /// every front end (the macros, `log::max_level()` when this logger is
    /// the global one, `tracing` callsites).
    ///
    /// Target directives given to [`Builder::filter`] stay: `set_level`
    /// replaces the bare level of the directives (`info` in
    /// `info,hyper=off`), so `hyper` stays off and a target set to `debug`
    /// keeps `debug`. The level never goes below the lowest level any sink
    /// takes (a record no sink wants is not accepted, rather than accepted
    /// and lost).
    pub fn set_level(&self, level: Level) {
        let sh = &self.shared;
        sh.filter.set_default(level, &sh.hot.level);
        sh.front_ends.filter_changed(sh);
    }

    /// Logs one record through the calling thread's producer, if
    /// [`Logger::enabled_for`] accepts it.
    #[inline]
    pub fn log(&self, level: Level, target: &str, args: fmt::Arguments<'_>) {
        if self.shared.enabled_for(level, target) {
            self.with_producer(|p| p.log_enabled(level, target, None, args));
        }
    }

    /// Logs one record with structured fields through the calling thread's
    /// producer, if [`Logger::enabled_for`] accepts it.
    #[inline]
    pub fn log_fields(
        &self,
        level: Level,
        target: &str,
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        if self.shared.enabled_for(level, target) {
            self.with_producer(|p| p.log_fields_enabled(level, target, None, fields, args));
        }
    }

    /// The handle itself, borrowed: the macros evaluate their logger
    /// expression once through it (a `Producer` is borrowed mutably).
    #[doc(hidden)]
    #[inline(always)]
    pub fn __by_ref(&self) -> &Logger {
        self
    }

    /// Whether a call at `cs` is accepted: its cached decision when the
    /// call site names its target, else a match of `target` (the macros).
    #[doc(hidden)]
    #[inline]
    pub fn __enabled_at_site(&self, level: Level, cs: &'static CallSite, target: &str) -> bool {
        match cs.target {
            Some(t) => self.shared.enabled_at(level, t, &cs.filter),
            None => self.shared.enabled_for(level, target),
        }
    }

    /// A deferred call (what the macros expand to, after the level check).
    #[doc(hidden)]
    #[inline]
    pub fn __log_deferred<A: EncodeArgs>(
        &self,
        cs: &'static CallSite,
        level: Level,
        target: &str,
        args: A,
    ) {
        self.with_producer(|p| p.__log_deferred(cs, level, target, args));
    }

    /// [`Logger::log`] after the level check, with the statement's
    /// `(file, line)` (the macros' fallback).
    #[doc(hidden)]
    #[inline]
    pub fn __log_args(
        &self,
        level: Level,
        target: &str,
        at: (&str, u32),
        args: fmt::Arguments<'_>,
    ) {
        self.with_producer(|p| p.log_enabled(level, target, Some(at), args));
    }

    /// [`Logger::log_fields`] after the level check, with the statement's
    /// `(file, line)` (the macros).
    #[doc(hidden)]
    #[inline]
    pub fn __log_fields(
        &self,
        level: Level,
        target: &str,
        at: (&str, u32),
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        self.with_producer(|p| p.log_fields_enabled(level, target, Some(at), fields, args));
    }

    /// A pre-formatted record with an optional `(file, line)`, after the
    /// front end checked the filter (the `log` facade).
    #[inline]
    pub(crate) fn log_located(
        &self,
        level: Level,
        target: &str,
        at: Option<Location<'_>>,
        args: fmt::Arguments<'_>,
    ) {
        self.with_producer(|p| p.log_enabled(level, target, at, args));
    }

    /// Logs one record whose payload `encode` writes into the thread's
    /// buffer (cleared first), after the front end checked the filter.
    #[inline]
    pub(crate) fn log_encoded(
        &self,
        kind: RecordKind,
        level: Level,
        target: &str,
        at: Option<Location<'_>>,
        encode: impl FnOnce(&mut Vec<u8>),
    ) {
        self.with_producer(|p| p.log_encoded(kind, level, target, at, encode));
    }

    /// Logs one record whose payload is `payload` as given, after the
    /// front end checked the filter.
    #[inline]
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn log_bytes(&self, kind: RecordKind, level: Level, target: &str, payload: &[u8]) {
        self.with_producer(|p| p.log_bytes(kind, level, target, payload));
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
    /// flush returned, and [`FlushError::ShutDown`] after shutdown. In
    /// sync mode, a sink that flushes its own logger from inside its write
    /// gets [`FlushError::OnWriterThread`] at once.
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
            if w.sync(sh).is_err() {
                return Err(FlushError::OnWriterThread);
            }
            return self.io_result();
        }
        let f = &sh.flush;
        self.wait_ticket(&f.sync_requested, &f.sync_done, None)?;
        self.io_result()
    }

    /// Makes every file sink close its file and open its path again
    /// (creating it if it was renamed away or deleted), between two
    /// batches, after every batch in flight to the old files completed.
    /// Returns once done: records logged before the call are in the files
    /// open until now, records logged after it returns go to the reopened
    /// ones. For rename-style rotation: rename the file, then reopen.
    ///
    /// A sink that rotates on its own (`RollingFileSink`) is left alone.
    /// A sink that cannot open its path keeps writing to its old file;
    /// the call then returns [`ReopenError::Failed`] naming the path and
    /// the reason (each failure also counts in `Stats::errors`).
    /// [`crate::Builder::reopen_on_signal`] does the same on a signal.
    ///
    /// ```
    /// # use uringlog::{Logger, MemorySink};
    /// # let (sink, _) = MemorySink::new(); // a FileSink in real use
    /// let (logger, guard) = Logger::builder().sink(sink).build()?;
    /// uringlog::info!(logger, "goes to the file about to be renamed");
    /// // std::fs::rename("app.log", "app.log.1")?;
    /// logger.reopen()?;
    /// uringlog::info!(logger, "goes to a new app.log");
    /// # guard.shutdown(std::time::Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reopen(&self) -> Result<(), ReopenError> {
        let sh = &self.shared;
        let f = &sh.flush;
        let me = std::thread::current().id();
        if sh.writer_thread.get().is_some_and(|w| w.id() == me) {
            return Err(ReopenError::OnWriterThread);
        }
        let before = f.reopen_failed.load(Ordering::Acquire);
        match &self.sync_writer {
            Some(_) if sh.is_closed() => return Err(ReopenError::ShutDown),
            Some(w) => w.reopen(sh)?,
            None => {
                // Timeouts are impossible without one; any error is ShutDown.
                if self
                    .wait_ticket(&f.reopen_requested, &f.reopen_done, None)
                    .is_err()
                {
                    return Err(ReopenError::ShutDown);
                }
            }
        }
        // Acquire: pairs with the writer's Release in `ack`.
        let failed = f.reopen_failed.load(Ordering::Acquire) - before;
        if failed == 0 {
            return Ok(());
        }
        let last = lock(&sh.recent_errors).last_error.clone();
        Err(ReopenError::Failed {
            sinks: failed,
            last,
        })
    }

    fn flush_inner(&self, timeout: Option<Duration>) -> Result<(), FlushError> {
        let sh = &self.shared;
        if let Some(w) = &self.sync_writer {
            if sh.is_closed() {
                return Err(FlushError::ShutDown);
            }
            if w.flush(sh).is_err() {
                return Err(FlushError::OnWriterThread);
            }
            return self.io_result();
        }
        self.wait_ticket(&sh.flush.requested, &sh.flush.done, timeout)?;
        self.io_result()
    }

    /// Takes a ticket from `requested` and waits until `done` reaches it
    /// (`ShutDown` or `Timeout` when it does not).
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
        let deadline = timeout.map(|t| deadline_after(Instant::now(), t));
        if !sh.flush.wait(done, ticket, &sh.writer_done, deadline) {
            if sh.writer_done.load(Ordering::Acquire) {
                return Err(FlushError::ShutDown);
            }
            return Err(FlushError::Timeout {
                timeout_ms: timeout.unwrap_or_default().as_millis() as u64,
            });
        }
        Ok(())
    }

    /// `Err(Io)` when batches failed since the previous flush returned.
    fn io_result(&self) -> Result<(), FlushError> {
        let sh = &self.shared;
        let now = sh.counters.errors.load(Ordering::Relaxed);
        let before = sh.flush.errors_seen.swap(now, Ordering::Relaxed);
        if now > before {
            let last = lock(&sh.recent_errors).last_error.clone();
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

    /// The I/O backend in use and why it was chosen. With `Backend::Auto`
    /// this is [`BackendKind::Measuring`](crate::BackendKind::Measuring)
    /// until the first batches have compared the two backends, then the
    /// one chosen, with the figures it was chosen on.
    pub fn io_backend(&self) -> IoBackendInfo {
        self.shared.backend.get().unwrap_or(IoBackendInfo {
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

    /// Debug accessor: whether the writer has registered to sleep and no
    /// notify has claimed it yet (it sleeps, or is about to).
    #[doc(hidden)]
    pub fn writer_sleeping(&self) -> bool {
        self.shared.wake.waiters() > 0
    }

    /// Debug accessor: how many `Block` producers have registered to sleep
    /// until their full ring has room and were not woken yet.
    #[doc(hidden)]
    pub fn producers_waiting_for_room(&self) -> u32 {
        let reg = lock(&self.shared.registry);
        reg.live.iter().map(|r| r.room_waiters()).sum()
    }

    /// The most recent I/O error descriptions (oldest first, at most 32),
    /// with the notices of sinks that lost nothing (a connection lost or
    /// re-established), which are not counted in `Stats::errors`.
    pub fn recent_errors(&self) -> Vec<String> {
        lock(&self.shared.recent_errors)
            .list
            .iter()
            .cloned()
            .collect()
    }

    /// Whether shutdown has begun; records logged now are counted dropped.
    pub fn is_shut_down(&self) -> bool {
        self.shared.is_closed()
    }
}
