//! The frame crc32c on the producer's path: a frame's sequence number and
//! its body (the record and its zero padding, a multiple of 8 bytes),
//! hashed with the SSE4.2 instruction directly where the CPU has it, else
//! with the `crc32c` crate. The result is the crate's
//! `crc32c(seq ‖ body)` either way.
//!
//! With SSE4.2 and PCLMULQDQ a body of [`LONG`] words or more is hashed
//! in three independent lanes whose registers are joined at the end with
//! two carry-less multiplications (the method of Intel's "Fast CRC
//! computation for iSCSI polynomial using CRC32 instruction"): the
//! `crc32` instruction has a latency of three cycles and one result per
//! cycle, so one dependent chain of `n` words takes `3 n` cycles and three
//! lanes about `n + 10`. A shorter body (the common record) takes one
//! lane, in runs of 8, 4, 2 and 1 words as its length's bits say: the
//! fewest instructions, and the producer hashes a frame in the call after
//! the one that wrote it (see `ring`), where the chain's latency overlaps
//! that call's own work. Words only: the body is a multiple of 8 bytes,
//! so there is no tail of 4, 2 or 1 bytes.
//!
//! On the producer's call path, a body under [`LONG`] words is hashed
//! inline ([`seq_body_short`]): the instruction in inline assembly, which
//! inlines into any caller where a function compiled for SSE4.2 cannot,
//! one jump to a run of as many instructions as the body has words.

#[cfg(target_arch = "x86_64")]
use std::sync::atomic::{AtomicU8, Ordering};

/// 0: not yet detected, 1: SSE4.2 and PCLMULQDQ, 2: not both.
#[cfg(target_arch = "x86_64")]
static HW: AtomicU8 = AtomicU8::new(0);

#[cfg(target_arch = "x86_64")]
#[cold]
#[inline(never)]
fn detect() -> bool {
    let has = std::arch::is_x86_feature_detected!("sse4.2")
        && std::arch::is_x86_feature_detected!("pclmulqdq");
    HW.store(if has { 1 } else { 2 }, Ordering::Relaxed);
    has
}

/// Whether the CPU has the instructions of the fast paths (detected
/// once): whether [`seq_body_short`] may be called.
#[inline]
pub(crate) fn has_hw() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // Relaxed: a flag computed the same way by every thread.
        match HW.load(Ordering::Relaxed) {
            1 => true,
            2 => false,
            _ => detect(),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Bodies shorter than this many bytes may take [`seq_body_short`].
pub(crate) const INLINE_BELOW: usize = 8 * LONG;

/// [`seq_body`] inlined into the caller, for a short body (the common
/// record) on a CPU with the `crc32` instruction: no call, no load of the
/// detected flag, and no call the compiler must assume writes memory.
///
/// # Safety
/// [`has_hw`] is true, and `body.len() < INLINE_BELOW`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn seq_body_short(seq: u64, body: &[u8]) -> u32 {
    debug_assert!(body.len() % 8 == 0 && body.len() < INLINE_BELOW && has_hw());
    // SAFETY: the CPU has SSE4.2 and the body `body.len() / 8 < LONG`
    // words (the caller's promise), which end one past the slice's end.
    unsafe { inline::seq_few(seq, body.as_ptr().add(body.len()), body.len() / 8) }
}

/// [`seq_body`] (no CPU but x86-64 has the fast path: [`has_hw`] is
/// false there, so this is never called).
///
/// # Safety
/// None needed; `unsafe` as on x86-64.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(crate) unsafe fn seq_body_short(seq: u64, body: &[u8]) -> u32 {
    seq_body(seq, body)
}

/// The crc32c of `seq` (little-endian) followed by `body`, whose length
/// is a multiple of 8.
#[inline]
pub(crate) fn seq_body(seq: u64, body: &[u8]) -> u32 {
    debug_assert!(body.len() % 8 == 0);
    #[cfg(target_arch = "x86_64")]
    {
        if has_hw() {
            // SAFETY: the CPU has SSE4.2 and PCLMULQDQ (detected above).
            return unsafe { hw::seq_body(seq, body) };
        }
    }
    portable(seq, body)
}

/// [`seq_body`] without SSE4.2: the `crc32c` crate (which picks its own
/// implementation, tables where the CPU has no crc instruction).
#[inline]
fn portable(seq: u64, body: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&seq.to_le_bytes()), body)
}

/// The reflected crc32c polynomial.
const POLY: u32 = 0x82f6_3b78;

/// Bodies of at least this many words take the balanced three lanes.
const LONG: usize = 16;

/// Words per lane in a full block of three lanes (longer bodies are
/// hashed a block at a time).
const BLOCK: usize = 32;

// The balanced lanes need five words (k >= 2); a short body is at most
// one run of each of 8, 4, 2 and 1 words.
const _: () = assert!(LONG >= 5 && LONG <= 16 && 3 * BLOCK >= LONG);

