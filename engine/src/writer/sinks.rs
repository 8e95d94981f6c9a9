//! The writer's sinks: one batch buffer each, formatting once per record,
//! submission to the I/O backend, and accounting of every completion.
//!
//! Fan-out: a record goes to every sink whose minimum level it meets. It is
//! formatted once, into the first such sink's buffer (its *primary* sink),
//! and copied to the others. A record's accounting (`written` or `dropped`)
//! follows its primary sink; failures of the other sinks count in `errors`.

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
}

impl SinkSlot {
    pub(crate) fn new(sink: Box<dyn Sink>, min_level: Level) -> SinkSlot {
        SinkSlot {
            sink,
            min_level,
            buf: Vec::new(),
            primary: 0,
            last_fd: None,
        }
    }
}

/// Every sink of a logger with its pending batch.
pub(crate) struct SinkSet {
    slots: Vec<SinkSlot>,
    spare: Vec<Vec<u8>>,
    /// Submit once any buffer holds this many bytes.
    batch_bytes: usize,
    /// Records gathered since the last submission.
    records: u64,
    /// Syncs in flight and the periodic schedule.
    syncs: SyncTracker,
}

impl SinkSet {
    pub(crate) fn new(slots: Vec<SinkSlot>, batch_bytes: usize, plan: SyncPlan) -> SinkSet {
        let mut set = SinkSet {
            slots,
            spare: Vec::new(),
            batch_bytes,
            records: 0,
            syncs: SyncTracker::new(plan),
        };
        for s in &mut set.slots {
            s.buf.reserve(batch_bytes + 1024);
        }
        set
    }

    /// Records gathered and not yet submitted.
    pub(crate) fn pending_records(&self) -> u64 {
        self.records
    }

    /// Whether a batch should go now: `batch_size` records or a full buffer.
    pub(crate) fn is_full(&self, batch_size: u64) -> bool {
        self.records >= batch_size || self.slots.iter().any(|s| s.buf.len() >= self.batch_bytes)
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
            if self.slots[i].buf.is_empty() {
                continue;
            }
            let fresh = self
                .spare
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(self.batch_bytes + 1024));
            let slot = &mut self.slots[i];
            let buf = std::mem::replace(&mut slot.buf, fresh);
            let records = std::mem::take(&mut slot.primary);
            let target = match slot.sink.target(buf.len()) {
                Ok(t) => t,
                Err(e) => {
                    self.complete(shared, failed(i, buf, records, None, e));
                    continue;
                }
            };
            let target = match target {
                Target::File { fd, offset } => {
                    self.syncs.wrote(buf.len() as u64);
                    slot.last_fd = Some(fd.clone());
                    IoTarget::File { fd, offset }
                }
                Target::Stream { fd } => IoTarget::Stream { fd },
                Target::Inline => {
                    let c = match slot.sink.write_inline(&buf) {
                        Ok(()) => done_ok(i, buf, records, None),
                        Err(e) => failed(i, buf, records, None, e),
                    };
                    self.complete(shared, c);
                    continue;
                }
            };
            let sub = Submission {
                sink: i,
                target,
                buf,
                start: 0,
                records,
            };
            io.submit(sub, &mut |e| self.on_event(shared, e));
        }
        self.records = 0;
        if self.syncs.periodic_due() {
            self.request_sync(io, shared, PERIODIC);
        }
        store_submits(io, shared);
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
    fn complete(&mut self, shared: &Shared, c: Completion) {
        let slot = &mut self.slots[c.sink];
        slot.sink.on_write(&WriteOutcome {
            offset: c.offset,
            requested: c.requested(),
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
                    c.requested(),
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
