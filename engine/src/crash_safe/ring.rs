//! A producer's ring in a shared file mapping: the staging area whose
//! records outlive the process.
//!
//! The producer frames each record (length, the crc32c of the frame
//! before, sequence; see `layout`), copies it in place and publishes the
//! end position with one Release store into the mapping; the record's own
//! crc is computed by the next call, into the next frame. The writer reads frames from its own
//! read position; the space is given back to the producer only when the
//! writer has *committed* that position (every record before it completed
//! in the sinks; see `keeper`), so what the file holds between the
//! committed and the write position is exactly what a crash would lose
//! without it. No allocation, no lock, no syscall on the producer's path.

use super::crc;
use super::layout::{self, FRAME_PREFIX, H_WRITE, RING_HEADER_LEN};
use crate::record::Split;
use crate::shared::{Padded, RingShared};
use memmap2::MmapRaw;
use std::mem::MaybeUninit;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Keeps the mapping out of forked children (`MADV_DONTFORK`): a child
/// shares the parent's ring files (`MAP_SHARED`) and must never write
/// them. A child's calls go to its own engine (see `fork`); a producer
/// inherited anyway refuses every record (see [`MappedProducer::try_push`]).
pub(crate) fn guard_fork(map: &MmapRaw) {
    // SAFETY: advice on our own mapping; it changes no byte.
    unsafe { libc::madvise(map.as_mut_ptr().cast(), map.len(), libc::MADV_DONTFORK) };
}

/// One mapped ring file, shared by its producer, the writer's reader and
/// the writer's keeper.
pub(crate) struct RingFile {
    map: MmapRaw,
    pub path: PathBuf,
    /// Data bytes (a multiple of 8, at least one largest frame).
    pub capacity: usize,
    /// Committed read position: the producer may overwrite bytes before
    /// it. Stored (Release) by the keeper after a commit; only grows.
    pub free_pos: Padded<AtomicU64>,
    /// The writer's read position (written by the reader, read by the
    /// keeper; both on the writer thread, so Relaxed).
    pub read_pos: AtomicU64,
    pub producer_alive: AtomicBool,
    /// The process generation that mapped it (see `fork`): in any other
    /// process the mapping is absent.
    fork_generation: u64,
    /// Woken by the keeper when it frees space.
    pub shared: Arc<RingShared>,
}

// SAFETY: the mapping is plain shared memory; the producer writes only
// bytes the keeper has released (`free_pos`, Acquire), the reader reads
// only bytes published by the write position (Acquire); every other field
// is atomic or immutable.
unsafe impl Send for RingFile {}
// SAFETY: as above.
unsafe impl Sync for RingFile {}

impl RingFile {
    /// Wraps a mapping whose header `create` has written.
    pub(crate) fn new(
        map: MmapRaw,
        path: PathBuf,
        capacity: usize,
        shared: Arc<RingShared>,
    ) -> RingFile {
        debug_assert!(map.len() == RING_HEADER_LEN + capacity && capacity % 8 == 0);
        RingFile {
            map,
            path,
            capacity,
            free_pos: Padded(AtomicU64::new(0)),
            read_pos: AtomicU64::new(0),
            producer_alive: AtomicBool::new(true),
            fork_generation: crate::fork::generation(),
            shared,
        }
    }

    /// The `u64` at header offset `at` as an atomic.
    pub(crate) fn header_u64(&self, at: usize) -> &AtomicU64 {
        assert!(at % 8 == 0 && at + 8 <= RING_HEADER_LEN);
        // SAFETY: in bounds (checked), 8-aligned (the mapping is
        // page-aligned), and the mapping lives as long as `self`; every
        // access to these header words is atomic.
        unsafe { &*(self.map.as_mut_ptr().add(at) as *const AtomicU64) }
    }

    /// The published write position (Acquire: pairs with the producer's
    /// Release store after it copied the frame's bytes).
    pub(crate) fn write_pos(&self) -> u64 {
        self.header_u64(H_WRITE).load(Ordering::Acquire)
    }

    fn data(&self) -> *mut u8 {
        // SAFETY: the data area starts right after the header, inside the mapping.
        unsafe { self.map.as_mut_ptr().add(RING_HEADER_LEN) }
    }
}

