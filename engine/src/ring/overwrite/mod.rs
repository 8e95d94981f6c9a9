//! Single-producer / single-consumer byte ring that overwrites the oldest
//! unconsumed records when full (the `DropOldest` policy).
//!
//! # Design: a ring of seqlocked fixed-size slots
//!
//! The ring is an array of `n` slots of 64 bytes: one sequence word plus seven
//! 8-byte payload words. Records are written into consecutive slots (wrapping
//! at the end of the array), preceded by a two-word header (record index,
//! length), so a record of `len` bytes takes `ceil((16 + len) / 56)` slots
//! (with `len` rounded up to whole 8-byte words).
//! Slot *positions* grow forever (`u64`); position `p` lives in slot `p % n`.
//! Each slot is a seqlock whose sequence word names the position it holds:
//! `2p + 1` while the producer writes position `p` into it, `2p + 2` once done.
//!
//! * The producer is the only thread that writes shared memory. Before writing
//!   a record that reaches position `end`, it evicts (in its own private
//!   bookkeeping) every record whose first slot lies below `end - n`, and
//!   publishes the start of the oldest surviving record in `Shared::oldest`.
//!   It never looks at the consumer, so `push` is wait-free: bounded loops, no
//!   CAS, no lock, no allocation, no syscall.
//! * The consumer keeps a private read position. It checks the first slot's
//!   sequence word, copies the header and payload (checking each further
//!   slot's sequence word), then re-checks the first slot's sequence word. If
//!   it changed, the record was overwritten while being copied; the consumer
//!   then jumps to `Shared::oldest` and retries. Because the producer
//!   overwrites positions in increasing order, a record's later slots are
//!   never overwritten before its first slot, so the single re-check covers
//!   the whole record.
//! * Counting is exact and on the consumer side only: every record carries its
//!   index, and when the consumer delivers record `r` after record `q`, the
//!   `r - q - 1` records between them were overwritten. Nothing is counted
//!   twice and nothing is missed. The count grows when `pop_into` skips past
//!   the lost records, not at the moment they are overwritten.
//!
//! Why this design and not LTTng/ftrace-style sub-buffers with commit counts:
//! sub-buffers discard a whole sub-buffer at a time (so the ring loses more
//! than it needs to, and does not always hold "the newest records that fit"),
//! and a reader in overwrite mode has to swap a spare page in with a CAS
//! against the writer. That adds a second writer of shared state and much
//! more code. Slots lose only the records that really had to go, each side
//! writes only its own state, and a torn read is detected locally with one
//! sequence check. The cost is 1/8 of the memory for sequence words, a
//! 16-byte header per record and rounding each record up to whole slots.
//!
//! # Why the payload is made of atomics
//!
//! A seqlock reader reads memory that the writer may be changing at the same
//! moment, and throws the result away afterwards if the sequence word moved.
//! In the Rust (C++20) memory model, a racy non-atomic read is undefined
//! behaviour even if its result is thrown away. So every payload word is an
//! `AtomicU64`, written and read with `Relaxed` and ordered by fences, as in
//! H.-J. Boehm, "Can seqlocks get along with programming language memory
//! models?" (MSPC 2012). On x86-64 and AArch64 a relaxed 64-bit load or store
//! compiles to a plain `mov`/`ldr`/`str`, so this costs nothing beyond giving
//! up vectorised copies, and both loom and Miri can check it. The ring's
//! logic has no `unsafe` code; only [`pages`] (mapping and unmapping the
//! slot array) does.
//!
//! Under `cfg(loom)` a slot holds three payload words instead of seven, so
//! that the model checker's tiny rings still have records spanning slots.
//!
//! # Capacity and use
//!
//! `overwrite_ring(capacity_bytes)` makes `n = capacity_bytes / 64` slots
//! (at least one); the largest record is `56 * n - 16` bytes, and such a
//! record evicts everything else. The newest record is never evicted by
//! anything but later pushes, so once the producer stops it is always still
//! there. A consumer that sees `is_abandoned()` return true and then calls
//! `pop_into` until it returns false has drained everything; then
//! `delivered + overwritten() == pushed`.
//!
//! # Memory
//!
//! Creating a ring writes none of it: the slots live in zero-filled pages
//! the kernel maps when the producer first writes into them (see
//! [`pages`]), so a thread that logs once costs a page, not the ring, and
//! a ring's resident memory grows with its first lap. (Before, every slot
//! was written at creation: 1,000 threads that logged once cost their
//! full rings.)

