//! How a `Block` producer whose ring is full waits for room while the
//! writer runs on another CPU: it spins, bounded, instead of parking.
//!
//! Parking costs the writer more than it costs the producer. A parked
//! producer's CPU goes idle; the writer then wakes it with a `futex` wake
//! that must interrupt that idle CPU (on a virtual machine, an exit on the
//! writer's CPU per wake-up), and the producer's registration issues the
//! heavy fence. The writer is the thread that limits a lossless pipeline
//! whose producer outruns it, so every microsecond it spends waking
//! producers is a microsecond of throughput lost. Measured on a 2-CPU
//! virtual machine, one producer, 1,000,000 deferred lines, 256 KiB ring,
//! the two threads pinned to different CPUs: parking, ~300 sleeps per
//! run and 69–74 ms of writer CPU, 13.1–14.0 M lines/s; not parking, no
//! sleep, 60–65 ms of writer CPU, 15.2–16.0 M lines/s.
//!
//! Spinning pays only where the writer runs on another CPU: on the
//! producer's own CPU a spinning producer would keep the writer from
//! running. So the writer publishes the CPU it last drained on
//! ([`WriterCpu::note`], once per drain pass, and [`WriterCpu::asleep`]
//! before it parks), and a blocked producer spins only while that is
//! another CPU than its own, for at most [`SPIN_FOR`]: about the time the
//! writer needs to free half a ring (`ring::resume_room`) of typical
//! records. No `sched_yield`: under load a yield hands the CPU to another
//! task for a whole slice, and the producer comes back after its ring
//! has run dry. After the bound, or once the writer sleeps or shares the
//! producer's CPU, the producer parks as before (`wake`).
//!
//! A spin that runs out without room means the writer was not draining
//! after all (preempted by other load, or moved onto the producer's CPU
//! since it last published): the producer then parks at once for its
//! next [`Backoff`] blocks, a number that doubles with every spin that
//! runs out (up to [`MAX_SKIP`]) and falls back to [`MIN_SKIP`] when a
//! spin finds room. On a loaded machine spinning thus fades out within a
//! few blocks (measured: without it, at load 6, one run in four reached
//! the rate of parking and three fell to a third of it).
//!
//! # Several producers
//!
//! Two producers and the writer are three threads on 2 CPUs, and the
//! rules above, made for one producer, went wrong twice (measured with the
//! `block_attribution` example, 1,000,000 lines, pwrite, and `perf sched`
//! traces; per run, the warm-up's excepted):
//!
//! - **Spins ran out.** The writer frees half of one full ring only after
//!   reading the full rings before it: up to ~240 µs with two, more than
//!   [`SPIN_FOR`]. Spins found room 0–16 times a run, 10–15 ran out, and
//!   the backoff then parked almost every other block: ~310–370
//!   sleeps a run against 5–30 with one producer, each a wake-up the
//!   writer paid (writer CPU 62–75 ms against 57–59 ms). So a spin's bound
//!   is [`SPIN_FOR`] for each producer blocked at the time
//!   ([`WriterCpu::blocked`], up to [`MAX_SHARES`]).
//! - **A producer stayed beside the writer.** With spins long enough, one
//!   producer spun on one CPU while the other shared the writer's CPU:
//!   that one parked at every block (spinning there would starve the
//!   writer), and each wake-up, finding the other CPU busy with the
//!   spinner, put it back on the writer's CPU, where it preempted the
//!   writer: ~170–190 sleeps and as many preemptions of the writer a run,
//!   the writer running 0.84–0.88 of the time. So while a blocked producer
//!   is parked on the CPU the writer drains on ([`WriterCpu::park`]), no
//!   other producer spins: it parks too, the other CPU goes idle, and the
//!   scheduler puts the next wake-up there instead of beside the writer.
//!   The producers settle on the CPU the writer does not use and take
//!   turns there, spinning.
//!
//! With both: 8–70 sleeps a run, the writer running 0.91–0.98 of the
//! time, as with one producer (0.95–0.99). Section 1's run (1,000,000
//! lines end to end, pwrite, interleaved pairs of 1 and 2 producers on a
//! shared 2-CPU machine): 2 producers ÷ 1, median of 16 pairs, 1.00
//! (0.83–1.27) and 0.98 (0.87–1.12), where before (12 and 10 pairs) 0.92
//! (0.82–1.14) and 0.92 (0.71–1.28); 2 producers new ÷ before 1.06
//! (0.92–1.26, 12 pairs). One
//! producer is unchanged: it is the only one blocked, and no other is
//! parked while it spins (new ÷ before 1.01, 0.76–1.41). Four producers
//! gained nothing measurable (4 ÷ 1: 0.88, 0.77–1.11).
//!
//! This is a hint, not a protocol: a stale CPU number costs at most one
//! bounded spin, and the park that follows re-checks everything; the
//! counts of blocked and parked producers only lengthen or cut a spin.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Longest a blocked producer spins for room before it parks, for each
/// producer blocked at the time (up to [`MAX_SHARES`]).
pub(crate) const SPIN_FOR: Duration = Duration::from_micros(200);
/// The most producers a spin's bound counts.
const MAX_SHARES: u32 = 4;
/// Spin hints between two looks at the clock and at the writer's CPU.
const SPINS_PER_LOOK: u32 = 64;
/// [`WriterCpu`]'s value when the writer is not known to run.
const NONE: u32 = u32::MAX;
/// Blocks parked without spinning after a spin that ran out, at first.
pub(crate) const MIN_SKIP: u32 = 4;
/// The most blocks parked without spinning after spins that ran out.
pub(crate) const MAX_SKIP: u32 = 256;
const _: () = assert!(SPINS_PER_LOOK > 0 && 0 < MIN_SKIP && MIN_SKIP <= MAX_SKIP && MAX_SHARES > 0);

