//! The wake protocol: how producers, flushers and the writer sleep and wake
//! each other, in one place.
//!
//! Every wait in the engine is an [`EventCount`]: the waiter announces
//! itself ([`EventCount::prepare_wait`]), re-checks its condition, then
//! either withdraws ([`EventCount::cancel`]) or sleeps
//! ([`EventCount::commit_wait`]); whoever makes the condition true calls
//! [`EventCount::notify`] afterwards. Three channels use it:
//!
//! | channel | waits | notifies |
//! |---|---|---|
//! | `Shared::wake` | the writer, out of work | producers after each commit (every front end commits through `Producer`), flush, sync and reopen requests, the reopen signal's handler, shutdown, a producer's exit |
//! | `RingShared::room` | a `Block` producer whose ring is full (a byte ring or a crash-safe ring file) | the writer after releasing ring space, once half the byte ring is free (see "Waking at a threshold"; for a ring file: the keeper after each commit, which is when its space comes back); the writer's exit |
//! | `FlushState::event` | `flush`, `flush_sync`, `reopen` callers | the writer acknowledging a ticket; the writer's exit |
//!
//! The writer's sleep has a deadline only for its own timers (a periodic
//! sync, a deferred sink's next turn); see `writer`. Before it registers,
//! the writer *lingers* (see below).
//!
//! # Guarantees
//!
//! - **No lost wake-up.** A condition made true before `notify` is seen by
//!   the waiter's re-check, or the waiter is woken. No registered sleep
//!   needs a timeout to notice anything; a lingering sleep (below) is not
//!   registered and lasts one short step.
//! - **Cheap notify.** `notify` is a fence (a compiler fence where the
//!   asymmetric barrier is available, see below) and one relaxed load of a
//!   word that changes only when a waiter comes or goes; a syscall happens
//!   only when a waiter is registered — never while the writer lingers.
//! - **One wake-up per sleep.** The first `notify` that finds waiters
//!   *claims* them (clears the count) and makes the one `futex` wake call;
//!   later ones find no waiter. A burst of records into a sleeping writer
//!   pays one wake-up, not one per record.
//! - **Async-signal-safe notify.** `notify` takes no lock and allocates
//!   nothing: atomics and at most one `futex(2)` call. A signal handler may
//!   call it (e.g. to wake the writer for a reopen), provided the event
//!   count outlives the handler's use of it.
//!
//! # The word
//!
//! One `u32`, also the futex word: the low [`WAITER_BITS`] bits count
//! registered waiters, the rest is an epoch that every claim advances.
//! A waiter's [`WaitKey`] is the word as its registration left it.
//!
//! # Why nothing is lost: the memory-ordering argument
//!
//! The notifier runs (P1) publish the condition (a ring commit, a ticket,
//! `closed`), (P2) the *light* fence, (P3) a relaxed load of the word,
//! and, if it shows waiters, (P4) a CAS that zeroes the count and advances
//! the epoch (Release), then (P5) `futex_wake`. The waiter runs (W1) a
//! compare-exchange adding itself to the count (SeqCst), (W2) the *heavy* fence, (W3) its
//! re-check of the condition, and (W4) `futex_wait` on the word while the
//! epoch is its key's.
//!
//! 1. This is the store-buffering pattern (P1 then P3 against W1 then W3).
//!    With a fence pair between each store and load, at least one side
//!    sees the other: W3 sees P1 (the waiter does not sleep), or P3 reads
//!    W1 or a later value of the word.
//! 2. In the second case either P3's value counts waiters, and P4 claims
//!    them (retrying on the latest value), or it counts none. Only a claim
//!    zeroes the count while our waiter is in it (cancelling removes only
//!    the canceller's own unit), so then a claim happened after W1 and the
//!    epoch already moved. Either way the epoch differs from the key.
//! 3. `futex_wait(word, key)` compares the word with the key inside the
//!    kernel, atomically with queueing the waiter: a claim before that
//!    makes it return at once (`EAGAIN`), a claim after it is followed by
//!    P5, which finds the waiter queued.
//! 4. A waiter that sees the new epoch (Acquire) reads from the claim
//!    (Release), so what the notifier published before P4 is visible to
//!    its next re-check. Callers always re-check after waking; spurious
//!    returns (another waiter's registration changed the word, a signal)
//!    are harmless.
//!
//! # Waking at a threshold
//!
//! A `Block` producer whose ring is full does not resume at the first
//! byte freed: it waits until the ring has [`crate::ring::resume_room`]
//! free (half of it, or the record if larger), and the writer, releasing
//! space batch by batch, wakes it only once that much is free
//! ([`EventCount::notify_if`]). While the writer drains on another CPU,
//! the producer spins for that room instead of registering (bounded; see
//! `room_spin`), and the writer's release then finds no waiter to wake.
//! A producer then runs once per half ring
//! instead of once per batch, and does not take a CPU from the writer
//! (on 2 CPUs, two producers and the writer are three threads) before
//! the writer has made real room. Nothing is lost: the notifier tests
//! its threshold after P3, with its own count of released bytes (exact)
//! and the producer's count of committed bytes (loaded: never above the
//! latest), so it never sees less room than there is; every release
//! that leaves at least the threshold free wakes a registered waiter,
//! and the last one of a draining ring leaves it all free. A waiter
//! whose record needs more than the threshold may be woken early and
//! waits again. Every other way the producer's wait ends (the writer's
//! exit, shutdown giving up, the ring abandoned) notifies without a
//! threshold.
//!
//! # The asymmetric barrier
//!
//! Notifiers are the hot side (a producer after every record), waiters the
//! rare side (a writer about to sleep). `RingShared::room` is the
//! exception: its notifier is the writer, once per run of records it
//! releases, and its waiter a blocked producer, whose `membarrier` would
//! interrupt the writer's CPU each time; that channel always uses plain
//! fences. Where the kernel offers it, the
//! heavy fence is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` (the
//! process registers once, at build, with `..._REGISTER_PRIVATE_EXPEDITED`)
//! and the light fence is only a compiler fence. `membarrier` makes every
//! running thread of the process execute a full barrier before it returns;
//! let M be that point on the notifier's CPU (a context switch if it was
//! not running). If M comes before P1 in the notifier's program order, W1
//! (done before the call) is visible to P3, which follows M; otherwise P1
//! is globally visible at M, before W3. The compiler fence keeps P1 before
//! P3 in program order. This is the pairing liburcu's `smp_mb_slave` and
//! folly's `asymmetric_thread_fence_{light,heavy}` rely on. Where
//! `membarrier` is refused (seccomp, kernels before 4.14), both fences are
//! `fence(SeqCst)`: one full fence per record on the producer's side.
//! [`Barrier::detect`] chooses once per logger, and `wake_mechanism()` says
//! which. If `membarrier` fails after registration succeeded, the waiter
//! falls back to a full fence and bounds its sleep by [`FALLBACK_SLEEP`]:
//! correctness is kept, only then may a record wait that long.
//!
//! # Lingering
//!
//! A wake-up costs the notifier a `futex` wake (1–2 µs, more on a busy
//! machine): the first record of every burst into a sleeping writer paid
//! it, and those calls were the caller's p99.9. So a waiter that ran out
//! of work recently may *linger* before it registers: it polls its
//! condition between short timed sleeps (a quarter of the time since its
//! last work, from [`Linger::STEP_MIN`] to [`Linger::STEP_MAX`]) without
//! registering, for a bounded period ([`Linger`], `Builder::linger_us`)
//! counted from its last work. A notify during the linger finds no waiter
//! and makes no syscall (nor does it cut the sleep short); the waiter
//! notices the condition within one step. When the period is over the
//! waiter goes through the protocol above — prepare, re-check, commit —
//! so lingering adds a bound on how late a condition is noticed while it
//! lasts, never a way to miss one: every path to a sleep without a bound
//! still registers and re-checks first. Only the writer lingers (flushers
//! and `Block` producers wait at once: their wake-ups are rare).
//!
//! The price is the waiter's: about one wake-up per step while it lingers
//! (each a timer expiry and a re-check), and none once it sleeps deep.
//!
//! # The writer's one wait
//!
//! While batches are in flight on io_uring, the writer sleeps in
//! `io_uring_enter` with an `IORING_OP_FUTEX_WAIT` on `Shared::wake`'s word
//! queued beside its writes (Linux 6.7+, see `io::uring`), so a completion
//! and a producer's `notify` wake the same wait. [`EventRef`] keeps the word
//! alive for as long as the ring may reference it.
//!
//! # Model
//!
//! `wake/loom_tests.rs` checks the protocol under loom (`RUSTFLAGS="--cfg
//! loom" cargo test -p uringlog --release --lib loom`), with both fences
//! as `fence(SeqCst)` — the guarantee the membarrier pair provides — and
//! the futex emulated by a mutex and a condition variable. A lingering
//! sleep is a yield there (the model has no time): the models check that
//! a waiter which lingers, then registers, misses nothing, and that a
//! condition it notices while lingering cost its notifier no wake-up.

