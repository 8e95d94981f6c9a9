//! The writer's sinks: one batch buffer each, formatting once per record,
//! submission to the I/O backend, and accounting of every completion.
//!
//! Fan-out: a record goes to every sink whose minimum level it meets. It is
//! formatted once, into the first such sink's buffer (its *primary* sink),
//! and copied to the others. A record's accounting (`written` or `dropped`)
//! follows its primary sink; failures of the other sinks count in `errors`.

use super::direct_io::DirectIo;
use super::durability::{SyncPlan, SyncTracker, PERIODIC};
use crate::format::LineFormat;
use crate::io::{Completion, Event, IoBackend, IoTarget, Submission, SyncRequest};
use crate::level::Level;
use crate::record::Split;
use crate::shared::Shared;
use crate::sink::{SharedFd, Sink, Target, WriteOutcome};
use crate::stats::WriterCounters;
use std::io;
use std::time::Duration;

/// Spare batch buffers kept for reuse.
const MAX_SPARE_BUFFERS: usize = 8;

/// One sink and the batch being gathered for it.
pub(crate) struct SinkSlot {
    pub sink: Box<dyn Sink>,
    /// Records below this level skip the sink.
    pub min_level: Level,
    /// Formatted lines not yet submitted.
    buf: Vec<u8>,
    /// Records in `buf` whose primary sink this is.
    primary: u64,
    /// The file of the last `Target::File`, for syncs.
    last_fd: Option<SharedFd>,
    /// Set for sinks whose file is open with `O_DIRECT`.
    direct: Option<DirectIo>,
}

impl SinkSlot {
    pub(crate) fn new(sink: Box<dyn Sink>, min_level: Level) -> SinkSlot {
        SinkSlot {
            min_level,
            buf: Vec::new(),
            primary: 0,
            last_fd: None,
            direct: sink.direct_io_alignment().map(DirectIo::new),
            sink,
        }
    }

    /// Record bytes gathered in `buf`.
    fn data_len(&self) -> usize {
        self.data_len_of(&self.buf)
    }

    /// Record bytes in `buf`, a batch buffer of this sink.
    fn data_len_of(&self, buf: &[u8]) -> usize {
        buf.len() - self.direct.as_ref().map_or(0, DirectIo::prefix)
    }

    /// Asks the sink where the batch in `buf` (`len` record bytes) goes and,
    /// for O_DIRECT, makes `buf` an aligned write of whole blocks.
    fn route(&mut self, len: usize, buf: &mut Vec<u8>) -> Routed {
        let target = match self.sink.target(len) {
            Ok(t) => t,
            Err(e) => return Routed::Failed(e, None),
        };
        match target {
            Target::File { fd, offset } => {
                self.last_fd = Some(fd.clone());
                match self.direct.as_mut().map(|d| d.prepare(buf, &fd, offset)) {
                    None => Routed::Io(IoTarget::File { fd, offset }, 0),
                    Some(Ok((start, base))) => {
                        Routed::Io(IoTarget::File { fd, offset: base }, start)
                    }
                    Some(Err(e)) => Routed::Failed(e, Some(offset)),
                }
            }
            Target::Stream { fd } => Routed::Io(IoTarget::Stream { fd }, 0),
            Target::Inline => Routed::Inline,
        }
    }

    /// Makes `buf` ready for a new batch.
    fn begin(&mut self) {
        match &mut self.direct {
            Some(d) => d.begin(&mut self.buf),
            None => self.buf.clear(),
        }
    }
}

/// Where a batch goes, once its sink has answered.
enum Routed {
    /// To the backend; the bytes start at the given index of the buffer.
    Io(IoTarget, usize),
    /// To the sink's `write_inline`.
    Inline,
    /// Nowhere: the sink (or the O_DIRECT preparation) failed.
    Failed(io::Error, Option<u64>),
}

