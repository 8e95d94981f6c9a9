//! State shared by a logger's handles, its producers and its writer.

use crate::clock::Clock;
use crate::direct::Direct;
use crate::io::IoBackendInfo;
use crate::level::Level;
use crate::policy::{Mode, Policy};
use crate::ring::ByteConsumer;
use crate::stats::{ProducerCounters, Stats, WriterCounters};
use crate::sync::{fence, AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::Thread;

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

/// How the writer is woken.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    /// True while the writer is parked (or about to park). Set by the writer
    /// with SeqCst before its last look at the rings; cleared by whoever wakes it.
    pub parked: AtomicBool,
    /// The writer thread, set before `build` returns.
    pub thread: OnceLock<Thread>,
}

/// The flush barrier's tickets.
#[derive(Debug, Default)]
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
    pub lock: Mutex<()>,
    pub cv: Condvar,
}

impl FlushState {
    /// Marks every ticket up to `ticket` in `done` (`self.done` or
    /// `self.sync_done`) finished and wakes the waiters.
    pub(crate) fn ack(&self, done: &AtomicU64, ticket: u64) {
        // Release: pairs with the waiter's Acquire load of `done`, so it then
        // sees the counters updated before.
        done.fetch_max(ticket, Ordering::Release);
        let _g = lock(&self.lock);
        self.cv.notify_all();
    }
}

/// Per-ring state shared by its producer and the writer.
#[derive(Debug)]
pub(crate) struct RingShared {
    pub counters: ProducerCounters,
    /// True while the producer is parked waiting for room (Block policy).
    pub waiting: AtomicBool,
    /// The thread to unpark when `waiting`; updated by the producer before it parks.
    pub thread: Mutex<Thread>,
}

impl RingShared {
    pub(crate) fn new() -> RingShared {
        RingShared {
            counters: ProducerCounters::default(),
            waiting: AtomicBool::new(false),
            thread: Mutex::new(std::thread::current()),
        }
    }

    /// Called by the writer after it released space in this ring.
    pub(crate) fn wake_if_waiting(&self) {
        // SeqCst fence: pairs with the producer's fence between storing
        // `waiting = true` and re-reading the ring's free space, so either it
        // sees the space we released or we see `waiting`.
        fence(Ordering::SeqCst);
        if self.waiting.load(Ordering::Relaxed) {
            lock(&self.thread).unpark();
        }
    }
}

/// A ring on its way from a new producer to the writer.
pub(crate) struct RingHandoff {
    pub consumer: ByteConsumer,
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
    pub policy: Policy,
    pub mode: Mode,
    pub ring_capacity: usize,
    pub clock: Clock,
    pub signal: Padded<Signal>,
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
    /// Sync mode's caller-side writer.
    pub direct: Option<Mutex<Direct>>,
}

impl Shared {
    pub(crate) fn new(
        level: Level,
        policy: Policy,
        mode: Mode,
        ring_capacity: usize,
        clock: Clock,
        direct: Option<Direct>,
    ) -> Shared {
        Shared {
            hot: Padded(Hot {
                level: AtomicU8::new(level as u8),
                closed: AtomicBool::new(false),
            }),
            policy,
            mode,
            ring_capacity,
            clock,
            signal: Padded::default(),
            new_rings: AtomicBool::new(false),
            registry: Mutex::new(Registry::default()),
            counters: Padded::default(),
            misc: ProducerCounters::default(),
            flush: FlushState::default(),
            backend: OnceLock::new(),
            writer_done: AtomicBool::new(false),
            recent_errors: Mutex::new(VecDeque::new()),
            direct: direct.map(Mutex::new),
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

    /// Wakes the writer if it is parked (one RMW).
    pub(crate) fn wake_writer(&self) {
        // AcqRel: pairs with the writer's SeqCst store of `parked = true`.
        if self.signal.parked.swap(false, Ordering::AcqRel) {
            if let Some(t) = self.signal.thread.get() {
                t.unpark();
            }
        }
    }

    /// Unparks the writer whatever its state (flush, shutdown).
    pub(crate) fn kick_writer(&self) {
        self.signal.parked.store(false, Ordering::SeqCst);
        if let Some(t) = self.signal.thread.get() {
            t.unpark();
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

    /// The counters now. After shutdown this first counts whatever producers
    /// pushed into abandoned rings as dropped.
    pub(crate) fn stats(&self) -> Stats {
        let mut reg = lock(&self.registry);
        if self.writer_done.load(Ordering::Acquire) {
            let mut late = 0u64;
            for o in &mut reg.orphans {
                late += crate::writer::discard_all(&mut o.consumer);
            }
            WriterCounters::add(&self.counters.dropped, late);
        }
        let mut s = reg.retired;
        for r in &reg.live {
            r.counters.fill(&mut s);
        }
        drop(reg);
        self.misc.fill(&mut s);
        self.counters.fill(&mut s);
        s
    }
}
