//! `Producer`: one thread's writing end of its logger.
//!
//! A log call through the macros (see `deferred`): the raw clock, then one
//! reserve/write/commit into the ring — header, the call site's address and
//! the arguments in binary, written straight into the reserved bytes. Only
//! arguments of types the engine does not copy (user `Display`/`Debug`) are
//! formatted, into a reused buffer, before. A pre-formatted call
//! ([`Producer::log`], the `log` facade, fields) formats the message with
//! `core::fmt` into that buffer and copies it into the ring.
//!
//! No allocation once the buffers have grown, no lock, no syscall — except
//! waking a sleeping writer, and sleeping when `Block` finds the ring full.
//! Every record committed to a ring is followed by one
//! [`Shared::wake_writer`] (the wake protocol, `crate::wake`): a compiler
//! fence and one relaxed load while the writer is awake.
//!
//! The call is counted `enqueued` once its user code (`Display`, `Debug`,
//! `FieldValue`) has run, right before its record is pushed, refused or
//! found oversized; if that code panics, `payload::fill_payload` counts it
//! enqueued and dropped instead. Either way `written + dropped == enqueued`.

use crate::callsite::CallSite;
use crate::crash_safe::ring::{MappedProducer, MappedReader};
use crate::field::{encode_payload, Field};
use crate::filter::CallsiteCache;
use crate::level::Level;
use crate::payload::{fill_payload, format_text};
use crate::policy::{Formatting, Policy, Prefault};
use crate::record::{
    location_block, truncate_str, Header, Location, RecordKind, MAX_TARGET_LEN,
};
use crate::ring::{
    byte_ring, overwrite_max_record_len, overwrite_reader, overwrite_ring, ByteProducer,
    OverwriteProducer, RingReader, RoomRing,
};
use crate::shared::{lock, RingHandoff, RingShared, Shared};
use crate::stats::{bump, WriterCounters};
use crate::sync_mode::{SyncRecord, SyncWriter};
use crate::wake::Barrier;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

mod deferred;

pub(crate) use deferred::measure;

/// The formatting buffers are released after a message larger than this
/// (or than the ring), so one huge message does not pin memory for the
/// thread's life.
const SCRATCH_KEEP_BYTES: usize = 64 * 1024;
/// Capacity each formatting buffer starts with, at registration: a record
/// that straddles the ring's end (about one call per lap of the ring)
/// takes the slow path through these buffers, and must not allocate then.
const SCRATCH_START_BYTES: usize = 512;
const _: () = assert!(SCRATCH_START_BYTES <= SCRATCH_KEEP_BYTES);

/// Where a producer's records go.
enum Route {
    /// Its lossless ring (`Block`, `DropNewest`), drained by the writer.
    Lossless(ByteProducer),
    /// Its overwriting ring (`DropOldest`), drained by the writer.
    Overwrite(OverwriteProducer),
    /// Its ring file in crash-safe mode (`Block`, `DropNewest`).
    Mapped(MappedProducer),
    /// Sync mode: the caller writes.
    Sync(Arc<SyncWriter>),
    /// Registered after shutdown: every record is counted dropped.
    Closed,
}

/// [`Producer::direct`]: whether deferred records may go straight into
/// the ring, by the kind of route.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direct {
    /// `Formatting::Caller`: every deferred record takes the slow path.
    No,
    /// Into the lossless ring ([`Route::Lossless`]), on an engine whose
    /// clock is the TSC and whose wake-ups pair with `membarrier`: the
    /// fast path reads the counter and issues the notifier's compiler
    /// fence without asking the engine which clock and which fence.
    LosslessQuick,
    /// Into the lossless ring ([`Route::Lossless`]), with another clock or
    /// plain fences: the fast path asks the engine (out of line).
    Lossless,
    /// Into the ring file ([`Route::Mapped`]).
    Mapped,
    /// A route without a direct path (sync mode, `DropOldest`, closed):
    /// the slow path encodes the record.
    Elsewhere,
}

