//! State shared by a logger's handles, its producers and its writer.

use crate::clock::Clock;
use crate::io::IoBackendInfo;
use crate::level::Level;
use crate::policy::{Mode, Policy};
use crate::ring::RingReader;
use crate::stats::{ProducerCounters, Stats, WriterCounters};
use crate::wake::{Barrier, BarrierChoice, EventCount};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

/// Recent I/O error descriptions kept for [`crate::Logger::recent_errors`].
pub(crate) const MAX_RECENT_ERRORS: usize = 32;

/// Keeps a value on its own cache lines (128 bytes covers adjacent-line prefetch).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Padded<T>(pub T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Locks `m`, ignoring poisoning: every critical section here leaves its
/// data consistent at each step, so a panic elsewhere does not corrupt it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What producers read on every call; written rarely.
#[derive(Debug)]
pub(crate) struct Hot {
    /// Minimum `Level as u8` accepted. Written by `set_level`.
    pub level: AtomicU8,
    /// Set once when shutdown begins; producers then count records dropped.
    pub closed: AtomicBool,
}

/// The flush barrier's tickets.
#[derive(Debug)]
pub(crate) struct FlushState {
    /// Highest ticket handed out; a flush takes `requested + 1`.
    pub requested: AtomicU64,
    /// Highest ticket the writer has completed.
    pub done: AtomicU64,
    /// Highest `flush_sync` ticket handed out.
    pub sync_requested: AtomicU64,
    /// Highest `flush_sync` ticket whose data is durable (or failed).
    pub sync_done: AtomicU64,
    /// `Stats::errors` as of the last flush that returned.
    pub errors_seen: AtomicU64,
    /// Flushers wait on it for `done` or `sync_done` to reach their ticket.
    pub event: EventCount,
}

impl FlushState {
    fn new(barrier: Barrier) -> FlushState {
        FlushState {
            requested: AtomicU64::new(0),
            done: AtomicU64::new(0),
            sync_requested: AtomicU64::new(0),
            sync_done: AtomicU64::new(0),
            errors_seen: AtomicU64::new(0),
            event: EventCount::new(barrier),
        }
    }

    /// Marks every ticket up to `ticket` in `done` (`self.done` or
    /// `self.sync_done`) finished and wakes the waiters.
    pub(crate) fn ack(&self, done: &AtomicU64, ticket: u64) {
        // Release: pairs with the waiter's Acquire load of `done`, so it then
        // sees the counters updated before.
        done.fetch_max(ticket, Ordering::Release);
        self.event.notify();
    }

    /// Waits until `done` reaches `ticket`, the writer has finished, or
    /// `deadline` passes; true in the first case.
    pub(crate) fn wait(
        &self,
        done: &AtomicU64,
        ticket: u64,
        writer_done: &AtomicBool,
        deadline: Option<Instant>,
    ) -> bool {
        // Acquire: pairs with the Release in `ack` and in the writer's exit.
        let reached = || done.load(Ordering::Acquire) >= ticket;
        self.event.wait_until(
            || reached() || writer_done.load(Ordering::Acquire),
            deadline,
        );
        reached()
    }
}

/// Per-ring state shared by its producer and the writer.
#[derive(Debug)]
pub(crate) struct RingShared {
    pub counters: ProducerCounters,
    /// A `Block` producer whose ring is full waits on it for room.
    room: EventCount,
    /// OS id (`gettid`) of the thread that registered the producer; shown
    /// by formats that ask for the thread id.
    pub thread_id: u32,
}

impl RingShared {
    pub(crate) fn new(barrier: Barrier) -> RingShared {
        RingShared {
            counters: ProducerCounters::default(),
            room: EventCount::new(barrier),
            // SAFETY: gettid has no preconditions and cannot fail.
            thread_id: unsafe { libc::gettid() } as u32,
        }
    }

    /// The writer released space in this ring (or finished): wakes a
    /// producer waiting for room.
    #[inline]
    pub(crate) fn room_released(&self) {
        self.room.notify();
    }

    /// A `Block` producer waits until `ready()` (room, or a reason to stop
    /// trying); every change that makes it true is followed by
    /// [`RingShared::room_released`].
    pub(crate) fn wait_for_room(&self, ready: impl FnMut() -> bool) {
        self.room.wait_until(ready, None);
    }
}

/// A producer's ring as the registry and the writer hold it: pending,
/// served by the writer, or orphaned after shutdown.
pub(crate) struct RingHandoff {
    pub reader: RingReader,
    pub shared: Arc<RingShared>,
}

/// Rings known to the logger; locked on registration, retirement, `stats()`.
#[derive(Default)]
pub(crate) struct Registry {
    /// Registered but not yet adopted by the writer.
    pub pending: Vec<RingHandoff>,
    /// Every ring not yet retired (for `stats()`).
    pub live: Vec<Arc<RingShared>>,
    /// Counters of retired rings.
    pub retired: Stats,
    /// Rings the writer left behind at shutdown; whatever a producer still
    /// manages to push into them is counted dropped by `stats()`.
    pub orphans: Vec<RingHandoff>,
}

