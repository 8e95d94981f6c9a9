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
//! This is a hint, not a protocol: a stale CPU number costs at most one
//! bounded spin, and the park that follows re-checks everything.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Longest a blocked producer spins for room before it parks.
pub(crate) const SPIN_FOR: Duration = Duration::from_micros(200);
/// Spin hints between two looks at the clock and at the writer's CPU.
const SPINS_PER_LOOK: u32 = 64;
/// [`WriterCpu`]'s value when the writer is not known to run.
const NONE: u32 = u32::MAX;
/// Blocks parked without spinning after a spin that ran out, at first.
pub(crate) const MIN_SKIP: u32 = 4;
/// The most blocks parked without spinning after spins that ran out.
pub(crate) const MAX_SKIP: u32 = 256;
const _: () = assert!(SPINS_PER_LOOK > 0 && 0 < MIN_SKIP && MIN_SKIP <= MAX_SKIP);

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

/// The CPU the writer last drained on, or none while it sleeps.
#[derive(Debug)]
pub(crate) struct WriterCpu {
    cpu: AtomicU32,
    /// False: the writer never publishes its CPU and producers park at
    /// once (`Builder::test_no_room_spin`).
    enabled: bool,
}

impl Default for WriterCpu {
    fn default() -> WriterCpu {
        WriterCpu {
            cpu: AtomicU32::new(NONE),
            enabled: true,
        }
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

    /// Whether the writer was last seen draining on a CPU other than the
    /// caller's.
    fn elsewhere(&self) -> bool {
        // Relaxed: a hint, as in `note`.
        let w = self.cpu.load(Ordering::Relaxed);
        w != NONE && w != current_cpu()
    }

    /// Spins until `ready()`, for at most [`SPIN_FOR`], while the writer
    /// runs on another CPU and `backoff` allows; true when `ready()` came
    /// true, false when the caller should park.
    pub(crate) fn spin_until(&self, backoff: &Backoff, mut ready: impl FnMut() -> bool) -> bool {
        if !self.elsewhere() || !backoff.may_spin() {
            return false;
        }
        let start = Instant::now();
        while self.elsewhere() {
            for _ in 0..SPINS_PER_LOOK {
                if ready() {
                    backoff.spun(true);
                    return true;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() >= SPIN_FOR {
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
    fn the_skip_stops_doubling_at_its_bound() {
        let b = Backoff::default();
        for _ in 0..20 {
            b.spun(false);
        }
        assert_eq!(b.skip.load(Ordering::Relaxed), MAX_SKIP);
    }
}