/// `SHIFT[m]`: x^(64 m − 33) mod P in the reflected form (bit `i` is the
/// coefficient of x^(31 − i)), for `m` in `1 ..= 2 BLOCK`: multiplied
/// (carry-less) by a register and fed to one `crc32` of a zero register,
/// it gives the register as if `m` zero words had followed it.
const SHIFT: [u32; 2 * BLOCK + 1] = shift_table();

const fn shift_table() -> [u32; 2 * BLOCK + 1] {
    let mut t = [0u32; 2 * BLOCK + 1];
    // x^31: the lowest exponent is m = 1, 64 − 33.
    let mut r: u32 = 1;
    let mut m = 1;
    while m <= 2 * BLOCK {
        t[m] = r;
        // Times x^64.
        let mut i = 0;
        while i < 64 {
            r = (r >> 1) ^ if r & 1 == 1 { POLY } else { 0 };
            i += 1;
        }
        m += 1;
    }
    t
}

/// The body of [`seq_body_short`]: the `crc32` instruction in
/// inline assembly, which (unlike a function with SSE4.2 enabled) inlines
/// into any caller; the CPU's support is the caller's to check.
#[cfg(target_arch = "x86_64")]
mod inline {
    use std::arch::asm;

    /// `crc32` of the words at `$end` minus each byte offset, into `$crc`.
    macro_rules! crc_words {
        ($crc:ident, $end:expr, $($off:literal),+) => {
            asm!(
                $(concat!("crc32 {c}, qword ptr [{p} - ", $off, "]")),+,
                c = inout(reg) $crc, p = in(reg) $end,
                options(pure, readonly, nostack, preserves_flags),
            )
        };
    }

    /// The crc32c of `seq` followed by the `k < 16` words before `end`:
    /// one jump (a table the compiler builds for the `match`) to a run of
    /// `k` instructions. Addressed back from `end`, each arm's offsets are
    /// its own constants: the caller, who knows where the words end, does
    /// not compute where they start (2 Ir less per call).
    ///
    /// # Safety
    /// The CPU has SSE4.2; `end - 8 k .. end` is readable; `k < 16`.
    #[inline(always)]
    pub(super) unsafe fn seq_few(seq: u64, end: *const u8, k: usize) -> u32 {
        debug_assert!(k < 16);
        let mut crc = u64::from(u32::MAX);
        // SAFETY: `crc32` with SSE4.2 (the caller's promise); each arm
        // reads the `k` words before `end`, which are readable (the
        // caller's promise), and writes only `crc`, no memory, no flag.
        unsafe {
            asm!(
                "crc32 {c}, {s}",
                c = inout(reg) crc, s = in(reg) seq,
                options(pure, nomem, nostack, preserves_flags),
            );
            match k {
                0 => {}
                1 => crc_words!(crc, end, 8),
                2 => crc_words!(crc, end, 16, 8),
                3 => crc_words!(crc, end, 24, 16, 8),
                4 => crc_words!(crc, end, 32, 24, 16, 8),
                5 => crc_words!(crc, end, 40, 32, 24, 16, 8),
                6 => crc_words!(crc, end, 48, 40, 32, 24, 16, 8),
                7 => crc_words!(crc, end, 56, 48, 40, 32, 24, 16, 8),
                8 => crc_words!(crc, end, 64, 56, 48, 40, 32, 24, 16, 8),
                9 => crc_words!(crc, end, 72, 64, 56, 48, 40, 32, 24, 16, 8),
                10 => crc_words!(crc, end, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8),
                11 => crc_words!(crc, end, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8),
                12 => crc_words!(crc, end, 96, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8),
                13 => crc_words!(crc, end, 104, 96, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8),
                14 => crc_words!(crc, end, 112, 104, 96, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8),
                15 => crc_words!(crc, end, 120, 112, 104, 96, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8),
                _ => std::hint::unreachable_unchecked(),
            }
        }
        !(crc as u32)
    }
}

#[cfg(target_arch = "x86_64")]
mod hw {
    use super::{BLOCK, LONG, SHIFT};
    use std::arch::x86_64::{
        _mm_clmulepi64_si128, _mm_crc32_u64, _mm_cvtsi128_si64, _mm_cvtsi32_si128, _mm_xor_si128,
    };