mod pages;

use crate::sync::{fence, Arc, AtomicBool, AtomicU64, Ordering};
use std::fmt;

/// Payload words per slot (the sequence word not included).
#[cfg(not(loom))]
const SLOT_WORDS: usize = 7;
/// Payload words per slot (the sequence word not included); small under loom.
#[cfg(loom)]
const SLOT_WORDS: usize = 3;

/// Words of per-record header at the start of a record's first slot:
/// `[record index, record length in bytes]`.
const HEADER_WORDS: usize = 2;

/// Ring bytes taken by one slot (sequence word plus payload words).
pub(crate) const SLOT_BYTES: usize = (SLOT_WORDS + 1) * 8;

#[cfg(not(loom))]
const _: () = assert!(std::mem::size_of::<Slot>() == SLOT_BYTES);

/// Number of slots a record of `len` bytes occupies.
pub(crate) const fn record_slots(len: usize) -> usize {
    (HEADER_WORDS + len.div_ceil(8)).div_ceil(SLOT_WORDS)
}

/// Sequence word of a slot while position `pos` is being written into it.
const fn writing(pos: u64) -> u64 {
    2 * pos + 1
}

/// Sequence word of a slot once position `pos` has been written into it.
const fn committed(pos: u64) -> u64 {
    2 * pos + 2
}

/// `(idx + k) % n` for `idx < n` and `k <= n`, without a division.
#[inline(always)]
fn wrap_add(idx: usize, k: usize, n: usize) -> usize {
    let i = idx + k;
    if i >= n {
        i - n
    } else {
        i
    }
}

/// One 64-byte seqlocked cell of the ring.
#[cfg_attr(not(loom), repr(C, align(64)))]
struct Slot {
    /// Seqlock word. Invariant: 0 until first used, then `writing(p)` while
    /// position `p` is written and `committed(p)` after; only the producer
    /// stores it, and its value only ever increases.
    seq: AtomicU64,
    /// Payload. Invariant: stored only by the producer, only between the
    /// `writing(p)` and `committed(p)` stores of `seq`. When `p` starts a
    /// record, words 0 and 1 hold that record's index and length.
    words: [AtomicU64; SLOT_WORDS],
}