/// The producer's end of a mapped ring.
// In this order (`repr(C)`): no two fields a commit updates are
// neighbours, so the compiler does not pair their updates in vector
// registers (five instructions where two scalar updates take two to
// four; 3 Ir less per call).
#[repr(C)]
pub(crate) struct MappedProducer {
    ring: Arc<RingFile>,
    /// The ring's data area, copied here so a call reads it without going
    /// through the `Arc` and the mapping.
    data: *mut u8,
    /// The header's write position word, likewise.
    write_word: *const AtomicU64,
    /// Next write position (only this producer writes it).
    write: u64,
    /// A recent `free_pos` (reloaded when the ring looks full).
    free: u64,
    /// Where the byte at `write` goes, in `0 ..= capacity`: `write %
    /// capacity`, kept without a division, but `capacity` (not 0) after a
    /// frame that ends at the end of the data area — the last frame then
    /// still ends at `off`; the next reservation wraps it.
    off: usize,
    /// The ring's data bytes, copied here likewise.
    cap: usize,
    /// Bytes known writable from `off` on without wrapping:
    /// `room <= min(capacity - off, free + capacity - write)` (0 forces
    /// the next reservation to look again).
    room: usize,
    /// The ring's `fork_generation`, copied here likewise.
    fork_generation: u64,
    /// The last frame published, whose crc32c the next frame carries
    /// (see `layout`): the length of its body (record and padding), which
    /// ends at `off`, hashed by the next call — the bytes are in the cache
    /// by then rather than in flight in the store buffer. [`NO_BODY`]
    /// when the crc is already in `ready` (before the first frame, and
    /// after a frame that wraps).
    last_len: usize,
    /// The directory's call-site table id (`sites::SiteWriter::id`),
    /// copied here likewise: a call site is known with one load of its
    /// own word.
    table: u64,
    /// Sequence number of the next frame.
    seq: u64,
    /// Bodies shorter than this are hashed inline ([`crc::INLINE_BELOW`]
    /// where the CPU has the `crc32` instruction, else 0): with `last_len`,
    /// one compare decides the whole fast path of the crc.
    crc_inline_below: usize,
    ready: u32,
}

/// `last_len` when the last frame's crc is in `ready`: above any body,
/// so it fails the inline path's one compare.
const NO_BODY: usize = usize::MAX;

// SAFETY: `data` points into the mapping `ring` keeps
// alive; the producer is used by one thread at a time (it is `&mut` on
// every write).
unsafe impl Send for MappedProducer {}

impl MappedProducer {
    /// `table`: the directory's [`SiteWriter::id`](super::sites::SiteWriter::id).
    pub(crate) fn new(ring: Arc<RingFile>, table: u64) -> MappedProducer {
        MappedProducer {
            table,
            crc_inline_below: if crc::has_hw() { crc::INLINE_BELOW } else { 0 },
            data: ring.data(),
            cap: ring.capacity,
            fork_generation: ring.fork_generation,
            write_word: ring.header_u64(H_WRITE),
            ring,
            write: 0,
            free: 0,
            off: 0,
            room: 0,
            seq: 0,
            last_len: NO_BODY,
            ready: 0,
        }
    }

    /// Whether `cs` is in the directory's call-site table and its records
    /// need no value formatted in the caller (see `sites::in_table`).
    #[inline(always)]
    pub(crate) fn knows(&self, cs: &'static crate::callsite::CallSite) -> bool {
        super::sites::in_table(self.table, cs)
    }

    /// The longest record (header, target, payload) one frame can hold.
    pub(crate) fn max_record_len(&self) -> usize {
        self.cap - FRAME_PREFIX - (layout::FRAME_ALIGN - 1)
    }

    /// Whether a record of `len` bytes fits now (reloads the free position).
    pub(crate) fn has_room(&self, len: usize) -> bool {
        // Acquire: pairs with the keeper's Release store of `free_pos`.
        let free = self.ring.free_pos.load(Ordering::Acquire);
        self.write + layout::framed_len(len) as u64 - free <= self.ring.capacity as u64
    }