/// Whether `shared`'s clock is the TSC and its writer's wake-ups pair
/// with `membarrier` (see [`Direct::LosslessQuick`]); both are set at
/// build and never change.
fn quick_engine(shared: &Shared) -> bool {
    shared.hot.clock.is_tsc() && shared.wake.barrier() == Barrier::Membarrier
}

/// The most bytes one deferred value takes in binary beside the text it
/// renders to: a tag and a `u128`.
const MAX_PLAIN_LEN: usize = 17;

/// Pieces of a framed record: header, target, location prefix, file, payload.
const PARTS: usize = 5;

/// Spins (a few microseconds) before a blocked producer waits until the
/// writer has freed half its ring (spinning longer only while the writer
/// runs on another CPU, see `room_spin`). No yields: on 2 CPUs a yielding
/// producer keeps a CPU from the writer (or hands it to another blocked
/// producer), and the writer frees a batch only every few tens of
/// microseconds.
const BLOCK_SPINS: u32 = 64;
const _: () = assert!(BLOCK_SPINS > 0);

/// A thread's own handle for logging without the thread-local lookup.
///
/// Get one with [`crate::Logger::producer`] and keep it in a hot loop. Each
/// `Producer` owns a ring; records from one `Producer` reach the sinks in the
/// order they were logged. It may move between threads but is not shared.
// In declaration order from a line's start: what a call reads (the route,
// its ring's end, `direct`, `quick_key`, the two `Arc`s) comes first, the
// buffers of the slow paths after. The route takes the first two lines
// but for `direct`; `quick_key` and the two `Arc`s open the third (as
// `Producer::call_path_addresses` says).
#[repr(C, align(64))]
pub struct Producer {
    /// Where records go.
    route: Route,
    /// Whether deferred records may go straight into the ring
    /// (`Formatting::Deferred`), and into which kind: one compare on the
    /// fast path says both. Set with `route`.
    direct: Direct,
    /// The address of the logger's `Shared` (its key in the logger's
    /// thread-local cache) when `direct` is [`Direct::LosslessQuick`], 0
    /// otherwise: the cache's one compare of a producer's owner says its
    /// route too (see `Logger::lend_recent_producer`). Set with `direct`.
    quick_key: usize,
    ring_shared: Arc<RingShared>,
    pub(crate) shared: Arc<Shared>,
    /// Reused formatting buffer: a pre-formatted message, a fields
    /// payload, or a deferred call's caller-formatted arguments.
    scratch: Vec<u8>,
    /// Reused buffer for a deferred payload built off the fast path.
    encoded: Vec<u8>,
}

// What a call reads ends within the producer's first three lines.
const _: () = assert!(
    std::mem::offset_of!(Producer, shared) + std::mem::size_of::<Arc<Shared>>() <= 3 * 64
);

impl fmt::Debug for Producer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("ring_capacity", &self.shared.ring_capacity)
            .finish_non_exhaustive()
    }
}

impl Producer {
    /// Registers a new ring with the writer (or, in sync mode, routes
    /// records to the logger's `sync_writer`).
    pub(crate) fn register(
        shared: &Arc<Shared>,
        sync_writer: Option<&Arc<SyncWriter>>,
    ) -> Producer {
        let ring_shared = Arc::new(RingShared::new());
        let mut reg = lock(&shared.registry);
        reg.live.push(ring_shared.clone());
        // Checked under the registry lock, which the writer's close also
        // takes: a ring registered after it would never be drained.
        let route = if let Some(w) = sync_writer {
            Route::Sync(w.clone())
        } else if shared.is_closed() {
            Route::Closed
        } else {
            let (w, reader) = new_route(shared, &ring_shared);
            reg.pending.push(RingHandoff {
                reader,
                shared: ring_shared.clone(),
                on_writer: shared.on_writer_thread(),
                shares_thread: false,
            });
            // Release: the writer's acquire load of `new_rings` then sees the
            // pushed ring (the mutex orders it too; this makes the flag exact).
            shared.new_rings.store(true, Ordering::Release);
            w
        };
        drop(reg);
        let direct = match &route {
            _ if shared.calls.formatting != Formatting::Deferred => Direct::No,
            Route::Lossless(_) if quick_engine(shared) => Direct::LosslessQuick,
            Route::Lossless(_) => Direct::Lossless,
            Route::Mapped(_) => Direct::Mapped,
            _ => Direct::Elsewhere,
        };
        let quick_key = match direct {
            Direct::LosslessQuick => Arc::as_ptr(shared) as usize,
            _ => 0,
        };
        Producer {
            direct,
            quick_key,
            route,
            ring_shared,
            shared: shared.clone(),
            scratch: Vec::with_capacity(SCRATCH_START_BYTES),
            encoded: Vec::with_capacity(SCRATCH_START_BYTES),
        }
    }

