//! A run of records pushed into the sinks, counted once at its end.
//!
//! The drain loop pushes a ring's records one after another with nothing
//! in between that reads the set's counts of records gathered and
//! outstanding, so a run keeps the records it placed in a local count
//! (a register) and adds it to both when it is finished. Whether the
//! batch is full is the same test as [`SinkSet::is_full`], against the
//! room the batch had when the run began.
//!
//! A set of a one-sink plain shape counts its records once already, in
//! its one batch's `primary` (which nothing else changes during a run:
//! no sealing, no fan-out), so a run over it keeps no count of its own:
//! the records it placed are what that count grew by.
//!
//! Over such a set a run also tests the batch's bytes itself, at the top
//! of each record (one compare of the batch's length with where it is
//! full), instead of each record noting them in `submit_now` and the run
//! reading that back; it notes them there when it is finished.
//!
//! A run that ends in a panic (a sink's own format, on the writer
//! thread) adds nothing, and that is what keeps the books: its records
//! are still in the ring, whose release comes after the run, and the
//! ring goes to the orphans, which count them dropped — counted in
//! `outstanding` as well, `SinkSet::abandon` would count them again.

use super::SinkSet;
use crate::writer::shape::Shape;
use crate::format::{Record, Rendering};

/// Pushes into a [`SinkSet`] whose counts are added by [`Pushes::finish`].
#[must_use = "a run's records are counted when it is finished"]
pub(crate) struct Pushes<'s> {
    set: &'s mut SinkSet,
    /// Records a sink took in this run, not yet in `set.records` and
    /// `set.outstanding`.
    taken: u64,
    /// `set.unrouted` when the run began.
    unrouted: u64,
    /// Records the open batches may take before `batch_size`.
    room: u64,
    /// The first sink's `batch.primary` when the run began (0 for a
    /// set without sinks).
    primary: u64,
    /// `primary + room` (saturated): the first sink's `batch.primary`
    /// at which a run counted by the batch is full (one compare a record,
    /// no subtraction); 0 when `submit_now` was set as the run began.
    full_at: u64,
    /// The first sink's batch length at which it holds `batch_bytes` (a
    /// run counted by the batch tests it, see the module docs).
    bytes_full_at: usize,
}

impl SinkSet {
    /// A run of pushes into batches of at most `batch_size` records.
    #[inline]
    pub(crate) fn pushes(&mut self, batch_size: u64) -> Pushes<'_> {
        let room = batch_size.saturating_sub(self.records);
        let unrouted = self.unrouted;
        let primary = self.slots.first().map_or(0, |s| s.batch.primary);
        let bytes_full_at = self
            .slots
            .first()
            .map_or(usize::MAX, |s| s.batch_full_at(self.batch_bytes));
        let full_at = match self.submit_now {
            true => 0,
            false => primary.saturating_add(room),
        };
        Pushes {
            set: self,
            taken: 0,
            unrouted,
            room,
            primary,
            full_at,
            bytes_full_at,
        }
    }
}

impl Pushes<'_> {
    /// [`SinkSet::push`] into a set of shape `S`, counted at the end of
    /// the run.
    #[inline(always)]
    pub(crate) fn push<S: Shape>(&mut self, rec: &Record<'_>) -> bool {
        match self.set.place::<S>(rec) {
            Some(taken) => {
                if !counted_by_batch::<S>() {
                    self.taken += taken as u64;
                }
                true
            }
            None => false,
        }
    }

    /// Records a sink took in this run, pushed into a set of shape `S`.
    #[inline(always)]
    fn taken<S: Shape>(&self) -> u64 {
        if counted_by_batch::<S>() {
            self.set.assume_shape::<S>();
            self.set.slots[0].batch.primary - self.primary
        } else {
            self.taken
        }
    }

    /// [`SinkSet::is_full`] as it will be with this run (into a set of
    /// shape `S`) counted.
    #[inline(always)]
    pub(crate) fn is_full<S: Shape>(&self) -> bool {
        if counted_by_batch::<S>() {
            self.set.assume_shape::<S>();
            // `primary - self.primary >= room`: `primary` never falls
            // below `self.primary` during a run, and when `full_at`
            // saturated, `primary - self.primary` stays below `room`.
            // `submit_now` is read once, into `full_at`: nothing sets it
            // during a run into this shape (no limit, no fan-out, and the
            // bytes are tested here).
            let slot = &self.set.slots[0];
            let full = slot.batch.primary >= self.full_at || slot.batch.buf.len() >= self.bytes_full_at;
            debug_assert_eq!(
                full,
                self.set.submit_now
                    || self.taken::<S>() >= self.room
                    || slot.batch.buf.len() >= slot.batch_full_at(self.set.batch_bytes)
            );
            return full;
        }
        self.set.submit_now || self.taken::<S>() >= self.room
    }

    /// The first sink's batch length, for tests.
    #[cfg(test)]
    pub(crate) fn len_of_first(&self) -> usize {
        self.set.slots[0].batch.buf.len()
    }

    /// See [`SinkSet::rendering`].
    #[inline(always)]
    pub(crate) fn rendering(&self) -> Rendering {
        self.set.rendering
    }
}

impl Pushes<'_> {
    /// Ends the run (into a set of shape `S`): its records count as
    /// gathered and outstanding. Returns the records it pushed: taken by
    /// a sink, or by none (counted in `unrouted`).
    #[inline(always)]
    pub(crate) fn finish<S: Shape>(self) -> u64 {
        let taken = self.taken::<S>();
        if counted_by_batch::<S>() {
            // The bytes tested by the run (see `is_full`).
            let slot = &self.set.slots[0];
            self.set.submit_now |= slot.batch.buf.len() >= self.bytes_full_at;
        }
        self.set.records += taken;
        self.set.outstanding += taken;
        taken + (self.set.unrouted - self.unrouted)
    }
}

/// Whether a run into a set of shape `S` counts its records by the one
/// batch's `primary` (see the module docs).
#[inline(always)]
pub(super) const fn counted_by_batch<S: Shape>() -> bool {
    S::ONE_SINK && S::PLAIN
}