    /// Register `ra` as if `ma` zero words had followed it, plus `rb` as if
    /// `mb` had: each a carry-less product with x^(64 m − 33), whose
    /// 64-bit result a `crc32` of a zero register turns into the shifted
    /// register (the caller feeds it XORed into its next word:
    /// crc32(r, x ^ y) = crc32(r, x) ^ crc32(0, y)).
    #[target_feature(enable = "sse4.2,pclmulqdq")]
    #[inline]
    fn fold(ra: u64, ma: usize, rb: u64, mb: usize) -> u64 {
        let pa = _mm_clmulepi64_si128(
            _mm_cvtsi32_si128(ra as i32),
            _mm_cvtsi32_si128(SHIFT[ma] as i32),
            0,
        );
        let pb = _mm_clmulepi64_si128(
            _mm_cvtsi32_si128(rb as i32),
            _mm_cvtsi32_si128(SHIFT[mb] as i32),
            0,
        );
        _mm_cvtsi128_si64(_mm_xor_si128(pa, pb)) as u64
    }

    /// See [`super::seq_body`].
    ///
    /// # Safety
    /// The CPU has SSE4.2 and PCLMULQDQ.
    #[target_feature(enable = "sse4.2,pclmulqdq")]
    pub(super) unsafe fn seq_body(seq: u64, body: &[u8]) -> u32 {
        let n = body.len() / 8;
        let p = body.as_ptr();
        let crc = _mm_crc32_u64(u64::from(u32::MAX), seq);
        if n >= LONG {
            // SAFETY: the body has `n` words.
            return !(unsafe { long(crc, p, n) } as u32);
        }
        // SAFETY: the body has `n < 16` words.
        !(unsafe { few(crc, p, n) } as u32)
    }

    /// The little-endian word at `q`.
    ///
    /// # Safety
    /// `q .. q + 8` is readable.
    #[inline(always)]
    unsafe fn word(q: *const u8) -> u64 {
        // SAFETY: the caller's promise.
        u64::from_le(unsafe { q.cast::<u64>().read_unaligned() })
    }

    /// Register `crc` after words `from .. to` of the body at `p`, one by one.
    ///
    /// # Safety
    /// The body at `p` has at least `to` words.
    #[target_feature(enable = "sse4.2")]
    #[inline]
    unsafe fn one_lane(mut crc: u64, p: *const u8, from: usize, to: usize) -> u64 {
        for i in from..to {
            // SAFETY: `i < to`, inside the body.
            crc = _mm_crc32_u64(crc, unsafe { word(p.add(8 * i)) });
        }
        crc
    }

    /// Register `crc` after the first `k < 16` words of the body at `p`,
    /// without a loop: a run of 8, of 4, of 2, of 1 as `k`'s bits say (a
    /// short body, one lane).
    ///
    /// # Safety
    /// The body at `p` has at least `k` words.
    #[target_feature(enable = "sse4.2")]
    #[inline]
    unsafe fn few(mut crc: u64, mut p: *const u8, k: usize) -> u64 {
        debug_assert!(k < 16);
        if k & 8 != 0 {
            // SAFETY: `k >= 8`: the first eight words lie among the first `k`.
            unsafe {
                for i in 0..8 {
                    crc = _mm_crc32_u64(crc, word(p.add(8 * i)));
                }
                p = p.add(64);
            }
        }
        if k & 4 != 0 {
            // SAFETY: as above, four more words of the first `k`.
            unsafe {
                crc = _mm_crc32_u64(crc, word(p));
                crc = _mm_crc32_u64(crc, word(p.add(8)));
                crc = _mm_crc32_u64(crc, word(p.add(16)));
                crc = _mm_crc32_u64(crc, word(p.add(24)));
                p = p.add(32);
            }
        }
        if k & 2 != 0 {
            // SAFETY: as above, two more words of the first `k`.
            unsafe {
                crc = _mm_crc32_u64(crc, word(p));
                crc = _mm_crc32_u64(crc, word(p.add(8)));
                p = p.add(16);
            }
        }
        if k & 1 != 0 {
            // SAFETY: as above, the last of the first `k` words.
            unsafe { crc = _mm_crc32_u64(crc, word(p)) };
        }
        crc
    }

