//! Decimal digits without `core::fmt`: a two-digit table and integer writers.

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

/// Writes the `n` decimal digits of `v` at `dst` (`n == decimal_len(v)`),
/// last pair first.
///
/// # Safety
/// `dst` is writable for `n` bytes.
#[inline(always)]
pub(crate) unsafe fn write_decimal(dst: *mut u8, mut v: u64, n: usize) {
    debug_assert_eq!(n, decimal_len(v));
    // SAFETY: the digits of `v` fill `dst[0..n]` exactly, written from the
    // end: each step writes below `end`, which never goes below `dst`
    // (`n` counts them all).
    unsafe {
        let mut end = dst.add(n);
        while v >= 100 {
            end = end.sub(2);
            let i = (v % 100) as usize * 2;
            end.cast::<[u8; 2]>().write([DIGITS2[i], DIGITS2[i + 1]]);
            v /= 100;
        }
        if v >= 10 {
            let i = v as usize * 2;
            dst.cast::<[u8; 2]>().write([DIGITS2[i], DIGITS2[i + 1]]);
        } else {
            dst.write(b'0' + v as u8);
        }
    }
}

/// Appends `v` in decimal.
#[inline]
pub(crate) fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    while v >= 100 {
        at -= 2;
        two(&mut buf[at..], (v % 100) as u32);
        v /= 100;
    }
    if v >= 10 {
        at -= 2;
        two(&mut buf[at..], v as u32);
    } else {
        at -= 1;
        buf[at] = b'0' + v as u8;
    }
    out.extend_from_slice(&buf[at..]);
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
            let mut buf = [b'.'; 22];
            // SAFETY: 22 bytes hold the at most 20 digits.
            unsafe { write_decimal(buf.as_mut_ptr().add(1), v, want.len()) };
            assert_eq!(&buf[1..1 + want.len()], want.as_bytes(), "{v}");
            assert_eq!(buf[0], b'.');
            assert_eq!(buf[1 + want.len()], b'.');
        }
    }

    proptest! {
        #[test]
        fn write_decimal_matches_display(v in any::<u64>(), shift in 0u32..64) {
            let v = v >> shift;
            let want = v.to_string();
            prop_assert_eq!(decimal_len(v), want.len());
            let mut buf = [0u8; 20];
            // SAFETY: 20 bytes hold every u64's digits.
            unsafe { write_decimal(buf.as_mut_ptr(), v, want.len()) };
            prop_assert_eq!(&buf[..want.len()], want.as_bytes());
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
