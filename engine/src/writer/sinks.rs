//! The writer's sinks: one batch buffer each, formatting once per record and
//! format, submission to the I/O backend, and accounting of every completion.
//!
//! Fan-out: a record goes to every sink whose minimum level it meets. It is
//! formatted once per distinct [`Format`] among those sinks, into the first
//! such sink's buffer, and copied to the others with the same format. A
//! record's accounting (`written` or `dropped`) follows its *primary* sink
//! (the first that takes it); failures of the other sinks count in `errors`.
//!
//! Batch limits: a sink may bound the batch being gathered for it
//! ([`BatchLimit`]: bytes left in its file, a record time that starts a new
//! file). A record that would cross the bound *seals* the batch before it;
//! the set then reports itself full, so the writer submits the sealed batch
//! and the new one before taking another record. Records are never split.

use crate::format::{Format, Formatter, Record};
use crate::io::{Completion, IoBackend, IoTarget, Submission};
use crate::level::Level;
use crate::shared::Shared;
use crate::sink::{BatchInfo, BatchLimit, Sink, Target, WriteOutcome};
use crate::stats::WriterCounters;
use std::io;

/// Spare batch buffers kept for reuse.
const MAX_SPARE_BUFFERS: usize = 8;
/// Errors a sink may hand back per batch (`Sink::take_error`).
const MAX_SINK_ERRORS_PER_BATCH: usize = 8;
/// `SinkSet::placed` entry for a format not yet written for this record.
const NOT_PLACED: (usize, usize) = (usize::MAX, 0);

/// Formatted records on their way to one sink.
struct Batch {
    buf: Vec<u8>,
    /// Records in `buf` whose primary sink this is.
    primary: u64,
    /// Record time of the first record in `buf` (meaningless while empty).
    first_nanos: u64,
}

impl Batch {
    fn new(buf: Vec<u8>) -> Batch {
        Batch {
            buf,
            primary: 0,
            first_nanos: 0,
        }
    }
}

/// One sink and the batch being gathered for it.
pub(crate) struct SinkSlot {
    sink: Box<dyn Sink>,
    /// Records below this level skip the sink.
    min_level: Level,
    format: Format,
    /// Index of `format` in `SinkSet::formatters`.
    fmt: usize,
    /// The open batch.
    batch: Batch,
    /// A batch closed at the sink's limit; submitted before `batch`.
    sealed: Option<Batch>,
    /// The sink's bounds on `batch`, asked after its last `target_batch`.
    limit: BatchLimit,
}

impl SinkSlot {
    pub(crate) fn new(sink: Box<dyn Sink>, min_level: Level, format: Format) -> SinkSlot {
        let limit = sink.batch_limit();
        SinkSlot {
            sink,
            min_level,
            format,
            fmt: 0,
            batch: Batch::new(Vec::new()),
            sealed: None,
            limit,
        }
    }

    /// Whether a record at `start .. end` of the open batch, logged at
    /// `nanos`, must start a new batch.
    #[inline]
    fn must_cut(&self, start: usize, end: usize, nanos: u64) -> bool {
        start > 0
            && self.sealed.is_none()
            && (end as u64 > self.limit.max_bytes || nanos >= self.limit.before_unix_nanos)
    }

    /// Seals the open batch before `start`; the bytes from `start` on (one
    /// record) move to `fresh`, which becomes the open batch.
    fn seal_before(&mut self, start: usize, mut fresh: Vec<u8>, nanos: u64) {
        fresh.extend_from_slice(&self.batch.buf[start..]);
        let mut old = std::mem::replace(&mut self.batch, Batch::new(fresh));
        old.buf.truncate(start);
        self.batch.first_nanos = nanos;
        self.sealed = Some(old);
    }
}

/// Every sink of a logger with its pending batch.
pub(crate) struct SinkSet {
    slots: Vec<SinkSlot>,
    /// One per distinct format among the slots.
    formatters: Vec<Formatter>,
    /// Per formatter, for the record being pushed: `(slot, start)` of its
    /// formatted bytes, or `NOT_PLACED`.
    placed: Vec<(usize, usize)>,
    spare: Vec<Vec<u8>>,
    /// Submit once any buffer holds this many bytes.
    batch_bytes: usize,
    /// Records gathered since the last submission.
    records: u64,
    /// A slot sealed a batch: submit before taking another record.
    cut: bool,
    /// Some slot has a batch limit, so records are checked against it.
    limited: bool,
    /// Records formatted (once per format per record).
    #[cfg(test)]
    formatted: u64,
    /// Records no sink took, not yet counted (see `take_unrouted`).
    unrouted: u64,
}