use crate::sync::{fence, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Low bits of the word that count waiters.
pub(crate) const WAITER_BITS: u32 = 8;
/// One waiter in the word.
const WAITER: u32 = 1;
/// The waiter count's bits.
const WAITERS: u32 = (1 << WAITER_BITS) - 1;
/// One epoch step.
const EPOCH: u32 = 1 << WAITER_BITS;
const _: () = assert!(WAITER_BITS >= 1 && WAITER_BITS <= 16);
/// Longest sleep of a waiter that could not rely on the protocol: its
/// heavy fence failed, or the waiter count was full (more than
/// [`WAITERS`] waiters at once); it then re-checks its condition.
pub(crate) const FALLBACK_SLEEP: Duration = Duration::from_millis(1);

/// `membarrier(2)` commands (`linux/membarrier.h`).
const MEMBARRIER_CMD_QUERY: libc::c_int = 0;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

/// The barrier a logger uses, and why (for `Logger::wake_mechanism`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BarrierChoice {
    pub barrier: Barrier,
    pub note: String,
}

/// Which fences pair notifiers with waiters (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Barrier {
    /// Waiters issue `membarrier`; notifiers a compiler fence.
    Membarrier,
    /// Both sides issue `fence(SeqCst)`.
    Fence,
}

impl BarrierChoice {
    /// For a logger without a writer to wake (sync mode, the facade's
    /// placeholder): plain fences, no `membarrier` registration.
    pub(crate) fn no_writer(why: &str) -> BarrierChoice {
        BarrierChoice {
            barrier: Barrier::Fence,
            note: format!("{why}: no writer to wake"),
        }
    }
}

