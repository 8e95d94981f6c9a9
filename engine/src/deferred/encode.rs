//! The caller's side: arguments measured, then written in place.
//!
//! The macros hand the engine one [`EncodeArgs`] value per call: a tuple
//! with one element per placeholder value. Encoding takes two passes over
//! it: [`EncodeArgs::measure`] sums the bytes (and formats the few
//! arguments that must be formatted in the caller into a reused buffer),
//! then, once the ring has reserved exactly that many bytes,
//! [`EncodeArgs::encode`] writes them through a bounds-checked [`Cursor`].
//!
//! Which element an argument becomes is decided at the call site by the
//! argument's type (autoref dispatch): [`ViaPlain`] for types the engine
//! copies in binary ([`Plain`]), [`ViaFmt`] for everything else.

use super::tag;
use std::cell::Cell;
use std::fmt;
use std::mem::MaybeUninit;

/// Where a record's bytes go: a reserved region, written front to back.
/// Every write is bounds-checked; one that does not fit sets `overflow`
/// and writes nothing (the record is then discarded, never committed).
pub struct Cursor<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    /// Bytes written; `pos <= buf.len()`.
    pos: usize,
    overflow: bool,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a mut [MaybeUninit<u8>]) -> Cursor<'a> {
        Cursor {
            buf,
            pos: 0,
            overflow: false,
        }
    }

    /// Bytes written so far.
    pub(crate) fn written(&self) -> usize {
        self.pos
    }

    /// Whether every write fitted.
    pub(crate) fn ok(&self) -> bool {
        !self.overflow
    }

    /// Appends `src`.
    #[inline(always)]
    pub fn put(&mut self, src: &[u8]) {
        let Some(dst) = self.buf.get_mut(self.pos..self.pos + src.len()) else {
            self.overflow = true;
            return;
        };
        // SAFETY: `dst` and `src` have the same length (just sliced), `dst`
        // is exclusively borrowed so they cannot overlap, and writing bytes
        // into `MaybeUninit<u8>` initialises them.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast::<u8>(), src.len())
        };
        self.pos += src.len();
    }

    /// Appends a tag and a fixed-size value.
    #[inline(always)]
    pub fn tagged<const N: usize>(&mut self, tag: u8, bytes: [u8; N]) {
        self.put(&[tag]);
        self.put(&bytes);
    }

    /// Appends a tag, a `u32` length and the bytes.
    #[inline(always)]
    pub fn tagged_bytes(&mut self, tag: u8, b: &[u8]) {
        self.put(&[tag]);
        self.put(&(b.len() as u32).to_le_bytes());
        self.put(b);
    }
}

/// Arguments formatted in the caller, kept in the producer's reused buffer
/// between the two passes; `cap` bounds it (a longer text could never fit
/// the ring, so formatting stops there and the record is oversized).
pub struct PreBuf<'a> {
    pub(crate) buf: &'a mut Vec<u8>,
    pub(crate) cap: usize,
}

