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

use crate::error::ReopenError;
use crate::format::{Parts, Record};
use crate::io::pwrite::Pwrite;
use crate::level::Level;
use crate::record::RecordKind;
use crate::reopen::ReopenSeen;
use crate::shared::{lock, Shared};
use crate::signal::Registration;
use crate::stats::{bump, ProducerCounters};
use crate::sync::Ordering;
use crate::writer::sinks::SinkSet;
use std::sync::atomic::AtomicUsize;
use std::sync::{Mutex, MutexGuard};

/// The caller-side writer of a sync-mode logger.
pub(crate) struct SyncWriter {
    inner: Mutex<Inner>,
    /// The [`thread_mark`] of the thread holding `inner`, 0 when none.
    /// Stored by that thread only, right after locking and before
    /// unlocking (see [`Held`]).
    holder: AtomicUsize,
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
    /// The reopen signal's registration, released at close.
    signal: Option<Registration>,
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
    pub(crate) fn new(sinks: SinkSet, signal: Option<Registration>) -> SyncWriter {
        SyncWriter {
            inner: Mutex::new(Inner {
                sinks,
                io: Pwrite::default(),
                message: Vec::new(),
                closed: false,
                reopened: ReopenSeen::start(signal.as_ref()),
                signal,
            }),
            holder: AtomicUsize::new(0),
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
        let Ok(mut d) = self.enter() else {
            bump(&counters.dropped);
            return;
        };
        if d.closed {
            bump(&counters.dropped);
            return;
        }
        let nanos = shared.clock.converter().unix_nanos(r.clock);
        let d = &mut *d;
        if let Some(now) = d.reopened.newer(shared, d.signal.as_ref()) {
            // A reopen signal arrived: the files are reopened before this record.
            d.reopened = now;
            let failed = d.sinks.reopen_all(&mut d.io, shared);
            shared
                .flush
                .reopen_failed
                .fetch_add(failed, Ordering::Relaxed);
        }
        let parts = Parts {
            kind: r.kind,
            level: r.level,
            unix_nanos: nanos,
            thread: r.thread,
            target: r.target.as_bytes(),
            call_site: r.call_site,
        };
        let rendering = d.sinks.rendering();
        let Some(rec) = Record::from_parts(parts, r.payload, &mut d.message, rendering) else {
            bump(&counters.dropped);
            return;
        };
        if d.sinks.any_full() {
            // Block with a full deferred sink: the caller waits for room,
            // as far as the sink's flush timeout, then goes on.
            d.sinks.wait_for_room(shared);
        }
        if !d.sinks.push(&rec) {
            bump(&counters.dropped);
            return;
        }
        d.sinks.count_unrouted(shared);
        d.sinks.submit_all(&mut d.io, shared);
    }

    /// `flush` in sync mode: every record is written already; waits for
    /// deferred sinks to settle theirs (at most their flush timeout).
    pub(crate) fn flush(&self, shared: &Shared) -> Result<(), Reentered> {
        let mut d = self.enter()?;
        if !d.closed {
            d.sinks.flush_deferred(shared);
        }
        Ok(())
    }

    /// `flush_sync` in sync mode: the caller syncs every file written so far.
    pub(crate) fn sync(&self, shared: &Shared) -> Result<(), Reentered> {
        let mut d = self.enter()?;
        let d = &mut *d;
        let ticket = shared.flush.sync_requested.fetch_add(1, Ordering::Relaxed) + 1;
        d.sinks.request_sync(&mut d.io, shared, ticket);
        Ok(())
    }

    /// `Logger::reopen` in sync mode: the caller reopens every sink's file
    /// (none once the writer is closed).
    pub(crate) fn reopen(&self, shared: &Shared) -> Result<(), ReopenError> {
        let Ok(mut d) = self.enter() else {
            return Err(ReopenError::OnWriterThread);
        };
        if d.closed {
            return Err(ReopenError::ShutDown);
        }
        let d = &mut *d;
        let failed = d.sinks.reopen_all(&mut d.io, shared);
        // Relaxed: the caller reads it after this lock is released.
        shared
            .flush
            .reopen_failed
            .fetch_add(failed, Ordering::Relaxed);
        Ok(())
    }

    /// Closes the sinks; records logged afterwards are dropped and counted.
    pub(crate) fn close(&self, shared: &Shared) {
        let mut d = lock(&self.inner);
        if !d.closed {
            d.closed = true;
            d.sinks.settle_until(shared, shared.settle_deadline());
            d.sinks.close(shared);
            d.sinks.drop_unsettled(shared);
            d.signal = None;
        }
    }
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
        let w = SyncWriter::new(SinkSet::new(vec![slot], 4096, plan), None);
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
        w.close(&sh);
        assert_eq!(w.reopen(&sh), Err(ReopenError::ShutDown));
        assert_eq!(n.load(Ordering::Relaxed), 1, "closed sinks stay closed");
    }
}
