//! State shared by a logger's handles, its producers and its writer.

use crate::clock::Clock;
use crate::filter::directive::Directives;
use crate::filter::{CallsiteCache, FilterState};
use crate::fork::Lineage;
use crate::io::{BackendSlot, Cancel};
use crate::level::Level;
use crate::policy::{Formatting, Mode, Policy, Prefault};
use crate::reopen::ReopenFailures;
use crate::ring::{resume_room, ByteConsumer, RingReader};
use crate::room_spin::{Backoff, WriterCpu};
use crate::shutdown::DROP_SHUTDOWN_TIMEOUT;
use crate::stats::{ProducerCounters, Stats, WriterCounters};
use crate::wake::{Barrier, BarrierChoice, EventCount};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Most of the shutdown timeout kept back from deferred sinks (see
/// `Shared::settle_deadline`).
const SETTLE_MARGIN: Duration = Duration::from_millis(500);

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

/// `now + d`, or, when that does not fit the clock (`Duration::MAX` for
/// "no limit"), a time about 136 years ahead that is never reached.
pub(crate) fn deadline_after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(u32::MAX as u64)))
        .unwrap_or(now)
}

/// Locks `m`, ignoring poisoning: every critical section here leaves its
/// data consistent at each step, so a panic elsewhere does not corrupt it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Set in [`Hot::level`] when target directives exist: no level is at or
/// above the byte then, so the one compare of [`Shared::accepts_fast`]
/// fails and the directives are consulted.
pub(crate) const TARGETS_FLAG: u8 = 0x80;
const _: () = assert!((Level::Off as u8) < TARGETS_FLAG);

/// What producers read on every call; written rarely.
#[derive(Debug)]
pub(crate) struct Hot {
    /// The coarse threshold (`Level as u8`): records below it are refused
    /// whatever their target; with [`TARGETS_FLAG`] set when target
    /// directives exist, so that without them one compare accepts a record
    /// (see [`Shared::accepts_fast`]). Written by `set_level`.
    pub level: AtomicU8,
    /// Set once when shutdown begins; producers then count records dropped.
    pub closed: AtomicBool,
    /// The process generation this engine was started in (see `fork`); a
    /// handle in a later one is inherited and goes to the successor.
    pub generation: u64,
    /// The logger's clock, kept on this line so that a call reads one line
    /// of `Shared` before its record; the writer and sync mode read it too.
    pub clock: Clock,
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
    /// The highest `Stats::errors` a returning flush read (see
    /// `Logger::io_result`).
    pub errors_seen: AtomicU64,
    /// Highest `Logger::reopen` ticket handed out.
    pub reopen_requested: AtomicU64,
    /// Highest `Logger::reopen` ticket the writer has carried out.
    pub reopen_done: AtomicU64,
    /// Held by a `Logger::reopen` call from before it asks for its ticket
    /// until it has taken its result: one call at a time, so the one
    /// result the writer leaves is the waiting call's.
    pub reopen_callers: Mutex<()>,
    /// What the writer's last reopen that carried out a `Logger::reopen`
    /// ticket came to (a reopen for a signal alone leaves it alone),
    /// taken by the call that waited for that ticket.
    pub reopen_result: Mutex<ReopenFailures>,
    /// Flushers, syncers and reopeners wait on it for their ticket.
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
            reopen_requested: AtomicU64::new(0),
            reopen_done: AtomicU64::new(0),
            reopen_callers: Mutex::new(()),
            reopen_result: Mutex::new(ReopenFailures::default()),
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
    /// Written by the producer on every call; on cache lines of their own,
    /// away from what the writer reads on every drain.
    pub counters: Padded<ProducerCounters>,
    /// A `Block` producer whose ring is full waits on it for room. Plain
    /// fences on both sides whatever the logger's barrier: the notifier
    /// is the writer (once per released run of records, not per record),
    /// and a waiter's `membarrier` would interrupt every CPU running a
    /// thread of the process, the writer's among them, each time a
    /// producer blocks.
    room: EventCount,
    /// OS id (`gettid`) of the thread that registered the producer; shown
    /// by formats that ask for the thread id.
    pub thread_id: u32,
    /// How the producer's spins for room fared (see `room_spin`).
    pub spin: Backoff,
}

impl RingShared {
    pub(crate) fn new() -> RingShared {
        RingShared {
            counters: Padded::default(),
            room: EventCount::new(Barrier::Fence),
            // SAFETY: gettid has no preconditions and cannot fail.
            thread_id: unsafe { libc::gettid() } as u32,
            spin: Backoff::default(),
        }
    }

