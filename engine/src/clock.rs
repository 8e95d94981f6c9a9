//! Where record timestamps come from.
//!
//! The caller stores a raw clock value in the record header and never formats
//! it; the writer converts it to wall time ([`Converter`]).
//!
//! - [`Clock::Tsc`] (the default where the kernel itself keeps time with a
//!   constant, synchronised TSC): the raw value is `rdtsc`, ~10 ns against
//!   ~22 ns for `clock_gettime`. The writer takes a fresh (TSC, wall clock)
//!   pair at the start of every drain pass and converts each record relative
//!   to it, with the tick rate measured over the whole run (since the
//!   counter last went back, if it did) against `CLOCK_MONOTONIC_RAW` (so
//!   wall-clock steps do not skew the rate). The
//!   error is the pair's read error (tens of ns) plus the record's age times
//!   the rate error; wall-clock steps show up at the next pass.
//! - [`Clock::Realtime`]: `CLOCK_REALTIME` nanoseconds (vDSO, no syscall).
//! - [`Clock::manual`]: a clock tests and rotation logic control.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The source of record timestamps.
///
/// [`Builder::clock`](crate::Builder::clock) defaults to [`Clock::best()`]
/// in async mode and to `Realtime` in sync mode; `Clock::default()` (the
/// `Default` impl) is `Realtime`, which needs no measuring.
///
/// ```
/// use uringlog::{Clock, Format, Logger, MemorySink, Timestamp};
/// let (clock, hand) = Clock::manual(1_795_841_809_000_000_000); // 2026-11-28T04:56:49Z
/// let (sink, out) = MemorySink::new();
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .clock(clock)
///     .format(Format::text().timestamp(Timestamp::Seconds))
///     .build()?;
/// uringlog::info!(logger, target: "t", "a");
/// hand.advance_nanos(61_000_000_000);
/// uringlog::info!(logger, target: "t", "b");
/// guard.shutdown(std::time::Duration::from_secs(5))?;
/// assert_eq!(out.text(), "2026-11-28T04:56:49Z INFO  t: a\n2026-11-28T04:57:50Z INFO  t: b\n");
/// assert_eq!(Clock::default(), Clock::Realtime);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub enum Clock {
    /// Wall-clock time (`CLOCK_REALTIME`, read through the vDSO): what
    /// `Clock::default()` gives and what sync mode uses.
    #[default]
    Realtime,
    /// A clock that only moves when told to: see [`ManualClock`].
    Manual(ManualClock),
    /// The CPU's time-stamp counter, converted by the writer. Build it with
    /// [`Clock::best`]; it is only offered where it is reliable.
    Tsc(TscRate),
}

/// An initial estimate of the TSC rate, refined by the writer as it runs;
/// only [`Clock::best`] makes one (it measures the rate).
///
/// ```
/// use uringlog::Clock;
/// if let Clock::Tsc(rate) = Clock::best() {
///     assert!(rate.ns_per_tick() > 0.0);
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TscRate {
    /// Nanoseconds per tick.
    ns_per_tick: f64,
}

impl TscRate {
    /// Nanoseconds per tick as measured when the clock was made.
    pub fn ns_per_tick(&self) -> f64 {
        self.ns_per_tick
    }
}

impl Clock {
    /// A manual clock starting at `unix_nanos`, and a handle to move it.
    pub fn manual(unix_nanos: u64) -> (Clock, ManualClock) {
        let m = ManualClock(Arc::new(AtomicU64::new(unix_nanos)));
        (Clock::Manual(m.clone()), m)
    }

    /// The cheapest reliable clock here: [`Clock::Tsc`] on x86-64 when the
    /// kernel's own clocksource is the TSC (so it is constant and
    /// synchronised across CPUs), else [`Clock::Realtime`]. Measuring the
    /// initial TSC rate spins for about 200 µs.
    pub fn best() -> Clock {
        match tsc::usable() {
            true => Clock::Tsc(TscRate {
                ns_per_tick: tsc::measure_rate(),
            }),
            false => Clock::Realtime,
        }
    }