    /// Whether a record at `level` may be accepted for some target; see
    /// [`Logger::enabled`](crate::Logger::enabled).
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        self.shared.enabled(level)
    }

    /// Whether a record at `level` for `target` is accepted; see
    /// [`Logger::enabled_for`](crate::Logger::enabled_for).
    #[inline]
    pub fn enabled_for(&self, level: Level, target: &str) -> bool {
        self.shared.enabled_for(level, target)
    }

    /// [`Producer::enabled_for`] with a call site's cached decision; see
    /// [`Logger::enabled_at`](crate::Logger::enabled_at).
    #[inline]
    pub fn enabled_at(&self, level: Level, target: &str, cache: &CallsiteCache) -> bool {
        self.shared.enabled_at(level, target, cache)
    }

    /// Logs one record, if [`Producer::enabled_for`] accepts it.
    #[inline]
    pub fn log(&mut self, level: Level, target: &str, args: fmt::Arguments<'_>) {
        if self.shared.enabled_for(level, target) {
            self.follow_fork();
            self.log_enabled(level, target, None, args);
        }
    }

    /// Logs one record with structured fields (the macros' `key = value;
    /// "msg"` form), if [`Producer::enabled_for`] accepts it.
    #[inline]
    pub fn log_fields(
        &mut self,
        level: Level,
        target: &str,
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        if self.shared.enabled_for(level, target) {
            self.follow_fork();
            self.log_fields_enabled(level, target, None, fields, args);
        }
    }

    /// The producer itself, borrowed mutably: the macros evaluate their
    /// logger expression once through it (a `Logger` is borrowed shared).
    #[doc(hidden)]
    #[inline(always)]
    pub fn __by_ref(&mut self) -> &mut Producer {
        self
    }

    /// Whether a call at `cs` is accepted; see
    /// [`Logger::__enabled_at_site`](crate::Logger::__enabled_at_site).
    #[doc(hidden)]
    #[inline]
    pub fn __enabled_at_site(&self, level: Level, cs: &'static CallSite, target: &str) -> bool {
        self.shared.enabled_at_site(level, cs, target)
    }

    /// [`Producer::log`] after the level check, with the statement's
    /// `(file, line)` (the macros' fallback).
    #[doc(hidden)]
    #[inline]
    pub fn __log_args(
        &mut self,
        level: Level,
        target: &str,
        at: (&str, u32),
        args: fmt::Arguments<'_>,
    ) {
        self.follow_fork();
        self.log_enabled(level, target, Some(at), args);
    }

    /// [`Producer::log_fields`] after the level check, with the
    /// statement's `(file, line)` (the macros).
    #[doc(hidden)]
    #[inline]
    pub fn __log_fields(
        &mut self,
        level: Level,
        target: &str,
        at: (&str, u32),
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        self.follow_fork();
        self.log_fields_enabled(level, target, Some(at), fields, args);
    }

    /// In a forked child, moves this producer to the logger's successor
    /// there (see `fork`): the inherited ring is the parent's.
    #[inline]
    fn follow_fork(&mut self) {
        if !self.shared.is_here() {
            self.rebind();
        }
    }

    #[cold]
    fn rebind(&mut self) {
        let level = self.shared.filter.default_level();
        let s = (self.shared.lineage).successor(level, self.shared.is_closed());
        // The inherited producer is dropped: that takes no lock (see Drop).
        // Its formatting buffer is kept: a call may be half-way (user code
        // that forked).
        let scratch = std::mem::take(&mut self.scratch);
        *self = Producer::register(&s.logger.shared, s.logger.sync_writer.as_ref());
        self.scratch = scratch;
    }

    /// Counts the call and commits the record of `kind` whose payload is
    /// `payload` as given (filled by the caller: see `Logger`).
    #[inline]
    pub(crate) fn log_payload(
        &mut self,
        kind: RecordKind,
        level: Level,
        target: &str,
        at: Option<Location<'_>>,
        payload: &[u8],
    ) {
        if self.admit() {
            let clock = self.shared.hot.clock.now_raw();
            let site = Site { target, at };
            self.commit(kind, level, clock, site, Payload::Borrowed(payload));
        }
    }

    /// Fills the scratch buffer with `fill` (user code: see `payload`),
    /// then counts the call and commits the record.
    #[inline]
    fn log_filled(
        &mut self,
        kind: RecordKind,
        level: Level,
        target: &str,
        at: Option<Location<'_>>,
        fill: impl FnOnce(&mut Vec<u8>, usize),
    ) {
        fill_payload(&self.shared, &mut self.scratch, fill);
        // The user code may have forked: the record is this process's.
        self.follow_fork();
        if self.admit() {
            let clock = self.shared.hot.clock.now_raw();
            let site = Site { target, at };
            self.commit(kind, level, clock, site, Payload::Scratch);
        }
    }

    /// Logs a record that already passed the level filter.
    #[inline]
    pub(crate) fn log_enabled(
        &mut self,
        level: Level,
        target: &str,
        at: Option<Location<'_>>,
        args: fmt::Arguments<'_>,
    ) {
        match args.as_str() {
            Some(s) => self.log_payload(RecordKind::Text, level, target, at, s.as_bytes()),
            None => self.log_filled(RecordKind::Text, level, target, at, |buf, cap| {
                format_text(buf, args, cap)
            }),
        }
    }

    /// [`Producer::log_fields`] after the level filter: message and fields
    /// are encoded into the scratch buffer, then committed as one record.
    #[inline]
    pub(crate) fn log_fields_enabled(
        &mut self,
        level: Level,
        target: &str,
        at: Option<Location<'_>>,
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        self.log_filled(RecordKind::Fields, level, target, at, |buf, cap| {
            encode_payload(buf, args, fields, cap)
        });
    }

    /// The largest framed record this producer's ring takes.
    fn max_record_len(&self) -> usize {
        match &self.route {
            Route::Lossless(r) => r.capacity(),
            Route::Overwrite(r) => r.max_record_len(),
            Route::Mapped(r) => r.max_record_len(),
            // The same cap as the policy's ring, for the same records to
            // be oversized (DropOldest's slotted ring holds less).
            Route::Sync(_) => match self.shared.policy {
                Policy::DropOldest => overwrite_max_record_len(self.shared.ring_capacity),
                _ => self.shared.ring_capacity,
            },
            Route::Closed => usize::MAX,
        }
    }

    /// Bytes the writer has released from this producer's lossless ring,
    /// ever (see `Logger::ring_released_bytes`).
    pub(crate) fn ring_released_bytes(&self) -> Option<u64> {
        match &self.route {
            Route::Lossless(ring) => Some(ring.released()),
            _ => None,
        }
    }

    /// Where what a call reads and writes lies (see
    /// `Logger::call_path_addresses`): this struct, the ring's counters,
    /// its lossless ring's shared counts and bytes, the engine's hot line
    /// and wake word.
    pub(crate) fn call_path_addresses(&self) -> Vec<(&'static str, usize)> {
        fn at<T>(r: &T) -> usize {
            r as *const T as usize
        }
        let me = at(self);
        let mut v = vec![("producer", me), ("producer", me + 64), ("producer", me + 128)];
        v.push(("ring counters", at(&*self.ring_shared.counters)));
        if let Route::Lossless(ring) = &self.route {
            v.extend(ring.call_path_addresses());
        }
        v.push(("engine hot line", at(&*self.shared.hot)));
        v.push(("engine wake word", at(&*self.shared.wake)));
        v
    }

    /// Counts the call; false (and counted dropped) after shutdown. The
    /// first call dropped so shuts the lossless ring to the fast path
    /// (`try_direct`, which looks at `closed` only where its ring would
    /// find more room): once one record
    /// of the thread is dropped, every later one is, so the records
    /// written stay a prefix of the thread's.
    #[inline]
    fn admit(&mut self) -> bool {
        let counters = &self.ring_shared.counters;
        bump(&counters.enqueued);
        if self.shared.is_closed() {
            bump(&counters.dropped);
            if let Route::Lossless(ring) = &mut self.route {
                ring.shut();
            }
            return false;
        }
        true
    }

    /// Pushes one record into the ring (or writes it, in sync mode); the
    /// location goes with it when the logger captures call sites.
    fn commit(
        &mut self,
        kind: RecordKind,
        level: Level,
        clock: u64,
        site: Site<'_>,
        payload: Payload<'_>,
    ) {
        let counters = &self.ring_shared.counters;
        let msg: &[u8] = match payload {
            Payload::Borrowed(s) => s,
            Payload::Scratch => &self.scratch,
            Payload::Encoded => &self.encoded,
        };
        let target = truncate_str(site.target, MAX_TARGET_LEN);
        let at = site.at.filter(|_| self.shared.calls.call_sites);
        let (prefix, file) = match at {
            Some(at) => location_block(at),
            None => Default::default(),
        };
        let prefix = &prefix[..if at.is_some() { prefix.len() } else { 0 }];
        let payload_len = prefix.len() + file.len() + msg.len();
        // A record past 4 GiB, or past what the route takes, is oversized.
        let max = self.max_record_len();
        let header = Header::new(kind, level, clock, target.len(), payload_len)
            .filter(|h| h.len as usize <= max);
        let Some(mut header) = header else {
            let counters = &self.ring_shared.counters;
            bump(&counters.dropped);
            return bump(&counters.oversized);
        };
        if at.is_some() {
            header = header.located();
        }
        let len = header.len as usize;
        let parts = [
            &header.encode()[..],
            target.as_bytes(),
            prefix,
            file.as_bytes(),
            msg,
        ];
        let pushed = match &mut self.route {
            Route::Lossless(ring) => {
                push_lossless(ring, &self.ring_shared, &self.shared, &parts, len)
            }
            Route::Overwrite(ring) => {
                ring.push(&parts);
                Push::Done
            }
            Route::Mapped(ring) => {
                push_lossless(ring, &self.ring_shared, &self.shared, &parts, len)
            }
            Route::Closed => Push::Discarded,
            Route::Sync(w) => {
                let r = SyncRecord {
                    kind,
                    level,
                    clock,
                    thread: self.ring_shared.thread_id,
                    target,
                    call_site: at.map(|(_, line)| (file.as_bytes(), line)),
                    payload: msg,
                };
                w.write(&self.shared, counters, r);
                Push::Written
            }
        };
        self.pushed_outcome(pushed);
        release_if_huge(&mut self.scratch, self.shared.ring_capacity);
        release_if_huge(&mut self.encoded, self.shared.ring_capacity);
    }

    /// Accounts what became of a record; wakes the writer after a commit.
    fn pushed_outcome(&mut self, pushed: Push) {
        let counters = &self.ring_shared.counters;
        match pushed {
            Push::Done => self.shared.wake_writer(),
            Push::Written => {}
            Push::Discarded => bump(&counters.dropped),
            Push::Refused => {
                bump(&counters.dropped);
                // The ring is full: a sleeping writer is needed now.
                self.shared.wake_writer();
            }
        }
    }
}

