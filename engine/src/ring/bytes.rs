//! The lossless byte ring behind `Block` and `DropNewest`: one producer
//! thread, one consumer (the writer), records committed whole.
//!
//! Both sides count bytes, never wrapping: `tail` is every byte the
//! producer committed, `head` every byte the consumer released, so
//! `head <= tail <= head + capacity`. A byte's place in the buffer is its
//! count, less the count of the last rebase (`rebase_at`, below; 0 before
//! any), modulo the capacity; each side keeps that offset beside its own
//! count, so neither divides.
//!
//! The producer reserves one record's bytes where they are contiguous,
//! writes them in place and commits them with one release store of
//! `tail`. It keeps the contiguous room it last knew of and reloads `head`
//! only when a record does not fit in it (rtrb `Producer::push`, Quill
//! `BoundedSPSCQueue.h`): the fast path is one compare. A record that would
//! straddle the end of the buffer is written at its start instead, the
//! bytes left before the end skipped: the producer says where the skipped
//! bytes begin (`pad_from`) and the consumer leaves them out of what it
//! hands on, so records stay as they are framed (and a record in place
//! never takes the slow path once a lap). A skip whose reservation is
//! dropped uncommitted goes with the next record, or is undone when that
//! record needs its room. [`ByteProducer::try_push`] (the
//! pre-formatted path, and a record when skipping would not leave room)
//! splits a record at the end instead.
//! The consumer reads everything committed as two slices, decodes the
//! records and releases their space with one release store of `head`.
//!
//! After a pause (see [`ByteProducer::note_pause`]), a producer whose ring
//! the consumer has emptied *rebases* it: its next record goes to the
//! start of the buffer instead of on from where the last one ended, no
//! bytes skipped (`rebase_at` says from which count on the offsets start
//! again at zero, and the consumer, which was at that count, follows).
//! Bursts of records then reuse the lines and pages the last burst began
//! on, still in the core's caches and TLB, instead of ones last touched a
//! lap ago, and the whole ring stays free for the burst.
//!
//! `head` and `tail` live on cache lines of their own; the producer's
//! offset, room and cached counts live in its own struct, the consumer's in
//! its own.

use crate::deferred::encode::copy_short;
use crate::record::Split;
use crate::shared::Padded;
use crate::sync::{Arc, AtomicU64, Ordering};
use std::mem::MaybeUninit;

/// Room below which a reservation prefetches what the next `refresh` reads
/// and writes (see [`ByteProducer::prefetch_for_refresh`]): about three
/// records of a typical deferred call, so the prefetches have a few calls'
/// time to land.
const PREFETCH_ROOM: usize = 256;

/// A gap between two calls, in raw clock units (TSC ticks, or ns), after
/// which the producer rebases an empty ring (see
/// [`ByteProducer::note_pause`]): about 100 µs at a few GHz, far above the
/// gap between the calls of a burst.
const PAUSE_RAW: u64 = 1 << 18;

/// What both ends share.
struct Ring {
    /// Bytes the consumer has released, ever. Written by the consumer
    /// only; `head <= tail`.
    head: Padded<AtomicU64>,
    /// Bytes the producer has committed, ever. Written by the producer
    /// only; `tail <= head + cap`.
    tail: Padded<AtomicU64>,
    /// Where the bytes the producer last skipped begin (a count like
    /// `tail`; `u64::MAX` before the first skip): from there to the end
    /// of the buffer nothing is a record. Written by the producer before
    /// the `tail` store that publishes the skip; at most one skip lies in
    /// `[head, tail)`.
    pad_from: AtomicU64,
    /// The count at which the producer last rebased the empty ring (see
    /// the module docs; `u64::MAX` before the first): the record at that
    /// count and the ones after it are at offsets counted from zero again.
    /// Written by the producer before the `tail` store that publishes the
    /// record after it; the consumer's `head` was that count then.
    rebase_at: AtomicU64,
    /// `cap` bytes from a leaked `Box<[MaybeUninit<u8>]>`, freed on drop.
    /// The producer writes only the places of `[tail, head + cap)`, the
    /// consumer reads only those of `[head, tail)` (a count's place: see
    /// the module docs).
    buf: *mut MaybeUninit<u8>,
    cap: usize,
}

// SAFETY: the buffer is reached only through the two ends, which touch
// disjoint byte ranges ordered by the `head`/`tail` release-acquire pairs
// (see `Ring::buf`); the counts are atomics.
unsafe impl Send for Ring {}
// SAFETY: as for `Send`.
unsafe impl Sync for Ring {}

impl Drop for Ring {
    fn drop(&mut self) {
        let slice = std::ptr::slice_from_raw_parts_mut(self.buf, self.cap);
        // SAFETY: `buf` came from `Box::into_raw` of a `cap`-element boxed
        // slice in `byte_ring`, and is freed only here, once.
        drop(unsafe { Box::from_raw(slice) });
    }
}

/// Creates a ring of `capacity` bytes; with `prefault`, its memory is
/// mapped now rather than page by page under the first lap of records.
pub(crate) fn byte_ring(capacity: usize, prefault: bool) -> (ByteProducer, ByteConsumer) {
    // Relied on by `Reservation::bytes`; the builder refuses larger.
    assert!(capacity <= crate::builder::MAX_RING_CAPACITY, "ring capacity {capacity}");
    let mut v: Vec<MaybeUninit<u8>> = Vec::with_capacity(capacity);
    // SAFETY: `MaybeUninit` bytes need no initialisation; the capacity is there.
    unsafe { v.set_len(capacity) };
    let buf = Box::into_raw(v.into_boxed_slice()).cast::<MaybeUninit<u8>>();
    let ring = Arc::new(Ring {
        head: Padded(AtomicU64::new(0)),
        tail: Padded(AtomicU64::new(0)),
        pad_from: AtomicU64::new(u64::MAX),
        rebase_at: AtomicU64::new(u64::MAX),
        buf,
        cap: capacity,
    });
    let mut p = ByteProducer {
        ring: ring.clone(),
        buf,
        cap: capacity,
        tail: 0,
        head_seen: 0,
        at: buf,
        last_call: 0,
        // SAFETY: `capacity - PREFETCH_ROOM` (or 0) lies in the buffer.
        room_end: unsafe { buf.add(capacity.saturating_sub(PREFETCH_ROOM)) },
        shut: false,
    };
    if prefault {
        p.prefault();
    }
    let c = ByteConsumer {
        ring,
        buf,
        cap: capacity,
        head: 0,
        off: 0,
    };
    (p, c)
}