    /// The time now, in nanoseconds since the Unix epoch.
    pub fn now_unix_nanos(&self) -> u64 {
        match self {
            Clock::Manual(m) => m.0.load(Ordering::Relaxed),
            _ => realtime_nanos(),
        }
    }

    /// The raw value stored in a record header.
    /// The TSC, the usual clock, is read inline after one compare; the
    /// others (a vDSO call, or a test's manual clock) out of line.
    #[inline]
    pub(crate) fn now_raw(&self) -> u64 {
        if let Clock::Tsc(_) = self {
            return tsc::now();
        }
        self.now_raw_other()
    }

    /// Whether this clock is the TSC, which [`tsc_now`] reads without
    /// asking the clock (a producer that knows it skips the compare).
    pub(crate) fn is_tsc(&self) -> bool {
        matches!(self, Clock::Tsc(_))
    }

    #[cold]
    #[inline(never)]
    fn now_raw_other(&self) -> u64 {
        match self {
            Clock::Realtime => realtime_nanos(),
            Clock::Manual(m) => m.0.load(Ordering::Relaxed),
            Clock::Tsc(_) => tsc::now(),
        }
    }

    /// A converter from raw values to Unix nanoseconds.
    pub(crate) fn converter(&self) -> Converter {
        match self {
            Clock::Tsc(rate) => {
                let (t, ns, mono) = tsc::pair();
                Converter::Tsc(TscConverter::new(t, ns, mono, rate.ns_per_tick))
            }
            _ => Converter::Identity,
        }
    }
}

/// [`Clock::now_raw`] of a clock known to be [`Clock::Tsc`]
/// ([`Clock::is_tsc`]).
#[inline(always)]
pub(crate) fn tsc_now() -> u64 {
    tsc::now()
}

/// Turns raw header clock values into Unix nanoseconds on the writer.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Converter {
    /// The raw value already is Unix nanoseconds.
    Identity,
    Tsc(TscConverter),
}

/// See the module docs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TscConverter {
    /// The first reading, the base of the rate measurement.
    start_tick: u64,
    /// `CLOCK_MONOTONIC_RAW` nanoseconds at `start_tick`.
    start_mono: u64,
    /// The latest pair; records convert relative to it.
    anchor_tick: u64,
    anchor_ns: u64,
    /// Measured over `start .. anchor` once that spans a millisecond.
    ns_per_tick: f64,
    /// `ns_per_tick` in fixed point (`RATE_SHIFT` fraction bits), what
    /// records are converted with: an integer multiply and shift.
    rate: u64,
    /// Records within this many ticks of the anchor (every record a
    /// drain pass reads, in practice) convert in 64-bit arithmetic:
    /// their ticks times `rate` fits an `i64` and their time needs no
    /// clamping (see [`fast_window`]).
    fast_ticks: u64,
    /// `2 * fast_ticks` (no overflow: `fast_ticks <= i64::MAX`), so that
    /// `|ticks| <= fast_ticks` is one unsigned compare of
    /// `ticks + fast_ticks`.
    fast_span: u64,
}

/// Fraction bits of [`TscConverter::rate`]: over a second of ticks the
/// rounding of the rate costs under a nanosecond.
const RATE_SHIFT: u32 = 32;

/// `ns_per_tick` in fixed point; rates outside `0 ..= 2^31` (no counter
/// has them) are clamped.
fn fixed_rate(ns_per_tick: f64) -> u64 {
    (ns_per_tick * (1u64 << RATE_SHIFT) as f64).round() as u64
}

/// [`TscConverter::fast_ticks`] for an anchor at `anchor_ns` and `rate`:
/// the most ticks whose product with `rate` fits an `i64`, or 0 when the
/// anchor lies so near either end of `u64` that such a distance could
/// need clamping.
fn fast_window(anchor_ns: u64, rate: u64) -> u64 {
    let ticks = i64::MAX as u64 / rate.max(1);
    // The largest |delta| those ticks give, plus one for the rounding down
    // of a negative one.
    let reach = ((ticks as u128 * rate as u128) >> RATE_SHIFT) as u64 + 1;
    match anchor_ns >= reach && anchor_ns <= u64::MAX - reach {
        true => ticks,
        false => 0,
    }
}

