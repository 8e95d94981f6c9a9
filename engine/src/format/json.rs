//! JSON lines: `{"ts":"…","level":"INFO","thread":1234,"target":"…","msg":"…",<fields>}\n`.
//!
//! With the call site on, `"file":"…","line":42` follow `target` (when the
//! record has one). Members in that order; `ts`, `thread`, `target`,
//! `file` and `line` follow the format's
//! options. Every member name is claimed in a `KeySet`, so a field never
//! repeats a name (see `keys`). Strings are escaped by `escape::Json`.

use super::digits::{push_i64, push_u64};
use super::escape::{self, Json};
use super::keys::KeySet;
use super::put::{byte_in_room, put, put_first_in_room};
use super::targets::TargetCache;
use super::text::{message, push_float, QUOTE};
use crate::deferred::render::Tail;
use super::time::TimeCache;
use super::{Format, Record, State, Timestamp};
use crate::field::{Fields, Value};
use crate::level::Level;

/// The names of the members `f` writes for every record, in order (the
/// names fields may not take).
pub(super) fn fixed_names(f: &Format) -> Vec<&'static str> {
    let mut names = Vec::with_capacity(5);
    if f.timestamp != Timestamp::Off {
        names.push("ts");
    }
    names.push("level");
    if f.thread {
        names.push("thread");
    }
    if f.target {
        names.push("target");
    }
    if f.call_site {
        // Reserved whether or not a record has a call site, so a field's
        // name never depends on the statement it came from.
        names.push("file");
        names.push("line");
    }
    names.push("msg");
    // The span scope of `tracing` events (see `spans`).
    names.push("spans");
    names
}

/// Room for the head of an object up to its level: `{"ts":"`, the
/// timestamp's `time::ROOM`, `",` and the level member's buffer.
const HEAD_ROOM: usize = 7 + super::time::ROOM + 2 + 16;

/// Appends one JSON object and a newline for `rec`; `keys` was made with
/// the `fixed_names` of `f`, `span_keys` with `name` (see `spans`).
/// `false` when its deferred message does not decode (the caller drops
/// what was written). Always inlined, as `text::write` is: called out
/// of line it would take the drain loop's `&Record` (see `Record`).
#[inline(always)]
pub(super) fn write(
    out: &mut Vec<u8>,
    st: State<'_>,
    (keys, span_keys): (&mut KeySet, &mut KeySet),
    f: &Format,
    rec: &Record<'_>,
) -> bool {
    let (time, targets) = (st.time, st.targets);
    if f.thread || (f.call_site && rec.location().is_some()) {
        head(out, time, targets, f, rec);
    } else {
        let t = rec.unix_nanos;
        let precision = st.fixed.map(|f| f.timestamp);
        if !st.head.put_cached_head(out, t, rec.level, rec.target_identity(), precision) {
            // Copies for a miss (see `Record`; the format's too, so that
            // a constant one is not stored per record).
            let f = *f;
            st.head.put_missed(out, t, *rec, move |out, r| {
                head(out, time, targets, &f, r);
                match f.timestamp {
                    Timestamp::Off => 0,
                    _ => TS_AT,
                }
            });
        }
    }
    // The message's closing quote, and the object's end with it when
    // nothing follows.
    if rec.fields.is_empty() && rec.spans.is_empty() {
        return message::<Json, { CLOSE.word() }>(out, st.scratch, st.memo, rec);
    }
    if !message::<Json, { QUOTE.word() }>(out, st.scratch, st.memo, rec) {
        return false;
    }
    if !rec.fields.is_empty() {
        keys.clear();
        write_fields(out, keys, rec.fields);
    }
    if !rec.spans.is_empty() {
        super::spans::write_json(out, span_keys, rec.spans);
    }
    put(out, b"}\n");
    true
}

/// The message's closing quote and the object's end.
const CLOSE: Tail = Tail::new(b"\"}\n");

/// Where the timestamp starts: after `{"ts":"`.
const TS_AT: usize = 7;

/// Appends the object's members before the message, and the message's
/// name: timestamp, level, thread id, target and call site, as `f` shows
/// them.
#[inline(always)]
fn head(out: &mut Vec<u8>, time: &mut TimeCache, targets: &mut TargetCache, f: &Format, rec: &Record<'_>) {
    out.reserve(HEAD_ROOM);
    // SAFETY: the room holds `HEAD_ROOM`: each write below is within its
    // share (see the constant).
    unsafe {
        if f.timestamp != Timestamp::Off {
            put_first_in_room(out, b"{\"ts\":\"", TS_AT);
            time.write_in_room(out, rec.unix_nanos, f.timestamp);
            put_first_in_room(out, b"\",", 2);
        } else {
            byte_in_room(out, b'{');
        }
        let (level, len) = level_member(rec.level);
        put_first_in_room(out, level, len);
    }
    if f.thread {
        put(out, b",\"thread\":");
        push_u64(out, rec.thread as u64);
    }
    if f.target {
        targets.put_target(out, (rec.site_target(), rec.target), |out, t| {
            out.extend_from_slice(b",\"target\":\"");
            escape::push_utf8::<Json>(out, t);
            out.push(b'"');
        });
    }
    if let Some((file, line)) = rec.location().filter(|_| f.call_site) {
        put(out, b",\"file\":\"");
        escape::push_utf8::<Json>(out, file);
        put(out, b"\",\"line\":");
        push_u64(out, line as u64);
    }
    put(out, b",\"msg\":\"");
}

