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
//! and the new one before taking another record. Records are never split
//! at a limit; a set of one sink that allows it may end a write inside a
//! record under load (see `aligned`).
//!
//! Deferred sinks (see the `sink` module docs) get whole records through
//! `Sink::accept` and settle them later; `settle` holds that side.

use super::append;
use super::durability::{SyncPlan, SyncTracker, PERIODIC};
use super::o_direct::ODirect;
use super::shape::{Shape, ShapeKind};
use crate::format::{Formatter, Record, Rendering};
use crate::io::{Completion, Event, IoBackend, IoTarget, Submission, SyncRequest};
use crate::reopen::ReopenFailures;
use crate::shared::{lock, Shared};
use crate::sink::{ReopenCause, SharedFd, Sink, WriteOutcome};
use crate::stats::WriterCounters;
use crate::wake::WaitKey;
use std::io;
use std::os::fd::AsFd;
use crate::crash_safe::keeper::Keeper;
use crate::error::BuildError;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest time between two checks that file sinks' paths still name their
/// files (`Sink::path_changed`); a check happens before a submission.
pub(crate) const PATH_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// Spare batch buffers kept for reuse until [`SinkSet::reserve_buffers`]
/// sizes the pool.
const MAX_SPARE_BUFFERS: usize = 8;
/// Errors, and notices, a sink may hand back per batch (`Sink::take_error`,
/// `Sink::take_notice`).
const MAX_SINK_ERRORS_PER_BATCH: usize = 8;
/// `SinkSet::placed` entry for a format not yet written for this record.
const NOT_PLACED: (usize, usize) = (usize::MAX, 0);

/// Every sink of a logger with its pending batch.
pub(crate) struct SinkSet {
    slots: Vec<SinkSlot>,
    /// One per distinct format among the slots.
    formatters: Vec<Formatter>,
    /// Per formatter, for the record being pushed: `(slot, start)` of its
    /// formatted bytes, or `NOT_PLACED`.
    placed: Vec<(usize, usize)>,
    /// Batch buffers free for reuse, each of `buf_capacity` at least;
    /// never more than `pool`.
    spare: Vec<Vec<u8>>,
    /// Spare buffers kept: what the writer may need beyond each sink's
    /// open batch (see [`SinkSet::reserve_buffers`]).
    pool: usize,
    /// Submit once any buffer holds this many bytes.
    batch_bytes: usize,
    /// Capacity of a new batch buffer: `batch_bytes`, room for the record
    /// that crosses it, and O_DIRECT alignment and padding.
    buf_capacity: usize,
    /// Syncs in flight and the periodic schedule.
    syncs: SyncTracker,
    /// Records gathered since the last submission.
    records: u64,
    /// Records taken (counted once, by their primary sink) and not yet
    /// accounted written or dropped: gathered, or in flight.
    outstanding: u64,
    /// A slot sealed a batch, or some open batch holds `batch_bytes`:
    /// submit before taking another record.
    submit_now: bool,
    /// How deferred messages are rendered: eagerly when some format is a
    /// sink's own (it reads `Record::message`), else by each format.
    rendering: Rendering,
    /// Some slot has a batch limit, so records are checked against it.
    limited: bool,
    /// The set's shape, for the drain loop (see `shape`).
    shape: ShapeKind,
    /// Records formatted (once per format per record).
    #[cfg(test)]
    formatted: u64,
    /// Records no sink took, not yet counted (see `take_unrouted`).
    unrouted: u64,
    /// Flushes waiting for deferred sinks to settle.
    barriers: settle::Barriers,
    /// When the sinks' paths are checked next (see `check_paths`).
    next_path_check: Instant,
    /// Crash-safe mode: told of each file before a batch is written to it
    /// (see `Keeper::mark_file`).
    keeper: Option<Arc<Mutex<Keeper>>>,
    /// Where the one sink's writes end, for a set whose sink may split
    /// records (see `aligned`).
    aligner: Option<aligned::Aligner>,
    /// The writer goes on taking records after this submission: a batch
    /// may end at its aligned end (`submit_full`).
    under_load: bool,
}

impl SinkSet {
    pub(crate) fn new(mut slots: Vec<SinkSlot>, batch_bytes: usize, plan: SyncPlan) -> SinkSet {
        let o_direct_extra = (slots.iter())
            .filter_map(|s| s.o_direct.as_ref().map(ODirect::extra_capacity))
            .max()
            .unwrap_or(0);
        let buf_capacity = batch_bytes + 1024 + o_direct_extra;
        let mut formatters: Vec<Formatter> = Vec::new();
        for s in &mut slots {
            let shared = formatters.iter().position(|f| f.format() == Some(s.format));
            s.fmt = match (s.custom.take(), shared) {
                (None, Some(i)) => i,
                (custom, _) => {
                    formatters.push(match custom {
                        Some(c) => Formatter::custom(c),
                        None => Formatter::new(s.format),
                    });
                    formatters.len() - 1
                }
            };
            s.begin();
        }
        let limited = slots.iter().any(|s| !s.limit.is_none());
        let rendering = match formatters.iter().any(Formatter::is_custom) {
            true => Rendering::Eager,
            false => Rendering::Lazy,
        };
        let mut set = SinkSet {
            shape: ShapeKind::General,
            placed: vec![NOT_PLACED; formatters.len()],
            slots,
            formatters,
            spare: Vec::new(),
            pool: MAX_SPARE_BUFFERS,
            batch_bytes,
            buf_capacity,
            syncs: SyncTracker::new(plan),
            records: 0,
            outstanding: 0,
            unrouted: 0,
            submit_now: false,
            rendering,
            limited,
            #[cfg(test)]
            formatted: 0,
            barriers: settle::Barriers::new(),
            next_path_check: Instant::now() + PATH_CHECK_INTERVAL,
            keeper: None,
            aligner: None,
            under_load: false,
        };
        if let [s] = set.slots.as_slice() {
            if s.may_split && s.deferred.is_none() {
                set.aligner = aligned::Aligner::new(batch_bytes);
            }
        }
        set.shape = set.shape_now();
        set
    }