    /// A crash-safe ring file's keeper committed (its space came back), or
    /// the writer finished or gave up: wakes a producer waiting for room,
    /// whatever room there is.
    #[inline]
    pub(crate) fn room_released(&self) {
        self.room.notify();
    }

    /// The writer released space in byte ring `ring`: wakes a producer
    /// waiting for room once [`crate::ring::resume_room`] is free (see
    /// `wake`'s "Waking at a threshold"). The smallest record is assumed:
    /// a producer waiting for a larger one re-checks and waits again.
    #[inline]
    pub(crate) fn room_released_in(&self, ring: &ByteConsumer) {
        self.room
            .notify_if(|| ring.free() >= resume_room(ring.capacity(), 0));
    }

    /// A `Block` producer waits until `ready()` (room, or a reason to stop
    /// trying); every change that makes it true is followed by
    /// [`RingShared::room_released`].
    pub(crate) fn wait_for_room(&self, ready: impl FnMut() -> bool) {
        self.room.wait_until(ready, None);
    }

    /// Registrations to wait for room, and wake-ups of them (a debug view).
    pub(crate) fn room_counts(&self) -> (u64, u64) {
        self.room.counts()
    }

    /// Producers registered to wait for room and not woken yet (a debug view).
    pub(crate) fn room_waiters(&self) -> u32 {
        self.room.waiters()
    }
}

/// A producer's ring as the registry and the writer hold it: pending,
/// served by the writer, or orphaned after shutdown.
pub(crate) struct RingHandoff {
    pub reader: RingReader,
    pub shared: Arc<RingShared>,
    /// Registered on the writer thread itself (a sink, or a library it
    /// calls, logging): drained under the feedback rule in `writer::drain`.
    pub on_writer: bool,
    /// Another ring the writer serves was registered by the same thread
    /// (its cached producer and an explicit `Logger::producer`, say), so
    /// the writer never holds this one back to gather (`writer::rings`).
    /// Kept by the writer; false until it adopts the ring.
    pub shares_thread: bool,
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

/// How producers log: where messages are formatted, when rings get memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallConfig {
    pub formatting: Formatting,
    pub prefault: Prefault,
    /// Records carry their call site (`file:line`): some sink's format
    /// shows it (see `Format::with_call_site`).
    pub call_sites: bool,
}

/// What `Logger::recent_errors` shows: errors and sink notices, newest
/// last, and the last error alone (for `FlushError::Io`).
#[derive(Debug, Default)]
pub(crate) struct RecentErrors {
    /// At most `MAX_RECENT_ERRORS`, oldest first.
    pub list: VecDeque<String>,
    /// The newest description of an error (not a notice); empty before one.
    pub last_error: String,
}

impl RecentErrors {
    fn push(&mut self, msg: String) {
        if self.list.len() == MAX_RECENT_ERRORS {
            self.list.pop_front();
        }
        self.list.push_back(msg);
    }
}