/// `"level":"NAME"` (the first `len` bytes).
fn level_member(level: Level) -> (&'static [u8; 16], usize) {
    match level {
        Level::Error => (b"\"level\":\"ERROR\" ", 15),
        Level::Warn => (b"\"level\":\"WARN\"  ", 14),
        Level::Info => (b"\"level\":\"INFO\"  ", 14),
        Level::Debug => (b"\"level\":\"DEBUG\" ", 15),
        Level::Trace => (b"\"level\":\"TRACE\" ", 15),
        // A minimum level only, never a record's.
        Level::Off => (b"\"level\":\"OFF\"   ", 13),
    }
}

/// Appends `s` as a JSON string.
#[inline]
fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    escape::push::<Json>(out, s);
    out.push(b'"');
}

/// Appends `,"key":value` for each encoded field, keys made unique.
pub(super) fn write_fields(out: &mut Vec<u8>, keys: &mut KeySet, fields: &[u8]) {
    for (key, value) in Fields::new(fields) {
        out.extend_from_slice(b",\"");
        let start = out.len();
        escape::push::<Json>(out, key);
        keys.claim(out, start);
        out.extend_from_slice(b"\":");
        match value {
            Value::Str(s) | Value::Bytes(s) => string(out, s),
            Value::I64(v) => push_i64(out, v),
            Value::U64(v) => push_u64(out, v),
            Value::F64(v) if v.is_finite() => push_float(out, v),
            Value::F32(v) if v.is_finite() => push_float(out, v),
            Value::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
            Value::F64(_) | Value::F32(_) | Value::Null => out.extend_from_slice(b"null"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{encoded, line, rec};
    use super::super::{Format, Timestamp};
    use crate::field::Field;
    use crate::level::Level;
    use proptest::prelude::*;
    use serde_json::{json, Value as J};

    const T: u64 = 1_795_841_809_123_456_789;

    #[test]
    fn a_plain_record() {
        assert_eq!(
            line(Format::json(), &rec(T, Level::Info, "app::db", "say \"hi\"\n", &[])),
            "{\"ts\":\"2026-11-28T04:56:49.123456Z\",\"level\":\"INFO\",\"target\":\"app::db\",\"msg\":\"say \\\"hi\\\"\\n\"}\n"
        );
        let f = Format::json()
            .timestamp(Timestamp::Off)
            .without_target()
            .with_thread_id();
        assert_eq!(
            line(f, &rec(T, Level::Error, "t", "m", &[])),
            "{\"level\":\"ERROR\",\"thread\":4242,\"msg\":\"m\"}\n"
        );
    }

    #[test]
    fn the_head_is_written_whole_into_a_full_buffer() {
        // The head's room is reserved once: the longest timestamp and
        // level, and no timestamp at all, each object appended to a buffer
        // with no spare room.
        use super::super::{Formatter, TimeOffset};
        let nanos = Format::json()
            .timestamp(Timestamp::Nanos)
            .time_offset(TimeOffset::east_minutes(-(23 * 60 + 59)).unwrap());
        let off = Format::json().timestamp(Timestamp::Off);
        for (f, head) in [
            (nanos, "{\"ts\":\"2026-11-27T04:57:49.123456789-23:59\","),
            (off, "{"),
        ] {
            let mut fmt = Formatter::new(f);
            for (i, level) in [Level::Debug, Level::Warn].into_iter().enumerate() {
                let mut out = vec![b'.'; 3 + i];
                out.shrink_to_fit();
                assert!(fmt.write(&mut out, &rec(T, level, "t", "m", &[])));
                let want = format!(
                    "{}{head}\"level\":\"{}\",\"target\":\"t\",\"msg\":\"m\"}}\n",
                    ".".repeat(3 + i),
                    level.as_str()
                );
                assert_eq!(String::from_utf8(out).unwrap(), want);
            }
        }
    }

    #[test]
    fn fields_are_members_with_json_types() {
        let f = encoded(&[
            ("user", &"al\"ice"),
            ("id", &42u64),
            ("neg", &i64::MIN),
            ("x", &1e300f64),
            ("nan", &f64::NAN),
            ("small", &0.1f32),
            ("ok", &false),
            ("raw", &b"a\xffb"),
            ("none", &None::<u8>),
        ]);
        let l = line(Format::json(), &rec(0, Level::Info, "t", "m", &f));
        let v: J = serde_json::from_str(&l).unwrap();
        assert_eq!(
            v,
            json!({"ts": "1970-01-01T00:00:00.000000Z", "level": "INFO", "target": "t", "msg": "m",
                   "user": "al\"ice", "id": 42, "neg": i64::MIN, "x": 1e300, "nan": null,
                   "small": 0.1, "ok": false, "raw": "a\u{fffd}b", "none": null})
        );
    }

    #[test]
    fn fields_never_repeat_a_member_name() {
        let f = encoded(&[
            ("msg", &"x"),
            ("level", &1u8),
            ("id", &1u8),
            ("id", &2u8),
            ("msg#2", &"y"),
            ("thread", &true),
        ]);
        let j = Format::json().timestamp(Timestamp::Off);
        assert_eq!(
            line(j, &rec(0, Level::Info, "t", "m", &f)),
            concat!(
                r#"{"level":"INFO","target":"t","msg":"m","msg#2":"x","level#2":1,"id":1,"id#2":2,"msg#2#2":"y","thread":true}"#,
                "\n"
            )
        );
        // A member the format leaves out does not take the name.
        let f = encoded(&[("ts", &1u8), ("target", &2u8)]);
        assert_eq!(
            line(j.without_target(), &rec(0, Level::Info, "t", "m", &f)),
            "{\"level\":\"INFO\",\"msg\":\"m\",\"ts\":1,\"target\":2}\n"
        );
    }

    #[test]
    fn the_call_site_is_two_members_no_field_can_take() {
        let f = encoded(&[("file", &"x"), ("line", &1u8)]);
        let r = crate::format::Record {
            call_site: Some((b"src/a\"b.rs", 7)),
            ..rec(0, Level::Info, "t", "m", &f)
        };
        let j = Format::json().timestamp(Timestamp::Off).with_call_site();
        assert_eq!(
            line(j, &r),
            concat!(
                r#"{"level":"INFO","target":"t","file":"src/a\"b.rs","line":7,"msg":"m","file#2":"x","line#2":1}"#,
                "\n"
            )
        );
        // Without the option the names are free and the call site hidden.
        let j = Format::json().timestamp(Timestamp::Off);
        assert_eq!(
            line(j, &r),
            "{\"level\":\"INFO\",\"target\":\"t\",\"msg\":\"m\",\"file\":\"x\",\"line\":1}\n"
        );
        // A record without a call site keeps the names reserved.
        let r = rec(0, Level::Info, "t", "m", &f);
        let j = Format::json()
            .timestamp(Timestamp::Off)
            .with_call_site()
            .without_target();
        assert_eq!(
            line(j, &r),
            "{\"level\":\"INFO\",\"msg\":\"m\",\"file#2\":\"x\",\"line#2\":1}\n"
        );
    }

    #[test]
    fn line_separators_are_escaped() {
        let f = encoded(&[("k\u{2028}", &"\u{85}")]);
        let l = line(
            Format::json().timestamp(Timestamp::Off),
            &rec(0, Level::Info, "t\u{2029}", "a\u{2028}b\\n", &f),
        );
        assert_eq!(
            l,
            concat!(
                r#"{"level":"INFO","target":"t\u2029","msg":"a\u2028b\\n","k\u2028":"\u0085"}"#,
                "\n"
            )
        );
    }

    proptest! {
        /// Every line parses, and every field comes back: strings exactly,
        /// bytes as `from_utf8_lossy`, numbers and booleans by value.
        #[test]
        fn every_line_parses_and_round_trips_the_fields(
            target in "\\PC{0,12}",
            msg in any::<String>(),
            s in any::<String>(),
            b in proptest::collection::vec(any::<u8>(), 0..24),
            i in any::<i64>(),
            u in any::<u64>(),
            x in any::<f64>(),
            flag in any::<bool>(),
        ) {
            let fields: [Field<'_>; 6] = [("s", &s), ("b", &b), ("i", &i), ("u", &u), ("x", &x), ("flag", &flag)];
            let enc = encoded(&fields);
            let l = line(Format::json(), &rec(T, Level::Debug, &target, &msg, &enc));
            prop_assert!(l.ends_with('\n') && !l[..l.len() - 1].contains('\n'));
            let v: J = serde_json::from_str(&l).unwrap();
            prop_assert_eq!(&v["target"], &J::from(target.clone()));
            prop_assert_eq!(&v["msg"], &J::from(msg.clone()));
            prop_assert_eq!(&v["s"], &J::from(s.clone()));
            prop_assert_eq!(&v["b"], &J::from(String::from_utf8_lossy(&b).into_owned()));
            prop_assert_eq!(v["i"].as_i64(), Some(i));
            prop_assert_eq!(v["u"].as_u64(), Some(u));
            if x.is_finite() {
                prop_assert_eq!(v["x"].as_f64(), Some(x));
            } else {
                prop_assert!(v["x"].is_null());
            }
            prop_assert_eq!(v["flag"].as_bool(), Some(flag));
        }
    }
}
