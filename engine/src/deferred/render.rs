//! The writer renders a deferred record's message: literal pieces and
//! values, `{}` by its own code, other specs through `core::fmt`.
//!
//! [`render`] gives the message as `format!` makes it, unescaped (for
//! `Record::message` and for records formatted in the caller).
//! [`render_escaped`] writes it straight into a batch, escaped for a
//! format's dialect as it goes: what the values' own code writes (digits,
//! floats, `true`) never needs escaping, literal pieces only when the call
//! site says so, strings and `core::fmt` output always. Each part is valid
//! UTF-8 on its own, so the parts' escapes make the whole's (see
//! `escape::push_utf8_part`); the caller applies the leading-quote rule.

use super::decode::{Decoder, Value};
use super::float::{push_f32, push_f64};
use super::tag;
use crate::callsite::{CallSite, CustomFmt, SlotKind};
use crate::field::VecWriter;
use crate::format::escape::{push_utf8_part, push_utf8_part_in_room, Dialect};
use crate::format::put::{put, put_unchecked};
use std::fmt;
use std::marker::PhantomData;

/// Where rendered text goes: as it is, or escaped.
trait Emit {
    /// Whether text is written as it is (no escaping, no scratch needed).
    const RAW: bool;
    /// Appends text that may need escaping (valid UTF-8 on its own).
    fn text(out: &mut Vec<u8>, s: &[u8]);
    /// [`Emit::text`] into reserved room: `true` when it wrote at most
    /// `s.len()` bytes without a capacity check, `false` when it went
    /// through checked writes (something to escape).
    ///
    /// # Safety
    /// `out` has room for `s.len()` more bytes.
    unsafe fn text_in_room(out: &mut Vec<u8>, s: &[u8]) -> bool;
}

/// The message as `format!` makes it.
struct Raw;

impl Emit for Raw {
    const RAW: bool = true;
    #[inline(always)]
    fn text(out: &mut Vec<u8>, s: &[u8]) {
        put(out, s)
    }
    #[inline(always)]
    unsafe fn text_in_room(out: &mut Vec<u8>, s: &[u8]) -> bool {
        // SAFETY: the caller promises room for `s.len()` bytes.
        unsafe { put_unchecked(out, s) };
        true
    }
}

/// The message escaped for dialect `D`.
struct Escaped<D>(PhantomData<D>);

impl<D: Dialect> Emit for Escaped<D> {
    const RAW: bool = false;
    #[inline(always)]
    fn text(out: &mut Vec<u8>, s: &[u8]) {
        push_utf8_part::<D>(out, s)
    }
    #[inline(always)]
    unsafe fn text_in_room(out: &mut Vec<u8>, s: &[u8]) -> bool {
        // SAFETY: the caller promises room for `s.len()` bytes.
        unsafe { push_utf8_part_in_room::<D>(out, s) }
    }
}

/// Appends the message of a record from `cs` with encoded `values` to
/// `out`, unescaped; `false` when the values do not match the call site
/// (a bug: the message then ends at the first value that does not decode).
#[inline]
pub(crate) fn render(out: &mut Vec<u8>, cs: &CallSite, values: &[u8]) -> bool {
    render_with::<Raw>(out, &mut Vec::new(), cs, values)
}

/// [`render`] escaped for dialect `D` but for its leading-quote rule;
/// `scratch` holds `core::fmt` output before it is escaped.
#[inline]
pub(crate) fn render_escaped<D: Dialect>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    cs: &CallSite,
    values: &[u8],
) -> bool {
    render_with::<Escaped<D>>(out, scratch, cs, values)
}

/// Output bytes per encoded value byte that [`display`] writes without a
/// capacity check: `{}` of a `u64`/`i64` (9 encoded bytes) is at most 20
/// bytes, of a `u32`/`i32` (5 bytes) at most 11, and a string with nothing
/// to escape (5 bytes and its own) as long as it is.
const ROOM_PER_VALUE_BYTE: usize = 3;