impl SinkSet {
    pub(crate) fn new(mut slots: Vec<SinkSlot>, batch_bytes: usize) -> SinkSet {
        let mut formatters: Vec<Formatter> = Vec::new();
        for s in &mut slots {
            s.fmt = match formatters.iter().position(|f| f.format() == s.format) {
                Some(i) => i,
                None => {
                    formatters.push(Formatter::new(s.format));
                    formatters.len() - 1
                }
            };
            s.batch.buf.reserve(batch_bytes + 1024);
        }
        let limited = slots.iter().any(|s| !s.limit.is_none());
        SinkSet {
            placed: vec![NOT_PLACED; formatters.len()],
            slots,
            formatters,
            spare: Vec::new(),
            batch_bytes,
            records: 0,
            unrouted: 0,
            cut: false,
            limited,
            #[cfg(test)]
            formatted: 0,
        }
    }

    /// Records gathered and not yet submitted.
    pub(crate) fn pending_records(&self) -> u64 {
        self.records
    }

    /// Counts the records no sink took as dropped.
    pub(crate) fn count_unrouted(&mut self, shared: &Shared) {
        if self.unrouted > 0 {
            WriterCounters::add(&shared.counters.dropped, std::mem::take(&mut self.unrouted));
        }
    }

    /// Whether a batch should go now: `batch_size` records, a full buffer,
    /// or a batch sealed at a sink's limit.
    #[inline]
    pub(crate) fn is_full(&self, batch_size: u64) -> bool {
        self.cut
            || self.records >= batch_size
            || self
                .slots
                .iter()
                .any(|s| s.batch.buf.len() >= self.batch_bytes)
    }

    /// Formats one record into every sink that accepts its level.
    #[inline]
    pub(crate) fn push(&mut self, rec: &Record<'_>) {
        self.placed.fill(NOT_PLACED);
        let mut primary = true;
        for i in 0..self.slots.len() {
            if rec.level < self.slots[i].min_level {
                continue;
            }
            let (j, start) = self.placed[self.slots[i].fmt];
            if j == NOT_PLACED.0 {
                self.format_into(i, rec);
            } else {
                self.copy_into(i, j, start, rec.unix_nanos);
            }
            if primary {
                self.slots[i].batch.primary += 1;
                primary = false;
            }
        }
        if primary {
            // No sink takes this level (the logger's level floor prevents
            // it; counted dropped rather than lost if it ever happens).
            self.unrouted += 1;
            return;
        }
        self.records += 1;
    }

    /// Formats `rec` at the end of slot `i`'s batch, sealing it first if
    /// the record crosses the sink's limit.
    #[inline]
    fn format_into(&mut self, i: usize, rec: &Record<'_>) {
        let slot = &mut self.slots[i];
        let start = slot.batch.buf.len();
        if start == 0 {
            slot.batch.first_nanos = rec.unix_nanos;
        }
        self.formatters[slot.fmt].write(&mut slot.batch.buf, rec);
        #[cfg(test)]
        {
            self.formatted += 1;
        }
        let mut at = start;
        if self.limited && slot.must_cut(start, slot.batch.buf.len(), rec.unix_nanos) {
            let fresh = take_spare(&mut self.spare, self.batch_bytes);
            slot.seal_before(start, fresh, rec.unix_nanos);
            self.cut = true;
            at = 0;
        }
        self.placed[slot.fmt] = (i, at);
    }

    /// Copies the record formatted in slot `j` from `start` on to slot `i`.
    #[inline]
    fn copy_into(&mut self, i: usize, j: usize, start: usize, nanos: u64) {
        debug_assert!(j < i);
        let len = self.slots[j].batch.buf.len() - start;
        let here = self.slots[i].batch.buf.len();
        if self.limited && self.slots[i].must_cut(here, here + len, nanos) {
            let fresh = take_spare(&mut self.spare, self.batch_bytes);
            self.slots[i].seal_before(here, fresh, nanos);
            self.cut = true;
        }
        let (a, b) = self.slots.split_at_mut(i);
        let dst = &mut b[0].batch;
        if dst.buf.is_empty() {
            dst.first_nanos = nanos;
        }
        dst.buf.extend_from_slice(&a[j].batch.buf[start..]);
    }

    /// Submits every non-empty batch. Completions are accounted as they come.
    pub(crate) fn submit_all(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        for i in 0..self.slots.len() {
            if let Some(b) = self.slots[i].sealed.take() {
                self.submit(i, b, io, shared);
            }
            if self.slots[i].batch.buf.is_empty() {
                continue;
            }
            let fresh = take_spare(&mut self.spare, self.batch_bytes);
            let b = std::mem::replace(&mut self.slots[i].batch, Batch::new(fresh));
            self.submit(i, b, io, shared);
        }
        self.records = 0;
        self.cut = false;
        self.limited = self.slots.iter().any(|s| !s.limit.is_none());
        shared
            .counters
            .io_submits
            .store(io.submits(), std::sync::atomic::Ordering::Relaxed);
    }