impl Barrier {
    /// Registers the process for `membarrier(PRIVATE_EXPEDITED)` and returns
    /// `Membarrier`, or `Fence` where that is refused or `force_fence` (a test
    /// hook) asks for it; with a description for `Logger::wake_mechanism`.
    pub(crate) fn detect(force_fence: bool) -> BarrierChoice {
        let (barrier, note) = Barrier::probe(force_fence);
        BarrierChoice { barrier, note }
    }

    fn probe(force_fence: bool) -> (Barrier, String) {
        if force_fence {
            return (Barrier::Fence, fence_note("forced by the test hook"));
        }
        match membarrier(MEMBARRIER_CMD_QUERY) {
            Err(e) => (Barrier::Fence, fence_note(&format!("membarrier: {e}"))),
            Ok(cmds) if cmds & libc::c_long::from(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0 => (
                Barrier::Fence,
                fence_note("membarrier lacks PRIVATE_EXPEDITED: kernel older than 4.14"),
            ),
            Ok(_) => match membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) {
                Err(e) => (
                    Barrier::Fence,
                    fence_note(&format!("membarrier registration: {e}")),
                ),
                Ok(_) => (
                    Barrier::Membarrier,
                    "wake-ups: membarrier (a producer pays a compiler fence per record)".to_owned(),
                ),
            },
        }
    }

    /// The notifier's fence: between publishing a condition and reading the word.
    #[inline(always)]
    fn light(self) {
        #[cfg(not(loom))]
        match self {
            // Pairs with the `membarrier` in `heavy`: see the module docs.
            Barrier::Membarrier => std::sync::atomic::compiler_fence(Ordering::SeqCst),
            // Pairs with the SeqCst fence in `heavy`.
            Barrier::Fence => fence(Ordering::SeqCst),
        }
        // The model checks the protocol with the pair as SeqCst fences.
        #[cfg(loom)]
        {
            let _ = self;
            fence(Ordering::SeqCst);
        }
    }

    /// The waiter's fence: between registering and re-checking. False when
    /// `membarrier` failed (a full fence was issued instead, which does not
    /// pair with a notifier's compiler fence).
    fn heavy(self) -> bool {
        // Pairs with `light` in every mode; in `Fence` mode it is the whole barrier.
        fence(Ordering::SeqCst);
        #[cfg(not(loom))]
        if self == Barrier::Membarrier {
            return membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED).is_ok();
        }
        let _ = self;
        true
    }
}