/// Everything behind a `Logger`.
pub(crate) struct Shared {
    pub hot: Padded<Hot>,
    /// Default level, target directives and the lowest level any sink
    /// takes (the logger never accepts below it, so every accepted record
    /// has a sink).
    pub filter: FilterState,
    /// Which front ends must hear of a new filter (`log`, `tracing`).
    pub front_ends: crate::front_ends::FrontEnds,
    /// Live `Logger` handles and the guard parked until the last one goes.
    pub lifecycle: crate::lifecycle::Lifecycle,
    pub policy: Policy,
    pub mode: Mode,
    pub calls: CallConfig,
    pub ring_capacity: usize,
    /// How notifiers and waiters of this logger pair their fences.
    pub barrier: Barrier,
    /// Which barrier, and why, for [`crate::Logger::wake_mechanism`].
    pub wake_note: String,
    /// The writer sleeps on it; producers, flushers, reopen requests and
    /// signals, and shutdown notify it.
    pub wake: Padded<EventCount>,
    /// The writer thread, set before `build` returns.
    pub writer_thread: OnceLock<Thread>,
    /// Set when `registry.pending` is non-empty; the writer checks it each pass.
    pub new_rings: AtomicBool,
    pub registry: Mutex<Registry>,
    pub counters: Padded<WriterCounters>,
    /// Calls that never reached a ring (see `count_lost_call`).
    pub misc: ProducerCounters,
    pub flush: FlushState,
    /// The backend in use, published by the writer.
    pub backend: Arc<BackendSlot>,
    /// The writer has finished (after shutdown or a crash).
    pub writer_done: AtomicBool,
    /// OS id (`gettid`) of the writer thread; 0 before it starts and in
    /// sync mode. Set by the writer thread itself, once.
    pub writer_tid: AtomicU32,
    /// Where the writer drains, for `Block` producers waiting for room
    /// (see `room_spin`); on its own line, which spinning producers read.
    pub writer_cpu: Padded<WriterCpu>,
    /// The writer is blocked waiting for a free I/O slot: every one holds
    /// a write in flight (see `IoBackend::full`). Set only while it waits.
    pub writer_waits_for_slot: AtomicBool,
    pub recent_errors: Mutex<RecentErrors>,
    /// When the shutdown in progress gives up; set before `hot.closed`.
    pub shutdown_deadline: Mutex<Option<Instant>>,
    /// Set when shutdown's timeout expired (see [`Shared::give_up`]);
    /// shared with the I/O backend.
    pub cancel: Cancel,
    /// How a forked child starts this logger again (shared by the engines
    /// the logger has in every process of the lineage).
    pub lineage: Arc<Lineage>,
    /// Crash-safe mode: the directory the rings live in.
    pub crash_safe: Option<Arc<crate::crash_safe::CrashDir>>,
}

impl Shared {
    pub(crate) fn new(
        level: Level,
        level_floor: Level,
        policy: Policy,
        mode: Mode,
        calls: CallConfig,
        ring_capacity: usize,
        clock: Clock,
    ) -> Shared {
        let BarrierChoice {
            barrier,
            note: wake_note,
        } = BarrierChoice::no_writer("not started");
        Shared {
            hot: Padded(Hot {
                level: AtomicU8::new(level.max(level_floor) as u8),
                closed: AtomicBool::new(false),
                generation: crate::fork::generation(),
                clock,
            }),
            filter: FilterState::new(Directives::default(), level, level_floor),
            front_ends: Default::default(),
            lifecycle: Default::default(),
            policy,
            mode,
            calls,
            ring_capacity,
            barrier,
            wake_note,
            wake: Padded(EventCount::new(barrier)),
            writer_thread: OnceLock::new(),
            new_rings: AtomicBool::new(false),
            registry: Mutex::new(Registry::default()),
            counters: Padded::default(),
            misc: ProducerCounters::default(),
            flush: FlushState::new(barrier),
            backend: Arc::default(),
            writer_done: AtomicBool::new(false),
            writer_tid: AtomicU32::new(0),
            writer_cpu: Padded::default(),
            writer_waits_for_slot: AtomicBool::new(false),
            recent_errors: Mutex::new(RecentErrors::default()),
            shutdown_deadline: Mutex::new(None),
            cancel: Cancel::default(),
            lineage: Lineage::empty(),
            crash_safe: None,
        }
    }

    /// An engine with no writer, shut down from the start: it accepts
    /// nothing below `level`, counts every record it accepts dropped, and
    /// `flush` says it is shut down.
    pub(crate) fn without_writer(level: Level, lineage: Arc<Lineage>) -> Shared {
        let shared = Shared::new(
            level,
            level,
            Policy::DropNewest,
            Mode::Async,
            CallConfig {
                formatting: Formatting::Caller,
                prefault: Prefault::Lazy,
                call_sites: false,
            },
            crate::builder::MIN_RING_CAPACITY,
            Clock::Realtime,
        )
        .with_lineage(lineage);
        shared.hot.closed.store(true, Ordering::Relaxed);
        shared.writer_done.store(true, Ordering::Relaxed);
        shared
    }

    /// Whether this engine was started in this process (not inherited
    /// through `fork`).
    #[inline]
    pub(crate) fn is_here(&self) -> bool {
        self.hot.generation == crate::fork::generation()
    }

    /// Stops accepting records and wakes the writer to drain and close,
    /// giving deferred sinks until `deadline` to settle (see
    /// `settle_deadline`).
    pub(crate) fn begin_shutdown(&self, deadline: Instant) {
        *lock(&self.shutdown_deadline) = Some(deadline);
        // SeqCst: producers that load `closed` after this count their record
        // dropped; the writer's close drains whatever was pushed before.
        self.hot.closed.store(true, Ordering::SeqCst);
        self.wake_writer();
    }

