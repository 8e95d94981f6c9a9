//! The writer's side of deferred completion (see "Deferred completion" in
//! the `sink` module docs): handing whole records to a deferred sink,
//! accounting what it settles, flush barriers, and what shutdown does with
//! records still unsettled.
//!
//! Books: a record handed to a deferred sink stays in `SinkSet::outstanding`
//! (when the sink counts it) until the sink settles it, so a writer that
//! dies meanwhile still counts it dropped (`SinkSet::abandon`). What a sink
//! settles is clamped to what it holds, so a sink that reports a ticket
//! twice cannot make `written + dropped` exceed `enqueued`.

use super::{report_sink_errors, Batch, SinkSet, SinkSlot};
use crate::shared::{deadline_after, Shared};
use crate::sink::{Backlog, RecordBatch, Settled, Sink};
use crate::stats::WriterCounters;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Longest a deferred sink may wait in one `settle` call at shutdown.
const CLOSE_WAIT: Duration = Duration::from_millis(10);
/// Longest a deferred sink may wait in one `settle` call while a flush
/// waits for it to have room.
const ROOM_WAIT: Duration = Duration::from_millis(1);
/// Pause after a shutdown round in which nothing settled.
const IDLE_WAIT: Duration = Duration::from_millis(1);

/// A deferred sink's records, as the writer counts them.
#[derive(Debug)]
pub(crate) struct Deferred {
    flush_timeout: Duration,
    /// `Ticket::seq` of the next record handed over.
    next_seq: u64,
    /// Records handed over and not settled yet, counted here or not.
    held: u64,
    /// Of `held`, records the books count through this sink.
    held_counted: u64,
    /// What the sink said after it was last called.
    backlog: Backlog,
    /// Records it settled undelivered so far, counted here or not.
    undelivered: u64,
}

impl Deferred {
    pub(crate) fn new(flush_timeout: Duration) -> Deferred {
        Deferred {
            flush_timeout,
            next_seq: 0,
            held: 0,
            held_counted: 0,
            backlog: Backlog::EMPTY,
            undelivered: 0,
        }
    }

    /// Whether every record handed over before `seq` has settled.
    fn settled_before(&self, seq: u64) -> bool {
        self.held == 0 || self.backlog.oldest.map_or(true, |o| o >= seq)
    }
}

/// A flush waiting for deferred sinks: answered once each `(slot, seq)`
/// has settled every record before `seq`, or at `deadline` with an error.
#[derive(Debug)]
pub(crate) struct Barrier {
    ticket: Answer,
    marks: Vec<(usize, u64)>,
    deadline: Instant,
}

/// What answering a [`Barrier`] finishes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Answer {
    /// `Logger::flush` ticket: acknowledged.
    Flush(u64),
    /// `Logger::flush_sync` ticket: one of the parts it waits for (see
    /// `SinkSet::request_sync`), the others being its files' syncs.
    Sync(u64),
}

/// Flushes waiting for deferred sinks, oldest first (answered in order,
/// since a flush ticket acknowledges every earlier one).
pub(crate) type Barriers = VecDeque<Barrier>;

impl SinkSlot {
    /// Records the end of the record just placed in the open batch, for a
    /// deferred sink, and whether the books count it through this sink.
    #[inline]
    pub(super) fn mark(&mut self, counted: bool) {
        if self.deferred.is_some() {
            let end = self.batch.buf.len() as u32;
            self.batch.marks.push((end, counted));
        }
    }
}

impl SinkSet {
    /// Whether some deferred sink holds records not yet settled, or a
    /// flush waits for them.
    pub(crate) fn any_unsettled(&self) -> bool {
        !self.barriers.is_empty() || self.any_held()
    }

    /// Whether some deferred sink holds records not yet settled.
    pub(super) fn any_held(&self) -> bool {
        (self.slots.iter()).any(|s| s.deferred.as_ref().is_some_and(|d| d.held > 0))
    }

    /// Until when an idle writer need not poll the deferred sinks: `None`
    /// while one holds records and may progress any time (poll about every
    /// `writer::SINK_POLL_INTERVAL`); else the earliest time one of them (its
    /// `Backlog::idle_until`) or a flush waiting for them needs a turn.
    /// `Some(None)`: nothing at all is pending.
    pub(crate) fn quiet_until(&self) -> Option<Option<Instant>> {
        let mut until = self.barriers.iter().map(|b| b.deadline).min();
        let held = (self.slots.iter()).filter_map(|s| s.deferred.as_ref().filter(|d| d.held > 0));
        for d in held {
            let t = d.backlog.idle_until?;
            until = Some(until.map_or(t, |u| u.min(t)));
        }
        Some(until)
    }

    /// Whether some deferred sink takes no more records now.
    pub(crate) fn any_full(&self) -> bool {
        (self.slots.iter()).any(|s| s.deferred.as_ref().is_some_and(|d| d.backlog.full))
    }