fn fence_note(why: &str) -> String {
    format!("wake-ups: a SeqCst fence per record ({why})")
}

/// `membarrier(cmd, 0, 0)`.
fn membarrier(cmd: libc::c_int) -> Result<libc::c_long, std::io::Error> {
    // SAFETY: membarrier takes no pointers; an unknown command fails with EINVAL.
    let r = unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0, 0) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// How long a waiter polls its condition, unregistered, after its last
/// work before it registers (see "Lingering" in the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Linger {
    /// How long after the last work the waiter lingers; zero: never.
    period: Duration,
}

impl Linger {
    /// The shortest lingering sleep, right after the last work.
    pub(crate) const STEP_MIN: Duration = Duration::from_micros(50);
    /// The longest: a condition made true while the waiter lingers is
    /// noticed within this (plus the kernel's timer slack, 50 µs for a
    /// thread of normal priority).
    pub(crate) const STEP_MAX: Duration = Duration::from_micros(200);
    /// A step is this fraction of the time since the last work (within
    /// the bounds above): a record after a short pause is noticed sooner,
    /// and a long linger costs fewer wake-ups.
    const STEP_DIVISOR: u32 = 4;

    pub(crate) fn new(period: Duration) -> Linger {
        Linger { period }
    }

    /// Whether the waiter lingers at all (a period above zero).
    pub(crate) fn is_on(&self) -> bool {
        !self.period.is_zero()
    }

    /// The sleep to take before polling again, the last work having been
    /// done at `last_work`; `None` when the linger is over (or off):
    /// register.
    pub(crate) fn next_sleep(&self, last_work: Instant, now: Instant) -> Option<Duration> {
        let end = last_work.checked_add(self.period)?;
        let left = end.checked_duration_since(now).filter(|l| !l.is_zero())?;
        let idle = now.saturating_duration_since(last_work) / Linger::STEP_DIVISOR;
        Some(left.min(idle.clamp(Linger::STEP_MIN, Linger::STEP_MAX)))
    }

    /// Sleeps `d` without registering: notifies make no syscall and do
    /// not cut the sleep short. The caller re-checks its condition after.
    pub(crate) fn sleep(&self, d: Duration) {
        #[cfg(not(loom))]
        std::thread::sleep(d);
        // The model has no time: a lingering sleep lets the others run.
        #[cfg(loom)]
        {
            let _ = d;
            loom::thread::yield_now();
        }
    }
}

/// A waiter's registration: the word as it left it.
#[must_use = "a prepared wait must be cancelled or committed"]
#[derive(Debug, Clone, Copy)]
pub(crate) struct WaitKey {
    /// The word just after registering (epoch and count).
    seen: u32,
    /// The heavy fence failed: bound the sleep.
    degraded: bool,
    /// Not counted (the count was full): poll instead of sleeping unboundedly.
    crowded: bool,
}

impl WaitKey {
    /// The futex value to wait on (for a wait queued in io_uring).
    pub(crate) fn futex_value(&self) -> u32 {
        self.seen
    }

    /// How long a wait on this key may sleep at most: [`FALLBACK_SLEEP`]
    /// when the protocol cannot be relied on (degraded or crowded).
    pub(crate) fn bound(&self) -> Option<Duration> {
        (self.degraded || self.crowded).then_some(FALLBACK_SLEEP)
    }
}

/// How a committed wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woken {
    /// A notify claimed this waiter.
    Notified,
    /// The deadline (or a bound, see [`WaitKey::bound`]) passed first.
    TimedOut,
}

/// An event count: see the module docs.
#[derive(Debug)]
pub(crate) struct EventCount {
    /// Epoch (high bits) and waiter count (low [`WAITER_BITS`] bits); the futex word.
    word: AtomicU32,
    barrier: Barrier,
    /// Registrations (`prepare_wait` calls that counted a waiter; statistics).
    waits: AtomicU64,
    /// Notifies that claimed waiters and called `futex_wake` (statistics, Relaxed).
    wakes: AtomicU64,
    /// Waiters past their re-check (a debug view, see [`Self::mark_committed`]).
    committed: AtomicU32,
    #[cfg(loom)]
    futex: loom_futex::Futex,
}

