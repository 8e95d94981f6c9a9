//! Structured fields: `key = value` pairs logged with a record.
//!
//! # Syntax
//!
//! In the macros, fields come before the message, separated from it by
//! `;`: `info!(logger, user = "alice", id = 42; "request {}", path)`. Each
//! key is an identifier (`r#type = 1` is the field `type`); each value is
//! anything implementing [`FieldValue`]: strings, integers, floats, `bool`,
//! `char`, byte slices, `Option` (`None` is `null`), references to those,
//! or [`display`] / [`debug`] for any `Display` / `Debug` type. The `log`
//! facade takes `log`'s key-values (`log::info!(user = "alice"; "login")`)
//! and the `tracing` layer an event's fields, with the same types.
//!
//! A value is serialized by the caller into the record (numbers in binary,
//! strings copied; `display`/`debug` format into it there and then), so a
//! field never borrows from the caller once the macro returns. Each sink's
//! format renders the fields: ` key=value` after the quoted message in
//! text, one member each in JSON lines (keys and values escaped, a key
//! that repeats a member name renamed `key#2`, …): the exact rules are on
//! [`Format`](crate::Format).
//!
//! ```
//! use uringlog::field::{debug, display};
//! use uringlog::{Format, Logger, MemorySink, Timestamp};
//!
//! #[derive(Debug)]
//! struct Req { id: u32 }
//! let (sink, out) = MemorySink::new();
//! let (logger, guard) = Logger::builder()
//!     .sink(sink)
//!     .format(Format::text().timestamp(Timestamp::Off))
//!     .build()?;
//! let peer = std::net::Ipv4Addr::LOCALHOST;
//! uringlog::info!(logger, target: "http", ok = true, ms = 1.5, who = "al ice",
//!     peer = display(peer), req = debug(Req { id: 7 }), gone = None::<u8>; "done");
//! guard.shutdown(std::time::Duration::from_secs(5))?;
//! assert_eq!(
//!     out.text(),
//!     "INFO  http: \"done\" ok=true ms=1.5 who=\"al ice\" peer=\"127.0.0.1\" req=\"Req { id: 7 }\" gone=null\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Encoding (internal)
//!
//! `uringlog::info!(logger, user = "alice", id = 42; "request {}", path)`
//! encodes the message and the fields into the thread's scratch buffer in
//! one pass; the writer renders them per format. Values are copied in
//! binary form (numbers as 8 bytes, strings with a length), so the caller
//! pays a memcpy per field, not a formatting pass.
//!
//! A payload of kind `RecordKind::Fields`:
//!
//! ```text
//! msg_len u32 LE | msg (UTF-8) | field*
//! field := key_len u8 | key (UTF-8, at most 255 bytes) | tag u8 | value
//! value := Str/Bytes: len u32 LE, bytes | I64/U64/F64: 8 bytes LE | F32: 4 bytes LE | Bool: 1 byte | Null: nothing
//! ```
//!
//! A payload of kind `RecordKind::Scoped` adds the span scope (root first):
//!
//! ```text
//! msg_len u32 LE | msg | fields_len u32 LE | field* | span*
//! span := name_len u8 | name (UTF-8) | fields_len u32 LE | field*
//! ```

use crate::record::truncate_str;
use std::fmt;

/// One structured field: its key and its value.
pub type Field<'a> = (&'a str, &'a dyn FieldValue);

/// Longest key kept; longer keys are cut at a character boundary.
const MAX_KEY_LEN: usize = u8::MAX as usize;

/// A value that can be attached to a record as a structured field.
///
/// Implemented for strings, integers, floats, `bool`, `char`, byte slices
/// (rendered as text, invalid UTF-8 escaped), `Option` (`None` is `null`)
/// and references to any of these. Wrap anything else in [`display`] or
/// [`debug`], or implement the trait by calling one [`FieldWriter`] method.
///
/// ```
/// use uringlog::{FieldValue, FieldWriter};
///
/// struct UserId(u32);
/// impl FieldValue for UserId {
///     fn encode_field(&self, w: FieldWriter<'_>) {
///         w.u64(u64::from(self.0));
///     }
/// }
/// ```
pub trait FieldValue {
    /// Writes the value with exactly one call on `w` (none writes `null`).
    fn encode_field(&self, w: FieldWriter<'_>);
}

/// Receives one field value; each method consumes the writer.
pub struct FieldWriter<'a> {
    out: &'a mut Vec<u8>,
    done: bool,
}