    /// Whether the writer's end is gone (the logger shut down), or this
    /// is a forked child, which has no writer and must not write the ring.
    pub(crate) fn is_abandoned(&self) -> bool {
        Arc::strong_count(&self.ring) == 1 || self.inherited()
    }

    /// Whether this producer was inherited through `fork` (its mapping is
    /// not in this process).
    #[inline]
    fn inherited(&self) -> bool {
        self.fork_generation != crate::fork::generation()
    }

    /// Appends `parts` as one framed record; `false` (nothing written)
    /// when the ring lacks room.
    #[inline]
    pub(crate) fn try_push<const N: usize>(&mut self, parts: &[&[u8]; N]) -> bool {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let framed = layout::framed_len(len);
        if self.inherited() || !self.room_for_frame(framed) {
            return false;
        }
        // 1. The last frame's crc, before this frame's bytes may cover
        //    it (a ring barely larger than the two frames).
        let carried = self.last_crc();
        // 2. The frame (one or two contiguous runs).
        let start = self.wrap(self.off);
        let prefix = layout::frame_prefix(len, carried, self.seq);
        let mut at = self.copy_to(start, &prefix);
        for p in parts {
            at = self.copy_to(at, p);
        }
        let pad = framed - FRAME_PREFIX - len;
        let end = self.copy_to(at, &[0u8; layout::FRAME_ALIGN][..pad]);
        // 3. Its crc left to the next call where the frame is contiguous
        //    (it then ends at `off`, perhaps the end of the data area),
        //    computed now where it wraps (rare). Published.
        let end = if start + framed <= self.cap {
            self.last_len = framed - FRAME_PREFIX;
            start + framed
        } else {
            self.ready = self.crc_of(self.wrap(start + 8), framed - 8);
            self.last_len = NO_BODY;
            end
        };
        self.room = 0;
        self.publish(end, framed);
        true
    }

    /// The body of the last frame published, which ends at `end`, when
    /// its crc is still to be computed (see `last_len`).
    ///
    /// # Safety
    /// `last_len != NO_BODY`, and `end` is `data + off`.
    #[inline(always)]
    unsafe fn last_body(&self, end: *const u8) -> &[u8] {
        debug_assert!(self.last_len <= self.off && self.off <= self.cap);
        debug_assert!(std::ptr::eq(end, self.data.wrapping_add(self.off)));
        // SAFETY: the last frame's body, `last_len` bytes ending at `off`
        // (see the fields), lies inside the data area. Its bytes were
        // published by this producer and stay as they are until it writes
        // again (only it writes them; the writer only reads).
        unsafe { std::slice::from_raw_parts(end.sub(self.last_len), self.last_len) }
    }

    /// The crc32c of the last frame published (its sequence number, record
    /// and padding), which the next frame carries; 0 before the first.
    #[inline(always)]
    fn last_crc(&self) -> u32 {
        // SAFETY: `data + off`, inside the mapping or one past it.
        unsafe { self.last_crc_before(self.data.add(self.off)) }
    }

    /// [`Self::last_crc`], given `end`, `data + off`: inline for a short
    /// body on a CPU with the `crc32` instruction.
    ///
    /// # Safety
    /// `end` is `data + off`.
    #[inline(always)]
    unsafe fn last_crc_before(&self, end: *const u8) -> u32 {
        if self.last_len < self.crc_inline_below {
            // SAFETY: `last_len < crc_inline_below`: a body (not `NO_BODY`)
            // shorter than `crc::INLINE_BELOW` on a CPU with the
            // instruction; `end` is `data + off` (the caller's promise).
            return unsafe { crc::seq_body_short(self.seq.wrapping_sub(1), self.last_body(end)) };
        }
        self.last_crc_slow()
    }

    /// [`Self::last_crc`] for `ready`, long bodies and CPUs without the
    /// instruction.
    #[cold]
    #[inline(never)]
    fn last_crc_slow(&self) -> u32 {
        if self.last_len == NO_BODY {
            return self.ready;
        }
        // SAFETY: not `NO_BODY` (just checked); `data + off` is `end`.
        crc::seq_body(self.seq.wrapping_sub(1), unsafe { self.last_body(self.data.add(self.off)) })
    }