impl EventCount {
    pub(crate) fn new(barrier: Barrier) -> EventCount {
        EventCount {
            word: AtomicU32::new(0),
            barrier,
            waits: AtomicU64::new(0),
            wakes: AtomicU64::new(0),
            committed: AtomicU32::new(0),
            #[cfg(loom)]
            futex: loom_futex::Futex::new(),
        }
    }

    /// Registers the caller as a waiter (W1, W2). Re-check the condition
    /// afterwards, then [`cancel`](Self::cancel) or
    /// [`commit_wait`](Self::commit_wait).
    pub(crate) fn prepare_wait(&self) -> WaitKey {
        let mut cur = self.word.load(Ordering::Relaxed);
        let crowded = loop {
            if cur & WAITERS == WAITERS {
                break true; // the count is full: do not register, poll
            }
            // SeqCst RMW, then the heavy fence: ordered before the re-check
            // (W3); pairs with the notifier's light fence (see module docs).
            match self.word.compare_exchange_weak(
                cur,
                cur + WAITER,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    cur += WAITER;
                    // Relaxed: a statistic.
                    self.waits.fetch_add(1, Ordering::Relaxed);
                    break false;
                }
                Err(now) => cur = now,
            }
        };
        let degraded = !self.barrier.heavy();
        WaitKey {
            seen: cur,
            degraded,
            crowded,
        }
    }

    /// Withdraws a registration whose re-check found the condition true.
    /// Returns true if a notify had claimed it meanwhile.
    pub(crate) fn cancel(&self, key: WaitKey) -> bool {
        if key.crowded {
            return false;
        }
        let mut cur = self.word.load(Ordering::Relaxed);
        loop {
            if epoch(cur) != epoch(key.seen) {
                return true; // claimed: the notifier already removed us
            }
            // Relaxed: removes only our own unit; orders nothing else.
            match self.word.compare_exchange_weak(
                cur,
                cur - WAITER,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return false,
                Err(now) => cur = now,
            }
        }
    }

    /// Sleeps until a notify claims the waiter or `deadline` passes (W4).
    /// On a timeout the registration is withdrawn.
    pub(crate) fn commit_wait(&self, key: WaitKey, deadline: Option<Instant>) -> Woken {
        if key.crowded {
            // Not registered: no notify will claim us; sleep a bounded
            // while (a notify's wake-all still cuts it short).
            self.futex_wait(self.word.load(Ordering::Relaxed), Some(FALLBACK_SLEEP));
            return Woken::TimedOut;
        }
        let deadline = match key.bound() {
            Some(b) => Some(deadline.map_or(Instant::now() + b, |d| d.min(Instant::now() + b))),
            None => deadline,
        };
        loop {
            // Acquire: pairs with the claim's Release CAS in `notify_slow`,
            // so what the notifier published is visible to the re-check.
            let cur = self.word.load(Ordering::Acquire);
            if epoch(cur) != epoch(key.seen) {
                return Woken::Notified;
            }
            let left = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => {
                        return match self.cancel(key) {
                            true => Woken::Notified,
                            false => Woken::TimedOut,
                        }
                    }
                },
            };
            self.futex_wait(cur, left);
        }
    }

    /// Prepares, re-checks `ready`, waits; until `ready()` or `deadline`.
    /// Returns the last `ready()`.
    pub(crate) fn wait_until(
        &self,
        mut ready: impl FnMut() -> bool,
        deadline: Option<Instant>,
    ) -> bool {
        loop {
            if ready() {
                return true;
            }
            let key = self.prepare_wait();
            if ready() {
                self.cancel(key);
                return true;
            }
            if self.commit_wait(key, deadline) == Woken::TimedOut
                && deadline.is_some_and(|d| Instant::now() >= d)
            {
                return ready();
            }
        }
    }

    /// Wakes the waiters, if any, after the caller made a condition true
    /// (P2, P3; P4 and P5 only when waiters are registered).
    /// Async-signal-safe: atomics and at most one `futex(2)` call.
    #[inline]
    pub(crate) fn notify(&self) {
        self.barrier.light();
        self.notify_after_light();
    }

    /// [`notify`](Self::notify) by a caller that knows this event count's
    /// barrier is [`Barrier::Membarrier`] (it asked [`EventCount::barrier`]
    /// once): its light fence, a compiler fence, without the compare
    /// that picks it.
    #[inline(always)]
    pub(crate) fn notify_membarrier(&self) {
        debug_assert_eq!(self.barrier, Barrier::Membarrier);
        Barrier::Membarrier.light();
        self.notify_after_light();
    }

    /// The rest of a notify once the light fence is issued: claims and
    /// wakes the waiters if any are registered.
    #[inline(always)]
    fn notify_after_light(&self) {
        // Relaxed: ordered after the caller's publication by the light
        // fence, which pairs with the waiter's heavy fence.
        if self.word.load(Ordering::Relaxed) & WAITERS != 0 {
            self.notify_slow();
        }
    }

    /// The barrier this event count's notifiers and waiters pair with.
    pub(crate) fn barrier(&self) -> Barrier {
        self.barrier
    }

    /// As [`notify`](Self::notify), but claims the waiters only when
    /// `enough()` holds (see "Waking at a threshold" in the module docs):
    /// evaluated after the light fence, and only when waiters are
    /// registered. `enough` must hold whenever the waiters' condition may,
    /// given what the caller published; erring towards true costs a
    /// waiter a spurious wake-up, never a lost one.
    #[inline]
    pub(crate) fn notify_if(&self, enough: impl FnOnce() -> bool) {
        self.barrier.light();
        // Relaxed: ordered after the caller's publication by the light
        // fence, as in `notify`; `enough` reads after it.
        if self.word.load(Ordering::Relaxed) & WAITERS != 0 && enough() {
            self.notify_slow();
        }
    }

    /// Claims every registered waiter (P4) and wakes them (P5).
    #[cold]
    #[inline(never)]
    fn notify_slow(&self) {
        let mut cur = self.word.load(Ordering::Relaxed);
        loop {
            if cur & WAITERS == 0 {
                return; // another notify claimed them
            }
            let next = (cur & !WAITERS).wrapping_add(EPOCH);
            // Release: pairs with the Acquire load in `commit_wait`.
            match self
                .word
                .compare_exchange_weak(cur, next, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        // Relaxed: a statistic.
        self.wakes.fetch_add(1, Ordering::Relaxed);
        self.futex_wake();
    }

    /// Registrations, and notifies that claimed waiters (each one wake-up
    /// syscall). Every claim takes at least one registration, so the
    /// second never exceeds the first.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.waits.load(Ordering::Relaxed),
            self.wakes.load(Ordering::Relaxed),
        )
    }

    /// Marks a registered waiter as past its re-check (`true`, before it
    /// sleeps) or awake again (`false`). Only a debug view: a test that
    /// sees a committed waiter knows its next record meets a sleeper that
    /// can no longer withdraw on its own re-check, so it pays the wake-up.
    pub(crate) fn mark_committed(&self, on: bool) {
        // Release: the re-check's loads come before the mark.
        if on {
            self.committed.fetch_add(1, Ordering::Release);
        } else {
            self.committed.fetch_sub(1, Ordering::Release);
        }
    }

    /// Whether some registered waiter is past its re-check (a debug view).
    pub(crate) fn any_committed(&self) -> bool {
        // Acquire: pairs with the mark's Release.
        self.committed.load(Ordering::Acquire) > 0
    }

    /// Waiters registered and not yet claimed (a debug view).
    pub(crate) fn waiters(&self) -> u32 {
        // Relaxed: a snapshot for tests.
        self.word.load(Ordering::Relaxed) & WAITERS
    }

    /// The futex word, for a wait queued in io_uring (see [`EventRef`]).
    #[cfg(not(loom))]
    fn word_ptr(&self) -> *const u32 {
        self.word.as_ptr().cast_const()
    }

    /// No futex word under the model (io_uring is not modelled).
    #[cfg(loom)]
    fn word_ptr(&self) -> *const u32 {
        std::ptr::null()
    }

    #[cfg(not(loom))]
    fn futex_wait(&self, expected: u32, timeout: Option<Duration>) {
        sys::futex_wait(&self.word, expected, timeout);
    }

    #[cfg(not(loom))]
    fn futex_wake(&self) {
        sys::futex_wake(&self.word);
    }

    #[cfg(loom)]
    fn futex_wait(&self, expected: u32, _timeout: Option<Duration>) {
        self.futex.wait(&self.word, expected);
    }

    #[cfg(loom)]
    fn futex_wake(&self) {
        self.futex.wake();
    }
}