impl TscConverter {
    fn new(tick: u64, ns: u64, mono: u64, ns_per_tick: f64) -> TscConverter {
        let rate = fixed_rate(ns_per_tick);
        TscConverter {
            start_tick: tick,
            start_mono: mono,
            anchor_tick: tick,
            anchor_ns: ns,
            ns_per_tick,
            rate,
            fast_ticks: 0,
            fast_span: 0,
        }
        .with_window()
    }

    /// Sets the fast window for the anchor and rate (see [`fast_window`]).
    #[must_use]
    fn with_window(mut self) -> TscConverter {
        self.fast_ticks = fast_window(self.anchor_ns, self.rate);
        debug_assert!(self.fast_ticks <= i64::MAX as u64);
        self.fast_span = 2 * self.fast_ticks;
        self
    }

    /// Unix nanoseconds for `raw` ticks: `anchor_ns` plus the ticks since
    /// the anchor (negative for records read before it) times the rate,
    /// rounded down, clamped to `0 ..= u64::MAX`.
    #[inline(always)]
    fn convert(&self, raw: u64) -> u64 {
        let ticks = raw.wrapping_sub(self.anchor_tick) as i64;
        // `|ticks| <= fast_ticks`: `ticks + fast_ticks` is in
        // `0 ..= fast_span` exactly then (below `2^64` either way).
        if (ticks as u64).wrapping_add(self.fast_ticks) <= self.fast_span {
            // No overflow, no clamp (see `fast_window`); `>>` of an `i64`
            // rounds down as it does in `convert_wide`.
            let delta = (ticks * self.rate as i64) >> RATE_SHIFT;
            return self.anchor_ns.wrapping_add_signed(delta);
        }
        self.convert_wide(ticks)
    }

    /// Takes the pair `t` ticks, `ns` Unix and `mono` monotonic-raw
    /// nanoseconds as the anchor, and measures the rate again over the
    /// run. A counter behind the last anchor's (the writer now on a CPU
    /// whose counter lags, a VM moved to another host) starts the
    /// measurement again from this pair, keeping the rate until it spans
    /// a millisecond: the ticks it went back are no time that passed, and
    /// counted from the first reading they would make every tick seem
    /// longer for the rest of the run.
    fn refresh_at(&mut self, t: u64, ns: u64, mono: u64) {
        if t < self.anchor_tick {
            self.start_tick = t;
            self.start_mono = mono;
        }
        self.anchor_tick = t;
        self.anchor_ns = ns;
        if mono.saturating_sub(self.start_mono) >= 1_000_000 && t > self.start_tick {
            self.ns_per_tick = (mono - self.start_mono) as f64 / (t - self.start_tick) as f64;
            self.rate = fixed_rate(self.ns_per_tick);
        }
        *self = self.with_window();
    }

    /// [`TscConverter::convert`] for records far from the anchor, in
    /// 128-bit arithmetic.
    #[cold]
    #[inline(never)]
    fn convert_wide(&self, ticks: i64) -> u64 {
        let delta = (ticks as i128 * self.rate as i128) >> RATE_SHIFT;
        (self.anchor_ns as i128 + delta).clamp(0, u64::MAX as i128) as u64
    }
}

impl Converter {
    /// Takes a fresh pair (call once per drain pass).
    #[inline]
    pub(crate) fn refresh(&mut self) {
        if let Converter::Tsc(c) = self {
            let (t, ns, mono) = tsc::pair();
            c.refresh_at(t, ns, mono);
        }
    }