    /// Whether `framed` more bytes fit, re-reading the released position
    /// only when the cached one says they do not.
    #[inline(always)]
    fn room_for_frame(&mut self, framed: usize) -> bool {
        let cap = self.cap as u64;
        if self.write + framed as u64 - self.free <= cap {
            return true;
        }
        // Acquire: pairs with the keeper's Release store of `free_pos`,
        // so the writer's reads of the released bytes happened before we
        // overwrite them.
        self.free = self.ring.free_pos.load(Ordering::Acquire);
        self.write + framed as u64 - self.free <= cap
    }

    /// Publishes the frame of `framed` bytes just written at `off`, which
    /// ends at data offset `end` (`0 ..= capacity`).
    #[inline(always)]
    fn publish(&mut self, end: usize, framed: usize) {
        self.off = end;
        self.write += framed as u64;
        self.seq += 1;
        // Release: pairs with the reader's (and a recovering process's)
        // Acquire load; the frame's bytes are published before the position.
        // SAFETY: the word lies in the mapping `ring` keeps alive.
        unsafe { &*self.write_word }.store(self.write, Ordering::Release);
    }

    /// Reserves a frame for a record of `len` bytes where it does not wrap
    /// (the deferred records' direct path: encoded in place); `None` when
    /// it would wrap or the ring lacks room (then [`Self::try_push`]).
    #[inline]
    pub(crate) fn reserve_contiguous(&mut self, len: usize) -> Option<FrameSlot<'_>> {
        let framed = layout::framed_len(len);
        // Inherited first: `refresh_room` may read the mapping, absent in
        // a forked child.
        if self.inherited() || (framed > self.room && !self.refresh_room(framed)) {
            return None;
        }
        // SAFETY: `off + framed <= capacity` (`framed <= room`): the
        // frame lies inside the data area.
        let at = unsafe { self.data.add(self.off) };
        // The frame's last 8 bytes zeroed now: the record overwrites their
        // start, the rest is the padding (one store instead of a `memset`
        // of 0 to 7 bytes in `commit`).
        // SAFETY: inside the frame (`framed >= FRAME_PREFIX`), 8-aligned
        // (`off` and `framed` are multiples of 8), in the unpublished
        // region only this producer writes.
        unsafe { at.add(framed - 8).cast::<u64>().write(0) };
        Some(FrameSlot {
            p: self,
            at,
            len,
            framed,
        })
    }

    /// [`Self::reserve_contiguous`] when the room known is short: looks
    /// again (the released position, the end of the data area); true when
    /// `framed` bytes fit before the end.
    ///
    /// A frame reserved in place never covers the body of the last frame
    /// while that body's crc is still to be computed (by
    /// [`FrameSlot::commit`], after the record is written): the body ends
    /// at `off`, where the new frame begins, and the frame does not wrap
    /// — unless `off` wraps here, and then that crc is taken first.
    #[cold]
    #[inline(never)]
    fn refresh_room(&mut self, framed: usize) -> bool {
        if self.off == self.cap {
            // Back to the start: the last frame no longer ends at `off`,
            // its crc is taken now.
            self.ready = self.last_crc();
            self.last_len = NO_BODY;
            self.off = 0;
        }
        // Acquire: as in `room_for_frame`.
        self.free = self.ring.free_pos.load(Ordering::Acquire);
        let free = (self.free + self.cap as u64 - self.write) as usize;
        self.room = free.min(self.cap - self.off);
        framed <= self.room
    }

    /// `off` brought back into the data area (`off < 2 * capacity`), below
    /// the capacity.
    #[inline]
    fn wrap(&self, off: usize) -> usize {
        if off >= self.cap {
            off - self.cap
        } else {
            off
        }
    }

    /// Copies `src` (at most the capacity) to data offset `off`, wrapping
    /// at the end; returns the offset after it.
    #[inline]
    fn copy_to(&mut self, off: usize, src: &[u8]) -> usize {
        let cap = self.cap;
        debug_assert!(off < cap && src.len() <= cap);
        let first = src.len().min(cap - off);
        let data = self.data;
        // SAFETY: `off + first <= cap` and `src.len() - first <= cap`, so
        // both copies stay inside the data area; the bytes lie between the
        // write position and `free_pos + capacity`, which no one else
        // touches until the write position is published.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), data.add(off), first);
            std::ptr::copy_nonoverlapping(src.as_ptr().add(first), data, src.len() - first);
        }
        self.wrap(off + src.len())
    }

    /// The crc32c of `len` bytes (at most the capacity) from data offset
    /// `off`, wrapping at the end.
    #[inline]
    fn crc_of(&self, off: usize, len: usize) -> u32 {
        let cap = self.cap;
        let first = len.min(cap - off);
        let data = self.data;
        // SAFETY: both runs lie inside the data area (as in `copy_to`) in
        // the unpublished region this producer alone writes, just written.
        let (a, b) = unsafe {
            (
                std::slice::from_raw_parts(data.add(off), first),
                std::slice::from_raw_parts(data, len - first),
            )
        };
        crc32c::crc32c_append(crc32c::crc32c(a), b)
    }
}

