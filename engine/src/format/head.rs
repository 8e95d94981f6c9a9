//! The head of a line, cached whole: what a built-in format writes before
//! the message (timestamp, level, target and the punctuation between
//! them) is, for most records, the same bytes as the last record's but
//! for the digits below the millisecond.
//!
//! A record whose head holds nothing else — no thread id, no span scope
//! in text, no call site shown — is looked up by the millisecond of its
//! Unix time (the second for [`Timestamp::Seconds`], any time for
//! [`Timestamp::Off`]; a time offset is whole minutes, so that millisecond
//! or second is one of local time too), its level and its target: the target recognised
//! by its address when it lives for the whole program (a call site's),
//! else by its bytes (up to [`KEY`] of them). On a hit the cached head is
//! stored with one or two wide moves and its microsecond (and nanosecond)
//! digits written in place; on a miss the format writes the head the
//! uncached way and the cache keeps a copy. A head longer than [`ROOM`]
//! or a long target that is not a call site's is never cached. Either way
//! the bytes are exactly the uncached ones (tested against them).

use super::digits::DIGITS3;
use super::targets::same;
use super::{Record, Timestamp};
use crate::level::Level;

/// Nanoseconds in a millisecond and in a second.
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;
/// Longest head cached.
pub(super) const ROOM: usize = 128;
/// Stored with a 64-byte move when the head fits in it.
const SHORT: usize = 64;
/// Longest target recognised by its bytes.
const KEY: usize = 64;
/// `level` when nothing is cached.
const NONE: u8 = u8::MAX;

/// Where a timestamp's millisecond digits end, from where it starts.
const AFTER_MS: usize = 23;

/// Nanoseconds of Unix time one head of `precision` covers.
const fn window_of(precision: Timestamp) -> u64 {
    match precision {
        Timestamp::Off => u64::MAX,
        Timestamp::Seconds => SEC,
        Timestamp::Millis | Timestamp::Micros | Timestamp::Nanos => MS,
    }
}

/// Digits below the millisecond that `precision` shows.
const fn digits_of(precision: Timestamp) -> usize {
    match precision {
        Timestamp::Micros => 3,
        Timestamp::Nanos => 6,
        Timestamp::Off | Timestamp::Seconds | Timestamp::Millis => 0,
    }
}

/// The last head written, and what it was written for.
#[derive(Debug)]
pub(crate) struct HeadCache {
    precision: Timestamp,
    /// Nanoseconds of Unix time one head covers: a millisecond, a
    /// second for `Seconds`, all of them for `Off`.
    window: u64,
    /// First Unix nanosecond of the window `buf` was made in (a
    /// multiple of `window`; 0 for `Off`), a window whole within `u64`
    /// (see `miss`).
    window_start: u64,
    /// The record level `buf` was made for; `NONE` when there is no head.
    level: u8,
    /// Address and length of the target when it lived for the whole
    /// program; `(0, 0)` otherwise.
    target_static: (usize, usize),
    /// The target's first `key_len` bytes; `key_len` is `usize::MAX` when
    /// it was longer than [`KEY`].
    key: [u8; KEY],
    key_len: usize,
    /// The head, its first `len` bytes (`len <= ROOM`).
    buf: [u8; ROOM],
    len: usize,
    /// Digits below the millisecond (3 for Micros, 6 for Nanos, else 0)
    /// and where in `buf` they go.
    digits: usize,
    digits_at: usize,
    /// The byte of `buf` after the digits, in the top byte of a `u32`
    /// (stored with the last three digits).
    after_digits: u32,
}

impl HeadCache {
    pub(crate) fn new(precision: Timestamp) -> HeadCache {
        HeadCache {
            precision,
            window: window_of(precision),
            window_start: 0,
            level: NONE,
            target_static: (0, 0),
            key: [0; KEY],
            key_len: usize::MAX,
            buf: [0; ROOM],
            len: 0,
            digits: digits_of(precision),
            digits_at: 0,
            after_digits: 0,
        }
    }

