//! The writer's side: values decoded from a deferred payload.

use super::tag;
use super::CALLSITE_LEN;
use crate::callsite::CallSite;

/// One decoded value, borrowing the record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    U128(u128),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    I128(i128),
    F32(f32),
    F64(f64),
    Bool(bool),
    Char(char),
    /// UTF-8 text (a string argument).
    Str(&'a [u8]),
    /// A byte slice argument.
    Bytes(&'a [u8]),
    /// Text the caller already formatted with the placeholder's spec.
    Pre(&'a [u8]),
}

/// The largest width or precision `core::fmt` takes (it panics above,
/// since Rust 1.87; see `encode::PlainArg::count`, which fails the call in
/// the caller then).
pub(crate) const MAX_COUNT: usize = u16::MAX as usize;

/// Reads values front to back; `None` at the end or on malformed bytes.
pub(crate) struct Decoder<'a> {
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder { rest: bytes }
    }

    #[inline(always)]
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.rest.split_first_chunk::<N>()?;
        self.rest = rest;
        Some(*head)
    }

    #[inline(always)]
    fn take_slice(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_le_bytes(self.take::<4>()?) as usize;
        if len > self.rest.len() {
            return None;
        }
        let (head, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(head)
    }

    /// The next value.
    #[inline]
    pub(crate) fn value(&mut self) -> Option<Value<'a>> {
        let [t] = self.take::<1>()?;
        Some(match t {
            tag::U8 => Value::U8(u8::from_le_bytes(self.take()?)),
            tag::U16 => Value::U16(u16::from_le_bytes(self.take()?)),
            tag::U32 => Value::U32(u32::from_le_bytes(self.take()?)),
            tag::U64 => Value::U64(u64::from_le_bytes(self.take()?)),
            tag::U128 => Value::U128(u128::from_le_bytes(self.take()?)),
            tag::I8 => Value::I8(i8::from_le_bytes(self.take()?)),
            tag::I16 => Value::I16(i16::from_le_bytes(self.take()?)),
            tag::I32 => Value::I32(i32::from_le_bytes(self.take()?)),
            tag::I64 => Value::I64(i64::from_le_bytes(self.take()?)),
            tag::I128 => Value::I128(i128::from_le_bytes(self.take()?)),
            tag::F32 => Value::F32(f32::from_le_bytes(self.take()?)),
            tag::F64 => Value::F64(f64::from_le_bytes(self.take()?)),
            tag::BOOL => Value::Bool(self.take::<1>()?[0] != 0),
            tag::CHAR => Value::Char(char::from_u32(u32::from_le_bytes(self.take()?))?),
            tag::STR => Value::Str(self.take_slice()?),
            tag::BYTES => Value::Bytes(self.take_slice()?),
            tag::PRE => Value::Pre(self.take_slice()?),
            _ => return None,
        })
    }

    /// The next value as a width or precision argument; `None` past
    /// [`MAX_COUNT`], which `core::fmt` would panic on (the caller never
    /// encodes one: only a malformed record holds it).
    #[inline]
    pub(crate) fn count(&mut self) -> Option<usize> {
        let c = match self.value()? {
            Value::U64(v) => usize::try_from(v).ok()?,
            Value::U32(v) => usize::try_from(v).ok()?,
            _ => return None,
        };
        (c <= MAX_COUNT).then_some(c)
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

/// The text of the first value in `values` whose caller-side formatting
/// failed (`tag::PRE_CUT`, see `EncodeArgs::cut`): where its message ends.
/// `None` when there is none, or a value before it does not decode.
pub(crate) fn cut_text(values: &[u8]) -> Option<&[u8]> {
    let mut d = Decoder::new(values);
    loop {
        if let Some((&tag::PRE_CUT, rest)) = d.rest.split_first() {
            d.rest = rest;
            return d.take_slice();
        }
        d.value()?;
    }
}

/// Splits a deferred payload into its call site and its encoded values;
/// `None` when it is too short or the address is not a plausible one.
#[inline]
pub(crate) fn split(payload: &[u8]) -> Option<(&'static CallSite, &[u8])> {
    let (addr, values) = payload.split_first_chunk::<CALLSITE_LEN>()?;
    let addr = u64::from_le_bytes(*addr) as usize;
    if addr == 0 || addr % std::mem::align_of::<CallSite>() != 0 {
        return None;
    }
    // SAFETY: the payloads given here were written by this process's
    // producers (`Producer::__log_deferred`), which store the address of a
    // `&'static CallSite`: the address names a live, immutable static. The
    // writer reads only rings of its own process (crash-safe ring files
    // included: they are created by this process's producers, and a forked
    // child never reads the parent's). Deferred records of another process
    // (crash-safe recovery) never come here: recovery resolves their
    // addresses through that process's call-site table and hands the
    // writer text records (`crash_safe::sites::render_deferred`).
    let cs = unsafe { &*(addr as *const CallSite) };
    Some((cs, values))
}
