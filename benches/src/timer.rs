//! The timer every caller-side latency is measured with, for every logger
//! alike (uringlog and each peer), and the cost of its empty pair (the
//! overhead row beside every latency table).
//!
//! - [`TimerKind::Tsc`] where the engine would keep time with the CPU's
//!   time-stamp counter ([`uringlog::Clock::best`] picks the TSC only on
//!   x86-64 when the kernel's own clocksource is the TSC, so it is
//!   invariant and synchronised across CPUs). Ticks become nanoseconds at
//!   a rate measured against `CLOCK_MONOTONIC` (the clock `Instant` reads)
//!   in the same process: see [`TickRate`].
//! - [`TimerKind::Instant`] otherwise, or when a job asks for it
//!   ([`TimerChoice::Instant`]): `Instant::now()` before, `elapsed()` after.
//!
//! Either way a figure is the call plus one timer pair: the pair's median
//! around nothing is [`CallTimer::overhead_ns`], shown beside the figures.

use crate::measure::percentile;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Which timer a job asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimerChoice {
    /// The TSC where it is reliable, else `Instant`.
    #[default]
    Auto,
    /// `Instant` whatever the CPU (the harness's timer before the TSC).
    Instant,
}

/// Which timer measured a figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimerKind {
    /// `Instant::now()` and `elapsed()` (a vDSO `clock_gettime` each).
    #[default]
    Instant,
    /// The time-stamp counter, fenced as [`tsc`] says.
    Tsc,
}

impl fmt::Display for TimerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimerKind::Instant => "`Instant::now()` before, `elapsed()` after",
            TimerKind::Tsc => {
                "the TSC (`rdtsc; lfence` before, `rdtscp` after), \
                 its rate measured against `CLOCK_MONOTONIC`"
            }
        })
    }
}

/// Nanoseconds per tick as an exact ratio: `ns` nanoseconds of
/// `CLOCK_MONOTONIC` passed over `ticks` ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickRate {
    /// Ticks measured (above 0).
    pub ticks: u64,
    /// Nanoseconds they took.
    pub ns: u64,
}

impl TickRate {
    /// The rate between two readings, `None` unless both the counter and
    /// the clock moved forward from `a` to `b`.
    pub fn between(a: &Reading, b: &Reading) -> Option<TickRate> {
        let ticks = b.tick().checked_sub(a.tick())?;
        let ns = b.mono_ns.checked_sub(a.mono_ns)?;
        (ticks > 0 && ns > 0).then_some(TickRate { ticks, ns })
    }

    /// `ticks` in nanoseconds, rounded to the nearest (halves up), in
    /// exact integer arithmetic.
    pub fn ns_of(&self, ticks: u64) -> u64 {
        let num = u128::from(ticks) * u128::from(self.ns) + u128::from(self.ticks / 2);
        u64::try_from(num / u128::from(self.ticks)).unwrap_or(u64::MAX)
    }

    /// The most the rate can be off, relative (parts per million), for
    /// two readings as read: each reading's tick is known to within half
    /// its bracket, and each clock value to within a nanosecond.
    pub fn error_ppm(&self, a: &Reading, b: &Reading) -> f64 {
        let tick_err = (a.width() + b.width()) as f64 / 2.0 / self.ticks as f64;
        let ns_err = 2.0 / self.ns as f64;
        (tick_err + ns_err) * 1e6
    }
}

/// A `CLOCK_MONOTONIC` value bracketed by two counter readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// The counter just before the clock was read.
    pub before: u64,
    /// `CLOCK_MONOTONIC`, ns.
    pub mono_ns: u64,
    /// The counter just after.
    pub after: u64,
}

impl Reading {
    /// The tick the clock value is taken to belong to: the bracket's middle.
    pub fn tick(&self) -> u64 {
        self.before + self.width() / 2
    }

    /// Ticks between the bracketing readings.
    pub fn width(&self) -> u64 {
        self.after.saturating_sub(self.before)
    }

    /// The narrowest bracket of `tries` (the clock read as close to the
    /// counter as this process managed).
    fn now(tries: usize) -> Reading {
        (0..tries.max(1))
            .map(|_| {
                let before = tsc::start();
                let mono_ns = monotonic_ns();
                let after = tsc::end();
                Reading {
                    before,
                    mono_ns,
                    after,
                }
            })
            .min_by_key(Reading::width)
            .expect("at least one try")
    }
}

/// How long [`CallTimer::new`] measures the counter's rate.
pub const CALIBRATION: Duration = Duration::from_millis(20);

/// Brackets per reading of the calibration (the narrowest is kept).
const CALIBRATION_TRIES: usize = 64;