impl Slot {
    fn new() -> Self {
        Self {
            seq: AtomicU64::new(0),
            words: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Marks the slot as being overwritten with position `pos`.
    #[inline(always)]
    fn begin_write(&self, pos: u64) {
        // Release: pairs with the consumer's Acquire load of `seq` in
        // `try_read` and with its Acquire fence in `resync` (after a Relaxed
        // load read this value): a consumer that sees this value (or any
        // later one; every `seq` store is Release) also sees the producer's
        // earlier store to `Shared::oldest`, which already moved past the
        // record being destroyed here.
        self.seq.store(writing(pos), Ordering::Release);
        // Release fence: orders the payload stores below after the store
        // above. Pairs with the Acquire fence in `OverwriteConsumer::intact`:
        // a consumer that loaded any payload word written after this fence
        // then sees this slot's odd sequence (and every earlier one).
        fence(Ordering::Release);
    }

    /// Marks position `pos` as completely written.
    #[inline(always)]
    fn end_write(&self, pos: u64) {
        // Release: pairs with the consumer's Acquire loads of `seq` in
        // `try_read`: seeing `committed(pos)` makes the payload visible.
        self.seq.store(committed(pos), Ordering::Release);
    }
}

/// `T` on a cache line of its own.
#[repr(align(64))]
struct CacheAligned<T>(T);

/// State shared by both handles; freed when both are dropped.
struct Shared {
    /// The ring. Invariant: non-empty; its length `n` never changes.
    slots: pages::SlotPages,
    /// Position of the first slot of the oldest record not yet overwritten.
    /// Invariant: only the producer stores it; it only grows; it is a record
    /// start (or the producer's head) and it is stored before any slot of an
    /// evicted record is overwritten.
    oldest: CacheAligned<AtomicU64>,
    /// Invariant: true until the producer is dropped, then false forever.
    producer_alive: AtomicBool,
    /// Invariant: true until the consumer is dropped, then false forever.
    consumer_alive: AtomicBool,
}

impl Shared {
    /// Largest record length in bytes that fits into the ring.
    fn max_record_len(&self) -> usize {
        max_len_of(self.slots.len())
    }
}

/// Largest record length in bytes a ring of `slots` slots holds.
const fn max_len_of(slots: usize) -> usize {
    slots * SLOT_WORDS * 8 - HEADER_WORDS * 8
}

/// Largest record length in bytes that [`overwrite_ring`]`(capacity_bytes)`
/// holds (`capacity_bytes` at least one slot).
pub(crate) const fn max_record_len_for(capacity_bytes: usize) -> usize {
    max_len_of(capacity_bytes / SLOT_BYTES)
}

/// Creates a ring of `capacity_bytes / 64` slots.
///
/// # Panics
/// If `capacity_bytes` is smaller than one slot (64 bytes).
pub fn overwrite_ring(capacity_bytes: usize) -> (OverwriteProducer, OverwriteConsumer) {
    let n = capacity_bytes / SLOT_BYTES;
    assert!(n >= 1, "overwrite ring needs at least {SLOT_BYTES} bytes");
    let shared = Arc::new(Shared {
        slots: pages::SlotPages::new(n),
        oldest: CacheAligned(AtomicU64::new(0)),
        producer_alive: AtomicBool::new(true),
        consumer_alive: AtomicBool::new(true),
    });
    let max_len = shared.max_record_len();
    let producer = OverwriteProducer {
        shared: Arc::clone(&shared),
        head: 0,
        head_idx: 0,
        oldest: 0,
        oldest_idx: 0,
        next_index: 0,
        max_len,
    };
    let consumer = OverwriteConsumer {
        shared,
        tail: 0,
        tail_idx: 0,
        next_index: 0,
        overwritten: 0,
        max_len,
    };
    (producer, consumer)
}

/// Writing side of an overwrite ring.
pub struct OverwriteProducer {
    /// The ring.
    shared: Arc<Shared>,
    /// Next position to write. Invariant: every position below it is
    /// committed; it is the end of the newest record.
    head: u64,
    /// Invariant: `head % n`.
    head_idx: usize,
    /// Invariant: equals the last value stored to `Shared::oldest`; a record
    /// start with `head - n <= oldest <= head`.
    oldest: u64,
    /// Invariant: `oldest % n`.
    oldest_idx: usize,
    /// Index of the next record pushed. Invariant: number of records pushed.
    next_index: u64,
    /// Invariant: `shared.max_record_len()`.
    max_len: usize,
}

impl OverwriteProducer {
    /// Appends one record made of the concatenation of `parts` (total len >= 1, <= max_record_len()).
    /// Never blocks, never allocates, never syscalls. Overwrites the oldest unconsumed records when full.
    ///
    /// # Panics
    /// If the total length is 0 or larger than [`Self::max_record_len`].
    pub fn push(&mut self, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        assert!(
            (1..=self.max_len).contains(&len),
            "record length {len} outside 1..={}",
            self.max_len
        );
        let n = self.shared.slots.len();
        let slots = record_slots(len);
        let end = self.head + slots as u64;
        self.evict_before(end.saturating_sub(n as u64));
        self.write_record(len, parts);
        self.head = end;
        self.head_idx = wrap_add(self.head_idx, slots, n);
        self.next_index += 1;
    }

    /// The largest record that fits.
    pub fn max_record_len(&self) -> usize {
        self.max_len
    }

    /// True once the consumer has been dropped.
    #[allow(dead_code)] // The engine never waits on the writer under DropOldest.
    pub fn is_abandoned(&self) -> bool {
        // Relaxed: only the flag itself is needed, no data is handed over.
        !self.shared.consumer_alive.load(Ordering::Relaxed)
    }

    /// Evicts every record that starts below position `limit` (those whose
    /// first slot the next record overwrites) and publishes the new oldest.
    #[inline(always)]
    fn evict_before(&mut self, limit: u64) {
        if self.oldest >= limit {
            return;
        }
        let n = self.shared.slots.len();
        while self.oldest < limit {
            // Relaxed: the producer is the only writer of this word, and a
            // thread always reads its own latest store (coherence).
            let len = self.shared.slots[self.oldest_idx].words[1].load(Ordering::Relaxed);
            let slots = record_slots(len as usize);
            self.oldest += slots as u64;
            self.oldest_idx = wrap_add(self.oldest_idx, slots, n);
        }
        // Relaxed: published by the Release store in `Slot::begin_write`
        // that is sequenced after this one; a consumer only reads `oldest`
        // after acquiring such a sequence value (see `resync`).
        self.shared.oldest.0.store(self.oldest, Ordering::Relaxed);
    }

    /// Writes the header and payload of the next record from `self.head` on.
    #[inline(always)]
    fn write_record(&self, len: usize, parts: &[&[u8]]) {
        let slots = &self.shared.slots;
        let n = slots.len();
        let mut gather = Gather::new(parts);
        let mut words_left = len.div_ceil(8);
        let mut pos = self.head;
        let mut idx = self.head_idx;
        let mut slot = &slots[idx];
        slot.begin_write(pos);
        // Relaxed (both): published by `end_write`'s Release store.
        slot.words[0].store(self.next_index, Ordering::Relaxed);
        slot.words[1].store(len as u64, Ordering::Relaxed);
        let mut first_word = HEADER_WORDS;
        loop {
            let fill = words_left.min(SLOT_WORDS - first_word);
            for word in &slot.words[first_word..first_word + fill] {
                // Relaxed: published by `end_write`'s Release store.
                word.store(gather.next_word(), Ordering::Relaxed);
            }
            words_left -= fill;
            slot.end_write(pos);
            if words_left == 0 {
                return;
            }
            pos += 1;
            idx = wrap_add(idx, 1, n);
            slot = &slots[idx];
            slot.begin_write(pos);
            first_word = 0;
        }
    }
}

impl Drop for OverwriteProducer {
    fn drop(&mut self) {
        // Release: pairs with the Acquire load in
        // `OverwriteConsumer::is_abandoned`, so a consumer that sees the
        // producer gone also sees every record it pushed.
        self.shared.producer_alive.store(false, Ordering::Release);
    }
}

impl fmt::Debug for OverwriteProducer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OverwriteProducer")
            .field("slots", &self.shared.slots.len())
            .field("head", &self.head)
            .field("oldest", &self.oldest)
            .field("pushed", &self.next_index)
            .finish()
    }
}