    /// Reserves, without touching their pages, every batch buffer the
    /// set may hold at once with `in_flight` batches in the backend: each
    /// sink's open batch, one more per sink (a batch sealed at its limit,
    /// or the fresh buffer a submission takes) and one per batch in
    /// flight. Called before any record is taken, so a short address
    /// space fails the build instead of the writer; after it, batch
    /// buffers are only reused (a buffer lost to a write abandoned in the
    /// kernel is replaced, fallibly: see `take_spare`).
    pub(crate) fn reserve_buffers(&mut self, in_flight: usize) -> Result<(), BuildError> {
        let spares = self.slots.len().saturating_add(in_flight);
        let cap = self.buf_capacity;
        let bytes = (self.slots.len().saturating_add(spares)).saturating_mul(cap);
        let short = |_| BuildError::BatchBuffers { bytes };
        let more = spares.saturating_sub(self.spare.len());
        self.spare.try_reserve_exact(more).map_err(short)?;
        for s in &mut self.slots {
            if s.batch.buf.capacity() < cap {
                debug_assert!(s.data_len() == 0, "reserved before any record");
                s.batch.buf = new_buffer(cap).map_err(short)?;
                // Again: an O_DIRECT prefix depends on the buffer's address.
                s.begin();
            }
        }
        while self.spare.len() < spares {
            self.spare.push(new_buffer(cap).map_err(short)?);
        }
        self.pool = spares;
        Ok(())
    }

    /// Keeps finished batch buffer `buf` for reuse if the pool lacks it.
    fn give_back(&mut self, mut buf: Vec<u8>) {
        // A buffer abandoned in the kernel comes back empty, not reusable.
        if self.spare.len() < self.pool && buf.capacity() >= self.buf_capacity {
            buf.clear();
            self.spare.push(buf);
        }
    }

    /// The set's shape as its sinks are now (see `shape`).
    fn shape_now(&self) -> ShapeKind {
        let plain = !self.limited
            && (self.slots.iter()).all(|s| s.o_direct.is_none() && s.deferred.is_none());
        let formats = self.formatters.iter().map(Formatter::format);
        ShapeKind::of(self.slots.len(), plain, formats, self.rendering)
    }

    /// Records gathered and not yet submitted.
    pub(crate) fn pending_records(&self) -> u64 {
        self.records
    }

    /// Records gathered or submitted whose outcome is not yet accounted.
    pub(crate) fn outstanding(&self) -> u64 {
        self.outstanding
    }

    /// Crash-safe mode: `keeper` learns of each file before its first
    /// batch since the last commit.
    pub(crate) fn set_keeper(&mut self, keeper: Arc<Mutex<Keeper>>) {
        self.keeper = Some(keeper);
    }

    /// The keeper is done (shutdown): no file to tell it of.
    pub(crate) fn clear_keeper(&mut self) {
        self.keeper = None;
    }

    /// The file each sink wrote to last, which it may write to next. Not
    /// the files a sink wrote before it (`unsynced`: a rotating sink's
    /// earlier files, kept until a sync round, up to `slot::MAX_UNSYNCED`):
    /// a commit listing those filled the state's slot after a few hundred
    /// rotations, and a file written after that could not be added to it
    /// (see `Keeper::mark_file`, which adds any file at its first write).
    pub(crate) fn files(&self) -> impl Iterator<Item = &SharedFd> {
        (self.slots.iter()).flat_map(|s| s.last_fd.iter())
    }

    /// Counts the records no sink took as dropped.
    pub(crate) fn count_unrouted(&mut self, shared: &Shared) {
        if self.unrouted > 0 {
            WriterCounters::add(&shared.counters.dropped, std::mem::take(&mut self.unrouted));
        }
    }

    /// The set's shape, for the drain loop (see `shape`).
    pub(crate) fn shape(&self) -> ShapeKind {
        self.shape
    }

    /// How deferred messages must be rendered for these sinks' formats.
    pub(crate) fn rendering(&self) -> Rendering {
        self.rendering
    }

    /// Whether a batch should go now: `batch_size` records, a full buffer,
    /// or a batch sealed at a sink's limit.
    #[inline]
    pub(crate) fn is_full(&self, batch_size: u64) -> bool {
        self.submit_now || self.records >= batch_size
    }

