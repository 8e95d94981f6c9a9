//! The lossless byte ring: an `rtrb` ring of bytes with record-sized commits.
//!
//! The producer reserves exactly one record's bytes, copies header, target
//! and message in place and commits them with one release store (rtrb's
//! `write_chunk_uninit` + `commit_all`). rtrb caches the other side's index
//! and reloads it only when the ring looks full (producer) or empty
//! (consumer). The consumer reads everything available as two slices,
//! decodes the records and releases the space in one commit.

use crate::record::Split;
use std::mem::MaybeUninit;

/// Creates a ring of `capacity` bytes; with `prefault`, its memory is
/// mapped now rather than page by page under the first lap of records.
pub(crate) fn byte_ring(capacity: usize, prefault: bool) -> (ByteProducer, ByteConsumer) {
    let (p, c) = rtrb::RingBuffer::new(capacity);
    let mut p = ByteProducer { inner: p };
    if prefault {
        p.prefault();
    }
    (p, ByteConsumer { inner: c })
}

/// The writing end, owned by one producer thread.
pub(crate) struct ByteProducer {
    inner: rtrb::Producer<u8>,
}

impl ByteProducer {
    /// Maps every page of the (empty) ring: `MADV_POPULATE_WRITE`, or
    /// writing zeros where the kernel lacks it (before Linux 5.14).
    fn prefault(&mut self) {
        let cap = self.capacity();
        let Ok(mut chunk) = self.inner.write_chunk_uninit(cap) else {
            return;
        };
        let (buf, _) = chunk.as_mut_slices();
        let (ptr, len) = (buf.as_mut_ptr().cast::<u8>(), buf.len());
        let page = 4096usize;
        let start = (ptr as usize).div_ceil(page) * page;
        let end = (ptr as usize + len) / page * page;
        if end > start {
            // SAFETY: `[start, end)` lies inside the ring's own allocation,
            // which nothing else uses yet; populating changes no byte.
            let r = unsafe {
                libc::madvise(
                    start as *mut libc::c_void,
                    end - start,
                    libc::MADV_POPULATE_WRITE,
                )
            };
            if r == 0 {
                return;
            }
        }
        // SAFETY: `buf` is the reserved, unused region; zeroing it only
        // initialises bytes that are never read before being written.
        unsafe { std::ptr::write_bytes(ptr, 0, len) };
        // Dropped without commit: the ring stays empty.
    }

    /// Total bytes the ring holds.
    pub(crate) fn capacity(&self) -> usize {
        self.inner.buffer().capacity()
    }

    /// Bytes free right now (reloads the consumer's index).
    pub(crate) fn free(&self) -> usize {
        self.inner.slots()
    }

    /// Whether the writer side was dropped.
    pub(crate) fn is_abandoned(&self) -> bool {
        self.inner.is_abandoned()
    }

    /// Appends `parts` as one record; `false` (and nothing written) when the
    /// ring lacks room for all of it.
    #[inline]
    pub(crate) fn try_push<const N: usize>(&mut self, parts: &[&[u8]; N]) -> bool {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let Ok(mut chunk) = self.inner.write_chunk_uninit(total) else {
            return false;
        };
        let (a, b) = chunk.as_mut_slices();
        debug_assert_eq!(a.len() + b.len(), total);
        let mut dst = Dst { a, b, pos: 0 };
        for p in parts {
            dst.copy(p);
        }
        debug_assert_eq!(dst.pos, total);
        // SAFETY: `Dst::copy` initialised all `total` reserved bytes above
        // (the debug assertion checks the count).
        unsafe { chunk.commit_all() };
        true
    }
}

/// One record's reserved bytes, committed whole or not at all.
pub(crate) struct Reservation<'a> {
    chunk: rtrb::chunks::WriteChunkUninit<'a, u8>,
}

impl Reservation<'_> {
    /// The reserved bytes when they do not straddle the ring's wrap point.
    #[inline]
    pub(crate) fn contiguous(&mut self) -> Option<&mut [MaybeUninit<u8>]> {
        match self.chunk.as_mut_slices() {
            (a, []) => Some(a),
            _ => None,
        }
    }

    /// Publishes the record to the consumer (one release store).
    ///
    /// # Safety
    /// Every reserved byte has been initialised.
    #[inline]
    pub(crate) unsafe fn commit(self) {
        // SAFETY: delegated to the caller.
        unsafe { self.chunk.commit_all() };
    }
}

impl ByteProducer {
    /// Reserves `len` bytes for one record; `None` when the ring lacks room
    /// now. Dropping the reservation without `commit` publishes nothing.
    #[inline]
    pub(crate) fn reserve(&mut self, len: usize) -> Option<Reservation<'_>> {
        let chunk = self.inner.write_chunk_uninit(len).ok()?;
        Some(Reservation { chunk })
    }
}

