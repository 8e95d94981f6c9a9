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
//! `escape::push_utf8_part`), and the leading-quote rule is applied to the
//! whole (see `plan`). What the line puts right after the message (a
//! [`Tail`]: the newline, or the closing quote and brace) goes in the
//! message's room, without a capacity check of its own.
//!
//! A call site whose caller noted its arguments' types is rendered by a
//! renderer generated for those types ([`typed`]), which falls back to
//! the table-driven code here for any record it does not match.

mod cursor;
mod plan;
mod typed;

use super::decode::{Decoder, Value};
use super::float::{push_f32, push_f64};
use super::tag;
use crate::callsite::{CallSite, CustomFmt, SlotKind};
use crate::field::VecWriter;
use crate::format::escape::{escape_leading_quote, escape_part, is_plain_part, is_plain_part16};
use crate::format::put::put;
use cursor::{Cursor, End};
pub(crate) use plan::{MessageDialect, PlanCell};
pub(crate) use typed::{TypedCell, TypedMemo};
use plan::{AsIs, MessageForm, Pieces, Plan, Route};
use std::fmt;
use std::marker::PhantomData;

/// Where rendered text goes: as it is, or escaped.
trait Emit {
    /// Whether text is written as it is (no escaping, no scratch needed).
    const RAW: bool;
    /// The form of the pieces in a call site's plan.
    type Form: MessageForm;
    /// Appends text that may need escaping (valid UTF-8 on its own).
    fn text(out: &mut Vec<u8>, s: &[u8]);
    /// Whether [`Emit::text`] writes `s` as it is.
    fn plain(s: &[u8]) -> bool;
    /// [`Emit::plain`] of the first `len` (`1..=16`) bytes of `w`.
    fn plain16(w: [u8; 16], len: usize) -> bool;
    /// Whether a `"` that starts the message is escaped.
    const LEADING_QUOTE: bool;
    /// Applies that rule to the message written at `out[start..]`.
    fn lead(out: &mut Vec<u8>, start: usize);
}

/// The message as `format!` makes it.
struct Raw;

impl Emit for Raw {
    const RAW: bool = true;
    type Form = AsIs;
    #[inline(always)]
    fn text(out: &mut Vec<u8>, s: &[u8]) {
        put(out, s)
    }
    #[inline(always)]
    fn plain(_: &[u8]) -> bool {
        true
    }
    #[inline(always)]
    fn plain16(_: [u8; 16], _: usize) -> bool {
        true
    }
    const LEADING_QUOTE: bool = false;
    fn lead(_: &mut Vec<u8>, _: usize) {}
}

/// The message escaped for dialect `D`.
struct Escaped<D>(PhantomData<D>);

impl<D: MessageDialect> Emit for Escaped<D> {
    const RAW: bool = false;
    type Form = D;
    #[inline(always)]
    fn text(out: &mut Vec<u8>, s: &[u8]) {
        if is_plain_part::<D>(s) {
            put(out, s)
        } else {
            escape_part::<D>(out, s)
        }
    }
    #[inline(always)]
    fn plain(s: &[u8]) -> bool {
        is_plain_part::<D>(s)
    }
    #[inline(always)]
    fn plain16(w: [u8; 16], len: usize) -> bool {
        is_plain_part16::<D>(w, len)
    }
    const LEADING_QUOTE: bool = D::LEADING_QUOTE;
    fn lead(out: &mut Vec<u8>, start: usize) {
        escape_leading_quote::<D>(out, start)
    }
}

/// Up to 3 bytes a line puts right after a message, appended with it;
/// a const parameter as [`Tail::word`] (`Tail::new(b"\n").word()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tail(u32);

impl Tail {
    /// No bytes.
    pub(crate) const NONE: Tail = Tail::new(b"");

    /// The bytes `b` (at most 3).
    pub(crate) const fn new(b: &[u8]) -> Tail {
        assert!(b.len() <= 3);
        let mut w = [0u8; 4];
        let mut i = 0;
        while i < b.len() {
            w[i] = b[i];
            i += 1;
        }
        w[3] = b.len() as u8;
        Tail(u32::from_le_bytes(w))
    }

    /// The tail whose [`Tail::word`] is `w`.
    #[inline(always)]
    pub(crate) const fn of(w: u32) -> Tail {
        Tail(w)
    }

    /// Its bytes and its length, as a const parameter carries it.
    pub(crate) const fn word(self) -> u32 {
        self.0
    }

    /// Its length.
    #[inline(always)]
    pub(crate) fn len(self) -> usize {
        (self.0 >> 24) as usize
    }

    /// Its bytes, then its length (4 bytes stored at once).
    #[inline(always)]
    pub(crate) fn bytes(self) -> [u8; 4] {
        self.0.to_le_bytes()
    }

