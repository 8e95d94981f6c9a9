//! Decimal digits without `core::fmt`: tables of two and three digits and
//! integer writers.

/// `"00" .. "99"`, two bytes each.
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

/// Writes `v % 100` as two digits into `out[0..2]`.
#[inline]
pub(crate) fn two(out: &mut [u8], v: u32) {
    let i = (v as usize % 100) * 2;
    out[0] = DIGITS2[i];
    out[1] = DIGITS2[i + 1];
}

/// `"000" .. "999"`, the three digits in a `u32`'s low bytes (little
/// endian: first digit first in memory), its top byte 0.
pub(crate) static DIGITS3: [u32; 1000] = {
    let mut t = [0u32; 1000];
    let mut i = 0;
    while i < 1000 {
        let v = i as u32;
        let zero = b'0' as u32;
        t[i] = (zero + v / 100) | (zero + v / 10 % 10) << 8 | (zero + v % 10) << 16;
        i += 1;
    }
    t
};

/// `"0" .. "999"`: the digits without leading zeros in a `u32`'s low
/// bytes (first digit first in memory), how many in its top byte.
static SHORT3: [u32; 1000] = {
    let mut t = [0u32; 1000];
    let mut i = 0;
    while i < 1000 {
        let n = if i < 10 { 1 } else if i < 100 { 2 } else { 3 };
        // Shift out the leading zeros of the three padded digits.
        t[i] = DIGITS3[i] >> (8 * (3 - n)) | (n as u32) << 24;
        i += 1;
    }
    t
};

/// `10^i` for every power a `u64` holds.
static POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// How many decimal digits `v` has (1 for 0).
#[inline(always)]
pub(crate) fn decimal_len(v: u64) -> usize {
    // `t` is floor((bits of v) * log10 2): the digits of v, or one more
    // than they are when v is below 10^t. `v | 1` gives 0 one digit and
    // changes no comparison (every 10^t but 1 is even).
    let v = v | 1;
    let bits = 64 - v.leading_zeros();
    let t = ((bits * 1233) >> 12) as usize;
    t + 1 - usize::from(v < POW10[t])
}

/// `'0'` in every byte: added to [`eight_digits`] it gives ASCII.
const ZEROS: u64 = 0x3030_3030_3030_3030;

