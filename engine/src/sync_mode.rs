//! `Mode::Sync`: the caller formats and writes its own record, under a mutex.
//!
//! The same line format, sinks and accounting as the writer thread, one
//! `pwrite` per record — the baseline the report measures against. A
//! sync-mode logger has no writer thread and no rings: each of its
//! producers routes records to the one [`SyncWriter`] the logger holds.
//!
//! # Calls from inside a sink
//!
//! A sink runs in the caller while it holds the writer. When the sink (or a
//! library it calls) logs to the same logger, or asks it to flush, sync or
//! reopen, that call would wait for the writer its own thread holds. The
//! writer therefore remembers which thread holds it ([`SyncWriter::enter`]),
//! and such a call is answered at once: a record is counted dropped, the
//! others return [`Reentered`] (the logger's `OnWriterThread` errors).
//!
//! # A sink that panics
//!
//! A panic in a sink (or a custom format) ends a sync-mode logger as it
//! ends the writer thread of an async one: the call that ran into it
//! returns normally, the records the sinks held (gathered, or taken by a
//! deferred sink) are counted dropped, so is every later record, the
//! panic is reported in `recent_errors`, and shutdown returns
//! `WriterPanicked`. The sinks are not called again, not even to close;
//! that call drops them (a shutdown's close drops them too). A panic in a
//! sink's (or a custom format's) `Drop` is caught and reported the same
//! way: it never reaches the caller, nor a thread-local destructor that
//! drops the last handle, where it would abort the process.
//! `written + dropped == enqueued` holds whatever the sink does.

use crate::error::{panic_text, FlushError, ReopenError};
use crate::format::{Parts, Record};
use crate::io::pwrite::Pwrite;
use crate::io::Cancel;
use crate::level::Level;
use crate::record::RecordKind;
use crate::reopen::{ReopenFailures, ReopenSeen};
use crate::shared::{lock, Shared};
use crate::signal::Registration;
use crate::stats::{bump, ProducerCounters, Stats};
use crate::sync::Ordering;
use crate::writer::sinks::SinkSet;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

/// The caller-side writer of a sync-mode logger.
pub(crate) struct SyncWriter {
    inner: Mutex<Inner>,
    /// Set by shutdown before it takes `inner`: calls count their record
    /// dropped without waiting for a caller stuck in a sink, and the
    /// caller holding `inner` then closes the sinks if shutdown could not.
    closing: AtomicBool,
    /// The [`thread_mark`] of the thread holding `inner`, 0 when none.
    /// Stored by that thread only, right after locking and before
    /// unlocking (see [`Held`]).
    holder: AtomicUsize,
    /// Set (under `inner`) when a sink panicked; never cleared.
    panicked: AtomicBool,
}

/// A call from inside one of the writer's own sinks (see the module docs).
#[derive(Debug)]
pub(crate) struct Reentered;

thread_local! {
    /// Its address tells threads apart (never 0, unique among live threads).
    static MARK: u8 = const { 0 };
}

/// The calling thread's mark. A constant thread-local without destructor
/// is usable at any time, thread-local destructors included.
fn thread_mark() -> usize {
    MARK.with(|m| m as *const u8 as usize)
}

/// The writer's state, locked by the calling thread.
struct Held<'a> {
    inner: MutexGuard<'a, Inner>,
    holder: &'a AtomicUsize,
}

impl Drop for Held<'_> {
    /// Clears the mark before the lock (a field, dropped after this) is released.
    fn drop(&mut self) {
        // Relaxed: only this thread ever stores its own mark, and it reads
        // its own stores in order; other threads never see theirs here.
        self.holder.store(0, Ordering::Relaxed);
    }
}

impl std::ops::Deref for Held<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl std::ops::DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        &mut self.inner
    }
}

struct Inner {
    sinks: SinkSet,
    io: Pwrite,
    /// A deferred record's rendered message.
    message: Vec<u8>,
    /// Set by shutdown; later records are counted dropped.
    closed: bool,
    /// Reopen signals acted on (see `reopen`).
    reopened: ReopenSeen,
    /// The reopen signal's registration, let go at close (the logger's
    /// handles hold the handler too: see `lifecycle`).
    signal: Option<Registration>,
    /// Set while a call's record is neither handed to the sinks nor
    /// counted: a sink that panics then leaves it to the caller to count.
    in_hand: bool,
}