    /// Appends its bytes to `out`.
    #[inline(always)]
    pub(crate) fn put(self, out: &mut Vec<u8>) {
        put(out, &self.bytes()[..self.len().min(3)])
    }
}

/// Appends the message of a record from `cs` with encoded `values` to
/// `out`, unescaped; `false` when the values do not match the call site
/// (a bug: the message then ends at the first value that does not decode).
/// Out of line: it serves the eager path (a sink's own format), and inlined
/// into `Record::from_parts` it made the drain loop call that instead.
#[inline(never)]
pub(crate) fn render(out: &mut Vec<u8>, cs: &CallSite, values: &[u8]) -> bool {
    render_with::<Raw>(out, &mut Vec::new(), &mut TypedMemo::new(), cs, values, Tail::NONE)
}

/// [`render`] escaped for dialect `D`, then the tail `TAIL` (a
/// [`Tail::word`]); `scratch` holds `core::fmt` output before it is
/// escaped, `memo` the typed renderer used last. On `false` what was
/// written ends at the first value that did not decode (no tail).
/// Inlined into the formats: the call of a typed renderer is then the
/// only call on the common path.
#[inline(always)]
pub(crate) fn render_escaped<D: MessageDialect, const TAIL: u32>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    memo: &mut TypedMemo,
    cs: &CallSite,
    values: &[u8],
) -> bool {
    render_with::<Escaped<D>>(out, scratch, memo, cs, values, Tail::of(TAIL))
}

/// Output bytes per encoded value byte that [`display`] writes without a
/// capacity check: `{}` of a `u64`/`i64` (9 encoded bytes) is at most 20
/// bytes, of a `u32`/`i32` (5 bytes) at most 11, of a `u8`/`i8` (2 bytes)
/// at most 4, and a string with nothing to escape (5 bytes and its own)
/// as long as it is.
const ROOM_PER_VALUE_BYTE: usize = 3;

/// The room the rest of a message may take in unchecked writes: the
/// literal pieces not written yet and [`ROOM_PER_VALUE_BYTE`] per value
/// byte not read yet.
#[inline(always)]
fn room_for(pieces_left: usize, values_left: &[u8]) -> usize {
    pieces_left + ROOM_PER_VALUE_BYTE * values_left.len()
}

/// [`render`] through `E`, the pieces copied from the call site's plan.
///
/// One capacity check for the whole message: the room reserved first
/// ([`room_for`], and the cursor's slack) bounds every unchecked write
/// after it (pieces, digits, strings with nothing to escape). A part
/// written through checked writes instead (an escaped string, a float, a
/// spec) may use more than its share, so the room is reserved again after
/// it — for all the pieces, an upper bound of those left.
#[inline(always)]
fn render_with<E: Emit>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    memo: &mut TypedMemo,
    cs: &CallSite,
    values: &[u8],
    tail: Tail,
) -> bool {
    // The renderer of the arguments' types, when the call site has one.
    if let Some(ok) = typed::render::<E>(memo, cs, out, values, tail) {
        return ok;
    }
    // The pieces looked up again there: not kept across the typed call.
    render_table::<E>(out, scratch, cs, values, tail)
}

/// [`render_with`] by the call site's slots and each value's tag, out of
/// line.
#[inline(never)]
fn render_table<E: Emit>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    cs: &CallSite,
    values: &[u8],
    tail: Tail,
) -> bool {
    let pieces = Plan::of(cs).pieces::<E::Form>();
    // The commonest route here, under one compare; the others out of
    // line (a jump table over all of them costs the common one more).
    if pieces.route() == Route::Short {
        return render_slots::<E, false, true, false>(out, scratch, cs, pieces, values, tail);
    }
    render_other_route::<E>(out, scratch, cs, pieces, values, tail)
}

/// [`render_table`] of a call site whose route is not `Route::Short`.
#[inline(never)]
fn render_other_route<E: Emit>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    cs: &CallSite,
    pieces: &Pieces,
    values: &[u8],
    tail: Tail,
) -> bool {
    let (out, sc) = (out, scratch);
    match pieces.route() {
        Route::ShortLead if E::LEADING_QUOTE => {
            render_slots::<E, false, true, true>(out, sc, cs, pieces, values, tail)
        }
        // `Short` is the caller's; here for the match to be whole.
        Route::Short | Route::ShortLead => {
            render_slots::<E, false, true, false>(out, sc, cs, pieces, values, tail)
        }
        Route::Long => render_slots::<E, false, false, true>(out, sc, cs, pieces, values, tail),
        Route::Custom => render_slots::<E, true, false, true>(out, sc, cs, pieces, values, tail),
    }
}