/// Releases `buf` when a huge message grew it past what is worth keeping
/// for the thread's life.
#[inline]
pub(crate) fn release_if_huge(buf: &mut Vec<u8>, ring_capacity: usize) {
    if buf.capacity() > SCRATCH_KEEP_BYTES.max(ring_capacity) {
        *buf = Vec::with_capacity(SCRATCH_START_BYTES);
    }
}

/// A new ring for the logger's policy: the producer's route and the
/// writer's end. In crash-safe mode a ring file that cannot be created
/// (disk full) is reported and replaced by a ring in memory.
fn new_route(shared: &Shared, rs: &Arc<RingShared>) -> (Route, RingReader) {
    let capacity = shared.ring_capacity;
    if let Some(dir) = &shared.crash_safe {
        match dir.new_ring(rs.clone()) {
            Ok(f) => {
                let reader = RingReader::Mapped(MappedReader::new(f.clone()));
                return (Route::Mapped(MappedProducer::new(f, dir.sites.id())), reader);
            }
            Err(e) => {
                WriterCounters::add(&shared.counters.errors, 1);
                shared.report_error(format!(
                    "crash-safe ring file not created, this thread logs through memory: {e}"
                ));
            }
        }
    }
    if shared.policy == Policy::DropOldest {
        let (p, c) = overwrite_ring(capacity);
        (Route::Overwrite(p), overwrite_reader(c))
    } else {
        let (p, c) = byte_ring(capacity, shared.calls.prefault == Prefault::Ring);
        (Route::Lossless(p), RingReader::Lossless(c))
    }
}