/// A call's arguments: one element per placeholder value, or a tuple of them.
pub trait EncodeArgs {
    /// Whether some element formats in the caller (uses the [`PreBuf`]).
    const PREFORMATS: bool;
    /// Bytes [`encode`](EncodeArgs::encode) will write; formats the
    /// caller-formatted elements into `pre`, in order.
    fn measure(&self, pre: &mut PreBuf<'_>) -> usize;
    /// Writes the elements; `pre` holds what `measure` formatted, consumed
    /// front to back.
    fn encode(&self, c: &mut Cursor<'_>, pre: &mut &[u8]);
}

/// A type the engine copies in binary and the writer formats exactly as
/// the original: integers, floats, `bool`, `char`, strings, byte slices.
pub trait Plain {
    /// Encoded bytes, tag included.
    fn encoded_len(&self) -> usize;
    /// Writes the tag and the value.
    fn encode(&self, c: &mut Cursor<'_>);
}

macro_rules! plain_int {
    ($($t:ty => $tag:expr),*) => {$(
        impl Plain for $t {
            #[inline(always)]
            fn encoded_len(&self) -> usize {
                1 + std::mem::size_of::<$t>()
            }
            #[inline(always)]
            fn encode(&self, c: &mut Cursor<'_>) {
                c.tagged($tag, self.to_le_bytes());
            }
        }
    )*};
}
plain_int!(u8 => tag::U8, u16 => tag::U16, u32 => tag::U32, u64 => tag::U64, u128 => tag::U128,
    i8 => tag::I8, i16 => tag::I16, i32 => tag::I32, i64 => tag::I64, i128 => tag::I128,
    f32 => tag::F32, f64 => tag::F64);
#[cfg(target_pointer_width = "64")]
plain_int!(usize => tag::U64, isize => tag::I64);
#[cfg(target_pointer_width = "32")]
plain_int!(usize => tag::U32, isize => tag::I32);

impl Plain for bool {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        2
    }
    #[inline(always)]
    fn encode(&self, c: &mut Cursor<'_>) {
        c.tagged(tag::BOOL, [*self as u8]);
    }
}

impl Plain for char {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        5
    }
    #[inline(always)]
    fn encode(&self, c: &mut Cursor<'_>) {
        c.tagged(tag::CHAR, (*self as u32).to_le_bytes());
    }
}

macro_rules! plain_text {
    ($tag:expr, $view:ty => $($t:ty),*) => {$(
        impl Plain for $t {
            #[inline(always)]
            fn encoded_len(&self) -> usize {
                5 + AsRef::<$view>::as_ref(self).len()
            }
            #[inline(always)]
            fn encode(&self, c: &mut Cursor<'_>) {
                c.tagged_bytes($tag, AsRef::<[u8]>::as_ref(AsRef::<$view>::as_ref(self)));
            }
        }
    )*};
}
plain_text!(tag::STR, str => str, String, Box<str>, std::sync::Arc<str>, std::rc::Rc<str>,
    std::borrow::Cow<'_, str>);
plain_text!(tag::BYTES, [u8] => [u8], Vec<u8>);

impl<const N: usize> Plain for [u8; N] {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        5 + N
    }
    #[inline(always)]
    fn encode(&self, c: &mut Cursor<'_>) {
        c.tagged_bytes(tag::BYTES, self);
    }
}

macro_rules! plain_ref {
    ($($r:ty),*) => {$(
        impl<T: Plain + ?Sized> Plain for $r {
            #[inline(always)]
            fn encoded_len(&self) -> usize {
                (**self).encoded_len()
            }
            #[inline(always)]
            fn encode(&self, c: &mut Cursor<'_>) {
                (**self).encode(c);
            }
        }
    )*};
}
plain_ref!(&T, &mut T);

/// A plain argument, borrowed for the call.
pub struct PlainArg<'a, T: ?Sized>(&'a T);

impl<'a, T: Plain + ?Sized> PlainArg<'a, T> {
    /// Wraps a borrowed value.
    #[inline(always)]
    pub fn new(v: &'a T) -> Self {
        PlainArg(v)
    }
}

impl<T: Plain + ?Sized> EncodeArgs for PlainArg<'_, T> {
    const PREFORMATS: bool = false;
    #[inline(always)]
    fn measure(&self, _pre: &mut PreBuf<'_>) -> usize {
        self.0.encoded_len()
    }
    #[inline(always)]
    fn encode(&self, c: &mut Cursor<'_>, _pre: &mut &[u8]) {
        self.0.encode(c);
    }
}

/// An argument formatted in the caller by a closure that holds its spec.
pub struct FmtArg<F> {
    f: F,
    /// Bytes `measure` formatted.
    len: Cell<usize>,
}

impl<F: Fn(&mut dyn fmt::Write) -> fmt::Result> FmtArg<F> {
    /// Wraps the formatting closure.
    #[inline(always)]
    pub fn new(f: F) -> Self {
        FmtArg {
            f,
            len: Cell::new(0),
        }
    }
}

