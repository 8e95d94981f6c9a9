//! The text line: `2026-11-28T04:56:49.123456Z INFO  [1234] target: message key=value\n`.
//!
//! Timestamp (at the format's precision and offset, or none), the level
//! padded to five columns (coloured for `Styling::Ansi`), the thread id in
//! brackets when asked for, the target (unless left out), the call site
//! `file:line` when asked for and known, `": "` after either, the
//! message — quoted when fields follow — then each field as ` key=value`,
//! and a newline. The grammar is documented on `Format`.

use super::digits::{push_i64, push_u64};
use super::escape::{self, push_text_token, Bare, Quoted, TargetText};
use super::put::{byte, byte_in_room, put, put_first_in_room};
use super::targets::TargetCache;
use super::time::{self, TimeCache};
use super::{DeferredMessage, Format, Record, State, Styling, Timestamp};
use crate::deferred::render::{render_escaped, MessageDialect, Tail, TypedMemo};
use crate::field::VecWriter;
use crate::field::{Fields, Value};
use crate::level::Level;

/// Room for the head of a line up to its thread id: the timestamp, a
/// space and the level's buffer.
const HEAD_ROOM: usize = time::ROOM + 1 + 16;

/// Appends one text line for `rec`; `false` when its deferred message
/// does not decode (the caller drops what was written).
#[inline(always)]
pub(super) fn write(out: &mut Vec<u8>, st: State<'_>, f: &Format, rec: &Record<'_>) -> bool {
    let (time, targets) = (st.time, st.targets);
    let shown_site = f.call_site && rec.location().is_some();
    if f.thread || shown_site || !rec.spans.is_empty() {
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
                0
            });
        }
    }
    if rec.fields.is_empty() {
        return message::<Bare, { NEWLINE.word() }>(out, st.scratch, st.memo, rec);
    }
    byte(out, b'"');
    if !message::<Quoted, { QUOTE.word() }>(out, st.scratch, st.memo, rec) {
        return false;
    }
    write_fields(out, rec.fields);
    byte(out, b'\n');
    true
}

/// What follows a message: the line's end, or the closing quote.
const NEWLINE: Tail = Tail::new(b"\n");
pub(super) const QUOTE: Tail = Tail::new(b"\"");

/// Appends the head of the line, up to the message: timestamp, level,
/// thread id, spans, target and call site, as `f` shows them.
///
/// One capacity check for the timestamp and level ([`HEAD_ROOM`] bounds
/// their unchecked writes); what follows checks for itself.
#[inline(always)]
fn head(out: &mut Vec<u8>, time: &mut TimeCache, targets: &mut TargetCache, f: &Format, rec: &Record<'_>) {
    out.reserve(HEAD_ROOM);
    if f.timestamp != Timestamp::Off {
        // SAFETY: the room holds `HEAD_ROOM`: the timestamp's `time::ROOM`
        // and a byte.
        unsafe {
            time.write_in_room(out, rec.unix_nanos, f.timestamp);
            byte_in_room(out, b' ');
        }
    }
    let (level, len) = match f.styling {
        Styling::Plain => padded(rec.level),
        Styling::Ansi => coloured(rec.level),
    };
    // SAFETY: the room holds `HEAD_ROOM`, 16 bytes of it the level's.
    unsafe { put_first_in_room(out, level, len) };
    if f.thread {
        byte(out, b'[');
        push_u64(out, rec.thread as u64);
        put(out, b"] ");
    }
    if !rec.spans.is_empty() {
        super::spans::write_text(out, rec.spans);
    }
    match rec.location().filter(|_| f.call_site) {
        None if f.target => targets.put_target(out, (rec.site_target(), rec.target), |out, t| {
            escape::push_utf8::<TargetText>(out, t);
            out.extend_from_slice(b": ");
        }),
        None => {}
        Some((file, line)) => {
            if f.target {
                escape::push_utf8::<TargetText>(out, rec.target);
                byte(out, b' ');
            }
            escape::push_utf8::<TargetText>(out, file);
            byte(out, b':');
            push_u64(out, line as u64);
            put(out, b": ");
        }
    }
}

/// Appends the message escaped for `D`, then the tail `TAIL` (a
/// `Tail::word`): rendered here for a lazily rendered deferred record
/// (`false` when it does not decode).
#[inline(always)]
pub(super) fn message<D: MessageDialect, const TAIL: u32>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    memo: &mut TypedMemo,
    rec: &Record<'_>,
) -> bool {
    match rec.deferred {
        None => {
            escape::push_utf8::<D>(out, rec.msg);
            Tail::of(TAIL).put(out);
            true
        }
        Some(DeferredMessage { site, values }) => render_escaped::<D, TAIL>(out, scratch, memo, site, values),
    }
}

