//! `Producer`: one thread's writing end of its logger.
//!
//! A log call: level check (one relaxed load), the message formatted by
//! `core::fmt` into a reused buffer (or taken as is when it has no
//! arguments), the raw clock, then one reserve/copy/commit into the ring.
//! No allocation once the buffer has grown to the message size, no lock, no
//! syscall — except waking a parked writer, and parking when `Block` finds
//! the ring full.
//!
//! The call is counted `enqueued` when its record is committed (pushed,
//! refused or found oversized), right before the push; if the user code
//! that formats it panics first, `payload::fill_payload` counts it
//! enqueued and dropped instead.

use crate::field::{encode_payload, Field};
use crate::level::Level;
use crate::payload::{fill_payload, format_text};
use crate::policy::Policy;
use crate::record::{truncate_str, Header, RecordKind, MAX_TARGET_LEN};
use crate::ring::{new_ring, ByteProducer, RingWriter};
use crate::shared::{lock, RingHandoff, RingShared, Shared, AWAKE, NAPPING};
use crate::stats::bump;
use crate::sync_mode::{SyncRecord, SyncWriter};
use std::fmt;
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The formatting buffer is released after a message larger than this
/// (or than the ring), so one huge message does not pin memory for the
/// thread's life.
const SCRATCH_KEEP_BYTES: usize = 64 * 1024;

/// Where a producer's records go.
enum Route {
    /// Its ring, drained by the writer.
    Ring(RingWriter),
    /// Sync mode: the caller writes.
    Sync(Arc<SyncWriter>),
    /// Registered after shutdown: every record is counted dropped.
    Closed,
}

/// Spins before a blocked producer starts yielding.
const BLOCK_SPINS: u32 = 64;
/// Yields before a blocked producer parks.
const BLOCK_YIELDS: u32 = 64;
/// Longest a blocked producer parks before looking again (bounds a lost wakeup).
const BLOCK_PARK: Duration = Duration::from_millis(1);
const _: () = assert!(BLOCK_SPINS > 0 && BLOCK_YIELDS > 0);