/// What a sync-mode call writes: the record's parts as the producer has them.
pub(crate) struct SyncRecord<'a> {
    pub kind: RecordKind,
    pub level: Level,
    pub clock: u64,
    pub thread: u32,
    pub target: &'a str,
    /// `(file, line)` when the logger captures call sites and the call had one.
    pub call_site: Option<crate::record::FileLine<'a>>,
    pub payload: &'a [u8],
}

impl SyncWriter {
    /// A writer whose stream writes give up once `cancel` is set.
    pub(crate) fn new(
        sinks: SinkSet,
        signal: Option<Registration>,
        cancel: Cancel,
    ) -> SyncWriter {
        SyncWriter {
            inner: Mutex::new(Inner {
                sinks,
                io: Pwrite::new(cancel),
                message: Vec::new(),
                closed: false,
                reopened: ReopenSeen::start(signal.as_ref()),
                signal,
                in_hand: false,
            }),
            closing: AtomicBool::new(false),
            holder: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
        }
    }

    /// Whether a sink panicked (the logger then writes no more).
    pub(crate) fn panicked(&self) -> bool {
        // Relaxed: stored under `inner`; shutdown reads it after taking it.
        self.panicked.load(Ordering::Relaxed)
    }

    /// Runs `f`, which calls into the sinks, on the locked writer. Should
    /// a sink panic, the writer is given up (see the module docs) and
    /// `None` returned: the panic goes no further than here.
    fn guarded<R>(
        &self,
        d: &mut Inner,
        shared: &Shared,
        f: impl FnOnce(&mut Inner) -> R,
    ) -> Option<R> {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut *d)));
        match run {
            Ok(r) => Some(r),
            Err(payload) => {
                d.give_up(shared, panic_text(payload.as_ref()));
                // Relaxed: see `panicked`.
                self.panicked.store(true, Ordering::Relaxed);
                None
            }
        }
    }

    /// Locks the writer for the calling thread, or `Reentered` when this
    /// thread holds it already (a sink calling back into its logger).
    fn enter(&self) -> Result<Held<'_>, Reentered> {
        let me = thread_mark();
        // Relaxed: see `Held::drop`.
        if self.holder.load(Ordering::Relaxed) == me {
            return Err(Reentered);
        }
        let inner = lock(&self.inner);
        self.holder.store(me, Ordering::Relaxed);
        Ok(Held {
            inner,
            holder: &self.holder,
        })
    }

    /// Formats and writes one record before returning; from inside one of
    /// the writer's sinks, counts it dropped.
    pub(crate) fn write(&self, shared: &Shared, counters: &ProducerCounters, r: SyncRecord<'_>) {
        // Relaxed: a hint that spares the lock; `closed` below decides.
        if self.closing.load(Ordering::Relaxed) {
            bump(&counters.dropped);
            return;
        }
        let Ok(mut d) = self.enter() else {
            bump(&counters.dropped);
            return;
        };
        if d.closed {
            bump(&counters.dropped);
            return;
        }
        let written = self.guarded(&mut d, shared, |d| d.write(shared, counters, r));
        if written.is_none() {
            // A sink panicked: `give_up` counted what the sinks held; the
            // record itself, if they did not take it yet, is counted here.
            if std::mem::take(&mut d.in_hand) {
                bump(&counters.dropped);
            }
            return;
        }
        if self.closing.load(Ordering::Relaxed) {
            // Shutdown gave up waiting for this call: close for it.
            self.guarded(&mut d, shared, |d| d.close(shared));
        }
    }

    /// `flush` in sync mode: every record is written already; waits for
    /// deferred sinks to settle theirs (at most their flush timeout).
    /// `ShutDown` when a sink panicked meanwhile (as for `sync`).
    pub(crate) fn flush(&self, shared: &Shared) -> Result<(), FlushError> {
        let mut d = self.enter().map_err(|Reentered| FlushError::OnWriterThread)?;
        if d.closed {
            // Closed by a shutdown while this call waited for the writer:
            // what the deferred sinks held was settled or counted then.
            return Ok(());
        }
        let settled = self.guarded(&mut d, shared, |d| d.sinks.flush_deferred(shared));
        settled.ok_or(FlushError::ShutDown)
    }

    /// `flush_sync` in sync mode: a flush (the deferred sinks settle),
    /// then the caller syncs every file written so far. `ShutDown` when
    /// the sinks are closed — by a shutdown that came while the call
    /// waited for the writer, or a sink's panic — and nothing was synced.
    pub(crate) fn sync(&self, shared: &Shared) -> Result<(), FlushError> {
        let mut d = self.enter().map_err(|Reentered| FlushError::OnWriterThread)?;
        if d.closed {
            return Err(FlushError::ShutDown);
        }
        let ticket = shared.flush.sync_requested.fetch_add(1, Ordering::Relaxed) + 1;
        let synced = self.guarded(&mut d, shared, |d| {
            d.sinks.flush_deferred(shared);
            d.sinks.request_sync(&mut d.io, shared, ticket, false)
        });
        // A sink panicked: the logger is closed, as a writer thread that
        // panics leaves it.
        synced.ok_or(FlushError::ShutDown)
    }

    /// `Logger::reopen` in sync mode: the caller reopens every sink's file
    /// (none once the writer is closed); returns the sinks that failed in
    /// this reopen and the last one's report (another thread's reopen,
    /// before or after, is its own).
    pub(crate) fn reopen(&self, shared: &Shared) -> Result<ReopenFailures, ReopenError> {
        let Ok(mut d) = self.enter() else {
            return Err(ReopenError::OnWriterThread);
        };
        if d.closed {
            return Err(ReopenError::ShutDown);
        }
        let failed = self.guarded(&mut d, shared, |d| d.sinks.reopen_all(&mut d.io, shared));
        failed.ok_or(ReopenError::ShutDown)
    }

    /// Closes the sinks; records logged afterwards are dropped and counted.
    /// Waits at most `timeout` for a call still writing (a sink that does
    /// not drain); then gives up — a stream write in progress is cancelled
    /// — and fails with the counters as they stood at the timeout (read
    /// before giving up, which lets the stuck calls return and count their
    /// records): that call closes the sinks when it returns. From inside
    /// one of the writer's sinks, fails at once with the counters then
    /// (the call in progress closes them).
    pub(crate) fn close(&self, shared: &Shared, timeout: Duration) -> Result<(), Stats> {
        self.closing.store(true, Ordering::Relaxed);
        // Relaxed: see `Held::drop`.
        if self.holder.load(Ordering::Relaxed) == thread_mark() {
            return Err(shared.stats());
        }
        let deadline = crate::shared::deadline_after(Instant::now(), timeout);
        loop {
            match self.inner.try_lock() {
                Ok(mut d) => {
                    // A sink that panics closing is reported by `panicked`.
                    self.guarded(&mut d, shared, |d| d.close(shared));
                    return Ok(());
                }
                Err(TryLockError::Poisoned(p)) => {
                    p.into_inner().close(shared);
                    return Ok(());
                }
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(TryLockError::WouldBlock) => {
                    let stats = shared.stats();
                    shared.give_up(timeout);
                    return Err(stats);
                }
            }
        }
    }
}