/// A frame reserved in place by [`MappedProducer::reserve_contiguous`]:
/// `off .. off + framed` lies inside the data area, unpublished.
pub(crate) struct FrameSlot<'a> {
    p: &'a mut MappedProducer,
    /// The frame's first byte: `data + off`.
    at: *mut u8,
    len: usize,
    framed: usize,
}

impl FrameSlot<'_> {
    /// Whether `cs` is in the directory's call-site table (see
    /// [`MappedProducer::knows`]); asked before [`Self::commit`], whose
    /// publication then follows the Acquire load it makes.
    #[inline(always)]
    pub(crate) fn knows(&self, cs: &'static crate::callsite::CallSite) -> bool {
        self.p.knows(cs)
    }

    /// The record's bytes, after the frame prefix; all to be written.
    #[inline]
    pub(crate) fn record(&mut self) -> &mut [MaybeUninit<u8>] {
        // SAFETY: `off + FRAME_PREFIX + len <= off + framed <= capacity`:
        // inside the data area, in the unpublished region only this
        // producer writes (see `reserve_contiguous`).
        unsafe {
            let at = self.at.add(FRAME_PREFIX);
            std::slice::from_raw_parts_mut(at.cast::<MaybeUninit<u8>>(), self.len)
        }
    }

    /// Frames the record (prefix: length, the crc of the frame before,
    /// sequence number) and publishes it; its own crc is left to the next
    /// frame.
    ///
    /// The crc of the frame before is taken here, after the record was
    /// encoded: the frame starts where that frame's body ends, so the
    /// record never covers it (see `refresh_room`), and the compiler
    /// keeps fewer values across the encoding than with the crc taken
    /// before it (2 Ir less per call). Inlined into the call: out of
    /// line, the slot's fields went through the stack and the caller
    /// saved registers around the call (12 Ir per call).
    ///
    /// # Safety
    /// Every byte of [`Self::record`] was written.
    #[inline(always)]
    pub(crate) unsafe fn commit(self) {
        let (p, at, framed) = (self.p, self.at, self.framed);
        // SAFETY: `at` is `data + off`.
        let carried = unsafe { p.last_crc_before(at) };
        let prefix = layout::frame_prefix(self.len, carried, p.seq);
        // SAFETY: `at .. at + framed` is the reserved region (see
        // `record`); the record bytes are initialised (the caller's
        // promise) and the padding was zeroed by `reserve_contiguous`.
        unsafe { std::ptr::copy_nonoverlapping(prefix.as_ptr(), at, FRAME_PREFIX) };
        p.last_len = framed - FRAME_PREFIX;
        p.room -= framed;
        // Not wrapped: the frame ends at most at the end of the data area.
        p.publish(p.off + framed, framed);
    }
}

impl Drop for MappedProducer {
    fn drop(&mut self) {
        // Release: pairs with the reader's Acquire in `is_abandoned`, so
        // every frame published before is seen by then.
        self.ring.producer_alive.store(false, Ordering::Release);
    }
}

