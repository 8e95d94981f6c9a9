//! `Mode::Sync`: the caller formats and writes its own record, under a mutex.
//!
//! The same line format, sinks and accounting as the writer thread, one
//! `pwrite` per record — the baseline the report measures against. A
//! sync-mode logger has no writer thread and no rings: each of its
//! producers routes records to the one [`SyncWriter`] the logger holds.

use crate::format::Record;
use crate::io::pwrite::Pwrite;
use crate::io::Cancel;
use crate::level::Level;
use crate::record::RecordKind;
use crate::reopen::ReopenSeen;
use crate::shared::{lock, Shared};
use crate::signal::Registration;
use crate::stats::{bump, ProducerCounters};
use crate::sync::Ordering;
use crate::writer::sinks::SinkSet;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, TryLockError};
use std::time::{Duration, Instant};

/// The caller-side writer of a sync-mode logger.
pub(crate) struct SyncWriter {
    inner: Mutex<Inner>,
    /// Set by shutdown before it takes `inner`: calls count their record
    /// dropped without waiting for a caller stuck in a sink, and the
    /// caller holding `inner` then closes the sinks if shutdown could not.
    closing: AtomicBool,
}

struct Inner {
    sinks: SinkSet,
    io: Pwrite,
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
    pub payload: &'a [u8],
}

impl SyncWriter {
    /// A writer whose stream writes give up once `cancel` is set.
    pub(crate) fn new(sinks: SinkSet, signal: Option<Registration>, cancel: Cancel) -> SyncWriter {
        SyncWriter {
            inner: Mutex::new(Inner {
                sinks,
                io: Pwrite::new(cancel),
                closed: false,
                reopened: ReopenSeen::start(signal.as_ref()),
                signal,
            }),
            closing: AtomicBool::new(false),
        }
    }

    /// Formats and writes one record before returning.
    pub(crate) fn write(&self, shared: &Shared, counters: &ProducerCounters, r: SyncRecord<'_>) {
        // Relaxed: a hint that spares the lock; `closed` below decides.
        if self.closing.load(Ordering::Relaxed) {
            bump(&counters.dropped);
            return;
        }
        let mut d = lock(&self.inner);
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
        let target = r.target.as_bytes();
        let Some(rec) = Record::from_parts(r.kind, r.level, nanos, r.thread, target, r.payload)
        else {
            bump(&counters.dropped);
            return;
        };
        if d.sinks.any_full() {
            // Block with a full deferred sink: the caller waits for room,
            // as far as the sink's flush timeout, then goes on.
            d.sinks.wait_for_room(shared);
        }
        d.sinks.push(&rec);
        d.sinks.count_unrouted(shared);
        d.sinks.submit_all(&mut d.io, shared);
        if self.closing.load(Ordering::Relaxed) {
            // Shutdown gave up waiting for this call: close for it.
            d.close(shared);
        }
    }

    /// `flush` in sync mode: every record is written already; waits for
    /// deferred sinks to settle theirs (at most their flush timeout).
    pub(crate) fn flush(&self, shared: &Shared) {
        let mut d = lock(&self.inner);
        if !d.closed {
            d.sinks.flush_deferred(shared);
        }
    }

    /// `flush_sync` in sync mode: the caller syncs every file written so far.
    pub(crate) fn sync(&self, shared: &Shared) {
        let mut d = lock(&self.inner);
        let d = &mut *d;
        let ticket = shared.flush.sync_requested.fetch_add(1, Ordering::Relaxed) + 1;
        d.sinks.request_sync(&mut d.io, shared, ticket);
    }

    /// `Logger::reopen` in sync mode: the caller reopens every sink's file.
    pub(crate) fn reopen(&self, shared: &Shared) {
        let mut d = lock(&self.inner);
        let d = &mut *d;
        let failed = d.sinks.reopen_all(&mut d.io, shared);
        // Relaxed: the caller reads it after this lock is released.
        shared
            .flush
            .reopen_failed
            .fetch_add(failed, Ordering::Relaxed);
    }

    /// Closes the sinks; records logged afterwards are dropped and counted.
    /// Waits at most `timeout` for a call still writing (a sink that does
    /// not drain); then gives up — a stream write in progress is cancelled
    /// — and returns false: that call closes the sinks when it returns.
    pub(crate) fn close(&self, shared: &Shared, timeout: Duration) -> bool {
        self.closing.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + timeout;
        loop {
            match self.inner.try_lock() {
                Ok(mut d) => return d.close(shared),
                Err(TryLockError::Poisoned(p)) => return p.into_inner().close(shared),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(TryLockError::WouldBlock) => {
                    shared.give_up();
                    return false;
                }
            }
        }
    }
}

impl Inner {
    /// Closes the sinks once; true.
    fn close(&mut self, shared: &Shared) -> bool {
        if !self.closed {
            self.closed = true;
            self.sinks.settle_until(shared, shared.settle_deadline());
            self.sinks.close(shared);
            self.sinks.drop_unsettled(shared);
            self.signal = None;
        }
        true
    }
}
