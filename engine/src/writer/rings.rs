//! The rings the writer drains: adoption of new ones, retirement of
//! abandoned ones.

use super::gathering::threshold;
use crate::ring::RingReader;
use crate::shared::{lock, RingHandoff, Shared};
use std::sync::atomic::Ordering;

/// Every ring the writer currently serves, in registration order.
#[derive(Default)]
pub(crate) struct RingSet {
    pub rings: Vec<RingHandoff>,
}

impl RingSet {
    /// Takes over rings registered since the last call (all of them when `force`).
    pub(crate) fn adopt(&mut self, shared: &Shared, force: bool) {
        // Acquire: pairs with the Release store in `Producer::register`.
        if !force && !shared.new_rings.swap(false, Ordering::Acquire) {
            return;
        }
        shared.new_rings.store(false, Ordering::Relaxed);
        let first = self.rings.len();
        self.rings.append(&mut lock(&shared.registry).pending);
        for i in first..self.rings.len() {
            self.note_thread(i);
        }
    }

    /// Drops ring `i` (abandoned and empty), folding its counters into the
    /// registry's retired totals so `stats()` never misses or double counts.
    /// The rest keep their order: a pass reads a thread's rings in the
    /// order it registered them (see `drain`).
    pub(crate) fn retire(&mut self, i: usize, shared: &Shared) {
        let ring = self.rings.remove(i);
        if ring.shares_thread {
            self.forget_thread(ring.shared.thread_id);
        }
        shared.retire_counters(&ring.shared);
    }

    /// Marks new ring `i` and the other rings of its thread as sharing it
    /// (`RingHandoff::shares_thread`).
    fn note_thread(&mut self, i: usize) {
        let t = self.rings[i].shared.thread_id;
        let mut shares = false;
        for (j, r) in self.rings.iter_mut().enumerate() {
            if j != i && r.shared.thread_id == t {
                r.shares_thread = true;
                shares = true;
            }
        }
        self.rings[i].shares_thread = shares;
    }

    /// After a ring of thread `t` left: the thread's last ring, if one is
    /// left alone, shares it no more.
    fn forget_thread(&mut self, t: u32) {
        let mut same = self.rings.iter_mut().filter(|r| r.shared.thread_id == t);
        if let (Some(r), None) = (same.next(), same.next()) {
            r.shares_thread = false;
        }
    }

    /// Whether any ring has bytes to read; the writer's own rings count
    /// only when `own` (see the feedback rule in `drain`).
    pub(crate) fn any_readable(&self, own: bool) -> bool {
        (self.rings.iter()).any(|r| (own || !r.on_writer) && r.reader.may_have_data())
    }

    /// Whether any ring's producer is gone (the next drain pass reads and
    /// retires it); the writer's own rings count only when `own`: while
    /// they are held (the feedback rule in `drain`), a pass leaves an
    /// abandoned one alone too, so it is no work.
    pub(crate) fn any_abandoned(&self, own: bool) -> bool {
        (self.rings.iter()).any(|r| (own || !r.on_writer) && r.reader.is_abandoned())
    }

    /// A look at the rings for `Gather`: the bytes the rings a pass would
    /// hold back hold, and whether any ring would be read by a pass now
    /// (the writer's own rings only when `own`; see the feedback rule in
    /// `drain`).
    pub(crate) fn look(&self, own: bool) -> (usize, bool) {
        let (mut held, mut due) = (0, false);
        for r in &self.rings {
            match held_bytes(r) {
                0 => due |= (own || !r.on_writer) && r.reader.may_have_data(),
                n => held += n,
            }
        }
        (held, due)
    }
}

/// The bytes a drain pass leaves in ring `r` to gather more (see
/// `gathering`): all it holds when it is another thread's lossless byte
/// ring, still written to, below the threshold; else 0 (read it).
///
/// A thread's rings are read one after another, in the order they were
/// registered. That keeps no order across them in general (a pass can
/// read the first just before the thread commits a record there, and the
/// second after it commits the next one; `Logger::producer` says so, and
/// that a flush orders them), but holding one back while the other is
/// read would reorder them every time it happened, so a ring that shares
/// its thread is never held.
pub(crate) fn held_bytes(r: &RingHandoff) -> usize {
    let RingReader::Lossless(c) = &r.reader else {
        return 0;
    };
    if r.on_writer || r.shares_thread {
        return 0;
    }
    let n = c.available();
    if n >= threshold(c.capacity()) || c.is_abandoned() {
        return 0;
    }
    n
}