impl<F: Fn(&mut dyn fmt::Write) -> fmt::Result> EncodeArgs for FmtArg<F> {
    const PREFORMATS: bool = true;
    fn measure(&self, pre: &mut PreBuf<'_>) -> usize {
        let start = pre.buf.len();
        // A `Display` that fails keeps what it wrote, as a pre-formatted
        // message does; a capped one is cut (the record is then oversized).
        let _ = (self.f)(&mut Capped {
            out: pre.buf,
            cap: pre.cap,
        });
        let len = pre.buf.len() - start;
        self.len.set(len);
        5 + len
    }
    fn encode(&self, c: &mut Cursor<'_>, pre: &mut &[u8]) {
        let len = self.len.get().min(pre.len());
        let (text, rest) = pre.split_at(len);
        c.tagged_bytes(tag::PRE, text);
        *pre = rest;
    }
}

/// `fmt::Write` into a vector that stops once it holds more than `cap` bytes.
struct Capped<'a> {
    out: &'a mut Vec<u8>,
    cap: usize,
}

impl fmt::Write for Capped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.out.len() + s.len() > self.cap {
            let room = (self.cap + 1).saturating_sub(self.out.len());
            self.out
                .extend_from_slice(&s.as_bytes()[..room.min(s.len())]);
            return Err(fmt::Error);
        }
        self.out.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// An argument at the call site, before its type picks how it travels.
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

/// Picked for [`Plain`] types: `(&Wrap(&x)).__defer(f)` copies `x`.
pub trait ViaPlain<'a, T: ?Sized> {
    /// The plain element (`f` is not used).
    fn __defer<F>(&self, f: F) -> PlainArg<'a, T>;
}

impl<'a, T: Plain + ?Sized> ViaPlain<'a, T> for Wrap<'a, T> {
    #[inline(always)]
    fn __defer<F>(&self, _f: F) -> PlainArg<'a, T> {
        PlainArg(self.0)
    }
}

/// Picked for every other type (one more autoref): `f` formats it in the caller.
pub trait ViaFmt {
    /// The caller-formatted element.
    fn __defer<F: Fn(&mut dyn fmt::Write) -> fmt::Result>(&self, f: F) -> FmtArg<F>;
}

impl<T: ?Sized> ViaFmt for &Wrap<'_, T> {
    #[inline(always)]
    fn __defer<F: Fn(&mut dyn fmt::Write) -> fmt::Result>(&self, f: F) -> FmtArg<F> {
        FmtArg::new(f)
    }
}

impl EncodeArgs for () {
    const PREFORMATS: bool = false;
    #[inline(always)]
    fn measure(&self, _pre: &mut PreBuf<'_>) -> usize {
        0
    }
    #[inline(always)]
    fn encode(&self, _c: &mut Cursor<'_>, _pre: &mut &[u8]) {}
}

macro_rules! tuple_args {
    ($($name:ident)+) => {
        impl<$($name: EncodeArgs),+> EncodeArgs for ($($name,)+) {
            const PREFORMATS: bool = false $(|| $name::PREFORMATS)+;
            #[inline(always)]
            #[allow(non_snake_case)]
            fn measure(&self, pre: &mut PreBuf<'_>) -> usize {
                let ($($name,)+) = self;
                0 $(+ $name.measure(pre))+
            }
            #[inline(always)]
            #[allow(non_snake_case)]
            fn encode(&self, c: &mut Cursor<'_>, pre: &mut &[u8]) {
                let ($($name,)+) = self;
                $($name.encode(c, pre);)+
            }
        }
    };
}
tuple_args!(A);
tuple_args!(A B);
tuple_args!(A B C);
tuple_args!(A B C D);
tuple_args!(A B C D E);
tuple_args!(A B C D E F);
tuple_args!(A B C D E F G);
tuple_args!(A B C D E F G H);
tuple_args!(A B C D E F G H I);
tuple_args!(A B C D E F G H I J);
tuple_args!(A B C D E F G H I J K);
tuple_args!(A B C D E F G H I J K L);