/// The room the rest of a message may take in unchecked writes: the
/// literal pieces not written yet and [`ROOM_PER_VALUE_BYTE`] per value
/// byte not read yet.
#[inline(always)]
fn room_for(pieces_left: usize, values_left: &[u8]) -> usize {
    pieces_left + ROOM_PER_VALUE_BYTE * values_left.len()
}

/// [`render`] through `E`; plain pieces are copied as they are.
///
/// One capacity check for the whole message: the room reserved first
/// ([`room_for`]) bounds every unchecked write after it (plain pieces,
/// digits, strings with nothing to escape). A part written through
/// checked writes instead (an escaped string or piece, a float, a spec)
/// may use more than its share, so the room is reserved again after it.
#[inline(always)]
fn render_with<E: Emit>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    cs: &CallSite,
    values: &[u8],
) -> bool {
    let mut pieces_left = cs.pieces_len;
    out.reserve(room_for(pieces_left, values));
    let mut rest = values;
    for (p, slot) in cs.pieces.iter().zip(cs.slots) {
        debug_assert!(out.capacity() - out.len() >= room_for(pieces_left, rest));
        // SAFETY: the room holds `room_for(pieces_left, rest)`.
        pieces_left = unsafe { piece::<E>(out, cs, p, pieces_left, rest) };
        let next = match slot.kind {
            // SAFETY: `piece` left the room `room_for(pieces_left, rest)`.
            SlotKind::Display => unsafe { display::<E>(out, rest, pieces_left) },
            SlotKind::Custom {
                fmt,
                width_arg,
                precision_arg,
            } => custom::<E>(out, scratch, rest, fmt, width_arg, precision_arg).inspect(|r| {
                out.reserve(room_for(pieces_left, r));
            }),
        };
        match next {
            Some(r) => rest = r,
            None => return false,
        }
    }
    if let Some(last) = cs.pieces.last() {
        debug_assert!(out.capacity() - out.len() >= room_for(pieces_left, rest));
        // SAFETY: as above.
        unsafe { piece::<E>(out, cs, last, pieces_left, rest) };
    }
    rest.is_empty()
}

/// Appends literal piece `p` of `cs`; returns the bytes of the pieces
/// after it.
///
/// # Safety
/// `out` has room for `room_for(pieces_left, rest)` more bytes, and
/// `pieces_left` counts `p`; on return the room holds what is left.
#[inline(always)]
unsafe fn piece<E: Emit>(
    out: &mut Vec<u8>,
    cs: &CallSite,
    p: &str,
    pieces_left: usize,
    rest: &[u8],
) -> usize {
    debug_assert!(pieces_left >= p.len());
    let left = pieces_left - p.len();
    if cs.pieces_plain {
        // SAFETY: the room holds the pieces not written yet, `p` among them.
        unsafe { put_unchecked(out, p.as_bytes()) };
    } else {
        E::text(out, p.as_bytes());
        out.reserve(room_for(left, rest));
    }
    left
}

