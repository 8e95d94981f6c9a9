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
        let mut reg = lock(&shared.registry);
        self.rings.append(&mut reg.pending);
    }

    /// Drops ring `i` (abandoned and empty), folding its counters into the
    /// registry's retired totals so `stats()` never misses or double counts.
    pub(crate) fn retire(&mut self, i: usize, shared: &Shared) {
        let ring = self.rings.swap_remove(i);
        shared.retire_counters(&ring.shared);
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
pub(crate) fn held_bytes(r: &RingHandoff) -> usize {
    let RingReader::Lossless(c) = &r.reader else {
        return 0;
    };
    if r.on_writer {
        return 0;
    }
    let n = c.available();
    if n >= threshold(c.capacity()) || c.is_abandoned() {
        return 0;
    }
    n
}
