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

use super::{signature, tag};
use std::cell::Cell;
use std::fmt;
use std::mem::MaybeUninit;

/// Where a record's bytes go: a reserved region, written front to back.
///
/// Writes are not bounds-checked one by one: the region was reserved with
/// the length [`EncodeArgs::measure`] returned, and the `unsafe` traits
/// promise that encoding writes exactly that many bytes. The owner checks
/// the total (`Cursor::written`) before it publishes the record.
pub struct Cursor<'a> {
    /// Next byte to write; `start <= at <= end`.
    at: *mut u8,
    start: *mut u8,
    end: *mut u8,
    _buf: std::marker::PhantomData<&'a mut [MaybeUninit<u8>]>,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a mut [MaybeUninit<u8>]) -> Cursor<'a> {
        let start = buf.as_mut_ptr().cast::<u8>();
        Cursor {
            at: start,
            start,
            // SAFETY: one past the end of the same allocation.
            end: unsafe { start.add(buf.len()) },
            _buf: std::marker::PhantomData,
        }
    }

    /// Bytes written so far.
    pub(crate) fn written(&self) -> usize {
        self.at as usize - self.start as usize
    }

    /// Bytes left in the region.
    #[inline(always)]
    fn room(&self) -> usize {
        self.end as usize - self.at as usize
    }

    /// Appends `src`.
    ///
    /// # Safety
    /// `src.len()` bytes are left in the region.
    #[inline(always)]
    pub unsafe fn put(&mut self, src: &[u8]) {
        let n = src.len();
        debug_assert!(n <= self.room());
        // SAFETY: the caller promises `n` bytes of room at `at`; `src` is a
        // distinct, live slice (the region is exclusively borrowed).
        unsafe {
            copy_short(src.as_ptr(), self.at, n);
            self.at = self.at.add(n);
        }
    }

    /// Appends a tag and a fixed-size value.
    ///
    /// # Safety
    /// `1 + N` bytes are left in the region.
    #[inline(always)]
    pub unsafe fn tagged<const N: usize>(&mut self, tag: u8, bytes: [u8; N]) {
        debug_assert!(N < self.room());
        // SAFETY: the caller promises `1 + N` bytes of room at `at`.
        unsafe {
            self.at.write(tag);
            self.at.add(1).cast::<[u8; N]>().write_unaligned(bytes);
            self.at = self.at.add(1 + N);
        }
    }

    /// Appends a tag, a `u32` length and the bytes.
    ///
    /// # Safety
    /// `5 + b.len()` bytes are left in the region.
    #[inline(always)]
    pub unsafe fn tagged_bytes(&mut self, tag: u8, b: &[u8]) {
        // SAFETY: the caller promises `5 + b.len()` bytes of room.
        unsafe {
            self.tagged(tag, (b.len() as u32).to_le_bytes());
            self.put(b);
        }
    }
}

/// Copies `n` bytes without a call for the short strings logs are made
/// of (two overlapping word moves), `memcpy` beyond 16 bytes.
///
/// # Safety
/// `src` is readable and `dst` writable for `n` bytes; they do not overlap.
#[inline(always)]
pub(crate) unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    // SAFETY: in every branch each read lies in `src[0..n]` and each write
    // in `dst[0..n]`, as the caller guarantees; unaligned accesses are used.
    // Two compares reach each short case (longest first: a target, a path).
    unsafe {
        if n >= 8 {
            if n > 16 {
                return std::ptr::copy_nonoverlapping(src, dst, n);
            }
            let a = src.cast::<u64>().read_unaligned();
            let b = src.add(n - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(a);
            dst.add(n - 8).cast::<u64>().write_unaligned(b);
        } else if n >= 4 {
            let a = src.cast::<u32>().read_unaligned();
            let b = src.add(n - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(a);
            dst.add(n - 4).cast::<u32>().write_unaligned(b);
        } else if n > 0 {
            dst.write(src.read());
            dst.add(n / 2).write(src.add(n / 2).read());
            dst.add(n - 1).write(src.add(n - 1).read());
        }
    }
}

/// Arguments formatted in the caller, kept in the producer's reused buffer
/// between the two passes; `cap` bounds it (a longer text could never fit
/// the ring, so formatting stops there and the record is oversized).
pub struct PreBuf<'a> {
    pub(crate) buf: &'a mut Vec<u8>,
    pub(crate) cap: usize,
    /// Set by the first element whose formatting failed: the elements
    /// after it are not formatted (see [`EncodeArgs::cut`]).
    pub(crate) stopped: bool,
}

