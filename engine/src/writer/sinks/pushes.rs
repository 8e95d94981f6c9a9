//! A run of records pushed into the sinks, counted once at its end.
//!
//! The drain loop pushes a ring's records one after another with nothing
//! in between that reads the set's counts of records gathered and
//! outstanding, so a run keeps the records it placed in a local count
//! (a register) and adds it to both when it is finished. Whether the
//! batch is full is the same test as [`SinkSet::is_full`], against the
//! room the batch had when the run began.
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
}

impl SinkSet {
    /// A run of pushes into batches of at most `batch_size` records.
    #[inline]
    pub(crate) fn pushes(&mut self, batch_size: u64) -> Pushes<'_> {
        let room = batch_size.saturating_sub(self.records);
        let unrouted = self.unrouted;
        Pushes {
            set: self,
            taken: 0,
            unrouted,
            room,
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
                self.taken += taken as u64;
                true
            }
            None => false,
        }
    }

    /// [`SinkSet::is_full`] as it will be with this run counted.
    #[inline(always)]
    pub(crate) fn is_full(&self) -> bool {
        self.set.submit_now || self.taken >= self.room
    }

    /// See [`SinkSet::rendering`].
    #[inline(always)]
    pub(crate) fn rendering(&self) -> Rendering {
        self.set.rendering
    }
}

impl Pushes<'_> {
    /// Ends the run: its records count as gathered and outstanding.
    /// Returns the records it pushed: taken by a sink, or by none
    /// (counted in `unrouted`).
    #[inline(always)]
    pub(crate) fn finish(self) -> u64 {
        self.set.records += self.taken;
        self.set.outstanding += self.taken;
        self.taken + (self.set.unrouted - self.unrouted)
    }
}