/// [`render_with`] for a call site with a spec other than `{}` (`CUSTOM`)
/// or without one (then no slot's kind is looked at); the leading-quote
/// rule is applied (if the pieces ask for it) only when `LEAD`.
#[inline(always)]
fn render_slots<E: Emit, const CUSTOM: bool, const SHORT: bool, const LEAD: bool>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    cs: &CallSite,
    pieces: &Pieces,
    values: &[u8],
    tail: Tail,
) -> bool {
    // The tail counts as a piece.
    let all_pieces = pieces.total() + tail.len();
    let start = out.len();
    let mut c = Cursor::new(out, room_for(all_pieces, values));
    let mut rest = values;
    // The pieces not written yet, for the debug checks of the room.
    let mut pieces_left = all_pieces;
    for (i, p) in pieces.heads().iter().enumerate() {
        debug_assert!(c.spare() >= room_for(pieces_left, rest) + cursor::SLACK);
        // SAFETY: the room holds `room_for(pieces_left, rest)`, this
        // piece among the pieces, and the slack; the piece is from the
        // plan, at most 16 bytes long when `SHORT` (the plan says so).
        unsafe { c.put_piece::<SHORT>(p) };
        pieces_left -= p.len;
        let next = match CUSTOM {
            // SAFETY: the room holds `room_for(pieces_left, rest)`.
            false => unsafe { display::<E>(&mut c, rest, all_pieces) },
            true => match cs.slots.get(i).map(|s| s.kind) {
                // SAFETY: as above.
                Some(SlotKind::Display) => unsafe { display::<E>(&mut c, rest, all_pieces) },
                Some(SlotKind::Custom {
                    fmt,
                    width_arg,
                    precision_arg,
                }) => c
                    .checked(|out| custom::<E>(out, scratch, rest, fmt, width_arg, precision_arg))
                    .inspect(|r| c.reserve(room_for(all_pieces, r))),
                None => None,
            },
        };
        match next {
            Some(r) => rest = r,
            None => {
                c.finish();
                return false;
            }
        }
    }
    let p = pieces.last();
    debug_assert!(c.spare() >= room_for(pieces_left, rest) + cursor::SLACK);
    // SAFETY: as above.
    unsafe { c.put_piece::<SHORT>(&p) };
    if E::LEADING_QUOTE && LEAD && pieces.lead_check() {
        c.aside(|c| lead_quote::<E>(c, start, room_for(tail.len(), rest)));
    }
    debug_assert!(c.spare() >= room_for(tail.len(), rest) + cursor::SLACK);
    // SAFETY: the room holds the tail (the last of the pieces counted)
    // and the slack, which holds the 4-byte store.
    unsafe { c.tail(tail) };
    c.finish();
    rest.is_empty()
}

/// The leading-quote rule for a message that starts at `start` with a
/// value (see `plan`), out of line; then reserves `room` again.
#[inline(never)]
fn lead_quote<E: Emit>(mut c: Cursor<'_>, start: usize, room: usize) -> (End, ()) {
    c.checked(|out| E::lead(out, start));
    c.reserve(room);
    (c.end(), ())
}

/// `{}` of the value at the front of `r`; returns what follows it. The
/// common tags are read here directly and written into the room, the
/// others through [`Decoder`] and checked writes (the room is then
/// reserved again).
///
/// # Safety
/// The room holds `room_for(pieces_left, r)` for the pieces not written
/// yet; on return it holds `room_for(pieces_left, rest)`, `rest` what it
/// returns.
#[inline(always)]
unsafe fn display<'a, E: Emit>(
    c: &mut Cursor<'_>,
    r: &'a [u8],
    all_pieces: usize,
) -> Option<&'a [u8]> {
    let (&t, rest) = r.split_first()?;
    // SAFETY: every unchecked write below is a value's `{}`, within the
    // value's share of the room: `ROOM_PER_VALUE_BYTE` times its encoded
    // bytes (see the constant). Tested one after the other, the commonest
    // first (a jump table costs more for the first few).
    unsafe {
        if t == tag::STR {
            let (len, from) = rest.split_first_chunk::<4>()?;
            let len = u32::from_le_bytes(*len) as usize;
            let after = from.get(len..)?;
            string::<E>(c, from, len, all_pieces);
            Some(after)
        } else if t.wrapping_sub(tag::U32) < 2 {
            // `U32` or `U64` (consecutive tags): one range test.
            const _: () = assert!(tag::U64 == tag::U32 + 1);
            let (v, rest) = match t == tag::U64 {
                true => rest
                    .split_first_chunk::<8>()
                    .map(|(v, rest)| (u64::from_le_bytes(*v), rest))?,
                false => rest
                    .split_first_chunk::<4>()
                    .map(|(v, rest)| (u32::from_le_bytes(*v).into(), rest))?,
            };
            c.decimal(v);
            Some(rest)
        } else if t == tag::I64 {
            let (v, rest) = rest.split_first_chunk::<8>()?;
            signed(c, i64::from_le_bytes(*v));
            Some(rest)
        } else {
            c.aside(|c| display_other::<E>(c, r, all_pieces))
        }
    }
}