/// The epoch bits of a word.
#[inline]
fn epoch(word: u32) -> u32 {
    word & !WAITERS
}

/// An event count kept alive by an `Arc` of its owner: what an io_uring
/// `FUTEX_WAIT` may reference until its completion is reaped, and what a
/// signal handler notifies.
pub(crate) struct EventRef {
    /// Keeps `event` valid: it points into this allocation.
    _owner: Arc<dyn Send + Sync>,
    event: *const EventCount,
}

// SAFETY: `event` points into `_owner`'s allocation, which is `Send + Sync`
// and immutable in place (an `Arc`); `EventCount` is `Sync` and only used
// through `&self`.
unsafe impl Send for EventRef {}
// SAFETY: as above; every method takes `&self` and uses atomics only.
unsafe impl Sync for EventRef {}

impl EventRef {
    /// The event count `pick` finds in `owner`.
    pub(crate) fn new<T: Send + Sync + 'static>(
        owner: Arc<T>,
        pick: impl FnOnce(&T) -> &EventCount,
    ) -> EventRef {
        let event: *const EventCount = pick(&owner);
        EventRef {
            _owner: owner,
            event,
        }
    }

    fn event(&self) -> &EventCount {
        // SAFETY: `event` points into `_owner`, alive as long as `self`.
        unsafe { &*self.event }
    }

    /// The event count itself (valid while `self` lives).
    pub(crate) fn as_event_ptr(&self) -> *const EventCount {
        self.event
    }

    /// The futex word's address (valid while `self` lives).
    pub(crate) fn as_ptr(&self) -> *const u32 {
        self.event().word_ptr()
    }

    /// Wakes whatever waits on the word (to retire a queued io_uring wait).
    #[cfg(not(loom))]
    pub(crate) fn wake_all(&self) {
        sys::futex_wake(&self.event().word);
    }

    /// Nothing waits on the model's words in a kernel.
    #[cfg(loom)]
    pub(crate) fn wake_all(&self) {}

    /// Sleeps on the word while it holds `value`, up to `timeout`.
    #[cfg(not(loom))]
    pub(crate) fn wait(&self, value: u32, timeout: Duration) {
        sys::futex_wait(&self.event().word, value, Some(timeout));
    }

    /// Not modelled.
    #[cfg(loom)]
    pub(crate) fn wait(&self, _value: u32, _timeout: Duration) {}
}