/// The writing end, owned by one producer thread.
pub(crate) struct ByteProducer {
    ring: Arc<Ring>,
    /// `ring.buf` and `ring.cap`, kept here to spare a dependent load.
    buf: *mut MaybeUninit<u8>,
    cap: usize,
    /// What this end last stored in `ring.tail`.
    tail: u64,
    /// A value `ring.head` had; `head_seen <= head`.
    head_seen: u64,
    /// Where the byte at count `tail` goes: `buf + off`, where `off`
    /// ([`ByteProducer::off`]) is in `0 ..= cap`: `tail % cap` until the
    /// first rebase, `(tail - rebase_at) % cap` after the last one, except
    /// that a record committed in place that ends at the end of the buffer
    /// leaves `cap` (the same place as 0: the call path then spares the
    /// compare that wraps it; every path off it wraps it first, in
    /// [`ByteProducer::wrap_off`]). A pointer, not an offset, so the call
    /// path neither adds `buf` to it nor keeps a second count.
    at: *mut MaybeUninit<u8>,
    /// The raw clock value of the last call noted
    /// ([`ByteProducer::note_call_unpaused`], [`ByteProducer::note_pause`]).
    last_call: u64,
    /// Where the room ends: a record in `[at, room_end)` takes no slow
    /// path. The room ([`ByteProducer::room`], `room_end - at`) is the
    /// bytes free and contiguous at `off` as of `head_seen`
    /// ([`ByteProducer::contiguous`]) less [`PREFETCH_ROOM`], or exactly a
    /// record's length granted by `reserve_near_end`; never more than
    /// `contiguous()`, so `at <= room_end <= buf + cap`. An end rather
    /// than a length, so a commit moves `at` alone.
    room_end: *mut MaybeUninit<u8>,
    /// Set once by [`ByteProducer::shut`]: no reservation succeeds after.
    shut: bool,
}

// SAFETY: the producer end is used by one thread at a time (`&mut self`);
// its pointer is into the ring it keeps alive.
unsafe impl Send for ByteProducer {}

impl ByteProducer {
    /// Maps every page of the (empty) ring: `MADV_POPULATE_WRITE`, or
    /// writing zeros where the kernel lacks it (before Linux 5.14).
    fn prefault(&mut self) {
        let (ptr, len) = (self.buf.cast::<u8>(), self.cap);
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
        // SAFETY: the ring is empty and its consumer has not read yet:
        // zeroing only initialises bytes that are written before being read.
        unsafe { std::ptr::write_bytes(ptr, 0, len) };
    }

    /// Total bytes the ring holds.
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// Where in the buffer the byte at count `tail` goes (see `at`).
    fn off(&self) -> usize {
        self.at as usize - self.buf as usize
    }

    /// Moves `at` to `off` (in `0 ..= cap`) and leaves no room: each
    /// caller sets the room after, or had none.
    fn set_off(&mut self, off: usize) {
        debug_assert!(off <= self.cap);
        // SAFETY: `off <= cap`: in the buffer or one past its end.
        self.at = unsafe { self.buf.add(off) };
        self.room_end = self.at;
    }

    /// What a record may take without the slow path (see `room_end`).
    fn room(&self) -> usize {
        self.room_end as usize - self.at as usize
    }

    /// Makes the room `room` bytes, at most `contiguous()`.
    fn set_room_to(&mut self, room: usize) {
        debug_assert!(room <= self.contiguous());
        // SAFETY: `room <= contiguous() <= cap - off`: in the buffer or
        // one past its end.
        self.room_end = unsafe { self.at.add(room) };
    }

    /// Bytes free right now (reloads the consumer's count); a skip not
    /// yet published counts as free (see `undo_skip`).
    pub(crate) fn free(&self) -> usize {
        // Acquire: pairs with the consumer's Release store of `head`, after
        // its reads of the bytes released.
        let head = self.ring.head.load(Ordering::Acquire);
        // Relaxed: only this end stores `tail`.
        let published = self.ring.tail.load(Ordering::Relaxed);
        self.cap - (published - head) as usize
    }

    /// Bytes the consumer has released, ever (a statistic).
    pub(crate) fn released(&self) -> u64 {
        // Relaxed: read for a statistic, nothing is inferred from it.
        self.ring.head.load(Ordering::Relaxed)
    }

    /// Whether the writer side was dropped.
    pub(crate) fn is_abandoned(&self) -> bool {
        Arc::strong_count(&self.ring) < 2
    }

    /// Notes a call at raw clock value `clock`, before its record is
    /// reserved (one compare and one store): false, nothing noted, when
    /// the call follows a pause (a gap above [`PAUSE_RAW`]); the caller
    /// then calls [`ByteProducer::note_pause`], out of its call path.
    #[inline(always)]
    pub(crate) fn note_call_unpaused(&mut self, clock: u64) -> bool {
        if clock.wrapping_sub(self.last_call) > PAUSE_RAW {
            return false;
        }
        self.last_call = clock;
        true
    }

    /// Notes the first call after a pause, at raw clock value `clock`,
    /// for a caller told so by [`ByteProducer::note_call_unpaused`]:
    /// rebases the ring if the consumer has emptied it (see
    /// [`ByteProducer::rebase_if_empty`]).
    #[inline(always)]
    pub(crate) fn note_pause(&mut self, clock: u64) {
        self.rebase_if_empty();
        self.last_call = clock;
    }