/// One producer's record of how its spins fared: how many of its next
/// blocks park without spinning. Touched only by the ring's producer
/// (atomics only because the ring's shared part holds it).
#[derive(Debug)]
pub(crate) struct Backoff {
    /// Blocks left to park without spinning.
    skip: AtomicU32,
    /// What `skip` becomes when the next spin runs out.
    next: AtomicU32,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            skip: AtomicU32::new(0),
            next: AtomicU32::new(MIN_SKIP),
        }
    }
}

impl Backoff {
    /// Whether this block may spin (counts a skipped one).
    fn may_spin(&self) -> bool {
        // Relaxed: only the producer thread uses these.
        let skip = self.skip.load(Ordering::Relaxed);
        if skip == 0 {
            return true;
        }
        self.skip.store(skip - 1, Ordering::Relaxed);
        false
    }

    /// A spin found room (`true`) or ran out.
    fn spun(&self, found: bool) {
        // Relaxed: as in `may_spin`.
        let next = self.next.load(Ordering::Relaxed);
        if found {
            self.next.store(MIN_SKIP, Ordering::Relaxed);
        } else {
            self.skip.store(next, Ordering::Relaxed);
            self.next.store((next * 2).min(MAX_SKIP), Ordering::Relaxed);
        }
    }
}

/// The CPU the writer last drained on, or none while it sleeps; and how
/// many producers are blocked, and parked beside the writer.
#[derive(Debug)]
pub(crate) struct WriterCpu {
    cpu: AtomicU32,
    /// `Block` producers waiting for room now, spinning or parked
    /// ([`WriterCpu::blocked`]).
    blocked: AtomicU32,
    /// Of those, the ones parked on the CPU the writer last drained on
    /// ([`WriterCpu::park`]).
    beside: AtomicU32,
    /// False: the writer never publishes its CPU and producers park at
    /// once (`Builder::test_no_room_spin`).
    enabled: bool,
}

impl Default for WriterCpu {
    fn default() -> WriterCpu {
        WriterCpu {
            cpu: AtomicU32::new(NONE),
            blocked: AtomicU32::new(0),
            beside: AtomicU32::new(0),
            enabled: true,
        }
    }
}

/// A producer's wait for room, counted in [`WriterCpu`]'s `blocked` or
/// `beside` while it lasts (dropped however the wait ends).
pub(crate) struct Counted<'a>(&'a AtomicU32);

