//! Calls that `format!` would fail fail in the caller, as `format!` does.
//!
//! The writer formats a deferred record's values with `core::fmt` long
//! after the call returned; whatever `core::fmt` panics on must therefore
//! panic in the caller, while the macros build the call's arguments,
//! before the call is counted: never on the writer (one such record would
//! stop it and lose every record after it), nor in a caller that renders
//! the record after counting it (`Formatting::Caller`, crash-safe custom
//! specs), which would leave the call enqueued and never written.
//!
//! Two such failures are known, both of counts: a width or precision
//! argument above `u16::MAX` ([`PlainArg::count`]), and `{:e}` or `{:E}`
//! of a float at precision `u16::MAX` ([`ExpPrecision`]). Values of other
//! types are formatted in the caller anyway (`FmtArg`), where they fail
//! as they would in `format!`.

use super::encode::{FmtArg, Plain, PlainArg, PlainVal};
use super::tag;
use std::fmt;

impl<'a> PlainArg<'a, usize> {
    /// A width or precision argument (`{:1$}`, `{:.*}`, `{:w$}`).
    ///
    /// `core::fmt` panics on a count it cannot represent (since Rust 1.87,
    /// one above `u16::MAX`) while it builds the arguments. Building the
    /// same arguments here makes the call fail in the caller exactly when
    /// and as `format!` would.
    #[inline(always)]
    pub fn count(v: &'a usize) -> Self {
        let _ = format_args!("{:.1$}", "", *v);
        PlainArg(v)
    }
}

/// The value of a `{:.Ne}` or `{:.NE}` placeholder (`N` written, an
/// argument or `*`), checked against its precision before the call.
///
/// `core::fmt` writes a float's exponent form with `precision + 1`
/// digits counted in a `u16`: at precision `u16::MAX` that count wraps to
/// 0 and `format!("{:.65535e}", x)` panics (an assertion in
/// `core::num::flt2dec`), whatever the float. Integers take that
/// precision; other types are formatted in the caller.
pub trait ExpPrecision: Sized {
    /// `self`, once a float at `precision` has failed here as `format!`
    /// fails.
    fn __exp_precision(self, precision: usize) -> Self;
}

impl<T: Plain> ExpPrecision for PlainVal<T> {
    #[inline(always)]
    fn __exp_precision(self, precision: usize) -> Self {
        fail_if_float_at(T::TAG, precision);
        self
    }
}

impl<T: Plain + ?Sized> ExpPrecision for PlainArg<'_, T> {
    #[inline(always)]
    fn __exp_precision(self, precision: usize) -> Self {
        fail_if_float_at(T::TAG, precision);
        self
    }
}

impl<F> ExpPrecision for FmtArg<F> {
    /// Formatted in the caller, by `core::fmt` itself.
    #[inline(always)]
    fn __exp_precision(self, _precision: usize) -> Self {
        self
    }
}

/// Fails, as `core::fmt` does, for a float (`tag`) at `precision`
/// `u16::MAX`.
#[inline(always)]
fn fail_if_float_at(tag: u8, precision: usize) {
    if matches!(tag, tag::F32 | tag::F64) && precision == usize::from(u16::MAX) {
        fail_like_core(precision);
    }
}

/// Formats a float in exponent form at `precision` into nothing: the
/// panic, if any, is `core::fmt`'s own (a later Rust that formats it
/// does not panic here either, and neither will the writer).
#[cold]
#[inline(never)]
fn fail_like_core(precision: usize) {
    struct Nowhere;
    impl fmt::Write for Nowhere {
        fn write_str(&mut self, _: &str) -> fmt::Result {
            Ok(())
        }
    }
    let _ = fmt::write(&mut Nowhere, format_args!("{:.1$e}", 0.0f64, precision));
}