    /// When the consumer has released every byte, makes the next record
    /// go to the start of the buffer (see the module docs); returns whether
    /// it did. Nothing is skipped: the whole ring stays free.
    /// Inlined, behind the caller's unlikely branch for a pause (see
    /// `producer::deferred::after_pause`): its code then lies on the
    /// calling function's pages, which a first call after a pause fetches
    /// anyway, and the call path's instructions stay as many.
    /// It runs on the first call after a pause, when the lines it needs are
    /// cold: it asks for the buffer's first lines (where the record goes
    /// after a rebase) before it loads `head`, a line the consumer wrote,
    /// so the two misses overlap instead of following each other.
    #[inline(always)]
    pub(crate) fn rebase_if_empty(&mut self) -> bool {
        // A skip not yet published leaves `off` at zero (`skip_to_start`;
        // any commit moves `off` and publishes `tail`, `undo_skip` moves
        // it off zero): away from the start, nothing is pending. An `off`
        // of `cap` is the start too (see `ByteProducer::off`).
        if self.off() == 0 || self.off() == self.cap {
            return false; // at the start already, or a skip is pending
        }
        // Relaxed: only this end stores `tail`.
        debug_assert_eq!(self.ring.tail.load(Ordering::Relaxed), self.tail);
        self.prefetch_start();
        // Acquire: as in `refresh`.
        self.head_seen = self.ring.head.load(Ordering::Acquire);
        if self.head_seen != self.tail {
            self.set_room();
            return false;
        }
        // Relaxed: published by the Release store of `tail` in `advance`
        // (the next record's), which the consumer's Acquire load of `tail`
        // pairs with; the consumer is at this count (the ring is empty).
        self.ring.rebase_at.store(self.tail, Ordering::Relaxed);
        self.set_off(0);
        self.set_room();
        true
    }

    /// Where the shared counts and the next record's bytes lie (see
    /// `Logger::call_path_addresses`): `tail`, `head`, the line of
    /// `rebase_at`, the buffer's first two lines (where a rebase puts the
    /// next record) and the two at `off`.
    pub(crate) fn call_path_addresses(&self) -> Vec<(&'static str, usize)> {
        let (buf, off) = (self.buf as usize, self.off());
        vec![
            ("ring tail", &*self.ring.tail as *const AtomicU64 as usize),
            ("ring head", &*self.ring.head as *const AtomicU64 as usize),
            ("ring rebase", &self.ring.rebase_at as *const AtomicU64 as usize),
            ("ring bytes", buf),
            ("ring bytes", buf + 64.min(self.cap - 1)),
            ("ring bytes", buf + off),
            ("ring bytes", buf + (off + 64).min(self.cap - 1)),
        ]
    }

    /// Reloads the consumer's count and recomputes `room`.
    #[cold]
    #[inline(never)]
    fn refresh(&mut self) {
        self.wrap_off();
        // Relaxed: only this end stores `tail`.
        let published = self.ring.tail.load(Ordering::Relaxed);
        if published != self.tail {
            self.undo_skip(published);
        }
        // Acquire: pairs with the consumer's Release store of `head`: its
        // reads of the released bytes happen before this end rewrites them.
        self.head_seen = self.ring.head.load(Ordering::Acquire);
        self.set_room();
    }

    fn set_room(&mut self) {
        let room = if self.shut {
            0
        } else {
            self.contiguous().saturating_sub(PREFETCH_ROOM)
        };
        self.set_room_to(room);
    }

    /// Refuses every reservation from now on (the logger shut down, and
    /// the producer dropped a record for it): the room goes, and the
    /// way to more room (`reserve_near_end`) is closed.
    pub(crate) fn shut(&mut self) {
        self.shut = true;
        self.set_room_to(0);
    }

    /// Bytes free and contiguous at `off` as of `head_seen` (none while
    /// `off` is `cap`, until it is wrapped).
    fn contiguous(&self) -> usize {
        let used = (self.tail - self.head_seen) as usize;
        debug_assert!(used <= self.cap && self.off() <= self.cap);
        (self.cap - self.off()).min(self.cap - used)
    }

    /// Makes an `off` of `cap` (left by [`Reservation::commit`]) 0, the
    /// same place: done first by every path that computes a place from
    /// `off` other than the reservation in place, which finds no room
    /// there (`contiguous`).
    fn wrap_off(&mut self) {
        if self.off() == self.cap {
            debug_assert_eq!(self.room(), 0, "no room at the end");
            self.set_off(0);
        }
    }

    /// Publishes `len` more bytes at `off` (written by the caller).
    #[inline(always)]
    fn advance(&mut self, len: usize) {
        self.tail += len as u64;
        let mut off = self.off() + len;
        if off >= self.cap {
            off -= self.cap;
        }
        self.set_off(off);
        // Release: pairs with the consumer's Acquire load of `tail`: the
        // record's bytes, written before, are visible once it sees it.
        self.ring.tail.store(self.tail, Ordering::Release);
    }

    /// Appends `parts` as one record; `false` (and nothing written) when the
    /// ring lacks room for all of it. Splits the record at the end of the
    /// buffer when it straddles it.
    pub(crate) fn try_push<const N: usize>(&mut self, parts: &[&[u8]; N]) -> bool {
        self.wrap_off();
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total > self.cap - (self.tail - self.head_seen) as usize {
            self.refresh();
            if total > self.cap - (self.tail - self.head_seen) as usize {
                return false;
            }
        }
        if total <= self.cap - self.off() {
            let mut dst = self.at.cast::<u8>();
            for p in parts {
                // SAFETY: `[off, off + total)` lies in the buffer (checked
                // just above) and in `[tail, head_seen + cap)`, which only
                // this end touches; `p` is a distinct slice.
                unsafe {
                    copy_short(p.as_ptr(), dst, p.len());
                    dst = dst.add(p.len());
                }
            }
        } else {
            self.copy_wrapping(parts);
        }
        self.advance(total);
        self.set_room();
        true
    }

    /// Copies `parts` from `off` on, across the end of the buffer; their
    /// total fits the free part (checked by the caller).
    #[cold]
    fn copy_wrapping<const N: usize>(&mut self, parts: &[&[u8]; N]) {
        let mut at = self.off();
        for p in parts {
            let first = p.len().min(self.cap - at);
            // SAFETY: both ranges lie in the buffer (`at < cap`, lengths cut
            // at its end) and in `[tail, head_seen + cap)`, which only this
            // end touches; `p` is a distinct slice.
            unsafe {
                let dst = self.buf.add(at).cast::<u8>();
                std::ptr::copy_nonoverlapping(p.as_ptr(), dst, first);
                let rest = p.len() - first;
                std::ptr::copy_nonoverlapping(p.as_ptr().add(first), self.buf.cast::<u8>(), rest);
            }
            at += p.len();
            if at >= self.cap {
                at -= self.cap;
            }
        }
    }

