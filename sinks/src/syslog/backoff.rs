//! Reconnect delays: capped exponential backoff with jitter.
//!
//! The n-th consecutive failure waits `min(cap, first * 2^n)`, of which the
//! second half is random ("equal jitter"): many clients that lost the same
//! receiver do not all come back in the same millisecond, and none waits
//! less than half its step.

use std::time::{Duration, Instant};

/// `now + delay`, or a time about 136 years ahead (never reached) when that
/// does not fit the clock, as with `Duration::MAX`.
pub(crate) fn retry_at(now: Instant, delay: Duration) -> Instant {
    now.checked_add(delay)
        .or_else(|| now.checked_add(Duration::from_secs(u32::MAX as u64)))
        .unwrap_or(now)
}

/// Delays between connection attempts.
#[derive(Debug)]
pub(crate) struct Backoff {
    first: Duration,
    cap: Duration,
    /// Consecutive failures so far.
    failures: u32,
    /// xorshift64 state; never zero.
    rng: u64,
}

impl Backoff {
    /// Delays starting at `first`, doubling, never above `cap`.
    pub(crate) fn new(first: Duration, cap: Duration) -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ ((std::process::id() as u64) << 32)
            ^ (&first as *const Duration as u64);
        Backoff::with_seed(first, cap, seed)
    }

    pub(crate) fn with_seed(first: Duration, cap: Duration, seed: u64) -> Backoff {
        Backoff {
            first,
            cap: cap.max(first),
            failures: 0,
            rng: seed | 1,
        }
    }

    /// Consecutive failures since the last success.
    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }

    /// The wait after one more failure.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let step = self
            .first
            .saturating_mul(1u32 << self.failures.min(31))
            .min(self.cap);
        self.failures = self.failures.saturating_add(1);
        let half = step / 2;
        // The random half in nanoseconds, at most u64::MAX (584 years).
        let span = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = match span.checked_add(1) {
            Some(m) => self.random() % m,
            None => self.random(),
        };
        half.saturating_add(Duration::from_nanos(jitter))
    }

    /// A connection worked: the next failure starts from `first` again.
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    fn random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_half_of_each_random() {
        let ms = Duration::from_millis;
        let mut b = Backoff::with_seed(ms(100), ms(1000), 42);
        let steps = [100, 200, 400, 800, 1000, 1000, 1000];
        for step in steps {
            let d = b.next_delay();
            assert!(d >= ms(step) / 2 && d <= ms(step), "{d:?} for step {step}");
        }
        assert_eq!(b.failures(), 7);
        b.reset();
        assert!(b.next_delay() <= ms(100));
        for _ in 0..100 {
            assert!(b.next_delay() <= ms(1000));
        }
    }

    #[test]
    fn absurd_delays_saturate_instead_of_overflowing() {
        let mut b = Backoff::with_seed(Duration::MAX, Duration::MAX, 3);
        for _ in 0..3 {
            assert!(b.next_delay() >= Duration::MAX / 2);
        }
        let now = Instant::now();
        assert!(retry_at(now, Duration::MAX) > now + Duration::from_secs(100 * 365 * 86_400));
    }

    #[test]
    fn jitter_spreads_the_delays() {
        let ms = Duration::from_millis;
        let mut seen = std::collections::HashSet::new();
        for seed in 0..20 {
            let mut b = Backoff::with_seed(ms(1000), ms(1000), seed * 7919);
            seen.insert(b.next_delay());
        }
        assert!(seen.len() > 10, "{seen:?}");
    }
}