    /// Register `crc` after the `n >= LONG` words of the body at `p`:
    /// three balanced lanes, a block of `BLOCK` words each at a time.
    ///
    /// # Safety
    /// The body at `p` has `n` words.
    #[target_feature(enable = "sse4.2,pclmulqdq")]
    #[inline(never)]
    unsafe fn long(mut crc: u64, p: *const u8, n: usize) -> u64 {
        let mut at = 0;
        // A the first `a >= k - 1` words (from `crc`, which holds the
        // sequence and the words before), B and C `k` words each (from 0).
        while n - at >= LONG {
            let rest = n - at;
            let k = if rest >= 3 * BLOCK { BLOCK } else { (rest + 1) / 3 };
            let a = if rest >= 3 * BLOCK { BLOCK } else { rest - 2 * k };
            // SAFETY: all three inside the body: `at + a + 2 k <= n`.
            let (mut qa, mut qb, mut qc) = unsafe { (p.add(8 * at), p.add(8 * (at + a)), p.add(8 * (at + a + k))) };
            let (mut ra, mut rb, mut rc) = (crc, 0u64, 0u64);
            // Lane A's words beyond B's count (0 to 2) first, then all
            // three in step, C's last word left out; each pointer stays
            // inside its lane or one past it.
            // SAFETY: every `word` and `add` below reads or points inside
            // the body, as just said.
            unsafe {
                for _ in 0..a + 1 - k {
                    ra = _mm_crc32_u64(ra, word(qa));
                    qa = qa.add(8);
                }
                for _ in 0..k - 1 {
                    ra = _mm_crc32_u64(ra, word(qa));
                    rb = _mm_crc32_u64(rb, word(qb));
                    rc = _mm_crc32_u64(rc, word(qc));
                    (qa, qb, qc) = (qa.add(8), qb.add(8), qc.add(8));
                }
                rb = _mm_crc32_u64(rb, word(qb));
                crc = _mm_crc32_u64(rc, word(qc) ^ fold(ra, 2 * k, rb, k));
            }
            at += a + 2 * k;
        }
        // SAFETY: `at <= n`.
        unsafe { one_lane(crc, p, at, n) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(seq: u64, body: &[u8]) -> u32 {
        let mut all = seq.to_le_bytes().to_vec();
        all.extend_from_slice(body);
        crc32c::crc32c(&all)
    }

    #[test]
    fn equals_the_crates_crc_for_every_length_and_alignment() {
        let bytes: Vec<u8> = (0..2_000u32).map(|i| (i * 131 + 7) as u8).collect();
        for start in 0..8 {
            for words in 0..(bytes.len() - start) / 8 {
                let body = &bytes[start..start + 8 * words];
                let seq = 0x0123_4567_89ab_cdef ^ words as u64;
                assert_eq!(seq_body(seq, body), reference(seq, body), "start {start} words {words}");
                if has_hw() && body.len() < INLINE_BELOW {
                    // SAFETY: both conditions just checked.
                    let short = unsafe { seq_body_short(seq, body) };
                    assert_eq!(short, reference(seq, body), "short: start {start} words {words}");
                }
            }
        }
    }

    #[test]
    fn a_flipped_bit_anywhere_changes_it() {
        let body: Vec<u8> = (0..96u32).map(|i| (i * 37 + 1) as u8).collect();
        let good = seq_body(5, &body);
        for bit in 0..body.len() * 8 {
            let mut b = body.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            assert_ne!(seq_body(5, &b), good, "bit {bit}");
        }
        assert_ne!(seq_body(4, &body), good);
    }

    /// crc32c one bit at a time from its definition (reflected
    /// polynomial [`POLY`], initial and final inversion): no table, no
    /// instruction, nothing shared with the paths under test.
    fn bitwise(seq: u64, body: &[u8]) -> u32 {
        let mut crc = u32::MAX;
        for &b in seq.to_le_bytes().iter().chain(body) {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = (crc >> 1) ^ if crc & 1 == 1 { POLY } else { 0 };
            }
        }
        !crc
    }

    proptest::proptest! {
        /// The CPU-instruction path (lanes, folds) and the path a CPU
        /// without SSE4.2 takes agree with the definition on random
        /// records, sequence numbers and alignments.
        #[test]
        fn every_path_agrees_with_the_definition(
            seq in proptest::prelude::any::<u64>(),
            words in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..3 * BLOCK + 20),
            start in 0usize..8,
        ) {
            let mut bytes = vec![0u8; start];
            bytes.extend(words.iter().flat_map(|w| w.to_le_bytes()));
            let body = &bytes[start..];
            let want = bitwise(seq, body);
            proptest::prop_assert_eq!(portable(seq, body), want);
            proptest::prop_assert_eq!(seq_body(seq, body), want);
            if has_hw() && body.len() < INLINE_BELOW {
                // SAFETY: both conditions just checked.
                proptest::prop_assert_eq!(unsafe { seq_body_short(seq, body) }, want);
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("sse4.2")
                && std::arch::is_x86_feature_detected!("pclmulqdq")
            {
                // SAFETY: the CPU has both (just checked).
                proptest::prop_assert_eq!(unsafe { hw::seq_body(seq, body) }, want);
            }
        }
    }

    #[test]
    fn gives_the_published_check_value() {
        // The known check value of crc32c("123456789") is 0xe3069283; a
        // body must be whole words, so check "12345678" ‖ "9\0…" against
        // the crate and the crate against the published value.
        let seq = u64::from_le_bytes(*b"12345678");
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        let body = *b"9\0\0\0\0\0\0\0";
        assert_eq!(seq_body(seq, &body), crc32c::crc32c(b"123456789\0\0\0\0\0\0\0"));
        assert_eq!(bitwise(seq, &body), seq_body(seq, &body));
    }
}