    /// Reserves `len` bytes for one record, contiguous in the buffer (at
    /// its start, skipping the bytes before its end, when the record would
    /// straddle the end); `None` when the ring lacks the room now.
    /// Dropping the reservation without `commit` publishes nothing: its
    /// skip, if any, is published with the next record written at the
    /// start, or undone by `refresh` if that record needs the room.
    /// A record that fits but leaves less than [`PREFETCH_ROOM`] takes
    /// `reserve_near_end` too, which prefetches what the refresh after it
    /// will touch.
    #[inline(always)]
    pub(crate) fn reserve_contiguous(&mut self, len: usize) -> Option<Reservation<'_>> {
        self.reserve_contiguous_unless(len, || false)
    }

    /// [`ByteProducer::reserve_contiguous`] for a caller that must be
    /// asked before the ring looks for more room than it knows of: when
    /// `len` exceeds the room, `refuse` is called (off the call path) and
    /// `None` is returned if it says so. The room known stays usable
    /// without asking.
    #[inline(always)]
    pub(crate) fn reserve_contiguous_unless(
        &mut self,
        len: usize,
        refuse: impl FnOnce() -> bool,
    ) -> Option<Reservation<'_>> {
        if len > self.room() && (refuse() || !self.reserve_near_end(len)) {
            return None;
        }
        Some(Reservation { ring: self, len })
    }

    /// [`ByteProducer::reserve_contiguous`] when `len` leaves less than
    /// [`PREFETCH_ROOM`] of the room known: true when it fits, in place
    /// (prefetching for the next call), after a refresh, or at the start
    /// past a skip.
    #[cold]
    #[inline(never)]
    fn reserve_near_end(&mut self, len: usize) -> bool {
        if self.shut {
            return false;
        }
        self.wrap_off();
        if len > self.contiguous() {
            self.refresh();
            if len > self.contiguous() && !self.skip_to_start(len) {
                return false;
            }
        }
        if len > self.room() {
            // Granted exactly: the call after this record takes this path
            // again, and finds what the prefetch asked for.
            self.set_room_to(len);
            self.prefetch_for_refresh();
        }
        true
    }

    /// When `len` bytes do not fit before the end of the buffer but do at
    /// its start, past the bytes skipped: skips them (published with the
    /// next record) and returns true.
    #[cold]
    #[inline(never)]
    fn skip_to_start(&mut self, len: usize) -> bool {
        let to_end = self.cap - self.off();
        let free = self.cap - (self.tail - self.head_seen) as usize;
        if len <= to_end || to_end + len > free {
            return false;
        }
        // Relaxed: published by the Release store of `tail` in `advance`,
        // which the consumer's Acquire load of `tail` pairs with.
        self.ring.pad_from.store(self.tail, Ordering::Relaxed);
        self.tail += to_end as u64;
        self.set_off(0);
        self.set_room();
        debug_assert!(len <= self.contiguous());
        true
    }

    /// The room is nearly used up: the next reservation will reload
    /// `head`, a line the writer wrote since this end last read it (a
    /// transfer from the other core that the call would wait for), and,
    /// when the room ends at the end of the buffer, write the next record
    /// at its start, on lines the writer read a lap ago. Asks for those
    /// lines now, without waiting for them: the reload and the writes
    /// then find them here. Changes no value.
    #[cold]
    #[inline(never)]
    fn prefetch_for_refresh(&self) {
        #[cfg(all(target_arch = "x86_64", not(loom)))]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_ET0, _MM_HINT_T0};
            let head: *const AtomicU64 = &*self.ring.head;
            // SAFETY: a prefetch never faults and changes no value; `head`
            // is in the ring this end keeps alive.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(head.cast::<i8>()) };
            let free = self.cap - (self.tail - self.head_seen) as usize;
            if self.cap - self.off() <= free && self.cap >= 128 {
                // SAFETY: as above; `buf .. buf + 128` lies in the buffer
                // (`cap >= 128`). ET0: for writing (`prefetchw`).
                unsafe {
                    _mm_prefetch::<_MM_HINT_ET0>(self.buf.cast::<i8>());
                    _mm_prefetch::<_MM_HINT_ET0>(self.buf.cast::<i8>().add(64));
                }
            }
        }
    }

    /// Asks for the buffer's first two lines (see
    /// [`ByteProducer::rebase_if_empty`]): for writing where the target
    /// has `prefetchw` (`prfchw`), else a plain `prefetcht0`, as the
    /// default x86-64 target compiles it. Changes no value.
    #[inline(always)]
    fn prefetch_start(&self) {
        #[cfg(all(target_arch = "x86_64", not(loom)))]
        if self.cap >= 128 {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_ET0};
            // SAFETY: a prefetch never faults and changes no value; `buf ..
            // buf + 128` lies in the buffer (`cap >= 128`).
            unsafe {
                _mm_prefetch::<_MM_HINT_ET0>(self.buf.cast::<i8>());
                _mm_prefetch::<_MM_HINT_ET0>(self.buf.cast::<i8>().add(64));
            }
        }
    }

    /// Undoes a skip whose record was dropped uncommitted (this end's
    /// `tail` is past `published`, the last it stored): until a record
    /// publishes it, a skip is room the consumer cannot release, so a
    /// record longer than the rest would never fit (and `Block` would
    /// wait for it forever).
    #[cold]
    fn undo_skip(&mut self, published: u64) {
        let skipped = (self.tail - published) as usize;
        debug_assert!(self.off() == 0 && skipped < self.cap);
        self.tail = published;
        self.set_off(self.cap - skipped);
        // Relaxed: as in `skip_to_start`. The skip before this one ended a
        // lap the consumer has released (it made room for this skip), so
        // no skip is left to describe; a record split at the end must not
        // be taken for one.
        self.ring.pad_from.store(u64::MAX, Ordering::Relaxed);
    }
}

/// One record's reserved bytes, committed whole or not at all.
pub(crate) struct Reservation<'a> {
    ring: &'a mut ByteProducer,
    /// At most `ring.room()`.
    len: usize,
}