/// Timed empty pairs behind [`CallTimer::overhead_ns`].
const OVERHEAD_SAMPLES: usize = 100_000;

/// Times calls: see the module docs.
#[derive(Debug, Clone, Copy)]
pub struct CallTimer {
    kind: TimerKind,
    /// Used when `kind` is `Tsc`.
    rate: TickRate,
    /// How far the rate can be off, ppm (0 for `Instant`).
    rate_error_ppm: f64,
}

impl CallTimer {
    /// The timer `choice` asks for. The TSC is measured against
    /// `CLOCK_MONOTONIC` over [`CALIBRATION`] (the thread sleeps): two
    /// readings, each the narrowest of [`CALIBRATION_TRIES`] brackets of
    /// the clock between two counter readings, the rate their ratio.
    pub fn new(choice: TimerChoice) -> CallTimer {
        let instant = CallTimer {
            kind: TimerKind::Instant,
            rate: TickRate { ticks: 1, ns: 1 },
            rate_error_ppm: 0.0,
        };
        let tsc = choice == TimerChoice::Auto
            && matches!(uringlog::Clock::best(), uringlog::Clock::Tsc(_));
        if !tsc {
            return instant;
        }
        let a = Reading::now(CALIBRATION_TRIES);
        std::thread::sleep(CALIBRATION);
        let b = Reading::now(CALIBRATION_TRIES);
        match TickRate::between(&a, &b) {
            Some(rate) => CallTimer {
                kind: TimerKind::Tsc,
                rate,
                rate_error_ppm: rate.error_ppm(&a, &b),
            },
            None => instant,
        }
    }

    /// Which timer this is.
    pub fn kind(&self) -> TimerKind {
        self.kind
    }

    /// How far the TSC's rate can be off, ppm (0 for `Instant`).
    pub fn rate_error_ppm(&self) -> f64 {
        self.rate_error_ppm
    }

    /// Runs `f` between the two readings and returns the nanoseconds
    /// between them (the call plus one timer pair).
    #[inline(always)]
    pub fn time(&self, f: impl FnOnce()) -> u64 {
        match self.kind {
            TimerKind::Tsc => {
                let a = tsc::start();
                f();
                let b = tsc::end();
                self.rate.ns_of(b.saturating_sub(a))
            }
            TimerKind::Instant => {
                let t = Instant::now();
                f();
                t.elapsed().as_nanos() as u64
            }
        }
    }

    /// Median cost, in ns, of this timer around an empty call: what every
    /// figure it times also includes.
    pub fn overhead_ns(&self) -> u64 {
        let mut v: Vec<u64> = (0..OVERHEAD_SAMPLES)
            .map(|_| self.time(|| black_box(())))
            .collect();
        v.sort_unstable();
        percentile(&v, 0.5)
    }
}

/// `CLOCK_MONOTONIC`, ns: the clock `Instant::now()` reads (and perf's
/// with `-k CLOCK_MONOTONIC`).
#[inline(always)]
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_MONOTONIC
    // exists on Linux, so the call only writes `ts`.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The two counter readings around a timed call.