    /// Hands batch `b` to deferred slot `i`'s sink.
    pub(super) fn accept(&mut self, i: usize, mut b: Batch, shared: &Shared) {
        let slot = &mut self.slots[i];
        let Some(d) = slot.deferred.as_mut() else {
            return;
        };
        let n = b.marks.len() as u64;
        let mut done = Settled::new();
        let batch = RecordBatch::new(&b.buf, &b.marks, d.next_seq);
        let result = slot.sink.accept(&batch, &mut done);
        d.next_seq += n;
        match result {
            Ok(()) => {
                d.held += n;
                d.held_counted += b.primary;
                WriterCounters::add(&shared.counters.batches, 1);
            }
            Err(e) => {
                self.outstanding = self.outstanding.saturating_sub(b.primary);
                WriterCounters::add(&shared.counters.errors, 1);
                WriterCounters::add(&shared.counters.dropped, b.primary);
                shared.report_error(format!(
                    "{} refused {n} records ({} dropped): {e}",
                    slot.sink.describe(),
                    b.primary
                ));
            }
        }
        self.apply(i, done, shared);
        report_sink_errors(&mut self.slots[i], shared);
        b.marks.clear();
        self.give_back(b.buf);
    }

    /// Books what slot `i`'s sink settled and asks for its backlog.
    fn apply(&mut self, i: usize, done: Settled, shared: &Shared) {
        let slot = &mut self.slots[i];
        let Some(d) = slot.deferred.as_mut() else {
            return;
        };
        let counted = (done.written + done.dropped).min(d.held_counted);
        let written = done.written.min(counted);
        d.held -= done.records.min(d.held);
        d.held_counted -= counted;
        d.undelivered += done.undelivered;
        self.outstanding = self.outstanding.saturating_sub(counted);
        let k = &shared.counters;
        WriterCounters::add(&k.written, written);
        WriterCounters::add(&k.dropped, counted - written);
        WriterCounters::add(&k.bytes_written, done.bytes);
        d.backlog = slot.sink.backlog();
    }

    /// Lets every deferred sink make progress (waiting up to `wait` each),
    /// books what settled and answers the flushes that are done.
    pub(crate) fn settle(&mut self, shared: &Shared, wait: Duration) {
        for i in 0..self.slots.len() {
            if self.slots[i].deferred.is_none() {
                continue;
            }
            let mut done = Settled::new();
            self.slots[i].sink.settle(wait, &mut done);
            self.apply(i, done, shared);
            report_sink_errors(&mut self.slots[i], shared);
        }
        self.answer_barriers(shared);
    }

    /// Answers flush `ticket` now if nothing deferred is pending, else
    /// once every deferred sink has settled what it holds now. A flush that
    /// already failed (`wait` false) waits for nothing more, only for the
    /// flushes before it.
    pub(crate) fn barrier(&mut self, ticket: Answer, shared: &Shared, wait: bool) {
        let now = Instant::now();
        let mut deadline = now;
        let mut marks = Vec::new();
        for (i, s) in self.slots.iter().enumerate().filter(|_| wait) {
            if let Some(d) = s.deferred.as_ref().filter(|d| d.held > 0) {
                marks.push((i, d.next_seq));
                deadline = deadline.max(deadline_after(now, d.flush_timeout));
            }
        }
        self.barriers.push_back(Barrier {
            ticket,
            marks,
            deadline,
        });
        self.answer_barriers(shared);
    }

    /// Acknowledges the flushes whose marks have settled, in order; one
    /// past its deadline is answered with an error naming the sinks.
    fn answer_barriers(&mut self, shared: &Shared) {
        let mut acked = None;
        let mut synced = false;
        while let Some(b) = self.barriers.front_mut() {
            let slots = &self.slots;
            b.marks.retain(|&(i, seq)| {
                !(slots[i].deferred.as_ref()).is_some_and(|d| d.settled_before(seq))
            });
            if !b.marks.is_empty() && Instant::now() < b.deadline {
                break;
            }
            let Some(b) = self.barriers.pop_front() else {
                break;
            };
            for &(i, _) in &b.marks {
                self.fail_flush(i, shared, "records logged before it are still unsettled");
            }
            match b.ticket {
                Answer::Flush(t) => acked = Some(t),
                Answer::Sync(t) => {
                    self.syncs.finished(t);
                    synced = true;
                }
            }
        }
        if let Some(t) = acked {
            shared.flush.ack(&shared.flush.done, t);
        }
        if synced {
            self.syncs.ack_ready(shared);
        }
    }

    /// Counts and reports a flush that slot `i`'s sink made fail.
    fn fail_flush(&self, i: usize, shared: &Shared, why: &str) {
        let s = &self.slots[i];
        let ms = s
            .deferred
            .as_ref()
            .map_or(0, |d| d.flush_timeout.as_millis());
        WriterCounters::add(&shared.counters.errors, 1);
        shared.report_error(format!(
            "flush: {}: {why} after {ms} ms{}",
            s.sink.describe(),
            cause(s.sink.as_ref())
        ));
    }