impl fmt::Debug for FieldWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldWriter").finish_non_exhaustive()
    }
}

/// How a value is encoded (the tag byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Tag {
    Str = 0,
    Bytes = 1,
    I64 = 2,
    U64 = 3,
    F64 = 4,
    Bool = 5,
    Null = 6,
    F32 = 7,
}

impl<'a> FieldWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> FieldWriter<'a> {
        FieldWriter { out, done: false }
    }

    fn tag(&mut self, t: Tag) {
        self.out.push(t as u8);
        self.done = true;
    }

    fn with_len(mut self, t: Tag, b: &[u8]) {
        self.tag(t);
        self.out
            .extend_from_slice(&(b.len().min(u32::MAX as usize) as u32).to_le_bytes());
        self.out
            .extend_from_slice(&b[..b.len().min(u32::MAX as usize)]);
    }

    /// A string.
    pub fn str(self, s: &str) {
        self.with_len(Tag::Str, s.as_bytes());
    }

    /// Bytes shown as text: valid UTF-8 as is, other bytes escaped
    /// (`\xNN` in text, U+FFFD in JSON).
    pub fn bytes(self, b: &[u8]) {
        self.with_len(Tag::Bytes, b);
    }

    /// A signed integer.
    pub fn i64(mut self, v: i64) {
        self.tag(Tag::I64);
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// An unsigned integer.
    pub fn u64(mut self, v: u64) {
        self.tag(Tag::U64);
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// A float (non-finite values are `null` in JSON).
    pub fn f64(mut self, v: f64) {
        self.tag(Tag::F64);
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// A single-precision float, shown with its own shortest digits.
    pub fn f32(mut self, v: f32) {
        self.tag(Tag::F32);
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// A boolean.
    pub fn bool(mut self, v: bool) {
        self.tag(Tag::Bool);
        self.out.push(v as u8);
    }

    /// No value (`null` in JSON).
    pub fn null(mut self) {
        self.tag(Tag::Null);
    }

    /// A string produced by `Display` (or `Debug`, through `format_args!`).
    pub fn display(mut self, v: &dyn fmt::Display) {
        self.tag(Tag::Str);
        let at = self.out.len();
        self.out.extend_from_slice(&[0; 4]);
        let _ = fmt::write(&mut VecWriter(self.out), format_args!("{v}"));
        let len = (self.out.len() - at - 4).min(u32::MAX as usize) as u32;
        self.out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }
}

impl Drop for FieldWriter<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.out.push(Tag::Null as u8);
        }
    }
}

/// Shows a value through its `Display` impl: `peer = uringlog::field::display(addr)`
/// (also `uringlog::display`).
pub fn display<T: fmt::Display>(value: T) -> DisplayValue<T> {
    DisplayValue(value)
}

/// Shows a value through its `Debug` impl: `req = uringlog::field::debug(&req)`.
pub fn debug<T: fmt::Debug>(value: T) -> DebugValue<T> {
    DebugValue(value)
}

/// A field value shown with `Display`; see [`display`].
#[derive(Clone, Copy, Debug)]
pub struct DisplayValue<T>(pub T);

/// A field value shown with `Debug`; see [`debug`].
#[derive(Clone, Copy, Debug)]
pub struct DebugValue<T>(pub T);

impl<T: fmt::Display> FieldValue for DisplayValue<T> {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.display(&self.0);
    }
}

impl<T: fmt::Debug> FieldValue for DebugValue<T> {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.display(&format_args!("{:?}", self.0));
    }
}

impl<T: FieldValue + ?Sized> FieldValue for &T {
    fn encode_field(&self, w: FieldWriter<'_>) {
        (**self).encode_field(w);
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    fn encode_field(&self, w: FieldWriter<'_>) {
        match self {
            Some(v) => v.encode_field(w),
            None => w.null(),
        }
    }
}

impl FieldValue for str {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.str(self);
    }
}

impl FieldValue for String {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.str(self);
    }
}

impl FieldValue for char {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.str(self.encode_utf8(&mut [0; 4]));
    }
}

impl FieldValue for [u8] {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.bytes(self);
    }
}

impl<const N: usize> FieldValue for [u8; N] {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.bytes(self);
    }
}

