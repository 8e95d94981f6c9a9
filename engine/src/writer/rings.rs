//! The rings the writer drains: adoption of new ones, retirement of
//! abandoned ones.

use super::gathering::threshold;
use crate::ring::RingReader;
use crate::shared::{lock, RingHandoff, Shared};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// Every ring the writer currently serves, in registration order.
#[derive(Default)]
pub(crate) struct RingSet {
    pub rings: Vec<RingHandoff>,
    /// How many rings of `rings` each thread (`RingShared::thread_id`)
    /// has; a thread with none has no entry. Kept by `adopt` and `sweep`,
    /// so neither scans the rings per ring.
    per_thread: HashMap<u32, u32>,
    /// Indices in `rings` of the rings retired since the last `sweep`,
    /// ascending (a pass retires in index order).
    retiring: Vec<usize>,
}

impl RingSet {
    /// Takes over rings registered since the last call (all of them when `force`).
    pub(crate) fn adopt(&mut self, shared: &Shared, force: bool) {
        // Acquire: pairs with the Release store in `Producer::register`.
        if !force && !shared.new_rings.swap(false, Ordering::Acquire) {
            return;
        }
        shared.new_rings.store(false, Ordering::Relaxed);
        debug_assert!(self.retiring.is_empty(), "adopt between retire and sweep");
        let first = self.rings.len();
        self.rings.append(&mut lock(&shared.registry).pending);
        let mut shared_thread = false;
        for r in &self.rings[first..] {
            let n = self.per_thread.entry(r.shared.thread_id).or_insert(0);
            *n += 1;
            shared_thread |= *n > 1;
        }
        if shared_thread {
            self.mark_shared();
        }
    }

    /// Retires ring `i` (abandoned and empty): it stays in place, and is
    /// not to be read again, until [`RingSet::sweep`] removes it. Call in
    /// ascending `i` between two sweeps.
    pub(crate) fn retire(&mut self, i: usize) {
        debug_assert!(self.retiring.last().map_or(true, |&j| j < i));
        self.retiring.push(i);
    }

    /// Removes the rings retired since the last call, in one pass over
    /// the rings; the rest keep their order (a pass reads a thread's rings
    /// in the order it registered them, see `drain`). Their counters go to
    /// the registry's retired totals, so `stats()` never misses or double
    /// counts them.
    pub(crate) fn sweep(&mut self, shared: &Shared) {
        if self.retiring.is_empty() {
            return;
        }
        let mut lone_thread = false;
        for &i in &self.retiring {
            let t = self.rings[i].shared.thread_id;
            let Some(n) = self.per_thread.get_mut(&t) else {
                debug_assert!(false, "thread {t} of a served ring is not counted");
                continue;
            };
            *n -= 1;
            match *n {
                0 => {
                    self.per_thread.remove(&t);
                }
                1 => lone_thread = true,
                _ => {}
            }
        }
        shared.retire_counters_of(self.retiring.iter().map(|&i| &self.rings[i].shared));
        let (mut at, mut next) = (0, 0);
        let retiring = &self.retiring;
        self.rings.retain(|_| {
            let gone = retiring.get(next) == Some(&at);
            next += usize::from(gone);
            at += 1;
            !gone
        });
        self.retiring.clear();
        if lone_thread {
            self.mark_shared();
        }
    }