    /// Formats one record into every sink that accepts its level; `false`
    /// when its deferred message does not decode (nothing of it is kept;
    /// the caller counts it).
    #[inline(always)]
    pub(crate) fn push(&mut self, rec: &Record<'_>) -> bool {
        let mut run = self.pushes(u64::MAX);
        let pushed = run.push::<super::shape::General>(rec);
        let _ = run.finish::<super::shape::General>();
        pushed
    }

    /// [`SinkSet::push`] but for the counts of records gathered and
    /// outstanding, which the caller's [`Pushes`] adds: `Some(true)` when
    /// a sink took the record, `Some(false)` when none takes its level
    /// (counted in `unrouted`), `None` when its deferred message does not
    /// decode.
    #[inline(always)]
    fn place<S: Shape>(&mut self, rec: &Record<'_>) -> Option<bool> {
        self.assume_shape::<S>();
        if S::ONE_SINK || self.slots.len() == 1 {
            return self.place_one::<S>(rec);
        }
        self.placed.fill(NOT_PLACED);
        let mut primary = true;
        for i in 0..self.slots.len() {
            if rec.level < self.slots[i].min_level {
                continue;
            }
            let (j, start) = self.placed[self.slots[i].fmt];
            if j == NOT_PLACED.0 {
                let Some(at) = self.format_into::<S>(i, rec) else {
                    // Formatting is deterministic: only the first format
                    // finds out, before anything of the record is kept.
                    debug_assert!(primary);
                    return None;
                };
                self.placed[self.slots[i].fmt] = (i, at);
            } else {
                self.copy_into(i, j, start, rec.unix_nanos);
            }
            let slot = &mut self.slots[i];
            slot.mark(primary);
            if primary {
                slot.batch.primary += 1;
                primary = false;
            }
        }
        if primary {
            // No sink takes this level (the logger's level floor prevents
            // it; counted dropped rather than lost if it ever happens).
            self.unrouted += 1;
            return Some(false);
        }
        Some(true)
    }

    /// Tells the compiler what a set of shape `S` holds (its indexing of
    /// the one sink and formatter then needs no bounds checks).
    #[inline(always)]
    pub(super) fn assume_shape<S: Shape>(&self) {
        let one = self.slots.len() == 1 && self.formatters.len() == 1;
        debug_assert!(!S::ONE_SINK || one);
        if S::ONE_SINK && !one {
            // SAFETY: a set has a one-sink shape only while it holds one
            // sink and one formatter (`ShapeKind::of`, chosen again at
            // each submission; `take_user_code` makes it `General`).
            unsafe { std::hint::unreachable_unchecked() };
        }
    }

    /// [`SinkSet::place`] for a set of one sink: no fan-out bookkeeping.
    #[inline(always)]
    fn place_one<S: Shape>(&mut self, rec: &Record<'_>) -> Option<bool> {
        if rec.level < self.slots[0].min_level {
            self.unrouted += 1;
            return Some(false);
        }
        self.format_into::<S>(0, rec)?;
        // Again: the formatting may have changed what the compiler knows.
        self.assume_shape::<S>();
        let slot = &mut self.slots[0];
        // A plain sink completes at once: it keeps no marks.
        if !S::PLAIN {
            slot.mark(true);
        }
        debug_assert!(!S::PLAIN || slot.deferred.is_none());
        slot.batch.primary += 1;
        Some(true)
    }

    /// Formats `rec` at the end of slot `i`'s batch, sealing it first if
    /// the record crosses the sink's limit; returns where the record starts
    /// in the batch (for other sinks of the same format to copy), or
    /// `None`, with the batch as it was, when its deferred message does not
    /// decode.
    #[inline(always)]
    fn format_into<S: Shape>(&mut self, i: usize, rec: &Record<'_>) -> Option<usize> {
        let slot = &mut self.slots[i];
        let start = slot.batch.buf.len();
        // A set of one sink has one formatter.
        let fmt = if S::ONE_SINK { 0 } else { slot.fmt };
        debug_assert!(fmt == slot.fmt);
        // Read once: writing a record leaves it as it was (no prefix
        // without O_DIRECT).
        let prefix = if S::PLAIN { 0 } else { slot.prefix_len() };
        debug_assert_eq!(prefix, slot.prefix_len());
        if start == prefix {
            // Before the record is written (the time is then not held
            // across the formatting); meaningless if it is not, as the
            // batch stays empty.
            slot.batch.first_nanos = rec.unix_nanos;
        }
        if !self.formatters[fmt].write_as(&mut slot.batch.buf, rec, S::FORMAT) {
            return None;
        }
        #[cfg(test)]
        {
            self.formatted += 1;
        }
        let mut at = start;
        let limited = !S::PLAIN && self.limited;
        debug_assert!(limited == self.limited);
        if limited && slot.must_cut(start, slot.batch.buf.len(), rec.unix_nanos) {
            let fresh = take_spare(&mut self.spare, self.buf_capacity);
            slot.seal_before(start, fresh, rec.unix_nanos);
            self.submit_now = true;
            at = 0;
        }
        slot.batch.last_start = at;
        // `data_len`; a run into a one-sink plain set tests it itself
        // (see `pushes`).
        if !pushes::counted_by_batch::<S>() {
            self.submit_now |= slot.batch.buf.len() >= slot.batch_full_at(self.batch_bytes);
        }
        Some(at)
    }