/// Every sink of a logger with its pending batch.
pub(crate) struct SinkSet {
    slots: Vec<SinkSlot>,
    spare: Vec<Vec<u8>>,
    /// Submit once any buffer holds this many bytes.
    batch_bytes: usize,
    /// Capacity of a new batch buffer: `batch_bytes`, room for the record
    /// that crosses it, and O_DIRECT alignment and padding.
    buf_capacity: usize,
    /// Records gathered since the last submission.
    records: u64,
    /// Syncs in flight and the periodic schedule.
    syncs: SyncTracker,
}

impl SinkSet {
    pub(crate) fn new(slots: Vec<SinkSlot>, batch_bytes: usize, plan: SyncPlan) -> SinkSet {
        let direct_extra = (slots.iter())
            .filter_map(|s| s.direct.as_ref().map(DirectIo::extra_capacity))
            .max()
            .unwrap_or(0);
        let mut set = SinkSet {
            slots,
            spare: Vec::new(),
            batch_bytes,
            buf_capacity: batch_bytes + 1024 + direct_extra,
            records: 0,
            syncs: SyncTracker::new(plan),
        };
        for s in &mut set.slots {
            s.buf.reserve(set.buf_capacity);
            s.begin();
        }
        set
    }

    /// Records gathered and not yet submitted.
    pub(crate) fn pending_records(&self) -> u64 {
        self.records
    }

    /// Whether a batch should go now: `batch_size` records or a full buffer.
    pub(crate) fn is_full(&self, batch_size: u64) -> bool {
        self.records >= batch_size || self.slots.iter().any(|s| s.data_len() >= self.batch_bytes)
    }

    /// Formats one record into every sink that accepts its level.
    #[inline]
    pub(crate) fn push_text(
        &mut self,
        fmt: &mut LineFormat,
        unix_nanos: u64,
        level: Level,
        target: Split<'_>,
        msg: Split<'_>,
    ) {
        let mut first: Option<(usize, usize)> = None;
        for i in 0..self.slots.len() {
            if level < self.slots[i].min_level {
                continue;
            }
            match first {
                None => {
                    let slot = &mut self.slots[i];
                    let start = slot.buf.len();
                    fmt.write_text(&mut slot.buf, unix_nanos, level, target, msg);
                    slot.primary += 1;
                    first = Some((i, start));
                }
                Some((j, start)) => {
                    let (a, b) = self.slots.split_at_mut(i);
                    b[0].buf.extend_from_slice(&a[j].buf[start..]);
                }
            }
        }
        debug_assert!(
            first.is_some(),
            "the logger level admits only records some sink takes"
        );
        self.records += 1;
    }

    /// Submits every non-empty batch. Completions are accounted as they come.
    pub(crate) fn submit_all(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        for i in 0..self.slots.len() {
            if self.slots[i].data_len() > 0 {
                self.submit_slot(i, io, shared);
            }
        }
        self.records = 0;
        self.sync_if_due(io, shared);
        store_submits(io, shared);
    }

    /// Starts a round of periodic syncs if `Durability::Data` says one is due.
    pub(crate) fn sync_if_due(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        if self.syncs.periodic_due() {
            self.request_sync(io, shared, PERIODIC);
        }
    }