impl FieldValue for Vec<u8> {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.bytes(self);
    }
}

impl FieldValue for bool {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.bool(*self);
    }
}

impl FieldValue for f64 {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.f64(*self);
    }
}

impl FieldValue for f32 {
    fn encode_field(&self, w: FieldWriter<'_>) {
        w.f32(*self);
    }
}

macro_rules! int_field {
    ($method:ident: $($t:ty),*) => {$(
        impl FieldValue for $t {
            fn encode_field(&self, w: FieldWriter<'_>) {
                w.$method(*self as _);
            }
        }
    )*};
}
int_field!(i64: i8, i16, i32, i64, isize);
int_field!(u64: u8, u16, u32, u64, usize);

/// `fmt::Write` into a byte vector.
pub(crate) struct VecWriter<'a>(pub &'a mut Vec<u8>);

impl fmt::Write for VecWriter<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Encodes the message and `fields` as a `Fields` payload into `out`
/// (cleared first).
pub(crate) fn encode_payload(out: &mut Vec<u8>, args: fmt::Arguments<'_>, fields: &[Field<'_>]) {
    out.clear();
    begin_payload(out, args);
    for (key, value) in fields {
        value.encode_field(push_key(out, key));
    }
}

/// Appends the start of a `Fields` payload to `out`: the message. Each
/// field follows with [`push_key`] and one call on its writer.
pub(crate) fn begin_payload(out: &mut Vec<u8>, args: fmt::Arguments<'_>) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    match args.as_str() {
        Some(s) => out.extend_from_slice(s.as_bytes()),
        None => {
            let _ = fmt::write(&mut VecWriter(out), args);
        }
    }
    let msg_len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&msg_len.to_le_bytes());
}

/// Appends a field's key to `out` and returns the writer of its value.
pub(crate) fn push_key<'a>(out: &'a mut Vec<u8>, key: &str) -> FieldWriter<'a> {
    let key = truncate_str(key, MAX_KEY_LEN);
    out.push(key.len() as u8);
    out.extend_from_slice(key.as_bytes());
    FieldWriter::new(out)
}

/// A decoded field value, borrowing the record (see [`crate::Record::fields`]).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A string (UTF-8).
    Str(&'a [u8]),
    /// Bytes shown as text; may hold invalid UTF-8.
    Bytes(&'a [u8]),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float.
    F64(f64),
    /// A single-precision float.
    F32(f32),
    /// A boolean.
    Bool(bool),
    /// No value.
    Null,
}

/// Splits a `Fields` payload into the message and the encoded fields;
/// `None` when the message length is out of range.
pub(crate) fn split_payload(payload: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_le_bytes(payload.get(..4)?.try_into().ok()?) as usize;
    let rest = &payload[4..];
    (len <= rest.len()).then(|| rest.split_at(len))
}

/// Splits a `Scoped` payload into the message, the encoded fields and the
/// encoded spans; `None` when a length is out of range.
pub(crate) fn split_scoped(payload: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (msg, rest) = split_payload(payload)?;
    let (fields, spans) = split_payload(rest)?;
    Some((msg, fields, spans))
}

/// Iterates encoded spans: `(name, encoded fields)`, root first; stops at
/// the end or at malformed bytes.
#[derive(Clone, Debug)]
pub(crate) struct Spans<'a> {
    rest: &'a [u8],
}

impl<'a> Spans<'a> {
    pub(crate) fn new(encoded: &'a [u8]) -> Spans<'a> {
        Spans { rest: encoded }
    }
}

impl<'a> Iterator for Spans<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (&name_len, rest) = self.rest.split_first()?;
        let name = rest.get(..name_len as usize);
        let split = name.and_then(|n| Some((n, split_payload(&rest[n.len()..])?)));
        let Some((name, (fields, rest))) = split else {
            self.rest = &[];
            return None;
        };
        self.rest = rest;
        Some((name, fields))
    }
}

/// Appends one span (`name` and its encoded fields) to a `Scoped` payload.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) fn push_span(out: &mut Vec<u8>, name: &str, fields: &[u8]) {
    let name = truncate_str(name, MAX_KEY_LEN);
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&(fields.len().min(u32::MAX as usize) as u32).to_le_bytes());
    out.extend_from_slice(&fields[..fields.len().min(u32::MAX as usize)]);
}