/// The eight decimal digits of `v` (`< 10^8`, leading zeros included) as
/// byte values `0..=9`, the most significant in the lowest byte (first in
/// memory once stored little-endian): two halves of four digits, each
/// split into pairs, each pair into digits, all lanes at once.
///
/// A lane `x` becomes `q` (the high part) below `x - q * d` (the low
/// part) shifted up half a lane: `(x << s) - q * ((d << s) - 1)`, which
/// never borrows from the next lane (`x >= q * d`). A lane's product never
/// reaches the next lane (`9_999 * 10_486 < 2^27`, `99 * 103 < 2^14`), and
/// `x * 10_486 >> 20` is `x / 100` for every `x < 10^4`, `x * 103 >> 10`
/// is `x / 10` for every `x < 100`.
#[inline(always)]
fn eight_digits(v: u32) -> u64 {
    debug_assert!(v < 100_000_000);
    let x = u64::from(v / 10_000) | (u64::from(v % 10_000) << 32);
    let q = ((x * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let x = (x << 16) - q * ((100 << 16) - 1);
    let q = ((x * 103) >> 10) & 0x000f_000f_000f_000f;
    (x << 8) - q * ((10 << 8) - 1)
}

/// Writes `v` (`< 10^8`) without leading zeros at `dst` in one 8-byte
/// store; returns its digits (`1..=8`).
///
/// # Safety
/// `dst` is writable for 8 bytes.
#[inline(always)]
unsafe fn write_head(dst: *mut u8, v: u32) -> usize {
    let d = eight_digits(v);
    // Leading zero digits are the low zero bytes; the last digit always
    // stays (the set bit of byte 7), so 0 is written `0`.
    let skip = ((d | 1 << 56).trailing_zeros() / 8) as usize;
    let w = (d + ZEROS) >> (skip * 8);
    // SAFETY: the caller promises 8 writable bytes.
    unsafe { dst.cast::<[u8; 8]>().write_unaligned(w.to_le_bytes()) };
    8 - skip
}

/// Writes `v` (`< 1000`) without leading zeros at `dst` in one 4-byte
/// store; returns its digits (`1..=3`).
///
/// # Safety
/// `dst` is writable for 4 bytes.
#[inline(always)]
unsafe fn write_small(dst: *mut u8, v: u32) -> usize {
    let w = SHORT3[v as usize];
    // SAFETY: the caller promises 4 writable bytes.
    unsafe { dst.cast::<[u8; 4]>().write_unaligned(w.to_le_bytes()) };
    (w >> 24) as usize
}

/// Writes `v` (`< 10^6`) without leading zeros at `dst` in two 4-byte
/// stores; returns its digits (`1..=6`).
///
/// # Safety
/// `dst` is writable for `decimal_len(v) + 1` bytes.
#[inline(always)]
unsafe fn write_six(dst: *mut u8, v: u32) -> usize {
    // SAFETY: the first store ends a byte after the head's digits, the
    // second (three padded digits and a byte) a byte after the last.
    unsafe {
        let n = write_small(dst, v / 1000);
        let w = DIGITS3[(v % 1000) as usize];
        dst.add(n).cast::<[u8; 4]>().write_unaligned(w.to_le_bytes());
        n + 3
    }
}

/// Writes `v` (`< 10^8`) as exactly eight digits at `dst`.
///
/// # Safety
/// `dst` is writable for 8 bytes.
#[inline(always)]
unsafe fn write_eight(dst: *mut u8, v: u32) {
    let w = eight_digits(v) + ZEROS;
    // SAFETY: the caller promises 8 writable bytes.
    unsafe { dst.cast::<[u8; 8]>().write_unaligned(w.to_le_bytes()) };
}

/// Writes the decimal digits of `v` at `dst` and returns how many
/// (`decimal_len(v)`): below 10^6 from the tables of three digits (at
/// most two 4-byte stores), above in at most three 8-byte stores, so up
/// to 7 bytes after the digits are overwritten too (with no meaning).
///
/// # Safety
/// `dst` is writable for `decimal_len(v) + 7` bytes.
#[inline(always)]
pub(crate) unsafe fn write_decimal(dst: *mut u8, v: u64) -> usize {
    const E8: u64 = 100_000_000;
    // SAFETY: every store below is 4 or 8 bytes at `dst + k`, `k` the
    // digits written before it, and the last one ends at the last digit or
    // (a head alone) at most 7 bytes after it: within the promised bytes.
    unsafe {
        if v < 1_000 {
            return write_small(dst, v as u32);
        }
        if v < 1_000_000 {
            return write_six(dst, v as u32);
        }
        if v < E8 {
            return write_head(dst, v as u32);
        }
        let (hi, lo) = (v / E8, (v % E8) as u32);
        let n = if hi < E8 {
            write_head(dst, hi as u32)
        } else {
            // `hi < 2^64 / 10^8 < 10^12`: a head of at most four digits.
            let n = write_head(dst, (hi / E8) as u32);
            write_eight(dst.add(n), (hi % E8) as u32);
            n + 8
        };
        write_eight(dst.add(n), lo);
        n + 8
    }
}

/// Appends `v` in decimal.
#[inline]
pub(crate) fn push_u64(out: &mut Vec<u8>, v: u64) {
    // 20 digits and the 7 bytes a store may reach past them.
    out.reserve(27);
    let len = out.len();
    // SAFETY: 27 bytes are free after `len`; `write_decimal` initialises
    // the `n` it returns, and only those are added to the length.
    unsafe {
        let n = write_decimal(out.as_mut_ptr().add(len), v);
        out.set_len(len + n);
    }
}

/// Appends `v` in decimal, with a `-` when negative.
#[inline]
pub(crate) fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn integers_match_display(u in any::<u64>(), i in any::<i64>()) {
            let mut out = Vec::new();
            push_u64(&mut out, u);
            out.push(b' ');
            push_i64(&mut out, i);
            prop_assert_eq!(String::from_utf8(out).unwrap(), format!("{u} {i}"));
        }
    }

    #[test]
    fn decimal_len_and_write_decimal_match_display_at_every_power() {
        let mut vs = vec![0u64, u64::MAX, u64::MAX - 1];
        for p in POW10 {
            vs.extend([p - 1, p, p + 1, p.saturating_mul(2), p.saturating_mul(9)]);
        }
        for b in 0..64 {
            vs.extend([1u64 << b, (1u64 << b) - 1]);
        }
        for v in vs {
            let want = v.to_string();
            assert_eq!(decimal_len(v), want.len(), "{v}");
            let mut buf = [b'.'; 29];
            // SAFETY: 29 bytes hold the at most 20 digits and the 7 after.
            let n = unsafe { write_decimal(buf.as_mut_ptr().add(1), v) };
            assert_eq!(n, want.len(), "{v}");
            assert_eq!(&buf[1..1 + n], want.as_bytes(), "{v}");
            assert_eq!(buf[0], b'.', "nothing before the digits");
            assert!(buf[1 + n + 7..].iter().all(|&b| b == b'.'), "{v}: at most 7 after");
        }
    }

    proptest! {
        #[test]
        fn write_decimal_matches_display(v in any::<u64>(), shift in 0u32..64) {
            let v = v >> shift;
            let want = v.to_string();
            prop_assert_eq!(decimal_len(v), want.len());
            let mut buf = [0u8; 27];
            // SAFETY: 27 bytes hold every u64's digits and the 7 after.
            let n = unsafe { write_decimal(buf.as_mut_ptr(), v) };
            prop_assert_eq!(&buf[..n], want.as_bytes());
            let mut itoa = itoa::Buffer::new();
            prop_assert_eq!(&buf[..n], itoa.format(v).as_bytes());
        }
    }

    #[test]
    fn eight_digits_is_exact_for_every_four_digit_half() {
        // Each half goes through the same lanes: every value of one half,
        // with the other half at its extremes, covers every lane input.
        for x in 0..10_000u32 {
            for v in [x, x * 10_000, x * 10_000 + 9_999, 9_999 * 10_000 + x] {
                let got = (eight_digits(v) + ZEROS).to_le_bytes();
                assert_eq!(&got, format!("{v:08}").as_bytes(), "{v}");
            }
        }
    }

    #[test]
    fn every_value_below_a_million_is_written_as_display_writes_it() {
        for v in 0..1_000_000u64 {
            let mut buf = [b'.'; 16];
            // SAFETY: 16 bytes hold six digits and the 7 after them.
            let n = unsafe { write_decimal(buf.as_mut_ptr(), v) };
            assert_eq!(&buf[..n], v.to_string().as_bytes(), "{v}");
        }
    }

    #[test]
    fn signed_edges_match_itoa() {
        let mut vs = vec![0i64, i64::MIN, i64::MAX, i64::MIN + 1, -1];
        for p in POW10 {
            let p = p as i64;
            if p > 0 {
                vs.extend([p - 1, p, p + 1, -p + 1, -p, -p - 1]);
            }
        }
        for v in vs {
            let mut out = Vec::new();
            push_i64(&mut out, v);
            assert_eq!(out, itoa::Buffer::new().format(v).as_bytes(), "{v}");
        }
    }

    #[test]
    fn edges() {
        for (v, s) in [
            (0u64, "0"),
            (9, "9"),
            (10, "10"),
            (99, "99"),
            (100, "100"),
            (u64::MAX, "18446744073709551615"),
        ] {
            let mut out = Vec::new();
            push_u64(&mut out, v);
            assert_eq!(out, s.as_bytes());
        }
        let mut out = Vec::new();
        push_i64(&mut out, i64::MIN);
        assert_eq!(out, b"-9223372036854775808");
    }
}