    /// Copies the record formatted in slot `j` from `start` on to slot `i`.
    #[inline]
    fn copy_into(&mut self, i: usize, j: usize, start: usize, nanos: u64) {
        debug_assert!(j < i);
        let len = self.slots[j].batch.buf.len() - start;
        let here = self.slots[i].batch.buf.len();
        if self.limited && self.slots[i].must_cut(here, here + len, nanos) {
            let fresh = take_spare(&mut self.spare, self.buf_capacity);
            self.slots[i].seal_before(here, fresh, nanos);
            self.submit_now = true;
        }
        if self.slots[i].data_len() == 0 {
            self.slots[i].batch.first_nanos = nanos;
        }
        let (a, b) = self.slots.split_at_mut(i);
        b[0].batch.last_start = b[0].batch.buf.len();
        b[0].batch.buf.extend_from_slice(&a[j].batch.buf[start..]);
        self.submit_now |= b[0].data_len() >= self.batch_bytes;
    }

    /// Submits every non-empty batch. Completions are accounted as they come.
    pub(crate) fn submit_all(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        self.check_paths(io, shared);
        for i in 0..self.slots.len() {
            if let Some(b) = self.slots[i].sealed.take() {
                self.submit(i, b, io, shared);
            }
            if self.slots[i].data_len() == 0 {
                continue;
            }
            let fresh = take_spare(&mut self.spare, self.buf_capacity);
            let b = std::mem::replace(&mut self.slots[i].batch, Batch::new(fresh));
            self.submit(i, b, io, shared);
        }
        if self.under_load {
            // A submission as the writer runs dry leaves the next batch
            // full at `batch_bytes`: no `fstat` for a logger that is idle
            // more than it is busy.
            self.plan_aligned_end(io.in_flight() > 0);
        }
        self.settle_split();
        // A record carried to the open batch (see `aligned`) is gathered.
        self.records = self.slots.iter().map(|s| s.batch.primary).sum();
        self.submit_now = false;
        self.limited = self.slots.iter().any(|s| !s.limit.is_none());
        self.shape = self.shape_now();
        self.sync_if_due(io, shared);
        store_submits(io, shared);
        if self.any_unsettled() {
            self.settle(shared, Duration::ZERO);
        }
    }

    /// [`SinkSet::submit_all`] of full batches while the writer goes on
    /// taking records: a batch that crossed its aligned end is written up
    /// to there, the record across it carried to the next (see `aligned`).
    pub(crate) fn submit_full(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        self.under_load = true;
        self.submit_all(io, shared);
        self.under_load = false;
    }

    /// Sets where the one sink's open batch is full for its write to end
    /// at an aligned offset, when the set aligns its writes now (see
    /// `aligned`): no batch limit (the one sink's, as it answered at its
    /// last batch), not crash-safe, the file known (from
    /// the writer's last append); `in_flight`: the backend has a write not
    /// reported yet.
    #[inline]
    fn plan_aligned_end(&mut self, in_flight: bool) {
        let Some(aligner) = self.aligner.as_mut() else {
            return;
        };
        let slot = &mut self.slots[0];
        slot.batch.full_at = usize::MAX;
        if self.keeper.is_some() || !slot.limit.is_none() {
            return;
        }
        slot.batch.full_at = aligner.full_at(slot.batch.head, self.batch_bytes, in_flight);
    }

    /// Writes slot `i`'s open batch whole, and waits for it, if it holds
    /// the rest of a record whose start is in the sink's file: before the
    /// sink switches files.
    fn finish_split_record(&mut self, i: usize, io: &mut dyn IoBackend, shared: &Shared) {
        if self.slots[i].batch.head == 0 {
            return;
        }
        let fresh = take_spare(&mut self.spare, self.buf_capacity);
        let b = std::mem::replace(&mut self.slots[i].batch, Batch::new(fresh));
        self.records = self.records.saturating_sub(b.primary);
        // Whole: it ends on a record, whatever submission this is part of.
        let under_load = std::mem::replace(&mut self.under_load, false);
        self.submit(i, b, io, shared);
        self.under_load = under_load;
        self.wait_all(io, shared);
        self.settle_split();
    }

    /// Tells the aligner whether the open batch holds a record begun in
    /// the file (see `aligned`'s fork protocol).
    #[inline]
    fn settle_split(&mut self) {
        if let Some(a) = self.aligner.as_mut() {
            a.settle(self.slots[0].batch.head > 0);
        }
    }

    /// Every [`PATH_CHECK_INTERVAL`] at most: reopens the sinks whose path
    /// no longer names their file (deleted, or replaced), after the
    /// batches in flight completed.
    fn check_paths(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        let now = Instant::now();
        if now < self.next_path_check {
            return;
        }
        self.next_path_check = now + PATH_CHECK_INTERVAL;
        let changed: Vec<usize> = (0..self.slots.len())
            .filter(|&i| self.slots[i].sink.path_changed())
            .collect();
        if !changed.is_empty() {
            self.wait_all(io, shared);
            for i in changed {
                self.finish_split_record(i, io, shared);
                // Counted and reported there; no caller waits for it.
                let _ = self.reopen_slot(i, shared, ReopenCause::PathChanged);
            }
        }
    }