    /// Appends the cached head of a record at Unix time `t`, of
    /// `level`, whose target is `target` (`'static` when `is_static`);
    /// `false`, with nothing written, when the cache does not hold it:
    /// the caller then writes it through [`HeadCache::miss`], on a path
    /// of its own (what a miss needs is then made there, not per record).
    /// `fixed` is the cache's precision when the caller knows it as a
    /// constant (what depends on it then folds away), `None` otherwise.
    #[inline(always)]
    pub(crate) fn put_cached_head(
        &mut self,
        out: &mut Vec<u8>,
        t: u64,
        level: Level,
        target: (&[u8], bool),
        fixed: Option<Timestamp>,
    ) -> bool {
        debug_assert!(fixed.is_none() || fixed == Some(self.precision));
        let frac = t.wrapping_sub(self.window_start);
        let window = fixed.map_or(self.window, window_of);
        if frac < window && level as u8 == self.level && self.same_target(target) {
            self.put_cached(out, frac, fixed.map_or(self.digits, digits_of));
            return true;
        }
        false
    }

    #[inline(always)]
    fn same_target(&self, (target, is_static): (&[u8], bool)) -> bool {
        if is_static && (target.as_ptr() as usize, target.len()) == self.target_static {
            return true;
        }
        let n = target.len();
        n == self.key_len && self.key.get(..n).is_some_and(|k| same(k, target))
    }

    /// Stores the cached head with the digits of `frac` (nanoseconds into
    /// its window) below the millisecond: one or two wide moves of the
    /// head, then one 4-byte store per three digits, whose fourth byte is
    /// the head's own byte after them.
    /// `digits` is `self.digits`.
    #[inline(always)]
    fn put_cached(&self, out: &mut Vec<u8>, frac: u64, digits: usize) {
        debug_assert_eq!(digits, self.digits);
        out.reserve(ROOM);
        let len = self.len;
        debug_assert!(len <= ROOM && (self.digits == 0 || self.digits_at + 7 <= ROOM));
        // SAFETY: room for `ROOM` bytes was just reserved; the head is
        // stored in full (`SHORT` or `ROOM` bytes) before its digits are
        // written over it, at `digits_at .. digits_at + 7 <= ROOM` (the
        // last store reaching a byte past the digits: the head's own, or
        // spare room when the digits end the head), and only `len` bytes
        // join `out`.
        unsafe {
            let dst = out.as_mut_ptr().add(out.len());
            let (short, rest) = self.buf.split_first_chunk::<SHORT>().expect("ROOM >= SHORT");
            dst.cast::<[u8; SHORT]>().write_unaligned(*short);
            if len > SHORT {
                let rest: &[u8; ROOM - SHORT] = rest.try_into().expect("ROOM - SHORT bytes");
                dst.add(SHORT).cast::<[u8; ROOM - SHORT]>().write_unaligned(*rest);
            }
            if digits != 0 {
                debug_assert!(frac < MS);
                let at = dst.add(self.digits_at);
                let us = (frac / 1_000) as usize;
                let after = self.after_digits;
                if digits == 3 {
                    at.cast::<u32>().write_unaligned(DIGITS3[us] | after);
                } else {
                    let ns = (frac % 1_000) as usize;
                    at.cast::<u32>().write_unaligned(DIGITS3[us]);
                    at.add(3).cast::<u32>().write_unaligned(DIGITS3[ns] | after);
                }
            }
            out.set_len(out.len() + len);
        }
    }

    /// [`HeadCache::put_cached_head`], else [`HeadCache::miss`].
    #[cfg(test)]
    pub(crate) fn put(
        &mut self,
        out: &mut Vec<u8>,
        t: u64,
        level: Level,
        target: (&[u8], bool),
        write: impl FnOnce(&mut Vec<u8>) -> usize,
    ) {
        if !self.put_cached_head(out, t, level, target, None) {
            self.miss(out, t, level, target, write);
        }
    }