///
/// The timed call must lie between them, and the counter instructions
/// alone do not promise it: `rdtsc` is ordered with nothing around it, so
/// the call's first instructions may run before the first reading and its
/// last ones after the second; `rdtscp` waits for everything before it but
/// lets what follows start before it reads. Hence:
///
/// - first reading `rdtsc; lfence`: `lfence` lets no later instruction
///   start before everything before it, the reading included, has
///   completed (Intel SDM, RDTSC; on AMD with `lfence` dispatch
///   serializing, as Linux sets it up). No fence in front: the reading may
///   run a little early, which adds to a figure what preceded it and
///   takes nothing of the call away;
/// - second reading `rdtscp`: it waits until every earlier instruction has
///   executed and earlier loads are globally visible (both vendors). No
///   fence after: what follows may start early without moving the reading.
///
/// Measured by the `timer_fences` example (five processes, every variant
/// interleaved, 100,000 pairs each; this machine's counter moves in steps
/// of 10 ns, so the mean below the 99th percentile is given beside the
/// median) around nothing and around a chain of 64 dependent
/// multiply-adds: a plain `rdtsc` pair costs 10–20 ns (mean 15) but shows
/// the chain 28 ns shorter than the fenced pairs do (79 against 107 ns):
/// the chain runs partly outside it; `lfence; rdtsc` twice, or `rdtscp`
/// twice, cost 30 ns (mean 28) but still show it 12 ns short (95 ns): its
/// start runs before the first reading, as it does with `Instant` (40 ns,
/// mean 37, chain 94 ns). Every pair with a fence after its first reading
/// shows the whole chain (107 ns) and costs 40 ns (mean 37): `rdtscp;
/// lfence` twice, `rdtsc; lfence` then `lfence; rdtsc`, `lfence; rdtsc;
/// lfence` then `rdtscp`, and this one, the shortest of them.
mod tsc {
    /// The first reading: `rdtsc; lfence`.
    #[inline(always)]
    pub(super) fn start() -> u64 {
        #[cfg(target_arch = "x86_64")]
        {
            let (lo, hi): (u32, u32);
            // SAFETY: `rdtsc` and `lfence` read the counter and order
            // execution; they touch no memory. Not `nomem`: the compiler
            // must not move the timed call's memory accesses across it.
            unsafe {
                std::arch::asm!("rdtsc", "lfence", out("eax") lo, out("edx") hi,
                    options(nostack, preserves_flags))
            };
            (u64::from(hi) << 32) | u64::from(lo)
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("the TSC timer is only chosen on x86-64")
    }

    /// The second reading: `rdtscp`.
    #[inline(always)]
    pub(super) fn end() -> u64 {
        #[cfg(target_arch = "x86_64")]
        {
            let (lo, hi): (u32, u32);
            // SAFETY: `rdtscp` reads the counter and `IA32_TSC_AUX` (into
            // ecx, discarded); it touches no memory. Not `nomem`, as above.
            unsafe {
                std::arch::asm!("rdtscp", out("eax") lo, out("edx") hi, out("ecx") _,
                    options(nostack, preserves_flags))
            };
            (u64::from(hi) << 32) | u64::from(lo)
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("the TSC timer is only chosen on x86-64")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(before: u64, mono_ns: u64, after: u64) -> Reading {
        Reading {
            before,
            mono_ns,
            after,
        }
    }

    #[test]
    fn the_rate_is_the_ratio_of_the_bracket_middles_and_the_clock() {
        // 3 GHz: 20 ms of clock over 60,000,000 ticks between the middles.
        let a = reading(1_000, 5_000_000, 1_100);
        let b = reading(60_001_000, 25_000_000, 60_001_100);
        let r = TickRate::between(&a, &b).unwrap();
        assert_eq!(
            r,
            TickRate {
                ticks: 60_000_000,
                ns: 20_000_000
            }
        );
        // (100 / 2 + 100 / 2) / 60e6 + 2 / 20e6, in ppm.
        let ppm = r.error_ppm(&a, &b);
        assert!((ppm - (100.0 / 60.0 + 0.1)).abs() < 1e-12, "{ppm}");
        assert_eq!(TickRate::between(&b, &a), None);
        assert_eq!(TickRate::between(&a, &a), None);
    }

    #[test]
    fn ticks_convert_to_the_nearest_nanosecond() {
        let r = TickRate {
            ticks: 60_000_000,
            ns: 20_000_000,
        };
        let got: Vec<u64> = [0, 1, 2, 89, 90, 100, 101, 3_000_000_000]
            .iter()
            .map(|&t| r.ns_of(t))
            .collect();
        // 1/3 ns a tick: 0.33, 0.67, 29.67, 30, 33.33, 33.67, 1 s.
        assert_eq!(got, [0, 0, 1, 30, 30, 33, 34, 1_000_000_000]);
        // Halves round up: 3 ticks of 0.5 ns.
        let half = TickRate { ticks: 2, ns: 1 };
        assert_eq!((half.ns_of(1), half.ns_of(3)), (1, 2));
        // No overflow for the largest tick counts.
        let slow = TickRate {
            ticks: 1,
            ns: 1_000,
        };
        assert_eq!(slow.ns_of(u64::MAX), u64::MAX);
        let fast = TickRate {
            ticks: 3_000_000_007,
            ns: 1_000_000_000,
        };
        assert_eq!(fast.ns_of(u64::MAX), 6_148_914_676_889_049_626);
    }

    #[test]
    fn instant_is_chosen_when_asked_for() {
        let t = CallTimer::new(TimerChoice::Instant);
        assert_eq!((t.kind(), t.rate_error_ppm()), (TimerKind::Instant, 0.0));
    }

    #[test]
    fn auto_is_the_tsc_exactly_where_the_engine_keeps_time_with_it() {
        let engine_tsc = matches!(uringlog::Clock::best(), uringlog::Clock::Tsc(_));
        let t = CallTimer::new(TimerChoice::Auto);
        assert_eq!(t.kind() == TimerKind::Tsc, engine_tsc);
    }
}
