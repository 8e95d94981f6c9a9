//! Output formats: the text line and JSON lines, chosen per sink.
//!
//! The writer formats each record once per distinct [`Format`] among the
//! sinks that take it (see `writer::sinks`). Both formats keep one record on
//! one line:
//!
//! - **Text** (the default): `2026-11-28T04:56:49.123456Z INFO  app::db: request id=42 user=alice`.
//!   Control characters in the message and target (`\n`, `\r`, every other
//!   byte below 0x20 except tab, and 0x7f) are escaped as `\n`, `\r` or
//!   `\xNN`; nothing else is, so a message reads as written. Structured
//!   fields follow the message as ` key=value`; a value that is empty or
//!   holds a space, `"`, `=`, `\` or a control character is quoted
//!   (`key="a b"`) with `\"`, `\\`, `\n`, `\r`, `\t`, `\xNN` escapes inside.
//!   Bytes that are not valid UTF-8 appear as `\xNN` (in quotes).
//! - **JSON lines**: `{"ts":"…","level":"INFO","target":"…","msg":"…",<fields>}`,
//!   escaped as RFC 8259 requires (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`,
//!   `\f`, `\u00XX`); numbers and booleans are JSON numbers and booleans,
//!   non-finite floats `null`, invalid UTF-8 in byte fields U+FFFD. Fields
//!   are members of the same object, in call order; a field named like a
//!   fixed member (`ts`, `level`, …) or twice is written as given (RFC 8259
//!   parsers usually keep the last).
//!
//! The formatter caches the date and time down to the second and writes
//! digits from a table: no `core::fmt` on this path except for floats.

mod digits;
mod escape;
mod json;
mod text;
mod time;

use crate::field;
use crate::level::Level;
use crate::record::{Header, RecordKind};
use time::TimeCache;

/// How much of the timestamp a format shows (always UTC, RFC 3339).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timestamp {
    /// No timestamp.
    Off,
    /// `2026-11-28T04:56:49Z`
    Seconds,
    /// `2026-11-28T04:56:49.123Z`
    Millis,
    /// `2026-11-28T04:56:49.123456Z` (the default)
    Micros,
    /// `2026-11-28T04:56:49.123456789Z`
    Nanos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Layout {
    Text,
    Json,
}

/// How a sink's records are laid out: the text line or JSON lines, with options.
///
/// | option | text default | JSON default |
/// |---|---|---|
/// | [`timestamp`](Format::timestamp) | `Micros` | `Micros` (member `ts`) |
/// | target ([`without_target`](Format::without_target)) | shown | shown (member `target`) |
/// | thread id ([`with_thread_id`](Format::with_thread_id)) | hidden | hidden (member `thread`) |
///
/// The thread id is the OS id (`gettid`) of the thread that registered the
/// producer the record came through.
///
/// ```
/// use uringlog::{Format, Timestamp};
/// let compact = Format::text().timestamp(Timestamp::Millis).without_target();
/// let json = Format::json().with_thread_id();
/// assert_ne!(compact, json);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Format {
    layout: Layout,
    timestamp: Timestamp,
    target: bool,
    thread: bool,
}

impl Default for Format {
    fn default() -> Self {
        Format::text()
    }
}

impl Format {
    /// The text line: `2026-11-28T04:56:49.123456Z INFO  app::db: message key=value`.
    pub const fn text() -> Format {
        Format {
            layout: Layout::Text,
            timestamp: Timestamp::Micros,
            target: true,
            thread: false,
        }
    }

    /// JSON lines: `{"ts":"…","level":"INFO","target":"…","msg":"…",<fields>}`.
    pub const fn json() -> Format {
        Format {
            layout: Layout::Json,
            ..Format::text()
        }
    }

    /// Shows the timestamp with this precision (or not at all).
    pub const fn timestamp(mut self, precision: Timestamp) -> Format {
        self.timestamp = precision;
        self
    }

    /// Leaves the target out.
    pub const fn without_target(mut self) -> Format {
        self.target = false;
        self
    }

    /// Shows the id of the thread that logged the record (`[1234]` in text,
    /// `"thread":1234` in JSON).
    pub const fn with_thread_id(mut self) -> Format {
        self.thread = true;
        self
    }
}

/// One record as the formats see it: contiguous, decoded slices.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Record<'a> {
    pub unix_nanos: u64,
    pub level: Level,
    /// OS id of the thread that registered the producer.
    pub thread: u32,
    pub target: &'a [u8],
    pub msg: &'a [u8],
    /// Encoded fields (see `field`); empty for plain text records.
    pub fields: &'a [u8],
}

impl<'a> Record<'a> {
    /// Decodes a record from its header and its body (target then payload);
    /// `None` when a `Fields` payload is malformed.
    #[inline]
    pub(crate) fn decode(
        header: &Header,
        body: &'a [u8],
        unix_nanos: u64,
        thread: u32,
    ) -> Option<Record<'a>> {
        let (target, payload) = body.split_at(header.target_len as usize);
        Record::from_parts(
            header.kind,
            header.level,
            unix_nanos,
            thread,
            target,
            payload,
        )
    }

    /// A record from its parts; `None` when a `Fields` payload is malformed.
    #[inline]
    pub(crate) fn from_parts(
        kind: RecordKind,
        level: Level,
        unix_nanos: u64,
        thread: u32,
        target: &'a [u8],
        payload: &'a [u8],
    ) -> Option<Record<'a>> {
        let (msg, fields) = match kind {
            RecordKind::Text => (payload, &[][..]),
            RecordKind::Fields => field::split_payload(payload)?,
        };
        Some(Record {
            unix_nanos,
            level,
            thread,
            target,
            msg,
            fields,
        })
    }
}

/// A format and its cached state (the date of the last second seen).
#[derive(Debug)]
pub(crate) struct Formatter {
    format: Format,
    time: TimeCache,
}

impl Formatter {
    pub(crate) fn new(format: Format) -> Formatter {
        Formatter {
            format,
            time: TimeCache::default(),
        }
    }

    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// Appends one complete line (newline included) to `out`.
    #[inline]
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>) {
        match self.format.layout {
            Layout::Text => text::write(out, &mut self.time, &self.format, rec),
            Layout::Json => json::write(out, &mut self.time, &self.format, rec),
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// One line for `rec` in `format`, as a string.
    pub(crate) fn line(format: Format, rec: &Record<'_>) -> String {
        let mut out = Vec::new();
        Formatter::new(format).write(&mut out, rec);
        String::from_utf8(out).expect("formats produce UTF-8")
    }

    /// A record with `fields` encoded from `(key, value)` pairs.
    pub(crate) fn encoded(fields: &[crate::field::Field<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        crate::field::encode_payload(&mut out, format_args!(""), fields);
        out.drain(..4);
        out
    }

    pub(crate) fn rec<'a>(
        nanos: u64,
        level: Level,
        target: &'a str,
        msg: &'a str,
        fields: &'a [u8],
    ) -> Record<'a> {
        Record {
            unix_nanos: nanos,
            level,
            thread: 4242,
            target: target.as_bytes(),
            msg: msg.as_bytes(),
            fields,
        }
    }
}