/// A thread's own handle for logging without the thread-local lookup.
///
/// Get one with [`crate::Logger::producer`] and keep it in a hot loop. Each
/// `Producer` owns a ring; records from one `Producer` reach the sinks in the
/// order they were logged. It may move between threads but is not shared.
pub struct Producer {
    /// Where records go.
    ring: Route,
    ring_shared: Arc<RingShared>,
    pub(crate) shared: Arc<Shared>,
    /// Reused formatting buffer; grows to the largest message seen.
    scratch: Vec<u8>,
    /// Bytes pushed since this producer last saw the writer parked and
    /// woke it; in `0 .. ring capacity / 2`.
    parked_bytes: usize,
}

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
        let ring = if let Some(w) = sync_writer {
            Route::Sync(w.clone())
        } else if shared.is_closed() {
            Route::Closed
        } else {
            let (w, r) = new_ring(shared.ring_capacity, shared.policy == Policy::DropOldest);
            reg.pending.push(RingHandoff {
                reader: r,
                shared: ring_shared.clone(),
                on_writer: shared.on_writer_thread(),
            });
            // Release: the writer's acquire load of `new_rings` then sees the
            // pushed ring (the mutex orders it too; this makes the flag exact).
            shared.new_rings.store(true, Ordering::Release);
            Route::Ring(w)
        };
        drop(reg);
        Producer {
            ring,
            ring_shared,
            shared: shared.clone(),
            scratch: Vec::new(),
            parked_bytes: 0,
        }
    }

    /// Whether a record at `level` would be accepted.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        self.shared.enabled(level)
    }

    /// Logs one record (the macros call this after checking `enabled`).
    #[inline]
    pub fn log(&mut self, level: Level, target: &str, args: fmt::Arguments<'_>) {
        if self.shared.enabled(level) {
            self.follow_fork();
            self.log_enabled(level, target, args);
        }
    }

    /// Logs one record with structured fields (the macros' `key = value; "msg"` form).
    #[inline]
    pub fn log_fields(
        &mut self,
        level: Level,
        target: &str,
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        if self.shared.enabled(level) {
            self.follow_fork();
            self.log_fields_enabled(level, target, fields, args);
        }
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
        let level = self.shared.hot.level.load(Ordering::Relaxed);
        let level = Level::from_u8(level).unwrap_or(Level::Trace);
        let s = (self.shared.lineage).successor(level, self.shared.is_closed());
        // The inherited producer is dropped: that takes no lock (see Drop).
        *self = Producer::register(&s.logger.shared, s.logger.sync_writer.as_ref());
    }

    /// Logs a record that already passed the level filter.
    #[inline]
    pub(crate) fn log_enabled(&mut self, level: Level, target: &str, args: fmt::Arguments<'_>) {
        match args.as_str() {
            Some(s) => self.commit(RecordKind::Text, level, target, s.as_bytes()),
            None => self.log_filled(RecordKind::Text, level, target, |buf, cap| {
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
        fields: &[Field<'_>],
        args: fmt::Arguments<'_>,
    ) {
        self.log_filled(RecordKind::Fields, level, target, |buf, cap| {
            encode_payload(buf, args, fields, cap)
        });
    }

    /// Fills the scratch buffer with `fill` (user code: see `payload`),
    /// then commits it.
    #[inline]
    fn log_filled(
        &mut self,
        kind: RecordKind,
        level: Level,
        target: &str,
        fill: impl FnOnce(&mut Vec<u8>, usize),
    ) {
        let mut buf = std::mem::take(&mut self.scratch);
        fill_payload(&self.shared, &mut buf, fill);
        self.commit(kind, level, target, &buf);
        self.scratch = keep_scratch(buf, self.shared.ring_capacity);
    }

    /// Counts the call and pushes its record into the ring (or writes it,
    /// in sync mode). A record longer than the ring's largest, or than 4 GiB,
    /// is counted dropped and oversized.
    #[inline(always)]
    pub(crate) fn commit(&mut self, kind: RecordKind, level: Level, target: &str, payload: &[u8]) {
        let counters = &self.ring_shared.counters;
        bump(&counters.enqueued);
        let max = match &self.ring {
            Route::Ring(ring) => ring.max_record_len(),
            Route::Sync(_) => self.shared.ring_capacity,
            Route::Closed => {
                bump(&counters.dropped);
                return;
            }
        };
        if self.shared.is_closed() {
            bump(&counters.dropped);
            return;
        }
        let clock = self.shared.clock.now_raw();
        let target = truncate_str(target, MAX_TARGET_LEN);
        let header = match Header::new(kind, level, clock, target.len(), payload.len()) {
            Some(h) if h.len as usize <= max => h,
            _ => {
                bump(&counters.dropped);
                bump(&counters.oversized);
                return;
            }
        };
        let ring = match &mut self.ring {
            Route::Ring(ring) => ring,
            Route::Sync(w) => {
                let r = SyncRecord {
                    kind,
                    level,
                    clock,
                    thread: self.ring_shared.thread_id,
                    target,
                    payload,
                };
                w.write(&self.shared, counters, r);
                return;
            }
            Route::Closed => unreachable!("returned above"),
        };
        let len = header.len as usize;
        let parts = [&header.encode()[..], target.as_bytes(), payload];
        let pushed = match ring {
            RingWriter::Lossless(ring) => {
                push_lossless(ring, &self.ring_shared, &self.shared, &parts, len)
            }
            RingWriter::Overwrite(ring) => {
                ring.push(&parts);
                Push::Done
            }
        };
        let used = ring.bytes_used(len);
        match pushed {
            Push::Done => match self.shared.signal.parked.load(Ordering::Relaxed) {
                AWAKE => {}
                NAPPING => self.wake_lazily(used),
                _ => self.shared.wake_writer(),
            },
            Push::Refused => {
                bump(&counters.dropped);
                // The ring is full: a sleeping writer is needed now.
                if self.shared.signal.parked.load(Ordering::Relaxed) != AWAKE {
                    self.shared.wake_writer();
                }
            }
        }
    }
}

/// `buf` to keep as a formatting buffer: itself, unless a huge message grew
/// it past what is worth keeping for the thread's life.
#[inline]
pub(crate) fn keep_scratch(buf: Vec<u8>, ring_capacity: usize) -> Vec<u8> {
    if buf.capacity() > SCRATCH_KEEP_BYTES.max(ring_capacity) {
        Vec::new()
    } else {
        buf
    }
}

/// What became of a record offered to a ring.
enum Push {
    Done,
    /// Refused by the policy (`DropNewest` full, or shutdown while blocked).
    Refused,
}

/// Pushes a record of `len` bytes (the sum of `parts`, at most the ring's
/// capacity) into a lossless ring, applying the policy when it is full.
#[inline]
fn push_lossless(
    ring: &mut ByteProducer,
    rs: &RingShared,
    shared: &Shared,
    parts: &[&[u8]; 3],
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

impl Drop for Producer {
    fn drop(&mut self) {
        // A ring's producer is retired by the writer once its ring is
        // drained; one without a ring is retired here — unless it was
        // inherited through fork: that engine's registry lock may be held
        // by a thread that does not exist in this process.
        if !matches!(self.ring, Route::Ring(_)) && self.shared.is_here() {
            self.shared.retire_counters(&self.ring_shared);
        }
    }
}

impl Producer {
    /// The writer sleeps: wake it once half a ring has piled up, so a burst
    /// costs no wake-up syscall; its park timeout bounds a trickle's wait.
    #[cold]
    fn wake_lazily(&mut self, len: usize) {
        self.parked_bytes += len;
        if self.parked_bytes >= self.shared.ring_capacity / 2 {
            self.parked_bytes = 0;
            self.shared.wake_writer();
        }
    }
}

/// The `Block` slow path: spin, yield, then park until the writer frees
/// room. Returns false when the logger shut down meanwhile, and at once on
/// the writer thread itself (a sink logging): it would wait for itself.
#[cold]
#[inline(never)]
fn push_blocking(
    ring: &mut ByteProducer,
    rs: &RingShared,
    shared: &Shared,
    parts: &[&[u8]; 3],
    need: usize,
) -> bool {
    if shared.on_writer_thread() {
        return false;
    }
    let mut round = 0u32;
    loop {
        // Keep trying while the writer drains at shutdown: its close makes
        // room, and whatever lands after its last pass is counted dropped.
        // Stop once it is done, or once shutdown gave up waiting for it.
        if shared.writer_done.load(Ordering::Acquire) || shared.gave_up() {
            return false;
        }
        shared.wake_writer();
        if round < BLOCK_SPINS {
            std::hint::spin_loop();
        } else if round < BLOCK_SPINS + BLOCK_YIELDS {
            std::thread::yield_now();
        } else {
            park_until_room(ring, rs, need);
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

fn park_until_room(ring: &ByteProducer, rs: &RingShared, need: usize) {
    {
        let mut t = lock(&rs.thread);
        let me = std::thread::current();
        if t.id() != me.id() {
            *t = me;
        }
    }
    rs.waiting.store(true, Ordering::Relaxed);
    // SeqCst fence: pairs with the one in `RingShared::wake_if_waiting`, so
    // either we see the room the writer released or it sees `waiting`.
    fence(Ordering::SeqCst);
    if ring.free() < need {
        std::thread::park_timeout(BLOCK_PARK);
    }
    rs.waiting.store(false, Ordering::Relaxed);
}
