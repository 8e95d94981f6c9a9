//! The exit hook's list: a lock-free, grow-only set of slots, each holding
//! one raw pointer that exactly one party takes back.
//!
//! Slots are `AtomicPtr<T>`s in chunks linked by an atomic pointer. A chunk
//! is added when every slot is taken and never freed (chunks are leaked),
//! so memory is bounded by the most entries alive at once.
//!
//! - [`List::insert`]: CAS a free slot from null to the pointer; when none
//!   is free, CAS a fresh chunk onto the last one (a thread that loses that
//!   race frees its chunk and uses the winner's).
//! - [`Entry::remove`]: CAS the slot from the pointer back to null.
//! - [`List::take_all`]: swap every slot to null.
//!
//! Whoever changes a slot from the pointer to null owns what the pointer
//! stands for; the other finds the slot changed. For that to be exact, a
//! slot must never hold the same pointer value twice while an `Entry` for
//! it exists: the caller's pointer keeps its allocation alive (a `Weak`).
//! Orderings: a successful insert is `Release` (the pointer and what it
//! points to are published), every take is `Acquire` (`AcqRel` CAS/swap).

use crate::sync::{AtomicPtr, Ordering};

/// Slots per chunk.
#[cfg(not(loom))]
const CHUNK_SLOTS: usize = 64;
/// Slots per chunk: one under loom, so two entries need a second chunk.
#[cfg(loom)]
const CHUNK_SLOTS: usize = 1;

/// A grow-only list of slots; see the module docs.
pub(crate) struct List<T> {
    first: Chunk<T>,
}

struct Chunk<T> {
    slots: [AtomicPtr<T>; CHUNK_SLOTS],
    next: AtomicPtr<Chunk<T>>,
}

/// One inserted pointer, to take back with [`Entry::remove`].
pub(crate) struct Entry<'a, T> {
    slot: &'a AtomicPtr<T>,
    ptr: *mut T,
}

impl<T> std::fmt::Debug for Entry<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("ptr", &self.ptr).finish()
    }
}

// SAFETY: an entry only compares `ptr` and hands it back to its owner; it
// never dereferences it. `slot` is an atomic.
unsafe impl<T> Send for Entry<'_, T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Entry<'_, T> {}

#[cfg(not(loom))]
impl<T> List<T> {
    /// An empty list (usable in a `static`).
    pub(crate) const fn new() -> List<T> {
        List {
            first: Chunk {
                slots: [const { AtomicPtr::new(std::ptr::null_mut()) }; CHUNK_SLOTS],
                next: AtomicPtr::new(std::ptr::null_mut()),
            },
        }
    }
}

#[cfg(loom)]
impl<T> List<T> {
    /// An empty list.
    pub(crate) fn new() -> List<T> {
        List {
            first: Chunk::empty(),
        }
    }
}

impl<T> Chunk<T> {
    fn empty() -> Chunk<T> {
        Chunk {
            slots: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
            next: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The chunk after this one, added if there is none.
    fn next(&self) -> &Chunk<T> {
        // Acquire: pairs with the AcqRel CAS below, so the chunk is
        // initialised when seen.
        let next = self.next.load(Ordering::Acquire);
        if !next.is_null() {
            // SAFETY: linked chunks are leaked boxes, never freed.
            return unsafe { &*next };
        }
        let fresh = Box::into_raw(Box::new(Chunk::empty()));
        let null = std::ptr::null_mut();
        match (self.next).compare_exchange(null, fresh, Ordering::AcqRel, Ordering::Acquire) {
            // SAFETY: just linked; never freed.
            Ok(_) => unsafe { &*fresh },
            Err(theirs) => {
                // SAFETY: `fresh` was never shared.
                drop(unsafe { Box::from_raw(fresh) });
                // SAFETY: `theirs` is a linked chunk, never freed.
                unsafe { &*theirs }
            }
        }
    }
}

impl<T> List<T> {
    /// Puts `ptr` (not null) in a free slot.
    pub(crate) fn insert(&self, ptr: *mut T) -> Entry<'_, T> {
        debug_assert!(!ptr.is_null());
        let mut chunk = &self.first;
        loop {
            for slot in &chunk.slots {
                // AcqRel: Release publishes `ptr` to a later take; Acquire
                // pairs with the take that freed the slot.
                let null = std::ptr::null_mut();
                if (slot.compare_exchange(null, ptr, Ordering::AcqRel, Ordering::Relaxed)).is_ok() {
                    return Entry { slot, ptr };
                }
            }
            chunk = chunk.next();
        }
    }

    /// Empties every slot, handing each pointer found to `f`.
    pub(crate) fn take_all(&self, mut f: impl FnMut(*mut T)) {
        let mut chunk = Some(&self.first);
        while let Some(c) = chunk {
            for slot in &c.slots {
                // AcqRel: Acquire pairs with the insert's Release.
                let p = slot.swap(std::ptr::null_mut(), Ordering::AcqRel);
                if !p.is_null() {
                    f(p);
                }
            }
            // Acquire: pairs with the CAS that linked the chunk.
            let next = c.next.load(Ordering::Acquire);
            // SAFETY: linked chunks are leaked boxes, never freed.
            chunk = unsafe { next.as_ref() };
        }
    }
}

impl<T> Entry<'_, T> {
    /// Takes the pointer back; `None` if `take_all` took it first.
    pub(crate) fn remove(&self) -> Option<*mut T> {
        let null = std::ptr::null_mut();
        let r = (self.slot).compare_exchange(self.ptr, null, Ordering::AcqRel, Ordering::Relaxed);
        r.ok()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::atomic::AtomicUsize;
    use loom::sync::Arc;

    /// Two entries (so a second chunk is linked under a race), one removed
    /// while `take_all` runs: each pointer is taken exactly once, by
    /// `remove` or by a `take_all`, and no chunk is lost.
    #[test]
    fn loom_exit_list_gives_each_entry_to_exactly_one_taker() {
        loom::model(|| {
            let list = Arc::new(List::<u8>::new());
            let taken = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
            // Distinct, never dereferenced addresses.
            let ptrs: [*mut u8; 2] = [8 as *mut u8, 16 as *mut u8];
            let index = move |p: *mut u8| (p as usize / 8) - 1;
            let remover = {
                let (list, taken) = (list.clone(), taken.clone());
                let p = ptrs[0] as usize;
                loom::thread::spawn(move || {
                    let e = list.insert(p as *mut u8);
                    if let Some(q) = e.remove() {
                        taken[index(q)].fetch_add(1, Ordering::Relaxed);
                    }
                })
            };
            let inserter = {
                let list = list.clone();
                let p = ptrs[1] as usize;
                loom::thread::spawn(move || {
                    std::mem::forget(list.insert(p as *mut u8));
                })
            };
            list.take_all(|q| {
                taken[index(q)].fetch_add(1, Ordering::Relaxed);
            });
            remover.join().unwrap();
            inserter.join().unwrap();
            list.take_all(|q| {
                taken[index(q)].fetch_add(1, Ordering::Relaxed);
            });
            assert_eq!(taken[0].load(Ordering::Relaxed), 1);
            assert_eq!(taken[1].load(Ordering::Relaxed), 1);
        });
    }
}
