//! Formats that sinks bring themselves: the [`RecordFormat`] trait and the
//! pieces of the built-in formats they may reuse.

use super::time::TimeCache;
use super::{Record, Timestamp};

/// A sink's own layout of a record (see `Sink::record_format`).
///
/// Runs on the writer thread for every record the sink takes, so it should
/// not allocate in the steady state; `out` is the batch being gathered.
///
/// ```
/// use uringlog::{Record, RecordFormat};
///
/// /// `<level> message` lines.
/// struct Bare;
/// impl RecordFormat for Bare {
///     fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>) {
///         out.extend_from_slice(rec.level().as_str().as_bytes());
///         out.push(b' ');
///         out.extend_from_slice(rec.message());
///         out.push(b'\n');
///     }
/// }
/// ```
pub trait RecordFormat: Send {
    /// Appends one record to `out`.
    fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>);
}

/// RFC 3339 UTC timestamps as the built-in formats write them, caching the
/// date and time of the last second seen.
///
/// ```
/// use uringlog::{Rfc3339, Timestamp};
/// let mut t = Rfc3339::new();
/// let mut out = Vec::new();
/// t.write(&mut out, 1_795_841_809_123_456_789, Timestamp::Micros);
/// assert_eq!(out, b"2026-11-28T04:56:49.123456Z");
/// ```
#[derive(Debug, Default)]
pub struct Rfc3339(TimeCache);

impl Rfc3339 {
    /// A writer with an empty cache.
    pub fn new() -> Rfc3339 {
        Rfc3339::default()
    }

    /// Appends `unix_nanos` at `precision` (nothing for `Timestamp::Off`).
    #[inline]
    pub fn write(&mut self, out: &mut Vec<u8>, unix_nanos: u64, precision: Timestamp) {
        self.0.write(out, unix_nanos, precision);
    }
}