/// What became of a record offered to a ring.
enum Push {
    Done,
    /// Written by the caller (sync mode), accounted by the sync writer.
    Written,
    /// No ring (registered after shutdown).
    Discarded,
    /// Refused by the policy (`DropNewest` full, or shutdown while blocked).
    Refused,
}

/// Pushes a record of `len` bytes (the sum of `parts`, at most the ring's
/// capacity) into a lossless ring, applying the policy when it is full.
#[inline]
fn push_lossless(
    ring: &mut impl RoomRing,
    rs: &RingShared,
    shared: &Shared,
    parts: &[&[u8]; PARTS],
    len: usize,
) -> Push {
    if ring.try_push(parts) {
        return Push::Done;
    }
    match shared.policy {
        Policy::Block if push_blocking(ring, rs, shared, parts, len) => Push::Done,
        _ => Push::Refused,
    }
}

/// Where a record was logged: its target and, when known, its location.
#[derive(Clone, Copy)]
struct Site<'a> {
    target: &'a str,
    at: Option<Location<'a>>,
}

/// Where a record's payload is: a static message, or one of the buffers.
#[derive(Clone, Copy)]
enum Payload<'a> {
    Borrowed(&'a [u8]),
    Scratch,
    Encoded,
}

impl Drop for Producer {
    fn drop(&mut self) {
        // Inherited through fork: that engine's registry lock may be held
        // by a thread that does not exist in this process, and its writer
        // is not here to wake. Nothing is done to it.
        if !self.shared.is_here() {
            return;
        }
        match std::mem::replace(&mut self.route, Route::Closed) {
            // One without a ring is retired here.
            Route::Sync(_) | Route::Closed => self.shared.retire_counters(&self.ring_shared),
            // The writer retires a ring once drained: abandon it first,
            // then wake the writer so it notices at once.
            ring => {
                drop(ring);
                self.shared.wake_writer();
            }
        }
    }
}