    /// Sets how a forked child starts this logger again (at build).
    pub(crate) fn with_lineage(mut self, lineage: Arc<Lineage>) -> Shared {
        self.lineage = lineage;
        self
    }

    /// Sets how the writer is woken (at build, before the logger is
    /// shared; until then plain fences).
    pub(crate) fn with_wake(mut self, wake: BarrierChoice) -> Shared {
        self.barrier = wake.barrier;
        self.wake_note = wake.note;
        self.wake = Padded(EventCount::new(wake.barrier));
        self.flush.event = EventCount::new(wake.barrier);
        self
    }

    /// Adds target directives (at build, before the logger is shared).
    pub(crate) fn with_targets(mut self, targets: Directives) -> Shared {
        let default = self.filter.default_level();
        self.filter = FilterState::new(targets, default, self.filter.floor());
        self.hot.0.level = AtomicU8::new(self.filter.coarse_byte());
        self
    }

    /// Whether `level` passes the coarse threshold: a record at `level`
    /// may be accepted for some target (one relaxed load). `Off` never is.
    #[inline]
    pub(crate) fn enabled(&self, level: Level) -> bool {
        let coarse = self.hot.level.load(Ordering::Relaxed) & !TARGETS_FLAG;
        level < Level::Off && level as u8 >= coarse
    }

    /// Whether a record at `level` is accepted whatever its target: no
    /// target directive exists and `level` passes the threshold. One load
    /// and one compare (a constant `level` folds the `Off` check).
    #[inline(always)]
    fn accepts_fast(&self, level: Level) -> Result<(), bool> {
        let byte = self.hot.level.load(Ordering::Relaxed);
        if level < Level::Off && level as u8 >= byte {
            return Ok(());
        }
        // Refused at once without directives; with them, they decide.
        Err(byte & TARGETS_FLAG != 0)
    }

    /// Whether a record at `level` for `target` is accepted (a prefix scan
    /// when target directives exist).
    #[inline]
    pub(crate) fn enabled_for(&self, level: Level, target: &str) -> bool {
        match self.accepts_fast(level) {
            Ok(()) => true,
            Err(targets) => targets && self.enabled_for_target(level, target),
        }
    }

    #[cold]
    #[inline(never)]
    fn enabled_for_target(&self, level: Level, target: &str) -> bool {
        self.enabled(level) && level >= self.filter.threshold_now(target).1
    }

    /// [`Shared::enabled_for`] with the call site's cached decision.
    #[inline]
    pub(crate) fn enabled_at(&self, level: Level, target: &str, cache: &CallsiteCache) -> bool {
        match self.accepts_fast(level) {
            Ok(()) => true,
            Err(targets) => targets && self.enabled_at_target(level, target, cache),
        }
    }

    #[cold]
    #[inline(never)]
    fn enabled_at_target(&self, level: Level, target: &str, cache: &CallsiteCache) -> bool {
        self.enabled(level) && self.filter.enabled_cached(level, target, cache)
    }

    /// Whether a macro call at `cs` is accepted: the call site's cached
    /// decision when it names its target, else a match of `target`.
    #[inline]
    pub(crate) fn enabled_at_site(
        &self,
        level: Level,
        cs: &'static crate::callsite::CallSite,
        target: &str,
    ) -> bool {
        match self.accepts_fast(level) {
            Ok(()) => true,
            Err(targets) => targets && self.enabled_at_site_target(level, cs, target),
        }
    }

    #[cold]
    #[inline(never)]
    fn enabled_at_site_target(
        &self,
        level: Level,
        cs: &'static crate::callsite::CallSite,
        target: &str,
    ) -> bool {
        match cs.target {
            Some(t) => self.enabled_at_target(level, t, &cs.filter),
            None => self.enabled_for_target(level, target),
        }
    }

    /// [`Shared::enabled_for`] for a target in static memory, cached per thread.
    #[inline]
    pub(crate) fn enabled_static(&self, level: Level, target: &'static str) -> bool {
        match self.accepts_fast(level) {
            Ok(()) => true,
            Err(targets) => {
                targets && self.enabled(level) && self.filter.enabled_static(level, target)
            }
        }
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.hot.closed.load(Ordering::Relaxed)
    }

