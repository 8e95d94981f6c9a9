//! The text line: `2026-11-28T04:56:49.123456Z INFO  [1234] target: message key=value\n`.
//!
//! Timestamp (at the format's precision, or none), the level padded to five
//! columns, the thread id in brackets when asked for, the target and `": "`
//! (unless left out), the message, then each field as ` key=value`, and a
//! newline. See the module docs of `format` for the escaping rules.

use super::digits::{push_i64, push_u64};
use super::escape::{push_text, push_text_value};
use super::time::TimeCache;
use super::{Format, Record, Timestamp};
use crate::field::VecWriter;
use crate::field::{Fields, Value};

/// Appends one text line for `rec`.
#[inline]
pub(super) fn write(out: &mut Vec<u8>, time: &mut TimeCache, f: &Format, rec: &Record<'_>) {
    if f.timestamp != Timestamp::Off {
        time.write(out, rec.unix_nanos, f.timestamp);
        out.push(b' ');
    }
    out.extend_from_slice(rec.level.padded());
    out.push(b' ');
    if f.thread {
        out.push(b'[');
        push_u64(out, rec.thread as u64);
        out.extend_from_slice(b"] ");
    }
    if f.target {
        push_text(out, rec.target);
        out.extend_from_slice(b": ");
    }
    push_text(out, rec.msg);
    if !rec.fields.is_empty() {
        write_fields(out, rec.fields);
    }
    out.push(b'\n');
}

/// Appends ` key=value` for each encoded field.
fn write_fields(out: &mut Vec<u8>, fields: &[u8]) {
    for (key, value) in Fields::new(fields) {
        out.push(b' ');
        push_text(out, key);
        out.push(b'=');
        match value {
            Value::Str(s) => push_text_value(out, s, true),
            Value::Bytes(s) => push_text_value(out, s, false),
            Value::I64(v) => push_i64(out, v),
            Value::U64(v) => push_u64(out, v),
            Value::F64(v) => push_float(out, v),
            Value::F32(v) => push_float(out, v),
            Value::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
            Value::Null => out.extend_from_slice(b"null"),
        }
    }
}

/// Appends a float's shortest round-trip digits (`1.5`, `1e300`, `NaN`, `inf`).
pub(super) fn push_float(out: &mut Vec<u8>, v: impl std::fmt::Debug) {
    let _ = std::fmt::write(&mut VecWriter(out), format_args!("{v:?}"));
}

#[cfg(test)]
mod tests {
    use super::super::testing::{encoded, line, rec};
    use super::super::{Format, Timestamp};
    use crate::level::Level;

    const T: u64 = 1_795_841_809_123_456_789; // 2026-11-28T04:56:49.123456789Z

    #[test]
    fn the_default_line_is_unchanged() {
        assert_eq!(
            line(
                Format::text(),
                &rec(T, Level::Info, "app::db", "request id=42", &[])
            ),
            "2026-11-28T04:56:49.123456Z INFO  app::db: request id=42\n"
        );
        assert_eq!(
            line(Format::text(), &rec(0, Level::Error, "t", "x", &[])),
            "1970-01-01T00:00:00.000000Z ERROR t: x\n"
        );
    }

    #[test]
    fn options_change_the_prefix() {
        let r = rec(T, Level::Warn, "app", "m", &[]);
        let f = Format::text().timestamp(Timestamp::Millis).with_thread_id();
        assert_eq!(
            line(f, &r),
            "2026-11-28T04:56:49.123Z WARN  [4242] app: m\n"
        );
        let f = Format::text().timestamp(Timestamp::Off).without_target();
        assert_eq!(line(f, &r), "WARN  m\n");
    }

    #[test]
    fn control_characters_are_escaped_to_keep_one_line() {
        assert_eq!(
            line(
                Format::text(),
                &rec(0, Level::Warn, "t\n", "a\nb\r\tc\u{1b}d\u{7f}", &[])
            ),
            "1970-01-01T00:00:00.000000Z WARN  t\\n: a\\nb\\r\tc\\x1bd\\x7f\n"
        );
    }

    #[test]
    fn fields_follow_the_message_as_key_value() {
        let f = encoded(&[
            ("user", &"alice"),
            ("id", &42u32),
            ("delta", &-7i64),
            ("ratio", &0.5f64),
            ("ok", &true),
            ("note", &"two words\n"),
            ("raw", &b"a\xffb"),
            ("gone", &None::<u8>),
        ]);
        assert_eq!(
            line(Format::text().timestamp(Timestamp::Off), &rec(0, Level::Info, "t", "req", &f)),
            "INFO  t: req user=alice id=42 delta=-7 ratio=0.5 ok=true note=\"two words\\n\" raw=\"a\\xffb\" gone=null\n"
        );
    }
}
