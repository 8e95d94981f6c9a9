//! RFC 5424 messages: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`.
//!
//! - PRI is `facility * 8 + severity`, the severity from the record's level
//!   (`Error` 3, `Warn` 4, `Info` 6, `Debug` and `Trace` 7).
//! - TIMESTAMP is RFC 3339 in UTC with microseconds (the most RFC 5424 allows).
//! - The header fields are fixed per sink and validated when it is
//!   configured (see `header`).
//! - The record's structured fields form one SD-ELEMENT whose SD-ID is the
//!   sink's (default `fields@32473`): each key becomes a PARAM-NAME (at most
//!   32 printable US-ASCII characters other than `=`, space, `]` and `"`;
//!   any other character becomes `_`, an empty key `_`), each value a
//!   PARAM-VALUE in UTF-8 with `"`, `\` and `]` escaped by a backslash
//!   (invalid UTF-8 in byte fields becomes U+FFFD). No fields: `-`.
//! - MSG is the message in UTF-8, without a BOM (RFC 5424's MSG-ANY form:
//!   receivers such as rsyslog keep a BOM as part of the text), and left out
//!   with its space when empty.
//! - The whole SYSLOG-MSG is at most the sink's `max_message_bytes`: the
//!   structured data may take what the message text does not need (but
//!   leaves the text at least half), a value crossing its bound is cut at a
//!   character boundary and the fields after it are left out; the message
//!   text is then cut at a character boundary to what is left. The header
//!   and the SD-ID are never cut.
//! - The record's target is not sent (RFC 5424 has no field for it).

use super::framing::Framing;
use uringlog::{Level, Record, RecordFormat, Rfc3339, Timestamp, Value};

/// The syslog facility of a sink's messages (RFC 5424, table 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Facility {
    Kern = 0,
    /// The default.
    #[default]
    User = 1,
    Mail = 2,
    Daemon = 3,
    Auth = 4,
    Syslog = 5,
    Lpr = 6,
    News = 7,
    Uucp = 8,
    Cron = 9,
    AuthPriv = 10,
    Ftp = 11,
    Ntp = 12,
    Audit = 13,
    Alert = 14,
    Clock = 15,
    Local0 = 16,
    Local1 = 17,
    Local2 = 18,
    Local3 = 19,
    Local4 = 20,
    Local5 = 21,
    Local6 = 22,
    Local7 = 23,
}