/// The writer's end of a mapped ring.
pub(crate) struct MappedReader {
    ring: Arc<RingFile>,
    /// Bytes before it were read (handed to the sinks); `free_pos <= read <= write`.
    read: u64,
}

impl MappedReader {
    pub(crate) fn new(ring: Arc<RingFile>) -> MappedReader {
        MappedReader { ring, read: 0 }
    }

    /// Bytes readable now.
    pub(crate) fn available(&self) -> usize {
        (self.ring.write_pos() - self.read) as usize
    }

    /// Whether the producer is gone; its frames are then all visible.
    pub(crate) fn is_abandoned(&self) -> bool {
        // Acquire: pairs with the producer's Release in its `drop`.
        !self.ring.producer_alive.load(Ordering::Acquire)
    }

    /// Hands every readable byte (whole frames) to `f`, which returns how
    /// many it used; the read position moves past them (the space is
    /// released later, by the keeper). Returns that count.
    pub(crate) fn read_with(&mut self, f: impl FnOnce(Split<'_>) -> usize) -> usize {
        let n = self.available();
        if n == 0 {
            return 0;
        }
        let cap = self.ring.capacity;
        let off = (self.read % cap as u64) as usize;
        let first = n.min(cap - off);
        let data = self.ring.data();
        // SAFETY: `[off, off + first)` and `[0, n - first)` lie inside the
        // data area and hold published frames (Acquire in `available`)
        // that the producer does not overwrite before the keeper releases
        // them, which happens after this borrow ends.
        let split = unsafe {
            Split {
                first: std::slice::from_raw_parts(data.add(off), first),
                second: std::slice::from_raw_parts(data, n - first),
            }
        };
        let used = f(split);
        debug_assert!(used <= n);
        self.read += used as u64;
        self.ring.read_pos.store(self.read, Ordering::Relaxed);
        used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ring of `capacity` data bytes over anonymous memory, every byte
    /// 0xAA (stale bytes of an earlier lap).
    fn dirty_ring(capacity: usize) -> Arc<RingFile> {
        let mut m = memmap2::MmapMut::map_anon(RING_HEADER_LEN + capacity).unwrap();
        m.fill(0xAA);
        let shared = Arc::new(RingShared::new());
        Arc::new(RingFile::new(MmapRaw::from(m), PathBuf::new(), capacity, shared))
    }

    fn data(ring: &RingFile) -> &[u8] {
        // SAFETY: the data area, read after the producer's commits on this thread.
        unsafe { std::slice::from_raw_parts(ring.data(), ring.capacity) }
    }

    #[test]
    fn frames_written_in_place_carry_zero_padding_and_the_crc_of_the_frame_before() {
        let ring = dirty_ring(64);
        let mut p = MappedProducer::new(ring.clone(), 0);
        for rec in [&b"abc"[..], b"012345678"] {
            let mut f = p.reserve_contiguous(rec.len()).unwrap();
            for (d, s) in f.record().iter_mut().zip(rec) {
                d.write(*s);
            }
            // SAFETY: every record byte was written just above.
            unsafe { f.commit() };
        }
        let d = data(&ring);
        // Frame 0: 16 + 3 bytes, padded to 24.
        assert_eq!(layout::get_u32(d, 0), Some(19));
        // The first frame carries 0, no frame being before it.
        assert_eq!(layout::get_u32(d, 4), Some(0));
        assert_eq!(layout::get_u64(d, 8), Some(0));
        assert_eq!(&d[16..24], b"abc\0\0\0\0\0");
        // Frame 1: 16 + 9 bytes, padded to 32.
        assert_eq!(layout::get_u32(d, 24), Some(25));
        assert_eq!(layout::get_u32(d, 28), Some(layout::frame_crc(0, &[b"abc"])));
        assert_eq!(layout::get_u64(d, 32), Some(1));
        assert_eq!(&d[40..56], b"012345678\0\0\0\0\0\0\0");
        // Untouched beyond, and the position published.
        assert_eq!(&d[56..64], &[0xAA; 8]);
        assert_eq!(ring.write_pos(), 56);
    }

    /// Writes `rec` in place when the ring grants it, else by copy; true
    /// when in place.
    fn put(p: &mut MappedProducer, rec: &[u8]) -> bool {
        match p.reserve_contiguous(rec.len()) {
            Some(mut f) => {
                for (d, s) in f.record().iter_mut().zip(rec) {
                    d.write(*s);
                }
                // SAFETY: every record byte was written just above.
                unsafe { f.commit() };
                true
            }
            None => {
                assert!(p.try_push(&[rec]));
                false
            }
        }
    }

    /// The frame before ends at the end of the data area and was released:
    /// a frame in place at the start, which covers it, still carries the
    /// crc of that frame's own bytes (taken when the offset wraps, before
    /// the record is written).
    #[test]
    fn a_frame_that_covers_the_frame_before_carries_the_crc_of_its_bytes() {
        let ring = dirty_ring(96);
        let mut p = MappedProducer::new(ring.clone(), 0);
        assert!(put(&mut p, &[b'a'; 56])); // 72 bytes at 0
        ring.free_pos.store(72, Ordering::Release);
        assert!(put(&mut p, &[b'b'; 8])); // 24 bytes at 72, to the end
        ring.free_pos.store(96, Ordering::Release);
        // 80 bytes at 0: they cover 72 .. 80, the frame before.
        assert!(put(&mut p, &[b'c'; 64]));
        let d = data(&ring);
        assert_eq!(layout::get_u32(d, 0), Some(80));
        assert_eq!(layout::get_u32(d, 4), Some(layout::frame_crc(1, &[&[b'b'; 8]])));
        assert_eq!(layout::get_u64(d, 8), Some(2));
        ring.free_pos.store(176, Ordering::Release);
        assert!(put(&mut p, &[])); // 16 bytes at 80, to the end
        assert_eq!(layout::get_u32(d, 84), Some(layout::frame_crc(2, &[&[b'c'; 64]])));
    }

    /// The ring file's bytes as recovery reads them: a header whose
    /// write position is the producer's, then the data area.
    fn file_image(ring: &RingFile) -> Vec<u8> {
        let mut b = vec![0u8; RING_HEADER_LEN];
        b.extend_from_slice(data(ring));
        b
    }

    /// A text record as a producer frames it: header, target "t", `msg`.
    fn text_parts(seq: u64, msg: &[u8]) -> [Vec<u8>; 3] {
        let h = crate::record::Header::text(crate::level::Level::Info, seq, 1, msg.len());
        [h.encode().to_vec(), b"t".to_vec(), msg.to_vec()]
    }

    /// Recovery of ring `ring` from `from`: the records' messages (after
    /// the target "t") and the problems described.
    fn recover_from(ring: &RingFile, from: u64) -> (Vec<Vec<u8>>, Vec<String>) {
        let h = super::super::recover::RingHeader {
            capacity: ring.capacity as u64,
            pid: 0,
            thread: 7,
            generation: 1,
            created_epoch: 0,
            write: ring.write_pos(),
            released: [(from, 1), (from, 1)],
        };
        let mut out = super::super::recover::Recovered::default();
        let all = &mut super::super::recover::Keep::All;
        super::super::recover::read_ring(&file_image(ring), &h, from, "ring", None, &mut out, all);
        assert_eq!(out.skipped as usize, out.problems.len());
        (out.records.iter().map(|r| r.body[1..].to_vec()).collect(), out.problems)
    }

    /// A byte flipped in the frame right after a wrap — one in place at
    /// the start after a frame that ended at the end of the data area
    /// (its crc taken when the offset wrapped), and one split by the
    /// wrap (its crc taken whole at once) — loses that record alone: the
    /// frames either side of it keep their crcs.
    #[test]
    fn a_corrupt_frame_right_after_a_wrap_loses_only_itself() {
        let ring = dirty_ring(128);
        let mut p = MappedProducer::new(ring.clone(), 0);
        let text = |p: &mut MappedProducer, seq: u64, msg: &[u8]| put(p, &text_parts(seq, msg).concat());
        let flip = |at: usize| {
            // SAFETY: inside the data area; the producer is not writing.
            unsafe { *ring.data().add(at) ^= 0x20 };
        };
        let msgs = |m: &[&[u8]]| m.iter().map(|m| m.to_vec()).collect::<Vec<_>>();
        assert!(text(&mut p, 0, b"")); // 16 + 17 -> 40 bytes at 0
        assert!(text(&mut p, 1, &[b'a'; 39])); // 16 + 56 = 72 at 40 .. 112
        ring.free_pos.store(112, Ordering::Release);
        assert!(!text(&mut p, 2, b"")); // 40 by copy, split at 128
        assert!(text(&mut p, 3, &[b'c'; 31])); // 64 at 24 .. 88
        let all: [&[u8]; 2] = [b"", &[b'c'; 31]];
        assert_eq!(recover_from(&ring, 112), (msgs(&all), vec![]));
        // The split frame's byte after the wrap (its record's ninth).
        flip(8);
        let why = "ring: record 2 at position 112: checksum mismatch; skipped".to_owned();
        assert_eq!(recover_from(&ring, 112), (msgs(&all[1..]), vec![why]));
        ring.free_pos.store(216, Ordering::Release);
        assert!(text(&mut p, 4, b"")); // 40 at 88 .. 128, to the end
        assert!(text(&mut p, 5, &[b'e'; 7])); // in place at 0 after the wrap
        assert!(text(&mut p, 6, b"f")); // 40 at 40 .. 80
        assert_eq!(ring.write_pos(), 336);
        let all: [&[u8]; 3] = [b"", &[b'e'; 7], b"f"];
        assert_eq!(recover_from(&ring, 216), (msgs(&all), vec![]));
        // The frame in place right after the wrap: a byte of its message.
        flip(33);
        let why = "ring: record 5 at position 256: checksum mismatch; skipped".to_owned();
        assert_eq!(recover_from(&ring, 216), (msgs(&[all[0], all[2]]), vec![why]));
    }

    proptest::proptest! {
        /// Records pushed in place and by copy (wrapping at the end), the
        /// writer releasing space as it goes: recovery from the released
        /// position gives back exactly the records after it, each frame
        /// checked by the crc the next one carries, the newest by none.
        #[test]
        fn recovery_reads_back_what_the_producer_framed(
            ops in proptest::collection::vec((0usize..60, proptest::prelude::any::<bool>(), 0u8..4), 1..80),
            cap8 in 12usize..40,
        ) {
            let cap = cap8 * 8;
            let ring = dirty_ring(cap);
            let mut p = MappedProducer::new(ring.clone(), 0);
            let mut kept: std::collections::VecDeque<(u64, Vec<u8>, u64)> = Default::default();
            let mut seq = 0u64;
            for (i, (len, in_place, release)) in ops.into_iter().enumerate() {
                // The writer releases the oldest records now and then.
                for _ in 0..release {
                    if let Some((_, _, end)) = kept.pop_front() {
                        ring.free_pos.store(end, Ordering::Release);
                    }
                }
                let msg: Vec<u8> = (0..len).map(|j| b'a' + ((i + j) % 26) as u8).collect();
                let parts = text_parts(seq, &msg);
                let rec_len: usize = parts.iter().map(Vec::len).sum();
                let pushed = match in_place.then(|| p.reserve_contiguous(rec_len)).flatten() {
                    Some(mut f) => {
                        let all: Vec<u8> = parts.concat();
                        for (d, s) in f.record().iter_mut().zip(&all) {
                            d.write(*s);
                        }
                        // SAFETY: every record byte was written just above.
                        unsafe { f.commit() };
                        true
                    }
                    None => p.try_push(&[&parts[0][..], &parts[1][..], &parts[2][..]]),
                };
                if pushed {
                    kept.push_back((seq, msg, ring.write_pos()));
                    seq += 1;
                }
            }
            // `recover_from` checks that every record skipped is described.
            let (got, problems) = recover_from(&ring, ring.free_pos.load(Ordering::Relaxed));
            proptest::prop_assert_eq!(problems, Vec::<String>::new());
            let got: Vec<&[u8]> = got.iter().map(|b| &b[..]).collect();
            let want: Vec<&[u8]> = kept.iter().map(|(_, m, _)| &m[..]).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