    /// Sets each ring's `RingHandoff::shares_thread`: whether another ring
    /// of its thread is served too. One pass, after the counts changed.
    fn mark_shared(&mut self) {
        for r in &mut self.rings {
            let n = self.per_thread.get(&r.shared.thread_id);
            r.shares_thread = n.is_some_and(|&n| n > 1);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fork::Lineage;
    use crate::level::Level;
    use crate::ring::byte_ring;
    use crate::shared::RingShared;
    use std::sync::Arc;

    /// A ring of thread `thread`, registered with `shared` as a producer
    /// registers one; its `enqueued` counter holds `id`, to tell it apart.
    fn register(shared: &Shared, thread: u32, id: u64) {
        let mut rs = RingShared::new();
        rs.thread_id = thread;
        rs.counters.enqueued.store(id, Ordering::Relaxed);
        let rs = Arc::new(rs);
        let mut reg = lock(&shared.registry);
        reg.live.push(rs.clone());
        reg.pending.push(RingHandoff {
            reader: RingReader::Lossless(byte_ring(4096, false).1),
            shared: rs,
            on_writer: false,
            shares_thread: false,
        });
    }

    /// Each served ring's (id, thread, shares_thread), in order.
    fn served(set: &RingSet) -> Vec<(u64, u32, bool)> {
        let id = |r: &RingHandoff| r.shared.counters.enqueued.load(Ordering::Relaxed);
        (set.rings.iter())
            .map(|r| (id(r), r.shared.thread_id, r.shares_thread))
            .collect()
    }

    fn retired_and_live(shared: &Shared) -> (u64, usize) {
        let reg = lock(&shared.registry);
        (reg.retired.enqueued, reg.live.len())
    }

    #[test]
    fn rings_retired_in_one_pass_leave_the_rest_in_order_and_sharing_right() {
        let shared = Shared::without_writer(Level::Trace, Lineage::empty());
        let threads = [1, 1, 2, 2, 3, 3, 4, 5, 6, 6, 6, 7];
        for (i, &t) in threads.iter().enumerate() {
            register(&shared, t, i as u64 + 1);
        }
        let mut set = RingSet::default();
        set.adopt(&shared, true);
        let shares: Vec<bool> = served(&set).iter().map(|r| r.2).collect();
        let want = [true, true, true, true, true, true, false, false, true, true, true, false];
        assert_eq!(shares, want);

        // One pass retires both rings of thread 2, one of threads 1 and 6,
        // and thread 4's only ring.
        for i in [0, 2, 3, 6, 8] {
            set.retire(i);
        }
        set.sweep(&shared);
        let want = vec![
            (2, 1, false),
            (5, 3, true),
            (6, 3, true),
            (8, 5, false),
            (10, 6, true),
            (11, 6, true),
            (12, 7, false),
        ];
        assert_eq!(served(&set), want);
        assert_eq!(retired_and_live(&shared), (1 + 3 + 4 + 7 + 9, 7));
        // Nothing retired: a sweep changes nothing.
        set.sweep(&shared);
        assert_eq!(served(&set), want);

        // A second ring of thread 5, a ring of thread 2 again, a new thread.
        for (t, id) in [(5, 13), (2, 14), (8, 15)] {
            register(&shared, t, id);
        }
        set.adopt(&shared, true);
        let want = vec![
            (2, 1, false),
            (5, 3, true),
            (6, 3, true),
            (8, 5, true),
            (10, 6, true),
            (11, 6, true),
            (12, 7, false),
            (13, 5, true),
            (14, 2, false),
            (15, 8, false),
        ];
        assert_eq!(served(&set), want);
        // Every ring of a thread retired, then the last of another.
        for i in [1, 2, 4] {
            set.retire(i);
        }
        set.sweep(&shared);
        let ids: Vec<(u64, bool)> = served(&set).iter().map(|r| (r.0, r.2)).collect();
        assert_eq!(ids, [(2, false), (8, true), (11, false), (12, false), (13, true), (14, false), (15, false)]);
        assert_eq!(retired_and_live(&shared), (24 + 5 + 6 + 10, 7));
    }

    /// Ten thousand rings, two per thread (neighbours), nine in ten
    /// retired in one pass: the last of each run of ten stays, in order,
    /// alone on its thread now (its neighbour was retired).
    #[test]
    fn thousands_of_rings_retired_in_one_pass_keep_the_rest_in_order() {
        let shared = Shared::without_writer(Level::Trace, Lineage::empty());
        const N: u64 = 10_000;
        for i in 0..N {
            register(&shared, (i / 2) as u32, i);
        }
        let mut set = RingSet::default();
        set.adopt(&shared, true);
        assert!(set.rings.iter().all(|r| r.shares_thread));
        for i in (0..N as usize).filter(|i| i % 10 != 9) {
            set.retire(i);
        }
        set.sweep(&shared);
        let want: Vec<(u64, u32, bool)> = (0..N)
            .filter(|i| i % 10 == 9)
            .map(|i| (i, (i / 2) as u32, false))
            .collect();
        assert_eq!(served(&set), want);
        let retired: u64 = (0..N).filter(|i| i % 10 != 9).sum();
        assert_eq!(retired_and_live(&shared), (retired, want.len()));
    }
}