    /// Waits for every batch in flight, then asks every sink to reopen its
    /// file. Returns the sinks that failed (each counted in `errors` and
    /// reported; they keep their old files) and the last one's report.
    pub(crate) fn reopen_all(
        &mut self,
        io: &mut dyn IoBackend,
        shared: &Shared,
    ) -> ReopenFailures {
        self.wait_all(io, shared);
        let mut failures = ReopenFailures::default();
        for i in 0..self.slots.len() {
            self.finish_split_record(i, io, shared);
            if let Err(told) = self.reopen_slot(i, shared, ReopenCause::Requested) {
                failures.sinks += 1;
                // Always told: a requested reopen reports every failure.
                failures.last = told.unwrap_or_default();
            }
        }
        failures
    }

    /// Reopens slot `i`'s file (nothing of it in flight). On failure,
    /// the report made of it, if one was made (a path that stays changed
    /// is reported once).
    fn reopen_slot(
        &mut self,
        i: usize,
        shared: &Shared,
        cause: ReopenCause,
    ) -> Result<(), Option<String>> {
        let slot = &mut self.slots[i];
        let res = slot.sink.reopen(cause);
        if let Some(a) = self.aligner.as_mut() {
            a.reopened();
        }
        report_sink_errors(slot, shared);
        let e = match res {
            Ok(()) => {
                slot.reopen_failing = false;
                return Ok(());
            }
            Err(e) => e,
        };
        let told = (cause == ReopenCause::Requested || !slot.reopen_failing).then(|| {
            WriterCounters::add(&shared.counters.errors, 1);
            let report = format!("cannot reopen {}: {e}", slot.sink.describe());
            shared.report_error(report.clone());
            report
        });
        slot.reopen_failing = cause == ReopenCause::PathChanged;
        Err(told)
    }

    /// Starts a round of periodic syncs if `Durability::Data` says one is
    /// due, or else, whatever the durability, a round that covers the files
    /// the sinks left once one of them left too many (each is held open
    /// until a round covers it).
    pub(crate) fn sync_if_due(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        if self.syncs.periodic_due() {
            self.request_sync(io, shared, PERIODIC, false);
        } else if self.slots.iter().any(SinkSlot::too_many_unsynced) {
            self.sync_left(io, shared);
        }
    }

    /// A periodic round over the files the sinks left, not the ones they
    /// write now: files rotated away a while ago, most of whose pages the
    /// kernel has written back already, so the round costs little even
    /// with pwrite, where the writer waits for it; the file being written,
    /// whose fresh pages a sync would wait for, is not in it.
    fn sync_left(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        let mut fds: Vec<(usize, SharedFd)> = Vec::new();
        for (i, s) in self.slots.iter_mut().enumerate() {
            fds.extend(s.unsynced.drain(..).map(|fd| (i, fd)));
        }
        self.syncs.begin(PERIODIC, fds.len());
        self.issue_syncs(io, shared, PERIODIC, fds);
    }

    /// Asks slot `i`'s sink where `b` goes and hands it to the backend (or
    /// to the sink itself, for inline targets). The slot's open batch is
    /// fresh and empty when this is called.
    ///
    /// Ordering: everything that finished is reported (and the backend has
    /// room) *before* the sink is asked, and the backend takes the batch
    /// before it reports anything else. A sink that rewinds after a failed
    /// batch has therefore rewound before it reserves this batch's offset;
    /// a failure reported later is one the batch was submitted after, which
    /// the backend's failure rule covers (see `io::uring`).
    fn submit(&mut self, i: usize, mut b: Batch, io: &mut dyn IoBackend, shared: &Shared) {
        if self.slots[i].deferred.is_some() {
            return self.accept(i, b, shared);
        }
        if (self.slots[i].o_direct.as_ref()).is_some_and(|d| d.overlap_in_flight) {
            // The O_DIRECT ordering rule (see `o_direct`).
            io.wait_all(&mut |e| self.on_event(shared, e));
        }
        let waiting = io.full().then(|| SlotWait::begin(shared));
        io.make_room(&mut |e| self.on_event(shared, e));
        drop(waiting);
        let slot = &mut self.slots[i];
        if let (Some(a), Some(fd), 1..) = (self.aligner.as_mut(), &slot.last_fd, b.head) {
            if !a.head_in_place(fd) {
                // The file was cut (or grew) since the record's start went
                // out: written whole, it at least starts a line.
                b.head = 0;
            }
        }
        // Split only where this write is reported before `submit` returns:
        // the open batch then learns of its failure before it is routed.
        if self.under_load && io.reports_in_submit() {
            if let Some(a) = self.aligner.as_mut().filter(|_| b.full_at < b.buf.len()) {
                if a.may_split(b.head > 0) {
                    aligned::carry(&mut slot.batch, &mut b);
                }
            }
        }
        let len = slot.write_len(&b);
        let routed = slot.route(&mut b);
        if slot.batch.buf.is_empty() {
            slot.begin();
        }
        report_sink_errors(slot, shared);
        let (target, start) = match routed {
            Routed::Io(target, start) => (target, start),
            Routed::Inline => {
                let c = match slot.sink.write_inline(&b.buf[b.head..]) {
                    Ok(()) => done_ok(i, b.buf, b.head, b.primary),
                    Err(e) => failed(i, b.buf, b.primary, None, e),
                };
                let c = head_cut_on_failure(c, b.head, slot.last_fd.as_ref());
                return self.complete(shared, c);
            }
            Routed::Failed(e, offset) => {
                let c = failed(i, b.buf, b.primary, offset, e);
                let c = head_cut_on_failure(c, b.head, slot.last_fd.as_ref());
                return self.complete(shared, c);
            }
        };
        if let IoTarget::File { fd, .. } | IoTarget::Append { fd } = &target {
            self.syncs.wrote(len as u64);
            // Appended: the file grows by `len`; positioned: unknown.
            let appended = matches!(target, IoTarget::Append { .. }).then_some(len as u64);
            if let Some(k) = &self.keeper {
                lock(k).mark_file(fd, appended);
            }
        }
        if let (Some(a), 1..) = (self.aligner.as_mut(), b.head) {
            // The record's rest is on its way (see `aligned::cut_begun_here`).
            a.rest_on_its_way();
        }
        let sub = Submission {
            sink: i,
            target,
            buf: b.buf,
            start,
            records: b.primary,
        };
        io.submit(sub, &mut |e| self.on_event(shared, e));
    }