impl Reservation<'_> {
    /// The reserved bytes.
    #[inline(always)]
    pub(crate) fn bytes(&mut self) -> &mut [MaybeUninit<u8>] {
        let r = &mut *self.ring;
        debug_assert!(self.len <= r.room());
        if self.len > crate::builder::MAX_RING_CAPACITY {
            // SAFETY: `len <= room <= cap`, and every ring's capacity is
            // at most `MAX_RING_CAPACITY` (checked in `byte_ring`). Known
            // to the compiler, the bound spares a record's header the
            // truncation of its length to `u32`.
            unsafe { std::hint::unreachable_unchecked() }
        }
        // SAFETY: `[at, at + len)` lies in the buffer (`len <= room <=
        // cap - off`) and in the free part only this end touches.
        unsafe { std::slice::from_raw_parts_mut(r.at, self.len) }
    }

    /// Publishes the record to the consumer (one release store). The
    /// record lies before the end of the buffer (`len <= room`), so `at`
    /// moves without a compare: to `buf + cap` at most, wrapped later (see
    /// `ByteProducer::at`); the room's end stays where it is.
    ///
    /// # Safety
    /// Every reserved byte has been initialised.
    #[inline(always)]
    pub(crate) unsafe fn commit(self) {
        let r = &mut *self.ring;
        debug_assert!(self.len <= r.room() && r.off() + self.len <= r.cap);
        r.tail += self.len as u64;
        // SAFETY: `len <= room`: to `room_end` at most, in the buffer or
        // one past its end.
        r.at = unsafe { r.at.add(self.len) };
        // Release: as in `advance`.
        r.ring.tail.store(r.tail, Ordering::Release);
    }
}

/// The reading end, owned by the writer thread.
pub(crate) struct ByteConsumer {
    ring: Arc<Ring>,
    /// `ring.buf` and `ring.cap`.
    buf: *mut MaybeUninit<u8>,
    cap: usize,
    /// What this end last stored in `ring.head`.
    head: u64,
    /// Where in the buffer the byte at count `head` is, in `0 .. cap`:
    /// counted as the producer's `off` is (zero again at a rebase).
    off: usize,
}

// SAFETY: the consumer end is used by one thread at a time; its pointer
// is into the ring it keeps alive.
unsafe impl Send for ByteConsumer {}

impl ByteConsumer {
    /// Bytes readable right now (reloads the producer's count), bytes
    /// skipped by the producer included.
    pub(crate) fn available(&self) -> usize {
        // Acquire: pairs with the producer's Release store of `tail`.
        (self.ring.tail.load(Ordering::Acquire) - self.head) as usize
    }

    /// Bytes free for the producer as this end sees them: never fewer than
    /// the producer sees after this end's last release (the producer's
    /// count is loaded, at most its latest).
    pub(crate) fn free(&self) -> usize {
        self.cap - self.available()
    }

    /// Total bytes the ring holds.
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// Whether the producer side was dropped (its thread exited).
    pub(crate) fn is_abandoned(&self) -> bool {
        Arc::strong_count(&self.ring) < 2
    }

