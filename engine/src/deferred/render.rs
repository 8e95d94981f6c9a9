//! The writer renders a deferred record's message: literal pieces and
//! values, `{}` by its own code, other specs through `core::fmt`.

use super::decode::{Decoder, Value};
use super::float::{push_f32, push_f64};
use crate::callsite::{CallSite, CustomFmt, SlotKind};
use crate::field::VecWriter;
use std::fmt;

/// Appends the message of a record from `cs` with encoded `values` to
/// `out`; `false` when the values do not match the call site (a bug).
#[inline]
pub(crate) fn render(out: &mut Vec<u8>, cs: &CallSite, values: &[u8]) -> bool {
    let mut d = Decoder::new(values);
    for (piece, slot) in cs.pieces.iter().zip(cs.slots) {
        out.extend_from_slice(piece.as_bytes());
        let Some(v) = d.value() else {
            return false;
        };
        match slot.kind {
            SlotKind::Display => push_display(out, v),
            SlotKind::Custom {
                fmt,
                width_arg,
                precision_arg,
            } => {
                let w = if width_arg { d.count() } else { Some(0) };
                let p = if precision_arg { d.count() } else { Some(0) };
                let (Some(w), Some(p)) = (w, p) else {
                    return false;
                };
                push_custom(out, fmt, v, w, p);
            }
        }
    }
    if let Some(last) = cs.pieces.last() {
        out.extend_from_slice(last.as_bytes());
    }
    d.is_empty()
}

/// Renders a deferred payload (call site and values); `false` when it is
/// malformed.
pub(crate) fn render_payload(out: &mut Vec<u8>, payload: &[u8]) -> bool {
    match super::decode::split(payload) {
        Some((cs, values)) => render(out, cs, values),
        None => false,
    }
}

/// `{}` of a value.
#[inline]
fn push_display(out: &mut Vec<u8>, v: Value<'_>) {
    let mut b = itoa::Buffer::new();
    let digits = match v {
        Value::Str(s) | Value::Pre(s) => return out.extend_from_slice(s),
        Value::U8(x) => b.format(x),
        Value::U16(x) => b.format(x),
        Value::U32(x) => b.format(x),
        Value::U64(x) => b.format(x),
        Value::U128(x) => b.format(x),
        Value::I8(x) => b.format(x),
        Value::I16(x) => b.format(x),
        Value::I32(x) => b.format(x),
        Value::I64(x) => b.format(x),
        Value::I128(x) => b.format(x),
        Value::F32(x) => return push_f32(out, x),
        Value::F64(x) => return push_f64(out, x),
        Value::Bool(x) => {
            return out.extend_from_slice(if x { b"true" } else { b"false" });
        }
        Value::Char(c) => return out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        // Byte slices have no `Display`; only reachable from a corrupt record.
        Value::Bytes(b) => return push_debug_bytes(out, b),
    };
    out.extend_from_slice(digits.as_bytes());
}

fn push_debug_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let _ = fmt::write(&mut VecWriter(out), format_args!("{b:?}"));
}

/// Calls `f` with the value as `&dyn Trait` for the traits the plain types
/// implement; `None` when the value's type does not implement it (only
/// possible for a corrupt record: the call site was type-checked).
macro_rules! with_dyn {
    ($v:expr, $f:expr, $tr:path, [$($var:ident),*], [$($text:ident),*]) => {
        match $v {
            $(Value::$var(x) => Some($f(&x as &dyn $tr)),)*
            $(Value::$text(s) => match std::str::from_utf8(s) {
                Ok(s) => Some($f(&s as &dyn $tr)),
                Err(_) => None,
            },)*
            #[allow(unreachable_patterns)]
            _ => None,
        }
    };
}

/// A value through the call site's generated `core::fmt` closure.
#[cold]
fn push_custom(out: &mut Vec<u8>, fmt: CustomFmt, v: Value<'_>, w: usize, p: usize) {
    if let Value::Pre(s) = v {
        // Formatted in the caller with this very spec.
        return out.extend_from_slice(s);
    }
    let mut o = VecWriter(out);
    let done = match fmt {
        CustomFmt::Display(f) => with_dyn!(
            v,
            |x| f(&mut o, x, w, p),
            fmt::Display,
            [U8, U16, U32, U64, U128, I8, I16, I32, I64, I128, F32, F64, Bool, Char],
            [Str]
        ),
        CustomFmt::Debug(f) => match v {
            Value::Bytes(b) => Some(f(&mut o, &b, w, p)),
            v => with_dyn!(
                v,
                |x| f(&mut o, x, w, p),
                fmt::Debug,
                [U8, U16, U32, U64, U128, I8, I16, I32, I64, I128, F32, F64, Bool, Char],
                [Str]
            ),
        },
        CustomFmt::LowerHex(f) => with_dyn!(
            v,
            |x| f(&mut o, x, w, p),
            fmt::LowerHex,
            [U8, U16, U32, U64, U128, I8, I16, I32, I64, I128],
            []
        ),
        CustomFmt::UpperHex(f) => with_dyn!(
            v,
            |x| f(&mut o, x, w, p),
            fmt::UpperHex,
            [U8, U16, U32, U64, U128, I8, I16, I32, I64, I128],
            []
        ),
        CustomFmt::Octal(f) => with_dyn!(
            v,
            |x| f(&mut o, x, w, p),
            fmt::Octal,
            [U8, U16, U32, U64, U128, I8, I16, I32, I64, I128],
            []
        ),
        CustomFmt::Binary(f) => with_dyn!(
            v,
            |x| f(&mut o, x, w, p),
            fmt::Binary,
            [U8, U16, U32, U64, U128, I8, I16, I32, I64, I128],
            []
        ),
        CustomFmt::LowerExp(f) => with_dyn!(
            v,
            |x| f(&mut o, x, w, p),
            fmt::LowerExp,
            [U8, U16, U32, U64, U128, I8, I16, I32, I64, I128, F32, F64],
            []
        ),
        CustomFmt::UpperExp(f) => with_dyn!(
            v,
            |x| f(&mut o, x, w, p),
            fmt::UpperExp,
            [U8, U16, U32, U64, U128, I8, I16, I32, I64, I128, F32, F64],
            []
        ),
        CustomFmt::Pointer(_) => None,
    };
    if done.is_none() {
        push_display(out, v);
    }
}
