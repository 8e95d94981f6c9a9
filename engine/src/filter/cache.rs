//! Cached filter decisions: one atomic word per call site, and a small
//! per-thread table for `&'static` targets (the `log` facade, which has no
//! call-site identity).
//!
//! An entry is `generation << 8 | threshold`: valid only while the
//! logger's generation is the same (generations are unique across every
//! logger, so an entry left by another logger simply misses).

use super::FilterState;
use crate::level::Level;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// A call site's cached filter decision: the threshold of its target under
/// one generation of one logger's filter.
///
/// The logging macros keep one in a `static` per call site; a front end
/// that has a per-call-site `static` of its own can hold one there and pass
/// it to [`Logger::enabled_at`](crate::Logger::enabled_at). The target
/// passed with a cache must be the same on every call (a literal or
/// `module_path!()`). A site used with several loggers in turn recomputes
/// (a prefix scan) whenever the logger changes; it is never wrong.
#[derive(Debug, Default)]
pub struct CallsiteCache {
    /// `generation << 8 | threshold as u8`; 0 when empty.
    word: AtomicU64,
}

impl CallsiteCache {
    /// An empty cache (for a `static`).
    pub const fn new() -> CallsiteCache {
        CallsiteCache {
            word: AtomicU64::new(0),
        }
    }

    /// The cached threshold if it belongs to `generation`.
    #[inline]
    pub(crate) fn get(&self, generation: u64) -> Option<Level> {
        // Relaxed: the word is self-contained (generation and threshold in
        // one value); its threshold was computed for that generation.
        let w = self.word.load(Ordering::Relaxed);
        if w >> 8 == generation {
            Level::from_u8_threshold(w as u8)
        } else {
            None
        }
    }

    /// Caches `threshold` for `generation`.
    #[inline]
    pub(crate) fn set(&self, generation: u64, threshold: Level) {
        self.word
            .store(generation << 8 | threshold as u64, Ordering::Relaxed);
    }
}

/// Slots of the per-thread table of static targets (a power of two).
const STATIC_SLOTS: usize = 64;

/// `(address, length, generation << 8 | threshold)` of a static target.
type Slot = (usize, usize, u64);

thread_local! {
    /// This thread's cached thresholds of `&'static str` targets, indexed
    /// by address. Static memory never changes, so address and length
    /// identify the string exactly.
    static STATIC_TARGETS: RefCell<[Slot; STATIC_SLOTS]> =
        const { RefCell::new([(0, 0, 0); STATIC_SLOTS]) };
}

/// `target`'s threshold from this thread's table, refreshed on a miss;
/// `None` when the table is unavailable (thread exiting, re-entered).
#[inline]
pub(super) fn static_target_threshold(f: &FilterState, target: &'static str) -> Option<Level> {
    let (addr, len) = (target.as_ptr() as usize, target.len());
    let i = (addr >> 3 ^ addr >> 11 ^ len) & (STATIC_SLOTS - 1);
    STATIC_TARGETS
        .try_with(|t| {
            let mut t = t.try_borrow_mut().ok()?;
            let slot = &mut t[i];
            let generation = f.generation();
            if slot.0 == addr && slot.1 == len && slot.2 >> 8 == generation {
                return Level::from_u8_threshold(slot.2 as u8);
            }
            let (generation, threshold) = f.threshold_now(target);
            *slot = (addr, len, generation << 8 | threshold as u64);
            Some(threshold)
        })
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_holds_for_its_generation_only() {
        let c = CallsiteCache::new();
        assert_eq!(c.get(1), None);
        c.set(7, Level::Warn);
        assert_eq!(c.get(7), Some(Level::Warn));
        assert_eq!(c.get(8), None);
        c.set(8, Level::Off);
        assert_eq!(c.get(8), Some(Level::Off));
    }
}
