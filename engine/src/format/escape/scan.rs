//! Scanning: word-at-a-time tests for the bytes a dialect must look at,
//! and UTF-8 sequence classification (what starts at a non-ASCII byte).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
// Word tests: each returns a word whose byte's high bit is set for the
// lowest byte of `w` that matches, and maybe for bytes above it or bytes
// >= 0x80 — never missing a match. Every dialect also flags bytes >= 0x80
// (`high_or_del`), so those false positives cost nothing; `find` confirms
// byte by byte. OR them together and test `& HIGHS` once.

/// Flags bytes below `n` (`n <= 0x80`).
#[inline]
pub(super) fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * n as u64)
}

/// Flags bytes equal to `b` (`b < 0x80`).
#[inline]
pub(super) fn equal(w: u64, b: u8) -> u64 {
    (w ^ (ONES * b as u64)).wrapping_sub(ONES)
}

/// Flags bytes >= 0x7f (DEL and everything non-ASCII).
#[inline]
pub(super) fn high_or_del(w: u64) -> u64 {
    w | w.wrapping_add(ONES)
}

/// Whether a word's flags hold any match.
#[inline]
pub(super) fn flagged(flags: u64) -> bool {
    flags & HIGHS != 0
}

/// The eight bytes at the start of `c` as a little-endian word.
#[inline]
pub(super) fn load(c: &[u8]) -> u64 {
    u64::from_le_bytes(c[..8].try_into().expect("eight bytes"))
}

/// Index of the first byte of `s` for which `hit` holds, testing words
/// with `word_may_hit` first (it may report false positives, never misses).
/// The last partial word is tested as the (overlapping) last eight bytes
/// when `s` has that many, so clean input never takes the byte loop.
#[inline]
pub(super) fn find(
    s: &[u8],
    word_may_hit: impl Fn(u64) -> bool,
    hit: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        if word_may_hit(load(c)) {
            if let Some(i) = c.iter().position(|&b| hit(b)) {
                return Some(base + i);
            }
        }
        base += 8;
    }
    let rest = chunks.remainder();
    if rest.is_empty() || (s.len() >= 8 && !word_may_hit(load(&s[s.len() - 8..]))) {
        return None;
    }
    rest.iter().position(|&b| hit(b)).map(|i| base + i)
}

/// What starts at a non-ASCII byte (Unicode 15, table 3-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Seq {
    /// A valid character of this many bytes.
    Char(usize),
    /// A maximal invalid subsequence of this many bytes (at least one).
    Invalid(usize),
    /// A valid beginning that `s` ends before completing.
    Incomplete,
}

/// Classifies the UTF-8 sequence at the start of `s` (`s[0] >= 0x80`).
#[inline]
pub(super) fn sequence(s: &[u8]) -> Seq {
    let (len, lo, hi) = match s[0] {
        0xc2..=0xdf => (2, 0x80, 0xbf),
        0xe0 => (3, 0xa0, 0xbf),
        0xe1..=0xec | 0xee..=0xef => (3, 0x80, 0xbf),
        0xed => (3, 0x80, 0x9f),
        0xf0 => (4, 0x90, 0xbf),
        0xf1..=0xf3 => (4, 0x80, 0xbf),
        0xf4 => (4, 0x80, 0x8f),
        _ => return Seq::Invalid(1),
    };
    for k in 1..len {
        let Some(&b) = s.get(k) else {
            return Seq::Incomplete;
        };
        let (lo, hi) = if k == 1 { (lo, hi) } else { (0x80, 0xbf) };
        if !(lo..=hi).contains(&b) {
            return Seq::Invalid(k);
        }
    }
    Seq::Char(len)
}

/// The line separator a valid character is, if it is one: U+0085, U+2028
/// or U+2029.
#[inline]
pub(super) fn separator(c: &[u8]) -> Option<u32> {
    match c {
        [0xc2, 0x85] => Some(0x85),
        [0xe2, 0x80, 0xa8] => Some(0x2028),
        [0xe2, 0x80, 0xa9] => Some(0x2029),
        _ => None,
    }
}