    /// The latest (tick, Unix ns) pair and rate of a TSC converter, for
    /// a crash-safe directory; `None` when raw values are Unix nanoseconds.
    pub(crate) fn anchor(&self) -> Option<(u64, u64, f64)> {
        match self {
            Converter::Identity => None,
            Converter::Tsc(c) => Some((c.anchor_tick, c.anchor_ns, c.ns_per_tick)),
        }
    }

    /// A converter for raw values of another process, from its [`anchor`](Converter::anchor).
    pub(crate) fn from_anchor(anchor: Option<(u64, u64, f64)>) -> Converter {
        match anchor {
            None => Converter::Identity,
            Some((tick, ns, ns_per_tick)) => {
                Converter::Tsc(TscConverter::new(tick, ns, 0, ns_per_tick))
            }
        }
    }

    /// Unix nanoseconds for a raw value.
    #[inline]
    pub(crate) fn unix_nanos(&self, raw: u64) -> u64 {
        match self {
            Converter::Identity => raw,
            Converter::Tsc(c) => c.convert(raw),
        }
    }
}

/// A handle that sets the time a [`Clock::Manual`] reports.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicU64>);

impl PartialEq for ManualClock {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl ManualClock {
    /// Sets the time, in nanoseconds since the Unix epoch.
    pub fn set_unix_nanos(&self, unix_nanos: u64) {
        self.0.store(unix_nanos, Ordering::Relaxed);
    }

