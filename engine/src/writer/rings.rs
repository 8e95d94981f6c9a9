//! The rings the writer drains: adoption of new ones, retirement of
//! abandoned ones.

use crate::ring::RingReader;
use crate::shared::{lock, RingShared, Shared};
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;

/// One producer's ring as the writer holds it.
pub(crate) struct Ring {
    pub reader: RingReader,
    pub shared: Arc<RingShared>,
}

/// Every ring the writer currently serves, in registration order.
#[derive(Default)]
pub(crate) struct RingSet {
    pub rings: Vec<Ring>,
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
        for h in reg.pending.drain(..) {
            self.rings.push(Ring {
                reader: h.reader,
                shared: h.shared,
            });
        }
    }

    /// Whether ring `i`'s producer is gone. When true, everything it ever
    /// committed is visible to the next read.
    pub(crate) fn is_abandoned(&self, i: usize) -> bool {
        if self.rings[i].reader.is_abandoned() {
            // Acquire fence: pairs with the Release decrement of the ring's
            // reference count when the producer was dropped, which follows
            // its last commit and its last counter stores.
            fence(Ordering::Acquire);
            true
        } else {
            false
        }
    }

    /// Drops ring `i` (abandoned and empty), folding its counters into the
    /// registry's retired totals so `stats()` never misses or double counts.
    pub(crate) fn retire(&mut self, i: usize, shared: &Shared) {
        let ring = self.rings.swap_remove(i);
        shared.retire_counters(&ring.shared);
    }

    /// Whether any ring has bytes to read.
    pub(crate) fn any_readable(&self) -> bool {
        self.rings.iter().any(|r| r.reader.may_have_data())
    }
}