/// The `Block` slow path: spin briefly; then, while the writer drains on
/// another CPU, spin until it has freed half the ring (`ring::resume_room`,
/// bounded, see `room_spin`), else sleep until then, so a blocked
/// producer runs again only once it can push many records. Returns false when the logger shut down meanwhile (or shutdown
/// gave up on a stuck sink), and at once on the writer thread itself (a
/// sink logging): it would wait for itself.
#[cold]
#[inline(never)]
fn push_blocking<R: RoomRing>(
    ring: &mut R,
    rs: &RingShared,
    shared: &Shared,
    parts: &[&[u8]; PARTS],
    need: usize,
) -> bool {
    if shared.on_writer_thread() {
        return false;
    }
    let _blocked = shared.writer_cpu.blocked();
    let mut round = 0u32;
    loop {
        // Keep trying while the writer drains at shutdown: its close makes
        // room, and whatever lands after its last pass is counted dropped.
        // Stop once it is done, or once shutdown gave up waiting for it.
        if shared.writer_done.load(Ordering::Acquire) || shared.gave_up() {
            return false;
        }
        shared.wake_writer();
        let ready = |ring: &R| {
            ring.may_resume(need)
                || shared.writer_done.load(Ordering::Acquire)
                || shared.gave_up()
                || ring.is_abandoned()
        };
        if round < BLOCK_SPINS {
            std::hint::spin_loop();
        } else if round > BLOCK_SPINS || !shared.writer_cpu.spin_until(&rs.spin, || ready(ring)) {
            // Every way `ready` becomes true is followed by a notify: the
            // writer's release of space (`room_released_in`, once the
            // resume room is free; a ring file's keeper at each commit),
            // its exit (`writer_done`), shutdown giving up on a stuck sink
            // (`Shared::give_up`), the ring abandoned (the writer's exit).
            shared.writer_cpu.park(|| rs.wait_for_room(|| ready(ring)));
        }
        round = round.saturating_add(1);
        if ring.try_push(parts) {
            return true;
        }
        if ring.is_abandoned() {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Direct;
    use crate::{Clock, Format, Logger, MemorySink, SinkOptions, Timestamp};
    use std::time::Duration;

    /// 2026-11-28T04:56:49.123Z.
    const AT: u64 = 1_795_841_809_123_000_000;

    /// Logs three records a millisecond apart on a manual clock, through
    /// an explicit producer or (`cached`) the logger's thread-local one;
    /// returns the text written.
    fn three_on_a_manual_clock(cached: bool) -> String {
        let (clock, hand) = Clock::manual(AT);
        let (sink, out) = MemorySink::new();
        let (logger, guard) = Logger::builder()
            .sink_with(
                sink,
                SinkOptions::new().format(Format::text().timestamp(Timestamp::Millis)),
            )
            .clock(clock)
            .build()
            .unwrap();
        let mut p = logger.producer();
        assert!(p.direct == Direct::Lossless);
        assert_eq!(p.quick_key, 0);
        for i in 0..3u32 {
            if cached {
                crate::info!(logger, target: "t", "n={}", i);
            } else {
                crate::info!(p, target: "t", "n={}", i);
            }
            hand.advance_nanos(1_000_000);
        }
        drop(p);
        guard.shutdown(Duration::from_secs(10)).unwrap();
        out.text()
    }

    const THREE: &str = "2026-11-28T04:56:49.123Z INFO  t: n=0\n\
                         2026-11-28T04:56:49.124Z INFO  t: n=1\n\
                         2026-11-28T04:56:49.125Z INFO  t: n=2\n";

    /// Only an engine whose clock is the TSC (and whose wake-ups pair with
    /// `membarrier`) lets the fast path read the counter without asking:
    /// with a manual clock the producer asks, and every record, the fast
    /// path's included, carries the clock's time.
    #[test]
    fn a_manual_clocks_time_is_what_every_fast_record_carries() {
        assert_eq!(three_on_a_manual_clock(false), THREE);
    }

    /// The same through the logger's thread-local producer, which the
    /// cache's compare of its `quick_key` sends the quick way only on a
    /// TSC engine: on this one, its records carry the manual clock's time.
    #[test]
    fn a_manual_clocks_time_is_what_every_cached_call_carries() {
        assert_eq!(three_on_a_manual_clock(true), THREE);
    }

}
