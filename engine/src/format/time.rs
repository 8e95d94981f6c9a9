//! RFC 3339 UTC timestamps at a chosen precision, caching the last second.

use super::digits::two;
use super::Timestamp;
use crate::clock::civil_from_days;

/// The date-time of the last second formatted.
#[derive(Debug)]
pub(crate) struct TimeCache {
    /// The Unix second `cached` describes; `u64::MAX` before the first line.
    cached_sec: u64,
    /// `YYYY-MM-DDTHH:MM:SS.` for `cached_sec`.
    cached: [u8; 20],
}

impl Default for TimeCache {
    fn default() -> Self {
        TimeCache {
            cached_sec: u64::MAX,
            cached: [0; 20],
        }
    }
}

impl TimeCache {
    /// Appends `YYYY-MM-DDTHH:MM:SS[.fraction]Z`; nothing for `Timestamp::Off`.
    #[inline]
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, unix_nanos: u64, precision: Timestamp) {
        let digits = match precision {
            Timestamp::Off => return,
            Timestamp::Seconds => 0,
            Timestamp::Millis => 3,
            Timestamp::Micros => 6,
            Timestamp::Nanos => 9,
        };
        let sec = unix_nanos / 1_000_000_000;
        if sec != self.cached_sec {
            self.cached = format_second(sec);
            self.cached_sec = sec;
        }
        if digits == 0 {
            out.extend_from_slice(&self.cached[..19]);
            out.push(b'Z');
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
        tail[digits] = b'Z';
        out.extend_from_slice(&self.cached);
        out.extend_from_slice(&tail[..=digits]);
    }
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
        let mut out = Vec::new();
        TimeCache::default().write(&mut out, nanos, p);
        String::from_utf8(out).unwrap()
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