/// Appends the encoded fields `new` to `fields`, first removing every
/// field of `fields` whose key `new` sets again: recording a span's field
/// a second time replaces its value (the latest follows the others).
pub(crate) fn replace_fields(fields: &mut Vec<u8>, new: &[u8]) {
    let in_new = |key: &[u8]| Fields::new(new).any(|(k, _)| k == key);
    if Fields::new(fields).any(|(k, _)| in_new(k)) {
        let mut kept = Vec::with_capacity(fields.len() + new.len());
        let mut it = Fields::new(fields);
        loop {
            let before = it.rest;
            let Some((key, _)) = it.next() else { break };
            if !in_new(key) {
                kept.extend_from_slice(&before[..before.len() - it.rest.len()]);
            }
        }
        *fields = kept;
    }
    fields.extend_from_slice(new);
}

/// A record's structured fields as `(key, value)`, in call order; keys are
/// UTF-8 of at most 255 bytes. Stops at the end (or at malformed bytes).
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    pub(crate) fn new(encoded: &'a [u8]) -> Fields<'a> {
        Fields { rest: encoded }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Some(a)
    }

    fn take8(&mut self) -> Option<[u8; 8]> {
        self.take(8)?.try_into().ok()
    }

    fn value(&mut self, tag: u8) -> Option<Value<'a>> {
        Some(match tag {
            0 | 1 => {
                let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
                let b = self.take(len)?;
                if tag == 0 {
                    Value::Str(b)
                } else {
                    Value::Bytes(b)
                }
            }
            2 => Value::I64(i64::from_le_bytes(self.take8()?)),
            3 => Value::U64(u64::from_le_bytes(self.take8()?)),
            4 => Value::F64(f64::from_le_bytes(self.take8()?)),
            5 => Value::Bool(self.take(1)?[0] != 0),
            6 => Value::Null,
            7 => Value::F32(f32::from_le_bytes(self.take(4)?.try_into().ok()?)),
            _ => {
                self.rest = &[];
                return None;
            }
        })
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a [u8], Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let klen = *self.take(1)?.first()? as usize;
        let key = self.take(klen)?;
        let tag = self.take(1)?[0];
        Some((key, self.value(tag)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(fields: &[Field<'_>], args: fmt::Arguments<'_>) -> (Vec<u8>, Vec<(String, String)>) {
        let mut out = Vec::new();
        encode_payload(&mut out, args, fields);
        let (msg, enc) = split_payload(&out).unwrap();
        let list = Fields::new(enc)
            .map(|(k, v)| (String::from_utf8(k.to_vec()).unwrap(), format!("{v:?}")))
            .collect();
        (msg.to_vec(), list)
    }

    #[test]
    fn every_value_kind_round_trips() {
        struct Silent;
        impl FieldValue for Silent {
            fn encode_field(&self, _w: FieldWriter<'_>) {}
        }
        let (msg, list) = decode(
            &[
                ("s", &"alice"),
                ("n", &-3i32),
                ("u", &7u8),
                ("f", &1.5f64),
                ("g", &0.1f32),
                ("b", &true),
                ("raw", &b"\xff"),
                ("none", &None::<u32>),
                ("d", &display(4.25)),
                ("q", &debug("x")),
                ("silent", &Silent),
            ],
            format_args!("hi {}", 1),
        );
        assert_eq!(msg, b"hi 1");
        let want = [
            ("s", "Str([97, 108, 105, 99, 101])"),
            ("n", "I64(-3)"),
            ("u", "U64(7)"),
            ("f", "F64(1.5)"),
            ("g", "F32(0.1)"),
            ("b", "Bool(true)"),
            ("raw", "Bytes([255])"),
            ("none", "Null"),
            ("d", "Str([52, 46, 50, 53])"),
            ("q", "Str([34, 120, 34])"),
            ("silent", "Null"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(list, want);
    }

    #[test]
    fn long_keys_are_cut_and_malformed_bytes_stop_the_iterator() {
        let key = "k".repeat(300);
        let (_, list) = decode(&[(&key, &1u64)], format_args!("m"));
        assert_eq!(list[0].0.len(), 255);
        assert_eq!(Fields::new(&[3, b'a', b'b']).count(), 0);
        assert_eq!(Fields::new(&[1, b'a', 99, 0]).count(), 0);
        assert_eq!(split_payload(&[9, 0, 0, 0, b'x']), None);
    }
}
