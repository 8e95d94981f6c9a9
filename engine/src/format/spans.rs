//! What the `tracing` front end adds to a line: the span scope of an event,
//! and lines the caller formatted itself.
//!
//! - **Text**: the scope follows the level (and thread id), root first, the
//!   way `tracing_subscriber::fmt` shows it by default:
//!   `INFO  conn{user=alice}:request{id=7}: app::http: "done" k=v`.
//!   A span without fields shows its name alone; field values follow the
//!   text format's quoting rules, and a key or string holding a brace is
//!   quoted, so the braces always close where the span's fields end.
//! - **JSON**: a `spans` member after the fields, root first:
//!   `"spans":[{"name":"conn","peer":"10.0.0.1"},{"name":"request","id":7}]`.
//! - **Raw** lines (`uringlog::tracing::make_writer`) are written as given,
//!   in any format, with a newline added when missing.

use super::escape::{self, Json, TargetText};
use super::json;
use super::keys::KeySet;
use super::text::push_field_quoting;
use crate::field::{Fields, Spans};

/// Appends `name{k=v k=v}:name:…: ` for an encoded span scope.
pub(super) fn write_text(out: &mut Vec<u8>, spans: &[u8]) {
    for (i, (name, fields)) in Spans::new(spans).enumerate() {
        if i > 0 {
            out.push(b':');
        }
        escape::push_utf8::<TargetText>(out, name);
        if !fields.is_empty() {
            out.push(b'{');
            for (j, (key, value)) in Fields::new(fields).enumerate() {
                if j > 0 {
                    out.push(b' ');
                }
                // A brace in a key or value would end the braces early.
                push_field_quoting(out, key, value, |s| s.contains(&b'{') || s.contains(&b'}'));
            }
            out.push(b'}');
        }
    }
    out.extend_from_slice(b": ");
}

/// Appends `,"spans":[{"name":…,<fields>},…]` for an encoded span scope;
/// `keys` (made with `name` fixed) keeps each object's names unique.
pub(super) fn write_json(out: &mut Vec<u8>, keys: &mut KeySet, spans: &[u8]) {
    out.extend_from_slice(b",\"spans\":[");
    for (i, (name, fields)) in Spans::new(spans).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":\"");
        escape::push_utf8::<Json>(out, name);
        out.push(b'"');
        keys.clear();
        json::write_fields(out, keys, fields);
        out.push(b'}');
    }
    out.push(b']');
}

/// Appends a line formatted by the caller, as is, ending it with a newline.
pub(super) fn write_raw(out: &mut Vec<u8>, line: &[u8]) {
    out.extend_from_slice(line);
    if line.last() != Some(&b'\n') {
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{encoded, line, rec};
    use super::super::{Format, Record, Timestamp};
    use crate::field::push_span;
    use crate::level::Level;

    fn scope() -> Vec<u8> {
        let mut s = Vec::new();
        push_span(
            &mut s,
            "conn",
            &encoded(&[("peer", &"10.0.0.1"), ("tls", &true)]),
        );
        push_span(&mut s, "idle", &[]);
        push_span(
            &mut s,
            "request",
            &encoded(&[("id", &7u64), ("path", &"/a b")]),
        );
        s
    }

    #[test]
    fn text_shows_the_scope_like_the_fmt_layer() {
        let spans = scope();
        let fields = encoded(&[("k", &"v")]);
        let r = Record {
            spans: &spans,
            ..rec(0, Level::Info, "app::http", "done", &fields)
        };
        assert_eq!(
            line(Format::text().timestamp(Timestamp::Off), &r),
            "INFO  conn{peer=\"10.0.0.1\" tls=true}:idle:request{id=7 path=\"/a b\"}: app::http: \"done\" k=v\n"
        );
        assert_eq!(
            line(
                Format::text().timestamp(Timestamp::Off).without_target(),
                &r
            ),
            "INFO  conn{peer=\"10.0.0.1\" tls=true}:idle:request{id=7 path=\"/a b\"}: \"done\" k=v\n"
        );
    }

    #[test]
    fn json_puts_the_scope_under_spans() {
        let spans = scope();
        let r = Record {
            spans: &spans,
            ..rec(0, Level::Warn, "t", "m", &[])
        };
        let v: serde_json::Value =
            serde_json::from_str(&line(Format::json().timestamp(Timestamp::Off), &r)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"level": "WARN", "target": "t", "msg": "m", "spans": [
                {"name": "conn", "peer": "10.0.0.1", "tls": true},
                {"name": "idle"},
                {"name": "request", "id": 7, "path": "/a b"},
            ]})
        );
    }

    #[test]
    fn raw_lines_are_written_as_given() {
        for f in [Format::text(), Format::json()] {
            let r = Record {
                raw: true,
                ..rec(0, Level::Info, "t", "  INFO x: y\n", &[])
            };
            assert_eq!(line(f, &r), "  INFO x: y\n");
            let r = Record {
                raw: true,
                ..rec(0, Level::Info, "t", "no newline", &[])
            };
            assert_eq!(line(f, &r), "no newline\n");
        }
    }
}
