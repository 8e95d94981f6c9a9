//! `Producer`: one thread's writing end of its logger.
//!
//! A log call: level check (one relaxed load), the raw clock, the message
//! formatted by `core::fmt` into a reused buffer (or taken as is when it has
//! no arguments), then one reserve/copy/commit into the ring. No allocation
//! once the buffer has grown to the message size, no lock, no syscall —
//! except waking a parked writer, and parking when `Block` finds the ring full.

use crate::field::{encode_payload, Field};
use crate::level::Level;
use crate::policy::Policy;
use crate::record::{truncate_str, Header, RecordKind, MAX_TARGET_LEN};
use crate::ring::{new_ring, ByteProducer, RingWriter};
use crate::shared::{lock, RingHandoff, RingShared, Shared};
use crate::stats::bump;
use crate::sync_mode::{SyncRecord, SyncWriter};
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

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

/// Formats into a vector, giving up once it holds more than `.1` bytes
/// (such a message cannot fit the ring anyway and is counted oversized).
struct CappedWriter<'a>(&'a mut Vec<u8>, usize);

impl fmt::Write for CappedWriter<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.len() + s.len() > self.1 {
            let room = (self.1 + 1).saturating_sub(self.0.len());
            self.0.extend_from_slice(&s.as_bytes()[..room.min(s.len())]);
            return Err(fmt::Error);
        }
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Spins before a blocked producer starts yielding.
const BLOCK_SPINS: u32 = 64;
/// Yields before a blocked producer sleeps until the writer makes room.
const BLOCK_YIELDS: u32 = 64;
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
        let ring_shared = Arc::new(RingShared::new(shared.barrier));
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
            self.log_fields_enabled(level, target, fields, args);
        }
    }

    /// Logs a record that already passed the level filter.
    #[inline]
    pub(crate) fn log_enabled(&mut self, level: Level, target: &str, args: fmt::Arguments<'_>) {
        if !self.admit() {
            return;
        }
        let clock = self.shared.clock.now_raw();
        let payload = match args.as_str() {
            Some(s) => Payload::Static(s.as_bytes()),
            None => {
                self.scratch.clear();
                let cap = self.shared.ring_capacity;
                let _ = fmt::write(&mut CappedWriter(&mut self.scratch, cap), args);
                Payload::Scratch
            }
        };
        self.commit(RecordKind::Text, level, clock, target, payload);
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
        if !self.admit() {
            return;
        }
        let clock = self.shared.clock.now_raw();
        encode_payload(&mut self.scratch, args, fields);
        self.commit(RecordKind::Fields, level, clock, target, Payload::Scratch);
    }

    /// Counts the call; false (and counted dropped) after shutdown.
    #[inline]
    fn admit(&mut self) -> bool {
        let counters = &self.ring_shared.counters;
        bump(&counters.enqueued);
        if self.shared.is_closed() {
            bump(&counters.dropped);
            return false;
        }
        true
    }

    /// Pushes one record into the ring (or writes it, in sync mode).
    #[inline]
    fn commit(
        &mut self,
        kind: RecordKind,
        level: Level,
        clock: u64,
        target: &str,
        payload: Payload,
    ) {
        let counters = &self.ring_shared.counters;
        let msg: &[u8] = match payload {
            Payload::Static(s) => s,
            Payload::Scratch => &self.scratch,
        };
        let target = truncate_str(target, MAX_TARGET_LEN);
        let ring = match &mut self.ring {
            Route::Ring(ring) => ring,
            Route::Closed => {
                bump(&counters.dropped);
                return;
            }
            Route::Sync(w) => {
                let r = SyncRecord {
                    kind,
                    level,
                    clock,
                    thread: self.ring_shared.thread_id,
                    target,
                    payload: msg,
                };
                w.write(&self.shared, counters, r);
                return;
            }
        };
        let header = Header::new(kind, level, clock, target.len(), msg.len());
        let len = header.len as usize;
        let parts = [&header.encode()[..], target.as_bytes(), msg];
        let pushed = match ring {
            _ if len > ring.max_record_len() => Push::Oversized,
            RingWriter::Lossless(ring) => {
                push_lossless(ring, &self.ring_shared, &self.shared, &parts, len)
            }
            RingWriter::Overwrite(ring) => {
                ring.push(&parts);
                Push::Done
            }
        };
        match pushed {
            Push::Done => self.shared.wake_writer(),
            Push::Refused => {
                bump(&counters.dropped);
                self.shared.wake_writer();
            }
            Push::Oversized => {
                bump(&counters.dropped);
                bump(&counters.oversized);
            }
        }
        if self.scratch.capacity() > SCRATCH_KEEP_BYTES.max(self.shared.ring_capacity) {
            self.scratch = Vec::new();
        }
    }
}

/// What became of a record offered to a ring.
enum Push {
    Done,
    /// Refused by the policy (`DropNewest` full, or shutdown while blocked).
    Refused,
    /// Larger than the ring can ever hold.
    Oversized,
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

/// Where a record's payload is: a static message, or the scratch buffer.
#[derive(Clone, Copy)]
enum Payload {
    Static(&'static [u8]),
    Scratch,
}

impl Drop for Producer {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.ring, Route::Closed) {
            // The writer retires the ring once drained: abandon it first,
            // then wake the writer so it notices.
            Route::Ring(ring) => {
                drop(ring);
                self.shared.wake_writer();
            }
            // One without a ring is retired here.
            Route::Sync(_) | Route::Closed => self.shared.retire_counters(&self.ring_shared),
        }
    }
}

/// The `Block` slow path: spin, yield, then sleep until the writer frees
/// room. Returns false only when the logger shut down meanwhile.
#[cold]
#[inline(never)]
fn push_blocking(
    ring: &mut ByteProducer,
    rs: &RingShared,
    shared: &Shared,
    parts: &[&[u8]; 3],
    need: usize,
) -> bool {
    let mut round = 0u32;
    loop {
        // Keep trying while the writer drains at shutdown: its close makes
        // room, and whatever lands after its last pass is counted dropped.
        if shared.writer_done.load(Ordering::Acquire) {
            return false;
        }
        shared.wake_writer();
        if round < BLOCK_SPINS {
            std::hint::spin_loop();
        } else if round < BLOCK_SPINS + BLOCK_YIELDS {
            std::thread::yield_now();
        } else {
            // Every way `ready` becomes true is followed by `room_released`:
            // the writer's release of space, its exit (`writer_done`).
            rs.wait_for_room(|| {
                ring.free() >= need
                    || shared.writer_done.load(Ordering::Acquire)
                    || ring.is_abandoned()
            });
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