    /// Moves the time forward by `nanos`.
    pub fn advance_nanos(&self, nanos: u64) {
        self.0.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The time it reports, in nanoseconds since the Unix epoch.
    pub fn unix_nanos(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Nanoseconds since the Unix epoch from `CLOCK_REALTIME`.
#[inline]
pub(crate) fn realtime_nanos() -> u64 {
    read_clock(libc::CLOCK_REALTIME)
}

/// Nanoseconds from clock `id` (which must exist on Linux).
#[inline]
fn read_clock(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; `id` is a clock Linux always has,
    // so the call cannot fail with a valid pointer.
    unsafe { libc::clock_gettime(id, &mut ts) };
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

/// The proleptic Gregorian `(year, month, day)` of a day counted from
/// 1970-01-01 (day 0), negative before it (H. Hinnant's `civil_from_days`).
///
/// Shared by the formats and by sinks that name files by date (through
/// `__private`; it is no logging API).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The time-stamp counter (x86-64 only; elsewhere never usable).
mod tsc {
    /// Whether the TSC is a reliable clock: the kernel keeps time with it.
    pub(super) fn usable() -> bool {
        cfg!(target_arch = "x86_64")
            && std::fs::read_to_string(
                "/sys/devices/system/clocksource/clocksource0/current_clocksource",
            )
            .map(|s| s.trim() == "tsc")
            .unwrap_or(false)
    }

    /// The counter now.
    #[inline]
    pub(super) fn now() -> u64 {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `rdtsc` has no preconditions on x86-64; it only reads the counter.
        return unsafe { core::arch::x86_64::_rdtsc() };
        #[cfg(not(target_arch = "x86_64"))]
        return super::realtime_nanos();
    }

    /// (ticks, Unix ns, `CLOCK_MONOTONIC_RAW` ns) read as close together as
    /// three tries allow.
    pub(super) fn pair() -> (u64, u64, u64) {
        let mut best = (u64::MAX, 0, 0, 0);
        for _ in 0..3 {
            let a = now();
            let ns = super::realtime_nanos();
            let mono = super::read_clock(libc::CLOCK_MONOTONIC_RAW);
            let b = now();
            if b.wrapping_sub(a) < best.0 {
                best = (b.wrapping_sub(a), a + (b.wrapping_sub(a)) / 2, ns, mono);
            }
        }
        (best.1, best.2, best.3)
    }

    /// Nanoseconds per tick, measured by spinning for about 200 µs.
    pub(super) fn measure_rate() -> f64 {
        let (t0, _, n0) = pair();
        let (mut t1, mut n1) = (t0, n0);
        while n1.saturating_sub(n0) < 200_000 {
            (t1, _, n1) = pair();
        }
        if t1 > t0 {
            (n1 - n0) as f64 / (t1 - t0) as f64
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsc_conversion_tracks_the_wall_clock() {
        if !tsc::usable() {
            let why = "the TSC is not this kernel's clocksource";
            return crate::test_skip::skip(crate::test_skip::Needs::Tsc, "tsc_conversion", &why);
        }
        let clock = Clock::best();
        let mut conv = clock.converter();
        let mut worst = 0i64;
        for _ in 0..50 {
            let before = realtime_nanos();
            let raw = clock.now_raw();
            let after = realtime_nanos();
            conv.refresh();
            let ns = conv.unix_nanos(raw) as i64;
            // Outside the bracket by how much (0 when inside).
            let off = (before as i64 - ns).max(ns - after as i64).max(0);
            worst = worst.max(off);
        }
        // Conversion error is bounded by the pair's read error (sub-µs);
        // 50 µs leaves room for preemption between the reads.
        assert!(worst < 50_000, "converted timestamps off by {worst} ns");
    }

    #[test]
    fn fixed_point_conversion_agrees_with_floating_point_within_a_nanosecond() {
        // Rates of 0.3 to 2 ns per tick (3.3 GHz to 500 MHz counters),
        // ticks before and after the anchor up to an hour away.
        let anchor_ns = 1_795_841_809_123_456_789u64;
        let anchor_tick = 9_000_000_000_000u64;
        for rate in [0.3, 0.2857142857, 0.4166666667, 1.0, 1.999999] {
            let c = TscConverter::new(anchor_tick, anchor_ns, 0, rate);
            for step in [0i64, 1, -1, 999, -1_000_003, 3_000_000_017, -3_000_000_017] {
                for k in [1i64, 7, 1_200] {
                    let ticks = step.saturating_mul(k);
                    let raw = anchor_tick.wrapping_add_signed(ticks);
                    let exact = anchor_ns as f64 + ticks as f64 * rate;
                    let got = c.convert(raw) as f64;
                    assert!((got - exact).abs() <= 1.0 + exact * f64::EPSILON,
                        "rate {rate} ticks {ticks}: {got} vs {exact}");
                }
            }
        }
    }

    /// A counter that goes back between two passes (another CPU's, a
    /// migrated VM's) does not make the ticks it went back count as time:
    /// the rate stays 1 ns a tick, so a record 1,000 ticks before the
    /// anchor is 1,000 ns before it, at that pass and at later ones.
    #[test]
    fn a_counter_going_back_leaves_the_rate_as_it_was() {
        const HOUR: u64 = 3_600_000_000_000;
        let (tick, ns) = (1_000_000_000_000u64, 1_795_841_809_000_000_000u64);
        let mut c = TscConverter::new(tick, ns, 0, 1.0);
        c.refresh_at(tick + HOUR, ns + HOUR, HOUR);
        assert_eq!(c.ns_per_tick, 1.0);
        // A second later the counter is ten minutes behind, then runs on.
        let back = 600_000_000_000;
        for later in [1_000_000_000, 3_000_000_000] {
            let t = tick + HOUR + later - back;
            c.refresh_at(t, ns + HOUR + later, HOUR + later);
            assert_eq!(c.ns_per_tick, 1.0, "{later} ns after the hour");
            assert_eq!(c.convert(t - 1_000), ns + HOUR + later - 1_000);
        }
    }

    #[test]
    fn conversion_clamps_instead_of_wrapping() {
        let c = TscConverter::new(1 << 40, 1_000, 0, 1.0);
        assert_eq!(c.convert(0), 0, "long before the epoch");
        assert_eq!(c.convert((1 << 40) - 1_000), 0);
        assert_eq!(c.convert((1 << 40) - 999), 1);
        let late = TscConverter::new(0, u64::MAX - 10, 0, 1.0);
        assert_eq!(late.convert(5), u64::MAX - 5);
        assert_eq!(late.convert(1 << 62), u64::MAX);
        let slow = TscConverter::new(0, 0, 0, 1000.0);
        assert_eq!(slow.convert(u64::MAX >> 1), u64::MAX);
    }

    /// Whether `c` converts alike, fast or wide, at and around the edges
    /// of its window and the anchor.
    fn agrees_at_the_edges(c: &TscConverter) -> bool {
        let w = c.fast_ticks as i64;
        (-3i64..=3).all(|off| {
            [off, w.saturating_add(off), (-w).saturating_add(off)].iter().all(|&ticks| {
                let raw = c.anchor_tick.wrapping_add_signed(ticks);
                c.convert(raw) == c.convert_wide(ticks)
            })
        })
    }

    proptest::proptest! {
        /// The 64-bit conversion near the anchor gives what the 128-bit
        /// one gives, at and just past the edges of its window, for
        /// anchors anywhere in `u64`.
        #[test]
        fn the_fast_conversion_agrees_with_the_wide_one(
            anchor in 0usize..3,
            random_ns in proptest::prelude::any::<u64>(),
            anchor_tick in proptest::prelude::any::<u64>(),
            ns_per_tick in proptest::prop_oneof![0.0f64..4.0, 0.0f64..1e6],
            tick_off in -1_000_000i64..1_000_000,
        ) {
            let anchor_ns = match anchor {
                0 => random_ns,
                1 => random_ns >> 40,
                _ => u64::MAX - (random_ns >> 40),
            };
            let c = TscConverter::new(anchor_tick, anchor_ns, 0, ns_per_tick);
            proptest::prop_assert!(agrees_at_the_edges(&c));
            let raw = anchor_tick.wrapping_add_signed(tick_off);
            proptest::prop_assert_eq!(c.convert(raw), c.convert_wide(tick_off));
        }
    }

    #[test]
    fn the_fast_conversion_agrees_with_the_wide_one_for_anchors_near_the_ends() {
        for ns_per_tick in [0.0, 1e-9, 0.3, 0.2857142857, 1.0, 1.999999, 1000.0, 123_456.7] {
            // The largest step a window's ticks make, by the wide path
            // from an anchor in mid-range: anchors within it of either
            // end of `u64` are where a window could wrap.
            let mid = TscConverter::new(0, 1 << 63, 0, ns_per_tick);
            let w = mid.fast_ticks as i64;
            let low = (mid.convert_wide(-w) as i128 - (1i128 << 63)).unsigned_abs() as u64;
            let high = (mid.convert_wide(w) as i128 - (1i128 << 63)).unsigned_abs() as u64;
            for off in -3i64..=3 {
                for anchor_ns in [low.wrapping_add_signed(off), (u64::MAX - high).wrapping_add_signed(off)] {
                    let c = TscConverter::new(7, anchor_ns, 0, ns_per_tick);
                    assert!(agrees_at_the_edges(&c), "rate {ns_per_tick} anchor {anchor_ns}");
                }
            }
        }
    }

    #[test]
    fn the_fast_window_covers_seconds_of_a_ghz_counter() {
        let c = TscConverter::new(0, 1_795_841_809_123_456_789, 0, 0.3);
        // 2^63 / (0.3 * 2^32) ticks: about 2 s at 3.3 GHz.
        assert_eq!(c.fast_ticks, i64::MAX as u64 / fixed_rate(0.3));
        assert!(c.fast_ticks > 7_000_000_000);
        // An anchor so near the ends that the window could clamp: none.
        assert_eq!(TscConverter::new(0, 5, 0, 0.3).fast_ticks, 0);
        assert_eq!(TscConverter::new(0, u64::MAX - 5, 0, 0.3).fast_ticks, 0);
    }

    #[test]
    fn identity_clocks_convert_to_themselves() {
        let (clock, hand) = Clock::manual(42);
        let conv = clock.converter();
        assert_eq!(conv.unix_nanos(clock.now_raw()), 42);
        hand.advance_nanos(8);
        assert_eq!(conv.unix_nanos(clock.now_raw()), 50);
        assert_eq!(clock.now_unix_nanos(), 50);
    }
}
