//! Scanning: word-at-a-time tests for the bytes a dialect must look at,
//! and UTF-8 sequence classification (what starts at a non-ASCII byte).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

// Word tests: each returns a word whose bytes' high bits flag the bytes
// of `w` that match — every match, and possibly bytes above the lowest
// match (a borrow or carry runs upwards) or, for the inexact ones, bytes
// >= 0x80. OR them together. `find` goes straight to the lowest flag and
// checks it, so a test must never miss a byte; extra flags cost a look.

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

/// Flags exactly the bytes below `n` (`n <= 0x80`): never a byte >= 0x80,
/// for scanning text known to be valid UTF-8.
#[inline]
pub(super) fn below_exact(w: u64, n: u8) -> u64 {
    below(w, n) & !w
}

/// Flags exactly the bytes equal to `b` (any `b`).
#[inline]
pub(super) fn equal_exact(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * b as u64);
    x.wrapping_sub(ONES) & !x
}

/// Flags exactly the bytes 0xc2 and 0xe2, the lead bytes of U+0085 and of
/// U+2028/U+2029 (they differ only in bit 5).
#[inline]
pub(super) fn separator_lead(w: u64) -> u64 {
    equal_exact(w & !(ONES * 0x20), 0xc2)
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

/// Index of the first byte of `s` for which `hit` holds. Words are tested
/// with `word_flags`, which must flag every hit (see the word tests above):
/// a word without flags is skipped, a flagged one searched from its lowest
/// flag. The last partial word is tested as the (overlapping) last eight
/// bytes when `s` has that many.
#[inline]
pub(super) fn find(
    s: &[u8],
    word_flags: impl Fn(u64) -> u64,
    hit: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let f = word_flags(load(c)) & HIGHS;
        if f != 0 {
            let low = (f.trailing_zeros() / 8) as usize;
            if hit(c[low]) {
                return Some(base + low);
            }
            if let Some(i) = c[low + 1..].iter().position(|&b| hit(b)) {
                return Some(base + low + 1 + i);
            }
        }
        base += 8;
    }
    let rest = chunks.remainder();
    if rest.is_empty() || (s.len() >= 8 && word_flags(load(&s[s.len() - 8..])) & HIGHS == 0) {
        return None;
    }
    rest.iter().position(|&b| hit(b)).map(|i| base + i)
}

/// Whether some byte of `s` may be flagged by `word_flags` (a word test
/// above, which flags every byte to escape and every byte >= 0x80):
/// `false` means `s` is ASCII with nothing to escape. Short strings are
/// tested as one word of overlapping loads, padded with `A` (which no
/// test flags); longer ones a word at a time, the last word overlapping.
#[inline(always)]
pub(super) fn any_flagged(s: &[u8], word_flags: impl Fn(u64) -> u64) -> bool {
    const PAD: u64 = ONES * b'A' as u64;
    let n = s.len();
    let w = match n {
        0 => return false,
        1..=3 => {
            let (a, b, c) = (s[0] as u64, s[n / 2] as u64, s[n - 1] as u64);
            a | (b << 8) | (c << 16) | (PAD << 24)
        }
        4..=7 => {
            let lo = u32::from_le_bytes(s[..4].try_into().expect("four bytes"));
            let hi = u32::from_le_bytes(s[n - 4..].try_into().expect("four bytes"));
            lo as u64 | ((hi as u64) << 32)
        }
        _ => {
            let mut chunks = s.chunks_exact(8);
            let mut acc = word_flags(load(&s[n - 8..]));
            for c in &mut chunks {
                acc |= word_flags(load(c));
            }
            return flagged(acc);
        }
    };
    flagged(word_flags(w))
}

/// [`any_flagged`] with the flags of a dialect given both ways: its word
/// test (`word_flags`) and, for [`any_flagged16`], `below` and `extra`
/// (which flag the same bytes). On x86-64 a string of 16 bytes or more
/// is tested 16 bytes at a time (the last 16 overlapping), half the steps
/// of the word test; shorter ones, and other targets, take the word test.
#[inline(always)]
pub(super) fn any_flagged_in(
    s: &[u8],
    below: u8,
    extra: [u8; 3],
    word_flags: impl Fn(u64) -> u64,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if let Some(&last) = s.last_chunk::<16>() {
        let mut acc = flags16(last, below, extra);
        for c in s.chunks_exact(16) {
            let w: [u8; 16] = c.try_into().expect("sixteen bytes");
            acc |= flags16(w, below, extra);
        }
        return acc != 0;
    }
    any_flagged(s, word_flags)
}

/// Whether some byte among the first `len` (`1..=16`) of `w` is below
/// `below`, in `extra` or >= 0x80 (for `below <= 0x80`): a dialect's
/// flags (`Dialect::BELOW`, `Dialect::EXTRA`) tested on a short part
/// loaded with the bytes after it, which are masked off.
#[inline(always)]
pub(super) fn any_flagged16(w: [u8; 16], len: usize, below: u8, extra: [u8; 3]) -> bool {
    debug_assert!((1..=16).contains(&len) && below <= 0x80);
    // `PART[n]`: the low `n` bits (one load instead of a shift and a not).
    const PART: [u32; 17] = {
        let mut t = [0u32; 17];
        let mut n = 1;
        while n <= 16 {
            t[n] = (1 << n) - 1;
            n += 1;
        }
        t
    };
    flags16(w, below, extra) & PART[len.min(16)] != 0
}

/// The bytes of `w` that [`any_flagged16`] looks for, byte `i` as bit `i`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn flags16(w: [u8; 16], below: u8, extra: [u8; 3]) -> u32 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is in the x86-64 baseline (every x86-64 CPU has it, and
    // the target enables it); the load reads `w`'s 16 bytes, unaligned.
    unsafe {
        let v = _mm_loadu_si128(w.as_ptr().cast());
        let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
        // Signed: bytes >= 0x80 are negative, so below `below` too.
        let low = _mm_cmplt_epi8(v, _mm_set1_epi8(below as i8));
        let hit = _mm_or_si128(
            _mm_or_si128(low, eq(extra[0])),
            _mm_or_si128(eq(extra[1]), eq(extra[2])),
        );
        _mm_movemask_epi8(hit) as u32
    }
}

/// The bytes of `w` that [`any_flagged16`] looks for, byte `i` as bit `i`.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn flags16(w: [u8; 16], below: u8, extra: [u8; 3]) -> u32 {
    let mut m = 0;
    for (i, &b) in w.iter().enumerate() {
        if b < below || b >= 0x80 || extra.contains(&b) {
            m |= 1 << i;
        }
    }
    m
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
