//! RFC 3339 timestamps at a chosen precision and offset from UTC, caching
//! the last second.

use super::digits::two;
use super::{TimeOffset, Timestamp};
use crate::clock::civil_from_days;

/// The date-time of the last second formatted.
#[derive(Debug)]
pub(crate) struct TimeCache {
    /// Added to each record time before it is shown; 0 for UTC.
    offset_nanos: i64,
    /// `Z`, or `+HH:MM` / `-HH:MM`.
    suffix: [u8; 6],
    suffix_len: usize,
    /// The shifted second `cached` describes; `u64::MAX` before the first line.
    cached_sec: u64,
    /// `YYYY-MM-DDTHH:MM:SS.` for `cached_sec`.
    cached: [u8; 20],
}

impl Default for TimeCache {
    fn default() -> Self {
        TimeCache::new(None)
    }
}

impl TimeCache {
    /// Times shown in UTC with `Z` (`None`), or shifted by a fixed number of
    /// minutes east of UTC and suffixed `+HH:MM` (`Some`, within ±23:59).
    pub(crate) fn new(offset_minutes: Option<i32>) -> TimeCache {
        let (offset_nanos, suffix, suffix_len) = match offset_minutes {
            None => (0, *b"Z     ", 1),
            Some(m) => {
                debug_assert!(m.unsigned_abs() < 24 * 60, "offset {m} out of range");
                let mut s = *b"+00:00";
                if m < 0 {
                    s[0] = b'-';
                }
                two(&mut s[1..3], m.unsigned_abs() / 60);
                two(&mut s[4..6], m.unsigned_abs() % 60);
                (m as i64 * 60_000_000_000, s, 6)
            }
        };
        TimeCache {
            offset_nanos,
            suffix,
            suffix_len,
            cached_sec: u64::MAX,
            cached: [0; 20],
        }
    }