impl Inner {
    /// [`SyncWriter::write`] on the locked writer: formats `r` and writes
    /// it (runs the sinks).
    fn write(&mut self, shared: &Shared, counters: &ProducerCounters, r: SyncRecord<'_>) {
        self.in_hand = true;
        let nanos = shared.hot.clock.converter().unix_nanos(r.clock);
        if let Some(now) = self.reopened.newer(shared, self.signal.as_ref()) {
            // A reopen signal arrived: the files are reopened before this record.
            // Its failures are counted in `errors` and reported; no
            // `Logger::reopen` call waits for them.
            self.reopened = now;
            self.sinks.reopen_all(&mut self.io, shared);
        }
        let parts = Parts {
            kind: r.kind,
            level: r.level,
            unix_nanos: nanos,
            thread: r.thread,
            target: r.target.as_bytes(),
            call_site: r.call_site,
        };
        let rendering = self.sinks.rendering();
        let Some(rec) = Record::from_parts(parts, r.payload, &mut self.message, rendering) else {
            self.in_hand = false;
            bump(&counters.dropped);
            return;
        };
        if self.sinks.any_full() {
            // Block with a full deferred sink: the caller waits for room,
            // as far as the sink's flush timeout, then goes on.
            self.sinks.wait_for_room(shared);
        }
        // `push` counts the record among the sinks' `outstanding` as its
        // last step: until then a panic leaves it in hand.
        let pushed = self.sinks.push(&rec);
        self.in_hand = false;
        if !pushed {
            bump(&counters.dropped);
            return;
        }
        self.sinks.count_unrouted(shared);
        self.sinks.submit_all(&mut self.io, shared);
    }