/// Everything behind a `Logger`.
pub(crate) struct Shared {
    pub hot: Padded<Hot>,
    /// The lowest level any sink takes; the logger never accepts below it,
    /// so every accepted record has a sink.
    pub level_floor: Level,
    pub policy: Policy,
    pub mode: Mode,
    pub ring_capacity: usize,
    pub clock: Clock,
    /// How notifiers and waiters of this logger pair their fences.
    pub barrier: Barrier,
    /// Which barrier, and why, for [`crate::Logger::wake_mechanism`].
    pub wake_note: String,
    /// The writer sleeps on it; producers, flushers and shutdown notify it.
    pub wake: Padded<EventCount>,
    /// Set when `registry.pending` is non-empty; the writer checks it each pass.
    pub new_rings: AtomicBool,
    pub registry: Mutex<Registry>,
    pub counters: Padded<WriterCounters>,
    /// Calls that could not reach a ring (re-entrant logging, thread exit).
    pub misc: ProducerCounters,
    pub flush: FlushState,
    pub backend: OnceLock<IoBackendInfo>,
    /// The writer has finished (after shutdown or a crash).
    pub writer_done: AtomicBool,
    pub recent_errors: Mutex<VecDeque<String>>,
}

impl Shared {
    pub(crate) fn new(
        level: Level,
        level_floor: Level,
        policy: Policy,
        mode: Mode,
        ring_capacity: usize,
        clock: Clock,
        wake: BarrierChoice,
    ) -> Shared {
        let BarrierChoice {
            barrier,
            note: wake_note,
        } = wake;
        Shared {
            hot: Padded(Hot {
                level: AtomicU8::new(level.max(level_floor) as u8),
                closed: AtomicBool::new(false),
            }),
            level_floor,
            policy,
            mode,
            ring_capacity,
            clock,
            barrier,
            wake_note,
            wake: Padded(EventCount::new(barrier)),
            new_rings: AtomicBool::new(false),
            registry: Mutex::new(Registry::default()),
            counters: Padded::default(),
            misc: ProducerCounters::default(),
            flush: FlushState::new(barrier),
            backend: OnceLock::new(),
            writer_done: AtomicBool::new(false),
            recent_errors: Mutex::new(VecDeque::new()),
        }
    }

    #[inline]
    pub(crate) fn enabled(&self, level: Level) -> bool {
        level as u8 >= self.hot.level.load(Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.hot.closed.load(Ordering::Relaxed)
    }

    /// Wakes the writer if it sleeps, after the caller committed a record
    /// or posted a request (flush ticket, shutdown). A fence and one load
    /// when the writer is awake; at most one `futex` wake when it sleeps.
    ///
    /// Async-signal-safe (no lock, no allocation): a signal handler that
    /// holds this `Shared` may call it to have the writer look at a flag.
    #[inline]
    pub(crate) fn wake_writer(&self) {
        self.wake.notify();
    }

    /// The writer has finished: wakes every flusher and every producer
    /// waiting for room, so each sees `writer_done` and returns.
    pub(crate) fn release_waiters(&self) {
        self.flush.event.notify();
        let reg = lock(&self.registry);
        for r in &reg.live {
            r.room_released();
        }
    }

    /// Records an error description for `recent_errors`, keeping the newest.
    pub(crate) fn report_error(&self, msg: String) {
        let mut q = lock(&self.recent_errors);
        if q.len() == MAX_RECENT_ERRORS {
            q.pop_front();
        }
        q.push_back(msg);
    }

    /// Moves a ring's counters from `live` into the retired totals, exactly
    /// once (a second call finds it gone from `live`).
    pub(crate) fn retire_counters(&self, ring: &Arc<RingShared>) {
        let mut reg = lock(&self.registry);
        retire_locked(&mut reg, ring);
    }

    /// The counters now. After shutdown this first counts whatever producers
    /// pushed into abandoned rings as dropped.
    pub(crate) fn stats(&self) -> Stats {
        let mut reg = lock(&self.registry);
        if self.writer_done.load(Ordering::Acquire) {
            let mut late = 0u64;
            let mut orphans = std::mem::take(&mut reg.orphans);
            orphans.retain_mut(|o| {
                let abandoned = o.reader.is_abandoned();
                late += o.reader.discard_all();
                if abandoned {
                    retire_locked(&mut reg, &o.shared);
                }
                !abandoned
            });
            reg.orphans = orphans;
            WriterCounters::add(&self.counters.dropped, late);
        }
        let mut s = reg.retired;
        for r in &reg.live {
            r.counters.fill(&mut s);
        }
        s.live_producers = reg.live.len() as u64;
        drop(reg);
        self.misc.fill(&mut s);
        self.counters.fill(&mut s);
        s
    }
}

/// [`Shared::retire_counters`] with the registry already locked.
fn retire_locked(reg: &mut Registry, ring: &Arc<RingShared>) {
    if let Some(pos) = reg.live.iter().position(|r| Arc::ptr_eq(r, ring)) {
        reg.live.swap_remove(pos);
        let mut retired = reg.retired;
        ring.counters.fill(&mut retired);
        reg.retired = retired;
    }
}
