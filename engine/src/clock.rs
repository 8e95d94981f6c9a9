//! Where record timestamps come from.
//!
//! The caller stores a raw clock value in the record header and never formats
//! it; the writer converts it to wall time. Today the raw value is nanoseconds
//! since the Unix epoch (`CLOCK_REALTIME`, read through the vDSO, no syscall).
//! [`Clock::manual`] gives tests and rotation logic a clock they control.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The source of record timestamps.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Clock {
    /// Wall-clock time (`CLOCK_REALTIME`), the default.
    #[default]
    Realtime,
    /// A clock that only moves when told to: see [`ManualClock`].
    Manual(ManualClock),
}

impl Clock {
    /// A manual clock starting at `unix_nanos`, and a handle to move it.
    pub fn manual(unix_nanos: u64) -> (Clock, ManualClock) {
        let m = ManualClock(Arc::new(AtomicU64::new(unix_nanos)));
        (Clock::Manual(m.clone()), m)
    }

    /// The time now, in nanoseconds since the Unix epoch.
    pub fn now_unix_nanos(&self) -> u64 {
        self.to_unix_nanos(self.now_raw())
    }

    /// The raw value stored in a record header.
    #[inline]
    pub(crate) fn now_raw(&self) -> u64 {
        match self {
            Clock::Realtime => realtime_nanos(),
            Clock::Manual(m) => m.0.load(Ordering::Relaxed),
        }
    }

    /// Nanoseconds since the Unix epoch for a raw value.
    #[inline]
    pub(crate) fn to_unix_nanos(&self, raw: u64) -> u64 {
        raw
    }
}

/// A handle that sets the time a [`Clock::Manual`] reports.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicU64>);

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
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_REALTIME always exists,
    // so the call cannot fail with a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

/// The proleptic Gregorian `(year, month, day)` of a day counted from
/// 1970-01-01 (day 0), negative before it (H. Hinnant's `civil_from_days`).
///
/// Shared by the formats and by sinks that name files by date.
///
/// ```
/// assert_eq!(uringlog::civil_from_days(0), (1970, 1, 1));
/// assert_eq!(uringlog::civil_from_days(11_016), (2000, 2, 29));
/// ```
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
