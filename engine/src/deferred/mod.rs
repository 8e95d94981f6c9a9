//! Deferred records: the caller copies its arguments, the writer formats.
//!
//! A log call through the macros writes a record of kind
//! `RecordKind::Deferred`: no message text, but the address of the
//! statement's `static` [`CallSite`](crate::callsite::CallSite) and each
//! placeholder's value in binary, straight into the reserved ring bytes.
//! The writer renders the message from the call site's literal pieces and
//! the decoded values: `{}` of integers, floats, `bool`, `char` and strings
//! with its own code (digit tables, shortest round-trip floats, memcpy),
//! every other spec with `core::fmt` and that exact spec. The result is
//! byte for byte what `format!` gives; the formats then escape it as any
//! message.
//!
//! Payload of a deferred record (after the header and any run-time target):
//!
//! ```text
//! callsite  u64 LE   address of a &'static CallSite
//! value*             one per placeholder, then its width and precision
//!                    arguments (usize, as U64) when the spec takes them
//! value := tag u8 | bytes
//!   U8 U16 U32 U64 U128 I8 I16 I32 I64 I128: the integer, LE, its own width
//!   F32 F64: IEEE bits LE     Bool: 1 byte     Char: u32 LE
//!   Str, Bytes, Pre: len u32 LE, bytes (Pre: already formatted by the caller)
//! ```
//!
//! Integer widths and signedness are kept (`{:x}` of `-1i8` is `ff`), so
//! a value formats exactly as the original did. Anything that is not plain
//! data — a user type's `Display` or `Debug`, any `{:p}` — is formatted in
//! the caller with its spec and carried as `Pre` text: no record ever
//! refers to memory the caller owns.
//!
//! A record holds an address, so it means something only inside the process
//! that wrote it. In crash-safe mode, whose records must outlive the
//! process, each call site is described once in the directory's call-site
//! table (`crash_safe::sites`) before its first record is published, and
//! values under specs other than `{}` are formatted in the caller
//! ([`portable`]): recovery renders the record from the table, in any
//! process, with no code of the binary that logged it.

pub(crate) mod decode;
pub mod encode;
pub mod fails_as_format;
pub(crate) mod float;
pub(crate) mod portable;
pub(crate) mod render;
pub(crate) mod signature;

/// Value tags (see the module docs).
pub(crate) mod tag {
    pub const U8: u8 = 1;
    pub const U16: u8 = 2;
    pub const U32: u8 = 3;
    pub const U64: u8 = 4;
    pub const U128: u8 = 5;
    pub const I8: u8 = 6;
    pub const I16: u8 = 7;
    pub const I32: u8 = 8;
    pub const I64: u8 = 9;
    pub const I128: u8 = 10;
    pub const F32: u8 = 11;
    pub const F64: u8 = 12;
    pub const BOOL: u8 = 13;
    pub const CHAR: u8 = 14;
    pub const STR: u8 = 15;
    pub const BYTES: u8 = 16;
    pub const PRE: u8 = 17;
    /// `Pre` text whose formatting failed: the message ends with it. Only
    /// in a payload the caller renders itself, never in a record (no
    /// decoder takes it: rendering stops before it).
    pub const PRE_CUT: u8 = 18;
}

/// Bytes of the call-site address at the start of a deferred payload.
pub(crate) const CALLSITE_LEN: usize = 8;