    /// After a miss of [`HeadCache::put_cached_head`]: the head of `rec`
    /// (the record's copy, made on this path: see `Record`) written by
    /// `write` (see [`HeadCache::miss`]) and kept.
    #[cold]
    #[inline(never)]
    pub(crate) fn put_missed(
        &mut self,
        out: &mut Vec<u8>,
        t: u64,
        rec: Record<'_>,
        write: impl FnOnce(&mut Vec<u8>, &Record<'_>) -> usize,
    ) {
        self.miss(out, t, rec.level, rec.target_identity(), |out| write(out, &rec));
    }

    /// Writes the head the uncached way with `write` (which appends it
    /// and returns where in it the timestamp starts), straight into
    /// `out`, and keeps a copy when it fits.
    #[inline]
    pub(crate) fn miss(
        &mut self,
        out: &mut Vec<u8>,
        t: u64,
        level: Level,
        (target, is_static): (&[u8], bool),
        write: impl FnOnce(&mut Vec<u8>) -> usize,
    ) {
        let start = out.len();
        let time_at = write(out);
        let head = &out[start..];
        let (n, len) = (target.len(), head.len());
        let keyed = is_static || n <= KEY;
        let digits_at = time_at + AFTER_MS;
        let window_start = match self.precision {
            Timestamp::Off => 0,
            _ => t - t % self.window,
        };
        // The last window of `u64` is cut short: kept, the first times
        // after a manual clock wrapped past it would read as in it
        // (`put_cached_head` compares `t - window_start` wrapping).
        let whole = window_start <= u64::MAX - (self.window - 1);
        if len <= ROOM && keyed && whole && (self.digits == 0 || digits_at + 7 <= ROOM) {
            self.buf[..len].copy_from_slice(head);
            self.len = len;
            self.digits_at = digits_at;
            if self.digits != 0 {
                self.after_digits = (self.buf[digits_at + self.digits] as u32) << 24;
            }
            self.level = level as u8;
            self.window_start = window_start;
            self.target_static = match is_static {
                true => (target.as_ptr() as usize, n),
                false => (0, 0),
            };
            match self.key.get_mut(..n) {
                Some(k) => {
                    k.copy_from_slice(target);
                    self.key_len = n;
                }
                None => self.key_len = usize::MAX,
            }
        } else {
            self.level = NONE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{encoded, rec};
    use super::super::time::TimeCache;
    use super::super::{Format, Formatter, Styling, TimeOffset, Timestamp};
    use super::*;
    use proptest::prelude::*;

    const PRECISIONS: [Timestamp; 5] = [
        Timestamp::Off,
        Timestamp::Seconds,
        Timestamp::Millis,
        Timestamp::Micros,
        Timestamp::Nanos,
    ];

    /// 2026-12-31T23:59:59.999999999Z: the next nanosecond is a new
    /// second, minute, hour, day, month and year.
    const YEAR_END: u64 = 1_798_761_599_999_999_999;

    /// Targets of every kind: short, at and past the key length, past
    /// the cached room, empty, and needing escapes.
    fn targets() -> Vec<String> {
        let mut t: Vec<String> = ["app", "app::db", "apq", "", "a b\n", "ünï"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for n in [KEY - 1, KEY, KEY + 1, ROOM - 20, ROOM + 1] {
            t.push("t".repeat(n));
            t.push(format!("{}u", "t".repeat(n - 1)));
        }
        t
    }

    /// Every built-in format the head cache serves or steps aside for.
    fn formats() -> Vec<Format> {
        let mut v = Vec::new();
        for base in [Format::text(), Format::json()] {
            for p in PRECISIONS {
                for offset in [
                    TimeOffset::UTC,
                    TimeOffset::east_minutes(330).unwrap(),
                    TimeOffset::east_minutes(-(23 * 60 + 59)).unwrap(),
                ] {
                    let f = base.timestamp(p).time_offset(offset);
                    v.extend([f, f.without_target(), f.styled(Styling::Ansi)]);
                }
            }
            v.extend([base.with_thread_id(), base.with_call_site()]);
        }
        v
    }

    /// One formatter fed `times` in order with every combination of level
    /// and target writes, line for line, what a fresh formatter (whose
    /// cached head is always a miss: the uncached path) writes.
    fn check_against_uncached(times: &[u64], picks: &[(u8, u8, bool)]) {
        let targets = targets();
        let fields = encoded(&[("k", &1u8)]);
        for f in formats() {
            let mut cached = Formatter::new(f);
            for (i, &t) in times.iter().enumerate() {
                let (level, target, with_fields) = picks[i % picks.len()];
                let level = Level::ALL[level as usize % 5];
                let target = &targets[target as usize % targets.len()];
                let fields: &[u8] = if with_fields { &fields } else { &[] };
                let mut r = rec(t, level, target, "m", fields);
                if i % 3 == 0 {
                    r.call_site = Some((b"src/x.rs", 7));
                }
                let mut got = b"..".to_vec();
                assert!(cached.write(&mut got, &r));
                let mut want = b"..".to_vec();
                assert!(Formatter::new(f).write(&mut want, &r));
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&want),
                    "format {f:?}, record {i} at {t}"
                );
            }
        }
    }

    #[test]
    fn cached_heads_match_uncached_ones_across_boundaries_and_backward_steps() {
        let ms = MS;
        let times = [
            YEAR_END - 2 * ms,
            YEAR_END - ms + 1,
            YEAR_END - 1,
            YEAR_END,
            YEAR_END + 1, // a new year
            YEAR_END + 2,
            YEAR_END,          // back a nanosecond across it
            YEAR_END + 1 + ms, // the next millisecond
            YEAR_END + ms,     // back into the first one
            YEAR_END + 1 + ms - 1,
            YEAR_END + 1 - 60 * SEC, // back a minute, same fraction
            YEAR_END + 1 - 86_400 * SEC,
            YEAR_END + 1 + 999_999, // the last nanosecond of a millisecond
            YEAR_END + 1 + 999_999,
            0,
            1,
            u64::MAX,
            u64::MAX - 1,
            u64::MAX,
            // A manual clock that wraps: the last window of `u64` is cut
            // short, and the first times after the wrap are not in it.
            499,
            u64::MAX,
            SEC - u64::MAX % SEC - 2,
            u64::MAX - 5,
            0,
            YEAR_END,
        ];
        let picks = [(2, 0, false), (2, 0, false), (3, 0, false), (2, 1, false), (2, 2, true)];
        check_against_uncached(&times, &picks);
        // Every level and target in turn within one millisecond.
        let n = 5 * targets().len();
        let times: Vec<u64> = (0..n as u64).map(|i| YEAR_END + 1 + i).collect();
        let picks: Vec<(u8, u8, bool)> = (0..n).map(|i| (i as u8, (i / 5) as u8, false)).collect();
        check_against_uncached(&times, &picks);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn cached_heads_match_uncached_ones(
            start in 0u64..18_000_000_000_000_000_000,
            steps in proptest::collection::vec(
                prop_oneof![
                    0i64..2_000,
                    -2_000i64..2_000_000,
                    -2_000_000_000i64..2_000_000_000,
                    any::<i64>().prop_map(|x| x >> 8),
                ],
                1..24,
            ),
            picks in proptest::collection::vec((0u8..5, 0u8..40, any::<bool>()), 1..8),
        ) {
            let mut times = vec![start];
            for s in steps {
                times.push(times.last().unwrap().saturating_add_signed(s));
            }
            check_against_uncached(&times, &picks);
        }
    }

    /// A head as a format would write it: the timestamp, then the level
    /// and the target.
    fn uncached(out: &mut Vec<u8>, t: u64, p: Timestamp, level: Level, target: &[u8]) -> usize {
        out.extend_from_slice(b"<");
        TimeCache::new(None).write(out, t, p);
        out.push(b' ');
        out.extend_from_slice(level.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(target);
        1
    }

    #[test]
    fn static_targets_are_recognised_by_address_and_bytes_alike() {
        // Two statics with the same bytes at different addresses, one
        // with other bytes, a long one, and the same bytes not static.
        let a: &'static [u8] = Box::leak(b"app".to_vec().into_boxed_slice());
        let b: &'static [u8] = Box::leak(b"app".to_vec().into_boxed_slice());
        let c: &'static [u8] = Box::leak(b"apq".to_vec().into_boxed_slice());
        let long: &'static [u8] = Box::leak(vec![b'l'; KEY + 9].into_boxed_slice());
        let plain = b"app".to_vec();
        let long_plain = vec![b'l'; KEY + 9];
        let seq: [(&[u8], bool); 12] = [
            (a, true),
            (a, true),
            (c, true), // same length, other bytes
            (b, true),
            (&plain, false),
            (c, true),
            (a, true),
            (long, true),
            (long, true),
            (&long_plain, false),
            (long, true),
            (c, true),
        ];
        for p in PRECISIONS {
            let mut cache = HeadCache::new(p);
            for (i, &(target, is_static)) in seq.iter().enumerate() {
                let t = YEAR_END + 1 + 1_234 * i as u64;
                let level = Level::Info;
                let mut got = Vec::new();
                cache.put(&mut got, t, level, (target, is_static), |out| {
                    uncached(out, t, p, level, target)
                });
                let mut want = Vec::new();
                uncached(&mut want, t, p, level, target);
                assert_eq!(got, want, "{p:?}, record {i}");
            }
        }
    }
}
