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