    /// Waits for every in-flight batch and sync and accounts it.
    pub(crate) fn wait_all(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        io.wait_all(&mut |e| self.on_event(shared, e));
        store_submits(io, shared);
    }

    /// Accounts whatever finished, without blocking: I/O completions, and
    /// what deferred sinks settled.
    pub(crate) fn poll(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        io.poll(&mut |e| self.on_event(shared, e));
        if self.any_unsettled() {
            self.settle(shared, Duration::ZERO);
        }
    }

    /// Waits for in-flight I/O or a notify of the writer's event count
    /// (registered with `key`), up to `timeout`; false when the backend
    /// cannot (nothing in flight).
    pub(crate) fn wait_some(
        &mut self,
        io: &mut dyn IoBackend,
        shared: &Shared,
        key: WaitKey,
        timeout: Option<Duration>,
    ) -> bool {
        io.wait_some(key.futex_value(), timeout, &mut |e| {
            self.on_event(shared, e)
        })
    }

    /// When the next periodic sync falls due, if one will.
    pub(crate) fn next_sync_due(&self) -> Option<Instant> {
        self.syncs.next_periodic_due()
    }

    /// Syncs every file written so far; `ticket` is a `flush_sync` ticket
    /// (acknowledged once all finish) or [`PERIODIC`]. With `settle`, a
    /// `flush_sync` ticket also waits, as a flush does, until the deferred
    /// sinks settled what they hold now (or their flush timeout passed,
    /// reported as for a flush).
    pub(crate) fn request_sync(
        &mut self,
        io: &mut dyn IoBackend,
        shared: &Shared,
        ticket: u64,
        settle: bool,
    ) {
        let mut fds: Vec<(usize, SharedFd)> = Vec::new();
        for (i, s) in self.slots.iter_mut().enumerate() {
            fds.extend(s.unsynced.drain(..).map(|fd| (i, fd)));
            fds.extend(s.last_fd.clone().map(|fd| (i, fd)));
        }
        let settling = settle && ticket != PERIODIC && self.any_held();
        self.syncs.begin(ticket, fds.len() + usize::from(settling));
        if settling {
            self.barrier(settle::Answer::Sync(ticket), shared, true);
        }
        self.issue_syncs(io, shared, ticket, fds);
    }

