//! `{}` of floats without `core::fmt`: shortest round-trip digits (ryu),
//! laid out as Rust's `Display` does — plain decimal, never an exponent,
//! no trailing `.0` (`1`, `0.1`, `1e-7` as `0.0000001`, `-0`, `NaN`, `inf`).

/// Appends `v` as `format!("{v}")` would.
#[inline]
pub(crate) fn push_f64(out: &mut Vec<u8>, v: f64) {
    let class = (v.is_finite(), v.is_nan(), v.is_sign_negative());
    push(out, v, v.abs(), class);
}

/// Appends `v` as `format!("{v}")` would.
#[inline]
pub(crate) fn push_f32(out: &mut Vec<u8>, v: f32) {
    let class = (v.is_finite(), v.is_nan(), v.is_sign_negative());
    push(out, v, v.abs(), class);
}

/// `v` of either width; `abs` is `|v|`, `class` (finite, NaN, negative).
#[inline]
fn push<F>(out: &mut Vec<u8>, v: F, abs: F, class: (bool, bool, bool))
where
    F: ryu::Float + std::fmt::Display + std::str::FromStr + PartialEq,
{
    let (finite, nan, negative) = class;
    if !finite {
        return push_non_finite(out, nan, negative);
    }
    let mut b = ryu::Buffer::new();
    let d = Decimal::parse(b.format_finite(v).as_bytes());
    if d.may_be_tie(|s| s.parse::<F>().ok() == Some(abs)) {
        return push_fmt(out, v);
    }
    d.write(out);
}

/// `core::fmt`'s answer, for the rare value where the two may differ.
#[cold]
fn push_fmt(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    let _ = std::fmt::write(&mut crate::field::VecWriter(out), format_args!("{v}"));
}

fn push_non_finite(out: &mut Vec<u8>, nan: bool, negative: bool) {
    out.extend_from_slice(match (nan, negative) {
        (true, _) => b"NaN",
        (false, true) => b"-inf",
        (false, false) => b"inf",
    });
}

/// A finite value as significant digits `0.d1d2…dn × 10^point`.
struct Decimal {
    neg: bool,
    /// Significant digits (ASCII), no leading or trailing zeros.
    digits: [u8; 40],
    n: usize,
    point: i32,
}

impl Decimal {
    /// Reads ryu's `[-]d.ddd[e[-]x]`.
    fn parse(s: &[u8]) -> Decimal {
        let (neg, s) = match s.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, s),
        };
        let (mantissa, exp) = match s.iter().position(|&b| b == b'e') {
            Some(i) => (&s[..i], parse_exp(&s[i + 1..])),
            None => (s, 0),
        };
        let (int, frac) = match mantissa.iter().position(|&b| b == b'.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, &[][..]),
        };
        let mut d = Decimal {
            neg,
            digits: [0; 40],
            n: 0,
            point: int.len() as i32 + exp,
        };
        for &c in int.iter().chain(frac) {
            if d.n == 0 && c == b'0' {
                d.point -= 1;
                continue;
            }
            // ryu writes at most 17 significant digits plus padding zeros.
            if d.n < d.digits.len() {
                d.digits[d.n] = c;
                d.n += 1;
            }
        }
        while d.n > 0 && d.digits[d.n - 1] == b'0' {
            d.n -= 1;
        }
        d
    }

    /// Whether the value might lie exactly halfway between these digits
    /// and the next ones up. ryu breaks such ties to the even digit, Rust's
    /// `Display` upwards; a tie needs an even last digit and the halfway
    /// point `d1…dn5` to read back as the same value (`reads_back`).
    fn may_be_tie(&self, reads_back: impl Fn(&str) -> bool) -> bool {
        if self.n == 0 || self.digits[self.n - 1] % 2 == 1 {
            return false;
        }
        let mut s = String::with_capacity(self.n + 16);
        s.push_str("0.");
        s.extend(self.digits[..self.n].iter().map(|&c| c as char));
        s.push('5');
        s.push('e');
        s.push_str(itoa::Buffer::new().format(self.point));
        reads_back(&s)
    }

    /// Writes plain decimal, as `Display` lays it out.
    fn write(&self, out: &mut Vec<u8>) {
        if self.neg {
            out.push(b'-');
        }
        let digits = &self.digits[..self.n];
        let point = self.point;
        if digits.is_empty() {
            out.push(b'0');
        } else if point <= 0 {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-point) as usize, b'0');
            out.extend_from_slice(digits);
        } else if point as usize >= digits.len() {
            out.extend_from_slice(digits);
            out.resize(out.len() + point as usize - digits.len(), b'0');
        } else {
            out.extend_from_slice(&digits[..point as usize]);
            out.push(b'.');
            out.extend_from_slice(&digits[point as usize..]);
        }
    }
}

fn parse_exp(s: &[u8]) -> i32 {
    let (neg, s) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let v = s
        .iter()
        .fold(0i32, |acc, &d| acc * 10 + i32::from(d - b'0'));
    if neg {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn f64s(v: f64) -> String {
        let mut out = Vec::new();
        push_f64(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn f32s(v: f32) -> String {
        let mut out = Vec::new();
        push_f32(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    #[allow(clippy::excessive_precision)] // exact ties, on purpose
    fn edges_match_display() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1e300,
            1e-7,
            123456.789,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            1e16,
            1e15,
            0.3,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1125899906842624.25,
            1125899906842624.75,
            1500000000000000.25,
        ] {
            assert_eq!(f64s(v), format!("{v}"));
        }
        for v in [
            0.0f32,
            -0.0,
            0.1,
            1e30,
            1e-40,
            f32::MAX,
            f32::NAN,
            16777216.0,
            2177610.25,
        ] {
            assert_eq!(f32s(v), format!("{v}"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn any_f64_matches_display(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assert_eq!(f64s(v), format!("{v}"));
        }

        #[test]
        fn any_f32_matches_display(bits in any::<u32>()) {
            let v = f32::from_bits(bits);
            prop_assert_eq!(f32s(v), format!("{v}"));
        }

        /// Values with few fractional bits, where ties live.
        #[test]
        fn quarter_values_match_display(int in any::<u32>(), quarters in 0u64..4, shift in 0u32..40) {
            let v = (((int as u64) << shift) as f64) + quarters as f64 * 0.25;
            prop_assert_eq!(f64s(v), format!("{v}"));
            let w = int as f32 + quarters as f32 * 0.25;
            prop_assert_eq!(f32s(w), format!("{w}"));
        }
    }
}