/// `{}` of the value at the front of `r`; returns what follows it. The
/// common tags are read here directly and written into the room, the
/// others through [`Decoder`] and checked writes (the room is then
/// reserved again).
///
/// # Safety
/// `out` has room for `room_for(pieces_left, r)` more bytes; on return it
/// has room for `room_for(pieces_left, rest)`, `rest` what it returns.
#[inline(always)]
unsafe fn display<'a, E: Emit>(
    out: &mut Vec<u8>,
    r: &'a [u8],
    pieces_left: usize,
) -> Option<&'a [u8]> {
    let (&t, rest) = r.split_first()?;
    match t {
        tag::STR | tag::PRE => {
            let (len, rest) = rest.split_first_chunk::<4>()?;
            let len = u32::from_le_bytes(*len) as usize;
            let s = rest.get(..len)?;
            let rest = rest.get(len..)?;
            // SAFETY: `s` is part of the value's `5 + len` bytes, whose
            // share of the room is `ROOM_PER_VALUE_BYTE` times that.
            if !unsafe { E::text_in_room(out, s) } {
                out.reserve(room_for(pieces_left, rest));
            }
            Some(rest)
        }
        tag::U64 | tag::I64 | tag::U32 | tag::I32 => {
            let mut b = itoa::Buffer::new();
            let (digits, rest) = match t {
                tag::U64 => {
                    let (v, rest) = rest.split_first_chunk::<8>()?;
                    (b.format(u64::from_le_bytes(*v)), rest)
                }
                tag::I64 => {
                    let (v, rest) = rest.split_first_chunk::<8>()?;
                    (b.format(i64::from_le_bytes(*v)), rest)
                }
                tag::U32 => {
                    let (v, rest) = rest.split_first_chunk::<4>()?;
                    (b.format(u32::from_le_bytes(*v)), rest)
                }
                _ => {
                    let (v, rest) = rest.split_first_chunk::<4>()?;
                    (b.format(i32::from_le_bytes(*v)), rest)
                }
            };
            debug_assert!(digits.len() <= ROOM_PER_VALUE_BYTE * (r.len() - rest.len()));
            // SAFETY: at most 20 digits and a sign for 9 encoded bytes, 11
            // for 5: within the value's share of the room.
            unsafe { put_unchecked(out, digits.as_bytes()) };
            Some(rest)
        }
        _ => {
            let mut d = Decoder::new(r);
            push_display::<E>(out, d.value()?);
            out.reserve(room_for(pieces_left, d.rest()));
            Some(d.rest())
        }
    }
}

/// A spec other than `{}` for the value (and its width and precision
/// arguments) at the front of `r`; returns what follows. Escaped output
/// is formatted into `scratch` first.
#[cold]
fn custom<'a, E: Emit>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    r: &'a [u8],
    fmt: CustomFmt,
    width_arg: bool,
    precision_arg: bool,
) -> Option<&'a [u8]> {
    let mut d = Decoder::new(r);
    let v = d.value()?;
    let w = if width_arg { d.count()? } else { 0 };
    let p = if precision_arg { d.count()? } else { 0 };
    if E::RAW {
        push_custom(out, fmt, v, w, p);
    } else {
        scratch.clear();
        push_custom(scratch, fmt, v, w, p);
        E::text(out, scratch);
    }
    Some(d.rest())
}

/// Renders a deferred payload (call site and values) unescaped, for a
/// text record; `false` when it is malformed.
pub(crate) fn render_payload(out: &mut Vec<u8>, payload: &[u8]) -> bool {
    match super::decode::split(payload) {
        Some((cs, values)) => render(out, cs, values),
        None => false,
    }
}

/// `{}` of a value: digits, floats and `true`/`false` need no escaping.
#[inline]
fn push_display<E: Emit>(out: &mut Vec<u8>, v: Value<'_>) {
    let mut b = itoa::Buffer::new();
    let digits = match v {
        Value::Str(s) | Value::Pre(s) => return E::text(out, s),
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
        Value::Bool(x) => return put(out, if x { b"true" } else { b"false" }),
        Value::Char(c) => return E::text(out, c.encode_utf8(&mut [0; 4]).as_bytes()),
        // Byte slices have no `Display`; only reachable from a corrupt record.
        Value::Bytes(b) => return push_debug_bytes(out, b),
    };
    put(out, digits.as_bytes());
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
        push_display::<Raw>(out, v);
    }
}

/// `{}` of the value at the front of `r`, unescaped; returns what follows
/// it (see `portable`).
pub(crate) fn display_raw<'a>(out: &mut Vec<u8>, r: &'a [u8]) -> Option<&'a [u8]> {
    out.reserve(room_for(0, r));
    // SAFETY: the room for the values of `r` (no piece) was just reserved.
    unsafe { display::<Raw>(out, r, 0) }
}

/// A spec other than `{}` for the value (and its width and precision
/// arguments) at the front of `r`, unescaped; returns what follows (see
/// `portable`).
pub(crate) fn custom_raw<'a>(
    out: &mut Vec<u8>,
    r: &'a [u8],
    fmt: CustomFmt,
    width_arg: bool,
    precision_arg: bool,
) -> Option<&'a [u8]> {
    custom::<Raw>(out, &mut Vec::new(), r, fmt, width_arg, precision_arg)
}

#[cfg(test)]
mod tests;