#[cfg(not(loom))]
mod sys {
    //! The two `futex(2)` calls.

    use std::sync::atomic::AtomicU32;
    use std::time::Duration;

    /// Sleeps while `*word == expected`, up to `timeout`. Returns on a wake,
    /// a mismatch, a signal or the timeout alike: the caller re-checks.
    pub(super) fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let ts_ptr = ts
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: `word` is a live, aligned u32 the kernel only reads; `ts_ptr`
        // is null or points to a timespec that outlives the call.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                word.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                expected,
                ts_ptr,
            )
        };
    }

    /// Wakes every thread waiting on `word`.
    pub(super) fn futex_wake(word: &AtomicU32) {
        // SAFETY: `word` is a live, aligned u32; FUTEX_WAKE does not access it.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                word.as_ptr(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                i32::MAX,
            )
        };
    }
}

#[cfg(loom)]
mod loom_futex {
    //! `futex(2)` emulated for the model: the mutex plays the kernel's hash
    //! bucket lock, so a wait compares and queues atomically against a wake.

    use crate::sync::{AtomicU32, Ordering};
    use loom::sync::{Condvar, Mutex};

    #[derive(Debug)]
    pub(super) struct Futex {
        lock: Mutex<()>,
        cv: Condvar,
    }

    impl Futex {
        pub(super) fn new() -> Futex {
            Futex {
                lock: Mutex::new(()),
                cv: Condvar::new(),
            }
        }

        pub(super) fn wait(&self, word: &AtomicU32, expected: u32) {
            let g = self.lock.lock().unwrap();
            if word.load(Ordering::SeqCst) == expected {
                drop(self.cv.wait(g).unwrap());
            }
        }

        pub(super) fn wake(&self) {
            let _g = self.lock.lock().unwrap();
            self.cv.notify_all();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
