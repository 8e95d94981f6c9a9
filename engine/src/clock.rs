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