/// Reads the concatenation of byte slices as little-endian 64-bit words,
/// padding the last one with zeros.
struct Gather<'a> {
    /// Unread rest of the current part.
    cur: &'a [u8],
    /// Parts not started yet.
    rest: &'a [&'a [u8]],
}

impl<'a> Gather<'a> {
    fn new(parts: &'a [&'a [u8]]) -> Self {
        Self {
            cur: &[],
            rest: parts,
        }
    }

    /// The next 8 bytes (zero-padded at the very end).
    #[inline(always)]
    fn next_word(&mut self) -> u64 {
        if let Some((chunk, rest)) = self.cur.split_first_chunk::<8>() {
            self.cur = rest;
            return u64::from_le_bytes(*chunk);
        }
        self.next_word_slow()
    }

    /// `next_word` when the word straddles parts or ends the record.
    fn next_word_slow(&mut self) -> u64 {
        // Assembled in a register: a byte-wise `memcpy` into a stack buffer
        // followed by a word load would stall store-to-load forwarding.
        let mut word = 0u64;
        let mut shift = 0;
        while shift < 64 {
            if let Some((&byte, rest)) = self.cur.split_first() {
                word |= u64::from(byte) << shift;
                shift += 8;
                self.cur = rest;
            } else if let Some((part, rest)) = self.rest.split_first() {
                if let Some((chunk, tail)) = part.split_first_chunk::<8>() {
                    if shift == 0 {
                        self.cur = tail;
                        self.rest = rest;
                        return u64::from_le_bytes(*chunk);
                    }
                }
                self.cur = part;
                self.rest = rest;
            } else {
                break;
            }
        }
        word
    }
}