    /// A cache for `offset`, reading the system's offset for `TimeOffset::LOCAL`.
    pub(crate) fn for_offset(offset: TimeOffset) -> TimeCache {
        TimeCache::new(offset.resolve_minutes())
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS[.fraction]` and `Z` or the offset;
    /// nothing for `Timestamp::Off`.
    #[inline]
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, unix_nanos: u64, precision: Timestamp) {
        let digits = match precision {
            Timestamp::Off => return,
            Timestamp::Seconds => 0,
            Timestamp::Millis => 3,
            Timestamp::Micros => 6,
            Timestamp::Nanos => 9,
        };
        let unix_nanos = unix_nanos.saturating_add_signed(self.offset_nanos);
        let sec = unix_nanos / 1_000_000_000;
        if sec != self.cached_sec {
            self.cached = format_second(sec);
            self.cached_sec = sec;
        }
        if digits == 0 {
            out.extend_from_slice(&self.cached[..19]);
            out.extend_from_slice(&self.suffix[..self.suffix_len]);
            return;
        }
        let nanos = (unix_nanos % 1_000_000_000) as u32;
        let mut tail = [0u8; 10];
        let frac = nanos / 10u32.pow(9 - digits as u32);
        match digits {
            3 => {
                tail[0] = b'0' + (frac / 100) as u8;
                two(&mut tail[1..3], frac % 100);
            }
            6 => {
                two(&mut tail[0..2], frac / 10_000);
                two(&mut tail[2..4], (frac / 100) % 100);
                two(&mut tail[4..6], frac % 100);
            }
            _ => {
                two(&mut tail[0..2], frac / 10_000_000);
                two(&mut tail[2..4], (frac / 100_000) % 100);
                two(&mut tail[4..6], (frac / 1_000) % 100);
                two(&mut tail[6..8], (frac / 10) % 100);
                tail[8] = b'0' + (frac % 10) as u8;
            }
        }
        out.extend_from_slice(&self.cached);
        out.extend_from_slice(&tail[..digits]);
        out.extend_from_slice(&self.suffix[..self.suffix_len]);
    }
}

extern "C" {
    /// POSIX `tzset(3)` (the `libc` crate declares it only for Windows).
    fn tzset();
}

/// The system's offset from UTC now, in whole minutes east (`localtime_r`,
/// from `TZ` or `/etc/localtime` as they are now); 0 when it cannot be had.
pub(crate) fn system_offset_minutes() -> i32 {
    // SAFETY: `tzset` takes no arguments and only updates the C library's
    // time-zone state under its own lock. `localtime_r` need not call it
    // (glibc's reads the zone once per process), so a logger built after
    // `TZ` or `/etc/localtime` changed would show the old zone without it.
    unsafe { tzset() };
    // SAFETY: `time(NULL)` only returns the current time.
    let now = unsafe { libc::time(std::ptr::null_mut()) };
    // SAFETY: a zeroed `tm` is a valid value (integers and a null pointer).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: `localtime_r` reads `now` and writes only into `tm`, both
    // live for the call; it loads the time zone itself on first use.
    let ok = unsafe { !libc::localtime_r(&now, &mut tm).is_null() };
    if !ok {
        return 0;
    }
    let minutes = (tm.tm_gmtoff / 60) as i32;
    minutes.clamp(-(24 * 60 - 1), 24 * 60 - 1)
}

/// `YYYY-MM-DDTHH:MM:SS.` for a Unix second.
fn format_second(sec: u64) -> [u8; 20] {
    let days = (sec / 86_400) as i64;
    let rem = (sec % 86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    let y = y.clamp(0, 9999) as u32;
    let mut b = *b"0000-00-00T00:00:00.";
    two(&mut b[0..2], y / 100);
    two(&mut b[2..4], y % 100);
    two(&mut b[5..7], m);
    two(&mut b[8..10], d);
    two(&mut b[11..13], rem / 3600);
    two(&mut b[14..16], (rem / 60) % 60);
    two(&mut b[17..19], rem % 60);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(nanos: u64, p: Timestamp) -> String {
        at_offset(nanos, p, None)
    }

    fn at_offset(nanos: u64, p: Timestamp, minutes: Option<i32>) -> String {
        let mut out = Vec::new();
        TimeCache::new(minutes).write(&mut out, nanos, p);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn offsets_shift_the_time_and_say_so() {
        let n = 1_795_841_809_123_456_789; // 2026-11-28T04:56:49.123456789Z
        let east = Some(5 * 60 + 30);
        assert_eq!(
            at_offset(n, Timestamp::Seconds, east),
            "2026-11-28T10:26:49+05:30"
        );
        assert_eq!(
            at_offset(n, Timestamp::Millis, east),
            "2026-11-28T10:26:49.123+05:30"
        );
        assert_eq!(
            at_offset(n, Timestamp::Nanos, Some(-(9 * 60 + 45))),
            "2026-11-27T19:11:49.123456789-09:45"
        );
        assert_eq!(
            at_offset(n, Timestamp::Micros, Some(0)),
            "2026-11-28T04:56:49.123456+00:00"
        );
        assert_eq!(at_offset(n, Timestamp::Off, east), "");
        // Before the epoch in local time: clamped to the epoch, never wrapped.
        assert_eq!(
            at_offset(0, Timestamp::Seconds, Some(-60)),
            "1970-01-01T00:00:00-01:00"
        );
    }

    #[test]
    fn every_precision() {
        let n = 1_795_841_809_123_456_789;
        assert_eq!(at(n, Timestamp::Off), "");
        assert_eq!(at(n, Timestamp::Seconds), "2026-11-28T04:56:49Z");
        assert_eq!(at(n, Timestamp::Millis), "2026-11-28T04:56:49.123Z");
        assert_eq!(at(n, Timestamp::Micros), "2026-11-28T04:56:49.123456Z");
        assert_eq!(at(n, Timestamp::Nanos), "2026-11-28T04:56:49.123456789Z");
    }

    #[test]
    fn leap_days_and_year_ends() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_818), (2026, 12, 31));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    proptest! {
        /// The cached formatter agrees with an independent conversion for
        /// any instant, including when consecutive calls cross seconds.
        #[test]
        fn timestamps_match_a_reference(secs in proptest::collection::vec(0u64..18_000_000_000, 1..8), nanos in 0u64..1_000_000_000) {
            let mut f = TimeCache::default();
            for s in secs {
                let mut out = Vec::new();
                f.write(&mut out, s * 1_000_000_000 + nanos, Timestamp::Nanos);
                let days = (s / 86_400) as i64;
                let (y, m, d) = civil_from_days(days);
                let r = s % 86_400;
                let want = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z", r / 3600, r / 60 % 60, r % 60, nanos);
                prop_assert_eq!(String::from_utf8(out).unwrap(), want);
            }
        }
    }
}