    /// Hands `fds`' syncs for `ticket` (begun) to the backend.
    fn issue_syncs(
        &mut self,
        io: &mut dyn IoBackend,
        shared: &Shared,
        ticket: u64,
        fds: Vec<(usize, SharedFd)>,
    ) {
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
                        shared.report_error(match shared.cancelled_by_give_up(&e) {
                            Some(why) => format!("fdatasync of {what} {why}"),
                            None => format!("fdatasync of {what} failed: {e}"),
                        });
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
        if let Some(d) = slot.o_direct.as_mut() {
            // Report in the sink's terms: records only, at the logical offset.
            if let Some(l) = c.offset.and_then(|_| d.completed()) {
                c.written = d.logical_written(l, c.written);
                c.offset = Some(l.offset);
                requested = l.len;
            }
        }
        // Accounted before any sink code runs, so a panicking sink cannot
        // leave the batch counted twice or not at all.
        debug_assert!(self.outstanding >= c.records);
        self.outstanding = self.outstanding.saturating_sub(c.records);
        account(shared, &c);
        // A failed append's bytes go before the sink (or anything after it) runs.
        let cut = match (&c.error, &c.appended_to) {
            (Some(_), Some(fd)) if c.start + c.written > 0 => {
                let bytes = c.buf.get(..c.start + c.written);
                Some(append::cut_failed_append(fd.as_fd(), bytes))
            }
            _ => None,
        };
        if let (Some(append::Cut::Done { .. }), 1..) = (&cut, c.start) {
            // The start of its first record (see `aligned`), counted
            // written with the batch before, is out of the file again.
            WriterCounters::take_back(&shared.counters.bytes_written, c.start as u64);
        }
        if let Some(a) = self.aligner.as_mut() {
            if c.error.is_none() {
                a.ended_inside(&slot.batch.buf[..slot.batch.head]);
            }
            match (&c.error, &c.appended_to) {
                (None, Some(fd)) => a.wrote(c.written, fd),
                (None, None) => a.wrote_elsewhere(c.offset.map(|o| o + c.written as u64)),
                // Appended or not (a refused batch wrote nothing): the
                // start of the record carried from it is not in the file
                // (cut, or never written), so it goes out whole.
                (Some(_), _) => {
                    a.failed();
                    slot.batch.head = 0;
                    a.settle(false);
                }
            }
        }
        if let (Some(_), Some(fd), Some(k)) = (&c.error, &c.appended_to, &self.keeper) {
            // Crash-safe mode: what is not in the file comes off its count.
            lock(k).unmark_failed(fd, not_landed(&c, requested, cut.as_ref()));
        }
        slot.sink.on_write(&WriteOutcome {
            offset: c.offset,
            requested,
            written: c.written,
            error: c.error.as_ref(),
        });
        if let Some(e) = &c.error {
            let cut = cut.map(|k| k.describe(c.written, c.start)).unwrap_or_default();
            let why = shared.cancelled_by_give_up(e).unwrap_or_else(|| e.to_string());
            let what = slot.sink.describe();
            shared.report_error(write_failure(&what, &c, requested, &why, &cut));
        }
        report_sink_errors(slot, shared);
        self.give_back(c.buf);
    }