    /// Before a flush drains (or, in sync mode, a record is taken): waits
    /// (settling) until no deferred sink is full, at most the longest flush
    /// timeout of the full ones or until shutdown begins. False, with the
    /// error reported, if one stays full.
    pub(crate) fn wait_for_room(&mut self, shared: &Shared) -> bool {
        if !self.any_full() {
            return true;
        }
        let timeout = (self.slots.iter())
            .filter_map(|s| s.deferred.as_ref().filter(|d| d.backlog.full))
            .map(|d| d.flush_timeout)
            .max()
            .unwrap_or_default();
        let deadline = deadline_after(Instant::now(), timeout);
        while self.any_full() && Instant::now() < deadline && !shared.is_closed() {
            let before = self.held();
            self.settle(shared, ROOM_WAIT);
            if self.held() == before {
                std::thread::sleep(IDLE_WAIT);
            }
        }
        let full: Vec<usize> = (0..self.slots.len())
            .filter(|&i| (self.slots[i].deferred.as_ref()).is_some_and(|d| d.backlog.full))
            .collect();
        for &i in &full {
            self.fail_flush(i, shared, "its buffer stayed full");
        }
        full.is_empty()
    }

    /// A flush in sync mode: settles until the deferred sinks hold
    /// nothing, at most their flush timeout, reporting those that still do.
    pub(crate) fn flush_deferred(&mut self, shared: &Shared) {
        let now = Instant::now();
        let timeout = (self.slots.iter())
            .filter_map(|s| s.deferred.as_ref().filter(|d| d.held > 0))
            .map(|d| d.flush_timeout)
            .max();
        let Some(timeout) = timeout else {
            return;
        };
        self.settle_until(shared, deadline_after(now, timeout));
        for i in 0..self.slots.len() {
            if (self.slots[i].deferred.as_ref()).is_some_and(|d| d.held > 0) {
                self.fail_flush(i, shared, "records logged before it are still unsettled");
            }
        }
    }

    /// Settles until nothing is held or `deadline`; a round that settles
    /// nothing is followed by a short sleep, so a sink that does not wait
    /// in `settle` is not spun on.
    pub(crate) fn settle_until(&mut self, shared: &Shared, deadline: Instant) {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let before = self.held();
            self.settle(shared, left.min(CLOSE_WAIT));
            let held = self.held();
            if held == 0 || left.is_zero() {
                return;
            }
            if held == before {
                std::thread::sleep(IDLE_WAIT.min(left));
            }
        }
    }

    /// The deferred sinks that hold records not yet settled, described.
    pub(crate) fn unsettled_sinks(&self) -> Vec<String> {
        (self.slots.iter())
            .filter(|s| s.deferred.as_ref().is_some_and(|d| d.held > 0))
            .map(|s| s.sink.describe())
            .collect()
    }

    /// Records each slot's sink settled undelivered so far (0 for a sink
    /// that does not defer), for [`SinkSet::undelivered_since`].
    pub(crate) fn undelivered(&self) -> Vec<u64> {
        (self.slots.iter())
            .map(|s| s.deferred.as_ref().map_or(0, |d| d.undelivered))
            .collect()
    }

    /// The deferred sinks that settled records undelivered since
    /// `before` (from [`SinkSet::undelivered`]), each described with how
    /// many.
    pub(crate) fn undelivered_since(&self, before: &[u64]) -> Vec<String> {
        let now = self.undelivered();
        (self.slots.iter().zip(now.iter().zip(before)))
            .filter(|(_, (now, before))| now > before)
            .map(|(s, (now, before))| format!("{} ({} records)", s.sink.describe(), now - before))
            .collect()
    }

    /// Records the deferred sinks hold, all together.
    fn held(&self) -> u64 {
        (self.slots.iter())
            .filter_map(|s| s.deferred.as_ref())
            .map(|d| d.held)
            .sum()
    }

    /// After the sinks closed: counts what deferred sinks never settled as
    /// dropped, reporting how many per sink, and drops pending barriers.
    pub(crate) fn drop_unsettled(&mut self, shared: &Shared) {
        self.barriers.clear();
        for s in &mut self.slots {
            let Some(d) = s.deferred.as_mut() else {
                continue;
            };
            if d.held == 0 {
                continue;
            }
            let (held, counted) = (
                std::mem::take(&mut d.held),
                std::mem::take(&mut d.held_counted),
            );
            self.outstanding = self.outstanding.saturating_sub(counted);
            let k = &shared.counters;
            WriterCounters::add(&k.dropped, counted);
            WriterCounters::add(&k.errors, 1);
            shared.report_error(format!(
                "{}: {held} records unsettled at shutdown ({counted} counted dropped){}",
                s.sink.describe(),
                cause(s.sink.as_ref())
            ));
        }
    }
}

/// `": <why>"` when the sink says why what it holds is not settling, else
/// nothing: the end of a flush or shutdown report naming it.
fn cause(sink: &dyn Sink) -> String {
    sink.stalled_by().map_or_else(String::new, |why| format!(": {why}"))
}
