//! A dead process's deferred record whose call site is not in its
//! call-site table (the table was deleted by hand or a cleanup job and the
//! process died before writing it again, or it was cut short): recovery
//! cannot render the message, but every value the call logged is in the
//! record, tagged with its type, so the record is written with them rather
//! than lost:
//!
//! ```text
//! [call site 0x55d0c3a1b2c0 not in the call-site table] values: 7, "alice", 0.5
//! ```
//!
//! Strings (and values the caller formatted under a spec other than `{}`)
//! are quoted as `{:?}` quotes them, byte slices as `{:?}` lists them,
//! other values as `{}` writes them. The level, time and target (when the
//! record carries one) are the record's own.

use crate::deferred::decode::{Decoder, Value};
use crate::deferred::CALLSITE_LEN;
use crate::record::{Header, RecordKind};
use std::fmt::Write;

/// `header` and `body` (target, then payload) of a deferred record
/// rendered as a text record with its values only; `None` when its values
/// do not decode.
pub(crate) fn render_values_only(header: &Header, body: &[u8]) -> Option<(Header, Vec<u8>)> {
    let (target, payload) = body.split_at_checked(header.target_len as usize)?;
    std::str::from_utf8(target).ok()?;
    let (addr, values) = payload.split_first_chunk::<CALLSITE_LEN>()?;
    let mut msg = format!(
        "[call site {:#x} not in the call-site table] values:",
        u64::from_le_bytes(*addr)
    );
    let mut d = Decoder::new(values);
    let mut first = true;
    while !d.rest().is_empty() {
        msg.push_str(if first { " " } else { ", " });
        first = false;
        let _ = match d.value()? {
            Value::U8(v) => write!(msg, "{v}"),
            Value::U16(v) => write!(msg, "{v}"),
            Value::U32(v) => write!(msg, "{v}"),
            Value::U64(v) => write!(msg, "{v}"),
            Value::U128(v) => write!(msg, "{v}"),
            Value::I8(v) => write!(msg, "{v}"),
            Value::I16(v) => write!(msg, "{v}"),
            Value::I32(v) => write!(msg, "{v}"),
            Value::I64(v) => write!(msg, "{v}"),
            Value::I128(v) => write!(msg, "{v}"),
            Value::F32(v) => write!(msg, "{v}"),
            Value::F64(v) => write!(msg, "{v}"),
            Value::Bool(v) => write!(msg, "{v}"),
            Value::Char(v) => write!(msg, "{v}"),
            Value::Str(s) | Value::Pre(s) => write!(msg, "{:?}", String::from_utf8_lossy(s)),
            Value::Bytes(b) => write!(msg, "{b:?}"),
        };
    }
    let h = Header::new(RecordKind::Text, header.level, header.clock, target.len(), msg.len())?;
    let mut out = Vec::with_capacity(target.len() + msg.len());
    out.extend_from_slice(target);
    out.extend_from_slice(msg.as_bytes());
    Some((h, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deferred::tag;
    use crate::level::Level;

    fn record(target: &[u8], values: &[u8]) -> (Header, Vec<u8>) {
        let mut body = target.to_vec();
        body.extend_from_slice(&0x1234u64.to_le_bytes());
        body.extend_from_slice(values);
        let payload = body.len() - target.len();
        let h = Header::new(RecordKind::Deferred, Level::Warn, 99, target.len(), payload).unwrap();
        (h, body)
    }

    #[test]
    fn every_value_is_written_with_the_records_level_time_and_target() {
        let mut v = vec![tag::U64];
        v.extend_from_slice(&7u64.to_le_bytes());
        v.push(tag::STR);
        v.extend_from_slice(&4u32.to_le_bytes());
        v.extend_from_slice(b"a, \"");
        v.push(tag::F64);
        v.extend_from_slice(&0.5f64.to_le_bytes());
        v.push(tag::BYTES);
        v.extend_from_slice(&2u32.to_le_bytes());
        v.extend_from_slice(&[1, 255]);
        v.push(tag::I8);
        v.push(0xff);
        let (h, body) = record(b"app", &v);
        let (h2, out) = render_values_only(&h, &body).unwrap();
        assert_eq!((h2.kind, h2.level, h2.clock, h2.target_len), (RecordKind::Text, Level::Warn, 99, 3));
        assert!(!h2.located);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "app[call site 0x1234 not in the call-site table] values: 7, \"a, \\\"\", 0.5, [1, 255], -1"
        );
        assert_eq!(h2.len as usize, crate::record::HEADER_LEN + out.len());
    }

    #[test]
    fn no_values_and_bad_values() {
        let (h, body) = record(b"", &[]);
        let (_, out) = render_values_only(&h, &body).unwrap();
        assert_eq!(out, b"[call site 0x1234 not in the call-site table] values:");
        // An unknown tag, a string longer than the record, a bad target.
        for v in [&[0xee][..], &[tag::STR, 9, 0, 0, 0, b'x']] {
            let (h, body) = record(b"", v);
            assert_eq!(render_values_only(&h, &body), None);
        }
        let (h, body) = record(&[0xff], &[]);
        assert_eq!(render_values_only(&h, &body), None);
    }
}