    /// After a sink panicked: the records the sinks held are counted
    /// dropped, later calls find the logger closed, and the sinks are not
    /// called again (see the module docs).
    fn give_up(&mut self, shared: &Shared, why: String) {
        self.closed = true;
        self.signal = None;
        self.sinks.abandon(&mut self.io, shared);
        self.drop_sinks(shared);
        // SeqCst, as `begin_shutdown`: later calls count their record dropped.
        shared.hot.closed.store(true, Ordering::SeqCst);
        shared.report_error(format!(
            "a sink panicked in sync mode ({why}): the logger writes nothing more"
        ));
    }

    /// Closes the sinks once; true.
    fn close(&mut self, shared: &Shared) -> bool {
        if !self.closed {
            self.closed = true;
            self.sinks.settle_until(shared, shared.settle_deadline());
            self.sinks.close(shared);
            self.sinks.drop_unsettled(shared);
            self.signal = None;
            self.drop_sinks(shared);
        }
        true
    }

    /// Drops the sinks and formats one by one, each panic in a `Drop`
    /// caught, counted as an error and reported.
    fn drop_sinks(&mut self, shared: &Shared) {
        for why in drop_each(self.sinks.take_user_code()) {
            crate::stats::WriterCounters::add(&shared.counters.errors, 1);
            shared.report_error(format!("a sink panicked when dropped in sync mode ({why})"));
        }
    }
}

impl Drop for Inner {
    /// The logger's last handle is going (perhaps in a thread-local
    /// destructor, where a panic aborts): sinks not dropped at close are
    /// dropped here, their panics caught; nobody is left to report to.
    fn drop(&mut self) {
        let _ = drop_each(self.sinks.take_user_code());
    }
}

/// Drops each sink and format in turn (a panic in one `Drop` neither
/// skips the others nor, as a second panic in one unwind, aborts); the
/// panics' messages.
fn drop_each(
    (slots, formatters): (Vec<crate::writer::sinks::SinkSlot>, Vec<crate::format::Formatter>),
) -> Vec<String> {
    let quietly = |f: Box<dyn FnOnce()>| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .err()
            .map(|p| panic_text(p.as_ref()))
    };
    let slots = slots.into_iter().map(|s| Box::new(move || drop(s)) as Box<dyn FnOnce()>);
    let formatters = formatters.into_iter().map(|f| Box::new(move || drop(f)) as Box<dyn FnOnce()>);
    slots.chain(formatters).filter_map(quietly).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::format::Format;
    use crate::policy::{Durability, Formatting, Mode, Policy, Prefault};
    use crate::shared::CallConfig;
    use crate::sink::{ReopenCause, Sink, Target};
    use crate::writer::durability::SyncPlan;
    use crate::writer::sinks::SinkSlot;
    use std::io;
    use std::sync::atomic::AtomicU64;
    use std::sync::Arc;
    use std::time::Duration;

    /// Counts its reopens.
    struct Reopens(Arc<AtomicU64>);

    impl Sink for Reopens {
        fn describe(&self) -> String {
            "reopens".to_owned()
        }
        fn target(&mut self, _len: usize) -> io::Result<Target> {
            Ok(Target::Inline)
        }
        fn reopen(&mut self, _cause: ReopenCause) -> io::Result<()> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    }

    #[test]
    fn a_closed_writer_reopens_nothing() {
        let n = Arc::new(AtomicU64::new(0));
        let slot = SinkSlot::new(Box::new(Reopens(n.clone())), Level::Trace, Format::text());
        let plan = SyncPlan {
            durability: Durability::None,
            interval_bytes: u64::MAX,
            interval: Duration::from_secs(3600),
        };
        let w = SyncWriter::new(
            SinkSet::new(vec![slot], 4096, plan),
            None,
            Cancel::default(),
        );
        let sh = Shared::new(
            Level::Trace,
            Level::Trace,
            Policy::Block,
            Mode::Sync,
            CallConfig {
                formatting: Formatting::Caller,
                prefault: Prefault::Lazy,
                call_sites: false,
            },
            4096,
            Clock::Realtime,
        );
        w.reopen(&sh).unwrap();
        assert_eq!(n.load(Ordering::Relaxed), 1);
        // A `Logger::reopen` that saw the logger open, then waited for the
        // writer while shutdown closed it.
        assert!(w.close(&sh, Duration::from_secs(5)).is_ok());
        assert_eq!(w.reopen(&sh), Err(ReopenError::ShutDown));
        assert_eq!(n.load(Ordering::Relaxed), 1, "closed sinks stay closed");
    }
}
