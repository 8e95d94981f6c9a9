//! `Mode::Sync`: the caller formats and writes its own record, under a mutex.
//!
//! The same line format, sinks and accounting as the writer thread, one
//! `pwrite` per record — the baseline the report measures against. A
//! sync-mode logger has no writer thread and no rings: each of its
//! producers routes records to the one [`SyncWriter`] the logger holds.

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
use std::sync::Mutex;

/// The caller-side writer of a sync-mode logger.
pub(crate) struct SyncWriter {
    inner: Mutex<Inner>,
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
        }
    }

    /// Formats and writes one record before returning.
    pub(crate) fn write(&self, shared: &Shared, counters: &ProducerCounters, r: SyncRecord<'_>) {
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
        let parts = Parts {
            kind: r.kind,
            level: r.level,
            unix_nanos: nanos,
            thread: r.thread,
            target: r.target.as_bytes(),
            payload: r.payload,
        };
        let rendering = d.sinks.rendering();
        let Some(rec) = Record::from_parts(parts, &mut d.message, rendering) else {
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