/// A reserved region, possibly split at the wrap point, filled front to back.
struct Dst<'a> {
    a: &'a mut [MaybeUninit<u8>],
    b: &'a mut [MaybeUninit<u8>],
    /// Bytes written so far; `pos <= a.len() + b.len()`.
    pos: usize,
}

impl Dst<'_> {
    #[inline]
    fn copy(&mut self, src: &[u8]) {
        let alen = self.a.len();
        let mut src = src;
        if self.pos < alen {
            let n = src.len().min(alen - self.pos);
            write_bytes(&mut self.a[self.pos..self.pos + n], &src[..n]);
            self.pos += n;
            src = &src[n..];
        }
        if !src.is_empty() {
            let off = self.pos - alen;
            write_bytes(&mut self.b[off..off + src.len()], src);
            self.pos += src.len();
        }
    }
}

#[inline]
fn write_bytes(dst: &mut [MaybeUninit<u8>], src: &[u8]) {
    assert_eq!(dst.len(), src.len());
    // SAFETY: both slices are valid for `src.len()` bytes (checked above),
    // `dst` is exclusively borrowed so they cannot overlap, and u8 has no
    // invalid bit patterns, so writing through the cast pointer initialises it.
    unsafe {
        std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast::<u8>(), src.len())
    };
}

/// The reading end, owned by the writer thread.
pub(crate) struct ByteConsumer {
    inner: rtrb::Consumer<u8>,
}

impl ByteConsumer {
    /// Bytes readable right now (reloads the producer's index).
    pub(crate) fn available(&self) -> usize {
        self.inner.slots()
    }

    /// Whether the producer side was dropped (its thread exited).
    pub(crate) fn is_abandoned(&self) -> bool {
        self.inner.is_abandoned()
    }

    /// Hands every readable byte to `f`, which returns how many bytes (whole
    /// records) it used; those are released to the producer. Returns that count.
    pub(crate) fn read_with(&mut self, f: impl FnOnce(Split<'_>) -> usize) -> usize {
        let n = self.inner.slots();
        if n == 0 {
            return 0;
        }
        let Ok(chunk) = self.inner.read_chunk(n) else {
            return 0;
        };
        let (first, second) = chunk.as_slices();
        let used = f(Split { first, second });
        debug_assert!(used <= n);
        chunk.commit(used);
        used
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    #[test]
    fn push_refuses_what_does_not_fit_and_writes_nothing() {
        let (mut p, mut c) = byte_ring(10, true);
        assert!(p.try_push(&[b"abc", b"de", b"f"]));
        assert!(!p.try_push(&[b"12345", b"", b""]));
        let mut got = Vec::new();
        c.read_with(|s| {
            s.extend_into(&mut got);
            s.len()
        });
        assert_eq!(got, b"abcdef");
    }

    #[test]
    fn abandonment_is_seen_from_both_ends() {
        let (p, c) = byte_ring(8, false);
        assert!(!c.is_abandoned());
        drop(p);
        assert!(c.is_abandoned());
        let (p, c) = byte_ring(8, false);
        drop(c);
        assert!(p.is_abandoned());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(Vec<u8>, Vec<u8>),
        Read(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (
                proptest::collection::vec(any::<u8>(), 0..20),
                proptest::collection::vec(any::<u8>(), 0..20)
            )
                .prop_map(|(a, b)| Op::Push(a, b)),
            (0usize..40).prop_map(Op::Read),
        ]
    }

    proptest! {
        /// The ring behaves like a bounded `VecDeque<u8>` that refuses
        /// pushes that do not fit, across every wrap position.
        #[test]
        fn byte_ring_matches_a_bounded_vecdeque(cap in 1usize..48, ops in proptest::collection::vec(op(), 1..60)) {
            let (mut p, mut c) = byte_ring(cap, cap % 2 == 0);
            let mut model: VecDeque<u8> = VecDeque::new();
            for op in ops {
                match op {
                    Op::Push(a, b) => {
                        let fits = model.len() + a.len() + b.len() < cap;
                        prop_assert_eq!(p.try_push(&[&a, &b, b"x"]), fits);
                        if fits {
                            model.extend(&a);
                            model.extend(&b);
                            model.push_back(b'x');
                        }
                    }
                    Op::Read(k) => {
                        let expect = k.min(model.len());
                        let mut got = Vec::new();
                        let used = c.read_with(|s| {
                            let k = k.min(s.len());
                            s.slice(0, k).extend_into(&mut got);
                            k
                        });
                        prop_assert_eq!(used, expect);
                        let want: Vec<u8> = model.drain(..expect).collect();
                        prop_assert_eq!(got, want);
                    }
                }
                prop_assert_eq!(c.available(), model.len());
                prop_assert_eq!(p.free(), cap - model.len());
            }
        }
    }
}