impl<'a> PreBuf<'a> {
    /// `buf`, capped at `cap` bytes, before any element is formatted.
    pub(crate) fn new(buf: &'a mut Vec<u8>, cap: usize) -> PreBuf<'a> {
        PreBuf {
            buf,
            cap,
            stopped: false,
        }
    }
}

/// A call's arguments: one element per placeholder value, or a tuple of them.
///
/// # Safety
/// [`encode`](EncodeArgs::encode) writes exactly the number of bytes the
/// preceding [`measure`](EncodeArgs::measure) returned (the cursor does
/// not check each write).
pub unsafe trait EncodeArgs {
    /// Whether some element formats in the caller (uses the [`PreBuf`]).
    const PREFORMATS: bool;
    /// Whether the call site has a spec other than `{}` ([`CustomSpecs`]):
    /// crash-safe mode then formats those values in the caller, on the
    /// slow path, so its direct path is not even tried.
    const CUSTOM_SPECS: bool = false;
    /// The tags the values are encoded with (see `deferred::signature`);
    /// `0` when unknown, and then the writer renders by the tags alone.
    const SIG: u64 = 0;
    /// Bytes [`encode`](EncodeArgs::encode) will write; formats the
    /// caller-formatted elements into `pre`, in order.
    fn measure(&self, pre: &mut PreBuf<'_>) -> usize;
    /// Writes the elements; `pre` holds what `measure` formatted, consumed
    /// front to back.
    fn encode(&self, c: &mut Cursor<'_>, pre: &mut &[u8]);
    /// Whether `measure` cut the message: an element formatted in the
    /// caller failed (its `Display` returned an error, or its text
    /// crossed the cap), so the message ends with what it wrote, as a
    /// message formatted by `format_args!` ends at the error, and the
    /// elements after it were not formatted. `encode` then writes that
    /// element with [`tag::PRE_CUT`], where rendering stops; only the
    /// caller renders such a record (see `Producer::deferred_slow`).
    #[inline(always)]
    fn cut(&self) -> bool {
        false
    }
}

/// A type the engine copies in binary and the writer formats exactly as
/// the original: integers, floats, `bool`, `char`, strings, byte slices.
///
/// # Safety
/// [`encode`](Plain::encode) writes exactly [`encoded_len`](Plain::encoded_len)
/// bytes, a tag the writer decodes and its value.
pub unsafe trait Plain {
    /// The tag [`encode`](Plain::encode) writes (the writer picks its
    /// code by it; a wrong one costs a fallback to the tags read, never
    /// different bytes).
    const TAG: u8;
    /// Encoded bytes, tag included.
    fn encoded_len(&self) -> usize;
    /// Writes the tag and the value.
    fn encode(&self, c: &mut Cursor<'_>);
}

macro_rules! plain_int {
    ($($t:ty => $tag:expr),*) => {$(
        // SAFETY: writes the tag and `size_of` bytes, as `encoded_len` says.
        unsafe impl Plain for $t {
            const TAG: u8 = $tag;
            #[inline(always)]
            fn encoded_len(&self) -> usize {
                1 + std::mem::size_of::<$t>()
            }
            #[inline(always)]
            fn encode(&self, c: &mut Cursor<'_>) {
                // SAFETY: the caller reserved `encoded_len` bytes.
                unsafe { c.tagged($tag, self.to_le_bytes()) };
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

// SAFETY: a tag and one byte.
unsafe impl Plain for bool {
    const TAG: u8 = tag::BOOL;
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        2
    }
    #[inline(always)]
    fn encode(&self, c: &mut Cursor<'_>) {
        // SAFETY: the caller reserved `encoded_len` bytes.
        unsafe { c.tagged(tag::BOOL, [*self as u8]) };
    }
}

// SAFETY: a tag and four bytes.
unsafe impl Plain for char {
    const TAG: u8 = tag::CHAR;
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        5
    }
    #[inline(always)]
    fn encode(&self, c: &mut Cursor<'_>) {
        // SAFETY: the caller reserved `encoded_len` bytes.
        unsafe { c.tagged(tag::CHAR, (*self as u32).to_le_bytes()) };
    }
}

macro_rules! plain_text {
    ($tag:expr, $view:ty => $($t:ty),*) => {$(
        // SAFETY: a tag, a length and the bytes, as `encoded_len` says
        // (the value is borrowed immutably, so its length cannot change).
        unsafe impl Plain for $t {
            const TAG: u8 = $tag;
            #[inline(always)]
            fn encoded_len(&self) -> usize {
                5 + AsRef::<$view>::as_ref(self).len()
            }
            #[inline(always)]
            fn encode(&self, c: &mut Cursor<'_>) {
                let b = AsRef::<[u8]>::as_ref(AsRef::<$view>::as_ref(self));
                // SAFETY: the caller reserved `encoded_len` bytes.
                unsafe { c.tagged_bytes($tag, b) };
            }
        }
    )*};
}
plain_text!(tag::STR, str => str, String, Box<str>, std::sync::Arc<str>, std::rc::Rc<str>,
    std::borrow::Cow<'_, str>);
plain_text!(tag::BYTES, [u8] => [u8], Vec<u8>);

// SAFETY: a tag, a length and `N` bytes.
unsafe impl<const N: usize> Plain for [u8; N] {
    const TAG: u8 = tag::BYTES;
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        5 + N
    }
    #[inline(always)]
    fn encode(&self, c: &mut Cursor<'_>) {
        // SAFETY: the caller reserved `encoded_len` bytes.
        unsafe { c.tagged_bytes(tag::BYTES, self) };
    }
}

macro_rules! plain_ref {
    ($($r:ty),*) => {$(
        // SAFETY: delegates both methods to the same value.
        unsafe impl<T: Plain + ?Sized> Plain for $r {
            const TAG: u8 = T::TAG;
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
pub struct PlainArg<'a, T: ?Sized>(pub(crate) &'a T);

impl<'a, T: Plain + ?Sized> PlainArg<'a, T> {
    /// Wraps a borrowed value.
    #[inline(always)]
    pub fn new(v: &'a T) -> Self {
        PlainArg(v)
    }
}

// SAFETY: `Plain`'s contract: `encode` writes `encoded_len` bytes.
unsafe impl<T: Plain + ?Sized> EncodeArgs for PlainArg<'_, T> {
    const PREFORMATS: bool = false;
    const SIG: u64 = signature::one(T::TAG);
    #[inline(always)]
    fn measure(&self, _pre: &mut PreBuf<'_>) -> usize {
        self.0.encoded_len()
    }
    #[inline(always)]
    fn encode(&self, c: &mut Cursor<'_>, _pre: &mut &[u8]) {
        self.0.encode(c);
    }
}

/// A plain argument of a `Copy` type ([`PlainCopy`]), copied for the
/// call: the call's fast path then keeps it in a register, where a
/// borrowed one would be read back from memory after each write into
/// the ring (which the compiler cannot tell apart from the argument's).
pub struct PlainVal<T>(T);

// SAFETY: `Plain`'s contract: `encode` writes `encoded_len` bytes.
unsafe impl<T: Plain> EncodeArgs for PlainVal<T> {
    const PREFORMATS: bool = false;
    const SIG: u64 = signature::one(T::TAG);
    #[inline(always)]
    fn measure(&self, _pre: &mut PreBuf<'_>) -> usize {
        self.0.encoded_len()
    }
    #[inline(always)]
    fn encode(&self, c: &mut Cursor<'_>, _pre: &mut &[u8]) {
        self.0.encode(c);
    }
}

/// The [`Plain`] types a call copies rather than borrows ([`PlainVal`]):
/// numbers, `bool`, `char` and shared references to plain values (a
/// `&str` is copied as a pointer and a length; its bytes are copied into
/// the record as before).
pub trait PlainCopy: Plain + Copy {}

macro_rules! plain_copy {
    ($($t:ty),*) => {$(impl PlainCopy for $t {})*};
}
plain_copy!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char);
impl<T: Plain + ?Sized> PlainCopy for &T {}

/// An argument formatted in the caller by a closure that holds its spec.
pub struct FmtArg<F> {
    f: F,
    /// Bytes `measure` formatted.
    len: Cell<usize>,
    /// The formatting failed: the message ends with this text.
    failed: Cell<bool>,
}

impl<F: Fn(&mut dyn fmt::Write) -> fmt::Result> FmtArg<F> {
    /// Wraps the formatting closure.
    #[inline(always)]
    pub fn new(f: F) -> Self {
        FmtArg {
            f,
            len: Cell::new(0),
            failed: Cell::new(false),
        }
    }
}

// SAFETY: `encode` writes a tag, a length and `len` bytes where `len` is
// what `measure` formatted (at most what `pre` still holds).
unsafe impl<F: Fn(&mut dyn fmt::Write) -> fmt::Result> EncodeArgs for FmtArg<F> {
    const PREFORMATS: bool = true;
    const SIG: u64 = signature::one(tag::PRE);
    fn measure(&self, pre: &mut PreBuf<'_>) -> usize {
        if pre.stopped {
            // An element before this one failed: `format_args!` would not
            // have formatted this one.
            self.len.set(0);
            return 5;
        }
        let start = pre.buf.len();
        // A `Display` that fails keeps what it wrote and ends the
        // message there, as a pre-formatted message does; a capped one is
        // cut (the record is then oversized).
        let failed = (self.f)(&mut Capped {
            out: pre.buf,
            cap: pre.cap,
        })
        .is_err();
        self.failed.set(failed);
        pre.stopped = failed;
        let len = pre.buf.len() - start;
        self.len.set(len);
        5 + len
    }
    fn encode(&self, c: &mut Cursor<'_>, pre: &mut &[u8]) {
        let len = self.len.get();
        assert!(len <= pre.len(), "caller-formatted text lost");
        let (text, rest) = pre.split_at(len);
        let t = if self.failed.get() { tag::PRE_CUT } else { tag::PRE };
        // SAFETY: `measure` returned `5 + len` for this element.
        unsafe { c.tagged_bytes(t, text) };
        *pre = rest;
    }
    fn cut(&self) -> bool {
        self.failed.get()
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

/// An argument at the call site, before its type picks how it travels:
/// `(&&Wrap(&x)).__defer(f)` finds, in this order, [`ViaCopy`],
/// [`ViaPlain`], then [`ViaFmt`] (each one autoref or deref further).
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

/// Picked for [`PlainCopy`] types: the element holds a copy of `x`.
pub trait ViaCopy<T> {
    /// The copied element (`f` is not used).
    fn __defer<F>(&self, f: F) -> PlainVal<T>;
}

impl<T: PlainCopy> ViaCopy<T> for &Wrap<'_, T> {
    #[inline(always)]
    fn __defer<F>(&self, _f: F) -> PlainVal<T> {
        PlainVal(*self.0)
    }
}

/// Picked for the other [`Plain`] types (one more autoref): the element
/// borrows `x`, whose bytes the record copies.
pub trait ViaPlain<'a, T: ?Sized> {
    /// The plain element (`f` is not used).
    fn __defer<F>(&self, f: F) -> PlainArg<'a, T>;
}

impl<'a, T: Plain + ?Sized> ViaPlain<'a, T> for &&Wrap<'a, T> {
    #[inline(always)]
    fn __defer<F>(&self, _f: F) -> PlainArg<'a, T> {
        PlainArg(self.0)
    }
}

/// Picked for every other type (one deref): `f` formats it in the caller.
pub trait ViaFmt {
    /// The caller-formatted element.
    fn __defer<F: Fn(&mut dyn fmt::Write) -> fmt::Result>(&self, f: F) -> FmtArg<F>;
}

impl<T: ?Sized> ViaFmt for Wrap<'_, T> {
    #[inline(always)]
    fn __defer<F: Fn(&mut dyn fmt::Write) -> fmt::Result>(&self, f: F) -> FmtArg<F> {
        FmtArg::new(f)
    }
}

/// The arguments of a call site with a spec other than `{}` (what the
/// macros pass there): the same elements, known as such at compile time
/// ([`EncodeArgs::CUSTOM_SPECS`]).
pub struct CustomSpecs<A>(pub A);

// SAFETY: delegates both passes to the same arguments.
unsafe impl<A: EncodeArgs> EncodeArgs for CustomSpecs<A> {
    const PREFORMATS: bool = A::PREFORMATS;
    const CUSTOM_SPECS: bool = true;
    #[inline(always)]
    fn measure(&self, pre: &mut PreBuf<'_>) -> usize {
        self.0.measure(pre)
    }
    #[inline(always)]
    fn encode(&self, c: &mut Cursor<'_>, pre: &mut &[u8]) {
        self.0.encode(c, pre)
    }
    #[inline(always)]
    fn cut(&self) -> bool {
        self.0.cut()
    }
}

// SAFETY: nothing measured, nothing written.
unsafe impl EncodeArgs for () {
    const PREFORMATS: bool = false;
    const SIG: u64 = signature::EMPTY;
    #[inline(always)]
    fn measure(&self, _pre: &mut PreBuf<'_>) -> usize {
        0
    }
    #[inline(always)]
    fn encode(&self, _c: &mut Cursor<'_>, _pre: &mut &[u8]) {}
}

macro_rules! tuple_args {
    ($($name:ident)+) => {
        // SAFETY: each element keeps the contract, in the same order.
        unsafe impl<$($name: EncodeArgs),+> EncodeArgs for ($($name,)+) {
            const PREFORMATS: bool = false $(|| $name::PREFORMATS)+;
            const SIG: u64 = signature::concat(&[$($name::SIG),+]);
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
            #[inline(always)]
            #[allow(non_snake_case)]
            fn cut(&self) -> bool {
                let ($($name,)+) = self;
                false $(|| $name.cut())+
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

#[cfg(test)]
mod tests {
    use super::{copy_short, EncodeArgs};
    use crate::callsite::CallSite;
    use crate::level::Level;
    use std::cell::RefCell;

    /// What the macros call, recording for each call whether its
    /// arguments say "custom specs" and whether its call site does.
    #[derive(Default)]
    struct Probe(RefCell<Vec<(bool, bool)>>);

    impl Probe {
        fn __by_ref(&self) -> &Probe {
            self
        }
        fn __enabled_at_site(&self, _: Level, _: &'static CallSite, _: &str) -> bool {
            true
        }
        fn __log_deferred<A: EncodeArgs>(&self, cs: &'static CallSite, _: Level, _: &str, _: A) {
            self.0.borrow_mut().push((A::CUSTOM_SPECS, cs.any_custom));
        }
    }

    /// The macros mark the arguments of exactly the call sites with a
    /// spec other than `{}` (crash-safe mode's direct path skips those).
    #[test]
    fn the_macros_mark_exactly_the_call_sites_with_a_custom_spec() {
        let p = Probe::default();
        let (n, s, w) = (7u32, "x", 3usize);
        crate::info!(p, "n={} s={}", n, s);
        crate::info!(p, "plain {n} {s} {0}", n);
        crate::info!(p, "no values");
        crate::info!(p, "n={:?}", n);
        crate::info!(p, "n={} s={:>8}", n, s);
        crate::info!(p, "n={n:x}");
        crate::info!(p, "p={:p}", &n);
        crate::info!(p, "s={:.*}", w, s);
        crate::info!(p, "s={:w$}", s);
        let seen = p.0.take();
        let custom: Vec<bool> = seen.iter().map(|&(a, _)| a).collect();
        assert_eq!(custom, [false, false, false, true, true, true, true, true, true]);
        assert!(seen.iter().all(|&(a, cs)| a == cs), "{seen:?}");
    }

    /// What the macros call, recording each call's argument type.
    #[derive(Default)]
    struct Types(RefCell<Vec<&'static str>>);

    impl Types {
        fn __by_ref(&self) -> &Types {
            self
        }
        fn __enabled_at_site(&self, _: Level, _: &'static CallSite, _: &str) -> bool {
            true
        }
        fn __log_deferred<A: EncodeArgs>(&self, _: &'static CallSite, _: Level, _: &str, _: A) {
            self.0.borrow_mut().push(std::any::type_name::<A>());
        }
    }

    /// Values of `Copy` plain types (numbers, `bool`, `char`, shared
    /// references to plain values) are copied into the call's arguments;
    /// the other plain values are borrowed, and values of other types are
    /// formatted in the caller.
    #[test]
    fn the_macros_copy_copy_values_borrow_the_other_plain_ones_and_format_the_rest() {
        let t = Types::default();
        let (n, f, b, c, s) = (7u32, 0.5f64, true, 'x', "text");
        let owned = String::from("owned");
        let addr = std::net::Ipv4Addr::LOCALHOST;
        crate::info!(t, "{} {} {} {} {}", n, f, b, c, s);
        crate::info!(t, "{} {}", owned, &owned);
        crate::info!(t, "{}", addr);
        let seen = t.0.take();
        let kinds: Vec<Vec<&str>> = seen
            .iter()
            .map(|ty| {
                ["PlainVal<", "PlainArg<", "FmtArg<"]
                    .into_iter()
                    .flat_map(|k| std::iter::repeat_n(k, ty.matches(k).count()))
                    .collect()
            })
            .collect();
        assert_eq!(kinds[0], ["PlainVal<"; 5], "{seen:?}");
        assert_eq!(kinds[1], ["PlainVal<", "PlainArg<"], "{seen:?}");
        assert_eq!(kinds[2], ["FmtArg<"], "{seen:?}");
    }

    #[test]
    fn copy_short_copies_every_length_exactly_and_nothing_around_it() {
        let src: Vec<u8> = (1..=40).collect();
        for n in 0..=40 {
            let mut dst = [0u8; 42];
            // SAFETY: `src` has 40 readable bytes, `dst[1..]` 41 writable.
            unsafe { copy_short(src.as_ptr(), dst.as_mut_ptr().add(1), n) };
            assert_eq!(dst[1..1 + n], src[..n], "length {n}");
            assert!(dst[..1].iter().chain(&dst[1 + n..]).all(|&b| b == 0), "length {n}");
        }
    }
}