/// The level padded to five columns and a space (the first 6 bytes).
fn padded(level: Level) -> (&'static [u8; 16], usize) {
    let p: &'static [u8; 16] = match level {
        Level::Error => b"ERROR           ",
        Level::Warn => b"WARN            ",
        Level::Info => b"INFO            ",
        Level::Debug => b"DEBUG           ",
        Level::Trace => b"TRACE           ",
        Level::Off => b"OFF             ", // a minimum level only, never a record's
    };
    (p, 6)
}

/// The level in its colour, padded to five columns after the reset, and
/// a space.
fn coloured(level: Level) -> (&'static [u8; 16], usize) {
    match level {
        Level::Error => (b"\x1b[31mERROR\x1b[0m  ", 15),
        Level::Warn => (b"\x1b[33mWARN\x1b[0m   ", 15),
        Level::Info => (b"\x1b[32mINFO\x1b[0m   ", 15),
        Level::Debug => (b"\x1b[34mDEBUG\x1b[0m  ", 15),
        Level::Trace => (b"\x1b[35mTRACE\x1b[0m  ", 15),
        Level::Off => (b"OFF             ", 6), // a minimum level only, never a record's
    }
}

/// Appends ` key=value` for each encoded field.
fn write_fields(out: &mut Vec<u8>, fields: &[u8]) {
    for (key, value) in Fields::new(fields) {
        out.push(b' ');
        push_field(out, key, value);
    }
}

/// Appends `key=value`.
pub(super) fn push_field(out: &mut Vec<u8>, key: &[u8], value: Value<'_>) {
    push_field_quoting(out, key, value, |_| false);
}

/// [`push_field`], quoting besides a key or string for which `quote` holds
/// (inside a span's braces, one holding a brace).
pub(super) fn push_field_quoting(
    out: &mut Vec<u8>,
    key: &[u8],
    value: Value<'_>,
    quote: impl Fn(&[u8]) -> bool,
) {
    push_text_token(out, key, quote(key));
    out.push(b'=');
    match value {
        Value::Str(s) | Value::Bytes(s) => {
            push_text_token(out, s, reads_as_non_string(s) || quote(s))
        }
        Value::I64(v) => push_i64(out, v),
        Value::U64(v) => push_u64(out, v),
        Value::F64(v) => push_float(out, v),
        Value::F32(v) => push_float(out, v),
        Value::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
        Value::Null => out.extend_from_slice(b"null"),
    }
}

/// Whether a string written bare would read as a number, boolean or null.
#[inline]
fn reads_as_non_string(s: &[u8]) -> bool {
    matches!(s.first(), Some(b'0'..=b'9' | b'-' | b'+' | b'.'))
        || matches!(s, b"true" | b"false" | b"null" | b"NaN" | b"inf")
}

/// Appends a float's shortest round-trip digits (`1.5`, `1e300`, `NaN`, `inf`).
pub(super) fn push_float(out: &mut Vec<u8>, v: impl std::fmt::Debug) {
    let _ = std::fmt::write(&mut VecWriter(out), format_args!("{v:?}"));
}

#[cfg(test)]
mod tests {
    use super::super::testing::{encoded, line, rec};
    use super::super::{Format, Styling, TimeOffset, Timestamp};
    use crate::level::Level;

    const T: u64 = 1_795_841_809_123_456_789; // 2026-11-28T04:56:49.123456789Z