/// Outcome of one attempt to read the record at the consumer's position.
enum Read {
    /// A whole, validated record: its index and the number of slots it took.
    Record { index: u64, slots: usize },
    /// The record at the read position is not (completely) written yet.
    Empty,
    /// The record at the read position was overwritten.
    Overwritten,
}

/// Reading side of an overwrite ring.
pub struct OverwriteConsumer {
    /// The ring.
    shared: Arc<Shared>,
    /// Position of the next record to read. Invariant: a record start or the
    /// producer's head; never beyond the producer's head.
    tail: u64,
    /// Invariant: `tail % n`.
    tail_idx: usize,
    /// Index of the record after the last one delivered. Invariant: every
    /// record with a smaller index was delivered or counted in `overwritten`.
    next_index: u64,
    /// Records lost to overwriting. Invariant: `next_index - delivered`.
    overwritten: u64,
    /// Invariant: `shared.max_record_len()`.
    max_len: usize,
}

impl OverwriteConsumer {
    /// Delivers the next whole, intact record (copied into `out`, which is cleared first) and returns true;
    /// false when nothing is available. Never returns a torn record.
    ///
    /// After [`Self::is_abandoned`] returned true, calling this until it
    /// returns false delivers everything left, always including the last
    /// record pushed.
    pub fn pop_into(&mut self, out: &mut Vec<u8>) -> bool {
        loop {
            out.clear();
            match self.try_read(out) {
                Read::Record { index, slots } => {
                    debug_assert!(index >= self.next_index);
                    self.overwritten += index - self.next_index;
                    self.next_index = index + 1;
                    self.tail += slots as u64;
                    self.tail_idx = wrap_add(self.tail_idx, slots, self.shared.slots.len());
                    return true;
                }
                Read::Empty => {
                    out.clear();
                    return false;
                }
                Read::Overwritten => {
                    if !self.resync() {
                        out.clear();
                        return false;
                    }
                }
            }
        }
    }

    /// Total records that were overwritten before the consumer could take them (exact, monotonic).
    ///
    /// Records are counted once `pop_into` has skipped past them, i.e. by the
    /// time it delivers the first record after them.
    pub fn overwritten(&self) -> u64 {
        self.overwritten
    }

    /// Slots in the ring: no more records than this are ever in it.
    pub fn slot_count(&self) -> usize {
        self.shared.slots.len()
    }