    /// Whether the calling thread is this logger's writer thread (where
    /// sinks run): it must never wait for the writer.
    pub(crate) fn on_writer_thread(&self) -> bool {
        // Relaxed: set once before `build` returns (the start-up channel
        // orders it); 0 (no writer thread) matches no thread.
        let writer = self.writer_tid.load(Ordering::Relaxed);
        // Not `thread::current()`: this may run in a thread-local
        // destructor (`tid::current` may).
        writer != 0 && writer == crate::tid::current()
    }

    /// Wakes the writer if it sleeps, after the caller committed a record
    /// or posted a request (flush or reopen ticket, shutdown). A fence and
    /// one load when the writer is awake; at most one `futex` wake when it
    /// sleeps.
    #[inline]
    pub(crate) fn wake_writer(&self) {
        self.wake.notify();
    }

    /// Shutdown's timeout expired: the writer stops waiting for I/O (its
    /// backend cancels what is in flight) and stops draining, leaving what
    /// is left to be counted dropped; producers blocked for room return at
    /// once, their records counted dropped. For good. `after` is how long
    /// shutdown waited: reports of the I/O it cancels say so.
    pub(crate) fn give_up(&self, after: Duration) {
        self.cancel.cancel_after(after);
        // Both notifies follow the store that makes their waiters' checks
        // true (`gave_up`), as the wake protocol asks.
        self.wake_writer();
        for ring in &lock(&self.registry).live {
            ring.room_released();
        }
    }

    /// Whether shutdown has given up on the writer (see `give_up`).
    #[inline]
    pub(crate) fn gave_up(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// What a report of an I/O that failed with `e` adds when shutdown
    /// gave up on it: `e` is `ECANCELED` and shutdown has given up (see
    /// `give_up`). `None` for any other failure.
    pub(crate) fn cancelled_by_give_up(&self, e: &std::io::Error) -> Option<String> {
        let ms = self.cancel.gave_up_after_ms()?;
        (e.raw_os_error() == Some(libc::ECANCELED))
            .then(|| format!("cancelled: shutdown gave up after {ms} ms"))
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

    /// How long shutdown may let deferred sinks settle: until the
    /// shutdown deadline less a quarter of the time left (at most
    /// `SETTLE_MARGIN`), kept for closing the sinks and answering.
    pub(crate) fn settle_deadline(&self) -> Instant {
        let now = Instant::now();
        let end = lock(&self.shutdown_deadline).unwrap_or(now + DROP_SHUTDOWN_TIMEOUT);
        let left = end.saturating_duration_since(now);
        now + left - (left / 4).min(SETTLE_MARGIN)
    }

    /// A call that never reached a ring — its formatting panicked, or the
    /// thread's producers were unavailable (a thread-local destructor, a
    /// sync-mode sink logging from inside its write): counted enqueued and
    /// dropped.
    #[cold]
    pub(crate) fn count_lost_call(&self) {
        self.count_lost_calls(1);
    }

    /// [`Shared::count_lost_call`] for `n` calls at once.
    pub(crate) fn count_lost_calls(&self, n: u64) {
        self.misc.enqueued.fetch_add(n, Ordering::Relaxed);
        self.misc.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Records the description of an error (counted in `Stats::errors`
    /// by the caller) for `recent_errors` and as the last error.
    pub(crate) fn report_error(&self, msg: String) {
        let mut r = lock(&self.recent_errors);
        r.last_error.clone_from(&msg);
        r.push(msg);
    }

    /// Records a sink's notice (not an error) for `recent_errors`.
    pub(crate) fn report_notice(&self, msg: String) {
        lock(&self.recent_errors).push(msg);
    }

    /// Moves a ring's counters from `live` into the retired totals, exactly
    /// once (a second call finds it gone from `live`).
    pub(crate) fn retire_counters(&self, ring: &Arc<RingShared>) {
        let mut reg = lock(&self.registry);
        retire_locked(&mut reg, ring);
    }

    /// [`Shared::retire_counters`] for many rings at once (a writer pass
    /// that retires the rings of threads that exited together): one lock
    /// and one pass over `live`, not one per ring.
    pub(crate) fn retire_counters_of<'a>(&self, rings: impl Iterator<Item = &'a Arc<RingShared>>) {
        let gone: std::collections::HashSet<*const RingShared> = rings.map(Arc::as_ptr).collect();
        let mut reg = lock(&self.registry);
        let reg = &mut *reg;
        let retired = &mut reg.retired;
        reg.live.retain(|r| {
            let keep = !gone.contains(&Arc::as_ptr(r));
            if !keep {
                r.counters.fill(retired);
            }
            keep
        });
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
