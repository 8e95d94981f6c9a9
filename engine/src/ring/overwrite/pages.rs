//! The overwrite ring's slot array in memory the kernel maps on first touch.
//!
//! A new ring writes nothing: its slots live in an anonymous private mapping,
//! whose pages read as zeros (an all-zero [`Slot`] is a valid, unused slot:
//! sequence 0) and become resident only when the producer first writes into
//! them. A thread that logs one record costs one page of ring, not the whole
//! ring; the ring fills its memory as records first reach each page, exactly
//! like the lossless ring under `Prefault::Lazy`.
//!
//! When `mmap` fails (address space exhausted, `RLIMIT_AS`), the slots are
//! allocated and written on the heap instead, as a ring always was before:
//! the ring works the same and only costs its memory up front. Under loom
//! the heap is the only path (loom's atomics cannot live in raw pages).

use super::Slot;
use std::ops::Deref;

/// `n` slots, zero-initialised, in mapped pages or on the heap.
pub(super) enum SlotPages {
    /// An anonymous mapping of exactly `n * size_of::<Slot>()` bytes.
    #[cfg(not(loom))]
    Mapped {
        /// Start of the mapping (page-aligned, hence `Slot`-aligned).
        ptr: std::ptr::NonNull<Slot>,
        /// Slots in the mapping. Invariant: at least 1.
        len: usize,
    },
    /// Slots written on creation (every page touched).
    Heap(Box<[Slot]>),
}

// SAFETY: the mapping is owned by this value alone and only ever accessed
// through `&[Slot]`; `Slot` holds only atomics, so sharing and sending it
// between threads is what `Box<[Slot]>` (which is Send + Sync) allows too.
#[cfg(not(loom))]
unsafe impl Send for SlotPages {}
// SAFETY: as for `Send` above: shared access is `&[Slot]`, which is Sync.
#[cfg(not(loom))]
unsafe impl Sync for SlotPages {}

impl SlotPages {
    /// `n >= 1` unused slots; mapped lazily where the kernel allows it.
    pub(super) fn new(n: usize) -> SlotPages {
        debug_assert!(n >= 1);
        #[cfg(not(loom))]
        if let Some(p) = map_zeroed(n) {
            return p;
        }
        SlotPages::Heap((0..n).map(|_| Slot::new()).collect())
    }

    /// Pages of the slot array that are resident now (`mincore`); `None`
    /// for heap slots, whose pages are all touched by construction.
    #[cfg(all(test, not(loom)))]
    pub(super) fn resident_pages(&self) -> Option<usize> {
        let SlotPages::Mapped { ptr, len } = self else {
            return None;
        };
        let bytes = len * std::mem::size_of::<Slot>();
        let pages = bytes.div_ceil(page_size());
        let mut vec = vec![0u8; pages];
        // SAFETY: `ptr .. ptr + bytes` is our own live mapping and `vec`
        // holds one byte per page of it, which is all mincore writes.
        let rc = unsafe { libc::mincore(ptr.as_ptr().cast(), bytes, vec.as_mut_ptr()) };
        assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
        Some(vec.iter().filter(|&&b| b & 1 == 1).count())
    }
}

/// An anonymous mapping of `n` zeroed slots, or `None` when `mmap` fails.
#[cfg(not(loom))]
fn map_zeroed(n: usize) -> Option<SlotPages> {
    let bytes = n.checked_mul(std::mem::size_of::<Slot>())?;
    // SAFETY: a fresh anonymous private mapping at an address the kernel
    // chooses; no existing memory is affected.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    // Page alignment (4 KiB at least) covers `Slot`'s 64-byte alignment.
    debug_assert_eq!(p as usize % std::mem::align_of::<Slot>(), 0);
    let ptr = std::ptr::NonNull::new(p.cast::<Slot>())?;
    Some(SlotPages::Mapped { ptr, len: n })
}

#[cfg(all(test, not(loom)))]
fn page_size() -> usize {
    // SAFETY: sysconf has no memory effects.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(p).unwrap_or(4096).max(1)
}

impl Deref for SlotPages {
    type Target = [Slot];

    #[inline(always)]
    fn deref(&self) -> &[Slot] {
        match self {
            #[cfg(not(loom))]
            // SAFETY: the mapping holds `len` slots, is readable and
            // writable, zero-filled where never written (a valid `Slot`:
            // atomics of value 0), and lives as long as `self`; every
            // access after this is through atomics.
            SlotPages::Mapped { ptr, len } => unsafe {
                std::slice::from_raw_parts(ptr.as_ptr(), *len)
            },
            SlotPages::Heap(b) => b,
        }
    }
}

impl Drop for SlotPages {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        if let SlotPages::Mapped { ptr, len } = self {
            let bytes = *len * std::mem::size_of::<Slot>();
            // SAFETY: unmaps exactly the mapping `map_zeroed` made, once;
            // no reference into it outlives `self`.
            unsafe { libc::munmap(ptr.as_ptr().cast(), bytes) };
        }
    }
}
