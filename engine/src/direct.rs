//! `Mode::Sync`: the caller formats and writes its own record, under a mutex.
//!
//! The same line format, sinks and accounting as the writer thread, one
//! `pwrite` per record — the baseline the report measures against.

use crate::format::LineFormat;
use crate::io::pwrite::Pwrite;
use crate::level::Level;
use crate::record::Split;
use crate::shared::{lock, Shared};
use crate::stats::{bump, ProducerCounters};
use crate::sync::Ordering;
use crate::writer::sinks::SinkSet;

/// The caller-side writer of a sync-mode logger.
pub(crate) struct Direct {
    sinks: SinkSet,
    fmt: LineFormat,
    io: Pwrite,
    /// Set by shutdown; later records are counted dropped.
    closed: bool,
}

impl Direct {
    pub(crate) fn new(sinks: SinkSet) -> Direct {
        Direct {
            sinks,
            fmt: LineFormat::default(),
            io: Pwrite::default(),
            closed: false,
        }
    }
}

/// Formats and writes one record before returning.
pub(crate) fn write(
    shared: &Shared,
    counters: &ProducerCounters,
    clock: u64,
    level: Level,
    target: &str,
    msg: &[u8],
) {
    let Some(m) = shared.direct.as_ref() else {
        return;
    };
    let mut d = lock(m);
    if d.closed {
        bump(&counters.dropped);
        return;
    }
    let nanos = shared.clock.to_unix_nanos(clock);
    let d = &mut *d;
    let t = Split {
        first: target.as_bytes(),
        second: &[],
    };
    let msg = Split {
        first: msg,
        second: &[],
    };
    d.sinks.push_text(&mut d.fmt, nanos, level, t, msg);
    d.sinks.submit_all(&mut d.io, shared);
}

/// `flush_sync` in sync mode: the caller syncs every file written so far.
pub(crate) fn sync(shared: &Shared) {
    if let Some(m) = shared.direct.as_ref() {
        let mut d = lock(m);
        let d = &mut *d;
        let ticket = shared.flush.sync_requested.fetch_add(1, Ordering::Relaxed) + 1;
        d.sinks.request_sync(&mut d.io, shared, ticket);
    }
}

/// Closes the sinks; records logged afterwards are dropped and counted.
pub(crate) fn close(shared: &Shared) {
    if let Some(m) = shared.direct.as_ref() {
        let mut d = lock(m);
        if !d.closed {
            d.closed = true;
            d.sinks.close(shared);
        }
    }
}
