//! A call's argument types as a constant: the tag each value is encoded
//! with, in order, packed into one `u64` ([`EncodeArgs::SIG`]).
//!
//! The writer's typed renderers (`render::typed`) are generated per
//! signature, so a value's code is picked when the renderer is compiled,
//! not per record from its tag (which they still check: one compare).
//!
//! Layout: bit 63 set for a known signature, the number of values in bits
//! 56..60, value `i`'s tag in bits `5 i .. 5 i + 5` (every tag is below
//! 32). `0` means unknown: more than [`MAX_VALUES`] values, a nested
//! tuple, or an element type that does not say.
//!
//! [`EncodeArgs::SIG`]: super::encode::EncodeArgs::SIG

/// The most values a signature holds (5 bits each below bit 56).
pub const MAX_VALUES: usize = 11;

const KNOWN: u64 = 1 << 63;
const COUNT_SHIFT: u32 = 56;
const TAG_BITS: u32 = 5;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;

/// The signature of no values (a call without arguments).
pub const EMPTY: u64 = KNOWN;

/// The signature of one value encoded with `tag`.
pub const fn one(tag: u8) -> u64 {
    assert!((tag as u64) <= TAG_MASK);
    KNOWN | (1 << COUNT_SHIFT) | tag as u64
}

/// The signature of `parts`' values one after the other, each part a
/// single value; `0` when one is not, or when there are too many.
pub const fn concat(parts: &[u64]) -> u64 {
    if parts.len() > MAX_VALUES {
        return 0;
    }
    let mut sig = KNOWN | ((parts.len() as u64) << COUNT_SHIFT);
    let mut i = 0;
    while i < parts.len() {
        if !matches!(count(parts[i]), Some(1)) {
            return 0;
        }
        sig |= (parts[i] & TAG_MASK) << (TAG_BITS * i as u32);
        i += 1;
    }
    sig
}

/// How many values `sig` describes; `None` when it is unknown.
pub const fn count(sig: u64) -> Option<usize> {
    match sig & KNOWN {
        0 => None,
        _ => Some(((sig >> COUNT_SHIFT) & 0xf) as usize),
    }
}

/// The tag of value `i` (`i < count(sig)`).
#[inline(always)]
pub const fn tag_at(sig: u64, i: usize) -> u8 {
    ((sig >> (TAG_BITS * i as u32)) & TAG_MASK) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deferred::encode::{EncodeArgs, FmtArg, PlainArg};
    use crate::deferred::tag;

    fn sig_of<A: EncodeArgs>(_: &A) -> u64 {
        A::SIG
    }

    #[test]
    fn a_tuple_lists_each_value_tag_in_order() {
        let (id, user, ok) = (7u64, "alice", true);
        let args = (PlainArg::new(&id), PlainArg::new(&user), PlainArg::new(&ok));
        let sig = sig_of(&args);
        assert_eq!(count(sig), Some(3));
        assert_eq!(
            [tag_at(sig, 0), tag_at(sig, 1), tag_at(sig, 2)],
            [tag::U64, tag::STR, tag::BOOL]
        );
        let pre = FmtArg::new(|o: &mut dyn std::fmt::Write| o.write_str("x"));
        assert_eq!(sig_of(&(pre,)), concat(&[one(tag::PRE)]));
        assert_eq!(count(sig_of(&())), Some(0));
    }

    #[test]
    fn too_many_values_or_a_nested_tuple_is_unknown() {
        let twelve = [one(tag::U8); MAX_VALUES + 1];
        assert_eq!(concat(&twelve), 0);
        assert_eq!(count(concat(&twelve[..MAX_VALUES])), Some(MAX_VALUES));
        let x = 1u8;
        let nested = ((PlainArg::new(&x), PlainArg::new(&x)), PlainArg::new(&x));
        assert_eq!(sig_of(&nested), 0);
        assert_eq!(count(0), None);
    }
}
