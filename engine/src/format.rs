//! The text line: `2026-11-28T04:56:49.123456Z INFO  target: message\n`.
//!
//! Layout: RFC 3339 UTC timestamp with microseconds, the level padded to five
//! columns, the target, `": "`, the message, a newline. Control characters in
//! the message (`\n`, `\r`, and every other byte below 0x20 except tab, and
//! 0x7f) are escaped as `\n`, `\r` or `\xNN`, so one record is always one
//! line. The formatter caches the date and time down to the second and
//! writes digits from a table: no `core::fmt` on this path.

use crate::level::Level;
use crate::record::Split;

/// Formats line prefixes, caching the date-time of the last second seen.
#[derive(Debug)]
pub(crate) struct LineFormat {
    /// The Unix second `cached` describes; `u64::MAX` before the first line.
    cached_sec: u64,
    /// `YYYY-MM-DDTHH:MM:SS.` for `cached_sec`.
    cached: [u8; 20],
}

static DIGITS2: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[i * 2] = b'0' + (i / 10) as u8;
        t[i * 2 + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

#[inline]
fn two(out: &mut [u8], v: u32) {
    let i = (v as usize % 100) * 2;
    out[0] = DIGITS2[i];
    out[1] = DIGITS2[i + 1];
}

impl Default for LineFormat {
    fn default() -> Self {
        LineFormat {
            cached_sec: u64::MAX,
            cached: [0; 20],
        }
    }
}

impl LineFormat {
    /// Appends one complete text line to `out`.
    #[inline]
    pub(crate) fn write_text(
        &mut self,
        out: &mut Vec<u8>,
        unix_nanos: u64,
        level: Level,
        target: Split<'_>,
        msg: Split<'_>,
    ) {
        self.write_timestamp(out, unix_nanos);
        out.push(b' ');
        out.extend_from_slice(level.padded());
        out.push(b' ');
        target.extend_into(out);
        out.extend_from_slice(b": ");
        push_escaped(out, msg.first);
        push_escaped(out, msg.second);
        out.push(b'\n');
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.uuuuuuZ`.
    #[inline]
    pub(crate) fn write_timestamp(&mut self, out: &mut Vec<u8>, unix_nanos: u64) {
        let sec = unix_nanos / 1_000_000_000;
        if sec != self.cached_sec {
            self.cached = format_second(sec);
            self.cached_sec = sec;
        }
        let micros = ((unix_nanos % 1_000_000_000) / 1_000) as u32;
        let mut tail = [0u8; 7];
        two(&mut tail[0..2], micros / 10_000);
        two(&mut tail[2..4], (micros / 100) % 100);
        two(&mut tail[4..6], micros % 100);
        tail[6] = b'Z';
        out.extend_from_slice(&self.cached);
        out.extend_from_slice(&tail);
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

/// Proleptic Gregorian (year, month, day) for days since 1970-01-01
/// (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
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

#[inline]
fn needs_escape(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// Whether any byte of the word is below 0x20 or equal to 0x7f (may report
/// a tab too; the slow path sorts that out).
#[inline]
fn word_may_need_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below_0x20 = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    let x = w ^ (ONES * 0x7f);
    let eq_7f = x.wrapping_sub(ONES) & !x & HIGHS;
    (below_0x20 | eq_7f) != 0
}

fn any_needs_escape(s: &[u8]) -> bool {
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        if word_may_need_escape(w) && c.iter().any(|&b| needs_escape(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| needs_escape(b))
}

/// Appends `s`, escaping control characters so the line stays one line.
#[inline]
pub(crate) fn push_escaped(out: &mut Vec<u8>, s: &[u8]) {
    if !any_needs_escape(s) {
        out.extend_from_slice(s);
        return;
    }
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'x',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(nanos: u64, level: Level, target: &str, msg: &str) -> String {
        let mut f = LineFormat::default();
        let mut out = Vec::new();
        let t = Split {
            first: target.as_bytes(),
            second: &[],
        };
        let (a, b) = msg.as_bytes().split_at(msg.len() / 2);
        f.write_text(
            &mut out,
            nanos,
            level,
            t,
            Split {
                first: a,
                second: b,
            },
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formats_a_known_instant() {
        // 2026-11-28T04:56:49.123456789Z
        let nanos = 1_795_841_809_123_456_789;
        assert_eq!(
            line(nanos, Level::Info, "app::db", "request id=42"),
            "2026-11-28T04:56:49.123456Z INFO  app::db: request id=42\n"
        );
        assert_eq!(
            line(0, Level::Error, "t", "x"),
            "1970-01-01T00:00:00.000000Z ERROR t: x\n"
        );
    }

    #[test]
    fn control_characters_are_escaped_to_keep_one_line() {
        assert_eq!(
            line(0, Level::Warn, "t", "a\nb\r\tc\u{1b}d\u{7f}"),
            "1970-01-01T00:00:00.000000Z WARN  t: a\\nb\\r\tc\\x1bd\\x7f\n"
        );
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
            let mut f = LineFormat::default();
            for s in secs {
                let mut out = Vec::new();
                f.write_timestamp(&mut out, s * 1_000_000_000 + nanos);
                let days = (s / 86_400) as i64;
                let (y, m, d) = civil_from_days(days);
                let r = s % 86_400;
                let want = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z", r / 3600, r / 60 % 60, r % 60, nanos / 1000);
                prop_assert_eq!(String::from_utf8(out).unwrap(), want);
            }
        }

        #[test]
        fn escaping_leaves_no_control_bytes_and_is_identity_otherwise(s in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut out = Vec::new();
            push_escaped(&mut out, &s);
            prop_assert!(!out.iter().any(|&b| needs_escape(b)));
            if !s.iter().any(|&b| needs_escape(b)) {
                prop_assert_eq!(out, s);
            }
        }
    }
}