/// The RFC 5424 severity of a level.
pub(crate) fn severity(level: Level) -> u8 {
    match level {
        // `Off` is a minimum level only, never a record's.
        Level::Error | Level::Off => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

/// Longest PARAM-NAME (an SD-NAME).
const MAX_SD_NAME: usize = 32;

/// A sink's fixed header fields, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub facility: Facility,
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
    pub msgid: String,
    pub sd_id: String,
}

/// Formats records as RFC 5424 messages, framed for the transport.
pub(crate) struct Rfc5424 {
    /// `facility * 8`.
    pri_base: u8,
    /// ` HOSTNAME APP-NAME PROCID MSGID ` (the spaces included).
    middle: Vec<u8>,
    sd_id: Vec<u8>,
    framing: Framing,
    max_message_bytes: usize,
    time: Rfc3339,
    /// The message being framed (octet counting only).
    scratch: Vec<u8>,
}

impl Rfc5424 {
    pub(crate) fn new(h: &Header, framing: Framing, max_message_bytes: usize) -> Rfc5424 {
        let middle = format!(" {} {} {} {} ", h.hostname, h.app_name, h.procid, h.msgid);
        Rfc5424 {
            pri_base: h.facility as u8 * 8,
            middle: middle.into_bytes(),
            sd_id: h.sd_id.clone().into_bytes(),
            framing,
            max_message_bytes,
            time: Rfc3339::new(),
            scratch: Vec::new(),
        }
    }

    /// Appends the SYSLOG-MSG of `rec` (unframed) to `out`: at most
    /// `max_message_bytes` long, unless the header and SD-ID alone are.
    fn message(&mut self, out: &mut Vec<u8>, rec: &Record<'_>) {
        let start = out.len();
        let pri = self.pri_base + severity(rec.level());
        out.push(b'<');
        push_u64(out, pri as u64);
        out.extend_from_slice(b">1 ");
        self.time.write(out, rec.unix_nanos(), Timestamp::Micros);
        out.extend_from_slice(&self.middle);
        // The structured data may take the room the message text (and its
        // space) does not need, but leaves the text at least half.
        let max = self.max_message_bytes;
        let msg = rec.message();
        let for_text = match msg.len() {
            0 => 0,
            n => (n + 1).min(max / 2),
        };
        self.structured_data(out, rec, start + max.saturating_sub(for_text));
        let room = max.saturating_sub(out.len() - start + 1);
        let text = cut_utf8(msg, room);
        if !text.is_empty() {
            out.push(b' ');
            out.extend_from_slice(text);
        }
    }

    /// Appends STRUCTURED-DATA: `-`, or the SD-ELEMENT of the record's
    /// fields ending at or before `end` (an index into `out`). A value that
    /// crosses `end` is cut (whole characters, whole escapes) and the
    /// fields after it are left out; so is a field with no room for its
    /// name. The SD-ID itself is never cut.
    fn structured_data(&self, out: &mut Vec<u8>, rec: &Record<'_>, end: usize) {
        let mut fields = rec.fields().peekable();
        if fields.peek().is_none() {
            out.push(b'-');
            return;
        }
        out.push(b'[');
        out.extend_from_slice(&self.sd_id);
        for (key, value) in fields {
            let param = out.len();
            out.push(b' ');
            push_sd_name(out, key);
            out.extend_from_slice(b"=\"");
            let value_at = out.len();
            push_param_value(out, value);
            // Room for this value's closing `"` and the element's `]`.
            let limit = end.saturating_sub(2);
            if out.len() > limit {
                match limit.checked_sub(value_at) {
                    Some(_) => {
                        out.truncate(cut_param_value(out, value_at, limit));
                        out.push(b'"');
                    }
                    None => out.truncate(param),
                }
                break;
            }
            out.push(b'"');
        }
        out.push(b']');
    }
}

/// Where to cut an escaped PARAM-VALUE that starts at `value_at` so it
/// ends at or before `limit`: on a character boundary, and not between a
/// backslash and the character it escapes.
fn cut_param_value(out: &[u8], value_at: usize, limit: usize) -> usize {
    let mut cut = limit;
    // Back up over continuation bytes (0b10xx_xxxx) to a character start.
    while cut > value_at && (out[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    let backslashes = out[value_at..cut]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count();
    cut - backslashes % 2
}

impl RecordFormat for Rfc5424 {
    fn write(&mut self, out: &mut Vec<u8>, rec: &Record<'_>) {
        match self.framing {
            Framing::None => self.message(out, rec),
            Framing::OctetCounting => {
                let mut m = std::mem::take(&mut self.scratch);
                m.clear();
                self.message(&mut m, rec);
                push_u64(out, m.len() as u64);
                out.push(b' ');
                out.extend_from_slice(&m);
                self.scratch = m;
            }
        }
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a UTF-8
/// character boundary (invalid bytes count as characters).
fn cut_utf8(s: &[u8], max: usize) -> &[u8] {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    // Back up over continuation bytes (0b10xx_xxxx) to a character start.
    while end > 0 && (s[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    &s[..end]
}

/// Appends `v` in decimal.
pub(crate) fn push_u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Whether `c` may appear in an SD-NAME.
pub(crate) fn is_sd_name_char(c: char) -> bool {
    c.is_ascii() && super::header::is_print_ascii(c as u8) && !matches!(c, '=' | ']' | '"')
}

/// Appends `key` as a PARAM-NAME: each character an SD-NAME may not hold
/// becomes `_`; at most 32 characters; `_` when empty.
fn push_sd_name(out: &mut Vec<u8>, key: &[u8]) {
    let start = out.len();
    for chunk in key.utf8_chunks() {
        for c in chunk.valid().chars() {
            out.push(if is_sd_name_char(c) { c as u8 } else { b'_' });
        }
        out.extend(std::iter::repeat(b'_').take(chunk.invalid().len()));
    }
    out.truncate(start + MAX_SD_NAME.min(out.len() - start));
    if out.len() == start {
        out.push(b'_');
    }
}

/// Appends a PARAM-VALUE: UTF-8 with `"`, `\` and `]` escaped.
fn push_param_value(out: &mut Vec<u8>, v: Value<'_>) {
    match v {
        Value::Str(s) | Value::Bytes(s) => {
            for chunk in s.utf8_chunks() {
                for &b in chunk.valid().as_bytes() {
                    if matches!(b, b'"' | b'\\' | b']') {
                        out.push(b'\\');
                    }
                    out.push(b);
                }
                if !chunk.invalid().is_empty() {
                    out.extend_from_slice("\u{fffd}".as_bytes());
                }
            }
        }
        Value::I64(v) => {
            if v < 0 {
                out.push(b'-');
            }
            push_u64(out, v.unsigned_abs());
        }
        Value::U64(v) => push_u64(out, v),
        Value::F64(v) => push_debug(out, v),
        Value::F32(v) => push_debug(out, v),
        Value::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
        Value::Null => out.extend_from_slice(b"null"),
        _ => out.extend_from_slice(b"?"),
    }
}

/// Appends a value's `Debug` form (floats: shortest round-trip digits).
fn push_debug(out: &mut Vec<u8>, v: impl std::fmt::Debug) {
    use std::io::Write;
    let _ = write!(out, "{v:?}");
}

#[cfg(test)]
mod tests;