    /// Resident pages of the slot array (`None` when it is on the heap).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn resident_pages(&self) -> Option<usize> {
        self.shared.slots.resident_pages()
    }

    /// A cheap hint: false when the next read position holds nothing new
    /// (so `pop_into` would return false); true when it may hold a record.
    pub fn may_have_data(&self) -> bool {
        // Relaxed: only a hint; `pop_into` re-reads with Acquire.
        self.shared.slots[self.tail_idx].seq.load(Ordering::Relaxed) >= committed(self.tail)
    }

    /// True once the producer has been dropped.
    pub fn is_abandoned(&self) -> bool {
        // Acquire: pairs with the Release store in the producer's `Drop`.
        !self.shared.producer_alive.load(Ordering::Acquire)
    }

    /// Copies the record at `self.tail` into `out` (as whole words; truncated
    /// to the record length on success) and validates it.
    fn try_read(&self, out: &mut Vec<u8>) -> Read {
        let slots = &self.shared.slots;
        let first = &slots[self.tail_idx];
        // Acquire: pairs with the Release stores in `end_write` (the value
        // `committed(tail)` makes header and payload visible) and
        // `begin_write` (a larger value makes the eviction visible to
        // `resync`).
        let s1 = first.seq.load(Ordering::Acquire);
        let expected = committed(self.tail);
        if s1 < expected {
            return Read::Empty;
        }
        if s1 > expected {
            return Read::Overwritten;
        }
        // Relaxed (both): validated by `intact` below.
        let index = first.words[0].load(Ordering::Relaxed);
        let len = first.words[1].load(Ordering::Relaxed);
        if len > self.max_len as u64 {
            // Only possible if the header was torn by an overwrite.
            return self.failed(s1, Read::Empty);
        }
        let len = len as usize;
        let total_words = len.div_ceil(8);
        out.resize(total_words * 8, 0);
        let mut done = total_words.min(SLOT_WORDS - HEADER_WORDS);
        copy_words(&first.words[HEADER_WORDS..HEADER_WORDS + done], out);
        let (mut pos, mut idx) = (self.tail, self.tail_idx);
        while done < total_words {
            pos += 1;
            idx = wrap_add(idx, 1, slots.len());
            let slot = &slots[idx];
            // Acquire: pairs with the Release store in `end_write`, making
            // this slot's payload for `pos` visible.
            if slot.seq.load(Ordering::Acquire) != committed(pos) {
                // Not written yet, or overwritten (then so is `first`).
                return self.failed(s1, Read::Empty);
            }
            let take = (total_words - done).min(SLOT_WORDS);
            copy_words(&slot.words[..take], &mut out[done * 8..]);
            done += take;
        }
        if !self.intact(s1) {
            return Read::Overwritten;
        }
        out.truncate(len);
        Read::Record {
            index,
            slots: record_slots(len),
        }
    }

    /// After an inconsistent read: `if_intact` when the record's first slot
    /// still holds it (so the read only ran ahead of the producer), else
    /// `Overwritten`.
    fn failed(&self, s1: u64, if_intact: Read) -> Read {
        if self.intact(s1) {
            if_intact
        } else {
            Read::Overwritten
        }
    }

    /// True when the first slot at `self.tail` still has sequence `s1`, i.e.
    /// nothing loaded since that sequence was read has been overwritten.
    fn intact(&self, s1: u64) -> bool {
        // Acquire fence: pairs with the Release fence in `begin_write`. If a
        // payload word loaded above was written by a later overwrite of any
        // slot of this record, the producer had already stored an odd
        // sequence into the first slot (it overwrites in position order), and
        // the load below sees it.
        fence(Ordering::Acquire);
        // Relaxed: ordered by the fence above.
        self.shared.slots[self.tail_idx].seq.load(Ordering::Relaxed) == s1
    }

    /// Moves the read position to the oldest record still in the ring after
    /// the record at `self.tail` was found overwritten. Returns false (never
    /// expected) if that would not move forward.
    fn resync(&mut self) -> bool {
        // Acquire fence: pairs with the Release sequence store (in
        // `begin_write` or `end_write`) that the failed check observed, which
        // the producer made after storing an `oldest` past `self.tail`.
        fence(Ordering::Acquire);
        // Relaxed: ordered by the fence above.
        let oldest = self.shared.oldest.0.load(Ordering::Relaxed);
        if oldest <= self.tail {
            // Unreachable by the argument above. Checked in debug and loom
            // builds; a release build reports "nothing available" instead.
            if cfg!(any(debug_assertions, loom)) {
                panic!("overwritten record not evicted");
            }
            return false;
        }
        self.tail = oldest;
        self.tail_idx = (oldest % self.shared.slots.len() as u64) as usize;
        true
    }
}

impl Drop for OverwriteConsumer {
    fn drop(&mut self) {
        // Relaxed: pairs with the Relaxed load in
        // `OverwriteProducer::is_abandoned`; no data is handed over.
        self.shared.consumer_alive.store(false, Ordering::Relaxed);
    }
}

impl fmt::Debug for OverwriteConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OverwriteConsumer")
            .field("slots", &self.shared.slots.len())
            .field("tail", &self.tail)
            .field("next_index", &self.next_index)
            .field("overwritten", &self.overwritten)
            .finish()
    }
}

/// Copies `src` word by word (Relaxed loads) into the start of `dst` as
/// little-endian bytes. `dst` must hold at least `8 * src.len()` bytes.
#[inline(always)]
fn copy_words(src: &[AtomicU64], dst: &mut [u8]) {
    for (word, bytes) in src.iter().zip(dst.chunks_exact_mut(8)) {
        // Relaxed: the caller validates the copy with a sequence re-check
        // (see `OverwriteConsumer::intact`).
        bytes.copy_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