impl<'a> Counted<'a> {
    fn new(count: &'a AtomicU32) -> Counted<'a> {
        // Relaxed: a hint (see the module docs), ordered with nothing.
        count.fetch_add(1, Ordering::Relaxed);
        Counted(count)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        // Relaxed: as in `new`.
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl WriterCpu {
    /// One whose producers never spin: they park at once.
    pub(crate) fn off() -> WriterCpu {
        WriterCpu {
            enabled: false,
            ..WriterCpu::default()
        }
    }

    /// The writer, at a drain pass: publishes its CPU (a store only when
    /// it moved, so the line stays shared with spinning producers).
    #[inline]
    pub(crate) fn note(&self) {
        if !self.enabled {
            return;
        }
        let cpu = current_cpu();
        // Relaxed: a hint (see the module docs), ordered with nothing.
        if self.cpu.load(Ordering::Relaxed) != cpu {
            self.cpu.store(cpu, Ordering::Relaxed);
        }
    }

    /// The writer, before it parks: producers stop spinning for it.
    pub(crate) fn asleep(&self) {
        // Relaxed: a hint, as in `note`.
        self.cpu.store(NONE, Ordering::Relaxed);
    }

    /// A producer whose ring is full: counted as blocked until the
    /// returned guard is dropped (see "Several producers" in the module
    /// docs).
    pub(crate) fn blocked(&self) -> Counted<'_> {
        Counted::new(&self.blocked)
    }

    /// A blocked producer parks through `wait`: counted as parked beside
    /// the writer while it does, if the writer was last seen draining on
    /// the caller's CPU (then no other producer spins: see "Several
    /// producers" in the module docs).
    pub(crate) fn park(&self, wait: impl FnOnce()) {
        let _beside = (self.enabled && self.on(current_cpu())).then(|| Counted::new(&self.beside));
        wait();
    }

    /// Whether the writer was last seen draining on `cpu`.
    fn on(&self, cpu: u32) -> bool {
        // Relaxed: a hint, as in `note`.
        let w = self.cpu.load(Ordering::Relaxed);
        w != NONE && w == cpu
    }

    /// Whether a spin may go on: the writer was last seen draining on a
    /// CPU other than the caller's, and no blocked producer is parked on
    /// the writer's CPU.
    fn worth_spinning(&self) -> bool {
        // Relaxed: hints, as in `note`.
        let w = self.cpu.load(Ordering::Relaxed);
        w != NONE && w != current_cpu() && self.beside.load(Ordering::Relaxed) == 0
    }

    /// How long a spin may last: [`SPIN_FOR`] for each producer blocked
    /// now (the writer frees half of one ring after it has read the full
    /// rings before it), up to [`MAX_SHARES`] of them.
    fn spin_bound(&self) -> Duration {
        // Relaxed: a hint, as in `note`.
        let blocked = self.blocked.load(Ordering::Relaxed);
        SPIN_FOR * blocked.clamp(1, MAX_SHARES)
    }

    /// Spins until `ready()`, for at most [`WriterCpu::spin_bound`], while
    /// spinning is worth it (the writer runs on another CPU and no producer
    /// is parked beside it) and `backoff` allows; true when `ready()` came
    /// true, false when the caller should park.
    pub(crate) fn spin_until(&self, backoff: &Backoff, mut ready: impl FnMut() -> bool) -> bool {
        if !self.worth_spinning() || !backoff.may_spin() {
            return false;
        }
        let start = Instant::now();
        let bound = self.spin_bound();
        while self.worth_spinning() {
            for _ in 0..SPINS_PER_LOOK {
                if ready() {
                    backoff.spun(true);
                    return true;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() >= bound {
                backoff.spun(false);
                return false;
            }
        }
        false
    }
}

/// The CPU the calling thread runs on (`NONE` if the kernel cannot say).
fn current_cpu() -> u32 {
    // SAFETY: sched_getcpu has no preconditions; glibc reads it from the
    // thread's rseq area (or the vDSO), no system call.
    let cpu = unsafe { libc::sched_getcpu() };
    u32::try_from(cpu).unwrap_or(NONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the calling thread (a test's own) to the CPU it runs on.
    fn pin_here() {
        // SAFETY: an all-zero cpu_set_t is an empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: the CPU number the kernel gave is below CPU_SETSIZE.
        unsafe { libc::CPU_SET(current_cpu() as usize, &mut set) };
        // SAFETY: `set` is a valid cpu_set_t of the size passed.
        let r = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
        assert_eq!(r, 0, "sched_setaffinity: {}", std::io::Error::last_os_error());
    }

    #[test]
    fn a_writer_asleep_unknown_or_on_the_callers_cpu_gets_no_spin() {
        let w = WriterCpu::default();
        let mut looks = 0;
        assert!(!w.spin_until(&Backoff::default(), || {
            looks += 1;
            true
        }));
        assert_eq!(looks, 0, "no writer seen yet: park at once");
        pin_here();
        w.note();
        assert!(!w.spin_until(&Backoff::default(), || {
            looks += 1;
            true
        }));
        assert_eq!(looks, 0, "the writer on this CPU: park at once");
        w.cpu.store(NONE - 1, Ordering::Relaxed);
        w.asleep();
        assert!(!w.spin_until(&Backoff::default(), || {
            looks += 1;
            true
        }));
        assert_eq!(looks, 0, "the writer asleep: park at once");
        let off = WriterCpu::off();
        off.note();
        assert!(!off.spin_until(&Backoff::default(), || true), "turned off: park at once");
    }

    #[test]
    fn a_writer_on_another_cpu_is_spun_for_until_ready_or_the_bound() {
        let w = WriterCpu::default();
        // A CPU number no thread runs on: always another CPU.
        w.cpu.store(NONE - 1, Ordering::Relaxed);
        let mut looks = 0;
        assert!(w.spin_until(&Backoff::default(), || {
            looks += 1;
            looks == 3
        }));
        assert_eq!(looks, 3, "ready on the third look");
        let start = Instant::now();
        assert!(!w.spin_until(&Backoff::default(), || false));
        assert!(start.elapsed() >= SPIN_FOR, "gave up before the bound");
    }

    #[test]
    fn spins_that_run_out_back_off_and_one_that_finds_room_resets() {
        let w = WriterCpu::default();
        w.cpu.store(NONE - 1, Ordering::Relaxed);
        let b = Backoff::default();
        let mut looks = 0u32;
        let mut block = |ready: bool| {
            let before = looks;
            w.spin_until(&b, || {
                looks += 1;
                ready
            });
            looks > before
        };
        // Ran out: the next MIN_SKIP blocks park at once, then one spins.
        assert!(block(false));
        for _ in 0..MIN_SKIP {
            assert!(!block(true), "parked without spinning");
        }
        assert!(block(false), "spins again after the skipped blocks");
        // Ran out twice in a row: twice as many skipped.
        for _ in 0..2 * MIN_SKIP {
            assert!(!block(true));
        }
        assert!(block(true), "found room");
        assert!(block(false), "found room last time: no skip");
        for _ in 0..MIN_SKIP {
            assert!(!block(true), "back to the shortest skip");
        }
        assert!(block(true));
    }

    #[test]
    fn a_producer_parked_beside_the_writer_stops_the_others_spinning() {
        let w = WriterCpu::default();
        pin_here();
        w.note();
        let mut looks = 0;
        w.park(|| {
            assert_eq!(w.beside.load(Ordering::Relaxed), 1);
            // The writer seen elsewhere: worth a spin, but for the
            // producer parked on the writer's CPU.
            w.cpu.store(NONE - 1, Ordering::Relaxed);
            assert!(!w.spin_until(&Backoff::default(), || {
                looks += 1;
                true
            }));
        });
        assert_eq!(looks, 0, "a producer parked beside the writer: park at once");
        assert_eq!(w.beside.load(Ordering::Relaxed), 0);
        assert!(w.spin_until(&Backoff::default(), || true), "none parked: spin");
        // Parked while the writer drains elsewhere: not beside it.
        w.park(|| assert!(w.spin_until(&Backoff::default(), || true)));
        assert_eq!(w.beside.load(Ordering::Relaxed), 0);
        let off = WriterCpu::off();
        off.note();
        off.cpu.store(current_cpu(), Ordering::Relaxed);
        off.park(|| assert_eq!(off.beside.load(Ordering::Relaxed), 0, "turned off: not counted"));
    }

    #[test]
    fn the_spin_bound_counts_the_producers_blocked() {
        let w = WriterCpu::default();
        assert_eq!(w.spin_bound(), SPIN_FOR);
        let first = w.blocked();
        assert_eq!(w.spin_bound(), SPIN_FOR);
        let second = w.blocked();
        assert_eq!(w.spin_bound(), 2 * SPIN_FOR);
        let more: Vec<_> = (0..5).map(|_| w.blocked()).collect();
        assert_eq!(w.spin_bound(), MAX_SHARES * SPIN_FOR);
        drop(more);
        drop(second);
        assert_eq!(w.spin_bound(), SPIN_FOR);
        drop(first);
        assert_eq!(w.blocked.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn the_skip_stops_doubling_at_its_bound() {
        let b = Backoff::default();
        for _ in 0..20 {
            b.spun(false);
        }
        assert_eq!(b.skip.load(Ordering::Relaxed), MAX_SKIP);
    }
}