/// [`display`] of the tags it does not read itself, out of line.
///
/// # Safety
/// As for [`display`].
#[inline(never)]
unsafe fn display_other<'a, E: Emit>(
    mut c: Cursor<'_>,
    r: &'a [u8],
    all_pieces: usize,
) -> (End, Option<&'a [u8]>) {
    // SAFETY: as in `display`.
    let rest = unsafe { display_other_tag::<E>(&mut c, r, all_pieces) };
    (c.end(), rest)
}

/// The body of [`display_other`].
///
/// # Safety
/// As for [`display`].
#[inline(always)]
unsafe fn display_other_tag<'a, E: Emit>(
    c: &mut Cursor<'_>,
    r: &'a [u8],
    all_pieces: usize,
) -> Option<&'a [u8]> {
    let (&t, rest) = r.split_first()?;
    // SAFETY: as in `display`.
    unsafe {
        match t {
            tag::I32 => {
                let (v, rest) = rest.split_first_chunk::<4>()?;
                signed(c, i32::from_le_bytes(*v).into());
                Some(rest)
            }
            tag::PRE => {
                let (len, from) = rest.split_first_chunk::<4>()?;
                let len = u32::from_le_bytes(*len) as usize;
                let after = from.get(len..)?;
                string::<E>(c, from, len, all_pieces);
                Some(after)
            }
            tag::U16 => {
                let (v, rest) = rest.split_first_chunk::<2>()?;
                c.decimal(u16::from_le_bytes(*v).into());
                Some(rest)
            }
            tag::I16 => {
                let (v, rest) = rest.split_first_chunk::<2>()?;
                signed(c, i16::from_le_bytes(*v).into());
                Some(rest)
            }
            tag::U8 => {
                let (&v, rest) = rest.split_first()?;
                c.decimal(v.into());
                Some(rest)
            }
            tag::I8 => {
                let (&v, rest) = rest.split_first()?;
                signed(c, (v as i8).into());
                Some(rest)
            }
            tag::BOOL => {
                let (&v, rest) = rest.split_first()?;
                c.put(if v != 0 { b"true" } else { b"false" });
                Some(rest)
            }
            _ => {
                let mut d = Decoder::new(r);
                let v = d.value()?;
                c.checked(|out| push_display::<E>(out, v));
                c.reserve(room_for(all_pieces, d.rest()));
                Some(d.rest())
            }
        }
    }
}

/// `{}` of a signed integer.
///
/// # Safety
/// The room holds its digits and sign.
#[inline(always)]
unsafe fn signed(c: &mut Cursor<'_>, v: i64) {
    // SAFETY: the caller promises room for the sign and the digits.
    unsafe {
        if v < 0 {
            c.byte(b'-');
        }
        c.decimal(v.unsigned_abs());
    }
}

/// A string value: the first `len` bytes of `from` (which holds it and
/// the bytes after it). A short one is tested and copied as one 16-byte
/// load, the others out of line.
///
/// # Safety
/// The room holds the string; `len <= from.len()`.
#[inline(always)]
unsafe fn string<E: Emit>(c: &mut Cursor<'_>, from: &[u8], len: usize, all_pieces: usize) {
    debug_assert!(len <= from.len());
    if let (true, Some(&w)) = (len.wrapping_sub(1) < 16, from.first_chunk::<16>()) {
        if E::plain16(w, len) {
            // SAFETY: the caller promises room for the string, the
            // cursor the slack.
            return unsafe { c.put16(w, len) };
        }
    }
    // SAFETY: the caller's promises.
    c.aside(|c| unsafe { string_other::<E>(c, from, len, all_pieces) })
}

/// [`string`] of a string that is long, short at the end of the record,
/// or has something to escape.
///
/// # Safety
/// As for [`string`].
#[inline(never)]
unsafe fn string_other<E: Emit>(
    mut c: Cursor<'_>,
    from: &[u8],
    len: usize,
    all_pieces: usize,
) -> (End, ()) {
    let (s, after) = from.split_at(len);
    if E::plain(s) {
        // SAFETY: the caller promises room for `s`.
        unsafe { c.put(s) };
    } else {
        c.checked(|out| E::text(out, s));
        c.reserve(room_for(all_pieces, after));
    }
    (c.end(), ())
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
    let mut c = Cursor::new(out, room_for(0, r));
    // SAFETY: the room for the values of `r` (no piece) was just reserved.
    let rest = unsafe { display::<Raw>(&mut c, r, 0) };
    c.finish();
    rest
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