    #[test]
    fn level_columns_are_the_name_padded_to_five_then_a_space() {
        for l in Level::ALL {
            let (p, len) = super::padded(l);
            assert_eq!(&p[..len], format!("{:<5} ", l.as_str()).as_bytes());
            let (c, len) = super::coloured(l);
            let colour = [35, 34, 32, 33, 31][l as usize];
            let pad = " ".repeat(5 - l.as_str().len());
            let want = format!("\x1b[{colour}m{}\x1b[0m{pad} ", l.as_str());
            assert_eq!(&c[..len], want.as_bytes());
        }
    }

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
    fn a_long_head_is_written_whole_into_a_full_buffer() {
        // The head's room is reserved once: the longest timestamp and
        // level, then a thread id and a target too long to cache, each
        // line appended to a buffer with no spare room.
        let f = Format::text()
            .timestamp(Timestamp::Nanos)
            .time_offset(TimeOffset::east_minutes(-(23 * 60 + 59)).unwrap())
            .with_thread_id();
        let mut fmt = super::super::Formatter::new(f);
        for (i, t) in ["t".repeat(200), "u".repeat(129), "t".repeat(200)]
            .iter()
            .enumerate()
        {
            let mut r = rec(T, Level::Debug, t, "m", &[]);
            r.thread = u32::MAX;
            let mut out = vec![b'.'; 7 + i];
            out.shrink_to_fit();
            assert!(fmt.write(&mut out, &r));
            let want = format!(
                "{}2026-11-27T04:57:49.123456789-23:59 DEBUG [4294967295] {t}: m\n",
                ".".repeat(7 + i)
            );
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
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
    fn separators_backslashes_and_odd_targets_have_exact_bytes() {
        let f = Format::text().timestamp(Timestamp::Off);
        let r = rec(
            0,
            Level::Info,
            "my app",
            "x\u{85}y\u{2028}z\u{2029}|\\n|\n",
            &[],
        );
        assert_eq!(
            line(f, &r),
            "INFO  my\\x20app: x\\u{85}y\\u{2028}z\\u{2029}|\\\\n|\\n\n"
        );
        let r = rec(0, Level::Info, "t", "\"quoted\" start", &[]);
        assert_eq!(line(f, &r), "INFO  t: \\\"quoted\" start\n");
    }

    #[test]
    fn fields_follow_the_quoted_message_as_key_value() {
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
            line(Format::text().timestamp(Timestamp::Off), &rec(0, Level::Info, "t", "req \"x\"", &f)),
            "INFO  t: \"req \\\"x\\\"\" user=alice id=42 delta=-7 ratio=0.5 ok=true note=\"two words\\n\" raw=\"a\\xffb\" gone=null\n"
        );
    }

    #[test]
    fn odd_keys_and_lookalike_strings_are_quoted() {
        let f = encoded(&[
            ("k ey", &1u8),
            ("a=b", &"v"),
            ("", &"x y"),
            ("q\"", &"\u{2028}"),
            ("n", &"42"),
            ("b", &"true"),
            ("z", &"null"),
            ("m", &"-x"),
            ("e", &""),
            ("i", &"inf"),
            ("ok", &"1x"),
        ]);
        assert_eq!(
            line(
                Format::text().timestamp(Timestamp::Off).without_target(),
                &rec(0, Level::Info, "t", "m", &f)
            ),
            concat!(
                r#"INFO  "m" "k ey"=1 "a=b"=v ""="x y" "q\""="\u{2028}" n="42" b="true" z="null" m="-x" e="" i="inf" ok="1x""#,
                "\n"
            )
        );
    }

    #[test]
    fn ansi_styling_colours_the_level_only() {
        let f = Format::text()
            .timestamp(Timestamp::Off)
            .styled(Styling::Ansi);
        let want = [
            (Level::Error, "\x1b[31mERROR\x1b[0m t: m\n"),
            (Level::Warn, "\x1b[33mWARN\x1b[0m  t: m\n"),
            (Level::Info, "\x1b[32mINFO\x1b[0m  t: m\n"),
            (Level::Debug, "\x1b[34mDEBUG\x1b[0m t: m\n"),
            (Level::Trace, "\x1b[35mTRACE\x1b[0m t: m\n"),
        ];
        for (level, want) in want {
            assert_eq!(line(f, &rec(0, level, "t", "m", &[])), want);
        }
        let json = Format::json().styled(Styling::Ansi);
        assert_eq!(json, Format::json());
    }

    #[test]
    fn the_call_site_follows_the_target() {
        let r = super::super::Record {
            call_site: Some((b"src/my db.rs", 42)),
            ..rec(0, Level::Info, "app::db", "m", &[])
        };
        let f = Format::text().timestamp(Timestamp::Off);
        assert_eq!(line(f, &r), "INFO  app::db: m\n");
        let f = f.with_call_site();
        assert_eq!(line(f, &r), "INFO  app::db src/my\\x20db.rs:42: m\n");
        assert_eq!(
            line(f.without_target(), &r),
            "INFO  src/my\\x20db.rs:42: m\n"
        );
        // A record without one shows the target alone, or nothing.
        let plain = rec(0, Level::Info, "app::db", "m", &[]);
        assert_eq!(line(f, &plain), "INFO  app::db: m\n");
        assert_eq!(line(f.without_target(), &plain), "INFO  m\n");
    }

    #[test]
    fn a_fixed_offset_shows_local_time() {
        let f = Format::text()
            .timestamp(Timestamp::Millis)
            .time_offset(TimeOffset::east_minutes(-(3 * 60 + 30)).unwrap());
        assert_eq!(
            line(f, &rec(T, Level::Info, "t", "m", &[])),
            "2026-11-28T01:26:49.123-03:30 INFO  t: m\n"
        );
    }
}
