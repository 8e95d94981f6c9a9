//! RFC 3339 timestamps at a chosen precision and offset from UTC, caching
//! the last second.

use super::digits::two;
use super::put::put_edited;
use super::{TimeOffset, Timestamp};
use crate::clock::civil_from_days;

/// Nanoseconds in a second.
const SEC: u64 = 1_000_000_000;
/// The most a timestamp takes of a line's room (the cached buffer is
/// stored whole, only its used bytes kept).
pub(crate) const ROOM: usize = 40;
/// `cached_ms` when no millisecond is cached.
const NO_MS: u32 = u32::MAX;

/// The date-time of the last second formatted.
#[derive(Debug)]
pub(crate) struct TimeCache {
    /// Added to each record time before it is shown; 0 for UTC.
    offset_nanos: i64,
    /// `Z`, or `+HH:MM` / `-HH:MM`, in the first `suffix_len` bytes.
    suffix: [u8; 8],
    suffix_len: usize,
    /// First shifted nanosecond of the second `cached` describes (a
    /// multiple of `SEC`; the epoch before the first line).
    sec_start: u64,
    /// `YYYY-MM-DDTHH:MM:SS.` for `sec_start` in bytes `0..20` and the
    /// millisecond `cached_ms` in `20..23`; the rest of the fraction and
    /// the suffix are written after it in the line's copy.
    cached: [u8; ROOM],
    /// The millisecond in `cached[20..23]` (a new second leaves those
    /// bytes alone); `NO_MS` before the first.
    cached_ms: u32,
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
            None => (0, *b"Z       ", 1),
            Some(m) => {
                debug_assert!(m.unsigned_abs() < 24 * 60, "offset {m} out of range");
                let mut s = *b"+00:00  ";
                if m < 0 {
                    s[0] = b'-';
                }
                two(&mut s[1..3], m.unsigned_abs() / 60);
                two(&mut s[4..6], m.unsigned_abs() % 60);
                (m as i64 * 60_000_000_000, s, 6)
            }
        };
        let mut cached = [0; ROOM];
        cached[..20].copy_from_slice(&format_second(0));
        TimeCache {
            offset_nanos,
            suffix,
            suffix_len,
            sec_start: 0,
            cached,
            cached_ms: NO_MS,
        }
    }

    /// A cache for `offset`, reading the system's offset for `TimeOffset::LOCAL`.
    pub(crate) fn for_offset(offset: TimeOffset) -> TimeCache {
        TimeCache::new(offset.resolve_minutes())
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS[.fraction]` and `Z` or the offset;
    /// nothing for `Timestamp::Off`.
    #[inline(always)]
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, unix_nanos: u64, precision: Timestamp) {
        out.reserve(ROOM);
        // SAFETY: room for `ROOM` bytes was just reserved.
        unsafe { self.write_in_room(out, unix_nanos, precision) }
    }

    /// [`TimeCache::write`] without checking for room.
    ///
    /// # Safety
    /// `out` has room for [`ROOM`] more bytes.
    #[inline(always)]
    pub(crate) unsafe fn write_in_room(
        &mut self,
        out: &mut Vec<u8>,
        unix_nanos: u64,
        precision: Timestamp,
    ) {
        if precision == Timestamp::Off {
            return;
        }
        let Some(t) = self.shifted_exact(unix_nanos) else {
            // SAFETY: the caller's promise, passed on.
            return unsafe { self.write_outside(out, unix_nanos, precision) };
        };
        // Not `t.wrapping_sub(sec_start) < SEC`: the last second of `u64`
        // is cut short, and the first times after a manual clock wrapped
        // past it would read as in it.
        let frac = match t.checked_sub(self.sec_start) {
            Some(frac) if frac < SEC => frac,
            _ => {
                self.refresh(t);
                t - self.sec_start
            }
        };
        debug_assert!(frac < SEC);
        let frac = frac as u32;
        let ms = frac / 1_000_000;
        if ms != self.cached_ms {
            put_ms(&mut self.cached, ms);
            self.cached_ms = ms;
        }
        // SAFETY: the caller's promise, passed on.
        unsafe { self.put_fraction(out, &self.cached, frac, precision) };
    }

    /// Appends `cached` (a second and its millisecond, as
    /// `TimeCache::cached` holds them) with the digits of `frac` that
    /// `precision` shows below the millisecond, and the suffix.
    ///
    /// # Safety
    /// `out` has room for [`ROOM`] more bytes.
    #[inline(always)]
    unsafe fn put_fraction(
        &self,
        out: &mut Vec<u8>,
        cached: &[u8; ROOM],
        frac: u32,
        precision: Timestamp,
    ) {
        let (suffix, suffix_len) = (self.suffix, self.suffix_len);
        // SAFETY: the caller promises room for `ROOM`, the buffer's size.
        unsafe { put_edited(out, cached, |b| {
            let end = match precision {
                Timestamp::Millis => 23,
                Timestamp::Micros => {
                    let us = (frac / 1_000) % 1_000;
                    b[23] = b'0' + (us / 100) as u8;
                    two(&mut b[24..26], us % 100);
                    26
                }
                Timestamp::Nanos => {
                    let ns = frac % 1_000_000;
                    two(&mut b[23..25], ns / 10_000);
                    two(&mut b[25..27], (ns / 100) % 100);
                    two(&mut b[27..29], ns % 100);
                    29
                }
                // `Seconds` (the `.` is overwritten by the suffix).
                _ => 19,
            };
            b[end..end + 8].copy_from_slice(&suffix);
            end + suffix_len
        }) };
    }

    /// The time shown for `unix_nanos`: shifted by the offset; `u64::MAX`
    /// for a local time before the epoch or past the end of `u64`, which
    /// the head cache never keeps (the last window of `u64` is cut short)
    /// and [`TimeCache::write`] shows exactly, uncached.
    #[inline(always)]
    pub(crate) fn shifted(&self, unix_nanos: u64) -> u64 {
        self.shifted_exact(unix_nanos).unwrap_or(u64::MAX)
    }

    /// The time shown for `unix_nanos` when it is within `u64`.
    #[inline(always)]
    fn shifted_exact(&self, unix_nanos: u64) -> Option<u64> {
        match self.offset_nanos {
            0 => Some(unix_nanos),
            offset => unix_nanos.checked_add_signed(offset),
        }
    }

    /// [`TimeCache::write_in_room`] for a local time outside `u64` (the
    /// first hours after the epoch west of UTC, the last ones of `u64`
    /// east of it), leaving the cached second alone.
    ///
    /// # Safety
    /// `out` has room for [`ROOM`] more bytes.
    #[cold]
    #[inline(never)]
    unsafe fn write_outside(&self, out: &mut Vec<u8>, unix_nanos: u64, precision: Timestamp) {
        let t = unix_nanos as i128 + self.offset_nanos as i128;
        let (sec, frac) = (t.div_euclid(SEC as i128), t.rem_euclid(SEC as i128) as u32);
        let mut cached = [0; ROOM];
        let (days, rem) = (sec.div_euclid(86_400) as i64, sec.rem_euclid(86_400) as u32);
        cached[..20].copy_from_slice(&format_day(days, rem));
        put_ms(&mut cached, frac / 1_000_000);
        // SAFETY: the caller's promise, passed on.
        unsafe { self.put_fraction(out, &cached, frac, precision) };
    }

    /// [`TimeCache::shifted`]; `fixed` is the cache's offset when the
    /// caller knows it as a constant (UTC then shifts nothing), `None`
    /// otherwise.
    #[inline(always)]
    pub(crate) fn shifted_as(&self, unix_nanos: u64, fixed: Option<TimeOffset>) -> u64 {
        match fixed {
            Some(TimeOffset::UTC) => {
                debug_assert_eq!(self.offset_nanos, 0);
                unix_nanos
            }
            _ => self.shifted(unix_nanos),
        }
    }

    /// Caches the second of the shifted time `t`.
    #[cold]
    fn refresh(&mut self, t: u64) {
        let sec = t / SEC;
        self.cached[..20].copy_from_slice(&format_second(sec));
        self.sec_start = sec * SEC;
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

/// Writes millisecond `ms` into `cached[20..23]`.
#[inline(always)]
fn put_ms(cached: &mut [u8; ROOM], ms: u32) {
    cached[20] = b'0' + (ms / 100) as u8;
    two(&mut cached[21..23], ms % 100);
}

/// `YYYY-MM-DDTHH:MM:SS.` for a Unix second.
fn format_second(sec: u64) -> [u8; 20] {
    format_day((sec / 86_400) as i64, (sec % 86_400) as u32)
}

/// `YYYY-MM-DDTHH:MM:SS.` for second `rem` of day `days` since the epoch.
fn format_day(days: i64, rem: u32) -> [u8; 20] {
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
        // Before the epoch and past the end of `u64` in local time: shown
        // as they are, never clamped (nor wrapped).
        assert_eq!(
            at_offset(0, Timestamp::Seconds, Some(-60)),
            "1969-12-31T23:00:00-01:00"
        );
        assert_eq!(
            at_offset(1_500_000_001, Timestamp::Nanos, Some(-1439)),
            "1969-12-31T00:01:01.500000001-23:59"
        );
        assert_eq!(
            at_offset(u64::MAX, Timestamp::Micros, Some(90)),
            "2554-07-22T01:04:33.709551+01:30"
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

    /// `nanos` as a reference formats it (UTC), at precision `p`.
    fn reference(nanos: u64, p: Timestamp) -> String {
        let (s, frac) = (nanos / SEC, nanos % SEC);
        let (y, m, d) = civil_from_days((s / 86_400) as i64);
        let r = s % 86_400;
        let date = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            r / 3600,
            r / 60 % 60,
            r % 60
        );
        match p {
            Timestamp::Off => String::new(),
            Timestamp::Seconds => format!("{date}Z"),
            Timestamp::Millis => format!("{date}.{:03}Z", frac / 1_000_000),
            Timestamp::Micros => format!("{date}.{:06}Z", frac / 1_000),
            Timestamp::Nanos => format!("{date}.{frac:09}Z"),
        }
    }

    const PRECISIONS: [Timestamp; 5] = [
        Timestamp::Off,
        Timestamp::Seconds,
        Timestamp::Millis,
        Timestamp::Micros,
        Timestamp::Nanos,
    ];

    /// One cache per precision fed `times` in order: every line matches
    /// the reference.
    fn check_sequence(times: &[u64]) -> Result<(), TestCaseError> {
        for p in PRECISIONS {
            let mut f = TimeCache::default();
            for &t in times {
                let mut out = Vec::new();
                f.write(&mut out, t, p);
                prop_assert_eq!(
                    String::from_utf8(out).unwrap(),
                    reference(t, p),
                    "{} {:?}",
                    t,
                    p
                );
            }
        }
        Ok(())
    }

    #[test]
    fn the_cached_second_rolls_over_at_midnight_and_follows_a_clock_going_back() {
        // 2026-12-31T23:59:59.999999999Z, the next nanosecond (a new day,
        // month and year), and back.
        let last = 1_798_761_599_999_999_999;
        let first = last + 1;
        assert_eq!(
            reference(last, Timestamp::Millis),
            "2026-12-31T23:59:59.999Z"
        );
        assert_eq!(
            reference(first, Timestamp::Millis),
            "2027-01-01T00:00:00.000Z"
        );
        let times = [
            last - 1,
            last,
            first,
            first + 1,
            last, // the clock steps back a nanosecond across midnight
            first,
            first - SEC, // back a whole second, same fraction
            first + 3 * SEC,
            first - 86_400 * SEC, // back a day
            0,                    // the epoch: the cache's initial second
            u64::MAX,             // the largest time a record can carry
            499,                  // a manual clock wrapped: not that second
            u64::MAX,
            SEC - u64::MAX % SEC - 2,
            u64::MAX - 5,
            0,
            last,
        ];
        check_sequence(&times).unwrap();
        // Local midnight with an offset: the shifted time rolls over.
        let east = Some(60);
        let before = last - 3600 * SEC; // 22:59:59.999999999Z = 23:59:59 local
        let mut f = TimeCache::new(east);
        let mut out = Vec::new();
        for t in [before, before + 1, before] {
            f.write(&mut out, t, Timestamp::Millis);
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-12-31T23:59:59.999+01:00 2027-01-01T00:00:00.000+01:00 \
             2026-12-31T23:59:59.999+01:00 "
        );
    }

    proptest! {
        /// The cached formatter agrees with an independent conversion for
        /// any instant at every precision, including when consecutive
        /// calls cross seconds or go back in time.
        #[test]
        fn timestamps_match_a_reference(
            start in 0u64..18_000_000_000_000_000_000,
            steps in proptest::collection::vec(
                prop_oneof![
                    -2_000_000_000i64..2_000_000_000,
                    -1_000i64..1_000,
                    any::<i64>().prop_map(|x| x >> 8),
                ],
                1..12,
            ),
        ) {
            let mut times = vec![start];
            for s in steps {
                let t = times.last().unwrap().saturating_add_signed(s);
                times.push(t);
            }
            check_sequence(&times)?;
        }
    }
}