    /// Hands every readable byte to `f` (bytes the producer skipped left
    /// out), which returns how many bytes (whole records) it used; those
    /// are released to the producer, and the skipped bytes once every
    /// record before them was used. Returns the bytes `f` used.
    pub(crate) fn read_with(&mut self, f: impl FnOnce(Split<'_>) -> usize) -> usize {
        let n = self.available();
        if n == 0 {
            return 0;
        }
        // Relaxed: a rebase at `head` was stored before the `tail` that
        // `available` loaded (Acquire) covers the record after it.
        if self.ring.rebase_at.load(Ordering::Relaxed) == self.head {
            self.off = 0;
        }
        let to_end = self.cap - self.off;
        // Relaxed: a skip in `[head, head + n)` was stored before the
        // `tail` that `available` loaded (Acquire) covers it.
        let pad_from = self.ring.pad_from.load(Ordering::Relaxed);
        // A skip runs to the end of the buffer and is published with a
        // record after it: it is in this read when it starts before the
        // end and the read goes past the end.
        let skipped = n > to_end && pad_from.wrapping_sub(self.head) < to_end as u64;
        let (first_len, skip) = match skipped {
            true => {
                let before = (pad_from - self.head) as usize;
                (before, to_end - before)
            }
            false => (n.min(to_end), 0),
        };
        // SAFETY: `[head, head + n)` was committed (the Acquire load in
        // `available` makes its bytes visible) and the producer does not
        // touch it until `head` moves past it; both slices lie in the buffer.
        let (first, second) = unsafe {
            (
                std::slice::from_raw_parts(self.buf.add(self.off).cast::<u8>(), first_len),
                std::slice::from_raw_parts(self.buf.cast::<u8>(), n - first_len - skip),
            )
        };
        let used = f(Split { first, second });
        debug_assert!(used <= n - skip);
        let used = used.min(n - skip);
        // The skipped bytes go once everything before them is used.
        let released = used + if used >= first_len { skip } else { 0 };
        self.head += released as u64;
        self.off += released;
        if self.off >= self.cap {
            self.off -= self.cap;
        }
        // Release: pairs with the producer's Acquire load of `head`: the
        // reads above happen before it rewrites these bytes.
        self.ring.head.store(self.head, Ordering::Release);
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

    /// Everything readable now, skipped bytes left out; all of it released.
    fn drain(c: &mut ByteConsumer) -> Vec<u8> {
        let mut got = Vec::new();
        c.read_with(|s| {
            s.extend_into(&mut got);
            s.len()
        });
        got
    }

    /// Reserves `rec` (it must be granted) and commits it.
    fn put(p: &mut ByteProducer, rec: &[u8]) {
        let mut r = p.reserve_contiguous(rec.len()).expect("room");
        for (d, s) in r.bytes().iter_mut().zip(rec) {
            d.write(*s);
        }
        // SAFETY: every reserved byte was written above.
        unsafe { r.commit() };
    }

    /// A record exactly as long as the room before the end goes there,
    /// one byte more goes to the start (the end skipped), and one that
    /// neither fits there nor after a skip is refused in place but split
    /// by `try_push`.
    #[test]
    fn records_at_the_end_go_there_to_the_start_or_split() {
        let (mut p, mut c) = byte_ring(10, false);
        put(&mut p, b"abcdef");
        assert_eq!(drain(&mut c), b"abcdef");
        put(&mut p, b"ghij"); // exactly the 4 bytes before the end
        assert_eq!(drain(&mut c), b"ghij");
        put(&mut p, b"klmnop");
        assert_eq!(drain(&mut c), b"klmnop");
        // 4 bytes before the end, 5 asked: skipped to the start.
        put(&mut p, b"qrstu");
        assert_eq!((c.available(), p.free()), (9, 1));
        assert_eq!(drain(&mut c), b"qrstu");
        // Offset 5, 5 before the end: 7 bytes (over half the ring) fit
        // neither there nor after a skip (5 + 7 > 10), but split.
        assert!(p.reserve_contiguous(7).is_none());
        assert!(p.try_push(&[b"1234567"]));
        assert_eq!(drain(&mut c), b"1234567");
        assert_eq!((c.available(), p.free()), (0, 10));
    }

    /// A producer that skipped the end for a record it then dropped
    /// uncommitted, and exited: the consumer reads what was committed,
    /// nothing else, and the ring ends empty.
    #[test]
    fn a_skip_whose_record_is_dropped_before_exit_publishes_nothing() {
        let (mut p, mut c) = byte_ring(10, false);
        put(&mut p, b"abcdefg");
        assert_eq!(drain(&mut c), b"abcdefg");
        put(&mut p, b"h");
        assert!(p.reserve_contiguous(4).is_some(), "at the start");
        drop(p);
        assert!(c.is_abandoned());
        assert_eq!(c.available(), 1);
        assert_eq!(drain(&mut c), b"h");
        assert_eq!(c.available(), 0);
    }

    /// A skip whose record was dropped uncommitted holds no room: once the
    /// consumer has read everything, a record as long as the ring fits
    /// (else `Block` would wait for room forever).
    #[test]
    fn a_skip_whose_record_is_dropped_holds_no_room() {
        let (mut p, mut c) = byte_ring(10, false);
        put(&mut p, b"abcdefg");
        assert_eq!(drain(&mut c), b"abcdefg");
        assert!(p.reserve_contiguous(4).is_some(), "at the start");
        assert_eq!(drain(&mut c), b"");
        assert_eq!(p.free(), 10);
        assert!(p.try_push(&[b"0123456789"]));
        assert_eq!(drain(&mut c), b"0123456789");
        // Split at the end after the undone skip: read back whole.
        assert!(p.try_push(&[b"abcdefg"]));
        assert_eq!(drain(&mut c), b"abcdefg");
        assert!(p.reserve_contiguous(5).is_some(), "at the start");
        assert!(p.try_push(&[b"hijklmno"]));
        assert_eq!(drain(&mut c), b"hijklmno");
        assert_eq!((c.available(), p.free()), (0, 10));
    }

    /// A ring the consumer has emptied is rebased: the next record goes to
    /// the start of the buffer with nothing skipped, so a record as long
    /// as the ring fits in place; the consumer follows, and a ring with
    /// bytes unread, or already at the start, is left as it is.
    #[test]
    fn an_emptied_ring_is_rebased_to_its_start_whole() {
        let (mut p, mut c) = byte_ring(10, false);
        put(&mut p, b"abc");
        assert!(!p.rebase_if_empty(), "a record is unread");
        assert!(p.reserve_contiguous(10).is_none());
        assert_eq!(drain(&mut c), b"abc");
        assert!(p.rebase_if_empty());
        assert_eq!((c.available(), p.free()), (0, 10));
        put(&mut p, b"0123456789");
        assert_eq!(drain(&mut c), b"0123456789");
        assert!(!p.rebase_if_empty(), "at the start already");
        put(&mut p, b"xyz");
        put(&mut p, b"uvw");
        assert_eq!(drain(&mut c), b"xyzuvw");
        assert!(p.rebase_if_empty());
        put(&mut p, b"0123456");
        put(&mut p, b"789");
        assert_eq!(drain(&mut c), b"0123456789");
        assert_eq!((c.available(), p.free()), (0, 10));
    }

    /// A record that ends at the end of the buffer leaves the next one
    /// at its start, also through a rebase; a shut ring refuses every
    /// reservation from then on, whatever room a rebase or a refresh
    /// finds, while its consumer still reads what came before.
    #[test]
    fn a_shut_ring_refuses_every_reservation_after_a_record_at_the_end() {
        let (mut p, mut c) = byte_ring(10, false);
        put(&mut p, b"0123456789");
        assert_eq!(drain(&mut c), b"0123456789");
        assert!(!p.rebase_if_empty(), "at the start already");
        put(&mut p, b"abc");
        p.shut();
        assert!(p.reserve_contiguous(1).is_none());
        assert_eq!(drain(&mut c), b"abc");
        assert!(p.rebase_if_empty());
        assert!(p.reserve_contiguous(1).is_none(), "no room after a rebase");
        assert_eq!((c.available(), p.free()), (0, 10));
    }

    /// The room known never reaches unread records: a record that ends
    /// at the very end of the buffer (after a reload of `head`) leaves no
    /// room there, nor at the start it wraps to, so the records after it
    /// are granted the free bytes one by one and the one that would
    /// overwrite it is refused; everything comes out whole and in order.
    #[test]
    fn the_room_known_ends_where_the_unread_records_begin() {
        let (mut p, mut c) = byte_ring(1024, false);
        let rec = |i: u8| [i; 128];
        let recs = |r: std::ops::Range<u8>| r.flat_map(rec).collect::<Vec<u8>>();
        for i in 0..8 {
            put(&mut p, &rec(i));
        }
        let mut got = Vec::new();
        c.read_with(|s| {
            s.extend_into(&mut got);
            896
        });
        assert_eq!(got[..896], recs(0..7)[..]);
        for i in 8..15 {
            put(&mut p, &rec(i));
        }
        assert_eq!(drain(&mut c), recs(7..15));
        put(&mut p, &rec(15)); // at the very end, after a reload of `head`
        for i in 16..23 {
            put(&mut p, &rec(i));
        }
        assert!(p.reserve_contiguous(1).is_none(), "the rest is unread");
        assert_eq!(drain(&mut c), recs(15..23));
        assert_eq!((c.available(), p.free()), (0, 1024));
    }

    /// A call that leaves the pause to its caller notes nothing after a
    /// pause; `note_pause` then rebases the emptied ring and notes the
    /// call, so the next call within the pause gap is a plain one.
    #[test]
    fn the_first_call_after_a_pause_is_noted_by_note_pause() {
        let (mut p, mut c) = byte_ring(10, false);
        assert!(p.note_call_unpaused(1));
        put(&mut p, b"abc");
        assert_eq!(drain(&mut c), b"abc");
        let later = 2 + PAUSE_RAW;
        assert!(!p.note_call_unpaused(later), "a pause");
        assert!(!p.note_call_unpaused(later), "still a pause: nothing noted");
        assert!(p.reserve_contiguous(10).is_none(), "not rebased yet");
        p.note_pause(later);
        assert!(p.note_call_unpaused(later + PAUSE_RAW), "the call was noted");
        put(&mut p, b"0123456789");
        assert_eq!(drain(&mut c), b"0123456789");
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(Vec<u8>, Vec<u8>),
        /// Written in place, when contiguous room takes it.
        Reserve(Vec<u8>),
        /// Reserved (perhaps past a skip) and dropped uncommitted.
        Abandon(usize),
        Read(usize),
        /// A pause: the producer rebases the ring if it is empty.
        Rebase,
        /// The logger shut down: every reservation after is refused.
        Shut,
    }

    /// Operations on records of up to `20 * scale` bytes.
    fn op(scale: usize) -> impl Strategy<Value = Op> {
        let n = 20 * scale;
        prop_oneof![
            (
                proptest::collection::vec(any::<u8>(), 0..n),
                proptest::collection::vec(any::<u8>(), 0..n)
            )
                .prop_map(|(a, b)| Op::Push(a, b)),
            proptest::collection::vec(any::<u8>(), 1..n).prop_map(Op::Reserve),
            (1usize..n).prop_map(Op::Abandon),
            (0usize..2 * n).prop_map(Op::Read),
            Just(Op::Rebase),
            // Rarer than the others: a shut ring takes no more records in place.
            (0..8).prop_map(|i| if i == 0 { Op::Shut } else { Op::Rebase }),
        ]
    }

    proptest! {
        /// The ring behaves like a bounded `VecDeque` of bytes that refuses
        /// pushes that do not fit, across every wrap position. A record is
        /// reserved in place exactly when it fits before the end, or at the
        /// start once the bytes before the end are skipped (`None` in the
        /// model: counted in the ring's use, never read, released once the
        /// bytes before them are). A reservation dropped uncommitted
        /// publishes nothing; its skip, if any, goes with the next record
        /// when that fits the room the producer knew of, else is undone.
        #[test]
        fn byte_ring_matches_a_bounded_vecdeque(cap in 1usize..48, ops in proptest::collection::vec(op(1), 1..60)) {
            matches_the_model(cap, ops)?;
        }

        /// The same with rings larger than `PREFETCH_ROOM`, so records are
        /// granted on the fast path as well as near the end (where the
        /// small rings above take every record).
        #[test]
        fn a_ring_larger_than_the_prefetch_room_matches_it_too(cap in (PREFETCH_ROOM + 1)..(PREFETCH_ROOM + 200), ops in proptest::collection::vec(op(8), 1..80)) {
            matches_the_model(cap, ops)?;
        }
    }

    /// Every pair of record lengths on the smallest rings the builder
    /// allows and around the prefetch room: records that end exactly at
    /// the end of the buffer, one byte short of it or past it (skipped to
    /// the start with the reader at 0 or just past it), a skip dropped and
    /// undone, a rebase of the emptied ring and a shutdown, each against
    /// the model; on a ring of twice the prefetch room, with room known
    /// left before the end.
    #[test]
    fn records_of_every_length_around_the_ends_match_the_model() {
        let rec = |len: usize| vec![len as u8; len];
        for cap in [64, 128, crate::builder::MIN_RING_CAPACITY, PREFETCH_ROOM + 1, 2 * PREFETCH_ROOM] {
            // Debug builds (far slower) take every third length.
            let step = if cfg!(debug_assertions) { 3 } else { 1 };
            for a in (1..=cap).step_by(step) {
                for b in (1..=cap + 1).step_by(step) {
                    let ops = vec![
                        Op::Reserve(rec(a)),
                        Op::Reserve(rec(a)),
                        Op::Read(a - 1),
                        Op::Reserve(rec(b)),
                        Op::Abandon(b),
                        Op::Read(1),
                        Op::Reserve(rec(b)),
                        Op::Abandon(cap - b.min(cap)),
                        Op::Push(rec(a), Vec::new()),
                        Op::Read(cap),
                        Op::Rebase,
                        Op::Reserve(rec(b)),
                        Op::Shut,
                        Op::Reserve(rec(1)),
                        Op::Push(rec(b / 2), Vec::new()),
                        Op::Read(cap),
                        Op::Rebase,
                        Op::Abandon(1),
                    ];
                    if let Err(e) = matches_the_model(cap, ops) {
                        panic!("cap {cap}, lengths {a} and {b}: {e}");
                    }
                }
            }
        }
    }

    /// Runs `ops` on a ring of `cap` bytes and on the model (see
    /// `byte_ring_matches_a_bounded_vecdeque`).
    fn matches_the_model(cap: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
        {
            let (mut p, mut c) = byte_ring(cap, cap % 2 == 0);
            let mut model: VecDeque<Option<u8>> = VecDeque::new();
            // Bytes ever pushed or skipped: the next write lands at `pushed % cap`.
            let mut pushed = 0usize;
            // A skip made for a reservation dropped uncommitted: its bytes,
            // and the room the producer then knew of past it.
            let mut pending: Option<(usize, usize)> = None;
            let mut shut = false;
            for op in ops {
                // The next record published with that skip when it fits the
                // room the producer knew of, else it is undone first.
                let need = match &op {
                    Op::Push(a, b) => Some(a.len() + b.len() + 1),
                    Op::Reserve(a) => Some(a.len()),
                    Op::Abandon(len) => Some(*len),
                    Op::Read(_) | Op::Rebase | Op::Shut => None,
                };
                // A shut ring reserves nothing: its skip stays pending.
                let need = need.filter(|_| !shut || matches!(op, Op::Push(..)));
                if let (Some(need), Some((skip, known_free))) = (need, pending) {
                    if need > known_free {
                        pending = None;
                    } else if !matches!(op, Op::Abandon(_)) {
                        model.extend(std::iter::repeat(None).take(skip));
                        pushed += skip;
                        pending = None;
                    }
                }
                match op {
                    Op::Push(a, b) => {
                        let fits = model.len() + a.len() + b.len() < cap;
                        prop_assert_eq!(p.try_push(&[&a, &b, b"x"]), fits);
                        if fits {
                            model.extend(a.iter().chain(&b).chain(b"x").map(|&x| Some(x)));
                            pushed += a.len() + b.len() + 1;
                        }
                    }
                    Op::Reserve(a) => {
                        let (free, to_end) = (cap - model.len(), cap - pushed % cap);
                        let here = !shut && a.len() <= free.min(to_end);
                        let at_start = !shut && a.len() > to_end && to_end + a.len() <= free;
                        match p.reserve_contiguous(a.len()) {
                            Some(mut r) => {
                                prop_assert!(here || at_start);
                                for (d, s) in r.bytes().iter_mut().zip(&a) {
                                    d.write(*s);
                                }
                                // SAFETY: every reserved byte was written above.
                                unsafe { r.commit() };
                                if at_start {
                                    model.extend(std::iter::repeat(None).take(to_end));
                                    pushed += to_end;
                                }
                                model.extend(a.iter().map(|&x| Some(x)));
                                pushed += a.len();
                            }
                            None => prop_assert!(!here && !at_start),
                        }
                    }
                    // Publishes nothing; a skip it made stays pending.
                    Op::Abandon(len) => {
                        let (free, to_end) = (cap - model.len(), cap - pushed % cap);
                        if !shut && pending.is_none() && len > to_end && to_end + len <= free {
                            pending = Some((to_end, free - to_end));
                        }
                        let _ = p.reserve_contiguous(len);
                    }
                    Op::Shut => {
                        p.shut();
                        shut = true;
                    }
                    // Only an empty ring (nothing pending) away from the start.
                    Op::Rebase => {
                        let expect = model.is_empty() && pending.is_none() && pushed % cap != 0;
                        prop_assert_eq!(p.rebase_if_empty(), expect);
                        if expect {
                            pushed = 0;
                        }
                    }
                    Op::Read(k) => {
                        let data = model.iter().flatten().count();
                        let expect = if model.is_empty() { 0 } else { k.min(data) };
                        let mut got = Vec::new();
                        let used = c.read_with(|s| {
                            let k = k.min(s.len());
                            s.slice(0, k).extend_into(&mut got);
                            k
                        });
                        prop_assert_eq!(used, expect);
                        let mut want = Vec::new();
                        while want.len() < expect {
                            match model.pop_front() {
                                Some(Some(x)) => want.push(x),
                                Some(None) => {}
                                None => break,
                            }
                        }
                        // Skipped bytes right after what was read go with it.
                        while let Some(None) = model.front() {
                            model.pop_front();
                        }
                        prop_assert_eq!(got, want);
                    }
                }
                prop_assert_eq!(c.available(), model.len());
                prop_assert_eq!(p.free(), cap - model.len());
            }
        }
        Ok(())
    }
}

/// Loom model of the producer committing records while the consumer reads.
///
/// Run with `RUSTFLAGS="--cfg loom" cargo test --release --lib loom`.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::thread;

    /// Record `i`: its length, then `len - 1` bytes equal to `i`.
    fn record(i: u8, len: usize) -> Vec<u8> {
        let mut r = vec![i; len];
        r[0] = len as u8;
        r
    }

    /// The producer pushes `lens` (in place when contiguous, else split),
    /// yielding while the ring is full; the consumer reads until it has
    /// them all. Checks order and integrity. With `abandon`, each record
    /// is first reserved and dropped uncommitted (a skip it made is then
    /// published with the record, or undone).
    fn run(cap: usize, lens: &'static [usize], abandon: bool) {
        run_with(cap, lens, abandon, false);
    }

    /// [`run`]; with `rebase`, the producer rebases the ring (when the
    /// consumer has emptied it) before each record.
    fn run_with(cap: usize, lens: &'static [usize], abandon: bool, rebase: bool) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(move || {
            let (mut p, mut c) = byte_ring(cap, false);
            let producer = thread::spawn(move || {
                for (i, &len) in lens.iter().enumerate() {
                    let rec = record(i as u8, len);
                    if rebase {
                        p.rebase_if_empty();
                    }
                    if abandon {
                        let _ = p.reserve_contiguous(len);
                    }
                    loop {
                        if let Some(mut r) = p.reserve_contiguous(len) {
                            for (d, s) in r.bytes().iter_mut().zip(&rec) {
                                d.write(*s);
                            }
                            // SAFETY: every reserved byte was written above.
                            unsafe { r.commit() };
                            break;
                        }
                        if p.try_push(&[&rec]) {
                            break;
                        }
                        thread::yield_now();
                    }
                }
            });
            let mut next = 0usize;
            while next < lens.len() {
                c.read_with(|s| {
                    let mut bytes = Vec::new();
                    s.extend_into(&mut bytes);
                    let mut at = 0;
                    while at < bytes.len() {
                        let len = usize::from(bytes[at]);
                        assert!(at + len <= bytes.len(), "a partial record was visible");
                        assert_eq!(bytes[at..at + len], record(next as u8, len)[..], "torn");
                        next += 1;
                        at += len;
                    }
                    at
                });
                thread::yield_now();
            }
            producer.join().unwrap();
            assert_eq!(c.available(), 0);
        });
    }

    #[test]
    fn loom_records_arrive_whole_and_in_order_across_the_wrap() {
        run(8, &[3, 4, 5], false);
    }

    #[test]
    fn loom_a_skip_for_a_dropped_reservation_is_published_or_undone() {
        run(8, &[3, 4, 5, 6], true);
    }

    /// A ring with room known past the prefetch room: records committed
    /// on the fast path (the room's end kept, the write pointer moved),
    /// then one granted exactly near the end, then ones that do not fit
    /// before the end: at the start past a skip, or split by `try_push`,
    /// as the consumer releases the first.
    #[test]
    fn loom_records_on_the_fast_path_then_near_the_end_arrive_whole() {
        run(PREFETCH_ROOM + 8, &[3, 4, 200, 60, 10], false);
    }

    #[test]
    fn loom_a_rebase_of_an_emptied_ring_is_followed_by_the_consumer() {
        run_with(8, &[3, 2, 4], false, true);
    }
}