    /// After the writer failed (a panic): waits for the batches in flight and
    /// accounts them without calling into any sink, then counts every record
    /// still gathered as dropped. The books balance however the writer died.
    pub(crate) fn abandon(&mut self, io: &mut dyn IoBackend, shared: &Shared) {
        let outstanding = &mut self.outstanding;
        let mut landed_since = false;
        let drained = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            io.wait_all(&mut |e| {
                if let Event::Write(c) = e {
                    landed_since = true;
                    *outstanding = outstanding.saturating_sub(c.records);
                    account(shared, &c);
                }
            })
        }));
        // A backend that panicked again leaves its batches to the count below.
        let _ = drained;
        if let Some(a) = self.aligner.as_mut() {
            // A record begun in the file (see `aligned`), counted dropped
            // below: its start comes out again, as a failed write's would.
            // Not the open batch's head: a batch being routed when the
            // writer died may hold the rest (and have carried another).
            // Unless a write in flight (the rest, through io_uring after
            // pwrite wrote the start: `Backend::Auto`) landed after it.
            let begun = a.begun().len();
            if let (Some(fd), 1.., false) = (&self.slots[0].last_fd, begun, landed_since) {
                let cut = append::cut_failed_append(fd.as_fd(), Some(a.begun()));
                if let append::Cut::Done { .. } = cut {
                    WriterCounters::take_back(&shared.counters.bytes_written, begun as u64);
                }
            }
            a.settle(false);
        }
        WriterCounters::add(
            &shared.counters.dropped,
            std::mem::take(&mut self.outstanding),
        );
        self.records = 0;
    }

    /// Takes the sinks and their formats out (user code whose `Drop` may
    /// panic, for the caller to drop one by one); the set holds none after.
    pub(crate) fn take_user_code(&mut self) -> (Vec<SinkSlot>, Vec<Formatter>) {
        self.placed.clear();
        self.shape = ShapeKind::General;
        (std::mem::take(&mut self.slots), std::mem::take(&mut self.formatters))
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

/// Counts and reports the errors a sink survived (`Sink::take_error`),
/// then reports its notices (`Sink::take_notice`) without counting them.
/// After either, lets go of the files the sink left that were deleted
/// since (see [`SinkSlot::let_go_of_deleted`]).
fn report_sink_errors(slot: &mut SinkSlot, shared: &Shared) {
    let mut told = false;
    for _ in 0..MAX_SINK_ERRORS_PER_BATCH {
        let Some(e) = slot.sink.take_error() else {
            break;
        };
        told = true;
        WriterCounters::add(&shared.counters.errors, 1);
        shared.report_error(format!("{}: {e}", slot.sink.describe()));
    }
    for _ in 0..MAX_SINK_ERRORS_PER_BATCH {
        let Some(n) = slot.sink.take_notice() else {
            break;
        };
        told = true;
        shared.report_notice(format!("{}: {n}", slot.sink.describe()));
    }
    if told {
        slot.let_go_of_deleted();
    }
}

/// Adds a finished batch to the counters: its records written, or dropped.
fn account(shared: &Shared, c: &Completion) {
    let k = &shared.counters;
    match &c.error {
        None => {
            WriterCounters::add(&k.written, c.records);
            WriterCounters::add(&k.bytes_written, c.written as u64);
            WriterCounters::add(&k.batches, 1);
        }
        Some(_) => {
            WriterCounters::add(&k.errors, 1);
            WriterCounters::add(&k.dropped, c.records);
        }
    }
}

/// A cleared buffer from the spares. The pool holds every buffer the
/// writer may need (see [`SinkSet::reserve_buffers`]); one lost to a write
/// abandoned in the kernel is replaced by a new one of `capacity` if the
/// memory is there, else by an empty one that grows as records come.
fn take_spare(spare: &mut Vec<Vec<u8>>, capacity: usize) -> Vec<u8> {
    spare
        .pop()
        .unwrap_or_else(|| new_buffer(capacity).unwrap_or_default())
}

/// A batch buffer with room for `capacity` bytes, its pages not touched;
/// an error, not an abort, when the memory is not there.
fn new_buffer(capacity: usize) -> Result<Vec<u8>, std::collections::TryReserveError> {
    let mut b = Vec::new();
    b.try_reserve_exact(capacity)?;
    Ok(b)
}

/// What the error report says of write `c` to `sink` that failed as
/// `e` says (its error, or that shutdown gave up on it) after asking for
/// `requested` bytes (`cut`: what became of those
/// that reached the file). A write given up with its ring while still in
/// the kernel ([`Completion::buffer_abandoned`]) asked for bytes no longer
/// known, and more of them may yet land: the report says so rather than
/// "after 0 of 0 bytes".
fn write_failure(sink: &str, c: &Completion, requested: usize, e: &str, cut: &str) -> String {
    let at = c
        .offset
        .map(|o| format!(" at offset {o}"))
        .unwrap_or_default();
    let records = c.records;
    if c.buffer_abandoned() {
        return format!(
            "write to {sink}{at} failed while in the kernel and was given up with the ring \
             ({records} records dropped; how many of its bytes reach the file is unknown): {e}{cut}"
        );
    }
    format!(
        "write to {sink}{at} failed after {} of {requested} bytes ({records} records dropped): {e}{cut}",
        c.written
    )
}

/// The bytes of failed append `c` (`requested` asked for, `cut` what
/// became of those that reached the file) that are not in the file: they
/// come off the crash-safe count. None when its buffer was abandoned in
/// the kernel ([`Completion::buffer_abandoned`]): what was asked for is
/// unknown, and the rest of the write may still land.
fn not_landed(c: &Completion, requested: usize, cut: Option<&append::Cut>) -> u64 {
    if c.buffer_abandoned() {
        return 0;
    }
    let stays = match cut {
        Some(append::Cut::Done { .. }) | None => 0,
        Some(_) => c.written,
    };
    requested.saturating_sub(stays) as u64
}

fn store_submits(io: &dyn IoBackend, shared: &Shared) {
    shared
        .counters
        .io_submits
        .store(io.submits(), Ordering::Relaxed);
}

/// The writer waits for a free I/O slot while this lives: blocked
/// producers stop spinning for a writer that waits in the kernel, and
/// `Logger::writer_waits_for_slot` says so. Dropped when the wait ends,
/// however it ends: a sink told of a completion in the wait may panic.
struct SlotWait<'s>(&'s Shared);

impl<'s> SlotWait<'s> {
    fn begin(shared: &'s Shared) -> SlotWait<'s> {
        shared.writer_cpu.asleep();
        // Relaxed: a debug view, ordered with nothing.
        shared.writer_waits_for_slot.store(true, Ordering::Relaxed);
        SlotWait(shared)
    }
}

impl Drop for SlotWait<'_> {
    fn drop(&mut self) {
        // Relaxed: as in `begin`.
        self.0.writer_waits_for_slot.store(false, Ordering::Relaxed);
        // The writer drains again: blocked producers may spin for it for
        // the rest of the pass (`begin` told them it slept).
        self.0.writer_cpu.note();
    }
}

/// A batch a sink took inline (`write_inline`) from `buf[start..]`.
fn done_ok(sink: usize, buf: Vec<u8>, start: usize, records: u64) -> Completion {
    Completion {
        sink,
        written: buf.len() - start,
        buf,
        start,
        records,
        offset: None,
        appended_to: None,
        error: None,
    }
}

/// Failed batch `c`, not written to a file, whose first `head` bytes —
/// a record's start — were appended to `file` by the batch before (see
/// `aligned`): they are cut off as a failed append's are. Others as they are.
fn head_cut_on_failure(mut c: Completion, head: usize, file: Option<&SharedFd>) -> Completion {
    if head > 0 && c.error.is_some() {
        c.start = head;
        c.written = 0;
        c.appended_to = file.cloned();
    }
    c
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
        appended_to: None,
        written: 0,
        error: Some(e),
    }
}

pub(crate) mod aligned;
#[cfg(test)]
mod aligned_tests;
mod pushes;
mod settle;
mod slot;
#[cfg(test)]
mod tests;

pub(crate) use pushes::Pushes;
pub(crate) use settle::Answer;
pub(crate) use slot::SinkSlot;
use slot::{Batch, Routed};