    /// Asks slot `i`'s sink where `b` goes and hands it to the backend (or
    /// to the sink itself, for inline targets).
    fn submit(&mut self, i: usize, b: Batch, io: &mut dyn IoBackend, shared: &Shared) {
        let slot = &mut self.slots[i];
        let target = slot
            .sink
            .target_batch(&BatchInfo::new(b.buf.len(), b.first_nanos));
        slot.limit = slot.sink.batch_limit();
        report_sink_errors(slot, shared);
        let target = match target {
            Ok(Target::File { fd, offset }) => IoTarget::File { fd, offset },
            Ok(Target::Stream { fd }) => IoTarget::Stream { fd },
            Ok(Target::Inline) => {
                let c = match slot.sink.write_inline(&b.buf) {
                    Ok(()) => done_ok(i, b.buf, b.primary, None),
                    Err(e) => failed(i, b.buf, b.primary, None, e),
                };
                self.complete(shared, c);
                return;
            }
            Err(e) => {
                self.complete(shared, failed(i, b.buf, b.primary, None, e));
                return;
            }
        };
        let sub = Submission {
            sink: i,
            target,
            buf: b.buf,
            records: b.primary,
        };
        io.submit(sub, &mut |c| self.complete(shared, c));
    }

    /// Waits for every in-flight batch and accounts it.
    pub(crate) fn wait_all(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        io.wait_all(&mut |c| self.complete(shared, c));
        shared
            .counters
            .io_submits
            .store(io.submits(), std::sync::atomic::Ordering::Relaxed);
    }

    /// Accounts one finished batch and keeps its buffer for reuse.
    fn complete(&mut self, shared: &Shared, c: Completion) {
        let slot = &mut self.slots[c.sink];
        slot.sink.on_write(&WriteOutcome {
            offset: c.offset,
            requested: c.buf.len(),
            written: c.written,
            error: c.error.as_ref(),
        });
        let k = &shared.counters;
        match &c.error {
            None => {
                WriterCounters::add(&k.written, c.records);
                WriterCounters::add(&k.bytes_written, c.written as u64);
                WriterCounters::add(&k.batches, 1);
            }
            Some(e) => {
                WriterCounters::add(&k.errors, 1);
                WriterCounters::add(&k.dropped, c.records);
                let at = c
                    .offset
                    .map(|o| format!(" at offset {o}"))
                    .unwrap_or_default();
                shared.report_error(format!(
                    "write to {}{at} failed after {} of {} bytes ({} records dropped): {e}",
                    slot.sink.describe(),
                    c.written,
                    c.buf.len(),
                    c.records
                ));
            }
        }
        if self.spare.len() < MAX_SPARE_BUFFERS {
            let mut b = c.buf;
            b.clear();
            self.spare.push(b);
        }
    }

    /// Closes every sink, reporting failures.
    pub(crate) fn close(&mut self, shared: &Shared) {
        for s in &mut self.slots {
            if let Err(e) = s.sink.close() {
                WriterCounters::add(&shared.counters.errors, 1);
                shared.report_error(format!("closing {} failed: {e}", s.sink.describe()));
            }
            report_sink_errors(s, shared);
        }
    }
}

/// Counts and reports the errors a sink survived (`Sink::take_error`).
fn report_sink_errors(slot: &mut SinkSlot, shared: &Shared) {
    for _ in 0..MAX_SINK_ERRORS_PER_BATCH {
        let Some(e) = slot.sink.take_error() else {
            return;
        };
        WriterCounters::add(&shared.counters.errors, 1);
        shared.report_error(format!("{}: {e}", slot.sink.describe()));
    }
}

/// A cleared buffer from the spares, or a new one.
fn take_spare(spare: &mut Vec<Vec<u8>>, batch_bytes: usize) -> Vec<u8> {
    spare
        .pop()
        .unwrap_or_else(|| Vec::with_capacity(batch_bytes + 1024))
}

fn done_ok(sink: usize, buf: Vec<u8>, records: u64, offset: Option<u64>) -> Completion {
    Completion {
        sink,
        written: buf.len(),
        buf,
        records,
        offset,
        error: None,
    }
}

fn failed(
    sink: usize,
    buf: Vec<u8>,
    records: u64,
    offset: Option<u64>,
    e: io::Error,
) -> Completion {
    Completion {
        sink,
        buf,
        records,
        offset,
        written: 0,
        error: Some(e),
    }
}

#[cfg(test)]
mod tests;