    /// Hands sink `i`'s batch to its target and starts a fresh one.
    fn submit_slot(&mut self, i: usize, io: &mut dyn IoBackend, shared: &Shared) {
        if self.slots[i]
            .direct
            .as_ref()
            .is_some_and(|d| d.overlap_in_flight)
        {
            // The O_DIRECT ordering rule (see `direct_io`).
            io.wait_all(&mut |e| self.on_event(shared, e));
        }
        let fresh = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.buf_capacity));
        let slot = &mut self.slots[i];
        let mut buf = std::mem::replace(&mut slot.buf, fresh);
        let len = slot.data_len_of(&buf);
        let records = std::mem::take(&mut slot.primary);
        let routed = slot.route(len, &mut buf);
        slot.begin();
        let (target, start) = match routed {
            Routed::Io(target, start) => (target, start),
            Routed::Inline => {
                let c = match slot.sink.write_inline(&buf) {
                    Ok(()) => done_ok(i, buf, records, None),
                    Err(e) => failed(i, buf, records, None, e),
                };
                return self.complete(shared, c);
            }
            Routed::Failed(e, offset) => {
                return self.complete(shared, failed(i, buf, records, offset, e))
            }
        };
        if let IoTarget::File { .. } = target {
            self.syncs.wrote(len as u64);
        }
        let sub = Submission {
            sink: i,
            target,
            buf,
            start,
            records,
        };
        io.submit(sub, &mut |e| self.on_event(shared, e));
    }

    /// Waits for every in-flight batch and sync and accounts it.
    pub(crate) fn wait_all(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        io.wait_all(&mut |e| self.on_event(shared, e));
        store_submits(io, shared);
    }

    /// Accounts whatever finished, without blocking.
    pub(crate) fn poll(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        io.poll(&mut |e| self.on_event(shared, e));
    }

    /// Waits up to `timeout` for in-flight I/O; false when there is none.
    pub(crate) fn wait_some(
        &mut self,
        io: &mut dyn IoBackend,
        shared: &Shared,
        timeout: Duration,
    ) -> bool {
        io.wait_some(timeout, &mut |e| self.on_event(shared, e))
    }

    /// Syncs every file written so far; `ticket` is a `flush_sync` ticket
    /// (acknowledged once all finish) or [`PERIODIC`].
    pub(crate) fn request_sync(&mut self, io: &mut dyn IoBackend, shared: &Shared, ticket: u64) {
        let fds: Vec<(usize, SharedFd)> = (self.slots.iter().enumerate())
            .filter_map(|(i, s)| s.last_fd.clone().map(|fd| (i, fd)))
            .collect();
        self.syncs.begin(ticket, fds.len());
        for (sink, fd) in fds {
            let req = SyncRequest { sink, fd, ticket };
            io.sync(req, &mut |e| self.on_event(shared, e));
        }
        self.syncs.ack_ready(shared);
    }

    /// The durability the logger was built with.
    pub(crate) fn durability(&self) -> crate::policy::Durability {
        self.syncs.durability()
    }

    fn on_event(&mut self, shared: &Shared, e: Event) {
        match e {
            Event::Write(c) => self.complete(shared, c),
            Event::Sync {
                sink,
                ticket,
                error,
            } => {
                let k = &shared.counters;
                match error {
                    None => WriterCounters::add(&k.syncs, 1),
                    Some(e) => {
                        WriterCounters::add(&k.errors, 1);
                        let what = self.slots[sink].sink.describe();
                        shared.report_error(format!("fdatasync of {what} failed: {e}"));
                    }
                }
                self.syncs.finished(ticket);
                self.syncs.ack_ready(shared);
            }
        }
    }

    /// Accounts one finished batch and keeps its buffer for reuse.
    fn complete(&mut self, shared: &Shared, mut c: Completion) {
        let slot = &mut self.slots[c.sink];
        let mut requested = c.requested();
        if let Some(d) = slot.direct.as_mut() {
            // Report in the sink's terms: records only, at the logical offset.
            if let Some(l) = c.offset.and_then(|_| d.completed()) {
                c.written = d.logical_written(l, c.written);
                c.offset = Some(l.offset);
                requested = l.len;
            }
        }
        slot.sink.on_write(&WriteOutcome {
            offset: c.offset,
            requested,
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
                    requested,
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
        }
    }
}

fn store_submits(io: &dyn IoBackend, shared: &Shared) {
    shared
        .counters
        .io_submits
        .store(io.submits(), crate::sync::Ordering::Relaxed);
}

fn done_ok(sink: usize, buf: Vec<u8>, records: u64, offset: Option<u64>) -> Completion {
    Completion {
        sink,
        written: buf.len(),
        buf,
        start: 0,
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
        start: 0,
        records,
        offset,
        written: 0,
        error: Some(e),
    }
}
